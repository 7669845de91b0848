// DESCRIPTION: `mpsim golden gemm`: the bit-exact golden GEMM C = A x B of two matrices read as
// text, in any pair of number formats.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace mpsim::app {

/// The command-line arguments of `mpsim golden gemm`, before validation.
struct GoldenGemmArgs {
  std::string a;  ///< file with A (row-major M x K), or - for standard input
  std::string b;  ///< file with B (row-major K x N), or - for standard input
  std::int64_t m = 0, n = 0, k = 0;
  std::string a_format;  ///< num::FormatSpec text ("mxfp4", "mxfp4/b16", "int4_g128")
  std::string b_format;
  std::string acc = "auto";  ///< auto | fp32 | int32 | int32_sat | int64
  bool json = false;
};

/// Adds the `gemm` subcommand to `golden` (the `mpsim golden` command, which other golden
/// subcommands share), filling `args`.
CLI::App* add_golden_gemm_command(CLI::App* golden, GoldenGemmArgs& args);

/// Runs the command. Returns the exit status: 0 on success, 2 on a user error (message on `err`).
int run_golden_gemm(const GoldenGemmArgs& args, std::istream& in, std::ostream& out,
                    std::ostream& err);

}  // namespace mpsim::app
