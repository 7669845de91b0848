// DESCRIPTION: Verilator-free, SystemC-free facade over the Verilated shift_add RTL (pimpl: only
// rtl_shift_add.cpp includes verilated.h). One interface serves the PE (a 1 x 1 array whose right
// edge is visible) and the ROWS x COLS weight-stationary array, for each Verilated variant:
// INT8 or FP16 activations, group sums sized by GROUP_LOG2, and the mutant builds (a planted bug
// the co-simulation must catch).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "mpsim/rtl/trace.h"

namespace mpsim::rtl {

inline constexpr int kShiftAddRtlMaxLanes = 8;
inline constexpr int kShiftAddRtlMaxDim = 4;

/// What a Verilated variant was built with (its Verilog parameters).
struct ShiftAddShape {
  int rows = 1, cols = 1;  ///< 1 x 1: the PE itself
  int lanes = 4;
  bool fp16 = false;
  int group_log2 = 7;
  int act_bits() const { return fp16 ? 41 : 8; }
  int p_bits() const { return act_bits() + 4 + group_log2; }
  int s_bits() const { return act_bits() + group_log2; }
};

/// One stationary weight chunk (entering the top of a column, shifted down on w_load).
struct ShiftAddWeight {
  std::array<std::uint8_t, kShiftAddRtlMaxLanes> q{};  ///< UINT4 codes
  std::uint8_t zero = 0;
  std::uint16_t scale = 0;  ///< FP16 bits
  bool ends_group = false;
};
/// One activation chunk with its valid bit: integers (FP16 in units of 2^-24) and, per lane,
/// the non-finite / NaN / negative flags (bit l = lane l).
struct ShiftAddActs {
  bool valid = false;
  std::array<std::int64_t, kShiftAddRtlMaxLanes> a{};
  std::uint64_t nonfinite = 0, nan = 0, neg = 0;
};
/// The open group's sums entering the top of a column (or leaving the bottom).
struct ShiftAddSums {
  std::int64_t p = 0;  ///< sum a*q
  std::int64_t s = 0;  ///< sum a
  std::uint8_t special = 0;
};

/// The ports for one clock edge. total_in is the FP32 total (bits) of the chunk that entered
/// the same column one cycle earlier: totals travel one stage behind their sums.
struct ShiftAddInputs {
  bool w_load = false;
  std::array<ShiftAddWeight, kShiftAddRtlMaxDim> w{};     ///< per column
  std::array<ShiftAddActs, kShiftAddRtlMaxDim> a{};       ///< per row (left edge)
  std::array<ShiftAddSums, kShiftAddRtlMaxDim> sums{};    ///< per column (top edge)
  std::array<std::uint32_t, kShiftAddRtlMaxDim> total{};  ///< per column (top edge)
};
struct ShiftAddOutputs {
  std::array<bool, kShiftAddRtlMaxDim> valid{};           ///< per column: sums below valid
  std::array<ShiftAddSums, kShiftAddRtlMaxDim> sums{};    ///< per column (bottom edge)
  std::array<bool, kShiftAddRtlMaxDim> tvalid{};          ///< per column: total below valid
  std::array<std::uint32_t, kShiftAddRtlMaxDim> total{};  ///< per column (bottom edge)
  /// The PE only (an array's right edge is not a port): the activations passed right, with
  /// their valid bit equal to valid[0].
  ShiftAddActs right;
  std::array<ShiftAddWeight, kShiftAddRtlMaxDim> w_out{};  ///< the PE only: latched weights
};

class ShiftAddRtl {
 public:
  virtual ~ShiftAddRtl() = default;
  virtual const ShiftAddShape& shape() const = 0;
  /// Holds reset for two cycles.
  virtual void reset() = 0;
  /// Applies `in` and gives one rising clock edge.
  virtual void step(const ShiftAddInputs& in) = 0;
  /// The registered outputs after the last edge.
  virtual const ShiftAddOutputs& outputs() const = 0;
  virtual std::uint64_t cycle() const = 0;
  /// The waveform being written ("" when tracing is off).
  virtual std::string trace_path() const = 0;
};

// The Verilated variants. PEs have LANES = 4; "_g7" sizes the group sums for groups of up to
// 128 (int4_g128, gptq_int4), "_g5" for 32. The mutants round the dequantizer's ties away from
// zero instead of to even.
std::unique_ptr<ShiftAddRtl> make_shift_add_pe_int8_g7(const TraceOptions& trace = {});
std::unique_ptr<ShiftAddRtl> make_shift_add_pe_int8_g7_mutant(const TraceOptions& trace = {});
std::unique_ptr<ShiftAddRtl> make_shift_add_pe_fp16_g7(const TraceOptions& trace = {});
std::unique_ptr<ShiftAddRtl> make_shift_add_pe_fp16_g7_mutant(const TraceOptions& trace = {});
/// The 4 x 4 weight-stationary array of LANES = 4 INT8 PEs sized for int4_g32.
std::unique_ptr<ShiftAddRtl> make_shift_add_array4x4_int8_g5(const TraceOptions& trace = {});
std::unique_ptr<ShiftAddRtl> make_shift_add_array4x4_int8_g5_mutant(const TraceOptions& trace = {});

}  // namespace mpsim::rtl
