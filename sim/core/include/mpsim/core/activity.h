// DESCRIPTION: Switching activity of the array's registers during one fold, counted from the
// operands' element codes and the exact partial sums: the input of the activity-based energy model
// (SimOptions::energy_model = kActivity). Dataflow-aware: which register sees which sequence of
// values follows the systolic schedule (sim/core/systolic.h).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <span>

#include "mpsim/core/gemm_kernel.h"
#include "mpsim/core/pe_type.h"

namespace mpsim::sim {

/// Bit toggles of the operand and accumulator registers, and the register bits observed (each
/// register update that could toggle contributes its width), so toggled / observed is the
/// activity factor alpha.
struct Activity {
  std::uint64_t a_toggles = 0, w_toggles = 0, acc_toggles = 0;
  std::uint64_t a_bits = 0, w_bits = 0, acc_bits = 0;
  std::uint64_t toggles() const { return a_toggles + w_toggles + acc_toggles; }
  std::uint64_t bits() const { return a_bits + w_bits + acc_bits; }
  /// toggled / observed bits (0 when nothing was observed).
  double alpha() const {
    return bits() ? static_cast<double>(toggles()) / static_cast<double>(bits()) : 0.0;
  }
  Activity& operator+=(const Activity& o);
};

/// The activity the per-action energies correspond to: random operands toggle each register bit
/// with probability 1/2 per update.
inline constexpr double kReferenceActivity = 0.5;

/// Counts the toggles of one fold `t` of C = A * W on an array `cols` wide (dataflow `d`):
/// - WS: PE(k, n)'s activation register steps through A[m][k] over the fold's rows m; its
///   accumulator output through the partial sums of A[m][:k+1] * W[:k+1][n] (int32 for integer
///   formats, FP32 otherwise); its weight register loads W[k][n] once, toggling against what the
///   previous fold left there (`wreg`: max_kt * cols codes, kept by the caller across folds).
/// - OS: PE(m, n)'s registers step through A[m][k] and W[k][n] over k, its accumulator through the
///   running sum.
/// `a_rows[m]` / `w_cols[n]` are the quantized operands (codes along K); element widths are the
/// formats' element bits.
Activity fold_activity(const Tile& t, Dataflow d, int cols,
                       std::span<const num::QuantizedRow> a_rows,
                       std::span<const num::QuantizedRow> w_cols, int a_bits, int w_bits,
                       bool integer_acc, std::span<std::uint32_t> wreg);

}  // namespace mpsim::sim
