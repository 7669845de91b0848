// DESCRIPTION: Verilator-free, SystemC-free facade over the Verilated block_fp PE (pimpl: only
// rtl_block_fp.cpp includes verilated.h). One Verilated build per format pair, lane count and block
// size, each also built as a mutant (a planted bug the co-simulation must catch).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "mpsim/rtl/trace.h"

namespace mpsim::rtl {

inline constexpr int kBlockFpRtlMaxLanes = 64;
inline constexpr int kBlockFpRtlMaxBlock = 128;

/// The PE's ports for one clock edge (block_fp_pe.sv). Element codes are the formats' stored bits.
struct BlockFpInputs {
  bool w_load = false;
  std::array<std::uint8_t, kBlockFpRtlMaxBlock> w_codes{};  ///< [0, block())
  std::uint8_t w_scale = 127;
  bool a_valid = false;
  bool a_first = false;
  std::array<std::uint8_t, kBlockFpRtlMaxLanes> a_codes{};  ///< [0, lanes())
  std::uint8_t a_scale = 127;
  std::uint8_t len = 0;      ///< elements of the block a_first starts, 1..block()
  std::uint32_t acc_in = 0;  ///< FP32 bits
  bool acc_final_in = false;
};
struct BlockFpOutputs {
  bool ready = false;
  bool out_valid = false;
  std::uint32_t acc_out = 0;  ///< FP32 bits
  bool acc_final_out = false;
};

class BlockFpRtl {
 public:
  virtual ~BlockFpRtl() = default;
  virtual int lanes() const = 0;
  virtual int block() const = 0;
  /// Holds reset for two cycles.
  virtual void reset() = 0;
  /// Applies `in` and gives one rising clock edge.
  virtual void step(const BlockFpInputs& in) = 0;
  virtual BlockFpOutputs outputs() const = 0;
  virtual std::uint64_t cycle() const = 0;
  /// The waveform being written ("" when tracing is off).
  virtual std::string trace_path() const = 0;
};

/// The Verilated configurations, A format x W format at block 32 (lanes: see CMakeLists.txt);
/// *_mutant: built with MPSIM_MUTANT (the FP32 accumulator adder drops its alignment sticky bit;
/// one build suffices, every pair shares that adder).
std::unique_ptr<BlockFpRtl> make_block_fp_rtl_mxint8_mxint8(const TraceOptions& trace = {});
std::unique_ptr<BlockFpRtl> make_block_fp_rtl_e4m3_e4m3(const TraceOptions& trace = {});
std::unique_ptr<BlockFpRtl> make_block_fp_rtl_e4m3_e4m3_mutant(const TraceOptions& trace = {});
std::unique_ptr<BlockFpRtl> make_block_fp_rtl_e4m3_fp4(const TraceOptions& trace = {});
std::unique_ptr<BlockFpRtl> make_block_fp_rtl_e5m2_e5m2(const TraceOptions& trace = {});
std::unique_ptr<BlockFpRtl> make_block_fp_rtl_e2m3_e3m2(const TraceOptions& trace = {});
std::unique_ptr<BlockFpRtl> make_block_fp_rtl_bfp16_bfp12(const TraceOptions& trace = {});

}  // namespace mpsim::rtl
