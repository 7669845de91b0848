// DESCRIPTION: The group-dequantizing golden GEMM (see group_gemm.h): exact integer group sums,
// one FP32 rounding per group, FP32 accumulation of the group results in ascending group order.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/golden/group_gemm.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <vector>

#include "mpsim/base/error.h"
#include "mpsim/numerics/codebook.h"
#include "mpsim/numerics/half.h"
#include "mpsim/numerics/rounding.h"
#include "mpsim/numerics/scalar_format.h"

namespace mpsim::golden {
namespace {

bool is_int4_group(std::string_view n) {
  return n == "int4_g32" || n == "int4_g64" || n == "int4_g128" || n == "gptq_int4";
}
int bitmod_bits(std::string_view n) {
  if (n == "bitmod_fp4") return 4;
  if (n == "bitmod_fp3") return 3;
  return 0;
}
bool is_act(std::string_view n) { return n == "int8" || n == "fp16"; }

[[noreturn]] void fail(std::string msg) { throw ConfigError(Diagnostic{"", "", std::move(msg)}); }

/// A weight line as integer terms per element and the stored FP16 scale per group.
struct WeightLine {
  int group = 0;
  std::vector<std::int8_t> term;
  std::vector<std::uint16_t> scale;
};

WeightLine weight_line(const num::QuantizedRow& w) {
  WeightLine l;
  l.group = w.block;
  if (l.group <= 0) fail(fmt::format("weight line of '{}' has no group size", w.format));
  const std::size_t n = w.codes.size(), g = static_cast<std::size_t>(l.group);
  const std::size_t groups = (n + g - 1) / g;
  if (w.scales.size() < groups)
    fail(fmt::format("weight line of '{}' lacks group scales", w.format));
  l.term.resize(n);
  l.scale.resize(groups);
  const int bm = bitmod_bits(w.format);
  for (std::size_t gi = 0; gi < groups; ++gi) {
    const num::StoredScale& s = w.scales[gi];
    l.scale[gi] = static_cast<std::uint16_t>(s.scale_code);
    const std::size_t hi = std::min(n, (gi + 1) * g);
    if (is_int4_group(w.format)) {
      const int z = static_cast<int>(s.zero_code.value_or(0));
      for (std::size_t i = gi * g; i < hi; ++i)
        l.term[i] = static_cast<std::int8_t>(static_cast<int>(w.codes[i]) - z);
    } else if (bm != 0) {
      const auto t = num::parse_bitmod_type(bm, s.tag);
      if (!t) fail(fmt::format("unknown BitMoD datatype tag '{}' in group {}", s.tag, gi));
      for (std::size_t i = gi * g; i < hi; ++i)
        l.term[i] = static_cast<std::int8_t>(num::bitmod_decode(bm, *t, w.codes[i]));
    } else {
      fail(fmt::format("'{}' is not a group weight format of group_gemm", w.format));
    }
  }
  return l;
}

/// An activation line as exact integers (value = a * 2^a_exp); non-finite FP16 values are kept as
/// floats and flagged per weight group.
struct ActLine {
  int a_exp = 0;
  std::vector<std::int64_t> a;
  const float* values = nullptr;
  std::vector<std::uint8_t> group_nonfinite;
};

ActLine act_line(const num::QuantizedRow& r, int group) {
  ActLine l;
  const std::size_t n = r.values.size(), g = static_cast<std::size_t>(group);
  l.a.resize(n);
  l.values = r.values.data();
  l.group_nonfinite.assign((n + g - 1) / g, 0);
  if (r.format == "int8") {
    for (std::size_t i = 0; i < n; ++i) l.a[i] = static_cast<std::int64_t>(r.values[i]);
  } else if (r.format == "fp16") {
    l.a_exp = -24;  // FP16's smallest subnormal: every FP16 value is an integer multiple of it
    for (std::size_t i = 0; i < n; ++i) {
      const float v = r.values[i];
      if (!std::isfinite(v)) {
        l.group_nonfinite[i / g] = 1;
        continue;
      }
      l.a[i] = static_cast<std::int64_t>(std::ldexp(static_cast<double>(v), 24));
    }
  } else {
    fail(fmt::format("'{}' is not an activation format of group_gemm (int8, fp16)", r.format));
  }
  return l;
}

float dot_lines(const ActLine& a, const WeightLine& w) {
  const std::size_t n = a.a.size(), g = static_cast<std::size_t>(w.group);
  float acc = 0.0f;
  for (std::size_t gi = 0, lo = 0; lo < n; ++gi, lo += g) {
    const std::size_t hi = std::min(n, lo + g);
    float r;
    if (a.group_nonfinite[gi] != 0) {
      // The finite terms cannot overflow a double, so they never change an Inf/NaN outcome;
      // IEEE double arithmetic then is the IEEE answer (Inf * 0 and Inf - Inf give NaN).
      double s = 0;
      for (std::size_t k = lo; k < hi; ++k) s += static_cast<double>(a.values[k]) * w.term[k];
      r = static_cast<float>(s * static_cast<double>(num::fp16_bits_to_fp32(w.scale[gi])));
    } else {
      num::int128_t s = 0;
      for (std::size_t k = lo; k < hi; ++k) s += a.a[k] * w.term[k];
      r = group_result(s, w.scale[gi], a.a_exp);
    }
    acc = acc + r;
  }
  return acc;
}

}  // namespace

bool group_gemm_supports(const num::FormatSpec& a, const num::FormatSpec& w, std::string* why) {
  if (is_act(a.name) && (is_int4_group(w.name) || bitmod_bits(w.name) != 0)) return true;
  if (why) {
    *why = fmt::format(
        "group_gemm takes int8/fp16 activations x int4_g32/int4_g64/int4_g128/gptq_int4/"
        "bitmod_fp4/bitmod_fp3 weights; got {} x {}",
        a.str(), w.str());
  }
  return false;
}

float group_result(num::int128_t sum, std::uint16_t scale_fp16, int a_exp) {
  const bool s_neg = (scale_fp16 & 0x8000u) != 0;
  const int e = (scale_fp16 >> 10) & 0x1F;
  const int frac = scale_fp16 & 0x3FF;
  if (e == 0x1F) {
    if (frac != 0 || sum == 0) return std::numeric_limits<float>::quiet_NaN();
    return (sum < 0) != s_neg ? -std::numeric_limits<float>::infinity()
                              : std::numeric_limits<float>::infinity();
  }
  // scale = mant * 2^(e2 - 24) with an 11-bit integer significand (subnormals: e = 0, no hidden 1)
  const std::int64_t mant = e != 0 ? (1024 | frac) : frac;
  if (sum == 0 || mant == 0) return 0.0f;
  const int exp2 = (e != 0 ? e : 1) - 25 + a_exp;
  const num::int128_t prod = sum * (s_neg ? -mant : mant);
  // Fast path: an int64 converts to FP32 with one RNE rounding; scaling by a power of two is then
  // exact unless the result lands in FP32's subnormal range (a second rounding).
  constexpr num::int128_t kI64 = num::int128_t{1} << 63;
  if (prod > -kI64 && prod < kI64) {
    const float f = static_cast<float>(static_cast<std::int64_t>(prod));
    if (std::ilogb(f) + exp2 >= -125) return std::ldexp(f, exp2);
  }
  const std::uint32_t bits = num::ScalarFormat::fp32().encode_exact(
      num::ExactValue::from_int(prod, exp2), num::Rounding::kNearestEven, num::Overflow::kInfNan);
  return std::bit_cast<float>(bits);
}

float group_dot(const num::QuantizedRow& a, const num::QuantizedRow& w) {
  std::string why;
  if (!group_gemm_supports(num::FormatSpec{a.format, {}}, num::FormatSpec{w.format, {}}, &why))
    fail(why);
  if (a.values.size() != w.codes.size())
    fail(fmt::format("group_dot: lengths differ ({} vs {})", a.values.size(), w.codes.size()));
  const WeightLine wl = weight_line(w);
  return dot_lines(act_line(a, wl.group), wl);
}

GroupGemmResult group_gemm(const QuantMatrix& qa, const QuantMatrix& qw) {
  std::string why;
  if (!group_gemm_supports(qa.format, qw.format, &why)) fail(why);
  if (qa.cols != qw.rows)
    fail(fmt::format("group_gemm: A has K = {}, W has K = {}", qa.cols, qw.rows));
  if (static_cast<std::int64_t>(qa.lines.size()) != qa.rows ||
      static_cast<std::int64_t>(qw.lines.size()) != qw.cols)
    fail("group_gemm: operand line counts differ from the shapes");
  GroupGemmResult r;
  r.c = Matrix::zeros(qa.rows, qw.cols);
  std::vector<WeightLine> w;
  w.reserve(qw.lines.size());
  for (const auto& line : qw.lines) {
    if (static_cast<std::int64_t>(line.codes.size()) != qw.rows)
      fail("group_gemm: a weight line's length differs from K");
    w.push_back(weight_line(line));
  }
  const int group = w.empty() ? 1 : w[0].group;  // no columns: nothing is computed
  r.group = group;
  r.groups = (qa.cols + group - 1) / group;
  for (std::int64_t m = 0; m < qa.rows; ++m) {
    const num::QuantizedRow& row = qa.lines[static_cast<std::size_t>(m)];
    if (static_cast<std::int64_t>(row.values.size()) != qa.cols)
      fail("group_gemm: an activation line's length differs from K");
    const ActLine a = act_line(row, group);
    for (std::int64_t n = 0; n < qw.cols; ++n) {
      const WeightLine& wl = w[static_cast<std::size_t>(n)];
      if (wl.group != group) fail("group_gemm: weight lines with different group sizes");
      r.c.at(m, n) = dot_lines(a, wl);
    }
  }
  return r;
}

}  // namespace mpsim::golden
