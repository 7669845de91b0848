// DESCRIPTION: `mpsim workload list|show`: preset table, workload loading (preset, trace file,
// config.json), op table, JSON and SCALE-Sim CSV output.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/app/workload_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <vector>

#include "mpsim/base/error.h"
#include "mpsim/workload/gguf_model.h"
#include "mpsim/workload/hf_config.h"
#include "mpsim/workload/model_config.h"
#include "mpsim/workload/presets.h"
#include "mpsim/workload/trace_io.h"

namespace mpsim::app {
namespace {

using workload::Trace;

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix.data(), suffix.size()) == 0;
}

// Bytes are element counts times fractional bits / 8: integral for most formats, not for all.
std::string bytes_text(double b) {
  if (b == std::floor(b) && std::fabs(b) < 9e15) return fmt::format("{}", std::int64_t(b));
  return fmt::format("{:.2f}", b);
}

nlohmann::json bytes_json(double b) {
  if (b == std::floor(b) && std::fabs(b) < 9e15) return std::int64_t(b);
  return b;
}

std::int64_t layers_of(const workload::ModelConfig& c) {
  if (c.family == workload::Family::kSwin)
    return std::accumulate(c.depths.begin(), c.depths.end(), std::int64_t{0});
  return c.layers;
}

// The default context when --seq is not given: 2048 tokens (prefill 2048 prompt tokens, decode
// 2047 cached + 1 new), capped to a learned position table.
std::int64_t default_seq(const workload::ModelConfig& c, workload::Phase p) {
  std::int64_t context = 2048;
  if (c.max_positions > 0) context = std::min(context, c.max_positions);
  return p == workload::Phase::kDecode ? context - 1 : context;
}

LoadedWorkload load_workload_impl(const WorkloadShowArgs& a) {
  std::vector<Diagnostic> diags;
  std::optional<workload::Phase> phase;
  if (a.phase) {
    phase = workload::parse_phase(*a.phase);
    if (!phase) {
      const std::string best = closest_match(*a.phase, workload::phase_names());
      diags.push_back({"", "--phase",
                       fmt::format("unknown phase '{}'{} (known: {})", *a.phase,
                                   best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best),
                                   fmt::join(workload::phase_names(), ", "))});
    }
  }
  if (a.batch && *a.batch < 1)
    diags.push_back({"", "--batch", fmt::format("must be >= 1, got {}", *a.batch)});
  if (a.seq && *a.seq < 0)
    diags.push_back({"", "--seq", fmt::format("must be >= 0, got {}", *a.seq)});

  const std::string& s = a.source;
  const bool is_trace = ends_with(s, ".yaml") || ends_with(s, ".yml") || ends_with(s, ".csv");
  const bool is_hf = ends_with(s, ".json");
  const bool is_gguf = ends_with(s, ".gguf");
  const bool is_file = is_trace || is_hf || is_gguf || std::filesystem::is_regular_file(s);
  if (is_file && !is_hf && !is_gguf) {
    // A trace is one fixed step: nothing is left to choose.
    auto reject = [&](bool given, const char* opt) {
      if (given)
        diags.push_back({s, opt,
                         "a trace file is already expanded; this option applies only to presets "
                         "and config.json"});
    };
    reject(a.phase.has_value(), "--phase");
    reject(a.batch.has_value(), "--batch");
    reject(a.seq.has_value(), "--seq");
    if (!diags.empty()) throw ConfigError(std::move(diags));
    return LoadedWorkload{workload::load_trace(s), std::nullopt};
  }
  if (!diags.empty()) throw ConfigError(std::move(diags));

  const workload::ModelConfig config =
      is_hf     ? workload::load_hf_config(s)
      : is_gguf ? workload::model_config_from_gguf(workload::GgufFile::open(s), s)
                : workload::preset(s);
  workload::ExpandOptions o;
  if (phase) {
    o.phase = *phase;
  } else if (workload::is_decoder(config.family)) {
    o.phase = workload::Phase::kPrefill;
  }
  o.batch = a.batch.value_or(1);
  o.seq_len = a.seq ? *a.seq : default_seq(config, o.phase);
  return LoadedWorkload{workload::expand(config, o), config};
}

}  // namespace

LoadedWorkload load_workload(const WorkloadShowArgs& a) { return load_workload_impl(a); }

WorkloadCommands add_workload_command(CLI::App& app, WorkloadShowArgs& a) {
  WorkloadCommands c;
  c.workload = app.add_subcommand("workload", "Model presets and workload traces");
  c.workload->require_subcommand(1);
  c.list = c.workload->add_subcommand("list", "List the model presets with their sizes");
  c.show = c.workload->add_subcommand(
      "show", "Print the op list of a preset, a trace (.yaml/.yml/.csv) or a HF config.json");
  c.show->add_option("source", a.source, "Preset name (see `mpsim workload list`) or file")
      ->required();
  c.show->add_option("--phase", a.phase,
                     "prefill | decode | none (default: prefill for LLMs, none for vision)");
  c.show->add_option("--batch", a.batch, "Sequences or images (default 1)");
  c.show->add_option("--seq", a.seq,
                     "Prefill: prompt tokens; decode: cached tokens (default: a 2048-token "
                     "context, capped at a learned position table); ignored by vision models");
  auto* json = c.show->add_flag("--json", a.json, "Print a JSON object");
  auto* csv = c.show->add_flag("--csv", a.csv, "Print the GEMMs as a SCALE-Sim topology CSV");
  json->excludes(csv);
  return c;
}

std::string human_count(std::int64_t n) {
  static constexpr const char* kSuffix[] = {"", "K", "M", "B", "T"};
  double v = static_cast<double>(n);
  int unit = 0;
  while (std::fabs(v) >= 999.5 && unit < 4) {
    v /= 1000;
    ++unit;
  }
  if (unit == 0) return fmt::format("{}", n);
  const double a = std::fabs(v);
  if (a < 9.995) return fmt::format("{:.2f}{}", v, kSuffix[unit]);
  if (a < 99.95) return fmt::format("{:.1f}{}", v, kSuffix[unit]);
  return fmt::format("{:.0f}{}", v, kSuffix[unit]);
}

std::string trace_json(const Trace& t) {
  nlohmann::ordered_json j;
  j["model"] = t.model;
  j["phase"] = std::string(workload::to_string(t.phase));
  j["batch"] = t.batch;
  j["seq_len"] = t.seq_len;
  j["kv_len"] = t.kv_len;
  j["parameters"] = t.parameters;
  j["total_macs"] = t.total_macs();
  auto ops = nlohmann::ordered_json::array();
  for (const auto& op : t.ops) {
    nlohmann::ordered_json o;
    o["name"] = op.name;
    o["kind"] = std::string(workload::to_string(op.kind));
    o["batch"] = op.batch;
    o["m"] = op.m;
    o["n"] = op.n;
    o["k"] = op.k;
    o["b_shared"] = op.b_shared;
    o["repeat"] = op.repeat;
    o["a_tensor"] = op.a_tensor;
    o["b_tensor"] = op.b_tensor;
    o["out_tensor"] = op.out_tensor;
    o["b_is_weight"] = op.b_is_weight;
    o["a_format"] = op.a_format.str();
    o["b_format"] = op.b_format.str();
    o["out_format"] = op.out_format.str();
    o["acc_format"] = op.acc_format.str();
    o["phase"] = std::string(workload::to_string(op.phase));
    o["seq_len"] = op.seq_len;
    o["kv_len"] = op.kv_len;
    o["group"] = op.group;
    o["macs"] = op.macs();
    o["bytes_a"] = bytes_json(op.operand_bytes('a'));
    o["bytes_b"] = bytes_json(op.operand_bytes('b'));
    o["bytes_out"] = bytes_json(op.operand_bytes('o'));
    ops.push_back(std::move(o));
  }
  j["ops"] = std::move(ops);
  return j.dump(2);
}

std::string trace_table(const Trace& t) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"name", "kind", "batch", "m", "n", "k", "b_shared", "repeat",
                  "formats a/b/out/acc", "MACs", "bytes a", "bytes b", "bytes out"});
  double ba = 0, bb = 0, bo = 0;
  for (const auto& op : t.ops) {
    const bool gemm = workload::is_gemm_like(op.kind);
    const double a = op.operand_bytes('a'), b = op.operand_bytes('b'), o = op.operand_bytes('o');
    ba += a;
    bb += b;
    bo += o;
    rows.push_back({op.name, std::string(workload::to_string(op.kind)), std::to_string(op.batch),
                    std::to_string(op.m), std::to_string(op.n), gemm ? std::to_string(op.k) : "-",
                    gemm ? std::to_string(op.b_shared) : "-", std::to_string(op.repeat),
                    fmt::format("{}/{}/{}/{}", op.a_format.str(), op.b_format.str(),
                                op.out_format.str(), op.acc_format.str()),
                    std::to_string(op.macs()), bytes_text(a), bytes_text(b), bytes_text(o)});
  }
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  std::string out =
      fmt::format("model {}  phase {}  batch {}  seq_len {}  kv_len {}  parameters {} ({})\n",
                  t.model, workload::to_string(t.phase), t.batch, t.seq_len, t.kv_len, t.parameters,
                  human_count(t.parameters));
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (i) line += "  ";
      // Text columns (name, kind, formats) align left, numbers right.
      const bool left = i == 0 || i == 1 || i == 8;
      line += left ? fmt::format("{:<{}}", r[i], width[i]) : fmt::format("{:>{}}", r[i], width[i]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }
  const std::int64_t macs = t.total_macs();
  out += fmt::format(
      "total: {} ops, {} MACs ({}), bytes a {} b {} out {} (all {}), parameters {} ({})\n",
      t.ops.size(), macs, human_count(macs), bytes_text(ba), bytes_text(bb), bytes_text(bo),
      bytes_text(ba + bb + bo), t.parameters, human_count(t.parameters));
  return out;
}

int run_workload_list(std::ostream& out, std::ostream& err) {
  try {
    out << fmt::format("{:<18} {:<8} {:>14} {:>8} {:>7} {:>7}\n", "name", "family", "parameters",
                       "", "layers", "hidden");
    for (const auto& name : workload::preset_names()) {
      const auto& c = workload::preset(name);
      const std::int64_t p = workload::parameter_count(c);
      out << fmt::format("{:<18} {:<8} {:>14} {:>8} {:>7} {:>7}\n", name,
                         workload::to_string(c.family), p, human_count(p), layers_of(c), c.hidden);
    }
    return 0;
  } catch (const ConfigError& e) {
    for (const auto& d : e.diagnostics()) err << "error: " << d.str() << '\n';
    return 2;
  }
}

int run_workload_show(const WorkloadShowArgs& a, std::ostream& out, std::ostream& err) {
  try {
    const Trace t = load_workload(a).trace;
    if (a.json) {
      out << trace_json(t) << '\n';
    } else if (a.csv) {
      out << workload::trace_to_scalesim_csv(t);
    } else {
      out << trace_table(t);
    }
    return 0;
  } catch (const ConfigError& e) {
    for (const auto& d : e.diagnostics()) err << "error: " << d.str() << '\n';
    return 2;
  }
}

}  // namespace mpsim::app
