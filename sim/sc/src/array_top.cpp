// DESCRIPTION: ArrayTop: runs each op on the engine and advances SystemC time by its cycles,
// checking that SystemC's clock and the engine's cycle count never drift apart.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/sc/array_top.h"

namespace mpsim::sc {

ArrayTop::ArrayTop(sc_core::sc_module_name name, const sim::ArchSpec& arch,
                   const sim::SimOptions& opts, const workload::Trace& trace)
    : sc_core::sc_module(name),
      engine_(arch, opts),
      trace_(trace),
      period_(1e6 / arch.frequency_mhz, sc_core::SC_PS) {
  stats_.frequency_mhz = arch.frequency_mhz;
  SC_METHOD(step);
}

void ArrayTop::step() {
  // SystemC time and the engine's cycle count must agree at every op boundary.
  const auto expect = period_ * static_cast<double>(now_cycles_);
  if (sc_core::sc_time_stamp() != expect) {
    SC_REPORT_FATAL("mpsim/array_top", "SystemC time drifted from the cycle count");
  }
  if (next_op_ == trace_.ops.size()) {
    engine_.finish(stats_, trace_);
    done_ = true;
    return;
  }
  sim::OpStats s = engine_.run_op(trace_.ops[next_op_++], now_cycles_, stats_);
  now_cycles_ += s.cycles;
  const auto cycles = s.cycles;
  stats_.add_op(std::move(s));
  next_trigger(period_ * static_cast<double>(cycles == 0 ? 0 : cycles));
  if (cycles == 0) next_trigger(sc_core::SC_ZERO_TIME);
}

}  // namespace mpsim::sc
