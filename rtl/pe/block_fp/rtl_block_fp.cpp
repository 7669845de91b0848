// DESCRIPTION: The Verilated block_fp PE behind BlockFpRtl. Compiled once per Verilated variant:
// MPSIM_RTL_PREFIX names the model class, MPSIM_RTL_FACTORY the factory it defines, and
// MPSIM_BFP_{LANES,BLOCK,AB,WB} the lanes, block size and element code widths it was built with.
// SPDX-License-Identifier: Apache-2.0
#include "rtl_block_fp.h"

#include <type_traits>

#include "mpsim/rtl/verilated_harness.h"

#define MPSIM_STR2(x) #x
#define MPSIM_STR(x) MPSIM_STR2(x)
#include MPSIM_STR(MPSIM_RTL_PREFIX.h)

namespace mpsim::rtl {
namespace {

constexpr int kLanes = MPSIM_BFP_LANES;
constexpr int kBlock = MPSIM_BFP_BLOCK;
constexpr int kAb = MPSIM_BFP_AB;
constexpr int kWb = MPSIM_BFP_WB;
static_assert(kLanes <= kBlockFpRtlMaxLanes && kBlock <= kBlockFpRtlMaxBlock);

/// Packs n codes of `bits` bits into 32-bit words (code i at bit i * bits), then writes them to a
/// Verilated port: an integer up to 64 bits or a VlWide word array above. Word-wise, because the
/// A lanes are written every cycle.
template <int kN, int kBits, class P>
void pack(P& port, const std::uint8_t* codes) {
  constexpr int kWords = (kN * kBits + 31) / 32;
  std::uint32_t w[kWords + 1] = {};
  for (int i = 0; i < kN; ++i) {
    const int bit = i * kBits;
    const std::uint64_t v = static_cast<std::uint64_t>(codes[i] & ((1u << kBits) - 1))
                            << (bit % 32);
    w[bit / 32] |= static_cast<std::uint32_t>(v);
    w[bit / 32 + 1] |= static_cast<std::uint32_t>(v >> 32);
  }
  if constexpr (std::is_integral_v<P>) {
    port = static_cast<P>(kWords > 1 ? (std::uint64_t{w[1]} << 32) | w[0] : w[0]);
  } else {
    for (int i = 0; i < kWords; ++i) port[static_cast<std::size_t>(i)] = w[i];
  }
}

class Impl final : public BlockFpRtl {
 public:
  explicit Impl(const TraceOptions& trace) : h_(trace, "block_fp.fst") {}
  int lanes() const override { return kLanes; }
  int block() const override { return kBlock; }
  void reset() override { h_.reset(); }
  void step(const BlockFpInputs& in) override {
    auto& m = h_.m();
    m.w_load = in.w_load;
    // The W block is only sampled on w_load: skip packing BLOCK codes on the other cycles.
    if (in.w_load) pack<kBlock, kWb>(m.w_codes, in.w_codes.data());
    m.w_scale = in.w_scale;
    m.a_valid = in.a_valid;
    m.a_first = in.a_first;
    pack<kLanes, kAb>(m.a_codes, in.a_codes.data());
    m.a_scale = in.a_scale;
    m.len = in.len;
    m.acc_in = in.acc_in;
    m.acc_final_in = in.acc_final_in;
    h_.edge();
  }
  BlockFpOutputs outputs() const override {
    const auto& m = h_.m();
    return BlockFpOutputs{m.ready != 0, m.out_valid != 0, static_cast<std::uint32_t>(m.acc_out),
                          m.acc_final_out != 0};
  }
  std::uint64_t cycle() const override { return h_.cycle(); }
  std::string trace_path() const override { return h_.trace_path(); }

 private:
  VerilatedHarness<MPSIM_RTL_PREFIX> h_;
};

}  // namespace

std::unique_ptr<BlockFpRtl> MPSIM_RTL_FACTORY(const TraceOptions& trace) {
  return std::make_unique<Impl>(trace);
}

}  // namespace mpsim::rtl
