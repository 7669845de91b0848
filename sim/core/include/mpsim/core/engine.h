// DESCRIPTION: The cycle-level engine (SystemC-free): tiles each op to fit the buffers, runs the
// folds on the PE family's array kernel (memoized or exhaustive), overlaps DRAM transfers with
// compute by double buffering, models the vector unit, checks values against models/golden and
// accounts energy and area. The SystemC worker drives it fold by fold (sim/sc); tests drive it
// directly. SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mpsim/core/activity.h"
#include "mpsim/core/arch_spec.h"
#include "mpsim/core/gemm_kernel.h"
#include "mpsim/workload/trace.h"

namespace mpsim::sim {

/// How much of each op's output is compared with the golden model.
struct CheckMode {
  enum Kind : std::uint8_t { kOff, kSample, kFull } kind = kSample;
  int samples = 4;  ///< output tiles per op for kSample
};
/// Parses "full", "off", "sample:N" (ConfigError naming --check otherwise).
CheckMode parse_check(std::string_view text);

/// Builds the array kernel of one GEMM in place of the PE family's own (e.g. the Verilated RTL
/// array of `mpsim sim --rtl`); returning nullptr keeps the family's kernel.
using KernelFactory = std::function<std::unique_ptr<GemmKernel>(
    const PeType& pe, const PeFormats& f, int rows, int cols, Dataflow d)>;

/// How PE energy is computed: fixed energy per action (for random operands), or scaled by the
/// switching activity the operand and accumulator registers actually saw (measured on the folds
/// that ran with values; ops without such folds fall back to fixed and say so).
enum class EnergyModel : std::uint8_t { kFixed, kActivity };
/// Parses "fixed" | "activity" (ConfigError naming --energy otherwise).
EnergyModel parse_energy_model(std::string_view text);

struct SimOptions {
  CheckMode check;
  EnergyModel energy_model = EnergyModel::kFixed;
  bool ideal_memory = false;  ///< no DRAM latency/bandwidth stalls
  bool exhaustive = false;    ///< step every PE datapath every cycle of every fold (implies values)
  bool timeline = false;      ///< record per-op activity intervals
  std::uint64_t seed = 1;     ///< synthetic operands and sampled tiles
  KernelFactory kernel_factory;  ///< empty: every GEMM runs on the family's C++ kernel
  std::string datapath = "cpp";  ///< what runs the PE values ("cpp" or "rtl"), for the report
};

/// Energy of one op or a run, by component (pJ).
struct Energy {
  double pe = 0, buffers = 0, dram = 0, vector = 0, leakage = 0;
  double total() const { return pe + buffers + dram + vector + leakage; }
  Energy& operator+=(const Energy& o);
};

/// A value the array got wrong.
struct Mismatch {
  std::string op;
  std::int64_t tile_m0 = 0, tile_n0 = 0, m = 0, n = 0;
  float expected = 0, actual = 0;
  std::string reference;  ///< which golden function produced `expected`
};

/// Statistics of one op (all repeats and batch items included).
struct OpStats {
  std::string op, kind, group;
  std::int64_t macs = 0;
  std::uint64_t cycles = 0, compute_cycles = 0, stall_cycles = 0;
  double utilization = 0;  ///< useful PE issues / (PEs x compute cycles) scaled by MACs per issue
  double dram_read_bytes = 0, dram_write_bytes = 0;
  double weight_buf_bytes = 0, act_buf_bytes = 0, out_buf_bytes = 0;  ///< SRAM traffic
  std::map<std::string, std::uint64_t> actions;
  Energy energy;
  std::uint64_t folds = 0, distinct_folds = 0, stepped_folds = 0;
  std::int64_t checked_outputs = 0;
  std::string reference;          ///< golden function used for the check ("" when not checked)
  std::string tiling;             ///< e.g. "mt=512 nt=32 kt=32 (WS)"
  std::string energy_model;       ///< "fixed" or "activity" (what energy.pe was computed with)
  double activity_alpha = 0;      ///< toggled / observed register bits (activity model)
  double pj_per_toggle = 0;       ///< calibrated energy of one toggled register bit
  Activity activity;              ///< toggles counted on the stepped folds
  std::uint64_t start_cycle = 0;  ///< for the timeline
  double dram_bytes() const { return dram_read_bytes + dram_write_bytes; }
};

/// Result of one simulation.
struct RunStats {
  bool feasible = true;
  std::string infeasible_reason;  ///< first reason (op named)
  std::vector<OpStats> ops;
  std::uint64_t cycles = 0, compute_cycles = 0, stall_cycles = 0;
  std::int64_t macs = 0;
  Energy energy;
  double area_mm2 = 0;
  std::map<std::string, double> area_breakdown_mm2;
  std::vector<Mismatch> mismatches;  ///< first few per op
  std::int64_t checked_outputs = 0;
  double seconds() const;  ///< cycles / frequency (set by the engine)
  /// Appends one op (which started at the run's current cycle) and adds it into the totals.
  void add_op(OpStats s);
  double frequency_mhz = 1000;
};

/// How one GEMM is cut into folds and in which order they run: what the engine simulates and the
/// analytical model (sim/analytical) counts, shared so that both cut every GEMM alike.
struct GemmTiling {
  std::int64_t mt = 0, nt = 0, kt = 0;    ///< full fold sizes (a dimension's last fold may be less)
  std::int64_t mb = 0, nb = 0;            ///< row blocks ceil(M/mt) and column blocks ceil(N/nt)
  bool m_outer = false;                   ///< row blocks outermost (else column blocks)
  bool a_whole = false, w_whole = false;  ///< the operand fits its buffer tile whole
  bool a_panel = false, w_panel = false;  ///< an mt x K (K x nt) panel fits its buffer tile
  double a_bits = 0, w_bits = 0, psum_bits = 32, out_bits = 0;  ///< stored bits per element
  std::string infeasible;  ///< why no fold fits the buffers ("" when one does)
  std::string text;        ///< OpStats::tiling
  /// Whether a fold of the block starting at column n0 finds its A rows already on chip.
  bool a_reused(std::int64_t n0) const { return n0 > 0 && (a_whole || (m_outer && a_panel)); }
  /// Whether a fold of the block starting at row m0 finds its W columns already on chip.
  bool w_reused(std::int64_t m0) const { return m0 > 0 && (w_whole || (!m_outer && w_panel)); }
};

/// Cuts a GEMM-like `op` (whose formats the PE supports) into folds of `kernel` that fit `arch`'s
/// buffers, and picks the loop order with less DRAM traffic.
GemmTiling plan_gemm(const ArchSpec& arch, const workload::Op& op, const GemmKernel& kernel);

/// Times and costs a non-GEMM `op` on the vector unit into `s` (cycles, traffic, energy,
/// tiling). `jitter` is the extra DRAM latency drawn for it (0 with ideal memory).
void run_vector_op(const ArchSpec& arch, const workload::Op& op, bool ideal_memory,
                   std::uint64_t jitter, OpStats& s);

/// Runs traces on one architecture. Not thread-safe; one per thread.
class Engine {
 public:
  Engine(const ArchSpec& arch, SimOptions opts);
  /// Simulates every op of `trace` in order. Infeasible ops make the run infeasible with a reason
  /// (the other ops still run, so the report is complete); mismatches are collected.
  RunStats run(const workload::Trace& trace);
  /// Simulates one op starting at `start_cycle`.
  OpStats run_op(const workload::Op& op, std::uint64_t start_cycle, RunStats& run);
  /// Fills the run's area (PE array for the widest format pair the trace uses, buffers, vector
  /// unit).
  void finish(RunStats& run, const workload::Trace& trace) const;
  /// Area of the architecture (PE array, buffers, vector unit), mm^2, by component.
  std::map<std::string, double> area_mm2() const;

 private:
  struct Impl;
  const ArchSpec& arch_;
  SimOptions opts_;
};

}  // namespace mpsim::sim
