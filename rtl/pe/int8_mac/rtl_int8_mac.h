// DESCRIPTION: Verilator-free, SystemC-free facades over the Verilated int8_mac RTL (pimpl: only
// rtl_int8_mac.cpp / rtl_int8_mac_array.cpp include verilated.h): the PE at 1 and 4 lanes, its
// mutant (a planted bug the co-simulation must catch), and the 4x4 weight-stationary array.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mpsim/rtl/trace.h"

namespace mpsim::rtl {

inline constexpr int kInt8MacRtlMaxLanes = 8;

/// The PE's ports for one clock edge (lanes [0, lanes()) are used).
struct Int8MacInputs {
  bool w_load = false;
  std::array<std::int8_t, kInt8MacRtlMaxLanes> w_in{};
  bool valid_in = false;
  std::array<std::int8_t, kInt8MacRtlMaxLanes> a_in{};
  std::int32_t psum_in = 0;
};
struct Int8MacOutputs {
  bool valid_out = false;
  std::array<std::int8_t, kInt8MacRtlMaxLanes> a_out{};
  std::array<std::int8_t, kInt8MacRtlMaxLanes> w_out{};
  std::int32_t psum_out = 0;
};

class Int8MacRtl {
 public:
  virtual ~Int8MacRtl() = default;
  virtual int lanes() const = 0;
  /// Holds reset for two cycles.
  virtual void reset() = 0;
  /// Applies `in` and gives one rising clock edge.
  virtual void step(const Int8MacInputs& in) = 0;
  virtual Int8MacOutputs outputs() const = 0;
  virtual std::uint64_t cycle() const = 0;
  /// The waveform being written ("" when tracing is off).
  virtual std::string trace_path() const = 0;
};

/// The RTL as written, Verilated with LANES = 1 / 4.
std::unique_ptr<Int8MacRtl> make_int8_mac_rtl_l1(const TraceOptions& trace = {});
std::unique_ptr<Int8MacRtl> make_int8_mac_rtl_l4(const TraceOptions& trace = {});
/// The same built with MPSIM_MUTANT (signless products): the mutation check's targets.
std::unique_ptr<Int8MacRtl> make_int8_mac_rtl_l1_mutant(const TraceOptions& trace = {});
std::unique_ptr<Int8MacRtl> make_int8_mac_rtl_l4_mutant(const TraceOptions& trace = {});

/// The ROWS x COLS array's ports for one clock edge (int8_mac_array.sv).
struct Int8MacArrayInputs {
  bool w_load = false;
  std::vector<std::int8_t> w_in;      ///< cols: shifted into the top row
  std::vector<bool> a_valid;          ///< rows
  std::vector<std::int8_t> a_in;      ///< rows
  std::vector<std::int32_t> psum_in;  ///< cols: partial sums entering the top row
};
struct Int8MacArrayOutputs {
  std::vector<bool> valid;         ///< cols: the bottom row's valid bits
  std::vector<std::int32_t> psum;  ///< cols: the bottom row's partial sums
};

class Int8MacArrayRtl {
 public:
  virtual ~Int8MacArrayRtl() = default;
  virtual int rows() const = 0;
  virtual int cols() const = 0;
  virtual void reset() = 0;
  virtual void step(const Int8MacArrayInputs& in) = 0;
  /// Fills `o` (reused across cycles: no allocation per cycle once sized).
  virtual void outputs(Int8MacArrayOutputs& o) const = 0;
  virtual std::uint64_t cycle() const = 0;
  virtual std::string trace_path() const = 0;
};

/// The 4x4 array as written / with the mutant PEs.
std::unique_ptr<Int8MacArrayRtl> make_int8_mac_array4x4_rtl(const TraceOptions& trace = {});
std::unique_ptr<Int8MacArrayRtl> make_int8_mac_array4x4_rtl_mutant(const TraceOptions& trace = {});

}  // namespace mpsim::rtl
