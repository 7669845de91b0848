// DESCRIPTION: Element codecs: binary floats of any width (fp32 down to fp4, e8m0), two's
// complement and unsigned integers, and bipolar-INT. Encode = round + overflow rule; decode = exact
// value. SPDX-License-Identifier: Apache-2.0
//
// Example:
//   const auto& e4m3 = ScalarFormat::fp8_e4m3();
//   std::uint32_t c = e4m3.encode(464.0, Rounding::kNearestEven, Overflow::kSaturate);  // 0x7E
//   double v = e4m3.decode(c);                                                       // 448
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mpsim/numerics/exact.h"
#include "mpsim/numerics/rounding.h"

namespace mpsim::num {

/// Which codes of a float format are special.
enum class Specials : std::uint8_t {
  kIeee,        ///< all-ones exponent: mantissa 0 = Inf, otherwise NaN (fp16, bf16, fp32, e5m2)
  kNanAllOnes,  ///< only the all-ones magnitude is NaN, no Inf (fp8_e4m3 "fn", e8m0)
  kNone,        ///< every code is finite (fp6, fp4)
};

/// An element codec. A value type: cheap to copy, compare by value.
class ScalarFormat {
 public:
  enum class Kind : std::uint8_t { kFloat, kInt, kUInt, kBipolar };

  /// A binary float: `exp_bits` exponent, `man_bits` stored mantissa, `bias`.
  /// `subnormals == false` means exponent field 0 is an ordinary binade and there is no zero
  /// (e8m0).
  static ScalarFormat binary_float(std::string name, int exp_bits, int man_bits, int bias,
                                   Specials specials, bool has_sign = true, bool subnormals = true);
  static ScalarFormat integer(std::string name, int bits, bool is_signed);
  static ScalarFormat bipolar(std::string name, int bits);

  static const ScalarFormat& fp32();
  static const ScalarFormat& fp16();
  static const ScalarFormat& bf16();
  static const ScalarFormat& fp8_e4m3();
  static const ScalarFormat& fp8_e5m2();
  static const ScalarFormat& fp6_e3m2();
  static const ScalarFormat& fp6_e2m3();
  static const ScalarFormat& fp4_e2m1();
  static const ScalarFormat& e8m0();

  const std::string& name() const { return name_; }
  Kind kind() const { return kind_; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  int bits() const { return bits_; }
  int exp_bits() const { return exp_bits_; }
  int man_bits() const { return man_bits_; }
  int bias() const { return bias_; }
  Specials specials() const { return specials_; }
  bool has_sign() const { return has_sign_; }
  bool has_inf() const { return is_float() && specials_ == Specials::kIeee; }
  bool has_nan() const { return is_float() && specials_ != Specials::kNone; }
  bool has_subnormals() const { return subnormals_; }
  std::uint32_t num_codes() const { return 1u << bits_; }
  /// Smallest exponent of a normal (or, without subnormals, of code 0).
  int emin() const;
  /// Exponent of the largest finite value.
  int emax() const;
  double max_finite() const;
  /// Smallest positive value (min subnormal, or 2^emin without subnormals; 1 for integers).
  double min_positive() const;
  std::uint32_t max_code() const;                       ///< code of +max_finite
  std::uint32_t nan_code(bool negative = false) const;  ///< requires has_nan()
  std::uint32_t inf_code(bool negative = false) const;  ///< requires has_inf()

  /// Returns the exact value of `code` (NaN/Inf for special codes).
  double decode(std::uint32_t code) const;
  /// Rounds `v` into a code. NaN maps to the NaN code (or, for formats without NaN, the rule in
  /// DESIGN: fp6/fp4 give -0 like ml_dtypes, integers give 0). Inf maps to Inf when the format has
  /// it and `o == kInfNan`, otherwise to the saturated extreme.
  std::uint32_t encode(double v, Rounding r = Rounding::kNearestEven,
                       Overflow o = Overflow::kSaturate) const;
  /// Same, for an exact value (used by accumulators and dot products).
  std::uint32_t encode_exact(const ExactValue& v, Rounding r, Overflow o) const;
  /// Returns decode(encode(v, r, o)).
  double quantize(double v, Rounding r = Rounding::kNearestEven,
                  Overflow o = Overflow::kSaturate) const {
    return decode(encode(v, r, o));
  }
  bool is_nan_code(std::uint32_t code) const;

  friend bool operator==(const ScalarFormat&, const ScalarFormat&) = default;

 private:
  std::string name_;
  Kind kind_ = Kind::kInt;
  int bits_ = 0;
  int exp_bits_ = 0;
  int man_bits_ = 0;
  int bias_ = 0;
  Specials specials_ = Specials::kNone;
  bool has_sign_ = true;
  bool subnormals_ = true;

  std::uint32_t encode_float(const ExactValue& v, Rounding r, Overflow o) const;
  std::uint32_t encode_float_nearest(double v, Rounding r, Overflow o) const;
  std::uint32_t encode_integer(const ExactValue& v, Rounding r, Overflow o) const;
  std::uint32_t encode_bipolar(const ExactValue& v, Rounding r, Overflow o) const;
};

}  // namespace mpsim::num
