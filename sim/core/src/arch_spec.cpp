// DESCRIPTION: Architecture YAML: schema walk that collects every problem (file:line:column, field,
// "did you mean"), --set overrides applied to the tree before validation, and the resolved writer.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/core/arch_spec.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "mpsim/base/error.h"
#include "mpsim/cost/energy.h"

namespace mpsim::sim {

std::string_view to_string(SoftmaxAlgo a) {
  return a == SoftmaxAlgo::kThreePass ? "three_pass" : "two_pass";
}

namespace {

/// Collects diagnostics while walking one YAML document.
class Reader {
 public:
  Reader(std::string source, std::vector<std::string> cli_paths)
      : source_(std::move(source)), cli_(std::move(cli_paths)) {}

  std::string where(const YAML::Node& n, const std::string& field) const {
    if (std::find(cli_.begin(), cli_.end(), field) != cli_.end()) return "<cli>";
    const YAML::Mark m = n.Mark();
    if (m.is_null() || m.line < 0) return source_;
    return fmt::format("{}:{}:{}", source_, m.line + 1, m.column + 1);
  }
  void error(const YAML::Node& at, const std::string& field, std::string msg) {
    diags_.push_back(Diagnostic{where(at, field), field, std::move(msg)});
  }
  std::vector<Diagnostic>& diags() { return diags_; }

  /// Reports keys of `map` not in `known` (with the closest known key).
  void check_keys(const YAML::Node& map, const std::string& path,
                  const std::vector<std::string>& known) {
    if (!map.IsMap()) return;
    for (const auto& kv : map) {
      const auto key = kv.first.as<std::string>();
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      const std::string hint = closest_match(key, known);
      diags_.push_back(Diagnostic{
          where(kv.first, path + "." + key), path + "." + key,
          hint.empty() ? "unknown key" : fmt::format("unknown key (did you mean '{}'?)", hint)});
    }
  }

  /// A sub-map (or an empty node when absent); reports a non-map.
  YAML::Node map(const YAML::Node& parent, const std::string& key, const std::string& path,
                 bool required) {
    if (!parent.IsMap()) return YAML::Node();
    YAML::Node n = parent[key];
    if (!n) {
      if (required) error(parent, path, "required section is missing");
      return YAML::Node();
    }
    if (!n.IsMap()) {
      error(n, path, "expected a mapping");
      return YAML::Node();
    }
    return n;
  }

  template <class T>
  T number(const YAML::Node& parent, const std::string& key, const std::string& path, T def, T lo,
           T hi, bool required = false, bool open_lo = false) {
    if (!parent.IsMap()) return def;
    YAML::Node n = parent[key];
    if (!n) {
      if (required) error(parent, path, "required key is missing");
      return def;
    }
    T v{};
    try {
      if (!n.IsScalar()) throw YAML::BadConversion(n.Mark());
      v = n.as<T>();
    } catch (const YAML::Exception&) {
      error(n, path,
            fmt::format("expected {}, got '{}'", std::is_integral_v<T> ? "an integer" : "a number",
                        n.IsScalar() ? n.Scalar() : std::string("a non-scalar")));
      return def;
    }
    if ((open_lo ? v <= lo : v < lo) || v > hi) {
      error(n, path, fmt::format("must be in {}{}, {}], got {}", open_lo ? "(" : "[", lo, hi, v));
      return def;
    }
    return v;
  }

  bool boolean(const YAML::Node& parent, const std::string& key, const std::string& path,
               bool def) {
    if (!parent.IsMap() || !parent[key]) return def;
    YAML::Node n = parent[key];
    try {
      return n.as<bool>();
    } catch (const YAML::Exception&) {
      error(n, path,
            fmt::format("expected true or false, got '{}'", n.IsScalar() ? n.Scalar() : ""));
      return def;
    }
  }

  std::string choice(const YAML::Node& parent, const std::string& key, const std::string& path,
                     const std::string& def, const std::vector<std::string>& choices,
                     bool required = false) {
    if (!parent.IsMap() || !parent[key]) {
      if (required) error(parent, path, "required key is missing");
      return def;
    }
    YAML::Node n = parent[key];
    const std::string v = n.IsScalar() ? n.Scalar() : "";
    if (!choices.empty() && std::find(choices.begin(), choices.end(), v) == choices.end()) {
      const std::string hint = closest_match(v, choices);
      error(n, path,
            fmt::format("'{}' is not one of {}{}", v, fmt::join(choices, ", "),
                        hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
      return def;
    }
    return v;
  }

 private:
  std::string source_;
  std::vector<std::string> cli_;
  std::vector<Diagnostic> diags_;
};

BufferSpec parse_buffer(Reader& r, const YAML::Node& bufs, const std::string& name) {
  const std::string path = "arch.buffers." + name;
  YAML::Node b = r.map(bufs, name, path, true);
  BufferSpec s;
  if (!b) return s;
  r.check_keys(b, path, {"kib", "banks", "bytes_per_cycle", "double_buffered"});
  s.kib = r.number<double>(b, "kib", path + ".kib", 64.0, 0.0, double(1 << 20), true, true);
  s.banks = r.number<int>(b, "banks", path + ".banks", 1, 1, 1024);
  if (s.banks & (s.banks - 1)) {
    r.error(b["banks"], path + ".banks", fmt::format("must be a power of two, got {}", s.banks));
  }
  s.bytes_per_cycle = r.number<int>(b, "bytes_per_cycle", path + ".bytes_per_cycle", 64, 1, 65536);
  s.double_buffered = r.boolean(b, "double_buffered", path + ".double_buffered", true);
  return s;
}

void set_path(YAML::Node root, const std::vector<std::string>& parts, const std::string& value) {
  // yaml-cpp nodes are handles: walking by value and assigning writes into the tree.
  YAML::Node cur = root;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = cur[parts[i]];
    if (!next || !next.IsMap()) {
      cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = cur[parts[i]];
    }
    cur.reset(next);
  }
  cur[parts.back()] = YAML::Load(value);
}

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
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::ParserException& e) {
    throw ConfigError(
        Diagnostic{fmt::format("{}:{}:{}", source, e.mark.line + 1, e.mark.column + 1), "", e.msg});
  }
  std::vector<std::string> cli_paths;
  std::vector<Diagnostic> pre;
  if (!root || !root.IsMap()) {
    throw ConfigError(
        Diagnostic{std::string(source), "", "expected a mapping with 'version' and 'arch'"});
  }
  for (const auto& o : overrides) {
    std::vector<std::string> parts;
    std::stringstream ss(o.path);
    for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
    if (parts.empty() || (parts[0] != "arch" && parts[0] != "version") ||
        std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); })) {
      pre.push_back(Diagnostic{
          "<cli>", "--set",
          fmt::format("'{}' is not a field path under 'arch.' (e.g. arch.array.rows)", o.path)});
      continue;
    }
    try {
      set_path(root, parts, o.value);
      cli_paths.push_back(o.path);
    } catch (const YAML::Exception& e) {
      pre.push_back(Diagnostic{"<cli>", o.path, fmt::format("bad value '{}': {}", o.value, e.msg)});
    }
  }

  Reader r(std::string(source), cli_paths);
  r.diags() = pre;
  r.check_keys(root, "", {"version", "arch"});
  // Top-level keys have no parent path: strip the leading dot the generic check adds.
  for (auto& d : r.diags()) {
    if (!d.field.empty() && d.field[0] == '.') d.field.erase(0, 1);
  }
  const int version = r.number<int>(root, "version", "version", 1, 1, 1, true);
  (void)version;
  ArchSpec a;
  YAML::Node arch = r.map(root, "arch", "arch", true);
  if (arch) {
    r.check_keys(
        arch, "arch",
        {"name", "frequency_mhz", "tech_nm", "array", "pe", "buffers", "dram", "vector_unit"});
    if (!arch["name"] || !arch["name"].IsScalar() || arch["name"].Scalar().empty()) {
      r.error(arch["name"] ? arch["name"] : arch, "arch.name", "required: a non-empty name");
    } else {
      a.name = arch["name"].Scalar();
    }
    a.frequency_mhz =
        r.number<double>(arch, "frequency_mhz", "arch.frequency_mhz", 1000, 0, 10000, false, true);
    const auto& nodes = cost::Tech::supported_nodes();
    a.tech_nm = r.number<int>(arch, "tech_nm", "arch.tech_nm", 45, 1, 1000);
    if (std::find(nodes.begin(), nodes.end(), a.tech_nm) == nodes.end()) {
      r.error(arch["tech_nm"], "arch.tech_nm",
              fmt::format("unsupported technology node {} nm (supported: {})", a.tech_nm,
                          fmt::join(nodes, ", ")));
      a.tech_nm = 45;
    }
    YAML::Node arr = r.map(arch, "array", "arch.array", true);
    if (arr) {
      r.check_keys(arr, "arch.array", {"rows", "cols", "dataflow"});
      a.rows = r.number<int>(arr, "rows", "arch.array.rows", 1, 1, 4096, true);
      a.cols = r.number<int>(arr, "cols", "arch.array.cols", 1, 1, 4096, true);
      a.dataflow = r.choice(arr, "dataflow", "arch.array.dataflow", "weight_stationary",
                            {"weight_stationary", "output_stationary"}) == "output_stationary"
                       ? Dataflow::kOutputStationary
                       : Dataflow::kWeightStationary;
    }
    YAML::Node pe = r.map(arch, "pe", "arch.pe", true);
    if (pe) {
      const auto& reg = builtin_pe_types();
      if (!pe["type"]) {
        r.error(pe, "arch.pe.type", "required key is missing");
      } else if (!reg.contains(pe["type"].Scalar())) {
        const auto names = reg.names();
        const std::string t = pe["type"].Scalar(), hint = closest_match(t, names);
        r.error(pe["type"], "arch.pe.type",
                fmt::format("unknown PE type '{}'{} (known: {})", t,
                            hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint),
                            fmt::join(names, ", ")));
      } else {
        a.pe_type = pe["type"].Scalar();
        const auto& params = reg.params(a.pe_type);
        std::vector<std::string> keys{"type"};
        for (const auto& p : params) keys.push_back(p.key);
        r.check_keys(pe, "arch.pe", keys);
        for (const auto& p : params) {
          const std::string path = "arch.pe." + p.key;
          if (p.is_int) {
            a.pe_params.ints[p.key] =
                r.number<std::int64_t>(pe, p.key, path, p.def_int, p.min_int, p.max_int);
          } else {
            a.pe_params.strings[p.key] = r.choice(pe, p.key, path, p.def_string, p.choices);
          }
        }
      }
    }
    YAML::Node bufs = r.map(arch, "buffers", "arch.buffers", true);
    if (bufs) {
      r.check_keys(bufs, "arch.buffers", {"weight", "activation", "output"});
      a.weight_buf = parse_buffer(r, bufs, "weight");
      a.act_buf = parse_buffer(r, bufs, "activation");
      a.out_buf = parse_buffer(r, bufs, "output");
    }
    YAML::Node dram = r.map(arch, "dram", "arch.dram", false);
    if (dram) {
      r.check_keys(dram, "arch.dram",
                   {"bandwidth_gbps", "latency_ns", "jitter_cycles", "jitter_seed"});
      a.dram.bandwidth_gbps = r.number<double>(dram, "bandwidth_gbps", "arch.dram.bandwidth_gbps",
                                               64, 0, 100000, false, true);
      a.dram.latency_ns =
          r.number<double>(dram, "latency_ns", "arch.dram.latency_ns", 100, 0, 100000);
      a.dram.jitter_cycles =
          r.number<int>(dram, "jitter_cycles", "arch.dram.jitter_cycles", 0, 0, 1000000);
      a.dram.jitter_seed = r.number<std::uint64_t>(dram, "jitter_seed", "arch.dram.jitter_seed", 1,
                                                   0, ~std::uint64_t{0});
    }
    YAML::Node vec = r.map(arch, "vector_unit", "arch.vector_unit", false);
    if (vec) {
      r.check_keys(vec, "arch.vector_unit", {"lanes", "softmax"});
      a.vector.lanes = r.number<int>(vec, "lanes", "arch.vector_unit.lanes", 32, 1, 4096);
      a.vector.softmax = r.choice(vec, "softmax", "arch.vector_unit.softmax", "three_pass",
                                  {"three_pass", "two_pass"}) == "two_pass"
                             ? SoftmaxAlgo::kTwoPass
                             : SoftmaxAlgo::kThreePass;
    }
  }
  if (!r.diags().empty()) {
    auto d = std::move(r.diags());
    // File order: CLI first, then by line/column as the user reads the file.
    std::stable_sort(d.begin(), d.end(), [](const Diagnostic& x, const Diagnostic& y) {
      auto key = [](const Diagnostic& v) {
        int line = 0, col = 0;
        const auto c1 = v.where.find(':');
        if (c1 != std::string::npos) {
          std::sscanf(v.where.c_str() + c1 + 1, "%d:%d", &line, &col);
        }
        return std::pair{v.where == "<cli>" ? -1 : line, col};
      };
      return key(x) < key(y);
    });
    throw ConfigError(std::move(d));
  }
  a.pe = builtin_pe_types().create(a.pe_type, a.pe_params);
  return a;
}

ArchSpec load_arch(const std::filesystem::path& path, const std::vector<Override>& overrides) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ConfigError(Diagnostic{path.string(), "--arch", "cannot read the file"});
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_arch(ss.str(), path.string(), overrides);
}

std::string to_yaml(const ArchSpec& a) {
  YAML::Emitter e;
  e << YAML::BeginMap << YAML::Key << "version" << YAML::Value << 1;
  e << YAML::Key << "arch" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "name" << YAML::Value << a.name;
  e << YAML::Key << "frequency_mhz" << YAML::Value << a.frequency_mhz;
  e << YAML::Key << "tech_nm" << YAML::Value << a.tech_nm;
  e << YAML::Key << "array" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "rows"
    << YAML::Value << a.rows << YAML::Key << "cols" << YAML::Value << a.cols << YAML::Key
    << "dataflow" << YAML::Value << std::string(to_string(a.dataflow)) << YAML::EndMap;
  e << YAML::Key << "pe" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "type"
    << YAML::Value << a.pe_type;
  for (const auto& [k, v] : a.pe_params.ints) e << YAML::Key << k << YAML::Value << v;
  for (const auto& [k, v] : a.pe_params.strings) e << YAML::Key << k << YAML::Value << v;
  e << YAML::EndMap;
  e << YAML::Key << "buffers" << YAML::Value << YAML::BeginMap;
  for (const auto& [name, b] : {std::pair<const char*, const BufferSpec&>{"weight", a.weight_buf},
                                {"activation", a.act_buf},
                                {"output", a.out_buf}}) {
    e << YAML::Key << name << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "kib"
      << YAML::Value << b.kib << YAML::Key << "banks" << YAML::Value << b.banks << YAML::Key
      << "bytes_per_cycle" << YAML::Value << b.bytes_per_cycle << YAML::Key << "double_buffered"
      << YAML::Value << b.double_buffered << YAML::EndMap;
  }
  e << YAML::EndMap;
  e << YAML::Key << "dram" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
    << "bandwidth_gbps" << YAML::Value << a.dram.bandwidth_gbps << YAML::Key << "latency_ns"
    << YAML::Value << a.dram.latency_ns << YAML::Key << "jitter_cycles" << YAML::Value
    << a.dram.jitter_cycles << YAML::Key << "jitter_seed" << YAML::Value << a.dram.jitter_seed
    << YAML::EndMap;
  e << YAML::Key << "vector_unit" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
    << "lanes" << YAML::Value << a.vector.lanes << YAML::Key << "softmax" << YAML::Value
    << std::string(to_string(a.vector.softmax)) << YAML::EndMap;
  e << YAML::EndMap << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace mpsim::sim
