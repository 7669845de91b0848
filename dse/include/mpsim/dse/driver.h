// DESCRIPTION: `mpsim dse`: the study driver. Asks the strategy for batches of points, evaluates
// them (analytical model, `jobs` threads), commits each result to the SQLite store the moment it
// finishes (a rerun resumes: stored points are never recomputed), re-evaluates the front with the
// cycle-level model (`verify_front`), and exports CSVs, per-layer tables and the manifest.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace mpsim::dse {

struct DseOptions {
  std::filesystem::path spec;
  std::filesystem::path out;             ///< study directory (study.db, CSVs, layers/)
  std::optional<std::string> strategy;   ///< overrides search.strategy
  std::optional<std::uint64_t> budget;   ///< overrides search.budget
  std::optional<std::uint64_t> seed;     ///< overrides seed
  int jobs = 1;                          ///< parallel evaluations
  int verify_front = 0;                  ///< front points re-evaluated cycle-level
  int shard_index = 0, shard_count = 1;  ///< --shard i/N (exhaustive and random only)
  bool mpi = false;  ///< under mpirun: rank 0 searches and stores, ranks 1..N-1 evaluate
  std::filesystem::path worker;          ///< mpsim-sc-worker (for verify_front)
  int progress = -1;                     ///< -1: a bar on a terminal, log lines otherwise
  std::string tool_version, git_hash;
  /// Testing hook: stop (without any clean-up, as a killed run) after this many new evaluations.
  std::uint64_t stop_after = 0;
};

struct DseSummary {
  std::uint64_t asked = 0, evaluated = 0, cached = 0, skipped_other_shard = 0;
  std::uint64_t ok = 0, infeasible = 0, failed = 0;
  double hypervolume = 0;  ///< of the front in the study's objectives (normalized to [0,1]^d)
  std::vector<std::filesystem::path> files;
  std::filesystem::path store;
  bool mpi_worker = false;  ///< this process was an MPI worker rank (nothing to report)
};

/// Whether this build has the MPI evaluator (OpenMPI found at configure time).
bool have_mpi();

/// Runs (or resumes) the study. Throws ConfigError for a bad spec or options.
DseSummary run_dse(const DseOptions& o, std::ostream& log);

/// Parses "i/N" (0 <= i < N); ConfigError naming --shard otherwise.
void parse_shard(const std::string& text, int& index, int& count);

}  // namespace mpsim::dse
