// DESCRIPTION: SQNR, MSE and largest absolute error of an FP32 result against an FP64 reference.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/golden/error_stats.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace mpsim::golden {

ErrorStats error_stats(std::span<const double> ref, std::span<const float> got) {
  if (ref.size() != got.size()) throw std::invalid_argument("error_stats: sizes differ");
  constexpr double kInf = std::numeric_limits<double>::infinity();
  ErrorStats s;
  s.count = static_cast<std::int64_t>(ref.size());
  double signal = 0, noise = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double r = ref[i];
    const double g = got[i];
    // Equal values (equal infinities, NaN against NaN) are no error: a golden model that
    // reproduces the reference's own Inf/NaN is right. Any other non-finite pair is an unbounded
    // error, so a NaN can never hide inside an average.
    const bool same = (r == g) || (std::isnan(r) && std::isnan(g));
    double e = 0;
    if (!same) e = (std::isfinite(r) && std::isfinite(g)) ? std::fabs(r - g) : kInf;
    if (std::isfinite(r)) signal += r * r;
    noise += e * e;
    if (e > s.max_abs) s.max_abs = e;
  }
  s.mse = s.count > 0 ? noise / static_cast<double>(s.count) : 0.0;
  if (noise == 0) {
    s.sqnr_db = kInf;
  } else if (std::isinf(noise) || signal == 0) {
    s.sqnr_db = -kInf;
  } else {
    s.sqnr_db = 10.0 * std::log10(signal / noise);
  }
  return s;
}

}  // namespace mpsim::golden
