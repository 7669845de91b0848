// DESCRIPTION: The golden dot product of two MX/BFP-quantized rows (numerics.md §16.3): an exact
// integer sum inside each block, scaled by both shared exponents and rounded to FP32 once, then the
// block results accumulated in FP32 in ascending k order. PE models, RTL and CUDA reproduce this.
// SPDX-License-Identifier: Apache-2.0
//
// Example:
//   auto q = builtin_formats().create("mxfp4");
//   float d = block_dot(q->quantize(a), q->quantize(b));  // a.size() == b.size()
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "mpsim/numerics/accumulator.h"
#include "mpsim/numerics/quantizer.h"
#include "mpsim/numerics/scalar_format.h"

namespace mpsim::num {

/// How a block format's element code maps to an integer: value = k * 2^ulp_exp.
struct BlockElement {
  ScalarFormat format;  ///< float element, or two's complement integer for MXINT8/BFP
  int ulp_exp = 0;      ///< exponent of one integer step (min subnormal, or -frac_bits)

  /// Whether `code` decodes to a finite value (NaN and Inf codes are not integers).
  bool finite(std::uint32_t code) const;
  /// Returns k for `code` (non-finite codes are not integers: callers check finite() first).
  std::int64_t integer(std::uint32_t code) const;
};

/// Returns the element description of an MX/BFP format, or nullopt for other formats.
std::optional<BlockElement> block_element(std::string_view format);

/// Statistics of one dot product, for PE models and overflow reports.
struct BlockDotResult {
  float value = 0;
  int max_block_sum_bits = 0;  ///< widest exact block sum seen (signed bits), cf. §2.5
};

/// Dot product of two rows quantized into MX/BFP formats with equal block sizes and lengths.
/// Throws ConfigError if the formats are not block formats or the shapes differ.
BlockDotResult block_dot_detailed(const QuantizedRow& a, const QuantizedRow& b,
                                  Rounding acc_rounding = Rounding::kNearestEven);
inline float block_dot(const QuantizedRow& a, const QuantizedRow& b,
                       Rounding acc_rounding = Rounding::kNearestEven) {
  return block_dot_detailed(a, b, acc_rounding).value;
}

}  // namespace mpsim::num
