// DESCRIPTION: `mpsim golden run`: the quantization error of a workload under a recipe. Every op of
// the trace is run on synthetic tensors of its shape (sampled rows/columns, full K) in its formats
// against an FP64 reference, and LLM/ViT models are also run end to end through a reduced model
// (a few real-width blocks) against the same model in FP32.
// SPDX-License-Identifier: Apache-2.0
//
// Example:
//   GoldenRunReport r = golden_run(trace, &recipe, &model_config, GoldenRunOptions{});
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mpsim/golden/error_stats.h"
#include "mpsim/workload/model_config.h"
#include "mpsim/workload/recipe.h"
#include "mpsim/workload/trace.h"

namespace mpsim::golden {

/// Reuse across golden runs of one model (e.g. a DSE scoring many recipes): the synthetic weights
/// and the FP32 reference output depend only on the model, seed, blocks and tokens, and dominate
/// the run time at real widths. Thread-safe; holds the weights of the reduced model in memory.
class GoldenRunCache {
 public:
  GoldenRunCache();
  ~GoldenRunCache();
  GoldenRunCache(const GoldenRunCache&) = delete;
  GoldenRunCache& operator=(const GoldenRunCache&) = delete;
  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

struct GoldenRunOptions {
  int blocks = 2;            ///< real-width blocks of the reduced model (end to end)
  std::int64_t tokens = 16;  ///< tokens of the reduced model's input (ViT: capped at the model's)
  std::uint64_t seed = 1;
  std::int64_t max_rows = 32;       ///< per-op evaluation: rows of A sampled (M is capped)
  std::int64_t max_cols = 256;      ///< per-op evaluation: columns of B sampled (N is capped)
  bool end_to_end_only = false;     ///< skip the per-op table (the DSE's accuracy objective)
  GoldenRunCache* cache = nullptr;  ///< optional reuse of weights and the FP32 reference
};

/// One op's quantization error on synthetic inputs of its shape, against FP64.
struct OpErrorRow {
  std::string op;
  std::string kind;
  std::string formats;               ///< "a=int8 b=int4_g128 out=fp16 acc=fp32"
  std::int64_t m = 0, n = 0, k = 0;  ///< the evaluated (sampled) shape
  ErrorStats error;
};

struct GoldenRunReport {
  std::string model;
  std::string recipe;
  std::vector<OpErrorRow> ops;
  /// Final normalized hidden state of the reduced model vs the same model in FP32 (LLM and
  /// ViT/DeiT families; absent for Swin and for traces without a model config).
  std::optional<ErrorStats> end_to_end;
  int blocks = 0;
  std::int64_t tokens = 0;
  bool kv_reorder = false;
};

/// Runs the per-op table for `trace` (after `recipe`, if given) and, when `model` is given and its
/// family is supported, the end-to-end reduced model.
GoldenRunReport golden_run(const workload::Trace& trace, const workload::Recipe* recipe,
                           const workload::ModelConfig* model, const GoldenRunOptions& o);

/// Renders the report as an aligned text table.
std::string format_report(const GoldenRunReport& r);

}  // namespace mpsim::golden
