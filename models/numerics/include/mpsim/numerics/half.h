// DESCRIPTION: Fast FP32 <-> FP16/BF16 conversions (RNE, IEEE overflow to Inf) for stored scales
// and FP16 reference arithmetic. Bit-identical to ScalarFormat::fp16()/bf16() with rne + inf
// (tested). SPDX-License-Identifier: Apache-2.0
#pragma once

#include <bit>
#include <cstdint>

namespace mpsim::num {

/// Converts FP32 to FP16 bits, round to nearest even, overflow to Inf, NaN kept (quiet).
std::uint16_t fp32_to_fp16_bits(float x);
/// Converts FP16 bits to FP32 (exact).
float fp16_bits_to_fp32(std::uint16_t h);
/// Rounds FP32 to the nearest FP16 value and returns it as FP32.
inline float round_to_fp16(float x) { return fp16_bits_to_fp32(fp32_to_fp16_bits(x)); }
/// Converts FP32 to BF16 bits, round to nearest even, NaN kept (quiet).
std::uint16_t fp32_to_bf16_bits(float x);
inline float bf16_bits_to_fp32(std::uint16_t b) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

}  // namespace mpsim::num
