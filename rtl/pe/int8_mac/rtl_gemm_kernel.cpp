// DESCRIPTION: The int8_mac RTL array as a GemmKernel (see rtl_gemm_kernel.h). Cycle accounting:
// the kernel counts the clock edges it gives the RTL from the first weight load to the edge that
// registers the last output, so a disagreement with the closed form is a real timing difference.
// SPDX-License-Identifier: Apache-2.0
#include "rtl_gemm_kernel.h"

#include <fmt/format.h>

#include "int8_mac_family.h"
#include "mpsim/base/error.h"
#include "rtl_int8_mac.h"

namespace mpsim::rtl {
namespace {

class RtlArrayKernel final : public sim::GemmKernel {
 public:
  explicit RtlArrayKernel(bool mutant)
      : rtl_(mutant ? make_int8_mac_array4x4_rtl_mutant() : make_int8_mac_array4x4_rtl()),
        R_(rtl_->rows()),
        C_(rtl_->cols()) {
    rtl_->reset();
    in_.w_in.assign(static_cast<std::size_t>(C_), 0);
    in_.psum_in.assign(static_cast<std::size_t>(C_), 0);
    in_.a_valid.assign(static_cast<std::size_t>(R_), false);
    in_.a_in.assign(static_cast<std::size_t>(R_), 0);
  }

  void begin(std::span<const num::QuantizedRow> a_rows, std::span<const num::QuantizedRow> w_cols,
             std::int64_t m, std::int64_t n, std::int64_t k, bool values) override {
    a_ = a_rows;
    w_ = w_cols;
    m_ = m;
    n_ = n;
    k_ = k;
    values_ = values;
    acc_.assign(values ? static_cast<std::size_t>(m * n) : 0, 0);
  }
  std::int64_t max_kt() const override { return R_; }
  std::int64_t max_mt() const override { return 0; }
  std::int64_t max_nt() const override { return C_; }
  std::size_t action_count() const override { return sim::int8_mac::kActionCount; }
  float output(std::int64_t m, std::int64_t n) const override {
    return static_cast<float>(acc_[static_cast<std::size_t>(m * n_ + n)]);
  }

  sim::TileRun closed_form(const sim::Tile& t) const override {
    sim::TileRun r;
    r.cycles = static_cast<std::uint64_t>(R_ + (t.mt + R_ + C_ - 2));
    const std::int64_t used_rows = std::min<std::int64_t>(t.kt, R_);
    r.pe_issues = static_cast<std::uint64_t>(used_rows * t.mt * t.nt);
    r.actions.assign(sim::int8_mac::kActionCount, 0);
    r.actions[sim::int8_mac::kMac] = r.pe_issues;
    return r;
  }

  sim::TileRun run_tile(const sim::Tile& t, sim::TileMode mode) override {
    MPSIM_CHECK(t.mt > 0 && t.nt > 0 && t.kt > 0 && t.kt <= R_ && t.nt <= C_,
                "RTL array: tile does not fit the 4x4 array");
    if (mode == sim::TileMode::kTiming) return closed_form(t);
    MPSIM_CHECK(values_, "RTL array: run_tile with values on a kernel begun without values");
    sim::TileRun run = closed_form(t);  // issue and MAC counts are fixed by the tile's shape
    const std::int64_t used_rows = t.kt;
    std::uint64_t edges = 0;
    auto operand = [](const num::QuantizedRow& row, std::int64_t k) {
      return static_cast<std::int8_t>(
          static_cast<std::int32_t>(row.values[static_cast<std::size_t>(k)]));
    };

    // Weight load, bottom row first: after R shifts row r holds W[k0 + r].
    std::fill(in_.a_valid.begin(), in_.a_valid.end(), false);
    std::fill(in_.a_in.begin(), in_.a_in.end(), 0);
    std::fill(in_.psum_in.begin(), in_.psum_in.end(), 0);
    in_.w_load = true;
    for (int step = 0; step < R_; ++step) {
      const std::int64_t r = R_ - 1 - step;
      for (int c = 0; c < C_; ++c) {
        in_.w_in[static_cast<std::size_t>(c)] =
            r < used_rows && c < t.nt ? operand(w_[static_cast<std::size_t>(t.n0 + c)], t.k0 + r)
                                      : 0;
      }
      rtl_->step(in_);
      ++edges;
    }
    in_.w_load = false;
    std::fill(in_.w_in.begin(), in_.w_in.end(), 0);

    // Skewed stream: at slot s row r takes A row s - r (rows past the fold's K pass the partial sum
    // through with a zero operand), column c's top takes the partial sum of row s - c.
    const std::int64_t slots = t.mt + R_ + C_ - 2;
    std::int64_t remaining = t.mt * t.nt;
    for (std::int64_t s = 0; s < slots; ++s) {
      for (int r = 0; r < R_; ++r) {
        const std::int64_t m = s - r;
        const bool live = m >= 0 && m < t.mt;
        in_.a_valid[static_cast<std::size_t>(r)] = live;
        in_.a_in[static_cast<std::size_t>(r)] =
            live && r < used_rows ? operand(a_[static_cast<std::size_t>(t.m0 + m)], t.k0 + r) : 0;
      }
      for (int c = 0; c < C_; ++c) {
        const std::int64_t m = s - c;
        in_.psum_in[static_cast<std::size_t>(c)] =
            m >= 0 && m < t.mt && c < t.nt && !t.first_k ? acc_at(t.m0 + m, t.n0 + c) : 0;
      }
      rtl_->step(in_);
      ++edges;
      rtl_->outputs(out_);
      const Int8MacArrayOutputs& out = out_;
      for (int c = 0; c < C_; ++c) {
        const std::int64_t m = s - (R_ - 1) - c;
        const bool expect = m >= 0 && m < t.mt;
        MPSIM_CHECK(
            out.valid[static_cast<std::size_t>(c)] == expect,
            fmt::format("RTL array: column {} valid bit {} at slot {} (expected {})", c,
                        static_cast<bool>(out.valid[static_cast<std::size_t>(c)]), s, expect));
        if (expect && c < t.nt) {
          acc_at(t.m0 + m, t.n0 + c) = out.psum[static_cast<std::size_t>(c)];
          --remaining;
        }
      }
    }
    MPSIM_CHECK(remaining == 0, "RTL array: not every output of the fold left the array");
    run.cycles = edges;  // the edges the RTL actually took
    return run;
  }

 private:
  std::int32_t& acc_at(std::int64_t m, std::int64_t n) {
    return acc_[static_cast<std::size_t>(m * n_ + n)];
  }
  std::unique_ptr<Int8MacArrayRtl> rtl_;
  int R_, C_;
  Int8MacArrayInputs in_;
  Int8MacArrayOutputs out_;
  std::span<const num::QuantizedRow> a_, w_;
  std::int64_t m_ = 0, n_ = 0, k_ = 0;
  bool values_ = false;
  std::vector<std::int32_t> acc_;
};

}  // namespace

std::unique_ptr<sim::GemmKernel> make_int8_mac_rtl_gemm_kernel(bool mutant) {
  return std::make_unique<RtlArrayKernel>(mutant);
}

}  // namespace mpsim::rtl
