// DESCRIPTION: Element codecs built on the exact rounding engine.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/numerics/scalar_format.h"

#include <bit>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "mpsim/base/error.h"

namespace mpsim::num {

ScalarFormat ScalarFormat::binary_float(std::string name, int exp_bits, int man_bits, int bias,
                                        Specials specials, bool has_sign, bool subnormals) {
  MPSIM_CHECK(exp_bits >= 1 && exp_bits <= 8 && man_bits >= 0 && man_bits <= 23,
              "binary_float field widths out of range");
  ScalarFormat f;
  f.name_ = std::move(name);
  f.kind_ = Kind::kFloat;
  f.exp_bits_ = exp_bits;
  f.man_bits_ = man_bits;
  f.bias_ = bias;
  f.specials_ = specials;
  f.has_sign_ = has_sign;
  f.subnormals_ = subnormals;
  f.bits_ = exp_bits + man_bits + (has_sign ? 1 : 0);
  return f;
}

ScalarFormat ScalarFormat::integer(std::string name, int bits, bool is_signed) {
  MPSIM_CHECK(bits >= 1 && bits <= 32, "integer width out of range");
  ScalarFormat f;
  f.name_ = std::move(name);
  f.kind_ = is_signed ? Kind::kInt : Kind::kUInt;
  f.bits_ = bits;
  f.has_sign_ = is_signed;
  return f;
}

ScalarFormat ScalarFormat::bipolar(std::string name, int bits) {
  MPSIM_CHECK(bits >= 1 && bits <= 31, "bipolar width out of range");
  ScalarFormat f;
  f.name_ = std::move(name);
  f.kind_ = Kind::kBipolar;
  f.bits_ = bits;
  return f;
}

const ScalarFormat& ScalarFormat::fp32() {
  static const ScalarFormat f = binary_float("fp32", 8, 23, 127, Specials::kIeee);
  return f;
}
const ScalarFormat& ScalarFormat::fp16() {
  static const ScalarFormat f = binary_float("fp16", 5, 10, 15, Specials::kIeee);
  return f;
}
const ScalarFormat& ScalarFormat::bf16() {
  static const ScalarFormat f = binary_float("bf16", 8, 7, 127, Specials::kIeee);
  return f;
}
const ScalarFormat& ScalarFormat::fp8_e4m3() {
  static const ScalarFormat f = binary_float("fp8_e4m3", 4, 3, 7, Specials::kNanAllOnes);
  return f;
}
const ScalarFormat& ScalarFormat::fp8_e5m2() {
  static const ScalarFormat f = binary_float("fp8_e5m2", 5, 2, 15, Specials::kIeee);
  return f;
}
const ScalarFormat& ScalarFormat::fp6_e3m2() {
  static const ScalarFormat f = binary_float("fp6_e3m2", 3, 2, 3, Specials::kNone);
  return f;
}
const ScalarFormat& ScalarFormat::fp6_e2m3() {
  static const ScalarFormat f = binary_float("fp6_e2m3", 2, 3, 1, Specials::kNone);
  return f;
}
const ScalarFormat& ScalarFormat::fp4_e2m1() {
  static const ScalarFormat f = binary_float("fp4_e2m1", 2, 1, 1, Specials::kNone);
  return f;
}
const ScalarFormat& ScalarFormat::e8m0() {
  static const ScalarFormat f = binary_float("e8m0", 8, 0, 127, Specials::kNanAllOnes,
                                             /*has_sign=*/false, /*subnormals=*/false);
  return f;
}

int ScalarFormat::emin() const {
  if (!is_float()) return 0;
  return subnormals_ ? 1 - bias_ : -bias_;
}

int ScalarFormat::emax() const {
  if (!is_float()) return 0;
  const int all_ones = (1 << exp_bits_) - 1;
  int top_field = all_ones;
  if (specials_ == Specials::kIeee) top_field = all_ones - 1;
  // With NaN = all-ones magnitude and no mantissa bits, the whole top binade is NaN.
  if (specials_ == Specials::kNanAllOnes && man_bits_ == 0) top_field = all_ones - 1;
  return top_field - bias_;
}

std::uint32_t ScalarFormat::max_code() const {
  switch (kind_) {
    case Kind::kInt:
      return (1u << (bits_ - 1)) - 1;
    case Kind::kUInt:
    case Kind::kBipolar:
      return (bits_ == 32 ? 0xFFFFFFFFu : (1u << bits_) - 1);
    case Kind::kFloat:
      break;
  }
  const std::uint32_t mag_mask = (1u << (exp_bits_ + man_bits_)) - 1;
  switch (specials_) {
    case Specials::kIeee:
      return mag_mask - (1u << man_bits_);  // exponent all-ones minus 1
    case Specials::kNanAllOnes:
      return mag_mask - 1;
    case Specials::kNone:
      return mag_mask;
  }
  return mag_mask;
}

double ScalarFormat::max_finite() const { return decode(max_code()); }

double ScalarFormat::min_positive() const {
  if (!is_float()) return 1.0;
  return subnormals_ ? std::ldexp(1.0, emin() - man_bits_) : std::ldexp(1.0, emin());
}

std::uint32_t ScalarFormat::nan_code(bool negative) const {
  MPSIM_CHECK(has_nan(), "format has no NaN");
  const std::uint32_t mag_mask = (1u << (exp_bits_ + man_bits_)) - 1;
  std::uint32_t c = specials_ == Specials::kIeee
                        ? (mag_mask - (1u << man_bits_) + 1) | (1u << (man_bits_ - 1))
                        : mag_mask;
  if (negative && has_sign_) c |= 1u << (exp_bits_ + man_bits_);
  return c;
}

std::uint32_t ScalarFormat::inf_code(bool negative) const {
  MPSIM_CHECK(has_inf(), "format has no Inf");
  const std::uint32_t mag_mask = (1u << (exp_bits_ + man_bits_)) - 1;
  std::uint32_t c = mag_mask - (1u << man_bits_) + 1;
  if (negative) c |= 1u << (exp_bits_ + man_bits_);
  return c;
}

bool ScalarFormat::is_nan_code(std::uint32_t code) const {
  if (!has_nan()) return false;
  const std::uint32_t mag_mask = (1u << (exp_bits_ + man_bits_)) - 1;
  const std::uint32_t mag = code & mag_mask;
  if (specials_ == Specials::kNanAllOnes) return mag == mag_mask;
  const std::uint32_t exp_field = mag >> man_bits_;
  return exp_field == (1u << exp_bits_) - 1 && (mag & ((1u << man_bits_) - 1)) != 0;
}

double ScalarFormat::decode(std::uint32_t code) const {
  MPSIM_CHECK(bits_ == 32 || code < (1u << bits_), "code out of range for " + name_);
  switch (kind_) {
    case Kind::kInt: {
      const std::int64_t v = code;
      return static_cast<double>(code >> (bits_ - 1) ? v - (std::int64_t{1} << bits_) : v);
    }
    case Kind::kUInt:
      return static_cast<double>(code);
    case Kind::kBipolar:
      return 2.0 * static_cast<double>(code) - (std::ldexp(1.0, bits_) - 1.0);
    case Kind::kFloat:
      break;
  }
  const std::uint32_t mag_mask = (1u << (exp_bits_ + man_bits_)) - 1;
  const bool neg = has_sign_ && ((code >> (exp_bits_ + man_bits_)) & 1u);
  const std::uint32_t mag = code & mag_mask;
  const std::uint32_t exp_field = mag >> man_bits_;
  const std::uint32_t man = mag & ((1u << man_bits_) - 1);
  double v = 0;
  if (is_nan_code(code)) return std::numeric_limits<double>::quiet_NaN();
  if (specials_ == Specials::kIeee && exp_field == (1u << exp_bits_) - 1) {
    v = std::numeric_limits<double>::infinity();
  } else if (subnormals_ && exp_field == 0) {
    v = std::ldexp(static_cast<double>(man), emin() - man_bits_);
  } else {
    v = std::ldexp(static_cast<double>((1u << man_bits_) | man),
                   static_cast<int>(exp_field) - bias_ - man_bits_);
  }
  return neg ? -v : v;
}

std::uint32_t ScalarFormat::encode(double v, Rounding r, Overflow o) const {
  if (std::isnan(v)) {
    if (has_nan()) return nan_code(std::signbit(v));
    if (is_float()) return has_sign_ ? 1u << (bits_ - 1) : 0;  // ml_dtypes: NaN -> -0 code
    if (kind_ == Kind::kBipolar) return 1u << (bits_ - 1);     // the code nearest 0 from above
    return 0;
  }
  if (std::isinf(v)) {
    const bool neg = v < 0;
    if (is_float()) {
      if (neg && !has_sign_) return has_nan() ? nan_code() : 0;
      if (o == Overflow::kInfNan && has_inf()) return inf_code(neg);
      if (o == Overflow::kInfNan && has_nan()) return nan_code(neg);
      return (neg ? 1u << (exp_bits_ + man_bits_) : 0) | max_code();
    }
    // Integers: an infinity saturates (wrap-around of an infinity has no meaning).
    if (kind_ == Kind::kInt) return neg ? 1u << (bits_ - 1) : max_code();
    return neg ? 0 : max_code();
  }
  if (r == Rounding::kNearestEven || r == Rounding::kNearestAway) {
    if (is_float() && subnormals_ && man_bits_ <= 23) return encode_float_nearest(v, r, o);
  }
  return encode_exact(ExactValue::from_double(v), r, o);
}

// Fast path for the two nearest modes (the hot ones): the same algorithm as encode_float, in double
// arithmetic, which is exact here because inputs are finite doubles scaled by powers of two.
std::uint32_t ScalarFormat::encode_float_nearest(double v, Rounding r, Overflow o) const {
  const std::uint32_t sign = (std::signbit(v) && has_sign_) ? 1u << (exp_bits_ + man_bits_) : 0;
  if (!has_sign_ && v < 0) return encode_exact(ExactValue::from_double(v), r, o);
  const double a = std::fabs(v);
  if (a == 0) return sign;
  const auto bits = std::bit_cast<std::uint64_t>(a);
  const std::uint32_t max_mag = max_code();
  auto overflow = [&]() -> std::uint32_t {
    if (o == Overflow::kInfNan) {
      if (has_inf()) return inf_code(sign != 0);
      if (has_nan()) return nan_code(sign != 0);
    }
    return sign | max_mag;
  };
  int e = static_cast<int>(bits >> 52) - 1023;  // double subnormals give -1023, below any emin
  if (e > emax()) return overflow();
  if (e < emin()) e = emin();
  const double y =
      a * std::bit_cast<double>(static_cast<std::uint64_t>(1023 + man_bits_ - e) << 52);
  std::uint64_t q = 0;
  if (r == Rounding::kNearestEven) {
    q = static_cast<std::uint64_t>((y + 0x1p52) - 0x1p52);  // y < 2^25: the FPU rounds to even
  } else {
    q = static_cast<std::uint64_t>(y + 0.5);  // truncation after +0.5 = ties away for y >= 0
  }
  if (q == (std::uint64_t{1} << (man_bits_ + 1))) {
    q >>= 1;
    e += 1;
  }
  if (q == 0) return sign;
  const std::uint32_t max_man = (max_mag & ((1u << man_bits_) - 1)) | (1u << man_bits_);
  if (e > emax() || (e == emax() && q > max_man)) return overflow();
  const auto man = static_cast<std::uint32_t>(q);
  if (e == emin() && man < (1u << man_bits_)) return sign | man;
  return sign | (static_cast<std::uint32_t>(e + bias_) << man_bits_) |
         (man & ((1u << man_bits_) - 1));
}

std::uint32_t ScalarFormat::encode_exact(const ExactValue& v, Rounding r, Overflow o) const {
  return is_float() ? encode_float(v, r, o) : encode_integer(v, r, o);
}

std::uint32_t ScalarFormat::encode_float(const ExactValue& v, Rounding r, Overflow o) const {
  const std::uint32_t sign_bit = has_sign_ ? 1u << (exp_bits_ + man_bits_) : 0;
  const std::uint32_t sign = (v.negative && has_sign_) ? sign_bit : 0;
  if (v.negative && !has_sign_ && !v.is_zero()) {
    // Unsigned float (e8m0): negative values have no code.
    return has_nan() ? nan_code() : 0;
  }
  if (v.is_zero()) return subnormals_ ? sign : 0;  // no zero (e8m0): the smallest code
  const int e = std::max(floor_log2(v), emin());
  RoundedMagnitude q = round_magnitude(v, e - man_bits_, r);
  if (man_bits_ == 0 && r == Rounding::kNearestEven && q.tie) {
    // With no mantissa bits the code's last bit is the exponent's: ties go to the even exponent.
    q.q = ((e + bias_) & 1) == 0 ? 1 : 2;
  }
  int exp = e;
  if (q.q == (static_cast<uint128_t>(1) << (man_bits_ + 1))) {  // rounded up into the next binade
    q.q >>= 1;
    exp += 1;
  }
  if (q.q == 0) return subnormals_ ? sign : 0;  // underflow to zero (or to the smallest code)
  // Overflow: beyond the largest finite value after rounding with an unbounded exponent.
  const std::uint32_t max_mag = max_code();
  const std::uint32_t max_man = (max_mag & ((1u << man_bits_) - 1)) | (1u << man_bits_);
  const bool over = exp > emax() || (exp == emax() && q.q > max_man);
  if (over) {
    // IEEE 754 7.4: rounding directed toward zero (rtz; floor for positives) gives max finite.
    const bool toward_zero = r == Rounding::kTowardZero || (r == Rounding::kFloor && !v.negative);
    if (o == Overflow::kInfNan && !toward_zero) {
      if (has_inf()) return inf_code(v.negative && has_sign_);
      if (has_nan()) return nan_code(v.negative && has_sign_);
    }
    return sign | max_mag;
  }
  const auto man = static_cast<std::uint32_t>(q.q);
  if (subnormals_ && exp == emin() && man < (1u << man_bits_)) return sign | man;  // subnormal
  const auto exp_field = static_cast<std::uint32_t>(exp + bias_);
  return sign | (exp_field << man_bits_) | (man & ((1u << man_bits_) - 1));
}

std::uint32_t ScalarFormat::encode_integer(const ExactValue& v, Rounding r, Overflow o) const {
  const ExactValue& x = v;
  if (kind_ == Kind::kBipolar) return encode_bipolar(v, r, o);
  // Far beyond any integer range: skip the rounding (which would need > 128 bits) and clamp.
  const uint128_t cap = static_cast<uint128_t>(1) << 100;
  RoundedMagnitude q;
  if (x.mag != 0 && floor_log2(x) > 100) {
    q.q = cap;
  } else {
    q = round_magnitude(x, 0, r);
  }
  const bool neg = x.negative && q.q != 0;
  int128_t lo = 0;
  int128_t hi = 0;
  if (kind_ == Kind::kInt) {
    lo = -(int128_t{1} << (bits_ - 1));
    hi = (int128_t{1} << (bits_ - 1)) - 1;
  } else {
    hi = (int128_t{1} << bits_) - 1;
  }
  int128_t iv = static_cast<int128_t>(q.q > cap ? cap : q.q);
  if (neg) iv = -iv;
  if (iv < lo || iv > hi) {
    if (o == Overflow::kWrap) {
      const int128_t mod = int128_t{1} << bits_;
      iv = ((iv - lo) % mod + mod) % mod + lo;
    } else {
      iv = iv < lo ? lo : hi;
    }
  }
  return static_cast<std::uint32_t>(static_cast<uint128_t>(iv) &
                                    ((static_cast<uint128_t>(1) << bits_) - 1));
}

}  // namespace mpsim::num

namespace mpsim::num {

// Bipolar values are the odd integers 2u - (2^n - 1). Rounding is defined on the value: floor and
// half-up by value order, rtz/rna by magnitude, and rne by the parity of the code u. Between -1
// and 1 both neighbours have magnitude 1: rtz keeps the input's side, and the tie at 0 goes to the
// side of the zero's sign under rna.
std::uint32_t ScalarFormat::encode_bipolar(const ExactValue& v, Rounding r, Overflow o) const {
  const std::int64_t top = (std::int64_t{1} << bits_) - 1;  // largest value
  // Far beyond the range (and beyond what an exact add can hold): the extreme, under either rule.
  if (!v.is_zero() && floor_log2(v) > 40) return v.negative ? 0u : static_cast<std::uint32_t>(top);
  // lower = the largest odd integer <= v, from floor((v - 1) / 2) = k, lower = 2k + 1.
  ExactValue w = ExactValue::add(v, ExactValue::from_int(-1));
  w.exp -= 1;
  RoundedMagnitude k = round_magnitude(w, 0, Rounding::kFloor);
  const bool huge = k.q > (static_cast<uint128_t>(1) << 60);
  std::int64_t lower = 0;
  if (huge) {
    lower = w.negative ? -4 * top : 4 * top;
  } else {
    const auto kq = static_cast<std::int64_t>(k.q);
    lower = 2 * (w.negative ? -kq : kq) + 1;
  }
  std::int64_t value = lower;
  if (k.inexact && !huge) {
    const std::int64_t upper = lower + 2;
    // Compare v with the midpoint lower + 1 (an even integer).
    const ExactValue d = ExactValue::add(v, ExactValue::from_int(-(lower + 1)));
    const bool tie = d.is_zero();
    const bool above = !tie && !d.negative;
    const bool v_neg = v.negative;
    const std::int64_t small_mag = std::llabs(lower) < std::llabs(upper) ? lower
                                   : std::llabs(upper) < std::llabs(lower)
                                       ? upper
                                       : (v_neg ? lower : upper);
    const std::int64_t big_mag = small_mag == lower ? upper : lower;
    switch (r) {
      case Rounding::kFloor:
        value = lower;
        break;
      case Rounding::kTowardZero:
        value = small_mag;
        break;
      case Rounding::kHalfUp:
        value = (above || tie) ? upper : lower;
        break;
      case Rounding::kNearestAway:
        value = above ? upper : (tie ? big_mag : lower);
        break;
      case Rounding::kNearestEven: {
        const std::int64_t u_lower = (lower + top) / 2;
        value = above ? upper : (tie ? ((u_lower & 1) == 0 ? lower : upper) : lower);
        break;
      }
    }
    if (tie && lower == -1 && r == Rounding::kNearestAway) value = v_neg ? -1 : 1;
  }
  if (value > top || value < -top) {
    if (o == Overflow::kWrap) {
      const std::int64_t mod = std::int64_t{1} << bits_;
      const std::int64_t u = (value + top) / 2;
      return static_cast<std::uint32_t>(((u % mod) + mod) % mod);
    }
    value = value > top ? top : -top;
  }
  return static_cast<std::uint32_t>((value + top) / 2);
}

}  // namespace mpsim::num
