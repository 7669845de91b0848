// DESCRIPTION: Group-wise INT building blocks: AWQ/GPTQ asymmetric UINT4 group parameters and
// element kernels, QServe W4A8 progressive (INT8 -> UINT4) weight quantization with its byte-wise
// modular dequant, and QServe's per-token INT8 activation quantizer. numerics.md §6, §9, §16.7,
// §16.8. Shared by the int4_g*/gptq_int4/qserve_w4a8 quantizers and the golden GEMM / PE models.
// SPDX-License-Identifier: Apache-2.0
//
// Example (AWQ group of 128, then GPTQ, then QServe):
//   Int4GroupParams p = int4_group_params(w.subspan(0, 128), Int4RangeRule::kAwq);
//   int4_quantize_rne(w.data(), 128, p, codes, values);   // fast path, RNE only
//   std::uint32_t q = int4_encode(w[0], p, Rounding::kFloor);  // any rounding, slow path
//   float v = int4_decode(q, p.stored_scale, p.zero);          // (q - zero) * fp32(fp16(scale))
//
//   QServeChannelScale s1 = qserve_channel_scale(row);     // fp16(amax / 119)
//   int w8 = qserve_level1(row[i], s1.s1);                  // in [-119, 119]
//   QServeGroupParams g = qserve_group_params(vmin, vmax);  // s2, z of the group's W8 range
//   int w8q = qserve_dequant(qserve_encode(w8, g), g);      // (q - z) * s2 via byte arithmetic
//
//   std::vector<std::int8_t> a8(x.size());
//   QServeTokenScale t = qserve_quantize_token(x, a8);       // per-token INT8, fp16 scale
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "mpsim/numerics/rounding.h"

namespace mpsim::num {

// ----------------------------------------------------------------------------------------------
// AWQ / GPTQ asymmetric UINT4 groups (§9, §16.7)
// ----------------------------------------------------------------------------------------------

/// Largest UINT4 code (the `maxq` of GPTQ, the 15 of AWQ).
inline constexpr int kUint4Max = 15;

/// AWQ's lower bound on a group's range before it is divided by 15 (llm-awq `clamp(min=1e-5)`).
inline constexpr float kAwqMinRange = 1e-5f;

/// FP16 bits stored as the scale of a NaN group (the canonical quiet NaN).
inline constexpr std::uint16_t kFp16QuietNan = 0x7E00;

/// How a group's range is turned into scale and zero point.
enum class Int4RangeRule : std::uint8_t {
  /// llm-awq `pseudo_quantize_tensor`: [min, max], floored at 1e-5; zero clamped to [0, 15].
  kAwq,
  /// GPTQ `find_params` (asym): [min(min, 0), max(max, 0)], [-1, 1] if both are 0.
  kGptq,
};

/// One group's asymmetric UINT4 parameters. Codes are computed with the FP32 `scale`; the format
/// stores `scale_fp16` and dequantizes with `stored_scale` (the Q4_0 pattern, §16.7).
struct Int4GroupParams {
  float scale = 0;               ///< FP32 scale the codes are computed with (never stored)
  std::uint16_t scale_fp16 = 0;  ///< stored scale: fp32_to_fp16_bits(scale) (RNE, Inf on overflow)
  float stored_scale = 0;        ///< fp16_bits_to_fp32(scale_fp16): what dequantization uses
  int zero = 0;                  ///< zero point in [0, 15] (always RNE, whatever the rounding)
  /// The group quantizes to NaN: it holds a NaN or Inf, or (GPTQ only) its FP32 scale underflowed
  /// to 0, where the reference computes 0/0. scale/stored_scale are NaN, scale_fp16 is
  /// kFp16QuietNan, zero is 0, and every code is 0, so decoding yields NaN.
  bool is_nan = false;
};

/// Computes a group's parameters in FP32 from its FP32 inputs (`g` non-empty).
///   AWQ:  scale = max(max - min, 1e-5f) / 15;  zero = clamp(-RNE(min / scale), 0, 15)
///   GPTQ: lo = min(min, 0), hi = max(max, 0) ([-1, 1] if both 0); scale = (hi - lo) / 15;
///         zero = clamp(RNE(-lo / scale), 0, 15) (the clamp only acts on subnormal scales)
/// Finite ranges beyond FP16 store an Inf scale, so their values decode to +-Inf/NaN exactly as
/// the reference's FP16 scale tensor would; that is deliberate, not an error.
Int4GroupParams int4_group_params(std::span<const float> g, Int4RangeRule rule);

/// Returns the code of one element with any rounding (the generic, slow path):
/// clamp(round(w / scale) + zero, 0, 15), with w / scale an FP32 division. NaN groups give 0.
std::uint32_t int4_encode(float w, const Int4GroupParams& p, Rounding r);

/// Returns the dequantized value of a code: (q - zero) * stored_scale, one FP32 rounding.
inline float int4_decode(std::uint32_t q, float stored_scale, int zero) {
  return static_cast<float>(static_cast<int>(q) - zero) * stored_scale;
}

/// AWQ's older GEMM kernel epilogue (`gemm_cuda_gen.cu`): half(float(s) * (q - z)). The FP32
/// product is exact (11 x 5 bits), so this is one RNE rounding to FP16. Returns FP16 bits.
std::uint16_t awq_dequant_fp16_gen(std::uint32_t q, std::uint16_t scale_fp16, int zero);
/// AWQ's newer kernel epilogue (`gemm_cuda.cu`): __hfma2(q, s, scaled_zero) with the precomputed
/// scaled_zero = fp16(-s * z): the exact q*s + scaled_zero, rounded once to FP16 (RNE). It differs
/// from awq_dequant_fp16_gen by the extra rounding of -s*z (numerics.md §9.1). Returns FP16 bits.
std::uint16_t awq_dequant_fp16_fma(std::uint32_t q, std::uint16_t scale_fp16, int zero);

/// Quantizes `n` elements of one group with RNE (the vectorizable fast path), writing codes and
/// dequantized values. Bit-identical to int4_encode(..., kNearestEven) + int4_decode (tested).
void int4_quantize_rne(const float* w, std::size_t n, const Int4GroupParams& p,
                       std::uint32_t* codes, float* values);

// ----------------------------------------------------------------------------------------------
// QServe W4A8 weights, per-group progressive quantization (§6.1, §16.8)
// ----------------------------------------------------------------------------------------------

/// QServe's protective range: level-1 INT8 weights are kept in [-119, 119] so that the level-2
/// UINT4 round trip (q - z) * s2 always lies in [-127, 127] (brute-forced in the tests; 120 fails).
inline constexpr int kQServeProtectiveRange = 119;

/// Level-1 (per output channel) scale s1, stored as FP16.
struct QServeChannelScale {
  std::uint16_t s1_fp16 = 0;  ///< fp32_to_fp16_bits(amax / 119.0f) (FP32 division, then RNE)
  float s1 = 0;               ///< fp16_bits_to_fp32(s1_fp16)
  bool is_nan = false;        ///< the channel holds a NaN/Inf: s1 is NaN, every value decodes NaN
};

/// Computes s1 from a whole output channel (its absolute maximum).
QServeChannelScale qserve_channel_scale(std::span<const float> channel);

/// Level 1: clamp(RNE(w / s1), -119, 119) with an FP32 division. Returns 0 where s1 is not a
/// positive number (amax/119 underflowing FP16 flushes the channel to 0; NaN channels) and for
/// NaN quotients, so no input is undefined behaviour.
int qserve_level1(float w, float s1);

/// Level-2 parameters of one group: UINT8 scale s2 and UINT4 zero z ("PreScale" zero domain).
struct QServeGroupParams {
  int s2 = 1;  ///< RNE((vmax - vmin) / 15), 1 if that is 0, at most 127
  int z = 0;   ///< clamp(RNE(-vmin / s2), 0, 15)
};

/// Computes s2 and z from the group's INT8 range (vmin <= vmax), exactly (integer RNE).
QServeGroupParams qserve_group_params(int vmin, int vmax);

/// Level 2: clamp(RNE(w8 / s2 + z), 0, 15), exactly (integer RNE of the rational).
std::uint32_t qserve_encode(int w8, const QServeGroupParams& p);

/// The CUDA `__vadd4`: four independent byte additions modulo 256 (no carry between bytes).
constexpr std::uint32_t byte_add4(std::uint32_t a, std::uint32_t b) {
  // Add the low 7 bits of each byte (cannot carry out of the byte), then fix bit 7 with XOR.
  return ((a & 0x7F7F7F7Fu) + (b & 0x7F7F7F7Fu)) ^ ((a ^ b) & 0x80808080u);
}

/// The kernel's "subtraction after multiplication" dequant of four codes at once: `q4` holds one
/// UINT4 code per byte (byte i = element i); returns one int8 (q - z) * s2 per byte. The codes are
/// multiplied by s2 as one 32-bit integer (no inter-byte carry because q * s2 <= 255, checked)
/// and the two's complement byte -z * s2 is added per byte modulo 256.
std::uint32_t qserve_dequant4(std::uint32_t q4, const QServeGroupParams& p);

/// Dequantizes one code through qserve_dequant4 (the value of its byte 0, as int8).
int qserve_dequant(std::uint32_t q, const QServeGroupParams& p);

// ----------------------------------------------------------------------------------------------
// QServe activations, per-token symmetric INT8 (§6.3, §16.8: the multiply-by-127/amax variant)
// ----------------------------------------------------------------------------------------------

/// The stored per-token activation scale and the multiplier the codes were computed with.
struct QServeTokenScale {
  float amax = 0;                ///< max |x| over the token (NaNs ignored, like CUDA fmaxf)
  std::uint16_t scale_fp16 = 0;  ///< half_rn(amax / 127.0f): FP32 division, then RNE to FP16
  float scale = 0;               ///< fp16_bits_to_fp32(scale_fp16)
  float multiplier = 0;          ///< 127.0f / amax (FP32); Inf for an all-zero token
};

/// PTX `cvt.rni.sat.s8.f32`: round to nearest even, saturate to [-128, 127], NaN -> 0.
std::int8_t cvt_rni_sat_s8(float v);

/// Quantizes one token: q[i] = cvt_rni_sat_s8(x[i] * (127.0f / amax)), `q.size() == x.size()`.
/// Non-finite inputs follow the PTX rules with no special case: NaN elements give 0 and do not
/// affect amax; an Inf makes amax Inf, the multiplier 0 and so every code 0 (Inf * 0 is NaN -> 0);
/// an all-zero token has multiplier Inf, 0 * Inf = NaN -> code 0, and scale 0.
QServeTokenScale qserve_quantize_token(std::span<const float> x, std::span<std::int8_t> q);

}  // namespace mpsim::num
