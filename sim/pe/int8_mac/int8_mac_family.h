// DESCRIPTION: The baseline systolic MAC PE: INT8 x INT8 -> INT32 (two's complement wrap, counted)
// or FP16/BF16/FP8 x -> FP32 fused multiply-add, `lanes` MACs per cycle. The values side the
// generic systolic array steps (Acc/AChunk/WChunk/Datapath, see mpsim/core/systolic.h).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

#include "mpsim/core/pe_type.h"

namespace mpsim::sim::int8_mac {

inline constexpr int kMaxLanes = 16;

/// Actions of one issue, indexed as in Int8MacFamily::action names.
enum Action : std::size_t { kMac = 0, kAccWrap = 1, kActionCount = 2 };

/// Value semantics of the PE (fixed by the format pair).
enum class Mode : std::uint8_t { kInt, kFloat };

struct Int8MacFamily {
  /// Partial sum: INT32 (as its 32 bits) or FP32.
  struct Acc {
    std::uint32_t i = 0;
    float f = 0.0f;
  };
  /// Up to kMaxLanes operands of one chunk (integers exactly, or dequantized floats).
  struct AChunk {
    std::array<std::int32_t, kMaxLanes> i{};
    std::array<float, kMaxLanes> f{};
    std::uint8_t len = 0;
  };
  using WChunk = AChunk;

  Mode mode = Mode::kInt;
  int lanes = 1;

  /// Register-level model: one cycle multiplies all lanes and adds them into the accumulator in
  /// lane order (the adder chain of the RTL), so one issue is one step.
  struct Datapath {
    const Int8MacFamily* fam = nullptr;
    AChunk a, w;
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
      fam->issue(acc, a, w, counts);
      pending = false;
    }
    Acc result() const { return acc; }
  };

  PeTiming timing() const { return PeTiming{lanes, 1, 1}; }
  std::size_t action_count() const { return kActionCount; }

  static AChunk chunk(const num::QuantizedRow& row, std::int64_t c, int lanes, Mode mode) {
    AChunk out;
    const std::int64_t k0 = c * lanes;
    const std::int64_t n = static_cast<std::int64_t>(row.values.size());
    out.len = static_cast<std::uint8_t>(std::min<std::int64_t>(lanes, n - k0));
    for (int l = 0; l < out.len; ++l) {
      const float v = row.values[static_cast<std::size_t>(k0 + l)];
      if (mode == Mode::kInt) {
        out.i[static_cast<std::size_t>(l)] = static_cast<std::int32_t>(v);
      } else {
        out.f[static_cast<std::size_t>(l)] = v;
      }
    }
    return out;
  }
  AChunk a_chunk(const num::QuantizedRow& row, std::int64_t c) const {
    return chunk(row, c, lanes, mode);
  }
  WChunk w_chunk(const num::QuantizedRow& col, std::int64_t c) const {
    return chunk(col, c, lanes, mode);
  }
  Acc zero() const { return Acc{}; }

  /// One issue: lane products added into the partial sum in ascending k. INT: exact 32-bit products
  /// added with two's complement wrap (each wrap counted, as the golden int32 accumulator does).
  /// FLOAT: acc = fma(a, w, acc) per lane, the golden kFp32Fma chain.
  void issue(Acc& acc, const AChunk& a, const WChunk& w, std::uint64_t* counts) const {
    if (mode == Mode::kInt) {
      for (int l = 0; l < a.len; ++l) {
        const std::int32_t p = a.i[static_cast<std::size_t>(l)] * w.i[static_cast<std::size_t>(l)];
        std::int32_t s;
        if (__builtin_add_overflow(static_cast<std::int32_t>(acc.i), p, &s)) ++counts[kAccWrap];
        acc.i = static_cast<std::uint32_t>(s);
      }
    } else {
      for (int l = 0; l < a.len; ++l) {
        acc.f = std::fma(a.f[static_cast<std::size_t>(l)], w.f[static_cast<std::size_t>(l)], acc.f);
      }
    }
    counts[kMac] += a.len;
  }
  ActionCounts issue_counts(std::int64_t /*chunk*/, std::int64_t len) const {
    ActionCounts c(kActionCount, 0);
    c[kMac] = static_cast<std::uint64_t>(len);
    return c;  // wraps are data-dependent; the closed form cannot know them (reported as 0)
  }
  float finish(const Acc& acc) const {
    return mode == Mode::kInt ? static_cast<float>(static_cast<std::int32_t>(acc.i)) : acc.f;
  }
  Datapath datapath() const {
    Datapath d;
    d.fam = this;
    return d;
  }
};

}  // namespace mpsim::sim::int8_mac
