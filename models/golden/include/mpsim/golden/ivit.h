// DESCRIPTION: Integer-only nonlinearities of I-ViT (numerics.md §11: shift-exp, Shiftmax,
// ShiftGELU, I-LayerNorm) in both published variants (PyTorch model, the default; TVM graph,
// selectable and labelled), and HAWQ-V3 dyadic requantization of whole INT32 accumulator matrices
// (§10). Bit-exact and hand-verifiable: all arithmetic after the scale-derived constants is exact
// integer arithmetic with the floor/truncation points written below (docs/golden-ops.md).
// SPDX-License-Identifier: Apache-2.0
//
// Example:
//   ShiftmaxResult p = shiftmax(scores_int32, /*S=*/0.1f);          // p.y[j] / 128 ~ softmax
//   auto q = requantize_matrix(acc, m, n, w_scales_times_a_scale, s_out, RequantizeOptions{});
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "mpsim/numerics/rounding.h"

namespace mpsim::golden {

/// Which I-ViT implementation is reproduced (spec §11, §14 item 9, §16 item 11).
enum class IVitVariant : std::uint8_t {
  /// zkkli/I-ViT `models/quantization_utils/quant_modules.py`, evaluated in exact integers:
  /// x0 = floor(fp32(-1.0f / S)), q = floor(x / x0), exp = floor((r/2 - x0) * 2^(n-q)) with r/2 a
  /// real division, Shiftmax n = 15, I-LayerNorm mean RNE, y*factor/2 floored.
  kPyTorch,
  /// zkkli/I-ViT `TVM_benchmark/models/layers.py`: x0 = int32(-1.0/S - 1) (C truncation of a
  /// double), q = x / x0 (C truncation), exp = ((r >> 1) - x0) << (n - q), Shiftmax n = 16,
  /// I-LayerNorm mean and y*factor/2 truncated toward zero (int32 division).
  kTvm,
};

/// "pytorch" or "tvm".
const char* ivit_variant_name(IVitVariant v);

/// Every intermediate of one shift-exp evaluation (for hand checks and tests).
struct ShiftExpTrace {
  std::int64_t x_log2e = 0;    ///< x + floor(x/2) - floor(x/16)  (= x + (x>>1) - (x>>4))
  std::int64_t x0 = 0;         ///< the integer that represents -1.0 at scale S
  std::int64_t x_clamped = 0;  ///< max(x_log2e, n * x0)
  std::int64_t q = 0;          ///< x_clamped / x0 (floor or truncation, by variant)
  std::int64_t r = 0;          ///< x_clamped - x0 * q
  std::int64_t value = 0;      ///< the result, scale S / 2^n
  bool capped = false;         ///< the result exceeded 2^62 and was capped (only for x > 0)
};

/// The x0 of a variant for scale S (> 0, finite, x0 within int32; else std::invalid_argument).
std::int64_t ivit_x0(double s, IVitVariant v);
/// I-ViT shift-exp of x_int (scale S, intended for x_int <= 0): ~ exp(x_int * S) * 2^n. A positive
/// x_int (ShiftGELU's exp(-max) term) follows the same formulas; results above 2^62 are capped
/// (they only ever feed a sum that is clamped to 2^31 - 1).
ShiftExpTrace int_exp_shift_trace(std::int64_t x_int, double s, int n,
                                  IVitVariant v = IVitVariant::kPyTorch);
/// int_exp_shift_trace(...).value.
std::int64_t int_exp_shift(std::int64_t x_int, double s, int n,
                           IVitVariant v = IVitVariant::kPyTorch);

/// Shiftmax of one row.
struct ShiftmaxResult {
  std::vector<std::uint8_t> y;    ///< outputs in [0, 127] (fit int8 and uint8), scale 1/2^7
  std::vector<std::int64_t> exp;  ///< the shift-exp values, scale S / 2^n
  int n = 15;                     ///< 15 (PyTorch) or 16 (TVM)
  std::int64_t sum = 0;           ///< min(sum of exp, 2^31 - 1)
  std::int64_t factor = 0;        ///< floor((2^31 - 1) / sum)
  /// The exp sum exceeded 2^31 - 1 and was clamped, as the PyTorch model does (the TVM graph's
  /// int32 sum would wrap instead; mpsim clamps in both variants and reports it here).
  bool sum_clamped = false;
};

/// Shiftmax (I-ViT IntSoftmax, output_bit 8) of one row of INT32 scores at scale S:
/// x = x_int - max, e = shift-exp(x, S, n), y = floor(e * floor((2^31-1)/sum) / 2^24).
/// An empty row gives an empty result.
ShiftmaxResult shiftmax(std::span<const std::int32_t> x_int, float s,
                        IVitVariant v = IVitVariant::kPyTorch);

/// ShiftGELU of one row.
struct ShiftGeluResult {
  std::vector<std::int64_t> y;        ///< x_int * sigmoid, scale S / 2^7
  std::vector<std::int32_t> sigmoid;  ///< ~ sigmoid(1.702 x) * 2^7
  double s_prime = 0;                 ///< the scale S' = 1.702 S used by the exp (see variants)
  bool sum_clamped = false;           ///< some e + e_max exceeded 2^31 - 1 and was clamped
};

/// ShiftGELU (I-ViT IntGELU): GELU(x) ~ x sigmoid(1.702 x). S' = fp32(S * 1.702f) (PyTorch) or
/// double(S) * 1.702 (TVM); x = x_int - max, e = shift-exp(x, S', 23),
/// e_max = shift-exp(-max, S', 23), sum = min(e + e_max, 2^31 - 1),
/// sigmoid = floor(e * floor((2^31-1)/sum) / 2^24), y = x_int * sigmoid.
ShiftGeluResult shiftgelu(std::span<const std::int32_t> x_int, float s,
                          IVitVariant v = IVitVariant::kPyTorch);

/// I-LayerNorm of one row.
struct ILayerNormResult {
  std::vector<std::int64_t> y;  ///< normalized + bias_int, scale (sqrt(N)/2^30) * gamma[c]
  std::int64_t mean = 0;        ///< round(sum/N): RNE (PyTorch) or truncation (TVM)
  std::int64_t var = 0;         ///< sum of (x - mean)^2 (exact; the TVM graph's uint32 wraps)
  std::int64_t std = 0;         ///< 10 Newton steps k = floor((k + floor(var/k))/2) from 2^16
  std::int64_t factor = 0;      ///< floor((2^31 - 1) / std)
};

/// I-LayerNorm (I-ViT IntLayerNorm) of one row of N INT32 values: y = x - mean,
/// out = floor(y * factor / 2) (PyTorch) or trunc(factor * y / 2) (TVM), plus bias_int[c].
/// bias_int is empty (no bias) or of length N (std::invalid_argument otherwise).
ILayerNormResult i_layernorm(std::span<const std::int32_t> x_int,
                             std::span<const std::int64_t> bias_int,
                             IVitVariant v = IVitVariant::kPyTorch);
/// The output scale before gamma, sqrt(N) / 2^30 in FP32 (the reference's dim_sqrt / 2^30).
float i_layernorm_scale(std::int64_t n);
/// bias_int[c] = floor(fp32(fp32(beta/gamma) / i_layernorm_scale(N))), as the PyTorch model.
std::vector<std::int64_t> i_layernorm_bias(std::span<const float> gamma,
                                           std::span<const float> beta);

/// How requantize_matrix rounds and clamps.
struct RequantizeOptions {
  int bits = 8;
  bool is_signed = true;
  /// kHalfUp: hardware (z*b + 2^(c-1)) >> c (mpsim default, §16.10); kNearestEven: the HAWQ
  /// reference's torch.round.
  num::Rounding rounding = num::Rounding::kHalfUp;
};

/// HAWQ-V3 requantization of a rows x cols INT32 accumulator (row-major; column j = output
/// channel j): out[i][j] = num::requantize(acc[i][j], dyadic_from_scales(s_in[j], s_out)).
/// `s_in` holds one scale (per tensor) or `cols` scales (per channel: s_a * s_w[j]); each must be
/// positive and finite (std::invalid_argument otherwise).
std::vector<std::int32_t> requantize_matrix(std::span<const std::int32_t> acc, std::int64_t rows,
                                            std::int64_t cols, std::span<const float> s_in,
                                            float s_out, const RequantizeOptions& o = {});

}  // namespace mpsim::golden
