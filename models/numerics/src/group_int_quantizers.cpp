// DESCRIPTION: Group-wise INT formats: AWQ-style asymmetric UINT4 (int4_g32, int4_g64, int4_g128),
// GPTQ asymmetric UINT4 (gptq_int4) and QServe W4A8 progressive group quantization (qserve_w4a8),
// plus the QServe per-token INT8 activation quantizer. numerics.md §6, §9, §16.7, §16.8.
// SPDX-License-Identifier: Apache-2.0
//
// The library is built with -ffp-contract=off and without fast-math, so every FP32 expression below
// is evaluated exactly as written (one IEEE rounding per operation, default RNE mode).
//
// NaN/Inf rule (AWQ/GPTQ): a group holding a NaN or an Inf quantizes to NaN as a whole (codes 0,
// stored scale the FP16 quiet NaN 0x7E00, zero 0), like an MX block (§16.2). In the references
// a NaN already poisons max/min; an Inf makes the scale Inf or NaN, so no group value survives.
// QServe: level 1 is per channel, so a NaN/Inf anywhere makes the whole row NaN the same way.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mpsim/base/error.h"
#include "mpsim/numerics/group_int.h"
#include "mpsim/numerics/half.h"
#include "mpsim/numerics/quantizer.h"
#include "mpsim/numerics/scalar_format.h"

namespace mpsim::num {
namespace {

/// 1.5 * 2^23: for |y| <= 2^22, y + kMagic lies in [2^23, 2^24) where the FP32 ulp is 1, so the
/// addition rounds y to an integer (RNE, the default mode) and the subtraction is exact.
constexpr float kMagic = 12582912.0f;

float rne_small(float y) { return (y + kMagic) - kMagic; }

struct MinMax {
  float lo = 0;
  float hi = 0;
  bool finite = true;
};

/// Min, max and finiteness of a non-empty span, in independent lanes so the compiler vectorizes it.
MinMax min_max(const float* x, std::size_t n) {
  constexpr std::size_t kLanes = 8;
  std::array<float, kLanes> lo;
  std::array<float, kLanes> hi;
  std::array<float, kLanes> bad;  // sums v - v: 0 for finite v, NaN once an Inf or NaN was seen
  lo.fill(std::numeric_limits<float>::infinity());
  hi.fill(-std::numeric_limits<float>::infinity());
  bad.fill(0.0f);
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (std::size_t l = 0; l < kLanes; ++l) {
      const float v = x[i + l];
      lo[l] = v < lo[l] ? v : lo[l];
      hi[l] = v > hi[l] ? v : hi[l];
      bad[l] += v - v;
    }
  }
  for (; i < n; ++i) {
    const float v = x[i];
    lo[0] = v < lo[0] ? v : lo[0];
    hi[0] = v > hi[0] ? v : hi[0];
    bad[0] += v - v;
  }
  MinMax m{lo[0], hi[0], true};
  float b = bad[0];
  for (std::size_t l = 1; l < kLanes; ++l) {
    m.lo = lo[l] < m.lo ? lo[l] : m.lo;
    m.hi = hi[l] > m.hi ? hi[l] : m.hi;
    b += bad[l];
  }
  m.finite = b == 0.0f;
  return m;
}

Int4GroupParams nan_params() {
  Int4GroupParams p;
  p.scale = std::numeric_limits<float>::quiet_NaN();
  p.scale_fp16 = kFp16QuietNan;
  p.stored_scale = fp16_bits_to_fp32(kFp16QuietNan);
  p.zero = 0;
  p.is_nan = true;
  return p;
}

/// clamp(RNE(v), lo, hi) for any float v, NaN mapped to `lo` (callers rule NaN out first).
int rne_clamped(float v, int lo, int hi) {
  // Clamping first is the same as clamping after: RNE is monotone and fixes the integer bounds.
  // It also keeps v in the magic-number range and keeps the int conversion defined.
  const auto flo = static_cast<float>(lo);
  const auto fhi = static_cast<float>(hi);
  v = v > flo ? v : flo;
  v = v < fhi ? v : fhi;
  return static_cast<int>(rne_small(v));
}

/// Round-to-nearest-even of the rational n / d (d > 0), exactly, in integers.
int rne_div(int n, int d) {
  int q = n / d;
  int r = n % d;
  if (r < 0) {  // C++ truncates; step down to the floor
    q -= 1;
    r += d;
  }
  const int twice = 2 * r;
  if (twice > d || (twice == d && (q & 1) != 0)) ++q;
  return q;
}

std::vector<Rounding> all_roundings() {
  return {Rounding::kNearestEven, Rounding::kNearestAway, Rounding::kHalfUp, Rounding::kTowardZero,
          Rounding::kFloor};
}

// ---------------------------------------------------------------------------------------------
// AWQ / GPTQ

class Int4GroupQuantizer final : public Quantizer {
 public:
  Int4GroupQuantizer(FormatInfo info, Int4RangeRule rule, ResolvedOptions opts)
      : info_(std::move(info)), rule_(rule), opts_(opts) {}
  const FormatInfo& info() const override { return info_; }

  void quantize_into(std::span<const float> x, QuantizedRow& row) const override {
    reset_row(row, info_.name, opts_.size, x.size());
    const auto g = static_cast<std::size_t>(opts_.size);
    for (std::size_t g0 = 0; g0 < x.size(); g0 += g) {
      const std::size_t n = std::min(g, x.size() - g0);
      const Int4GroupParams p = int4_group_params(x.subspan(g0, n), rule_);
      StoredScale s;
      s.scale = p.stored_scale;
      s.scale_code = p.scale_fp16;
      s.zero = p.zero;
      s.zero_code = static_cast<std::uint32_t>(p.zero);
      row.scales.push_back(std::move(s));
      std::uint32_t* codes = row.codes.data() + g0;
      float* values = row.values.data() + g0;
      if (opts_.rounding == Rounding::kNearestEven) {
        int4_quantize_rne(x.data() + g0, n, p, codes, values);
        continue;
      }
      for (std::size_t i = 0; i < n; ++i) {
        codes[i] = int4_encode(x[g0 + i], p, opts_.rounding);
        values[i] = int4_decode(codes[i], p.stored_scale, p.zero);
      }
    }
  }

  std::vector<float> dequantize(const QuantizedRow& row) const override {
    MPSIM_CHECK(row.block > 0, "group INT row without a group size");
    const auto g = static_cast<std::size_t>(row.block);
    std::vector<float> out(row.codes.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
      const StoredScale& s = row.scales.at(i / g);
      const float scale = fp16_bits_to_fp32(static_cast<std::uint16_t>(s.scale_code));
      out[i] = int4_decode(row.codes[i], scale, static_cast<int>(s.zero_code.value_or(0)));
    }
    return out;
  }

 private:
  FormatInfo info_;
  Int4RangeRule rule_;
  ResolvedOptions opts_;
};

// ---------------------------------------------------------------------------------------------
// QServe W4A8

constexpr std::string_view kChannelScale = "channel_scale";
constexpr std::string_view kChannelScaleCode = "channel_scale_code";

/// Dequantizes n codes of one group four at a time through the byte-wise kernel path.
void qserve_dequant_group(const std::uint32_t* q, std::size_t n, const QServeGroupParams& p,
                          float s1, float* values) {
  for (std::size_t i = 0; i < n; i += 4) {
    const std::size_t m = std::min<std::size_t>(4, n - i);
    std::uint32_t q4 = 0;
    for (std::size_t j = 0; j < m; ++j) q4 |= q[i + j] << (8 * j);
    const std::uint32_t w4 = qserve_dequant4(q4, p);
    for (std::size_t j = 0; j < m; ++j) {
      const auto w8 = static_cast<std::int8_t>(static_cast<std::uint8_t>(w4 >> (8 * j)));
      // |w8| <= 127 and s1 has 11 significant bits, so this product is exact (unless s1 is
      // Inf/NaN, which makes the value NaN as the rule says).
      values[i + j] = static_cast<float>(w8) * s1;
    }
  }
}

class QServeQuantizer final : public Quantizer {
 public:
  QServeQuantizer(FormatInfo info, ResolvedOptions opts) : info_(std::move(info)), opts_(opts) {}
  const FormatInfo& info() const override { return info_; }

  void quantize_into(std::span<const float> x, QuantizedRow& row) const override {
    reset_row(row, info_.name, opts_.size, x.size());
    const QServeChannelScale cs = qserve_channel_scale(x);
    row.row_params[std::string(kChannelScale)] = cs.s1;
    row.row_params[std::string(kChannelScaleCode)] = cs.s1_fp16;
    // Level 1 into row.codes (as two's complement) so no scratch buffer is needed.
    for (std::size_t i = 0; i < x.size(); ++i)
      row.codes[i] = static_cast<std::uint32_t>(qserve_level1(x[i], cs.s1));
    const auto g = static_cast<std::size_t>(opts_.size);
    for (std::size_t g0 = 0; g0 < x.size(); g0 += g) {
      const std::size_t n = std::min(g, x.size() - g0);
      std::uint32_t* codes = row.codes.data() + g0;
      int vmin = kQServeProtectiveRange;
      int vmax = -kQServeProtectiveRange;
      for (std::size_t i = 0; i < n; ++i) {
        const auto w8 = static_cast<std::int32_t>(codes[i]);
        vmin = std::min(vmin, w8);
        vmax = std::max(vmax, w8);
      }
      const QServeGroupParams p = qserve_group_params(vmin, vmax);
      StoredScale s;
      s.scale = p.s2;
      s.scale_code = static_cast<std::uint32_t>(p.s2);
      s.zero = p.z;
      s.zero_code = static_cast<std::uint32_t>(p.z);
      row.scales.push_back(std::move(s));
      for (std::size_t i = 0; i < n; ++i) {
        const auto w8 = static_cast<std::int32_t>(codes[i]);
        codes[i] = qserve_encode(w8, p);
        // The byte-wise modular path must agree with the plain product: the protective range
        // keeps (q - z) * s2 inside int8.
        MPSIM_CHECK(qserve_dequant(codes[i], p) == (static_cast<int>(codes[i]) - p.z) * p.s2,
                    "QServe byte-wise dequant left int8 (protective range violated)");
      }
      qserve_dequant_group(codes, n, p, cs.s1, row.values.data() + g0);
    }
  }

  std::vector<float> dequantize(const QuantizedRow& row) const override {
    MPSIM_CHECK(row.block > 0, "qserve_w4a8 row without a group size");
    const auto code = static_cast<std::uint16_t>(row.row_params.at(std::string(kChannelScaleCode)));
    const float s1 = fp16_bits_to_fp32(code);
    const auto g = static_cast<std::size_t>(row.block);
    std::vector<float> out(row.codes.size());
    for (std::size_t g0 = 0; g0 < out.size(); g0 += g) {
      const StoredScale& s = row.scales.at(g0 / g);
      const QServeGroupParams p{static_cast<int>(s.scale_code),
                                static_cast<int>(s.zero_code.value_or(0))};
      qserve_dequant_group(row.codes.data() + g0, std::min(g, out.size() - g0), p, s1,
                           out.data() + g0);
    }
    return out;
  }

 private:
  FormatInfo info_;
  ResolvedOptions opts_;
};

FormatInfo group_info(std::string name, std::string description, int size, bool fixed,
                      std::vector<Rounding> roundings) {
  FormatInfo info;
  info.name = std::move(name);
  info.description = std::move(description);
  info.layout = Layout::kGroup;
  info.default_size = size;
  info.size_fixed = fixed;
  info.element_bits = 4;
  info.overhead_bits = 16 + 4;  // FP16 scale + UINT4 zero (QServe overrides)
  info.roundings = std::move(roundings);
  info.overflows = {Overflow::kSaturate};  // codes clamp to [0, 15]; nothing else is meaningful
  return info;
}

void add_int4(FormatRegistry& r, FormatInfo info, Int4RangeRule rule) {
  r.add(info, [info, rule](const ResolvedOptions& o) {
    return std::make_unique<Int4GroupQuantizer>(info, rule, o);
  });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// AWQ / GPTQ building blocks

Int4GroupParams int4_group_params(std::span<const float> g, Int4RangeRule rule) {
  MPSIM_CHECK(!g.empty(), "int4_group_params on an empty group");
  const MinMax m = min_max(g.data(), g.size());
  if (!m.finite) return nan_params();
  Int4GroupParams p;
  if (rule == Int4RangeRule::kAwq) {
    // hi - lo may overflow to Inf for finite inputs; the Inf scale then gives codes 0 (w / Inf is
    // 0, lo / Inf is -0) and NaN values (0 * Inf), deterministically.
    const float range = std::max(m.hi - m.lo, kAwqMinRange);
    p.scale = range / static_cast<float>(kUint4Max);
    // zero = clamp(-RNE(lo / scale), 0, 15); the zero point is always RNE (torch.round), the
    // --rounding option only changes the elements. -RNE(v) = RNE(-v), so round the negation.
    p.zero = rne_clamped(-(m.lo / p.scale), 0, kUint4Max);
  } else {
    float lo = std::min(m.lo, 0.0f);
    float hi = std::max(m.hi, 0.0f);
    if (lo == 0 && hi == 0) {
      lo = -1;
      hi = 1;
    }
    p.scale = (hi - lo) / static_cast<float>(kUint4Max);
    if (p.scale == 0) return nan_params();  // range < 7.5 * 2^-149: the reference divides 0 / 0
    // 0 <= -lo <= hi - lo, and FP32 rounding is monotone, so -lo / scale is 15 up to a few ulps
    // whenever scale is normal: RNE gives at most 15 and the clamp is inactive. A subnormal scale
    // loses relative precision and can push the quotient past 15.5; the reference's unclamped
    // zero would not fit the 4-bit stored zero either, so mpsim clamps there.
    p.zero = rne_clamped(-lo / p.scale, 0, kUint4Max);
  }
  p.scale_fp16 = fp32_to_fp16_bits(p.scale);
  p.stored_scale = fp16_bits_to_fp32(p.scale_fp16);
  return p;
}

std::uint32_t int4_encode(float w, const Int4GroupParams& p, Rounding r) {
  if (p.is_nan) return 0;
  const float y = w / p.scale;  // FP32 division, as the reference
  if (std::isnan(y)) return 0;  // only for a NaN w passed with finite parameters
  const double q = std::clamp(round_to_integral(y, r) + p.zero, 0.0, double{kUint4Max});
  return static_cast<std::uint32_t>(q);
}

void int4_quantize_rne(const float* w, std::size_t n, const Int4GroupParams& p,
                       std::uint32_t* codes, float* values) {
  if (p.is_nan) {
    for (std::size_t i = 0; i < n; ++i) {
      codes[i] = 0;
      values[i] = int4_decode(0, p.stored_scale, 0);  // 0 * NaN
    }
    return;
  }
  // Clamping y = w / scale to [-32, 48] before rounding cannot change a code, and it puts y in
  // the magic-number range. With zero in [0, 15]:
  //   y <= -32: RNE(y) <= -32, so RNE(y) + zero <= -17 -> 0, and RNE(-32) + zero <= -17 -> 0.
  //   y >= 48:  RNE(y) >= 48,  so RNE(y) + zero >= 48 -> 15,  and RNE(48) + zero >= 48 -> 15.
  // y is never NaN here: w is finite (the group is) and scale is positive (Inf at most).
  //
  // The loop is written for the vectorizer under the default -ftrapping-math: GCC if-converts a
  // select only when neither arm needs FP arithmetic of its own, so the out-of-range bound is
  // picked from y's sign bit with integer operations, there is a single FP select, and the
  // [0, 15] clamp is done on integers.
  constexpr std::uint32_t kHiBits = std::bit_cast<std::uint32_t>(48.0f);
  constexpr std::uint32_t kLoBits = std::bit_cast<std::uint32_t>(-32.0f);
  const float scale = p.scale;
  const std::int32_t zero = p.zero;
  const float stored = p.stored_scale;
  for (std::size_t i = 0; i < n; ++i) {
    const float y = w[i] / scale;  // FP32 division, as the reference
    const std::uint32_t negative = std::bit_cast<std::uint32_t>(y) >> 31;
    const float bound = std::bit_cast<float>(kHiBits + negative * (kLoBits - kHiBits));
    const float yc = std::fabs(y - 8.0f) < 40.0f ? y : bound;  // y in (-32, 48), else the bound
    std::int32_t q = static_cast<std::int32_t>(rne_small(yc)) + zero;
    q = q > 0 ? q : 0;
    q = q < kUint4Max ? q : kUint4Max;
    codes[i] = static_cast<std::uint32_t>(q);
    values[i] = static_cast<float>(q - zero) * stored;  // as int4_decode
  }
}

// ---------------------------------------------------------------------------------------------
// QServe building blocks

QServeChannelScale qserve_channel_scale(std::span<const float> channel) {
  QServeChannelScale c;
  if (channel.empty()) return c;
  const MinMax m = min_max(channel.data(), channel.size());
  if (!m.finite) {
    c.s1_fp16 = kFp16QuietNan;
    c.s1 = fp16_bits_to_fp32(kFp16QuietNan);
    c.is_nan = true;
    return c;
  }
  const float amax = std::max(std::fabs(m.lo), std::fabs(m.hi));
  // FP32 division, then RNE to FP16: two roundings, as an FP32 scale tensor cast to half. (The
  // exact quotient rounded once can differ in the last FP16 bit; mpsim fixes this order.)
  // amax / 119 >= 65520 stores Inf: that channel's values become NaN (W8 = 0, 0 * Inf).
  c.s1_fp16 = fp32_to_fp16_bits(amax / static_cast<float>(kQServeProtectiveRange));
  c.s1 = fp16_bits_to_fp32(c.s1_fp16);
  return c;
}

int qserve_level1(float w, float s1) {
  if (!(s1 > 0)) return 0;  // s1 == 0 (all-zero channel or FP16 underflow) or NaN
  const float y = w / s1;
  if (std::isnan(y)) return 0;
  // fp16(amax / 119) may round below amax / 119, so |y| can slightly exceed 119: the clamp.
  return rne_clamped(y, -kQServeProtectiveRange, kQServeProtectiveRange);
}

// Why exact rationals and the reference's FP32 tensors agree (torch computes W8 / s2 + z in FP32,
// then torch.round). Every quantity is n / d with |n| <= 255, 1 <= d <= 127 (or d = 15 for s2),
// plus an integer z <= 15. If n / d is not a half-integer it is at least 1 / (2d) >= 1/254 away
// from every half-integer; the FP32 quotient and the FP32 "+ z" (|result| < 2^9) each err by at
// most 2^-16 in absolute terms, far less than 1/254, so RNE picks the same integer. If n / d is a
// half-integer it is exactly representable, so the correctly rounded division and sum are exact
// and the tie is seen as a tie. Hence integer RNE of the rational is bit-identical.

QServeGroupParams qserve_group_params(int vmin, int vmax) {
  MPSIM_CHECK(vmin <= vmax, "qserve_group_params: vmin > vmax");
  QServeGroupParams p;
  // (vmax - vmin) / 15 is never a tie (2 * D = 15 * odd has no integer solution).
  p.s2 = rne_div(vmax - vmin, kUint4Max);
  if (p.s2 == 0) p.s2 = 1;
  p.s2 = std::min(p.s2, 127);
  p.z = std::clamp(rne_div(-vmin, p.s2), 0, kUint4Max);
  return p;
}

std::uint32_t qserve_encode(int w8, const QServeGroupParams& p) {
  // RNE(w8 / s2 + z) == RNE((w8 + z * s2) / s2): the same rational.
  return static_cast<std::uint32_t>(std::clamp(rne_div(w8 + p.z * p.s2, p.s2), 0, kUint4Max));
}

// Protective range, why 119 works: with W8 in [-p, p] the group range D = vmax - vmin <= 2p, so
// for p = 119, s2 = RNE(D / 15) <= RNE(15.87) = 16. RNE is within 1/2 of its argument, hence
//   unclamped q:   |(q - z) * s2 - w8| <= s2 / 2 <= 8, so (q - z) * s2 is in [-127, 127];
//   q clamped to 0: (q - z) * s2 = -z * s2 >= -(-vmin / s2 + 1/2) * s2 >= vmin - 8 >= -127;
//   q clamped to 15: (15 - z) * s2 is >= 0 and below the unclamped value, so <= 127.
// The same bound gives q * s2 <= 15 * 16 = 240 <= 255 (no inter-byte carry) and z * s2 <= 127.
// For p = 120 the range [-120, 120] has s2 = 16, z = RNE(7.5) = 8 and q(-120) = RNE(0.5) = 0,
// so (0 - 8) * 16 = -128 escapes. The tests brute-force every integer range for 119 and 120.
std::uint32_t qserve_dequant4(std::uint32_t q4, const QServeGroupParams& p) {
  MPSIM_CHECK((q4 & ~0x0F0F0F0Fu) == 0, "qserve_dequant4: codes must be UINT4, one per byte");
  const auto s2 = static_cast<std::uint32_t>(p.s2);
  for (int j = 0; j < 4; ++j)
    MPSIM_CHECK(((q4 >> (8 * j)) & 0xFu) * s2 <= 255, "qserve_dequant4: q * s2 carries");
  const std::uint32_t prod = q4 * s2;  // four byte products, no carry between bytes
  const auto zero_byte = static_cast<std::uint8_t>(-p.z * p.s2);  // int8 -z*s2, two's complement
  return byte_add4(prod, zero_byte * 0x01010101u);
}

int qserve_dequant(std::uint32_t q, const QServeGroupParams& p) {
  return static_cast<std::int8_t>(static_cast<std::uint8_t>(qserve_dequant4(q, p) & 0xFFu));
}

// ---------------------------------------------------------------------------------------------
// QServe activations

std::int8_t cvt_rni_sat_s8(float v) {
  if (std::isnan(v)) return 0;
  return static_cast<std::int8_t>(rne_clamped(v, -128, 127));
}

QServeTokenScale qserve_quantize_token(std::span<const float> x, std::span<std::int8_t> q) {
  MPSIM_CHECK(q.size() == x.size(), "qserve_quantize_token: output size differs from input");
  QServeTokenScale t;
  for (const float v : x) {
    const float a = std::fabs(v);
    t.amax = a > t.amax ? a : t.amax;  // fmaxf: a NaN never wins
  }
  t.scale_fp16 = fp32_to_fp16_bits(t.amax / 127.0f);
  t.scale = fp16_bits_to_fp32(t.scale_fp16);
  t.multiplier = 127.0f / t.amax;
  for (std::size_t i = 0; i < x.size(); ++i) q[i] = cvt_rni_sat_s8(x[i] * t.multiplier);
  return t;
}

// ---------------------------------------------------------------------------------------------
// Registration

void register_group_int_formats(FormatRegistry& r) {
  for (const int g : {32, 64, 128}) {
    add_int4(r,
             group_info(fmt::format("int4_g{}", g),
                        fmt::format("AWQ asymmetric UINT4, group {}, FP16 scale + UINT4 zero "
                                    "(llm-awq pseudo_quantize_tensor)",
                                    g),
                        g, true, all_roundings()),
             Int4RangeRule::kAwq);
  }
  add_int4(r,
           group_info("gptq_int4",
                      "GPTQ asymmetric UINT4 per group (range always contains 0), FP16 scale + "
                      "UINT4 zero (gptq quant.py find_params)",
                      128, false, all_roundings()),
           Int4RangeRule::kGptq);
  FormatInfo qs = group_info(
      "qserve_w4a8",
      "QServe W4A8 progressive: per-channel FP16 s1 to INT8 [-119, 119], per-group UINT8 s2 + "
      "UINT4 zero (omniserve/deepcompressor)",
      128, false, {Rounding::kNearestEven});
  qs.overhead_bits = 8 + 4;  // UINT8 s2 + UINT4 zero per group (the per-channel FP16 s1 is per row)
  r.add(qs, [qs](const ResolvedOptions& o) { return std::make_unique<QServeQuantizer>(qs, o); });
}

std::uint16_t awq_dequant_fp16_gen(std::uint32_t q, std::uint16_t scale_fp16, int zero) {
  const float prod = fp16_bits_to_fp32(scale_fp16) * static_cast<float>(static_cast<int>(q) - zero);
  return fp32_to_fp16_bits(prod);
}

std::uint16_t awq_dequant_fp16_fma(std::uint32_t q, std::uint16_t scale_fp16, int zero) {
  const float s = fp16_bits_to_fp32(scale_fp16);
  const float scaled_zero = fp16_bits_to_fp32(fp32_to_fp16_bits(-s * static_cast<float>(zero)));
  // q*s and scaled_zero are FP16 values: their exact sum fits a double (< 53 bits apart).
  const double exact = static_cast<double>(q) * s + static_cast<double>(scaled_zero);
  return static_cast<std::uint16_t>(
      ScalarFormat::fp16().encode(exact, Rounding::kNearestEven, Overflow::kInfNan));
}

}  // namespace mpsim::num
