// DESCRIPTION: Trace YAML reader/writer with collect-everything validation (file:line:column from
// yaml-cpp marks), and SCALE-Sim GEMM topology CSV import/export.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/workload/trace_io.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "mpsim/base/error.h"

namespace mpsim::workload {
namespace {

const std::vector<std::string> kTopKeys = {"format_version", "model",    "phase",
                                           "batch",          "seq_len",  "kv_len",
                                           "parameters",     "defaults", "ops"};
const std::vector<std::string> kDefaultKeys = {"a_format", "b_format", "out_format", "acc_format",
                                               "phase"};
const std::vector<std::string> kOpKeys = {
    "name",       "kind",     "m",          "n",           "k",        "batch",    "b_shared",
    "a_tensor",   "b_tensor", "out_tensor", "b_is_weight", "a_format", "b_format", "out_format",
    "acc_format", "phase",    "seq_len",    "kv_len",      "repeat",   "group"};
const std::vector<std::string> kFormatKeys = {"name",     "block",    "group",
                                              "rounding", "overflow", "scale_rule"};

std::string quote_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string did_you_mean(std::string_view bad, const std::vector<std::string>& known) {
  const std::string best = closest_match(bad, known);
  return best.empty() ? std::string{} : fmt::format(" (did you mean '{}'?)", best);
}

/// Collects diagnostics for one YAML document; every check records and continues.
class YamlReader {
 public:
  explicit YamlReader(std::string_view source) : source_(source) {}

  std::string where(const YAML::Mark& m) const {
    if (m.is_null() || m.line < 0) return source_;
    return fmt::format("{}:{}:{}", source_, m.line + 1, m.column + 1);
  }
  void error(const YAML::Node& at, const std::string& field, std::string msg) {
    error(at.Mark(), field, std::move(msg));
  }
  void error(const YAML::Mark& at, const std::string& field, std::string msg) {
    diags_.push_back({where(at), field, std::move(msg)});
    marks_.emplace_back(at.line, at.column);
  }
  bool ok() const { return diags_.empty(); }
  /// Every diagnostic in file order (checks run key by key, not line by line).
  [[noreturn]] void fail() {
    std::vector<std::size_t> order(diags_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return marks_[a] < marks_[b]; });
    std::vector<Diagnostic> sorted;
    for (std::size_t i : order) sorted.push_back(std::move(diags_[i]));
    throw ConfigError(std::move(sorted));
  }

  /// Reports unknown and duplicate keys of `map`; returns false if `map` is not a map.
  bool check_map(const YAML::Node& map, const std::string& path,
                 const std::vector<std::string>& allowed) {
    if (!map.IsMap()) {
      error(map, path, "expected a map");
      return false;
    }
    std::map<std::string, YAML::Mark> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key = it->first;  // a copy: the iterator's pair is a temporary
      if (!key.IsScalar()) {
        error(key, path, "keys must be plain names");
        continue;
      }
      const std::string& name = key.Scalar();
      const std::string field = path.empty() ? name : path + "." + name;
      if (auto [pos, fresh] = seen.emplace(name, key.Mark()); !fresh) {
        error(key, field, fmt::format("duplicate key (first at line {})", pos->second.line + 1));
        continue;
      }
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
        error(key, field, "unknown key" + did_you_mean(name, allowed));
    }
    return true;
  }

  std::optional<std::int64_t> get_int(const YAML::Node& map, const std::string& key,
                                      const std::string& field, std::int64_t min) {
    const YAML::Node v = map[key];
    if (!v) return std::nullopt;
    if (!v.IsScalar()) {
      error(v, field, "expected an integer");
      return std::nullopt;
    }
    std::int64_t out = 0;
    const std::string& s = v.Scalar();
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc{} || end != s.data() + s.size()) {
      error(v, field, fmt::format("expected an integer, got '{}'", s));
      return std::nullopt;
    }
    if (out < min) {
      error(v, field, fmt::format("must be >= {}, got {}", min, out));
      return std::nullopt;
    }
    return out;
  }

  std::optional<std::string> get_string(const YAML::Node& map, const std::string& key,
                                        const std::string& field) {
    const YAML::Node v = map[key];
    if (!v) return std::nullopt;
    if (!v.IsScalar()) {
      error(v, field, "expected a string");
      return std::nullopt;
    }
    return v.Scalar();
  }

  std::optional<bool> get_bool(const YAML::Node& map, const std::string& key,
                               const std::string& field) {
    const YAML::Node v = map[key];
    if (!v) return std::nullopt;
    bool out = false;
    if (!v.IsScalar() || !YAML::convert<bool>::decode(v, out)) {
      error(v, field,
            fmt::format("expected true or false, got '{}'", v.IsScalar() ? v.Scalar() : "?"));
      return std::nullopt;
    }
    return out;
  }

  std::optional<Phase> get_phase(const YAML::Node& map, const std::string& field) {
    const auto s = get_string(map, "phase", field);
    if (!s) return std::nullopt;
    if (auto p = parse_phase(*s)) return p;
    error(map["phase"], field,
          fmt::format("unknown phase '{}'{} (known: {})", *s, did_you_mean(*s, phase_names()),
                      quote_list(phase_names())));
    return std::nullopt;
  }

  /// A format as text ("mxfp4/b32") or as a map ({name: mxfp4, block: 32, rounding: rne}).
  std::optional<num::FormatSpec> get_format(const YAML::Node& map, const std::string& key,
                                            const std::string& field) {
    const YAML::Node v = map[key];
    if (!v) return std::nullopt;
    num::FormatSpec spec;
    const std::size_t before = diags_.size();  // to tell whether the map form was clean
    if (v.IsScalar()) {
      try {
        spec = num::FormatSpec::parse(v.Scalar());
      } catch (const ConfigError& e) {
        for (const auto& d : e.diagnostics()) error(v, field, d.message);
        return std::nullopt;
      }
    } else if (v.IsMap()) {
      check_map(v, field, kFormatKeys);
      const auto name = get_string(v, "name", field + ".name");
      if (!name && !v["name"]) error(v, field + ".name", "missing required key");
      if (name) spec.name = *name;
      if (auto b = get_int(v, "block", field + ".block", 1))
        spec.options.block = static_cast<int>(*b);
      if (auto g = get_int(v, "group", field + ".group", 1))
        spec.options.group = static_cast<int>(*g);
      if (auto r = get_string(v, "rounding", field + ".rounding")) {
        spec.options.rounding = num::parse_rounding(*r);
        if (!spec.options.rounding)
          error(v["rounding"], field + ".rounding", fmt::format("unknown rounding '{}'", *r));
      }
      if (auto o = get_string(v, "overflow", field + ".overflow")) {
        spec.options.overflow = num::parse_overflow(*o);
        if (!spec.options.overflow)
          error(v["overflow"], field + ".overflow", fmt::format("unknown overflow mode '{}'", *o));
      }
      if (auto s = get_string(v, "scale_rule", field + ".scale_rule")) {
        spec.options.scale_rule = num::parse_scale_rule(*s);
        if (!spec.options.scale_rule)
          error(v["scale_rule"], field + ".scale_rule", fmt::format("unknown scale rule '{}'", *s));
      }
      if (diags_.size() != before) return std::nullopt;
    } else {
      error(v, field, "expected a format name (\"mxfp4/b32\") or a map {name: ..., block: ...}");
      return std::nullopt;
    }
    // Traces repeat a handful of formats over many ops; validate each distinct one once.
    const std::string text = spec.str();
    auto it = format_checks_.find(text);
    if (it == format_checks_.end()) {
      std::vector<std::string> problems;
      try {
        validate_format(spec);
      } catch (const ConfigError& e) {
        for (const auto& d : e.diagnostics()) problems.push_back(d.message);
      }
      it = format_checks_.emplace(text, std::move(problems)).first;
    }
    for (const auto& msg : it->second) error(v, field, msg);
    if (!it->second.empty()) return std::nullopt;
    return spec;
  }

 private:
  std::string source_;
  std::vector<Diagnostic> diags_;
  std::vector<std::pair<int, int>> marks_;  // (line, column) of each diagnostic
  std::map<std::string, std::vector<std::string>> format_checks_;
};

struct Defaults {
  num::FormatSpec a, b, out, acc;
  Phase phase = Phase::kNone;
};

void parse_op(YamlReader& r, const YAML::Node& node, const std::string& path, const Defaults& d,
              Op& op) {
  op.a_format = d.a;
  op.b_format = d.b;
  op.out_format = d.out;
  op.acc_format = d.acc;
  op.phase = d.phase;
  if (!r.check_map(node, path, kOpKeys)) return;
  auto field = [&](const char* key) { return path + "." + key; };
  auto require = [&](const char* key) {
    if (!node[key]) r.error(node, field(key), "missing required key");
  };
  require("name");
  require("kind");
  if (auto s = r.get_string(node, "name", field("name"))) {
    op.name = *s;
    if (s->empty()) r.error(node["name"], field("name"), "must not be empty");
  }
  bool gemm = true, kind_known = false;  // an unknown kind must not cascade into a missing k
  if (auto s = r.get_string(node, "kind", field("kind"))) {
    if (auto k = parse_op_kind(*s)) {
      op.kind = *k;
      gemm = is_gemm_like(*k);
      kind_known = true;
    } else {
      r.error(node["kind"], field("kind"),
              fmt::format("unknown op kind '{}'{} (known: {})", *s,
                          did_you_mean(*s, op_kind_names()), quote_list(op_kind_names())));
    }
  }
  require("m");
  require("n");
  if (gemm && kind_known) require("k");
  if (auto v = r.get_int(node, "m", field("m"), 1)) op.m = *v;
  if (auto v = r.get_int(node, "n", field("n"), 1)) op.n = *v;
  if (!gemm) {
    // A silently ignored k or b_shared on a softmax would hide a mislabelled GEMM.
    for (const char* key : {"k", "b_shared"})
      if (node[key])
        r.error(node[key], field(key),
                fmt::format("only gemm and batched_gemm ops take '{}' (kind is {})", key,
                            to_string(op.kind)));
  } else {
    if (auto v = r.get_int(node, "k", field("k"), 1)) op.k = *v;
    if (auto v = r.get_int(node, "b_shared", field("b_shared"), 1)) op.b_shared = *v;
  }
  if (auto v = r.get_int(node, "batch", field("batch"), 1)) op.batch = *v;
  if (auto v = r.get_int(node, "repeat", field("repeat"), 1)) op.repeat = *v;
  if (auto v = r.get_int(node, "seq_len", field("seq_len"), 0)) op.seq_len = *v;
  if (auto v = r.get_int(node, "kv_len", field("kv_len"), 0)) op.kv_len = *v;
  if (gemm && op.batch % op.b_shared != 0)
    r.error(node["b_shared"], field("b_shared"),
            fmt::format("must divide batch ({}), got {}", op.batch, op.b_shared));
  if (auto s = r.get_string(node, "a_tensor", field("a_tensor"))) op.a_tensor = *s;
  if (auto s = r.get_string(node, "b_tensor", field("b_tensor"))) op.b_tensor = *s;
  if (auto s = r.get_string(node, "out_tensor", field("out_tensor"))) op.out_tensor = *s;
  if (auto s = r.get_string(node, "group", field("group"))) op.group = *s;
  if (auto b = r.get_bool(node, "b_is_weight", field("b_is_weight"))) op.b_is_weight = *b;
  if (auto f = r.get_format(node, "a_format", field("a_format"))) op.a_format = *f;
  if (auto f = r.get_format(node, "b_format", field("b_format"))) op.b_format = *f;
  if (auto f = r.get_format(node, "out_format", field("out_format"))) op.out_format = *f;
  if (auto f = r.get_format(node, "acc_format", field("acc_format"))) op.acc_format = *f;
  if (auto p = r.get_phase(node, field("phase"))) op.phase = *p;
}

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct CsvField {
  std::string text;
  std::size_t column;  // 1-based column of the field's first non-space character
};

std::vector<CsvField> split_csv_line(std::string_view line) {
  std::vector<CsvField> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    const std::string_view raw = line.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    std::size_t lead = 0;
    while (lead < raw.size() && std::isspace(static_cast<unsigned char>(raw[lead]))) ++lead;
    out.push_back({trim(raw), start + lead + 1});
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  // SCALE-Sim ends every line with a comma; the empty last field is not a column.
  while (!out.empty() && out.back().text.empty()) out.pop_back();
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw ConfigError(
        Diagnostic{path.string(), "", fmt::format("cannot open trace: {}", std::strerror(errno))});
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <typename T>
T most_common(const std::vector<Op>& ops, T Op::*member, T fallback) {
  std::vector<std::pair<T, int>> counts;
  for (const auto& op : ops) {
    auto it = std::find_if(counts.begin(), counts.end(),
                           [&](const auto& c) { return c.first == op.*member; });
    if (it == counts.end())
      counts.emplace_back(op.*member, 1);
    else
      ++it->second;
  }
  if (counts.empty()) return fallback;
  return std::max_element(counts.begin(), counts.end(),
                          [](const auto& a, const auto& b) { return a.second < b.second; })
      ->first;
}

}  // namespace

Trace parse_trace_yaml(std::string_view text, std::string_view source_name) {
  YamlReader r(source_name);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    r.error(e.mark, "", fmt::format("YAML syntax error: {}", e.msg));
    r.fail();
  }
  Trace t;
  if (!root || root.IsNull()) {
    r.error(root, "", "empty trace; expected a map with format_version and ops");
    r.fail();
  }
  if (!r.check_map(root, "", kTopKeys)) r.fail();

  if (!root["format_version"]) {
    r.error(root, "format_version", "missing required key (this mpsim writes 1)");
  } else if (auto v = r.get_int(root, "format_version", "format_version", 0)) {
    if (*v != 1)
      r.error(root["format_version"], "format_version",
              fmt::format("unsupported format_version {} (this mpsim reads 1)", *v));
  }
  if (auto s = r.get_string(root, "model", "model")) t.model = *s;
  if (auto p = r.get_phase(root, "phase")) t.phase = *p;
  if (auto v = r.get_int(root, "batch", "batch", 1)) t.batch = *v;
  if (auto v = r.get_int(root, "seq_len", "seq_len", 0)) t.seq_len = *v;
  if (auto v = r.get_int(root, "kv_len", "kv_len", 0)) t.kv_len = *v;
  if (auto v = r.get_int(root, "parameters", "parameters", 0)) t.parameters = *v;

  Defaults d;
  const Op blank;
  d.a = blank.a_format;
  d.b = blank.b_format;
  d.out = blank.out_format;
  d.acc = blank.acc_format;
  d.phase = t.phase;  // ops inherit the trace's phase unless defaults.phase says otherwise
  if (const YAML::Node dn = root["defaults"]) {
    if (r.check_map(dn, "defaults", kDefaultKeys)) {
      if (auto f = r.get_format(dn, "a_format", "defaults.a_format")) d.a = *f;
      if (auto f = r.get_format(dn, "b_format", "defaults.b_format")) d.b = *f;
      if (auto f = r.get_format(dn, "out_format", "defaults.out_format")) d.out = *f;
      if (auto f = r.get_format(dn, "acc_format", "defaults.acc_format")) d.acc = *f;
      if (auto p = r.get_phase(dn, "defaults.phase")) d.phase = *p;
    }
  }

  const YAML::Node ops = root["ops"];
  if (!ops) {
    r.error(root, "ops", "missing required key");
  } else if (!ops.IsSequence()) {
    r.error(ops, "ops", "expected a list of ops");
  } else {
    std::map<std::string, std::size_t> names;
    t.ops.resize(ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const std::string path = fmt::format("ops[{}]", i);
      parse_op(r, ops[i], path, d, t.ops[i]);
      const std::string& name = t.ops[i].name;
      if (name.empty()) continue;
      if (auto [it, fresh] = names.emplace(name, i); !fresh)
        r.error(ops[i]["name"], path + ".name",
                fmt::format("duplicate op name '{}' (first used by ops[{}])", name, it->second));
    }
  }
  if (!r.ok()) r.fail();
  return t;
}

std::string trace_to_yaml(const Trace& t) {
  const Op blank;
  Defaults d;
  d.a = most_common(t.ops, &Op::a_format, blank.a_format);
  d.b = most_common(t.ops, &Op::b_format, blank.b_format);
  d.out = most_common(t.ops, &Op::out_format, blank.out_format);
  d.acc = most_common(t.ops, &Op::acc_format, blank.acc_format);
  d.phase = most_common(t.ops, &Op::phase, t.phase);

  YAML::Emitter e;
  e << YAML::Comment("mpsim workload trace (schema: docs/trace-format.md)") << YAML::Newline;
  e << YAML::BeginMap;
  e << YAML::Key << "format_version" << YAML::Value << t.format_version;
  e << YAML::Key << "model" << YAML::Value << t.model;
  e << YAML::Key << "phase" << YAML::Value << std::string(to_string(t.phase));
  e << YAML::Key << "batch" << YAML::Value << t.batch;
  e << YAML::Key << "seq_len" << YAML::Value << t.seq_len;
  e << YAML::Key << "kv_len" << YAML::Value << t.kv_len;
  e << YAML::Key << "parameters" << YAML::Value << t.parameters;
  e << YAML::Key << "defaults" << YAML::Value << YAML::Flow << YAML::BeginMap;
  e << YAML::Key << "a_format" << YAML::Value << d.a.str();
  e << YAML::Key << "b_format" << YAML::Value << d.b.str();
  e << YAML::Key << "out_format" << YAML::Value << d.out.str();
  e << YAML::Key << "acc_format" << YAML::Value << d.acc.str();
  e << YAML::Key << "phase" << YAML::Value << std::string(to_string(d.phase));
  e << YAML::EndMap;
  e << YAML::Key << "ops" << YAML::Value << YAML::BeginSeq;
  for (const auto& op : t.ops) {
    e << YAML::Flow << YAML::BeginMap;
    e << YAML::Key << "name" << YAML::Value << op.name;
    e << YAML::Key << "kind" << YAML::Value << std::string(to_string(op.kind));
    e << YAML::Key << "m" << YAML::Value << op.m;
    e << YAML::Key << "n" << YAML::Value << op.n;
    const bool gemm = is_gemm_like(op.kind);
    if (gemm) e << YAML::Key << "k" << YAML::Value << op.k;
    if (op.batch != 1) e << YAML::Key << "batch" << YAML::Value << op.batch;
    if (gemm && op.b_shared != 1) e << YAML::Key << "b_shared" << YAML::Value << op.b_shared;
    auto str_field = [&](const char* key, const std::string& v) {
      if (!v.empty()) e << YAML::Key << key << YAML::Value << v;
    };
    str_field("a_tensor", op.a_tensor);
    str_field("b_tensor", op.b_tensor);
    str_field("out_tensor", op.out_tensor);
    if (op.b_is_weight) e << YAML::Key << "b_is_weight" << YAML::Value << true;
    auto fmt_field = [&](const char* key, const num::FormatSpec& v, const num::FormatSpec& def) {
      if (!(v == def)) e << YAML::Key << key << YAML::Value << v.str();
    };
    fmt_field("a_format", op.a_format, d.a);
    fmt_field("b_format", op.b_format, d.b);
    fmt_field("out_format", op.out_format, d.out);
    fmt_field("acc_format", op.acc_format, d.acc);
    if (op.phase != d.phase)
      e << YAML::Key << "phase" << YAML::Value << std::string(to_string(op.phase));
    if (op.seq_len != 0) e << YAML::Key << "seq_len" << YAML::Value << op.seq_len;
    if (op.kv_len != 0) e << YAML::Key << "kv_len" << YAML::Value << op.kv_len;
    if (op.repeat != 1) e << YAML::Key << "repeat" << YAML::Value << op.repeat;
    str_field("group", op.group);
    e << YAML::EndMap;
  }
  e << YAML::EndSeq << YAML::EndMap;
  MPSIM_CHECK(e.good(), std::string("YAML emitter failed: ") + e.GetLastError());
  return std::string(e.c_str()) + "\n";
}

Trace parse_scalesim_csv(std::string_view text, std::string_view source) {
  std::vector<Diagnostic> diags;
  auto where = [&](std::size_t line, std::size_t col) {
    return fmt::format("{}:{}:{}", source, line, col);
  };
  Trace t;
  bool header_seen = false;
  std::map<std::string, std::size_t> names;
  std::size_t line_no = 0, start = 0;
  while (start <= text.size()) {
    const std::size_t nl = text.find('\n', start);
    std::string_view line =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    start = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string trimmed = trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    const auto fields = split_csv_line(line);
    if (!header_seen) {
      header_seen = true;
      static const std::vector<std::string> kExpected = {"m", "n", "k"};
      const std::string first = fields.empty() ? "" : lower(fields[0].text);
      bool ok = fields.size() >= 4 && (first == "layer" || first == "layer name");
      for (std::size_t i = 0; ok && i < 3; ++i) ok = lower(fields[i + 1].text) == kExpected[i];
      if (!ok) {
        const bool conv = lower(trimmed).find("ifmap") != std::string::npos;
        diags.push_back(
            {where(line_no, 1), "header",
             conv ? std::string("SCALE-Sim convolution topologies are not supported; "
                                "convert the layers to GEMMs (Layer,M,N,K)")
                  : fmt::format("expected the header 'Layer,M,N,K', got '{}'", trimmed)});
        break;
      }
      continue;
    }
    if (fields.size() < 4) {
      diags.push_back({where(line_no, 1), "",
                       fmt::format("expected 4 fields (Layer,M,N,K), got {}", fields.size())});
      continue;
    }
    Op op;
    op.name = fields[0].text;
    bool ok = true;
    if (op.name.empty()) {
      diags.push_back({where(line_no, fields[0].column), "Layer", "empty layer name"});
      ok = false;
    }
    std::int64_t* dims[3] = {&op.m, &op.n, &op.k};
    static const char* kCols[3] = {"M", "N", "K"};
    for (int i = 0; i < 3; ++i) {
      const CsvField& f = fields[static_cast<std::size_t>(i) + 1];
      std::int64_t v = 0;
      const auto [end, ec] = std::from_chars(f.text.data(), f.text.data() + f.text.size(), v);
      if (ec != std::errc{} || end != f.text.data() + f.text.size() || v < 1) {
        diags.push_back({where(line_no, f.column), kCols[i],
                         fmt::format("expected a positive integer, got '{}'", f.text)});
        ok = false;
      } else {
        *dims[i] = v;
      }
    }
    if (!op.name.empty()) {
      if (auto [it, fresh] = names.emplace(op.name, line_no); !fresh) {
        diags.push_back(
            {where(line_no, fields[0].column), "Layer",
             fmt::format("duplicate layer name '{}' (first on line {})", op.name, it->second)});
        ok = false;
      }
    }
    if (ok) t.ops.push_back(std::move(op));
  }
  if (!header_seen) diags.push_back({std::string(source), "", "empty CSV; expected 'Layer,M,N,K'"});
  if (!diags.empty()) throw ConfigError(std::move(diags));
  return t;
}

std::string trace_to_scalesim_csv(const Trace& t) {
  std::string out = "Layer, M, N, K,\n";
  for (const auto& op : t.ops) {
    if (!is_gemm_like(op.kind)) continue;
    std::string name = op.name;
    std::replace(name.begin(), name.end(), ',', ';');  // a comma would split the row
    const std::int64_t groups = (op.batch + op.b_shared - 1) / op.b_shared;
    const std::int64_t m = op.m * std::min(op.b_shared, op.batch);
    for (std::int64_t r = 0; r < op.repeat; ++r) {
      for (std::int64_t g = 0; g < groups; ++g) {
        std::string row = name;
        if (op.repeat > 1) row += fmt::format(".r{}", r);
        if (groups > 1) row += fmt::format(".g{}", g);
        out += fmt::format("{}, {}, {}, {},\n", row, m, op.n, op.k);
      }
    }
  }
  return out;
}

Trace load_trace(const std::filesystem::path& path) {
  const std::string ext = lower(path.extension().string());
  if (ext != ".yaml" && ext != ".yml" && ext != ".csv")
    throw ConfigError(Diagnostic{
        path.string(), "",
        fmt::format("unknown trace extension '{}' (expected .yaml, .yml or .csv)", ext)});
  const std::string text = read_file(path);
  return ext == ".csv" ? parse_scalesim_csv(text, path.string())
                       : parse_trace_yaml(text, path.string());
}

void save_trace(const Trace& t, const std::filesystem::path& path) {
  const bool csv = lower(path.extension().string()) == ".csv";
  const std::string text = csv ? trace_to_scalesim_csv(t) : trace_to_yaml(t);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out << text;
  if (!out)
    throw ConfigError(
        Diagnostic{path.string(), "", fmt::format("cannot write trace: {}", std::strerror(errno))});
}

}  // namespace mpsim::workload
