// DESCRIPTION: Register switching activity of a fold (see activity.h).
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/core/activity.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "mpsim/base/error.h"

namespace mpsim::sim {
namespace {

std::uint32_t mask(int bits) { return bits >= 32 ? ~0u : (1u << bits) - 1; }

int flips(std::uint32_t a, std::uint32_t b) { return std::popcount(a ^ b); }

/// The accumulator register's bits: two's complement int32 (wrapping) or the FP32 pattern.
std::uint32_t acc_bits(double v, bool integer) {
  if (integer) {
    return static_cast<std::uint32_t>(static_cast<std::int64_t>(std::llround(v)));
  }
  const float f = static_cast<float>(v);
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

}  // namespace

Activity& Activity::operator+=(const Activity& o) {
  a_toggles += o.a_toggles;
  w_toggles += o.w_toggles;
  acc_toggles += o.acc_toggles;
  a_bits += o.a_bits;
  w_bits += o.w_bits;
  acc_bits += o.acc_bits;
  return *this;
}

Activity fold_activity(const Tile& t, Dataflow d, int cols,
                       std::span<const num::QuantizedRow> a_rows,
                       std::span<const num::QuantizedRow> w_cols, int a_bits, int w_bits,
                       bool integer_acc, std::span<std::uint32_t> wreg) {
  Activity act;
  const std::uint32_t am = mask(a_bits), wm = mask(w_bits);
  auto a_code = [&](std::int64_t m, std::int64_t k) {
    return a_rows[static_cast<std::size_t>(m)].codes[static_cast<std::size_t>(k)] & am;
  };
  auto w_code = [&](std::int64_t k, std::int64_t n) {
    return w_cols[static_cast<std::size_t>(n)].codes[static_cast<std::size_t>(k)] & wm;
  };
  auto a_val = [&](std::int64_t m, std::int64_t k) {
    return static_cast<double>(
        a_rows[static_cast<std::size_t>(m)].values[static_cast<std::size_t>(k)]);
  };
  auto w_val = [&](std::int64_t k, std::int64_t n) {
    return static_cast<double>(
        w_cols[static_cast<std::size_t>(n)].values[static_cast<std::size_t>(k)]);
  };

  if (d == Dataflow::kWeightStationary) {
    MPSIM_CHECK(wreg.size() >= static_cast<std::size_t>(t.kt) * static_cast<std::size_t>(cols),
                "fold_activity: weight register buffer too small");
    // Weight load: the register (lane) holding W[k][n] takes the new weight.
    for (std::int64_t k = t.k0; k < t.k0 + t.kt; ++k) {
      for (std::int64_t n = t.n0; n < t.n0 + t.nt; ++n) {
        const std::size_t slot = static_cast<std::size_t>((k - t.k0) * cols + (n - t.n0));
        const std::uint32_t w = w_code(k, n);
        act.w_toggles += static_cast<std::uint64_t>(flips(wreg[slot], w));
        act.w_bits += static_cast<std::uint64_t>(w_bits);
        wreg[slot] = w;
      }
    }
    // Activations: every column's register at row k sees the same sequence over m.
    for (std::int64_t k = t.k0; k < t.k0 + t.kt; ++k) {
      std::uint64_t tog = 0;
      for (std::int64_t m = t.m0 + 1; m < t.m0 + t.mt; ++m) {
        tog += static_cast<std::uint64_t>(flips(a_code(m - 1, k), a_code(m, k)));
      }
      act.a_toggles += tog * static_cast<std::uint64_t>(t.nt);
      act.a_bits += static_cast<std::uint64_t>(t.mt - 1) * static_cast<std::uint64_t>(a_bits) *
                    static_cast<std::uint64_t>(t.nt);
    }
    // Partial sums leaving PE(k, n) for consecutive rows m.
    std::vector<double> prev(static_cast<std::size_t>(t.kt)), cur(static_cast<std::size_t>(t.kt));
    for (std::int64_t n = t.n0; n < t.n0 + t.nt; ++n) {
      for (std::int64_t m = t.m0; m < t.m0 + t.mt; ++m) {
        double s = 0;
        for (std::int64_t k = t.k0; k < t.k0 + t.kt; ++k) {
          s += a_val(m, k) * w_val(k, n);
          cur[static_cast<std::size_t>(k - t.k0)] = s;
        }
        if (m > t.m0) {
          for (std::int64_t i = 0; i < t.kt; ++i) {
            const auto u = static_cast<std::size_t>(i);
            act.acc_toggles += static_cast<std::uint64_t>(
                flips(acc_bits(prev[u], integer_acc), acc_bits(cur[u], integer_acc)));
          }
          act.acc_bits += static_cast<std::uint64_t>(t.kt) * 32;
        }
        std::swap(prev, cur);
      }
    }
    return act;
  }

  // Output-stationary: PE(m, n) steps through k.
  for (std::int64_t m = t.m0; m < t.m0 + t.mt; ++m) {
    for (std::int64_t n = t.n0; n < t.n0 + t.nt; ++n) {
      double s = 0;
      std::uint32_t prev_acc = acc_bits(0, integer_acc);
      for (std::int64_t k = t.k0; k < t.k0 + t.kt; ++k) {
        s += a_val(m, k) * w_val(k, n);
        const std::uint32_t now = acc_bits(s, integer_acc);
        act.acc_toggles += static_cast<std::uint64_t>(flips(prev_acc, now));
        prev_acc = now;
        if (k > t.k0) {
          act.a_toggles += static_cast<std::uint64_t>(flips(a_code(m, k - 1), a_code(m, k)));
          act.w_toggles += static_cast<std::uint64_t>(flips(w_code(k - 1, n), w_code(k, n)));
        }
      }
      act.acc_bits += static_cast<std::uint64_t>(t.kt) * 32;
      act.a_bits += static_cast<std::uint64_t>(t.kt - 1) * static_cast<std::uint64_t>(a_bits);
      act.w_bits += static_cast<std::uint64_t>(t.kt - 1) * static_cast<std::uint64_t>(w_bits);
    }
  }
  return act;
}

}  // namespace mpsim::sim
