// DESCRIPTION: The SystemC top drives the engine with SystemC time equal to the cycle count, and
// gives the same statistics and values as the engine run in-process (one elaboration per test
// process). SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <systemc>

#include "mpsim/sc/array_top.h"
#include "mpsim/workload/presets.h"

namespace mpsim::sc {
namespace {

sim::ArchSpec arch() {
  sim::ArchSpec a;
  a.name = "sc_test";
  a.rows = a.cols = 8;
  a.pe_type = "int8_mac";
  a.pe = sim::builtin_pe_types().create("int8_mac", {});
  a.weight_buf = a.act_buf = a.out_buf = sim::BufferSpec{64, 4, 64, true};
  a.dram.jitter_cycles = 40;
  return a;
}

workload::Trace trace() {
  workload::Trace t;
  for (int i = 0; i < 3; ++i) {
    workload::Op op;
    op.name = "g" + std::to_string(i);
    op.m = 5 + i, op.k = 40, op.n = 24 + 8 * i;
    op.a_format = op.b_format = num::FormatSpec{"int8", {}};
    op.out_format = num::FormatSpec{"fp32", {}};
    t.ops.push_back(op);
  }
  workload::Op sm;
  sm.name = "softmax";
  sm.kind = workload::OpKind::kSoftmax;
  sm.m = 8, sm.n = 64;
  t.ops.push_back(sm);
  return t;
}

TEST(ScArrayTop, SystemCTimeIsTheCycleCountAndStatsEqualTheEngine) {
  const sim::ArchSpec a = arch();
  const workload::Trace t = trace();
  sim::SimOptions o;
  o.check.kind = sim::CheckMode::kFull;
  ArrayTop top("top", a, o, t);
  sc_core::sc_start();
  ASSERT_TRUE(top.finished());
  const sim::RunStats& r = top.stats();
  const sc_core::sc_time period(1e6 / a.frequency_mhz, sc_core::SC_PS);
  EXPECT_EQ(sc_core::sc_time_stamp(), period * static_cast<double>(r.cycles));

  sim::Engine e(a, o);
  const sim::RunStats ref = e.run(t);
  ASSERT_EQ(r.ops.size(), ref.ops.size());
  for (std::size_t i = 0; i < r.ops.size(); ++i) {
    EXPECT_EQ(r.ops[i].cycles, ref.ops[i].cycles) << r.ops[i].op;
    EXPECT_EQ(r.ops[i].actions, ref.ops[i].actions) << r.ops[i].op;
  }
  EXPECT_EQ(r.cycles, ref.cycles);
  EXPECT_DOUBLE_EQ(r.area_mm2, ref.area_mm2);
  EXPECT_TRUE(r.mismatches.empty());
  EXPECT_EQ(r.checked_outputs, 5 * 24 + 6 * 32 + 7 * 40);
}

}  // namespace
}  // namespace mpsim::sc
