// DESCRIPTION: `mpsim golden run`: the per-op quantization error table of a workload under a
// recipe, plus the end-to-end error of a reduced model.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "mpsim/app/workload_command.h"

namespace mpsim::app {

struct GoldenRunArgs {
  WorkloadShowArgs workload;  ///< --workload NAME|FILE and --phase/--batch/--seq
  std::optional<std::string> recipe;
  int blocks = 2;
  std::int64_t tokens = 16;
  std::uint64_t seed = 1;
};

/// Adds `run` under the `golden` subcommand.
CLI::App* add_golden_run_command(CLI::App* golden, GoldenRunArgs& args);

/// Runs the command; returns 0, or 2 on a user error (printed to `err`).
int run_golden_run(const GoldenRunArgs& args, std::ostream& out, std::ostream& err);

}  // namespace mpsim::app
