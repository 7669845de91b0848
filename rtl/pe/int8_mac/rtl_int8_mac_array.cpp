// DESCRIPTION: The Verilated int8_mac array behind Int8MacArrayRtl (one build per variant, like
// rtl_int8_mac.cpp). MPSIM_RTL_ROWS / MPSIM_RTL_COLS give the Verilated array's shape.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/rtl/port_bits.h"
#include "mpsim/rtl/verilated_harness.h"
#include "rtl_int8_mac.h"

#define MPSIM_STR2(x) #x
#define MPSIM_STR(x) MPSIM_STR2(x)
#include MPSIM_STR(MPSIM_RTL_PREFIX.h)

namespace mpsim::rtl {
namespace {

class ArrayImpl final : public Int8MacArrayRtl {
 public:
  explicit ArrayImpl(const TraceOptions& trace) : h_(trace, "int8_mac_array.fst") {}
  int rows() const override { return kRows; }
  int cols() const override { return kCols; }
  void reset() override { h_.reset(); }
  void step(const Int8MacArrayInputs& in) override {
    auto& m = h_.m();
    m.w_load = in.w_load;
    for (int c = 0; c < kCols; ++c) {
      const auto i = static_cast<std::size_t>(c);
      set_bits(m.w_in, 8 * c, 8, i < in.w_in.size() ? static_cast<std::uint8_t>(in.w_in[i]) : 0);
      set_bits(m.psum_in, 32 * c, 32,
               i < in.psum_in.size() ? static_cast<std::uint32_t>(in.psum_in[i]) : 0);
    }
    for (int r = 0; r < kRows; ++r) {
      const auto i = static_cast<std::size_t>(r);
      set_bits(m.a_valid, r, 1, i < in.a_valid.size() && in.a_valid[i]);
      set_bits(m.a_in, 8 * r, 8, i < in.a_in.size() ? static_cast<std::uint8_t>(in.a_in[i]) : 0);
    }
    h_.edge();
  }
  void outputs(Int8MacArrayOutputs& o) const override {
    const auto& m = h_.m();
    o.valid.resize(kCols);
    o.psum.resize(kCols);
    for (int c = 0; c < kCols; ++c) {
      const auto i = static_cast<std::size_t>(c);
      o.valid[i] = get_bits(m.out_valid, c, 1) != 0;
      o.psum[i] = static_cast<std::int32_t>(get_bits(m.psum_out, 32 * c, 32));
    }
  }
  std::uint64_t cycle() const override { return h_.cycle(); }
  std::string trace_path() const override { return h_.trace_path(); }

 private:
  static constexpr int kRows = MPSIM_RTL_ROWS, kCols = MPSIM_RTL_COLS;
  VerilatedHarness<MPSIM_RTL_PREFIX> h_;
};

}  // namespace

std::unique_ptr<Int8MacArrayRtl> MPSIM_RTL_FACTORY(const TraceOptions& trace) {
  return std::make_unique<ArrayImpl>(trace);
}

}  // namespace mpsim::rtl
