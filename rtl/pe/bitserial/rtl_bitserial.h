// DESCRIPTION: A Verilator-free, SystemC-free facade over the Verilated bitserial PE (pimpl: only
// rtl_bitserial.cpp includes verilated.h). One build per format configuration (the PE's MODE,
// weight width and lanes are Verilog parameters), each also built as a mutant with a planted bug
// that the co-simulation must catch.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "mpsim/rtl/trace.h"

namespace mpsim::rtl {

inline constexpr int kBitserialRtlMaxLanes = 64;

/// The Verilog parameters a build was made with (what the facade packs the lane ports by).
struct BitserialShape {
  int lanes = 0;
  int mode = 0;  ///< 0 INT4 group (zero point), 1 BitMoD FP4/FP3, 2 scalar intN
  int w_bits = 0;
  int a_bits = 0;
  int group = 0;  ///< largest group the accumulators are sized for
};

/// The PE's ports for one clock edge.
struct BitserialInputs {
  bool valid_in = false;
  std::array<std::int8_t, kBitserialRtlMaxLanes> a{};   ///< lane activations (a_bits each)
  std::array<std::uint8_t, kBitserialRtlMaxLanes> w{};  ///< lane weight operands (w_bits each)
  std::uint8_t wtype = 0;                               ///< BitMoD datatype
  std::int8_t zero_adj = 0;                             ///< z - 8
  bool ends_group = false;
  std::uint16_t scale = 0;     ///< FP16 bits
  std::uint32_t total_in = 0;  ///< FP32 bits
  std::int32_t p_in = 0;
  std::int32_t s_in = 0;
};
struct BitserialOutputs {
  bool ready = false;
  bool busy = false;
  std::int32_t p_acc = 0;  ///< the serial accumulator P while an issue is in flight
  std::int32_t s_acc = 0;  ///< the activation sum A while an issue is in flight
  bool valid_out = false;
  std::uint32_t total_out = 0;  ///< FP32 bits
  std::int32_t p_out = 0;
  std::int32_t s_out = 0;
};

class BitserialRtl {
 public:
  virtual ~BitserialRtl() = default;
  virtual BitserialShape shape() const = 0;
  /// Holds reset for two cycles.
  virtual void reset() = 0;
  /// Applies `in` and gives one rising clock edge.
  virtual void step(const BitserialInputs& in) = 0;
  virtual BitserialOutputs outputs() const = 0;
  virtual std::uint64_t cycle() const = 0;
  /// The waveform being written ("" when tracing is off).
  virtual std::string trace_path() const = 0;
};

// One factory per Verilated build (rtl/pe/bitserial/CMakeLists.txt); the _mutant builds walk the
// Booth digit -2 as -1 (built for the INT group and scalar int8 configurations only).
std::unique_ptr<BitserialRtl> make_bitserial_rtl_int4_g128(const TraceOptions& trace = {});
std::unique_ptr<BitserialRtl> make_bitserial_rtl_int4_g128_mutant(const TraceOptions& trace = {});
std::unique_ptr<BitserialRtl> make_bitserial_rtl_bitmod_fp4(const TraceOptions& trace = {});
std::unique_ptr<BitserialRtl> make_bitserial_rtl_bitmod_fp3(const TraceOptions& trace = {});
std::unique_ptr<BitserialRtl> make_bitserial_rtl_int8(const TraceOptions& trace = {});
std::unique_ptr<BitserialRtl> make_bitserial_rtl_int8_mutant(const TraceOptions& trace = {});
std::unique_ptr<BitserialRtl> make_bitserial_rtl_int3(const TraceOptions& trace = {});

}  // namespace mpsim::rtl
