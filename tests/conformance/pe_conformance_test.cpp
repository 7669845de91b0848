// DESCRIPTION: What every registered PE family must do, checked over the registry (a new family is
// covered by adding its folder): build from its example.yaml, datasheet pairs supported with
// positive deterministic timing, sane costs, dot() == array == golden on a GEMM, and closed form ==
// stepped. SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <bit>
#include <fstream>
#include <sstream>

#include "mpsim/core/arch_spec.h"
#include "mpsim/core/engine.h"
#include "mpsim/golden/matrix.h"

namespace mpsim::sim {
namespace {

const std::string kSrc = MPSIM_SOURCE_DIR;

std::string read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class EveryPeType : public ::testing::TestWithParam<std::string> {};

ArchSpec arch_from_example(const std::string& id, int rows, int cols) {
  std::string ex = read(kSrc + "/sim/pe/" + id + "/example.yaml");
  EXPECT_FALSE(ex.empty()) << "sim/pe/" << id << "/example.yaml is missing";
  // The example is an `arch.pe` snippet: indent it into a complete architecture.
  std::string yaml = "version: 1\narch:\n  name: conf\n  array: { rows: " + std::to_string(rows) +
                     ", cols: " + std::to_string(cols) + " }\n";
  std::istringstream in(ex);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') yaml += "  " + line + "\n";
  }
  yaml += "  buffers: { weight: { kib: 512 }, activation: { kib: 512 }, output: { kib: 512 } }\n";
  return parse_arch(yaml, "sim/pe/" + id + "/example.yaml");
}

TEST_P(EveryPeType, BuildsFromItsExampleAndHasADatasheet) {
  const ArchSpec a = arch_from_example(GetParam(), 4, 4);
  EXPECT_EQ(a.pe->name(), GetParam());
  EXPECT_FALSE(builtin_pe_types().description(GetParam()).empty());
  EXPECT_FALSE(read(kSrc + "/sim/pe/" + GetParam() + "/README.md").empty());
  ASSERT_FALSE(a.pe->example_formats().empty()) << "example_formats() lists the datasheet's pairs";
}

TEST_P(EveryPeType, TimingAndCostsAreSane) {
  const ArchSpec a = arch_from_example(GetParam(), 4, 4);
  for (const auto& f : a.pe->example_formats()) {
    SCOPED_TRACE(f.a.str() + " x " + f.w.str());
    ASSERT_FALSE(a.pe->unsupported(f).has_value()) << *a.pe->unsupported(f);
    const PeTiming t = a.pe->timing(f), t2 = a.pe->timing(f);
    EXPECT_GT(t.k_per_issue, 0);
    EXPECT_GT(t.cycles_per_issue, 0);
    EXPECT_GT(t.latency, 0);
    EXPECT_EQ(t.k_per_issue, t2.k_per_issue);
    EXPECT_EQ(t.cycles_per_issue, t2.cycles_per_issue);
    const PeCost c = a.pe->cost(f, cost::Tech::node(45));
    EXPECT_GT(c.area_um2, 0);
    EXPECT_GE(c.leakage_mw, 0);
    ASSERT_FALSE(c.actions.empty());
    for (const auto& act : c.actions) {
      EXPECT_FALSE(act.name.empty());
      EXPECT_GE(act.energy_pj, 0) << act.name;
      EXPECT_FALSE(act.parts.empty()) << act.name;
    }
    // Technology scaling reaches every action: 7 nm is cheaper than 45 nm wherever energy is spent.
    const PeCost c7 = a.pe->cost(f, cost::Tech::node(7));
    for (std::size_t i = 0; i < c.actions.size(); ++i)
      EXPECT_LE(c7.actions[i].energy_pj, c.actions[i].energy_pj);
  }
}

TEST_P(EveryPeType, ArrayValuesEqualGoldenAndDot) {
  for (auto [rows, cols, df] :
       {std::tuple{3, 5, "weight_stationary"}, std::tuple{4, 2, "output_stationary"}}) {
    ArchSpec a = arch_from_example(GetParam(), rows, cols);
    a.dataflow = std::string(df) == "weight_stationary" ? Dataflow::kWeightStationary
                                                        : Dataflow::kOutputStationary;
    for (const auto& f : a.pe->example_formats()) {
      SCOPED_TRACE(f.a.str() + " x " + f.w.str() + " " + df);
      workload::Trace t;
      workload::Op op;
      op.name = "g";
      op.m = 7, op.k = 200, op.n = 11;
      op.a_format = f.a;
      op.b_format = f.w;
      op.out_format = num::FormatSpec{"fp32", {}};
      t.ops.push_back(op);
      SimOptions o;
      o.check.kind = CheckMode::kFull;
      const RunStats r = Engine(a, o).run(t);
      ASSERT_TRUE(r.feasible) << r.infeasible_reason;
      EXPECT_TRUE(r.mismatches.empty())
          << r.mismatches.front().op << " (" << r.mismatches.front().m << ","
          << r.mismatches.front().n << "): " << r.mismatches.front().expected << " vs "
          << r.mismatches.front().actual;
      EXPECT_EQ(r.checked_outputs, 77);
      SimOptions ex = o;
      ex.exhaustive = true;
      const RunStats re = Engine(a, ex).run(t);
      EXPECT_EQ(re.cycles, r.cycles);
      EXPECT_EQ(re.ops[0].actions, r.ops[0].actions);
      EXPECT_TRUE(re.mismatches.empty());
    }
  }
}

TEST_P(EveryPeType, DotIsWhatTheArrayComputes) {
  const ArchSpec a = arch_from_example(GetParam(), 2, 2);
  for (const auto& f : a.pe->example_formats()) {
    SCOPED_TRACE(f.a.str() + " x " + f.w.str());
    const std::int64_t K = 130;
    golden::Matrix am = golden::Matrix::zeros(2, K), wm = golden::Matrix::zeros(K, 2);
    for (std::int64_t i = 0; i < K; ++i) {
      // Small integers stay inside every integer format; the float formats see varied magnitudes.
      am.at(0, i) = static_cast<float>((i * 7) % 5 - 2),
               am.at(1, i) = static_cast<float>((i % 3) - 1) * 0.75f;
      wm.at(i, 0) = static_cast<float>((i * 3) % 3 - 1),
               wm.at(i, 1) = static_cast<float>((i * 5) % 7 - 3) * 0.5f;
    }
    const auto qa = golden::quantize_rows(am, f.a);
    const auto qw = golden::quantize_cols(wm, f.w);
    auto k = a.pe->kernel(f, 2, 2, Dataflow::kOutputStationary);
    k->begin(qa.lines, qw.lines, 2, 2, K, true);
    const std::int64_t kt = k->max_kt() ? k->max_kt() : K;
    for (std::int64_t k0 = 0; k0 < K; k0 += kt)
      k->run_tile(Tile{0, 0, k0, 2, 2, std::min(kt, K - k0), k0 == 0}, TileMode::kIssue);
    for (int m = 0; m < 2; ++m) {
      for (int n = 0; n < 2; ++n) {
        ActionCounts c;
        const float d = a.pe->dot(qa.lines[static_cast<std::size_t>(m)],
                                  qw.lines[static_cast<std::size_t>(n)], c);
        EXPECT_EQ(std::bit_cast<std::uint32_t>(d), std::bit_cast<std::uint32_t>(k->output(m, n)))
            << "(" << m << "," << n << "): dot " << d << " array " << k->output(m, n);
        EXPECT_FALSE(c.empty());
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryPeType, ::testing::ValuesIn(builtin_pe_types().names()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace mpsim::sim
