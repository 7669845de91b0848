// DESCRIPTION: The cycle-level engine on whole GEMM ops: SCALE-Sim's compute-cycle formulas for
// int8_mac WS/OS under ideal memory, golden value checks (full, sampled), memoized == exhaustive,
// seeded random DRAM stalls (no deadlock, same values), infeasible designs with reasons, and
// memory-stall sanity. SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "mpsim/core/engine.h"

namespace mpsim::sim {
namespace {

ArchSpec make_arch(int rows, int cols, Dataflow d, std::string pe = "int8_mac", PeParams p = {}) {
  ArchSpec a;
  a.name = "test";
  a.rows = rows;
  a.cols = cols;
  a.dataflow = d;
  a.pe_type = pe;
  a.pe_params = p;
  a.pe = builtin_pe_types().create(pe, p);
  a.weight_buf = BufferSpec{1024, 8, 1 << 16, true};
  a.act_buf = BufferSpec{1024, 8, 1 << 16, true};
  a.out_buf = BufferSpec{1024, 8, 1 << 16, true};
  return a;
}

workload::Op gemm(std::string name, std::int64_t m, std::int64_t k, std::int64_t n,
                  std::string a = "int8", std::string b = "int8") {
  workload::Op op;
  op.name = std::move(name);
  op.kind = workload::OpKind::kGemm;
  op.m = m, op.k = k, op.n = n;
  op.a_format = num::FormatSpec{a, {}};
  op.b_format = num::FormatSpec{b, {}};
  op.out_format = num::FormatSpec{"fp32", {}};
  return op;
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// SCALE-Sim (Samajdar et al., arXiv 1811.02883 / ISPASS'20): each fold of an R x C array costs
// 2R + C + T - 2 cycles; WS maps (K, N) spatially and streams T = M, OS maps (M, N) and streams K.
std::uint64_t scalesim_ws(std::int64_t M, std::int64_t K, std::int64_t N, int R, int C) {
  return static_cast<std::uint64_t>(ceil_div(K, R) * ceil_div(N, C) * (2 * R + C + M - 2));
}
std::uint64_t scalesim_os(std::int64_t M, std::int64_t K, std::int64_t N, int R, int C) {
  return static_cast<std::uint64_t>(ceil_div(M, R) * ceil_div(N, C) * (2 * R + C + K - 2));
}

struct Shape {
  std::int64_t m, k, n;
  int rows, cols;
};

class ScaleSimCompat : public ::testing::TestWithParam<Shape> {};

TEST_P(ScaleSimCompat, WeightAndOutputStationaryComputeCycles) {
  const Shape s = GetParam();
  SimOptions o;
  o.ideal_memory = true;
  o.check.kind = CheckMode::kFull;
  workload::Trace t;
  t.ops.push_back(gemm("g", s.m, s.k, s.n));
  for (Dataflow d : {Dataflow::kWeightStationary, Dataflow::kOutputStationary}) {
    ArchSpec a = make_arch(s.rows, s.cols, d);
    Engine e(a, o);
    RunStats r = e.run(t);
    ASSERT_TRUE(r.feasible) << r.infeasible_reason;
    const auto want = d == Dataflow::kWeightStationary ? scalesim_ws(s.m, s.k, s.n, s.rows, s.cols)
                                                       : scalesim_os(s.m, s.k, s.n, s.rows, s.cols);
    EXPECT_EQ(r.ops[0].compute_cycles, want) << to_string(d);
    EXPECT_EQ(r.ops[0].cycles, want) << to_string(d);
    EXPECT_EQ(r.ops[0].stall_cycles, 0u);
    EXPECT_TRUE(r.mismatches.empty());
    EXPECT_EQ(r.checked_outputs, s.m * s.n);
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, ScaleSimCompat,
                         ::testing::Values(Shape{1, 1, 1, 1, 1}, Shape{3, 2, 2, 2, 2},
                                           Shape{16, 16, 16, 4, 4}, Shape{7, 33, 9, 8, 4},
                                           Shape{64, 100, 70, 16, 16}, Shape{5, 8, 40, 32, 8}));

TEST(Engine, MemoizedEqualsExhaustive) {
  workload::Trace t;
  t.ops.push_back(gemm("a", 21, 50, 19));
  t.ops.push_back(gemm("b", 9, 64, 33, "fp16", "bf16"));
  for (Dataflow d : {Dataflow::kWeightStationary, Dataflow::kOutputStationary}) {
    ArchSpec a = make_arch(4, 8, d);
    a.act_buf.kib = 1;  // forces several M blocks and reuse of memoized folds
    SimOptions memo;
    memo.check.kind = CheckMode::kSample;
    memo.check.samples = 2;
    SimOptions exh = memo;
    exh.exhaustive = true;
    Engine e1(a, memo), e2(a, exh);
    RunStats r1 = e1.run(t), r2 = e2.run(t);
    ASSERT_TRUE(r1.feasible && r2.feasible);
    for (std::size_t i = 0; i < t.ops.size(); ++i) {
      EXPECT_EQ(r1.ops[i].cycles, r2.ops[i].cycles);
      EXPECT_EQ(r1.ops[i].compute_cycles, r2.ops[i].compute_cycles);
      EXPECT_EQ(r1.ops[i].actions, r2.ops[i].actions);
      EXPECT_LT(r1.ops[i].stepped_folds, r2.ops[i].stepped_folds);
      EXPECT_EQ(r2.ops[i].stepped_folds, r2.ops[i].folds);
    }
    EXPECT_TRUE(r1.mismatches.empty());
    EXPECT_TRUE(r2.mismatches.empty());
    EXPECT_EQ(r2.checked_outputs, 21 * 19 + 9 * 33);
  }
}

TEST(Engine, RandomDramStallsChangeTimeNotValues) {
  workload::Trace t;
  t.ops.push_back(gemm("g", 40, 96, 48));
  ArchSpec a = make_arch(8, 8, Dataflow::kWeightStationary);
  a.weight_buf.kib = 0.25;  // weights streamed fold by fold
  a.dram.bandwidth_gbps = 4;
  SimOptions o;
  o.check.kind = CheckMode::kFull;
  RunStats base = Engine(a, o).run(t);
  a.dram.jitter_cycles = 500;
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    a.dram.jitter_seed = seed;
    RunStats r = Engine(a, o).run(t);
    ASSERT_TRUE(r.feasible);
    EXPECT_TRUE(r.mismatches.empty());
    EXPECT_EQ(r.checked_outputs, 40 * 48);
    EXPECT_EQ(r.ops[0].compute_cycles, base.ops[0].compute_cycles);
    EXPECT_GT(r.ops[0].cycles, base.ops[0].cycles);  // jitter only ever adds latency
  }
  EXPECT_GT(base.ops[0].stall_cycles, 0u);
}

TEST(Engine, IdealMemoryRemovesStallsOnly) {
  workload::Trace t;
  t.ops.push_back(gemm("g", 4, 512, 512));
  ArchSpec a = make_arch(16, 16, Dataflow::kWeightStationary);
  a.dram.bandwidth_gbps = 1;
  SimOptions o;
  o.check.kind = CheckMode::kOff;
  RunStats slow = Engine(a, o).run(t);
  o.ideal_memory = true;
  RunStats ideal = Engine(a, o).run(t);
  EXPECT_EQ(slow.ops[0].compute_cycles, ideal.ops[0].compute_cycles);
  EXPECT_EQ(ideal.ops[0].stall_cycles, 0u);
  // 512x512 int8 weights = 256 KiB over 1 GB/s at 1 GHz = 1 byte/cycle: at least 262144 cycles.
  EXPECT_GE(slow.ops[0].cycles, 262144u);
  EXPECT_EQ(slow.ops[0].dram_read_bytes, 512.0 * 512 + 4 * 512);
}

TEST(Engine, InfeasibleDesignsAreResultsWithReasons) {
  workload::Trace t;
  t.ops.push_back(gemm("w_too_big", 4, 64, 64));
  t.ops.push_back(gemm("mixed", 4, 64, 64, "fp16", "int4"));
  ArchSpec a = make_arch(32, 32, Dataflow::kWeightStationary);
  a.weight_buf.kib = 1.0;  // a 32x32 int8 fold needs 1 KiB, the double-buffered tile holds 0.5
  SimOptions o;
  RunStats r = Engine(a, o).run(t);
  EXPECT_FALSE(r.feasible);
  EXPECT_NE(r.infeasible_reason.find("op w_too_big: weight buffer tile of 512 B cannot hold one "
                                     "32x32 weight fold (1024 B)"),
            std::string::npos)
      << r.infeasible_reason;
  ASSERT_EQ(r.ops.size(), 2u);
  EXPECT_NE(r.ops[1].tiling.find("fp16 x int4"), std::string::npos) << r.ops[1].tiling;
}

TEST(Engine, StorageIncludesScaleOverhead) {
  // MXFP4 stores 4 bits per element plus an 8-bit scale per 32: 4.25 bits; MXFP8 8.25.
  workload::Trace t;
  t.ops.push_back(gemm("g", 16, 256, 64, "mxfp8_e4m3", "mxfp4"));
  ArchSpec a = make_arch(8, 8, Dataflow::kWeightStationary, "block_fp");
  SimOptions o;
  o.check.kind = CheckMode::kOff;
  const RunStats r = Engine(a, o).run(t);
  ASSERT_TRUE(r.feasible) << r.infeasible_reason;
  EXPECT_DOUBLE_EQ(r.ops[0].dram_read_bytes, 256.0 * 64 * 4.25 / 8 + 16.0 * 256 * 8.25 / 8);
  EXPECT_DOUBLE_EQ(r.ops[0].dram_write_bytes, 16.0 * 64 * 4);  // fp32 outputs
}

TEST(Engine, VectorSoftmaxTwoPassMovesLessData) {
  workload::Trace t;
  workload::Op sm;
  sm.name = "softmax";
  sm.kind = workload::OpKind::kSoftmax;
  sm.m = 512, sm.n = 4096;
  sm.a_format = sm.out_format = num::FormatSpec{"fp16", {}};
  t.ops.push_back(sm);
  ArchSpec a = make_arch(8, 8, Dataflow::kWeightStationary);
  a.act_buf.kib = 64;  // 4 MiB tensor does not fit: every pass re-reads DRAM
  SimOptions o;
  a.vector.softmax = SoftmaxAlgo::kThreePass;
  RunStats three = Engine(a, o).run(t);
  a.vector.softmax = SoftmaxAlgo::kTwoPass;
  RunStats two = Engine(a, o).run(t);
  const double bytes = 512.0 * 4096 * 2;
  EXPECT_EQ(three.ops[0].dram_read_bytes, 3 * bytes);
  EXPECT_EQ(two.ops[0].dram_read_bytes, 2 * bytes);
  EXPECT_EQ(three.ops[0].dram_write_bytes, bytes);
  EXPECT_LT(two.ops[0].cycles, three.ops[0].cycles);
}

TEST(Engine, EnergyAndAreaAreAccounted) {
  workload::Trace t;
  t.ops.push_back(gemm("g", 8, 64, 64));
  ArchSpec a = make_arch(8, 8, Dataflow::kOutputStationary);
  SimOptions o;
  RunStats r = Engine(a, o).run(t);
  ASSERT_EQ(r.ops[0].actions.at("mac"), 8u * 64 * 64);
  auto pe = a.pe->cost(PeFormats{}, cost::Tech::node(45));
  EXPECT_DOUBLE_EQ(r.ops[0].energy.pe, 8.0 * 64 * 64 * pe.actions[0].energy_pj);
  EXPECT_GT(r.energy.buffers, 0);
  EXPECT_GT(r.energy.dram, 0);
  EXPECT_GT(r.energy.leakage, 0);
  EXPECT_NEAR(r.area_breakdown_mm2.at("pe_array"), 64 * pe.area_um2 * 1e-6, 1e-12);
  EXPECT_GT(r.area_mm2, r.area_breakdown_mm2.at("pe_array"));
}

}  // namespace
}  // namespace mpsim::sim
