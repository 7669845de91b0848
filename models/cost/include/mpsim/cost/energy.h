// DESCRIPTION: Energy and area of datapath parts and memories (Horowitz 45 nm base, multiplier ~
// bits^2, adder ~ bits, SRAM per bit by capacity, DRAM per bit, technology scaling), from which
// every PE family builds its per-action costs. Sources are cited next to each number in energy.cpp.
// SPDX-License-Identifier: Apache-2.0
//
// Example:
//   Tech t = Tech::node(45);
//   double e = int_mult_pj(8, 4, t) + int_add_pj(32, t);  // one INT8xINT4 MAC into a 32-bit acc
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mpsim::cost {

/// Technology node and the factors that scale the 45 nm base tables to it.
struct Tech {
  int node_nm = 45;
  double energy_scale = 1.0;  ///< relative to 45 nm (Stillmaker & Baas via Accelergy)
  double area_scale = 1.0;    ///< relative to 45 nm ((node/45)^2)
  /// Supported nodes: 65, 45, 32, 28, 22, 16, 12, 7 (others: ConfigError listing these).
  static Tech node(int nm);
  static const std::vector<int>& supported_nodes();
};

// ---- Arithmetic parts, energy per operation in pJ at `t`
// -----------------------------------------
/// Integer multiplier of a_bits x b_bits (quadratic in width: scales with a_bits*b_bits).
double int_mult_pj(int a_bits, int b_bits, const Tech& t);
/// Integer adder of `bits` (linear in width).
double int_add_pj(int bits, const Tech& t);
/// Floating multiplier / adder with the given significand (incl. hidden bit) and exponent widths.
double fp_mult_pj(int man_bits, int exp_bits, const Tech& t);
double fp_add_pj(int man_bits, int exp_bits, const Tech& t);
/// Barrel/alignment shifter of `bits` wide data over `positions` shift positions.
double shifter_pj(int bits, int positions, const Tech& t);
/// Register write (flip-flops), per bit.
double register_pj_per_bit(const Tech& t);
/// Popcount over `bits` inputs (adder tree).
double popcount_pj(int bits, const Tech& t);

// ---- Arithmetic parts, area in um^2 at `t` ------------------------------------------------------
double int_mult_um2(int a_bits, int b_bits, const Tech& t);
double int_add_um2(int bits, const Tech& t);
double fp_mult_um2(int man_bits, int exp_bits, const Tech& t);
double fp_add_um2(int man_bits, int exp_bits, const Tech& t);
double shifter_um2(int bits, int positions, const Tech& t);
double register_um2_per_bit(const Tech& t);
double popcount_um2(int bits, const Tech& t);

// ---- Memories
// ------------------------------------------------------------------------------------
/// SRAM read or write energy per bit for an array of `kib` KiB (CACTI-like depth scaling).
double sram_pj_per_bit(double kib, const Tech& t);
/// SRAM area for `kib` KiB (cells plus periphery).
double sram_um2(double kib, const Tech& t);
/// SRAM leakage power for `kib` KiB, mW.
double sram_leakage_mw(double kib, const Tech& t);
/// DRAM access energy per bit (LPDDR/DDR-class, independent of node: off-chip).
double dram_pj_per_bit();
/// Logic leakage as a fraction of dynamic energy at full activity, for the PE array.
double logic_leakage_mw_per_mm2(const Tech& t);

// ---- Synthesized PE areas (rtl/synth, Yosys + rtl/synth/area45.lib; regenerate with
// rtl/synth/area_table.sh)
// -------------------------------------------------------------------------
struct SynthArea {
  const char*
      config;  ///< "<family>/<params>/<formats>/<acc>", e.g. "int8_mac/lanes=1/int8xint8/acc32"
  int cells;
  double area_um2;  ///< at 45 nm
  double ge;        ///< gate equivalents (NAND2_X1)
};
const std::vector<SynthArea>& synthesized_areas();
/// The synthesized area of `config` scaled to `t`, or a negative value when none was synthesized.
double synthesized_area_um2(std::string_view config, const Tech& t);

/// The version of these tables (bumped when a number changes; recorded in DSE manifests).
const char* table_version();

/// One source line per table entry group, for reports and `mpsim cost --sources`.
const std::vector<std::string>& sources();

}  // namespace mpsim::cost
