// DESCRIPTION: shift_add: a hand-worked issue (bit planes, zero point, dequant) and hand-worked
// single-PE and 2x2 cycle counts, the datapath contract on random chunks, and WS/OS array runs
// (issue-level and exhaustive) equal to golden::group_gemm bit for bit with closed-form cycles
// and action counts. SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "mpsim/core/gemm_kernel.h"
#include "mpsim/golden/group_gemm.h"
#include "mpsim/numerics/half.h"
#include "mpsim/numerics/scalar_format.h"
#include "shift_add_family.h"
#include "testing/array_runner.h"

namespace mpsim::sim {
namespace {

using shift_add::ShiftAddFamily;
using testing::GemmRun;
using testing::run_gemm;
using testing::same_bits;

std::unique_ptr<PeType> make_pe(int lanes) {
  PeParams p;
  p.ints["lanes"] = lanes;
  return builtin_pe_types().create("shift_add", p);
}
PeFormats formats(const char* a, const char* w) {
  return PeFormats{num::FormatSpec::parse(a), num::FormatSpec::parse(w)};
}
std::uint32_t bits(float f) { return std::bit_cast<std::uint32_t>(f); }

/// K = 64 in two int4_g32 groups worked by hand in golden_group_gemm_test: 56 - 12 = 44.
void hand_matrices(golden::Matrix& a, golden::Matrix& w) {
  a = golden::Matrix::zeros(1, 64);
  w = golden::Matrix::zeros(64, 1);
  for (int k = 0; k < 64; ++k) {
    const int q = k % 16;
    w.at(k, 0) = k < 32 ? (q - 4) * 0.5f : (q - 8) * 0.25f;
    a.at(0, k) = k < 32 ? 1.0f : (k % 2 == 0 ? 3.0f : -1.0f);
  }
}

TEST(ShiftAdd, OneIssueWorkedByHand) {
  ShiftAddFamily fam;
  fam.lanes = 4;
  fam.group = 4;
  ShiftAddFamily::AChunk a;
  a.set(0, 3);
  a.set(1, -2);
  a.set(2, 5);
  a.set(3, 1);
  a.len = 4;
  ShiftAddFamily::WChunk w;
  w.q = {5, 0, 15, 8};
  w.len = 4;
  w.zero = 4;
  w.scale = num::fp32_to_fp16_bits(0.5f);
  // Bit planes: plane 0 (q = 5, 15): 3 + 5 = 8; plane 1 (15): 5 << 1 = 10; plane 2 (5, 15):
  // (3 + 5) << 2 = 32; plane 3 (15, 8): (5 + 1) << 3 = 48. P = 98 = 3*5 + 5*15 + 1*8, A = 7.
  std::uint64_t counts[shift_add::kActionCount] = {};
  ShiftAddFamily::Datapath dp = fam.datapath();
  dp.load(a, w, fam.zero());
  dp.step(counts);
  EXPECT_EQ(dp.result().p, 98);
  EXPECT_EQ(dp.result().s, 7);
  EXPECT_EQ(dp.result().total, 0.0f);
  // The group's last chunk: 0.5 * (98 - 4 * 7) = 35, sums cleared for the next group.
  w.ends_group = true;
  dp.load(a, w, fam.zero());
  dp.step(counts);
  EXPECT_EQ(dp.result().total, 35.0f);
  EXPECT_EQ(dp.result().p, 0);
  EXPECT_EQ(dp.result().s, 0);
  EXPECT_EQ(counts[shift_add::kShiftAddTerm], 2u * 16);
  EXPECT_EQ(counts[shift_add::kActSum], 2u * 4);
  EXPECT_EQ(counts[shift_add::kGroupDequant], 1u);
}

TEST(ShiftAdd, SinglePeWorkedByHand) {
  auto pe = make_pe(4);
  const PeFormats f = formats("int8", "int4_g32");
  golden::Matrix a, w;
  hand_matrices(a, w);
  // WS 1x1: a fold holds k_per_issue = 4 elements, so K = 64 takes 16 folds of
  // rows + (M + rows + cols - 2) * 1 + latency - 1 = 1 + 1 + 1 = 3 cycles.
  GemmRun ws = run_gemm(*pe, f, 1, 1, Dataflow::kWeightStationary, a, w, TileMode::kIssue);
  EXPECT_EQ(ws.c, std::vector<float>{44.0f});
  EXPECT_EQ(ws.cycles, 16u * 3);
  EXPECT_EQ(ws.actions, (ActionCounts{4 * 64, 64, 2}));
  // OS 1x1: one fold streams 16 chunks: (16 + 1 + 1 - 2) * 1 + latency - 1 + rows = 18.
  GemmRun os = run_gemm(*pe, f, 1, 1, Dataflow::kOutputStationary, a, w, TileMode::kExhaustive);
  EXPECT_EQ(os.c, std::vector<float>{44.0f});
  EXPECT_EQ(os.cycles, 18u);
  EXPECT_EQ(os.actions, ws.actions);
}

TEST(ShiftAdd, TwoByTwoCyclesWorkedByHand) {
  auto pe = make_pe(4);
  const PeFormats f = formats("int8", "gptq_int4/g8");
  golden::Matrix a = golden::Matrix::zeros(3, 8), w = golden::Matrix::zeros(8, 2);
  for (int i = 0; i < 24; ++i) a.data[static_cast<std::size_t>(i)] = static_cast<float>(i % 7 - 3);
  for (int i = 0; i < 16; ++i)
    w.data[static_cast<std::size_t>(i)] = 0.25f * static_cast<float>(i % 5 - 2);
  const auto qa = golden::quantize_rows(a, f.a), qw = golden::quantize_cols(w, f.w);
  const auto gold = golden::group_gemm(qa, qw).c.data;
  // WS: K = 8 fills both rows (4 + 4); 2 + (3 + 2 + 2 - 2) * 1 + 2 - 1 = 8.
  GemmRun ws = run_gemm(*pe, f, 2, 2, Dataflow::kWeightStationary, a, w, TileMode::kIssue);
  EXPECT_EQ(ws.cycles, 8u);
  EXPECT_TRUE(same_bits(ws.c, gold));
  // OS: M = 3 > 2 rows: two folds (mt = 2, 1) of (2 chunks + 2 + 2 - 2) * 1 + 1 + 2 = 7 each.
  GemmRun os = run_gemm(*pe, f, 2, 2, Dataflow::kOutputStationary, a, w, TileMode::kIssue);
  EXPECT_EQ(os.cycles, 14u);
  EXPECT_TRUE(same_bits(os.c, gold));
}

TEST(ShiftAdd, DequantRoundingEqualsTheExactEngine) {
  std::mt19937_64 g(5);
  std::uniform_int_distribution<std::uint64_t> u(0, ~std::uint64_t{0});
  std::uniform_int_distribution<int> w(1, 75), e(-260, 120);
  for (int i = 0; i < 200000; ++i) {
    const int width = w(g);
    num::uint128_t mag = (static_cast<num::uint128_t>(u(g)) << 64) | u(g);
    mag >>= 128 - width;
    const int ex = e(g);
    const bool neg = (i & 1) != 0;
    num::ExactValue v = num::ExactValue::from_int(static_cast<num::int128_t>(mag), ex);
    v.negative = neg;
    const auto want = num::ScalarFormat::fp32().encode_exact(v, num::Rounding::kNearestEven,
                                                             num::Overflow::kInfNan);
    ASSERT_EQ(bits(shift_add::round_fp32(mag, ex, neg)), want)
        << "width " << width << " exp " << ex;
  }
}

// load + cycles_per_issue steps == issue(), with the counts, on random chunks (both activation
// kinds, specials, every scale class, random incoming sums).
TEST(ShiftAdd, DatapathContractOnRandomChunks) {
  std::mt19937_64 g(7);
  std::uniform_int_distribution<int> i8(-128, 127), q4(0, 15), coin(0, 3), lanes_d(1, 64);
  std::uniform_int_distribution<std::int64_t> a40(-(std::int64_t{1} << 40) + 1,
                                                  (std::int64_t{1} << 40) - 1);
  std::uniform_int_distribution<std::uint32_t> h(0, 0xFFFF);
  for (int iter = 0; iter < 20000; ++iter) {
    ShiftAddFamily fam;
    fam.act = iter % 2 == 0 ? shift_add::ActKind::kInt8 : shift_add::ActKind::kFp16;
    fam.lanes = lanes_d(g);
    fam.group = fam.lanes;
    ShiftAddFamily::AChunk a;
    ShiftAddFamily::WChunk w;
    a.len = w.len = static_cast<std::uint8_t>(std::uniform_int_distribution<int>(1, fam.lanes)(g));
    for (int l = 0; l < a.len; ++l) {
      const auto i = static_cast<std::size_t>(l);
      a.set(i, fam.act == shift_add::ActKind::kInt8 ? i8(g) : a40(g));
      w.q[i] = static_cast<std::uint8_t>(q4(g));
      if (fam.act == shift_add::ActKind::kFp16 && coin(g) == 0 && coin(g) == 0) {
        const std::uint64_t bit = std::uint64_t{1} << l;
        a.set(i, 0);
        a.nonfinite |= bit;
        if (coin(g) == 0) a.nan |= bit;
        if (coin(g) < 2) a.neg |= bit;
      }
    }
    w.zero = static_cast<std::uint8_t>(q4(g));
    w.ends_group = coin(g) != 0;
    w.scale = static_cast<std::uint16_t>(h(g));
    ShiftAddFamily::Acc acc;
    acc.total = std::ldexp(static_cast<float>(i8(g)), i8(g) / 4);
    acc.p = a40(g) >> 3;
    acc.s = a40(g) >> 8;
    acc.special = coin(g) == 0 ? static_cast<std::uint8_t>(coin(g) + 1) : 0;
    std::uint64_t c1[shift_add::kActionCount] = {}, c2[shift_add::kActionCount] = {};
    ShiftAddFamily::Acc want = acc;
    fam.issue(want, a, w, c1);
    ShiftAddFamily::Datapath dp = fam.datapath();
    dp.load(a, w, acc);
    for (int c = 0; c < fam.timing().cycles_per_issue; ++c) dp.step(c2);
    const ShiftAddFamily::Acc got = dp.result();
    ASSERT_TRUE(same_bits({got.total}, {want.total})) << "iteration " << iter;
    ASSERT_EQ(got.p, want.p);
    ASSERT_EQ(got.s, want.s);
    ASSERT_EQ(got.special, want.special);
    for (std::size_t i = 0; i < shift_add::kActionCount; ++i) ASSERT_EQ(c1[i], c2[i]);
    const ActionCounts per = fam.issue_counts(0, a.len);
    for (std::size_t i = 0; i < shift_add::kActionCount; ++i) {
      if (i != shift_add::kGroupDequant) {
        ASSERT_EQ(per[i], c1[i]);
      }
    }
  }
}

struct Case {
  const char* a;
  const char* w;
  int rows, cols, lanes;
  Dataflow d;
  std::int64_t m, k, n;
};

class ShiftAddArray : public ::testing::TestWithParam<Case> {};

golden::Matrix random_matrix(std::int64_t r, std::int64_t c, bool integer, std::mt19937_64& g) {
  golden::Matrix m = golden::Matrix::zeros(r, c);
  std::uniform_int_distribution<int> i8(-128, 127), e(-20, 12);
  std::normal_distribution<float> n(0, 1);
  for (auto& x : m.data) x = integer ? static_cast<float>(i8(g)) : std::ldexp(n(g), e(g));
  return m;
}

TEST_P(ShiftAddArray, EqualsGroupGoldenBitForBitInEveryMode) {
  const Case& cs = GetParam();
  auto pe = make_pe(cs.lanes);
  const PeFormats f = formats(cs.a, cs.w);
  ASSERT_FALSE(pe->unsupported(f).has_value()) << *pe->unsupported(f);
  std::mt19937_64 g(static_cast<std::uint64_t>(cs.k * 1000 + cs.rows * 10 + cs.cols));
  golden::Matrix a = random_matrix(cs.m, cs.k, f.a.name == "int8", g);
  golden::Matrix w = random_matrix(cs.k, cs.n, false, g);
  const auto qa = golden::quantize_rows(a, f.a), qw = golden::quantize_cols(w, f.w);
  const golden::GroupGemmResult gold = golden::group_gemm(qa, qw);
  GemmRun issue = run_gemm(*pe, f, cs.rows, cs.cols, cs.d, a, w, TileMode::kIssue);
  GemmRun exh = run_gemm(*pe, f, cs.rows, cs.cols, cs.d, a, w, TileMode::kExhaustive);
  GemmRun timing = run_gemm(*pe, f, cs.rows, cs.cols, cs.d, a, w, TileMode::kTiming);
  EXPECT_TRUE(same_bits(issue.c, gold.c.data));
  EXPECT_TRUE(same_bits(exh.c, gold.c.data));
  EXPECT_EQ(issue.cycles, exh.cycles);
  EXPECT_EQ(issue.cycles, timing.cycles);
  EXPECT_EQ(issue.actions, exh.actions);
  EXPECT_EQ(issue.actions, timing.actions) << "closed-form action counts";
  const auto outputs = static_cast<std::uint64_t>(cs.m * cs.n);
  EXPECT_EQ(issue.actions[shift_add::kShiftAddTerm],
            outputs * 4 * static_cast<std::uint64_t>(cs.k));
  EXPECT_EQ(issue.actions[shift_add::kActSum], outputs * static_cast<std::uint64_t>(cs.k));
  EXPECT_EQ(issue.actions[shift_add::kGroupDequant],
            outputs * static_cast<std::uint64_t>(gold.groups));
  // dot() is what the array computes.
  ActionCounts counts;
  EXPECT_EQ(bits(pe->dot(qa.lines[0], qw.lines[0], counts)), bits(issue.c[0]));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ShiftAddArray,
    ::testing::Values(
        Case{"int8", "int4_g32", 2, 2, 4, Dataflow::kWeightStationary, 5, 96, 3},
        Case{"int8", "int4_g32", 2, 2, 4, Dataflow::kOutputStationary, 5, 96, 3},
        Case{"fp16", "int4_g64", 3, 5, 8, Dataflow::kWeightStationary, 7, 200, 6},
        Case{"fp16", "int4_g128", 4, 2, 4, Dataflow::kOutputStationary, 6, 300, 5},
        Case{"int8", "gptq_int4", 1, 3, 16, Dataflow::kWeightStationary, 4, 260, 4},
        Case{"fp16", "gptq_int4/g32", 3, 3, 32, Dataflow::kOutputStationary, 4, 100, 4},
        // K = 130 is a multiple of lanes but not of the group: the last chunk closes a partial
        // group that only K tells apart (the closed form must count its dequant too).
        Case{"int8", "int4_g128", 5, 4, 2, Dataflow::kWeightStationary, 3, 130, 5},
        Case{"fp16", "int4_g32", 2, 7, 1, Dataflow::kOutputStationary, 3, 70, 9}));

TEST(ShiftAdd, NonFiniteActivationsMatchTheGolden) {
  auto pe = make_pe(4);
  const PeFormats f = formats("fp16", "int4_g32");
  std::mt19937_64 g(3);
  golden::Matrix a = random_matrix(4, 64, false, g), w = random_matrix(64, 3, false, g);
  a.at(0, 5) = 1e6f;  // +Inf after FP16 quantization
  a.at(1, 40) = -1e6f;
  a.at(2, 7) = std::numeric_limits<float>::quiet_NaN();
  a.at(3, 1) = 1e6f, a.at(3, 2) = -1e6f;  // Inf - Inf in one group
  const auto qa = golden::quantize_rows(a, f.a), qw = golden::quantize_cols(w, f.w);
  const auto gold = golden::group_gemm(qa, qw).c.data;
  for (Dataflow d : {Dataflow::kWeightStationary, Dataflow::kOutputStationary}) {
    EXPECT_TRUE(same_bits(run_gemm(*pe, f, 3, 2, d, a, w, TileMode::kIssue).c, gold));
    EXPECT_TRUE(same_bits(run_gemm(*pe, f, 3, 2, d, a, w, TileMode::kExhaustive).c, gold));
  }
  EXPECT_TRUE(std::isinf(gold[0]) || std::isnan(gold[0]));
}

TEST(ShiftAdd, UnsupportedPairsGiveAReason) {
  auto pe = make_pe(4);
  auto why = pe->unsupported(formats("int8", "bitmod_fp4"));
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("int8 x bitmod_fp4"), std::string::npos) << *why;
  why = pe->unsupported(formats("bf16", "int4_g128"));
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("bf16"), std::string::npos) << *why;
  EXPECT_TRUE(pe->unsupported(formats("int8", "qserve_w4a8")).has_value());
  EXPECT_TRUE(pe->unsupported(formats("int8", "int4")).has_value());
  auto wide = make_pe(64);
  why = wide->unsupported(formats("int8", "int4_g32"));
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("not a multiple of lanes = 64"), std::string::npos) << *why;
  EXPECT_FALSE(wide->unsupported(formats("int8", "int4_g128")).has_value());
  auto odd = make_pe(3);
  EXPECT_TRUE(odd->unsupported(formats("fp16", "gptq_int4")).has_value());
  EXPECT_FALSE(odd->unsupported(formats("fp16", "gptq_int4/g96")).has_value());
}

TEST(ShiftAdd, TimingAndCostsPerDatasheet) {
  auto pe = make_pe(8);
  for (const PeFormats& f : pe->example_formats()) {
    const PeTiming t = pe->timing(f);
    EXPECT_EQ(t.k_per_issue, 8);
    EXPECT_EQ(t.cycles_per_issue, 1);
    EXPECT_EQ(t.latency, 2);
    const PeCost c = pe->cost(f, cost::Tech::node(45));
    ASSERT_EQ(c.actions.size(), shift_add::kActionCount);
    EXPECT_EQ(c.actions[shift_add::kShiftAddTerm].name, "shift_add_term");
    EXPECT_EQ(c.actions[shift_add::kActSum].name, "act_sum");
    EXPECT_EQ(c.actions[shift_add::kGroupDequant].name, "group_dequant");
    for (const auto& act : c.actions) EXPECT_GT(act.energy_pj, 0) << act.name;
  }
  // FP16 activations run on 41-bit fixed point: every action costs more than with INT8.
  const PeCost i8 = pe->cost(formats("int8", "int4_g128"), cost::Tech::node(45));
  const PeCost f16 = pe->cost(formats("fp16", "int4_g128"), cost::Tech::node(45));
  EXPECT_LT(i8.actions[shift_add::kShiftAddTerm].energy_pj,
            f16.actions[shift_add::kShiftAddTerm].energy_pj);
  EXPECT_LT(i8.area_um2, f16.area_um2);
}

}  // namespace
}  // namespace mpsim::sim
