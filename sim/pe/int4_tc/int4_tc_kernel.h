// DESCRIPTION: The tensor-core-like INT4 PE: rows x cols MMA units, each issuing frag_m x frag_n x
// frag_k integer fragments into INT32 accumulators that wrap (counted). Plain integer pairs (INT8
// as fused INT8 MMAs or as hi/lo nibble passes), QServe W4A8 (byte-wise dequant to INT8, FP32/FP16
// epilogue), group-scaled W4A4 (MX/BFP integer blocks, FP32 epilogue per group) and arbitrary
// precision as bipolar bit planes on 1-bit MMAs (XOR + popcount).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mpsim/core/gemm_kernel.h"

namespace mpsim::sim::int4_tc {

/// Actions, indexed like PeCost::actions.
enum Action : std::size_t {
  kMmaInt4 = 0,  ///< one fragment pass on the INT4 multiplier array
  kMmaB1,        ///< one fragment pass on the 1-bit XOR/popcount array
  kAccAdd,       ///< one INT32 accumulator add of one output
  kEpilogue,     ///< one FP32 scale-and-accumulate (or convert) of one output
  kDequant,      ///< one QServe weight dequantized to INT8 in the operand registers
  kAccWrap,      ///< one INT32 wrap (counter, 0 pJ)
  kActionCount
};

/// How an 8-bit integer operand reaches the INT4 multiplier array.
enum class Variant : std::uint8_t {
  kQServe,  ///< fused INT8 MMA (whole products, one accumulator add per MMA), as QServe issues
  kHiLo,    ///< separate INT4 MMA passes on x = 16*hi + lo, one accumulator add per pass
};

/// What the format pair is computed as.
enum class Mode : std::uint8_t {
  kInt,       ///< intN/uintN x intM/uintM (N, M <= 8): INT32 result
  kQServe,    ///< int activations x qserve_w4a8: dequant to INT8, INT32 psum, FP32 epilogue -> FP16
  kGroup,     ///< MX/BFP integer blocks on both sides: per-group INT32 partial, FP32 epilogue
  kBitPlane,  ///< bipolar_intN x bipolar_intM: N*M 1-bit passes, dot = len - 2*popcount(a ^ w)
};

struct Fragment {
  int m = 16, n = 8, k = 64;
  int cycles_per_mma = 2;
  int latency = 4;  ///< INT32 accumulator pipeline after the last MMA of a fold
};

/// Extra pipeline stages of some modes (README: timing table).
inline constexpr int kDequantStages = 1;   ///< QServe: byte multiply + __vadd4 before the MMA
inline constexpr int kEpilogueStages = 4;  ///< I2F, FP32 multiply, FP32 add/convert, register

/// One pass: the operand parts it multiplies and the weight (shift) of its partial product.
struct Pass {
  int a_part = 0, w_part = 0;  ///< nibble (0 lo, 1 hi; 0 when not split) or bit-plane index
  int shift = 0;               ///< partial << shift is added into the INT32 accumulator
};

struct Plan {
  Mode mode = Mode::kInt;
  Variant variant = Variant::kQServe;
  int a_bits = 4, w_bits = 4;             ///< element widths (bit planes for kBitPlane)
  bool a_split = false, w_split = false;  ///< operand wider than a 4-bit MMA operand: two nibbles
  bool fused = true;                      ///< whole products per MMA (else one add per pass)
  std::int64_t group = 0;                 ///< kGroup: elements per scale group
  std::int64_t max_product = 0;           ///< largest |a * w| (fast no-wrap bound)
  std::vector<Pass> passes;
  int extra_latency() const {
    return (mode == Mode::kQServe ? kDequantStages : 0) +
           (mode == Mode::kQServe || mode == Mode::kGroup ? kEpilogueStages : 0);
  }
};

/// Decomposition of a format pair, or std::nullopt with `why` filled.
std::optional<Plan> plan_for(const PeFormats& f, Variant v, std::string* why);

class MmaKernel;

/// One MMA issue of a fold, shared by every unit (all units stream the same K chunks).
struct Issue {
  std::int64_t kb = 0, ke = 0;  ///< K range [kb, ke) of the chunk (absolute k)
  std::int64_t chunk = 0;       ///< global chunk index (bit-plane word layout)
  std::int64_t group = 0;       ///< scale group index (kGroup)
  int pass = -1;                ///< index into Plan::passes; -1: fused (all passes at once)
  int cycles = 1;               ///< cycles the unit is busy with it
  bool ends_group = false;      ///< kGroup: the group's INT32 partial is complete after it
};

/// One MMA unit's datapath, advanced one cycle per step(): each cycle multiplies one k-slice of
/// the current issue for the whole fragment (fused: the products join the INT32 chain in k order;
/// passes: slice partials collect in a wide partial register, added to the accumulator on the
/// pass's last cycle), then the accumulator pipeline drains and the fragment is written back one
/// row per cycle (the QServe epilogue is applied to each row as it leaves).
class MmaUnit {
 public:
  void load(MmaKernel* k, const Tile* t, const std::vector<Issue>* issues, std::int64_t m0,
            std::int64_t n0, std::int64_t mt, std::int64_t nt);
  void step(std::uint64_t* counts);
  bool done() const { return phase_ == Phase::kDone; }
  // Observers for lock-step co-simulation against the RTL unit (rtl/pe/int4_tc): the issue the
  // next step() works on (nullptr outside the issue phase), the cycle within it, and the fragment
  // row the last step() wrote back (-1: none).
  const Issue* next_issue() const {
    return phase_ == Phase::kIssue ? &(*issues_)[issue_] : nullptr;
  }
  int issue_cycle() const { return cycle_; }
  std::int64_t written_row() const { return written_row_; }

 private:
  enum class Phase : std::uint8_t { kIssue, kDrain, kWriteback, kDone };
  MmaKernel* k_ = nullptr;
  const Tile* t_ = nullptr;
  const std::vector<Issue>* issues_ = nullptr;
  std::int64_t m0_ = 0, n0_ = 0, mt_ = 0, nt_ = 0;
  Phase phase_ = Phase::kDone;
  std::size_t issue_ = 0;
  int cycle_ = 0;                      ///< cycle within the issue, drain or write-back
  std::int64_t written_row_ = -1;      ///< fragment row the last step() wrote back
  std::vector<std::int64_t> partial_;  ///< per output of the fragment: the pass's wide partial
};

/// The MMA array kernel for one GEMM.
class MmaKernel final : public GemmKernel {
 public:
  MmaKernel(Plan plan, Fragment frag, int rows, int cols);
  void begin(std::span<const num::QuantizedRow> a_rows, std::span<const num::QuantizedRow> w_cols,
             std::int64_t m, std::int64_t n, std::int64_t k, bool values) override;
  TileRun run_tile(const Tile& t, TileMode mode) override;
  TileRun closed_form(const Tile& t) const override;
  std::int64_t max_kt() const override { return 0; }
  std::int64_t max_mt() const override { return std::int64_t{frag_.m} * rows_; }
  std::int64_t max_nt() const override { return std::int64_t{frag_.n} * cols_; }
  std::int64_t k_step() const override {
    return plan_.mode == Mode::kGroup ? plan_.group : frag_.k;
  }
  float output(std::int64_t m, std::int64_t n) const override;
  std::size_t action_count() const override { return kActionCount; }

  /// The cycle-stepped fold that run_tile(kExhaustive) loops over, open for lock-step
  /// co-simulation: load_units() binds the fold's fragments to the units, step_units() clocks
  /// every unit that is not done once (false when none was left), acc_bits() reads an INT32
  /// accumulator. The units keep a pointer to `t` until they are done.
  void load_units(const Tile& t);
  bool step_units(std::uint64_t* counts);
  const MmaUnit& unit(std::size_t i) const { return units_[i]; }
  std::uint32_t acc_bits(std::int64_t m, std::int64_t n) const { return acc_[at(m, n)]; }

 private:
  friend class MmaUnit;

  /// One operand line unpacked once (on first use: the engine quantizes lines lazily).
  struct Line {
    bool ready = false;
    std::vector<std::int16_t> v;        ///< integer element values (QServe weights: W8')
    std::vector<std::uint64_t> planes;  ///< bipolar: [plane][chunk][word], chunk-aligned words
    std::vector<std::int16_t> gexp;     ///< kGroup: per group, scale code - 127 + ulp exponent
    std::vector<std::uint8_t> gnan;     ///< kGroup: per group, the scale is NaN (code 0xFF)
    float s1 = 1.0f;                    ///< QServe weights: the per-channel FP16 scale
  };

  void unpack(Line& l, const num::QuantizedRow& row, bool is_a, int bits) const;
  void build_issues(const Tile& t);
  /// Unpacks the fold's operand lines (values mode) and builds its issues.
  void prepare(const Tile& t);
  void bind_units(const Tile& t);
  std::int64_t chunks(const Tile& t) const;
  /// Runs the k-slice [lo, hi) of issue `is` for output (m, n): fused products join the INT32
  /// chain; pass slices return their partial (the caller adds it at the pass's end).
  std::int64_t slice(const Issue& is, std::int64_t m, std::int64_t n, std::int64_t lo,
                     std::int64_t hi, std::uint64_t* counts);
  /// The pass's accumulator add: acc += partial << shift (INT32 wrap, counted).
  void acc_add(std::int64_t m, std::int64_t n, std::int64_t partial, int shift,
               std::uint64_t* counts);
  /// kGroup: the group's INT32 partial scaled and accumulated in FP32; the partial restarts.
  void group_epilogue(const Issue& is, std::int64_t m, std::int64_t n);
  /// Start of a fold for output (m, n) (first_k resets) and the QServe epilogue at its end.
  void start_output(const Tile& t, std::int64_t m, std::int64_t n);
  void finish_output(const Tile& t, std::int64_t m, std::int64_t n);
  std::size_t at(std::int64_t m, std::int64_t n) const {
    return static_cast<std::size_t>(m * n_ + n);
  }

  Plan plan_;
  Fragment frag_;
  int rows_, cols_;
  std::int64_t words_per_chunk_ = 1;
  std::span<const num::QuantizedRow> a_, w_;
  std::int64_t m_ = 0, n_ = 0, k_ = 0;
  bool values_ = false;
  std::vector<Line> a_lines_, w_lines_;
  std::vector<std::uint32_t> acc_;    ///< M x N INT32 accumulators (two's complement bits)
  std::vector<float> facc_;           ///< M x N FP32 accumulators / outputs (kGroup, kQServe)
  std::vector<std::uint8_t> frozen_;  ///< kGroup: a non-finite group ended the dot (block_dot)
  std::vector<Issue> issues_;
  std::vector<MmaUnit> units_;
};

/// Parses the `variant` parameter.
Variant parse_variant(const std::string& s);

}  // namespace mpsim::sim::int4_tc
