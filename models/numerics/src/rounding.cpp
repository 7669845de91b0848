// DESCRIPTION: Names of rounding, overflow and scale rules; exact rounding of doubles to integers.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/numerics/rounding.h"

#include <cmath>

namespace mpsim::num {

std::string_view to_string(Rounding r) {
  switch (r) {
    case Rounding::kNearestEven:
      return "rne";
    case Rounding::kNearestAway:
      return "rna";
    case Rounding::kHalfUp:
      return "rhu";
    case Rounding::kTowardZero:
      return "rtz";
    case Rounding::kFloor:
      return "floor";
  }
  return "?";
}

std::string_view to_string(Overflow o) {
  switch (o) {
    case Overflow::kSaturate:
      return "saturate";
    case Overflow::kInfNan:
      return "inf";
    case Overflow::kWrap:
      return "wrap";
  }
  return "?";
}

std::string_view to_string(ScaleRule s) {
  switch (s) {
    case ScaleRule::kFloor:
      return "floor";
    case ScaleRule::kCeil:
      return "ceil";
    case ScaleRule::kEven:
      return "even";
    case ScaleRule::kRceil:
      return "rceil";
  }
  return "?";
}

std::optional<Rounding> parse_rounding(std::string_view n) {
  if (n == "rne") return Rounding::kNearestEven;
  if (n == "rna") return Rounding::kNearestAway;
  if (n == "rhu") return Rounding::kHalfUp;
  if (n == "rtz" || n == "toward_zero" || n == "trunc") return Rounding::kTowardZero;
  if (n == "floor") return Rounding::kFloor;
  return std::nullopt;
}

std::optional<Overflow> parse_overflow(std::string_view n) {
  if (n == "saturate" || n == "sat") return Overflow::kSaturate;
  if (n == "inf" || n == "nan" || n == "inf_nan") return Overflow::kInfNan;
  if (n == "wrap") return Overflow::kWrap;
  return std::nullopt;
}

std::optional<ScaleRule> parse_scale_rule(std::string_view n) {
  if (n == "floor") return ScaleRule::kFloor;
  if (n == "ceil") return ScaleRule::kCeil;
  if (n == "even") return ScaleRule::kEven;
  if (n == "rceil") return ScaleRule::kRceil;
  return std::nullopt;
}

const std::vector<std::string_view>& rounding_names() {
  static const std::vector<std::string_view> v{"rne", "rna", "rhu", "rtz", "floor"};
  return v;
}
const std::vector<std::string_view>& overflow_names() {
  static const std::vector<std::string_view> v{"saturate", "inf", "wrap"};
  return v;
}
const std::vector<std::string_view>& scale_rule_names() {
  static const std::vector<std::string_view> v{"floor", "ceil", "even", "rceil"};
  return v;
}

double round_to_integral(double x, Rounding r) {
  if (!std::isfinite(x)) return x;
  switch (r) {
    case Rounding::kNearestEven: {
      const double f = std::floor(x);
      const double d = x - f;  // exact: x and f share the binade or f is 0
      if (d > 0.5) return f + 1;
      if (d < 0.5) return f;
      return std::fmod(f, 2.0) == 0 ? f : f + 1;
    }
    case Rounding::kNearestAway:
      return std::round(x);
    case Rounding::kHalfUp: {
      const double f = std::floor(x);
      return x - f >= 0.5 ? f + 1 : f;
    }
    case Rounding::kTowardZero:
      return std::trunc(x);
    case Rounding::kFloor:
      return std::floor(x);
  }
  return x;
}

}  // namespace mpsim::num
