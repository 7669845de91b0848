// DESCRIPTION: The block_fp PE type (MX and BFP): format support, timing, costs from its datapath
// parts (lane multipliers, block-sum register, exponent add + alignment shifter, FP32 adder), dot
// and kernel. SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <map>
#include <mutex>

#include "block_fp_family.h"
#include "mpsim/core/systolic.h"

namespace mpsim::sim::block_fp {
namespace {

/// Element tables are constants of the format: built once per format and shared.
const ElementTable& table(const std::string& format) {
  static std::mutex mu;
  static std::map<std::string, ElementTable> tables;
  std::lock_guard<std::mutex> lock(mu);
  auto it = tables.find(format);
  if (it == tables.end()) it = tables.emplace(format, ElementTable::make(format)).first;
  return it->second;
}

int block_of(const num::FormatSpec& f) {
  const num::FormatInfo* info = num::builtin_formats().find(f.name);
  return num::builtin_formats().resolve(*info, f.options).size;
}

/// Mantissa width the multiplier sees: sign + significand (with hidden bit) or the integer width.
int mantissa_bits(const std::string& format) {
  const auto e = num::block_element(format);
  return e->format.is_float() ? e->format.man_bits() + 2 : e->format.bits();
}

class BlockFp final : public PeType {
 public:
  explicit BlockFp(int lanes) : lanes_(lanes) {}
  std::string_view name() const override { return "block_fp"; }

  std::optional<std::string> unsupported(const PeFormats& f) const override {
    if (!num::block_element(f.a.name) || !num::block_element(f.w.name)) {
      return fmt::format(
          "block_fp multiplies MX/BFP block formats (mxfp8_e4m3, mxfp8_e5m2, "
          "mxfp6_e3m2, mxfp6_e2m3, mxfp4, mxint8, bfp12, bfp16); got {} x {}",
          f.a.str(), f.w.str());
    }
    const int ba = block_of(f.a), bw = block_of(f.w);
    if (ba != bw) {
      return fmt::format("block_fp needs equal block sizes; got {} (block {}) x {} (block {})",
                         f.a.str(), ba, f.w.str(), bw);
    }
    if (ba > kMaxBlock) {
      return fmt::format("block_fp holds blocks of at most {} elements; got {} (block {})",
                         kMaxBlock, f.a.str(), ba);
    }
    return std::nullopt;
  }

  PeTiming timing(const PeFormats& f) const override { return family(f).timing(); }

  PeCost cost(const PeFormats& f, const cost::Tech& t) const override {
    const int ma = mantissa_bits(f.a.name), mw = mantissa_bits(f.w.name);
    const int block = block_of(f.a);
    // Widest exact block sum: product bits + log2(block) carry bits (§2.5).
    const int sum_bits = ma + mw + static_cast<int>(std::ceil(std::log2(std::max(block, 2))));
    PeCost c;
    c.actions.resize(kActionCount);
    c.actions[kLaneMul] = {
        "lane_mul", cost::int_mult_pj(ma, mw, t) + cost::int_add_pj(sum_bits, t),
        fmt::format("int_mult({}x{}) + adder-tree share int_add({})", ma, mw, sum_bits)};
    c.actions[kSumReg] = {"sum_reg", cost::register_pj_per_bit(t) * sum_bits,
                          fmt::format("reg({}) block-sum write per cycle", sum_bits)};
    c.actions[kBlockAlign] = {
        "block_align", cost::int_add_pj(10, t) + cost::shifter_pj(sum_bits, 64, t),
        fmt::format("exponent int_add(10) + align shifter({} bits, 64 pos)", sum_bits)};
    c.actions[kFp32Acc] = {"fp32_acc",
                           cost::fp_add_pj(24, 8, t) + cost::register_pj_per_bit(t) * 32,
                           "fp_add(fp32) + reg(32)"};
    c.area_um2 = lanes_ * (cost::int_mult_um2(ma, mw, t) + cost::int_add_um2(sum_bits, t)) +
                 cost::int_add_um2(10, t) + cost::shifter_um2(sum_bits, 64, t) +
                 cost::fp_add_um2(24, 8, t) +
                 cost::register_um2_per_bit(t) * (sum_bits + 32 + lanes_ * (ma + mw) + 16);
    c.area_parts = fmt::format(
        "{} x (int_mult({}x{}) + int_add({})) + int_add(10) + shifter + "
        "fp_add(fp32) + registers",
        lanes_, ma, mw, sum_bits);
    c.leakage_mw = cost::logic_leakage_mw_per_mm2(t) * c.area_um2 * 1e-6;
    return c;
  }

  float dot(const num::QuantizedRow& a, const num::QuantizedRow& w,
            ActionCounts& counts) const override {
    const BlockFpFamily fam =
        family(PeFormats{num::FormatSpec{a.format, {}}, num::FormatSpec{w.format, {}}}, a.block);
    counts.resize(kActionCount, 0);
    BlockFpFamily::Acc acc = fam.zero();
    const auto chunks = (static_cast<std::int64_t>(a.codes.size()) + fam.block - 1) / fam.block;
    for (std::int64_t c = 0; c < chunks; ++c)
      fam.issue(acc, fam.a_chunk(a, c), fam.w_chunk(w, c), counts.data());
    return fam.finish(acc);
  }

  std::unique_ptr<GemmKernel> kernel(const PeFormats& f, int rows, int cols,
                                     Dataflow d) const override {
    return std::make_unique<SystolicKernel<BlockFpFamily>>(family(f), rows, cols, d);
  }

 private:
  BlockFpFamily family(const PeFormats& f, int block = 0) const {
    BlockFpFamily fam;
    fam.lanes = lanes_;
    fam.block = block > 0 ? block : block_of(f.a);
    fam.ta = &table(f.a.name);
    fam.tw = &table(f.w.name);
    return fam;
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
    "MX/BFP block PE: exact integer block sums, shared-exponent alignment, one FP32 "
    "rounding per block, FP32 accumulation (numerics.md 16.3)",
    (std::vector<mpsim::sim::PeParamInfo>{
        {"lanes", true, 8, 1, 64, "", {}, "mantissa products per cycle"}}),
    mpsim::sim::block_fp::make)
