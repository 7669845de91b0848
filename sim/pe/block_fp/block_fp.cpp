// DESCRIPTION: The block_fp PE type (MX and BFP): format support, timing, costs from its datapath
// parts (lane multipliers and product aligners, adder tree, block-sum register, exponent add and
// normalize shifter, FP32 adder), the bit-exact dot and the systolic kernel.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <map>
#include <mutex>

#include "block_fp_family.h"
#include "mpsim/core/systolic.h"

namespace mpsim::sim::block_fp {
namespace {

/// Element tables are constants of the format: built once per format and shared by every kernel
/// (std::map keeps references stable).
const ElementTable& table(const std::string& format) {
  static std::mutex mu;
  static std::map<std::string, ElementTable, std::less<>> tables;
  std::lock_guard<std::mutex> lock(mu);
  auto it = tables.find(format);
  if (it == tables.end()) it = tables.emplace(format, ElementTable::make(format)).first;
  return it->second;
}

int block_of(const num::FormatSpec& f) {
  const num::FormatInfo* info = num::builtin_formats().find(f.name);
  MPSIM_CHECK(info != nullptr, "block_fp: unknown format");
  return num::builtin_formats().resolve(*info, f.options).size;
}

class BlockFp final : public PeType {
 public:
  explicit BlockFp(int lanes) : lanes_(lanes) {
    MPSIM_CHECK(lanes >= 1 && lanes <= kMaxLanes, "block_fp: lanes out of range");
  }
  std::string_view name() const override { return "block_fp"; }

  std::optional<std::string> unsupported(const PeFormats& f) const override {
    if (!num::block_element(f.a.name) || !num::block_element(f.w.name)) {
      return fmt::format(
          "block_fp multiplies MX/BFP block formats (mxfp8_e4m3, mxfp8_e5m2, mxfp6_e3m2, "
          "mxfp6_e2m3, mxfp4, mxint8, bfp12, bfp16) with equal block sizes; got {} x {}",
          f.a.str(), f.w.str());
    }
    const int ba = block_of(f.a), bw = block_of(f.w);
    if (ba != bw) {
      return fmt::format(
          "block_fp needs equal block sizes (one shared exponent pair per block); got {} (block "
          "{}) x {} (block {})",
          f.a.str(), ba, f.w.str(), bw);
    }
    if (ba > kMaxBlock) {
      return fmt::format("block_fp holds blocks of at most {} elements; got {} x {} (block {})",
                         kMaxBlock, f.a.str(), f.w.str(), ba);
    }
    return std::nullopt;
  }

  PeTiming timing(const PeFormats& f) const override { return family(f).timing(); }

  PeCost cost(const PeFormats& f, const cost::Tech& t) const override {
    const ElementTable &ea = table(f.a.name), &ew = table(f.w.name);
    const int block = block_of(f.a);
    const int ma = ea.mult_bits, mw = ew.mult_bits;
    const int sum_bits = block_sum_bits(ea, ew, block);
    const bool aligned = ea.is_float || ew.is_float;
    // Float elements: each product is shifted by the sum of the two element exponents before the
    // adder tree (integer elements need no aligner).
    const int align_pos = ea.max_shift + ew.max_shift + 1;
    const double align_pj = aligned ? cost::shifter_pj(ma + mw, align_pos, t) : 0.0;
    const double align_um2 = aligned ? cost::shifter_um2(ma + mw, align_pos, t) : 0.0;
    const std::string align_part =
        aligned ? fmt::format(" + product align shifter({}, {} pos)", ma + mw, align_pos) : "";
    // A tree over `lanes` products has lanes - 1 adders plus the add into the block-sum register:
    // one adder of (at most) the block-sum width per product.
    PeCost c;
    c.actions.resize(kActionCount);
    c.actions[kLaneMul] = {"lane_mul",
                           cost::int_mult_pj(ma, mw, t) + align_pj + cost::int_add_pj(sum_bits, t),
                           fmt::format("int_mult({}x{}){} + adder-tree share int_add({})", ma, mw,
                                       align_part, sum_bits)};
    c.actions[kSumReg] = {"sum_reg", cost::register_pj_per_bit(t) * sum_bits,
                          fmt::format("reg({}) block-sum register write per cycle", sum_bits)};
    // Exponents: two 8-bit shared exponents plus the ulp offsets need 8 + 2 bits. The normalize
    // shift brings the leading one of the block sum to FP32's 24-bit significand: sum_bits
    // positions.
    c.actions[kBlockAlign] = {
        "block_align", cost::int_add_pj(10, t) + cost::shifter_pj(sum_bits, sum_bits, t),
        fmt::format("exponent int_add(10) + normalize shifter({}, {} pos)", sum_bits, sum_bits)};
    c.actions[kFp32Acc] = {"fp32_acc",
                           cost::fp_add_pj(24, 8, t) + cost::register_pj_per_bit(t) * 32,
                           "fp_add(m24 e8) + reg(32) accumulator"};
    // Registers: the stationary W block with its exponent, one cycle's A lanes with its exponent,
    // the block sum and the FP32 accumulator.
    const int reg_bits = block * ew.code_bits + 8 + lanes_ * ea.code_bits + 8 + sum_bits + 32;
    c.area_um2 =
        lanes_ * (cost::int_mult_um2(ma, mw, t) + align_um2 + cost::int_add_um2(sum_bits, t)) +
        cost::int_add_um2(10, t) + cost::shifter_um2(sum_bits, sum_bits, t) +
        cost::fp_add_um2(24, 8, t) + cost::register_um2_per_bit(t) * reg_bits;
    c.area_parts = fmt::format(
        "{} x (int_mult({}x{}){} + int_add({})) + int_add(10) + shifter({}, {} pos) + fp_add(m24 "
        "e8) + reg({} = W block {}x{} + 8, A lanes {}x{} + 8, block sum {}, acc 32)",
        lanes_, ma, mw, align_part, sum_bits, sum_bits, sum_bits, reg_bits, block, ew.code_bits,
        lanes_, ea.code_bits, sum_bits);
    // The project's RTL synthesized with Yosys (rtl/pe/block_fp/synth.list) replaces the parts
    // estimate where a row exists.
    const std::string config =
        fmt::format("block_fp/lanes={}/{}x{}/b{}", lanes_, f.a.name, f.w.name, block);
    if (const double synth = cost::synthesized_area_um2(config, t); synth > 0) {
      c.area_um2 = synth;
      c.area_parts = fmt::format(
          "synthesized {}: rtl/pe/block_fp/block_fp_pe.sv (Yosys, rtl/synth/area45.lib)", config);
    }
    c.leakage_mw = cost::logic_leakage_mw_per_mm2(t) * c.area_um2 * 1e-6;
    return c;
  }

  float dot(const num::QuantizedRow& a, const num::QuantizedRow& w,
            ActionCounts& counts) const override {
    MPSIM_CHECK(a.codes.size() == w.codes.size() && a.block == w.block && a.block > 0 &&
                    a.block <= kMaxBlock,
                "block_fp dot: rows must have equal lengths and block sizes");
    const BlockFpFamily fam = family(a.format, w.format, a.block);
    counts.resize(kActionCount, 0);
    BlockFpFamily::Acc acc = fam.zero();
    const auto chunks = (static_cast<std::int64_t>(a.codes.size()) + fam.block - 1) / fam.block;
    for (std::int64_t c = 0; c < chunks; ++c) {
      fam.issue(acc, fam.a_chunk(a, c), fam.w_chunk(w, c), counts.data());
    }
    return fam.finish(acc);
  }

  std::vector<PeFormats> example_formats() const override {
    return {PeFormats{num::FormatSpec::parse("mxfp8_e4m3"), num::FormatSpec::parse("mxfp4")},
            PeFormats{num::FormatSpec::parse("mxfp4"), num::FormatSpec::parse("mxfp4")},
            PeFormats{num::FormatSpec::parse("mxfp6_e2m3"), num::FormatSpec::parse("mxfp6_e3m2")},
            PeFormats{num::FormatSpec::parse("mxfp8_e5m2"), num::FormatSpec::parse("mxfp8_e5m2")},
            PeFormats{num::FormatSpec::parse("mxint8"), num::FormatSpec::parse("mxint8")},
            PeFormats{num::FormatSpec::parse("bfp16"), num::FormatSpec::parse("bfp12")}};
  }
  std::unique_ptr<GemmKernel> kernel(const PeFormats& f, int rows, int cols,
                                     Dataflow d) const override {
    return std::make_unique<SystolicKernel<BlockFpFamily>>(family(f), rows, cols, d);
  }

 private:
  BlockFpFamily family(const PeFormats& f) const {
    MPSIM_CHECK(!unsupported(f).has_value(), "block_fp: unsupported formats reached the kernel");
    return family(f.a.name, f.w.name, block_of(f.a));
  }
  BlockFpFamily family(const std::string& a, const std::string& w, int block) const {
    return make_family(table(a), table(w), block, lanes_);
  }
  int lanes_;
};

std::unique_ptr<PeType> make(const PeParams& p) {
  return std::make_unique<BlockFp>(static_cast<int>(p.get("lanes", 8)));
}

}  // namespace
}  // namespace mpsim::sim::block_fp

MPSIM_DEFINE_PE_TYPE(
    block_fp,
    "MX/BFP block PE: exact integer block sums, shared-exponent alignment, one FP32 rounding per "
    "block, FP32 accumulation (numerics.md 16.3)",
    (std::vector<mpsim::sim::PeParamInfo>{{"lanes",
                                           true,
                                           8,
                                           1,
                                           mpsim::sim::block_fp::kMaxLanes,
                                           "",
                                           {},
                                           "mantissa products per cycle (an issue = one block: "
                                           "ceil(block / lanes) cycles)"}}),
    mpsim::sim::block_fp::make)
