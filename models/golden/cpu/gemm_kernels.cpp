// DESCRIPTION: Fast exact GEMM kernels (AVX-512 VNNI, chosen at run time): int8 x int8 -> int32
// and the MX/BFP block-exact product (per-block integer sums with vpdpbusd, one FP32 rounding per
// block, FP32 accumulation in block order). Both equal the generic definitions bit for bit.
// SPDX-License-Identifier: Apache-2.0
//
// Why vpdpbusd is exact here: it multiplies u8 by s8 and sums four products straight into a 32-bit
// lane with wrap-around (no 16-bit saturating step as in vpmaddubsw). The column operand is made
// unsigned (int8: b + 128; block digits: y - y_min split into base-256 digits) and the offset is
// removed afterwards with a per-row term; every step is arithmetic modulo 2^32, so the final value
// is the true sum modulo 2^32, which is the true sum whenever the caller has proved that it fits
// in int32. The row operand stays s8 so that it can be a broadcast memory operand of vpdpbusd.
//
// Buffers are thread_local and only grow: fresh multi-MiB vectors per call cost more in page
// faults than the packing itself.
// GCC 12's AVX-512 intrinsics pass _mm512_undefined_*() as masked-off sources, which
// -Wmaybe-uninitialized reports at every inlined call; the values are never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "gemm_kernels.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#define MPSIM_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

namespace mpsim::golden::detail {

using I64 = std::int64_t;

bool cpu_has_vnni512() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                         __builtin_cpu_supports("avx512vnni");
  return ok;
}

namespace {

constexpr int kLanes = 16;

/// A grow-only scratch buffer (contents are not preserved meaningfully between calls).
template <class T>
T* scratch(std::vector<T>& v, I64 size) {
  if (v.size() < static_cast<std::size_t>(size)) v.resize(static_cast<std::size_t>(size));
  return v.data();
}

MPSIM_VNNI __mmask16 tail_mask(I64 count) {
  return count >= kLanes ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << count) - 1u);
}

// ---------------------------------------------------------------------------------------------
// int8 x int8 -> int32 -> FP32

constexpr int kMr = 5;   // 5 x 4 zmm accumulators + 4 B vectors + 1 broadcast: no spills with GCC
constexpr int kNr = 64;  // 4 panels of 16 columns
constexpr I64 kInt8Qc = 384 / 4;  // K chunk in quads: a 64-column B slice is 24 KiB (L1 48 KiB)

struct Int8Scratch {
  std::vector<std::int8_t> a;      // [row tile][quad][6 rows][4]: s8, padding 0
  std::vector<std::uint8_t> b;     // [64-column group][quad][64 columns][4]: b + 128
  std::vector<std::int32_t> comp;  // per row: 128 * sum_k a (removes the +128 of b)
};

/// Converts 16 floats (masked) with truncation, as static_cast<int32_t> does in range; values
/// outside int32 become INT32_MIN, which the range check then rejects.
MPSIM_VNNI __m512i load_ints(const float* p, __mmask16 m) {
  return _mm512_cvttps_epi32(_mm512_maskz_loadu_ps(m, p));
}

/// Packs A; returns false when a value is outside s8. max_abs gets max |a|.
MPSIM_VNNI bool pack_a(const float* const* a, I64 m, I64 k, I64 nq, std::int8_t* ap,
                       std::int32_t* comp, std::int32_t& max_abs) {
  __m512i lo = _mm512_setzero_si512(), hi = _mm512_setzero_si512();
  const I64 tiles = (m + kMr - 1) / kMr;
  for (I64 i = 0; i < tiles * kMr; ++i) {
    std::int8_t* base = ap + (i / kMr) * nq * kMr * 4 + (i % kMr) * 4;
    if (i >= m) {
      for (I64 q = 0; q < nq; ++q) std::memset(base + q * kMr * 4, 0, 4);
      continue;
    }
    __m512i sum = _mm512_setzero_si512();
    for (I64 kk = 0; kk < nq * 4; kk += kLanes) {
      const __m512i v = load_ints(a[i] + kk, tail_mask(k - kk));
      lo = _mm512_min_epi32(lo, v);
      hi = _mm512_max_epi32(hi, v);
      sum = _mm512_add_epi32(sum, v);
      alignas(16) std::int8_t bytes[kLanes];
      _mm_store_si128(reinterpret_cast<__m128i*>(bytes), _mm512_cvtepi32_epi8(v));
      const I64 qn = std::min<I64>(4, nq - kk / 4);
      for (I64 q = 0; q < qn; ++q) std::memcpy(base + (kk / 4 + q) * kMr * 4, bytes + 4 * q, 4);
    }
    comp[i] =
        static_cast<std::int32_t>(128u * static_cast<std::uint32_t>(_mm512_reduce_add_epi32(sum)));
  }
  const int mn = _mm512_reduce_min_epi32(lo), mx = _mm512_reduce_max_epi32(hi);
  max_abs = std::max(mx, -std::max(mn, -std::numeric_limits<std::int32_t>::max()));
  return mn >= -128 && mx <= 127;
}

/// Packs B (+128 into u8); returns false when a value is outside s8. max_abs gets max |b|.
MPSIM_VNNI bool pack_b(const float* const* b, I64 n, I64 k, I64 nq, std::uint8_t* bp,
                       std::int32_t& max_abs) {
  __m512i lo = _mm512_setzero_si512(), hi = _mm512_setzero_si512();
  const I64 groups = (n + kNr - 1) / kNr;
  for (I64 j = 0; j < groups * kNr; ++j) {
    std::uint8_t* base = bp + (j / kNr) * nq * kNr * 4 + (j % kNr) * 4;
    if (j >= n) {  // padding columns: never stored, any value will do
      for (I64 q = 0; q < nq; ++q) std::memset(base + q * kNr * 4, 128, 4);
      continue;
    }
    for (I64 kk = 0; kk < nq * 4; kk += kLanes) {
      const __m512i v = load_ints(b[j] + kk, tail_mask(k - kk));
      lo = _mm512_min_epi32(lo, v);
      hi = _mm512_max_epi32(hi, v);
      alignas(16) std::uint8_t bytes[kLanes];
      // s8 + 128 as u8 is the s8 byte with its top bit flipped.
      _mm_store_si128(reinterpret_cast<__m128i*>(bytes),
                      _mm_xor_si128(_mm512_cvtepi32_epi8(v), _mm_set1_epi8(-128)));
      const I64 qn = std::min<I64>(4, nq - kk / 4);
      for (I64 q = 0; q < qn; ++q) std::memcpy(base + (kk / 4 + q) * kNr * 4, bytes + 4 * q, 4);
    }
  }
  const int mn = _mm512_reduce_min_epi32(lo), mx = _mm512_reduce_max_epi32(hi);
  max_abs = std::max(mx, -std::max(mn, -std::numeric_limits<std::int32_t>::max()));
  return mn >= -128 && mx <= 127;
}

/// One 6 x 64 tile over quads [0, qn) of a K chunk. Partial sums live in `out` as int32 between
/// chunks; the last chunk removes the offset and writes FP32 (one RNE conversion, as
/// static_cast<float>).
MPSIM_VNNI void int8_micro(const std::int8_t* a, const std::uint8_t* b, I64 qn,
                           const std::int32_t* comp, float* out, I64 ldo, int rn, I64 cn,
                           bool first, bool last) {
  __m512i acc[kMr][4];
  __mmask16 mask[4];
#pragma GCC unroll 8
  for (int p = 0; p < 4; ++p) mask[p] = tail_mask(std::max<I64>(0, cn - p * kLanes));
    // Accumulators start at zero (earlier chunks are added at the end, modulo 2^32 as well):
    // loading them here makes GCC keep the array in memory.
#pragma GCC unroll 8
  for (int r = 0; r < kMr; ++r)
#pragma GCC unroll 8
    for (int p = 0; p < 4; ++p) acc[r][p] = _mm512_setzero_si512();
  for (I64 q = 0; q < qn; ++q) {
    __m512i bv[4];
#pragma GCC unroll 8
    for (int p = 0; p < 4; ++p) bv[p] = _mm512_loadu_si512(b + q * kNr * 4 + p * 64);
#pragma GCC unroll 8
    for (int r = 0; r < kMr; ++r) {
      std::int32_t quad;
      std::memcpy(&quad, a + q * kMr * 4 + r * 4, 4);
      const __m512i xb = _mm512_set1_epi32(quad);
#pragma GCC unroll 8
      for (int p = 0; p < 4; ++p) acc[r][p] = _mm512_dpbusd_epi32(acc[r][p], bv[p], xb);
    }
  }
  // Constant indices only (r < rn tested inside): a runtime index would keep acc in memory.
#pragma GCC unroll 8
  for (int r = 0; r < kMr; ++r)
#pragma GCC unroll 4
    for (int p = 0; p < 4; ++p) {
      if (r >= rn) continue;
      float* o = out + r * ldo + p * kLanes;
      if (!first) acc[r][p] = _mm512_add_epi32(acc[r][p], _mm512_maskz_loadu_epi32(mask[p], o));
      if (last) {
        const __m512i s = _mm512_sub_epi32(acc[r][p], _mm512_set1_epi32(comp[r]));
        _mm512_mask_storeu_ps(o, mask[p], _mm512_cvtepi32_ps(s));
      } else {
        _mm512_mask_storeu_epi32(o, mask[p], acc[r][p]);
      }
    }
}

MPSIM_VNNI bool int8_gemm_vnni(const float* const* a, const float* const* b, I64 m, I64 n, I64 k,
                               float* out) {
  static thread_local Int8Scratch s;
  const I64 nq = (k + 3) / 4, tiles = (m + kMr - 1) / kMr, groups = (n + kNr - 1) / kNr;
  std::int8_t* ap = scratch(s.a, tiles * nq * kMr * 4);
  std::uint8_t* bp = scratch(s.b, groups * nq * kNr * 4);
  std::int32_t* comp = scratch(s.comp, tiles * kMr);
  std::int32_t max_a = 0, max_b = 0;
  if (!pack_a(a, m, k, nq, ap, comp, max_a) || !pack_b(b, n, k, nq, bp, max_b)) return false;
  if (k * max_a * max_b > std::numeric_limits<std::int32_t>::max()) return false;
  for (I64 q0 = 0; q0 < nq; q0 += kInt8Qc) {
    const I64 qn = std::min(kInt8Qc, nq - q0);
    for (I64 g = 0; g < groups; ++g)
      for (I64 t = 0; t < tiles; ++t)
        int8_micro(ap + (t * nq + q0) * kMr * 4, bp + (g * nq + q0) * kNr * 4, qn, comp + t * kMr,
                   out + t * kMr * n + g * kNr, n,
                   static_cast<int>(std::min<I64>(kMr, m - t * kMr)), n - g * kNr, q0 == 0,
                   q0 + qn == nq);
  }
  return true;
}

/// Truncating conversion with the s8 range check; max_abs gets max |v| (saturated).
bool to_s8_generic(const float* const* lines, I64 count, I64 len, std::int8_t* dst,
                   std::int32_t& max_abs) {
  max_abs = 0;
  for (I64 l = 0; l < count; ++l)
    for (I64 e = 0; e < len; ++e) {
      const float f = lines[l][e];
      if (!(f > -129.0f && f < 128.0f)) return false;  // NaN too
      const auto v = static_cast<std::int32_t>(f);
      max_abs = std::max(max_abs, v < 0 ? -v : v);
      dst[l * len + e] = static_cast<std::int8_t>(v);
    }
  return true;
}

}  // namespace

bool int8_gemm_f32(const float* const* a, const float* const* b, I64 m, I64 n, I64 k, float* out) {
  if (m == 0 || n == 0) return true;
  if (k > 0 && cpu_has_vnni512()) return int8_gemm_vnni(a, b, m, n, k, out);
  // Portable path: exact sums (no overflow is possible), any order; left to the vectorizer.
  std::vector<std::int8_t> a8(static_cast<std::size_t>(m * k)), b8(static_cast<std::size_t>(n * k));
  std::int32_t max_a = 0, max_b = 0;
  if (!to_s8_generic(a, m, k, a8.data(), max_a) || !to_s8_generic(b, n, k, b8.data(), max_b) ||
      k * max_a * max_b > std::numeric_limits<std::int32_t>::max())
    return false;
  for (I64 i = 0; i < m; ++i)
    for (I64 j = 0; j < n; ++j) {
      std::int32_t s = 0;
      for (I64 kk = 0; kk < k; ++kk) s += a8[i * k + kk] * b8[j * k + kk];
      out[i * n + j] = static_cast<float>(s);
    }
  return true;
}

bool lines_to_s8(const float* const* lines, I64 count, I64 len, std::int8_t* dst) {
  std::int32_t max_abs = 0;
  return to_s8_generic(lines, count, len, dst, max_abs);
}

// ---------------------------------------------------------------------------------------------
// MX/BFP block-exact product

namespace {

constexpr int kBr = 4;  // 4 rows x 2 panels x 3 digits = 24 accumulators + 6 y vectors
constexpr int kBp = 2;  // panels of 16 columns per tile

struct BlockScratch {
  std::vector<std::int8_t> x;      // [row tile][block][quad][4 rows][4]: s8, padding 0
  std::vector<std::uint8_t> y;     // [panel][block][quad][digit][16 lanes][4]: u8 digits
  std::vector<std::int32_t> corr;  // [row][block]: y_min * sum of the block's x (mod 2^32)
  std::vector<double> sx;          // [row][block]: 2^x_exp
  std::vector<double> sy;          // [panel][block][16 lanes]: 2^y_exp
};

/// 2^e as a double for |e| < 1000 (exact: built from the exponent bits).
inline double pow2(std::int32_t e) {
  const std::uint64_t bits = static_cast<std::uint64_t>(e + 1023) << 52;
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

/// Packs x and y through the code tables; returns false on an out-of-range code.
MPSIM_VNNI bool block_pack(const BlockGemmArgs& g, int nq, std::int8_t* xp, std::uint8_t* yp,
                           std::int32_t* corr) {
  const I64 tiles = (g.rows + kBr - 1) / kBr, panels = (g.cols + kLanes - 1) / kLanes;
  const int D = g.digits;
  const I64 nb = g.nblocks;
  std::memset(xp, 0, static_cast<std::size_t>(tiles * nb * nq * kBr * 4));
  std::memset(yp, 0, static_cast<std::size_t>(panels * nb * nq * D * 64));
  const __m512i x_lim = _mm512_set1_epi32(static_cast<int>(g.x_ncodes));
  const __m512i y_lim = _mm512_set1_epi32(static_cast<int>(g.y_ncodes));
  for (I64 i = 0; i < g.rows; ++i) {
    std::int8_t* tile = xp + (i / kBr) * nb * nq * kBr * 4 + (i % kBr) * 4;
    __m512i nan = _mm512_setzero_si512();
    for (I64 b = 0; b < nb; ++b) {
      __m512i sum = _mm512_setzero_si512();
      const I64 e0 = b * g.block, e1 = std::min<I64>(g.len, e0 + g.block);
      for (I64 e = e0; e < e1; e += kLanes) {
        const __mmask16 m = tail_mask(e1 - e);
        const __m512i c = _mm512_maskz_loadu_epi32(m, g.x_codes[i] + e);
        if (_mm512_mask_cmpge_epu32_mask(m, c, x_lim) != 0) return false;
        const __m512i w = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, c, g.x_table, 4);
        nan = _mm512_or_si512(nan, w);
        sum = _mm512_add_epi32(sum, _mm512_srai_epi32(_mm512_slli_epi32(w, 24), 24));
        alignas(16) std::int8_t bytes[kLanes];
        _mm_store_si128(reinterpret_cast<__m128i*>(bytes), _mm512_cvtepi32_epi8(w));
        const I64 off = e - e0;
        for (I64 q = off / 4; q < std::min<I64>(nq, (off + kLanes) / 4); ++q)
          std::memcpy(tile + (b * nq + q) * kBr * 4, bytes + 4 * (q - off / 4), 4);
      }
      corr[i * nb + b] =
          static_cast<std::int32_t>(static_cast<std::uint32_t>(g.y_min) *
                                    static_cast<std::uint32_t>(_mm512_reduce_add_epi32(sum)));
    }
    if (_mm512_test_epi32_mask(nan, _mm512_set1_epi32(0x100)) != 0) g.x_bad[i] = 1;
  }
  for (I64 j = 0; j < g.cols; ++j) {
    std::uint8_t* panel = yp + (j / kLanes) * nb * nq * D * 64 + (j % kLanes) * 4;
    __m512i nan = _mm512_setzero_si512();
    for (I64 b = 0; b < nb; ++b) {
      const I64 e0 = b * g.block, e1 = std::min<I64>(g.len, e0 + g.block);
      for (I64 e = e0; e < e1; e += kLanes) {
        const __mmask16 m = tail_mask(e1 - e);
        const __m512i c = _mm512_maskz_loadu_epi32(m, g.y_codes[j] + e);
        if (_mm512_mask_cmpge_epu32_mask(m, c, y_lim) != 0) return false;
        const __m512i w = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), m, c, g.y_table, 4);
        nan = _mm512_or_si512(nan, w);
        const I64 off = e - e0;
        const I64 qe = std::min<I64>(nq, (off + kLanes) / 4);
        for (int d = 0; d < D; ++d) {
          alignas(16) std::uint8_t bytes[kLanes];
          _mm_store_si128(reinterpret_cast<__m128i*>(bytes),
                          _mm512_cvtepi32_epi8(_mm512_srli_epi32(w, 8 * d)));
          for (I64 q = off / 4; q < qe; ++q)
            std::memcpy(panel + ((b * nq + q) * D + d) * 64, bytes + 4 * (q - off / 4), 4);
        }
      }
    }
    if (_mm512_movepi32_mask(nan) != 0) g.y_bad[j] = 1;
  }
  return true;
}

/// One tile of kBr rows x P panels over blocks [b0, b1), adding each block's FP32 result to out
/// in ascending block order.
template <int D, int P>
MPSIM_VNNI void block_micro(const std::int8_t* xt, const std::uint8_t* yt, I64 y_panel,
                            const std::int32_t* corr, const double* sx, const double* sy, I64 nb,
                            int nq, int b0, int b1, float* out, I64 ldo, int rn, I64 cn) {
  __mmask16 mask[P];
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p) mask[p] = tail_mask(std::max<I64>(0, cn - p * kLanes));
  // The running FP32 sums of the tile live in `sum` across blocks: reloading them right after a
  // masked store would stall (masked stores do not forward to loads).
  alignas(64) float sum[kBr][P][kLanes];
  for (int r = 0; r < kBr; ++r)
    for (int p = 0; p < P; ++p)
      _mm512_store_ps(sum[r][p], r < rn ? _mm512_maskz_loadu_ps(mask[p], out + r * ldo + p * kLanes)
                                        : _mm512_setzero_ps());
  for (int blk = b0; blk < b1; ++blk) {
    __m512i acc[kBr][P][D];
#pragma GCC unroll 8
    for (int r = 0; r < kBr; ++r)
#pragma GCC unroll 8
      for (int p = 0; p < P; ++p)
#pragma GCC unroll 8
        for (int d = 0; d < D; ++d) acc[r][p][d] = _mm512_setzero_si512();
    const std::int8_t* xb = xt + static_cast<I64>(blk) * nq * kBr * 4;
    const std::uint8_t* yb = yt + static_cast<I64>(blk) * nq * D * 64;
    for (int q = 0; q < nq; ++q) {
      __m512i yv[P][D];
#pragma GCC unroll 8
      for (int p = 0; p < P; ++p)
#pragma GCC unroll 8
        for (int d = 0; d < D; ++d)
          yv[p][d] = _mm512_loadu_si512(yb + p * y_panel + (q * D + d) * 64);
#pragma GCC unroll 8
      for (int r = 0; r < kBr; ++r) {
        std::int32_t quad;
        std::memcpy(&quad, xb + q * kBr * 4 + r * 4, 4);
        const __m512i xv = _mm512_set1_epi32(quad);
#pragma GCC unroll 8
        for (int p = 0; p < P; ++p)
#pragma GCC unroll 8
          for (int d = 0; d < D; ++d)
            acc[r][p][d] = _mm512_dpbusd_epi32(acc[r][p][d], yv[p][d], xv);
      }
    }
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) {
      const double* syp = sy + (p * nb + blk) * kLanes;
      const __m512d sy_lo = _mm512_loadu_pd(syp), sy_hi = _mm512_loadu_pd(syp + 8);
#pragma GCC unroll 4
      for (int r = 0; r < kBr; ++r) {
        if (r >= rn) continue;  // constant indices keep acc in registers
        // S = sum_d P_d * 256^d + y_min * sum x (mod 2^32; the caller proved |S| < 2^31).
        __m512i s = _mm512_add_epi32(acc[r][p][0], _mm512_set1_epi32(corr[r * nb + blk]));
        if constexpr (D > 1) s = _mm512_add_epi32(s, _mm512_slli_epi32(acc[r][p][1], 8));
        if constexpr (D > 2) s = _mm512_add_epi32(s, _mm512_slli_epi32(acc[r][p][2], 16));
        // S * 2^ey * 2^ex is exact in double (|S| < 2^31, exponents within +-300): the one
        // rounding to FP32 is the double -> float conversion (RNE, subnormals included).
        const __m512d x = _mm512_set1_pd(sx[r * nb + blk]);
        const __m512d lo =
            _mm512_mul_pd(_mm512_mul_pd(_mm512_cvtepi32_pd(_mm512_castsi512_si256(s)), sy_lo), x);
        const __m512d hi = _mm512_mul_pd(
            _mm512_mul_pd(_mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(s, 1)), sy_hi), x);
        const __m512 v =
            _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)), _mm512_cvtpd_ps(hi), 1);
        _mm512_store_ps(sum[r][p], _mm512_add_ps(_mm512_load_ps(sum[r][p]), v));
      }
    }
  }
  for (int r = 0; r < rn; ++r)
    for (int p = 0; p < P; ++p)
      _mm512_mask_storeu_ps(out + r * ldo + p * kLanes, mask[p], _mm512_load_ps(sum[r][p]));
}

using BlockMicro = void (*)(const std::int8_t*, const std::uint8_t*, I64, const std::int32_t*,
                            const double*, const double*, I64, int, int, int, float*, I64, int,
                            I64);
constexpr std::array<std::array<BlockMicro, kBp>, 3> kBlockTable{{
    {&block_micro<1, 1>, &block_micro<1, 2>},
    {&block_micro<2, 1>, &block_micro<2, 2>},
    {&block_micro<3, 1>, &block_micro<3, 2>},
}};

}  // namespace

bool block_gemm_fast(const BlockGemmArgs& g) {
  if (!cpu_has_vnni512() || g.digits < 1 || g.digits > 3) return false;
  if (g.rows == 0 || g.cols == 0 || g.nblocks == 0) return true;
  static thread_local BlockScratch s;
  const int nq = (g.block + 3) / 4, D = g.digits;
  const I64 nb = g.nblocks, tiles = (g.rows + kBr - 1) / kBr;
  const I64 panels = (g.cols + kLanes - 1) / kLanes;
  std::int8_t* xp = scratch(s.x, tiles * nb * nq * kBr * 4);
  std::uint8_t* yp = scratch(s.y, panels * nb * nq * D * 64);
  std::int32_t* corr = scratch(s.corr, g.rows * nb);
  double* sx = scratch(s.sx, g.rows * nb);
  double* sy = scratch(s.sy, panels * nb * kLanes);
  if (!block_pack(g, nq, xp, yp, corr)) return false;
  for (I64 i = 0; i < g.rows * nb; ++i) sx[i] = pow2(g.x_exp[i]);
  for (I64 j = 0; j < panels * kLanes; ++j)
    for (I64 b = 0; b < nb; ++b)
      sy[((j / kLanes) * nb + b) * kLanes + j % kLanes] =
          j < g.cols ? pow2(g.y_exp[j * nb + b]) : 0.0;
  // Chunks of about 384 k keep the y slice of a panel pair in L1 across all row tiles; blocks
  // still reach each output in ascending order.
  const int chunk = std::max(1, 384 / (nq * 4));
  const I64 y_panel = nb * nq * D * 64;
  for (int b0 = 0; b0 < g.nblocks; b0 += chunk) {
    const int b1 = std::min(g.nblocks, b0 + chunk);
    for (I64 p0 = 0; p0 < panels; p0 += kBp) {
      const auto pn = static_cast<int>(std::min<I64>(kBp, panels - p0));
      for (I64 t = 0; t < tiles; ++t) {
        const I64 i0 = t * kBr;
        kBlockTable[D - 1][pn - 1](
            xp + t * nb * nq * kBr * 4, yp + p0 * y_panel, y_panel, corr + i0 * nb, sx + i0 * nb,
            sy + p0 * nb * kLanes, nb, nq, b0, b1, g.out + i0 * g.cols + p0 * kLanes, g.cols,
            static_cast<int>(std::min<I64>(kBr, g.rows - i0)), g.cols - p0 * kLanes);
      }
    }
  }
  return true;
}

}  // namespace mpsim::golden::detail
