// DESCRIPTION: Exact block dot products for MX/BFP rows (numerics.md §2.4, §2.5, §16.3).
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/numerics/block_dot.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <limits>

#include "mpsim/base/error.h"

namespace mpsim::num {
namespace {

int signed_bits(int128_t v) {
  const uint128_t m = v < 0 ? static_cast<uint128_t>(-(v + 1)) : static_cast<uint128_t>(v);
  const auto hi = static_cast<std::uint64_t>(m >> 64);
  const int len =
      hi ? 128 - std::countl_zero(hi) : 64 - std::countl_zero(static_cast<std::uint64_t>(m));
  return len + 1;
}

}  // namespace

bool BlockElement::finite(std::uint32_t code) const {
  return std::isfinite(format.decode(code));
}

std::int64_t BlockElement::integer(std::uint32_t code) const {
  const double v = format.decode(code);  // integers decode to k itself
  return static_cast<std::int64_t>(format.is_float() ? std::ldexp(v, -ulp_exp) : v);
}

std::optional<BlockElement> block_element(std::string_view f) {
  auto fl = [](const ScalarFormat& s) { return BlockElement{s, s.emin() - s.man_bits()}; };
  if (f == "mxfp8_e4m3") return fl(ScalarFormat::fp8_e4m3());
  if (f == "mxfp8_e5m2") return fl(ScalarFormat::fp8_e5m2());
  if (f == "mxfp6_e3m2") return fl(ScalarFormat::fp6_e3m2());
  if (f == "mxfp6_e2m3") return fl(ScalarFormat::fp6_e2m3());
  if (f == "mxfp4") return fl(ScalarFormat::fp4_e2m1());
  if (f == "mxint8" || f == "bfp16")
    return BlockElement{ScalarFormat::integer("int8", 8, true), -6};
  if (f == "bfp12") return BlockElement{ScalarFormat::integer("int4", 4, true), -2};
  return std::nullopt;
}

BlockDotResult block_dot_detailed(const QuantizedRow& a, const QuantizedRow& b, Rounding r) {
  const auto ea = block_element(a.format);
  const auto eb = block_element(b.format);
  std::vector<Diagnostic> diags;
  if (!ea) diags.push_back({"", "a", fmt::format("'{}' is not an MX/BFP block format", a.format)});
  if (!eb) diags.push_back({"", "b", fmt::format("'{}' is not an MX/BFP block format", b.format)});
  if (a.codes.size() != b.codes.size())
    diags.push_back(
        {"", "", fmt::format("lengths differ: {} vs {}", a.codes.size(), b.codes.size())});
  if (a.block != b.block)
    diags.push_back({"", "", fmt::format("block sizes differ: {} vs {}", a.block, b.block)});
  if (!diags.empty()) throw ConfigError(std::move(diags));

  BlockDotResult out;
  auto acc = Accumulator::floating(ScalarFormat::fp32(), r);
  const auto k = static_cast<std::size_t>(a.block);
  for (std::size_t blk = 0; blk * k < a.codes.size(); ++blk) {
    const std::uint32_t sa = a.scales.at(blk).scale_code;
    const std::uint32_t sb = b.scales.at(blk).scale_code;
    const std::size_t end = std::min(a.codes.size(), (blk + 1) * k);
    bool nan = sa == 0xFF || sb == 0xFF;
    int128_t sum = 0;  // exact: at most 70 bits for 32 E5M2 products (§2.5)
    for (std::size_t i = blk * k; i < end && !nan; ++i) {
      // A non-finite element code (NaN, or E5M2's Inf, which the quantizer never writes: it marks
      // such blocks by scale 0xFF) makes the block NaN, as the block_fp PE does; casting the Inf
      // to an integer would be undefined.
      if (!ea->finite(a.codes[i]) || !eb->finite(b.codes[i])) {
        nan = true;
        break;
      }
      sum += static_cast<int128_t>(ea->integer(a.codes[i])) * eb->integer(b.codes[i]);
    }
    if (nan) {
      out.value = std::numeric_limits<float>::quiet_NaN();
      return out;
    }
    out.max_block_sum_bits = std::max(out.max_block_sum_bits, signed_bits(sum));
    const int exp =
        ea->ulp_exp + eb->ulp_exp + (static_cast<int>(sa) - 127) + (static_cast<int>(sb) - 127);
    // One FP32 rounding of the exact block result (RNE, §16.3), then FP32 accumulation with `r`.
    const std::uint32_t block_bits = ScalarFormat::fp32().encode_exact(
        ExactValue::from_int(sum, exp), Rounding::kNearestEven, Overflow::kInfNan);
    const double block_value = ScalarFormat::fp32().decode(block_bits);
    if (!std::isfinite(block_value)) {
      out.value = static_cast<float>(block_value + acc.value());
      return out;
    }
    acc.add(ExactValue::from_double(block_value));
  }
  out.value = static_cast<float>(acc.value());
  return out;
}

}  // namespace mpsim::num
