// DESCRIPTION: Byte-exact GGUF/ggml block layouts (Q4_0, Q8_0, Q4_K) and their reference row
// quantizers/dequantizers (ggml quantize_row_*_ref / dequantize_row_*), numerics.md §8, §16.9.
// SPDX-License-Identifier: Apache-2.0
//
// Layouts (all multi-byte fields little-endian, as in a GGUF file):
//   q4_0  block of 32, 18 bytes:  fp16 d | uint8 qs[16]   (qs[j]: low nibble x[j], high x[j+16])
//   q8_0  block of 32, 34 bytes:  fp16 d | int8 qs[32]
//   q4_k  block of 256, 144 bytes: fp16 d | fp16 dmin | uint8 scales[12] | uint8 qs[128]
//         (8 sub-blocks of 32 with 6-bit scale/min pairs; qs[32c + l] holds element 64c + l in
//         the low nibble and element 64c + 32 + l in the high nibble)
//
// Every row function takes n real elements and exactly gguf_row_bytes(n, ...) bytes: a partial
// last block is quantized as if padded with zeros, and dequantization writes only the n real
// elements. A size mismatch is a programming error (MPSIM_CHECK).
//
// Example:
//   std::vector<std::uint8_t> bytes(gguf_row_bytes(x.size(), kQ4_0BlockSize, kQ4_0BlockBytes));
//   quantize_row_q4_0(x, bytes);
//   dequantize_row_q4_0(bytes, y);   // y.size() == x.size()
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace mpsim::num {

inline constexpr std::size_t kQ4_0BlockSize = 32;    ///< elements per q4_0 block
inline constexpr std::size_t kQ4_0BlockBytes = 18;   ///< bytes per q4_0 block
inline constexpr std::size_t kQ8_0BlockSize = 32;    ///< elements per q8_0 block
inline constexpr std::size_t kQ8_0BlockBytes = 34;   ///< bytes per q8_0 block
inline constexpr std::size_t kQ4KBlockSize = 256;    ///< elements per q4_k super-block
inline constexpr std::size_t kQ4KBlockBytes = 144;   ///< bytes per q4_k super-block
inline constexpr std::size_t kQ4KSubBlockSize = 32;  ///< elements per q4_k sub-block (one sc/m)
inline constexpr std::size_t kQ4KScaleBytes = 12;    ///< packed 6-bit scales/mins per super-block
/// Byte offset of the scales[12] array inside a q4_k super-block (after fp16 d and dmin).
inline constexpr std::size_t kQ4KScalesOffset = 4;
/// Byte offset of the qs[128] array inside a q4_k super-block.
inline constexpr std::size_t kQ4KQsOffset = kQ4KScalesOffset + kQ4KScaleBytes;

/// Bytes that a row of `n` elements occupies when stored in whole blocks.
constexpr std::size_t gguf_row_bytes(std::size_t n, std::size_t block_size,
                                     std::size_t block_bytes) {
  return (n + block_size - 1) / block_size * block_bytes;
}

/// One q4_k sub-block's 6-bit scale and min codes.
struct Q4KScaleMin {
  std::uint8_t sc = 0;  ///< scale code: the sub-block scale is fp32(d) * sc
  std::uint8_t m = 0;   ///< min code: the subtracted min is fp32(dmin) * m
};

/// Unpacks sub-block `j` (0..7) from a q4_k scales[12] array (ggml get_scale_min_k4).
Q4KScaleMin q4_k_scale_min(std::span<const std::uint8_t, kQ4KScaleBytes> scales, int j);

/// Quantizes `x` into q4_0 blocks exactly as ggml quantize_row_q4_0_ref (RHU by truncation).
void quantize_row_q4_0(std::span<const float> x, std::span<std::uint8_t> out);
/// Dequantizes q4_0 blocks exactly as ggml dequantize_row_q4_0: y = (q - 8) * fp32(d).
void dequantize_row_q4_0(std::span<const std::uint8_t> blocks, std::span<float> out);

/// Quantizes `x` into q8_0 blocks exactly as ggml quantize_row_q8_0_ref (roundf, ties away).
void quantize_row_q8_0(std::span<const float> x, std::span<std::uint8_t> out);
/// Dequantizes q8_0 blocks exactly as ggml dequantize_row_q8_0: y = q * fp32(d).
void dequantize_row_q8_0(std::span<const std::uint8_t> blocks, std::span<float> out);

/// Quantizes `x` into q4_k super-blocks exactly as ggml quantize_row_q4_K_ref (no imatrix).
void quantize_row_q4_k(std::span<const float> x, std::span<std::uint8_t> out);
/// Dequantizes q4_k super-blocks exactly as ggml dequantize_row_q4_K: y = d*sc*q - dmin*m.
void dequantize_row_q4_k(std::span<const std::uint8_t> blocks, std::span<float> out);

}  // namespace mpsim::num
