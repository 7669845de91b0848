// DESCRIPTION: `mpsim workload list|show`: the model presets and the op list of a workload (preset,
// trace file or Hugging Face config.json) as a table, JSON or SCALE-Sim CSV.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "mpsim/workload/model_config.h"
#include "mpsim/workload/trace.h"

namespace mpsim::app {

/// The command-line arguments of `mpsim workload show`, before validation.
struct WorkloadShowArgs {
  std::string source;                ///< preset name, trace (.yaml/.yml/.csv), config.json or .gguf
  std::optional<std::string> phase;  ///< prefill | decode | none
  std::optional<std::int64_t> batch;
  std::optional<std::int64_t> seq;
  bool json = false;
  bool csv = false;
};

/// The `workload` subcommand and its two sub-subcommands.
/// A workload as loaded from its source: the trace, and the model config when the source has
/// one (presets, config.json, GGUF; not trace files).
struct LoadedWorkload {
  workload::Trace trace;
  std::optional<workload::ModelConfig> model;
};

/// Loads a preset, trace (.yaml/.yml/.csv), HF config.json or GGUF file and expands it with the
/// phase/batch/seq options. Throws ConfigError with every problem.
LoadedWorkload load_workload(const WorkloadShowArgs& args);

struct WorkloadCommands {
  CLI::App* workload = nullptr;
  CLI::App* list = nullptr;
  CLI::App* show = nullptr;
};

/// Adds `workload` (with `list` and `show`) to `app`, filling `args` for `show`.
WorkloadCommands add_workload_command(CLI::App& app, WorkloadShowArgs& args);

/// Runs `workload list`: one line per preset. Returns the exit status (0).
int run_workload_list(std::ostream& out, std::ostream& err);

/// Runs `workload show`. Returns 0 on success, 2 on a user error (message on `err`).
int run_workload_show(const WorkloadShowArgs& args, std::ostream& out, std::ostream& err);

/// A count with three significant digits and a K/M/B/T suffix: 6738415616 -> "6.74B",
/// 86567656 -> "86.6M", 999 -> "999".
std::string human_count(std::int64_t n);

/// The trace as the JSON object of the `--json` contract (model, phase, batch, seq_len, kv_len,
/// parameters, total_macs, ops with every field plus macs, bytes_a, bytes_b, bytes_out).
std::string trace_json(const workload::Trace& t);

/// The trace as a human-readable table with a header and a totals line.
std::string trace_table(const workload::Trace& t);

}  // namespace mpsim::app
