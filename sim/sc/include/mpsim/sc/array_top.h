// DESCRIPTION: The SystemC top of the cycle-level model: one SC_METHOD owns simulated time and
// drives the engine op by op and fold by fold (next_trigger over each fold's cycles, so stall and
// compute intervals are skipped, never ticked); only the worker process elaborates it (SystemC
// elaborates once). SPDX-License-Identifier: Apache-2.0
#pragma once

#include <systemc>

#include "mpsim/core/engine.h"

namespace mpsim::sc {

SC_MODULE(ArrayTop) {
 public:
  SC_HAS_PROCESS(ArrayTop);  // SystemC 2.3: a constructor with arguments needs it
  ArrayTop(sc_core::sc_module_name name, const sim::ArchSpec& arch, const sim::SimOptions& opts,
           const workload::Trace& trace);
  /// Valid after sc_start() returned.
  const sim::RunStats& stats() const { return stats_; }
  bool finished() const { return done_; }

 private:
  void step();

  sim::Engine engine_;
  const workload::Trace& trace_;
  sim::RunStats stats_;
  sc_core::sc_time period_;
  std::size_t next_op_ = 0;
  std::uint64_t now_cycles_ = 0;
  bool done_ = false;
};

}  // namespace mpsim::sc
