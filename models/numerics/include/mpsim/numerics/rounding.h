// DESCRIPTION: Rounding, overflow and MX scale rules, with their canonical names.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace mpsim::num {

/// How a value between two representable neighbours is resolved.
enum class Rounding : std::uint8_t {
  kNearestEven,  ///< "rne": nearest, ties to the even code (IEEE default, torch.round)
  kNearestAway,  ///< "rna": nearest, ties away from zero (C roundf, microxcaling "nearest")
  kHalfUp,       ///< "rhu": nearest, ties toward +inf ((int)(x + 0.5) for x >= 0)
  kTowardZero,   ///< "rtz": truncate the magnitude
  kFloor,        ///< "floor": toward -inf
};

/// What happens to a value beyond the largest finite code.
enum class Overflow : std::uint8_t {
  kSaturate,  ///< "saturate": clamp to the largest finite magnitude, sign kept
  kInfNan,    ///< "inf": IEEE-style overflow to Inf (or NaN where the format has no Inf)
  kWrap,      ///< "wrap": two's complement wrap-around (integer formats)
};

/// How an MX block's shared E8M0 exponent is chosen from the block's absolute maximum.
enum class ScaleRule : std::uint8_t {
  kFloor,  ///< "floor": 2^(floor(log2 amax) - emax), the OCP MX v1.0 reference algorithm
  kCeil,   ///< "ceil": 2^(ceil(log2 amax) - emax)
  kEven,   ///< "even": floor after rounding amax to the element's mantissa width (torchao EVEN)
  kRceil,  ///< "rceil": 2^ceil(log2(amax / max_elem)) (NVIDIA cuBLAS / PTX cvt.rp.ue8m0)
};

std::string_view to_string(Rounding r);
std::string_view to_string(Overflow o);
std::string_view to_string(ScaleRule s);
/// Parses a canonical name ("rne", "rna", "rhu", "rtz", "floor"; "toward_zero" and "trunc" alias
/// rtz).
std::optional<Rounding> parse_rounding(std::string_view name);
/// Parses "saturate", "inf" (alias "nan", "inf_nan") or "wrap".
std::optional<Overflow> parse_overflow(std::string_view name);
/// Parses "floor", "ceil", "even" or "rceil".
std::optional<ScaleRule> parse_scale_rule(std::string_view name);
const std::vector<std::string_view>& rounding_names();
const std::vector<std::string_view>& overflow_names();
const std::vector<std::string_view>& scale_rule_names();

/// Rounds a double to an integer-valued double with `r`. Exact for every finite input.
double round_to_integral(double x, Rounding r);

}  // namespace mpsim::num
