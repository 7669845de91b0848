// DESCRIPTION: Evaluating a resolved design point on the study's workloads: the analytical model
// (screening) or the cycle-level SystemC model in mpsim-sc-worker processes (verification), plus
// the accuracy objective (the golden model's end-to-end SQNR of the point's recipe on a reduced
// model of each workload, computed once per recipe and cached on disk).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "mpsim/dse/spec.h"
#include "mpsim/golden/model_run.h"
#include "mpsim/dse/types.h"

namespace mpsim::dse {

/// Accuracy (end-to-end SQNR, dB) per (recipe, workload), computed with the golden model once and
/// kept in a JSON file beside the results (rewritten atomically). Thread-safe.
class AccuracyCache {
 public:
  /// `file` empty: in memory only.
  explicit AccuracyCache(std::filesystem::path file = {});
  /// SQNR of `recipe` on `workload` (reduced as `opt` says); computed on a miss.
  double sqnr_db(const StudySpec& s, std::size_t workload, const workload::Recipe& recipe);
  std::size_t computed() const;  ///< golden runs done by this object (misses)

 private:
  std::filesystem::path file_;
  golden::GoldenRunCache golden_;  // weights and FP32 references shared by every recipe
  mutable std::mutex mu_;
  std::map<std::string, double> values_;
  std::size_t computed_ = 0;
  void save_locked() const;
};

/// The study's traces, expanded once.
struct StudyContext {
  const StudySpec* spec = nullptr;
  std::vector<workload::Trace> traces;
  AccuracyCache* accuracy = nullptr;
};

/// The analytical evaluation: latency and energy are the workload-weighted sums, area the
/// largest over workloads, accuracy the weighted mean SQNR; an infeasible workload or a violated
/// constraint gives kInfeasible with the reason. `layers_csv` (if given) receives the per-op
/// table of every workload (op names prefixed "<workload>/").
Evaluation evaluate_analytical(const StudyContext& ctx, const ResolvedPoint& p,
                               std::string* layers_csv = nullptr);

/// The cycle-level evaluation of one point: runs `worker` (mpsim-sc-worker) once per workload in
/// `scratch` and combines its stats.json like evaluate_analytical (accuracy from the cache).
/// kFailed with the reason when a worker fails.
Evaluation evaluate_systemc(const StudyContext& ctx, const ResolvedPoint& p,
                            const std::filesystem::path& worker,
                            const std::filesystem::path& scratch);

}  // namespace mpsim::dse
