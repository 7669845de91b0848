// DESCRIPTION: I-ViT integer-only Shiftmax, ShiftGELU and I-LayerNorm (PyTorch-model and TVM-graph
// variants) and HAWQ-V3 requantization of accumulator matrices (numerics.md §10, §11).
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/golden/ivit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "mpsim/numerics/dyadic.h"

namespace mpsim::golden {
namespace {

constexpr std::int64_t kInt31 = (std::int64_t{1} << 31) - 1;  // 2^31 - 1
constexpr std::int64_t kExpCap = std::int64_t{1} << 62;

// Floor division for a negative divisor or any dividend (C++ '/' truncates).
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// v * 2^k, capped at kExpCap; v > 0, k >= 0.
std::pair<std::int64_t, bool> shl_capped(std::int64_t v, std::int64_t k) {
  if (k >= 62 || v > (kExpCap >> k)) return {kExpCap, true};
  return {v << k, false};
}

}  // namespace

const char* ivit_variant_name(IVitVariant v) { return v == IVitVariant::kTvm ? "tvm" : "pytorch"; }

std::int64_t ivit_x0(double s, IVitVariant v) {
  if (!(s > 0) || !std::isfinite(s))
    throw std::invalid_argument("I-ViT scale must be positive and finite");
  double x0 = 0;
  if (v == IVitVariant::kPyTorch) {
    // torch.floor(-1.0 / scaling_factor) on an FP32 tensor: one FP32 division, then floor.
    const float q = -1.0f / static_cast<float>(s);
    x0 = std::floor(static_cast<double>(q));
  } else {
    // relay.const(-1.0 / input_scale - 1, "int32"): Python double arithmetic, C cast truncates.
    x0 = std::trunc(-1.0 / s - 1.0);
  }
  if (!(x0 >= static_cast<double>(std::numeric_limits<std::int32_t>::min())))
    throw std::invalid_argument("I-ViT scale too small: x0 = -1/S does not fit int32");
  return static_cast<std::int64_t>(x0);
}

ShiftExpTrace int_exp_shift_trace(std::int64_t x_int, double s, int n, IVitVariant v) {
  if (n < 0 || n > 40) throw std::invalid_argument("I-ViT shift-exp n must be in [0, 40]");
  ShiftExpTrace t;
  // x * log2(e) ~ x * (1 + 1/2 - 1/16); >> on a negative int is floor in both references.
  t.x_log2e = x_int + floor_div(x_int, 2) - floor_div(x_int, 16);
  t.x0 = ivit_x0(s, v);
  t.x_clamped = std::max(t.x_log2e, n * t.x0);
  // relay's integer divide truncates; it equals floor whenever x_clamped <= 0 (q >= 0).
  t.q = v == IVitVariant::kPyTorch ? floor_div(t.x_clamped, t.x0) : t.x_clamped / t.x0;
  t.r = t.x_clamped - t.x0 * t.q;
  const std::int64_t k = n - t.q;  // >= 0 because x_clamped >= n * x0
  if (v == IVitVariant::kPyTorch) {
    // floor((r/2 - x0) * 2^k) = floor((r - 2 x0) * 2^k / 2), r/2 kept exact.
    const std::int64_t twice = t.r - 2 * t.x0;
    if (k == 0) {
      t.value = floor_div(twice, 2);
    } else {
      auto [val, capped] = shl_capped(twice, k - 1);
      t.value = val;
      t.capped = capped;
    }
    t.value = std::max<std::int64_t>(t.value, 0);
  } else {
    const std::int64_t base = floor_div(t.r, 2) - t.x0;  // (r >> 1) - x0
    auto [val, capped] = shl_capped(base, k);
    t.value = val;
    t.capped = capped;
  }
  return t;
}

std::int64_t int_exp_shift(std::int64_t x_int, double s, int n, IVitVariant v) {
  return int_exp_shift_trace(x_int, s, n, v).value;
}

ShiftmaxResult shiftmax(std::span<const std::int32_t> x_int, float s, IVitVariant v) {
  ShiftmaxResult res;
  res.n = v == IVitVariant::kTvm ? 16 : 15;
  if (x_int.empty()) return res;
  const std::int64_t m = *std::max_element(x_int.begin(), x_int.end());
  res.exp.resize(x_int.size());
  std::int64_t sum = 0;
  for (std::size_t j = 0; j < x_int.size(); ++j) {
    res.exp[j] = int_exp_shift(static_cast<std::int64_t>(x_int[j]) - m, s, res.n, v);
    sum = std::min(sum + res.exp[j], kExpCap);
  }
  res.sum_clamped = sum > kInt31;
  res.sum = std::min(sum, kInt31);
  res.factor = kInt31 / res.sum;  // sum >= 1: the max element's exp is -x0 * 2^n >= 2^n
  res.y.resize(x_int.size());
  for (std::size_t j = 0; j < x_int.size(); ++j) {
    // e <= sum unless clamped, so e * factor <= 2^31 - 1 and y <= 127.
    const std::int64_t e = std::min(res.exp[j], res.sum);
    res.y[j] = static_cast<std::uint8_t>((e * res.factor) >> 24);
  }
  return res;
}

ShiftGeluResult shiftgelu(std::span<const std::int32_t> x_int, float s, IVitVariant v) {
  ShiftGeluResult res;
  // PyTorch: float32 tensor * 1.702 computes in FP32 (the scalar becomes 1.702f).
  res.s_prime =
      v == IVitVariant::kPyTorch ? static_cast<double>(s * 1.702f) : static_cast<double>(s) * 1.702;
  if (x_int.empty()) return res;
  constexpr int kN = 23;
  const std::int64_t m = *std::max_element(x_int.begin(), x_int.end());
  const std::int64_t e_max = int_exp_shift(-m, res.s_prime, kN, v);
  res.y.resize(x_int.size());
  res.sigmoid.resize(x_int.size());
  for (std::size_t j = 0; j < x_int.size(); ++j) {
    const std::int64_t e =
        int_exp_shift(static_cast<std::int64_t>(x_int[j]) - m, res.s_prime, kN, v);
    std::int64_t sum = std::min(e + e_max, kExpCap);
    if (sum > kInt31) {
      res.sum_clamped = true;
      sum = kInt31;
    }
    const std::int64_t factor = kInt31 / sum;
    const std::int64_t ec = std::min(e, sum);
    const auto sig = static_cast<std::int32_t>((ec * factor) >> 24);
    res.sigmoid[j] = sig;
    res.y[j] = static_cast<std::int64_t>(x_int[j]) * sig;
  }
  return res;
}

ILayerNormResult i_layernorm(std::span<const std::int32_t> x_int,
                             std::span<const std::int64_t> bias_int, IVitVariant v) {
  if (!bias_int.empty() && bias_int.size() != x_int.size())
    throw std::invalid_argument("i_layernorm: bias_int must be empty or have one entry per value");
  ILayerNormResult res;
  if (x_int.empty()) return res;
  const auto n = static_cast<std::int64_t>(x_int.size());
  std::int64_t sum = 0;
  for (const std::int32_t x : x_int) sum += x;
  if (v == IVitVariant::kPyTorch) {
    // round_ste = torch.round (ties to even), applied to the exact mean.
    std::int64_t q = floor_div(sum, n);
    const std::int64_t rem2 = 2 * (sum - q * n);  // 2 * remainder in [0, 2n)
    if (rem2 > n || (rem2 == n && (q & 1) != 0)) ++q;
    res.mean = q;
  } else {
    res.mean = sum / n;  // int32 relay.mean: C truncation
  }
  std::vector<std::int64_t> y(x_int.size());
  for (std::size_t j = 0; j < x_int.size(); ++j) {
    y[j] = x_int[j] - res.mean;
    res.var += y[j] * y[j];
  }
  std::int64_t k = std::int64_t{1} << 16;
  for (int it = 0; it < 10; ++it) k = (k + res.var / k) / 2;  // all operands >= 0: '/' is floor
  res.std = k;                                                // >= 2^6: each step at least halves k
  res.factor = kInt31 / k;
  res.y.resize(x_int.size());
  for (std::size_t j = 0; j < x_int.size(); ++j) {
    const std::int64_t p = y[j] * res.factor;
    res.y[j] = (v == IVitVariant::kPyTorch ? floor_div(p, 2) : p / 2) +
               (bias_int.empty() ? 0 : bias_int[j]);
  }
  return res;
}

float i_layernorm_scale(std::int64_t n) {
  const float dim_sqrt = std::sqrt(static_cast<float>(n));
  return dim_sqrt / 1073741824.0f;  // / 2^30, exact
}

std::vector<std::int64_t> i_layernorm_bias(std::span<const float> gamma,
                                           std::span<const float> beta) {
  if (gamma.size() != beta.size())
    throw std::invalid_argument("i_layernorm_bias: gamma and beta lengths differ");
  const float scale = i_layernorm_scale(static_cast<std::int64_t>(gamma.size()));
  std::vector<std::int64_t> out(gamma.size());
  for (std::size_t c = 0; c < gamma.size(); ++c) {
    const float b = beta[c] / gamma[c];
    out[c] = static_cast<std::int64_t>(std::floor(b / scale));
  }
  return out;
}

std::vector<std::int32_t> requantize_matrix(std::span<const std::int32_t> acc, std::int64_t rows,
                                            std::int64_t cols, std::span<const float> s_in,
                                            float s_out, const RequantizeOptions& o) {
  if (rows < 0 || cols < 0 || acc.size() != static_cast<std::size_t>(rows * cols))
    throw std::invalid_argument("requantize_matrix: acc size is not rows x cols");
  if (s_in.size() != 1 && static_cast<std::int64_t>(s_in.size()) != cols)
    throw std::invalid_argument("requantize_matrix: s_in needs 1 or cols scales");
  if (o.bits < 1 || o.bits > 32)
    throw std::invalid_argument("requantize_matrix: bits must be in [1, 32]");
  auto ok = [](float f) { return f > 0 && std::isfinite(f); };
  if (!ok(s_out) || !std::all_of(s_in.begin(), s_in.end(), ok))
    throw std::invalid_argument("requantize_matrix: scales must be positive and finite");
  if (!o.is_signed && o.bits == 32)
    throw std::invalid_argument("requantize_matrix: uint32 does not fit the int32 output");
  std::vector<num::Dyadic> d(s_in.size());
  for (std::size_t j = 0; j < s_in.size(); ++j) d[j] = num::dyadic_from_scales(s_in[j], s_out);
  std::vector<std::int32_t> out(acc.size());
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t j = 0; j < cols; ++j) {
      const auto idx = static_cast<std::size_t>(i * cols + j);
      const num::Dyadic& dj = d[d.size() == 1 ? 0 : static_cast<std::size_t>(j)];
      out[idx] =
          static_cast<std::int32_t>(num::requantize(acc[idx], dj, o.bits, o.is_signed, o.rounding));
    }
  return out;
}

}  // namespace mpsim::golden
