// DESCRIPTION: The architecture spec: array, PE family and its parameters, dataflow, clock, SRAM
// buffers, DRAM, vector unit and technology, as an immutable value produced only by the validator
// (every problem reported at once with file:line:column and field).
// SPDX-License-Identifier: Apache-2.0
//
// Example (sim/configs/int8_mac_ws.yaml):
//   version: 1
//   arch:
//     name: int8_mac_ws_32x32
//     frequency_mhz: 1000
//     tech_nm: 45
//     array: { rows: 32, cols: 32, dataflow: weight_stationary }
//     pe: { type: int8_mac, lanes: 1 }
//     buffers:
//       weight:     { kib: 256, banks: 8, bytes_per_cycle: 64, double_buffered: true }
//       activation: { kib: 256, banks: 8, bytes_per_cycle: 64, double_buffered: true }
//       output:     { kib: 128, banks: 4, bytes_per_cycle: 64, double_buffered: true }
//     dram: { bandwidth_gbps: 64, latency_ns: 100 }
//     vector_unit: { lanes: 32, softmax: three_pass }
#pragma once

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mpsim/core/pe_type.h"

namespace mpsim::sim {

/// One on-chip SRAM buffer.
struct BufferSpec {
  double kib = 0;
  int banks = 1;
  int bytes_per_cycle = 64;  ///< read/write bandwidth to the array
  bool double_buffered = true;
  double bytes() const { return kib * 1024.0; }
  /// Capacity one tile may use: half when double buffered (the other half is being filled).
  double tile_bytes() const { return double_buffered ? bytes() / 2 : bytes(); }
};

/// Off-chip memory.
struct DramSpec {
  double bandwidth_gbps = 64;  ///< GB/s (10^9 bytes per second)
  double latency_ns = 100;
  /// Seeded random extra latency per transfer (0: none), cycles in [0, jitter_cycles]; used by
  /// tests to check that stalls never change values or deadlock.
  int jitter_cycles = 0;
  std::uint64_t jitter_seed = 1;
};

/// How softmax is computed by the vector unit (changes its memory traffic).
enum class SoftmaxAlgo : std::uint8_t { kThreePass, kTwoPass };
std::string_view to_string(SoftmaxAlgo a);

/// The vector unit for non-GEMM ops (softmax, norms, activations, elementwise).
struct VectorUnitSpec {
  int lanes = 32;  ///< FP32 elements per cycle
  SoftmaxAlgo softmax = SoftmaxAlgo::kThreePass;
};

/// A validated architecture.
struct ArchSpec {
  std::string name;
  double frequency_mhz = 1000;
  int tech_nm = 45;
  int rows = 32, cols = 32;  ///< int4_tc: MMA units arranged rows x cols
  Dataflow dataflow = Dataflow::kWeightStationary;
  std::string pe_type;  ///< registry name
  PeParams pe_params;   ///< validated against the family's declared params
  std::shared_ptr<const PeType> pe;
  BufferSpec weight_buf, act_buf, out_buf;
  DramSpec dram;
  VectorUnitSpec vector;

  /// DRAM bytes per array clock cycle.
  double dram_bytes_per_cycle() const { return dram.bandwidth_gbps * 1e3 / frequency_mhz; }
  /// DRAM latency in whole cycles (rounded up).
  std::uint64_t dram_latency_cycles() const {
    return static_cast<std::uint64_t>(std::ceil(dram.latency_ns * frequency_mhz / 1000.0 - 1e-9));
  }
};

/// One `--set PATH=VALUE` override (e.g. "arch.array.rows=64"), applied before validation.
struct Override {
  std::string path;
  std::string value;
};

/// Parses and validates YAML text; `source` names it in diagnostics. Throws ConfigError listing
/// every problem (unknown keys with "did you mean", ranges, types, unknown PE type, bad override
/// paths reported as "<cli>").
ArchSpec parse_arch(std::string_view yaml_text, std::string_view source,
                    const std::vector<Override>& overrides = {});
/// Reads and parses a file (ConfigError naming the file if it cannot be read).
ArchSpec load_arch(const std::filesystem::path& path, const std::vector<Override>& overrides = {});
/// The fully resolved spec as YAML (defaults included), parseable by parse_arch to an equal spec.
std::string to_yaml(const ArchSpec& a);
/// Parses "PATH=VALUE" (ConfigError naming "--set" when there is no '=').
Override parse_override(std::string_view text);

}  // namespace mpsim::sim
