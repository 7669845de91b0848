// DESCRIPTION: FP32 golden non-GEMM operators with pinned operation order, and their FP64
// references (docs/golden-ops.md).
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/golden/ops.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace mpsim::golden {
namespace {

Matrix same_shape(const Matrix& x) {
  Matrix y;
  y.rows = x.rows;
  y.cols = x.cols;
  y.data.assign(x.data.size(), 0.0f);
  return y;
}

void check_shape(const Matrix& x, const char* what) {
  if (x.rows < 0 || x.cols < 0 ||
      x.data.size() != static_cast<std::size_t>(x.rows) * static_cast<std::size_t>(x.cols))
    throw std::invalid_argument(std::string(what) + ": data size does not match rows x cols");
}

void check_affine(std::span<const float> p, const Matrix& x, const char* what) {
  if (!p.empty() && static_cast<std::int64_t>(p.size()) != x.cols)
    throw std::invalid_argument(std::string(what) + ": length " + std::to_string(p.size()) +
                                " is neither 0 nor cols = " + std::to_string(x.cols));
}

template <typename F>
Matrix map(const Matrix& x, const char* what, F f) {
  check_shape(x, what);
  Matrix y = same_shape(x);
  for (std::size_t i = 0; i < x.data.size(); ++i) y.data[i] = f(x.data[i]);
  return y;
}

template <typename F>
std::vector<double> map_f64(const Matrix& x, const char* what, F f) {
  check_shape(x, what);
  std::vector<double> y(x.data.size());
  for (std::size_t i = 0; i < x.data.size(); ++i) y[i] = f(static_cast<double>(x.data[i]));
  return y;
}

template <typename F>
Matrix zip(const Matrix& a, const Matrix& b, const char* what, F f) {
  check_shape(a, what);
  check_shape(b, what);
  if (a.rows != b.rows || a.cols != b.cols)
    throw std::invalid_argument(std::string(what) + ": shapes differ");
  Matrix y = same_shape(a);
  for (std::size_t i = 0; i < a.data.size(); ++i) y.data[i] = f(a.data[i], b.data[i]);
  return y;
}

// Rounded to FP32 once, as PyTorch's float kernels hold them.
constexpr float kInvSqrt2 = static_cast<float>(0.70710678118654752440);
constexpr float kSqrt2OverPi = static_cast<float>(0.79788456080286535588);
constexpr float kGeluKappa = 0.044715f;

}  // namespace

const char* softmax_algo_name(SoftmaxAlgo a) {
  return a == SoftmaxAlgo::kThreePass ? "three_pass" : "two_pass_online";
}

Matrix softmax(const Matrix& x, SoftmaxAlgo algo) {
  check_shape(x, "softmax");
  Matrix y = same_shape(x);
  const auto n = static_cast<std::size_t>(x.cols);
  for (std::int64_t i = 0; i < x.rows; ++i) {
    const float* xr = x.data.data() + static_cast<std::size_t>(i) * n;
    float* yr = y.data.data() + static_cast<std::size_t>(i) * n;
    float m = -std::numeric_limits<float>::infinity();
    float s = 0.0f;
    bool nan = false;
    if (algo == SoftmaxAlgo::kThreePass) {
      for (std::size_t j = 0; j < n; ++j) {
        nan |= std::isnan(xr[j]);
        if (xr[j] > m) m = xr[j];
      }
      for (std::size_t j = 0; j < n; ++j) {
        yr[j] = std::exp(xr[j] - m);
        s += yr[j];
      }
    } else {
      for (std::size_t j = 0; j < n; ++j) {
        nan |= std::isnan(xr[j]);
        const float mj = xr[j] > m ? xr[j] : m;
        // m == mj also covers -inf == -inf, where expf(m - mj) would be expf(NaN).
        const float rescale = m == mj ? 1.0f : std::exp(m - mj);
        const float scaled = s * rescale;
        // While the running max is -inf every term so far is exp(-inf) = 0 (masked keys).
        const float term = std::isinf(mj) && mj < 0 ? 0.0f : std::exp(xr[j] - mj);
        s = scaled + term;
        m = mj;
      }
      for (std::size_t j = 0; j < n; ++j) yr[j] = std::exp(xr[j] - m);
    }
    // A NaN input is skipped by the max (x > m is false), so it is propagated explicitly.
    const float nanv = std::numeric_limits<float>::quiet_NaN();
    for (std::size_t j = 0; j < n; ++j) yr[j] = nan ? nanv : yr[j] / s;
  }
  return y;
}

Matrix layernorm(const Matrix& x, std::span<const float> gamma, std::span<const float> beta,
                 float eps) {
  check_shape(x, "layernorm");
  check_affine(gamma, x, "layernorm gamma");
  check_affine(beta, x, "layernorm beta");
  Matrix y = same_shape(x);
  const auto n = static_cast<std::size_t>(x.cols);
  const auto nf = static_cast<float>(x.cols);
  for (std::int64_t i = 0; i < x.rows; ++i) {
    const float* xr = x.data.data() + static_cast<std::size_t>(i) * n;
    float* yr = y.data.data() + static_cast<std::size_t>(i) * n;
    float sum = 0.0f;
    for (std::size_t j = 0; j < n; ++j) sum += xr[j];
    const float mean = sum / nf;
    float sq = 0.0f;
    for (std::size_t j = 0; j < n; ++j) {
      const float d = xr[j] - mean;
      sq += d * d;
    }
    const float denom = std::sqrt(sq / nf + eps);
    for (std::size_t j = 0; j < n; ++j) {
      float v = (xr[j] - mean) / denom;
      if (!gamma.empty()) v = v * gamma[j];
      if (!beta.empty()) v = v + beta[j];
      yr[j] = v;
    }
  }
  return y;
}

Matrix rmsnorm(const Matrix& x, std::span<const float> gamma, float eps) {
  check_shape(x, "rmsnorm");
  check_affine(gamma, x, "rmsnorm gamma");
  Matrix y = same_shape(x);
  const auto n = static_cast<std::size_t>(x.cols);
  const auto nf = static_cast<float>(x.cols);
  for (std::int64_t i = 0; i < x.rows; ++i) {
    const float* xr = x.data.data() + static_cast<std::size_t>(i) * n;
    float* yr = y.data.data() + static_cast<std::size_t>(i) * n;
    float sq = 0.0f;
    for (std::size_t j = 0; j < n; ++j) sq += xr[j] * xr[j];
    const float denom = std::sqrt(sq / nf + eps);
    for (std::size_t j = 0; j < n; ++j) {
      float v = xr[j] / denom;
      if (!gamma.empty()) v = v * gamma[j];
      yr[j] = v;
    }
  }
  return y;
}

Matrix gelu(const Matrix& x) {
  return map(x, "gelu", [](float v) { return (v * 0.5f) * (1.0f + std::erf(v * kInvSqrt2)); });
}

Matrix gelu_tanh(const Matrix& x) {
  return map(x, "gelu_tanh", [](float v) {
    const float cube = (v * v) * v;
    const float inner = kSqrt2OverPi * (v + kGeluKappa * cube);
    return (0.5f * v) * (1.0f + std::tanh(inner));
  });
}

Matrix silu(const Matrix& x) {
  return map(x, "silu", [](float v) { return v / (1.0f + std::exp(-v)); });
}

Matrix relu(const Matrix& x) {
  return map(x, "relu", [](float v) { return v > 0.0f || std::isnan(v) ? v : 0.0f; });
}

Matrix add(const Matrix& a, const Matrix& b) {
  return zip(a, b, "add", [](float u, float v) { return u + v; });
}

Matrix mul(const Matrix& a, const Matrix& b) {
  return zip(a, b, "mul", [](float u, float v) { return u * v; });
}

Matrix quantize_output(const Matrix& x, const num::FormatSpec& f) {
  check_shape(x, "quantize_output");
  if (f.name == "fp32") return x;  // the unquantized format, as golden::gemm treats it
  const auto q = f.make_quantizer();
  Matrix y = same_shape(x);
  num::QuantizedRow row;
  const auto n = static_cast<std::size_t>(x.cols);
  for (std::int64_t i = 0; i < x.rows; ++i) {
    const std::size_t off = static_cast<std::size_t>(i) * n;
    q->quantize_into(std::span<const float>(x.data.data() + off, n), row);
    std::copy(row.values.begin(), row.values.end(),
              y.data.begin() + static_cast<std::ptrdiff_t>(off));
  }
  return y;
}

std::vector<double> softmax_f64(const Matrix& x) {
  check_shape(x, "softmax_f64");
  std::vector<double> y(x.data.size());
  const auto n = static_cast<std::size_t>(x.cols);
  for (std::int64_t i = 0; i < x.rows; ++i) {
    const float* xr = x.data.data() + static_cast<std::size_t>(i) * n;
    double* yr = y.data() + static_cast<std::size_t>(i) * n;
    double m = -std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < n; ++j) m = std::fmax(m, xr[j]);
    double s = 0.0;
    for (std::size_t j = 0; j < n; ++j) {
      yr[j] = std::exp(static_cast<double>(xr[j]) - m);
      s += yr[j];
    }
    for (std::size_t j = 0; j < n; ++j) yr[j] /= s;
  }
  return y;
}

std::vector<double> layernorm_f64(const Matrix& x, std::span<const float> gamma,
                                  std::span<const float> beta, double eps) {
  check_shape(x, "layernorm_f64");
  check_affine(gamma, x, "layernorm_f64 gamma");
  check_affine(beta, x, "layernorm_f64 beta");
  std::vector<double> y(x.data.size());
  const auto n = static_cast<std::size_t>(x.cols);
  for (std::int64_t i = 0; i < x.rows; ++i) {
    const float* xr = x.data.data() + static_cast<std::size_t>(i) * n;
    double* yr = y.data() + static_cast<std::size_t>(i) * n;
    double sum = 0.0;
    for (std::size_t j = 0; j < n; ++j) sum += xr[j];
    const double mean = sum / static_cast<double>(n);
    double sq = 0.0;
    for (std::size_t j = 0; j < n; ++j) sq += (xr[j] - mean) * (xr[j] - mean);
    const double denom = std::sqrt(sq / static_cast<double>(n) + eps);
    for (std::size_t j = 0; j < n; ++j)
      yr[j] = (xr[j] - mean) / denom * (gamma.empty() ? 1.0 : gamma[j]) +
              (beta.empty() ? 0.0 : beta[j]);
  }
  return y;
}

std::vector<double> rmsnorm_f64(const Matrix& x, std::span<const float> gamma, double eps) {
  check_shape(x, "rmsnorm_f64");
  check_affine(gamma, x, "rmsnorm_f64 gamma");
  std::vector<double> y(x.data.size());
  const auto n = static_cast<std::size_t>(x.cols);
  for (std::int64_t i = 0; i < x.rows; ++i) {
    const float* xr = x.data.data() + static_cast<std::size_t>(i) * n;
    double* yr = y.data() + static_cast<std::size_t>(i) * n;
    double sq = 0.0;
    for (std::size_t j = 0; j < n; ++j) sq += static_cast<double>(xr[j]) * xr[j];
    const double denom = std::sqrt(sq / static_cast<double>(n) + eps);
    for (std::size_t j = 0; j < n; ++j) yr[j] = xr[j] / denom * (gamma.empty() ? 1.0 : gamma[j]);
  }
  return y;
}

std::vector<double> gelu_f64(const Matrix& x) {
  return map_f64(x, "gelu_f64",
                 [](double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); });
}

std::vector<double> gelu_tanh_f64(const Matrix& x) {
  return map_f64(x, "gelu_tanh_f64", [](double v) {
    const double k = std::sqrt(2.0 / 3.14159265358979323846);
    return 0.5 * v * (1.0 + std::tanh(k * (v + 0.044715 * v * v * v)));
  });
}

std::vector<double> silu_f64(const Matrix& x) {
  return map_f64(x, "silu_f64", [](double v) { return v / (1.0 + std::exp(-v)); });
}

}  // namespace mpsim::golden
