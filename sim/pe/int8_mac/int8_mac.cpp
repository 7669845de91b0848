// DESCRIPTION: The int8_mac PE type: format support, closed-form timing, per-action costs from its
// datapath parts, the bit-exact dot and its systolic kernel.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include "int8_mac_family.h"
#include "mpsim/core/systolic.h"
#include "mpsim/numerics/scalar_format.h"

namespace mpsim::sim::int8_mac {
namespace {

struct Operand {
  bool is_int = false;
  int bits = 0;      ///< integer width or float significand bits (with hidden bit)
  int exp_bits = 0;  ///< float exponent bits
};

std::optional<Operand> operand(const num::FormatSpec& f) {
  const std::string& n = f.name;
  auto int_bits = [&](std::string_view prefix) -> int {
    if (n.rfind(prefix, 0) != 0) return 0;
    try {
      return std::stoi(n.substr(prefix.size()));
    } catch (...) {
      return 0;
    }
  };
  if (int b = int_bits("int"); b >= 2 && b <= 8) return Operand{true, b, 0};
  if (int b = int_bits("uint"); b >= 2 && b <= 7) return Operand{true, b + 1, 0};  // as signed b+1
  if (n == "fp16") return Operand{false, 11, 5};
  if (n == "bf16") return Operand{false, 8, 8};
  if (n == "fp8_e4m3") return Operand{false, 4, 4};
  if (n == "fp8_e5m2") return Operand{false, 3, 5};
  return std::nullopt;
}

class Int8Mac final : public PeType {
 public:
  explicit Int8Mac(int lanes) : lanes_(lanes) {}
  std::string_view name() const override { return "int8_mac"; }

  std::optional<std::string> unsupported(const PeFormats& f) const override {
    auto a = operand(f.a), w = operand(f.w);
    if (!a || !w || a->is_int != w->is_int) {
      return fmt::format(
          "int8_mac multiplies intN x intN (N <= 8, uintN N <= 7) or fp16/bf16/fp8 x "
          "fp16/bf16/fp8; got {} x {}",
          f.a.name, f.w.name);
    }
    return std::nullopt;
  }

  PeTiming timing(const PeFormats&) const override { return PeTiming{lanes_, 1, 1}; }

  PeCost cost(const PeFormats& f, const cost::Tech& t) const override {
    auto a = *operand(f.a), w = *operand(f.w);
    PeCost c;
    c.actions.resize(kActionCount);
    // Each MAC exercises one lane multiplier, one accumulator add and the operand registers
    // (activation passes right, partial sum passes down).
    if (a.is_int) {
      // Hardware is an 8x8 multiplier whatever the operand width: energy follows the toggling
      // width, so narrower codes cost their own bits (Aladdin's quadratic rule).
      c.actions[kMac] = {
          "mac",
          cost::int_mult_pj(a.bits, w.bits, t) + cost::int_add_pj(32, t) +
              cost::register_pj_per_bit(t) * (a.bits + 32),
          fmt::format("int_mult({}x{}) + int_add(32) + reg({}+32)", a.bits, w.bits, a.bits)};
      const std::string config = fmt::format("int8_mac/lanes={}/int8xint8/acc32", lanes_);
      const double synth = cost::synthesized_area_um2(config, t);
      if (synth > 0) {
        // The project's own RTL synthesized with Yosys (rtl/synth): replaces the parts estimate.
        c.area_um2 = synth;
        c.area_parts = fmt::format(
            "synthesized {}: rtl/pe/int8_mac/int8_mac_pe.sv (Yosys, rtl/synth/area45.lib)", config);
      } else {
        c.area_um2 = lanes_ * cost::int_mult_um2(8, 8, t) + lanes_ * cost::int_add_um2(32, t) +
                     cost::register_um2_per_bit(t) * (8 * lanes_ * 2 + 32);
        c.area_parts = fmt::format("{} x (int_mult(8x8) + int_add(32)) + reg({})", lanes_,
                                   8 * lanes_ * 2 + 32);
      }
    } else {
      const int man = std::max(a.bits, w.bits), ex = std::max(a.exp_bits, w.exp_bits);
      c.actions[kMac] = {"mac",
                         cost::fp_mult_pj(man, ex, t) + cost::fp_add_pj(24, 8, t) +
                             cost::register_pj_per_bit(t) * (16 + 32),
                         fmt::format("fp_mult(m{} e{}) + fp_add(fp32) + reg(16+32)", man, ex)};
      c.area_um2 = lanes_ * (cost::fp_mult_um2(11, 8, t) + cost::fp_add_um2(24, 8, t)) +
                   cost::register_um2_per_bit(t) * (16 * lanes_ * 2 + 32);
      c.area_parts = fmt::format("{} x (fp_mult(m11 e8) + fp_add(fp32)) + reg", lanes_);
    }
    c.actions[kAccWrap] = {"acc_wrap", 0.0, "counter only (no extra datapath)"};
    c.leakage_mw = cost::logic_leakage_mw_per_mm2(t) * c.area_um2 * 1e-6;
    return c;
  }

  float dot(const num::QuantizedRow& a, const num::QuantizedRow& w,
            ActionCounts& counts) const override {
    Int8MacFamily fam =
        family(PeFormats{num::FormatSpec{a.format, {}}, num::FormatSpec{w.format, {}}});
    MPSIM_CHECK(a.values.size() == w.values.size(), "dot: length mismatch");
    counts.resize(kActionCount, 0);
    Int8MacFamily::Acc acc = fam.zero();
    const auto chunks = (static_cast<std::int64_t>(a.values.size()) + lanes_ - 1) / lanes_;
    for (std::int64_t c = 0; c < chunks; ++c) {
      fam.issue(acc, fam.a_chunk(a, c), fam.w_chunk(w, c), counts.data());
    }
    return fam.finish(acc);
  }

  std::vector<PeFormats> example_formats() const override {
    return {PeFormats{num::FormatSpec::parse("int8"), num::FormatSpec::parse("int8")},
            PeFormats{num::FormatSpec::parse("int4"), num::FormatSpec::parse("int8")},
            PeFormats{num::FormatSpec::parse("uint7"), num::FormatSpec::parse("int8")},
            PeFormats{num::FormatSpec::parse("fp16"), num::FormatSpec::parse("fp16")},
            PeFormats{num::FormatSpec::parse("bf16"), num::FormatSpec::parse("fp8_e4m3")}};
  }
  std::unique_ptr<GemmKernel> kernel(const PeFormats& f, int rows, int cols,
                                     Dataflow d) const override {
    return std::make_unique<SystolicKernel<Int8MacFamily>>(family(f), rows, cols, d);
  }

 private:
  Int8MacFamily family(const PeFormats& f) const {
    Int8MacFamily fam;
    fam.lanes = lanes_;
    auto a = operand(f.a);
    MPSIM_CHECK(a.has_value(), "int8_mac: unsupported format reached the kernel");
    fam.mode = a->is_int ? Mode::kInt : Mode::kFloat;
    return fam;
  }
  int lanes_;
};

std::unique_ptr<PeType> make(const PeParams& p) {
  return std::make_unique<Int8Mac>(static_cast<int>(p.get("lanes", 1)));
}

}  // namespace
}  // namespace mpsim::sim::int8_mac

MPSIM_DEFINE_PE_TYPE(
    int8_mac, "baseline systolic MAC: INT8 x INT8 -> INT32 (wrap) or FP16/BF16/FP8 -> FP32 FMA",
    (std::vector<mpsim::sim::PeParamInfo>{{"lanes",
                                           true,
                                           1,
                                           1,
                                           mpsim::sim::int8_mac::kMaxLanes,
                                           "",
                                           {},
                                           "MACs per PE per cycle (k elements per issue)"}}),
    mpsim::sim::int8_mac::make)
