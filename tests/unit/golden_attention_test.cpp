// DESCRIPTION: Golden attention: FP32 path against the FP64 reference, SageAttention2 INT4/FP8
// accuracy, GQA sharing, K smoothing, and KV-cache channel reordering (SQNR and invariance).
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "mpsim/base/error.h"
#include "mpsim/golden/attention.h"

namespace mpsim::golden {
namespace {

// A local generator (splitmix64) so the data do not depend on any other component.
class Gen {
 public:
  explicit Gen(std::uint64_t seed) : s_(seed) {}
  double uniform() {
    s_ += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = s_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (static_cast<double>(z >> 11) + 0.5) / 9007199254740992.0;  // (0, 1)
  }
  double normal() {
    return std::sqrt(-2.0 * std::log(uniform())) * std::cos(6.283185307179586 * uniform());
  }

 private:
  std::uint64_t s_;
};

Matrix gaussian(std::int64_t rows, std::int64_t cols, double std, std::uint64_t seed) {
  Gen g(seed);
  Matrix m;
  m.rows = rows;
  m.cols = cols;
  m.data.resize(static_cast<std::size_t>(rows * cols));
  for (auto& e : m.data) e = static_cast<float>(std * g.normal());
  return m;
}

// Repeats each of kv_heads heads `group` times (the explicit form of GQA).
Matrix repeat_heads(const Matrix& x, int kv_heads, int group) {
  const std::int64_t d = x.cols / kv_heads;
  Matrix y;
  y.rows = x.rows;
  y.cols = x.cols * group;
  y.data.resize(static_cast<std::size_t>(y.rows * y.cols));
  for (std::int64_t i = 0; i < x.rows; ++i)
    for (int h = 0; h < kv_heads * group; ++h)
      for (std::int64_t c = 0; c < d; ++c) y.at(i, h * d + c) = x.at(i, (h / group) * d + c);
  return y;
}

TEST(GoldenAttention, Fp32MatchesF64Reference) {
  const Matrix q = gaussian(16, 2 * 32, 1.0, 1), k = gaussian(48, 2 * 32, 1.0, 2),
               v = gaussian(48, 2 * 32, 1.0, 3);
  AttentionConfig c;
  c.heads = 2;
  c.kv_heads = 2;
  const AttentionResult r = attention(q, k, v, c);
  const std::vector<double> ref = attention_reference_f64(q, k, v, 2, 2, 1.0 / std::sqrt(32.0));
  double amax = 0;
  for (const double e : ref) amax = std::max(amax, std::fabs(e));
  for (std::size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(r.out.data[i], ref[i], 1e-5 * amax);
  EXPECT_GT(r.error.sqnr_db, 100.0);
  // Online softmax gives the same up to rounding.
  c.softmax = SoftmaxAlgo::kTwoPassOnline;
  const AttentionResult o = attention(q, k, v, c);
  for (std::size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(o.out.data[i], ref[i], 1e-5 * amax);
}

TEST(GoldenAttention, KSmoothingDoesNotChangeTheFp32Result) {
  // Channel means of K far from zero; subtracting them shifts each score row by a constant.
  Matrix k = gaussian(64, 32, 1.0, 5);
  for (std::int64_t t = 0; t < k.rows; ++t)
    for (std::int64_t ch = 0; ch < k.cols; ++ch) k.at(t, ch) += 0.5f * static_cast<float>(ch % 5);
  const Matrix q = gaussian(8, 32, 1.0, 4), v = gaussian(64, 32, 1.0, 6);
  AttentionConfig c;
  c.smooth_k = true;
  const AttentionResult r = attention(q, k, v, c);
  EXPECT_GT(r.error.sqnr_db, 100.0);
}

TEST(GoldenAttention, SageAttention2Int4Fp8Accuracy) {
  // Gaussian Q, K, V (std 1), head_dim 64, 256 keys, 2 heads. INT4 per-token Q/K keeps ~3 bits
  // of each score term; the measured SQNR is printed. Expected range: the QK^T error of two
  // per-token INT4 operands with Gaussian data is ~ -15 dB relative to the scores, and softmax
  // with scale 1/8 on scores of std ~1 attenuates it, FP8 P/V add ~-30 dB: > 15 dB is the
  // floor asserted (measured value in the report/docs).
  const Matrix q = gaussian(64, 128, 1.0, 11), k = gaussian(256, 128, 1.0, 12),
               v = gaussian(256, 128, 1.0, 13);
  AttentionConfig c = sage_attention2_config();
  c.heads = 2;
  c.kv_heads = 2;
  const AttentionResult r = attention(q, k, v, c);
  std::printf("SageAttention2 INT4-QK/FP8-PV on Gaussian data: SQNR %.2f dB, max_abs %.4g\n",
              r.error.sqnr_db, r.error.max_abs);
  EXPECT_GT(r.error.sqnr_db, 13.0);
  EXPECT_LT(r.error.sqnr_db, 60.0);  // it is a 4-bit path: a suspiciously exact result is a bug
  // K smoothing helps when K has a per-channel offset (the case SageAttention targets).
  Matrix k_off = k;
  for (std::int64_t t = 0; t < k_off.rows; ++t)
    for (std::int64_t ch = 0; ch < k_off.cols; ++ch) k_off.at(t, ch) += (ch % 7 == 0) ? 6.0f : 0.0f;
  const AttentionResult with = attention(q, k_off, v, c);
  c.smooth_k = false;
  const AttentionResult without = attention(q, k_off, v, c);
  std::printf("  K with channel offsets: smoothed %.2f dB, not smoothed %.2f dB\n",
              with.error.sqnr_db, without.error.sqnr_db);
  EXPECT_GT(with.error.sqnr_db, without.error.sqnr_db);
}

TEST(GoldenAttention, GqaEqualsExplicitlyRepeatedKv) {
  const Matrix q = gaussian(12, 4 * 16, 1.0, 21), k = gaussian(40, 2 * 16, 1.0, 22),
               v = gaussian(40, 2 * 16, 1.0, 23);
  const Matrix k4 = repeat_heads(k, 2, 2), v4 = repeat_heads(v, 2, 2);
  for (AttentionConfig c : {AttentionConfig{}, sage_attention2_config(),
                            kv_cache_config(num::FormatSpec::parse("bfp12/b8"), true)}) {
    c.heads = 4;
    c.kv_heads = 2;
    const AttentionResult gqa = attention(q, k, v, c);
    c.kv_heads = 4;
    const AttentionResult mha = attention(q, k4, v4, c);
    EXPECT_EQ(gqa.out.data, mha.out.data);
  }
  // MQA (one KV head) also runs.
  AttentionConfig m;
  m.heads = 4;
  m.kv_heads = 1;
  const Matrix k1 = gaussian(40, 16, 1.0, 24), v1 = gaussian(40, 16, 1.0, 25);
  EXPECT_GT(attention(q, k1, v1, m).error.sqnr_db, 100.0);
}

// K and V with a few outlier channels (20x), one per 32-channel block in the natural order.
void add_outlier_channels(Matrix& x, std::int64_t d) {
  for (std::int64_t i = 0; i < x.rows; ++i)
    for (std::int64_t col = 0; col < x.cols; ++col) {
      const std::int64_t ch = col % d;
      if (ch == 3 || ch == 40 || ch == 77 || ch == 110) x.at(i, col) *= 20.0f;
    }
}

TEST(GoldenAttention, KvCacheChannelReorderingImprovesBlockFormats) {
  // Outlier channels (20x) at 3, 40, 77, 110: one in each 32-channel block of the natural order,
  // so every BFP12 block's shared exponent is set by an outlier and the 3-bit mantissa flushes
  // the ordinary channels of that block to zero. Reordered, the four outliers share one block.
  // Case 1 has outliers in K and V; case 2 in K only (the common LLM pattern).
  const std::int64_t d = 128;
  const Matrix q = gaussian(32, d, 0.3, 31);
  Matrix k = gaussian(256, d, 1.0, 32), v = gaussian(256, d, 1.0, 33);
  add_outlier_channels(k, d);
  Matrix v_out = v;
  add_outlier_channels(v_out, d);
  // Case 2 keeps V in FP32 so that only K's storage error reaches the output.
  for (const bool v_outliers : {true, false}) {
    const Matrix& vv = v_outliers ? v_out : v;
    for (const char* f : {"bfp12", "bfp12/b16", "mxfp4", "int4_g32", "bfp16"}) {
      const num::FormatSpec spec = num::FormatSpec::parse(f);
      AttentionConfig plain_cfg = kv_cache_config(spec, false);
      if (!v_outliers) plain_cfg.v.format = num::FormatSpec::parse("fp32");
      AttentionConfig reorder_cfg = plain_cfg;
      reorder_cfg.reorder_channels = true;
      const AttentionResult plain = attention(q, k, vv, plain_cfg);
      const AttentionResult reordered = attention(q, k, vv, reorder_cfg);
      std::printf("KV cache %-10s (%s): SQNR without reordering %6.2f dB, with %6.2f dB\n", f,
                  v_outliers ? "K, V quantized, outliers in both" : "K quantized, V fp32",
                  plain.error.sqnr_db, reordered.error.sqnr_db);
      // Strict improvement for BFP12 with its default block of 32 (margins in the docs).
      if (std::string(f) == "bfp12") {
        EXPECT_GT(reordered.error.sqnr_db, plain.error.sqnr_db + 1.0) << f;
      }
    }
  }
  // The outlier channels come first in the order.
  const AttentionResult r =
      attention(q, k, v, kv_cache_config(num::FormatSpec::parse("bfp12"), true));
  std::vector<int> top(r.k_order[0].begin(), r.k_order[0].begin() + 4);
  std::sort(top.begin(), top.end());
  EXPECT_EQ(top, (std::vector<int>{3, 40, 77, 110}));
}

TEST(GoldenAttention, ReorderingLeavesFp32ScoresAndOutputUnchanged) {
  // Small integers: every FP32 dot product is exact, so Q K^T must be bit-identical under any
  // shared permutation of head_dim, and so is everything after it (V's permutation only moves
  // output columns).
  const std::int64_t d = 32;
  Matrix q = gaussian(8, 2 * d, 2.0, 41), k = gaussian(24, 2 * d, 2.0, 42);
  for (auto* m : {&q, &k})
    for (float& e : m->data) e = std::round(e);
  Matrix v = gaussian(24, 2 * d, 1.0, 43);
  add_outlier_channels(k, d);
  add_outlier_channels(v, d);
  AttentionConfig c;
  c.heads = 2;
  c.kv_heads = 2;
  c.keep_scores = true;
  const AttentionResult a = attention(q, k, v, c);
  c.reorder_channels = true;
  const AttentionResult b = attention(q, k, v, c);
  ASSERT_EQ(a.scores.size(), 2u);
  EXPECT_EQ(a.scores[0].data, b.scores[0].data);
  EXPECT_EQ(a.scores[1].data, b.scores[1].data);
  EXPECT_EQ(a.out.data, b.out.data);
  std::vector<int> identity(static_cast<std::size_t>(d));
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_NE(b.k_order[0], identity);
  EXPECT_NE(b.v_order[1], identity);
  std::vector<int> sorted = b.k_order[0];
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, identity);
}

TEST(GoldenAttention, ConfigErrors) {
  const Matrix q = gaussian(4, 32, 1.0, 51), k = gaussian(8, 32, 1.0, 52),
               v = gaussian(8, 32, 1.0, 53);
  AttentionConfig c;
  c.v.format = num::FormatSpec::parse("int8");
  c.v.outer = OuterScale::kPerToken;  // would scale PV's contraction dimension
  EXPECT_THROW(attention(q, k, v, c), ConfigError);
  AttentionConfig kc;
  kc.k.format = num::FormatSpec::parse("int8");
  kc.k.outer = OuterScale::kPerChannel;
  EXPECT_THROW(attention(q, k, v, kc), ConfigError);
  AttentionConfig h;
  h.heads = 3;
  h.kv_heads = 2;
  EXPECT_THROW(attention(q, k, v, h), ConfigError);
  AttentionConfig nq;
  nq.q.format = num::FormatSpec::parse("mxfp4");
  nq.q.outer = OuterScale::kPerToken;  // no scalar element maximum to derive
  EXPECT_THROW(attention(q, k, v, nq), ConfigError);
}

}  // namespace
}  // namespace mpsim::golden
