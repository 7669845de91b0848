// DESCRIPTION: Golden multi-head attention (GQA-aware) O = softmax(Q K^T * scale) V with a number
// format for each of Q, K, V and the probabilities P, GEMMs with golden::gemm semantics, the
// SageAttention2 configuration (INT4 QK with K smoothing, FP8 PV) and a quantized KV cache with
// optional channel reordering; error statistics against an FP64 reference (docs/golden-ops.md).
// SPDX-License-Identifier: Apache-2.0
//
// Layout: Q is seq_q x (heads * head_dim), K and V are seq_kv x (kv_heads * head_dim), row-major,
// head h in columns [h*head_dim, (h+1)*head_dim); query head h reads KV head h / (heads/kv_heads).
//
// Example:
//   AttentionConfig c = sage_attention2_config();
//   c.heads = 32; c.kv_heads = 8;
//   AttentionResult r = attention(q, k, v, c);   // r.out, r.error.sqnr_db
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mpsim/golden/error_stats.h"
#include "mpsim/golden/matrix.h"
#include "mpsim/golden/ops.h"
#include "mpsim/numerics/quantizer.h"

namespace mpsim::golden {

/// A scale applied outside the element format (on top of the format's own block/group scales).
enum class OuterScale : std::uint8_t {
  kNone,  ///< the format alone
  /// One scale per row (a token of Q or K, a query row of P): s = fp32(amax / qmax) + 1e-7f (the
  /// SageAttention epsilon), stored x / s, dequantized (. * s) after the GEMM.
  kPerToken,
  /// One scale per head_dim channel of V over all tokens, same rule; only V takes it (it is
  /// applied to output columns after PV).
  kPerChannel,
  /// A fixed multiplier m: stored x * m, dequantized (. / m) after the GEMM (P with m = 448).
  kFixed,
};

/// How one attention operand is quantized.
struct OperandQuant {
  num::FormatSpec format;  ///< element format, quantized per row along head_dim (P: along keys)
  OuterScale outer = OuterScale::kNone;
  /// Largest element magnitude for kPerToken/kPerChannel; 0 derives it from the format (intN,
  /// uintN, fp8/fp6/fp4, fp16, bf16; fp32 gives 1). Other formats need it set (ConfigError).
  float qmax = 0;
  float fixed = 1;  ///< the multiplier of kFixed
};

/// What to compute.
struct AttentionConfig {
  int heads = 1;            ///< query heads
  int kv_heads = 1;         ///< KV heads; must divide heads (GQA/MQA when smaller)
  float softmax_scale = 0;  ///< 0: fp32(1 / sqrt(head_dim))
  OperandQuant q, k, v, p;
  /// SageAttention K smoothing: subtract each channel's mean over the KV tokens (FP32 sum in
  /// ascending token order, then / n) before quantizing K. Q km^T is constant along a score row,
  /// so softmax does not change; the FP64 reference uses the unsmoothed K.
  bool smooth_k = false;
  /// SageAttention's P: quantize P~ = expf(s - rowmax) (in [0, 1], not normalized) and divide the
  /// PV result by l = sum of the unquantized P~ (FP32, ascending). false: P = softmax(S, softmax).
  bool p_unnormalized = false;
  SoftmaxAlgo softmax = SoftmaxAlgo::kThreePass;
  std::string qk_acc = "auto";  ///< GemmOptions::acc of Q K^T
  std::string pv_acc = "auto";  ///< GemmOptions::acc of P V
  /// KV-cache channel reordering (Trukhanov & Soloveychik, arXiv 2403.20137): per KV head, sort
  /// the head_dim channels of K (after smoothing) by max |K| over tokens, descending (ties by
  /// index), and apply the same permutation to Q (Q K^T is invariant); V's channels likewise by
  /// max |V|, undone on the output columns. Blocks then group outlier channels together.
  bool reorder_channels = false;
  bool keep_scores = false;  ///< return the scaled scores S of every head
};

/// The output and its error.
struct AttentionResult {
  Matrix out;  ///< seq_q x (heads * head_dim)
  /// out against attention_reference_f64 on the unquantized inputs.
  ErrorStats error;
  std::vector<Matrix> scores;  ///< per head, seq_q x seq_kv (keep_scores only)
  /// Per KV head: position c of the reordered K (V) holds original channel k_order[c] (v_order[c]).
  std::vector<std::vector<int>> k_order, v_order;
};

/// Runs attention with `c`. Per KV head: smooth K, reorder, scale and quantize K (rows along
/// head_dim) and V (stored per token along head_dim, i.e. as a KV cache: for a block/group format
/// the PV GEMM then reads V's dequantized values as fp32, for a scalar format it reads them in
/// that format). Per query head: S = gemm(Q, K^T, {q.format, k.format, qk_acc}), then
/// S_ij = (((C_ij · sq_i) · sk_j) · softmax_scale) with only the factors that exist (a kFixed
/// factor divides by m); P from softmax (or P~); O = gemm(P, V) scaled
/// ((((C · sp_i) · sv_j) / l_i) likewise. Throws ConfigError on a bad shape, format or outer
/// scale for that operand.
AttentionResult attention(const Matrix& q, const Matrix& k, const Matrix& v,
                          const AttentionConfig& c);

/// FP64 attention on the inputs (no quantization, no smoothing, no reordering): row-major
/// seq_q x (heads * head_dim).
std::vector<double> attention_reference_f64(const Matrix& q, const Matrix& k, const Matrix& v,
                                            int heads, int kv_heads, double softmax_scale);

/// The SageAttention2 configuration (Zhang et al., "SageAttention2: Efficient Attention with
/// Thorough Outlier Smoothing and Per-thread INT4 Quantization", arXiv 2411.10958), as mpsim
/// defines it: Q, K INT4 (int4/rna, per-token scale amax/7 + 1e-7), K smoothed, QK^T in int32;
/// P~ unnormalized in FP8 E4M3 with the fixed multiplier 448; V FP8 E4M3 per channel
/// (amax/448 + 1e-7); PV accumulated in FP32. See docs/golden-ops.md for what is not modelled.
AttentionConfig sage_attention2_config();

/// A quantized KV cache: K and V stored in `kv` (per token, along head_dim), Q and P fp32,
/// optional channel reordering.
AttentionConfig kv_cache_config(const num::FormatSpec& kv, bool reorder);

/// The reordering permutation of columns [col0, col0 + ncols) of x: by max |x| over rows,
/// descending, ties by index (returned as offsets from col0).
std::vector<int> channel_order_by_magnitude(const Matrix& x, std::int64_t col0, std::int64_t ncols);

}  // namespace mpsim::golden
