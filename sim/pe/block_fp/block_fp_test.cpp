// DESCRIPTION: block_fp: hand-worked MX blocks (numerics.md worked examples A and B, FP32
// accumulation order), the single rounding of a block sum, the datapath contract on random blocks,
// array runs (WS/OS, several shapes, lanes 8 and 32, partial last block, issue and exhaustive)
// equal to golden block_dot bit for bit, NaN/Inf/zero blocks, costs, timing and unsupported pairs.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <bit>
#include <cctype>
#include <cmath>
#include <limits>
#include <random>

#include "block_fp_family.h"
#include "mpsim/golden/gemm.h"
#include "mpsim/numerics/block_dot.h"
#include "testing/array_runner.h"

namespace mpsim::sim {
namespace {

using block_fp::BlockFpFamily;
using block_fp::ElementTable;
using testing::run_gemm;
using testing::run_quantized;
using testing::same_bits;

std::uint32_t bits(float f) { return std::bit_cast<std::uint32_t>(f); }
/// Bits, with every NaN as the canonical quiet NaN (payloads are not part of the semantics).
std::uint32_t canon(float f) { return std::isnan(f) ? 0x7FC00000u : bits(f); }

/// Gaussian values with occasional outliers (x30), so blocks mix large and small magnitudes.
golden::Matrix gauss(std::int64_t r, std::int64_t c, double scale, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> n(0, scale);
  golden::Matrix m = golden::Matrix::zeros(r, c);
  for (auto& x : m.data) x = static_cast<float>(n(g) * (g() % 50 == 0 ? 30 : 1));
  return m;
}

golden::Matrix mat(std::int64_t r, std::int64_t c, std::vector<float> v) {
  golden::Matrix m = golden::Matrix::zeros(r, c);
  m.data = std::move(v);
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

golden::GemmResult gold(const golden::Matrix& a, const golden::Matrix& b, const PeFormats& f) {
  golden::GemmOptions o;
  o.a_format = f.a;
  o.b_format = f.w;
  auto g = golden::gemm(a, b, o);
  EXPECT_EQ(g.semantics, golden::GemmSemantics::kBlockExact);
  return g;
}

// ---- Hand-worked values

// numerics.md §2.3 worked example A (MXFP4, one 8-element block) and B (MXFP8 E4M3, RNE).
const std::vector<float> kExampleA = {0.3f, -1.7f, 2.9f, 3.0f, 5.0f, -11.0f, 0.0f, 7.0f};
const std::vector<float> kExampleB = {485, 475, 400, -485, -475, -450, 0x1p-6f, -0x1p-6f};

TEST(BlockFp, WorkedExamplesAandBHandWorked) {
  const PeFormats f = pair("mxfp4/b8", "mxfp8_e4m3/b8");
  // The quantized blocks are the ones numerics.md lists (so the hand sums below rest on them).
  const auto qa = golden::quantize_rows(mat(1, 8, kExampleA), f.a);
  const auto qb = golden::quantize_cols(mat(8, 1, kExampleB), f.w);
  EXPECT_EQ(qa.lines[0].values, (std::vector<float>{0, -2, 3, 3, 4, -12, 0, 8}));
  EXPECT_EQ(qa.lines[0].scales[0].scale_code, 128u);  // X = 2^1
  EXPECT_EQ(qb.lines[0].values,
            (std::vector<float>{448, 448, 384, -448, -448, -448, 0x1p-6f, -0x1p-6f}));
  EXPECT_EQ(qb.lines[0].scales[0].scale_code, 127u);  // X = 2^0
  // Integers in ulps: FP4 (ulp 2^-1) k = [0 -2 3 3 4 -12 0 8]; E4M3 (ulp 2^-9) 448 -> 229376,
  // 384 -> 196608, 2^-6 -> 8. S = 229376*(-2-3-4+12) + 3*196608 - 8*8 = 1277888 at
  // 2^(-1-9+1+0) = 2^-9: 2495.875, exact in FP32.
  auto pe = make(2);
  ActionCounts c;
  EXPECT_EQ(pe->dot(qa.lines[0], qb.lines[0], c), 2495.875f);
  EXPECT_EQ(c, (ActionCounts{8, 4, 1, 1}));  // 8 products over 4 cycles, one block close
  // A x A: sum of k^2 = 4+9+9+16+144+64 = 246 at 2^(-1-1+1+1).
  const auto qat = golden::quantize_cols(mat(8, 1, kExampleA), f.a);
  EXPECT_EQ(pe->dot(qa.lines[0], qat.lines[0], c), 246.0f);

  const PeTiming t = pe->timing(f);
  EXPECT_EQ(t.k_per_issue, 8);
  EXPECT_EQ(t.cycles_per_issue, 4);  // 8 elements over 2 lanes
  EXPECT_EQ(t.latency, 2);
  for (Dataflow d : {Dataflow::kWeightStationary, Dataflow::kOutputStationary}) {
    for (TileMode mode : {TileMode::kIssue, TileMode::kExhaustive}) {
      auto r = run_gemm(*pe, f, 1, 1, d, mat(1, 8, kExampleA), mat(8, 1, kExampleB), mode);
      EXPECT_EQ(r.c, std::vector<float>{2495.875f});
      // WS: 1 (weight load) + (1 + 1 + 1 - 2) * 4 + 2 - 1 = 6; OS: (1 + 0) * 4 + 1 + 1 (drain).
      EXPECT_EQ(r.cycles, 6u);
      EXPECT_EQ(r.actions, (ActionCounts{8, 4, 1, 1}));
    }
  }
}

TEST(BlockFp, AccumulatesBlocksInAscendingOrderInFp32) {
  // MXINT8, blocks of 8: block 0 holds 2^24 (scale 2^24, k = 64), blocks 1 and 2 hold 1 (k = 64);
  // W is all ones (k = 64, scale 2^0). Block results 64*64*2^(-12+24) = 2^24, then 1 and 1.
  // FP32 in ascending order: 2^24 + 1 is a tie -> 2^24 (even), + 1 -> 2^24 again. Any other order
  // (1 + 1 + 2^24) or a wider accumulator gives 2^24 + 2.
  const PeFormats f = pair("mxint8/b8", "mxint8/b8");
  golden::Matrix a = golden::Matrix::zeros(1, 24), b = golden::Matrix::zeros(24, 1);
  a.at(0, 0) = 0x1p24f, a.at(0, 8) = 1, a.at(0, 16) = 1;
  for (auto& x : b.data) x = 1;
  EXPECT_EQ(gold(a, b, f).c.data[0], 16777216.0f);
  for (int lanes : {1, 8}) {
    auto pe = make(lanes);
    for (Dataflow d : {Dataflow::kWeightStationary, Dataflow::kOutputStationary}) {
      for (TileMode mode : {TileMode::kIssue, TileMode::kExhaustive}) {
        // One array row: WS runs the three blocks as three K folds carried through the psum.
        auto r = run_gemm(*pe, f, 1, 1, d, a, b, mode);
        EXPECT_EQ(r.c, std::vector<float>{16777216.0f});
      }
    }
  }
}

TEST(BlockFp, BlockSumIsRoundedOnceToFp32) {
  // Normal range: 2^24 + 1 is a tie (-> 2^24, even), 2^24 + 3 a tie (-> 2^24 + 4).
  EXPECT_EQ(BlockFpFamily::round_block((num::int128_t{1} << 24) + 1, 0), 16777216.0f);
  EXPECT_EQ(BlockFpFamily::round_block((num::int128_t{1} << 24) + 3, 0), 16777220.0f);
  EXPECT_EQ(BlockFpFamily::round_block(-((num::int128_t{1} << 24) + 3), 0), -16777220.0f);
  // 2^-150 + 2^-190 lies just above half the smallest subnormal: one rounding gives 2^-149, but
  // rounding the sum 2^40 + 1 to FP32 first drops the +1 and leaves a tie that rounds to 0.
  EXPECT_EQ(BlockFpFamily::round_block((num::int128_t{1} << 40) + 1, -190), 0x1p-149f);
  EXPECT_EQ(BlockFpFamily::round_block(-((num::int128_t{1} << 40) + 1), -190), -0x1p-149f);
  EXPECT_EQ(bits(BlockFpFamily::round_block(num::int128_t{1} << 40, -190)), 0u);  // tie -> 0
  EXPECT_EQ(bits(BlockFpFamily::round_block(-(num::int128_t{1} << 40), -190)), 0x80000000u);
  // A 70-bit sum whose low bits decide a tie at 24 bits (the round-to-odd sticky path).
  const num::int128_t tie = (num::int128_t{1} << 69) + (num::int128_t{1} << 45);
  EXPECT_EQ(BlockFpFamily::round_block(tie, -69), 1.0f);                 // exact tie -> even
  EXPECT_EQ(BlockFpFamily::round_block(tie + 1, -69), 1.0f + 0x1p-23f);  // just above
  EXPECT_EQ(BlockFpFamily::round_block((num::int128_t{1} << 69), 59), INFINITY);  // 2^128
  // Random sums up to 72 bits and exponents across the subnormal, normal and overflow ranges,
  // against the exact engine that block_dot uses.
  std::mt19937_64 g(11);
  for (int i = 0; i < 50000; ++i) {
    const int nb = 1 + static_cast<int>(g() % 72);
    num::int128_t sum = (static_cast<num::int128_t>(g()) << 8) ^ static_cast<num::int128_t>(g());
    sum &= (num::int128_t{1} << nb) - 1;
    if (g() % 3 == 0) sum |= num::int128_t{1} << (nb - 1);  // make some exact ties likely
    if (g() & 1) sum = -sum;
    const int exp = -290 + static_cast<int>(g() % 540);
    if (sum == 0) continue;
    const std::uint32_t want = num::ScalarFormat::fp32().encode_exact(
        num::ExactValue::from_int(sum, exp), num::Rounding::kNearestEven, num::Overflow::kInfNan);
    ASSERT_EQ(bits(BlockFpFamily::round_block(sum, exp)), want)
        << "sum bits " << nb << " exp " << exp;
  }
}

// ---- Element tables and widths

TEST(BlockFp, ElementTablesSplitEveryCodeIntoMantissaAndShift) {
  for (const char* fmt : {"mxfp8_e4m3", "mxfp8_e5m2", "mxfp6_e3m2", "mxfp6_e2m3", "mxfp4", "mxint8",
                          "bfp12", "bfp16"}) {
    SCOPED_TRACE(fmt);
    const ElementTable t = ElementTable::make(fmt);
    const num::BlockElement el = *num::block_element(fmt);
    for (std::uint32_t c = 0; c < el.format.num_codes(); ++c) {
      if (el.format.is_nan_code(c) || !std::isfinite(el.format.decode(c))) {
        EXPECT_EQ(t.x[c].e, ElementTable::kNanShift);
        continue;
      }
      const std::int64_t k = static_cast<std::int8_t>(t.x[c].m) * (std::int64_t{1} << t.x[c].e);
      EXPECT_EQ(k, el.integer(c)) << "code " << c;
    }
  }
  // Multiplier widths (sign + significand incl. hidden bit, or the integer width).
  EXPECT_EQ(ElementTable::make("mxfp4").mult_bits, 3);
  EXPECT_EQ(ElementTable::make("mxfp8_e4m3").mult_bits, 5);
  EXPECT_EQ(ElementTable::make("mxfp8_e5m2").mult_bits, 4);
  EXPECT_EQ(ElementTable::make("mxint8").mult_bits, 8);
  EXPECT_EQ(ElementTable::make("bfp12").mult_bits, 4);
}

TEST(BlockFp, BlockSumWidthsMatchNumericsTable) {
  // numerics.md §2.5: signed bits of the exact sum of 32 products.
  auto w = [](const char* a, const char* b) {
    return block_fp::block_sum_bits(ElementTable::make(a), ElementTable::make(b), 32);
  };
  EXPECT_EQ(w("mxfp4", "mxfp4"), 14);
  EXPECT_EQ(w("mxfp6_e2m3", "mxfp6_e2m3"), 18);
  EXPECT_EQ(w("mxfp6_e3m2", "mxfp6_e3m2"), 24);
  EXPECT_EQ(w("mxfp8_e4m3", "mxfp8_e4m3"), 42);
  EXPECT_EQ(w("mxfp8_e5m2", "mxfp8_e5m2"), 70);
  EXPECT_EQ(w("mxint8", "mxint8"), 21);
  EXPECT_EQ(w("mxfp8_e4m3", "mxfp8_e5m2"), 56);
  EXPECT_EQ(w("bfp16", "bfp16"), 21);
  EXPECT_EQ(w("bfp12", "bfp12"), 13);
}

// ---- Datapath contract

TEST(BlockFp, DatapathStepsEqualTheIssueOnRandomBlocks) {
  std::mt19937_64 g(21);
  std::normal_distribution<float> n(0, 1);
  int checked = 0;
  for (auto [fa, fw] : {std::pair{"mxfp4", "mxfp4"}, std::pair{"mxfp8_e5m2", "mxfp8_e5m2"},
                        std::pair{"mxfp8_e4m3", "mxint8"}, std::pair{"bfp12", "bfp16"},
                        std::pair{"mxfp6_e3m2", "mxfp6_e2m3"}}) {
    const ElementTable ta = ElementTable::make(fa), tw = ElementTable::make(fw);
    for (int block : {16, 32, 128}) {
      for (int lanes : {1, 3, 8, 32, 64}) {
        SCOPED_TRACE(std::string(fa) + " x " + fw + " block " + std::to_string(block) + " lanes " +
                     std::to_string(lanes));
        const BlockFpFamily fam = block_fp::make_family(ta, tw, block, lanes);
        const int cpi = fam.timing().cycles_per_issue;
        ASSERT_EQ(cpi, (block + lanes - 1) / lanes);
        // Three full blocks and a partial one; sometimes a NaN input makes a NaN block.
        const std::size_t k = static_cast<std::size_t>(3 * block + 1 + g() % (block - 1));
        std::vector<float> xa(k), xw(k);
        for (auto& x : xa) x = n(g) * std::ldexp(1.0f, static_cast<int>(g() % 40) - 20);
        for (auto& x : xw) x = n(g);
        if (g() % 3 == 0) xa[g() % k] = std::numeric_limits<float>::quiet_NaN();
        num::QuantizeOptions opts;
        opts.block = block;
        const num::QuantizedRow qa = num::builtin_formats().create(fa, opts)->quantize(xa);
        const num::QuantizedRow qw = num::builtin_formats().create(fw, opts)->quantize(xw);
        BlockFpFamily::Acc acc_issue = fam.zero(), acc_dp = fam.zero();
        const bool from_zero = g() % 4 != 0;  // else a partial sum from an earlier K fold
        if (!from_zero) acc_issue.v = acc_dp.v = n(g) * 1e3f;
        auto dp = fam.datapath();
        for (std::int64_t c = 0; c * block < static_cast<std::int64_t>(k); ++c) {
          const auto a = fam.a_chunk(qa, c);
          const auto w = fam.w_chunk(qw, c);
          ActionCounts ci(block_fp::kActionCount, 0), cd(block_fp::kActionCount, 0);
          fam.issue(acc_issue, a, w, ci.data());
          dp.load(a, w, acc_dp);
          for (int s = 0; s < cpi; ++s) {
            // The block closes in its last busy cycle, not before: the accumulator is untouched
            // while products are still missing.
            if (s > 0 && s * lanes < a.len) {
              EXPECT_EQ(bits(dp.result().v), bits(acc_dp.v)) << "closed early, cycle " << s;
            }
            dp.step(cd.data());
          }
          const auto r = dp.result();
          EXPECT_EQ(bits(r.v), bits(acc_issue.v)) << "chunk " << c;
          EXPECT_EQ(r.final, acc_issue.final);
          EXPECT_EQ(cd, ci) << "chunk " << c;
          EXPECT_EQ(ci, fam.issue_counts(c, a.len));
          dp.step(cd.data());  // an idle PE does nothing
          EXPECT_EQ(cd, ci);
          acc_dp = r;
          ++checked;
        }
        // From +0, the chunk-by-chunk issue is block_dot itself.
        if (from_zero) {
          EXPECT_EQ(canon(fam.finish(acc_issue)), canon(num::block_dot(qa, qw)));
        }
      }
    }
  }
  EXPECT_EQ(checked, 5 * 3 * 5 * 4);  // pairs x blocks x lanes x chunks
}

// ---- Array runs against golden

struct Case {
  const char* a;
  const char* w;
  std::int64_t k;  ///< K with a partial last block
};

class BlockFpArray : public ::testing::TestWithParam<Case> {};

TEST_P(BlockFpArray, EqualsGoldenBlockDotBitForBit) {
  const Case& cs = GetParam();
  const PeFormats f = pair(cs.a, cs.w);
  const std::int64_t M = 11, N = 13, K = cs.k;
  const golden::Matrix a = gauss(M, K, 2.0, 1), b = gauss(K, N, 0.05, 2);
  const auto g = gold(a, b, f);
  const auto qa = golden::quantize_rows(a, f.a);
  const auto qb = golden::quantize_cols(b, f.w);
  for (int lanes : {8, 32}) {
    auto pe = make(lanes);
    ASSERT_FALSE(pe->unsupported(f).has_value()) << *pe->unsupported(f);
    const PeTiming t = pe->timing(f);
    ASSERT_NE(K % t.k_per_issue, 0) << "the case must end in a partial block";
    // Data-independent action totals: every product once, one block close per (m, n, block),
    // ceil(len / lanes) block-sum cycles per block.
    const std::int64_t blocks = (K + t.k_per_issue - 1) / t.k_per_issue;
    const std::int64_t last = K - (blocks - 1) * t.k_per_issue;
    const auto mn = static_cast<std::uint64_t>(M * N);
    const ActionCounts want{mn * static_cast<std::uint64_t>(K),
                            mn * static_cast<std::uint64_t>((blocks - 1) * t.cycles_per_issue +
                                                            (last + lanes - 1) / lanes),
                            mn * static_cast<std::uint64_t>(blocks),
                            mn * static_cast<std::uint64_t>(blocks)};
    for (Dataflow d : {Dataflow::kWeightStationary, Dataflow::kOutputStationary}) {
      for (auto [rows, cols] : {std::pair{2, 3}, std::pair{4, 4}, std::pair{1, 5}}) {
        SCOPED_TRACE(::testing::Message()
                     << "lanes " << lanes << " " << to_string(d) << " " << rows << "x" << cols);
        // run_quantized also checks every fold's cycles against the closed form.
        const auto ri = run_quantized(*pe, f, rows, cols, d, qa, qb, TileMode::kIssue);
        const auto re = run_quantized(*pe, f, rows, cols, d, qa, qb, TileMode::kExhaustive);
        EXPECT_TRUE(same_bits(ri.c, g.c.data));
        EXPECT_TRUE(same_bits(re.c, g.c.data));
        EXPECT_EQ(ri.cycles, re.cycles);
        EXPECT_EQ(ri.actions, want);
        EXPECT_EQ(re.actions, want);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Pairs, BlockFpArray,
    ::testing::Values(Case{"mxfp4", "mxfp4", 70}, Case{"mxfp4", "mxfp8_e4m3", 70},
                      Case{"mxfp8_e4m3", "mxfp8_e5m2", 70}, Case{"mxfp8_e5m2", "mxfp8_e5m2", 70},
                      Case{"mxfp8_e4m3", "mxfp8_e4m3", 101}, Case{"mxfp6_e3m2", "mxfp6_e2m3", 70},
                      Case{"mxint8", "mxint8", 70}, Case{"mxint8", "mxfp4", 45},
                      Case{"bfp16", "bfp16", 70}, Case{"bfp12", "bfp16", 70},
                      Case{"mxfp6_e2m3/b16", "mxfp4/b16", 37},
                      Case{"bfp16/b128", "bfp12/b128", 300}),
    [](const ::testing::TestParamInfo<Case>& i) {
      std::string s = std::string(i.param.a) + "_x_" + i.param.w;
      for (char& ch : s) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return s;
    });

// ---- NaN, Inf and zero blocks

TEST(BlockFp, NanAndInfiniteBlocksFollowBlockDot) {
  auto pe = make(8);
  const PeFormats f = pair("mxfp8_e5m2", "mxfp8_e5m2");
  golden::Matrix a = gauss(3, 96, 1.0, 3), b = gauss(96, 2, 1.0, 4);
  a.at(0, 40) = std::numeric_limits<float>::quiet_NaN();  // block 1 of row 0 is NaN
  for (int k = 0; k < 32; ++k) a.at(1, k) = 3e38f;        // row 1: an infinite block 0 ...
  a.at(1, 70) =
      std::numeric_limits<float>::quiet_NaN();  // ... then a NaN block that must not matter
  for (int k = 0; k < 96; ++k) b.at(k, 0) = 3e38f;
  const auto g = gold(a, b, f);
  // Column 0 is huge: every block of row 1 against it overflows FP32, so block 0 decides (+inf)
  // and the NaN block after it is never seen; column 1 is ordinary, so row 0's NaN block wins.
  EXPECT_TRUE(std::isnan(g.c.at(0, 1))) << g.c.at(0, 1);
  EXPECT_TRUE(std::isinf(g.c.at(1, 0))) << g.c.at(1, 0);
  for (Dataflow d : {Dataflow::kWeightStationary, Dataflow::kOutputStationary}) {
    for (TileMode mode : {TileMode::kIssue, TileMode::kExhaustive}) {
      auto r = run_gemm(*pe, f, 2, 2, d, a, b, mode);
      EXPECT_TRUE(same_bits(r.c, g.c.data));
      EXPECT_TRUE(std::isinf(r.c[2]) && r.c[2] > 0);
    }
  }
}

TEST(BlockFp, AccumulatorOverflowThenMinusInfBlockIsNan) {
  // Blocks 0 and 1 are 2^63 * 2^64 = 2^127 each (finite): their FP32 sum overflows to +inf. Block 2
  // is -(2.98e38)^2 = -inf: block_dot returns -inf + inf = NaN. Row 1 stops after block 1: +inf.
  const PeFormats f = pair("mxfp8_e5m2", "mxfp8_e5m2");
  golden::Matrix a = golden::Matrix::zeros(2, 96), b = golden::Matrix::zeros(96, 1);
  for (int r = 0; r < 2; ++r) a.at(r, 0) = a.at(r, 32) = 0x1p63f;
  a.at(0, 64) = -3e38f;
  b.at(0, 0) = b.at(32, 0) = 0x1p64f;
  b.at(64, 0) = 3e38f;
  const auto g = gold(a, b, f);
  ASSERT_TRUE(std::isnan(g.c.data[0]));
  ASSERT_EQ(g.c.data[1], INFINITY);
  for (int lanes : {8, 32}) {
    for (Dataflow d : {Dataflow::kWeightStationary, Dataflow::kOutputStationary}) {
      auto r = run_gemm(*make(lanes), f, 1, 1, d, a, b, TileMode::kExhaustive);
      EXPECT_TRUE(same_bits(r.c, g.c.data));
    }
  }
}

TEST(BlockFp, NanElementCodeMakesTheBlockNan) {
  // The quantizer never writes a NaN element code (it flags the scale instead); a stored row may
  // still hold one, and block_dot treats it as a NaN block.
  const PeFormats f = pair("mxfp8_e4m3", "mxfp8_e4m3");
  auto qa = golden::quantize_rows(gauss(2, 64, 1.0, 7), f.a);
  const auto qb = golden::quantize_cols(gauss(64, 2, 1.0, 8), f.w);
  qa.lines[1].codes[40] = 0x7F;  // E4M3 NaN in block 1 of row 1
  golden::GemmOptions o;
  const auto g = golden::gemm_quantized(qa, qb, o);
  ASSERT_TRUE(std::isnan(g.c.at(1, 0)));
  ASSERT_FALSE(std::isnan(g.c.at(0, 0)));
  for (Dataflow d : {Dataflow::kWeightStationary, Dataflow::kOutputStationary}) {
    for (TileMode mode : {TileMode::kIssue, TileMode::kExhaustive}) {
      auto r = run_quantized(*make(8), f, 2, 2, d, qa, qb, mode);
      EXPECT_TRUE(same_bits(r.c, g.c.data));
    }
  }
}

TEST(BlockFp, ZeroAndUnderflowingBlocksGivePlusZero) {
  // Row 0 is all zero (scale 2^-127); row 1 is -2^-126 everywhere (FP4 -2 at 2^-127): against
  // 2^-126 every block sum is -512 * 2^-256, which rounds to -0; +0 + -0 = +0. Row 2 has a zero
  // block between two ordinary ones.
  const PeFormats f = pair("mxfp4", "mxfp4");
  golden::Matrix a = golden::Matrix::zeros(3, 96), b = golden::Matrix::zeros(96, 2);
  for (int k = 0; k < 96; ++k) {
    a.at(1, k) = -0x1p-126f;
    a.at(2, k) = k / 32 == 1 ? 0.0f : static_cast<float>(k % 7) - 3.0f;
    b.at(k, 0) = 0x1p-126f;
    b.at(k, 1) = static_cast<float>(k % 5) - 2.0f;
  }
  const auto g = gold(a, b, f);
  EXPECT_EQ(bits(g.c.at(0, 0)), 0u);
  EXPECT_EQ(bits(g.c.at(0, 1)), 0u);
  EXPECT_EQ(bits(g.c.at(1, 0)), 0u);
  EXPECT_EQ(BlockFpFamily::round_block(-512, -256), -0.0f);
  EXPECT_TRUE(std::signbit(BlockFpFamily::round_block(-512, -256)));
  for (Dataflow d : {Dataflow::kWeightStationary, Dataflow::kOutputStationary}) {
    for (TileMode mode : {TileMode::kIssue, TileMode::kExhaustive}) {
      auto r = run_gemm(*make(8), f, 2, 2, d, a, b, mode);
      ASSERT_EQ(r.c.size(), g.c.data.size());
      for (std::size_t i = 0; i < r.c.size(); ++i) EXPECT_EQ(bits(r.c[i]), bits(g.c.data[i])) << i;
    }
  }
}

TEST(BlockFp, SubnormalBlockResultsRoundOnce) {
  // Each block has one element near 2^-70 and the rest 2^-15 smaller: the exact block sum has more
  // than 24 significant bits and the result lies in FP32's subnormal range, so rounding the integer
  // sum to FP32 before applying the exponents would round twice.
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
  const auto gr = gold(a, b, f);
  int subnormal = 0;
  for (float v : gr.c.data) subnormal += std::fpclassify(v) == FP_SUBNORMAL;
  EXPECT_EQ(subnormal, 30);
  auto r = run_gemm(*make(8), f, 2, 2, Dataflow::kOutputStationary, a, b, TileMode::kIssue);
  EXPECT_TRUE(same_bits(r.c, gr.c.data));
}

TEST(BlockFp, DotEqualsBlockDotAndCountsItsIssues) {
  std::mt19937_64 g(31);
  std::normal_distribution<float> n(0, 1);
  auto pe = make(8);
  for (auto [fa, fw] : {std::pair{"mxfp4", "mxfp8_e4m3"}, std::pair{"mxfp8_e5m2", "mxfp8_e5m2"},
                        std::pair{"mxint8", "bfp12"}}) {
    for (int len : {1, 31, 32, 100}) {
      std::vector<float> xa(static_cast<std::size_t>(len)), xw(xa.size());
      for (auto& x : xa) x = n(g) * 1e3f;
      for (auto& x : xw) x = n(g) * 1e-3f;
      const auto qa = num::FormatSpec::parse(fa).make_quantizer()->quantize(xa);
      const auto qw = num::FormatSpec::parse(fw).make_quantizer()->quantize(xw);
      ActionCounts c;
      EXPECT_EQ(bits(pe->dot(qa, qw, c)), bits(num::block_dot(qa, qw))) << fa << " x " << fw;
      const std::uint64_t blocks = static_cast<std::uint64_t>((len + 31) / 32);
      EXPECT_EQ(c[block_fp::kLaneMul], static_cast<std::uint64_t>(len));
      EXPECT_EQ(c[block_fp::kBlockAlign], blocks);
      EXPECT_EQ(c[block_fp::kFp32Acc], blocks);
    }
  }
}

// ---- Timing, costs, parameters, unsupported pairs

TEST(BlockFp, TimingIsOneBlockPerIssue) {
  struct Row {
    const char* fmt;
    int lanes, kpi, cpi;
  };
  for (const Row& r : {Row{"mxfp4", 8, 32, 4}, Row{"mxfp4", 32, 32, 1}, Row{"mxfp4", 64, 32, 1},
                       Row{"mxfp8_e4m3", 3, 32, 11}, Row{"mxfp4/b16", 8, 16, 2},
                       Row{"bfp16/b128", 8, 128, 16}, Row{"bfp12/b64", 1, 64, 64}}) {
    const PeTiming t = make(r.lanes)->timing(pair(r.fmt, r.fmt));
    EXPECT_EQ(t.k_per_issue, r.kpi) << r.fmt;
    EXPECT_EQ(t.cycles_per_issue, r.cpi) << r.fmt << " lanes " << r.lanes;
    EXPECT_EQ(t.latency, 2);
  }
  const auto& params = builtin_pe_types().params("block_fp");
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].key, "lanes");
  EXPECT_EQ(params[0].def_int, 8);
  EXPECT_EQ(params[0].min_int, 1);
  EXPECT_EQ(params[0].max_int, 64);
}

TEST(BlockFp, CostsAreBuiltFromTheDatapathParts) {
  const cost::Tech t = cost::Tech::node(45);
  const PeCost c4 = make(8)->cost(pair("mxfp4", "mxfp4"), t);
  const PeCost c8 = make(8)->cost(pair("mxfp8_e5m2", "mxfp8_e5m2"), t);
  const PeCost ci = make(8)->cost(pair("mxint8", "mxint8"), t);
  ASSERT_EQ(c4.actions.size(), block_fp::kActionCount);
  const std::vector<std::string> names{"lane_mul", "sum_reg", "block_align", "fp32_acc"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(c4.actions[i].name, names[i]);
    EXPECT_GT(c4.actions[i].energy_pj, 0) << names[i];
  }
  EXPECT_NE(c4.actions[block_fp::kLaneMul].parts.find("int_mult(3x3)"), std::string::npos)
      << c4.actions[block_fp::kLaneMul].parts;
  EXPECT_NE(c4.actions[block_fp::kLaneMul].parts.find("int_add(14)"), std::string::npos);
  EXPECT_NE(c8.actions[block_fp::kBlockAlign].parts.find("shifter(70"), std::string::npos)
      << c8.actions[block_fp::kBlockAlign].parts;
  EXPECT_EQ(ci.actions[block_fp::kLaneMul].parts.find("align"), std::string::npos)
      << "integer elements need no product aligner";
  // Wider mantissas and sums cost more; the FP32 accumulate does not depend on the elements.
  EXPECT_LT(c4.actions[block_fp::kLaneMul].energy_pj, ci.actions[block_fp::kLaneMul].energy_pj);
  EXPECT_LT(c4.actions[block_fp::kSumReg].energy_pj, c8.actions[block_fp::kSumReg].energy_pj);
  EXPECT_EQ(c4.actions[block_fp::kFp32Acc].energy_pj, c8.actions[block_fp::kFp32Acc].energy_pj);
  EXPECT_LT(c4.area_um2, make(32)->cost(pair("mxfp4", "mxfp4"), t).area_um2);
  EXPECT_GT(c4.leakage_mw, 0);
}

TEST(BlockFp, UnsupportedPairsSayWhy) {
  auto pe = make(8);
  auto why = pe->unsupported(pair("mxfp4", "int8"));
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("mxfp4 x int8"), std::string::npos) << *why;
  why = pe->unsupported(pair("fp16", "mxfp8_e4m3"));
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("fp16 x mxfp8_e4m3"), std::string::npos) << *why;
  why = pe->unsupported(pair("mxfp4", "mxfp4/b16"));
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("mxfp4 (block 32) x mxfp4/b16 (block 16)"), std::string::npos) << *why;
  why = pe->unsupported(pair("bfp16/b256", "bfp16/b256"));
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("bfp16/b256 x bfp16/b256"), std::string::npos) << *why;
  EXPECT_FALSE(pe->unsupported(pair("mxint8/b16", "bfp12/b16")));
}

}  // namespace
}  // namespace mpsim::sim
