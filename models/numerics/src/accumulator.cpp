// DESCRIPTION: Integer and floating accumulators with explicit overflow and rounding.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/numerics/accumulator.h"

#include <cmath>

#include "mpsim/base/error.h"

namespace mpsim::num {

Accumulator Accumulator::integer(int width, Overflow o) {
  MPSIM_CHECK(width >= 1 && width <= 128, "integer accumulator width must be in [1, 128]");
  MPSIM_CHECK(o == Overflow::kWrap || o == Overflow::kSaturate,
              "integer accumulators wrap or saturate");
  Accumulator a;
  a.is_int_ = true;
  a.width_ = width;
  a.overflow_ = o;
  return a;
}

Accumulator Accumulator::floating(const ScalarFormat& fmt, Rounding r) {
  MPSIM_CHECK(fmt.is_float(), "floating accumulator needs a float format");
  Accumulator a;
  a.is_int_ = false;
  a.fmt_ = fmt;
  a.rounding_ = r;
  a.code_ = 0;
  return a;
}

void Accumulator::reset() {
  ivalue_ = 0;
  code_ = 0;
  overflows_ = 0;
}

void Accumulator::add(int128_t term) {
  if (!is_int_) {
    add(ExactValue::from_int(term));
    return;
  }
  // Exact sum in 129+ bits is not needed: both operands are within 128-bit range checks below.
  const int128_t lo = width_ == 128 ? static_cast<int128_t>(static_cast<uint128_t>(1) << 127)
                                    : -(int128_t{1} << (width_ - 1));
  const int128_t hi = width_ == 128 ? ~lo : (int128_t{1} << (width_ - 1)) - 1;
  // Overflow-safe addition in 128 bits, using unsigned wrap-around.
  const auto sum_u = static_cast<uint128_t>(ivalue_) + static_cast<uint128_t>(term);
  auto sum = static_cast<int128_t>(sum_u);
  bool over128 = (term > 0 && sum < ivalue_) || (term < 0 && sum > ivalue_);
  if (width_ == 128) {
    if (over128) {
      ++overflows_;
      if (overflow_ == Overflow::kSaturate) sum = term > 0 ? hi : lo;
    }
    ivalue_ = sum;
    return;
  }
  // width < 128: the true sum fits in 128 bits because |ivalue_| < 2^127 and callers' terms are
  // far below 2^126; a term that large is a bug.
  MPSIM_CHECK(!over128, "integer accumulator term too large");
  if (sum < lo || sum > hi) {
    ++overflows_;
    if (overflow_ == Overflow::kSaturate) {
      sum = sum < lo ? lo : hi;
    } else {
      const uint128_t mask = (static_cast<uint128_t>(1) << width_) - 1;
      uint128_t u = static_cast<uint128_t>(sum) & mask;
      if (u >> (width_ - 1)) u |= ~mask;  // sign-extend
      sum = static_cast<int128_t>(u);
    }
  }
  ivalue_ = sum;
}

void Accumulator::add(const ExactValue& term) {
  if (is_int_) {
    MPSIM_CHECK(term.exp >= 0 && !term.sticky, "integer accumulator needs an integer term");
    const auto mag = static_cast<int128_t>(term.mag << term.exp);
    add(term.negative ? -mag : mag);
    return;
  }
  const double cur = fmt_.decode(code_);
  if (std::isnan(cur)) return;
  if (std::isinf(cur)) return;  // Inf + finite stays Inf
  ExactValue sum = ExactValue::add(ExactValue::from_double(cur), term);
  if (sum.is_zero() && !(cur == 0 && term.is_zero())) {
    // IEEE 754 6.3: an exact zero sum of non-zero operands is -0 only when rounding toward -inf.
    sum.negative = rounding_ == Rounding::kFloor;
  }
  const std::uint32_t next = fmt_.encode_exact(sum, rounding_, Overflow::kInfNan);
  const double nv = fmt_.decode(next);
  if (std::isinf(nv) || (fmt_.has_inf() == false && std::isnan(nv))) ++overflows_;
  code_ = next;
}

double Accumulator::value() const {
  return is_int_ ? static_cast<double>(ivalue_) : fmt_.decode(code_);
}

}  // namespace mpsim::num
