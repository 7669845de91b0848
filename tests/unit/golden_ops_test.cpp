// DESCRIPTION: FP32 golden non-GEMM ops: hand-worked values, the pinned operation orders (bit for
// bit), the two softmax algorithms, output quantization and the FP64 references.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "mpsim/golden/ops.h"

namespace mpsim::golden {
namespace {

Matrix make(std::int64_t rows, std::int64_t cols, std::vector<float> v) {
  Matrix m;
  m.rows = rows;
  m.cols = cols;
  m.data = std::move(v);
  return m;
}

Matrix random_matrix(std::int64_t rows, std::int64_t cols, float spread, std::uint64_t seed) {
  std::vector<float> v(static_cast<std::size_t>(rows * cols));
  for (auto& e : v) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    const double u = static_cast<double>(seed >> 11) / 9007199254740992.0;  // [0, 1)
    e = static_cast<float>((2.0 * u - 1.0) * spread);
  }
  return make(rows, cols, std::move(v));
}

TEST(GoldenSoftmax, ThreePassOneTwoThreeByHand) {
  // softmax([1,2,3]) = e^{x-3} / (e^-2 + e^-1 + 1) = [0.0900306, 0.2447285, 0.6652410].
  const Matrix y = softmax(make(1, 3, {1, 2, 3}));
  EXPECT_NEAR(y.data[0], 0.09003057317, 1e-7);
  EXPECT_NEAR(y.data[1], 0.24472847105, 1e-7);
  EXPECT_NEAR(y.data[2], 0.66524095577, 1e-7);
  // The pinned order, bit for bit: FP32 sum in ascending j of expf(x - max), then one division.
  const float e0 = std::exp(-2.0f), e1 = std::exp(-1.0f), e2 = std::exp(0.0f);
  const float s = (e0 + e1) + e2;
  EXPECT_EQ(y.data[0], e0 / s);
  EXPECT_EQ(y.data[1], e1 / s);
  EXPECT_EQ(y.data[2], e2 / s);
}

TEST(GoldenSoftmax, OnlinePinnedOrder) {
  // m: 1 -> 2 -> 3; d: 1 -> 1*expf(1-2) + expf(0) -> d*expf(2-3) + expf(0).
  const Matrix y = softmax(make(1, 3, {1, 2, 3}), SoftmaxAlgo::kTwoPassOnline);
  float d = 1.0f;
  d = d * std::exp(-1.0f) + 1.0f;
  d = d * std::exp(-1.0f) + 1.0f;
  EXPECT_EQ(y.data[0], std::exp(-2.0f) / d);
  EXPECT_EQ(y.data[1], std::exp(-1.0f) / d);
  EXPECT_EQ(y.data[2], 1.0f / d);
}

TEST(GoldenSoftmax, VariantsAgreeOnUniformRowsAndDifferInRounding) {
  const Matrix z = make(1, 4, {0, 0, 0, 0});
  const Matrix a = softmax(z, SoftmaxAlgo::kThreePass);
  const Matrix b = softmax(z, SoftmaxAlgo::kTwoPassOnline);
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(a.data[0], 0.25f);
  // Random rows: both are close to the FP64 softmax, and they are not always bit-identical (the
  // online rescaling rounds differently). Bound: x - max (|.| < 16) is rounded to FP32 with an
  // absolute error up to 2^-20 ~ 1e-6, which is a relative error of the same size after exp;
  // expf, the sum and the division add a few 2^-24; the online rescaling adds up to 37 more.
  const Matrix x = random_matrix(200, 37, 8.0f, 7);
  const Matrix t = softmax(x, SoftmaxAlgo::kThreePass);
  const Matrix o = softmax(x, SoftmaxAlgo::kTwoPassOnline);
  const std::vector<double> ref = softmax_f64(x);
  int differ = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    EXPECT_NEAR(t.data[i], ref[i], 2e-6 * ref[i] + 1e-12);
    EXPECT_NEAR(o.data[i], ref[i], 5e-6 * ref[i] + 1e-12);
    differ += t.data[i] != o.data[i];
  }
  EXPECT_GT(differ, 0);
  // Deterministic: a second run is bit-identical.
  EXPECT_EQ(softmax(x, SoftmaxAlgo::kTwoPassOnline).data, o.data);
}

TEST(GoldenSoftmax, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const SoftmaxAlgo a : {SoftmaxAlgo::kThreePass, SoftmaxAlgo::kTwoPassOnline}) {
    // -inf entries get exactly 0 (masked keys).
    const Matrix m = softmax(make(1, 3, {-inf, 0, -inf}), a);
    EXPECT_EQ(m.data, (std::vector<float>{0, 1, 0}));
    const Matrix n = softmax(make(1, 3, {1, nan, 2}), a);
    for (const float v : n.data) EXPECT_TRUE(std::isnan(v));
    const Matrix all = softmax(make(1, 2, {-inf, -inf}), a);
    for (const float v : all.data) EXPECT_TRUE(std::isnan(v));
  }
  EXPECT_STREQ(softmax_algo_name(SoftmaxAlgo::kTwoPassOnline), "two_pass_online");
}

TEST(GoldenNorms, LayerNormOneToFourByHand) {
  // mean 2.5, var (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25, sqrt = 1.118034;
  // y = [-1.5, -0.5, 0.5, 1.5] / 1.118034 = [-1.3416408, -0.4472136, 0.4472136, 1.3416408].
  const Matrix x = make(1, 4, {1, 2, 3, 4});
  const Matrix y = layernorm(x, {}, {}, 0.0f);
  const float den = std::sqrt(1.25f);
  const std::vector<float> want = {-1.5f / den, -0.5f / den, 0.5f / den, 1.5f / den};
  EXPECT_EQ(y.data, want);  // every intermediate is exact except sqrtf and the division
  EXPECT_NEAR(y.data[0], -1.3416407865, 1e-7);
  EXPECT_NEAR(y.data[1], -0.4472135955, 1e-7);
  // gamma/beta and eps.
  const std::vector<float> g = {1, 2, 3, 4}, b = {0.5f, 0.5f, 0.5f, 0.5f};
  const Matrix z = layernorm(x, g, b, 1e-5f);
  const float den2 = std::sqrt(1.25f + 1e-5f);
  EXPECT_EQ(z.data[3], (1.5f / den2) * 4.0f + 0.5f);
  const std::vector<double> zr = layernorm_f64(x, g, b, 1e-5);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_NEAR(z.data[i], zr[i], 1e-6);
  EXPECT_THROW(layernorm(x, std::vector<float>{1, 2}, {}), std::invalid_argument);
}

TEST(GoldenNorms, RmsNormByHand) {
  // ms = (1 + 4 + 9 + 16) / 4 = 7.5, sqrt = 2.7386128; y = x / 2.7386128.
  const Matrix x = make(1, 4, {1, 2, 3, 4});
  const Matrix y = rmsnorm(x, {}, 0.0f);
  EXPECT_NEAR(y.data[0], 0.3651483717, 1e-7);
  EXPECT_NEAR(y.data[3], 1.4605934867, 1e-7);
  EXPECT_EQ(y.data[2], 3.0f / std::sqrt(7.5f));
  const std::vector<double> r = rmsnorm_f64(x, {}, 0.0);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_NEAR(y.data[i], r[i], 2e-7);
}

TEST(GoldenActivations, HandValues) {
  const Matrix x = make(1, 3, {1, -1, 0});
  const Matrix g = gelu(x);
  EXPECT_NEAR(g.data[0], 0.8413447461, 2e-7);  // 0.5 (1 + erf(1/sqrt 2))
  EXPECT_NEAR(g.data[1], -0.1586552539, 2e-7);
  EXPECT_EQ(g.data[2], 0.0f);
  EXPECT_EQ(g.data[0], (1.0f * 0.5f) * (1.0f + std::erf(1.0f * 0.70710678f)));
  const Matrix t = gelu_tanh(x);
  EXPECT_NEAR(t.data[0], 0.8411919906, 2e-7);
  const Matrix s = silu(x);
  EXPECT_NEAR(s.data[0], 0.7310585786, 2e-7);  // 1 / (1 + e^-1)
  EXPECT_NEAR(s.data[1], -0.2689414214, 2e-7);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Matrix r = relu(make(1, 4, {-0.0f, -2, 3, nan}));
  EXPECT_EQ(r.data[0], 0.0f);
  EXPECT_FALSE(std::signbit(r.data[0]));
  EXPECT_EQ(r.data[1], 0.0f);
  EXPECT_EQ(r.data[2], 3.0f);
  EXPECT_TRUE(std::isnan(r.data[3]));
  // FP64 references agree to FP32 accuracy on a range of inputs.
  const Matrix w = random_matrix(4, 64, 6.0f, 3);
  const Matrix gw = gelu(w), tw = gelu_tanh(w), sw = silu(w);
  const std::vector<double> gr = gelu_f64(w), tr = gelu_tanh_f64(w), sr = silu_f64(w);
  for (std::size_t i = 0; i < gr.size(); ++i) {
    EXPECT_NEAR(gw.data[i], gr[i], 1e-6 * (1 + std::fabs(gr[i])));
    EXPECT_NEAR(tw.data[i], tr[i], 1e-6 * (1 + std::fabs(tr[i])));
    EXPECT_NEAR(sw.data[i], sr[i], 1e-6 * (1 + std::fabs(sr[i])));
  }
}

TEST(GoldenElementwise, AddMul) {
  const Matrix a = make(2, 2, {1, 2, 3, 4}), b = make(2, 2, {0.5f, -2, 0, 1e30f});
  EXPECT_EQ(add(a, b).data, (std::vector<float>{1.5f, 0, 3, 1e30f}));
  EXPECT_EQ(mul(a, b).data, (std::vector<float>{0.5f, -4, 0, 4e30f}));
  EXPECT_THROW(add(a, make(1, 4, {1, 2, 3, 4})), std::invalid_argument);
  EXPECT_THROW(mul(a, make(2, 2, {1})), std::invalid_argument);
}

TEST(GoldenQuantizeOutput, PerRowFormats) {
  // FP8 E4M3: 0.3 lies between 0.28125 and 0.3125 -> 0.3125; 500 saturates to 448.
  const Matrix e =
      quantize_output(make(1, 3, {0.3f, 500.0f, -1.0f}), num::FormatSpec::parse("fp8_e4m3"));
  EXPECT_EQ(e.data, (std::vector<float>{0.3125f, 448.0f, -1.0f}));
  // BFP12 worked example of numerics.md §3.1, one row per matrix row (each row its own block).
  const Matrix x = make(2, 6,
                        {0.9f, -0.3f, 0.05f, 1.7f, -1.9f, 0.625f,  //
                         0.9f, -0.3f, 0.05f, 1.7f, -1.9f, 0.625f});
  const Matrix q = quantize_output(x, num::FormatSpec::parse("bfp12"));
  const std::vector<float> want = {1.0f, -0.25f, 0.0f, 1.75f, -1.75f, 0.5f};
  EXPECT_EQ(std::vector<float>(q.data.begin(), q.data.begin() + 6), want);
  EXPECT_EQ(std::vector<float>(q.data.begin() + 6, q.data.end()), want);
  EXPECT_ANY_THROW(quantize_output(x, num::FormatSpec::parse("no_such_format")));
}

}  // namespace
}  // namespace mpsim::golden
