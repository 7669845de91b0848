// DESCRIPTION: `mpsim dse` (run or resume a study) and `mpsim merge` (join shard stores).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace mpsim::app {

struct DseArgs {
  std::string spec;
  std::string out = "out/dse";
  std::optional<std::string> strategy;
  std::optional<std::uint64_t> budget, seed;
  int jobs = 1;
  int verify_front = 0;
  std::string shard;
  bool mpi = false;
  bool report = false;
  bool no_progress = false;
};

struct MergeArgs {
  std::string out;                  ///< destination store (study.db)
  std::vector<std::string> shards;  ///< shard stores
  std::string export_dir;           ///< also export CSVs here
};

CLI::App* add_dse_command(CLI::App& app, DseArgs& a);
CLI::App* add_merge_command(CLI::App& app, MergeArgs& a);

/// 0 on success, 2 on a bad spec/option (every problem listed), 1 when evaluation failed.
int run_dse(const DseArgs& a, const std::string& argv0, std::ostream& out, std::ostream& err);
int run_merge(const MergeArgs& a, std::ostream& out, std::ostream& err);

}  // namespace mpsim::app
