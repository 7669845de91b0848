// DESCRIPTION: The energy/area tables behind every PE family's per-action cost, with their sources.
// SPDX-License-Identifier: Apache-2.0
//
// Base: Horowitz, "Computing's Energy Problem (and what we can do about it)", ISSCC 2014 (45 nm,
// 0.9 V). Width scaling: Accelergy's Aladdin plug-in (multiplier quadratic, adder linear), which
// the Yosys measurements in the spec confirm. Node scaling: Stillmaker & Baas 2017 via Accelergy's
// scaling.py. Every number below names its source; "[unverified]" and "[estimate]" mark the ones a
// reader should check before quoting. Derivations: /work/shared/specs/energy_and_speed.md §1, §5.
#include "mpsim/cost/energy.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <iterator>

#include "mpsim/base/error.h"

namespace mpsim::cost {

namespace {

// ---- Technology scaling -------------------------------------------------------------------------
// Energy relative to 45 nm at 0.8 V: Stillmaker & Baas 2017 coefficients as used by
// Accelergy-Project/accelergy-library-plug-in scaling.py (spec §1.2 [derived] table).
struct NodeEnergy {
  int nm;
  double scale;
};
constexpr NodeEnergy kSourceNodes[] = {{65, 1.24}, {45, 1.0}, {32, 0.66}, {16, 0.17}, {7, 0.094}};

// 28, 22 and 12 nm are not in the source table: mpsim interpolates log(energy) linearly in
// log(node) between the neighbouring source nodes (a power law per segment, which is how energy
// tracks feature size), giving 28 nm ~0.508, 22 nm ~0.317, 12 nm ~0.138.
double node_energy_scale(int nm) {
  for (std::size_t i = 0; i < std::size(kSourceNodes); ++i) {
    const NodeEnergy& hi = kSourceNodes[i];
    if (nm == hi.nm) return hi.scale;
    if (i + 1 < std::size(kSourceNodes)) {
      const NodeEnergy& lo = kSourceNodes[i + 1];
      if (nm < hi.nm && nm > lo.nm) {
        const double f = std::log(double(nm) / lo.nm) / std::log(double(hi.nm) / lo.nm);
        return lo.scale * std::pow(hi.scale / lo.scale, f);
      }
    }
  }
  MPSIM_CHECK(false, fmt::format("node {} nm outside the scaling table", nm));
  return 1.0;
}

// ---- Horowitz ISSCC 2014 45 nm anchors (spec §1.1 [src]) ----------------------------------------
constexpr double kMult8Pj = 0.2;    // 8-bit int multiply
constexpr double kAdd8Pj = 0.03;    // 8-bit int add
constexpr double kAdd32Pj = 0.1;    // 32-bit int add
constexpr double kFpMul16Pj = 1.1;  // FP16 multiply (significand 11 incl. hidden bit, exponent 5)
constexpr double kFpMul32Pj = 3.7;  // FP32 multiply (significand 24, exponent 8)
constexpr double kFpAdd16Pj = 0.4;  // FP16 add
constexpr double kFpAdd32Pj = 0.9;  // FP32 add
constexpr int kMan16 = 11, kExp16 = 5, kMan32 = 24, kExp32 = 8;

// Area at 45 nm, um^2: Horowitz's slide as quoted in spec §1.1, [unverified] (not re-found in a
// primary source). The 32-bit multiplier (3495 um^2) is not used: see int_mult_um2.
constexpr double kAdd8Um2 = 36, kAdd32Um2 = 137, kMult8Um2 = 282;
constexpr double kFpAdd16Um2 = 1360, kFpAdd32Um2 = 4184, kFpMul16Um2 = 1640, kFpMul32Um2 = 7700;

// ---- Fitted width models ------------------------------------------------------------------------
// Integer multiplier: E = c * a * b (Aladdin's quadratic rule), c fixed by the 8x8 anchor:
// c = 0.2 / 64 = 0.003125 pJ per bit product. 32x32 then gives 3.2 pJ against Horowitz's 3.1
// (+3%), which is why one coefficient is enough.
constexpr double kMultPjPerBitProduct = kMult8Pj / 64;

// Integer adder: E = a + b * bits (Aladdin's linear rule) through both Horowitz adds:
// b = 0.07 / 24 = 0.0029167 pJ/bit, a = 0.0066667 pJ (carry-in, output drive).
constexpr double kAddPjPerBit = (kAdd32Pj - kAdd8Pj) / (32 - 8);
constexpr double kAddPjBase = kAdd8Pj - 8 * kAddPjPerBit;
constexpr double kAddUm2PerBit = (kAdd32Um2 - kAdd8Um2) / (32 - 8);  // 4.2083 um^2/bit
constexpr double kAddUm2Base = kAdd8Um2 - 8 * kAddUm2PerBit;         // 2.3333 um^2

constexpr double add_pj45(int bits) { return kAddPjBase + kAddPjPerBit * bits; }
constexpr double add_um2_45(int bits) { return kAddUm2Base + kAddUm2PerBit * bits; }
// A format without exponent bits has no exponent datapath.
constexpr double exp_add_pj45(int e) { return e > 0 ? add_pj45(e) : 0.0; }
constexpr double exp_add_um2_45(int e) { return e > 0 ? add_um2_45(e) : 0.0; }

// FP multiplier = significand datapath + exponent adder. The exponent adder is the integer adder
// above (not refitted). The significand datapath is k*m^2 (the multiplier array, Aladdin's
// quadratic rule) + j*m (post-normalisation mux and rounding incrementer, both m bits wide);
// k and j are solved so both Horowitz anchors hold exactly. The simpler k*m^2 + c*e fit was
// rejected: it prices an exponent bit at 0.097 pJ (33x an adder bit) and makes BF16 cost as much
// as FP16.
struct QuadLin {
  double k, j;  // k*m^2 + j*m
};
constexpr QuadLin fit_quad_lin(double m0, double r0, double m1, double r1) {
  const double det = m0 * m0 * m1 - m0 * m1 * m1;
  return {(r0 * m1 - m0 * r1) / det, (m0 * m0 * r1 - m1 * m1 * r0) / det};
}
// Energy: k = 0.0042191 pJ/bit^2, j = 0.051658 pJ/bit.
constexpr QuadLin kFpMulPj = fit_quad_lin(kMan16, kFpMul16Pj - exp_add_pj45(kExp16), kMan32,
                                          kFpMul32Pj - exp_add_pj45(kExp32));
// Area: k = 13.259 um^2/bit^2, j = 1.1166 um^2/bit.
constexpr QuadLin kFpMulUm2 = fit_quad_lin(kMan16, kFpMul16Um2 - exp_add_um2_45(kExp16), kMan32,
                                           kFpMul32Um2 - exp_add_um2_45(kExp32));

// FP adder energy = a + j*m + exponent adder: alignment shifter, significand adder and normaliser
// are all m bits wide. j = 0.037788 pJ/bit and a = -0.036923 pJ: the small negative intercept is
// within the rounding of Horowitz's one-digit numbers and leaves every m >= 1 positive.
constexpr double kFpAddPjPerBit =
    ((kFpAdd32Pj - exp_add_pj45(kExp32)) - (kFpAdd16Pj - exp_add_pj45(kExp16))) / (kMan32 - kMan16);
constexpr double kFpAddPjBase = kFpAdd16Pj - exp_add_pj45(kExp16) - kFpAddPjPerBit * kMan16;

// FP adder area = A * m^p + exponent adder, p = 1.4516, A = 41.15 um^2. The area anchors grow
// 3.1x for 2.2x significand (the two m*log(m) shifters dominate area), so a linear fit would need
// a -1042 um^2 intercept and go negative below 5 bits; the power law holds both anchors exactly
// and stays positive.
struct PowerLaw {
  double a, p;
};
PowerLaw fp_add_um2_fit() {
  const double r16 = kFpAdd16Um2 - exp_add_um2_45(kExp16);
  const double r32 = kFpAdd32Um2 - exp_add_um2_45(kExp32);
  const double p = std::log(r32 / r16) / std::log(double(kMan32) / kMan16);
  return {r16 / std::pow(double(kMan16), p), p};
}

// Integer multiplier area: c * a * b through Horowitz's 8x8 282 um^2 [unverified] -> c = 4.40625
// um^2 per bit product. 32x32 then gives 4512 against the slide's 3495 (+29%); the quadratic rule
// is kept because the Yosys measurements (spec §1.3 [meas]: 8x8 530 GE, 32x32 9298 GE, x17.5 for
// x16 bit products) support it over the slide's x12.4, and the mixed-precision widths are <= 8.
constexpr double kMultUm2PerBitProduct = kMult8Um2 / 64;

// Register (flip-flop) write per bit: Aladdin plug-in, 0.009 pJ and 5.98 um^2 (40 nm data, spec
// §1.2 [src]). Used at 45 nm without a 40->45 nm rescale: the area already matches a NanGate45-like
// DFF + enable MUX2 (4.522 + 1.862 = 6.38 um^2, spec §5.2 [unverified]) within 7%.
constexpr double kRegPjPerBit = 0.009;
constexpr double kRegUm2PerBit = 5.98;

// Number of 2:1 mux stages of a log shifter reaching `positions` positions (ceil(log2)).
int shifter_stages(int positions) {
  int s = 0;
  while ((1LL << s) < positions) ++s;
  return s;
}

// ---- SRAM and DRAM ------------------------------------------------------------------------------
// Horowitz 64-bit reads: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ (spec §1.1 [src]; KB read as KiB)
// -> 0.15625 / 0.3125 / 1.5625 pJ/bit (the spec's rounded 0.16 / 0.31 / 1.6).
constexpr double kSram8KPj = 10.0 / 64, kSram32KPj = 20.0 / 64, kSram1MPj = 100.0 / 64;
// CACTI's depth scaling, (depth ratio)^0.78, as used in Accelergy scaling.py (spec §1.2 [src]).
constexpr double kCactiDepthExp = 0.78;

// 6T cell ~0.35 um^2 at 45 nm (the size of published 45 nm high-density cells, e.g. Intel's 0.346
// um^2 [unverified]); decoders, sense amplifiers and I/O at ~70% array efficiency [estimate] ->
// 0.35 / 0.7 = 0.5 um^2 per bit.
constexpr double kSramUm2PerBit = 0.35 / 0.7;
// [estimate] 0.01 mW/KiB (1.2 nW/bit) at 45 nm: low-leakage SRAM; high-performance cells leak
// 10-50x more. Scaled with the node's energy factor (device width and voltage shrink together).
constexpr double kSramLeakMwPerKib = 0.01;
// [estimate] 20 mW/mm^2 at 45 nm: ~8% of a busy datapath's dynamic density (the measured INT8 MAC,
// 1576 GE = 1258 um^2, at 0.3 pJ/cycle and 1 GHz dissipates ~240 mW/mm^2).
constexpr double kLogicLeakMwPerMm2 = 20.0;
// Horowitz's 64-bit DRAM access, 1.3-2.6 nJ, is 20-40 pJ/bit (spec §1.1 [src/derived]); mpsim uses
// the midpoint, 30 pJ/bit, because the range spans DDR3/LPDDR generations and no single part is
// modelled; Han et al.'s 640 pJ per 32-bit word (20 pJ/bit) is the low end of the same range.
constexpr double kDramPjPerBit = 30.0;

// Widths come from PE code, never straight from the user, so a bad one is an mpsim bug.
int width(int bits, const char* what) {
  MPSIM_CHECK(bits >= 1, fmt::format("{} width must be >= 1 bit, got {}", what, bits));
  return bits;
}
int exp_width(int bits) {
  MPSIM_CHECK(bits >= 0, fmt::format("exponent width must be >= 0 bits, got {}", bits));
  return bits;
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
  t.energy_scale = node_energy_scale(nm);
  t.area_scale = (nm / 45.0) * (nm / 45.0);  // ideal shrink: area ~ feature size squared
  return t;
}

const std::vector<int>& Tech::supported_nodes() {
  static const std::vector<int> nodes{65, 45, 32, 28, 22, 16, 12, 7};
  return nodes;
}

// ---- Energy -------------------------------------------------------------------------------------
double int_mult_pj(int a_bits, int b_bits, const Tech& t) {
  return kMultPjPerBitProduct * width(a_bits, "multiplier a") * width(b_bits, "multiplier b") *
         t.energy_scale;
}

double int_add_pj(int bits, const Tech& t) {
  return add_pj45(width(bits, "adder")) * t.energy_scale;
}

double fp_mult_pj(int man_bits, int exp_bits, const Tech& t) {
  const double m = width(man_bits, "significand");
  return (kFpMulPj.k * m * m + kFpMulPj.j * m + exp_add_pj45(exp_width(exp_bits))) * t.energy_scale;
}

double fp_add_pj(int man_bits, int exp_bits, const Tech& t) {
  const double m = width(man_bits, "significand");
  return (kFpAddPjBase + kFpAddPjPerBit * m + exp_add_pj45(exp_width(exp_bits))) * t.energy_scale;
}

// A log shifter is ceil(log2(positions)) stages of `bits` 2:1 muxes. A mux bit is priced like the
// marginal adder bit (kAddPjPerBit): no 45 nm mux energy is sourced, and a mux plus its share of
// the long shift wires switches about as much as a full-adder bit.
double shifter_pj(int bits, int positions, const Tech& t) {
  MPSIM_CHECK(positions >= 1, fmt::format("shifter positions must be >= 1, got {}", positions));
  return shifter_stages(positions) * width(bits, "shifter") * kAddPjPerBit * t.energy_scale;
}

double register_pj_per_bit(const Tech& t) { return kRegPjPerBit * t.energy_scale; }

// An n-input popcount is a full-adder tree of about n - 1 full adders, each priced as the
// marginal adder bit.
double popcount_pj(int bits, const Tech& t) {
  return double(width(bits, "popcount") - 1) * kAddPjPerBit * t.energy_scale;
}

// ---- Area ---------------------------------------------------------------------------------------
double int_mult_um2(int a_bits, int b_bits, const Tech& t) {
  return kMultUm2PerBitProduct * width(a_bits, "multiplier a") * width(b_bits, "multiplier b") *
         t.area_scale;
}

double int_add_um2(int bits, const Tech& t) {
  return add_um2_45(width(bits, "adder")) * t.area_scale;
}

double fp_mult_um2(int man_bits, int exp_bits, const Tech& t) {
  const double m = width(man_bits, "significand");
  return (kFpMulUm2.k * m * m + kFpMulUm2.j * m + exp_add_um2_45(exp_width(exp_bits))) *
         t.area_scale;
}

double fp_add_um2(int man_bits, int exp_bits, const Tech& t) {
  static const PowerLaw fit = fp_add_um2_fit();
  const double m = width(man_bits, "significand");
  return (fit.a * std::pow(m, fit.p) + exp_add_um2_45(exp_width(exp_bits))) * t.area_scale;
}

// Same structure as shifter_pj, with the marginal adder bit's area (4.21 um^2): above a bare
// MUX2_X1 cell (1.862 um^2, spec §5.2 [unverified]) because shifter area is mostly wiring.
double shifter_um2(int bits, int positions, const Tech& t) {
  MPSIM_CHECK(positions >= 1, fmt::format("shifter positions must be >= 1, got {}", positions));
  return shifter_stages(positions) * width(bits, "shifter") * kAddUm2PerBit * t.area_scale;
}

double register_um2_per_bit(const Tech& t) { return kRegUm2PerBit * t.area_scale; }

double popcount_um2(int bits, const Tech& t) {
  return double(width(bits, "popcount") - 1) * kAddUm2PerBit * t.area_scale;
}

// ---- Memories -----------------------------------------------------------------------------------
// Power law between neighbouring Horowitz anchors (log energy linear in log capacity; exponents
// 0.5 for 8-32 KiB and 0.464 for 32 KiB-1 MiB), the 32 KiB-1 MiB law extrapolated above 1 MiB.
// Below 8 KiB the CACTI depth rule takes over, floored at the register's energy per bit: an array
// smaller than ~0.2 KiB is no cheaper than flip-flops.
double sram_pj_per_bit(double kib, const Tech& t) {
  MPSIM_CHECK(kib > 0, fmt::format("SRAM capacity must be > 0 KiB, got {}", kib));
  const auto power_law = [kib](double k0, double e0, double k1, double e1) {
    return e0 * std::pow(kib / k0, std::log(e1 / e0) / std::log(k1 / k0));
  };
  double e;
  if (kib < 8) {
    e = std::max(kSram8KPj * std::pow(kib / 8, kCactiDepthExp), kRegPjPerBit);
  } else if (kib <= 32) {
    e = power_law(8, kSram8KPj, 32, kSram32KPj);
  } else {
    e = power_law(32, kSram32KPj, 1024, kSram1MPj);
  }
  return e * t.energy_scale;
}

double sram_um2(double kib, const Tech& t) {
  MPSIM_CHECK(kib > 0, fmt::format("SRAM capacity must be > 0 KiB, got {}", kib));
  return kib * 1024 * 8 * kSramUm2PerBit * t.area_scale;
}

double sram_leakage_mw(double kib, const Tech& t) {
  MPSIM_CHECK(kib > 0, fmt::format("SRAM capacity must be > 0 KiB, got {}", kib));
  return kib * kSramLeakMwPerKib * t.energy_scale;
}

double dram_pj_per_bit() { return kDramPjPerBit; }

// Leakage per device tracks the energy factor; devices per mm^2 grow as 1 / area_scale.
double logic_leakage_mw_per_mm2(const Tech& t) {
  return kLogicLeakMwPerMm2 * t.energy_scale / t.area_scale;
}

const char* table_version() { return "cost-2026.11-1"; }

const std::vector<std::string>& sources() {
  static const std::vector<std::string> s{
      "Horowitz, \"Computing's Energy Problem (and what we can do about it)\", ISSCC 2014, 45 nm "
      "0.9 V: int add 8b 0.03 / 32b 0.1 pJ, int mult 8b 0.2 / 32b 3.1 pJ, FP16/FP32 add 0.4/0.9 "
      "pJ, mult 1.1/3.7 pJ",
      "Horowitz ISSCC 2014: SRAM 64-bit read 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ (0.16/0.31/1.6 "
      "pJ/bit, power law between); DRAM 64-bit 1.3-2.6 nJ = 20-40 pJ/bit, 30 pJ/bit used",
      "Horowitz ISSCC 2014 slide [unverified]: 45 nm area 8b add 36, 32b add 137, 8b mult 282, "
      "FP16/FP32 add 1360/4184, FP16/FP32 mult 1640/7700 um^2",
      "Accelergy Aladdin plug-in (tanner-andrulis/accelergy-aladdin-plug-in, hwcomponents-library "
      "aladdin.py): multiplier quadratic and adder linear in width; register 0.009 pJ/bit, 5.98 "
      "um^2/bit (40 nm data, used as 45 nm)",
      "Stillmaker & Baas, Integration 2017, via Accelergy-Project/accelergy-library-plug-in "
      "scaling.py: energy vs 45 nm at 0.8 V 65 nm 1.24, 32 nm 0.66, 16 nm 0.17, 7 nm 0.094; "
      "28/22/12 "
      "nm interpolated log-log by mpsim; area scaled (node/45)^2",
      "CACTI depth scaling (depth ratio)^0.78, via Accelergy scaling.py: SRAM below 8 KiB, floored "
      "at the register energy per bit",
      "mpsim Yosys 0.23 measurements (energy_and_speed.md §1.3): mult 8x8 530 GE vs 32x32 9298 GE "
      "support quadratic multiplier area; NanGate45-like DFF/MUX2 areas [unverified]",
      "Estimates (mpsim, unsourced): SRAM 0.5 um^2/bit at 45 nm (0.35 um^2 6T cell [unverified] at "
      "70% array efficiency), SRAM leakage 0.01 mW/KiB, logic leakage 20 mW/mm^2 at 45 nm"};
  return s;
}

const std::vector<SynthArea>& synthesized_areas() {
  static const std::vector<SynthArea> table{
#include "rtl_area_table.inc"
  };
  return table;
}

double synthesized_area_um2(std::string_view config, const Tech& t) {
  for (const auto& e : synthesized_areas())
    if (config == e.config) return e.area_um2 * t.area_scale;
  return -1;
}

}  // namespace mpsim::cost
