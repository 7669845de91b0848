// DESCRIPTION: `mpsim sim`: resolves an architecture (with --set overrides) and a workload (with a
// recipe), runs the SystemC cycle-level model in an mpsim-sc-worker process and prints a summary.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "mpsim/app/workload_command.h"

namespace mpsim::app {

struct SimArgs {
  std::string arch;
  WorkloadShowArgs workload;  ///< --workload NAME|FILE and --phase/--batch/--seq
  std::optional<std::string> recipe;
  std::string check = "sample:4";
  std::string energy = "fixed";  ///< PE energy model: fixed | activity
  bool ideal_memory = false;
  bool exhaustive = false;
  bool timeline = false;
  bool rtl = false;         ///< GEMM values from the Verilated RTL array
  bool rtl_mutant = false;  ///< the same with the MPSIM_MUTANT build (hidden; tests)
  std::vector<std::string> sets;
  std::string out;
  std::uint64_t seed = 1;
};

CLI::App* add_sim_command(CLI::App& app, SimArgs& args);

/// The mpsim-sc-worker executable: $MPSIM_SC_WORKER, else next to `mpsim` (or ../sc in the build
/// tree), else the path it was built at.
std::filesystem::path sc_worker_path(const std::string& argv0);

/// `mpsim pe-types`: every PE family with its description and declared parameters (type, default,
/// range or choices). Returns 0.
int run_pe_types(std::ostream& out);

/// `mpsim area [--pe FAMILY] [--tech NM]`: per PE configuration the area the cost model uses
/// (synthesized from the project's RTL where a row exists, else built from datapath parts) and how.
/// Returns 0, or 2 for an unknown family/node (message on `err`).
int run_area(const std::string& pe, int tech_nm, std::ostream& out, std::ostream& err);

/// Runs the command. Returns 0 (also for an infeasible design, which is a result), 1 when values
/// mismatch the golden model or the worker failed, 2 on a user error.
int run_sim(const SimArgs& args, const std::string& argv0, std::ostream& out, std::ostream& err);

}  // namespace mpsim::app
