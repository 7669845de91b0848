// DESCRIPTION: stats.json / layers.csv / timeline.json writers.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/core/report.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "mpsim/base/error.h"
#include "mpsim/cost/energy.h"

namespace mpsim::sim {

const std::vector<std::string>& layers_csv_columns() {
  static const std::vector<std::string> cols{"op",
                                             "macs",
                                             "cycles",
                                             "compute_cycles",
                                             "stall_cycles",
                                             "utilization",
                                             "dram_bytes",
                                             "energy_pj",
                                             "area_mm2",
                                             "kind",
                                             "group",
                                             "dram_read_bytes",
                                             "dram_write_bytes",
                                             "weight_buf_bytes",
                                             "act_buf_bytes",
                                             "out_buf_bytes",
                                             "energy_pe_pj",
                                             "energy_buffers_pj",
                                             "energy_dram_pj",
                                             "energy_vector_pj",
                                             "energy_leakage_pj",
                                             "folds",
                                             "distinct_folds",
                                             "stepped_folds",
                                             "checked_outputs",
                                             "tiling",
                                             "energy_model",
                                             "activity_alpha"};
  return cols;
}

namespace {
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}
}  // namespace

std::string layers_csv(const RunStats& r) {
  std::string out = fmt::format("{}\n", fmt::join(layers_csv_columns(), ","));
  for (const auto& s : r.ops) {
    // The array is shared by every op: each row carries the whole design's area so the table is
    // tidy (area is a property of the design point, repeated per row).
    out += fmt::format(
        "{},{},{},{},{},{:.6f},{:.0f},{:.3f},{:.6f},{},{},{:.0f},{:.0f},{:.0f},{:.0f},{:.0f},{:.3f}"
        ",{:.3f},{:.3f},{:.3f},{:.3f},{},{},{},{},{},{},{:.6f}\n",
        csv_field(s.op), s.macs, s.cycles, s.compute_cycles, s.stall_cycles, s.utilization,
        s.dram_bytes(), s.energy.total(), r.area_mm2, s.kind, csv_field(s.group), s.dram_read_bytes,
        s.dram_write_bytes, s.weight_buf_bytes, s.act_buf_bytes, s.out_buf_bytes, s.energy.pe,
        s.energy.buffers, s.energy.dram, s.energy.vector, s.energy.leakage, s.folds,
        s.distinct_folds, s.stepped_folds, s.checked_outputs, csv_field(s.tiling),
        s.energy_model.empty() ? "fixed" : s.energy_model, s.activity_alpha);
  }
  return out;
}

namespace {
nlohmann::ordered_json energy_json(const Energy& e) {
  nlohmann::ordered_json j;
  j["pe"] = e.pe;
  j["buffers"] = e.buffers;
  j["dram"] = e.dram;
  j["vector"] = e.vector;
  j["leakage"] = e.leakage;
  j["total"] = e.total();
  return j;
}
}  // namespace

std::string stats_json(const RunStats& r, const ArchSpec& arch, const std::string& workload,
                       const SimOptions& o) {
  nlohmann::ordered_json j;
  j["format_version"] = 1;
  j["status"] = !r.feasible ? "infeasible" : r.mismatches.empty() ? "ok" : "mismatch";
  if (!r.feasible) j["infeasible_reason"] = r.infeasible_reason;
  j["arch"] = arch.name;
  j["pe_type"] = arch.pe_type;
  j["workload"] = workload;
  j["check"] = o.check.kind == CheckMode::kOff    ? "off"
               : o.check.kind == CheckMode::kFull ? "full"
                                                  : fmt::format("sample:{}", o.check.samples);
  j["exhaustive"] = o.exhaustive;
  // Which PE energy model was asked for; ops say which one each actually used (activity needs
  // folds that ran with values).
  j["energy_model"] = o.energy_model == EnergyModel::kActivity ? "activity" : "fixed";
  j["datapath"] = o.datapath;  // "rtl" when the Verilated array ran the GEMM values
  j["ideal_memory"] = o.ideal_memory;
  j["cost_table"] = cost::table_version();
  nlohmann::ordered_json t;
  t["cycles"] = r.cycles;
  t["compute_cycles"] = r.compute_cycles;
  t["stall_cycles"] = r.stall_cycles;
  t["seconds"] = r.seconds();
  t["macs"] = r.macs;
  double dram = 0, util_num = 0;
  std::map<std::string, std::uint64_t> actions;
  for (const auto& s : r.ops) {
    dram += s.dram_bytes();
    util_num += s.utilization * static_cast<double>(s.compute_cycles);
    for (const auto& [k, v] : s.actions) actions[k] += v;
  }
  t["utilization"] = r.compute_cycles ? util_num / static_cast<double>(r.compute_cycles) : 0.0;
  t["dram_bytes"] = dram;
  t["energy_pj"] = energy_json(r.energy);
  t["area_mm2"] = r.area_mm2;
  t["area_breakdown_mm2"] = r.area_breakdown_mm2;
  t["actions"] = actions;
  t["checked_outputs"] = r.checked_outputs;
  j["total"] = t;
  nlohmann::ordered_json ops = nlohmann::ordered_json::array();
  for (const auto& s : r.ops) {
    nlohmann::ordered_json x;
    x["op"] = s.op;
    x["kind"] = s.kind;
    x["macs"] = s.macs;
    x["cycles"] = s.cycles;
    x["compute_cycles"] = s.compute_cycles;
    x["stall_cycles"] = s.stall_cycles;
    x["utilization"] = s.utilization;
    x["dram_read_bytes"] = s.dram_read_bytes;
    x["dram_write_bytes"] = s.dram_write_bytes;
    x["buffer_bytes"] = {{"weight", s.weight_buf_bytes},
                         {"activation", s.act_buf_bytes},
                         {"output", s.out_buf_bytes}};
    x["actions"] = s.actions;
    x["energy_pj"] = energy_json(s.energy);
    x["folds"] = s.folds;
    x["distinct_folds"] = s.distinct_folds;
    x["stepped_folds"] = s.stepped_folds;
    x["checked_outputs"] = s.checked_outputs;
    x["reference"] = s.reference;
    x["tiling"] = s.tiling;
    x["energy_model"] = s.energy_model.empty() ? "fixed" : s.energy_model;
    if (s.energy_model == "activity") {
      x["activity"] = {{"alpha", s.activity_alpha},
                       {"pj_per_toggle", s.pj_per_toggle},
                       {"a_toggles", s.activity.a_toggles},
                       {"w_toggles", s.activity.w_toggles},
                       {"acc_toggles", s.activity.acc_toggles},
                       {"bits_observed", s.activity.bits()}};
    }
    ops.push_back(std::move(x));
  }
  j["ops"] = ops;
  nlohmann::ordered_json mm = nlohmann::ordered_json::array();
  for (const auto& m : r.mismatches) {
    mm.push_back({{"op", m.op},
                  {"tile_m0", m.tile_m0},
                  {"tile_n0", m.tile_n0},
                  {"m", m.m},
                  {"n", m.n},
                  {"expected", m.expected},
                  {"actual", m.actual},
                  {"reference", m.reference}});
  }
  j["mismatches"] = mm;
  return j.dump(2) + "\n";
}

std::string timeline_json(const RunStats& r) {
  nlohmann::json events = nlohmann::json::array();
  const double us_per_cycle = 1.0 / r.frequency_mhz;
  for (const auto& s : r.ops) {
    events.push_back({{"name", s.op},
                      {"cat", s.kind},
                      {"ph", "X"},
                      {"pid", 1},
                      {"tid", s.kind == "gemm" || s.kind == "batched_gemm" ? 1 : 2},
                      {"ts", static_cast<double>(s.start_cycle) * us_per_cycle},
                      {"dur", static_cast<double>(s.cycles) * us_per_cycle},
                      {"args",
                       {{"cycles", s.cycles},
                        {"compute_cycles", s.compute_cycles},
                        {"stall_cycles", s.stall_cycles},
                        {"dram_bytes", s.dram_bytes()},
                        {"utilization", s.utilization}}}});
  }
  nlohmann::json j;
  j["traceEvents"] = events;
  j["displayTimeUnit"] = "ns";
  return j.dump() + "\n";
}

void write_outputs(const std::filesystem::path& dir, const RunStats& r, const ArchSpec& arch,
                   const std::string& workload, const SimOptions& o) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  auto put = [&](const std::string& name, const std::string& text) {
    std::ofstream f(dir / name, std::ios::binary);
    f << text;
    if (!f) {
      throw ConfigError(Diagnostic{(dir / name).string(), "--out", "cannot write the file"});
    }
  };
  put("stats.json", stats_json(r, arch, workload, o));
  put("layers.csv", layers_csv(r));
  if (o.timeline) put("timeline.json", timeline_json(r));
}

}  // namespace mpsim::sim
