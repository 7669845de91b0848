// DESCRIPTION: The MX/BFP block PE: `lanes` integer mantissa products per cycle summed exactly over
// a block, then the shared exponents added, the exact block sum rounded once to FP32 (RNE) and
// added into an FP32 accumulator: num::block_dot's semantics (numerics.md §16.3), bit for bit.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

#include "mpsim/base/error.h"
#include "mpsim/core/pe_type.h"
#include "mpsim/numerics/block_dot.h"

namespace mpsim::sim::block_fp {

inline constexpr int kMaxBlock = 64;

enum Action : std::size_t {
  kLaneMul = 0,
  kSumReg = 1,
  kBlockAlign = 2,
  kFp32Acc = 3,
  kActionCount = 4
};

/// Element code -> integer mantissa k (value = k * 2^ulp_exp) for every code of a <= 8-bit element.
struct ElementTable {
  std::array<std::int64_t, 256> k{};
  std::array<bool, 256> nan{};
  int ulp_exp = 0;
  static ElementTable make(std::string_view format) {
    ElementTable t;
    const auto e = num::block_element(format);
    MPSIM_CHECK(e.has_value(), "block_fp: not a block format");
    t.ulp_exp = e->ulp_exp;
    const int codes = 1 << e->format.bits();
    for (int c = 0; c < codes; ++c) {
      const auto u = static_cast<std::uint32_t>(c);
      t.nan[static_cast<std::size_t>(c)] = e->format.is_nan_code(u);
      if (!t.nan[static_cast<std::size_t>(c)]) t.k[static_cast<std::size_t>(c)] = e->integer(u);
    }
    return t;
  }
};

struct BlockFpFamily {
  /// FP32 accumulator; `final` once a NaN or infinite block decided the result (block_dot returns).
  struct Acc {
    float v = 0.0f;
    bool final = false;
  };
  /// One block of one operand: integer mantissas, the shared exponent code and a NaN flag.
  struct Chunk {
    std::array<std::int64_t, kMaxBlock> k{};
    std::uint8_t len = 0;
    std::uint8_t scale = 127;
    bool nan = false;
  };
  using AChunk = Chunk;
  using WChunk = Chunk;

  int lanes = 8;
  int block = 32;
  const ElementTable* ta = nullptr;
  const ElementTable* tw = nullptr;

  int cycles_per_issue() const { return (block + lanes - 1) / lanes; }
  PeTiming timing() const { return PeTiming{block, cycles_per_issue(), 2}; }
  std::size_t action_count() const { return kActionCount; }

  static Chunk chunk(const num::QuantizedRow& row, std::int64_t c, int block,
                     const ElementTable& t) {
    Chunk out;
    const auto k0 = static_cast<std::size_t>(c * block);
    const std::size_t n = std::min(row.codes.size() - k0, static_cast<std::size_t>(block));
    out.len = static_cast<std::uint8_t>(n);
    const std::uint32_t s = row.scales[static_cast<std::size_t>(c)].scale_code;
    out.scale = static_cast<std::uint8_t>(s);
    out.nan = s == 0xFF;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t code = row.codes[k0 + i];
      out.nan |= t.nan[code];
      out.k[i] = t.k[code];
    }
    return out;
  }
  AChunk a_chunk(const num::QuantizedRow& row, std::int64_t c) const {
    return chunk(row, c, block, *ta);
  }
  WChunk w_chunk(const num::QuantizedRow& col, std::int64_t c) const {
    return chunk(col, c, block, *tw);
  }
  Acc zero() const { return Acc{}; }

  /// The exact block sum scaled by both shared exponents, rounded once to FP32 (RNE; overflow to
  /// infinity, subnormals kept), as num::block_dot does through the exact engine.
  float round_block(num::int128_t sum, int exp) const {
    if (sum == 0) return 0.0f;
    const num::int128_t mag = sum < 0 ? -sum : sum;
    if (mag < (num::int128_t{1} << 53)) {
      // Exact in a double (the exponent stays inside double's range), then one RNE to float.
      return static_cast<float>(
          std::ldexp(static_cast<double>(static_cast<std::int64_t>(sum)), exp));
    }
    const std::uint32_t bits = num::ScalarFormat::fp32().encode_exact(
        num::ExactValue::from_int(sum, exp), num::Rounding::kNearestEven, num::Overflow::kInfNan);
    return static_cast<float>(num::ScalarFormat::fp32().decode(bits));
  }

  /// Accumulates one rounded block, with block_dot's rules for NaN and infinite blocks.
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

  int block_exp(const AChunk& a, const WChunk& w) const {
    return ta->ulp_exp + tw->ulp_exp + (static_cast<int>(a.scale) - 127) +
           (static_cast<int>(w.scale) - 127);
  }

  void issue(Acc& acc, const AChunk& a, const WChunk& w, std::uint64_t* counts) const {
    num::int128_t sum = 0;
    for (int i = 0; i < a.len; ++i) {
      sum += static_cast<num::int128_t>(a.k[static_cast<std::size_t>(i)]) *
             w.k[static_cast<std::size_t>(i)];
    }
    if (!acc.final)
      accumulate(acc, a.nan || w.nan, a.nan || w.nan ? 0.0f : round_block(sum, block_exp(a, w)));
    counts[kLaneMul] += a.len;
    counts[kSumReg] += static_cast<std::uint64_t>((a.len + lanes - 1) / lanes);
    counts[kBlockAlign] += 1;
    counts[kFp32Acc] += 1;
  }
  ActionCounts issue_counts(std::int64_t /*chunk*/, std::int64_t len) const {
    ActionCounts c(kActionCount, 0);
    c[kLaneMul] = static_cast<std::uint64_t>(len);
    c[kSumReg] = static_cast<std::uint64_t>((len + lanes - 1) / lanes);
    c[kBlockAlign] = 1;
    c[kFp32Acc] = 1;
    return c;
  }
  float finish(const Acc& acc) const { return acc.v; }

  /// Register-level model: cycle j multiplies lanes [j*lanes, (j+1)*lanes) into the block-sum
  /// register; the cycle that consumes the block's last element adds the exponents, aligns and
  /// rounds the sum and adds it into the FP32 accumulator register.
  struct Datapath {
    const BlockFpFamily* fam = nullptr;
    AChunk a{}, w{};
    Acc acc{};
    num::int128_t sum = 0;
    int next = 0;  ///< next element index
    bool busy = false;
    void load(const AChunk& a_in, const WChunk& w_in, const Acc& acc_in) {
      a = a_in;
      w = w_in;
      acc = acc_in;
      sum = 0;
      next = 0;
      busy = true;
    }
    void step(std::uint64_t* counts) {
      if (!busy) return;
      const int end = std::min<int>(next + fam->lanes, a.len);
      for (int i = next; i < end; ++i) {
        sum += static_cast<num::int128_t>(a.k[static_cast<std::size_t>(i)]) *
               w.k[static_cast<std::size_t>(i)];
      }
      counts[kLaneMul] += static_cast<std::uint64_t>(end - next);
      counts[kSumReg] += 1;
      next = end;
      if (next >= a.len) {
        const bool nan = a.nan || w.nan;
        if (!acc.final)
          accumulate(acc, nan, nan ? 0.0f : fam->round_block(sum, fam->block_exp(a, w)));
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

}  // namespace mpsim::sim::block_fp
