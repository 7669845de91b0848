// DESCRIPTION: A Verilator-free, SystemC-free facade over the Verilated int8_mac PE (pimpl: only
// rtl_int8_mac.cpp includes verilated.h). Two builds exist: the RTL as written, and a mutant with a
// planted bug that the co-simulation must catch.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "mpsim/rtl/trace.h"

namespace mpsim::rtl {

/// The PE's ports for one clock edge.
struct Int8MacInputs {
  bool w_load = false;
  std::int8_t w_in = 0;
  bool valid_in = false;
  std::int8_t a_in = 0;
  std::int32_t psum_in = 0;
};
struct Int8MacOutputs {
  bool valid_out = false;
  std::int8_t a_out = 0;
  std::int32_t psum_out = 0;
};

class Int8MacRtl {
 public:
  virtual ~Int8MacRtl() = default;
  /// Holds reset for two cycles.
  virtual void reset() = 0;
  /// Applies `in` and gives one rising clock edge.
  virtual void step(const Int8MacInputs& in) = 0;
  virtual Int8MacOutputs outputs() const = 0;
  virtual std::uint64_t cycle() const = 0;
  /// The waveform being written ("" when tracing is off).
  virtual std::string trace_path() const = 0;
};

/// The RTL as written.
std::unique_ptr<Int8MacRtl> make_int8_mac_rtl(const TraceOptions& trace = {});
/// The RTL built with MPSIM_MUTANT (signless product): the mutation check's target.
std::unique_ptr<Int8MacRtl> make_int8_mac_rtl_mutant(const TraceOptions& trace = {});

}  // namespace mpsim::rtl
