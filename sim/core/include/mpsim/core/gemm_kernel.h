// DESCRIPTION: The array side of one GEMM: a PE family's kernel runs folds (tiles) of the GEMM on
// the array, either by the closed form (timing only), by issue-level register transfer with values,
// or by stepping every PE's datapath every cycle (--exhaustive). All three give the same cycles.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "mpsim/core/pe_type.h"

namespace mpsim::sim {

/// One fold of a GEMM on the array. Weight-stationary: k in [k0, k0+kt) is spread over the array
/// rows (k_per_issue per row), n over the columns, and mt rows of A stream through.
/// Output-stationary: mt <= rows and nt <= cols outputs stay in the PEs while kt streams through.
struct Tile {
  std::int64_t m0 = 0, n0 = 0, k0 = 0;
  std::int64_t mt = 0, nt = 0, kt = 0;
  bool first_k = true;  ///< partial sums start from zero (else from the previous K fold)
  friend bool operator==(const Tile&, const Tile&) = default;
};

/// How a tile is run.
enum class TileMode : std::uint8_t {
  kTiming,      ///< closed form: cycles and action counts only, no values
  kIssue,       ///< register transfer per issue slot (every cycles_per_issue cycles), with values
  kExhaustive,  ///< every PE's datapath step()ped every cycle, with values
};

/// What a tile cost.
struct TileRun {
  std::uint64_t cycles = 0;     ///< from the first weight/operand load to the last output leaving
  std::uint64_t pe_issues = 0;  ///< issues that did useful work (utilization numerator)
  ActionCounts actions;         ///< indexed like PeCost::actions
};

/// One GEMM bound to a PE family and an array (rows x cols, dataflow).
class GemmKernel {
 public:
  virtual ~GemmKernel() = default;
  /// Binds the operands: m rows of A and n columns of W, each quantized along K (length k).
  /// With `values` false only TileMode::kTiming may be used.
  virtual void begin(std::span<const num::QuantizedRow> a_rows,
                     std::span<const num::QuantizedRow> w_cols, std::int64_t m, std::int64_t n,
                     std::int64_t k, bool values) = 0;
  /// Runs one tile. Tiles of one output block must come in ascending k0.
  virtual TileRun run_tile(const Tile& t, TileMode mode) = 0;
  /// The closed-form cost of a tile (what kTiming returns).
  virtual TileRun closed_form(const Tile& t) const = 0;
  /// Largest kt / mt / nt one fold holds (WS: kt <= rows*k_per_issue, nt <= cols; OS: mt <= rows,
  /// nt <= cols); 0 means unbounded (streamed).
  virtual std::int64_t max_kt() const = 0;
  virtual std::int64_t max_mt() const = 0;
  virtual std::int64_t max_nt() const = 0;
  /// Output C[m,n] after its last K fold ran with values.
  virtual float output(std::int64_t m, std::int64_t n) const = 0;
  /// Granule of K folds: a fold's kt (except the last) and k0 must be multiples of it.
  virtual std::int64_t k_step() const { return 1; }
  /// Number of actions (size of TileRun::actions).
  virtual std::size_t action_count() const = 0;
};

}  // namespace mpsim::sim
