// DESCRIPTION: MX and BFP block formats: the spec's worked examples, scale rules, NaN/zero blocks,
// idempotence, and a cross-check against an independent microxcaling-style reference.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "mpsim/base/error.h"
#include "mpsim/numerics/block_dot.h"
#include "mpsim/numerics/quantizer.h"
#include "mpsim/numerics/scalar_format.h"

namespace mpsim::num {
namespace {

QuantizedRow quantize(std::string_view fmt, const std::vector<float>& x, QuantizeOptions o = {}) {
  return builtin_formats().create(fmt, o)->quantize(x);
}

std::vector<float> values(std::string_view fmt, const std::vector<float>& x,
                          QuantizeOptions o = {}) {
  return quantize(fmt, x, o).values;
}

QuantizeOptions with_rounding(Rounding r) {
  QuantizeOptions o;
  o.rounding = r;
  return o;
}

// numerics.md §2.3, worked example A (recomputed by hand there): amax 11 -> X = 2.
TEST(MxWorkedExamples, Mxfp4ExampleA) {
  const std::vector<float> v{0.3f, -1.7f, 2.9f, 3.0f, 5.0f, -11.0f, 0.0f, 7.0f};
  const auto rne = quantize("mxfp4", v);
  EXPECT_EQ(rne.values, (std::vector<float>{0, -2, 3, 3, 4, -12, 0, 8}));
  ASSERT_EQ(rne.scales.size(), 1u);
  EXPECT_EQ(rne.scales[0].scale, 2.0);
  EXPECT_EQ(rne.scales[0].scale_code, 128u);
  // Element codes: 0, -1 (0b1010), 1.5 (0b0011), 1.5, 2 (0b0100), -6 (0b1111), 0, 4 (0b0110).
  EXPECT_EQ(rne.codes,
            (std::vector<std::uint32_t>{0, 0b1010, 0b0011, 0b0011, 0b0100, 0b1111, 0, 0b0110}));
  // microxcaling's ties-away: only 2.5 -> 3 differs (3.5 -> 4 either way).
  EXPECT_EQ(values("mxfp4", v, with_rounding(Rounding::kNearestAway)),
            (std::vector<float>{0, -2, 3, 3, 6, -12, 0, 8}));
}

// §2.3 example B, the microxcaling test vector (test_fp8_e4m3_fix.py).
TEST(MxWorkedExamples, Mxfp8E4m3ExampleB) {
  const float t = std::ldexp(1.0f, -6);
  const std::vector<float> x{485, 475, 400, -485, -475, -450, t, -t};
  EXPECT_EQ(values("mxfp8_e4m3", x, with_rounding(Rounding::kNearestAway)),
            (std::vector<float>{448, 448, 416, -448, -448, -448, t, -t}));
  EXPECT_EQ(values("mxfp8_e4m3", x), (std::vector<float>{448, 448, 384, -448, -448, -448, t, -t}));
  EXPECT_EQ(quantize("mxfp8_e4m3", x).scales[0].scale_code, 127u);
}

// §3.1 worked example (E = 0).
TEST(BfpWorkedExamples, Bfp12AndBfp16) {
  const std::vector<float> x{0.9f, -0.3f, 0.05f, 1.7f, -1.9f, 0.625f};
  EXPECT_EQ(values("bfp12", x), (std::vector<float>{1.0f, -0.25f, 0, 1.75f, -1.75f, 0.5f}));
  EXPECT_EQ(values("bfp16", x),
            (std::vector<float>{0.90625f, -0.296875f, 0.046875f, 1.703125f, -1.90625f, 0.625f}));
  // Top-element overflow is clipped: 1.99 with p = 4 would round to 2.0 -> 1.75.
  EXPECT_EQ(values("bfp12", {1.99f, 0.1f}), (std::vector<float>{1.75f, 0}));
}

TEST(MxInt8, SymmetricClampAndDecodingOfMinusTwo) {
  // amax 1.999 -> E = 0, step 1/64: -1.999*64 = -127.9 rounds to -128, clamped to -127 (never
  // 0x80).
  const auto q = quantize("mxint8", {-1.999f, 1.0f});
  EXPECT_EQ(q.values[0], -127.0f / 64);
  EXPECT_EQ(q.codes[0], 0x81u);
  EXPECT_EQ(q.values[1], 1.0f);
  // The decoder still accepts 0x80 as -2.0 (gfloat), so stored data from other tools reads back.
  QuantizedRow stored = q;
  stored.codes[0] = 0x80;
  EXPECT_EQ(builtin_formats().create("mxint8")->dequantize(stored)[0], -2.0f);
}

TEST(MxScaleRules, E4m3Amax500UnderEveryRule) {
  // §2.2: FLOOR keeps X = 1 (500 saturates to 448); RCEIL gives X = 2 and 250 -> 256 -> 512.
  auto with_rule = [](ScaleRule s) {
    QuantizeOptions o;
    o.scale_rule = s;
    return o;
  };
  EXPECT_EQ(quantize("mxfp8_e4m3", {500}, with_rule(ScaleRule::kFloor)).values[0], 448);
  EXPECT_EQ(quantize("mxfp8_e4m3", {500}, with_rule(ScaleRule::kRceil)).values[0], 512);
  EXPECT_EQ(quantize("mxfp8_e4m3", {500}, with_rule(ScaleRule::kRceil)).scales[0].scale, 2);
  EXPECT_EQ(quantize("mxfp8_e4m3", {500}, with_rule(ScaleRule::kCeil)).scales[0].scale, 2);
  // EVEN: 500 = 1.953125 * 2^8 rounds to 2^9 at 3 mantissa bits -> exponent 9 - 8 = 1.
  EXPECT_EQ(quantize("mxfp8_e4m3", {500}, with_rule(ScaleRule::kEven)).scales[0].scale, 2);
  // 300 = 1.171875 * 2^8 stays in its binade under EVEN; CEIL still bumps (not a power of two).
  EXPECT_EQ(quantize("mxfp8_e4m3", {300}, with_rule(ScaleRule::kEven)).scales[0].scale, 1);
  EXPECT_EQ(quantize("mxfp8_e4m3", {256}, with_rule(ScaleRule::kCeil)).scales[0].scale, 1);
  EXPECT_EQ(quantize("mxfp8_e4m3", {300}, with_rule(ScaleRule::kCeil)).scales[0].scale, 2);
  // MXFP4, amax 6: RCEIL 6/6 = 1 -> X = 1; FLOOR floor(log2 6) - 2 = 0 -> X = 1.
  EXPECT_EQ(quantize("mxfp4", {6, 1}, with_rule(ScaleRule::kRceil)).scales[0].scale, 1);
  EXPECT_EQ(quantize("mxfp4", {6.5f, 1}, with_rule(ScaleRule::kRceil)).scales[0].scale, 2);
}

TEST(MxSpecialBlocks, NanOrInfMakesTheWholeBlockNanOthersUntouched) {
  QuantizeOptions o;
  o.block = 4;
  std::vector<float> x{1, 2, std::numeric_limits<float>::quiet_NaN(), 3, 1, 2,
                       3, 4, std::numeric_limits<float>::infinity(),  0, 0, 0};
  for (std::string_view f : {"mxfp4", "mxfp8_e5m2", "mxint8", "bfp16"}) {
    const auto q = quantize(f, x, o);
    ASSERT_EQ(q.scales.size(), 3u);
    EXPECT_EQ(q.scales[0].scale_code, 0xFFu) << f;
    EXPECT_EQ(q.scales[2].scale_code, 0xFFu) << f;
    for (int i : {0, 1, 2, 3, 8, 9, 10, 11}) EXPECT_TRUE(std::isnan(q.values[i])) << f << " " << i;
    EXPECT_EQ(q.values[4], 1.0f) << f;
    EXPECT_EQ(q.values[7], 4.0f) << f;
  }
}

TEST(MxSpecialBlocks, ZeroBlockStoresExponentMinus127) {
  for (std::string_view f : {"mxfp4", "mxfp8_e4m3", "mxint8", "bfp12"}) {
    const auto q = quantize(f, {0, -0.0f, 0, 0});
    EXPECT_EQ(q.scales[0].scale_code, 0u) << f;
    for (float v : q.values) EXPECT_EQ(v, 0.0f) << f;
  }
}

TEST(MxLayout, BlockOptionAndPartialLastBlock) {
  std::vector<float> x(40);
  for (int i = 0; i < 40; ++i) x[i] = static_cast<float>(i < 32 ? 1 : 100);
  const auto q32 = quantize("mxfp4", x);
  ASSERT_EQ(q32.scales.size(), 2u);
  EXPECT_EQ(q32.values[0], 1.0f);
  EXPECT_EQ(q32.values[39], 96.0f);  // 100 / 2^4 = 6.25 -> 6 (RNE) -> 96
  QuantizeOptions o;
  o.block = 64;
  const auto q64 = quantize("mxfp4", x, o);
  ASSERT_EQ(q64.scales.size(), 1u);
  EXPECT_EQ(q64.values[0], 0.0f);  // 1 / 16 underflows next to the outlier
}

TEST(MxProperties, RequantizingDequantizedValuesIsIdentity) {
  std::mt19937 rng(2024);
  std::lognormal_distribution<float> mag(0.0f, 2.0f);
  for (std::string_view f : {"mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4",
                             "mxint8", "bfp12", "bfp16"}) {
    for (Rounding r : {Rounding::kNearestEven, Rounding::kNearestAway, Rounding::kTowardZero,
                       Rounding::kFloor, Rounding::kHalfUp}) {
      auto q = builtin_formats().create(f, with_rounding(r));
      std::vector<float> x(256);
      for (auto& v : x) v = (rng() & 1 ? -1 : 1) * mag(rng);
      const auto a = q->quantize(x);
      const auto b = q->quantize(a.values);
      EXPECT_EQ(a.codes, b.codes) << f << " " << to_string(r);
      EXPECT_EQ(a.values, b.values) << f << " " << to_string(r);
      EXPECT_EQ(q->dequantize(a), a.values) << f;
    }
  }
}

// An independent reference written from the microxcaling description (§2.3): per element
// e = max(floor(log2|a|), emin), a' = round(a * 2^(mbits - e)) * 2^(e - mbits), clamp to +-max.
double reference_element(double a, int ebits, int mbits, double max_norm, bool away) {
  if (a == 0) return 0;
  const int emin = 2 - (1 << (ebits - 1));
  const int e = std::max(static_cast<int>(std::floor(std::log2(std::fabs(a)))), emin);
  const double scaled = a * std::ldexp(1.0, mbits - e);
  const double r = away ? std::round(scaled) : std::nearbyint(scaled);
  const double q = r * std::ldexp(1.0, e - mbits);
  return std::clamp(q, -max_norm, max_norm);
}

TEST(MxCrossCheck, MatchesAnIndependentMicroxcalingStyleReference) {
  struct Fmt {
    const char* name;
    int ebits, mbits, emax;
    double max_norm;
  };
  const Fmt fmts[] = {{"mxfp8_e4m3", 4, 3, 8, 448},
                      {"mxfp8_e5m2", 5, 2, 15, 57344},
                      {"mxfp6_e3m2", 3, 2, 4, 28},
                      {"mxfp6_e2m3", 2, 3, 2, 7.5},
                      {"mxfp4", 2, 1, 2, 6}};
  std::mt19937 rng(99);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (const auto& f : fmts) {
    for (bool away : {false, true}) {
      auto q = builtin_formats().create(
          f.name, with_rounding(away ? Rounding::kNearestAway : Rounding::kNearestEven));
      for (int trial = 0; trial < 200; ++trial) {
        std::vector<float> x(32);
        const float spread = std::ldexp(1.0f, static_cast<int>(rng() % 60) - 30);
        for (auto& v : x) v = normal(rng) * spread;
        if (trial % 3 == 0) x[rng() % 32] *= 100;  // an outlier
        float amax = 0;
        for (float v : x) amax = std::max(amax, std::fabs(v));
        const int shared =
            std::clamp(static_cast<int>(std::floor(std::log2(amax))) - f.emax, -127, 127);
        const auto got = q->quantize(x);
        for (int i = 0; i < 32; ++i) {
          const double want = reference_element(std::ldexp(static_cast<double>(x[i]), -shared),
                                                f.ebits, f.mbits, f.max_norm, away) *
                              std::ldexp(1.0, shared);
          ASSERT_EQ(static_cast<double>(got.values[i]), want)
              << f.name << " x=" << x[i] << " trial " << trial << (away ? " rna" : " rne");
        }
      }
    }
  }
}

TEST(BlockOptions, RejectsWhatTheFormatDoesNotTake) {
  QuantizeOptions g;
  g.group = 32;
  EXPECT_THROW(builtin_formats().create("mxfp4", g), ConfigError);
  QuantizeOptions o;
  o.overflow = Overflow::kInfNan;
  EXPECT_THROW(builtin_formats().create("mxfp8_e4m3", o), ConfigError);
  QuantizeOptions s;
  s.scale_rule = ScaleRule::kCeil;
  EXPECT_THROW(builtin_formats().create("bfp12", s), ConfigError);
  QuantizeOptions zero;
  zero.block = 0;
  EXPECT_THROW(builtin_formats().create("mxfp4", zero), ConfigError);
}

}  // namespace
}  // namespace mpsim::num

namespace mpsim::num {
namespace {

// The block kernels (a fast FP32 path for rne/rna) must equal per-element exact rounding of
// x * 2^-e by the element's ScalarFormat, for every MX/BFP format and every rounding mode.
TEST(MxCrossCheck, EveryElementEqualsTheExactEngine) {
  struct Fmt {
    const char* name;
    ScalarFormat el;
    int frac_bits;  // integer elements: value = k * 2^-frac_bits
  };
  const Fmt fmts[] = {{"mxfp8_e4m3", ScalarFormat::fp8_e4m3(), -1},
                      {"mxfp8_e5m2", ScalarFormat::fp8_e5m2(), -1},
                      {"mxfp6_e3m2", ScalarFormat::fp6_e3m2(), -1},
                      {"mxfp6_e2m3", ScalarFormat::fp6_e2m3(), -1},
                      {"mxfp4", ScalarFormat::fp4_e2m1(), -1},
                      {"mxint8", ScalarFormat::integer("int8", 8, true), 6},
                      {"bfp16", ScalarFormat::integer("int8", 8, true), 6},
                      {"bfp12", ScalarFormat::integer("int4", 4, true), 2}};
  std::mt19937 rng(31337);
  for (const auto& f : fmts) {
    for (Rounding r : {Rounding::kNearestEven, Rounding::kNearestAway, Rounding::kHalfUp,
                       Rounding::kTowardZero, Rounding::kFloor}) {
      QuantizeOptions o;
      o.rounding = r;
      auto q = builtin_formats().create(f.name, o);
      for (int trial = 0; trial < 100; ++trial) {
        std::vector<float> x(32);
        const int spread = static_cast<int>(rng() % 250) - 125;
        for (auto& v : x) {
          // Random bits in a few binades below the spread, plus exact ties on the element grid.
          v = std::ldexp(static_cast<float>(static_cast<std::int32_t>(rng() % 4096) - 2048),
                         spread - 11);
          if (rng() % 4 == 0)
            v = std::ldexp(static_cast<float>(static_cast<int>(rng() % 64) - 32) + 0.5f,
                           spread - 5);
        }
        const auto got = q->quantize(x);
        const int e = static_cast<int>(got.scales[0].scale_code) - 127;
        for (int i = 0; i < 32; ++i) {
          const double scaled = std::ldexp(static_cast<double>(x[i]), -e);
          std::uint32_t want = 0;
          if (f.frac_bits < 0) {
            want = f.el.encode_exact(ExactValue::from_double(scaled), r, Overflow::kSaturate);
          } else {
            want = f.el.encode_exact(ExactValue::from_double(std::ldexp(scaled, f.frac_bits)), r,
                                     Overflow::kSaturate);
            if (want == (1u << (f.el.bits() - 1))) want += 1;  // symmetric clamp
          }
          if (f.frac_bits < 0 && f.el.decode(want) == 0) {
            // +-0 both mean zero; the sign of a zero element follows the input's sign.
            ASSERT_EQ(got.values[i], 0.0f) << f.name;
            continue;
          }
          ASSERT_EQ(got.codes[i], want)
              << f.name << " " << to_string(r) << " x=" << x[i] << " e=" << e;
        }
      }
    }
  }
}

}  // namespace
}  // namespace mpsim::num

namespace mpsim::num {
namespace {

TEST(BlockDot, HandWorkedMxfp4) {
  // A = [1, 2, 3, 6] (amax 6 -> X = 1), B = [0.5, -1, 4, 1] (amax 4 -> X = 1):
  // 0.5 - 2 + 12 + 6 = 16.5, exact.
  auto q = builtin_formats().create("mxfp4");
  const auto a = q->quantize(std::vector<float>{1, 2, 3, 6});
  const auto b = q->quantize(std::vector<float>{0.5f, -1, 4, 1});
  const auto r = block_dot_detailed(a, b);
  EXPECT_EQ(r.value, 16.5f);
  // In units of 2^-1 * 2^-1: k_a = [2, 4, 6, 12], k_b = [1, -2, 8, 2]: sum 66 -> 8 signed bits.
  EXPECT_EQ(r.max_block_sum_bits, 8);
}

TEST(BlockDot, E5m2BlockSumsNeedMoreThan64Bits) {
  // 32 products of max * max: k = 57344 / 2^-16 = 3758096384 each, squared and summed: ~2^68.
  auto q = builtin_formats().create("mxfp8_e5m2");
  const std::vector<float> x(32, 57344.0f);
  const auto a = q->quantize(x);
  const auto r = block_dot_detailed(a, a);
  EXPECT_EQ(r.value, 32.0f * 57344.0f * 57344.0f);
  EXPECT_EQ(r.max_block_sum_bits, 70);  // numerics.md §2.5
}

TEST(BlockDot, AnInfElementCodeMakesItsBlockNaN) {
  // The quantizer never writes E5M2's Inf codes (it marks such blocks by scale 0xFF), but a
  // hand-built or imported row can hold one: the block is NaN (as in the block_fp PE), never an
  // Inf cast to an integer.
  auto q = builtin_formats().create("mxfp8_e5m2");
  auto a = q->quantize(std::vector<float>(32, 1.0f));
  const auto b = q->quantize(std::vector<float>(32, 1.0f));
  EXPECT_EQ(block_dot_detailed(a, b).value, 32.0f);
  for (std::uint32_t inf : {0x7Cu, 0xFCu}) {
    a.codes[5] = inf;
    EXPECT_TRUE(std::isnan(block_dot_detailed(a, b).value)) << std::hex << inf;
  }
}

TEST(BlockDot, MatchesDoubleBlockSumsThenFp32Accumulation) {
  // For 4- to 8-bit MX elements a block's exact sum fits a double, so "exact block sum, one FP32
  // rounding, FP32 adds in order" can be recomputed independently with native arithmetic.
  std::mt19937 rng(8);
  std::normal_distribution<float> n(0.0f, 1.0f);
  for (const char* f : {"mxfp4", "mxfp6_e2m3", "mxfp6_e3m2", "mxfp8_e4m3", "mxint8", "bfp12"}) {
    auto q = builtin_formats().create(f);
    for (int trial = 0; trial < 50; ++trial) {
      std::vector<float> xa(200), xb(200);
      for (auto& v : xa) v = n(rng) * std::ldexp(1.0f, static_cast<int>(rng() % 20) - 10);
      for (auto& v : xb) v = n(rng);
      const auto a = q->quantize(xa);
      const auto b = q->quantize(xb);
      float acc = 0;
      for (std::size_t blk = 0; blk * 32 < xa.size(); ++blk) {
        double s = 0;
        for (std::size_t i = blk * 32; i < std::min<std::size_t>(xa.size(), blk * 32 + 32); ++i)
          s += (static_cast<double>(a.values[i]) / a.scales[blk].scale) *
               (static_cast<double>(b.values[i]) / b.scales[blk].scale);
        acc += static_cast<float>(s * a.scales[blk].scale * b.scales[blk].scale);
      }
      ASSERT_EQ(block_dot(a, b), acc) << f << " trial " << trial;
    }
  }
}

TEST(BlockDot, RejectsNonBlockFormatsAndShapeMismatch) {
  auto mx = builtin_formats().create("mxfp4");
  auto i8 = builtin_formats().create("int8");
  const std::vector<float> x{1, 2, 3};
  EXPECT_THROW(block_dot(mx->quantize(x), i8->quantize(x)), ConfigError);
  EXPECT_THROW(block_dot(mx->quantize(x), mx->quantize(std::vector<float>{1, 2})), ConfigError);
}

}  // namespace
}  // namespace mpsim::num
