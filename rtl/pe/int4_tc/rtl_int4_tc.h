// DESCRIPTION: A Verilator-free, SystemC-free facade over the Verilated int4_tc MMA unit (pimpl:
// only rtl_int4_tc.cpp includes verilated.h). One build per co-simulated configuration (mode,
// widths, fragment shape), plus a mutant of the hi/lo configuration with a planted bug that the
// co-simulation must catch.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mpsim/rtl/trace.h"

namespace mpsim::rtl {

/// The unit's ports for one clock edge. Chunks are packed codes, element (row, k) at bit
/// (row * frag_k + k) * bits, in little-endian 32-bit words.
struct Int4TcInputs {
  bool start = false;
  bool first_k = false;
  std::uint32_t fold_k = 0;
  std::vector<std::uint32_t> a_chunk, w_chunk;
};
struct Int4TcOutputs {
  bool busy = false;
  bool chunk_req = false;
  bool out_valid = false;
  std::uint32_t out_row = 0;
  std::vector<std::uint32_t> out_data;  ///< frag_n INT32 accumulators of row out_row
};

class Int4TcRtl {
 public:
  virtual ~Int4TcRtl() = default;
  /// Words of the a_chunk / w_chunk ports and columns of out_data, as Verilated.
  virtual std::size_t a_words() const = 0;
  virtual std::size_t w_words() const = 0;
  virtual int frag_n() const = 0;
  /// Holds reset for two cycles.
  virtual void reset() = 0;
  /// Applies `in` and gives one rising clock edge.
  virtual void step(const Int4TcInputs& in) = 0;
  /// The outputs after the last edge (out_data is resized to frag_n()).
  virtual void outputs(Int4TcOutputs& out) const = 0;
  virtual std::uint64_t cycle() const = 0;
  /// The waveform being written ("" when tracing is off).
  virtual std::string trace_path() const = 0;
};

/// Verilated configurations of int4_tc_mma.sv (parameters in rtl/pe/int4_tc/CMakeLists.txt).
std::unique_ptr<Int4TcRtl> make_int4_tc_rtl_int4(const TraceOptions& trace = {});
std::unique_ptr<Int4TcRtl> make_int4_tc_rtl_uint4_hilo(const TraceOptions& trace = {});
std::unique_ptr<Int4TcRtl> make_int4_tc_rtl_int8_hilo(const TraceOptions& trace = {});
std::unique_ptr<Int4TcRtl> make_int4_tc_rtl_int8_fused(const TraceOptions& trace = {});
std::unique_ptr<Int4TcRtl> make_int4_tc_rtl_bipolar(const TraceOptions& trace = {});
/// int8 hi/lo built with MPSIM_MUTANT (the lo nibble taken as signed): the mutation check's target.
std::unique_ptr<Int4TcRtl> make_int4_tc_rtl_int8_hilo_mutant(const TraceOptions& trace = {});

}  // namespace mpsim::rtl
