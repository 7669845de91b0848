// DESCRIPTION: The bitserial PE type (BitMoD-style): format support, closed-form timing, per-action
// costs from its datapath parts, the bit-exact dot and its systolic kernel.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <bit>

#include "bitserial_family.h"
#include "mpsim/core/systolic.h"

namespace mpsim::sim::bitserial {
namespace {

bool is_int4_group(const std::string& n) {
  return n == "int4_g32" || n == "int4_g64" || n == "int4_g128" || n == "gptq_int4";
}
int bitmod_bits(const std::string& n) {
  if (n == "bitmod_fp4") return 4;
  if (n == "bitmod_fp3") return 3;
  return 0;
}
/// N of a scalar "intN" with 2 <= N <= 8, else 0.
int scalar_int_bits(const std::string& n) {
  if (!n.starts_with("int") || n.size() != 4 || n[3] < '2' || n[3] > '8') return 0;
  return n[3] - '0';
}

int group_of(const num::FormatSpec& w) {
  const num::FormatInfo* info = num::builtin_formats().find(w.name);
  MPSIM_CHECK(info != nullptr, "bitserial: unknown weight format");
  return num::builtin_formats().resolve(*info, w.options).size;
}

int ceil_log2(int x) {
  return x <= 1 ? 0 : static_cast<int>(std::bit_width(static_cast<unsigned>(x - 1)));
}

/// Datapath widths of one format pair (what the cost model charges).
struct Widths {
  int a_bits;     ///< activation: intN, or FP16 as 2^-24 fixed point plus sign (41)
  int w_bits;     ///< stored weight bits the reader holds
  int positions;  ///< shift positions of the partial-product shifter
  int p_bits;     ///< group (or INT32) accumulator
  int s_bits;     ///< sum of a (zero-point formats)
};

class Bitserial final : public PeType {
 public:
  explicit Bitserial(int lanes) : lanes_(lanes) {}
  std::string_view name() const override { return "bitserial"; }

  std::optional<std::string> unsupported(const PeFormats& f) const override {
    const bool group_w = is_int4_group(f.w.name) || bitmod_bits(f.w.name) != 0;
    if (group_w) {
      if (f.a.name != "int8" && f.a.name != "fp16") {
        return fmt::format(
            "bitserial takes int8/fp16 activations against group weights; got {} x {}", f.a.str(),
            f.w.str());
      }
      const int g = group_of(f.w);
      if (g % lanes_ != 0) {
        return fmt::format(
            "bitserial: group {} of {} is not a multiple of lanes = {} (a chunk would straddle "
            "two groups with different scales)",
            g, f.w.str(), lanes_);
      }
      if (g > kMaxGroup) {
        return fmt::format("bitserial: group {} exceeds the {}-element group accumulators", g,
                           kMaxGroup);
      }
      return std::nullopt;
    }
    if (scalar_int_bits(f.w.name) != 0) {
      if (scalar_int_bits(f.a.name) != 0) return std::nullopt;
      return fmt::format(
          "bitserial runs scalar intN weights only against intN activations (an INT32 result "
          "like golden::gemm's); {} x {} would need a rounding per product (the FP32 FMA chain)",
          f.a.str(), f.w.str());
    }
    return fmt::format(
        "bitserial takes int4_g32/int4_g64/int4_g128/gptq_int4/bitmod_fp4/bitmod_fp3 weights "
        "(x int8/fp16) or intN weights (x intN), N = 2..8; got {} x {}",
        f.a.str(), f.w.str());
  }

  PeTiming timing(const PeFormats& f) const override { return family(f).timing(); }

  PeCost cost(const PeFormats& f, const cost::Tech& t) const override {
    const BitserialFamily fam = family(f);
    const Widths w = widths(f, fam);
    const double reg = cost::register_pj_per_bit(t);
    PeCost c;
    c.actions.resize(kActionCount);
    c.actions[kBoothStep] = {
        "booth_step",
        cost::shifter_pj(w.a_bits, w.positions, t) + cost::int_add_pj(w.p_bits, t) +
            reg * w.p_bits / lanes_,
        fmt::format("shifter({}b, {} positions) + int_add({}) + reg({}) / {} lanes", w.a_bits,
                    w.positions, w.p_bits, w.p_bits, lanes_)};
    c.actions[kActSum] = {
        "act_sum", cost::int_add_pj(w.s_bits, t) + reg * w.a_bits,
        fmt::format("int_add({}) + reg({}) (zero-point formats only)", w.s_bits, w.a_bits)};
    // The serial multiplier is unrolled over the 11 significand bits (one shift-add row each) so
    // that it accepts a group every issue slot, as a WS group-ending row needs.
    const bool zero_point = fam.wk == WeightKind::kIntGroup;
    c.actions[kGroupDequant] = {
        "group_dequant",
        kScaleBits * cost::int_add_pj(w.p_bits + kScaleBits, t) +
            (zero_point ? cost::int_mult_pj(5, w.s_bits, t) + cost::int_add_pj(w.p_bits + 1, t)
                        : 0.0) +
            cost::fp_add_pj(24, 8, t) + reg * 32,
        fmt::format("{} x int_add({}) (serial scale){} + fp_add(24,8) + reg(32)", kScaleBits,
                    w.p_bits + kScaleBits,
                    zero_point ? fmt::format(" + int_mult(5x{}) ((z-8)*A) + int_add({})", w.s_bits,
                                             w.p_bits + 1)
                               : "")};
    const bool dequant = fam.wk != WeightKind::kIntScalar;
    const int reg_bits = lanes_ * (w.a_bits + w.w_bits) + w.p_bits + (zero_point ? w.s_bits : 0) +
                         (dequant ? 32 + 16 + 5 : 0);
    c.area_um2 =
        lanes_ * (cost::shifter_um2(w.a_bits, w.positions, t) + cost::int_add_um2(w.p_bits, t) +
                  (zero_point ? cost::int_add_um2(w.s_bits, t) : 0.0)) +
        (dequant
             ? kScaleBits * cost::int_add_um2(w.p_bits + kScaleBits, t) + cost::fp_add_um2(24, 8, t)
             : 0.0) +
        (zero_point ? cost::int_mult_um2(5, w.s_bits, t) + cost::int_add_um2(w.p_bits + 1, t)
                    : 0.0) +
        cost::register_um2_per_bit(t) * reg_bits;
    c.area_parts = fmt::format(
        "{} lanes x (shifter({}b,{}) + int_add({}){}){}{} + reg({})", lanes_, w.a_bits, w.positions,
        w.p_bits, zero_point ? fmt::format(" + int_add({})", w.s_bits) : "",
        dequant ? fmt::format(" + dequant({} x int_add({}) + fp_add(24,8))", kScaleBits,
                              w.p_bits + kScaleBits)
                : "",
        zero_point ? fmt::format(" + int_mult(5x{}) + int_add({})", w.s_bits, w.p_bits + 1) : "",
        reg_bits);
    // The project's RTL synthesized with Yosys (rtl/pe/bitserial/synth.list) replaces the parts
    // estimate where a row exists: INT8 activations, lanes 1 or 4. INT4 group formats map to the
    // GROUP=128 build (its accumulators hold any smaller group too).
    if (fam.act == ActKind::kInt && w.a_bits == 8) {
      std::string wname;
      if (fam.wk == WeightKind::kIntGroup && fam.wbits == 4) wname = "int4_g128";
      if (fam.wk == WeightKind::kBitmod) wname = fmt::format("bitmod_fp{}", fam.wbits);
      if (fam.wk == WeightKind::kIntScalar) wname = fmt::format("int{}", fam.wbits);
      const std::string config =
          fmt::format("bitserial/lanes={}/int8x{}/{}", lanes_, wname, dequant ? "fp32" : "acc32");
      if (const double synth = cost::synthesized_area_um2(config, t); !wname.empty() && synth > 0) {
        c.area_um2 = synth;
        c.area_parts = fmt::format(
            "synthesized {}: rtl/pe/bitserial/bitserial_pe.sv (Yosys, rtl/synth/area45.lib)",
            config);
      }
    }
    c.leakage_mw = cost::logic_leakage_mw_per_mm2(t) * c.area_um2 * 1e-6;
    return c;
  }

  float dot(const num::QuantizedRow& a, const num::QuantizedRow& w,
            ActionCounts& counts) const override {
    MPSIM_CHECK(a.values.size() == w.values.size(), "dot: length mismatch");
    PeFormats f{num::FormatSpec{a.format, {}}, num::FormatSpec{w.format, {}}};
    if (w.block > 0) f.w.options.group = w.block;
    if (auto why = unsupported(f)) throw ConfigError(Diagnostic{"", "", *why});
    BitserialFamily fam = family(f);
    const auto K = static_cast<std::int64_t>(a.values.size());
    fam.set_total_k(K);
    counts.resize(kActionCount, 0);
    BitserialFamily::Acc acc = fam.zero();
    for (std::int64_t c = 0; c * lanes_ < K; ++c) {
      fam.issue(acc, fam.a_chunk(a, c), fam.w_chunk(w, c), counts.data());
    }
    return fam.finish(acc);
  }

  std::vector<PeFormats> example_formats() const override {
    return {PeFormats{num::FormatSpec::parse("fp16"), num::FormatSpec::parse("bitmod_fp4")},
            PeFormats{num::FormatSpec::parse("fp16"), num::FormatSpec::parse("bitmod_fp3")},
            PeFormats{num::FormatSpec::parse("int8"), num::FormatSpec::parse("int4_g128")},
            PeFormats{num::FormatSpec::parse("fp16"), num::FormatSpec::parse("gptq_int4")},
            PeFormats{num::FormatSpec::parse("int8"), num::FormatSpec::parse("int8")},
            PeFormats{num::FormatSpec::parse("int8"), num::FormatSpec::parse("int3")}};
  }

  std::unique_ptr<GemmKernel> kernel(const PeFormats& f, int rows, int cols,
                                     Dataflow d) const override {
    return std::make_unique<SystolicKernel<BitserialFamily>>(family(f), rows, cols, d);
  }

 private:
  BitserialFamily family(const PeFormats& f) const {
    MPSIM_CHECK(!unsupported(f).has_value(), "bitserial: unsupported format pair reached the PE");
    BitserialFamily fam;
    fam.lanes = lanes_;
    fam.act = f.a.name == "fp16" ? ActKind::kFp16 : ActKind::kInt;
    if (is_int4_group(f.w.name)) {
      fam.wk = WeightKind::kIntGroup;
      fam.wbits = 4;
      fam.group = group_of(f.w);
    } else if (const int bm = bitmod_bits(f.w.name); bm != 0) {
      fam.wk = WeightKind::kBitmod;
      fam.wbits = bm;
      fam.group = group_of(f.w);
      fam.init_bitmod(bm);
    } else {
      fam.wk = WeightKind::kIntScalar;
      fam.wbits = scalar_int_bits(f.w.name);
      fam.group = 0;
    }
    return fam;
  }

  Widths widths(const PeFormats& f, const BitserialFamily& fam) const {
    Widths w{};
    w.a_bits = fam.act == ActKind::kFp16 ? 41 : std::max(scalar_int_bits(f.a.name), 2);
    w.w_bits = fam.wbits;
    switch (fam.wk) {
      case WeightKind::kIntGroup:
        // |q - 8| <= 8 shifted by up to 3, over the group.
        w.positions = 2 * fam.cycles();
        w.p_bits = w.a_bits + 4 + ceil_log2(fam.group) + 1;
        w.s_bits = w.a_bits + ceil_log2(fam.group);
        break;
      case WeightKind::kBitmod:
        w.positions = 5;  // terms up to 2^4 (the EA special value 16)
        w.p_bits = w.a_bits + 5 + ceil_log2(fam.group) + 1;
        w.s_bits = w.a_bits + ceil_log2(fam.group);  // no sum of a: act_sum never counts
        break;
      case WeightKind::kIntScalar:
        w.positions = 2 * fam.cycles();
        w.p_bits = 32;
        w.s_bits = w.a_bits;  // no sum of a: act_sum never counts
        break;
    }
    return w;
  }

  int lanes_;
};

std::unique_ptr<PeType> make(const PeParams& p) {
  return std::make_unique<Bitserial>(static_cast<int>(p.get("lanes", 4)));
}

}  // namespace
}  // namespace mpsim::sim::bitserial

MPSIM_DEFINE_PE_TYPE(
    bitserial,
    "BitMoD-style bit-serial: INT (radix-4 Booth, 2 bits/cycle) and BitMoD FP4/FP3 (power-of-two "
    "terms) weights x INT8/FP16 activations, group accumulator, bit-serial dequantization",
    (std::vector<mpsim::sim::PeParamInfo>{{"lanes",
                                           true,
                                           4,
                                           1,
                                           mpsim::sim::bitserial::kMaxLanes,
                                           "",
                                           {},
                                           "activation lanes per PE (k elements per issue); must "
                                           "divide the weight group size"}}),
    mpsim::sim::bitserial::make)
