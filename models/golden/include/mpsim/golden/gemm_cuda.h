// DESCRIPTION: The CUDA golden GEMM: the same API, semantics and bits as golden::gemm_quantized.
// Operands are quantized on the host (one quantizer implementation), packed into plain arrays
// (PackedGemm), and the GEMM arithmetic runs on the device from gemm_device_math.h. The same
// packed problem can be replayed on the host, which is how the device math is tested without a GPU.
// SPDX-License-Identifier: Apache-2.0
//
// Example:
//   if (golden::cuda_available()) c = golden::gemm_quantized_cuda(qa, qb, opts);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mpsim/golden/gemm.h"
#include "mpsim/golden/matrix.h"

namespace mpsim::golden {

/// A GEMM problem in the plain arrays a device kernel reads. B is stored by columns (N x K).
struct PackedGemm {
  GemmSemantics semantics = GemmSemantics::kFp32Fma;
  std::string acc;  ///< "fp32", "int32", "int32_sat", "int64"
  std::int64_t m = 0, n = 0, k = 0;
  std::vector<float> a_f32, b_f32;         ///< kFp32Fma: dequantized operands (M x K, N x K)
  std::vector<std::int32_t> a_i32, b_i32;  ///< kInteger: integer values (M x K, N x K)
  // kBlockExact: element integers k (value k * 2^ulp), per-block exponents (scale + ulp), NaN
  // flags.
  std::int64_t block = 0, nblocks = 0;
  std::vector<std::int64_t> a_k, b_k;      ///< M x K, N x K
  std::vector<std::int32_t> a_exp, b_exp;  ///< M x nblocks, N x nblocks
  std::vector<std::uint8_t> a_nan, b_nan;  ///< M x nblocks, N x nblocks (NaN scale or element)
};

/// Picks the semantics gemm_quantized would use and packs the operands for it.
/// Throws ConfigError for options the device path does not support (block rounding other than rne).
PackedGemm pack_gemm(const QuantMatrix& qa, const QuantMatrix& qb, const GemmOptions& o);

/// Runs a packed problem on the host with the device arithmetic (gemm_device_math.h).
GemmResult run_packed_on_host(const PackedGemm& p);

/// True when a CUDA device can run the golden GEMM; otherwise `why` says why (built without
/// CUDA, no device, driver too old).
bool cuda_available(std::string* why = nullptr);

/// golden::gemm_quantized on the GPU. Throws ConfigError when no device is available.
GemmResult gemm_quantized_cuda(const QuantMatrix& qa, const QuantMatrix& qb, const GemmOptions& o);

}  // namespace mpsim::golden
