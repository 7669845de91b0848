// DESCRIPTION: Exact 128-bit binary values and correct rounding of them to a quantum.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/numerics/exact.h"

#include <bit>
#include <cmath>
#include <utility>

#include "mpsim/base/error.h"
#include "mpsim/numerics/rounding.h"

namespace mpsim::num {
namespace {

int bit_length(uint128_t v) {
  const auto hi = static_cast<std::uint64_t>(v >> 64);
  if (hi != 0) return 128 - std::countl_zero(hi);
  return 64 - std::countl_zero(static_cast<std::uint64_t>(v));
}

// Keeps the top bit of a (non-zero) magnitude at bit kTop so two such values add without overflow.
constexpr int kTop = 125;

}  // namespace

ExactValue ExactValue::from_double(double x) {
  MPSIM_CHECK(std::isfinite(x), "ExactValue::from_double needs a finite value");
  ExactValue v;
  v.negative = std::signbit(x);
  if (x == 0) return v;
  int e = 0;
  const double m = std::frexp(std::fabs(x), &e);  // m in [0.5, 1)
  v.mag = static_cast<uint128_t>(static_cast<std::uint64_t>(std::ldexp(m, 53)));
  v.exp = e - 53;
  return v;
}

ExactValue ExactValue::from_int(int128_t value, int exp2) {
  ExactValue v;
  v.negative = value < 0;
  v.mag = v.negative ? static_cast<uint128_t>(-(value + 1)) + 1 : static_cast<uint128_t>(value);
  v.exp = exp2;
  return v;
}

double ExactValue::to_double() const {
  // Splits the magnitude so each part converts exactly; the final add rounds once at most.
  const double hi =
      std::ldexp(static_cast<double>(static_cast<std::uint64_t>(mag >> 64)), exp + 64);
  const double lo = std::ldexp(static_cast<double>(static_cast<std::uint64_t>(mag)), exp);
  const double r = hi + lo;
  return negative ? -r : r;
}

int floor_log2(const ExactValue& v) {
  MPSIM_CHECK(v.mag != 0, "floor_log2 of zero");
  return v.exp + bit_length(v.mag) - 1;
}

namespace {

int trailing_zeros(uint128_t v) {
  const auto lo = static_cast<std::uint64_t>(v);
  return lo != 0 ? std::countr_zero(lo)
                 : 64 + std::countr_zero(static_cast<std::uint64_t>(v >> 64));
}

// Drops trailing zero bits so a value is as narrow as its precision: sums can then be chained as
// long as the true precision fits.
ExactValue trimmed(ExactValue v) {
  if (v.mag != 0 && !v.sticky) {
    const int tz = trailing_zeros(v.mag);
    v.mag >>= tz;
    v.exp += tz;
  }
  return v;
}

}  // namespace

ExactValue ExactValue::add(const ExactValue& a_in, const ExactValue& b_in) {
  MPSIM_CHECK(!a_in.sticky && !b_in.sticky, "ExactValue::add takes exact operands");
  const ExactValue a = trimmed(a_in);
  const ExactValue b = trimmed(b_in);
  if (a.mag == 0) return b.mag == 0 ? ExactValue{a.negative && b.negative, 0, 0, false} : b;
  if (b.mag == 0) return a;
  // Order by the position of the top bit so `big` has the larger (or equal) exponent of its top
  // bit.
  const ExactValue* big = &a;
  const ExactValue* small = &b;
  if (floor_log2(b) > floor_log2(a)) std::swap(big, small);
  // Normalize big so its top bit sits at kTop (exact: magnitudes have at most 128 bits, and a
  // right shift happens only for 126..128-bit magnitudes, which no caller produces).
  const int big_len = bit_length(big->mag);
  MPSIM_CHECK(big_len <= kTop + 1, "ExactValue::add operand wider than 126 bits");
  const int common_exp = big->exp - (kTop + 1 - big_len);
  const uint128_t big_mag = big->mag << (kTop + 1 - big_len);
  // Align small to common_exp.
  uint128_t small_mag = 0;
  bool sticky = false;
  const int d = common_exp - small->exp;
  if (d <= 0) {
    small_mag = small->mag << (-d);  // small's top bit <= big's top bit, so this fits
  } else if (d < 128) {
    small_mag = small->mag >> d;
    sticky = (small->mag & ((static_cast<uint128_t>(1) << d) - 1)) != 0;
  } else {
    sticky = true;
  }
  ExactValue r;
  r.exp = common_exp;
  if (big->negative == small->negative) {
    r.negative = big->negative;
    r.mag = big_mag + small_mag;
    r.sticky = sticky;
  } else if (big_mag > small_mag) {
    r.negative = big->negative;
    // big - (small + f) = (big - small - 1) + (1 - f) when f > 0.
    r.mag = big_mag - small_mag - (sticky ? 1 : 0);
    r.sticky = sticky;
  } else if (big_mag < small_mag) {  // only when d <= 0 (no sticky)
    r.negative = small->negative;
    r.mag = small_mag - big_mag;
  } else {
    MPSIM_CHECK(!sticky, "ExactValue::add cancellation with sticky bits");
    r.negative = false;  // exact cancellation is +0 under every rounding mode but floor
    r.mag = 0;
  }
  return trimmed(r);
}

ExactValue ExactValue::mul(const ExactValue& a, const ExactValue& b) {
  MPSIM_CHECK(!a.sticky && !b.sticky, "ExactValue::mul takes exact operands");
  MPSIM_CHECK(a.mag == 0 || b.mag == 0 || bit_length(a.mag) + bit_length(b.mag) <= 128,
              "ExactValue::mul product wider than 128 bits");
  ExactValue r;
  r.negative = a.negative != b.negative;
  r.mag = a.mag * b.mag;
  r.exp = a.exp + b.exp;
  return r;
}

RoundedMagnitude round_magnitude(const ExactValue& v, int quantum_exp, Rounding r) {
  RoundedMagnitude out;
  const int shift = quantum_exp - v.exp;
  bool above = false;  // the discarded part exceeds half a quantum
  bool tie = false;    // the discarded part is exactly half a quantum
  if (shift <= 0) {
    MPSIM_CHECK(!v.sticky, "round_magnitude: sticky value with fewer bits than the quantum");
    MPSIM_CHECK(v.mag == 0 || bit_length(v.mag) - shift <= 127, "round_magnitude overflow");
    out.q = v.mag << (-shift);
    return out;
  }
  if (shift > 128) {
    out.q = 0;
    out.inexact = v.mag != 0 || v.sticky;
  } else {
    const uint128_t rem = shift == 128 ? v.mag : v.mag & ((static_cast<uint128_t>(1) << shift) - 1);
    const uint128_t half = static_cast<uint128_t>(1) << (shift - 1);
    out.q = shift == 128 ? 0 : v.mag >> shift;
    above = rem > half || (rem == half && v.sticky);
    tie = rem == half && !v.sticky;
    out.inexact = rem != 0 || v.sticky;
  }
  out.tie = tie;
  bool up = false;
  switch (r) {
    case Rounding::kNearestEven:
      up = above || (tie && (out.q & 1) != 0);
      break;
    case Rounding::kNearestAway:
      up = above || tie;
      break;
    case Rounding::kHalfUp:
      up = above || (tie && !v.negative);
      break;
    case Rounding::kTowardZero:
      up = false;
      break;
    case Rounding::kFloor:
      up = v.negative && out.inexact;
      break;
  }
  if (up) out.q += 1;
  return out;
}

}  // namespace mpsim::num
