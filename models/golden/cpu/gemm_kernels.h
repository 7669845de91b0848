// DESCRIPTION: Internal interface of the golden GEMM's fast exact kernels (gemm_kernels.cpp) and of
// the oneDNN s8s8s32 wrapper (onednn_int8.cpp); used only by gemm.cpp.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

namespace mpsim::golden::detail {

/// True when the CPU has AVX-512 F/BW/VL and VNNI (the kernels below check it themselves).
bool cpu_has_vnni512();

/// out (m x n, row-major) = FP32(sum_k a[i][k] * b[j][k]) where a[i] and b[j] are lines of k
/// floats holding integers (converted as static_cast<std::int32_t> does). Returns false with out
/// untouched when a value lies outside [-128, 127] or k * max|a| * max|b| > INT32_MAX; then no
/// order of summation is exact in every accumulator and the caller takes the sequential path.
bool int8_gemm_f32(const float* const* a, const float* const* b, std::int64_t m, std::int64_t n,
                   std::int64_t k, float* out);

/// Converts `count` lines of `len` integer-valued floats to s8, line l at dst + l * len. Returns
/// false when a value lies outside [-128, 127].
bool lines_to_s8(const float* const* lines, std::int64_t count, std::int64_t len, std::int8_t* dst);

/// Operands of block_gemm_fast: `x` lines become output rows, `y` lines output columns.
struct BlockGemmArgs {
  std::int64_t rows = 0, cols = 0, len = 0;       ///< output rows/cols, elements per line
  int block = 0, nblocks = 0;                     ///< elements per block; blocks per line
  const std::uint32_t* const* x_codes = nullptr;  ///< rows lines of len element codes
  const std::uint32_t* const* y_codes = nullptr;  ///< cols lines of len element codes
  /// code -> (x integer & 0xFF) | NaN << 8, for codes < x_ncodes (x integers fit s8).
  const std::int32_t* x_table = nullptr;
  /// code -> (y integer - y_min) | NaN << 31, for codes < y_ncodes (y - y_min < 256^digits).
  const std::int32_t* y_table = nullptr;
  std::uint32_t x_ncodes = 0, y_ncodes = 0;
  std::int32_t y_min = 0;
  int digits = 1;                       ///< 1..3
  const std::int32_t* x_exp = nullptr;  ///< rows x nblocks: scale exponent + ulp exponent
  const std::int32_t* y_exp = nullptr;  ///< cols x nblocks
  std::uint8_t* x_bad = nullptr;        ///< per row: set to 1 when the line has a NaN code
  std::uint8_t* y_bad = nullptr;        ///< per column: likewise
  float* out = nullptr;                 ///< rows x cols, row-major, all +0.0f on entry
};

/// The block-exact product with AVX-512 VNNI: out[i][j] = FP32 sum over blocks (ascending) of
/// RNE_fp32(S_ij,blk * 2^(x_exp + y_exp)), from +0.0f. Returns false (out untouched) without VNNI.
/// Also returns false (nothing written) when a code is out of range. The caller proves
/// |S| < 2^31 for every block and re-does outputs of bad lines and non-finite outputs.
bool block_gemm_fast(const BlockGemmArgs& g);

/// True when onednn_s8s8s32() is exact for reduction length k (see onednn_int8.cpp).
bool onednn_s8s8s32_exact(std::int64_t k);
/// c (m x n, row-major) = a (m x k, row-major) x b where b is given transposed, bt (n x k).
void onednn_s8s8s32(const std::int8_t* a, const std::int8_t* bt, std::int64_t m, std::int64_t n,
                    std::int64_t k, std::int32_t* c);

}  // namespace mpsim::golden::detail
