// DESCRIPTION: Reproducible synthetic weights, activations and attention probabilities.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/golden/synthetic.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "mpsim/base/error.h"

namespace mpsim::golden {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

constexpr double kTwoPi = 6.283185307179586476925286766559;

}  // namespace

Rng::Rng(std::uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}

std::uint64_t Rng::next() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1p-53; }

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  spare_ = r * std::sin(kTwoPi * u2);
  has_spare_ = true;
  return r * std::cos(kTwoPi * u2);
}

double Rng::student_t(double dof) {
  // t = Z / sqrt(V / dof) with V chi-square(dof) as a sum of squared normals (dof rounded up) —
  // simple and exact in distribution for integer dof.
  const int k = std::max(1, static_cast<int>(std::ceil(dof)));
  double v = 0;
  for (int i = 0; i < k; ++i) {
    const double z = normal();
    v += z * z;
  }
  return normal() / std::sqrt(v / k);
}

double Rng::lognormal(double sigma) { return std::exp(sigma * normal()); }

std::vector<float> synthetic_weights(std::int64_t k, std::int64_t n, const WeightDistribution& d,
                                     std::uint64_t seed) {
  MPSIM_CHECK(k > 0 && n > 0, "synthetic_weights needs a positive shape");
  Rng rng(seed);
  std::vector<double> channel(static_cast<std::size_t>(n));
  for (auto& c : channel) c = d.std * rng.lognormal(d.channel_sigma);
  // Normalize the Student-t to unit variance (var = dof / (dof - 2)) so `std` means what it says.
  const double t_norm = d.dof > 2 ? std::sqrt((d.dof - 2) / d.dof) : 1.0;
  std::vector<float> w(static_cast<std::size_t>(k * n));
  for (std::int64_t i = 0; i < k; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      double v = rng.student_t(d.dof) * t_norm;
      if (rng.uniform() < d.outlier_fraction) v = (rng.uniform() < 0.5 ? -1 : 1) * d.outlier_scale;
      w[static_cast<std::size_t>(i * n + j)] = static_cast<float>(v * channel[static_cast<std::size_t>(j)]);
    }
  }
  return w;
}

std::vector<float> synthetic_activations(std::int64_t tokens, std::int64_t channels,
                                         const ActivationDistribution& d, std::uint64_t seed) {
  MPSIM_CHECK(tokens > 0 && channels > 0, "synthetic_activations needs a positive shape");
  Rng rng(seed);
  // Outlier channels are fixed per tensor (they persist across tokens, LLM.int8()).
  std::vector<double> scale(static_cast<std::size_t>(channels), d.std);
  const auto n_out = static_cast<std::int64_t>(std::ceil(d.outlier_channel_fraction * channels));
  for (std::int64_t i = 0; i < n_out; ++i)
    scale[static_cast<std::size_t>(rng.next() % static_cast<std::uint64_t>(channels))] =
        d.std * d.outlier_channel_scale;
  std::vector<float> x(static_cast<std::size_t>(tokens * channels));
  for (std::int64_t t = 0; t < tokens; ++t)
    for (std::int64_t c = 0; c < channels; ++c)
      x[static_cast<std::size_t>(t * channels + c)] =
          static_cast<float>(rng.normal() * scale[static_cast<std::size_t>(c)]);
  // Massive activations: at the first token, in fixed channels, with a fixed sign.
  for (int i = 0; i < d.massive_count; ++i) {
    const auto c = static_cast<std::int64_t>(rng.next() % static_cast<std::uint64_t>(channels));
    x[static_cast<std::size_t>(c)] = static_cast<float>(d.std * d.massive_scale * (i % 2 ? -1 : 1));
  }
  return x;
}

std::vector<float> synthetic_attention_probs(std::int64_t rows, std::int64_t keys,
                                             const AttentionDistribution& d, std::uint64_t seed) {
  MPSIM_CHECK(rows > 0 && keys > 0, "synthetic_attention_probs needs a positive shape");
  Rng rng(seed);
  std::vector<double> base(static_cast<std::size_t>(keys));
  for (std::int64_t r = 0; r < keys; ++r) base[static_cast<std::size_t>(r)] = std::pow(r + 1.0, -d.alpha);
  const double total = std::accumulate(base.begin(), base.end(), 0.0);
  std::vector<float> p(static_cast<std::size_t>(rows * keys));
  std::vector<std::int64_t> perm(static_cast<std::size_t>(keys));
  for (std::int64_t i = 0; i < rows; ++i) {
    std::iota(perm.begin(), perm.end(), 0);
    for (std::int64_t j = keys - 1; j > 0; --j) {  // Fisher-Yates with our own generator
      const auto s = static_cast<std::int64_t>(rng.next() % static_cast<std::uint64_t>(j + 1));
      std::swap(perm[static_cast<std::size_t>(j)], perm[static_cast<std::size_t>(s)]);
    }
    for (std::int64_t j = 0; j < keys; ++j)
      p[static_cast<std::size_t>(i * keys + perm[static_cast<std::size_t>(j)])] =
          static_cast<float>(base[static_cast<std::size_t>(j)] / total);
  }
  return p;
}

}  // namespace mpsim::golden
