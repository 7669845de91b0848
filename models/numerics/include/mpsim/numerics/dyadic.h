// DESCRIPTION: HAWQ-V3 dyadic requantization (numerics.md §10): a real scale ratio becomes b / 2^c
// with a 31-bit b, and an INT32 accumulator is requantized by an integer multiply and shift.
// SPDX-License-Identifier: Apache-2.0
//
// Example:
//   Dyadic d = dyadic_from_scales(s_a * s_w, s_o);    // "follow TVM's computation"
//   std::int64_t q = requantize(acc, d, 8, true);      // (acc*b + 2^(c-1)) >> c, clamped to int8
#pragma once

#include <cstdint>

#include "mpsim/numerics/rounding.h"

namespace mpsim::num {

/// b / 2^c, b in [2^30, 2^31].
struct Dyadic {
  std::int64_t b = 0;
  int c = 0;
  friend bool operator==(const Dyadic&, const Dyadic&) = default;
};

/// HAWQ-V3 `batch_frexp`: M = double(fp32(s_in)) / double(fp32(s_out)), (m, e) = frexp(M),
/// b = round-half-up(m * 2^31), c = 31 - e. s_in and s_out must be positive and finite.
Dyadic dyadic_from_scales(float s_in, float s_out);

/// Requantizes an integer accumulator: round(z * b / 2^c) with `r` (kHalfUp is the hardware
/// (z*b + 2^(c-1)) >> c and the mpsim default; kNearestEven is the reference's torch.round, done
/// exactly), then clamps to a signed or unsigned `bits`-bit range.
std::int64_t requantize(std::int64_t z, const Dyadic& d, int bits, bool is_signed,
                        Rounding r = Rounding::kHalfUp);

}  // namespace mpsim::num
