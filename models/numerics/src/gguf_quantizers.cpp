// DESCRIPTION: GGUF/llama.cpp group formats q4_0, q8_0 and q4_k: byte-exact ports of ggml's
// reference row quantizers and dequantizers, and their Quantizer wrappers. numerics.md §8, §16.9.
// SPDX-License-Identifier: Apache-2.0
//
// All arithmetic is FP32 in the reference's operation order (the library is built with
// -ffp-contract=off), so packed bytes and dequantized values match ggml bit for bit.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "mpsim/base/error.h"
#include "mpsim/numerics/gguf.h"
#include "mpsim/numerics/half.h"
#include "mpsim/numerics/quantizer.h"

namespace mpsim::num {
namespace {

void store_fp16(std::uint8_t* p, float v) {
  const std::uint16_t h = fp32_to_fp16_bits(v);
  p[0] = static_cast<std::uint8_t>(h & 0xFF);
  p[1] = static_cast<std::uint8_t>(h >> 8);
}

std::uint16_t load_fp16_bits(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}

float load_fp16(const std::uint8_t* p) { return fp16_bits_to_fp32(load_fp16_bits(p)); }

// ggml converts float to int8_t with a plain C cast, which x86-64 compiles to cvttss2si: NaN and
// out-of-range values become 0x80000000 and the low byte is kept. Emulating that keeps non-finite
// inputs deterministic instead of undefined; finite in-range values just truncate toward zero.
std::int8_t cast_to_int8(float v) {
  const std::int32_t i = (v >= -2147483648.0f && v < 2147483648.0f)
                             ? static_cast<std::int32_t>(v)
                             : std::numeric_limits<std::int32_t>::min();
  return static_cast<std::int8_t>(static_cast<std::uint8_t>(static_cast<std::uint32_t>(i) & 0xFF));
}

// ggml nearest_int: adding 1.5 * 2^23 makes the FPU round to an integer (RNE); the integer is
// then read from the mantissa bits. Reproduced through the bits so odd inputs match too.
int nearest_int(float f) {
  const float v = f + 12582912.f;
  const auto i = std::bit_cast<std::int32_t>(v);
  return (i & 0x007fffff) - 0x00400000;
}

void check_sizes(std::size_t n, std::size_t bytes, std::size_t block, std::size_t block_bytes,
                 const char* what) {
  MPSIM_CHECK(bytes == gguf_row_bytes(n, block, block_bytes),
              std::string(what) + ": byte buffer does not hold exactly the row's whole blocks");
}

/// Copies block `b` of `x` into `buf`, zero-padding past the row's end.
template <std::size_t N>
void load_block(std::span<const float> x, std::size_t b, std::array<float, N>& buf) {
  buf.fill(0.0f);
  const std::size_t start = b * N;
  const std::size_t n = std::min(N, x.size() - start);
  std::copy_n(x.begin() + static_cast<std::ptrdiff_t>(start), n, buf.begin());
}

// ---------------------------------------------------------------------------------------------
// Q4_0

void q4_0_block(const std::array<float, kQ4_0BlockSize>& x, std::uint8_t* out) {
  float amax = 0.0f;
  float max = 0.0f;
  for (const float v : x) {
    if (amax < std::fabs(v)) {  // strict: the first element of largest magnitude wins
      amax = std::fabs(v);
      max = v;
    }
  }
  const float d = max / -8;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;  // from the unrounded FP32 d (§14 item 13)
  store_fp16(out, d);
  constexpr std::size_t kHalf = kQ4_0BlockSize / 2;
  for (std::size_t j = 0; j < kHalf; ++j) {
    const float x0 = x[j] * id;
    const float x1 = x[kHalf + j] * id;
    const auto q0 = static_cast<std::uint8_t>(std::min<int>(15, cast_to_int8(x0 + 8.5f)));
    const auto q1 = static_cast<std::uint8_t>(std::min<int>(15, cast_to_int8(x1 + 8.5f)));
    out[2 + j] = static_cast<std::uint8_t>(q0 | (q1 << 4));
  }
}

// ---------------------------------------------------------------------------------------------
// Q8_0

void q8_0_block(const std::array<float, kQ8_0BlockSize>& x, std::uint8_t* out) {
  float amax = 0.0f;
  for (const float v : x) {
    const float a = std::fabs(v);
    amax = amax > a ? amax : a;  // ggml's MAX macro, including how it treats NaN
  }
  const float d = amax / ((1 << 7) - 1);
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  store_fp16(out, d);
  for (std::size_t j = 0; j < kQ8_0BlockSize; ++j) {
    out[2 + j] = static_cast<std::uint8_t>(cast_to_int8(std::round(x[j] * id)));
  }
}

// ---------------------------------------------------------------------------------------------
// Q4_K

constexpr int kQ4KNmax = 15;
constexpr std::size_t kQ4KSubBlocks = kQ4KBlockSize / kQ4KSubBlockSize;

/// ggml make_qkx2_quants(32, 15, x, w, L, &the_min, Laux, -1.f, 0.1f, 20, false): a weighted
/// least-squares search over 21 candidate scales for an asymmetric 4-bit sub-block. Returns the
/// scale; `the_min` is the (non-negative) amount subtracted.
float fit_sub_block(const float* x, const float* w, std::uint8_t* L, float& the_min) {
  constexpr int n = static_cast<int>(kQ4KSubBlockSize);
  constexpr float kRmin = -1.f;
  constexpr float kRdelta = 0.1f;
  constexpr int kNstep = 20;
  std::array<std::uint8_t, kQ4KSubBlockSize> laux{};
  float min = x[0];
  float max = x[0];
  float sum_w = w[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    std::fill_n(L, n, std::uint8_t{0});
    the_min = -min;
    return 0.f;
  }
  float iscale = kQ4KNmax / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    const int l = nearest_int(iscale * (x[i] - min));
    L[i] = static_cast<std::uint8_t>(std::max(0, std::min(kQ4KNmax, l)));
    float diff = scale * L[i] + min - x[i];
    diff = diff * diff;
    best_error += w[i] * diff;
  }
  for (int is = 0; is <= kNstep; ++is) {
    iscale = (kRmin + kRdelta * is + kQ4KNmax) / (max - min);
    float sum_l = 0;
    float sum_l2 = 0;
    float sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      int l = nearest_int(iscale * (x[i] - min));
      l = std::max(0, std::min(kQ4KNmax, l));
      laux[i] = static_cast<std::uint8_t>(l);
      sum_l += w[i] * l;
      sum_l2 += w[i] * l * l;
      sum_xl += w[i] * l * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (D > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
      if (this_min > 0) {  // the min is only ever subtracted, so refit the scale alone
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float cur_error = 0;
      for (int i = 0; i < n; ++i) {
        float diff = this_scale * laux[i] + this_min - x[i];
        diff = diff * diff;
        cur_error += w[i] * diff;
      }
      if (cur_error < best_error) {
        std::copy_n(laux.begin(), n, L);
        best_error = cur_error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  the_min = -min;
  return scale;
}

void q4_k_block(const std::array<float, kQ4KBlockSize>& x, std::uint8_t* out) {
  std::array<std::uint8_t, kQ4KBlockSize> L{};
  std::array<float, kQ4KSubBlockSize> weights{};
  std::array<float, kQ4KSubBlocks> scales{};
  std::array<float, kQ4KSubBlocks> mins{};
  float max_scale = 0;
  float max_min = 0;
  for (std::size_t j = 0; j < kQ4KSubBlocks; ++j) {
    const float* xs = x.data() + kQ4KSubBlockSize * j;
    float sum_x2 = 0;
    for (std::size_t l = 0; l < kQ4KSubBlockSize; ++l) sum_x2 += xs[l] * xs[l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (std::size_t l = 0; l < kQ4KSubBlockSize; ++l) weights[l] = av_x + std::fabs(xs[l]);
    scales[j] = fit_sub_block(xs, weights.data(), L.data() + kQ4KSubBlockSize * j, mins[j]);
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }

  std::uint8_t* sc = out + kQ4KScalesOffset;
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  for (std::size_t j = 0; j < kQ4KSubBlocks; ++j) {
    // ggml stores nearest_int into a uint8_t first (wrapping), then clamps to 6 bits.
    auto ls = static_cast<std::uint8_t>(nearest_int(inv_scale * scales[j]));
    auto lm = static_cast<std::uint8_t>(nearest_int(inv_min * mins[j]));
    ls = std::min<std::uint8_t>(63, ls);
    lm = std::min<std::uint8_t>(63, lm);
    if (j < 4) {
      sc[j] = ls;
      sc[j + 4] = lm;
    } else {  // low 4 bits in bytes 8..11, top 2 bits in the spare bits of bytes 0..7
      sc[j + 4] = static_cast<std::uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
      sc[j - 4] = static_cast<std::uint8_t>(sc[j - 4] | ((ls >> 4) << 6));
      sc[j] = static_cast<std::uint8_t>(sc[j] | ((lm >> 4) << 6));
    }
  }
  store_fp16(out, max_scale / 63.f);
  store_fp16(out + 2, max_min / 63.f);

  // Requantize against the stored (rounded) scales so codes match what dequantization uses.
  const float d_all = load_fp16(out);
  const float dmin_all = load_fp16(out + 2);
  const std::span<const std::uint8_t, kQ4KScaleBytes> packed_scales(sc, kQ4KScaleBytes);
  for (std::size_t j = 0; j < kQ4KSubBlocks; ++j) {
    const Q4KScaleMin sm = q4_k_scale_min(packed_scales, static_cast<int>(j));
    const float d = d_all * sm.sc;
    if (d == 0.0f) continue;  // keeps the search's codes, as ggml does
    const float dm = dmin_all * sm.m;
    for (std::size_t ii = 0; ii < kQ4KSubBlockSize; ++ii) {
      const int l = nearest_int((x[kQ4KSubBlockSize * j + ii] + dm) / d);
      L[kQ4KSubBlockSize * j + ii] = static_cast<std::uint8_t>(std::max(0, std::min(15, l)));
    }
  }

  std::uint8_t* q = out + kQ4KQsOffset;
  for (std::size_t j = 0; j < kQ4KBlockSize; j += 64) {
    for (std::size_t l = 0; l < 32; ++l) {
      q[l] = static_cast<std::uint8_t>(L[j + l] | (L[j + l + 32] << 4));
    }
    q += 32;
  }
}

// ---------------------------------------------------------------------------------------------
// Quantizer wrappers

enum class Kind : std::uint8_t { kQ4_0, kQ8_0, kQ4K };

struct KindTraits {
  std::size_t block;
  std::size_t bytes;
  void (*quantize)(std::span<const float>, std::span<std::uint8_t>);
  void (*dequantize)(std::span<const std::uint8_t>, std::span<float>);
};

KindTraits traits(Kind k) {
  switch (k) {
    case Kind::kQ4_0:
      return {kQ4_0BlockSize, kQ4_0BlockBytes, quantize_row_q4_0, dequantize_row_q4_0};
    case Kind::kQ8_0:
      return {kQ8_0BlockSize, kQ8_0BlockBytes, quantize_row_q8_0, dequantize_row_q8_0};
    case Kind::kQ4K:
      break;
  }
  return {kQ4KBlockSize, kQ4KBlockBytes, quantize_row_q4_k, dequantize_row_q4_k};
}

class GgufQuantizer final : public Quantizer {
 public:
  GgufQuantizer(FormatInfo info, Kind kind) : info_(std::move(info)), kind_(kind) {}
  const FormatInfo& info() const override { return info_; }

  void quantize_into(std::span<const float> x, QuantizedRow& row) const override {
    const KindTraits t = traits(kind_);
    reset_row(row, info_.name, static_cast<int>(t.block), x.size());
    row.packed.resize(gguf_row_bytes(x.size(), t.block, t.bytes));
    t.quantize(x, row.packed);
    row.values.resize(x.size());
    t.dequantize(row.packed, row.values);
    row.codes.resize(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) row.codes[i] = code_at(row.packed, i);
    add_scales(row, x.size());
  }

  // The stored layout is the complete description of a GGUF row (d and dmin are not recoverable
  // from per-sub-block scales alone), so values are rebuilt from row.packed.
  std::vector<float> dequantize(const QuantizedRow& row) const override {
    const KindTraits t = traits(kind_);
    std::vector<float> out(row.codes.size());
    t.dequantize(row.packed, out);
    return out;
  }

 private:
  std::uint32_t code_at(const std::vector<std::uint8_t>& p, std::size_t i) const {
    switch (kind_) {
      case Kind::kQ4_0: {
        const std::size_t b = i / kQ4_0BlockSize;
        const std::size_t j = i % kQ4_0BlockSize;
        const std::uint8_t byte = p[b * kQ4_0BlockBytes + 2 + j % 16];
        return j < 16 ? byte & 0xFu : byte >> 4u;
      }
      case Kind::kQ8_0:
        return p[i / kQ8_0BlockSize * kQ8_0BlockBytes + 2 + i % kQ8_0BlockSize];
      case Kind::kQ4K:
        break;
    }
    const std::size_t b = i / kQ4KBlockSize;
    const std::size_t j = i % kQ4KBlockSize;
    const std::uint8_t byte = p[b * kQ4KBlockBytes + kQ4KQsOffset + j / 64 * 32 + j % 32];
    return (j % 64) < 32 ? byte & 0xFu : byte >> 4u;
  }

  void add_scales(QuantizedRow& row, std::size_t n) const {
    const auto& p = row.packed;
    if (kind_ != Kind::kQ4K) {
      const std::size_t bytes = kind_ == Kind::kQ4_0 ? kQ4_0BlockBytes : kQ8_0BlockBytes;
      for (std::size_t off = 0; off < p.size(); off += bytes) {
        StoredScale s;
        s.scale_code = load_fp16_bits(&p[off]);
        s.scale = load_fp16(&p[off]);
        row.scales.push_back(s);
      }
      return;
    }
    // One entry per 32-element sub-block holding a real element: sub-blocks made only of padding
    // are all-zero and carry nothing (the whole blocks stay in row.packed).
    const std::size_t subs = (n + kQ4KSubBlockSize - 1) / kQ4KSubBlockSize;
    for (std::size_t s = 0; s < subs; ++s) {
      const std::uint8_t* blk = &p[s / kQ4KSubBlocks * kQ4KBlockBytes];
      const Q4KScaleMin sm = q4_k_scale_min(
          std::span<const std::uint8_t, kQ4KScaleBytes>(blk + kQ4KScalesOffset, kQ4KScaleBytes),
          static_cast<int>(s % kQ4KSubBlocks));
      StoredScale st;
      st.scale = load_fp16(blk) * sm.sc;  // FP32 product, as dequantize_row_q4_K forms it
      st.scale_code = sm.sc;
      st.zero = load_fp16(blk + 2) * sm.m;
      st.zero_code = sm.m;
      row.scales.push_back(st);
    }
  }

  FormatInfo info_;
  Kind kind_;
};

void add_gguf(FormatRegistry& r, std::string name, std::string description, Kind kind,
              int element_bits, Rounding rounding) {
  FormatInfo info;
  info.name = std::move(name);
  info.description = std::move(description);
  info.layout = Layout::kBlock;
  info.default_size = static_cast<int>(traits(kind).block);
  info.size_fixed = true;
  info.element_bits = element_bits;
  // q4_0/q8_0: FP16 d; q4_k: FP16 d and dmin plus 12 bytes of 6-bit scales/mins per 256.
  info.overhead_bits = kind == Kind::kQ4K ? 2 * 16 + 12 * 8 : 16;
  info.roundings = {rounding};  // the reference's rule is part of the format: no alternatives
  info.overflows = {Overflow::kSaturate};
  r.add(info, [info, kind](const ResolvedOptions&) {
    return std::make_unique<GgufQuantizer>(info, kind);
  });
}

}  // namespace

Q4KScaleMin q4_k_scale_min(std::span<const std::uint8_t, kQ4KScaleBytes> q, int j) {
  const auto u = static_cast<std::size_t>(j);
  if (j < 4) {
    return {static_cast<std::uint8_t>(q[u] & 63), static_cast<std::uint8_t>(q[u + 4] & 63)};
  }
  return {static_cast<std::uint8_t>((q[u + 4] & 0xF) | ((q[u - 4] >> 6) << 4)),
          static_cast<std::uint8_t>((q[u + 4] >> 4) | ((q[u] >> 6) << 4))};
}

void quantize_row_q4_0(std::span<const float> x, std::span<std::uint8_t> out) {
  check_sizes(x.size(), out.size(), kQ4_0BlockSize, kQ4_0BlockBytes, "quantize_row_q4_0");
  std::array<float, kQ4_0BlockSize> buf{};
  for (std::size_t b = 0; b * kQ4_0BlockBytes < out.size(); ++b) {
    load_block(x, b, buf);
    q4_0_block(buf, &out[b * kQ4_0BlockBytes]);
  }
}

void dequantize_row_q4_0(std::span<const std::uint8_t> blocks, std::span<float> out) {
  check_sizes(out.size(), blocks.size(), kQ4_0BlockSize, kQ4_0BlockBytes, "dequantize_row_q4_0");
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::uint8_t* blk = &blocks[i / kQ4_0BlockSize * kQ4_0BlockBytes];
    const std::size_t j = i % kQ4_0BlockSize;
    const std::uint8_t byte = blk[2 + j % 16];
    const int q = (j < 16 ? byte & 0x0F : byte >> 4) - 8;
    out[i] = static_cast<float>(q) * load_fp16(blk);
  }
}

void quantize_row_q8_0(std::span<const float> x, std::span<std::uint8_t> out) {
  check_sizes(x.size(), out.size(), kQ8_0BlockSize, kQ8_0BlockBytes, "quantize_row_q8_0");
  std::array<float, kQ8_0BlockSize> buf{};
  for (std::size_t b = 0; b * kQ8_0BlockBytes < out.size(); ++b) {
    load_block(x, b, buf);
    q8_0_block(buf, &out[b * kQ8_0BlockBytes]);
  }
}

void dequantize_row_q8_0(std::span<const std::uint8_t> blocks, std::span<float> out) {
  check_sizes(out.size(), blocks.size(), kQ8_0BlockSize, kQ8_0BlockBytes, "dequantize_row_q8_0");
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::uint8_t* blk = &blocks[i / kQ8_0BlockSize * kQ8_0BlockBytes];
    const auto q = static_cast<std::int8_t>(blk[2 + i % kQ8_0BlockSize]);
    out[i] = static_cast<float>(q) * load_fp16(blk);
  }
}

void quantize_row_q4_k(std::span<const float> x, std::span<std::uint8_t> out) {
  check_sizes(x.size(), out.size(), kQ4KBlockSize, kQ4KBlockBytes, "quantize_row_q4_k");
  std::array<float, kQ4KBlockSize> buf{};
  for (std::size_t b = 0; b * kQ4KBlockBytes < out.size(); ++b) {
    load_block(x, b, buf);
    q4_k_block(buf, &out[b * kQ4KBlockBytes]);
  }
}

void dequantize_row_q4_k(std::span<const std::uint8_t> blocks, std::span<float> out) {
  check_sizes(out.size(), blocks.size(), kQ4KBlockSize, kQ4KBlockBytes, "dequantize_row_q4_k");
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::uint8_t* blk = &blocks[i / kQ4KBlockSize * kQ4KBlockBytes];
    const std::size_t j = i % kQ4KBlockSize;
    const Q4KScaleMin sm = q4_k_scale_min(
        std::span<const std::uint8_t, kQ4KScaleBytes>(blk + kQ4KScalesOffset, kQ4KScaleBytes),
        static_cast<int>(j / kQ4KSubBlockSize));
    const float d1 = load_fp16(blk) * sm.sc;
    const float m1 = load_fp16(blk + 2) * sm.m;
    const std::uint8_t byte = blk[kQ4KQsOffset + j / 64 * 32 + j % 32];
    const int q = (j % 64) < 32 ? byte & 0xF : byte >> 4;
    out[i] = d1 * static_cast<float>(q) - m1;
  }
}

void register_gguf_formats(FormatRegistry& r) {
  add_gguf(r, "q4_0",
           "GGUF Q4_0 (ggml quantize_row_q4_0_ref): 32 x 4-bit, fp16 d = max/-8, "
           "(int8)(x/d + 8.5) round-half-up",
           Kind::kQ4_0, 4, Rounding::kHalfUp);
  add_gguf(r, "q8_0",
           "GGUF Q8_0 (ggml quantize_row_q8_0_ref): 32 x int8, fp16 d = amax/127, roundf "
           "ties away",
           Kind::kQ8_0, 8, Rounding::kNearestAway);
  add_gguf(r, "q4_k",
           "GGUF Q4_K (ggml quantize_row_q4_K_ref): 256 = 8 x 32 x 4-bit, 6-bit scales/mins, "
           "fp16 d/dmin, make_qkx2_quants search",
           Kind::kQ4K, 4, Rounding::kNearestEven);
}

}  // namespace mpsim::num
