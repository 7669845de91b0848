// DESCRIPTION: Fast FP16/BF16 conversions by bit manipulation.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/numerics/half.h"

namespace mpsim::num {

std::uint16_t fp32_to_fp16_bits(float x) {
  std::uint32_t f = std::bit_cast<std::uint32_t>(x);
  const auto sign = static_cast<std::uint16_t>((f >> 16) & 0x8000u);
  f &= 0x7FFFFFFFu;
  if (f >= 0x7F800000u) return sign | (f > 0x7F800000u ? 0x7E00u : 0x7C00u);
  if (f >= 0x477FF000u) return sign | 0x7C00u;  // >= 65520 rounds to 65536: Inf
  if (f < 0x38800000u) {                        // below 2^-14: subnormal or zero
    // Adding 0.5 makes the float's ulp 2^-24, the FP16 subnormal quantum; the FPU rounds (RNE).
    const float v = std::bit_cast<float>(f) + 0.5f;
    return sign | static_cast<std::uint16_t>(std::bit_cast<std::uint32_t>(v) - 0x3F000000u);
  }
  const std::uint32_t odd = (f >> 13) & 1u;
  f += (static_cast<std::uint32_t>(15 - 127) << 23) + 0xFFFu + odd;
  return sign | static_cast<std::uint16_t>(f >> 13);
}

float fp16_bits_to_fp32(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1Fu;
  const std::uint32_t man = h & 0x3FFu;
  if (exp == 0x1F) return std::bit_cast<float>(sign | 0x7F800000u | (man << 13));
  if (exp == 0) {
    const float v = static_cast<float>(man) * 0x1p-24f;  // exact
    return sign ? -v : v;
  }
  return std::bit_cast<float>(sign | ((exp + 127 - 15) << 23) | (man << 13));
}

std::uint16_t fp32_to_bf16_bits(float x) {
  const std::uint32_t f = std::bit_cast<std::uint32_t>(x);
  if ((f & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<std::uint16_t>((f >> 16) | 0x40u);
  const std::uint32_t odd = (f >> 16) & 1u;
  return static_cast<std::uint16_t>((f + 0x7FFFu + odd) >> 16);
}

}  // namespace mpsim::num
