// DESCRIPTION: Vectorized element kernels shared by the block and scalar quantizers: rne/rna
// rounding of x * 2^-e into a float or integer element format, and the block absolute maximum.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>

#include "mpsim/numerics/rounding.h"
#include "mpsim/numerics/scalar_format.h"

namespace mpsim::num {

struct FloatKernel {
  int drop = 0;                       // 23 - element mantissa bits
  std::int32_t rebias = 0;            // (127 - bias) << man: FP32 exponent field -> element field
  std::uint32_t min_normal_bits = 0;  // FP32 bits of the element's smallest normal
  std::int32_t max_mag = 0;           // largest finite magnitude code
  std::int32_t man_one = 0;           // 1 << man: smallest normal magnitude code
  int sign_shift = 0;                 // position of the element's sign bit
  float sub_scale = 1;                // 1 / subnormal step
  float sub_step = 1;                 // subnormal step
};

struct IntKernel {
  std::int32_t max_k = 0;  // 2^(bits-1) - 1 (symmetric clamp)
  std::uint32_t mask = 0;  // element code mask
  float scale = 1;         // 2^frac_bits
  float step = 1;          // 2^-frac_bits
};

/// Rounds x * 2^-e into an element format with rne or rna and saturation, writing codes and the
/// dequantized x' * 2^e. Inputs must be finite; callers handle Inf/NaN.
class ElementKernel {
 public:
  /// True when `f` fits the FP32 bit tricks (signed, subnormals, emin >= -100, man <= 22).
  static bool supports(const ScalarFormat& f);
  static ElementKernel for_float(const ScalarFormat& f, Rounding r);
  /// An integer element k * 2^-frac_bits with |k| <= 2^(bits-1) - 1.
  static ElementKernel for_int(int bits, int frac_bits, Rounding r);
  /// Returns max |x| as FP32 bits; >= 0x7F800000 means an Inf or NaN is present.
  static std::uint32_t abs_max_bits(const float* x, std::size_t n);

  /// Whether the kernel applies (rne or rna); otherwise callers use the exact engine.
  bool fast() const { return fast_; }
  void run(const float* x, std::size_t n, int e, std::uint32_t* codes, float* values) const;

 private:
  bool fast_ = false;
  bool away_ = false;
  bool is_int_ = false;
  FloatKernel fk_;
  IntKernel ik_;
};

}  // namespace mpsim::num
