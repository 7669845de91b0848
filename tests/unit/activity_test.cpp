// DESCRIPTION: Register switching activity (sim/core/activity.h): a hand-worked WS fold and OS
// fold, zero operands toggle nothing, uniformly random codes toggle about half the bits, and the
// engine's activity energy model (calibrated so alpha = 0.5 reproduces the per-action energy)
// reports alpha and charges less than the fixed model on LLM-like operands.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/core/activity.h"

#include <gtest/gtest.h>

#include <random>

#include "mpsim/base/error.h"
#include "mpsim/core/engine.h"

namespace mpsim::sim {
namespace {

std::vector<num::QuantizedRow> int8_lines(const std::vector<std::vector<float>>& lines) {
  auto q = num::builtin_formats().create("int8");
  std::vector<num::QuantizedRow> out;
  for (const auto& l : lines) out.push_back(q->quantize(l));
  return out;
}

TEST(Activity, HandWorkedWeightStationaryFold) {
  // A = [1; -127] (2 x 1), W = [3] (1 x 1). PE(0,0): weight register 0 -> 0x03 (2 toggles); its
  // activation register 0x01 -> 0x81 (1 toggle); its partial sums 3 -> -381:
  // 0x00000003 ^ 0xFFFFFE83 = 0xFFFFFE80 (24 toggles).
  const auto a = int8_lines({{1.0f}, {-127.0f}});
  const auto w = int8_lines({{3.0f}});
  std::vector<std::uint32_t> wreg(1, 0);
  const Tile t{0, 0, 0, 2, 1, 1, true};
  const Activity act =
      fold_activity(t, Dataflow::kWeightStationary, 1, a, w, 8, 8, /*integer_acc=*/true, wreg);
  EXPECT_EQ(act.w_toggles, 2u);
  EXPECT_EQ(act.a_toggles, 1u);
  EXPECT_EQ(act.acc_toggles, 24u);
  EXPECT_EQ(act.w_bits, 8u);
  EXPECT_EQ(act.a_bits, 8u);
  EXPECT_EQ(act.acc_bits, 32u);
  EXPECT_DOUBLE_EQ(act.alpha(), 27.0 / 48.0);
  EXPECT_EQ(wreg[0], 3u);
  // Loading the same weight again toggles nothing.
  const Activity again = fold_activity(t, Dataflow::kWeightStationary, 1, a, w, 8, 8, true, wreg);
  EXPECT_EQ(again.w_toggles, 0u);
}

TEST(Activity, HandWorkedOutputStationaryFold) {
  // PE(0,0) owns C[0][0]: a = [1, 2] along k, w = [1, -1]. Activation register 0x01 -> 0x02
  // (2 toggles), weight register 0x01 -> 0xFF (7), accumulator 0 -> 1 -> -1: 1 + 31 toggles.
  const auto a = int8_lines({{1.0f, 2.0f}});
  const auto w = int8_lines({{1.0f, -1.0f}});
  const Tile t{0, 0, 0, 1, 1, 2, true};
  const Activity act = fold_activity(t, Dataflow::kOutputStationary, 1, a, w, 8, 8, true, {});
  EXPECT_EQ(act.a_toggles, 2u);
  EXPECT_EQ(act.w_toggles, 7u);
  EXPECT_EQ(act.acc_toggles, 32u);
  EXPECT_EQ(act.acc_bits, 64u);
}

TEST(Activity, ZeroOperandsToggleNothingAndRandomOnesAboutHalf) {
  const int M = 64, K = 16, N = 8;
  std::vector<std::vector<float>> za(M, std::vector<float>(K, 0.0f)),
      zw(N, std::vector<float>(K, 0.0f));
  std::vector<std::uint32_t> wreg(static_cast<std::size_t>(K * N), 0);
  const Tile t{0, 0, 0, M, N, K, true};
  const Activity zero = fold_activity(t, Dataflow::kWeightStationary, N, int8_lines(za),
                                      int8_lines(zw), 8, 8, true, wreg);
  EXPECT_EQ(zero.toggles(), 0u);
  EXPECT_GT(zero.bits(), 0u);

  std::mt19937 g(1);
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<std::vector<float>> ra(M, std::vector<float>(K)), rw(N, std::vector<float>(K));
  for (auto& l : ra)
    for (auto& v : l) v = static_cast<float>(d(g));
  for (auto& l : rw)
    for (auto& v : l) v = static_cast<float>(d(g));
  const Activity rnd = fold_activity(t, Dataflow::kWeightStationary, N, int8_lines(ra),
                                     int8_lines(rw), 8, 8, true, wreg);
  const double a_alpha = static_cast<double>(rnd.a_toggles) / static_cast<double>(rnd.a_bits);
  EXPECT_NEAR(a_alpha, 0.5, 0.03);
  EXPECT_NEAR(static_cast<double>(rnd.w_toggles) / static_cast<double>(rnd.w_bits), 0.5, 0.06);
  // Partial sums of random products are random in their low bits and sign-extended above: fewer
  // than half of the 32 bits toggle.
  const double acc_alpha = static_cast<double>(rnd.acc_toggles) / static_cast<double>(rnd.acc_bits);
  EXPECT_GT(acc_alpha, 0.2);
  EXPECT_LT(acc_alpha, 0.5);
}

workload::Op gemm(std::int64_t m, std::int64_t k, std::int64_t n) {
  workload::Op op;
  op.name = "g";
  op.kind = workload::OpKind::kGemm;
  op.m = m, op.k = k, op.n = n;
  op.a_format = num::FormatSpec{"int8", {}};
  op.b_format = num::FormatSpec{"int8", {}};
  op.out_format = num::FormatSpec{"fp32", {}};
  return op;
}

TEST(Activity, EngineActivityModelIsCalibratedAndReported) {
  ArchSpec a;
  a.name = "t";
  a.rows = a.cols = 8;
  a.pe_type = "int8_mac";
  a.pe = builtin_pe_types().create("int8_mac", {});
  a.weight_buf = a.act_buf = a.out_buf = BufferSpec{256, 8, 1 << 16, true};
  workload::Trace t;
  t.ops.push_back(gemm(64, 64, 64));
  SimOptions fixed;
  fixed.check.kind = CheckMode::kFull;
  SimOptions act = fixed;
  act.energy_model = EnergyModel::kActivity;
  const RunStats rf = Engine(a, fixed).run(t), ra = Engine(a, act).run(t);
  ASSERT_TRUE(rf.feasible && ra.feasible);
  const OpStats &f = rf.ops[0], &x = ra.ops[0];
  EXPECT_EQ(f.energy_model, "fixed");
  EXPECT_EQ(x.energy_model, "activity");
  EXPECT_EQ(f.cycles, x.cycles);
  EXPECT_EQ(f.energy.buffers, x.energy.buffers);
  // Scalar int8 operands are synthesized as uniform codes: random data, so alpha is near the
  // reference activity and the two models nearly agree.
  EXPECT_NEAR(x.activity_alpha, kReferenceActivity, 0.05);
  // The calibration: E_activity = E_fixed * alpha / 0.5, and pJ per toggle * toggles of the whole
  // op (every fold stepped here) is the activity energy.
  EXPECT_NEAR(x.energy.pe, f.energy.pe * x.activity_alpha / kReferenceActivity, 1e-6 * f.energy.pe);
  EXPECT_NEAR(x.pj_per_toggle * static_cast<double>(x.activity.toggles()), x.energy.pe,
              1e-6 * x.energy.pe);

  // Without values (check off) there is no activity to measure: the op says it fell back.
  SimOptions off = act;
  off.check.kind = CheckMode::kOff;
  const RunStats ro = Engine(a, off).run(t);
  EXPECT_EQ(ro.ops[0].energy_model, "fixed");
  EXPECT_EQ(ro.ops[0].energy.pe, f.energy.pe);
  EXPECT_THROW(parse_energy_model("toggles"), mpsim::ConfigError);
}

TEST(Activity, BlockFormatsWithLlmLikeOperandsAreScaledByTheirOwnActivity) {
  ArchSpec a;
  a.name = "t";
  a.rows = a.cols = 8;
  a.pe_type = "block_fp";
  a.pe = builtin_pe_types().create("block_fp", {});
  a.weight_buf = a.act_buf = a.out_buf = BufferSpec{256, 8, 1 << 16, true};
  workload::Trace t;
  workload::Op op = gemm(32, 128, 32);
  op.a_format = num::FormatSpec{"mxfp8_e4m3", {}};
  op.b_format = num::FormatSpec{"mxfp4", {}};
  t.ops.push_back(op);
  SimOptions fixed;
  fixed.check.kind = CheckMode::kFull;
  SimOptions act = fixed;
  act.energy_model = EnergyModel::kActivity;
  const RunStats rf = Engine(a, fixed).run(t), ra = Engine(a, act).run(t);
  ASSERT_TRUE(rf.feasible && ra.feasible) << ra.infeasible_reason;
  const OpStats &f = rf.ops[0], &x = ra.ops[0];
  EXPECT_EQ(x.energy_model, "activity");
  EXPECT_GT(x.activity_alpha, 0.0);
  EXPECT_LT(x.activity_alpha, 1.0);
  EXPECT_GT(std::abs(x.activity_alpha - kReferenceActivity), 0.02);  // not random data
  EXPECT_NEAR(x.energy.pe, f.energy.pe * x.activity_alpha / kReferenceActivity, 1e-6 * f.energy.pe);
}

}  // namespace
}  // namespace mpsim::sim
