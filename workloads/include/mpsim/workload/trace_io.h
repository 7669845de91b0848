// DESCRIPTION: Reading and writing workload traces: the versioned YAML schema (validated, every
// problem reported with file:line:column) and SCALE-Sim's GEMM topology CSV (docs/trace-format.md).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "mpsim/workload/trace.h"

namespace mpsim::workload {

/// Loads a trace, choosing the parser by extension: .yaml/.yml (mpsim schema) or .csv
/// (SCALE-Sim `Layer,M,N,K`). Throws ConfigError for an unreadable file, an unknown extension or
/// any problem in the contents (all of them at once).
Trace load_trace(const std::filesystem::path& path);

/// Parses and validates the YAML schema of docs/trace-format.md. `source_name` prefixes every
/// diagnostic's position ("traces/a.yaml:7:11"). Throws one ConfigError listing every problem:
/// YAML syntax, unknown/duplicate/missing keys, bad values, unknown kinds/phases/formats,
/// duplicate op names, unsupported format_version.
Trace parse_trace_yaml(std::string_view text, std::string_view source_name);

/// Writes `t` in the YAML schema; parse_trace_yaml(trace_to_yaml(t), ...) == t for any trace that
/// validates (k and b_shared of non-GEMM ops are not written, as the schema has no place for them).
std::string trace_to_yaml(const Trace& t);

/// Writes `t` to `path`: SCALE-Sim CSV for a .csv extension, YAML otherwise. Throws ConfigError
/// if the file cannot be written.
void save_trace(const Trace& t, const std::filesystem::path& path);

/// Parses a SCALE-Sim GEMM topology CSV (header `Layer,M,N,K`, optional spaces, extra trailing
/// columns and SCALE-Sim's trailing comma allowed): one kGemm op per row with default formats.
/// Throws ConfigError listing every bad row with `source:line:column`.
Trace parse_scalesim_csv(std::string_view text, std::string_view source);

/// Writes the GEMM-like ops of `t` as a SCALE-Sim GEMM topology CSV. Each op becomes
/// repeat x ceil(batch/b_shared) rows (one per layer copy and per distinct B operand), with the
/// b_shared batch items that share a B stacked along M; non-GEMM ops are dropped.
std::string trace_to_scalesim_csv(const Trace& t);

}  // namespace mpsim::workload
