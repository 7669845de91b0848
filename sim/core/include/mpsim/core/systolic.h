// DESCRIPTION: The generic systolic array (weight- and output-stationary) over any PE family that
// describes its values as chunked issues. Register transfer per issue slot with SCALE-Sim's skew;
// the exhaustive mode steps every PE's datapath model every cycle. Header-only: each family
// instantiates it. SPDX-License-Identifier: Apache-2.0
//
// A family F provides (see sim/pe/int8_mac/int8_mac_family.h for the reference):
//   using Acc;      // partial-sum register: flows down the column (WS) or stays in the PE (OS)
//   using AChunk;   // k_per_issue activations of one row of A (flows right)
//   using WChunk;   // k_per_issue weights of one column of W (stationary in WS, flows down in OS)
//   using Datapath; // per-PE cycle model: load(a, w, acc_in); step(counts); Acc result()
//   PeTiming timing() const;  std::size_t action_count() const;
//   AChunk a_chunk(const QuantizedRow& row, int64 c) const;   // chunk c: k in [c*kpi, c*kpi+kpi) ∩
//   [0,K) WChunk w_chunk(const QuantizedRow& col, int64 c) const; Acc zero() const; void issue(Acc&
//   acc, const AChunk& a, const WChunk& w, std::uint64_t* counts) const; float finish(const Acc&
//   acc) const; ActionCounts issue_counts(int64 chunk, int64 len) const;  // what one issue of that
//   chunk counts Datapath datapath() const;
// Contract: Datapath d; d.load(a, w, acc); cycles_per_issue x d.step(c) leaves d.result() equal to
//           issue(acc, a, w, c) and the same counts (tests/unit/pe_datapath_test.cpp checks it).
//
// Cycle model (SCALE-Sim's, extended to multi-cycle issues; docs/sim.md derives it):
//   WS: rows cycles of weight load, then slots = mt + rows + cols - 2 issue slots of
//       cycles_per_issue cycles, then latency - 1 cycles of output stage:
//       cycles = rows + (mt + rows + cols - 2) * II + latency - 1   (II = 1, latency 1: 2R + C + T
//       - 2)
//   OS: slots = ceil(kt / kpi) + rows + cols - 2, then latency - 1, then rows cycles of drain:
//       cycles = (T + rows + cols - 2) * II + latency - 1 + rows
// The full array dimensions enter the skew (a fold that uses fewer rows/cols still traverses the
// array), which is also what SCALE-Sim's formula assumes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "mpsim/base/error.h"
#include "mpsim/core/gemm_kernel.h"

namespace mpsim::sim {

template <class F>
class SystolicKernel final : public GemmKernel {
 public:
  using Acc = typename F::Acc;
  using AChunk = typename F::AChunk;
  using WChunk = typename F::WChunk;

  SystolicKernel(F family, int rows, int cols, Dataflow d)
      : f_(std::move(family)), rows_(rows), cols_(cols), df_(d), t_(f_.timing()) {
    MPSIM_CHECK(rows > 0 && cols > 0, "array must be non-empty");
    MPSIM_CHECK(t_.k_per_issue > 0 && t_.cycles_per_issue > 0 && t_.latency > 0, "bad PE timing");
  }

  void begin(std::span<const num::QuantizedRow> a_rows, std::span<const num::QuantizedRow> w_cols,
             std::int64_t m, std::int64_t n, std::int64_t k, bool values) override {
    a_ = a_rows;
    w_ = w_cols;
    m_ = m;
    n_ = n;
    k_ = k;
    values_ = values;
    // Families whose per-chunk behaviour depends on where K ends (a partial last group) learn it
    // here.
    if constexpr (requires { f_.set_total_k(k); }) f_.set_total_k(k);
    if (values) {
      MPSIM_CHECK(static_cast<std::int64_t>(a_rows.size()) == m &&
                      static_cast<std::int64_t>(w_cols.size()) == n,
                  "operand count mismatch");
      acc_.assign(static_cast<std::size_t>(m * n), f_.zero());
    } else {
      acc_.clear();
    }
  }

  std::int64_t max_kt() const override {
    return df_ == Dataflow::kWeightStationary ? std::int64_t{rows_} * t_.k_per_issue : 0;
  }
  std::int64_t max_mt() const override { return df_ == Dataflow::kWeightStationary ? 0 : rows_; }
  std::int64_t max_nt() const override { return cols_; }
  std::size_t action_count() const override { return f_.action_count(); }
  std::int64_t k_step() const override { return t_.k_per_issue; }

  float output(std::int64_t m, std::int64_t n) const override {
    return f_.finish(acc_[static_cast<std::size_t>(m * n_ + n)]);
  }

  TileRun closed_form(const Tile& t) const override {
    TileRun r;
    const std::int64_t kpi = t_.k_per_issue, ii = t_.cycles_per_issue;
    const std::int64_t chunks = (t.kt + kpi - 1) / kpi;
    if (df_ == Dataflow::kWeightStationary) {
      r.cycles =
          static_cast<std::uint64_t>(rows_ + (t.mt + rows_ + cols_ - 2) * ii + t_.latency - 1);
    } else {
      r.cycles =
          static_cast<std::uint64_t>((chunks + rows_ + cols_ - 2) * ii + t_.latency - 1 + rows_);
    }
    r.pe_issues = static_cast<std::uint64_t>(chunks * t.mt * t.nt);
    r.actions.assign(f_.action_count(), 0);
    // Action counts of a tile are fixed by its shape: count one issue per (m, n, chunk) through a
    // representative issue of each distinct chunk length (the last chunk may be shorter).
    count_actions_closed(t, r.actions);
    return r;
  }

  TileRun run_tile(const Tile& t, TileMode mode) override {
    check_tile(t);
    if (mode == TileMode::kTiming) return closed_form(t);
    MPSIM_CHECK(values_, "run_tile with values on a kernel begun without values");
    return df_ == Dataflow::kWeightStationary ? run_ws(t, mode == TileMode::kExhaustive)
                                              : run_os(t, mode == TileMode::kExhaustive);
  }

 private:
  void check_tile(const Tile& t) const {
    MPSIM_CHECK(t.mt > 0 && t.nt > 0 && t.kt > 0, "empty tile");
    MPSIM_CHECK(t.m0 + t.mt <= m_ && t.n0 + t.nt <= n_ && t.k0 + t.kt <= k_, "tile out of range");
    MPSIM_CHECK(t.nt <= cols_, "tile wider than the array");
    if (df_ == Dataflow::kWeightStationary) {
      MPSIM_CHECK(t.kt <= max_kt(), "WS tile deeper than the array");
    } else {
      MPSIM_CHECK(t.mt <= rows_, "OS tile taller than the array");
    }
    MPSIM_CHECK(t.k0 % t_.k_per_issue == 0, "tile K origin must align with k_per_issue");
  }

  // Closed-form action counts: every (m, n, chunk) issue counts once; what one issue counts depends
  // only on where its chunk lies in K (group/block ends), which the family reports.
  void count_actions_closed(const Tile& t, ActionCounts& out) const {
    const std::int64_t kpi = t_.k_per_issue;
    const std::uint64_t outputs = static_cast<std::uint64_t>(t.mt * t.nt);
    for (std::int64_t k = t.k0; k < t.k0 + t.kt; k += kpi) {
      add_counts(out, f_.issue_counts(k / kpi, std::min(kpi, t.k0 + t.kt - k)), outputs);
    }
  }
  static void add_counts(ActionCounts& out, const ActionCounts& per, std::uint64_t times) {
    for (std::size_t i = 0; i < out.size() && i < per.size(); ++i) out[i] += per[i] * times;
  }

  Acc& acc_at(std::int64_t m, std::int64_t n) { return acc_[static_cast<std::size_t>(m * n_ + n)]; }

  // Weight-stationary register transfer. PE(r, c) holds W chunk (k0/kpi + r) of column n0 + c. At
  // slot s row r's input is A row (s - r); the top of column c receives the partial sum of row
  // (s - c); PE(r, c) works on row s - r - c. Iterating r and c downwards reads last slot's
  // registers before they are overwritten, exactly like clocked flip-flops.
  TileRun run_ws(const Tile& t, bool exhaustive) {
    const int R = rows_, C = cols_;
    const std::int64_t kpi = t_.k_per_issue, ii = t_.cycles_per_issue;
    const std::int64_t c0 = t.k0 / kpi;
    const int used_rows = static_cast<int>((t.kt + kpi - 1) / kpi);
    const int used_cols = static_cast<int>(t.nt);
    TileRun run;
    run.actions.assign(f_.action_count(), 0);
    std::uint64_t* counts = run.actions.data();

    wreg_.resize(static_cast<std::size_t>(R) * C);
    for (int r = 0; r < used_rows; ++r) {
      for (int c = 0; c < used_cols; ++c) {
        wreg_[idx(r, c)] = f_.w_chunk(w_[static_cast<std::size_t>(t.n0 + c)], c0 + r);
      }
    }
    // Preload the A chunks of the tile's rows once (the feeder's view of the activation buffer).
    achunks_.resize(static_cast<std::size_t>(t.mt) * used_rows);
    for (std::int64_t m = 0; m < t.mt; ++m) {
      for (int r = 0; r < used_rows; ++r) {
        achunks_[static_cast<std::size_t>(m * used_rows + r)] =
            f_.a_chunk(a_[static_cast<std::size_t>(t.m0 + m)], c0 + r);
      }
    }
    preg_.assign(static_cast<std::size_t>(R) * C, f_.zero());
    if (exhaustive) dps_.assign(static_cast<std::size_t>(R) * C, f_.datapath());

    const std::int64_t slots = t.mt + R + C - 2;
    for (std::int64_t s = 0; s < slots; ++s) {
      // Rows beyond used_rows pass the partial sum through unchanged (no issue, no energy).
      for (int r = R - 1; r >= 0; --r) {
        for (int c = C - 1; c >= 0; --c) {
          const std::int64_t m = s - r - c;
          if (m < 0 || m >= t.mt || c >= used_cols) continue;
          Acc in =
              r == 0 ? (t.first_k ? f_.zero() : acc_at(t.m0 + m, t.n0 + c)) : preg_[idx(r - 1, c)];
          if (r < used_rows) {
            const AChunk& a = achunks_[static_cast<std::size_t>(m * used_rows + r)];
            if (exhaustive) {
              auto& dp = dps_[idx(r, c)];
              dp.load(a, wreg_[idx(r, c)], in);
              for (std::int64_t cyc = 0; cyc < ii; ++cyc) dp.step(counts);
              in = dp.result();
            } else {
              f_.issue(in, a, wreg_[idx(r, c)], counts);
            }
            ++run.pe_issues;
          }
          preg_[idx(r, c)] = in;
          if (r == R - 1) acc_at(t.m0 + m, t.n0 + c) = in;
        }
      }
    }
    run.cycles = static_cast<std::uint64_t>(R + slots * ii + t_.latency - 1);
    return run;
  }

  // Output-stationary: PE(r, c) owns C[m0 + r, n0 + c]; A chunk j of row r and W chunk j of column
  // c meet there at slot j + r + c.
  TileRun run_os(const Tile& t, bool exhaustive) {
    const int R = rows_, C = cols_;
    const std::int64_t kpi = t_.k_per_issue, ii = t_.cycles_per_issue;
    const std::int64_t c0 = t.k0 / kpi;
    const std::int64_t chunks = (t.kt + kpi - 1) / kpi;
    TileRun run;
    run.actions.assign(f_.action_count(), 0);
    std::uint64_t* counts = run.actions.data();
    preg_.resize(static_cast<std::size_t>(R) * C);
    for (std::int64_t r = 0; r < t.mt; ++r) {
      for (std::int64_t c = 0; c < t.nt; ++c) {
        preg_[idx(static_cast<int>(r), static_cast<int>(c))] =
            t.first_k ? f_.zero() : acc_at(t.m0 + r, t.n0 + c);
      }
    }
    if (exhaustive) dps_.assign(static_cast<std::size_t>(R) * C, f_.datapath());
    const std::int64_t slots = chunks + R + C - 2;
    for (std::int64_t s = 0; s < slots; ++s) {
      for (int r = 0; r < t.mt; ++r) {
        for (int c = 0; c < t.nt; ++c) {
          const std::int64_t j = s - r - c;
          if (j < 0 || j >= chunks) continue;
          // The chunks would arrive through the skewed A/W register chains; their contents at
          // this PE and slot are exactly these (the chains only delay them).
          const AChunk a = f_.a_chunk(a_[static_cast<std::size_t>(t.m0 + r)], c0 + j);
          const WChunk w = f_.w_chunk(w_[static_cast<std::size_t>(t.n0 + c)], c0 + j);
          Acc& acc = preg_[idx(r, c)];
          if (exhaustive) {
            auto& dp = dps_[idx(r, c)];
            dp.load(a, w, acc);
            for (std::int64_t cyc = 0; cyc < ii; ++cyc) dp.step(counts);
            acc = dp.result();
          } else {
            f_.issue(acc, a, w, counts);
          }
          ++run.pe_issues;
        }
      }
    }
    for (std::int64_t r = 0; r < t.mt; ++r) {
      for (std::int64_t c = 0; c < t.nt; ++c) {
        acc_at(t.m0 + r, t.n0 + c) = preg_[idx(static_cast<int>(r), static_cast<int>(c))];
      }
    }
    run.cycles = static_cast<std::uint64_t>(slots * ii + t_.latency - 1 + R);
    return run;
  }

  std::size_t idx(int r, int c) const { return static_cast<std::size_t>(r) * cols_ + c; }

  F f_;
  int rows_, cols_;
  Dataflow df_;
  PeTiming t_;
  std::span<const num::QuantizedRow> a_, w_;
  std::int64_t m_ = 0, n_ = 0, k_ = 0;
  bool values_ = false;
  std::vector<Acc> acc_;
  std::vector<WChunk> wreg_;
  std::vector<AChunk> achunks_;
  std::vector<Acc> preg_;
  std::vector<typename F::Datapath> dps_;
};

}  // namespace mpsim::sim
