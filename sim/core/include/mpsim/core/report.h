// DESCRIPTION: Output files of a simulation: stats.json (totals, per op, energy by component, area,
// mismatches), layers.csv (tidy, one row per op) and the Chrome-trace timeline.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string>

#include "mpsim/core/arch_spec.h"
#include "mpsim/core/engine.h"

namespace mpsim::sim {

/// The stable column list of layers.csv (checks rely on the first nine names).
const std::vector<std::string>& layers_csv_columns();
std::string layers_csv(const RunStats& r);
std::string stats_json(const RunStats& r, const ArchSpec& arch, const std::string& workload,
                       const SimOptions& o);
/// Chrome trace-event JSON (chrome://tracing, Perfetto): one complete event per op, microseconds.
std::string timeline_json(const RunStats& r);
/// Writes stats.json, layers.csv (and timeline.json when asked) into `dir` (created).
void write_outputs(const std::filesystem::path& dir, const RunStats& r, const ArchSpec& arch,
                   const std::string& workload, const SimOptions& o);

}  // namespace mpsim::sim
