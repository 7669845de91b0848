// DESCRIPTION: Bit-exact accumulator models: two's complement integers of any width up to 128 bits
// (wrap or saturate, overflows counted) and binary floats (FP32 by default) with a named rounding
// applied after every addition.
// SPDX-License-Identifier: Apache-2.0
//
// Example:
//   Accumulator acc = Accumulator::integer(32, Overflow::kWrap);
//   acc.add(int128_t{0x7FFFFFFF}); acc.add(int128_t{1});    // wraps: value() == -2^31, overflows()
//   == 1 Accumulator f = Accumulator::floating(ScalarFormat::fp32(), Rounding::kNearestEven);
//   f.add(ExactValue::from_double(1.0)); f.add(ExactValue::from_double(0x1p-24));  // stays 1.0
//   (tie, even)
#pragma once

#include <cstdint>

#include "mpsim/numerics/exact.h"
#include "mpsim/numerics/rounding.h"
#include "mpsim/numerics/scalar_format.h"

namespace mpsim::num {

class Accumulator {
 public:
  /// A `width`-bit two's complement accumulator (1..128); `o` is kWrap or kSaturate.
  static Accumulator integer(int width, Overflow o = Overflow::kWrap);
  /// A floating accumulator in `fmt` (e.g. fp32): every add rounds the exact sum once with `r`.
  static Accumulator floating(const ScalarFormat& fmt, Rounding r = Rounding::kNearestEven);

  bool is_integer() const { return is_int_; }
  /// Adds an integer term exactly, then wraps/saturates (integer accumulators only).
  void add(int128_t term);
  /// Adds an exact term: integer accumulators require an integer value; float ones round once.
  void add(const ExactValue& term);
  /// Integer accumulators: the current value.
  int128_t int_value() const { return ivalue_; }
  /// Current value as a double (exact for float accumulators up to FP32 and integers < 2^53).
  double value() const;
  /// The stored code of a float accumulator (e.g. FP32 bits).
  std::uint32_t code() const { return code_; }
  /// Number of additions that overflowed (integer wrap/saturation, or float overflow to Inf/max).
  std::uint64_t overflows() const { return overflows_; }
  void reset();

 private:
  bool is_int_ = true;
  int width_ = 32;
  Overflow overflow_ = Overflow::kWrap;
  int128_t ivalue_ = 0;
  ScalarFormat fmt_;
  Rounding rounding_ = Rounding::kNearestEven;
  std::uint32_t code_ = 0;
  std::uint64_t overflows_ = 0;
};

}  // namespace mpsim::num
