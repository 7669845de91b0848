// DESCRIPTION: int4_tc: hand-worked fragments (INT4, W4A8 hi/lo, QServe, group epilogue, a bipolar
// XOR/popcount pass), every mode equal to golden::gemm (or, for QServe, an independent reference
// built from the numerics functions) bit for bit, issue == exhaustive == closed form, K folds,
// INT32 wrap counting and unsupported pairs. SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "int4_tc_kernel.h"
#include "mpsim/golden/gemm.h"
#include "mpsim/numerics/group_int.h"
#include "mpsim/numerics/half.h"
#include "testing/array_runner.h"

namespace mpsim::sim {
namespace {

using testing::GemmRun;
using testing::run_gemm;
using testing::run_quantized;
using testing::same_bits;

std::unique_ptr<PeType> make(int fm, int fn, int fk, int cpm, const char* variant = "qserve") {
  PeParams p;
  p.ints = {
      {"frag_m", fm}, {"frag_n", fn}, {"frag_k", fk}, {"cycles_per_mma", cpm}, {"latency", 4}};
  p.strings = {{"variant", variant}};
  return builtin_pe_types().create("int4_tc", p);
}

PeFormats pair(const char* a, const char* w) {
  return PeFormats{num::FormatSpec::parse(a), num::FormatSpec::parse(w)};
}

golden::Matrix mat(std::int64_t r, std::int64_t c, std::vector<float> v) {
  golden::Matrix m = golden::Matrix::zeros(r, c);
  m.data = std::move(v);
  return m;
}

// Integer-valued matrices over [lo, hi] in steps of `step` (bipolar: odd values, step 2).
golden::Matrix ints(std::int64_t r, std::int64_t c, int lo, int hi, int step, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_int_distribution<int> d(0, (hi - lo) / step);
  golden::Matrix m = golden::Matrix::zeros(r, c);
  for (auto& x : m.data) x = static_cast<float>(lo + step * d(g));
  return m;
}

golden::Matrix normal(std::int64_t r, std::int64_t c, float sigma, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<float> d(0, sigma);
  golden::Matrix m = golden::Matrix::zeros(r, c);
  for (auto& x : m.data) x = d(g);
  return m;
}

// Runs the GEMM with K cut into folds of kfold (a multiple of k_step), as the engine does when
// buffers are small: later folds continue the partial sums (first_k false).
GemmRun run_folded(const PeType& pe, const PeFormats& f, int rows, int cols,
                   const golden::QuantMatrix& qa, const golden::QuantMatrix& qw, TileMode mode,
                   std::int64_t kfold) {
  const std::int64_t M = qa.rows, K = qa.cols, N = qw.cols;
  auto k = pe.kernel(f, rows, cols, Dataflow::kOutputStationary);
  EXPECT_EQ(kfold % k->k_step(), 0);
  k->begin(qa.lines, qw.lines, M, N, K, true);
  GemmRun out;
  out.actions.assign(k->action_count(), 0);
  for (std::int64_t m0 = 0; m0 < M; m0 += k->max_mt())
    for (std::int64_t n0 = 0; n0 < N; n0 += k->max_nt())
      for (std::int64_t k0 = 0; k0 < K; k0 += kfold) {
        const Tile t{m0,
                     n0,
                     k0,
                     std::min(k->max_mt(), M - m0),
                     std::min(k->max_nt(), N - n0),
                     std::min(kfold, K - k0),
                     k0 == 0};
        const TileRun r = k->run_tile(t, mode);
        EXPECT_EQ(r.cycles, k->closed_form(t).cycles);
        out.cycles += r.cycles;
        for (std::size_t i = 0; i < r.actions.size(); ++i) out.actions[i] += r.actions[i];
      }
  for (std::int64_t m = 0; m < M; ++m)
    for (std::int64_t n = 0; n < N; ++n) out.c.push_back(k->output(m, n));
  return out;
}

// The closed-form action counts of the same folds run_quantized uses (no wraps: data-dependent).
ActionCounts closed_actions(const PeType& pe, const PeFormats& f, int rows, int cols,
                            std::int64_t M, std::int64_t N, std::int64_t K) {
  auto k = pe.kernel(f, rows, cols, Dataflow::kOutputStationary);
  std::vector<num::QuantizedRow> none;
  k->begin(none, none, M, N, K, false);
  ActionCounts out(k->action_count(), 0);
  for (std::int64_t m0 = 0; m0 < M; m0 += k->max_mt())
    for (std::int64_t n0 = 0; n0 < N; n0 += k->max_nt()) {
      const TileRun r = k->closed_form(
          Tile{m0, n0, 0, std::min(k->max_mt(), M - m0), std::min(k->max_nt(), N - n0), K, true});
      for (std::size_t i = 0; i < r.actions.size(); ++i) out[i] += r.actions[i];
    }
  return out;
}

void expect_counts_match_closed_form(ActionCounts run, ActionCounts closed) {
  run[int4_tc::kAccWrap] = closed[int4_tc::kAccWrap] = 0;
  EXPECT_EQ(run, closed);
}

// ---------------------------------------------------------------------------------------------
// Hand-worked

TEST(Int4Tc, HandWorkedInt4Fragment) {
  // One 2x2x4 unit, 1 cycle per MMA: A = [[1 -2 3 -4], [7 -8 0 5]], W columns [1 1 1 1] and
  // [2 0 -1 3]: C = [[-2, -13], [4, 29]] (row 0: 1-2+3-4, 2+0-3-12; row 1: 7-8+0+5, 14+0+0+15).
  // K = 8 (second half zeros) is two chunks: 2 MMAs + latency 4 + 2 write-back rows = 8 cycles.
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
    EXPECT_EQ(r.actions[int4_tc::kAccAdd], 8u);  // 4 outputs x 2 MMAs
  }
  // Two cycles per MMA: the same values, 2 * 2 + 4 + 2 cycles.
  auto r = run_gemm(*make(2, 2, 4, 2), pair("int4", "int4"), 1, 1, Dataflow::kOutputStationary, a,
                    w, TileMode::kExhaustive);
  EXPECT_EQ(r.c, (std::vector<float>{-2, -13, 4, 29}));
  EXPECT_EQ(r.cycles, 10u);
}

TEST(Int4Tc, HandWorkedW4A8HiLo) {
  // a = [37, -100] = 16 * [2, -7] + [5, 12]; w = [-3, 7].
  //   lo pass: 5*(-3) + 12*7 = 69;   hi pass: 2*(-3) + (-7)*7 = -55, weighted 16: -880.
  //   -880 + 69 = -811 = 37*(-3) + (-100)*7.
  // Frag 1x1x4, 1 cycle per MMA: 1 chunk x 2 passes + latency 4 + 1 write-back row = 7 cycles.
  auto a = mat(1, 2, {37, -100}), w = mat(2, 1, {-3, 7});
  for (const char* v : {"hilo", "qserve"}) {
    SCOPED_TRACE(v);
    auto pe = make(1, 1, 4, 1, v);
    EXPECT_EQ(pe->timing(pair("int8", "int4")).cycles_per_issue, 2);
    for (TileMode mode : {TileMode::kIssue, TileMode::kExhaustive}) {
      auto r = run_gemm(*pe, pair("int8", "int4"), 1, 1, Dataflow::kOutputStationary, a, w, mode);
      EXPECT_EQ(r.c, std::vector<float>{-811.0f});
      EXPECT_EQ(r.cycles, 7u);
      EXPECT_EQ(r.actions[int4_tc::kMmaInt4], 2u);
      // hilo adds each pass's partial; the fused INT8 MMA adds once.
      EXPECT_EQ(r.actions[int4_tc::kAccAdd], std::string(v) == "hilo" ? 2u : 1u);
    }
  }
}

TEST(Int4Tc, HandWorkedBipolarPlanes) {
  // bipolar_int2: v = 2(2 b1 - 1) + (2 b0 - 1), code c = (v + 3) / 2. a = [3, -1] -> codes 3, 1:
  // planes a0 = [1, 1], a1 = [1, 0]; w = [-1, -3] -> codes 1, 0: w0 = [1, 0], w1 = [0, 0].
  // Each pass: 2^(i+j) (len - 2 popcount(ai ^ wj)):
  //   (0,0): 1 (2 - 2*1) = 0;  (0,1): 2 (2 - 2*2) = -4;  (1,0): 2 (2 - 2*0) = 4;  (1,1): 4 (2 - 2)
  //   = 0
  // Sum 0 = 3*(-1) + (-1)(-3). Cycles: 4 passes x 1 + latency 4 + 1 row = 9.
  auto pe = make(1, 1, 2, 1);
  auto a = mat(1, 2, {3, -1}), w = mat(2, 1, {-1, -3});
  for (TileMode mode : {TileMode::kIssue, TileMode::kExhaustive}) {
    auto r = run_gemm(*pe, pair("bipolar_int2", "bipolar_int2"), 1, 1, Dataflow::kOutputStationary,
                      a, w, mode);
    EXPECT_EQ(r.c, std::vector<float>{0.0f});
    EXPECT_EQ(r.actions[int4_tc::kMmaB1], 4u);
    EXPECT_EQ(r.actions[int4_tc::kAccAdd], 4u);
    EXPECT_EQ(r.cycles, 9u);
  }
  // w = [1, -3] -> codes 2, 0: w0 = [0, 0], w1 = [1, 0]. (0,0): 1 (2 - 2*2) = -2;
  // (0,1): 2 (2 - 2*1) = 0; (1,0): 2 (2 - 2*1) = 0; (1,1): 4 (2 - 0) = 8. Sum 6 = 3*1 + (-1)(-3).
  w = mat(2, 1, {1, -3});
  auto r = run_gemm(*pe, pair("bipolar_int2", "bipolar_int2"), 1, 1, Dataflow::kOutputStationary, a,
                    w, TileMode::kExhaustive);
  EXPECT_EQ(r.c, std::vector<float>{6.0f});
}

TEST(Int4Tc, HandWorkedQServe) {
  // W column [1.19, -0.5, 0, 0.03], group 4: s1 = fp16(1.19 / 119) = 1311 * 2^-17, W8 =
  // RNE(w / s1) = [119, -50, 0, 3]; s2 = RNE(169 / 15) = 11, z = RNE(50 / 11) = 5,
  // q = [15 (clamped from 16), 0, 5, 5], W8' = (q - z) * 11 = [110, -55, 0, 0].
  // A = [2, 1, -7, 100] (int8): psum = 220 - 55 = 165. Epilogue: fp32(165) * s1 = 216315 * 2^-17
  // = 1.65035247... (exact in FP32), then FP16 RNE: 1689.96 / 1024 -> 1690 / 1024 = 1.650390625.
  // Cycles (frag 1x1x4, 1 cycle per MMA): 1 chunk x 4 passes (INT8 x INT8) + latency 4 +
  // dequant 1 + epilogue 4 + 1 row = 14.
  auto a = mat(1, 4, {2, 1, -7, 100}), w = mat(4, 1, {1.19f, -0.5f, 0, 0.03f});
  const PeFormats f = pair("int8", "qserve_w4a8/g4");
  const auto qw = golden::quantize_cols(w, f.w);
  ASSERT_EQ(qw.lines[0].row_params.at("channel_scale_code"), num::fp32_to_fp16_bits(0.01f));
  for (const char* v : {"qserve", "hilo"}) {
    SCOPED_TRACE(v);
    auto pe = make(1, 1, 4, 1, v);
    for (TileMode mode : {TileMode::kIssue, TileMode::kExhaustive}) {
      auto r = run_gemm(*pe, f, 1, 1, Dataflow::kOutputStationary, a, w, mode);
      EXPECT_EQ(r.c, std::vector<float>{1.650390625f});
      EXPECT_EQ(r.cycles, 14u);
      EXPECT_EQ(r.actions[int4_tc::kMmaInt4], 4u);
      EXPECT_EQ(r.actions[int4_tc::kDequant], 4u);
      EXPECT_EQ(r.actions[int4_tc::kEpilogue], 1u);
    }
  }
}

TEST(Int4Tc, HandWorkedGroupEpilogue) {
  // bfp12, block 4. Group 0: A [0.9, -0.3, 0.05, 1.7] -> E = 0, step 2^-2, k = [4, -1, 0, 7];
  // W [0.5 x4] -> E = -1, step 2^-3, k = [4 x4]. P0 = 4 * 10 = 40, scaled 40 * 2^-5 = 1.25.
  // Group 1: A [3, 0, 0, 0] -> E = 1, step 2^-1, k = [6, 0, 0, 0]; W [-1, 0, 0, 0] -> E = 0, step
  // 2^-2, k = [-4, 0, 0, 0]. P1 = -24, scaled -24 * 2^-3 = -3. FP32 sum: 1.25 - 3 = -1.75.
  // Cycles (frag 1x1x4, 1 cycle per MMA): 2 chunks x 1 pass + latency 4 + epilogue 4 + 1 = 11.
  auto a = mat(1, 8, {0.9f, -0.3f, 0.05f, 1.7f, 3, 0, 0, 0});
  auto w = mat(8, 1, {0.5f, 0.5f, 0.5f, 0.5f, -1, 0, 0, 0});
  const PeFormats f = pair("bfp12/b4", "bfp12/b4");
  auto pe = make(1, 1, 4, 1);
  for (TileMode mode : {TileMode::kIssue, TileMode::kExhaustive}) {
    auto r = run_gemm(*pe, f, 1, 1, Dataflow::kOutputStationary, a, w, mode);
    EXPECT_EQ(r.c, std::vector<float>{-1.75f});
    EXPECT_EQ(r.cycles, 11u);
    EXPECT_EQ(r.actions[int4_tc::kEpilogue], 2u);
  }
  golden::GemmOptions o;
  o.a_format = f.a;
  o.b_format = f.w;
  EXPECT_EQ(golden::gemm(a, w, o).c.data, std::vector<float>{-1.75f});
}

// ---------------------------------------------------------------------------------------------
// Integer and bit-plane modes against golden::gemm kInteger

struct IntCase {
  const char* a;
  const char* w;
  int alo, ahi, astep, wlo, whi, wstep;
  int passes;
};
class Int4TcIntPairs : public ::testing::TestWithParam<IntCase> {};

TEST_P(Int4TcIntPairs, EqualGoldenInEveryModeAndVariant) {
  const IntCase& cs = GetParam();
  const PeFormats f = pair(cs.a, cs.w);
  golden::GemmOptions o;
  o.a_format = f.a;
  o.b_format = f.w;
  o.use_onednn = false;
  struct Shape {
    std::int64_t m, n, k;
    int rows, cols;
  };
  for (const Shape sh : {Shape{13, 9, 75, 2, 3}, Shape{5, 17, 130, 1, 1}, Shape{1, 1, 1, 2, 2}}) {
    SCOPED_TRACE(::testing::Message() << sh.m << "x" << sh.n << "x" << sh.k);
    const golden::Matrix a = ints(sh.m, sh.k, cs.alo, cs.ahi, cs.astep, 1 + sh.k);
    const golden::Matrix w = ints(sh.k, sh.n, cs.wlo, cs.whi, cs.wstep, 2 + sh.k);
    const auto gold = golden::gemm(a, w, o);
    ASSERT_EQ(gold.semantics, golden::GemmSemantics::kInteger);
    std::vector<float> first;
    for (const char* v : {"qserve", "hilo"}) {
      SCOPED_TRACE(v);
      auto pe = make(4, 2, 16, 2, v);
      ASSERT_FALSE(pe->unsupported(f).has_value()) << *pe->unsupported(f);
      EXPECT_EQ(pe->timing(f).cycles_per_issue, 2 * cs.passes);
      const auto qa = golden::quantize_rows(a, f.a), qw = golden::quantize_cols(w, f.w);
      const auto issue = run_quantized(*pe, f, sh.rows, sh.cols, Dataflow::kOutputStationary, qa,
                                       qw, TileMode::kIssue);
      const auto exh = run_quantized(*pe, f, sh.rows, sh.cols, Dataflow::kOutputStationary, qa, qw,
                                     TileMode::kExhaustive);
      EXPECT_TRUE(same_bits(issue.c, gold.c.data));
      EXPECT_TRUE(same_bits(exh.c, gold.c.data));
      EXPECT_EQ(issue.actions, exh.actions);
      EXPECT_EQ(issue.cycles, exh.cycles);
      expect_counts_match_closed_form(issue.actions,
                                      closed_actions(*pe, f, sh.rows, sh.cols, sh.m, sh.n, sh.k));
      EXPECT_EQ(issue.actions[int4_tc::kAccWrap], gold.acc_overflows);  // none at these sizes
      // K in folds of 2 chunks continues the INT32 partial sums.
      const auto folded = run_folded(*pe, f, sh.rows, sh.cols, qa, qw, TileMode::kExhaustive, 32);
      EXPECT_TRUE(same_bits(folded.c, gold.c.data));
      if (first.empty()) first = issue.c;
      EXPECT_TRUE(same_bits(issue.c, first));  // hilo (b) == fused (a)
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Modes, Int4TcIntPairs,
    ::testing::Values(IntCase{"int4", "int4", -8, 7, 1, -8, 7, 1, 1},  // W4A4
                      IntCase{"int3", "uint2", -4, 3, 1, 0, 3, 1, 1},
                      IntCase{"uint4", "int4", 0, 15, 1, -8, 7, 1, 1},         // u4 x s4
                      IntCase{"int8", "int4", -128, 127, 1, -8, 7, 1, 2},      // W4A8
                      IntCase{"uint8", "int4", 0, 255, 1, -8, 7, 1, 2},        // u4 hi nibble
                      IntCase{"int2", "int8", -2, 1, 1, -128, 127, 1, 2},      // W8A2
                      IntCase{"int8", "int8", -128, 127, 1, -128, 127, 1, 4},  // W8A8
                      IntCase{"int6", "uint7", -32, 31, 1, 0, 127, 1, 4},
                      IntCase{"bipolar_int6", "bipolar_int6", -63, 63, 2, -63, 63, 2, 36},  // W6A6
                      IntCase{"bipolar_int8", "bipolar_int3", -255, 255, 2, -7, 7, 2, 24},  // W3A8
                      IntCase{"bipolar_int2", "bipolar_int5", -3, 3, 2, -31, 31, 2, 10}),
    [](const auto& tp) { return std::string(tp.param.a) + "_x_" + std::string(tp.param.w); });

TEST(Int4Tc, BitPlanesWithFragmentsWiderThanAWord) {
  // frag_k 100: chunks span two 64-bit words and exhaustive slices (50) straddle word edges.
  auto pe = make(3, 2, 100, 2);
  const PeFormats f = pair("bipolar_int3", "bipolar_int4");
  const golden::Matrix a = ints(7, 333, -7, 7, 2, 11), w = ints(333, 5, -15, 15, 2, 12);
  golden::GemmOptions o;
  o.a_format = f.a;
  o.b_format = f.w;
  const auto gold = golden::gemm(a, w, o);
  for (TileMode mode : {TileMode::kIssue, TileMode::kExhaustive}) {
    const auto r = run_gemm(*pe, f, 2, 2, Dataflow::kOutputStationary, a, w, mode);
    EXPECT_TRUE(same_bits(r.c, gold.c.data));
  }
}

// ---------------------------------------------------------------------------------------------
// INT32 wrap

TEST(Int4Tc, WrapCountEqualsGoldensChainUpAndDown) {
  // C[0,0]: 127 * 127 = 16129 per product; after 133148 products the running sum passes 2^31
  // (one wrap), then the second half (-127 weights) brings it back down through 2^31 (a second
  // wrap); the exact sum is 0. C[0,1] and C[1,1] wrap once, C[1,0] (126/127) stays below 2^31.
  // The fused INT8 MMA counts golden's per-product chain exactly; hilo adds pass partials (its
  // count is its own) but its values are the same modulo 2^32.
  const std::int64_t k = 2 * 133200;
  golden::Matrix a = golden::Matrix::zeros(2, k), w = golden::Matrix::zeros(k, 2);
  for (std::int64_t i = 0; i < k; ++i) {
    a.at(0, i) = 127;
    a.at(1, i) = i % 2 ? 127 : 126;
    w.at(i, 0) = i < k / 2 ? 127 : -127;
    w.at(i, 1) = 127;
  }
  golden::GemmOptions o;
  o.a_format = o.b_format = num::FormatSpec{"int8", {}};
  o.use_onednn = false;
  const auto gold = golden::gemm(a, w, o);
  ASSERT_EQ(gold.acc_overflows, 4u);
  for (TileMode mode : {TileMode::kIssue, TileMode::kExhaustive}) {
    auto r = run_gemm(*make(2, 2, 64, 2), pair("int8", "int8"), 1, 1, Dataflow::kOutputStationary,
                      a, w, mode);
    EXPECT_TRUE(same_bits(r.c, gold.c.data));
    EXPECT_EQ(r.actions[int4_tc::kAccWrap], gold.acc_overflows);
    auto h = run_gemm(*make(2, 2, 64, 2, "hilo"), pair("int8", "int8"), 1, 1,
                      Dataflow::kOutputStationary, a, w, mode);
    EXPECT_TRUE(same_bits(h.c, gold.c.data));
    EXPECT_GT(h.actions[int4_tc::kAccWrap], 0u);
  }
}

TEST(Int4Tc, BitPlaneAndHiLoValuesWrapLikeGolden) {
  // ~227^2 * 60000 > 2^31: the bit-plane and nibble accumulators wrap; values stay golden's.
  const std::int64_t k = 60000;
  golden::Matrix a = ints(2, k, 200, 255, 1, 5), w = ints(k, 3, 200, 255, 1, 6);
  for (auto& x : a.data) x = static_cast<float>(static_cast<int>(x) | 1);
  for (auto& x : w.data) x = static_cast<float>(static_cast<int>(x) | 1);
  for (const char* fa : {"bipolar_int8", "uint8"}) {
    SCOPED_TRACE(fa);
    const PeFormats f = pair(fa, fa);
    golden::GemmOptions o;
    o.a_format = f.a;
    o.b_format = f.w;
    o.use_onednn = false;
    const auto gold = golden::gemm(a, w, o);
    ASSERT_GT(gold.acc_overflows, 0u);
    auto r = run_gemm(*make(2, 2, 64, 1, "hilo"), f, 1, 2, Dataflow::kOutputStationary, a, w,
                      TileMode::kIssue);
    EXPECT_TRUE(same_bits(r.c, gold.c.data));
    EXPECT_GT(r.actions[int4_tc::kAccWrap], 0u);
  }
}

// ---------------------------------------------------------------------------------------------
// Group-scaled blocks (W4A4 with a per-group FP32 epilogue) against golden::gemm kBlockExact

struct GroupCase {
  const char* a;
  const char* w;
  int fk;
  int passes;
};
class Int4TcGroups : public ::testing::TestWithParam<GroupCase> {};

TEST_P(Int4TcGroups, EqualBlockExactGolden) {
  const GroupCase& cs = GetParam();
  const PeFormats f = pair(cs.a, cs.w);
  golden::GemmOptions o;
  o.a_format = f.a;
  o.b_format = f.w;
  for (const std::int64_t K : {75, 200, 7}) {
    SCOPED_TRACE(K);
    const golden::Matrix a = normal(11, K, 1.5f, 21 + K), w = normal(K, 10, 0.02f, 22 + K);
    const auto gold = golden::gemm(a, w, o);
    ASSERT_EQ(gold.semantics, golden::GemmSemantics::kBlockExact);
    for (const char* v : {"qserve", "hilo"}) {
      SCOPED_TRACE(v);
      auto pe = make(4, 3, cs.fk, 2, v);
      ASSERT_FALSE(pe->unsupported(f).has_value()) << *pe->unsupported(f);
      EXPECT_EQ(pe->timing(f).cycles_per_issue, 2 * cs.passes);
      const auto qa = golden::quantize_rows(a, f.a), qw = golden::quantize_cols(w, f.w);
      const auto issue =
          run_quantized(*pe, f, 2, 2, Dataflow::kOutputStationary, qa, qw, TileMode::kIssue);
      const auto exh =
          run_quantized(*pe, f, 2, 2, Dataflow::kOutputStationary, qa, qw, TileMode::kExhaustive);
      EXPECT_TRUE(same_bits(issue.c, gold.c.data));
      EXPECT_TRUE(same_bits(exh.c, gold.c.data));
      EXPECT_EQ(issue.actions, exh.actions);
      EXPECT_EQ(issue.cycles, exh.cycles);
      expect_counts_match_closed_form(issue.actions, closed_actions(*pe, f, 2, 2, 11, 10, K));
      const std::int64_t g = pe->kernel(f, 2, 2, Dataflow::kOutputStationary)->k_step();
      const auto folded = run_folded(*pe, f, 2, 2, qa, qw, TileMode::kIssue, 2 * g);
      EXPECT_TRUE(same_bits(folded.c, gold.c.data));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Blocks, Int4TcGroups,
    ::testing::Values(GroupCase{"bfp12", "bfp12", 16, 1},          // W4A4, 2 MMAs per group
                      GroupCase{"bfp12/b16", "bfp12/b16", 64, 1},  // group < frag_k
                      GroupCase{"bfp12/b48", "bfp12/b48", 32, 1},  // 32 + 16 per group
                      GroupCase{"bfp16", "bfp12", 16, 2},          // W4A8 groups
                      GroupCase{"mxint8", "mxint8", 32, 4}),
    [](const auto& tp) {
      std::string s = std::string(tp.param.a) + "_x_" + tp.param.w;
      for (auto& ch : s)
        if (ch == '/') ch = '_';
      return s;
    });

// ---------------------------------------------------------------------------------------------
// QServe W4A8 against an independent reference

// QServe's W4A8 per-group GEMM written from the numerics building blocks, not from the stored
// rows: level 1 and 2 quantization of each weight column, W8' = (q - z) * s2 as a plain integer
// product (not the byte-wise path), the exact integer sum wrapped to INT32, then
// half_rn(float_rn(psum) * s1).
std::vector<float> qserve_reference(const golden::Matrix& a, const golden::Matrix& w, int group) {
  const std::int64_t M = a.rows, K = a.cols, N = w.cols;
  std::vector<float> c(static_cast<std::size_t>(M * N));
  for (std::int64_t n = 0; n < N; ++n) {
    std::vector<float> col(static_cast<std::size_t>(K));
    for (std::int64_t k = 0; k < K; ++k) col[static_cast<std::size_t>(k)] = w.at(k, n);
    const num::QServeChannelScale s1 = num::qserve_channel_scale(col);
    std::vector<int> w8(col.size());
    for (std::size_t k = 0; k < col.size(); ++k) w8[k] = num::qserve_level1(col[k], s1.s1);
    for (std::size_t g0 = 0; g0 < w8.size(); g0 += static_cast<std::size_t>(group)) {
      const std::size_t g1 = std::min(w8.size(), g0 + static_cast<std::size_t>(group));
      const int vmin = *std::min_element(w8.begin() + static_cast<std::ptrdiff_t>(g0),
                                         w8.begin() + static_cast<std::ptrdiff_t>(g1));
      const int vmax = *std::max_element(w8.begin() + static_cast<std::ptrdiff_t>(g0),
                                         w8.begin() + static_cast<std::ptrdiff_t>(g1));
      const num::QServeGroupParams p = num::qserve_group_params(vmin, vmax);
      for (std::size_t k = g0; k < g1; ++k)
        w8[k] = (static_cast<int>(num::qserve_encode(w8[k], p)) - p.z) * p.s2;
    }
    for (std::int64_t m = 0; m < M; ++m) {
      std::int64_t s = 0;
      for (std::int64_t k = 0; k < K; ++k)
        s += static_cast<std::int64_t>(a.at(m, k)) * w8[static_cast<std::size_t>(k)];
      const auto psum = static_cast<std::int32_t>(static_cast<std::uint32_t>(s));
      c[static_cast<std::size_t>(m * N + n)] = num::round_to_fp16(static_cast<float>(psum) * s1.s1);
    }
  }
  return c;
}

TEST(Int4Tc, QServeEqualsIndependentReference) {
  for (const int group : {128, 32}) {
    for (const std::int64_t K : {300, 75}) {
      SCOPED_TRACE(::testing::Message() << "g" << group << " K " << K);
      const PeFormats f{num::FormatSpec{"int8", {}},
                        num::FormatSpec::parse("qserve_w4a8/g" + std::to_string(group))};
      const golden::Matrix a = ints(13, K, -128, 127, 1, 31 + K);
      golden::Matrix w = normal(K, 9, 0.05f, 32 + K);
      w.at(0, 0) = 0.9f;  // an outlier: the protective range and s1 at work
      const auto want = qserve_reference(a, w, group);
      std::vector<float> first;
      for (const char* v : {"qserve", "hilo"}) {
        SCOPED_TRACE(v);
        auto pe = make(4, 2, 16, 2, v);
        ASSERT_FALSE(pe->unsupported(f).has_value()) << *pe->unsupported(f);
        EXPECT_EQ(pe->timing(f).cycles_per_issue, 2 * 4);  // INT8 x INT8 on INT4 units
        const auto qa = golden::quantize_rows(a, f.a), qw = golden::quantize_cols(w, f.w);
        const auto issue =
            run_quantized(*pe, f, 2, 3, Dataflow::kOutputStationary, qa, qw, TileMode::kIssue);
        const auto exh =
            run_quantized(*pe, f, 2, 3, Dataflow::kOutputStationary, qa, qw, TileMode::kExhaustive);
        EXPECT_TRUE(same_bits(issue.c, want));
        EXPECT_TRUE(same_bits(exh.c, want));
        EXPECT_EQ(issue.actions, exh.actions);
        EXPECT_EQ(issue.cycles, exh.cycles);
        expect_counts_match_closed_form(issue.actions, closed_actions(*pe, f, 2, 3, 13, 9, K));
        EXPECT_EQ(issue.actions[int4_tc::kEpilogue], 13u * 9);
        // Every unit row dequantizes its own weights: ceil(13 / 4) unit rows x 9 x K.
        EXPECT_EQ(issue.actions[int4_tc::kDequant], 4u * 9 * static_cast<std::uint64_t>(K));
        const auto folded = run_folded(*pe, f, 2, 3, qa, qw, TileMode::kExhaustive, 32);
        EXPECT_TRUE(same_bits(folded.c, want));
        // PeType::dot gives the same value for one output.
        ActionCounts c;
        EXPECT_EQ(std::bit_cast<std::uint32_t>(pe->dot(qa.lines[3], qw.lines[4], c)),
                  std::bit_cast<std::uint32_t>(want[3 * 9 + 4]));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// dot, timing, unsupported pairs

TEST(Int4Tc, DotEqualsTheArrayForEveryDatasheetPair) {
  auto pe = make(16, 8, 64, 2);
  for (const PeFormats& f : pe->example_formats()) {
    SCOPED_TRACE(f.a.str() + " x " + f.w.str());
    ASSERT_FALSE(pe->unsupported(f).has_value());
    const std::int64_t K = 150;
    const bool bip = f.a.name.starts_with("bipolar");
    const golden::Matrix a = bip ? ints(3, K, -7, 7, 2, 41) : normal(3, K, 3.0f, 41);
    const golden::Matrix w = bip ? ints(K, 2, -7, 7, 2, 42) : normal(K, 2, 0.1f, 42);
    const auto qa = golden::quantize_rows(a, f.a), qw = golden::quantize_cols(w, f.w);
    const auto r =
        run_quantized(*pe, f, 1, 1, Dataflow::kOutputStationary, qa, qw, TileMode::kIssue);
    for (int m = 0; m < 3; ++m)
      for (int n = 0; n < 2; ++n) {
        ActionCounts c;
        const float d = pe->dot(qa.lines[static_cast<std::size_t>(m)],
                                qw.lines[static_cast<std::size_t>(n)], c);
        EXPECT_EQ(std::bit_cast<std::uint32_t>(d),
                  std::bit_cast<std::uint32_t>(r.c[static_cast<std::size_t>(m * 2 + n)]));
        EXPECT_EQ(c.size(), static_cast<std::size_t>(int4_tc::kActionCount));
      }
  }
}

TEST(Int4Tc, TimingTable) {
  auto pe = make(16, 8, 64, 2);
  struct Row {
    const char* a;
    const char* w;
    int passes, latency;
  };
  for (const Row r :
       {Row{"int4", "int4", 1, 4}, Row{"int8", "int4", 2, 4}, Row{"int8", "int8", 4, 4},
        Row{"int8", "qserve_w4a8", 4, 9}, Row{"bfp12", "bfp12", 1, 8},
        Row{"mxint8", "mxint8", 4, 8}, Row{"bipolar_int6", "bipolar_int6", 36, 4},
        Row{"bipolar_int8", "bipolar_int3", 24, 4}}) {
    SCOPED_TRACE(std::string(r.a) + " x " + r.w);
    const PeTiming t = pe->timing(pair(r.a, r.w));
    EXPECT_EQ(t.cycles_per_issue, 2 * r.passes);
    EXPECT_EQ(t.latency, r.latency);
    EXPECT_EQ(t.k_per_issue, 16 * 8 * 64);
  }
  // One fold of 32 x 16 outputs (2 x 2 units), K = 1000: ceil(1000 / 64) = 16 chunks.
  auto k = pe->kernel(pair("int8", "int4"), 2, 2, Dataflow::kOutputStationary);
  std::vector<num::QuantizedRow> none;
  k->begin(none, none, 32, 16, 1000, false);
  const TileRun r = k->run_tile(Tile{0, 0, 0, 32, 16, 1000, true}, TileMode::kTiming);
  EXPECT_EQ(r.cycles, 16u * 2 * 2 + 4 + 16);
  EXPECT_EQ(r.actions[int4_tc::kMmaInt4], 4u * 16 * 2);
  EXPECT_EQ(r.actions[int4_tc::kAccAdd], 32u * 16 * 16);  // fused: one add per output per MMA
}

TEST(Int4Tc, CostsNameTheirParts) {
  auto pe = make(16, 8, 64, 2);
  const PeCost c = pe->cost(pair("int8", "qserve_w4a8"), cost::Tech::node(45));
  ASSERT_EQ(c.actions.size(), static_cast<std::size_t>(int4_tc::kActionCount));
  const char* names[] = {"mma_int4", "mma_b1", "acc_add", "epilogue", "dequant", "acc_wrap"};
  for (std::size_t i = 0; i < c.actions.size(); ++i) {
    EXPECT_EQ(c.actions[i].name, names[i]);
    EXPECT_FALSE(c.actions[i].parts.empty());
  }
  EXPECT_EQ(c.actions[int4_tc::kAccWrap].energy_pj, 0.0);
  EXPECT_GT(c.actions[int4_tc::kMmaInt4].energy_pj, c.actions[int4_tc::kAccAdd].energy_pj);
  EXPECT_GT(c.area_um2, 0);
}

TEST(Int4Tc, UnsupportedPairsSayWhy) {
  auto pe = make(16, 8, 64, 2);
  auto why = pe->unsupported(pair("fp16", "int4"));
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("got fp16 x int4"), std::string::npos) << *why;
  EXPECT_TRUE(pe->unsupported(pair("bipolar_int4", "int4")));
  EXPECT_TRUE(pe->unsupported(pair("mxfp4", "mxfp4")));
  EXPECT_TRUE(pe->unsupported(pair("int4_g128", "int8")));
  why = pe->unsupported(pair("qserve_w4a8", "int8"));
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("weight format"), std::string::npos) << *why;
  why = pe->unsupported(pair("int8", "bfp12"));
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("both operands block-scaled"), std::string::npos) << *why;
  why = pe->unsupported(pair("bfp12/b16", "bfp12"));
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("block sizes differ (16 vs 32)"), std::string::npos) << *why;
  EXPECT_TRUE(pe->unsupported(pair("bipolar_int4", "qserve_w4a8")));
}

}  // namespace
}  // namespace mpsim::sim
