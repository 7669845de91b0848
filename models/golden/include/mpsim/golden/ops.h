// DESCRIPTION: FP32 golden non-GEMM operators (softmax in two pinned algorithms, LayerNorm,
// RMSNorm, GELU erf/tanh, SiLU, ReLU, elementwise add/mul), per-row output quantization, and FP64
// references for error reporting. Every operation order and rounding point is pinned
// (docs/golden-ops.md). SPDX-License-Identifier: Apache-2.0
//
// Determinism: the FP32 ops call glibc's expf/erff/tanhf/sqrtf. sqrtf is correctly rounded; the
// others are deterministic on a given libm but not correctly rounded, so bit-exact checks across
// models (PE models, CUDA) use the integer-only ops of ivit.h, and these ops are compared with a
// tolerance or against the FP64 references.
//
// Example:
//   Matrix p = softmax(scores);                                  // three-pass, row by row
//   Matrix y = quantize_output(layernorm(x, gamma, beta), num::FormatSpec{"fp8_e4m3"});
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "mpsim/golden/matrix.h"
#include "mpsim/numerics/quantizer.h"

namespace mpsim::golden {

/// The two softmax algorithms (they round differently; each is deterministic).
enum class SoftmaxAlgo : std::uint8_t {
  /// m = max_j x_j; s = sum_j expf(x_j - m) in ascending j (FP32); y_j = expf(x_j - m) / s.
  kThreePass,
  /// Online (one pass for max and sum): m_j = max(m_{j-1}, x_j),
  /// d_j = d_{j-1} * expf(m_{j-1} - m_j) + expf(x_j - m_j) (two FP32 roundings, no FMA);
  /// y_j = expf(x_j - m_n) / d_n.
  kTwoPassOnline,
};

/// Name of an algorithm ("three_pass", "two_pass_online").
const char* softmax_algo_name(SoftmaxAlgo a);

/// Softmax over the last dimension (each row) of `x`. A row holding a NaN, or only -inf, gives NaN.
Matrix softmax(const Matrix& x, SoftmaxAlgo algo = SoftmaxAlgo::kThreePass);
/// LayerNorm per row: mean = (sum x, ascending, FP32) / n; var = (sum (x - mean)^2, ascending,
/// FP32) / n; y = ((x - mean) / sqrtf(var + eps)) * gamma + beta. Empty gamma means 1, empty beta
/// 0; otherwise their length must be x.cols (std::invalid_argument).
Matrix layernorm(const Matrix& x, std::span<const float> gamma, std::span<const float> beta,
                 float eps = 1e-5f);
/// RMSNorm per row: ms = (sum x^2, ascending, FP32) / n; y = (x / sqrtf(ms + eps)) * gamma.
Matrix rmsnorm(const Matrix& x, std::span<const float> gamma, float eps = 1e-6f);
/// GELU, erf form as PyTorch's CPU kernel: (x * 0.5f) * (1.0f + erff(x * fp32(1/sqrt(2)))).
Matrix gelu(const Matrix& x);
/// GELU, tanh form: (0.5f * x) * (1.0f + tanhf(fp32(sqrt(2/pi)) * (x + 0.044715f * ((x*x)*x)))).
Matrix gelu_tanh(const Matrix& x);
/// SiLU: x / (1.0f + expf(-x)).
Matrix silu(const Matrix& x);
/// ReLU: x if x > 0, NaN kept, otherwise +0.0f (also for -0.0f).
Matrix relu(const Matrix& x);
/// Elementwise a + b; shapes must match (std::invalid_argument).
Matrix add(const Matrix& a, const Matrix& b);
/// Elementwise a * b; shapes must match (std::invalid_argument).
Matrix mul(const Matrix& a, const Matrix& b);

/// Quantizes each row of `x` with format `f` (blocks/groups run along the row) and returns the
/// dequantized FP32 values; "fp32" returns x unchanged. Throws ConfigError on a bad format.
Matrix quantize_output(const Matrix& x, const num::FormatSpec& f);

// FP64 references (row-major, same shape as the input), computed from the FP32 inputs in double
// with the C library's double functions: for error statistics, not for bit-exact comparison.

/// Softmax in double (max-subtracted).
std::vector<double> softmax_f64(const Matrix& x);
/// LayerNorm in double; gamma/beta as in layernorm().
std::vector<double> layernorm_f64(const Matrix& x, std::span<const float> gamma,
                                  std::span<const float> beta, double eps = 1e-5);
/// RMSNorm in double.
std::vector<double> rmsnorm_f64(const Matrix& x, std::span<const float> gamma, double eps = 1e-6);
/// GELU (erf form) in double.
std::vector<double> gelu_f64(const Matrix& x);
/// GELU (tanh form) in double.
std::vector<double> gelu_tanh_f64(const Matrix& x);
/// SiLU in double.
std::vector<double> silu_f64(const Matrix& x);

}  // namespace mpsim::golden
