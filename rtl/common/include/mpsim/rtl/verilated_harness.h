// DESCRIPTION: Clock, reset and waveform plumbing shared by the Verilated PE facades. Include it
// only from a facade's own translation unit (it pulls in verilated.h; ARCHITECTURE: verilated.h
// and <systemc> never share a TU). Every PE top has ports `clk` and `rst_n` (active low, sync).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <verilated.h>
#include <verilated_fst_c.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "mpsim/rtl/trace.h"

namespace mpsim::rtl {

template <class V>
class VerilatedHarness {
 public:
  /// `default_trace` names the waveform when trace.path is empty.
  explicit VerilatedHarness(const TraceOptions& trace = {}, const std::string& default_trace = "")
      : trace_(trace), ctx_(std::make_unique<VerilatedContext>()) {
    ctx_->traceEverOn(trace_.enabled());
    m_ = std::make_unique<V>(ctx_.get(), "top");
    if (trace_.enabled()) {
      if (trace_.path.empty()) trace_.path = default_trace.empty() ? "trace.fst" : default_trace;
      fst_ = std::make_unique<VerilatedFstC>();
      m_->trace(fst_.get(), trace_.depth > 0 ? trace_.depth : 99);
      fst_->open(trace_.path.c_str());
      if (!fst_->isOpen()) throw std::runtime_error("cannot open waveform file " + trace_.path);
    }
    m_->clk = 0;
    m_->eval();
  }
  ~VerilatedHarness() {
    if (fst_) fst_->close();
    m_->final();
  }
  VerilatedHarness(const VerilatedHarness&) = delete;
  VerilatedHarness& operator=(const VerilatedHarness&) = delete;

  V& m() { return *m_; }
  const V& m() const { return *m_; }

  /// One rising edge with the inputs already applied; the outputs are then the registers' new
  /// values.
  void edge() {
    m_->clk = 0;
    m_->eval();
    dump();
    m_->clk = 1;
    m_->eval();
    dump();
    ++cycle_;
  }
  /// Holds rst_n low for `n` edges; the cycle count restarts at 0.
  void reset(int n = 2) {
    m_->rst_n = 0;
    for (int i = 0; i < n; ++i) edge();
    m_->rst_n = 1;
    cycle_ = 0;
  }
  std::uint64_t cycle() const { return cycle_; }
  /// The waveform written ("" when tracing is off).
  std::string trace_path() const { return fst_ ? trace_.path : std::string(); }

 private:
  void dump() {
    ++time_;
    if (fst_ && trace_.in_window(cycle_)) fst_->dump(time_);
  }
  TraceOptions trace_;
  std::unique_ptr<VerilatedContext> ctx_;  // owned here, never a file-scope static
  std::unique_ptr<V> m_;
  std::unique_ptr<VerilatedFstC> fst_;
  std::uint64_t cycle_ = 0;
  std::uint64_t time_ = 0;
};

}  // namespace mpsim::rtl
