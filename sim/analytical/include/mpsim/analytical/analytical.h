// DESCRIPTION: The analytical performance model: closed forms per op from each PE family's timing,
// the dataflow and tiling, and a memory roofline, giving the same statistics, energy and area as
// the cycle-level model (sim::Engine under SystemC) in microseconds per op. The DSE's workhorse;
// validated against the cycle-level model (docs/analytical.md has the error table).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "mpsim/core/arch_spec.h"
#include "mpsim/core/engine.h"
#include "mpsim/workload/trace.h"

namespace mpsim::analytical {

struct AnalyticalOptions {
  bool ideal_memory = false;  ///< as SimOptions::ideal_memory
};

/// Runs every op of `trace` on `arch`. Same RunStats as sim::Engine::run (+ finish) with values
/// off: per-op cycles/compute/stall cycles, utilization, DRAM and buffer bytes, action counts,
/// energy by component, area; infeasible ops make the run infeasible with the same reason text.
/// No values are computed (no golden checks). Thread-safe (no shared state).
sim::RunStats run(const sim::ArchSpec& arch, const workload::Trace& trace,
                  const AnalyticalOptions& opts = {});

}  // namespace mpsim::analytical
