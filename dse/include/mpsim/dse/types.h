// DESCRIPTION: Value types shared by the design-space exploration: a design point (one choice per
// knob), its evaluation (ok / infeasible with a reason / failed) and metrics.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mpsim::dse {

/// One choice index per knob of a design space, in knob order.
using Point = std::vector<std::uint32_t>;

enum class Status : std::uint8_t {
  kOk,          ///< evaluated
  kInfeasible,  ///< a normal outcome: the design cannot run the workload (reason says why)
  kFailed,      ///< the evaluator crashed or timed out (reason says how); retried on resume
};
std::string_view to_string(Status s);
/// Parses "ok" | "infeasible" | "failed"; false when unknown.
bool parse_status(std::string_view s, Status& out);

/// What a design point scores. Latency and energy are workload-weighted sums over the study's
/// workloads; accuracy is the end-to-end SQNR of the recipe (higher is better).
struct Metrics {
  double latency_s = 0;
  double energy_j = 0;
  double area_mm2 = 0;
  double accuracy_sqnr_db = 0;
  std::map<std::string, double> extra;  ///< e.g. "latency_s:llama2-7b/decode", "utilization"
};

struct Evaluation {
  Status status = Status::kOk;
  std::string reason;       ///< for kInfeasible / kFailed
  Metrics metrics;          ///< meaningful for kOk
  std::string fidelity;     ///< "analytical" | "systemc"
  double eval_seconds = 0;  ///< wall time of the evaluation
};

/// Objective names the DSE knows; all are minimized internally (accuracy as -SQNR).
inline constexpr std::string_view kObjectiveNames[] = {"latency", "energy", "area", "accuracy"};
/// The value of objective `name` of `m` in minimization form (accuracy -> -accuracy_sqnr_db).
double objective_value(const Metrics& m, std::string_view name);

}  // namespace mpsim::dse
