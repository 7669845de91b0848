// DESCRIPTION: Reading rows of numbers from text (decimal or hex-float, separated by whitespace,
// commas or newlines) and writing FP32 values in shortest round-trip form.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mpsim::app {

/// Parses every number in `text` as double, then rounds it to FP32 (RNE), in order.
/// Accepts decimal, hex-float (0x1.8p3), inf/infinity/nan with an optional sign.
/// Throws ConfigError with one diagnostic per bad token ("<source>:line:column"), all at once.
std::vector<float> parse_numbers(std::string_view text, std::string_view source);

/// Formats an FP32 value in the shortest decimal form that reads back to the same float
/// ("0.1", "-0", "1e-05", "nan", "inf", "-inf").
std::string format_float(float v);

}  // namespace mpsim::app
