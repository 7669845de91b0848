// DESCRIPTION: Group-wise INT formats: hand-worked AWQ/GPTQ groups (FP32 arithmetic shown), tie and
// rounding-mode rules, degenerate groups, NaN/Inf rules, fast-vs-generic RNE equivalence, QServe's
// worked example, byte-wise dequant and protective-range brute force, the per-token INT8 activation
// quantizer, and registry errors.
// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "mpsim/base/error.h"
#include "mpsim/numerics/group_int.h"
#include "mpsim/numerics/half.h"
#include "mpsim/numerics/quantizer.h"

namespace mpsim::num {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

const std::vector<Rounding> kAllRoundings = {Rounding::kNearestEven, Rounding::kNearestAway,
                                             Rounding::kHalfUp, Rounding::kTowardZero,
                                             Rounding::kFloor};

QuantizeOptions with_group(int g) {
  QuantizeOptions o;
  o.group = g;
  return o;
}

QuantizeOptions with_rounding(Rounding r) {
  QuantizeOptions o;
  o.rounding = r;
  return o;
}

QuantizedRow quantize(std::string_view fmt, const std::vector<float>& x, QuantizeOptions o = {}) {
  return builtin_formats().create(fmt, o)->quantize(x);
}

/// Bit equality, with every NaN equal to every NaN.
bool same_float(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
}

void expect_same_floats(const std::vector<float>& a, const std::vector<float>& b,
                        const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i)
    ASSERT_TRUE(same_float(a[i], b[i])) << what << " [" << i << "] " << a[i] << " vs " << b[i];
}

/// Reads the exact FP32 value of hexadecimal FP16 bits, for expectations written as codes.
float fp16(std::uint16_t bits) { return fp16_bits_to_fp32(bits); }

// ---------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------

TEST(GroupIntRegistry, FormatsAndTheirOptions) {
  const FormatRegistry& r = builtin_formats();
  for (const int g : {32, 64, 128}) {
    const FormatInfo* info = r.find("int4_g" + std::to_string(g));
    ASSERT_NE(info, nullptr) << g;
    EXPECT_EQ(info->layout, Layout::kGroup);
    EXPECT_EQ(info->default_size, g);
    EXPECT_TRUE(info->size_fixed);
    EXPECT_EQ(info->element_bits, 4);
    EXPECT_EQ(info->roundings, kAllRoundings);  // rne first: the default
  }
  const FormatInfo* gptq = r.find("gptq_int4");
  ASSERT_NE(gptq, nullptr);
  EXPECT_EQ(gptq->default_size, 128);
  EXPECT_FALSE(gptq->size_fixed);
  EXPECT_EQ(gptq->roundings, kAllRoundings);
  const FormatInfo* qs = r.find("qserve_w4a8");
  ASSERT_NE(qs, nullptr);
  EXPECT_EQ(qs->layout, Layout::kGroup);
  EXPECT_EQ(qs->default_size, 128);
  EXPECT_FALSE(qs->size_fixed);
  EXPECT_EQ(qs->roundings, std::vector<Rounding>{Rounding::kNearestEven});
}

TEST(GroupIntRegistry, FixedGroupSizeIsEnforced) {
  try {
    builtin_formats().create("int4_g128", with_group(64));
    FAIL() << "int4_g128 accepted --group 64";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("fixed"));
    EXPECT_THAT(e.what(), HasSubstr("128"));
  }
  // Restating the fixed size is fine.
  EXPECT_EQ(quantize("int4_g128", std::vector<float>(3, 1.0f), with_group(128)).block, 128);
}

TEST(GroupIntRegistry, BlockOptionAndUnsupportedRoundingAreRejected) {
  QuantizeOptions block;
  block.block = 32;
  EXPECT_THROW(builtin_formats().create("gptq_int4", block), ConfigError);
  try {
    builtin_formats().create("gptq_int4", block);
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("--group"));
  }
  EXPECT_THROW(builtin_formats().create("int4_g32", block), ConfigError);
  EXPECT_THROW(builtin_formats().create("qserve_w4a8", with_rounding(Rounding::kNearestAway)),
               ConfigError);
}

TEST(GroupIntRegistry, GroupOptionSetsTheGroupOfGptqAndQServe) {
  const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  const QuantizedRow g = quantize("gptq_int4", x, with_group(4));
  EXPECT_EQ(g.format, "gptq_int4");
  EXPECT_EQ(g.block, 4);
  EXPECT_EQ(g.scales.size(), 3u);  // 4 + 4 + 2
  const QuantizedRow q = quantize("qserve_w4a8", x, with_group(3));
  EXPECT_EQ(q.block, 3);
  EXPECT_EQ(q.scales.size(), 4u);
  EXPECT_EQ(quantize("gptq_int4", x).block, 128);
}

// ---------------------------------------------------------------------------------------------
// AWQ (int4_gN)
// ---------------------------------------------------------------------------------------------

TEST(Awq, HandWorkedGroup) {
  // x = [-1, 0, 0.5, 2]: max - min = 3, scale = 3f / 15 = 0.2f = 0.20000000298...
  //   -1 / 0.2f = -4.99999992549 -> nearest FP32 is -5 (ulp 4.8e-7): zero = clamp(5, 0, 15) = 5
  //   codes: -1 -> -5 + 5 = 0;  0 -> 5;  0.5 / 0.2f = 2.49999996 -> FP32 2.5 (a tie) -> RNE 2 -> 7;
  //          2 / 0.2f = 9.9999998 -> FP32 10 -> 15
  //   stored scale: 0.2 in FP16 = 2^-3 * (1 + 614/1024) = 1638 * 2^-13 = 0.199951171875 = 0x3266
  //   values (q - 5) * 0.199951171875 = -0.999755859375, 0, 0.39990234375, 1.99951171875
  const QuantizedRow row = quantize("int4_g32", {-1.0f, 0.0f, 0.5f, 2.0f});
  EXPECT_EQ(row.format, "int4_g32");
  EXPECT_EQ(row.block, 32);
  EXPECT_THAT(row.codes, ElementsAre(0u, 5u, 7u, 15u));
  ASSERT_EQ(row.scales.size(), 1u);
  EXPECT_EQ(row.scales[0].scale_code, 0x3266u);
  EXPECT_EQ(row.scales[0].scale, 0.199951171875);
  EXPECT_EQ(row.scales[0].zero, 5.0);
  EXPECT_EQ(row.scales[0].zero_code, 5u);
  EXPECT_THAT(row.values, ElementsAre(-0.999755859375f, 0.0f, 0.39990234375f, 1.99951171875f));
  EXPECT_TRUE(row.row_params.empty());
}

TEST(Awq, TiesFollowTheElementRounding) {
  // Same scale 0.2f and zero 5 as above; -0.5 / 0.2f and 0.5 / 0.2f are exactly -2.5 and 2.5 in
  // FP32 (see HandWorkedGroup), -1 and 2 give exactly -5 and 10.
  //   mode  RND(-2.5) RND(2.5)  codes = RND + 5
  //   rne      -2        2       3, 7
  //   rna      -3        3       2, 8
  //   rhu      -2        3       3, 8
  //   rtz      -2        2       3, 7
  //   floor    -3        2       2, 7
  const std::vector<float> x = {-1.0f, -0.5f, 0.5f, 2.0f};
  const std::vector<std::vector<std::uint32_t>> want = {
      {0, 3, 7, 15}, {0, 2, 8, 15}, {0, 3, 8, 15}, {0, 3, 7, 15}, {0, 2, 7, 15}};
  for (std::size_t m = 0; m < kAllRoundings.size(); ++m) {
    const QuantizedRow row = quantize("int4_g64", x, with_rounding(kAllRoundings[m]));
    EXPECT_THAT(row.codes, ElementsAreArray(want[m])) << to_string(kAllRoundings[m]);
    EXPECT_EQ(row.scales[0].zero_code, 5u);
  }
}

TEST(Awq, ZeroPointIsAlwaysRne) {
  // x = [-1.125, 2.625]: range 3.75, scale = 0.25 exactly; min / scale = -4.5, a tie:
  // zero = -RNE(-4.5) = 4 in every mode (rna/floor would give 5). Stored scale 0.25 = 0x3400.
  // 2.625 / 0.25 = 10.5: rne 10 -> 14, rna 11 -> 15, rhu 11 -> 15, rtz 10 -> 14, floor 10 -> 14.
  // -1.125 / 0.25 = -4.5: rne -4 -> 0, rna -5 -> -1 -> clamp 0, rhu -4 -> 0, rtz -4 -> 0,
  // floor -5 -> 0.
  const std::vector<std::uint32_t> hi_code = {14, 15, 15, 14, 14};
  for (std::size_t m = 0; m < kAllRoundings.size(); ++m) {
    const QuantizedRow row =
        quantize("int4_g32", {-1.125f, 2.625f}, with_rounding(kAllRoundings[m]));
    EXPECT_EQ(row.scales[0].zero_code, 4u) << to_string(kAllRoundings[m]);
    EXPECT_EQ(row.scales[0].scale_code, 0x3400u);
    EXPECT_THAT(row.codes, ElementsAre(0u, hi_code[m])) << to_string(kAllRoundings[m]);
    EXPECT_EQ(row.values[1], static_cast<float>(hi_code[m] - 4) * 0.25f);
    EXPECT_EQ(row.values[0], -1.0f);  // (0 - 4) * 0.25
  }
}

TEST(Awq, AllEqualGroupUsesTheRangeFloor) {
  // max == min: range = max(0, 1e-5f) = 1e-5f, scale = 1e-5f / 15 = 6.6667e-7, an FP16
  // subnormal: 6.6667e-7 / 2^-24 = 11.18 -> 11 * 2^-24 = 6.5565e-7, bits 0x000B.
  //   x = 0.75:  0.75 / scale = 1.125e6, so zero = clamp(-1125000, 0, 15) = 0 and q = 15:
  //              value 15 * 11 * 2^-24 = 165 * 2^-24.
  //   x = -0.75: zero = clamp(1125000, 0, 15) = 15, q = clamp(-1125000 + 15) = 0: -165 * 2^-24.
  //   x = 0:     zero 0, q 0, value 0.
  const float v = std::ldexp(165.0f, -24);
  QuantizedRow row = quantize("int4_g32", std::vector<float>(4, 0.75f));
  EXPECT_EQ(row.scales[0].scale_code, 0x000Bu);
  EXPECT_EQ(row.scales[0].scale, std::ldexp(11.0, -24));
  EXPECT_EQ(row.scales[0].zero_code, 0u);
  EXPECT_THAT(row.codes, ElementsAre(15u, 15u, 15u, 15u));
  EXPECT_THAT(row.values, ElementsAre(v, v, v, v));

  row = quantize("int4_g32", std::vector<float>(3, -0.75f));
  EXPECT_EQ(row.scales[0].zero_code, 15u);
  EXPECT_THAT(row.codes, ElementsAre(0u, 0u, 0u));
  EXPECT_THAT(row.values, ElementsAre(-v, -v, -v));

  row = quantize("int4_g32", std::vector<float>(5, 0.0f));
  EXPECT_EQ(row.scales[0].scale_code, 0x000Bu);
  EXPECT_EQ(row.scales[0].zero_code, 0u);
  EXPECT_THAT(row.codes, ElementsAre(0u, 0u, 0u, 0u, 0u));
  for (const float y : row.values) EXPECT_EQ(std::bit_cast<std::uint32_t>(y), 0u);
}

TEST(Awq, PartialLastGroupUsesOnlyItsElements) {
  std::mt19937 rng(7);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> x(70);
  for (float& v : x) v = d(rng);
  x[69] = 40.0f;  // only in the last group: must not affect the others
  const QuantizedRow row = quantize("int4_g32", x);
  ASSERT_EQ(row.scales.size(), 3u);
  const std::vector<float> tail(x.begin() + 64, x.end());
  const QuantizedRow alone = quantize("int4_g32", tail);
  EXPECT_EQ(row.scales[2], alone.scales[0]);
  for (std::size_t i = 0; i < tail.size(); ++i) {
    EXPECT_EQ(row.codes[64 + i], alone.codes[i]);
    EXPECT_TRUE(same_float(row.values[64 + i], alone.values[i]));
  }
  const std::vector<float> head(x.begin(), x.begin() + 32);
  EXPECT_EQ(row.scales[0], quantize("int4_g32", head).scales[0]);
}

TEST(Awq, GroupSizeComesFromTheName) {
  std::vector<float> x(300);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 17) - 8.0f;
  EXPECT_EQ(quantize("int4_g32", x).scales.size(), 10u);
  EXPECT_EQ(quantize("int4_g64", x).scales.size(), 5u);
  EXPECT_EQ(quantize("int4_g128", x).scales.size(), 3u);
}

TEST(Awq, NonFiniteInputMakesItsGroupNan) {
  std::vector<float> x(64);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.25f * static_cast<float>(i) - 3.0f;
  const QuantizedRow clean = quantize("int4_g32", std::vector<float>(x.begin(), x.begin() + 32));
  for (const float bad : {kNan, kInf, -kInf}) {
    std::vector<float> y = x;
    y[40] = bad;
    for (const char* fmt : {"int4_g32", "gptq_int4"}) {
      const auto q = builtin_formats().create(fmt, with_group(32));
      const QuantizedRow row = q->quantize(y);
      ASSERT_EQ(row.scales.size(), 2u);
      if (std::string(fmt) == "int4_g32") {
        EXPECT_EQ(row.scales[0], clean.scales[0]);  // the other group is untouched
        EXPECT_THAT(std::vector<std::uint32_t>(row.codes.begin(), row.codes.begin() + 32),
                    ElementsAreArray(clean.codes));
      }
      EXPECT_EQ(row.scales[1].scale_code, kFp16QuietNan) << fmt << " " << bad;
      EXPECT_TRUE(std::isnan(row.scales[1].scale));
      EXPECT_EQ(row.scales[1].zero_code, 0u);
      for (std::size_t i = 32; i < 64; ++i) {
        EXPECT_EQ(row.codes[i], 0u);
        EXPECT_TRUE(std::isnan(row.values[i])) << fmt << " " << i;
      }
      for (std::size_t i = 0; i < 32; ++i) EXPECT_FALSE(std::isnan(row.values[i]));
      expect_same_floats(q->dequantize(row), row.values, fmt);
    }
  }
}

TEST(Awq, Fp16ScaleOverflowDecodesToInfAndNan) {
  // [0, 1e6]: scale = 1e6 / 15 = 66666.67 >= 65520, stored FP16 Inf (0x7C00); zero 0.
  // 0 -> q 0 -> (0 - 0) * Inf = NaN; 1e6 -> 1e6 / 66666.67 = 15 -> q 15 -> 15 * Inf = Inf.
  const QuantizedRow row = quantize("int4_g32", {0.0f, 1e6f});
  EXPECT_EQ(row.scales[0].scale_code, 0x7C00u);
  EXPECT_THAT(row.codes, ElementsAre(0u, 15u));
  EXPECT_TRUE(std::isnan(row.values[0]));
  EXPECT_EQ(row.values[1], kInf);
  // A range that overflows FP32 itself: scale Inf, every w / scale is 0, so codes are the zero 0.
  const QuantizedRow big = quantize("int4_g32", {-3e38f, 3e38f});
  EXPECT_THAT(big.codes, ElementsAre(0u, 0u));
  EXPECT_TRUE(std::isnan(big.values[0]) && std::isnan(big.values[1]));
}

// ---------------------------------------------------------------------------------------------
// GPTQ
// ---------------------------------------------------------------------------------------------

TEST(Gptq, HandWorkedGroupContainsZero) {
  // x = [0.5, 1, 1.5, 3]: lo = min(0.5, 0) = 0, hi = 3; scale = 3 / 15 = 0.2f; zero = RNE(0) = 0.
  //   0.5 / 0.2f = 2.5 (FP32 tie) -> 2;  1 / 0.2f = 5;  1.5 / 0.2f = 7.4999999 -> FP32 7.5 -> 8;
  //   3 / 0.2f = 15.  values q * 0.199951171875.
  // AWQ would use [0.5, 3] instead (scale 2.5 / 15), so the codes differ.
  const std::vector<float> x = {0.5f, 1.0f, 1.5f, 3.0f};
  const QuantizedRow row = quantize("gptq_int4", x);
  EXPECT_THAT(row.codes, ElementsAre(2u, 5u, 8u, 15u));
  EXPECT_EQ(row.scales[0].scale_code, 0x3266u);
  EXPECT_EQ(row.scales[0].zero_code, 0u);
  EXPECT_EQ(row.scales[0].zero, 0.0);
  EXPECT_THAT(row.values,
              ElementsAre(0.39990234375f, 0.999755859375f, 1.599609375f, 2.999267578125f));
  EXPECT_NE(quantize("int4_g128", x).codes, row.codes);
  // rna only changes the 2.5 tie: 3.
  EXPECT_THAT(quantize("gptq_int4", x, with_rounding(Rounding::kNearestAway)).codes,
              ElementsAre(3u, 5u, 8u, 15u));
}

TEST(Gptq, AllZeroGroupUsesMinusOneToOne) {
  // lo = hi = 0 -> [-1, 1]; scale = 2 / 15 = 0.13333334f (FP16 0x3044);
  // 1 / 0.13333334f = 7.49999952 (just below the tie) -> zero 7; codes 7, values 0.
  const QuantizedRow row = quantize("gptq_int4", std::vector<float>(6, 0.0f));
  EXPECT_EQ(row.scales[0].scale_code, 0x3044u);
  EXPECT_EQ(row.scales[0].zero_code, 7u);
  EXPECT_THAT(row.codes, ElementsAre(7u, 7u, 7u, 7u, 7u, 7u));
  for (const float v : row.values) EXPECT_EQ(v, 0.0f);
}

TEST(Gptq, RangeAlwaysContainsZero) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> mag(0.01f, 100.0f);
  std::uniform_int_distribution<int> len(1, 40);
  for (int t = 0; t < 500; ++t) {
    std::vector<float> x(static_cast<std::size_t>(len(rng)));
    const int kind = t % 3;  // all positive, all negative, mixed with an exact 0
    for (float& v : x) v = kind == 1 ? -mag(rng) : mag(rng);
    if (kind == 2) {
      for (std::size_t i = 0; i < x.size(); i += 2) x[i] = -x[i];
      x[x.size() / 2] = 0.0f;
    }
    const QuantizedRow row = quantize("gptq_int4", x);
    const std::uint32_t zero = *row.scales[0].zero_code;
    if (kind == 0) {
      EXPECT_EQ(zero, 0u);
    } else if (kind == 1) {
      EXPECT_EQ(zero, 15u);
    }
    // 0 is always exactly representable: code `zero` decodes to 0.
    EXPECT_EQ(int4_decode(zero, fp16(static_cast<std::uint16_t>(row.scales[0].scale_code)),
                          static_cast<int>(zero)),
              0.0f);
    if (kind == 2) {
      EXPECT_EQ(row.codes[x.size() / 2], zero);
      EXPECT_EQ(row.values[x.size() / 2], 0.0f);
    }
  }
}

TEST(Gptq, ScaleUnderflowIsANanGroup) {
  // [2^-149, 0]: scale = 2^-149 / 15 rounds to 0 in FP32; the reference would compute 0 / 0.
  const Int4GroupParams p =
      int4_group_params(std::vector<float>{std::ldexp(1.0f, -149), 0.0f}, Int4RangeRule::kGptq);
  EXPECT_TRUE(p.is_nan);
  const QuantizedRow row = quantize("gptq_int4", {std::ldexp(1.0f, -149), 0.0f});
  EXPECT_THAT(row.codes, ElementsAre(0u, 0u));
  EXPECT_TRUE(std::isnan(row.values[0]) && std::isnan(row.values[1]));
  // AWQ's 1e-5 floor keeps the same group finite.
  EXPECT_FALSE(
      int4_group_params(std::vector<float>{std::ldexp(1.0f, -149), 0.0f}, Int4RangeRule::kAwq)
          .is_nan);
}

// ---------------------------------------------------------------------------------------------
// AWQ/GPTQ: consistency and fast path
// ---------------------------------------------------------------------------------------------

/// Random rows that stress the element kernel: magnitudes from 1e-38 to 3e38, tiny groups,
/// all-equal runs, a lone outlier, exact ties (multiples of a power-of-two step).
std::vector<float> stress_row(std::mt19937& rng, std::size_t n) {
  std::uniform_int_distribution<int> kind_d(0, 6);
  std::uniform_int_distribution<int> exp_d(-120, 120);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::uniform_int_distribution<int> small(-40, 40);
  std::vector<float> x(n);
  const int kind = kind_d(rng);
  const float mag = std::ldexp(1.0f, exp_d(rng));
  for (float& v : x) {
    switch (kind) {
      case 0:
        v = nd(rng);
        break;
      case 1:
        v = nd(rng) * mag;
        break;
      case 2:
        v = static_cast<float>(small(rng)) * 0.125f;
        break;  // many exact ties
      case 3:
        v = 1.5f * mag;
        break;  // all equal
      case 4:
        v = nd(rng) * (rng() % 16 == 0 ? 1e30f : 1e-3f);
        break;
      case 5:
        v = static_cast<float>(small(rng)) * mag;
        break;
      default:
        v = std::ldexp(nd(rng), exp_d(rng));
        break;  // wildly mixed magnitudes
    }
  }
  if (kind == 6 && n > 1) x[rng() % n] = 3.0e38f;
  return x;
}

TEST(Int4Kernel, FastRnePathEqualsGenericPath) {
  std::mt19937 rng(2024);
  const std::size_t sizes[] = {1, 2, 3, 5, 7, 8, 9, 16, 31, 32, 64, 128, 200};
  std::size_t checked = 0;
  for (int t = 0; t < 3000; ++t) {
    const std::size_t n = sizes[t % std::size(sizes)];
    const std::vector<float> x = stress_row(rng, n);
    for (const Int4RangeRule rule : {Int4RangeRule::kAwq, Int4RangeRule::kGptq}) {
      const Int4GroupParams p = int4_group_params(x, rule);
      std::vector<std::uint32_t> codes(n);
      std::vector<float> values(n);
      int4_quantize_rne(x.data(), n, p, codes.data(), values.data());
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t c = int4_encode(x[i], p, Rounding::kNearestEven);
        ASSERT_EQ(codes[i], c) << "t=" << t << " i=" << i << " x=" << x[i];
        ASSERT_TRUE(same_float(values[i], int4_decode(c, p.stored_scale, p.zero)))
            << "t=" << t << " i=" << i;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 100000u);
}

TEST(Int4Kernel, FastPathHandlesClampBoundaries) {
  // scale 1 (range 15 exactly) with zero 0: y = w exactly, across and beyond the [-32, 48] clamp.
  const Int4GroupParams p = int4_group_params(std::vector<float>{0.0f, 15.0f}, Int4RangeRule::kAwq);
  ASSERT_EQ(p.scale, 1.0f);
  ASSERT_EQ(p.zero, 0);
  const std::vector<float> w = {-1e30f, -33.0f, -32.0f, -31.5f, -0.5f, -0.0f, 0.5f,  1.5f,
                                14.5f,  15.5f,  47.5f,  48.0f,  48.5f, 1e30f, 3e38f, -3e38f};
  std::vector<std::uint32_t> codes(w.size());
  std::vector<float> values(w.size());
  int4_quantize_rne(w.data(), w.size(), p, codes.data(), values.data());
  EXPECT_THAT(codes,
              ElementsAre(0u, 0u, 0u, 0u, 0u, 0u, 0u, 2u, 14u, 15u, 15u, 15u, 15u, 15u, 15u, 0u));
  for (std::size_t i = 0; i < w.size(); ++i)
    EXPECT_EQ(codes[i], int4_encode(w[i], p, Rounding::kNearestEven)) << w[i];
}

TEST(Int4Formats, DequantizeRebuildsValuesBitForBit) {
  std::mt19937 rng(99);
  for (const char* fmt : {"int4_g32", "int4_g64", "int4_g128", "gptq_int4"}) {
    for (const Rounding r : kAllRoundings) {
      const auto q = builtin_formats().create(fmt, with_rounding(r));
      QuantizedRow reused;
      for (int t = 0; t < 40; ++t) {
        std::vector<float> x = stress_row(rng, 1 + rng() % 300);
        if (t % 10 == 3) x[rng() % x.size()] = kNan;
        if (t % 10 == 7) x[rng() % x.size()] = -kInf;
        const QuantizedRow row = q->quantize(x);
        ASSERT_EQ(row.codes.size(), x.size());
        for (const std::uint32_t c : row.codes) ASSERT_LE(c, 15u);
        expect_same_floats(q->dequantize(row), row.values,
                           std::string(fmt) + " " + std::string(to_string(r)));
        q->quantize_into(x, reused);
        ASSERT_EQ(reused.codes, row.codes);
        ASSERT_EQ(reused.scales.size(), row.scales.size());
        expect_same_floats(reused.values, row.values, "quantize_into");
      }
    }
  }
}

TEST(Int4Formats, GenericRoundingsMatchThePerElementFormula) {
  // The slow path is the formula itself; check the quantizer wires group parameters and the
  // rounding mode through for every mode, against double-precision reference arithmetic.
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 2.0f);
  for (const Rounding r : kAllRoundings) {
    std::vector<float> x(96);
    for (float& v : x) v = nd(rng);
    const QuantizedRow row = quantize("int4_g32", x, with_rounding(r));
    for (std::size_t g = 0; g < 3; ++g) {
      const auto first = x.begin() + static_cast<std::ptrdiff_t>(32 * g);
      const float lo = *std::min_element(first, first + 32);
      const float hi = *std::max_element(first, first + 32);
      const float scale = std::max(hi - lo, 1e-5f) / 15.0f;
      const double zero =
          std::clamp(-round_to_integral(lo / scale, Rounding::kNearestEven), 0.0, 15.0);
      EXPECT_EQ(*row.scales[g].zero_code, static_cast<std::uint32_t>(zero));
      EXPECT_EQ(row.scales[g].scale_code, fp32_to_fp16_bits(scale));
      for (std::size_t i = 0; i < 32; ++i) {
        const float y = x[32 * g + i] / scale;
        const double q = std::clamp(round_to_integral(y, r) + zero, 0.0, 15.0);
        EXPECT_EQ(row.codes[32 * g + i], static_cast<std::uint32_t>(q));
        EXPECT_EQ(row.values[32 * g + i], static_cast<float>(q - zero) * round_to_fp16(scale));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// QServe W4A8
// ---------------------------------------------------------------------------------------------

TEST(QServe, SpecWorkedExample) {
  // amax = 119 -> s1 = fp16(119 / 119) = 1.0 (0x3C00), so W8 = the inputs.
  // vmax - vmin = 238, s2 = RNE(15.87) = 16; z = RNE(119 / 16 = 7.4375) = 7;
  // q = RNE(W8 / 16 + 7) = [RNE(-0.4375) -> 0, RNE(3.875) = 4, 7, RNE(7.1875) = 7,
  //                         RNE(10.75) = 11, RNE(14.4375) = 14]
  // W8' = (q - 7) * 16 = [-112, -48, 0, 0, 64, 112].
  const std::vector<float> x = {-119, -50, 0, 3, 60, 119};
  const QuantizedRow row = quantize("qserve_w4a8", x);
  EXPECT_EQ(row.block, 128);
  EXPECT_THAT(row.codes, ElementsAre(0u, 4u, 7u, 7u, 11u, 14u));
  ASSERT_EQ(row.scales.size(), 1u);
  EXPECT_EQ(row.scales[0].scale, 16.0);
  EXPECT_EQ(row.scales[0].scale_code, 16u);
  EXPECT_EQ(row.scales[0].zero, 7.0);
  EXPECT_EQ(row.scales[0].zero_code, 7u);
  EXPECT_EQ(row.row_params.at("channel_scale"), 1.0);
  EXPECT_EQ(row.row_params.at("channel_scale_code"), 0x3C00);
  EXPECT_THAT(row.values, ElementsAre(-112.0f, -48.0f, 0.0f, 0.0f, 64.0f, 112.0f));

  const QServeGroupParams p = qserve_group_params(-119, 119);
  EXPECT_EQ(p.s2, 16);
  EXPECT_EQ(p.z, 7);
}

TEST(QServe, ByteWiseDequantMath) {
  // q = 14, s2 = 16: 14 * 16 = 0xE0; -7 * 16 = -112 = 0x90; 0xE0 + 0x90 = 0x170 -> byte 0x70 = 112.
  const QServeGroupParams p{16, 7};
  EXPECT_EQ(byte_add4(0xE0u, 0x90u), 0x70u);
  EXPECT_EQ(qserve_dequant(14, p), 112);
  // Four lanes at once: q = [0, 4, 7, 14] (byte 0 first) = 0x0E070400; times 16 = 0xE0704000;
  // + 0x90 per byte: 0x00+0x90 = 0x90 (-112), 0x40+0x90 = 0xD0 (-48), 0x70+0x90 -> 0x00,
  // 0xE0+0x90 -> 0x70 (112): 0x7000D090.
  EXPECT_EQ(qserve_dequant4(0x0E070400u, p), 0x7000D090u);
  // No carry leaks between bytes in byte_add4.
  EXPECT_EQ(byte_add4(0xFFFFFFFFu, 0x01010101u), 0x00000000u);
  EXPECT_EQ(byte_add4(0x80FF7F01u, 0x80017F7Fu), 0x0000FE80u);
}

TEST(QServe, HandWorkedChannelWithFp16Scale) {
  // amax = 2: 2 / 119 = 0.016806722 -> FP16 1101 * 2^-16 = 0.0167999267578125 (0x244D) = s1.
  // W8: 2 / s1 = 119.048 -> 119;  -1 / s1 = -59.524 -> -60;  0.5 / s1 = 29.762 -> 30;
  //     (s1 / 2) / s1 = 0.5 -> RNE 0;  (3 s1 / 2) / s1 = 1.5 -> RNE 2.
  // Group: vmax - vmin = 179, s2 = RNE(11.93) = 12, z = RNE(60 / 12) = 5;
  //   q = RNE(119/12 + 5 = 14.92) = 15, RNE(-5 + 5) = 0, RNE(2.5 + 5 = 7.5) = 8 (tie, even),
  //       RNE(5) = 5, RNE(2/12 + 5 = 5.17) = 5
  //   W8' = (q - 5) * 12 = [120, -60, 36, 0, 0]; values W8' * s1 (exact):
  //   120 * 1101 * 2^-16 = 2.0159912109375, -1.00799560546875, 0.60479736328125, 0, 0.
  const float s1 = 0.0167999267578125f;
  const std::vector<float> x = {2.0f, -1.0f, 0.5f, s1 / 2, 3 * s1 / 2};
  const QServeChannelScale cs = qserve_channel_scale(x);
  EXPECT_EQ(cs.s1_fp16, 0x244D);
  EXPECT_EQ(cs.s1, s1);
  std::vector<int> w8;
  for (const float v : x) w8.push_back(qserve_level1(v, cs.s1));
  EXPECT_THAT(w8, ElementsAre(119, -60, 30, 0, 2));
  const QuantizedRow row = quantize("qserve_w4a8", x);
  EXPECT_EQ(row.scales[0].scale_code, 12u);
  EXPECT_EQ(row.scales[0].zero_code, 5u);
  EXPECT_THAT(row.codes, ElementsAre(15u, 0u, 8u, 5u, 5u));
  EXPECT_THAT(row.values,
              ElementsAre(2.0159912109375f, -1.00799560546875f, 0.60479736328125f, 0.0f, 0.0f));
  EXPECT_EQ(row.row_params.at("channel_scale"), 0.0167999267578125);
  EXPECT_EQ(row.row_params.at("channel_scale_code"), 0x244D);
}

/// Whether every W8 range inside [-p, p] round-trips into [-127, 127]; checks the byte path
/// against the plain product wherever the product fits in int8.
bool protective_range_holds(int p) {
  bool ok = true;
  for (int vmin = -p; vmin <= p; ++vmin) {
    for (int vmax = vmin; vmax <= p; ++vmax) {
      const QServeGroupParams g = qserve_group_params(vmin, vmax);
      for (int w = vmin; w <= vmax; ++w) {
        const auto q = static_cast<int>(qserve_encode(w, g));
        const int exact = (q - g.z) * g.s2;
        if (exact < -127 || exact > 127) {
          ok = false;
          continue;
        }
        if (q * g.s2 > 255 || qserve_dequant(static_cast<std::uint32_t>(q), g) != exact) {
          ADD_FAILURE() << "byte path differs: [" << vmin << ", " << vmax << "] w=" << w;
          return false;
        }
      }
    }
  }
  return ok;
}

TEST(QServe, ProtectiveRangeIs119) {
  EXPECT_TRUE(protective_range_holds(kQServeProtectiveRange));
  EXPECT_FALSE(protective_range_holds(120));
  // The witness: [-120, 120] -> s2 = 16, z = RNE(7.5) = 8, q(-120) = RNE(0.5) = 0 -> -128.
  const QServeGroupParams g = qserve_group_params(-120, 120);
  EXPECT_EQ(g.s2, 16);
  EXPECT_EQ(g.z, 8);
  EXPECT_EQ(qserve_encode(-120, g), 0u);
}

TEST(QServe, IntegerRneMatchesFp32ReferenceArithmetic) {
  // The reference computes round(W8 / s2 + z) on FP32 tensors; the integer RNE must agree on
  // every W8 of every range inside the protective range.
  auto fp32_rne = [](float v) {
    return static_cast<int>(round_to_integral(v, Rounding::kNearestEven));
  };
  for (int vmin = -119; vmin <= 119; ++vmin) {
    for (int vmax = vmin; vmax <= 119; ++vmax) {
      const QServeGroupParams g = qserve_group_params(vmin, vmax);
      int s2 = fp32_rne(static_cast<float>(vmax - vmin) / 15.0f);
      s2 = std::min(s2 == 0 ? 1 : s2, 127);
      ASSERT_EQ(g.s2, s2);
      ASSERT_EQ(g.z,
                std::clamp(fp32_rne(static_cast<float>(-vmin) / static_cast<float>(s2)), 0, 15));
      for (int w = vmin; w <= vmax; ++w) {
        const float y = static_cast<float>(w) / static_cast<float>(s2) + static_cast<float>(g.z);
        ASSERT_EQ(static_cast<int>(qserve_encode(w, g)), std::clamp(fp32_rne(y), 0, 15))
            << vmin << " " << vmax << " " << w;
      }
    }
  }
}

TEST(QServe, DequantizeRebuildsValuesAndStaysInInt8) {
  std::mt19937 rng(31);
  for (const int g : {1, 3, 4, 5, 32, 128}) {
    const auto q = builtin_formats().create("qserve_w4a8", with_group(g));
    for (int t = 0; t < 60; ++t) {
      std::vector<float> x = stress_row(rng, 1 + rng() % 300);
      const QuantizedRow row = q->quantize(x);
      expect_same_floats(q->dequantize(row), row.values, "qserve g=" + std::to_string(g));
      const float s1 = fp16(static_cast<std::uint16_t>(row.row_params.at("channel_scale_code")));
      ASSERT_TRUE(same_float(s1, static_cast<float>(row.row_params.at("channel_scale"))));
      for (std::size_t i = 0; i < x.size(); ++i) {
        const StoredScale& s = row.scales[i / static_cast<std::size_t>(g)];
        ASSERT_LE(row.codes[i], 15u);
        ASSERT_GE(s.scale_code, 1u);
        ASSERT_LE(s.scale_code, 16u);
        const int w8q = (static_cast<int>(row.codes[i]) - static_cast<int>(*s.zero_code)) *
                        static_cast<int>(s.scale_code);
        ASSERT_LE(std::abs(w8q), 127);
        if (std::isfinite(s1)) {
          ASSERT_EQ(row.values[i], static_cast<float>(w8q) * s1);
        }
      }
    }
  }
}

TEST(QServe, DegenerateChannels) {
  // Non-finite anywhere: the whole channel is NaN (s1 = FP16 NaN).
  for (const float bad : {kNan, kInf, -kInf}) {
    std::vector<float> x(200, 1.0f);
    x[150] = bad;
    const QuantizedRow row = quantize("qserve_w4a8", x);
    EXPECT_EQ(row.row_params.at("channel_scale_code"), kFp16QuietNan);
    for (const float v : row.values) EXPECT_TRUE(std::isnan(v));
    expect_same_floats(builtin_formats().create("qserve_w4a8")->dequantize(row), row.values,
                       "nan channel");
  }
  // All zero: s1 = 0, W8 = 0, s2 = 1, z = 0, values +0.
  QuantizedRow row = quantize("qserve_w4a8", std::vector<float>(5, 0.0f));
  EXPECT_EQ(row.row_params.at("channel_scale_code"), 0.0);
  EXPECT_EQ(row.scales[0].scale_code, 1u);
  EXPECT_EQ(row.scales[0].zero_code, 0u);
  for (const float v : row.values) EXPECT_EQ(std::bit_cast<std::uint32_t>(v), 0u);
  // amax / 119 below half the smallest FP16 subnormal: s1 = 0, the channel flushes to 0.
  row = quantize("qserve_w4a8", {1e-9f, -5e-10f});
  EXPECT_EQ(row.row_params.at("channel_scale_code"), 0.0);
  EXPECT_THAT(row.values, ElementsAre(0.0f, 0.0f));
  // amax / 119 beyond FP16: s1 = Inf, W8 = 0, values 0 * Inf = NaN.
  row = quantize("qserve_w4a8", {1e7f, 1.0f});
  EXPECT_EQ(row.row_params.at("channel_scale_code"), 0x7C00);
  EXPECT_TRUE(std::isnan(row.values[0]) && std::isnan(row.values[1]));
  // Level 1 never divides into undefined behaviour.
  EXPECT_EQ(qserve_level1(5.0f, 0.0f), 0);
  EXPECT_EQ(qserve_level1(kNan, 1.0f), 0);
  EXPECT_EQ(qserve_level1(kInf, 1.0f), 119);
  EXPECT_EQ(qserve_level1(-1e30f, 1.0f), -119);
}

TEST(QServe, Level1ClampIsActiveForSubnormalChannelScales) {
  // amax = 119 * 1.4 * 2^-24: amax / 119 = 1.4 * 2^-24 rounds to the FP16 subnormal 2^-24, so
  // amax / s1 = 166.6 and only the clamp keeps W8 at 119 (FP16 normals are too precise for this:
  // their relative error 2^-11 cannot push 119 past 119.5).
  const float a = 119.0f * 1.4f * std::ldexp(1.0f, -24);
  const QServeChannelScale cs = qserve_channel_scale(std::vector<float>{a, -a});
  EXPECT_EQ(cs.s1_fp16, 0x0001);
  EXPECT_GT(a / cs.s1, 166.0f);
  EXPECT_EQ(qserve_level1(a, cs.s1), 119);
  EXPECT_EQ(qserve_level1(-a, cs.s1), -119);
  // Then as the spec example: s2 = 16, z = 7, q = [14, 0], W8' = [112, -112], values W8' * 2^-24.
  const QuantizedRow row = quantize("qserve_w4a8", {a, -a});
  EXPECT_THAT(row.codes, ElementsAre(14u, 0u));
  EXPECT_THAT(row.values, ElementsAre(std::ldexp(112.0f, -24), std::ldexp(-112.0f, -24)));
}

// ---------------------------------------------------------------------------------------------
// QServe activations
// ---------------------------------------------------------------------------------------------

TEST(QServeActivation, HandWorkedToken) {
  // amax = 4: scale = fp16(4 / 127 = 0.0314961) = 1032 * 2^-15 = 0.031494140625 (0x2808);
  // multiplier = 127 / 4 = 31.75 exactly; q = RNE(x * 31.75):
  //   1 -> 31.75 -> 32;  -2 -> -63.5 -> -64 (tie to even);  0.5 -> 15.875 -> 16;  4 -> 127.
  const std::vector<float> x = {1.0f, -2.0f, 0.5f, 4.0f};
  std::vector<std::int8_t> q(x.size());
  const QServeTokenScale t = qserve_quantize_token(x, q);
  EXPECT_EQ(t.amax, 4.0f);
  EXPECT_EQ(t.scale_fp16, 0x2808);
  EXPECT_EQ(t.scale, 0.031494140625f);
  EXPECT_EQ(t.multiplier, 31.75f);
  EXPECT_THAT(q, ElementsAre(32, -64, 16, 127));
}

TEST(QServeActivation, TiesGoToEven) {
  // amax = 127 -> multiplier exactly 1, so x * 1 keeps the ties.
  const std::vector<float> x = {2.5f, 3.5f, -2.5f, -3.5f, 127.0f, 0.5f, -0.5f, -1.5f};
  std::vector<std::int8_t> q(x.size());
  const QServeTokenScale t = qserve_quantize_token(x, q);
  EXPECT_EQ(t.multiplier, 1.0f);
  EXPECT_EQ(t.scale_fp16, 0x3C00);  // 127 / 127
  EXPECT_THAT(q, ElementsAre(2, 4, -2, -4, 127, 0, 0, -2));
}

TEST(QServeActivation, ConversionSaturatesAndMapsNanToZero) {
  EXPECT_EQ(cvt_rni_sat_s8(200.0f), 127);
  EXPECT_EQ(cvt_rni_sat_s8(127.5f), 127);
  EXPECT_EQ(cvt_rni_sat_s8(126.5f), 126);
  EXPECT_EQ(cvt_rni_sat_s8(-128.4f), -128);
  EXPECT_EQ(cvt_rni_sat_s8(-128.5f), -128);
  EXPECT_EQ(cvt_rni_sat_s8(-300.0f), -128);
  EXPECT_EQ(cvt_rni_sat_s8(kInf), 127);
  EXPECT_EQ(cvt_rni_sat_s8(-kInf), -128);
  EXPECT_EQ(cvt_rni_sat_s8(kNan), 0);
  EXPECT_EQ(cvt_rni_sat_s8(-0.5f), 0);
}

TEST(QServeActivation, NonFiniteAndZeroTokens) {
  std::vector<std::int8_t> q(4);
  // A NaN is ignored by amax and quantizes to 0.
  QServeTokenScale t = qserve_quantize_token(std::vector<float>{1.0f, kNan, -2.0f, 0.5f}, q);
  EXPECT_EQ(t.amax, 2.0f);
  EXPECT_THAT(q, ElementsAre(64, 0, -127, 32));  // multiplier 63.5: 63.5 -> 64, 31.75 -> 32
  // An Inf: amax Inf, scale FP16 Inf, multiplier 0, every code 0 (Inf * 0 = NaN -> 0).
  t = qserve_quantize_token(std::vector<float>{1.0f, kInf, -2.0f, 0.5f}, q);
  EXPECT_EQ(t.scale_fp16, 0x7C00);
  EXPECT_THAT(q, ElementsAre(0, 0, 0, 0));
  // All zero: scale 0, multiplier Inf, 0 * Inf = NaN -> 0.
  t = qserve_quantize_token(std::vector<float>(4, 0.0f), q);
  EXPECT_EQ(t.scale_fp16, 0);
  EXPECT_EQ(t.multiplier, kInf);
  EXPECT_THAT(q, ElementsAre(0, 0, 0, 0));
}

TEST(QServeActivation, MultipliesByTheFp32Reciprocal) {
  // The codes come from x * fl32(127 / amax), not from x / fp16(amax / 127) (the other variant in
  // omniserve, §14 item 8). Check the explicit formula on a sweep, and that the two variants
  // differ on it, so this test tells them apart.
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-3.0f, 3.0f);
  std::vector<float> x(1000);
  for (float& v : x) v = u(rng);
  x[0] = 3.0f;
  std::vector<std::int8_t> q(x.size());
  const QServeTokenScale t = qserve_quantize_token(x, q);
  ASSERT_EQ(t.amax, 3.0f);
  const float m = 127.0f / 3.0f;
  int differs = 0;
  EXPECT_EQ(t.multiplier, m);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double r = round_to_integral(x[i] * m, Rounding::kNearestEven);
    EXPECT_EQ(q[i], static_cast<std::int8_t>(std::clamp(r, -128.0, 127.0))) << x[i];
    if (q[i] != cvt_rni_sat_s8(x[i] / t.scale)) ++differs;
  }
  EXPECT_EQ(q[0], 127);
  EXPECT_GT(differs, 0);
}

}  // namespace
}  // namespace mpsim::num

namespace mpsim::num {
namespace {

// numerics.md §9.1: the two AWQ kernel epilogues round differently. Hand-worked case:
// s = fp16 0x2E66 = 0.0999755859375, z = 7, q = 10; exact s*(q - z) = 0.2999267578125.
//   gen: half(0.2999267578125): step 2^-12 at [0.25, 0.5), 1228.5 steps, tie -> even 1228
//        -> 0.2998046875 (0x34CC).
//   fma: fp16(-s*7 = -0.6998291015625) = -0.69970703125 (1433.25 steps of 2^-11 -> 1433);
//        q*s = 0.999755859375; sum 0.300048828125 = 1229 steps of 2^-12, exact -> 0x34CD.
TEST(AwqEpilogue, GenAndFmaKernelsRoundDifferently) {
  EXPECT_EQ(awq_dequant_fp16_gen(10, 0x2E66, 7), 0x34CC);
  EXPECT_EQ(awq_dequant_fp16_fma(10, 0x2E66, 7), 0x34CD);
  EXPECT_EQ(fp16_bits_to_fp32(0x34CC), 0.2998046875f);
  EXPECT_EQ(fp16_bits_to_fp32(0x34CD), 0.300048828125f);
  // Both agree whenever -s*z is already an FP16 value exactly (z = 0 or a power-of-two case).
  for (std::uint32_t q = 0; q < 16; ++q)
    EXPECT_EQ(awq_dequant_fp16_gen(q, 0x2E66, 0), awq_dequant_fp16_fma(q, 0x2E66, 0));
}

}  // namespace
}  // namespace mpsim::num
