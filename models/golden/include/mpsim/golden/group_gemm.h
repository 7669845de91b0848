// DESCRIPTION: The golden GEMM of group-dequantizing PEs: INT8 or FP16 activations against
// group-quantized weights (AWQ int4_g32/g64/g128, GPTQ gptq_int4, BitMoD bitmod_fp4/bitmod_fp3),
// with an exact integer sum per group, ONE rounding to FP32 per group and FP32 accumulation of the
// group results. The reference the shift_add and bitserial PE families match bit for bit.
// SPDX-License-Identifier: Apache-2.0
//
// Semantics of C[m,n] (numerics.md §4, §5, §9, §16.7; MixPE's "dequantize after the group GEMM"):
//   Activations as exact integers a_k with value a_k * 2^ea: int8 -> the integer itself (ea = 0);
//   fp16 -> every FP16 value is an integer multiple of 2^-24 (ea = -24, |a_k| < 2^40).
//   Weights as exact integer terms t_k with value t_k * s_g in group g:
//     int4_g*/gptq_int4: t_k = q_k - z_g (UINT4 code minus the stored UINT4 zero, in [-15, 15]);
//     bitmod_fp4/fp3:    t_k = the element's value in the reference's x2 units (bitmod_decode of
//                        the code under the group's datatype tag, in [-16, 16]);
//     s_g = the stored FP16 scale (StoredScale::scale_code), NOT the FP16-rounded BitMoD values.
//   Per group: P_g = sum a_k*q_k and A_g = sum a_k give sum a_k*t_k = P_g - z_g*A_g exactly (the
//   MixPE form); r_g = fp32_RNE(s_g * 2^ea * (P_g - z_g*A_g)), the exact product rounded ONCE.
//   An exact zero gives +0.0f. C = (((+0.0f + r_0) + r_1) + ...) in FP32 (RNE), groups ascending.
//   The last group may be partial (K not a multiple of the group size).
// Non-finite inputs follow IEEE arithmetic on the group's terms: a group holding an Inf/NaN FP16
// activation gives fp32(double(sum a_k*t_k) * s_g) (Inf * 0 -> NaN, +Inf + -Inf -> NaN); a NaN
// scale (a NaN group) gives NaN; an Inf scale gives +-Inf, or NaN where the exact sum is 0.
// Not covered (group_gemm throws ConfigError, callers fall back to their own reference):
// qserve_w4a8 (a per-channel scale and INT8 dequant: the int4_tc family's own semantics), other
// activation formats.
//
// Example:
//   QuantMatrix qa = quantize_rows(x, num::FormatSpec{"int8"});
//   QuantMatrix qw = quantize_cols(w, num::FormatSpec{"int4_g128"});
//   GroupGemmResult r = group_gemm(qa, qw);  // r.c is x.rows x w.cols
#pragma once

#include <cstdint>
#include <string>

#include "mpsim/golden/matrix.h"
#include "mpsim/numerics/exact.h"
#include "mpsim/numerics/quantizer.h"

namespace mpsim::golden {

/// The product of a group GEMM.
struct GroupGemmResult {
  Matrix c;                 ///< qa.rows x qw.cols
  std::int64_t groups = 0;  ///< groups per output (ceil(K / group))
  int group = 0;            ///< weight group size
};

/// Whether group_gemm covers the activation x weight pair; `why` (if given) says why not.
bool group_gemm_supports(const num::FormatSpec& a, const num::FormatSpec& w,
                         std::string* why = nullptr);

/// One group's result: fp32_RNE(sum * scale * 2^a_exp), the exact product rounded once, where
/// `scale_fp16` is the stored FP16 scale's bits. An exact zero is +0.0f; a NaN scale gives NaN and
/// an Inf scale +-Inf (NaN for sum == 0).
float group_result(num::int128_t sum, std::uint16_t scale_fp16, int a_exp);

/// C[m,n] of one activation row and one weight column (both of length K), as group_gemm computes
/// it. Throws ConfigError for an unsupported pair or mismatched lengths.
float group_dot(const num::QuantizedRow& a, const num::QuantizedRow& w);

/// C = A x W under the semantics above. qa: rows of A (int8 or fp16, quantize_rows), qw: columns
/// of W (quantize_cols). Throws ConfigError for an unsupported pair or mismatched K.
GroupGemmResult group_gemm(const QuantMatrix& qa, const QuantMatrix& qw);

}  // namespace mpsim::golden
