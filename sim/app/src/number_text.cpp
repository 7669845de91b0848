// DESCRIPTION: Number-row text parsing with positions, and shortest round-trip float printing.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/app/number_text.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "mpsim/base/error.h"

namespace mpsim::app {
namespace {

bool is_separator(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ','; }

// Only characters that can appear in a decimal or hex-float literal (or inf/nan) are handed to
// strtod, so locale-specific forms and "nan(...)" payloads are rejected.
bool plausible_number(std::string_view tok) {
  for (char c : tok) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                    c == '.' || c == '+' || c == '-' || c == 'x' || c == 'X' || c == 'p' ||
                    c == 'P' || c == 'i' || c == 'I' || c == 'n' || c == 'N' || c == 't' ||
                    c == 'T' || c == 'y' || c == 'Y';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::vector<float> parse_numbers(std::string_view text, std::string_view source) {
  std::vector<float> out;
  std::vector<Diagnostic> diags;
  std::size_t line = 1;
  std::size_t col = 1;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (is_separator(c)) {
      if (c == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && !is_separator(text[j])) ++j;
    const std::string tok(text.substr(i, j - i));
    char* end = nullptr;
    errno = 0;
    const double v = plausible_number(tok) ? std::strtod(tok.c_str(), &end) : 0.0;
    if (end == nullptr || end != tok.c_str() + tok.size() || tok.empty()) {
      if (diags.size() < 20)
        diags.push_back(
            {fmt::format("{}:{}:{}", source, line, col), "",
             fmt::format(
                 "bad number '{}' (expected decimal or hex-float, e.g. 1.5, -2e-3, 0x1.8p3)",
                 tok)});
    } else {
      // Out-of-range decimals already saturate to +-Inf or underflow to 0 in strtod (ERANGE), which
      // is the correctly rounded double; the FP32 conversion below rounds once more (RNE).
      out.push_back(static_cast<float>(v));
    }
    col += j - i;
    i = j;
  }
  if (!diags.empty()) throw ConfigError(std::move(diags));
  return out;
}

std::string format_float(float v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  return fmt::format("{}", v);
}

}  // namespace mpsim::app
