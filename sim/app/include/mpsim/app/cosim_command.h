// DESCRIPTION: `mpsim cosim`: runs a PE family's Verilated RTL in lock-step with its C++ datapath
// model and reports the first mismatch (with a waveform around it).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace mpsim::app {

struct CosimArgs {
  std::string pe;                    ///< family id, or "all"
  std::vector<std::string> formats;  ///< RTL configurations; empty = all of the family's
  std::uint64_t cycles = 100000;
  std::uint64_t seed = 1;
  std::string stimulus = "mixed";
  std::string trace = "none";  ///< fst | none
  std::string trace_window;    ///< A:B
  std::string trace_file;
  int trace_depth = 0;
  bool mutant = false;
  bool list = false;
};

CLI::App* add_cosim_command(CLI::App& app, CosimArgs& args);

/// Returns 0 when every configuration ran clean, 1 on a mismatch (reported on `err`, with a
/// waveform of the cycles before it), 2 on a usage error or when mpsim was built without Verilator.
int run_cosim(const CosimArgs& args, std::ostream& out, std::ostream& err);

}  // namespace mpsim::app
