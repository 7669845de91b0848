// DESCRIPTION: The MixPE-style shift-and-add PE: UINT4 group weights (AWQ/GPTQ) times INT8 or FP16
// activations without multipliers (each weight bit plane adds the activation shifted by the
// plane's position), per-group integer sums of a*q and of a, and one dequantization per group
// s*(P - z*A) rounded once to FP32: golden::group_gemm's semantics bit for bit. The values side
// the generic systolic array steps (Acc/AChunk/WChunk/Datapath, mpsim/core/systolic.h).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "common/fixed_activations.h"
#include "mpsim/core/pe_type.h"
#include "mpsim/numerics/exact.h"

namespace mpsim::sim::shift_add {

inline constexpr int kMaxLanes = common::kMaxActLanes;
/// Largest group the accumulators are sized for: FP16 P = sum a*q stays below 2^40 * 15 * 1024.
inline constexpr int kMaxGroup = 1024;
/// Weight bit planes (UINT4 codes).
inline constexpr int kPlanes = 4;

/// Actions, indexed as in ShiftAdd::cost().
enum Action : std::size_t {
  kShiftAddTerm = 0,  ///< one weight bit plane of one element: shifted activation into the tree
  kActSum = 1,        ///< one activation into the group's sum of a (the zero-point term)
  kGroupDequant = 2,  ///< one group: z*A, P - z*A, scale, round to FP32, FP32 add
  kActionCount = 3
};

/// Activation operand: INT8 integers, or FP16 values as integers in units of 2^-24.
enum class ActKind : std::uint8_t { kInt8, kFp16 };

/// IEEE special-case flags a group carries beside its integer sums (only FP16 activations raise
/// them): what an FP unit's special-value logic tracks, so a group with Inf/NaN inputs gives the
/// IEEE answer golden::group_gemm defines.
enum Special : std::uint8_t { kNan = 1, kPosInf = 2, kNegInf = 4 };

/// Rounds (-1)^neg * mag * 2^exp to FP32 with RNE (IEEE overflow to Inf, gradual underflow): the
/// normalize/round stage of the dequantizer (leading-one detect, shift, guard/sticky round).
inline float round_fp32(num::uint128_t mag, int exp, bool neg) {
  if (mag == 0) return neg ? -0.0f : 0.0f;
  const auto hi = static_cast<std::uint64_t>(mag >> 64);
  // std::bit_width returns the argument's unsigned type before C++23: keep the arithmetic signed.
  const int bw = hi != 0 ? 64 + static_cast<int>(std::bit_width(hi))
                         : static_cast<int>(std::bit_width(static_cast<std::uint64_t>(mag)));
  const int lead = bw - 1 + exp;                  // exponent of the leading one
  const int quantum = std::max(lead - 23, -149);  // FP32 ulp at that exponent (subnormal floor)
  const int shift = quantum - exp;
  std::uint64_t m = 0;
  if (shift <= 0) {
    m = static_cast<std::uint64_t>(mag) << -shift;  // fewer than 24 significant bits: exact
  } else if (shift <= bw) {
    num::uint128_t kept = mag >> shift;
    const num::uint128_t rem = mag - (kept << shift), half = num::uint128_t{1} << (shift - 1);
    if (rem > half || (rem == half && (kept & 1) != 0)) ++kept;
    m = static_cast<std::uint64_t>(kept);
  }  // else: below half the smallest subnormal, rounds to zero
  if (m == 0) return neg ? -0.0f : 0.0f;
  if (quantum + static_cast<int>(std::bit_width(m)) - 1 > 127) {
    return neg ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
  }
  const float f = std::ldexp(static_cast<float>(m), quantum);  // m <= 2^24: exact
  return neg ? -f : f;
}

struct ShiftAddFamily {
  /// The partial sum that flows down a column (WS) or stays in the PE (OS): the FP32 total of the
  /// groups done so far plus the open group's exact sums.
  struct Acc {
    float total = 0.0f;
    std::int64_t p = 0;  ///< sum a*q of the open group
    std::int64_t s = 0;  ///< sum a of the open group
    std::uint8_t special = 0;
  };
  /// `lanes` activations as integers; non-finite FP16 lanes hold 0 and are flagged in the masks.
  using AChunk = common::ActChunk;
  /// `lanes` UINT4 codes of one group plus that group's stored zero point and FP16 scale.
  struct WChunk {
    std::array<std::uint8_t, kMaxLanes> q;  ///< [0, len) valid; the tail is never read
    std::uint8_t len = 0;
    std::uint8_t zero = 0;
    bool ends_group = false;  ///< this chunk holds the group's last element: dequantize after it
    std::uint16_t scale = 0;  ///< FP16 bits
  };

  ActKind act = ActKind::kInt8;
  int lanes = 4;
  int group = 128;
  /// K of the bound GEMM (set through set_total_k() by SystolicKernel::begin()), so that
  /// issue_counts() knows which chunk closes the partial last group; without it only group
  /// multiples and short chunks count.
  std::int64_t k_total = 0;
  void set_total_k(std::int64_t k) { k_total = k; }

  int a_exp() const { return act == ActKind::kFp16 ? -24 : 0; }

  /// Register-level model of one cycle: every lane's four bit planes gate the activation shifted
  /// by the plane index into the adder tree, the activations into the sum-of-a adder, then (on a
  /// group's last chunk) the dequantizer.
  struct Datapath {
    const ShiftAddFamily* fam = nullptr;
    AChunk a;
    WChunk w;
    Acc acc;
    bool pending = false;
    void load(const AChunk& a_in, const WChunk& w_in, const Acc& acc_in) {
      a = a_in;
      w = w_in;
      acc = acc_in;
      pending = true;
    }
    void step(std::uint64_t* counts) {
      if (!pending) return;
      std::int64_t tree = 0, asum = 0;
      for (int b = 0; b < kPlanes; ++b) {
        for (int l = 0; l < a.len; ++l) {
          const auto i = static_cast<std::size_t>(l);
          if (((w.q[i] >> b) & 1u) != 0) tree += a.at(i) << b;
        }
      }
      for (int l = 0; l < a.len; ++l) asum += a.at(static_cast<std::size_t>(l));
      acc.p += tree;
      acc.s += asum;
      if (a.nonfinite != 0) fam->flag_specials(acc, a, w);
      counts[kShiftAddTerm] += static_cast<std::uint64_t>(kPlanes) * a.len;
      counts[kActSum] += a.len;
      if (w.ends_group) {
        fam->dequant(acc, w);
        ++counts[kGroupDequant];
      }
      pending = false;
    }
    Acc result() const { return acc; }
  };

  PeTiming timing() const { return PeTiming{lanes, 1, 2}; }
  std::size_t action_count() const { return kActionCount; }

  AChunk a_chunk(const num::QuantizedRow& row, std::int64_t c) const {
    return common::act_chunk(row, c, lanes, act == ActKind::kFp16);
  }
  WChunk w_chunk(const num::QuantizedRow& col, std::int64_t c) const {
    WChunk out;
    const auto k0 = static_cast<std::size_t>(c) * static_cast<std::size_t>(lanes);
    const std::size_t K = col.codes.size();
    const std::size_t n = std::min(K - k0, static_cast<std::size_t>(lanes));
    out.len = static_cast<std::uint8_t>(n);
    for (std::size_t l = 0; l < n; ++l) out.q[l] = static_cast<std::uint8_t>(col.codes[k0 + l]);
    const num::StoredScale& s = col.scales[k0 / static_cast<std::size_t>(group)];
    out.zero = static_cast<std::uint8_t>(s.zero_code.value_or(0));
    out.scale = static_cast<std::uint16_t>(s.scale_code);
    out.ends_group = (k0 + n) % static_cast<std::size_t>(group) == 0 || k0 + n == K;
    return out;
  }
  Acc zero() const { return Acc{}; }

  /// Inf/NaN lanes: NaN in, or Inf times a zero term (q == z), is NaN; otherwise the Inf's sign
  /// times the sign of q - z.
  void flag_specials(Acc& acc, const AChunk& a, const WChunk& w) const {
    for (std::uint64_t m = a.nonfinite; m != 0; m &= m - 1) {
      const int l = std::countr_zero(m);
      const std::uint64_t bit = std::uint64_t{1} << l;
      const int t = static_cast<int>(w.q[static_cast<std::size_t>(l)]) - w.zero;
      if ((a.nan & bit) != 0 || t == 0) {
        acc.special |= kNan;
      } else {
        acc.special |= ((a.neg & bit) != 0) != (t < 0) ? kNegInf : kPosInf;
      }
    }
  }

  /// The open group's value s * 2^a_exp * (P - z*A), rounded once, added into the FP32 total.
  void dequant(Acc& acc, const WChunk& w) const {
    acc.total = acc.total + group_value(acc.p - std::int64_t{w.zero} * acc.s, acc.special, w.scale);
    acc.p = 0;
    acc.s = 0;
    acc.special = 0;
  }

  float group_value(std::int64_t d, std::uint8_t special, std::uint16_t scale) const {
    constexpr float kInf = std::numeric_limits<float>::infinity();
    constexpr float kQNan = std::numeric_limits<float>::quiet_NaN();
    const bool s_neg = (scale & 0x8000u) != 0;
    const int e = (scale >> 10) & 0x1F, frac = scale & 0x3FF;
    const std::int64_t mant = e != 0 ? (1024 | frac) : frac;  // 11-bit integer significand
    if (special != 0) {
      if ((special & kNan) != 0 || special == (kPosInf | kNegInf)) return kQNan;
      if ((e == 0x1F && frac != 0) || mant == 0) return kQNan;  // Inf * NaN, Inf * 0
      return ((special & kNegInf) != 0) != s_neg ? -kInf : kInf;
    }
    if (e == 0x1F) {
      if (frac != 0 || d == 0) return kQNan;
      return (d < 0) != s_neg ? -kInf : kInf;
    }
    if (d == 0 || mant == 0) return 0.0f;
    const num::int128_t prod = static_cast<num::int128_t>(d) * mant;
    const bool neg = (prod < 0) != s_neg;
    return round_fp32(static_cast<num::uint128_t>(prod < 0 ? -prod : prod),
                      (e != 0 ? e : 1) - 25 + a_exp(), neg);
  }

  /// One issue: P += sum a*q (the shift-add tree computes exactly this product sum), A += sum a,
  /// and the group's dequantization when the chunk closes it.
  void issue(Acc& acc, const AChunk& a, const WChunk& w, std::uint64_t* counts) const {
    std::int64_t p = 0, s = 0;
    for (int l = 0; l < a.len; ++l) {
      const auto i = static_cast<std::size_t>(l);
      p += a.at(i) * w.q[i];
      s += a.at(i);
    }
    acc.p += p;
    acc.s += s;
    if (a.nonfinite != 0) flag_specials(acc, a, w);
    counts[kShiftAddTerm] += static_cast<std::uint64_t>(kPlanes) * a.len;
    counts[kActSum] += a.len;
    if (w.ends_group) {
      dequant(acc, w);
      ++counts[kGroupDequant];
    }
  }

  bool ends_group(std::int64_t chunk, std::int64_t len) const {
    const std::int64_t end = chunk * lanes + len;
    return end % group == 0 || len < lanes || (k_total > 0 && end == k_total);
  }
  ActionCounts issue_counts(std::int64_t chunk, std::int64_t len) const {
    ActionCounts c(kActionCount, 0);
    c[kShiftAddTerm] = static_cast<std::uint64_t>(kPlanes * len);
    c[kActSum] = static_cast<std::uint64_t>(len);
    c[kGroupDequant] = ends_group(chunk, len) ? 1 : 0;
    return c;
  }
  float finish(const Acc& acc) const { return acc.total; }
  Datapath datapath() const {
    Datapath d;
    d.fam = this;
    return d;
  }
};

}  // namespace mpsim::sim::shift_add
