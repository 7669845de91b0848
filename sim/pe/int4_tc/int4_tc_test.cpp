// DESCRIPTION: int4_tc: a hand-worked fragment (value, cycles, a bipolar XOR/popcount pass), every
// decomposition (INT4, nibbles, bit planes) equal to golden::gemm's exact integers bit for bit, issue ==
// exhaustive == closed form, INT32 wrap counting, and unsupported pairs.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <random>

#include "int4_tc_kernel.h"
#include "mpsim/golden/gemm.h"
#include "testing/array_runner.h"

namespace mpsim::sim {
namespace {

using testing::run_gemm;
using testing::same_bits;

std::unique_ptr<PeType> make(int fm, int fn, int fk, int cpm) {
  PeParams p;
  p.ints = {{"frag_m", fm}, {"frag_n", fn}, {"frag_k", fk}, {"cycles_per_mma", cpm}, {"latency", 4}};
  return builtin_pe_types().create("int4_tc", p);
}

PeFormats pair(const char* a, const char* w) {
  return PeFormats{num::FormatSpec::parse(a), num::FormatSpec::parse(w)};
}

// Integer-valued matrices over a format's whole code range.
golden::Matrix ints(std::int64_t r, std::int64_t c, int lo, int hi, int step, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_int_distribution<int> d(0, (hi - lo) / step);
  golden::Matrix m = golden::Matrix::zeros(r, c);
  for (auto& x : m.data) x = static_cast<float>(lo + step * d(g));
  return m;
}

TEST(Int4Tc, HandWorkedFragment) {
  // One 2x2x4 unit, 1 cycle per MMA: A = [[1 -2 3 -4], [7 -8 0 5]], W = columns [1 1 1 1] and
  // [2 0 -1 3]: C = [[-2, -13], [4, 29]]. K = 8 is two chunks: 2 MMAs + latency 4 + 2 rows written back.
  auto pe = make(2, 2, 4, 1);
  golden::Matrix a = golden::Matrix::zeros(2, 8), w = golden::Matrix::zeros(8, 2);
  const float av[2][4] = {{1, -2, 3, -4}, {7, -8, 0, 5}};
  const float wv[2][4] = {{1, 1, 1, 1}, {2, 0, -1, 3}};
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 4; ++k) {
      a.at(i, k) = av[i][k];
      w.at(k, i) = wv[i][k];
    }
  for (TileMode mode : {TileMode::kIssue, TileMode::kExhaustive}) {
    auto r = run_gemm(*pe, pair("int4", "int4"), 1, 1, Dataflow::kOutputStationary, a, w, mode);
    EXPECT_EQ(r.c, (std::vector<float>{-2, -13, 4, 29}));
    EXPECT_EQ(r.cycles, 2u * 1 + 4 + 2);
    EXPECT_EQ(r.actions[int4_tc::kMmaInt4], 2u);
    EXPECT_EQ(r.actions[int4_tc::kAccAdd], 8u);
  }
}

TEST(Int4Tc, HandWorkedBipolarPlanes) {
  // bipolar_int2: v = 2(2 b1 - 1) + (2 b0 - 1), code c = (v + 3) / 2. a = [3, -1] -> codes 3, 1:
  // planes a0 = [1, 1], a1 = [1, 0]; w = [-1, -3] -> codes 1, 0: w0 = [1, 0], w1 = [0, 0].
  // Each pass: 2^(i+j) (len - 2 popcount(ai ^ wj)):
  //   (0,0): 1 (2 - 2*1) = 0;  (0,1): 2 (2 - 2*2) = -4;  (1,0): 2 (2 - 0) = 4;  (1,1): 4 (2 - 2) = 0
  // Sum 0 = 3*(-1) + (-1)(-3).
  auto pe = make(1, 1, 2, 1);
  golden::Matrix a = golden::Matrix::zeros(1, 2), w = golden::Matrix::zeros(2, 1);
  a.data = {3, -1};
  w.data = {-1, -3};
  auto r = run_gemm(*pe, pair("bipolar_int2", "bipolar_int2"), 1, 1, Dataflow::kOutputStationary,
                    a, w, TileMode::kExhaustive);
  EXPECT_EQ(r.c, std::vector<float>{0.0f});  // 3*(-1) + (-1)(-3)
  EXPECT_EQ(r.actions[int4_tc::kMmaB1], 4u);  // 2 x 2 bit-plane passes
  w.data = {1, -3};
  r = run_gemm(*pe, pair("bipolar_int2", "bipolar_int2"), 1, 1, Dataflow::kOutputStationary, a, w,
               TileMode::kIssue);
  EXPECT_EQ(r.c, std::vector<float>{6.0f});  // 3*1 + (-1)(-3)
}

struct Case {
  const char* a;
  const char* w;
  int alo, ahi, astep, wlo, whi, wstep;
  int units_r, units_c;
  std::size_t passes;
};
class Int4TcPairs : public ::testing::TestWithParam<Case> {};

TEST_P(Int4TcPairs, EqualsGoldenIntegersInEveryMode) {
  const Case& cs = GetParam();
  auto pe = make(4, 2, 16, 2);
  const PeFormats f = pair(cs.a, cs.w);
  ASSERT_FALSE(pe->unsupported(f).has_value()) << *pe->unsupported(f);
  const golden::Matrix a = ints(13, 75, cs.alo, cs.ahi, cs.astep, 1);
  const golden::Matrix w = ints(75, 9, cs.wlo, cs.whi, cs.wstep, 2);
  golden::GemmOptions o;
  o.a_format = f.a;
  o.b_format = f.w;
  o.use_onednn = false;
  const auto gold = golden::gemm(a, w, o);
  ASSERT_EQ(gold.semantics, golden::GemmSemantics::kInteger);
  const auto issue = run_gemm(*pe, f, cs.units_r, cs.units_c, Dataflow::kOutputStationary, a, w, TileMode::kIssue);
  const auto exh = run_gemm(*pe, f, cs.units_r, cs.units_c, Dataflow::kOutputStationary, a, w, TileMode::kExhaustive);
  EXPECT_TRUE(same_bits(issue.c, gold.c.data));
  EXPECT_TRUE(same_bits(exh.c, gold.c.data));
  EXPECT_EQ(issue.actions, exh.actions);
  EXPECT_EQ(issue.cycles, exh.cycles);
  EXPECT_EQ(pe->timing(f).cycles_per_issue, static_cast<int>(2 * cs.passes));
}

INSTANTIATE_TEST_SUITE_P(
    Decompositions, Int4TcPairs,
    ::testing::Values(Case{"int4", "int4", -8, 7, 1, -8, 7, 1, 1, 1, 1},
                      Case{"int3", "int2", -4, 3, 1, -2, 1, 1, 2, 3, 1},
                      Case{"int8", "int4", -128, 127, 1, -8, 7, 1, 2, 2, 2},   // W4A8 via 16 hi + lo
                      Case{"int8", "int8", -128, 127, 1, -128, 127, 1, 1, 2, 4},
                      Case{"uint8", "int4", 0, 255, 1, -8, 7, 1, 3, 1, 2},
                      Case{"int6", "int6", -32, 31, 1, -32, 31, 1, 2, 2, 4},
                      Case{"bipolar_int6", "bipolar_int6", -63, 63, 2, -63, 63, 2, 2, 2, 36},  // W6A6
                      Case{"bipolar_int8", "bipolar_int3", -255, 255, 2, -7, 7, 2, 1, 1, 24}));  // W3A8

TEST(Int4Tc, WrapsAndCountsLikeTheInt32Accumulator) {
  // All products positive: the sum rises monotonically through 2^31 once, so the per-MMA count
  // equals golden's per-product count. 7*7*2^... : int8 127*127 = 16129 per product.
  auto pe = make(2, 2, 64, 2);
  const std::int64_t k = 133200 + 64;  // 16129 * 133200 > 2^31
  golden::Matrix a = golden::Matrix::zeros(1, k), w = golden::Matrix::zeros(k, 1);
  for (auto& x : a.data) x = 127;
  for (auto& x : w.data) x = 127;
  golden::GemmOptions o;
  o.a_format = o.b_format = num::FormatSpec{"int8", {}};
  o.use_onednn = false;
  const auto gold = golden::gemm(a, w, o);
  auto r = run_gemm(*pe, pair("int8", "int8"), 1, 1, Dataflow::kOutputStationary, a, w, TileMode::kIssue);
  EXPECT_EQ(r.c[0], gold.c.data[0]);
  EXPECT_EQ(gold.acc_overflows, 1u);
  EXPECT_EQ(r.actions[int4_tc::kAccWrap], gold.acc_overflows);
}

TEST(Int4Tc, UnsupportedPairsSayWhy) {
  auto pe = make(16, 8, 64, 2);
  auto why = pe->unsupported(pair("fp16", "int4"));
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("got fp16 x int4"), std::string::npos) << *why;
  EXPECT_TRUE(pe->unsupported(pair("bipolar_int4", "int4")));
}

}  // namespace
}  // namespace mpsim::sim
