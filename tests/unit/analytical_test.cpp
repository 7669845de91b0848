// DESCRIPTION: The analytical model against the cycle-level engine (check off): exact cycles on
// single-fold micro-cases of every family (and SCALE-Sim's formulas for int8_mac), every statistic
// on randomized GEMMs, vector ops and memory systems, the same infeasibility reasons, the same
// area, and the per-op error table on the preset workloads (docs/analytical.md).
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/analytical/analytical.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "mpsim/core/arch_spec.h"
#include "mpsim/core/engine.h"
#include "mpsim/workload/model_config.h"
#include "mpsim/workload/presets.h"
#include "mpsim/workload/recipe.h"

namespace mpsim::analytical {
namespace {

using sim::ArchSpec;
using sim::Dataflow;
using sim::OpStats;
using sim::RunStats;

const std::string kSrc = MPSIM_SOURCE_DIR;

sim::SimOptions engine_options(bool ideal_memory) {
  sim::SimOptions o;
  o.check.kind = sim::CheckMode::kOff;
  o.ideal_memory = ideal_memory;
  return o;
}

RunStats engine_run(const ArchSpec& arch, const workload::Trace& t, bool ideal_memory = false) {
  sim::Engine e(arch, engine_options(ideal_memory));
  return e.run(t);
}

ArchSpec make_arch(const std::string& pe, int rows, int cols, Dataflow d) {
  ArchSpec a;
  a.name = "test";
  a.rows = rows;
  a.cols = cols;
  a.dataflow = d;
  a.pe_type = pe;
  a.pe = sim::builtin_pe_types().create(pe, {});
  a.weight_buf = sim::BufferSpec{1024, 8, 1 << 16, true};
  a.act_buf = sim::BufferSpec{1024, 8, 1 << 16, true};
  a.out_buf = sim::BufferSpec{1024, 8, 1 << 16, true};
  return a;
}

workload::Op gemm(std::string name, std::int64_t m, std::int64_t k, std::int64_t n,
                  const num::FormatSpec& a, const num::FormatSpec& b) {
  workload::Op op;
  op.name = std::move(name);
  op.kind = workload::OpKind::kGemm;
  op.m = m, op.k = k, op.n = n;
  op.a_format = a;
  op.b_format = b;
  op.out_format = num::FormatSpec{"fp16", {}};
  return op;
}

// Every statistic the engine reports with values off must come out the same.
void expect_same_op(const OpStats& e, const OpStats& a) {
  SCOPED_TRACE("op " + e.op + " (" + e.tiling + ")");
  EXPECT_EQ(a.op, e.op);
  EXPECT_EQ(a.kind, e.kind);
  EXPECT_EQ(a.group, e.group);
  EXPECT_EQ(a.macs, e.macs);
  EXPECT_EQ(a.cycles, e.cycles);
  EXPECT_EQ(a.compute_cycles, e.compute_cycles);
  EXPECT_EQ(a.stall_cycles, e.stall_cycles);
  EXPECT_EQ(a.start_cycle, e.start_cycle);
  EXPECT_DOUBLE_EQ(a.utilization, e.utilization);
  EXPECT_DOUBLE_EQ(a.dram_read_bytes, e.dram_read_bytes);
  EXPECT_DOUBLE_EQ(a.dram_write_bytes, e.dram_write_bytes);
  EXPECT_DOUBLE_EQ(a.weight_buf_bytes, e.weight_buf_bytes);
  EXPECT_DOUBLE_EQ(a.act_buf_bytes, e.act_buf_bytes);
  EXPECT_DOUBLE_EQ(a.out_buf_bytes, e.out_buf_bytes);
  EXPECT_EQ(a.actions, e.actions);
  EXPECT_DOUBLE_EQ(a.energy.pe, e.energy.pe);
  EXPECT_DOUBLE_EQ(a.energy.buffers, e.energy.buffers);
  EXPECT_DOUBLE_EQ(a.energy.dram, e.energy.dram);
  EXPECT_DOUBLE_EQ(a.energy.vector, e.energy.vector);
  EXPECT_DOUBLE_EQ(a.energy.leakage, e.energy.leakage);
  EXPECT_EQ(a.folds, e.folds);
  EXPECT_EQ(a.distinct_folds, e.distinct_folds);
  EXPECT_EQ(a.tiling, e.tiling);
  EXPECT_EQ(a.energy_model, e.energy_model);
}

void expect_same_run(const RunStats& e, const RunStats& a) {
  EXPECT_EQ(a.feasible, e.feasible);
  EXPECT_EQ(a.infeasible_reason, e.infeasible_reason);
  ASSERT_EQ(a.ops.size(), e.ops.size());
  for (std::size_t i = 0; i < e.ops.size(); ++i) expect_same_op(e.ops[i], a.ops[i]);
  EXPECT_EQ(a.cycles, e.cycles);
  EXPECT_EQ(a.compute_cycles, e.compute_cycles);
  EXPECT_EQ(a.stall_cycles, e.stall_cycles);
  EXPECT_EQ(a.macs, e.macs);
  EXPECT_DOUBLE_EQ(a.energy.total(), e.energy.total());
  EXPECT_DOUBLE_EQ(a.area_mm2, e.area_mm2);
  EXPECT_EQ(a.area_breakdown_mm2, e.area_breakdown_mm2);
  EXPECT_DOUBLE_EQ(a.frequency_mhz, e.frequency_mhz);
}

// ---- (1) Micro-cases: one fold, ideal memory ------------------------------------------------

// SCALE-Sim (arXiv 1811.02883): one fold of an R x C array costs 2R + C + T - 2 cycles, T = M
// (WS) or K (OS).
TEST(AnalyticalMicro, Int8MacSingleFoldIsScaleSimsFormula) {
  const num::FormatSpec i8{"int8", {}};
  struct Case {
    int rows, cols;
    std::int64_t m, k, n;
  };
  for (const Case c : {Case{4, 4, 1, 1, 1}, Case{4, 4, 7, 4, 4}, Case{8, 4, 33, 5, 3},
                       Case{16, 16, 100, 16, 16}, Case{3, 5, 2, 3, 5}}) {
    for (const Dataflow d : {Dataflow::kWeightStationary, Dataflow::kOutputStationary}) {
      SCOPED_TRACE(testing::Message() << c.rows << "x" << c.cols << " " << sim::to_string(d));
      // WS holds K x N in the array and streams M; OS holds M x N and streams K.
      workload::Op op = d == Dataflow::kWeightStationary
                            ? gemm("g", c.m, std::min<std::int64_t>(c.k, c.rows),
                                   std::min<std::int64_t>(c.n, c.cols), i8, i8)
                            : gemm("g", std::min<std::int64_t>(c.m, c.rows), c.k,
                                   std::min<std::int64_t>(c.n, c.cols), i8, i8);
      workload::Trace t;
      t.ops.push_back(op);
      const ArchSpec arch = make_arch("int8_mac", c.rows, c.cols, d);
      const RunStats r = run(arch, t, AnalyticalOptions{true});
      ASSERT_TRUE(r.feasible) << r.infeasible_reason;
      const std::int64_t T = d == Dataflow::kWeightStationary ? op.m : op.k;
      EXPECT_EQ(r.ops[0].cycles, static_cast<std::uint64_t>(2 * c.rows + c.cols + T - 2));
      EXPECT_EQ(r.ops[0].stall_cycles, 0u);
      EXPECT_EQ(r.ops[0].folds, 1u);
    }
  }
}

// Every registered family and every format pair its datasheet lists: single-fold GEMMs (WS and
// OS) have exactly the engine's cycles, and for the systolic families the closed form of
// sim/core/systolic.h built from the family's PeTiming alone (plus the engine's latency - 1 tail).
TEST(AnalyticalMicro, EveryFamilySingleFoldEqualsTheEngine) {
  int cases = 0;
  for (const std::string& name : sim::builtin_pe_types().names()) {
    for (const Dataflow d : {Dataflow::kWeightStationary, Dataflow::kOutputStationary}) {
      const int R = 4, C = 4;
      const ArchSpec arch = make_arch(name, R, C, d);
      for (const sim::PeFormats& f : arch.pe->example_formats()) {
        SCOPED_TRACE(name + " " + f.a.str() + " x " + f.w.str() + " " +
                     std::string(sim::to_string(d)));
        const sim::PeTiming tm = arch.pe->timing(f);
        auto kernel = arch.pe->kernel(f, R, C, d);
        // A fold's worth of each dimension (the kernel's own bounds; streamed ones get a few
        // elements), so that exactly one fold runs.
        const std::int64_t k = kernel->max_kt() ? kernel->max_kt() : 3 * kernel->k_step();
        const std::int64_t m = kernel->max_mt() ? kernel->max_mt() : 5;
        const std::int64_t n = kernel->max_nt();
        workload::Trace t;
        t.ops.push_back(gemm("g", m, k, n, f.a, f.w));
        const RunStats e = engine_run(arch, t, true);
        const RunStats a = run(arch, t, AnalyticalOptions{true});
        ASSERT_TRUE(e.feasible) << e.infeasible_reason;
        ASSERT_EQ(e.ops[0].folds, 1u) << e.ops[0].tiling;
        EXPECT_EQ(a.ops[0].cycles, e.ops[0].cycles);
        expect_same_run(e, a);
        if (name != "int4_tc") {
          const std::int64_t ii = tm.cycles_per_issue, lat = tm.latency;
          const std::int64_t chunks = (k + tm.k_per_issue - 1) / tm.k_per_issue;
          const std::int64_t fold = d == Dataflow::kWeightStationary
                                        ? R + (m + R + C - 2) * ii + lat - 1
                                        : (chunks + R + C - 2) * ii + lat - 1 + R;
          EXPECT_EQ(a.ops[0].cycles, static_cast<std::uint64_t>(fold + lat - 1));
        }
        ++cases;
      }
    }
  }
  EXPECT_GE(cases, 2 * 5);  // every family, both dataflows
}

// ---- Randomized GEMMs, vector ops and memory systems ------------------------------------------

std::vector<num::FormatSpec> extra_formats() {
  return {num::FormatSpec::parse("gptq_int4/g64"), num::FormatSpec::parse("fp16"),
          num::FormatSpec::parse("int8"), num::FormatSpec::parse("mxfp4"),
          num::FormatSpec::parse("int4_g32")};
}

ArchSpec random_arch(std::mt19937_64& g, const std::string& pe) {
  auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(g);
  };
  const bool tc = pe == "int4_tc";
  ArchSpec a = make_arch(pe, static_cast<int>(tc ? pick(1, 3) : pick(1, 12)),
                         static_cast<int>(tc ? pick(1, 3) : pick(1, 12)),
                         pick(0, 1) ? Dataflow::kWeightStationary : Dataflow::kOutputStationary);
  a.frequency_mhz = static_cast<double>(pick(2, 20) * 100);
  // Buffers from far too small to holding everything: folds are cut by capacity, panels and
  // whole operands stay or do not, and some designs are infeasible.
  const double kibs[] = {0.0625, 0.25, 1, 4, 16, 64, 512};
  for (sim::BufferSpec* b : {&a.weight_buf, &a.act_buf, &a.out_buf}) {
    b->kib = kibs[pick(0, 6)];
    b->bytes_per_cycle = static_cast<int>(std::int64_t{1} << pick(0, 8));
    b->double_buffered = pick(0, 3) != 0;
  }
  a.dram.bandwidth_gbps = static_cast<double>(pick(1, 400));
  a.dram.latency_ns = static_cast<double>(pick(0, 300));
  a.vector.lanes = static_cast<int>(pick(1, 64));
  a.vector.softmax = pick(0, 1) ? sim::SoftmaxAlgo::kThreePass : sim::SoftmaxAlgo::kTwoPass;
  return a;
}

workload::Trace random_trace(std::mt19937_64& g, const ArchSpec& arch) {
  auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(g);
  };
  std::vector<sim::PeFormats> pairs = arch.pe->example_formats();
  for (const auto& x : extra_formats()) pairs.push_back({x, x});
  workload::Trace t;
  const int ops = static_cast<int>(pick(1, 6));
  for (int i = 0; i < ops; ++i) {
    const std::string name = "op" + std::to_string(i);
    if (pick(0, 4) == 0) {
      workload::Op v;
      v.name = name;
      const workload::OpKind kinds[] = {workload::OpKind::kSoftmax, workload::OpKind::kLayerNorm,
                                        workload::OpKind::kRmsNorm, workload::OpKind::kGelu,
                                        workload::OpKind::kSilu,    workload::OpKind::kElementwise};
      v.kind = kinds[pick(0, 5)];
      v.m = pick(1, 300), v.n = pick(1, 3000);
      if (pick(0, 1)) v.b_tensor = "residual";
      v.batch = pick(1, 3), v.repeat = pick(1, 4);
      t.ops.push_back(v);
      continue;
    }
    // Mostly the family's own pairs; K often a multiple of the common group sizes.
    const auto& f = pairs[static_cast<std::size_t>(
        pick(0, 9) == 0
            ? pick(0, static_cast<std::int64_t>(pairs.size()) - 1)
            : pick(0, static_cast<std::int64_t>(arch.pe->example_formats().size()) - 1))];
    const std::int64_t k = pick(0, 2) == 0 ? pick(1, 8) * 128 : pick(1, 700);
    workload::Op op = gemm(name, pick(1, 200), k, pick(1, 200), f.a, f.w);
    op.batch = pick(1, 2), op.repeat = pick(1, 3);
    if (pick(0, 3) == 0) op.kind = workload::OpKind::kBatchedGemm;
    t.ops.push_back(op);
  }
  return t;
}

class AnalyticalRandom : public ::testing::TestWithParam<std::string> {};

TEST_P(AnalyticalRandom, EveryStatisticEqualsTheEngine) {
  const std::string pe = GetParam();
  std::mt19937_64 g(std::hash<std::string>()(pe) ^ 0x5eed);
  int feasible = 0, infeasible = 0, multi_fold = 0;
  for (int i = 0; i < 150; ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    const ArchSpec arch = random_arch(g, pe);
    const workload::Trace t = random_trace(g, arch);
    const bool ideal = std::uniform_int_distribution<int>(0, 4)(g) == 0;
    const RunStats e = engine_run(arch, t, ideal);
    const RunStats a = run(arch, t, AnalyticalOptions{ideal});
    expect_same_run(e, a);
    if (::testing::Test::HasFailure()) break;  // one case's diff is enough to read
    (e.feasible ? feasible : infeasible)++;
    for (const auto& s : e.ops) multi_fold += s.folds > 8;
  }
  // The sample must exercise both outcomes and real fold pipelines, or it proves little.
  EXPECT_GT(feasible, 20);
  EXPECT_GT(infeasible, 5);
  EXPECT_GT(multi_fold, 50);
}

INSTANTIATE_TEST_SUITE_P(Families, AnalyticalRandom,
                         ::testing::ValuesIn(sim::builtin_pe_types().names()),
                         [](const auto& p) { return p.param; });

// Jitter draws per DRAM transfer from the engine's seeded stream: every fold is walked, in the
// engine's order, and the numbers still agree.
TEST(AnalyticalMemory, DramJitterFollowsTheEnginesStream) {
  ArchSpec arch = make_arch("int8_mac", 8, 8, Dataflow::kWeightStationary);
  arch.weight_buf.kib = 2, arch.act_buf.kib = 2;
  arch.dram.bandwidth_gbps = 16;
  arch.dram.jitter_cycles = 37;
  arch.dram.jitter_seed = 9;
  const num::FormatSpec i8{"int8", {}};
  workload::Trace t;
  t.ops.push_back(gemm("a", 70, 300, 90, i8, i8));
  t.ops.push_back(gemm("b", 1, 1000, 64, i8, i8));
  workload::Op sm;
  sm.name = "s", sm.kind = workload::OpKind::kSoftmax, sm.m = 64, sm.n = 4096;
  t.ops.push_back(sm);
  const RunStats e = engine_run(arch, t);
  arch.dram.jitter_cycles = 0;
  const RunStats no_jitter = engine_run(arch, t);
  ASSERT_GT(e.cycles, no_jitter.cycles);  // the jitter matters here
  arch.dram.jitter_cycles = 37;
  expect_same_run(e, run(arch, t));
}

// Long runs of identical folds are jumped over once the pipeline repeats: a GEMM with tens of
// thousands of folds, compute-bound and memory-bound, single- and double-buffered.
TEST(AnalyticalMemory, SteadyStateJumpsAreExact) {
  const num::FormatSpec i8{"int8", {}};
  workload::Trace t;
  t.ops.push_back(gemm("big", 300, 4096, 2000, i8, i8));
  t.ops.push_back(gemm("decode", 1, 11008, 4096, i8, i8));
  for (const double gbps : {4.0, 64.0, 4096.0}) {
    for (const bool dbl : {true, false}) {
      SCOPED_TRACE(testing::Message() << gbps << " GB/s double_buffered=" << dbl);
      ArchSpec arch = make_arch("int8_mac", 16, 16, Dataflow::kWeightStationary);
      arch.weight_buf = sim::BufferSpec{64, 8, 32, dbl};
      arch.act_buf = sim::BufferSpec{64, 8, 32, dbl};
      arch.out_buf = sim::BufferSpec{64, 4, 64, dbl};
      arch.dram.bandwidth_gbps = gbps;
      const RunStats e = engine_run(arch, t);
      ASSERT_TRUE(e.feasible) << e.infeasible_reason;
      ASSERT_GT(e.ops[0].folds, 10000u);
      expect_same_run(e, run(arch, t));
    }
  }
}

// `mpsim sim` checks values by default (sample:4): the folds that run with values take the same
// cycles and move the same bytes, and only data-dependent actions (INT32 wraps, which no closed
// form can know) are added on them. So the cycles still agree with the engine's default run.
TEST(AnalyticalMemory, CyclesEqualTheEngineWithValueChecksToo) {
  for (const auto& [cfg, recipe] :
       std::vector<std::pair<std::string, std::string>>{{"int8_mac_os", "int8"},
                                                        {"block_fp", "mxfp4_mxfp8"},
                                                        {"bitserial", "w4a8_group"},
                                                        {"int4_tc", "w4a8_int"}}) {
    SCOPED_TRACE(cfg);
    const ArchSpec arch = sim::load_arch(kSrc + "/sim/configs/" + cfg + ".yaml",
                                         {sim::Override{"arch.array.rows", "8"}});
    workload::ExpandOptions o;
    o.phase = workload::Phase::kPrefill;
    o.seq_len = 24;
    const workload::Trace t = workload::apply_recipe(
        workload::expand(workload::preset("tiny-llama"), o),
        workload::load_recipe(kSrc + "/workloads/recipes/" + recipe + ".yaml"));
    sim::SimOptions so;  // default: sample:4
    sim::Engine e(arch, so);
    const RunStats checked = e.run(t);
    ASSERT_GT(checked.checked_outputs, 0);
    ASSERT_TRUE(checked.mismatches.empty());
    const RunStats a = run(arch, t);
    ASSERT_EQ(a.ops.size(), checked.ops.size());
    EXPECT_EQ(a.cycles, checked.cycles);
    for (std::size_t i = 0; i < a.ops.size(); ++i) {
      EXPECT_EQ(a.ops[i].cycles, checked.ops[i].cycles) << a.ops[i].op;
      EXPECT_EQ(a.ops[i].compute_cycles, checked.ops[i].compute_cycles) << a.ops[i].op;
      EXPECT_DOUBLE_EQ(a.ops[i].dram_bytes(), checked.ops[i].dram_bytes()) << a.ops[i].op;
    }
  }
}

// ---- (3) Infeasible designs: the engine's reasons -------------------------------------------

TEST(AnalyticalInfeasible, SameReasonsAsTheEngine) {
  const num::FormatSpec i8{"int8", {}}, fp4{"mxfp4", {}};
  struct Case {
    std::string pe;
    Dataflow d;
    double w_kib, a_kib, o_kib;
    workload::Op op;
    std::string expect;  // a fragment of the reason
  };
  const std::vector<Case> cases = {
      {"int8_mac", Dataflow::kWeightStationary, 1024, 1024, 1024, gemm("u", 4, 8, 8, fp4, fp4),
       "op u: "},
      {"int8_mac", Dataflow::kWeightStationary, 0.0625, 64, 64, gemm("w", 4, 64, 64, i8, i8),
       "weight buffer tile of 32 B cannot hold one 32x32 weight fold (1024 B)"},
      {"int8_mac", Dataflow::kOutputStationary, 64, 64, 0.0625, gemm("o", 64, 64, 64, i8, i8),
       "output buffer tile of 32 B cannot hold a 32x32 block of 32-bit partial sums"},
      {"int8_mac", Dataflow::kOutputStationary, 0.0078125, 0.0078125, 64,
       gemm("k", 64, 64, 64, i8, i8), "buffers too small for one fold"},
      {"int8_mac", Dataflow::kWeightStationary, 64, 0.0078125, 64, gemm("r", 64, 64, 64, i8, i8),
       "one streamed row needs"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.expect);
    ArchSpec arch = make_arch(c.pe, 32, 32, c.d);
    arch.weight_buf.kib = c.w_kib, arch.act_buf.kib = c.a_kib, arch.out_buf.kib = c.o_kib;
    workload::Trace t;
    t.ops.push_back(c.op);
    t.ops.push_back(gemm("fine", 4, 4, 4, i8, i8));  // later ops still run
    const RunStats e = engine_run(arch, t);
    const RunStats a = run(arch, t);
    ASSERT_FALSE(e.feasible);
    EXPECT_FALSE(a.feasible);
    EXPECT_NE(a.infeasible_reason.find(c.expect), std::string::npos) << a.infeasible_reason;
    expect_same_run(e, a);
  }
}

// ---- (4) Area --------------------------------------------------------------------------------

TEST(AnalyticalArea, EqualsTheEngineForEveryConfig) {
  for (const char* cfg :
       {"int8_mac_ws", "int8_mac_os", "block_fp", "shift_add", "bitserial", "int4_tc"}) {
    SCOPED_TRACE(cfg);
    const ArchSpec arch = sim::load_arch(kSrc + "/sim/configs/" + cfg + ".yaml");
    workload::Trace t;
    for (const auto& f : arch.pe->example_formats()) {
      std::string name = "g";  // (operator+ here trips GCC 12's -Wrestrict false positive)
      name += std::to_string(t.ops.size());
      t.ops.push_back(gemm(name, 8, 64, 8, f.a, f.w));
    }
    const RunStats e = engine_run(arch, t), a = run(arch, t);
    EXPECT_GT(a.area_mm2, 0);
    EXPECT_EQ(a.area_mm2, e.area_mm2);
    EXPECT_EQ(a.area_breakdown_mm2, e.area_breakdown_mm2);
  }
}

// ---- (2) Cross-validation on the preset workloads ----------------------------------------------

struct Family {
  const char* config;
  const char* recipe;
  std::vector<std::pair<int, int>> arrays;
};

std::vector<Family> families() {
  const std::vector<std::pair<int, int>> sq = {{16, 16}, {32, 32}, {64, 64}};
  return {{"int8_mac_ws", "int8", sq},     {"int8_mac_os", "int8", sq},
          {"block_fp", "mxfp4_mxfp8", sq}, {"shift_add", "w4a8_group", sq},
          {"bitserial", "w4a8_group", sq}, {"int4_tc", "w4a8_int", {{1, 1}, {2, 2}, {4, 4}}}};
}

struct Workload {
  const char* model;
  workload::Phase phase;
  std::int64_t seq;
  std::string label() const {
    return std::string(model) + (phase == workload::Phase::kPrefill  ? " prefill"
                                 : phase == workload::Phase::kDecode ? " decode"
                                                                     : "");
  }
};

std::vector<Workload> workloads() {
  using workload::Phase;
  // OPT's learned positions stop at 2048, so its decode step attends 2047 cached tokens + 1.
  return {{"llama2-7b", Phase::kPrefill, 512},  {"llama2-7b", Phase::kDecode, 2048},
          {"llama3-8b", Phase::kPrefill, 512},  {"llama3-8b", Phase::kDecode, 2048},
          {"mistral-7b", Phase::kPrefill, 512}, {"mistral-7b", Phase::kDecode, 2048},
          {"opt-6.7b", Phase::kPrefill, 512},   {"opt-6.7b", Phase::kDecode, 2047},
          {"vit-b16", Phase::kNone, 0},         {"deit-s", Phase::kNone, 0},
          {"swin-t", Phase::kNone, 0}};
}

double rel_err(double a, double e) {
  if (e == 0) return a == 0 ? 0 : 1;
  return std::abs(a - e) / std::abs(e);
}

// Runs the matrix, asserts every op within 2% (cycles and energy) and prints the error table.
void cross_validate(bool full) {
  constexpr double kTolerance = 0.02;
  std::printf(
      "| family | array | workload | ops | cycles max err | cycles mean err | energy max err | "
      "energy mean err |\n|---|---|---|---|---|---|---|---|\n");
  int checked = 0;
  for (const Family& fam : families()) {
    const workload::Recipe recipe =
        workload::load_recipe(kSrc + "/workloads/recipes/" + fam.recipe + ".yaml");
    for (const auto& [rows, cols] : fam.arrays) {
      // The unit subset: the middle array of each family on an LLM's two phases and a ViT.
      if (!full && rows != fam.arrays[1].first) continue;
      const ArchSpec arch =
          sim::load_arch(kSrc + "/sim/configs/" + fam.config + ".yaml",
                         {sim::Override{"arch.array.rows", std::to_string(rows)},
                          sim::Override{"arch.array.cols", std::to_string(cols)}});
      for (const Workload& w : workloads()) {
        if (!full && std::string(w.model) != "llama2-7b" && std::string(w.model) != "vit-b16")
          continue;
        SCOPED_TRACE(std::string(fam.config) + " " + std::to_string(rows) + "x" +
                     std::to_string(cols) + " " + w.label());
        workload::ExpandOptions o;
        o.phase = w.phase;
        o.seq_len = w.seq;
        const workload::Trace t =
            workload::apply_recipe(workload::expand(workload::preset(w.model), o), recipe);
        const RunStats e = engine_run(arch, t);
        const RunStats a = run(arch, t);
        ASSERT_EQ(a.feasible, e.feasible) << e.infeasible_reason;
        EXPECT_EQ(a.infeasible_reason, e.infeasible_reason);
        EXPECT_EQ(a.area_mm2, e.area_mm2);
        ASSERT_EQ(a.ops.size(), e.ops.size());
        double cmax = 0, csum = 0, emax = 0, esum = 0;
        for (std::size_t i = 0; i < e.ops.size(); ++i) {
          const double ce =
              rel_err(static_cast<double>(a.ops[i].cycles), static_cast<double>(e.ops[i].cycles));
          const double ee = rel_err(a.ops[i].energy.total(), e.ops[i].energy.total());
          EXPECT_LE(ce, kTolerance) << e.ops[i].op;
          EXPECT_LE(ee, kTolerance) << e.ops[i].op;
          cmax = std::max(cmax, ce), csum += ce;
          emax = std::max(emax, ee), esum += ee;
          ++checked;
        }
        const auto n = static_cast<double>(e.ops.size());
        std::printf("| %s | %dx%d | %s | %zu | %.3g%% | %.3g%% | %.3g%% | %.3g%% |\n", fam.config,
                    rows, cols, w.label().c_str(), e.ops.size(), 100 * cmax, 100 * csum / n,
                    100 * emax, 100 * esum / n);
      }
    }
  }
  std::printf("%d ops compared\n", checked);
  EXPECT_GT(checked, full ? 3000 : 300);
}

// The unit subset (label unit).
TEST(AnalyticalCrossValidation, PresetSubsetWithinTwoPercent) { cross_validate(false); }

// Every preset workload x three arrays per family (label slow; its table is docs/analytical.md's).
TEST(AnalyticalCrossValidation, EveryPresetEveryArrayWithinTwoPercent) { cross_validate(true); }

}  // namespace
}  // namespace mpsim::analytical
