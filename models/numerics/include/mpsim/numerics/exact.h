// DESCRIPTION: Exact binary values (128-bit magnitude x 2^exp) and correctly rounded conversion of
// them into any binary floating-point or integer format. The slow, obviously-right engine every
// fast path is tested against. SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

namespace mpsim::num {

__extension__ typedef __int128 int128_t;
__extension__ typedef unsigned __int128 uint128_t;

/// A finite binary value (-1)^negative * (mag + f) * 2^exp with 0 < f < 1 iff `sticky`.
/// `sticky` only arises from ExactValue::add; values built from numbers are exact.
struct ExactValue {
  bool negative = false;
  uint128_t mag = 0;
  int exp = 0;
  bool sticky = false;

  static ExactValue from_double(double x);  ///< x must be finite
  static ExactValue from_int(int128_t v, int exp2 = 0);
  bool is_zero() const { return mag == 0 && !sticky; }
  /// Converts to double; exact when the value has at most 53 significant bits and is in range.
  double to_double() const;
  /// Returns a + b exactly, or with a sticky bit when more than ~125 bits would be needed.
  /// Both operands must be exact (sticky == false).
  static ExactValue add(const ExactValue& a, const ExactValue& b);
  /// Returns a * b exactly (both exact, the product of magnitudes must fit in 128 bits).
  static ExactValue mul(const ExactValue& a, const ExactValue& b);
};

/// Result of rounding a magnitude to an integer multiple of 2^quantum_exp.
struct RoundedMagnitude {
  uint128_t q = 0;       ///< rounded magnitude in units of 2^quantum_exp
  bool inexact = false;  ///< the value was not already a multiple
  bool tie = false;      ///< the discarded part was exactly half a quantum
};

enum class Rounding : std::uint8_t;

/// Rounds |v| to a multiple of 2^quantum_exp with rounding `r`, using the sign of v for the
/// directed and half-up modes.
RoundedMagnitude round_magnitude(const ExactValue& v, int quantum_exp, Rounding r);

/// Returns floor(log2 |v|) for a non-zero v.
int floor_log2(const ExactValue& v);

}  // namespace mpsim::num
