// DESCRIPTION: The tensor-core-like INT4 PE: rows x cols MMA units, each issuing frag_m x frag_n x frag_k
// integer fragments into INT32 accumulators that wrap (counted). Wider or other operands run as several
// passes: INT8 = 16*hi + lo nibble decomposition, and arbitrary precision as bipolar bit planes on 1-bit
// MMAs (XOR + popcount). Values equal golden::gemm's exact integer semantics modulo 2^32.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <vector>

#include "mpsim/core/gemm_kernel.h"

namespace mpsim::sim::int4_tc {

enum Action : std::size_t { kMmaInt4 = 0, kMmaB1 = 1, kAccAdd = 2, kAccWrap = 3, kActionCount = 4 };

/// How a format pair is decomposed onto the MMA units.
enum class Mode : std::uint8_t {
  kInt4,     ///< both operands intN/uintN with N <= 4: one INT4 pass
  kNibbles,  ///< an INT8 operand split into hi (signed) and lo (unsigned) nibbles: 2 or 4 passes
  kBitPlane  ///< bipolar_intN x bipolar_intM: N*M 1-bit passes, dot = len - 2*popcount(a ^ w)
};

struct Fragment {
  int m = 16, n = 8, k = 64;
  int cycles_per_mma = 2;
  int latency = 4;  ///< accumulator pipeline after the last pass
};

/// One pass: what each operand contributes and the weight (shift) of its partial product.
struct Pass {
  int a_part = 0, w_part = 0;  ///< nibble (0 lo, 1 hi) or bit-plane index
  int shift = 0;               ///< partial << shift added into the INT32 accumulator
};

struct Plan {
  Mode mode = Mode::kInt4;
  int a_bits = 4, w_bits = 4;
  bool a_nibbles = false, w_nibbles = false;  ///< kNibbles: which operands are split
  std::vector<Pass> passes;
};

/// Decomposition of a format pair, or std::nullopt with `why` filled.
std::optional<Plan> plan_for(const PeFormats& f, std::string* why);

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
  std::int64_t k_step() const override { return frag_.k; }
  float output(std::int64_t m, std::int64_t n) const override;
  std::size_t action_count() const override { return kActionCount; }

 private:
  /// The pass's operand term of value v (an integer code value).
  static std::int32_t term(std::int32_t v, int part, bool nibbles, Mode mode, int bits);
  void load_lines(const Tile& t);

  Plan plan_;
  Fragment frag_;
  int rows_, cols_;
  std::span<const num::QuantizedRow> a_, w_;
  std::int64_t m_ = 0, n_ = 0, k_ = 0;
  bool values_ = false;
  std::vector<std::uint32_t> acc_;  ///< M x N INT32 accumulators (two's complement bits)
  // Per pass, per row/column of the fold: the operand terms along K (unpacked once per fold).
  std::vector<std::vector<std::int8_t>> a_terms_, w_terms_;
  // Bit planes packed 64 per word for the 1-bit passes.
  std::vector<std::vector<std::uint64_t>> a_planes_, w_planes_;
};

}  // namespace mpsim::sim::int4_tc
