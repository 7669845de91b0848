// DESCRIPTION: Activation chunks shared by the group-dequantizing PE families (shift_add,
// bitserial): `lanes` INT8 or FP16 activations as exact integers (FP16 in units of 2^-24), with
// Inf/NaN lanes carried as flags beside them, as the golden group GEMM defines them.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "mpsim/numerics/quantizer.h"

namespace mpsim::sim::common {

inline constexpr int kMaxActLanes = 64;

struct ActChunk {
  /// Lane l's integer in bytes [8l, 8l + 8): byte storage may stay uninitialized past `len`
  /// (copying indeterminate unsigned chars is well-defined), so no chunk clears 64 lanes.
  std::array<unsigned char, 8 * kMaxActLanes> raw;
  std::uint64_t nonfinite = 0;  ///< lanes holding Inf/NaN
  std::uint64_t nan = 0;        ///< lanes holding NaN
  std::uint64_t neg = 0;        ///< sign of the Inf lanes
  std::uint8_t len = 0;
  std::int64_t at(std::size_t l) const {
    std::int64_t v;
    std::memcpy(&v, raw.data() + 8 * l, sizeof v);
    return v;
  }
  void set(std::size_t l, std::int64_t v) { std::memcpy(raw.data() + 8 * l, &v, sizeof v); }
};

/// Chunk c (elements [c*lanes, c*lanes + lanes) of the row) as exact integers.
inline ActChunk act_chunk(const num::QuantizedRow& row, std::int64_t c, int lanes, bool fp16) {
  ActChunk out;
  const auto k0 = static_cast<std::size_t>(c) * static_cast<std::size_t>(lanes);
  const std::size_t n = std::min(row.values.size() - k0, static_cast<std::size_t>(lanes));
  out.len = static_cast<std::uint8_t>(n);
  const float* v = row.values.data() + k0;
  if (!fp16) {
    for (std::size_t l = 0; l < n; ++l) out.set(l, static_cast<std::int64_t>(v[l]));
    return out;
  }
  for (std::size_t l = 0; l < n; ++l) {
    if (std::isfinite(v[l])) {
      out.set(l, static_cast<std::int64_t>(v[l] * 16777216.0f));  // exact: FP16 * 2^24 < 2^40
      continue;
    }
    const std::uint64_t bit = std::uint64_t{1} << l;
    out.set(l, 0);  // the integer sums skip it; the flags carry it
    out.nonfinite |= bit;
    if (std::isnan(v[l])) out.nan |= bit;
    if (std::signbit(v[l])) out.neg |= bit;
  }
  return out;
}

}  // namespace mpsim::sim::common
