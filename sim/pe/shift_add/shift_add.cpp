// DESCRIPTION: The shift_add PE type (MixPE-style): format support, closed-form timing, per-action
// costs from its datapath parts, the bit-exact dot and its systolic kernel.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <bit>

#include "mpsim/core/systolic.h"
#include "shift_add_family.h"

namespace mpsim::sim::shift_add {
namespace {

bool is_int4_group(const std::string& n) {
  return n == "int4_g32" || n == "int4_g64" || n == "int4_g128" || n == "gptq_int4";
}

/// The group size a weight format spec resolves to (its options applied).
int group_of(const num::FormatSpec& w) {
  const num::FormatInfo* info = num::builtin_formats().find(w.name);
  MPSIM_CHECK(info != nullptr, "shift_add: unknown weight format");
  return num::builtin_formats().resolve(*info, w.options).size;
}

int ceil_log2(int x) {
  return x <= 1 ? 0 : static_cast<int>(std::bit_width(static_cast<unsigned>(x - 1)));
}

/// Datapath widths of one format pair (what the cost model charges).
struct Widths {
  int a_bits;  ///< activation as the adders see it: INT8, or FP16 as 2^-24 fixed point + sign
  int term;    ///< one shifted activation (a << 3) plus its sign
  int p_bits;  ///< group sum of a*q
  int s_bits;  ///< group sum of a
};
Widths widths(ActKind act, int group) {
  Widths w{};
  w.a_bits = act == ActKind::kInt8 ? 8 : 41;
  w.term = w.a_bits + kPlanes;
  w.p_bits = w.term + ceil_log2(group);
  w.s_bits = w.a_bits + ceil_log2(group);
  return w;
}

class ShiftAdd final : public PeType {
 public:
  explicit ShiftAdd(int lanes) : lanes_(lanes) {}
  std::string_view name() const override { return "shift_add"; }

  std::optional<std::string> unsupported(const PeFormats& f) const override {
    if ((f.a.name != "int8" && f.a.name != "fp16") || !is_int4_group(f.w.name)) {
      return fmt::format(
          "shift_add multiplies int8/fp16 activations by UINT4 group weights with a zero point "
          "(int4_g32/int4_g64/int4_g128/gptq_int4); got {} x {}",
          f.a.str(), f.w.str());
    }
    const int g = group_of(f.w);
    if (g % lanes_ != 0) {
      return fmt::format(
          "shift_add: group {} of {} is not a multiple of lanes = {} (a chunk would straddle two "
          "groups with different scales)",
          g, f.w.str(), lanes_);
    }
    if (g > kMaxGroup) {
      return fmt::format("shift_add: group {} exceeds the {}-element group accumulators", g,
                         kMaxGroup);
    }
    return std::nullopt;
  }

  PeTiming timing(const PeFormats&) const override { return PeTiming{lanes_, 1, 2}; }

  PeCost cost(const PeFormats& f, const cost::Tech& t) const override {
    const ShiftAddFamily fam = family(f);
    const Widths w = widths(fam.act, fam.group);
    const double reg = cost::register_pj_per_bit(t);
    PeCost c;
    c.actions.resize(kActionCount);
    // A weight bit plane gates one shifted copy of the activation into the lane's adder tree.
    c.actions[kShiftAddTerm] = {
        "shift_add_term", cost::shifter_pj(w.a_bits, kPlanes, t) + cost::int_add_pj(w.term, t),
        fmt::format("shifter({}b, {} positions) + int_add({})", w.a_bits, kPlanes, w.term)};
    // The zero-point sum, the activation register passing right, and each element's share of the
    // per-cycle P/A accumulator adds and register writes.
    c.actions[kActSum] = {
        "act_sum",
        cost::int_add_pj(w.s_bits, t) + reg * w.a_bits +
            (cost::int_add_pj(w.p_bits, t) + reg * (w.p_bits + w.s_bits)) / lanes_,
        fmt::format("int_add({}) + reg({}) + (int_add({}) + reg({})) / {} lanes", w.s_bits,
                    w.a_bits, w.p_bits, w.p_bits + w.s_bits, lanes_)};
    c.actions[kGroupDequant] = {
        "group_dequant",
        cost::int_mult_pj(4, w.s_bits, t) + cost::int_add_pj(w.p_bits + 1, t) +
            cost::fp_mult_pj(24, 8, t) + cost::fp_add_pj(24, 8, t) + reg * 32,
        fmt::format("int_mult(4x{}) (z*A) + int_add({}) + fp_mult(24,8) (scale) + "
                    "fp_add(24,8) + reg(32)",
                    w.s_bits, w.p_bits + 1)};
    const int reg_bits = lanes_ * (w.a_bits + kPlanes) + w.p_bits + w.s_bits + 32 + 16 + 4;
    c.area_um2 =
        lanes_ *
            (kPlanes * (cost::shifter_um2(w.a_bits, kPlanes, t) + cost::int_add_um2(w.term, t)) +
             cost::int_add_um2(w.s_bits, t)) +
        cost::int_add_um2(w.p_bits, t) + cost::int_mult_um2(4, w.s_bits, t) +
        cost::int_add_um2(w.p_bits + 1, t) + cost::fp_mult_um2(24, 8, t) +
        cost::fp_add_um2(24, 8, t) + cost::register_um2_per_bit(t) * reg_bits;
    c.area_parts = fmt::format(
        "{} lanes x ({} x (shifter({}b,{}) + int_add({})) + int_add({})) + int_add({}) + "
        "dequant(int_mult(4x{}) + int_add({}) + fp_mult(24,8) + fp_add(24,8)) + reg({})",
        lanes_, kPlanes, w.a_bits, kPlanes, w.term, w.s_bits, w.p_bits, w.s_bits, w.p_bits + 1,
        reg_bits);
    // The project's RTL synthesized with Yosys (rtl/pe/shift_add/synth.list) replaces the parts
    // estimate where a row exists.
    const std::string config = fmt::format("shift_add/lanes={}/{}x{}", lanes_, f.a.name, f.w.name);
    if (const double synth = cost::synthesized_area_um2(config, t); synth > 0) {
      c.area_um2 = synth;
      c.area_parts = fmt::format(
          "synthesized {}: rtl/pe/shift_add/shift_add_pe.sv (Yosys, rtl/synth/area45.lib)", config);
    }
    c.leakage_mw = cost::logic_leakage_mw_per_mm2(t) * c.area_um2 * 1e-6;
    return c;
  }

  float dot(const num::QuantizedRow& a, const num::QuantizedRow& w,
            ActionCounts& counts) const override {
    MPSIM_CHECK(a.values.size() == w.codes.size(), "dot: length mismatch");
    PeFormats f{num::FormatSpec{a.format, {}}, num::FormatSpec{w.format, {}}};
    f.w.options.group = w.block;
    if (auto why = unsupported(f)) throw ConfigError(Diagnostic{"", "", *why});
    ShiftAddFamily fam = family(f);
    const auto K = static_cast<std::int64_t>(a.values.size());
    fam.set_total_k(K);
    counts.resize(kActionCount, 0);
    ShiftAddFamily::Acc acc = fam.zero();
    for (std::int64_t c = 0; c * lanes_ < K; ++c) {
      fam.issue(acc, fam.a_chunk(a, c), fam.w_chunk(w, c), counts.data());
    }
    return fam.finish(acc);
  }

  std::vector<PeFormats> example_formats() const override {
    return {PeFormats{num::FormatSpec::parse("int8"), num::FormatSpec::parse("int4_g128")},
            PeFormats{num::FormatSpec::parse("fp16"), num::FormatSpec::parse("int4_g128")},
            PeFormats{num::FormatSpec::parse("int8"), num::FormatSpec::parse("int4_g32")},
            PeFormats{num::FormatSpec::parse("fp16"), num::FormatSpec::parse("gptq_int4")}};
  }

  std::unique_ptr<GemmKernel> kernel(const PeFormats& f, int rows, int cols,
                                     Dataflow d) const override {
    return std::make_unique<SystolicKernel<ShiftAddFamily>>(family(f), rows, cols, d);
  }

 private:
  ShiftAddFamily family(const PeFormats& f) const {
    MPSIM_CHECK(!unsupported(f).has_value(), "shift_add: unsupported format pair reached the PE");
    ShiftAddFamily fam;
    fam.act = f.a.name == "fp16" ? ActKind::kFp16 : ActKind::kInt8;
    fam.lanes = lanes_;
    fam.group = group_of(f.w);
    return fam;
  }
  int lanes_;
};

std::unique_ptr<PeType> make(const PeParams& p) {
  return std::make_unique<ShiftAdd>(static_cast<int>(p.get("lanes", 4)));
}

}  // namespace
}  // namespace mpsim::sim::shift_add

MPSIM_DEFINE_PE_TYPE(
    shift_add,
    "MixPE-style shift-and-add: UINT4 group weights x INT8/FP16 activations, per-group "
    "dequantization s*(P - z*A) rounded once to FP32",
    (std::vector<mpsim::sim::PeParamInfo>{{"lanes",
                                           true,
                                           4,
                                           1,
                                           mpsim::sim::shift_add::kMaxLanes,
                                           "",
                                           {},
                                           "activation x weight lanes per PE (k elements per "
                                           "issue); must divide the weight group size"}}),
    mpsim::sim::shift_add::make)
