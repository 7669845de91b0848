// DESCRIPTION: Cost tables: Horowitz anchors at 45 nm, width scaling laws, SRAM capacity curve,
// technology scaling, unsupported-node errors and the source list.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "mpsim/base/error.h"
#include "mpsim/cost/energy.h"

namespace mpsim::cost {
namespace {

// Fitted coefficients pass through a 2x2 solve, so "exact" allows a few ulps of rounding.
constexpr double kTol = 1e-12;

const Tech k45 = Tech::node(45);

TEST(CostEnergy, HorowitzIntegerAnchorsAt45nm) {
  EXPECT_DOUBLE_EQ(int_mult_pj(8, 8, k45), 0.2);
  EXPECT_NEAR(int_add_pj(8, k45), 0.03, kTol);
  EXPECT_NEAR(int_add_pj(32, k45), 0.1, kTol);
  // One quadratic coefficient from 8x8 lands 32x32 within 3% of Horowitz's 3.1 pJ.
  EXPECT_NEAR(int_mult_pj(32, 32, k45), 3.2, kTol);
  EXPECT_LT(std::abs(int_mult_pj(32, 32, k45) - 3.1) / 3.1, 0.033);
}

TEST(CostEnergy, HorowitzFloatAnchorsAt45nm) {
  EXPECT_NEAR(fp_mult_pj(11, 5, k45), 1.1, kTol);
  EXPECT_NEAR(fp_mult_pj(24, 8, k45), 3.7, kTol);
  EXPECT_NEAR(fp_add_pj(11, 5, k45), 0.4, kTol);
  EXPECT_NEAR(fp_add_pj(24, 8, k45), 0.9, kTol);
}

TEST(CostEnergy, FloatCostsAreOrderedAndPositiveForNarrowFormats) {
  // BF16 (m8 e8) multiplies cheaper than FP16 (m11 e5); FP8 cheaper still; all positive.
  EXPECT_LT(fp_mult_pj(8, 8, k45), fp_mult_pj(11, 5, k45));
  EXPECT_LT(fp_mult_pj(4, 4, k45), fp_mult_pj(8, 8, k45));
  for (int m = 1; m <= 24; ++m) {
    for (int e = 0; e <= 8; ++e) {
      EXPECT_GT(fp_mult_pj(m, e, k45), 0) << m << " " << e;
      EXPECT_GT(fp_add_pj(m, e, k45), 0) << m << " " << e;
      EXPECT_GT(fp_mult_um2(m, e, k45), 0) << m << " " << e;
      EXPECT_GT(fp_add_um2(m, e, k45), 0) << m << " " << e;
    }
    if (m > 1) {
      EXPECT_GT(fp_mult_pj(m, 5, k45), fp_mult_pj(m - 1, 5, k45));
      EXPECT_GT(fp_add_pj(m, 5, k45), fp_add_pj(m - 1, 5, k45));
    }
  }
}

TEST(CostEnergy, MultiplierIsQuadraticAdderIsLinear) {
  EXPECT_DOUBLE_EQ(int_mult_pj(8, 8, k45) / int_mult_pj(4, 4, k45), 4.0);
  EXPECT_DOUBLE_EQ(int_mult_pj(8, 4, k45), int_mult_pj(4, 8, k45));
  EXPECT_DOUBLE_EQ(int_mult_pj(8, 4, k45) * 2, int_mult_pj(8, 8, k45));
  EXPECT_NEAR(int_add_pj(16, k45) - int_add_pj(8, k45), int_add_pj(32, k45) - int_add_pj(24, k45),
              kTol);
  EXPECT_GT(int_add_pj(16, k45) - int_add_pj(8, k45), 0);
  // Same laws for area.
  EXPECT_DOUBLE_EQ(int_mult_um2(8, 8, k45) / int_mult_um2(4, 4, k45), 4.0);
  EXPECT_DOUBLE_EQ(int_mult_um2(8, 4, k45), int_mult_um2(4, 8, k45));
  EXPECT_NEAR(int_add_um2(16, k45) - int_add_um2(8, k45),
              int_add_um2(32, k45) - int_add_um2(24, k45), 1e-9);
}

TEST(CostEnergy, ShifterAndPopcountFollowTheirStructure) {
  // log2(positions) stages of `bits` muxes: 64 positions = 6 stages, 65 positions = 7.
  EXPECT_DOUBLE_EQ(shifter_pj(32, 64, k45), 2 * shifter_pj(16, 64, k45));
  EXPECT_DOUBLE_EQ(shifter_pj(32, 64, k45), 6 * shifter_pj(32, 2, k45));
  EXPECT_DOUBLE_EQ(shifter_pj(32, 65, k45), 7 * shifter_pj(32, 2, k45));
  EXPECT_EQ(shifter_pj(32, 1, k45), 0.0);
  // A mux bit costs a marginal adder bit.
  EXPECT_NEAR(shifter_pj(24, 2, k45), int_add_pj(32, k45) - int_add_pj(8, k45), kTol);
  // (bits - 1) full-adder bits.
  EXPECT_EQ(popcount_pj(1, k45), 0.0);
  EXPECT_NEAR(popcount_pj(25, k45), int_add_pj(32, k45) - int_add_pj(8, k45), kTol);
  EXPECT_DOUBLE_EQ(shifter_um2(32, 64, k45), 2 * shifter_um2(16, 64, k45));
  EXPECT_NEAR(popcount_um2(25, k45), int_add_um2(32, k45) - int_add_um2(8, k45), 1e-9);
}

TEST(CostEnergy, RegisterIsAladdin) {
  EXPECT_DOUBLE_EQ(register_pj_per_bit(k45), 0.009);
  EXPECT_DOUBLE_EQ(register_um2_per_bit(k45), 5.98);
}

TEST(CostArea, HorowitzAreaAnchorsAt45nm) {
  EXPECT_NEAR(int_add_um2(8, k45), 36, 1e-9);
  EXPECT_NEAR(int_add_um2(32, k45), 137, 1e-9);
  EXPECT_NEAR(int_mult_um2(8, 8, k45), 282, 1e-9);
  EXPECT_NEAR(fp_add_um2(11, 5, k45), 1360, 1e-9);
  EXPECT_NEAR(fp_add_um2(24, 8, k45), 4184, 1e-9);
  EXPECT_NEAR(fp_mult_um2(11, 5, k45), 1640, 1e-9);
  EXPECT_NEAR(fp_mult_um2(24, 8, k45), 7700, 1e-9);
}

TEST(CostMemory, SramPerBitHitsHorowitzAnchorsAndIsMonotone) {
  EXPECT_NEAR(sram_pj_per_bit(8, k45), 10.0 / 64, kTol);
  EXPECT_NEAR(sram_pj_per_bit(32, k45), 20.0 / 64, kTol);
  EXPECT_NEAR(sram_pj_per_bit(1024, k45), 100.0 / 64, kTol);
  // The spec's rounded per-bit figures.
  EXPECT_NEAR(sram_pj_per_bit(8, k45), 0.16, 0.005);
  EXPECT_NEAR(sram_pj_per_bit(32, k45), 0.31, 0.005);
  EXPECT_NEAR(sram_pj_per_bit(1024, k45), 1.6, 0.05);
  double prev = 0;
  for (double kib = 1.0 / 64; kib <= 64 * 1024; kib *= 1.25) {
    const double e = sram_pj_per_bit(kib, k45);
    EXPECT_GE(e, prev) << kib;
    if (kib >= 1) {
      EXPECT_GT(e, prev) << kib;
    }
    prev = e;
  }
  // Tiny arrays are floored at flip-flop energy.
  EXPECT_DOUBLE_EQ(sram_pj_per_bit(1.0 / 64, k45), register_pj_per_bit(k45));
  // Below 8 KiB: CACTI (depth ratio)^0.78.
  EXPECT_NEAR(sram_pj_per_bit(2, k45), 10.0 / 64 * std::pow(0.25, 0.78), kTol);
}

TEST(CostMemory, SramAreaAndLeakageAreLinearInCapacity) {
  EXPECT_DOUBLE_EQ(sram_um2(64, k45), 2 * sram_um2(32, k45));
  EXPECT_DOUBLE_EQ(sram_leakage_mw(64, k45), 2 * sram_leakage_mw(32, k45));
  EXPECT_GT(sram_um2(1, k45), 0);
  EXPECT_GT(sram_leakage_mw(1, k45), 0);
}

TEST(CostMemory, DramIsInHorowitzRangeAndFarAboveSram) {
  EXPECT_GE(dram_pj_per_bit(), 20);
  EXPECT_LE(dram_pj_per_bit(), 40);
  EXPECT_GT(dram_pj_per_bit(), 10 * sram_pj_per_bit(1024, k45));
}

TEST(CostTech, SupportedNodesHaveTheSourceScales) {
  const std::vector<int> expected{65, 45, 32, 28, 22, 16, 12, 7};
  EXPECT_EQ(Tech::supported_nodes(), expected);
  EXPECT_DOUBLE_EQ(Tech::node(65).energy_scale, 1.24);
  EXPECT_DOUBLE_EQ(Tech::node(45).energy_scale, 1.0);
  EXPECT_DOUBLE_EQ(Tech::node(32).energy_scale, 0.66);
  EXPECT_DOUBLE_EQ(Tech::node(16).energy_scale, 0.17);
  EXPECT_DOUBLE_EQ(Tech::node(7).energy_scale, 0.094);
  // Interpolated nodes sit between their neighbours, and scales fall with the node.
  double prev = 2.0;
  for (int nm : expected) {
    const Tech t = Tech::node(nm);
    EXPECT_EQ(t.node_nm, nm);
    EXPECT_LT(t.energy_scale, prev) << nm;
    prev = t.energy_scale;
    EXPECT_DOUBLE_EQ(t.area_scale, (nm / 45.0) * (nm / 45.0));
  }
  // Log-log interpolation: 28 nm = 0.17 * (0.66 / 0.17)^(log(28/16) / log(2)).
  EXPECT_NEAR(Tech::node(28).energy_scale, 0.17 * std::pow(0.66 / 0.17, std::log2(28.0 / 16)),
              kTol);
  EXPECT_NEAR(Tech::node(12).energy_scale,
              0.094 * std::pow(0.17 / 0.094, std::log(12.0 / 7) / std::log(16.0 / 7)), kTol);
}

TEST(CostTech, EveryEnergyScalesByTheNodeFactor) {
  const std::vector<std::function<double(const Tech&)>> energies{
      [](const Tech& t) { return int_mult_pj(8, 4, t); },
      [](const Tech& t) { return int_add_pj(32, t); },
      [](const Tech& t) { return fp_mult_pj(11, 5, t); },
      [](const Tech& t) { return fp_add_pj(24, 8, t); },
      [](const Tech& t) { return shifter_pj(24, 32, t); },
      [](const Tech& t) { return register_pj_per_bit(t); },
      [](const Tech& t) { return popcount_pj(16, t); },
      [](const Tech& t) { return sram_pj_per_bit(2, t); },
      [](const Tech& t) { return sram_pj_per_bit(64, t); },
      [](const Tech& t) { return sram_pj_per_bit(1.0 / 64, t); },
      [](const Tech& t) { return sram_leakage_mw(64, t); },
  };
  const std::vector<std::function<double(const Tech&)>> areas{
      [](const Tech& t) { return int_mult_um2(8, 4, t); },
      [](const Tech& t) { return int_add_um2(32, t); },
      [](const Tech& t) { return fp_mult_um2(11, 5, t); },
      [](const Tech& t) { return fp_add_um2(24, 8, t); },
      [](const Tech& t) { return shifter_um2(24, 32, t); },
      [](const Tech& t) { return register_um2_per_bit(t); },
      [](const Tech& t) { return popcount_um2(16, t); },
      [](const Tech& t) { return sram_um2(64, t); },
  };
  const Tech t7 = Tech::node(7);
  for (std::size_t i = 0; i < energies.size(); ++i) {
    EXPECT_NEAR(energies[i](t7) / energies[i](k45), 0.094, 1e-12) << "energy #" << i;
  }
  for (std::size_t i = 0; i < areas.size(); ++i) {
    EXPECT_NEAR(areas[i](t7) / areas[i](k45), (7.0 / 45) * (7.0 / 45), 1e-12) << "area #" << i;
  }
  // Off-chip DRAM does not depend on the logic node; leakage density rises as devices pack in.
  EXPECT_NEAR(logic_leakage_mw_per_mm2(t7) / logic_leakage_mw_per_mm2(k45),
              0.094 / ((7.0 / 45) * (7.0 / 45)), 1e-9);
}

TEST(CostTech, UnsupportedNodeIsAConfigErrorNamingTheField) {
  for (int nm : {0, 10, 40, 90, -45}) {
    try {
      (void)Tech::node(nm);
      ADD_FAILURE() << "node " << nm << " accepted";
    } catch (const ConfigError& e) {
      ASSERT_EQ(e.diagnostics().size(), 1u);
      const Diagnostic& d = e.diagnostics()[0];
      EXPECT_EQ(d.where, "");
      EXPECT_EQ(d.field, "tech_nm");
      EXPECT_EQ(d.message, "unsupported technology node " + std::to_string(nm) +
                               " nm (supported: 65, 45, 32, 28, 22, 16, 12, 7)");
      EXPECT_NE(std::string(e.what()).find("tech_nm"), std::string::npos);
    }
  }
}

TEST(CostTables, VersionAndSourcesArePresent) {
  EXPECT_STREQ(table_version(), "cost-2026.11-1");
  ASSERT_FALSE(sources().empty());
  bool horowitz = false, aladdin = false, stillmaker = false, cacti = false;
  for (const auto& s : sources()) {
    EXPECT_FALSE(s.empty());
    horowitz |= s.find("Horowitz") != std::string::npos;
    aladdin |= s.find("Aladdin") != std::string::npos;
    stillmaker |= s.find("Stillmaker") != std::string::npos;
    cacti |= s.find("CACTI") != std::string::npos;
  }
  EXPECT_TRUE(horowitz && aladdin && stillmaker && cacti);
}

TEST(CostDeathTest, NonPositiveWidthIsAnInternalError) {
  EXPECT_DEATH((void)int_add_pj(0, k45), "adder width");
  EXPECT_DEATH((void)int_mult_pj(8, 0, k45), "multiplier b width");
  EXPECT_DEATH((void)sram_pj_per_bit(0, k45), "SRAM capacity");
}

TEST(SynthesizedArea, TableComesFromTheRtlAndScalesWithTheNode) {
  ASSERT_FALSE(synthesized_areas().empty());
  const double a45 = synthesized_area_um2("int8_mac/lanes=1/int8xint8/acc32", Tech::node(45));
  // Within the spec's measured range for an INT8 MAC with a 32-bit accumulator plus registers
  // (1576 GE without the operand/weight registers; each DFF is ~5.7 GE).
  EXPECT_GT(a45 / 0.798, 1576.0);
  EXPECT_LT(a45 / 0.798, 2400.0);
  EXPECT_DOUBLE_EQ(synthesized_area_um2("int8_mac/lanes=1/int8xint8/acc32", Tech::node(7)),
                   a45 * Tech::node(7).area_scale);
  EXPECT_LT(synthesized_area_um2("no/such/config", Tech::node(45)), 0);
}

}  // namespace
}  // namespace mpsim::cost
