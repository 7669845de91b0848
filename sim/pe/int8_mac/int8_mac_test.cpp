// DESCRIPTION: int8_mac: hand-worked values and cycle counts (single PE, 2x2 WS/OS), the datapath
// contract, and array runs (issue-level and exhaustive) equal to the golden GEMM bit for bit.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <random>

#include "int8_mac_family.h"
#include "mpsim/core/gemm_kernel.h"
#include "mpsim/golden/gemm.h"
#include "testing/array_runner.h"

namespace mpsim::sim {
namespace {

golden::Matrix mat(std::int64_t r, std::int64_t c, std::vector<float> v) {
  golden::Matrix m = golden::Matrix::zeros(r, c);
  m.data = std::move(v);
  return m;
}

golden::Matrix random_int(std::int64_t r, std::int64_t c, int lo, int hi, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_int_distribution<int> d(lo, hi);
  golden::Matrix m = golden::Matrix::zeros(r, c);
  for (auto& x : m.data) x = static_cast<float>(d(g));
  return m;
}

using testing::GemmRun;
using testing::run_gemm;

const PeFormats kInt8{num::FormatSpec{"int8", {}}, num::FormatSpec{"int8", {}}};

TEST(Int8Mac, SinglePeHandWorked) {
  auto pe = builtin_pe_types().create("int8_mac", {});
  // 1x1 array, WS: weight load 1 + (M + 1 + 1 - 2) slots + 0 = 1 + M; A = [3 -2] row vector
  // against W = [[4],[5]] (K = 2 spreads over 2 K folds of one row each).
  auto a = mat(1, 2, {3, -2}), b = mat(2, 1, {4, 5});
  GemmRun r = run_gemm(*pe, kInt8, 1, 1, Dataflow::kWeightStationary, a, b, TileMode::kIssue);
  EXPECT_EQ(r.c, std::vector<float>{2.0f});  // 3*4 - 2*5
  EXPECT_EQ(r.cycles, 2u * (1 + 1));         // two folds of 2R + C + T - 2 = 2 cycles
  EXPECT_EQ(r.actions[int8_mac::kMac], 2u);
}

TEST(Int8Mac, TwoByTwoWeightStationaryCycles) {
  auto pe = builtin_pe_types().create("int8_mac", {});
  // M = 3 rows streamed through a 2x2 array holding K = 2 x N = 2: 2R + C + T - 2 = 4 + 2 + 3 - 2.
  auto a = mat(3, 2, {1, 2, 3, 4, 5, 6}), b = mat(2, 2, {1, -1, 2, 3});
  GemmRun r = run_gemm(*pe, kInt8, 2, 2, Dataflow::kWeightStationary, a, b, TileMode::kIssue);
  EXPECT_EQ(r.cycles, 7u);
  EXPECT_EQ(r.c, (std::vector<float>{5, 5, 11, 9, 17, 13}));
}

TEST(Int8Mac, TwoByTwoOutputStationaryCycles) {
  auto pe = builtin_pe_types().create("int8_mac", {});
  // OS: T = K = 2: (T + R + C - 2) + R = 4 + 2 = 6 = 2R + C + T - 2.
  auto a = mat(2, 2, {1, 2, 3, 4}), b = mat(2, 2, {1, -1, 2, 3});
  GemmRun r = run_gemm(*pe, kInt8, 2, 2, Dataflow::kOutputStationary, a, b, TileMode::kIssue);
  EXPECT_EQ(r.cycles, 6u);
  EXPECT_EQ(r.c, (std::vector<float>{5, 5, 11, 9}));
}

TEST(Int8Mac, WrapsLikeTheGoldenInt32Accumulator) {
  auto pe = builtin_pe_types().create("int8_mac", {});
  // 2^31 / 16384 = 131072 products of -128*-128 reach 2^31 exactly: one wrap.
  const std::int64_t k = 131072 + 3;
  golden::Matrix a = golden::Matrix::zeros(1, k), b = golden::Matrix::zeros(k, 1);
  for (auto& x : a.data) x = -128;
  for (auto& x : b.data) x = -128;
  GemmRun r = run_gemm(*pe, kInt8, 4, 1, Dataflow::kOutputStationary, a, b, TileMode::kIssue);
  golden::GemmOptions o;
  o.a_format = kInt8.a;
  o.b_format = kInt8.w;
  o.use_onednn = false;
  auto g = golden::gemm(a, b, o);
  EXPECT_EQ(r.c[0], g.c.data[0]);
  EXPECT_EQ(r.actions[int8_mac::kAccWrap], g.acc_overflows);
  EXPECT_EQ(g.acc_overflows, 1u);
}

struct Case {
  const char* a;
  const char* w;
  int rows, cols, lanes;
  Dataflow d;
};

class Int8MacArray : public ::testing::TestWithParam<Case> {};

TEST_P(Int8MacArray, EqualsGoldenBitForBitInEveryMode) {
  const Case& cs = GetParam();
  PeParams p;
  p.ints["lanes"] = cs.lanes;
  auto pe = builtin_pe_types().create("int8_mac", p);
  PeFormats f{num::FormatSpec{cs.a, {}}, num::FormatSpec{cs.w, {}}};
  ASSERT_FALSE(pe->unsupported(f).has_value());
  const bool is_int = std::string(cs.a).starts_with("int");
  golden::Matrix a = is_int ? random_int(13, 37, -128, 127, 1) : golden::Matrix::zeros(13, 37);
  golden::Matrix b = is_int ? random_int(37, 9, -128, 127, 2) : golden::Matrix::zeros(37, 9);
  if (!is_int) {
    std::mt19937_64 g(3);
    std::normal_distribution<float> n(0, 3);
    for (auto& x : a.data) x = n(g);
    for (auto& x : b.data) x = n(g);
  }
  golden::GemmOptions o;
  o.a_format = f.a;
  o.b_format = f.w;
  auto gold = golden::gemm(a, b, o);
  GemmRun issue = run_gemm(*pe, f, cs.rows, cs.cols, cs.d, a, b, TileMode::kIssue);
  GemmRun exh = run_gemm(*pe, f, cs.rows, cs.cols, cs.d, a, b, TileMode::kExhaustive);
  ASSERT_EQ(issue.c.size(), gold.c.data.size());
  for (std::size_t i = 0; i < issue.c.size(); ++i) {
    ASSERT_EQ(std::bit_cast<std::uint32_t>(issue.c[i]),
              std::bit_cast<std::uint32_t>(gold.c.data[i]))
        << "element " << i;
  }
  EXPECT_EQ(issue.c, exh.c);
  EXPECT_EQ(issue.cycles, exh.cycles);
  EXPECT_EQ(issue.actions, exh.actions);
  EXPECT_EQ(issue.actions[int8_mac::kMac], static_cast<std::uint64_t>(13 * 37 * 9));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, Int8MacArray,
    ::testing::Values(Case{"int8", "int8", 4, 4, 1, Dataflow::kWeightStationary},
                      Case{"int8", "int8", 4, 4, 1, Dataflow::kOutputStationary},
                      Case{"int8", "int8", 3, 5, 4, Dataflow::kWeightStationary},
                      Case{"int8", "int8", 3, 5, 4, Dataflow::kOutputStationary},
                      Case{"fp16", "fp16", 4, 2, 1, Dataflow::kWeightStationary},
                      Case{"bf16", "fp16", 2, 4, 2, Dataflow::kOutputStationary},
                      Case{"fp8_e4m3", "bf16", 5, 3, 3, Dataflow::kWeightStationary}));

TEST(Int8Mac, RejectsMixedIntFloatWithAReason) {
  auto pe = builtin_pe_types().create("int8_mac", {});
  auto why = pe->unsupported(PeFormats{num::FormatSpec{"fp16", {}}, num::FormatSpec{"int4", {}}});
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("fp16 x int4"), std::string::npos) << *why;
}

}  // namespace
}  // namespace mpsim::sim
