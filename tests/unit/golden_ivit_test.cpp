// DESCRIPTION: I-ViT integer-only ops (shift-exp, Shiftmax, ShiftGELU, I-LayerNorm) in both
// variants, checked against values worked by hand, plus properties; HAWQ-V3 matrix requantization.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "mpsim/golden/ivit.h"

namespace mpsim::golden {
namespace {

constexpr auto kPt = IVitVariant::kPyTorch;
constexpr auto kTvm = IVitVariant::kTvm;

TEST(IVitX0, BothVariantsByHand) {
  // S = 0.1f = 0.100000001490116...: fp32(-1/S) = -10.0 exactly (the FP32 quotient rounds to it),
  // floor -> -10. TVM: -1/S in double = -9.99999985..., minus 1 = -10.99999985, trunc -> -10.
  EXPECT_EQ(ivit_x0(0.1f, kPt), -10);
  EXPECT_EQ(ivit_x0(0.1f, kTvm), -10);
  // S = 0.125 (exact): -1/S = -8 is an integer. PyTorch floor(-8) = -8; TVM trunc(-8 - 1) = -9.
  EXPECT_EQ(ivit_x0(0.125, kPt), -8);
  EXPECT_EQ(ivit_x0(0.125, kTvm), -9);
  // S = 0.15: -1/S = -6.67; floor -> -7; TVM trunc(-7.67) -> -7. The "-1" only matters when -1/S
  // is an integer.
  EXPECT_EQ(ivit_x0(0.15f, kPt), -7);
  EXPECT_EQ(ivit_x0(0.15f, kTvm), -7);
  EXPECT_THROW(ivit_x0(0.0, kPt), std::invalid_argument);
  EXPECT_THROW(ivit_x0(-1.0, kTvm), std::invalid_argument);
  EXPECT_THROW(ivit_x0(1e-12, kPt), std::invalid_argument);
}

TEST(IVitShiftExp, PyTorchByHand) {
  // S = 0.1f, n = 15, x0 = -10, n*x0 = -150.
  // x = -1: t = -1 + floor(-0.5) - floor(-1/16) = -1 - 1 + 1 = -1; q = floor(-1/-10) = 0;
  //         r = -1; exp = floor((-1/2 + 10) * 2^15) = 9.5 * 32768 = 311296.
  ShiftExpTrace t = int_exp_shift_trace(-1, 0.1f, 15, kPt);
  EXPECT_EQ(t.x_log2e, -1);
  EXPECT_EQ(t.x0, -10);
  EXPECT_EQ(t.q, 0);
  EXPECT_EQ(t.r, -1);
  EXPECT_EQ(t.value, 311296);
  // x = 0: exp = (0 + 10) * 2^15 = 327680 (represents 1.0 = 327680 * 0.1 / 2^15).
  EXPECT_EQ(int_exp_shift(0, 0.1f, 15, kPt), 327680);
  // x = -7: t = -7 - 4 + 1 = -10; q = 1; r = 0; exp = 10 * 2^14 = 163840.
  t = int_exp_shift_trace(-7, 0.1f, 15, kPt);
  EXPECT_EQ(t.x_log2e, -10);
  EXPECT_EQ(t.q, 1);
  EXPECT_EQ(t.r, 0);
  EXPECT_EQ(t.value, 163840);
  // x = -10: t = -10 - 5 + 1 = -14; q = floor(1.4) = 1; r = -4; exp = (-2 + 10) * 2^14 = 131072.
  EXPECT_EQ(int_exp_shift(-10, 0.1f, 15, kPt), 131072);
  // x = -25: t = -25 - 13 + 2 = -36; q = 3; r = -6; exp = (-3 + 10) * 2^12 = 28672.
  t = int_exp_shift_trace(-25, 0.1f, 15, kPt);
  EXPECT_EQ(t.x_log2e, -36);
  EXPECT_EQ(t.q, 3);
  EXPECT_EQ(t.r, -6);
  EXPECT_EQ(t.value, 28672);
  // x = -1000: t = -1000 - 500 + 63 = -1437, clamped to n*x0 = -150; q = 15; r = 0;
  // exp = (0 + 10) * 2^0 = 10.
  t = int_exp_shift_trace(-1000, 0.1f, 15, kPt);
  EXPECT_EQ(t.x_clamped, -150);
  EXPECT_EQ(t.q, 15);
  EXPECT_EQ(t.value, 10);
  // Odd r (r/2 keeps the half): x = -101, n = 15: t = -101 - 51 + 7 = -145; q = floor(14.5) = 14;
  // r = -5; exp = floor((-2.5 + 10) * 2^1) = 15. x = -103: t = -103 - 52 + 7 = -148, q = 14, r =
  // -8, exp = (-4 + 10) * 2 = 12. (q = n forces r = 0, so n - q = 0 never meets an odd r.)
  EXPECT_EQ(int_exp_shift(-101, 0.1f, 15, kPt), 15);
  EXPECT_EQ(int_exp_shift(-103, 0.1f, 15, kPt), 12);
}

TEST(IVitShiftExp, TvmByHand) {
  // Same S = 0.1f (x0 = -10 in both), n = 16, (r >> 1) - x0 then << (n - q).
  // x = -1: r = -1, (-1 >> 1) = -1, 9 << 16 = 589824 (PyTorch keeps the half: 9.5 * 2^n).
  EXPECT_EQ(int_exp_shift(-1, 0.1f, 16, kTvm), 589824);
  EXPECT_EQ(int_exp_shift(-1, 0.1f, 16, kPt), 622592);  // 9.5 * 2^16
  EXPECT_EQ(int_exp_shift(0, 0.1f, 16, kTvm), 655360);
  EXPECT_EQ(int_exp_shift(-7, 0.1f, 16, kTvm), 327680);
  EXPECT_EQ(int_exp_shift(-10, 0.1f, 16, kTvm), 262144);
  // S = 0.125: x0 = -9 (TVM) vs -8 (PyTorch): exp(0) = 9 << 15 = 294912 vs 8 * 2^15 = 262144.
  EXPECT_EQ(int_exp_shift(0, 0.125, 15, kTvm), 294912);
  EXPECT_EQ(int_exp_shift(0, 0.125, 15, kPt), 262144);
  // A positive input (ShiftGELU's e^-max term): x = 5, x0 = -10, t = 5 + 2 - 0 = 7.
  // PyTorch: q = floor(7 / -10) = -1, r = 7 - 10 = -3, exp = (-1.5 + 10) * 2^(4+1) = 272.
  // TVM: q = trunc(-0.7) = 0, r = 7, exp = (3 + 10) << 4 = 208.
  EXPECT_EQ(int_exp_shift(5, 0.1f, 4, kPt), 272);
  EXPECT_EQ(int_exp_shift(5, 0.1f, 4, kTvm), 208);
}

TEST(IVitShiftmax, PyTorchByHand) {
  // Row [0, -1, -7, -10] at S = 0.1f (already max-subtracted): e = [327680, 311296, 163840,
  // 131072] (see ShiftExp), sum = 933888, factor = floor((2^31-1)/933888) = 2299
  // (933888 * 2300 = 2147942400 > 2^31-1). y = floor(e * 2299 / 2^24):
  // 327680*2299 = 753336320 -> 44; 311296*2299 = 715669504 -> 42; 163840*2299 = 376668160 -> 22;
  // 131072*2299 = 301334528 -> 17 (18 * 2^24 = 301989888).
  const std::vector<std::int32_t> x = {0, -1, -7, -10};
  const ShiftmaxResult r = shiftmax(x, 0.1f, kPt);
  EXPECT_EQ(r.n, 15);
  EXPECT_EQ(r.sum, 933888);
  EXPECT_EQ(r.factor, 2299);
  EXPECT_EQ(r.y, (std::vector<std::uint8_t>{44, 42, 22, 17}));
  EXPECT_FALSE(r.sum_clamped);
  // Shift invariance: adding a constant to the row changes nothing (x - max is what is used).
  const std::vector<std::int32_t> shifted = {100, 99, 93, 90};
  EXPECT_EQ(shiftmax(shifted, 0.1f, kPt).y, r.y);
}

TEST(IVitShiftmax, TvmByHandDiffersFromPyTorch) {
  // n = 16: e = [655360, 589824, 327680, 262144], sum = 1835008, factor = 1170
  // (1835008 * 1170 = 2146959360, remainder 524287). y: 766771200 -> 45, 690094080 -> 41,
  // 383385600 -> 22, 306708480 -> 18.
  const std::vector<std::int32_t> x = {0, -1, -7, -10};
  const ShiftmaxResult r = shiftmax(x, 0.1f, kTvm);
  EXPECT_EQ(r.n, 16);
  EXPECT_EQ(r.sum, 1835008);
  EXPECT_EQ(r.factor, 1170);
  EXPECT_EQ(r.y, (std::vector<std::uint8_t>{45, 41, 22, 18}));
  EXPECT_NE(r.y, shiftmax(x, 0.1f, kPt).y);
  // Float softmax * 128 for comparison: [46.2, 41.8, 22.9, 17.0].
}

TEST(IVitShiftmax, SumIsCloseTo128AndRowsAreMonotonic) {
  // Bound: with f = floor((2^31-1)/sum), sum_j e_j f <= 2^31 - 1 < 128 * 2^24, so sum y <= 127.
  // From below, e_j f > e_j ((2^31-1)/sum - 1), so sum_j e_j f > 2^31 - 1 - sum, and each floor
  // loses < 1: sum y > 128 - (sum + 1)/2^24 - N.
  std::uint64_t state = 12345;
  auto next = [&state]() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::int32_t>((state >> 33) % 2001) - 1000;
  };
  for (const IVitVariant v : {kPt, kTvm}) {
    for (int trial = 0; trial < 200; ++trial) {
      const int n = 1 + trial % 64;
      std::vector<std::int32_t> x(static_cast<std::size_t>(n));
      for (auto& e : x) e = next();
      const float s = 0.01f + 0.002f * static_cast<float>(trial % 50);
      const ShiftmaxResult r = shiftmax(x, s, v);
      const int total = std::accumulate(r.y.begin(), r.y.end(), 0);
      const double lower = 128.0 - static_cast<double>(r.sum + 1) / 16777216.0 - n;
      EXPECT_LE(total, 127);
      EXPECT_GT(total, lower) << "trial " << trial;
      for (std::size_t a = 0; a < x.size(); ++a)
        for (std::size_t b = 0; b < x.size(); ++b)
          if (x[a] <= x[b]) {
            EXPECT_LE(r.y[a], r.y[b]);
            EXPECT_LE(r.exp[a], r.exp[b]);
          }
    }
  }
  // A single element gets 127 = floor((2^31-1)/e * e / 2^24) (at most 127, here exactly).
  EXPECT_EQ(shiftmax(std::vector<std::int32_t>{5}, 0.1f).y, std::vector<std::uint8_t>{127});
  EXPECT_TRUE(shiftmax(std::vector<std::int32_t>{}, 0.1f).y.empty());
}

TEST(IVitShiftmax, ExpIsMonotonicOverAWideRange) {
  for (const IVitVariant v : {kPt, kTvm})
    for (const float s : {0.1f, 0.125f, 0.037f}) {
      std::int64_t prev = 0;
      for (std::int64_t x = -3000; x <= 0; ++x) {
        const std::int64_t e = int_exp_shift(x, s, 15, v);
        EXPECT_GE(e, prev) << x;
        prev = e;
      }
    }
}

TEST(IVitShiftGelu, PyTorchByHand) {
  // S = 0.1f, S' = fp32(0.1f * 1.702f) ~ 0.1702, -1/S' = -5.875 -> x0 = -6; n = 23.
  // Row [10, 0, -10]: max 10, x = [0, -10, -20].
  //   e(0) = (0 + 12) * 2^23 / 2 = 6 * 2^23 = 50331648.
  //   e(-10): t = -10 - 5 + 1 = -14, q = floor(14/6) = 2, r = -2, (-1 + 6) * 2^21 = 10485760.
  //   e(-20): t = -20 - 10 + 2 = -28, q = 4, r = -4, (-2 + 6) * 2^19 = 2097152.
  //   e_max = e(-max) = e(-10) = 10485760.
  // j=0: sum = 60817408, f = 35, sig = floor(50331648 * 35 / 2^24) = 3 * 35 = 105, y = 1050.
  // j=1: sum = 20971520, f = 102, sig = floor(10485760 * 102 / 2^24) = floor(63.75) = 63, y = 0.
  // j=2: sum = 12582912, f = 170, sig = floor(2097152 * 170 / 2^24) = floor(21.25) = 21,
  //      y = -210.
  // Check: y * S / 2^7 = [0.820, 0, -0.164] vs GELU(x*S) = [0.841, 0, -0.159].
  const std::vector<std::int32_t> x = {10, 0, -10};
  const ShiftGeluResult r = shiftgelu(x, 0.1f, kPt);
  EXPECT_EQ(ivit_x0(r.s_prime, kPt), -6);
  EXPECT_EQ(r.sigmoid, (std::vector<std::int32_t>{105, 63, 21}));
  EXPECT_EQ(r.y, (std::vector<std::int64_t>{1050, 0, -210}));
  EXPECT_FALSE(r.sum_clamped);
}

TEST(IVitShiftGelu, TvmByHand) {
  // S' = 0.1 * 1.702 in double (0.17020000253...), -1/S' - 1 = -6.875 -> x0 = -6 (same).
  //   e(0) = (0 + 6) << 23 = 50331648; e(-10): r = -2, (-1 + 6) << 21 = 10485760;
  //   e(-20): r = -4, (-2 + 6) << 19 = 2097152: identical to PyTorch here (even r), so the
  //   sigmoid is the same: [105, 63, 21].
  const std::vector<std::int32_t> x = {10, 0, -10};
  const ShiftGeluResult r = shiftgelu(x, 0.1f, kTvm);
  EXPECT_EQ(r.sigmoid, (std::vector<std::int32_t>{105, 63, 21}));
  // With an odd r the variants part: row [1, 0]: x = [0, -1]; e(-1): t = -1, q = 0, r = -1:
  // PyTorch (-0.5 + 6) * 2^23 = 46137344, TVM (-1 + 6) << 23 = 41943040.
  const std::vector<std::int32_t> x2 = {1, 0};
  const ShiftGeluResult p = shiftgelu(x2, 0.1f, kPt);
  const ShiftGeluResult t = shiftgelu(x2, 0.1f, kTvm);
  // PyTorch, e_max = e(-1) = 46137344: j=0 sum = 96468992, f = 22, sig = floor(50331648*22/2^24)
  // = 66; j=1 sum = 92274688, f = 23, sig = floor(46137344*23/2^24) = floor(63.25) = 63.
  EXPECT_EQ(p.sigmoid, (std::vector<std::int32_t>{66, 63}));
  // TVM, e_max = 41943040: j=0 sum = 92274688, f = 23, sig = floor(3 * 23) = 69; j=1 sum =
  // 83886080, f = 25, sig = floor(41943040 * 25 / 2^24) = floor(62.5) = 62.
  EXPECT_EQ(t.sigmoid, (std::vector<std::int32_t>{69, 62}));
}

TEST(IVitLayerNorm, NewtonStepsByHand) {
  // x = [100, 300, 500, 700]: mean 400 (exact), y = [-300, -100, 100, 300], var = 200000.
  // Newton from 65536: 32769, 16387, 8199, 4111, 2079, 1087, 635, 474, 447, 447 -> std 447.
  // factor = floor(2147483647 / 447) = 4804213. out = y * 4804213 / 2 (all even products).
  const std::vector<std::int32_t> x = {100, 300, 500, 700};
  for (const IVitVariant v : {kPt, kTvm}) {
    const ILayerNormResult r = i_layernorm(x, {}, v);
    EXPECT_EQ(r.mean, 400);
    EXPECT_EQ(r.var, 200000);
    EXPECT_EQ(r.std, 447);
    EXPECT_EQ(r.factor, 4804213);
    EXPECT_EQ(r.y, (std::vector<std::int64_t>{-720631950, -240210650, 240210650, 720631950}));
  }
  // y * sqrt(N)/2^30 ~ (x - mean) / std_pop: -300 / 223.6 = -1.3416; check the scale.
  const double v0 = -720631950.0 * i_layernorm_scale(4);
  EXPECT_NEAR(v0, -1.3416, 2e-3);
}

TEST(IVitLayerNorm, VariantsDifferOnMeanRoundingAndNegativeHalves) {
  // x = [1, 2, 3, 5]: sum 11, 11/4 = 2.75. PyTorch mean RNE -> 3, y = [-2, -1, 0, 2], var = 9.
  // Newton never gets near 3 in 10 steps from 2^16 (65536 halves to 64): std = 64,
  // factor = floor((2^31-1)/64) = 33554431. floor(y * f / 2): -33554431, floor(-16777215.5) =
  // -16777216, 0, 33554431.
  const std::vector<std::int32_t> x = {1, 2, 3, 5};
  const ILayerNormResult p = i_layernorm(x, {}, kPt);
  EXPECT_EQ(p.mean, 3);
  EXPECT_EQ(p.var, 9);
  EXPECT_EQ(p.std, 64);
  EXPECT_EQ(p.y, (std::vector<std::int64_t>{-33554431, -16777216, 0, 33554431}));
  // TVM: mean trunc(2.75) = 2, y = [-1, 0, 1, 3], var = 11, std = 64;
  // trunc(y * f / 2): -16777215 (toward zero), 0, 16777215, trunc(50331646.5) = 50331646.
  const ILayerNormResult t = i_layernorm(x, {}, kTvm);
  EXPECT_EQ(t.mean, 2);
  EXPECT_EQ(t.var, 11);
  EXPECT_EQ(t.y, (std::vector<std::int64_t>{-16777215, 0, 16777215, 50331646}));
  // Bias: beta/gamma = 0.5 / 2 = 0.25, scale sqrt(4)/2^30 = 2^-29, floor(0.25 * 2^29) = 2^27.
  const std::vector<float> gamma = {2.0f, 2.0f, 2.0f, 2.0f}, beta = {0.5f, 0.5f, 0.5f, -0.5f};
  const std::vector<std::int64_t> b = i_layernorm_bias(gamma, beta);
  EXPECT_EQ(b, (std::vector<std::int64_t>{134217728, 134217728, 134217728, -134217728}));
  const ILayerNormResult pb = i_layernorm(x, b, kPt);
  EXPECT_EQ(pb.y[0], -33554431 + 134217728);
  EXPECT_THROW(i_layernorm(x, std::vector<std::int64_t>{1}, kPt), std::invalid_argument);
}

TEST(IVitRequantize, PerChannelMatrixByHand) {
  // s_in = {0.25, 0.75}, s_out = 1. Column 0: M = 0.25 = 0.5 * 2^-1, b = 2^30, c = 32:
  // 100 -> 25, 7 -> 1.75 -> 2. Column 1: M = 0.75, b = 0.75 * 2^31, c = 31: -50 -> -37.5,
  // round half up -> -37 (RNE -> -38); 3 -> 2.25 -> 2. Row 0 col 0 is 100 -> 25, col 1 -50.
  const std::vector<std::int32_t> acc = {100, -50, 7, 3};
  const std::vector<float> s_in = {0.25f, 0.75f};
  EXPECT_EQ(requantize_matrix(acc, 2, 2, s_in, 1.0f), (std::vector<std::int32_t>{25, -37, 2, 2}));
  RequantizeOptions rne;
  rne.rounding = num::Rounding::kNearestEven;
  EXPECT_EQ(requantize_matrix(acc, 2, 2, s_in, 1.0f, rne),
            (std::vector<std::int32_t>{25, -38, 2, 2}));
  // Per tensor, clamped to int4: 100 * 0.75 = 75 -> 7; -50 * 0.75 = -37.5 -> -8.
  RequantizeOptions i4;
  i4.bits = 4;
  const std::vector<float> one = {0.75f};
  EXPECT_EQ(requantize_matrix(acc, 2, 2, one, 1.0f, i4), (std::vector<std::int32_t>{7, -8, 5, 2}));
  EXPECT_THROW(requantize_matrix(acc, 2, 3, s_in, 1.0f), std::invalid_argument);
  EXPECT_THROW(requantize_matrix(acc, 2, 2, std::vector<float>{1, 2, 3}, 1.0f),
               std::invalid_argument);
}

}  // namespace
}  // namespace mpsim::golden
