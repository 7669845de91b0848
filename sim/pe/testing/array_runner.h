// DESCRIPTION: Test helper shared by the PE-family tests: runs a whole GEMM fold by fold on a
// family's array kernel (K folds innermost, as the engine does) and checks each fold against the
// closed form. SPDX-License-Identifier: Apache-2.0
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

#include "mpsim/core/gemm_kernel.h"
#include "mpsim/golden/matrix.h"

namespace mpsim::sim::testing {

struct GemmRun {
  std::vector<float> c;  ///< row-major M x N
  std::uint64_t cycles = 0;
  ActionCounts actions;
};

inline GemmRun run_quantized(const PeType& pe, const PeFormats& f, int rows, int cols, Dataflow d,
                             const golden::QuantMatrix& qa, const golden::QuantMatrix& qb,
                             TileMode mode) {
  const std::int64_t M = qa.rows, K = qa.cols, N = qb.cols;
  auto k = pe.kernel(f, rows, cols, d);
  k->begin(qa.lines, qb.lines, M, N, K, true);
  const std::int64_t mt = k->max_mt() ? k->max_mt() : M;
  const std::int64_t nt = k->max_nt() ? k->max_nt() : N;
  const std::int64_t kt = k->max_kt() ? k->max_kt() : K;
  GemmRun out;
  out.actions.assign(k->action_count(), 0);
  for (std::int64_t m0 = 0; m0 < M; m0 += mt) {
    for (std::int64_t n0 = 0; n0 < N; n0 += nt) {
      for (std::int64_t k0 = 0; k0 < K; k0 += kt) {
        const Tile t{
            m0, n0, k0, std::min(mt, M - m0), std::min(nt, N - n0), std::min(kt, K - k0), k0 == 0};
        const TileRun r = k->run_tile(t, mode);
        const TileRun cf = k->closed_form(t);
        EXPECT_EQ(r.cycles, cf.cycles) << "closed form disagrees with the stepped array";
        EXPECT_EQ(r.pe_issues, cf.pe_issues);
        out.cycles += r.cycles;
        for (std::size_t i = 0; i < r.actions.size(); ++i) out.actions[i] += r.actions[i];
      }
    }
  }
  for (std::int64_t m = 0; m < M; ++m)
    for (std::int64_t n = 0; n < N; ++n) out.c.push_back(k->output(m, n));
  return out;
}

inline GemmRun run_gemm(const PeType& pe, const PeFormats& f, int rows, int cols, Dataflow d,
                        const golden::Matrix& a, const golden::Matrix& b, TileMode mode) {
  return run_quantized(pe, f, rows, cols, d, golden::quantize_rows(a, f.a),
                       golden::quantize_cols(b, f.w), mode);
}

/// Bit-for-bit equality of two float vectors (NaN equals NaN), reporting the first difference.
inline ::testing::AssertionResult same_bits(const std::vector<float>& x,
                                            const std::vector<float>& y) {
  if (x.size() != y.size())
    return ::testing::AssertionFailure() << "sizes " << x.size() << " vs " << y.size();
  for (std::size_t i = 0; i < x.size(); ++i) {
    const bool both_nan = x[i] != x[i] && y[i] != y[i];
    if (!both_nan && std::bit_cast<std::uint32_t>(x[i]) != std::bit_cast<std::uint32_t>(y[i])) {
      return ::testing::AssertionFailure() << "element " << i << ": " << x[i] << " vs " << y[i];
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace mpsim::sim::testing
