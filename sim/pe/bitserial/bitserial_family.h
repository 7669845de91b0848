// DESCRIPTION: The BitMoD-style bit-serial PE: `lanes` INT8/FP16 activations against weights
// processed one signed power-of-two term per cycle (INT weights as radix-4 Booth digits, two bits a
// cycle; BitMoD FP4/FP3 elements as their power-of-two terms), an exact group accumulator and a
// bit-serial dequantization by the group scale's integer significand, rounded once to FP32:
// golden::group_gemm bit for bit (scalar intN x intN: golden::gemm's INT32 result). The values side
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
#include "mpsim/base/error.h"
#include "mpsim/core/pe_type.h"
#include "mpsim/numerics/codebook.h"
#include "mpsim/numerics/exact.h"

namespace mpsim::sim::bitserial {

inline constexpr int kMaxLanes = common::kMaxActLanes;
/// Largest group the accumulators are sized for (FP16: |P| < 2^40 * 16 * 1024).
inline constexpr int kMaxGroup = 1024;
/// Bits of an FP16 significand: the dequantizer's serial multiplier steps.
inline constexpr int kScaleBits = 11;

/// Actions, indexed as in Bitserial::cost().
enum Action : std::size_t {
  kBoothStep = 0,     ///< one lane for one cycle: shifted activation into the group accumulator
  kActSum = 1,        ///< one activation into the group's sum of a (zero-point formats only)
  kGroupDequant = 2,  ///< one group: zero-point correction, serial scale multiply, round, FP32 add
  kActionCount = 3
};

/// How the weight operand is stored and walked.
enum class WeightKind : std::uint8_t {
  kIntGroup,   ///< UINT4 code + zero point per group (int4_g*, gptq_int4): Booth digits of q - 8
  kBitmod,     ///< BitMoD FP4/FP3 code + per-group datatype: its power-of-two terms
  kIntScalar,  ///< intN (N = 2..8) without scale: Booth digits, INT32 result like golden::gemm
};
/// Activation operand: integers (int8, or intN for scalar weights), or FP16 in units of 2^-24.
enum class ActKind : std::uint8_t { kInt, kFp16 };

/// IEEE special-case flags a group carries beside its integer sums (FP16 activations only).
enum Special : std::uint8_t { kNan = 1, kPosInf = 2, kNegInf = 4 };

/// One cycle's weight term: sign * 2^shift, or nothing (sign 0).
struct Term {
  std::int8_t sign = 0;
  std::uint8_t shift = 0;
};

/// Radix-4 Booth digit j of a two's complement value: -2*b(2j+1) + b(2j) + b(2j-1), b(-1) = 0
/// (intbooth in BitMoD's RTL: 000->0, 001/010->+1, 011->+2, 100->-2, 101/110->-1, 111->0). The
/// arithmetic shift sign-extends past the operand's top bit.
constexpr int booth_digit(int value, int j) {
  const int b_hi = (value >> (2 * j + 1)) & 1, b_mid = (value >> (2 * j)) & 1;
  const int b_lo = j == 0 ? 0 : (value >> (2 * j - 1)) & 1;
  return -2 * b_hi + b_mid + b_lo;
}

/// Rounds (-1)^neg * mag * 2^exp to FP32 with RNE (IEEE overflow to Inf, gradual underflow): the
/// dequantizer's normalize stage (leading-one detect, align, guard/round/sticky).
inline float round_fp32(num::uint128_t mag, int exp, bool neg) {
  if (mag == 0) return neg ? -0.0f : 0.0f;
  const auto hi = static_cast<std::uint64_t>(mag >> 64), lo = static_cast<std::uint64_t>(mag);
  const int width = hi != 0 ? 128 - std::countl_zero(hi) : 64 - std::countl_zero(lo);
  const int lead = width - 1 + exp;
  const int ulp = std::max(lead - 23, -149);  // FP32's ulp there; -149 below the normal range
  const int drop = ulp - exp;                 // bits below the ulp
  std::uint64_t sig = 0;
  if (drop <= 0) {
    sig = lo << -drop;
  } else if (drop <= width) {
    const num::uint128_t guard = num::uint128_t{1} << (drop - 1);
    const num::uint128_t below = mag & ((guard << 1) - 1);
    sig = static_cast<std::uint64_t>(mag >> drop);
    if (below > guard || (below == guard && (sig & 1) != 0)) ++sig;
  }
  if (sig == 0) return neg ? -0.0f : 0.0f;
  if (ulp + 63 - std::countl_zero(sig) > 127) {
    return neg ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
  }
  const float f = std::ldexp(static_cast<float>(sig), ulp);  // sig <= 2^24: exact
  return neg ? -f : f;
}

struct BitserialFamily {
  /// The partial sum: FP32 total of the groups done so far plus the open group's exact sums (in
  /// scalar mode `p` is the whole dot product, read modulo 2^32 at the end).
  struct Acc {
    float total = 0.0f;
    std::int64_t p = 0;  ///< group sum of a * (weight operand)
    std::int64_t s = 0;  ///< group sum of a (zero-point formats)
    std::uint8_t special = 0;
  };
  /// `lanes` activations as integers; non-finite FP16 lanes hold 0 and are flagged in the masks.
  using AChunk = common::ActChunk;
  /// `lanes` weights as the serial reader sees them (`bits`: the two's complement operand, or the
  /// BitMoD code) and as values (`term`, for the issue-level model), with the group's parameters.
  struct WChunk {
    std::array<std::uint8_t, kMaxLanes> bits;  ///< [0, len) valid; the tail is never read
    std::array<std::uint8_t, kMaxLanes> term;  ///< two's complement bytes (see term_at)
    std::uint8_t len = 0;
    std::uint8_t type = 0;     ///< BitMoD datatype of the group (index of num::BitmodType)
    std::int8_t zero_adj = 0;  ///< INT groups: z - 8, the zero point against the operand q - 8
    bool ends_group = false;   ///< this chunk holds the group's last element
    std::uint16_t scale = 0;   ///< FP16 bits of the group scale
    int term_at(std::size_t l) const { return static_cast<std::int8_t>(term[l]); }
  };

  ActKind act = ActKind::kInt;
  WeightKind wk = WeightKind::kIntGroup;
  int wbits = 4;  ///< weight operand bits (INT: two's complement width; BitMoD: 4 or 3)
  int lanes = 4;
  int group = 128;  ///< elements per group (ignored for scalar weights)
  /// K of the bound GEMM (set through set_total_k() by SystolicKernel::begin()), so that
  /// issue_counts() knows which chunk closes the partial last group; without it only group
  /// multiples and short chunks count.
  std::int64_t k_total = 0;
  void set_total_k(std::int64_t k) { k_total = k; }
  /// BitMoD decoder: the (at most two) power-of-two terms of every code of every datatype, the
  /// larger first (what the reader's leading-one detector emits cycle by cycle).
  std::array<std::array<std::array<Term, 2>, 16>, 4> bitmod_terms{};

  /// Builds the BitMoD term table for `bits` (3 or 4) from the numerics' code table.
  void init_bitmod(int bits) {
    for (const num::BitmodType t : num::kBitmodSearchOrder) {
      for (std::uint32_t c = 0; c < (1u << bits); ++c) {
        const int v = num::bitmod_decode(bits, t, c);
        const int mag = v < 0 ? -v : v;
        MPSIM_CHECK(std::popcount(static_cast<unsigned>(mag)) <= 2,
                    "bitserial: a BitMoD value needs more than two power-of-two terms");
        auto& terms = bitmod_terms[static_cast<std::size_t>(t)][c];
        int rest = mag;
        for (auto& term : terms) {
          if (rest == 0) break;
          const int sh = std::bit_width(static_cast<unsigned>(rest)) - 1;
          term = Term{static_cast<std::int8_t>(v < 0 ? -1 : 1), static_cast<std::uint8_t>(sh)};
          rest -= 1 << sh;
        }
      }
    }
  }

  int a_exp() const { return act == ActKind::kFp16 ? -24 : 0; }
  /// Cycles per issue: one Booth digit (two weight bits) or one BitMoD term per cycle.
  int cycles() const { return wk == WeightKind::kBitmod ? 2 : (wbits + 1) / 2; }

  /// Register-level model of one cycle (step j of cycles()): each lane adds its activation times
  /// the weight's j-th digit/term (a shift by 2j or 2j+1, or the BitMoD term's shift) into the
  /// group accumulator; cycle 0 also adds the activations into the sum of a; the last cycle of a
  /// group's last chunk runs the bit-serial dequantizer.
  struct Datapath {
    const BitserialFamily* fam = nullptr;
    AChunk a;
    WChunk w;
    Acc acc;
    int cycle = 0;
    bool pending = false;
    void load(const AChunk& a_in, const WChunk& w_in, const Acc& acc_in) {
      a = a_in;
      w = w_in;
      acc = acc_in;
      cycle = 0;
      pending = true;
    }
    void step(std::uint64_t* counts) {
      if (!pending) return;
      const int j = cycle;
      std::int64_t pp_sum = 0;
      for (int l = 0; l < a.len; ++l) {
        const auto i = static_cast<std::size_t>(l);
        Term t;
        if (fam->wk == WeightKind::kBitmod) {
          t = fam->bitmod_terms[w.type][w.bits[i]][static_cast<std::size_t>(j)];
        } else {
          // Sign-extend the stored operand, then take its j-th Booth digit.
          const int sh = 8 - fam->wbits;
          const int v = static_cast<std::int8_t>(static_cast<std::uint8_t>(w.bits[i] << sh)) >> sh;
          const int d = booth_digit(v, j);
          if (d != 0) {
            t = Term{static_cast<std::int8_t>(d < 0 ? -1 : 1),
                     static_cast<std::uint8_t>(2 * j + (d == 2 || d == -2 ? 1 : 0))};
          }
        }
        if (t.sign > 0) pp_sum += a.at(i) << t.shift;
        if (t.sign < 0) pp_sum -= a.at(i) << t.shift;
      }
      acc.p += pp_sum;
      counts[kBoothStep] += a.len;
      if (j == 0) {
        if (fam->wk == WeightKind::kIntGroup) {
          for (int l = 0; l < a.len; ++l) acc.s += a.at(static_cast<std::size_t>(l));
          counts[kActSum] += a.len;
        }
        if (a.nonfinite != 0) fam->flag_specials(acc, a, w);
      }
      if (++cycle < fam->cycles()) return;
      pending = false;
      if (!w.ends_group) return;
      // Bit-serial dequantization (BitMoD's dequant.v): the corrected group sum times the scale's
      // 11-bit significand, MSB first: prod <- 2 * prod + (bit ? D : 0).
      const std::int64_t d = fam->corrected(acc, w);
      const int mant = BitserialFamily::significand(w.scale);
      num::int128_t prod = 0;
      for (int b = kScaleBits - 1; b >= 0; --b) prod = 2 * prod + (((mant >> b) & 1) != 0 ? d : 0);
      fam->close_group(acc, d, prod, w.scale);
      ++counts[kGroupDequant];
    }
    Acc result() const { return acc; }
  };

  PeTiming timing() const { return PeTiming{lanes, cycles(), 2}; }
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
    if (wk == WeightKind::kIntScalar) {
      for (std::size_t l = 0; l < n; ++l) {
        const auto v = static_cast<int>(col.values[k0 + l]);
        out.bits[l] = static_cast<std::uint8_t>(static_cast<unsigned>(v) & ((1u << wbits) - 1));
        out.term[l] = static_cast<std::uint8_t>(v);
      }
      return out;
    }
    const num::StoredScale& s = col.scales[k0 / static_cast<std::size_t>(group)];
    out.scale = static_cast<std::uint16_t>(s.scale_code);
    out.ends_group = (k0 + n) % static_cast<std::size_t>(group) == 0 || k0 + n == K;
    if (wk == WeightKind::kIntGroup) {
      out.zero_adj = static_cast<std::int8_t>(static_cast<int>(s.zero_code.value_or(0)) - 8);
      for (std::size_t l = 0; l < n; ++l) {
        // q - 8 is q with its MSB inverted, read as INT4: two Booth digits instead of three.
        out.bits[l] = static_cast<std::uint8_t>(col.codes[k0 + l] ^ 8u);
        out.term[l] = static_cast<std::uint8_t>(static_cast<int>(col.codes[k0 + l]) - 8);
      }
      return out;
    }
    const auto t = num::parse_bitmod_type(wbits, s.tag);
    MPSIM_CHECK(t.has_value(), "bitserial: unknown BitMoD datatype tag");
    out.type = static_cast<std::uint8_t>(*t);
    for (std::size_t l = 0; l < n; ++l) {
      out.bits[l] = static_cast<std::uint8_t>(col.codes[k0 + l]);
      out.term[l] = static_cast<std::uint8_t>(num::bitmod_decode(wbits, *t, col.codes[k0 + l]));
    }
    return out;
  }
  Acc zero() const { return Acc{}; }

  /// Inf/NaN lanes: NaN in, or Inf times a zero weight term, is NaN; otherwise the Inf's sign
  /// times the sign of the weight's true term (q - z for INT groups).
  void flag_specials(Acc& acc, const AChunk& a, const WChunk& w) const {
    for (std::uint64_t m = a.nonfinite; m != 0; m &= m - 1) {
      const int l = std::countr_zero(m);
      const std::uint64_t bit = std::uint64_t{1} << l;
      const int t = w.term_at(static_cast<std::size_t>(l)) - w.zero_adj;
      if ((a.nan & bit) != 0 || t == 0) {
        acc.special |= kNan;
      } else {
        acc.special |= ((a.neg & bit) != 0) != (t < 0) ? kNegInf : kPosInf;
      }
    }
  }

  /// The group's exact sum of a * (true term): P - (z - 8) * A for INT groups, P otherwise.
  std::int64_t corrected(const Acc& acc, const WChunk& w) const {
    return acc.p - std::int64_t{w.zero_adj} * acc.s;
  }
  /// The FP16 scale's integer significand (11 bits with the hidden one; 0 for a zero scale).
  static int significand(std::uint16_t scale) {
    const int e = (scale >> 10) & 0x1F, frac = scale & 0x3FF;
    return e != 0 && e != 0x1F ? (1024 | frac) : (e == 0 ? frac : 0);
  }

  /// Rounds the group's value (d * significand = prod, times 2^(scale exponent + a_exp)) once,
  /// adds it into the FP32 total and opens the next group.
  void close_group(Acc& acc, std::int64_t d, num::int128_t prod, std::uint16_t scale) const {
    acc.total = acc.total + group_value(d, prod, acc.special, scale);
    acc.p = 0;
    acc.s = 0;
    acc.special = 0;
  }

  float group_value(std::int64_t d, num::int128_t prod, std::uint8_t special,
                    std::uint16_t scale) const {
    constexpr float kInf = std::numeric_limits<float>::infinity();
    constexpr float kQNan = std::numeric_limits<float>::quiet_NaN();
    const bool s_neg = (scale & 0x8000u) != 0;
    const int e = (scale >> 10) & 0x1F, frac = scale & 0x3FF;
    if (special != 0) {
      if ((special & kNan) != 0 || special == (kPosInf | kNegInf)) return kQNan;
      if ((e == 0x1F && frac != 0) || (e == 0 && frac == 0)) return kQNan;  // Inf*NaN, Inf*0
      return ((special & kNegInf) != 0) != s_neg ? -kInf : kInf;
    }
    if (e == 0x1F) {
      if (frac != 0 || d == 0) return kQNan;
      return (d < 0) != s_neg ? -kInf : kInf;
    }
    if (prod == 0) return 0.0f;
    const bool neg = (prod < 0) != s_neg;
    return round_fp32(static_cast<num::uint128_t>(prod < 0 ? -prod : prod),
                      (e != 0 ? e : 1) - 25 + a_exp(), neg);
  }

  /// One issue: the sum over lanes of a * (weight operand) that the serial digits build up, the
  /// activations' sum, and (on a group's last chunk) the dequantization, as plain products.
  void issue(Acc& acc, const AChunk& a, const WChunk& w, std::uint64_t* counts) const {
    std::int64_t p = 0;
    for (int l = 0; l < a.len; ++l) {
      const auto i = static_cast<std::size_t>(l);
      p += a.at(i) * w.term_at(i);
    }
    acc.p += p;
    counts[kBoothStep] += static_cast<std::uint64_t>(cycles()) * a.len;
    if (wk == WeightKind::kIntGroup) {
      std::int64_t s = 0;
      for (int l = 0; l < a.len; ++l) s += a.at(static_cast<std::size_t>(l));
      acc.s += s;
      counts[kActSum] += a.len;
    }
    if (a.nonfinite != 0) flag_specials(acc, a, w);
    if (w.ends_group) {
      const std::int64_t d = corrected(acc, w);
      close_group(acc, d, static_cast<num::int128_t>(d) * significand(w.scale), w.scale);
      ++counts[kGroupDequant];
    }
  }

  bool ends_group(std::int64_t chunk, std::int64_t len) const {
    if (wk == WeightKind::kIntScalar) return false;
    const std::int64_t end = chunk * lanes + len;
    return end % group == 0 || len < lanes || (k_total > 0 && end == k_total);
  }
  ActionCounts issue_counts(std::int64_t chunk, std::int64_t len) const {
    ActionCounts c(kActionCount, 0);
    c[kBoothStep] = static_cast<std::uint64_t>(cycles() * len);
    c[kActSum] = wk == WeightKind::kIntGroup ? static_cast<std::uint64_t>(len) : 0;
    c[kGroupDequant] = ends_group(chunk, len) ? 1 : 0;
    return c;
  }
  /// Scalar weights: the INT32 accumulator's value (the exact sum modulo 2^32, like golden::gemm's
  /// wrapping int32), converted to FP32 with RNE. Group weights: the FP32 total.
  float finish(const Acc& acc) const {
    if (wk != WeightKind::kIntScalar) return acc.total;
    return static_cast<float>(static_cast<std::int32_t>(static_cast<std::uint32_t>(acc.p)));
  }
  Datapath datapath() const {
    Datapath d;
    d.fam = this;
    return d;
  }
};

}  // namespace mpsim::sim::bitserial
