// DESCRIPTION: Fast exact GEMM kernels (AVX-512 VNNI, chosen at run time): int8 x int8 -> int32
// and the MX/BFP block-exact product (per-block integer sums with vpdpbusd, one FP32 rounding per
// block, FP32 accumulation in block order). Both equal the generic definitions bit for bit.
// SPDX-License-Identifier: Apache-2.0
//
// Why vpdpbusd is exact here: it multiplies u8 by s8 and sums four products straight into a 32-bit
// lane with wrap-around (no 16-bit saturating step as in vpmaddubsw). Signed x operands are offset
// by +128 into u8 and the offset is subtracted afterwards (128 * sum y); every step is arithmetic
// modulo 2^32, so the final value is the true sum modulo 2^32, which is the true sum whenever the
// caller has proved that it fits in int32.
// GCC 12's AVX-512 intrinsics pass _mm512_undefined_*() as masked-off sources, which
// -Wmaybe-uninitialized reports at every inlined call; the values are never read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace mpsim::golden::detail {

/// Operands of the block kernel (see block_gemm_fast).
struct BlockGemmArgs {
  std::int64_t rows = 0, cols = 0;
  int nblocks = 0;
  int bp = 0;                           ///< padded block length (multiple of 4)
  int digits = 1;                       ///< base-256 signed digits per y integer (1..3)
  const std::uint8_t* x = nullptr;      ///< rows x nblocks*bp: k_x + 128 (padding 128)
  const std::int32_t* x_exp = nullptr;  ///< rows x nblocks: scale exponent + ulp exponent
  const std::int32_t* y = nullptr;      ///< cols x nblocks*bp: k_y (padding 0)
  const std::int32_t* y_exp = nullptr;  ///< cols x nblocks
  float* out = nullptr;                 ///< rows x cols, row-major
};

bool cpu_has_vnni512() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512vnni");
  return ok;
}

namespace {

constexpr int kLanes = 16;

// ---------------------------------------------------------------------------------------------
// int8 x int8 -> int32

constexpr int kInt8Rows = 6;    // 6 x 4 zmm accumulators + 4 B vectors + 1 broadcast fit in 32
constexpr int kInt8Panels = 4;  // 64 columns
constexpr std::int64_t kInt8Kc = 512;  // K chunk: a 64-column B slice is 32 KiB (L1)

template <int R, int P>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void int8_micro(
    const std::uint8_t* a, std::int64_t lda, const std::int8_t* b, std::int64_t panel_stride,
    std::int64_t nq, std::int32_t* c, std::int64_t ldc, bool first) {
  __m512i acc[R][P];
  for (int r = 0; r < R; ++r)
    for (int p = 0; p < P; ++p)
      acc[r][p] = first ? _mm512_setzero_si512() : _mm512_loadu_si512(c + r * ldc + p * kLanes);
  for (std::int64_t q = 0; q < nq; ++q) {
    __m512i bv[P];
    for (int p = 0; p < P; ++p) bv[p] = _mm512_loadu_si512(b + p * panel_stride + q * 64);
    for (int r = 0; r < R; ++r) {
      std::int32_t quad;
      __builtin_memcpy(&quad, a + r * lda + 4 * q, 4);
      const __m512i xb = _mm512_set1_epi32(quad);
      for (int p = 0; p < P; ++p) acc[r][p] = _mm512_dpbusd_epi32(acc[r][p], xb, bv[p]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int p = 0; p < P; ++p) _mm512_storeu_si512(c + r * ldc + p * kLanes, acc[r][p]);
}

using Int8Micro = void (*)(const std::uint8_t*, std::int64_t, const std::int8_t*, std::int64_t,
                           std::int64_t, std::int32_t*, std::int64_t, bool);

template <int R>
constexpr std::array<Int8Micro, kInt8Panels> int8_row() {
  return {&int8_micro<R, 1>, &int8_micro<R, 2>, &int8_micro<R, 3>, &int8_micro<R, 4>};
}
constexpr std::array<std::array<Int8Micro, kInt8Panels>, kInt8Rows> kInt8Table{
    int8_row<1>(), int8_row<2>(), int8_row<3>(), int8_row<4>(), int8_row<5>(), int8_row<6>()};

void int8_gemm_vnni(const std::uint8_t* a, const std::int8_t* bt, std::int64_t m, std::int64_t n,
                    std::int64_t k, std::int32_t* c_out) {
  const std::int64_t kp = (k + 3) / 4 * 4, nq = kp / 4;
  const std::int64_t np = (n + kLanes - 1) / kLanes, ldc = np * kLanes;
  // A rows padded to kp with 128 (= 0 after the offset); B packed per 16-column panel as
  // [quad][lane][4 bytes] (the vpdpbusd layout), padded with 0.
  std::vector<std::uint8_t> ap(static_cast<std::size_t>(m * kp), 128);
  for (std::int64_t i = 0; i < m; ++i) std::copy_n(a + i * k, k, ap.data() + i * kp);
  std::vector<std::int8_t> bp(static_cast<std::size_t>(np * nq * 64), 0);
  for (std::int64_t j = 0; j < n; ++j) {
    std::int8_t* panel = bp.data() + (j / kLanes) * nq * 64 + (j % kLanes) * 4;
    for (std::int64_t kk = 0; kk < k; ++kk) panel[(kk / 4) * 64 + kk % 4] = bt[j * k + kk];
  }
  std::vector<std::int32_t> c(static_cast<std::size_t>(m * ldc));
  for (std::int64_t q0 = 0; q0 < nq; q0 += kInt8Kc / 4) {
    const std::int64_t qn = std::min(kInt8Kc / 4, nq - q0);
    for (std::int64_t p0 = 0; p0 < np; p0 += kInt8Panels) {
      const auto pn = static_cast<int>(std::min<std::int64_t>(kInt8Panels, np - p0));
      for (std::int64_t i0 = 0; i0 < m; i0 += kInt8Rows) {
        const auto rn = static_cast<int>(std::min<std::int64_t>(kInt8Rows, m - i0));
        kInt8Table[rn - 1][pn - 1](ap.data() + i0 * kp + q0 * 4, kp,
                                   bp.data() + p0 * nq * 64 + q0 * 64, nq * 64, qn,
                                   c.data() + i0 * ldc + p0 * kLanes, ldc, q0 == 0);
      }
    }
  }
  // Remove the +128 offset of a: subtract 128 * sum_k b (mod 2^32), row by row.
  std::vector<std::uint32_t> comp(static_cast<std::size_t>(n));
  for (std::int64_t j = 0; j < n; ++j) {
    std::uint32_t s = 0;
    for (std::int64_t kk = 0; kk < k; ++kk) s += static_cast<std::uint32_t>(bt[j * k + kk]);
    comp[static_cast<std::size_t>(j)] = 128u * s;
  }
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j)
      c_out[i * n + j] = static_cast<std::int32_t>(
          static_cast<std::uint32_t>(c[static_cast<std::size_t>(i * ldc + j)]) -
          comp[static_cast<std::size_t>(j)]);
}

}  // namespace

/// c[i*n+j] = sum_k (a[i*k+kk] - 128) * bt[j*k+kk] modulo 2^32 (a holds s8 values + 128). The
/// caller guarantees the true sums fit in int32 when it needs them exact.
void int8_gemm(const std::uint8_t* a, const std::int8_t* bt, std::int64_t m, std::int64_t n,
               std::int64_t k, std::int32_t* c) {
  if (m == 0 || n == 0) return;
  if (k > 0 && cpu_has_vnni512()) {
    int8_gemm_vnni(a, bt, m, n, k, c);
    return;
  }
  // Portable path: the same sums in uint32 (wrap-around is defined), left to the vectorizer.
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      std::uint32_t s = 0;
      for (std::int64_t kk = 0; kk < k; ++kk)
        s += static_cast<std::uint32_t>(static_cast<std::int32_t>(a[i * k + kk]) - 128) *
             static_cast<std::uint32_t>(static_cast<std::int32_t>(bt[j * k + kk]));
      c[i * n + j] = static_cast<std::int32_t>(s);
    }
}

// ---------------------------------------------------------------------------------------------
// MX/BFP block-exact product

namespace {

constexpr int kBlkRows = 4;  // 4 rows x 2 panels x 3 digits = 24 accumulators
constexpr int kBlkPanels = 2;

struct BlockPack {
  std::int64_t np = 0, nq = 0;     // panels, quads per block
  std::vector<std::int8_t> y;      // [panel][block][quad][digit][lane][4]
  std::vector<std::int32_t> comp;  // [panel][block][lane]: 128 * sum of the block's y integers
  std::vector<std::int32_t> exp;   // [panel][block][lane]
};

template <int R, int P, int D>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void block_micro(
    const BlockGemmArgs& g, const BlockPack& pk, std::int64_t i0, std::int64_t p0, int b0, int b1,
    float* out, std::int64_t ldo) {
  const std::int64_t blk_bytes = pk.nq * D * 64;
  const std::int64_t panel_bytes = g.nblocks * blk_bytes;
  const std::int64_t lda = static_cast<std::int64_t>(g.nblocks) * g.bp;
  for (int blk = b0; blk < b1; ++blk) {
    __m512i acc[R][P][D];
    for (int r = 0; r < R; ++r)
      for (int p = 0; p < P; ++p)
        for (int d = 0; d < D; ++d) acc[r][p][d] = _mm512_setzero_si512();
    const std::uint8_t* xa = g.x + i0 * lda + static_cast<std::int64_t>(blk) * g.bp;
    const std::int8_t* yb = pk.y.data() + p0 * panel_bytes + blk * blk_bytes;
    for (std::int64_t q = 0; q < pk.nq; ++q) {
      __m512i yv[P][D];
      for (int p = 0; p < P; ++p)
        for (int d = 0; d < D; ++d)
          yv[p][d] = _mm512_loadu_si512(yb + p * panel_bytes + (q * D + d) * 64);
      for (int r = 0; r < R; ++r) {
        std::int32_t quad;
        __builtin_memcpy(&quad, xa + r * lda + 4 * q, 4);
        const __m512i xb = _mm512_set1_epi32(quad);
        for (int p = 0; p < P; ++p)
          for (int d = 0; d < D; ++d)
            acc[r][p][d] = _mm512_dpbusd_epi32(acc[r][p][d], xb, yv[p][d]);
      }
    }
    for (int p = 0; p < P; ++p) {
      const std::int64_t meta = ((p0 + p) * g.nblocks + blk) * kLanes;
      const __m512i comp = _mm512_loadu_si512(pk.comp.data() + meta);
      const __m512i ey = _mm512_loadu_si512(pk.exp.data() + meta);
      for (int r = 0; r < R; ++r) {
        // S = sum_d P_d * 256^d - 128 * sum y (mod 2^32; the caller proved |S| < 2^31).
        __m512i s = acc[r][p][0];
        if constexpr (D > 1) s = _mm512_add_epi32(s, _mm512_slli_epi32(acc[r][p][1], 8));
        if constexpr (D > 2) s = _mm512_add_epi32(s, _mm512_slli_epi32(acc[r][p][2], 16));
        s = _mm512_sub_epi32(s, comp);
        const __m512i e =
            _mm512_add_epi32(ey, _mm512_set1_epi32(g.x_exp[(i0 + r) * g.nblocks + blk]));
        // S * 2^e is exact in double (|S| < 2^31, e within +-300); the one rounding to FP32 is the
        // double -> float conversion (RNE, subnormals included).
        const __m512d lo = _mm512_scalef_pd(_mm512_cvtepi32_pd(_mm512_castsi512_si256(s)),
                                            _mm512_cvtepi32_pd(_mm512_castsi512_si256(e)));
        const __m512d hi = _mm512_scalef_pd(_mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(s, 1)),
                                            _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(e, 1)));
        const __m512 v = _mm512_castpd_ps(
            _mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo))),
                               _mm256_castps_pd(_mm512_cvtpd_ps(hi)), 1));
        float* o = out + (i0 + r) * ldo + (p0 + p) * kLanes;
        _mm512_storeu_ps(o, _mm512_add_ps(_mm512_loadu_ps(o), v));
      }
    }
  }
}

using BlockMicro = void (*)(const BlockGemmArgs&, const BlockPack&, std::int64_t, std::int64_t, int,
                            int, float*, std::int64_t);

template <int D>
constexpr std::array<std::array<BlockMicro, kBlkPanels>, kBlkRows> block_table() {
  return {{{&block_micro<1, 1, D>, &block_micro<1, 2, D>},
           {&block_micro<2, 1, D>, &block_micro<2, 2, D>},
           {&block_micro<3, 1, D>, &block_micro<3, 2, D>},
           {&block_micro<4, 1, D>, &block_micro<4, 2, D>}}};
}
constexpr std::array<std::array<std::array<BlockMicro, kBlkPanels>, kBlkRows>, 3> kBlockTable{
    block_table<1>(), block_table<2>(), block_table<3>()};

}  // namespace

/// The block-exact product with AVX-512 VNNI: out[i][j] = FP32 sum over blocks (ascending) of
/// RNE_fp32(S_ij,blk * 2^(x_exp + y_exp)), starting from +0.0f. Returns false (out untouched) when
/// the CPU lacks VNNI. The caller re-does outputs whose blocks hold NaN/Inf and checks the bounds
/// (|k_x| <= 128, y within `digits` signed base-256 digits, |S| < 2^31).
bool block_gemm_fast(const BlockGemmArgs& g) {
  if (!cpu_has_vnni512() || g.digits < 1 || g.digits > 3) return false;
  std::fill_n(g.out, g.rows * g.cols, 0.0f);
  if (g.rows == 0 || g.cols == 0 || g.nblocks == 0) return true;
  BlockPack pk;
  pk.np = (g.cols + kLanes - 1) / kLanes;
  pk.nq = g.bp / 4;
  const int D = g.digits;
  const std::int64_t nb = g.nblocks, lk = nb * g.bp;
  pk.y.assign(static_cast<std::size_t>(pk.np * nb * pk.nq * D * 64), 0);
  pk.comp.assign(static_cast<std::size_t>(pk.np * nb * kLanes), 0);
  pk.exp.assign(static_cast<std::size_t>(pk.np * nb * kLanes), 0);
  for (std::int64_t j = 0; j < g.cols; ++j) {
    const std::int64_t p = j / kLanes, lane = j % kLanes;
    for (std::int64_t b = 0; b < nb; ++b) {
      std::uint32_t sum = 0;
      for (std::int64_t e = 0; e < g.bp; ++e) {
        std::int32_t v = g.y[j * lk + b * g.bp + e];
        sum += static_cast<std::uint32_t>(v);
        const std::int64_t q = e / 4;
        for (int d = 0; d < D; ++d) {
          // Balanced base-256 digit in [-128, 127]; the top digit takes what is left.
          const auto dig =
              d + 1 < D ? static_cast<std::int8_t>(v & 0xFF) : static_cast<std::int8_t>(v);
          pk.y[static_cast<std::size_t>((((p * nb + b) * pk.nq + q) * D + d) * 64 + lane * 4 +
                                        e % 4)] = dig;
          v = (v - dig) / 256;
        }
      }
      pk.comp[static_cast<std::size_t>((p * nb + b) * kLanes + lane)] =
          static_cast<std::int32_t>(128u * sum);
      pk.exp[static_cast<std::size_t>((p * nb + b) * kLanes + lane)] = g.y_exp[j * nb + b];
    }
  }
  const std::int64_t ldo = pk.np * kLanes;
  std::vector<float> out(static_cast<std::size_t>(g.rows * ldo), 0.0f);
  // Chunks of about 256 k keep the y slice of a panel pair in L1 across all row tiles; blocks
  // still reach each output in ascending order.
  const int chunk = std::max(1, 256 / g.bp);
  for (int b0 = 0; b0 < g.nblocks; b0 += chunk) {
    const int b1 = std::min(g.nblocks, b0 + chunk);
    for (std::int64_t p0 = 0; p0 < pk.np; p0 += kBlkPanels) {
      const auto pn = static_cast<int>(std::min<std::int64_t>(kBlkPanels, pk.np - p0));
      for (std::int64_t i0 = 0; i0 < g.rows; i0 += kBlkRows) {
        const auto rn = static_cast<int>(std::min<std::int64_t>(kBlkRows, g.rows - i0));
        kBlockTable[D - 1][rn - 1][pn - 1](g, pk, i0, p0, b0, b1, out.data(), ldo);
      }
    }
  }
  for (std::int64_t i = 0; i < g.rows; ++i)
    std::copy_n(out.data() + i * ldo, g.cols, g.out + i * g.cols);
  return true;
}

}  // namespace mpsim::golden::detail
