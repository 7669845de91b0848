// DESCRIPTION: The Verilated int8_mac PE behind Int8MacRtl. Compiled once per Verilated variant:
// MPSIM_RTL_PREFIX names the model class and MPSIM_RTL_FACTORY the factory it defines.
// SPDX-License-Identifier: Apache-2.0
#include "rtl_int8_mac.h"

#include <verilated.h>

#define MPSIM_STR2(x) #x
#define MPSIM_STR(x) MPSIM_STR2(x)
#include MPSIM_STR(MPSIM_RTL_PREFIX.h)

namespace mpsim::rtl {
namespace {

class Impl final : public Int8MacRtl {
 public:
  Impl()
      : ctx_(std::make_unique<VerilatedContext>()),
        m_(std::make_unique<MPSIM_RTL_PREFIX>(ctx_.get())) {
    m_->clk = 0;
    m_->eval();
  }
  ~Impl() override { m_->final(); }
  void reset() override {
    m_->rst_n = 0;
    edge();
    edge();
    m_->rst_n = 1;
    cycle_ = 0;
  }
  void step(const Int8MacInputs& in) override {
    m_->w_load = in.w_load;
    m_->w_in = static_cast<std::uint8_t>(in.w_in);
    m_->valid_in = in.valid_in;
    m_->a_in = static_cast<std::uint8_t>(in.a_in);
    m_->psum_in = static_cast<std::uint32_t>(in.psum_in);
    edge();
    ++cycle_;
  }
  Int8MacOutputs outputs() const override {
    return Int8MacOutputs{m_->valid_out != 0, static_cast<std::int8_t>(m_->a_out),
                          static_cast<std::int32_t>(m_->psum_out)};
  }
  std::uint64_t cycle() const override { return cycle_; }

 private:
  void edge() {
    m_->clk = 0;
    m_->eval();
    m_->clk = 1;
    m_->eval();
  }
  std::unique_ptr<VerilatedContext> ctx_;  // owned here, never a file-scope static
  std::unique_ptr<MPSIM_RTL_PREFIX> m_;
  std::uint64_t cycle_ = 0;
};

}  // namespace

std::unique_ptr<Int8MacRtl> MPSIM_RTL_FACTORY() { return std::make_unique<Impl>(); }

}  // namespace mpsim::rtl
