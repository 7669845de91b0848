// DESCRIPTION: Quantization recipe parsing, validation and application to traces.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/workload/recipe.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "mpsim/base/error.h"

namespace mpsim::workload {
namespace {

struct Ctx {
  std::string source;
  std::vector<Diagnostic> diags;
  void error(const YAML::Node& n, std::string field, std::string msg) {
    const auto m = n.Mark();
    std::string where = source;
    if (!m.is_null()) where += fmt::format(":{}:{}", m.line + 1, m.column + 1);
    diags.push_back({where, std::move(field), std::move(msg)});
  }
};

const std::vector<std::string> kFormatKeys = {"weights", "activations", "kv_cache",
                                              "probs",   "output",      "accumulator"};

void check_keys(Ctx& c, const YAML::Node& map, const std::string& path,
                const std::vector<std::string>& allowed) {
  for (const auto& kv : map) {
    const std::string key = kv.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string msg = "unknown key";
    const std::string best = closest_match(key, allowed);
    if (!best.empty()) msg += fmt::format(" (did you mean '{}'?)", best);
    c.error(kv.first, path.empty() ? key : path + "." + key, msg);
  }
}

std::optional<num::FormatSpec> parse_format(Ctx& c, const YAML::Node& n, const std::string& field) {
  try {
    num::FormatSpec f;
    if (n.IsScalar()) {
      f = num::FormatSpec::parse(n.as<std::string>());
    } else if (n.IsMap()) {
      check_keys(c, n, field, {"name", "block", "group", "rounding", "overflow", "scale_rule"});
      if (!n["name"]) {
        c.error(n, field, "a format map needs 'name'");
        return std::nullopt;
      }
      std::string text = n["name"].as<std::string>();
      if (n["block"]) text += "/b" + n["block"].as<std::string>();
      if (n["group"]) text += "/g" + n["group"].as<std::string>();
      if (n["rounding"]) text += "/" + n["rounding"].as<std::string>();
      if (n["overflow"]) text += "/" + n["overflow"].as<std::string>();
      if (n["scale_rule"]) text += "/scale_" + n["scale_rule"].as<std::string>();
      f = num::FormatSpec::parse(text);
    } else {
      c.error(n, field, "expected a format name (e.g. int4_g128, mxfp4/b32) or a map");
      return std::nullopt;
    }
    f.make_quantizer();  // validates the name and options
    return f;
  } catch (const ConfigError& e) {
    for (const auto& d : e.diagnostics()) c.error(n, field, d.message);
  } catch (const YAML::Exception& e) {
    c.error(n, field, e.msg);
  }
  return std::nullopt;
}

RecipeFormats parse_formats(Ctx& c, const YAML::Node& map, const std::string& path) {
  RecipeFormats f;
  std::optional<num::FormatSpec>* slots[] = {&f.weights, &f.activations, &f.kv_cache,
                                             &f.probs,   &f.output,      &f.accumulator};
  for (std::size_t i = 0; i < kFormatKeys.size(); ++i)
    if (map[kFormatKeys[i]])
      *slots[i] = parse_format(c, map[kFormatKeys[i]], path + "." + kFormatKeys[i]);
  return f;
}

template <typename T>
std::optional<T> scalar(Ctx& c, const YAML::Node& n, const std::string& field, const char* what) {
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    c.error(n, field, fmt::format("expected {}", what));
    return std::nullopt;
  }
}

}  // namespace

bool glob_match(std::string_view p, std::string_view t) {
  std::size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == t[ti])) {
      ++pi;
      ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

Recipe parse_recipe_yaml(std::string_view text, std::string_view source) {
  Ctx c{std::string(source), {}};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    throw ConfigError(
        Diagnostic{fmt::format("{}:{}:{}", source, e.mark.line + 1, e.mark.column + 1), "",
                   "YAML syntax error: " + e.msg});
  }
  Recipe r;
  if (!root.IsMap()) {
    c.error(root, "", "a recipe is a YAML map (format_version, name, defaults, rules, ...)");
    throw ConfigError(std::move(c.diags));
  }
  check_keys(c, root, "",
             {"format_version", "name", "defaults", "rules", "kv_reorder", "outlier_blocks"});
  if (root["format_version"]) {
    const auto v = scalar<int>(c, root["format_version"], "format_version", "an integer");
    if (v && *v != 1)
      c.error(root["format_version"], "format_version",
              fmt::format("unsupported version {} (this mpsim reads 1)", *v));
  }
  if (root["name"]) r.name = root["name"].as<std::string>();
  if (const auto d = root["defaults"]) {
    if (!d.IsMap()) {
      c.error(d, "defaults", "expected a map of formats");
    } else {
      check_keys(c, d, "defaults", kFormatKeys);
      r.defaults = parse_formats(c, d, "defaults");
    }
  }
  if (const auto rules = root["rules"]) {
    if (!rules.IsSequence()) c.error(rules, "rules", "expected a list of rules");
    for (std::size_t i = 0; rules.IsSequence() && i < rules.size(); ++i) {
      const YAML::Node n = rules[i];
      const std::string path = fmt::format("rules[{}]", i);
      if (!n.IsMap()) {
        c.error(n, path, "expected a map");
        continue;
      }
      std::vector<std::string> keys = {"match", "group", "kind", "layers"};
      keys.insert(keys.end(), kFormatKeys.begin(), kFormatKeys.end());
      check_keys(c, n, path, keys);
      RecipeRule rule;
      if (n["match"]) rule.match = n["match"].as<std::string>();
      if (n["group"]) rule.group = n["group"].as<std::string>();
      if (n["kind"]) {
        rule.kind = n["kind"].as<std::string>();
        if (!parse_op_kind(rule.kind))
          c.error(n["kind"], path + ".kind", fmt::format("unknown op kind '{}'", rule.kind));
      }
      if (const auto l = n["layers"]) {
        const YAML::Node list = l.IsSequence() ? l : YAML::Node(YAML::NodeType::Sequence);
        if (!l.IsSequence())
          c.error(l, path + ".layers",
                  "expected a list of layer indices (negative counts from the end)");
        for (std::size_t j = 0; j < list.size(); ++j)
          if (auto v = scalar<std::int64_t>(c, list[j], fmt::format("{}.layers[{}]", path, j),
                                            "an integer"))
            rule.layers.push_back(*v);
      }
      rule.formats = parse_formats(c, n, path);
      if (rule.formats == RecipeFormats{}) c.error(n, path, "the rule sets no format");
      r.rules.push_back(std::move(rule));
    }
  }
  if (root["kv_reorder"])
    r.kv_reorder =
        scalar<bool>(c, root["kv_reorder"], "kv_reorder", "true or false").value_or(false);
  if (const auto o = root["outlier_blocks"]) {
    if (!o.IsMap()) {
      c.error(o, "outlier_blocks", "expected a map {block, format, threshold}");
    } else {
      check_keys(c, o, "outlier_blocks", {"block", "format", "threshold"});
      r.outlier_blocks.enabled = true;
      if (o["block"]) {
        const auto b = scalar<std::int64_t>(c, o["block"], "outlier_blocks.block", "an integer");
        if (b && *b < 1)
          c.error(o["block"], "outlier_blocks.block", fmt::format("must be positive, got {}", *b));
        if (b) r.outlier_blocks.block = *b;
      }
      if (o["format"])
        if (auto f = parse_format(c, o["format"], "outlier_blocks.format"))
          r.outlier_blocks.format = *f;
      if (o["threshold"])
        r.outlier_blocks.threshold =
            scalar<double>(c, o["threshold"], "outlier_blocks.threshold", "a number").value_or(6.0);
    }
  }
  if (!c.diags.empty()) throw ConfigError(std::move(c.diags));
  return r;
}

Recipe load_recipe(const std::filesystem::path& path) {
  std::ifstream f(path);
  if (!f) throw ConfigError(Diagnostic{path.string(), "--recipe", "cannot open recipe file"});
  std::ostringstream ss;
  ss << f.rdbuf();
  return parse_recipe_yaml(ss.str(), path.string());
}

namespace {

bool is_kv_operand(const Op& op) { return op.kind == OpKind::kBatchedGemm; }
bool is_pv(const Op& op) { return op.kind == OpKind::kBatchedGemm && op.a_tensor == "probs"; }

void apply_formats(Op& op, const RecipeFormats& f) {
  const bool gemm = is_gemm_like(op.kind);
  if (f.activations && !is_pv(op)) op.a_format = *f.activations;
  if (f.probs && is_pv(op)) op.a_format = *f.probs;
  if (gemm && op.b_is_weight && f.weights) op.b_format = *f.weights;
  if (gemm && is_kv_operand(op) && f.kv_cache) op.b_format = *f.kv_cache;
  if (f.output) op.out_format = *f.output;
  if (f.accumulator && gemm) op.acc_format = *f.accumulator;
}

bool selects(const RecipeRule& r, const Op& op, std::int64_t layer) {
  if (!r.group.empty() && r.group != op.group) return false;
  if (!r.kind.empty() && r.kind != to_string(op.kind)) return false;
  if (!r.match.empty()) {
    std::string tensor = op.b_tensor;
    const auto pos = tensor.find("{L}");
    if (pos != std::string::npos) tensor.replace(pos, 3, std::to_string(layer));
    if (!glob_match(r.match, op.name) && !glob_match(r.match, tensor)) return false;
  }
  if (!r.layers.empty()) {
    bool any = false;
    for (std::int64_t l : r.layers) any |= (l < 0 ? op.repeat + l : l) == layer;
    if (!any) return false;
  }
  return true;
}

Op formatted(const Op& base, const Recipe& r, std::int64_t layer) {
  Op op = base;
  apply_formats(op, r.defaults);
  for (const auto& rule : r.rules)
    if (selects(rule, base, layer)) apply_formats(op, rule.formats);
  return op;
}

bool same_formats(const Op& a, const Op& b) {
  return a.a_format == b.a_format && a.b_format == b.b_format && a.out_format == b.out_format &&
         a.acc_format == b.acc_format;
}

}  // namespace

Trace apply_recipe(const Trace& trace, const Recipe& recipe) {
  Trace out = trace;
  out.ops.clear();
  for (const Op& op : trace.ops) {
    // Consecutive layers with equal formats form one segment.
    std::int64_t first = 0;
    Op seg = formatted(op, recipe, 0);
    for (std::int64_t l = 1; l <= op.repeat; ++l) {
      const bool end = l == op.repeat;
      Op next;
      if (!end) next = formatted(op, recipe, l);
      if (end || !same_formats(seg, next)) {
        seg.repeat = l - first;
        if (!(first == 0 && end)) seg.name = fmt::format("{}@{}-{}", op.name, first, l - 1);
        out.ops.push_back(seg);
        if (!end) {
          seg = next;
          first = l;
        }
      }
    }
  }
  return out;
}

}  // namespace mpsim::workload
