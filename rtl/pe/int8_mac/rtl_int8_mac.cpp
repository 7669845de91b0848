// DESCRIPTION: The Verilated int8_mac PE behind Int8MacRtl. Compiled once per Verilated variant:
// MPSIM_RTL_PREFIX names the model class and MPSIM_RTL_FACTORY the factory it defines.
// SPDX-License-Identifier: Apache-2.0
#include "rtl_int8_mac.h"

#include "mpsim/rtl/verilated_harness.h"

#define MPSIM_STR2(x) #x
#define MPSIM_STR(x) MPSIM_STR2(x)
#include MPSIM_STR(MPSIM_RTL_PREFIX.h)

namespace mpsim::rtl {
namespace {

class Impl final : public Int8MacRtl {
 public:
  explicit Impl(const TraceOptions& trace) : h_(trace, "int8_mac.fst") {}
  void reset() override { h_.reset(); }
  void step(const Int8MacInputs& in) override {
    auto& m = h_.m();
    m.w_load = in.w_load;
    m.w_in = static_cast<std::uint8_t>(in.w_in);
    m.valid_in = in.valid_in;
    m.a_in = static_cast<std::uint8_t>(in.a_in);
    m.psum_in = static_cast<std::uint32_t>(in.psum_in);
    h_.edge();
  }
  Int8MacOutputs outputs() const override {
    const auto& m = h_.m();
    return Int8MacOutputs{m.valid_out != 0, static_cast<std::int8_t>(m.a_out),
                          static_cast<std::int32_t>(m.psum_out)};
  }
  std::uint64_t cycle() const override { return h_.cycle(); }
  std::string trace_path() const override { return h_.trace_path(); }

 private:
  VerilatedHarness<MPSIM_RTL_PREFIX> h_;
};

}  // namespace

std::unique_ptr<Int8MacRtl> MPSIM_RTL_FACTORY(const TraceOptions& trace) {
  return std::make_unique<Impl>(trace);
}

}  // namespace mpsim::rtl
