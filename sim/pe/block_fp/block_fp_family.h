// DESCRIPTION: The MX/BFP block PE: `lanes` integer mantissa products per cycle summed exactly over
// a block, then the shared exponents added, the exact block sum rounded once to FP32 (RNE) and
// added into an FP32 accumulator: num::block_dot's semantics (numerics.md §16.3), bit for bit. The
// values side the generic systolic array steps (Acc/AChunk/WChunk/Datapath, mpsim/core/systolic.h).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

#include "mpsim/base/error.h"
#include "mpsim/core/pe_type.h"
#include "mpsim/numerics/block_dot.h"

namespace mpsim::sim::block_fp {

/// Largest block one PE holds (d-Matrix BFP uses up to 128; MX defaults to 32).
inline constexpr int kMaxBlock = 128;
inline constexpr int kMaxLanes = 64;
/// E8M0 / BFP shared-exponent code of a NaN block.
inline constexpr std::uint8_t kNanScale = 0xFF;

enum Action : std::size_t {
  kLaneMul = 0,     ///< one mantissa product into the adder tree (per element)
  kSumReg = 1,      ///< one write of the block-sum register (per active cycle)
  kBlockAlign = 2,  ///< shared-exponent add + normalize/round of the block sum (per block)
  kFp32Acc = 3,     ///< FP32 add of the rounded block into the accumulator (per block)
  kActionCount = 4
};

/// Element code -> (signed mantissa m, exponent e) with k = m * 2^e the element's integer in ulps
/// of the min subnormal (value = k * 2^ulp_exp): what the lane multiplier (m) and its product
/// aligner (e) see. Integer elements have e = 0.
struct ElementTable {
  /// One decoded element: m is the two's complement byte of the signed mantissa; e is the shift,
  /// or kNanShift for a NaN code (OR-ing the shifts of a block then flags a NaN block for free).
  /// Unsigned bytes so that a chunk's unused tail may stay uninitialized (copying indeterminate
  /// unsigned chars is well-defined), which keeps a_chunk/w_chunk from clearing kMaxBlock entries.
  struct Elem {
    std::uint8_t m;
    std::uint8_t e;
  };
  static constexpr std::uint8_t kNanShift = 0x80;
  std::array<Elem, 256> x{};
  int ulp_exp = 0;
  int code_bits = 0;       ///< stored element bits
  int mult_bits = 0;       ///< multiplier operand width: sign + significand with hidden bit, or int
  int max_shift = 0;       ///< largest e (0 for integer elements)
  std::int64_t max_k = 0;  ///< largest |k| over the finite codes
  bool is_float = false;

  static ElementTable make(std::string_view format) {
    const auto el = num::block_element(format);
    MPSIM_CHECK(el.has_value(), "block_fp: not a block format");
    ElementTable t;
    t.ulp_exp = el->ulp_exp;
    t.code_bits = el->format.bits();
    t.is_float = el->format.is_float();
    t.mult_bits = t.is_float ? el->format.man_bits() + 2 : el->format.bits();
    const std::uint32_t codes = el->format.num_codes();
    MPSIM_CHECK(codes <= 256, "block_fp: elements wider than 8 bits");
    for (std::uint32_t c = 0; c < codes; ++c) {
      // Inf codes (E5M2) never come out of the saturating MX quantizer; the datapath flags them
      // like NaN rather than inventing an integer for them.
      if (el->format.is_nan_code(c) || !std::isfinite(el->format.decode(c))) {
        t.x[c] = Elem{0, kNanShift};
        continue;
      }
      const std::int64_t k = el->integer(c);
      const auto mag = static_cast<std::uint64_t>(k < 0 ? -k : k);
      // A normal float element is (1.f) << (biased exponent - 1): the significand keeps
      // man_bits + 1 bits and the rest is the shift; subnormals and integers have no shift.
      const int sig_bits = t.is_float ? el->format.man_bits() + 1 : 64;
      const int e = std::max(0, static_cast<int>(std::bit_width(mag)) - sig_bits);
      const std::int64_t m = k / (std::int64_t{1} << e);
      MPSIM_CHECK(m * (std::int64_t{1} << e) == k && m >= -128 && m <= 127,
                  "block_fp: element integer does not split into mantissa and shift");
      t.x[c] = Elem{static_cast<std::uint8_t>(m & 0xFF), static_cast<std::uint8_t>(e)};
      t.max_shift = std::max(t.max_shift, e);
      t.max_k = std::max(t.max_k, static_cast<std::int64_t>(mag));
    }
    return t;
  }
};

/// Signed width of the widest exact block sum of `block` products (numerics.md §2.5).
inline int block_sum_bits(const ElementTable& a, const ElementTable& w, int block) {
  const auto max_sum =
      static_cast<num::uint128_t>(a.max_k) * static_cast<num::uint128_t>(w.max_k) * block;
  const auto hi = static_cast<std::uint64_t>(max_sum >> 64);
  const int len = hi ? 64 + static_cast<int>(std::bit_width(hi))
                     : static_cast<int>(std::bit_width(static_cast<std::uint64_t>(max_sum)));
  return len + 1;
}

struct BlockFpFamily {
  /// FP32 accumulator; `final` once a NaN or infinite block decided the result (block_dot returns
  /// there, so later blocks must not touch it).
  struct Acc {
    float v = 0.0f;
    bool final = false;
  };
  /// One block of one operand, pre-decoded: mantissas, their shifts, the shared exponent code and
  /// whether the block is NaN (NaN scale or a NaN element code).
  struct Chunk {
    std::array<ElementTable::Elem, kMaxBlock> x;  ///< [0, len) valid; the tail is never read
    std::uint8_t len = 0;
    std::uint8_t scale = 127;
    bool nan = false;
  };
  using AChunk = Chunk;
  using WChunk = Chunk;

  int lanes = 8;
  int block = 32;
  /// Width class of the exact block sum, fixed by the format pair: integer elements on both sides
  /// need no product shifts and fit 32 bits; only E5M2 x E5M2 (70 bits) needs 128.
  enum class Sum : std::uint8_t { kInt32, kInt64, kInt128 };
  Sum sum_kind = Sum::kInt64;
  const ElementTable* ta = nullptr;
  const ElementTable* tw = nullptr;

  int cycles_per_issue() const { return (block + lanes - 1) / lanes; }
  /// One issue = one block of one output; latency 2 = the multiply/adder-tree stage plus the
  /// exponent-add/align/round/FP32-add stage that follows the block's last multiply cycle.
  PeTiming timing() const { return PeTiming{block, cycles_per_issue(), 2}; }
  std::size_t action_count() const { return kActionCount; }

  static Chunk chunk(const num::QuantizedRow& row, std::int64_t c, int block,
                     const ElementTable& t) {
    Chunk out;
    const auto k0 = static_cast<std::size_t>(c) * static_cast<std::size_t>(block);
    const std::size_t n = std::min(row.codes.size() - k0, static_cast<std::size_t>(block));
    out.len = static_cast<std::uint8_t>(n);
    const std::uint32_t s = row.scales[static_cast<std::size_t>(c)].scale_code;
    out.scale = static_cast<std::uint8_t>(s);
    const std::uint32_t* codes = row.codes.data() + k0;
    std::uint8_t shifts = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const ElementTable::Elem el = t.x[codes[i] & 0xFFu];
      out.x[i] = el;
      shifts |= el.e;
    }
    out.nan = s == kNanScale || (shifts & ElementTable::kNanShift) != 0;
    return out;
  }
  AChunk a_chunk(const num::QuantizedRow& row, std::int64_t c) const {
    return chunk(row, c, block, *ta);
  }
  WChunk w_chunk(const num::QuantizedRow& col, std::int64_t c) const {
    return chunk(col, c, block, *tw);
  }
  Acc zero() const { return Acc{}; }

  /// Lanes [begin, end): each multiplier forms m_a * m_w, the product is shifted by e_a + e_w
  /// (the element exponents) and the adder tree sums them exactly.
  template <class S, bool kShift>
  static S lane_sum(const Chunk& a, const Chunk& w, int begin, int end) {
    S s = 0;
    for (int i = begin; i < end; ++i) {
      const auto j = static_cast<std::size_t>(i);
      const std::int32_t p = std::int32_t{static_cast<std::int8_t>(a.x[j].m)} *
                             std::int32_t{static_cast<std::int8_t>(w.x[j].m)};
      if constexpr (kShift) {
        s += static_cast<S>(p) << (a.x[j].e + w.x[j].e);
      } else {
        s += p;
      }
    }
    return s;
  }
  num::int128_t block_sum(const Chunk& a, const Chunk& w, int begin, int end) const {
    switch (sum_kind) {
      case Sum::kInt32:
        return lane_sum<std::int32_t, false>(a, w, begin, end);
      case Sum::kInt64:
        return lane_sum<std::int64_t, true>(a, w, begin, end);
      case Sum::kInt128:
        break;
    }
    return lane_sum<num::int128_t, true>(a, w, begin, end);
  }

  /// Exponent of one unit of the block sum: both ulp exponents plus both unbiased scales.
  int block_exp(const AChunk& a, const WChunk& w) const {
    return ta->ulp_exp + tw->ulp_exp + (static_cast<int>(a.scale) - 127) +
           (static_cast<int>(w.scale) - 127);
  }

  /// sum * 2^exp rounded once to FP32 (RNE, subnormals kept, overflow to infinity). The sum is
  /// first rounded to odd at 53 bits, which a following RNE to <= 51 bits cannot tell from the
  /// exact value, so double -> float is the single correct rounding. exp lies in [-286, 250], so
  /// every intermediate double is exact and normal.
  static float round_block(num::int128_t sum, int exp) {
    if (sum == 0) return 0.0f;
    const bool neg = sum < 0;
    num::uint128_t mag =
        neg ? static_cast<num::uint128_t>(-(sum + 1)) + 1 : static_cast<num::uint128_t>(sum);
    const auto hi = static_cast<std::uint64_t>(mag >> 64);
    const int len = hi ? 64 + static_cast<int>(std::bit_width(hi))
                       : static_cast<int>(std::bit_width(static_cast<std::uint64_t>(mag)));
    int shift = 0;
    if (len > 53) {
      shift = len - 53;
      const bool sticky = (mag & ((num::uint128_t{1} << shift) - 1)) != 0;
      mag >>= shift;
      if (sticky) mag |= 1;
    }
    const int e = exp + shift;
    const double scale = std::bit_cast<double>(static_cast<std::uint64_t>(e + 1023) << 52);
    const double v = static_cast<double>(static_cast<std::uint64_t>(mag)) * scale;
    return static_cast<float>(neg ? -v : v);
  }

  /// Adds one rounded block into the accumulator with block_dot's rules: a NaN block makes the dot
  /// NaN and an infinite block ends it (infinity + accumulator, in double like block_dot).
  static void accumulate(Acc& acc, bool nan, float block_value) {
    if (acc.final) return;
    if (nan) {
      acc.v = std::numeric_limits<float>::quiet_NaN();
      acc.final = true;
    } else if (!std::isfinite(block_value)) {
      acc.v = static_cast<float>(static_cast<double>(block_value) + acc.v);
      acc.final = true;
    } else {
      acc.v = acc.v + block_value;  // FP32 add, round to nearest even
    }
  }

  /// The second pipeline stage: exponent add, align/normalize, one rounding, FP32 accumulate.
  void close_block(Acc& acc, const AChunk& a, const WChunk& w, num::int128_t sum) const {
    const bool nan = a.nan || w.nan;
    accumulate(acc, nan, nan ? 0.0f : round_block(sum, block_exp(a, w)));
  }

  void issue(Acc& acc, const AChunk& a, const WChunk& w, std::uint64_t* counts) const {
    // A decided accumulator skips the arithmetic (the hardware still does it; counts say so).
    if (!acc.final) close_block(acc, a, w, a.nan || w.nan ? 0 : block_sum(a, w, 0, a.len));
    counts[kLaneMul] += a.len;
    counts[kSumReg] += static_cast<std::uint64_t>((a.len + lanes - 1) / lanes);
    counts[kBlockAlign] += 1;
    counts[kFp32Acc] += 1;
  }
  /// Counts are data-independent: a chunk of `len` elements is len products over ceil(len/lanes)
  /// cycles and one block close.
  ActionCounts issue_counts(std::int64_t /*chunk*/, std::int64_t len) const {
    ActionCounts c(kActionCount, 0);
    c[kLaneMul] = static_cast<std::uint64_t>(len);
    c[kSumReg] = static_cast<std::uint64_t>((len + lanes - 1) / lanes);
    c[kBlockAlign] = 1;
    c[kFp32Acc] = 1;
    return c;
  }
  float finish(const Acc& acc) const { return acc.v; }

  /// Register-level model: cycle j multiplies elements [j*lanes, (j+1)*lanes) into the block-sum
  /// register; the cycle that consumes the block's last element also closes the block (exponent
  /// add, align, round, FP32 add). A partial last block finishes early and idles the rest of the
  /// issue slot.
  struct Datapath {
    const BlockFpFamily* fam = nullptr;
    AChunk a{}, w{};
    Acc acc{};
    num::int128_t sum = 0;  ///< the block-sum register
    int next = 0;           ///< next element index
    bool busy = false;
    void load(const AChunk& a_in, const WChunk& w_in, const Acc& acc_in) {
      a = a_in;
      w = w_in;
      acc = acc_in;
      sum = 0;
      next = 0;
      busy = a.len > 0;
    }
    void step(std::uint64_t* counts) {
      if (!busy) return;
      const int end = std::min<int>(next + fam->lanes, a.len);
      if (!acc.final && !a.nan && !w.nan) sum += fam->block_sum(a, w, next, end);
      counts[kLaneMul] += static_cast<std::uint64_t>(end - next);
      counts[kSumReg] += 1;
      next = end;
      if (next >= a.len) {
        if (!acc.final) fam->close_block(acc, a, w, sum);
        counts[kBlockAlign] += 1;
        counts[kFp32Acc] += 1;
        busy = false;
      }
    }
    Acc result() const { return acc; }
  };
  Datapath datapath() const {
    Datapath d;
    d.fam = this;
    return d;
  }
};

/// The family for one format pair (tables of A's and W's element formats) and configuration.
inline BlockFpFamily make_family(const ElementTable& a, const ElementTable& w, int block,
                                 int lanes) {
  MPSIM_CHECK(block >= 1 && block <= kMaxBlock && lanes >= 1 && lanes <= kMaxLanes,
              "block_fp: block or lanes out of range");
  BlockFpFamily fam;
  fam.lanes = lanes;
  fam.block = block;
  fam.ta = &a;
  fam.tw = &w;
  const int bits = block_sum_bits(a, w, block);
  fam.sum_kind = bits > 63                                            ? BlockFpFamily::Sum::kInt128
                 : a.max_shift == 0 && w.max_shift == 0 && bits <= 31 ? BlockFpFamily::Sum::kInt32
                                                                      : BlockFpFamily::Sum::kInt64;
  return fam;
}

}  // namespace mpsim::sim::block_fp
