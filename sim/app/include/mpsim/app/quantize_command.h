// DESCRIPTION: `mpsim quantize`: quantize one row of numbers into a named format.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <CLI/CLI.hpp>
#include <iosfwd>
#include <optional>
#include <string>

#include "mpsim/numerics/quantizer.h"

namespace mpsim::app {

/// The command-line arguments of `mpsim quantize`, before validation.
struct QuantizeArgs {
  std::string format;
  std::optional<int> block;
  std::optional<int> group;
  std::optional<std::string> rounding;
  std::optional<std::string> overflow;
  std::optional<std::string> scale_rule;
  std::string input = "-";
  bool json = false;
};

/// Adds the `quantize` subcommand to `app`, filling `args`.
CLI::App* add_quantize_command(CLI::App& app, QuantizeArgs& args);

/// Runs the command. Returns the exit status: 0 on success, 2 on a user error (message on `err`).
int run_quantize(const QuantizeArgs& args, std::istream& in, std::ostream& out, std::ostream& err);

/// Renders a quantized row as the JSON object of the `--json` contract.
std::string quantized_row_json(const num::QuantizedRow& row, const num::ResolvedOptions& opts);

}  // namespace mpsim::app
