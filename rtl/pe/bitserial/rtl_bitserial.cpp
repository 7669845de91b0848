// DESCRIPTION: The Verilated bitserial PE behind BitserialRtl. Compiled once per Verilated build:
// MPSIM_RTL_PREFIX names the model class, MPSIM_RTL_FACTORY the factory it defines, and
// MPSIM_BS_LANES/MODE/WBITS/ABITS/GROUP repeat the Verilog parameters the build was made with (set
// by the same CMake call), so the lane ports are packed at their real widths.
// SPDX-License-Identifier: Apache-2.0
#include "rtl_bitserial.h"

#include <type_traits>

#include "mpsim/rtl/verilated_harness.h"

#define MPSIM_STR2(x) #x
#define MPSIM_STR(x) MPSIM_STR2(x)
#include MPSIM_STR(MPSIM_RTL_PREFIX.h)

namespace mpsim::rtl {
namespace {

constexpr BitserialShape kShape{MPSIM_BS_LANES, MPSIM_BS_MODE, MPSIM_BS_WBITS, MPSIM_BS_ABITS,
                                MPSIM_BS_GROUP};
static_assert(kShape.lanes >= 1 && kShape.lanes <= kBitserialRtlMaxLanes);

/// Packs `n` fields of `width` bits (field i from get(i)) into a Verilated port: a plain integer
/// up to 64 bits, VlWide (32-bit words) above.
template <class Port, class Get>
void pack(Port& port, int n, int width, Get get) {
  if constexpr (std::is_integral_v<Port>) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) {
      v |= (static_cast<std::uint64_t>(get(i)) & ((1ull << width) - 1)) << (i * width);
    }
    port = static_cast<Port>(v);
  } else {
    for (auto& word : port.m_storage) word = 0;
    for (int i = 0; i < n; ++i) {
      const std::uint64_t f = static_cast<std::uint64_t>(get(i)) & ((1ull << width) - 1);
      for (int b = 0; b < width; ++b) {
        if (((f >> b) & 1) == 0) continue;
        const int bit = i * width + b;
        port.m_storage[static_cast<std::size_t>(bit / 32)] |= 1u << (bit % 32);
      }
    }
  }
}

class Impl final : public BitserialRtl {
 public:
  explicit Impl(const TraceOptions& trace) : h_(trace, "bitserial.fst") {}
  BitserialShape shape() const override { return kShape; }
  void reset() override { h_.reset(); }
  void step(const BitserialInputs& in) override {
    auto& m = h_.m();
    m.valid_in = in.valid_in;
    pack(m.a_in, kShape.lanes, kShape.a_bits,
         [&](int l) { return static_cast<std::uint8_t>(in.a[static_cast<std::size_t>(l)]); });
    pack(m.w_in, kShape.lanes, kShape.w_bits,
         [&](int l) { return in.w[static_cast<std::size_t>(l)]; });
    m.wtype_in = in.wtype & 3u;
    m.zadj_in = static_cast<std::uint8_t>(in.zero_adj) & 0xFu;
    m.ends_group_in = in.ends_group;
    m.scale_in = in.scale;
    m.total_in = in.total_in;
    m.p_in = static_cast<std::uint32_t>(in.p_in);
    m.s_in = static_cast<std::uint32_t>(in.s_in);
    h_.edge();
  }
  BitserialOutputs outputs() const override {
    const auto& m = h_.m();
    BitserialOutputs o;
    o.ready = m.ready != 0;
    o.busy = m.busy != 0;
    o.p_acc = static_cast<std::int32_t>(m.p_acc);
    o.s_acc = static_cast<std::int32_t>(m.s_acc);
    o.valid_out = m.valid_out != 0;
    o.total_out = m.total_out;
    o.p_out = static_cast<std::int32_t>(m.p_out);
    o.s_out = static_cast<std::int32_t>(m.s_out);
    return o;
  }
  std::uint64_t cycle() const override { return h_.cycle(); }
  std::string trace_path() const override { return h_.trace_path(); }

 private:
  VerilatedHarness<MPSIM_RTL_PREFIX> h_;
};

}  // namespace

std::unique_ptr<BitserialRtl> MPSIM_RTL_FACTORY(const TraceOptions& trace) {
  return std::make_unique<Impl>(trace);
}

}  // namespace mpsim::rtl
