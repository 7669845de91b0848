// DESCRIPTION: Waveform request of a co-simulation or RTL run: format, file, cycle window and
// hierarchy depth. Off by default; Verilator-free so the CLI can parse it.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace mpsim::rtl {

struct TraceOptions {
  enum class Format : std::uint8_t { kNone, kFst };
  Format format = Format::kNone;
  std::string path;        ///< the waveform file; empty = "<target>.fst" in the working directory
  std::uint64_t from = 0;  ///< first cycle dumped (inclusive)
  std::uint64_t to = std::numeric_limits<std::uint64_t>::max();  ///< last cycle dumped (inclusive)
  int depth = 0;  ///< hierarchy levels traced below the top; 0 = all
  bool enabled() const { return format != Format::kNone; }
  bool in_window(std::uint64_t cycle) const { return cycle >= from && cycle <= to; }
};

/// Parses "fst" / "none" into `out`; returns an error message, empty when valid.
std::string parse_trace_format(std::string_view s, TraceOptions& out);
/// Parses a cycle window "A:B" (either side may be empty: ":B", "A:"); returns an error, empty
/// when valid.
std::string parse_trace_window(std::string_view s, TraceOptions& out);

}  // namespace mpsim::rtl
