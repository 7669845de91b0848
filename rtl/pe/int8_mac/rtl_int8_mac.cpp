// DESCRIPTION: The Verilated int8_mac PE behind Int8MacRtl. Compiled once per Verilated variant:
// MPSIM_RTL_PREFIX names the model class and MPSIM_RTL_FACTORY the factory it defines.
// SPDX-License-Identifier: Apache-2.0
#include "rtl_int8_mac.h"

#include "mpsim/rtl/port_bits.h"
#include "mpsim/rtl/verilated_harness.h"

#define MPSIM_STR2(x) #x
#define MPSIM_STR(x) MPSIM_STR2(x)
#include MPSIM_STR(MPSIM_RTL_PREFIX.h)

namespace mpsim::rtl {
namespace {

class Impl final : public Int8MacRtl {
 public:
  explicit Impl(const TraceOptions& trace) : h_(trace, "int8_mac.fst") {}
  int lanes() const override { return kLanes; }
  void reset() override { h_.reset(); }
  void step(const Int8MacInputs& in) override {
    auto& m = h_.m();
    m.w_load = in.w_load;
    m.valid_in = in.valid_in;
    for (int l = 0; l < kLanes; ++l) {
      const auto i = static_cast<std::size_t>(l);
      set_bits(m.w_in, 8 * l, 8, static_cast<std::uint8_t>(in.w_in[i]));
      set_bits(m.a_in, 8 * l, 8, static_cast<std::uint8_t>(in.a_in[i]));
    }
    m.psum_in = static_cast<std::uint32_t>(in.psum_in);
    h_.edge();
  }
  Int8MacOutputs outputs() const override {
    const auto& m = h_.m();
    Int8MacOutputs o;
    o.valid_out = m.valid_out != 0;
    for (int l = 0; l < kLanes; ++l) {
      const auto i = static_cast<std::size_t>(l);
      o.a_out[i] = static_cast<std::int8_t>(get_bits(m.a_out, 8 * l, 8));
      o.w_out[i] = static_cast<std::int8_t>(get_bits(m.w_out, 8 * l, 8));
    }
    o.psum_out = static_cast<std::int32_t>(m.psum_out);
    return o;
  }
  std::uint64_t cycle() const override { return h_.cycle(); }
  std::string trace_path() const override { return h_.trace_path(); }

 private:
  // a_in is LANES bytes wide and Verilator stores it in the smallest integer type that holds it.
  static constexpr int kLanes = static_cast<int>(sizeof(MPSIM_RTL_PREFIX::a_in));
  VerilatedHarness<MPSIM_RTL_PREFIX> h_;
};

}  // namespace

std::unique_ptr<Int8MacRtl> MPSIM_RTL_FACTORY(const TraceOptions& trace) {
  return std::make_unique<Impl>(trace);
}

}  // namespace mpsim::rtl
