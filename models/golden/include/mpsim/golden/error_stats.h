// DESCRIPTION: Error statistics of a computed FP32 result against an FP64 reference (SQNR, MSE,
// largest absolute error), as the accuracy reports print them.
// SPDX-License-Identifier: Apache-2.0
//
// Example:
//   ErrorStats s = error_stats(gemm_reference_f64(a, b), gemm(a, b, o).c.data);
#pragma once

#include <cstdint>
#include <span>

namespace mpsim::golden {

/// Error of `got` against `ref` over `count` element pairs.
struct ErrorStats {
  double sqnr_db = 0;  ///< 10 log10(sum ref^2 / sum (ref-got)^2); +inf when exact
  double mse = 0;      ///< sum (ref-got)^2 / count
  double max_abs = 0;  ///< max |ref-got|
  std::int64_t count = 0;
};

/// Compares element by element; the spans must have equal sizes (else std::invalid_argument).
/// A non-finite `got` where `ref` is finite (or a NaN on either side where the other differs)
/// counts as an infinite error: mse and max_abs become +inf and sqnr_db -inf. Pairs that match
/// exactly (including equal infinities and NaN against NaN) count as zero error. Empty input gives
/// count 0, mse 0, max_abs 0, sqnr_db +inf. When sum ref^2 is 0 and the error is not, sqnr_db is
/// -inf.
ErrorStats error_stats(std::span<const double> ref, std::span<const float> got);

}  // namespace mpsim::golden
