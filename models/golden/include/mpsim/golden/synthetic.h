// DESCRIPTION: Seeded synthetic tensors for when no checkpoint is given, with the distributions the
// quantization literature reports for LLMs and ViTs (per-channel weight scales with heavy tails,
// activation outlier channels, a few massive activations, power-law attention probabilities).
// Bit-identical across platforms: a fixed PRNG (splitmix64 -> xoshiro256**) and hand-written
// transforms, no std:: distributions (whose output is implementation-defined).
// SPDX-License-Identifier: Apache-2.0
//
// Example:
//   auto w = synthetic_weights(4096, 11008, WeightDistribution{}, /*seed=*/1);  // K x N, row-major
//   auto x = synthetic_activations(32, 4096, ActivationDistribution{}, 2);      // tokens x channels
#pragma once

#include <cstdint>
#include <vector>

namespace mpsim::golden {

/// A small, fast, reproducible generator (xoshiro256** seeded by splitmix64).
class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  std::uint64_t next();
  double uniform();        ///< in [0, 1), 53 random bits
  double normal();         ///< standard normal (Box-Muller, both values used)
  double student_t(double dof);  ///< Student-t with `dof` degrees of freedom (heavy tails)
  double lognormal(double sigma) ;  ///< exp(sigma * normal())

 private:
  std::uint64_t s_[4];
  bool has_spare_ = false;
  double spare_ = 0;
};

/// LLM/ViT linear-layer weights (K inputs x N outputs). Per output channel the scale is
/// lognormal (channel-to-channel spread as in AWQ/SmoothQuant's per-channel statistics), elements
/// are Student-t (heavy tails; dof 4-6 fits reported weight kurtosis), and a small fraction of
/// elements are outliers several times the channel's scale (the salient weights AWQ protects).
struct WeightDistribution {
  double std = 0.02;              ///< typical element std (Llama-class init ~ 1/sqrt(hidden))
  double channel_sigma = 0.3;     ///< lognormal sigma of per-output-channel scales
  double dof = 5.0;               ///< Student-t degrees of freedom
  double outlier_fraction = 1e-3; ///< fraction of elements replaced by outliers
  double outlier_scale = 8.0;     ///< outlier magnitude in channel-std units
};

/// LLM activations (tokens x channels). A few channels carry systematically large values
/// (LLM.int8(): ~0.1-0.5% of hidden dims with |x| >= 6, up to ~20x the rest), and a handful of
/// (token, channel) entries are "massive activations" (Sun et al. 2024: ~1000x the median, at the
/// first token in fixed channels).
struct ActivationDistribution {
  double std = 1.0;
  double outlier_channel_fraction = 0.005;
  double outlier_channel_scale = 20.0;
  int massive_count = 2;            ///< massive entries (at token 0, in fixed channels)
  double massive_scale = 1000.0;
};

/// ViT post-softmax attention probabilities (rows sum to 1): power-law sorted magnitudes
/// p_(r) ~ r^-alpha over keys, randomly permuted per row (PTQ4ViT/RepQ-ViT: a few large values,
/// a long tail near zero).
struct AttentionDistribution {
  double alpha = 1.2;
};

/// Returns a row-major K x N weight matrix.
std::vector<float> synthetic_weights(std::int64_t k, std::int64_t n, const WeightDistribution& d,
                                     std::uint64_t seed);
/// Returns a row-major tokens x channels activation matrix.
std::vector<float> synthetic_activations(std::int64_t tokens, std::int64_t channels,
                                         const ActivationDistribution& d, std::uint64_t seed);
/// Returns a row-major rows x keys matrix of attention probabilities (each row sums to ~1).
std::vector<float> synthetic_attention_probs(std::int64_t rows, std::int64_t keys,
                                             const AttentionDistribution& d, std::uint64_t seed);

}  // namespace mpsim::golden
