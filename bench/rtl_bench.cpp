// DESCRIPTION: RTL speed: Verilator cycles/s of every family's RTL configuration (PEs and arrays)
// driven alone, and the co-simulation's cost as a ratio to it (target: the harness — stimulus,
// C++ model and per-cycle compare — costs no more than 2x the RTL alone). Both measured in the same
// run, best of `reps`. Usage: rtl_bench [cycles] [reps]. Not a test.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "mpsim/rtl/cosim.h"

int main(int argc, char** argv) {
  const std::uint64_t cycles = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000000;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 3;
  fmt::print("{:<10} {:<28} {:>14} {:>14} {:>10}\n", "family", "configuration", "RTL cycles/s",
             "cosim cyc/s", "cosim/RTL");
  for (const mpsim::rtl::CosimTarget* t : mpsim::rtl::cosim_targets()) {
    for (const auto& config : t->configs()) {
      double rtl_s = 1e30, cosim_s = 1e30;
      for (int r = 0; r < reps; ++r) {
        mpsim::rtl::CosimOptions o;
        o.cycles = cycles;
        o.seed = 1;
        o.rtl_only = true;
        rtl_s = std::min(rtl_s, t->run(config, o).seconds);
        o.rtl_only = false;
        const auto res = t->run(config, o);
        if (res.mismatch) {
          fmt::print(stderr, "{}\n", res.mismatch->describe());
          return 1;
        }
        cosim_s = std::min(cosim_s, res.seconds);
      }
      fmt::print("{:<10} {:<28} {:>14.3e} {:>14.3e} {:>9.2f}x\n", t->name(), config,
                 static_cast<double>(cycles) / rtl_s, static_cast<double>(cycles) / cosim_s,
                 cosim_s / rtl_s);
    }
  }
  return 0;
}
