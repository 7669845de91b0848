// DESCRIPTION: block_fp: a hand-worked MX block (value and cycles), the datapath contract, array
// runs (WS/OS, partial last block, lanes 8 and 32, every MX/BFP pair) equal to golden block_dot bit
// for bit, NaN and infinite blocks, and unsupported pairs with reasons. SPDX-License-Identifier:
// Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "block_fp_family.h"
#include "mpsim/golden/gemm.h"
#include "testing/array_runner.h"

namespace mpsim::sim {
namespace {

using testing::run_gemm;
using testing::same_bits;

golden::Matrix gauss(std::int64_t r, std::int64_t c, double scale, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> n(0, scale);
  golden::Matrix m = golden::Matrix::zeros(r, c);
  for (auto& x : m.data) x = static_cast<float>(n(g) * (g() % 50 == 0 ? 30 : 1));
  return m;
}

std::unique_ptr<PeType> make(int lanes) {
  PeParams p;
  p.ints["lanes"] = lanes;
  return builtin_pe_types().create("block_fp", p);
}

PeFormats pair(const char* a, const char* w) {
  return PeFormats{num::FormatSpec::parse(a), num::FormatSpec::parse(w)};
}

TEST(BlockFp, HandWorkedMxfp4Block) {
  // a = [1, 2, 0...]: amax 2 -> shared exponent 2^(1-2) = 2^-1, elements 2 and 4 (FP4 E2M1).
  // b = [3, 0.5, 0...]: amax 3 -> 2^-1, elements 6 and 1. Integers in ulps of 2^-1 (FP4's min
  // subnormal 0.5): 4, 8 and 12, 2; exact sum 4*12 + 8*2 = 64 at 2^(-1-1-1-1) -> 64/16 = 4.
  golden::Matrix a = golden::Matrix::zeros(1, 32), b = golden::Matrix::zeros(32, 1);
  a.data[0] = 1, a.data[1] = 2, b.data[0] = 3, b.data[1] = 0.5f;
  auto pe = make(8);
  const PeFormats f = pair("mxfp4", "mxfp4");
  const PeTiming t = pe->timing(f);
  EXPECT_EQ(t.k_per_issue, 32);
  EXPECT_EQ(t.cycles_per_issue, 4);  // 32 elements over 8 lanes
  EXPECT_EQ(t.latency, 2);
  for (Dataflow d : {Dataflow::kWeightStationary, Dataflow::kOutputStationary}) {
    auto r = run_gemm(*pe, f, 1, 1, d, a, b, TileMode::kExhaustive);
    EXPECT_EQ(r.c, std::vector<float>{4.0f});
    // WS: 1 (load) + (1 + 1 + 1 - 2) * 4 + 2 - 1 = 6; OS: (1 + 0) * 4 + 1 + 1 (drain) = 6.
    EXPECT_EQ(r.cycles, 6u);
    EXPECT_EQ(r.actions[block_fp::kLaneMul], 32u);
    EXPECT_EQ(r.actions[block_fp::kSumReg], 4u);
    EXPECT_EQ(r.actions[block_fp::kBlockAlign], 1u);
  }
}

TEST(BlockFp, DatapathStepsEqualTheIssue) {
  auto pe = make(8);
  for (const char* fmt : {"mxfp8_e5m2", "mxint8", "bfp12"}) {
    const PeFormats f = pair(fmt, fmt);
    auto qa = golden::quantize_rows(gauss(4, 77, 1.0, 5), f.a);
    auto qb = golden::quantize_cols(gauss(77, 4, 1.0, 6), f.w);
    auto ws =
        testing::run_quantized(*pe, f, 3, 2, Dataflow::kWeightStationary, qa, qb, TileMode::kIssue);
    auto ex = testing::run_quantized(*pe, f, 3, 2, Dataflow::kWeightStationary, qa, qb,
                                     TileMode::kExhaustive);
    EXPECT_TRUE(same_bits(ws.c, ex.c)) << fmt;
    EXPECT_EQ(ws.actions, ex.actions) << fmt;
    EXPECT_EQ(ws.cycles, ex.cycles) << fmt;
  }
}

struct Case {
  const char* a;
  const char* w;
  int rows, cols, lanes;
  Dataflow d;
};
class BlockFpArray : public ::testing::TestWithParam<Case> {};

TEST_P(BlockFpArray, EqualsGoldenBlockDotBitForBit) {
  const Case& cs = GetParam();
  auto pe = make(cs.lanes);
  const PeFormats f = pair(cs.a, cs.w);
  ASSERT_FALSE(pe->unsupported(f).has_value()) << *pe->unsupported(f);
  const golden::Matrix a = gauss(11, 70, 2.0, 1), b = gauss(70, 13, 0.05, 2);  // 70 = 2 blocks + 6
  golden::GemmOptions o;
  o.a_format = f.a;
  o.b_format = f.w;
  const auto gold = golden::gemm(a, b, o);
  ASSERT_EQ(gold.semantics, golden::GemmSemantics::kBlockExact);
  for (TileMode mode : {TileMode::kIssue, TileMode::kExhaustive}) {
    auto r = run_gemm(*pe, f, cs.rows, cs.cols, cs.d, a, b, mode);
    EXPECT_TRUE(same_bits(r.c, gold.c.data));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Pairs, BlockFpArray,
    ::testing::Values(Case{"mxfp4", "mxfp4", 2, 2, 8, Dataflow::kWeightStationary},
                      Case{"mxfp4", "mxfp8_e4m3", 3, 4, 32, Dataflow::kOutputStationary},
                      Case{"mxfp8_e4m3", "mxfp8_e5m2", 2, 3, 8, Dataflow::kWeightStationary},
                      Case{"mxfp8_e5m2", "mxfp8_e5m2", 4, 4, 8, Dataflow::kOutputStationary},
                      Case{"mxfp6_e3m2", "mxfp6_e2m3", 1, 5, 4, Dataflow::kWeightStationary},
                      Case{"mxint8", "mxint8", 3, 3, 32, Dataflow::kOutputStationary},
                      Case{"bfp16", "bfp16", 2, 2, 8, Dataflow::kWeightStationary},
                      Case{"bfp12", "bfp16", 5, 2, 16, Dataflow::kOutputStationary}));

TEST(BlockFp, NanAndInfiniteBlocksFollowBlockDot) {
  auto pe = make(8);
  const PeFormats f = pair("mxfp8_e5m2", "mxfp8_e5m2");
  golden::Matrix a = gauss(3, 96, 1.0, 3), b = gauss(96, 2, 1.0, 4);
  a.at(0, 40) = std::numeric_limits<float>::quiet_NaN();  // block 1 of row 0 is NaN
  for (int k = 0; k < 32; ++k) a.at(1, k) = 3e38f;        // row 1: an infinite block 0 ...
  a.at(1, 70) =
      std::numeric_limits<float>::quiet_NaN();  // ... then a NaN block that must not matter
  for (int k = 0; k < 96; ++k) b.at(k, 0) = 3e38f;
  golden::GemmOptions o;
  o.a_format = f.a;
  o.b_format = f.w;
  const auto gold = golden::gemm(a, b, o);
  // Column 0 is huge: every block of row 1 against it overflows FP32, so block 0 decides (+inf)
  // and the NaN block after it is never seen; column 1 is ordinary, so row 0's NaN block wins.
  EXPECT_TRUE(std::isnan(gold.c.at(0, 1))) << gold.c.at(0, 1);
  EXPECT_TRUE(std::isinf(gold.c.at(1, 0))) << gold.c.at(1, 0);
  for (Dataflow d : {Dataflow::kWeightStationary, Dataflow::kOutputStationary}) {
    auto r = run_gemm(*pe, f, 2, 2, d, a, b, TileMode::kIssue);
    EXPECT_TRUE(same_bits(r.c, gold.c.data));
  }
}

TEST(BlockFp, SubnormalBlockResultsRoundOnce) {
  // Each block has one element near 2^-70 and the rest 2^-15 smaller: the exact block sum has more
  // than 24 significant bits and the result lies in FP32's subnormal range, so rounding the integer
  // sum to FP32 before applying the exponents would round twice.
  auto pe = make(8);
  const PeFormats f = pair("mxfp8_e4m3", "mxfp8_e4m3");
  std::mt19937_64 g(9);
  std::uniform_real_distribution<double> u(0.5, 1.0);
  auto fill = [&](golden::Matrix& m, bool rows) {
    for (std::int64_t i = 0; i < m.rows; ++i)
      for (std::int64_t j = 0; j < m.cols; ++j) {
        const std::int64_t k = rows ? j : i;
        m.at(i, j) = static_cast<float>(std::ldexp(u(g), k % 32 == 0 ? -70 : -85));
      }
  };
  golden::Matrix a = golden::Matrix::zeros(6, 64), b = golden::Matrix::zeros(64, 5);
  fill(a, true);
  fill(b, false);
  golden::GemmOptions o;
  o.a_format = f.a;
  o.b_format = f.w;
  const auto gold = golden::gemm(a, b, o);
  int subnormal = 0;
  for (float v : gold.c.data) subnormal += std::fpclassify(v) == FP_SUBNORMAL;
  EXPECT_EQ(subnormal, 30);
  auto r = run_gemm(*pe, f, 2, 2, Dataflow::kOutputStationary, a, b, TileMode::kIssue);
  EXPECT_TRUE(same_bits(r.c, gold.c.data));
}

TEST(BlockFp, BlockRoundingIsOneRoundingOfTheExactSum) {
  // 2^-150 + 2^-190 lies just above half the smallest subnormal: one rounding gives 2^-149, but
  // rounding the sum 2^40 + 1 to FP32 first drops the +1 and leaves a tie that rounds to 0.
  block_fp::BlockFpFamily fam;
  EXPECT_EQ(fam.round_block((num::int128_t{1} << 40) + 1, -190), std::ldexp(1.0f, -149));
  EXPECT_EQ(fam.round_block(-((num::int128_t{1} << 40) + 1), -190), -std::ldexp(1.0f, -149));
  EXPECT_EQ(fam.round_block(num::int128_t{1} << 40, -190), 0.0f);  // an exact tie: to even (0)
  // Random wide sums and exponents across the normal, subnormal and overflow ranges, against the
  // exact engine (also exercises the > 2^53 path).
  std::mt19937_64 g(11);
  for (int i = 0; i < 20000; ++i) {
    const int bits = 1 + static_cast<int>(g() % 70);
    num::int128_t sum = static_cast<num::int128_t>(g()) << 6 ^ static_cast<num::int128_t>(g() % 64);
    sum &= (num::int128_t{1} << bits) - 1;
    if (g() & 1) sum = -sum;
    const int exp = -230 + static_cast<int>(g() % 300);
    const std::uint32_t want = num::ScalarFormat::fp32().encode_exact(
        num::ExactValue::from_int(sum, exp), num::Rounding::kNearestEven, num::Overflow::kInfNan);
    const float got = fam.round_block(sum, exp);
    if (sum == 0) {
      EXPECT_EQ(std::bit_cast<std::uint32_t>(got), 0u);
    } else {
      ASSERT_EQ(std::bit_cast<std::uint32_t>(got), want) << "sum bits " << bits << " exp " << exp;
    }
  }
}

TEST(BlockFp, UnsupportedPairsSayWhy) {
  auto pe = make(8);
  auto why = pe->unsupported(pair("mxfp4", "int8"));
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("mxfp4 x int8"), std::string::npos) << *why;
  why = pe->unsupported(pair("mxfp4", "mxfp4/b16"));
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("(block 32) x mxfp4/b16 (block 16)"), std::string::npos) << *why;
}

}  // namespace
}  // namespace mpsim::sim
