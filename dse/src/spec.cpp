// DESCRIPTION: Study spec parsing and validation (every problem at once, with file:line:column and
// field), the search box it defines, and resolution of a point into an architecture and a recipe.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/dse/spec.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "mpsim/base/error.h"
#include "mpsim/workload/model_config.h"
#include "mpsim/workload/presets.h"

namespace mpsim::dse {
namespace {

/// Collects diagnostics positioned in the spec file.
class Problems {
 public:
  explicit Problems(std::string source) : source_(std::move(source)) {}
  void add(const YAML::Node& at, std::string field, std::string msg) {
    const YAML::Mark m = at.IsDefined() ? at.Mark() : YAML::Mark::null_mark();
    std::string where = source_;
    if (!m.is_null() && m.line >= 0)
      where = fmt::format("{}:{}:{}", source_, m.line + 1, m.column + 1);
    diags_.push_back({std::move(where), std::move(field), std::move(msg)});
  }
  bool empty() const { return diags_.empty(); }
  [[noreturn]] void fail() { throw ConfigError(std::move(diags_)); }

 private:
  std::string source_;
  std::vector<Diagnostic> diags_;
};

std::string did_you_mean(const std::string& name, const std::vector<std::string>& known) {
  const std::string best = closest_match(name, known);
  return best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best);
}

void check_keys(Problems& pr, const YAML::Node& map, const std::string& path,
                const std::vector<std::string>& known) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      pr.add(key, path, "keys must be plain names");
      continue;
    }
    if (std::find(known.begin(), known.end(), key.Scalar()) == known.end()) {
      pr.add(key, path.empty() ? key.Scalar() : path + "." + key.Scalar(),
             "unknown key" + did_you_mean(key.Scalar(), known));
    }
  }
}

template <class T>
std::optional<T> scalar(Problems& pr, const YAML::Node& n, const std::string& field,
                        const char* what) {
  if (!n.IsScalar()) {
    pr.add(n, field, fmt::format("expected {}", what));
    return std::nullopt;
  }
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    pr.add(n, field, fmt::format("expected {}, got '{}'", what, n.Scalar()));
    return std::nullopt;
  }
}

const std::vector<std::string> kFormatKeys{"weights", "activations", "kv_cache",
                                           "probs",   "output",      "accumulator"};

workload::RecipeFormats formats_of(Problems& pr, const YAML::Node& map, const std::string& path) {
  workload::RecipeFormats f;
  if (!map.IsMap()) {
    pr.add(map, path, "expected a map of formats (weights, activations, kv_cache, probs, ...)");
    return f;
  }
  check_keys(pr, map, path, kFormatKeys);
  auto one = [&](const char* key, std::optional<num::FormatSpec>& out) {
    const YAML::Node v = map[key];
    if (!v.IsDefined()) return;
    const std::string field = path + "." + key;
    if (!v.IsScalar()) {
      pr.add(v, field, "expected a format name such as mxfp4 or int4_g128");
      return;
    }
    try {
      num::FormatSpec spec = num::FormatSpec::parse(v.Scalar());
      (void)spec.make_quantizer();  // unknown names and bad options are errors here, not later
      out = spec;
    } catch (const ConfigError& e) {
      pr.add(v, field, e.diagnostics().front().message);
    }
  };
  one("weights", f.weights);
  one("activations", f.activations);
  one("kv_cache", f.kv_cache);
  one("probs", f.probs);
  one("output", f.output);
  one("accumulator", f.accumulator);
  return f;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p);
  if (!f) throw ConfigError(Diagnostic{p.string(), "", "cannot read the study spec"});
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

/// 64-bit FNV-1a, twice with different offsets: a 128-bit content key (not cryptographic; keys
/// only need to separate distinct configurations of one study).
std::string content_hash(std::string_view text) {
  std::uint64_t a = 0xcbf29ce484222325ull, b = 0x84222325cbf29ce4ull;
  for (unsigned char c : text) {
    a = (a ^ c) * 0x100000001b3ull;
    b = (b ^ c) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull;
  }
  return fmt::format("{:016x}{:016x}", a, b);
}

std::string formats_text(const workload::RecipeFormats& f) {
  std::string s;
  auto one = [&](const char* k, const std::optional<num::FormatSpec>& v) {
    if (v) s += fmt::format("{}={};", k, v->str());
  };
  one("w", f.weights);
  one("a", f.activations);
  one("kv", f.kv_cache);
  one("p", f.probs);
  one("o", f.output);
  one("acc", f.accumulator);
  return s;
}

std::string recipe_text(const workload::Recipe& r) {
  std::string s = "defaults:" + formats_text(r.defaults) + "\n";
  for (const auto& rule : r.rules) {
    s += fmt::format("rule match={} group={} kind={} layers={} {}\n", rule.match, rule.group,
                     rule.kind, fmt::join(rule.layers, ","), formats_text(rule.formats));
  }
  return s;
}

}  // namespace

std::string WorkloadSpec::label() const {
  return phase ? fmt::format("{}/{}", model, workload::to_string(*phase)) : model;
}

std::vector<std::string> StudySpec::knob_names() const {
  std::vector<std::string> out{"arch.pe.type"};
  for (const auto& k : knobs) out.push_back(k.path);
  for (const auto& g : groups) out.push_back("precision." + g.name);
  return out;
}

std::vector<std::uint32_t> StudySpec::cardinality() const {
  std::vector<std::uint32_t> out{static_cast<std::uint32_t>(families.size())};
  for (const auto& k : knobs) {
    std::size_t n = k.values.size();
    for (const auto& f : families) {
      if (auto it = f.knob_values.find(k.path); it != f.knob_values.end()) {
        n = std::max(n, it->second.size());
      }
    }
    out.push_back(static_cast<std::uint32_t>(n));
  }
  std::size_t most = 1;
  for (const auto& f : families) most = std::max(most, f.precisions.size());
  for (std::size_t i = 0; i < groups.size(); ++i) out.push_back(static_cast<std::uint32_t>(most));
  return out;
}

std::uint64_t StudySpec::size() const {
  std::uint64_t n = 1;
  for (auto c : cardinality()) {
    if (c != 0 && n > UINT64_MAX / c) return UINT64_MAX;
    n *= c;
  }
  return n;
}

std::string StudySpec::hash() const { return content_hash(text); }

StudySpec load_study(const std::filesystem::path& path) {
  return parse_study(read_file(path), path);
}

StudySpec parse_study(std::string_view text, const std::filesystem::path& source) {
  StudySpec s;
  s.source = source;
  s.text = std::string(text);
  Problems pr(source.string());
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    throw ConfigError(Diagnostic{
        fmt::format("{}:{}:{}", source.string(), e.mark.line + 1, e.mark.column + 1), "", e.msg});
  }
  if (!root.IsMap()) throw ConfigError(Diagnostic{source.string(), "", "expected a YAML map"});
  check_keys(pr, root, "",
             {"version", "name", "seed", "workloads", "families", "precisions", "layer_groups",
              "knobs", "objectives", "constraints", "accuracy", "search"});
  const auto base_dir = source.parent_path();

  if (const YAML::Node v = root["version"]; !v.IsDefined()) {
    pr.add(root, "version", "required key is missing (version: 1)");
  } else if (auto n = scalar<int>(pr, v, "version", "an integer"); n && *n != 1) {
    pr.add(v, "version", fmt::format("unsupported version {} (this mpsim reads version 1)", *n));
  }
  if (const YAML::Node v = root["name"]; v.IsDefined()) {
    if (auto n = scalar<std::string>(pr, v, "name", "a name")) s.name = *n;
  } else {
    s.name = source.stem().string();
  }
  if (const YAML::Node v = root["seed"]; v.IsDefined()) {
    if (auto n = scalar<std::uint64_t>(pr, v, "seed", "a non-negative integer")) s.seed = *n;
  }

  // Workloads.
  const YAML::Node wl = root["workloads"];
  if (!wl.IsDefined() || !wl.IsSequence() || wl.size() == 0) {
    pr.add(wl.IsDefined() ? wl : root, "workloads",
           "expected a non-empty list of {model, phase, seq, batch, weight}");
  } else {
    const auto presets = workload::preset_names();
    for (std::size_t i = 0; i < wl.size(); ++i) {
      const YAML::Node w = wl[i];
      const std::string path = fmt::format("workloads[{}]", i);
      if (!w.IsMap()) {
        pr.add(w, path, "expected a map {model, phase, seq, batch, weight}");
        continue;
      }
      check_keys(pr, w, path, {"model", "phase", "seq", "batch", "weight"});
      WorkloadSpec ws;
      if (auto m = w["model"]; !m.IsDefined()) {
        pr.add(w, path + ".model", "required key is missing");
      } else if (auto name = scalar<std::string>(pr, m, path + ".model", "a preset name")) {
        if (std::find(presets.begin(), presets.end(), *name) == presets.end()) {
          pr.add(m, path + ".model",
                 fmt::format("unknown model preset '{}'{}", *name, did_you_mean(*name, presets)));
        }
        ws.model = *name;
      }
      if (auto ph = w["phase"]; ph.IsDefined()) {
        if (auto t = scalar<std::string>(pr, ph, path + ".phase", "prefill or decode")) {
          ws.phase = workload::parse_phase(*t);
          if (!ws.phase) {
            pr.add(ph, path + ".phase",
                   fmt::format("unknown phase '{}' (known: {})", *t,
                               fmt::join(workload::phase_names(), ", ")));
          }
        }
      }
      if (auto n = w["seq"]; n.IsDefined()) {
        if (auto v = scalar<std::int64_t>(pr, n, path + ".seq", "an integer")) {
          if (*v < 0) pr.add(n, path + ".seq", "must be >= 0");
          ws.seq = *v;
        }
      }
      if (auto n = w["batch"]; n.IsDefined()) {
        if (auto v = scalar<std::int64_t>(pr, n, path + ".batch", "an integer")) {
          if (*v < 1) pr.add(n, path + ".batch", "must be >= 1");
          ws.batch = *v;
        }
      }
      if (auto n = w["weight"]; n.IsDefined()) {
        if (auto v = scalar<double>(pr, n, path + ".weight", "a number")) {
          if (!(*v > 0)) pr.add(n, path + ".weight", "must be > 0");
          ws.weight = *v;
        }
      }
      s.workloads.push_back(ws);
    }
  }

  // Precisions.
  const YAML::Node pn = root["precisions"];
  std::vector<std::string> precision_names;
  if (!pn.IsDefined() || !pn.IsMap() || pn.size() == 0) {
    pr.add(pn.IsDefined() ? pn : root, "precisions",
           "expected a map of named formats, e.g. w4a8: {weights: int4_g128, activations: int8}");
  } else {
    for (auto it = pn.begin(); it != pn.end(); ++it) {
      const std::string name = it->first.Scalar();
      s.precisions.push_back({name, formats_of(pr, it->second, "precisions." + name)});
      precision_names.push_back(name);
    }
  }

  // Families.
  const YAML::Node fm = root["families"];
  std::vector<YAML::Node> family_nodes;
  if (!fm.IsDefined() || !fm.IsMap() || fm.size() == 0) {
    pr.add(fm.IsDefined() ? fm : root, "families",
           "expected a map of PE families, e.g. int8_mac: {arch: ..., precisions: [w8a8]}");
  } else {
    const auto pe_names = sim::builtin_pe_types().names();
    for (auto it = fm.begin(); it != fm.end(); ++it) {
      const std::string name = it->first.Scalar();
      const std::string path = "families." + name;
      FamilySpec f;
      f.pe_type = name;
      if (!sim::builtin_pe_types().contains(name)) {
        pr.add(it->first, path,
               fmt::format("unknown PE family '{}'{} (known: {})", name,
                           did_you_mean(name, pe_names), fmt::join(pe_names, ", ")));
      }
      const YAML::Node m = it->second;
      if (!m.IsMap()) {
        pr.add(m, path, "expected a map {arch, precisions, defaults}");
        continue;
      }
      check_keys(pr, m, path, {"arch", "precisions", "defaults", "knobs"});
      if (auto a = m["arch"]; !a.IsDefined()) {
        pr.add(m, path + ".arch", "required key is missing (the family's base architecture)");
      } else if (auto t = scalar<std::string>(pr, a, path + ".arch", "a file path")) {
        f.arch =
            std::filesystem::path(*t).is_absolute() ? std::filesystem::path(*t) : base_dir / *t;
        try {
          const sim::ArchSpec base = sim::load_arch(f.arch);
          if (base.pe_type != name && sim::builtin_pe_types().contains(name)) {
            pr.add(a, path + ".arch",
                   fmt::format("{} describes a {} array, not {}", f.arch.string(), base.pe_type,
                               name));
          }
        } catch (const ConfigError& e) {
          for (const auto& d : e.diagnostics()) pr.add(a, path + ".arch", d.str());
        }
      }
      if (auto p = m["precisions"]; !p.IsDefined() || !p.IsSequence() || p.size() == 0) {
        pr.add(p.IsDefined() ? p : m, path + ".precisions",
               "expected a non-empty list of precision names");
      } else {
        for (std::size_t i = 0; i < p.size(); ++i) {
          auto t = scalar<std::string>(pr, p[i], fmt::format("{}.precisions[{}]", path, i),
                                       "a precision name");
          if (!t) continue;
          if (!precision_names.empty() && std::find(precision_names.begin(), precision_names.end(),
                                                    *t) == precision_names.end()) {
            pr.add(p[i], fmt::format("{}.precisions[{}]", path, i),
                   fmt::format("no precision '{}' in precisions{}", *t,
                               did_you_mean(*t, precision_names)));
          }
          f.precisions.push_back(*t);
        }
      }
      if (auto d = m["defaults"]; d.IsDefined()) f.defaults = formats_of(pr, d, path + ".defaults");
      if (auto k = m["knobs"]; k.IsDefined()) {
        if (!k.IsMap()) {
          pr.add(k, path + ".knobs", "expected a map of knob paths to this family's values");
        } else {
          for (auto kt = k.begin(); kt != k.end(); ++kt) {
            const std::string kp = kt->first.Scalar();
            const YAML::Node vals = kt->second;
            if (!vals.IsSequence() || vals.size() == 0) {
              pr.add(vals, path + ".knobs." + kp, "expected a non-empty list of values");
              continue;
            }
            auto& list = f.knob_values[kp];
            for (std::size_t i = 0; i < vals.size(); ++i) {
              const std::string field = fmt::format("{}.knobs.{}[{}]", path, kp, i);
              auto t = scalar<std::string>(pr, vals[i], field, "a value");
              if (!t) continue;
              if (!f.arch.empty()) {
                try {
                  (void)sim::load_arch(f.arch, {sim::Override{kp, *t}});
                } catch (const ConfigError& e) {
                  pr.add(vals[i], field, e.diagnostics().front().message);
                }
              }
              list.push_back(*t);
            }
          }
        }
      }
      family_nodes.push_back(m);
      s.families.push_back(std::move(f));
    }
  }

  // Layer groups.
  if (const YAML::Node lg = root["layer_groups"]; lg.IsDefined()) {
    if (!lg.IsMap()) {
      pr.add(lg, "layer_groups", "expected a map of group selectors, e.g. attn: {group: attn}");
    } else {
      for (auto it = lg.begin(); it != lg.end(); ++it) {
        const std::string name = it->first.Scalar();
        const std::string path = "layer_groups." + name;
        const YAML::Node m = it->second;
        LayerGroupSpec g;
        g.name = name;
        if (!m.IsMap() || m.size() == 0) {
          pr.add(m, path, "expected a selector map {group, match, kind, layers}");
          continue;
        }
        check_keys(pr, m, path, {"group", "match", "kind", "layers"});
        if (auto v = m["group"]; v.IsDefined()) {
          if (auto t = scalar<std::string>(pr, v, path + ".group", "a group name"))
            g.selector.group = *t;
        }
        if (auto v = m["match"]; v.IsDefined()) {
          if (auto t = scalar<std::string>(pr, v, path + ".match", "a glob")) g.selector.match = *t;
        }
        if (auto v = m["kind"]; v.IsDefined()) {
          if (auto t = scalar<std::string>(pr, v, path + ".kind", "an op kind"))
            g.selector.kind = *t;
        }
        if (auto v = m["layers"]; v.IsDefined()) {
          if (!v.IsSequence()) {
            pr.add(v, path + ".layers",
                   "expected a list of layer indices (negative: from the end)");
          } else {
            for (std::size_t i = 0; i < v.size(); ++i) {
              if (auto n = scalar<std::int64_t>(pr, v[i], path + ".layers", "an integer")) {
                g.selector.layers.push_back(*n);
              }
            }
          }
        }
        s.groups.push_back(std::move(g));
      }
    }
  }

  // Architecture knobs: every value must give a valid architecture for every family.
  if (const YAML::Node kn = root["knobs"]; kn.IsDefined()) {
    if (!kn.IsMap()) {
      pr.add(kn, "knobs", "expected a map of architecture paths to value lists");
    } else {
      for (auto it = kn.begin(); it != kn.end(); ++it) {
        const std::string kpath = it->first.Scalar();
        const std::string path = "knobs." + kpath;
        ArchKnobSpec k;
        k.path = kpath;
        if (kpath == "arch.pe.type") {
          pr.add(it->first, path, "the PE family is chosen by `families`, not a knob");
          continue;
        }
        if (!kpath.starts_with("arch.")) {
          pr.add(it->first, path,
                 "architecture knobs are paths under arch. (e.g. arch.array.rows)");
          continue;
        }
        const YAML::Node vals = it->second;
        if (!vals.IsSequence() || vals.size() == 0) {
          pr.add(vals, path, "expected a non-empty list of values");
          continue;
        }
        for (std::size_t i = 0; i < vals.size(); ++i) {
          auto t = scalar<std::string>(pr, vals[i], fmt::format("{}[{}]", path, i), "a value");
          if (!t) continue;
          for (const auto& f : s.families) {
            if (f.arch.empty() || f.knob_values.count(kpath)) continue;
            try {
              (void)sim::load_arch(f.arch, {sim::Override{kpath, *t}});
            } catch (const ConfigError& e) {
              pr.add(vals[i], fmt::format("{}[{}]", path, i),
                     fmt::format("invalid for family {}: {}", f.pe_type,
                                 e.diagnostics().front().message));
            }
          }
          k.values.push_back(*t);
        }
        s.knobs.push_back(std::move(k));
      }
    }
  }

  for (std::size_t i = 0; i < s.families.size(); ++i) {
    for (const auto& [kp, vals] : s.families[i].knob_values) {
      const bool known = std::any_of(s.knobs.begin(), s.knobs.end(),
                                     [&](const ArchKnobSpec& k) { return k.path == kp; });
      if (!known) {
        pr.add(family_nodes[i]["knobs"],
               fmt::format("families.{}.knobs.{}", s.families[i].pe_type, kp),
               "not a knob of the study (list it under knobs: with the other families' values)");
      }
    }
  }

  // Objectives.
  if (const YAML::Node ob = root["objectives"]; ob.IsDefined()) {
    s.objectives.clear();
    const std::vector<std::string> known(std::begin(kObjectiveNames), std::end(kObjectiveNames));
    if (!ob.IsSequence() || ob.size() == 0) {
      pr.add(ob, "objectives", "expected a non-empty list (latency, energy, area, accuracy)");
    } else {
      for (std::size_t i = 0; i < ob.size(); ++i) {
        auto t = scalar<std::string>(pr, ob[i], fmt::format("objectives[{}]", i), "a name");
        if (!t) continue;
        if (std::find(known.begin(), known.end(), *t) == known.end()) {
          pr.add(ob[i], fmt::format("objectives[{}]", i),
                 fmt::format("unknown objective '{}'{} (known: latency, energy, area, accuracy)",
                             *t, did_you_mean(*t, known)));
        } else if (std::find(s.objectives.begin(), s.objectives.end(), *t) != s.objectives.end()) {
          pr.add(ob[i], fmt::format("objectives[{}]", i), fmt::format("'{}' listed twice", *t));
        } else {
          s.objectives.push_back(*t);
        }
      }
    }
  }

  // Constraints.
  if (const YAML::Node c = root["constraints"]; c.IsDefined()) {
    if (!c.IsMap()) {
      pr.add(c, "constraints", "expected a map");
    } else {
      check_keys(pr, c, "constraints",
                 {"area_mm2_max", "latency_s_max", "energy_j_max", "accuracy_sqnr_db_min"});
      auto one = [&](const char* key, std::optional<double>& out) {
        if (auto v = c[key]; v.IsDefined())
          out = scalar<double>(pr, v, std::string("constraints.") + key, "a number");
      };
      one("area_mm2_max", s.constraints.area_mm2_max);
      one("latency_s_max", s.constraints.latency_s_max);
      one("energy_j_max", s.constraints.energy_j_max);
      one("accuracy_sqnr_db_min", s.constraints.accuracy_sqnr_db_min);
    }
  }

  // Accuracy.
  if (const YAML::Node a = root["accuracy"]; a.IsDefined()) {
    if (!a.IsMap()) {
      pr.add(a, "accuracy", "expected a map {enabled, blocks, tokens}");
    } else {
      check_keys(pr, a, "accuracy", {"enabled", "blocks", "tokens"});
      if (auto v = a["enabled"]; v.IsDefined()) {
        if (auto b = scalar<bool>(pr, v, "accuracy.enabled", "true or false"))
          s.accuracy.enabled = *b;
      }
      if (auto v = a["blocks"]; v.IsDefined()) {
        if (auto n = scalar<int>(pr, v, "accuracy.blocks", "an integer")) {
          if (*n < 1 || *n > 64) pr.add(v, "accuracy.blocks", "must be in [1, 64]");
          s.accuracy.blocks = *n;
        }
      }
      if (auto v = a["tokens"]; v.IsDefined()) {
        if (auto n = scalar<std::int64_t>(pr, v, "accuracy.tokens", "an integer")) {
          if (*n < 1 || *n > 4096) pr.add(v, "accuracy.tokens", "must be in [1, 4096]");
          s.accuracy.tokens = *n;
        }
      }
    }
  }
  const bool wants_accuracy =
      std::find(s.objectives.begin(), s.objectives.end(), "accuracy") != s.objectives.end() ||
      s.constraints.accuracy_sqnr_db_min.has_value();
  if (wants_accuracy && !s.accuracy.enabled) {
    pr.add(root["accuracy"], "accuracy.enabled",
           "accuracy is an objective or a constraint but accuracy.enabled is false");
  }

  // Search.
  if (const YAML::Node se = root["search"]; se.IsDefined()) {
    if (!se.IsMap()) {
      pr.add(se, "search", "expected a map {strategy, budget, options}");
    } else {
      check_keys(pr, se, "search", {"strategy", "budget", "options"});
      if (auto v = se["strategy"]; v.IsDefined()) {
        if (auto t = scalar<std::string>(pr, v, "search.strategy", "a strategy name"))
          s.strategy = *t;
      }
      if (auto v = se["budget"]; v.IsDefined()) {
        if (auto n = scalar<std::uint64_t>(pr, v, "search.budget", "a non-negative integer"))
          s.budget = *n;
      }
      if (auto v = se["options"]; v.IsDefined()) {
        if (!v.IsMap()) {
          pr.add(v, "search.options", "expected a map of option names to values");
        } else {
          for (auto it = v.begin(); it != v.end(); ++it) {
            if (it->second.IsScalar()) {
              s.strategy_options[it->first.Scalar()] = it->second.Scalar();
            } else {
              pr.add(it->second, "search.options." + it->first.Scalar(), "expected a scalar");
            }
          }
        }
      }
    }
  }
  if (!pr.empty()) pr.fail();
  return s;
}

ResolvedPoint resolve(const StudySpec& s, const Point& p) {
  MPSIM_CHECK(p.size() == 1 + s.knobs.size() + s.groups.size(), "point has the wrong length");
  ResolvedPoint r;
  const FamilySpec& f = s.families.at(p[0]);
  r.family = f.pe_type;
  r.knobs["arch.pe.type"] = f.pe_type;
  std::vector<sim::Override> overrides;
  for (std::size_t i = 0; i < s.knobs.size(); ++i) {
    const auto own = f.knob_values.find(s.knobs[i].path);
    const std::vector<std::string>& vals =
        own != f.knob_values.end() ? own->second : s.knobs[i].values;
    const std::string& v = vals[p[1 + i] % vals.size()];
    overrides.push_back({s.knobs[i].path, v});
    r.knobs[s.knobs[i].path] = v;
  }
  r.arch = sim::load_arch(f.arch, overrides);
  r.recipe.name = "study";
  r.recipe.defaults = f.defaults;
  for (std::size_t g = 0; g < s.groups.size(); ++g) {
    const std::string& pname = f.precisions[p[1 + s.knobs.size() + g] % f.precisions.size()];
    r.knobs["precision." + s.groups[g].name] = pname;
    const auto it = std::find_if(s.precisions.begin(), s.precisions.end(),
                                 [&](const PrecisionSpec& ps) { return ps.name == pname; });
    MPSIM_CHECK(it != s.precisions.end(), "validated precision missing");
    workload::RecipeRule rule = s.groups[g].selector;
    rule.formats = it->formats;
    r.recipe.rules.push_back(rule);
  }
  // The key covers what the evaluation depends on: the resolved design, the recipe, and the
  // study's workloads / accuracy / constraint settings.
  std::string wl;
  for (const auto& w : s.workloads) {
    wl += fmt::format("{}|{}|{}|{}|{};", w.model, w.phase ? workload::to_string(*w.phase) : "-",
                      w.seq, w.batch, w.weight);
  }
  const auto& c = s.constraints;
  auto opt = [](const std::optional<double>& v) { return v ? fmt::format("{}", *v) : "-"; };
  r.key = content_hash(
      fmt::format("{}\n{}\n{}\naccuracy {} {} {}\nconstraints {} {} {} {}\nobjectives {}\n",
                  sim::to_yaml(r.arch), recipe_text(r.recipe), wl, s.accuracy.enabled,
                  s.accuracy.blocks, s.accuracy.tokens, opt(c.area_mm2_max), opt(c.latency_s_max),
                  opt(c.energy_j_max), opt(c.accuracy_sqnr_db_min), fmt::join(s.objectives, ",")));
  return r;
}

std::vector<workload::Trace> study_traces(const StudySpec& s) {
  std::vector<workload::Trace> out;
  for (const auto& w : s.workloads) {
    workload::ExpandOptions o;
    const workload::ModelConfig& m = workload::preset(w.model);
    if (w.phase) {
      o.phase = *w.phase;
    } else if (workload::is_decoder(m.family)) {
      o.phase = workload::Phase::kPrefill;
    }
    o.batch = w.batch;
    // As `mpsim workload show`: a 2048-token context unless the model's positions cap it.
    std::int64_t context = 2048;
    if (m.max_positions > 0) context = std::min(context, m.max_positions);
    o.seq_len = w.seq > 0 ? w.seq : (o.phase == workload::Phase::kDecode ? context - 1 : context);
    out.push_back(workload::expand(m, o));
  }
  return out;
}

}  // namespace mpsim::dse
