// DESCRIPTION: HAWQ-V3 dyadic scale decomposition and integer requantization.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/numerics/dyadic.h"

#include <algorithm>
#include <cmath>

#include "mpsim/base/error.h"
#include "mpsim/numerics/exact.h"

namespace mpsim::num {

Dyadic dyadic_from_scales(float s_in, float s_out) {
  MPSIM_CHECK(s_in > 0 && s_out > 0 && std::isfinite(s_in) && std::isfinite(s_out),
              "dyadic scales must be positive and finite");
  const double m_real = static_cast<double>(s_in) / static_cast<double>(s_out);
  int e = 0;
  const double m = std::frexp(m_real, &e);  // m in [0.5, 1)
  // ROUND_HALF_UP of m * 2^31: m * 2^31 is exact in double (a power-of-two scaling).
  const auto b = static_cast<std::int64_t>(std::floor(std::ldexp(m, 31) + 0.5));
  return Dyadic{b, 31 - e};
}

std::int64_t requantize(std::int64_t z, const Dyadic& d, int bits, bool is_signed, Rounding r) {
  MPSIM_CHECK(bits >= 1 && bits <= 62, "requantize width must be in [1, 62]");
  // z * b needs at most 95 bits: exact in ExactValue; the quotient by 2^c is an exponent shift.
  const ExactValue prod = ExactValue::from_int(static_cast<int128_t>(z) * d.b, -d.c);
  const RoundedMagnitude q = round_magnitude(prod, 0, r);
  const uint128_t cap = static_cast<uint128_t>(1) << 63;
  const auto mag = static_cast<std::int64_t>(q.q > cap ? cap - 1 : q.q);
  const std::int64_t v = prod.negative ? -mag : mag;
  const std::int64_t lo = is_signed ? -(std::int64_t{1} << (bits - 1)) : 0;
  const std::int64_t hi =
      is_signed ? (std::int64_t{1} << (bits - 1)) - 1 : (std::int64_t{1} << bits) - 1;
  return std::clamp(v, lo, hi);
}

}  // namespace mpsim::num
