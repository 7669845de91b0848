// DESCRIPTION: The energy/area tables behind every PE family's per-action cost, with their sources.
// Base: Horowitz, "Computing's Energy Problem", ISSCC 2014 (45 nm, 0.9 V). Width scaling:
// Accelergy's Aladdin plug-in (multiplier quadratic, adder linear). Node scaling: Stillmaker & Baas
// 2017 via Accelergy's scaling.py. Numbers and derivations: ../shared/specs/energy_and_speed.md §1.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/cost/energy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "mpsim/base/error.h"

namespace mpsim::cost {

namespace {
// Energy relative to 45 nm at 0.8 V (Stillmaker & Baas 2017 coefficients, Accelergy scaling.py;
// spec §1.2 derived table). 28/22/12 nm are interpolated log-linearly in the node size between
// their neighbours (not in the source table).
struct NodeScale {
  int nm;
  double energy;
};
constexpr NodeScale kNodes[] = {{65, 1.24}, {45, 1.0}, {32, 0.66}, {16, 0.17}, {7, 0.094}};

double interp_energy(int nm) {
  for (const auto& n : kNodes)
    if (n.nm == nm) return n.energy;
  for (std::size_t i = 0; i + 1 < std::size(kNodes); ++i) {
    const auto& hi = kNodes[i];
    const auto& lo = kNodes[i + 1];
    if (nm < hi.nm && nm > lo.nm) {
      const double t = (std::log(nm) - std::log(lo.nm)) / (std::log(hi.nm) - std::log(lo.nm));
      return std::exp(std::log(lo.energy) + t * (std::log(hi.energy) - std::log(lo.energy)));
    }
  }
  return 1.0;
}

// Horowitz 45 nm anchors.
constexpr double kMult8x8 = 0.2;                  // pJ, 8-bit int multiply
constexpr double kAdd8 = 0.03, kAdd32 = 0.1;      // pJ, int adds
constexpr double kFpMul16 = 1.1, kFpMul32 = 3.7;  // pJ
constexpr double kFpAdd16 = 0.4, kFpAdd32 = 0.9;  // pJ
// Area anchors at 45 nm, um^2: Horowitz slide [unverified, spec §1.1].
constexpr double kAreaAdd8 = 36, kAreaAdd32 = 137, kAreaMult8 = 282;
constexpr double kAreaFpAdd16 = 1360, kAreaFpAdd32 = 4184, kAreaFpMul16 = 1640, kAreaFpMul32 = 7700;

// Linear fits through two anchors: y = a + b * x.
double lin(double x, double x0, double y0, double x1, double y1) {
  return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
}
}  // namespace

Tech Tech::node(int nm) {
  const auto& ok = supported_nodes();
  if (std::find(ok.begin(), ok.end(), nm) == ok.end()) {
    throw ConfigError(Diagnostic{
        "", "tech_nm",
        fmt::format("unsupported technology node {} nm (supported: {})", nm, fmt::join(ok, ", "))});
  }
  Tech t;
  t.node_nm = nm;
  t.energy_scale = interp_energy(nm);
  t.area_scale = (nm / 45.0) * (nm / 45.0);
  return t;
}

const std::vector<int>& Tech::supported_nodes() {
  static const std::vector<int> n{65, 45, 32, 28, 22, 16, 12, 7};
  return n;
}

// Aladdin: multiplier energy quadratic in width (E ∝ a_bits * b_bits); 8x8 = 0.2 pJ (Horowitz).
// 32x32 then gives 3.2 pJ against Horowitz's 3.1 (within 3%).
double int_mult_pj(int a, int b, const Tech& t) { return kMult8x8 * a * b / 64.0 * t.energy_scale; }
// Aladdin: adder linear in width, through Horowitz's 8-bit 0.03 and 32-bit 0.1 pJ.
double int_add_pj(int bits, const Tech& t) {
  return std::max(0.0, lin(bits, 8, kAdd8, 32, kAdd32)) * t.energy_scale;
}
// FP multiply = significand multiplier (quadratic) + exponent adder (linear): the two Horowitz
// anchors (fp16 m11 e5: 1.1 pJ, fp32 m24 e8: 3.7 pJ) fix the quadratic coefficient with the
// exponent adder costed like an integer adder of (e + 2) bits.
double fp_mult_pj(int man, int ex, const Tech& t) {
  const double e16 = int_add_pj(5 + 2, Tech{}), e32 = int_add_pj(8 + 2, Tech{});
  const double c = ((kFpMul32 - e32) - (kFpMul16 - e16)) / (24.0 * 24 - 11.0 * 11);
  const double base = (kFpMul16 - e16) - c * 11 * 11;
  return std::max(0.0, base + c * man * man + int_add_pj(ex + 2, Tech{})) * t.energy_scale;
}
// FP add = alignment/normalization + significand adder, linear in significand width through the
// fp16 (0.4 pJ) and fp32 (0.9 pJ) anchors, plus the exponent's small share folded into the fit.
double fp_add_pj(int man, int ex, const Tech& t) {
  (void)ex;
  return std::max(0.0, lin(man, 11, kFpAdd16, 24, kFpAdd32)) * t.energy_scale;
}
// Barrel shifter: log2(positions) stages of `bits` 2:1 muxes, a mux bit costed like an adder bit.
double shifter_pj(int bits, int positions, const Tech& t) {
  const int stages = positions <= 1 ? 0 : static_cast<int>(std::ceil(std::log2(positions)));
  return stages * bits * (kAdd32 / 32.0) * t.energy_scale;
}
// Aladdin register: 0.009 pJ per bit (1 ns, 40 nm; used as-is at 45 nm).
double register_pj_per_bit(const Tech& t) { return 0.009 * t.energy_scale; }
// Popcount as an adder tree: about (bits - 1) full-adder bits.
double popcount_pj(int bits, const Tech& t) {
  return std::max(0, bits - 1) * (kAdd32 / 32.0) * t.energy_scale;
}

double int_mult_um2(int a, int b, const Tech& t) {
  return kAreaMult8 * a * b / 64.0 * t.area_scale;
}
double int_add_um2(int bits, const Tech& t) {
  return std::max(0.0, lin(bits, 8, kAreaAdd8, 32, kAreaAdd32)) * t.area_scale;
}
double fp_mult_um2(int man, int ex, const Tech& t) {
  (void)ex;
  const double c = (kAreaFpMul32 - kAreaFpMul16) / (24.0 * 24 - 11.0 * 11);
  return std::max(0.0, kAreaFpMul16 + c * (man * man - 121.0)) * t.area_scale;
}
double fp_add_um2(int man, int ex, const Tech& t) {
  (void)ex;
  return std::max(0.0, lin(man, 11, kAreaFpAdd16, 24, kAreaFpAdd32)) * t.area_scale;
}
double shifter_um2(int bits, int positions, const Tech& t) {
  const int stages = positions <= 1 ? 0 : static_cast<int>(std::ceil(std::log2(positions)));
  return stages * bits * 1.862 * t.area_scale;  // MUX2_X1 1.862 um^2 (NanGate45-like, spec §5.2)
}
// Aladdin register: 5.98 um^2 per bit.
double register_um2_per_bit(const Tech& t) { return 5.98 * t.area_scale; }
double popcount_um2(int bits, const Tech& t) {
  return std::max(0, bits - 1) * (kAreaAdd32 / 32.0) * t.area_scale;
}

// Horowitz 64-bit reads: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ -> 0.156/0.3125/1.5625 pJ/bit,
// interpolated in log(capacity); below 8 KB the CACTI depth rule (ratio^0.78, Accelergy) shrinks
// it.
double sram_pj_per_bit(double kib, const Tech& t) {
  const double e8 = 10.0 / 64, e32 = 20.0 / 64, e1m = 100.0 / 64;
  double e;
  if (kib <= 8) {
    e = e8 * std::pow(std::max(kib, 0.125) / 8.0, 0.78);
  } else if (kib <= 32) {
    e = std::exp(lin(std::log(kib), std::log(8), std::log(e8), std::log(32), std::log(e32)));
  } else if (kib <= 1024) {
    e = std::exp(lin(std::log(kib), std::log(32), std::log(e32), std::log(1024), std::log(e1m)));
  } else {
    e = e1m * std::pow(kib / 1024.0, 0.78 * std::log(e1m / e32) / std::log(32.0) / 0.78);
  }
  return e * t.energy_scale;
}
// Estimate: 6T cell ~0.25 um^2 at 45 nm with ~40% periphery overhead -> 0.35 um^2/bit.
double sram_um2(double kib, const Tech& t) { return kib * 1024 * 8 * 0.35 * t.area_scale; }
// Estimate: ~0.01 mW per KiB at 45 nm (order of CACTI's LSTP numbers).
double sram_leakage_mw(double kib, const Tech& t) { return kib * 0.01 * t.energy_scale; }
// DRAM: Horowitz's 64-bit access 1.3-2.6 nJ = 20-40 pJ/bit; the midpoint, 30 pJ/bit, for DDR-class.
double dram_pj_per_bit() { return 30.0; }
// Estimate: ~5% of the dynamic power density of a busy 45 nm datapath; 20 mW/mm^2.
double logic_leakage_mw_per_mm2(const Tech& t) { return 20.0 * t.energy_scale / t.area_scale; }

const char* table_version() { return "cost-2026.11-1"; }

const std::vector<std::string>& sources() {
  static const std::vector<std::string> s{
      "Horowitz, Computing's Energy Problem, ISSCC 2014: 45 nm int/FP add/mult, SRAM 8KB/32KB/1MB, "
      "DRAM",
      "Accelergy Aladdin plug-in: multiplier quadratic / adder linear width scaling, register "
      "0.009 pJ/bit and 5.98 um^2/bit",
      "Stillmaker & Baas 2017 (via Accelergy scaling.py): technology energy scaling",
      "CACTI depth scaling (depth ratio)^0.78 (via Accelergy) below 8 KB",
      "Estimates (documented in energy.cpp): SRAM cell area, SRAM and logic leakage"};
  return s;
}

}  // namespace mpsim::cost
