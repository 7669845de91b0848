// DESCRIPTION: bitserial: Booth digits and BitMoD terms worked by hand, one issue stepped cycle by
// cycle, single-PE cycle counts, the datapath contract on random chunks, the dequantizer's rounding
// against the exact engine, and WS/OS array runs (issue-level and exhaustive) equal to
// golden::group_gemm (scalar INT: golden::gemm) bit for bit with closed-form cycles and counts.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "bitserial_family.h"
#include "mpsim/core/gemm_kernel.h"
#include "mpsim/golden/gemm.h"
#include "mpsim/golden/group_gemm.h"
#include "mpsim/numerics/half.h"
#include "mpsim/numerics/scalar_format.h"
#include "testing/array_runner.h"

namespace mpsim::sim {
namespace {

using bitserial::BitserialFamily;
using bitserial::booth_digit;
using testing::GemmRun;
using testing::run_gemm;
using testing::same_bits;

std::unique_ptr<PeType> make_pe(int lanes) {
  PeParams p;
  p.ints["lanes"] = lanes;
  return builtin_pe_types().create("bitserial", p);
}
PeFormats formats(const char* a, const char* w) {
  return PeFormats{num::FormatSpec::parse(a), num::FormatSpec::parse(w)};
}
std::uint32_t bits(float f) { return std::bit_cast<std::uint32_t>(f); }

TEST(Bitserial, BoothDigitsWorkedByHand) {
  // UINT4 codes are walked as q - 8 (MSB inverted), two digits each:
  // q = 13 -> 5 = 0101: (b1 b0 b-1) = 010 -> +1, (b3 b2 b1) = 010 -> +1: 1 + 4*1 = 5.
  EXPECT_EQ(booth_digit(5, 0), 1);
  EXPECT_EQ(booth_digit(5, 1), 1);
  // q = 3 -> -5 = 1011: 110 -> -1, 101 -> -1: -1 - 4 = -5.
  EXPECT_EQ(booth_digit(-5, 0), -1);
  EXPECT_EQ(booth_digit(-5, 1), -1);
  // q = 15 -> 7 = 0111: 110 -> -1, 011 -> +2: -1 + 8 = 7.
  EXPECT_EQ(booth_digit(7, 0), -1);
  EXPECT_EQ(booth_digit(7, 1), 2);
  // q = 0 -> -8 = 1000: 000 -> 0, 100 -> -2: -8.
  EXPECT_EQ(booth_digit(-8, 0), 0);
  EXPECT_EQ(booth_digit(-8, 1), -2);
  // INT8 127 = 0111 1111: -1, 0, 0, +2 -> -1 + 2 * 64; -128: 0, 0, 0, -2.
  EXPECT_EQ(booth_digit(127, 0), -1);
  EXPECT_EQ(booth_digit(127, 1), 0);
  EXPECT_EQ(booth_digit(127, 3), 2);
  EXPECT_EQ(booth_digit(-128, 3), -2);
  // Every value of every width 2..8 is the sum of its ceil(N/2) digits.
  for (int n = 2; n <= 8; ++n) {
    for (int v = -(1 << (n - 1)); v < (1 << (n - 1)); ++v) {
      int sum = 0;
      for (int j = 0; j < (n + 1) / 2; ++j) sum += booth_digit(v, j) * (1 << (2 * j));
      ASSERT_EQ(sum, v) << "int" << n;
    }
  }
}

TEST(Bitserial, OneIntIssueSteppedByHand) {
  BitserialFamily fam;
  fam.wk = bitserial::WeightKind::kIntGroup;
  fam.wbits = 4;
  fam.lanes = 4;
  fam.group = 4;
  BitserialFamily::AChunk a;
  a.set(0, 3);
  a.set(1, -2);
  a.set(2, 5);
  a.set(3, 1);
  a.len = 4;
  // q = [13, 3, 15, 0] (operands 5, -5, 7, -8), zero 6, scale 0.5.
  num::QuantizedRow col;
  col.format = "int4_g32";
  col.block = 4;
  col.codes = {13, 3, 15, 0};
  col.values = {0, 0, 0, 0};
  num::StoredScale s;
  s.scale_code = num::fp32_to_fp16_bits(0.5f);
  s.zero_code = 6;
  col.scales = {s};
  const BitserialFamily::WChunk w = fam.w_chunk(col, 0);
  ASSERT_TRUE(w.ends_group);
  EXPECT_EQ(w.zero_adj, -2);
  std::uint64_t counts[bitserial::kActionCount] = {};
  BitserialFamily::Datapath dp = fam.datapath();
  dp.load(a, w, fam.zero());
  // Cycle 0, digits [+1, -1, -1, 0] at 4^0: 3 + 2 - 5 + 0 = 0; the sum of a is 7.
  dp.step(counts);
  EXPECT_EQ(dp.result().p, 0);
  EXPECT_EQ(dp.result().s, 7);
  EXPECT_EQ(dp.result().total, 0.0f);
  // Cycle 1, digits [+1, -1, +2, -2] at 4^1: 3<<2 + 2<<2 + 5<<3 - 1<<3 = 12 + 8 + 40 - 8 = 52
  // = sum a*(q - 8). Dequant: D = 52 - (6 - 8) * 7 = 66 = sum a*(q - 6); 0.5 * 66 = 33.
  dp.step(counts);
  EXPECT_EQ(dp.result().total, 33.0f);
  EXPECT_EQ(dp.result().p, 0);
  EXPECT_EQ(counts[bitserial::kBoothStep], 8u);
  EXPECT_EQ(counts[bitserial::kActSum], 4u);
  EXPECT_EQ(counts[bitserial::kGroupDequant], 1u);
}

TEST(Bitserial, OneBitmodIssueSteppedByHand) {
  BitserialFamily fam;
  fam.wk = bitserial::WeightKind::kBitmod;
  fam.wbits = 4;
  fam.lanes = 4;
  fam.group = 4;
  fam.init_bitmod(4);
  // ER_NEG codes [1000 = -10 -> -8, -2], [0111 = 12 -> 8, 4], [1011 = -3 -> -2, -1],
  // [0001 = 1 -> 1, -], activations [1, 2, 3, 4], scale 0.25.
  num::QuantizedRow col;
  col.format = "bitmod_fp4";
  col.block = 4;
  col.codes = {0b1000, 0b0111, 0b1011, 0b0001};
  col.values = {0, 0, 0, 0};
  num::StoredScale s;
  s.scale_code = num::fp32_to_fp16_bits(0.25f);
  s.tag = std::string(num::bitmod_type_name(4, num::BitmodType::kErNeg));
  col.scales = {s};
  BitserialFamily::AChunk a;
  a.set(0, 1);
  a.set(1, 2);
  a.set(2, 3);
  a.set(3, 4);
  a.len = 4;
  std::uint64_t counts[bitserial::kActionCount] = {};
  BitserialFamily::Datapath dp = fam.datapath();
  dp.load(a, fam.w_chunk(col, 0), fam.zero());
  dp.step(counts);  // -8*1 + 8*2 - 2*3 + 1*4 = 6
  EXPECT_EQ(dp.result().p, 6);
  dp.step(counts);  // + (-2*1 + 4*2 - 1*3) = 9 -> 0.25 * 9
  EXPECT_EQ(dp.result().total, 2.25f);
  EXPECT_EQ(counts[bitserial::kBoothStep], 8u);
  EXPECT_EQ(counts[bitserial::kActSum], 0u);
}

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

TEST(Bitserial, SinglePeCyclesWorkedByHand) {
  auto pe = make_pe(4);
  const PeFormats f = formats("int8", "int4_g32");
  golden::Matrix a, w;
  hand_matrices(a, w);
  // INT4: 2 cycles per issue. WS 1x1: 16 folds of rows + (M + 1 + 1 - 2) * 2 + latency - 1 = 4.
  GemmRun ws = run_gemm(*pe, f, 1, 1, Dataflow::kWeightStationary, a, w, TileMode::kExhaustive);
  EXPECT_EQ(ws.c, std::vector<float>{44.0f});
  EXPECT_EQ(ws.cycles, 16u * 4);
  EXPECT_EQ(ws.actions, (ActionCounts{2 * 64, 64, 2}));
  // OS 1x1: (16 chunks + 0) * 2 + 1 + rows = 34.
  GemmRun os = run_gemm(*pe, f, 1, 1, Dataflow::kOutputStationary, a, w, TileMode::kIssue);
  EXPECT_EQ(os.c, std::vector<float>{44.0f});
  EXPECT_EQ(os.cycles, 34u);
  // INT8 x INT8 (scalar): 4 digits per issue; K = 8 is 2 chunks: (2 + 0) * 4 + 1 + 1 = 10.
  golden::Matrix a8 = golden::Matrix::zeros(1, 8), w8 = golden::Matrix::zeros(8, 1);
  for (int k = 0; k < 8; ++k)
    a8.at(0, k) = static_cast<float>(k * 37 % 255 - 127), w8.at(k, 0) = 127 - 31 * k;
  GemmRun s8 = run_gemm(*pe, formats("int8", "int8"), 1, 1, Dataflow::kOutputStationary, a8, w8,
                        TileMode::kExhaustive);
  EXPECT_EQ(s8.cycles, 10u);
  float want = 0;
  for (int k = 0; k < 8; ++k) want += a8.at(0, k) * w8.at(k, 0);  // small integers: exact
  EXPECT_EQ(s8.c, std::vector<float>{want});
  EXPECT_EQ(s8.actions, (ActionCounts{4 * 8, 0, 0}));
}

TEST(Bitserial, DequantRoundingEqualsTheExactEngine) {
  std::mt19937_64 g(5);
  std::uniform_int_distribution<std::uint64_t> u(0, ~std::uint64_t{0});
  std::uniform_int_distribution<int> w(1, 75), e(-260, 120);
  for (int i = 0; i < 200000; ++i) {
    const int width = w(g);
    num::uint128_t mag = (static_cast<num::uint128_t>(u(g)) << 64) | u(g);
    mag >>= 128 - width;
    const int ex = e(g);
    const bool neg = (i & 1) != 0;
    const float got = bitserial::round_fp32(mag, ex, neg);
    num::ExactValue v = num::ExactValue::from_int(static_cast<num::int128_t>(mag), ex);
    v.negative = neg;
    const auto want = num::ScalarFormat::fp32().encode_exact(v, num::Rounding::kNearestEven,
                                                             num::Overflow::kInfNan);
    ASSERT_EQ(bits(got), want) << "width " << width << " exp " << ex;
  }
}

// load + cycles() steps == issue(), with the counts, on random chunks of every weight kind.
TEST(Bitserial, DatapathContractOnRandomChunks) {
  std::mt19937_64 g(9);
  std::uniform_int_distribution<int> i8(-128, 127), coin(0, 3), lanes_d(1, 64), nb(2, 8);
  std::uniform_int_distribution<std::int64_t> a40(-(std::int64_t{1} << 40) + 1,
                                                  (std::int64_t{1} << 40) - 1);
  std::uniform_int_distribution<std::uint32_t> h(0, 0xFFFF), code(0, 15);
  for (int iter = 0; iter < 30000; ++iter) {
    BitserialFamily fam;
    fam.wk = static_cast<bitserial::WeightKind>(iter % 3);
    fam.act = fam.wk != bitserial::WeightKind::kIntScalar && coin(g) < 2 ? bitserial::ActKind::kFp16
                                                                         : bitserial::ActKind::kInt;
    fam.lanes = lanes_d(g);
    fam.group = fam.lanes;
    fam.wbits = fam.wk == bitserial::WeightKind::kIntGroup ? 4
                : fam.wk == bitserial::WeightKind::kBitmod ? 3 + (iter / 3) % 2
                                                           : nb(g);
    if (fam.wk == bitserial::WeightKind::kBitmod) fam.init_bitmod(fam.wbits);
    BitserialFamily::AChunk a;
    BitserialFamily::WChunk w;
    a.len = w.len = static_cast<std::uint8_t>(std::uniform_int_distribution<int>(1, fam.lanes)(g));
    w.type = static_cast<std::uint8_t>(coin(g));
    w.zero_adj = fam.wk == bitserial::WeightKind::kIntGroup
                     ? static_cast<std::int8_t>(static_cast<int>(code(g)) - 8)
                     : 0;
    for (int l = 0; l < a.len; ++l) {
      const auto i = static_cast<std::size_t>(l);
      a.set(i, fam.act == bitserial::ActKind::kInt ? i8(g) : a40(g));
      if (fam.act == bitserial::ActKind::kFp16 && coin(g) == 0 && coin(g) == 0) {
        const std::uint64_t bit = std::uint64_t{1} << l;
        a.set(i, 0);
        a.nonfinite |= bit;
        if (coin(g) == 0) a.nan |= bit;
        if (coin(g) < 2) a.neg |= bit;
      }
      const std::uint32_t c = code(g) & ((1u << fam.wbits) - 1);
      w.bits[i] = static_cast<std::uint8_t>(c);
      if (fam.wk == bitserial::WeightKind::kBitmod) {
        w.term[i] = static_cast<std::uint8_t>(
            num::bitmod_decode(fam.wbits, static_cast<num::BitmodType>(w.type), c));
      } else {
        const int sh = 32 - fam.wbits;
        w.term[i] = static_cast<std::uint8_t>(static_cast<std::int32_t>(c << sh) >> sh);
      }
    }
    w.ends_group = fam.wk != bitserial::WeightKind::kIntScalar && coin(g) != 0;
    w.scale = static_cast<std::uint16_t>(h(g));
    BitserialFamily::Acc acc;
    acc.total = std::ldexp(static_cast<float>(i8(g)), i8(g) / 4);
    acc.p = a40(g) >> 3;
    acc.s = a40(g) >> 8;
    acc.special = fam.act == bitserial::ActKind::kFp16 && coin(g) == 0
                      ? static_cast<std::uint8_t>(coin(g) + 1)
                      : 0;
    std::uint64_t c1[bitserial::kActionCount] = {}, c2[bitserial::kActionCount] = {};
    BitserialFamily::Acc want = acc;
    fam.issue(want, a, w, c1);
    BitserialFamily::Datapath dp = fam.datapath();
    dp.load(a, w, acc);
    ASSERT_EQ(fam.timing().cycles_per_issue, fam.cycles());
    for (int c = 0; c < fam.cycles(); ++c) dp.step(c2);
    const BitserialFamily::Acc got = dp.result();
    ASSERT_TRUE(same_bits({got.total}, {want.total})) << "iteration " << iter;
    ASSERT_EQ(got.p, want.p) << "iteration " << iter;
    ASSERT_EQ(got.s, want.s);
    ASSERT_EQ(got.special, want.special);
    for (std::size_t i = 0; i < bitserial::kActionCount; ++i) ASSERT_EQ(c1[i], c2[i]);
    const ActionCounts per = fam.issue_counts(0, a.len);
    EXPECT_EQ(per[bitserial::kBoothStep], c1[bitserial::kBoothStep]);
    EXPECT_EQ(per[bitserial::kActSum], c1[bitserial::kActSum]);
  }
}

struct Case {
  const char* a;
  const char* w;
  int rows, cols, lanes;
  Dataflow d;
  std::int64_t m, k, n;
};

class BitserialArray : public ::testing::TestWithParam<Case> {};

golden::Matrix random_matrix(std::int64_t r, std::int64_t c, int int_bits, std::mt19937_64& g) {
  golden::Matrix m = golden::Matrix::zeros(r, c);
  // Bounds only matter for integer formats; clamp the shift so float formats (int_bits 0) stay
  // defined.
  const int half = 1 << (std::max(int_bits, 1) - 1);
  std::uniform_int_distribution<int> in(-half, half - 1), e(-20, 12);
  std::normal_distribution<float> n(0, 1);
  for (auto& x : m.data) x = int_bits != 0 ? static_cast<float>(in(g)) : std::ldexp(n(g), e(g));
  return m;
}
int int_bits(const std::string& n) {
  return n.size() == 4 && n.starts_with("int") ? n[3] - '0' : 0;
}

TEST_P(BitserialArray, EqualsGoldenBitForBitInEveryMode) {
  const Case& cs = GetParam();
  auto pe = make_pe(cs.lanes);
  const PeFormats f = formats(cs.a, cs.w);
  ASSERT_FALSE(pe->unsupported(f).has_value()) << *pe->unsupported(f);
  std::mt19937_64 g(static_cast<std::uint64_t>(cs.k * 1000 + cs.rows * 10 + cs.cols));
  golden::Matrix a = random_matrix(cs.m, cs.k, int_bits(f.a.name), g);
  golden::Matrix w = random_matrix(cs.k, cs.n, int_bits(f.w.name), g);
  const auto qa = golden::quantize_rows(a, f.a), qw = golden::quantize_cols(w, f.w);
  const bool scalar = int_bits(f.w.name) != 0;
  std::vector<float> gold;
  std::int64_t groups = 0;
  if (scalar) {
    golden::GemmOptions o;  // what the engine checks against: kInteger, INT32 wrap
    o.use_onednn = false;
    gold = golden::gemm_quantized(qa, qw, o).c.data;
  } else {
    const golden::GroupGemmResult r = golden::group_gemm(qa, qw);
    gold = r.c.data;
    groups = r.groups;
  }
  GemmRun issue = run_gemm(*pe, f, cs.rows, cs.cols, cs.d, a, w, TileMode::kIssue);
  GemmRun exh = run_gemm(*pe, f, cs.rows, cs.cols, cs.d, a, w, TileMode::kExhaustive);
  GemmRun timing = run_gemm(*pe, f, cs.rows, cs.cols, cs.d, a, w, TileMode::kTiming);
  EXPECT_TRUE(same_bits(issue.c, gold));
  EXPECT_TRUE(same_bits(exh.c, gold));
  EXPECT_EQ(issue.cycles, exh.cycles);
  EXPECT_EQ(issue.cycles, timing.cycles);
  EXPECT_EQ(issue.actions, exh.actions);
  EXPECT_EQ(issue.actions, timing.actions) << "closed-form action counts";
  const auto outputs = static_cast<std::uint64_t>(cs.m * cs.n);
  const auto cpi = static_cast<std::uint64_t>(pe->timing(f).cycles_per_issue);
  EXPECT_EQ(issue.actions[bitserial::kBoothStep], outputs * cpi * static_cast<std::uint64_t>(cs.k));
  EXPECT_EQ(issue.actions[bitserial::kGroupDequant], outputs * static_cast<std::uint64_t>(groups));
  ActionCounts counts;
  EXPECT_EQ(bits(pe->dot(qa.lines[0], qw.lines[0], counts)), bits(issue.c[0]));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, BitserialArray,
    ::testing::Values(
        Case{"int8", "int4_g32", 2, 2, 4, Dataflow::kWeightStationary, 5, 96, 3},
        Case{"int8", "int4_g32", 2, 2, 4, Dataflow::kOutputStationary, 5, 96, 3},
        Case{"fp16", "bitmod_fp4", 3, 5, 4, Dataflow::kWeightStationary, 7, 300, 6},
        Case{"fp16", "bitmod_fp3/g32", 4, 2, 8, Dataflow::kOutputStationary, 6, 200, 5},
        Case{"int8", "gptq_int4", 1, 3, 16, Dataflow::kWeightStationary, 4, 260, 4},
        Case{"fp16", "int4_g64", 2, 2, 8, Dataflow::kOutputStationary, 3, 200, 3},
        // K = 130: a multiple of lanes but not of the group (the closed form needs K).
        Case{"int8", "bitmod_fp4", 5, 4, 2, Dataflow::kWeightStationary, 3, 130, 5},
        Case{"fp16", "int4_g128", 3, 3, 32, Dataflow::kOutputStationary, 3, 300, 4},
        Case{"int8", "int8", 3, 3, 4, Dataflow::kWeightStationary, 5, 37, 4},
        Case{"int4", "int3", 2, 4, 3, Dataflow::kOutputStationary, 3, 50, 5},
        Case{"int8", "int2", 4, 1, 1, Dataflow::kWeightStationary, 3, 9, 2}));

TEST(Bitserial, NonFiniteActivationsMatchTheGolden) {
  auto pe = make_pe(4);
  const PeFormats f = formats("fp16", "bitmod_fp4/g32");
  std::mt19937_64 g(3);
  golden::Matrix a = random_matrix(4, 64, 0, g), w = random_matrix(64, 3, 0, g);
  a.at(0, 5) = 1e6f;  // +Inf after FP16 quantization
  a.at(1, 40) = -1e6f;
  a.at(2, 7) = std::numeric_limits<float>::quiet_NaN();
  a.at(3, 1) = 1e6f, a.at(3, 2) = -1e6f;
  const auto qa = golden::quantize_rows(a, f.a), qw = golden::quantize_cols(w, f.w);
  const auto gold = golden::group_gemm(qa, qw).c.data;
  for (Dataflow d : {Dataflow::kWeightStationary, Dataflow::kOutputStationary}) {
    EXPECT_TRUE(same_bits(run_gemm(*pe, f, 3, 2, d, a, w, TileMode::kIssue).c, gold));
    EXPECT_TRUE(same_bits(run_gemm(*pe, f, 3, 2, d, a, w, TileMode::kExhaustive).c, gold));
  }
}

TEST(Bitserial, TimingPerDatasheet) {
  auto pe = make_pe(4);
  auto cpi = [&](const char* a, const char* w) {
    return pe->timing(formats(a, w)).cycles_per_issue;
  };
  EXPECT_EQ(cpi("int8", "int4_g128"), 2);
  EXPECT_EQ(cpi("fp16", "gptq_int4"), 2);
  EXPECT_EQ(cpi("fp16", "bitmod_fp4"), 2);
  EXPECT_EQ(cpi("int8", "bitmod_fp3"), 2);
  EXPECT_EQ(cpi("int8", "int8"), 4);
  EXPECT_EQ(cpi("int8", "int6"), 3);
  EXPECT_EQ(cpi("int8", "int3"), 2);
  EXPECT_EQ(cpi("int4", "int2"), 1);
  for (const PeFormats& f : pe->example_formats()) {
    EXPECT_EQ(pe->timing(f).k_per_issue, 4);
    EXPECT_EQ(pe->timing(f).latency, 2);
    const PeCost c = pe->cost(f, cost::Tech::node(45));
    ASSERT_EQ(c.actions.size(), bitserial::kActionCount);
    EXPECT_EQ(c.actions[bitserial::kBoothStep].name, "booth_step");
    EXPECT_EQ(c.actions[bitserial::kGroupDequant].name, "group_dequant");
    EXPECT_GT(c.actions[bitserial::kBoothStep].energy_pj, 0);
  }
}

TEST(Bitserial, UnsupportedPairsGiveAReason) {
  auto pe = make_pe(4);
  auto why = pe->unsupported(formats("fp16", "int4"));
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("fp16 x int4"), std::string::npos) << *why;
  why = pe->unsupported(formats("bf16", "bitmod_fp4"));
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("bf16 x bitmod_fp4"), std::string::npos) << *why;
  EXPECT_TRUE(pe->unsupported(formats("int8", "qserve_w4a8")).has_value());
  EXPECT_TRUE(pe->unsupported(formats("int8", "uint4")).has_value());
  EXPECT_TRUE(pe->unsupported(formats("int8", "mxfp4")).has_value());
  auto wide = make_pe(64);
  why = wide->unsupported(formats("int8", "bitmod_fp3/g32"));
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("not a multiple of lanes = 64"), std::string::npos) << *why;
  EXPECT_FALSE(wide->unsupported(formats("int8", "int8")).has_value());
}

}  // namespace
}  // namespace mpsim::sim
