// DESCRIPTION: `mpsim report DIR`: Pareto plots, per-layer bars and a self-contained HTML report
// from a DSE study directory, drawn by scripts/mpsim_report.py with Debian's python3-matplotlib.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <string>

namespace mpsim::app {

struct ReportArgs {
  std::string dir;          ///< the study directory (points.csv, pareto_*.csv, manifest.json)
  std::string out;          ///< output directory; "" = dir
  int max_layer_plots = 8;  ///< at most this many layers_<key> plots
};

CLI::App* add_report_command(CLI::App& app, ReportArgs& a);

/// Validates DIR, finds the report script (env MPSIM_REPORT_SCRIPT, else the source tree's
/// scripts/mpsim_report.py, else <exe>/../share/mpsim/mpsim_report.py), runs it with
/// /usr/bin/python3 (`python3` on PATH only when that is absent) and relays its list of written
/// files to `out` and its messages to `err`. Returns 0 when written; 2 on a user error (missing or
/// unreadable points.csv, bad study files: each named); 1 when the script cannot run (no script, no
/// python3, no matplotlib) or crashed.
int run_report(const ReportArgs& a, std::ostream& out, std::ostream& err);

}  // namespace mpsim::app
