// DESCRIPTION: The workload trace: a flat, GEMM-centric list of operators with per-operand number
// formats, the one input every performance model (analytical, SystemC, RTL) consumes.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mpsim/numerics/quantizer.h"

namespace mpsim::workload {

/// What an operator computes. GEMM-like kinds are the MAC work; the rest are vector work.
enum class OpKind : std::uint8_t {
  kGemm,
  kBatchedGemm,
  kSoftmax,
  kLayerNorm,
  kRmsNorm,
  kGelu,
  kSilu,
  kRelu,
  kElementwise
};

/// The LLM inference phase an operator belongs to (kNone for encoders such as ViT).
enum class Phase : std::uint8_t { kNone, kPrefill, kDecode };

/// "gemm", "batched_gemm", "softmax", "layernorm", "rmsnorm", "gelu", "silu", "relu",
/// "elementwise".
std::string_view to_string(OpKind k);
/// Parses to_string(OpKind)'s names; std::nullopt for anything else.
std::optional<OpKind> parse_op_kind(std::string_view name);
/// Every op kind name, in enum order (for "did you mean" and docs).
const std::vector<std::string>& op_kind_names();
/// "none", "prefill", "decode".
std::string_view to_string(Phase p);
/// Parses to_string(Phase)'s names; std::nullopt for anything else.
std::optional<Phase> parse_phase(std::string_view name);
/// Every phase name, in enum order.
const std::vector<std::string>& phase_names();
/// True for kGemm and kBatchedGemm (the kinds that use k, b_shared and do MACs).
bool is_gemm_like(OpKind k);

/// Storage bits per element of `f` including block/group scale overhead. Unlike
/// num::bits_per_element it also knows the wide accumulator/output formats that have no quantizer
/// ("fp32", "int32"). Throws ConfigError for an unknown format.
double format_bits(const num::FormatSpec& f);
/// Throws ConfigError (every problem) unless `f` names a known format with options it accepts.
void validate_format(const num::FormatSpec& f);

/// One operator. GEMM-like ops compute, per batch item, C[m x n] = A[m x k] * B[k x n]; non-GEMM
/// ops act on an m x n tensor per batch item (softmax/norms reduce along n).
struct Op {
  std::string name;  ///< unique in a trace: "blk.attn.q", "head.lm"
  OpKind kind = OpKind::kGemm;
  std::int64_t m = 1, n = 1, k = 1, batch = 1;
  /// Batched GEMM: consecutive batch items sharing one B (GQA group size); divides batch.
  std::int64_t b_shared = 1;
  /// Tensor names, e.g. a "x", b "blk.{L}.attn_q.weight" (weights) or "kv.k" (KV cache); "{L}"
  /// stands for the layer index of a repeated op.
  std::string a_tensor, b_tensor, out_tensor;
  bool b_is_weight = false;  ///< B is a model parameter
  num::FormatSpec a_format{"fp16", {}};
  num::FormatSpec b_format{"fp16", {}};
  num::FormatSpec out_format{"fp16", {}};
  num::FormatSpec acc_format{"fp32", {}};
  Phase phase = Phase::kNone;
  std::int64_t seq_len = 0;  ///< tokens in this step
  std::int64_t kv_len = 0;   ///< keys attended (KV length, window-capped); 0 where meaningless
  std::int64_t repeat = 1;   ///< identical consecutive copies (decoder blocks)
  /// Layer group for mixed precision: "embed", "patch", "attn", "mlp", "head", "norm", ...
  std::string group;

  /// batch*m*n*k*repeat for gemm/batched_gemm, else 0.
  std::int64_t macs() const;
  /// batch*m*n*repeat (output elements).
  std::int64_t elements() const;
  /// Bytes of operand 'a', 'b' or 'o' (output) in its format, scale overhead included, times
  /// repeat. GEMM-like: A is batch*m*k, B is (batch/b_shared)*k*n (distinct B's only), O is
  /// batch*m*n. Other kinds: A and O are batch*m*n; B is 0 without a b_tensor, n for a weight
  /// vector (norm gamma) and batch*m*n for a second activation (residual add, gated multiply).
  /// Throws ConfigError for an unknown format.
  double operand_bytes(char which) const;

  friend bool operator==(const Op&, const Op&) = default;
};

/// A whole workload: the ops of one forward step of one model, in execution order.
struct Trace {
  int format_version = 1;
  std::string model;
  Phase phase = Phase::kNone;
  std::int64_t batch = 1, seq_len = 0, kv_len = 0;
  std::int64_t parameters = 0;  ///< total parameters of the model the trace came from
  std::vector<Op> ops;

  /// Sum of macs() over all ops.
  std::int64_t total_macs() const;
  friend bool operator==(const Trace&, const Trace&) = default;
};

}  // namespace mpsim::workload
