// DESCRIPTION: GPTQ (AutoGPTQ QuantLinear) and AWQ (AutoAWQ WQLinear_GEMM) packed int32 weight
// layouts: unpack qweight/qzeros/scales (+ GPTQ g_idx) into codes, zero points and FP16 scales,
// dequantize to an FP32 K x N matrix, and pack back. workloads.md §2.4, numerics.md §9.
// SPDX-License-Identifier: Apache-2.0
//
// Layouts (K = in_features, N = out_features, G = number of groups, p = 32 / bits):
//   GPTQ qweight int32[K/p, N]   code of (k, n) in word (k/p, n) at bits [bits*(k%p), +bits)
//        qzeros  int32[G, N/p]   zero of (g, n) in word (g, n/p) at bits [bits*(n%p), +bits),
//                                stored as zero - 1 in the classic (v1) format
//        scales  fp16[G, N], G = ceil(K / group); g_idx int32[K] (group of each row, optional)
//   AWQ  qweight int32[K, N/8]   4-bit only; nibble i of word (k, c) holds column 8c + order[i]
//        qzeros  int32[G, N/8]   with order = {0, 2, 4, 6, 1, 3, 5, 7}
//        scales  fp16[G, N], G = K / group (K must be a multiple of the group)
//
// Dequantization: w[k][n] = float(q - z) * fp32(scale), with z and scale of row k's group. It is
// one FP32 multiply of a small exact integer (|q - z| <= 256, 9 bits) by an FP16 value (11
// significant bits), so the product is exact: the same value as num::int4_decode() and as the
// FP32 reference dequantization, and one FP16 rounding away from the kernels' FP16 outputs.
//
// Example:
//   GroupQuantWeight w = load_gptq(file, "model.layers.0.mlp.down_proj", {.bits = 4});
//   std::vector<float> dense = w.dequantize();   // K x N, row-major
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "mpsim/workload/safetensors_file.h"

namespace mpsim::workload {

/// A group-quantized weight matrix, unpacked: element (k, n) is input row k, output column n.
struct GroupQuantWeight {
  std::size_t k = 0;   ///< in_features (rows)
  std::size_t n = 0;   ///< out_features (columns)
  int bits = 4;        ///< bits per code
  int group_size = 0;  ///< rows per group (K for one group per column, "group_size: -1")
  std::vector<std::uint8_t> codes;    ///< k * n codes in [0, 2^bits), row-major [k][n]
  std::vector<std::uint16_t> zeros;   ///< groups() * n zero points as subtracted, [g][n]
  std::vector<std::uint16_t> scales;  ///< groups() * n FP16 scale bit patterns, [g][n]
  std::vector<std::int32_t> g_idx;    ///< k entries: the group of each row

  /// Number of groups (rows of zeros/scales).
  std::size_t groups() const { return n == 0 ? 0 : scales.size() / n; }
  /// The K x N FP32 matrix, row-major: float(q - z) * fp32(scale) (exact, see the file header).
  std::vector<float> dequantize() const;
};

/// GPTQ checkpoint conventions.
struct GptqOptions {
  int bits = 4;          ///< 2, 4 or 8 (3-bit packing straddles words and is not supported)
  int group_size = 128;  ///< rows per group; <= 0 means one group spanning K
  /// Classic AutoGPTQ ("gptq", v1) stores zero - 1 in qzeros and adds 1 when loading, so a
  /// stored field of all ones loads as 2^bits and a zero point of 0 cannot be stored. false
  /// reads and writes zeros unchanged (GPTQModel's "gptq_v2" checkpoint format).
  bool gptq_v1_zero_offset = true;
};

/// GPTQ packed tensors, flattened row-major with the shapes in the file header.
struct GptqPacked {
  std::vector<std::int32_t> qweight;  ///< [K * bits / 32, N]
  std::vector<std::int32_t> qzeros;   ///< [G, N * bits / 32]
  std::vector<std::uint16_t> scales;  ///< [G, N] FP16 bits
  std::vector<std::int32_t> g_idx;    ///< [K], or empty for the default k / group_size
};

/// AWQ packed tensors (4-bit, GEMM layout), flattened row-major.
struct AwqPacked {
  std::vector<std::int32_t> qweight;  ///< [K, N / 8]
  std::vector<std::int32_t> qzeros;   ///< [K / group, N / 8]
  std::vector<std::uint16_t> scales;  ///< [K / group, N] FP16 bits
};

/// AutoAWQ's nibble order: nibble i of a packed word holds column 8c + kAwqOrder[i].
inline constexpr int kAwqOrder[8] = {0, 2, 4, 6, 1, 3, 5, 7};

/// Unpacks GPTQ tensors of a K x N layer. Throws ConfigError naming the tensor when a size does
/// not match the shapes above, bits is unsupported, or a g_idx entry is out of range.
GroupQuantWeight unpack_gptq(const GptqPacked& packed, std::size_t k, std::size_t n,
                             const GptqOptions& options = {});
/// Packs into the GPTQ layout (AutoGPTQ pack(), without its sign-extension bug for zero 0).
/// Throws ConfigError for codes/zeros out of range, or a zero point of 0 with the v1 offset.
GptqPacked pack_gptq(const GroupQuantWeight& w, const GptqOptions& options = {});

/// Unpacks AWQ tensors of a K x N layer with `group_size` rows per group (4-bit).
GroupQuantWeight unpack_awq(const AwqPacked& packed, std::size_t k, std::size_t n,
                            int group_size = 128);
/// Packs into the AWQ GEMM layout (w.bits must be 4, K a multiple of the group, N of 8).
AwqPacked pack_awq(const GroupQuantWeight& w);

/// Reads `<prefix>.qweight`, `.qzeros`, `.scales` (and `.g_idx` if present) from a safetensors
/// file, takes K and N from the qweight shape, and unpacks them.
GroupQuantWeight load_gptq(const SafetensorsFile& file, std::string_view prefix,
                           const GptqOptions& options = {});
/// Same for AWQ (`<prefix>.qweight`, `.qzeros`, `.scales`).
GroupQuantWeight load_awq(const SafetensorsFile& file, std::string_view prefix,
                          int group_size = 128);

}  // namespace mpsim::workload
