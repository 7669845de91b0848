// DESCRIPTION: Analytical and cycle-level evaluation of design points, and the accuracy cache.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/dse/evaluator.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mpsim/analytical/analytical.h"
#include "mpsim/base/error.h"
#include "mpsim/core/report.h"
#include "mpsim/golden/model_run.h"
#include "mpsim/workload/presets.h"
#include "mpsim/workload/trace_io.h"

extern char** environ;

namespace mpsim::dse {
namespace {

std::string recipe_key(const StudySpec& s, std::size_t w, const workload::Recipe& r) {
  std::string text = s.workloads[w].label();
  auto f = [](const std::optional<num::FormatSpec>& v) { return v ? v->str() : std::string("-"); };
  auto formats = [&](const workload::RecipeFormats& x) {
    return fmt::format("{} {} {} {} {} {}", f(x.weights), f(x.activations), f(x.kv_cache),
                       f(x.probs), f(x.output), f(x.accumulator));
  };
  text += " | " + formats(r.defaults);
  for (const auto& rule : r.rules) {
    text += fmt::format(" | {} {} {} {} {}", rule.match, rule.group, rule.kind,
                        fmt::join(rule.layers, ","), formats(rule.formats));
  }
  text +=
      fmt::format(" | blocks {} tokens {} seed {}", s.accuracy.blocks, s.accuracy.tokens, s.seed);
  return text;
}

/// Scalar integer formats carry no scale (they round values to integers): a PE that multiplies
/// them relies on scales applied outside the MAC (per channel or per group). The accuracy of such a
/// recipe is therefore measured with the scaled stand-in of the same element width: int8 / uint8 /
/// bipolar_int8 -> mxint8 (INT8 elements, a power-of-two scale per 32) and int4 / uint4 /
/// bipolar_int4 -> int4_g32 (INT4 groups of 32 with scale and zero point). Other scalar widths
/// stay as they are (their SQNR is that of unscaled integers: pessimistic). docs/dse.md.
void scaled_stand_in(std::optional<num::FormatSpec>& f) {
  if (!f) return;
  const std::string& n = f->name;
  if (n == "int8" || n == "uint8" || n == "bipolar_int8") f = num::FormatSpec{"mxint8", {}};
  if (n == "int4" || n == "uint4" || n == "bipolar_int4") f = num::FormatSpec{"int4_g32", {}};
}
void scaled_stand_ins(workload::RecipeFormats& r) {
  scaled_stand_in(r.weights);
  scaled_stand_in(r.activations);
  scaled_stand_in(r.kv_cache);
  scaled_stand_in(r.probs);
}

/// Adds one workload's statistics into the point's metrics.
void accumulate(Metrics& m, const WorkloadSpec& w, double seconds, double energy_pj,
                double area_mm2) {
  m.latency_s += w.weight * seconds;
  m.energy_j += w.weight * energy_pj * 1e-12;
  m.area_mm2 = std::max(m.area_mm2, area_mm2);
  m.extra["latency_s:" + w.label()] = seconds;
  m.extra["energy_j:" + w.label()] = energy_pj * 1e-12;
}

/// Accuracy and constraints, shared by both fidelities.
void finish(const StudyContext& ctx, const ResolvedPoint& p, Evaluation& e) {
  const StudySpec& s = *ctx.spec;
  if (s.accuracy.enabled && ctx.accuracy != nullptr) {
    double sum = 0, weights = 0;
    for (std::size_t i = 0; i < s.workloads.size(); ++i) {
      const double db = ctx.accuracy->sqnr_db(s, i, p.recipe);
      e.metrics.extra["accuracy_sqnr_db:" + s.workloads[i].label()] = db;
      // An exact run has infinite SQNR; cap so weighted means and plots stay finite.
      sum += s.workloads[i].weight * std::min(db, 200.0);
      weights += s.workloads[i].weight;
    }
    e.metrics.accuracy_sqnr_db = sum / weights;
  }
  const auto& c = s.constraints;
  std::vector<std::string> violated;
  if (c.area_mm2_max && e.metrics.area_mm2 > *c.area_mm2_max) {
    violated.push_back(
        fmt::format("area {:.4g} mm2 > {:.4g}", e.metrics.area_mm2, *c.area_mm2_max));
  }
  if (c.latency_s_max && e.metrics.latency_s > *c.latency_s_max) {
    violated.push_back(
        fmt::format("latency {:.4g} s > {:.4g}", e.metrics.latency_s, *c.latency_s_max));
  }
  if (c.energy_j_max && e.metrics.energy_j > *c.energy_j_max) {
    violated.push_back(
        fmt::format("energy {:.4g} J > {:.4g}", e.metrics.energy_j, *c.energy_j_max));
  }
  if (c.accuracy_sqnr_db_min && e.metrics.accuracy_sqnr_db < *c.accuracy_sqnr_db_min) {
    violated.push_back(fmt::format("accuracy {:.4g} dB < {:.4g}", e.metrics.accuracy_sqnr_db,
                                   *c.accuracy_sqnr_db_min));
  }
  if (!violated.empty()) {
    e.status = Status::kInfeasible;
    e.reason = fmt::format("constraint violated: {}", fmt::join(violated, "; "));
  }
}

int spawn_and_wait(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  // The worker's own output would interleave with the progress bar.
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

AccuracyCache::AccuracyCache(std::filesystem::path file) : file_(std::move(file)) {
  if (file_.empty() || !std::filesystem::exists(file_)) return;
  try {
    std::ifstream f(file_);
    const auto j = nlohmann::json::parse(f);
    for (const auto& [k, v] : j.items()) values_[k] = v.get<double>();
  } catch (const std::exception&) {
    values_.clear();  // a damaged cache is only lost work: recompute
  }
}

double AccuracyCache::sqnr_db(const StudySpec& s, std::size_t w, const workload::Recipe& recipe) {
  const std::string key = recipe_key(s, w, recipe);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = values_.find(key); it != values_.end()) return it->second;
  }
  // Computed outside the lock (seconds); two threads may race on one key, both get the same
  // deterministic value.
  const WorkloadSpec& ws = s.workloads[w];
  const workload::ModelConfig& model = workload::preset(ws.model);
  workload::ExpandOptions o;
  o.phase = workload::is_decoder(model.family) ? workload::Phase::kPrefill : workload::Phase::kNone;
  o.seq_len = s.accuracy.tokens;
  const workload::Trace trace = workload::expand(model, o);
  golden::GoldenRunOptions go;
  go.blocks = s.accuracy.blocks;
  go.tokens = s.accuracy.tokens;
  go.seed = s.seed;
  go.end_to_end_only = true;
  go.cache = &golden_;
  workload::Recipe scaled = recipe;
  scaled_stand_ins(scaled.defaults);
  for (auto& rule : scaled.rules) scaled_stand_ins(rule.formats);
  const golden::GoldenRunReport r = golden::golden_run(trace, &scaled, &model, go);
  const double db = r.end_to_end ? r.end_to_end->sqnr_db : 0.0;
  std::lock_guard<std::mutex> lock(mu_);
  values_[key] = db;
  ++computed_;
  save_locked();
  return db;
}

std::size_t AccuracyCache::computed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return computed_;
}

void AccuracyCache::save_locked() const {
  if (file_.empty()) return;
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : values_) j[k] = std::isfinite(v) ? v : 1e9;
  const auto tmp = file_.string() + ".tmp";
  {
    std::ofstream f(tmp);
    f << j.dump(1) << "\n";
  }
  std::filesystem::rename(tmp, file_);
}

Evaluation evaluate_analytical(const StudyContext& ctx, const ResolvedPoint& p,
                               std::string* layers_csv) {
  const auto t0 = std::chrono::steady_clock::now();
  const StudySpec& s = *ctx.spec;
  Evaluation e;
  e.fidelity = "analytical";
  if (layers_csv) layers_csv->clear();
  for (std::size_t i = 0; i < s.workloads.size(); ++i) {
    const workload::Trace q = workload::apply_recipe(ctx.traces[i], p.recipe);
    const sim::RunStats r = analytical::run(p.arch, q);
    if (!r.feasible) {
      e.status = Status::kInfeasible;
      e.reason = fmt::format("{}: {}", s.workloads[i].label(), r.infeasible_reason);
      e.eval_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      return e;
    }
    accumulate(e.metrics, s.workloads[i], r.seconds(), r.energy.total(), r.area_mm2);
    if (layers_csv) {
      sim::RunStats named = r;
      for (auto& op : named.ops) op.op = s.workloads[i].label() + "/" + op.op;
      std::string csv = sim::layers_csv(named);
      if (!layers_csv->empty()) csv = csv.substr(csv.find('\n') + 1);  // one header
      *layers_csv += csv;
    }
  }
  finish(ctx, p, e);
  e.eval_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return e;
}

Evaluation evaluate_systemc(const StudyContext& ctx, const ResolvedPoint& p,
                            const std::filesystem::path& worker,
                            const std::filesystem::path& scratch) {
  namespace fs = std::filesystem;
  const auto t0 = std::chrono::steady_clock::now();
  const StudySpec& s = *ctx.spec;
  Evaluation e;
  e.fidelity = "systemc";
  fs::create_directories(scratch);
  {
    std::ofstream f(scratch / "arch.yaml");
    f << sim::to_yaml(p.arch);
  }
  for (std::size_t i = 0; i < s.workloads.size(); ++i) {
    const fs::path dir = scratch / fmt::format("w{}", i);
    fs::create_directories(dir);
    workload::save_trace(workload::apply_recipe(ctx.traces[i], p.recipe), dir / "trace.yaml");
    const int rc = spawn_and_wait({worker.string(), "--arch", (scratch / "arch.yaml").string(),
                                   "--trace", (dir / "trace.yaml").string(), "--out", dir.string(),
                                   "--check", "off", "--workload-name", s.workloads[i].label()});
    if (rc != 0 || !fs::exists(dir / "stats.json")) {
      e.status = Status::kFailed;
      e.reason = fmt::format("{}: {} exited with status {}", s.workloads[i].label(),
                             worker.filename().string(), rc);
      return e;
    }
    std::ifstream f(dir / "stats.json");
    const auto j = nlohmann::json::parse(f);
    if (j.value("status", "ok") != "ok") {
      e.status = Status::kInfeasible;
      e.reason = fmt::format("{}: {}", s.workloads[i].label(), j.value("infeasible_reason", ""));
      return e;
    }
    const auto& t = j["total"];
    accumulate(e.metrics, s.workloads[i], t["seconds"].get<double>(),
               t["energy_pj"]["total"].get<double>(), t["area_mm2"].get<double>());
    e.metrics.extra["cycles:" + s.workloads[i].label()] = t["cycles"].get<double>();
  }
  finish(ctx, p, e);
  e.eval_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return e;
}

}  // namespace mpsim::dse
