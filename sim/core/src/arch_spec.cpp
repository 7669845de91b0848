// DESCRIPTION: Architecture YAML: schema walk that collects every problem (file:line:column, field,
// "did you mean"), --set overrides applied to the tree before validation, and the resolved writer.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/core/arch_spec.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>

#include "mpsim/base/error.h"
#include "mpsim/cost/energy.h"

namespace mpsim::sim {

std::string_view to_string(SoftmaxAlgo a) {
  return a == SoftmaxAlgo::kThreePass ? "three_pass" : "two_pass";
}

namespace {

const std::vector<std::string> kTopKeys = {"version", "arch"};
const std::vector<std::string> kArchKeys = {"name", "frequency_mhz", "tech_nm", "array",
                                            "pe",   "buffers",       "dram",    "vector_unit"};
const std::vector<std::string> kArrayKeys = {"rows", "cols", "dataflow"};
const std::vector<std::string> kBufferNames = {"weight", "activation", "output"};
const std::vector<std::string> kBufferKeys = {"kib", "banks", "bytes_per_cycle", "double_buffered"};
const std::vector<std::string> kDramKeys = {"bandwidth_gbps", "latency_ns", "jitter_cycles",
                                            "jitter_seed"};
const std::vector<std::string> kVectorKeys = {"lanes", "softmax"};
const std::vector<std::string> kDataflows = {"weight_stationary", "output_stationary"};
const std::vector<std::string> kSoftmaxAlgos = {"three_pass", "two_pass"};

constexpr int kVersion = 1;

std::string did_you_mean(std::string_view bad, const std::vector<std::string>& known) {
  const std::string best = closest_match(bad, known);
  return best.empty() ? std::string{} : fmt::format(" (did you mean '{}'?)", best);
}

/// How a value that has the wrong type reads in a message.
std::string describe(const YAML::Node& n) {
  if (n.IsNull()) return "an empty value";
  if (n.IsMap()) return "a map";
  if (n.IsSequence()) return "a list";
  return fmt::format("'{}'", n.Scalar());
}

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

/// One key of a map with its value (the key is kept for its position).
struct Entry {
  // A default Node is a defined null; absence must read as undefined.
  YAML::Node key{YAML::NodeType::Undefined}, value{YAML::NodeType::Undefined};
  explicit operator bool() const { return value.IsDefined(); }
};

/// Walks one architecture document, collecting every problem. Fields set or created by --set are
/// reported as "<cli>": their nodes carry positions in the override's text, not in the file.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  void mark_cli(std::string path) { cli_.push_back(std::move(path)); }
  bool from_cli(const std::string& path) const {
    return std::any_of(cli_.begin(), cli_.end(), [&](const std::string& p) {
      return path == p || (path.size() > p.size() && path.starts_with(p) && path[p.size()] == '.');
    });
  }

  /// A problem with `field`, positioned at node `at` whose own path is `at_path` (they differ for a
  /// missing key, which is reported at its parent).
  void error(const YAML::Node& at, const std::string& at_path, std::string field, std::string msg) {
    const YAML::Mark m = at.IsDefined() ? at.Mark() : YAML::Mark::null_mark();
    if (from_cli(at_path)) {
      add("<cli>", {-2, 0}, std::move(field), std::move(msg));
    } else if (m.is_null() || m.line < 0) {
      add(source_, {-1, 0}, std::move(field), std::move(msg));
    } else {
      add(fmt::format("{}:{}:{}", source_, m.line + 1, m.column + 1), {m.line, m.column},
          std::move(field), std::move(msg));
    }
  }
  void error(const YAML::Node& at, const std::string& field, std::string msg) {
    error(at, field, field, std::move(msg));
  }
  /// A value is best shown where it is written; an empty one has no text, so show its key.
  void error(const Entry& e, const std::string& field, std::string msg) {
    error(e.value.IsNull() ? e.key : e.value, field, std::move(msg));
  }
  void cli_error(std::string field, std::string msg) {
    add("<cli>", {-2, 0}, std::move(field), std::move(msg));
  }

  bool ok() const { return diags_.empty(); }

  /// Every diagnostic: command-line ones first, then in file order (checks run section by section,
  /// the user reads line by line).
  [[noreturn]] void fail() {
    std::vector<std::size_t> order(diags_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return keys_[a] < keys_[b]; });
    std::vector<Diagnostic> sorted;
    for (std::size_t i : order) sorted.push_back(std::move(diags_[i]));
    throw ConfigError(std::move(sorted));
  }

  /// Reports non-scalar, duplicate and unknown keys of `map` (a map). `unknown` words the message
  /// for a key outside `known`.
  void check_keys(const YAML::Node& map, const std::string& path,
                  const std::vector<std::string>& known,
                  const std::function<std::string(const std::string&)>& unknown = {}) {
    std::vector<std::pair<std::string, int>> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key = it->first;  // a copy: the iterator's pair is a temporary
      if (!key.IsScalar()) {
        error(key, path, path, "keys must be plain names");
        continue;
      }
      const std::string& name = key.Scalar();
      const std::string field = child_path(path, name);
      auto prev =
          std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == name; });
      if (prev != seen.end()) {
        error(key, field, fmt::format("duplicate key (first at line {})", prev->second + 1));
        continue;
      }
      seen.emplace_back(name, key.Mark().line);
      if (std::find(known.begin(), known.end(), name) != known.end()) continue;
      error(key, field, unknown ? unknown(name) : "unknown key" + did_you_mean(name, known));
    }
  }

  /// The first entry named `key` in `map` (a map); reports it when required and absent.
  Entry find(const YAML::Node& map, const std::string& path, const std::string& key, bool required,
             const char* missing = "required key is missing") {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == key) return Entry{it->first, it->second};
    }
    if (required) error(map, path, child_path(path, key), missing);
    return {};
  }

  /// A sub-map, or an undefined node when it is absent or not a map (both reported as needed).
  YAML::Node sub_map(const YAML::Node& parent, const std::string& parent_path,
                     const std::string& key, bool required) {
    const Entry e = find(parent, parent_path, key, required, "required section is missing");
    if (!e) return YAML::Node(YAML::NodeType::Undefined);
    if (!e.value.IsMap()) {
      error(e, child_path(parent_path, key),
            fmt::format("expected a map, got {}", describe(e.value)));
      return YAML::Node(YAML::NodeType::Undefined);
    }
    return e.value;
  }
  /// sub_map() whose keys must be among `known`.
  YAML::Node section(const YAML::Node& parent, const std::string& parent_path,
                     const std::string& key, bool required, const std::vector<std::string>& known) {
    YAML::Node m = sub_map(parent, parent_path, key, required);
    if (m.IsDefined()) check_keys(m, child_path(parent_path, key), known);
    return m;
  }

  std::optional<std::int64_t> integer(const Entry& e, const std::string& path) {
    return parse_integer<std::int64_t>(e, path, "an integer");
  }

  /// An integer in [lo, hi].
  std::optional<std::int64_t> integer(const YAML::Node& map, const std::string& map_path,
                                      const std::string& key, std::int64_t lo, std::int64_t hi,
                                      bool required = false) {
    const std::string path = child_path(map_path, key);
    const Entry e = find(map, map_path, key, required);
    if (!e) return std::nullopt;
    const auto v = integer(e, path);
    if (!v) return std::nullopt;
    if (*v < lo || *v > hi) {
      error(e, path, fmt::format("must be in [{}, {}], got {}", lo, hi, *v));
      return std::nullopt;
    }
    return v;
  }

  std::optional<std::uint64_t> unsigned_integer(const YAML::Node& map, const std::string& map_path,
                                                const std::string& key) {
    const Entry e = find(map, map_path, key, false);
    if (!e) return std::nullopt;
    return parse_integer<std::uint64_t>(e, child_path(map_path, key), "a non-negative integer");
  }

  /// A finite number in [lo, hi], or (lo, hi] when `open_lo`.
  std::optional<double> number(const YAML::Node& map, const std::string& map_path,
                               const std::string& key, double lo, double hi, bool open_lo,
                               bool required = false) {
    const std::string path = child_path(map_path, key);
    const Entry e = find(map, map_path, key, required);
    if (!e) return std::nullopt;
    double v = 0;
    if (!scalar_text(e.value) ||
        !parse_all(e.value.Scalar(), v, [](const char* b, const char* end, double& out) {
          return std::from_chars(b, end, out);
        })) {
      error(e, path, fmt::format("expected a number, got {}", describe(e.value)));
      return std::nullopt;
    }
    if (!std::isfinite(v)) {
      error(e, path, fmt::format("expected a finite number, got {}", describe(e.value)));
      return std::nullopt;
    }
    if ((open_lo ? v <= lo : v < lo) || v > hi) {
      error(e, path, fmt::format("must be in {}{}, {}], got {}", open_lo ? "(" : "[", lo, hi, v));
      return std::nullopt;
    }
    return v;
  }

  std::optional<bool> boolean(const YAML::Node& map, const std::string& map_path,
                              const std::string& key) {
    const Entry e = find(map, map_path, key, false);
    if (!e) return std::nullopt;
    bool out = false;
    if (!scalar_text(e.value) || !YAML::convert<bool>::decode(e.value, out)) {
      error(e, child_path(map_path, key),
            fmt::format("expected true or false, got {}", describe(e.value)));
      return std::nullopt;
    }
    return out;
  }

  std::optional<std::string> string(const Entry& e, const std::string& path) {
    if (!e.value.IsScalar()) {
      error(e, path, fmt::format("expected a string, got {}", describe(e.value)));
      return std::nullopt;
    }
    return e.value.Scalar();
  }

  /// A string that must be one of `choices` (any string when `choices` is empty).
  std::optional<std::string> choice(const YAML::Node& map, const std::string& map_path,
                                    const std::string& key,
                                    const std::vector<std::string>& choices) {
    const std::string path = child_path(map_path, key);
    const Entry e = find(map, map_path, key, false);
    if (!e) return std::nullopt;
    auto v = string(e, path);
    if (v && !choices.empty() && std::find(choices.begin(), choices.end(), *v) == choices.end()) {
      error(e, path,
            fmt::format("'{}' is not one of {}{}", *v, fmt::join(choices, ", "),
                        did_you_mean(*v, choices)));
      return std::nullopt;
    }
    return v;
  }

 private:
  static bool scalar_text(const YAML::Node& n) { return n.IsScalar() && !n.Scalar().empty(); }

  template <class T, class Parse>
  static bool parse_all(const std::string& s, T& out, Parse parse) {
    const auto [end, ec] = parse(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && end == s.data() + s.size();
  }

  template <class T>
  std::optional<T> parse_integer(const Entry& e, const std::string& path, const char* what) {
    T v{};
    if (!scalar_text(e.value) ||
        !parse_all(e.value.Scalar(), v, [](const char* b, const char* end, T& out) {
          return std::from_chars(b, end, out);
        })) {
      error(e, path, fmt::format("expected {}, got {}", what, describe(e.value)));
      return std::nullopt;
    }
    return v;
  }

  void add(std::string where, std::pair<int, int> key, std::string field, std::string msg) {
    diags_.push_back(Diagnostic{std::move(where), std::move(field), std::move(msg)});
    keys_.push_back(key);
  }

  std::string source_;
  std::vector<std::string> cli_;  // paths assigned or created by --set
  std::vector<Diagnostic> diags_;
  std::vector<std::pair<int, int>> keys_;  // sort key of each diagnostic: (line, column)
};

/// Applies one --set to the tree: intermediate maps are created (or replace scalars) so any field
/// can be set from the command line even when the file leaves it to its default.
void apply_override(YAML::Node root, const Override& o, Reader& r) {
  std::vector<std::string> parts;
  std::stringstream ss(o.path);
  for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
  const bool valid_path =
      (o.path == "version" || o.path.starts_with("arch.")) && !o.path.ends_with(".") &&
      std::none_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); });
  if (!valid_path) {
    r.cli_error("--set", fmt::format("'{}' is not an architecture field (expected 'version' or a "
                                     "path under 'arch.', e.g. arch.array.rows)",
                                     o.path));
    return;
  }
  YAML::Node value;
  try {
    value = YAML::Load(o.value);
  } catch (const YAML::Exception& e) {
    r.cli_error(o.path, fmt::format("cannot parse the value '{}': {}", o.value, e.msg));
    return;
  }
  YAML::Node cur = root;
  std::string path;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    path = child_path(path, parts[i]);
    if (!cur[parts[i]].IsMap()) {
      cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
      r.mark_cli(path);
    }
    // reset() rebinds the handle; plain assignment would overwrite the node inside the tree.
    cur.reset(cur[parts[i]]);
  }
  cur[parts.back()] = value;
  r.mark_cli(o.path);
}

void parse_pe(Reader& r, const YAML::Node& arch, ArchSpec& a) {
  const YAML::Node pe = r.sub_map(arch, "arch", "pe", true);
  if (!pe.IsDefined()) return;
  const auto& reg = builtin_pe_types();
  const Entry type_entry = r.find(pe, "arch.pe", "type", true);
  std::optional<std::string> type;
  if (type_entry) type = r.string(type_entry, "arch.pe.type");
  if (type && !reg.contains(*type)) {
    const auto names = reg.names();
    const std::string hint = closest_match(*type, names);
    r.error(type_entry, "arch.pe.type",
            fmt::format("unknown PE type '{}' ({}known: {})", *type,
                        hint.empty() ? "" : fmt::format("did you mean '{}'? ", hint),
                        fmt::join(names, ", ")));
    type.reset();
  }
  // The accepted keys depend on the family: without a known type, the others cannot be judged.
  if (!type) return;
  a.pe_type = *type;
  const auto& params = reg.params(*type);
  std::vector<std::string> keys{"type"};
  for (const auto& p : params) keys.push_back(p.key);
  r.check_keys(pe, "arch.pe", keys, [&](const std::string& bad) {
    const std::string hint = closest_match(bad, keys);
    return fmt::format("unknown parameter of PE type '{}' ({}known: {})", *type,
                       hint.empty() ? "" : fmt::format("did you mean '{}'? ", hint),
                       fmt::join(keys, ", "));
  });
  for (const auto& p : params) {
    if (p.is_int) {
      a.pe_params.ints[p.key] =
          r.integer(pe, "arch.pe", p.key, p.min_int, p.max_int).value_or(p.def_int);
    } else {
      a.pe_params.strings[p.key] = r.choice(pe, "arch.pe", p.key, p.choices).value_or(p.def_string);
    }
  }
}

BufferSpec parse_buffer(Reader& r, const YAML::Node& bufs, const std::string& name) {
  const std::string path = "arch.buffers." + name;
  BufferSpec s;
  const YAML::Node b = r.section(bufs, "arch.buffers", name, true, kBufferKeys);
  if (!b.IsDefined()) return s;
  if (auto v = r.number(b, path, "kib", 0, double(1 << 20), true, true)) s.kib = *v;
  if (auto v = r.integer(b, path, "banks", 1, 1024)) {
    if ((*v & (*v - 1)) != 0) {
      r.error(r.find(b, path, "banks", false), path + ".banks",
              fmt::format("must be a power of two, got {}", *v));
    } else {
      s.banks = static_cast<int>(*v);
    }
  }
  if (auto v = r.integer(b, path, "bytes_per_cycle", 1, 65536))
    s.bytes_per_cycle = static_cast<int>(*v);
  if (auto v = r.boolean(b, path, "double_buffered")) s.double_buffered = *v;
  return s;
}

void parse_arch_section(Reader& r, const YAML::Node& root, ArchSpec& a) {
  const YAML::Node arch = r.section(root, "", "arch", true, kArchKeys);
  if (!arch.IsDefined()) return;

  if (const Entry e = r.find(arch, "arch", "name", true)) {
    if (auto s = r.string(e, "arch.name")) {
      if (s->empty())
        r.error(e, "arch.name", "must not be empty");
      else
        a.name = *s;
    }
  }
  if (auto v = r.number(arch, "arch", "frequency_mhz", 0, 10000, true)) a.frequency_mhz = *v;
  if (const Entry e = r.find(arch, "arch", "tech_nm", false)) {
    if (auto v = r.integer(e, "arch.tech_nm")) {
      const auto& nodes = cost::Tech::supported_nodes();
      if (std::find(nodes.begin(), nodes.end(), *v) == nodes.end())
        r.error(e, "arch.tech_nm",
                fmt::format("unsupported technology node {} nm (supported: {})", *v,
                            fmt::join(nodes, ", ")));
      else
        a.tech_nm = static_cast<int>(*v);
    }
  }

  if (const YAML::Node arr = r.section(arch, "arch", "array", true, kArrayKeys); arr.IsDefined()) {
    if (auto v = r.integer(arr, "arch.array", "rows", 1, 4096, true)) a.rows = static_cast<int>(*v);
    if (auto v = r.integer(arr, "arch.array", "cols", 1, 4096, true)) a.cols = static_cast<int>(*v);
    if (auto v = r.choice(arr, "arch.array", "dataflow", kDataflows))
      a.dataflow =
          *v == "output_stationary" ? Dataflow::kOutputStationary : Dataflow::kWeightStationary;
  }

  parse_pe(r, arch, a);

  if (const YAML::Node bufs = r.section(arch, "arch", "buffers", true, kBufferNames);
      bufs.IsDefined()) {
    a.weight_buf = parse_buffer(r, bufs, "weight");
    a.act_buf = parse_buffer(r, bufs, "activation");
    a.out_buf = parse_buffer(r, bufs, "output");
  }

  if (const YAML::Node d = r.section(arch, "arch", "dram", false, kDramKeys); d.IsDefined()) {
    if (auto v = r.number(d, "arch.dram", "bandwidth_gbps", 0, 100000, true))
      a.dram.bandwidth_gbps = *v;
    if (auto v = r.number(d, "arch.dram", "latency_ns", 0, 100000, false)) a.dram.latency_ns = *v;
    if (auto v = r.integer(d, "arch.dram", "jitter_cycles", 0, 1000000))
      a.dram.jitter_cycles = static_cast<int>(*v);
    if (auto v = r.unsigned_integer(d, "arch.dram", "jitter_seed")) a.dram.jitter_seed = *v;
  }

  if (const YAML::Node vu = r.section(arch, "arch", "vector_unit", false, kVectorKeys);
      vu.IsDefined()) {
    if (auto v = r.integer(vu, "arch.vector_unit", "lanes", 1, 4096))
      a.vector.lanes = static_cast<int>(*v);
    if (auto v = r.choice(vu, "arch.vector_unit", "softmax", kSoftmaxAlgos))
      a.vector.softmax = *v == "two_pass" ? SoftmaxAlgo::kTwoPass : SoftmaxAlgo::kThreePass;
  }
}

/// Shortest text that reads back as the same double (the emitter's own form prints 17 digits).
std::string number_text(double v) { return fmt::format("{}", v); }

}  // namespace

Override parse_override(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw ConfigError(
        Diagnostic{"<cli>", "--set",
                   fmt::format("expected PATH=VALUE (e.g. arch.array.rows=64), got '{}'", text)});
  }
  return Override{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

ArchSpec parse_arch(std::string_view yaml_text, std::string_view source,
                    const std::vector<Override>& overrides) {
  Reader r{std::string(source)};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::ParserException& e) {
    throw ConfigError(
        Diagnostic{fmt::format("{}:{}:{}", source, e.mark.line + 1, e.mark.column + 1), "",
                   fmt::format("YAML syntax error: {}", e.msg)});
  }
  if (!root.IsMap()) {
    throw ConfigError(Diagnostic{std::string(source), "",
                                 fmt::format("expected a map with 'version: {}' and 'arch', got {}",
                                             kVersion, describe(root))});
  }
  for (const auto& o : overrides) apply_override(root, o, r);

  r.check_keys(root, "", kTopKeys);
  if (const Entry e = r.find(root, "", "version", true)) {
    if (auto v = r.integer(e, "version"); v && *v != kVersion)
      r.error(e, "version", fmt::format("unsupported version {} (expected {})", *v, kVersion));
  }
  ArchSpec a;
  parse_arch_section(r, root, a);

  if (r.ok()) {
    try {
      a.pe = builtin_pe_types().create(a.pe_type, a.pe_params);
    } catch (const ConfigError& e) {
      // A family may reject a combination of parameters that are each in range.
      const YAML::Node& croot = root;
      const YAML::Node pe = croot["arch"]["pe"];
      for (const auto& d : e.diagnostics())
        r.error(pe, "arch.pe", d.field.empty() ? "arch.pe" : d.field, d.message);
    }
  }
  if (!r.ok()) r.fail();
  return a;
}

ArchSpec load_arch(const std::filesystem::path& path, const std::vector<Override>& overrides) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    throw ConfigError(
        Diagnostic{path.string(), "--arch",
                   fmt::format("cannot read the architecture file: {}", std::strerror(errno))});
  }
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_arch(ss.str(), path.string(), overrides);
}

std::string to_yaml(const ArchSpec& a) {
  YAML::Emitter e;
  auto key = [&](const char* k) -> YAML::Emitter& { return e << YAML::Key << k << YAML::Value; };
  e << YAML::BeginMap;
  key("version") << kVersion;
  key("arch") << YAML::BeginMap;
  key("name") << a.name;
  key("frequency_mhz") << number_text(a.frequency_mhz);
  key("tech_nm") << a.tech_nm;

  key("array") << YAML::Flow << YAML::BeginMap;
  key("rows") << a.rows;
  key("cols") << a.cols;
  key("dataflow") << std::string(to_string(a.dataflow));
  e << YAML::EndMap;

  // Declared order reads like the family's datasheet; keys the registry does not declare (a spec
  // built by hand) follow in map order so nothing is dropped.
  key("pe") << YAML::Flow << YAML::BeginMap;
  key("type") << a.pe_type;
  std::vector<std::string> written;
  if (builtin_pe_types().contains(a.pe_type)) {
    for (const auto& p : builtin_pe_types().params(a.pe_type)) {
      if (p.is_int && a.pe_params.ints.contains(p.key)) {
        key(p.key.c_str()) << a.pe_params.ints.at(p.key);
        written.push_back(p.key);
      } else if (!p.is_int && a.pe_params.strings.contains(p.key)) {
        key(p.key.c_str()) << a.pe_params.strings.at(p.key);
        written.push_back(p.key);
      }
    }
  }
  auto done = [&](const std::string& k) {
    return std::find(written.begin(), written.end(), k) != written.end();
  };
  for (const auto& [k, v] : a.pe_params.ints)
    if (!done(k)) key(k.c_str()) << v;
  for (const auto& [k, v] : a.pe_params.strings)
    if (!done(k)) key(k.c_str()) << v;
  e << YAML::EndMap;

  key("buffers") << YAML::BeginMap;
  for (const auto& [name, b] : {std::pair<const char*, const BufferSpec&>{"weight", a.weight_buf},
                                {"activation", a.act_buf},
                                {"output", a.out_buf}}) {
    key(name) << YAML::Flow << YAML::BeginMap;
    key("kib") << number_text(b.kib);
    key("banks") << b.banks;
    key("bytes_per_cycle") << b.bytes_per_cycle;
    key("double_buffered") << b.double_buffered;
    e << YAML::EndMap;
  }
  e << YAML::EndMap;

  key("dram") << YAML::Flow << YAML::BeginMap;
  key("bandwidth_gbps") << number_text(a.dram.bandwidth_gbps);
  key("latency_ns") << number_text(a.dram.latency_ns);
  key("jitter_cycles") << a.dram.jitter_cycles;
  key("jitter_seed") << a.dram.jitter_seed;
  e << YAML::EndMap;

  key("vector_unit") << YAML::Flow << YAML::BeginMap;
  key("lanes") << a.vector.lanes;
  key("softmax") << std::string(to_string(a.vector.softmax));
  e << YAML::EndMap;

  e << YAML::EndMap << YAML::EndMap;
  MPSIM_CHECK(e.good(), std::string("YAML emitter failed: ") + e.GetLastError());
  return std::string(e.c_str()) + "\n";
}

}  // namespace mpsim::sim
