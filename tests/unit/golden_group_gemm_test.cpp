// DESCRIPTION: golden::group_gemm: hand-worked groups (AWQ INT4 through the quantizer, an RNE tie,
// hand-built BitMoD rows), a randomized cross-check against an independent quad-precision
// re-implementation, the derived error bound against golden::gemm kFp32Fma on the dequantized
// values, non-finite rules and unsupported pairs. SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "mpsim/base/error.h"
#include "mpsim/golden/gemm.h"
#include "mpsim/golden/group_gemm.h"
#include "mpsim/numerics/codebook.h"
#include "mpsim/numerics/exact.h"
#include "mpsim/numerics/group_int.h"
#include "mpsim/numerics/half.h"
#include "mpsim/numerics/scalar_format.h"

namespace mpsim::golden {
namespace {

// Quad precision holds every product of this test exactly: an FP16 activation spans 40 bits as an
// integer, times a 5-bit term, summed over at most 2^10 elements (< 2^55), times an 11-bit scale
// significand (< 2^66 < 2^113); its conversion to float is then the single RNE rounding.
__extension__ typedef __float128 quad;

std::uint32_t bits(float f) { return std::bit_cast<std::uint32_t>(f); }

/// The test's own re-implementation, from the stored codes/scales only (no shared code with
/// group_gemm except the BitMoD code table).
float reference_dot(const num::QuantizedRow& a, const num::QuantizedRow& w) {
  const std::size_t n = a.values.size(), g = static_cast<std::size_t>(w.block);
  const bool bitmod = w.format.starts_with("bitmod_fp");
  const int bm = w.format == "bitmod_fp3" ? 3 : 4;
  float acc = 0.0f;
  for (std::size_t lo = 0; lo < n; lo += g) {
    const num::StoredScale& s = w.scales[lo / g];
    const float scale = num::fp16_bits_to_fp32(static_cast<std::uint16_t>(s.scale_code));
    quad sum = 0;
    double dsum = 0;
    bool nonfinite = false;
    for (std::size_t k = lo; k < std::min(n, lo + g); ++k) {
      const int t = bitmod ? num::bitmod_decode(bm, *num::parse_bitmod_type(bm, s.tag), w.codes[k])
                           : static_cast<int>(w.codes[k]) - static_cast<int>(*s.zero_code);
      if (!std::isfinite(a.values[k])) nonfinite = true;
      dsum += static_cast<double>(a.values[k]) * t;
      if (std::isfinite(a.values[k])) sum += static_cast<quad>(a.values[k]) * t;
    }
    float r;
    if (nonfinite) {
      r = static_cast<float>(dsum * static_cast<double>(scale));
    } else if (!std::isfinite(scale)) {
      r = static_cast<float>(static_cast<double>(sum) * static_cast<double>(scale));
    } else {
      r = sum == 0 ? 0.0f : static_cast<float>(sum * static_cast<quad>(scale));
    }
    acc = acc + r;
  }
  return acc;
}

Matrix random_matrix(std::int64_t r, std::int64_t c, bool fp16_like, std::mt19937_64& g) {
  Matrix m = Matrix::zeros(r, c);
  std::uniform_real_distribution<float> u(-1, 1);
  std::uniform_int_distribution<int> e(-30, 15), i8(-128, 127), pick(0, 15);
  for (auto& x : m.data) {
    if (!fp16_like) {
      x = static_cast<float>(i8(g));
    } else {
      // Log-uniform magnitudes from FP16 subnormals to near the FP16 maximum, some exact zeros.
      x = pick(g) == 0 ? 0.0f : std::ldexp(u(g), e(g));
    }
  }
  return m;
}

TEST(GoldenGroupGemm, HandWorkedAwqInt4TwoGroups) {
  // K = 64, int4_g32. Group 0: w = (q - 4) * 0.5 for q = k % 16 (min -2, max 5.5: scale 7.5 / 15 =
  // 0.5, zero 4); group 1: w = (q - 8) * 0.25 (scale 3.75 / 15 = 0.25, zero 8).
  Matrix a = Matrix::zeros(1, 64), w = Matrix::zeros(64, 1);
  for (int k = 0; k < 64; ++k) {
    const int q = k % 16;
    w.at(k, 0) = k < 32 ? (q - 4) * 0.5f : (q - 8) * 0.25f;
    a.at(0, k) = k < 32 ? 1.0f : (k % 2 == 0 ? 3.0f : -1.0f);
  }
  const QuantMatrix qa = quantize_rows(a, num::FormatSpec{"int8", {}});
  const QuantMatrix qw = quantize_cols(w, num::FormatSpec{"int4_g32", {}});
  ASSERT_EQ(qw.lines[0].scales.size(), 2u);
  EXPECT_EQ(qw.lines[0].scales[0].scale, 0.5);
  EXPECT_EQ(*qw.lines[0].scales[0].zero_code, 4u);
  EXPECT_EQ(qw.lines[0].scales[1].scale, 0.25);
  EXPECT_EQ(*qw.lines[0].scales[1].zero_code, 8u);
  // Group 0: P = 2 * (0 + ... + 15) = 240, A = 32: 0.5 * (240 - 4 * 32) = 56.
  // Group 1: even k carry q = 0, 2, .., 14 twice (112), odd k q = 1, .., 15 twice (128):
  //          P = 3 * 112 - 128 = 208, A = 16 * 3 - 16 = 32: 0.25 * (208 - 8 * 32) = -12.
  const GroupGemmResult r = group_gemm(qa, qw);
  EXPECT_EQ(r.groups, 2);
  EXPECT_EQ(r.group, 32);
  EXPECT_EQ(r.c.at(0, 0), 44.0f);
  EXPECT_EQ(group_dot(qa.lines[0], qw.lines[0]), 44.0f);
}

TEST(GoldenGroupGemm, OneRoundingPerGroupResolvesATieToEven) {
  // Scale 29.9853515625 / 15 = 2047/1024 exactly (an all-ones FP16 significand), zero 0. The
  // group's exact sum is 16385 * 2047/1024 = 33540095/1024: an odd number of 2^-10 units in
  // [2^14, 2^15) where FP32 steps by 2^-9, i.e. a tie; RNE picks 33540096/1024 = 32754.
  Matrix a = Matrix::zeros(1, 32), w = Matrix::zeros(32, 1);
  const float s = 2047.0f / 1024.0f;
  for (int k = 0; k < 8; ++k) a.at(0, k) = 127, w.at(k, 0) = 15 * s;  // 8 * 1905 = 15240
  a.at(0, 8) = 127, w.at(8, 0) = 9 * s;                               // + 1143
  a.at(0, 9) = 2, w.at(9, 0) = s;                                     // + 2 = 16385
  const QuantMatrix qa = quantize_rows(a, num::FormatSpec{"int8", {}});
  const QuantMatrix qw = quantize_cols(w, num::FormatSpec{"int4_g32", {}});
  ASSERT_EQ(qw.lines[0].scales[0].scale_code, num::fp32_to_fp16_bits(s));
  ASSERT_EQ(*qw.lines[0].scales[0].zero_code, 0u);
  EXPECT_EQ(group_gemm(qa, qw).c.at(0, 0), 32754.0f);
  const auto sb = static_cast<std::uint16_t>(qw.lines[0].scales[0].scale_code);
  EXPECT_EQ(group_result(16385, sb, 0), 32754.0f);
  EXPECT_EQ(group_result(-16385, sb, 0), -32754.0f);
  // 16387 * 2047 = 33544189: a tie between ...188 and ...190; even is ...188 (down) =
  // 32757.99609375.
  EXPECT_EQ(group_result(16387, sb, 0), 32757.99609375f);
  // 20001 * 2047 = 40942047 in [2^25, 2^26) (steps of 4): 3 mod 4 rounds up to 40942048.
  EXPECT_EQ(group_result(20001, sb, 0), 39982.46875f);
}

TEST(GoldenGroupGemm, HandBuiltBitmodRows) {
  // One FP4 group of 4 with datatype ER_NEG (special code 0b1000 = -10 in x2 units), scale 0.25:
  // terms [-10, 12, -3, 1]; a = [1, 2, 3, 4] -> -10 + 24 - 9 + 4 = 9 -> 2.25.
  num::QuantizedRow w;
  w.format = "bitmod_fp4";
  w.block = 4;
  w.codes = {0b1000, 0b0111, 0b1011, 0b0001};
  num::StoredScale s;
  s.scale_code = num::fp32_to_fp16_bits(0.25f);
  s.scale = 0.25;
  s.tag = std::string(num::bitmod_type_name(4, num::BitmodType::kErNeg));
  w.scales = {s};
  num::QuantizedRow a;
  a.format = "int8";
  a.values = {1, 2, 3, 4};
  EXPECT_EQ(group_dot(a, w), 2.25f);
  // The same codes under EA_POS: 0b1000 = +16 -> 16 + 24 - 9 + 4 = 35 -> 8.75.
  w.scales[0].tag = std::string(num::bitmod_type_name(4, num::BitmodType::kEaPos));
  EXPECT_EQ(group_dot(a, w), 8.75f);
  // FP16 activations are exact integers in units of 2^-24: a = [2^-24, 0.5, -1, 1024].
  a.format = "fp16";
  a.values = {std::ldexp(1.0f, -24), 0.5f, -1.0f, 1024.0f};
  const double exact = (16 * std::ldexp(1.0, -24) + 12 * 0.5 + 3 + 1024) * 0.25;
  EXPECT_EQ(group_dot(a, w), static_cast<float>(exact));
  // FP3, ER_POS (special 0b100 = +3), codes [+3, -4, +1]: a = [1, 1, 1] -> 0 -> +0.0f.
  num::QuantizedRow w3 = w;
  w3.format = "bitmod_fp3";
  w3.block = 3;
  w3.codes = {0b100, 0b111, 0b001};
  w3.scales[0].tag = std::string(num::bitmod_type_name(3, num::BitmodType::kErPos));
  a.format = "int8";
  a.values = {1, 1, 1};
  EXPECT_EQ(bits(group_dot(a, w3)), bits(0.0f));
}

TEST(GoldenGroupGemm, GroupResultFastPathEqualsTheExactEngine) {
  std::mt19937_64 g(11);
  std::uniform_int_distribution<std::int64_t> sum(-(std::int64_t{1} << 52), std::int64_t{1} << 52);
  std::uniform_int_distribution<int> sc(0, 0x7BFF), small(0, 6), aexp(-200, 100);
  for (int i = 0; i < 200000; ++i) {
    // Sums of every width, scales of every binade (incl. FP16 subnormals), exponents down into
    // FP32's subnormal range and up to overflow.
    const int narrow = small(g);
    const std::int64_t s = narrow == 0 ? sum(g) >> 40 : sum(g) >> (8 * (narrow - 1));
    const auto scale = static_cast<std::uint16_t>(sc(g));
    const int ae = i % 4 == 0 ? aexp(g) : (i % 2 == 0 ? 0 : -24);
    const float got = group_result(s, scale, ae);
    const double sv = num::ScalarFormat::fp16().decode(scale);
    int e = 0;
    const double m = std::frexp(sv, &e);
    const auto mi = static_cast<std::int64_t>(std::ldexp(m, 11));
    const num::int128_t prod = static_cast<num::int128_t>(s) * mi;
    const float want = prod == 0 ? 0.0f
                                 : std::bit_cast<float>(num::ScalarFormat::fp32().encode_exact(
                                       num::ExactValue::from_int(prod, e - 11 + ae),
                                       num::Rounding::kNearestEven, num::Overflow::kInfNan));
    ASSERT_EQ(bits(got), bits(want)) << s << " x fp16 " << scale << " x 2^" << ae;
  }
}

struct RandomCase {
  const char* a;
  const char* w;
  std::int64_t m, k, n;
};

class GoldenGroupGemmRandom : public ::testing::TestWithParam<RandomCase> {};

TEST_P(GoldenGroupGemmRandom, EqualsAnIndependentQuadReimplementation) {
  const RandomCase& c = GetParam();
  std::mt19937_64 g(static_cast<std::uint64_t>(c.k * 131 + c.n));
  const num::FormatSpec fa = num::FormatSpec::parse(c.a), fw = num::FormatSpec::parse(c.w);
  for (int rep = 0; rep < 4; ++rep) {
    Matrix a = random_matrix(c.m, c.k, fa.name == "fp16", g);
    Matrix w = random_matrix(c.k, c.n, true, g);
    if (rep == 1) {
      // A zero-range weight group and a one-element-range group (zero point at the edge).
      for (std::int64_t k = 0; k < std::min<std::int64_t>(c.k, 40); ++k) w.at(k, 0) = 0.75f;
    }
    if (rep == 2 && fa.name == "fp16") {
      // Non-finite activations (beyond FP16's range they quantize to +-Inf) and a NaN.
      a.at(0, 3) = 1e6f;
      a.at(0, c.k - 1) = -1e6f;
      a.at(c.m - 1, 1) = std::numeric_limits<float>::quiet_NaN();
    }
    const QuantMatrix qa = quantize_rows(a, fa), qw = quantize_cols(w, fw);
    const GroupGemmResult r = group_gemm(qa, qw);
    for (std::int64_t m = 0; m < c.m; ++m) {
      for (std::int64_t n = 0; n < c.n; ++n) {
        const float want = reference_dot(qa.lines[static_cast<std::size_t>(m)],
                                         qw.lines[static_cast<std::size_t>(n)]);
        ASSERT_EQ(bits(r.c.at(m, n)), bits(want)) << "(" << m << "," << n << ") rep " << rep;
        ASSERT_EQ(bits(group_dot(qa.lines[static_cast<std::size_t>(m)],
                                 qw.lines[static_cast<std::size_t>(n)])),
                  bits(want));
      }
    }
  }
}

// The bound (derived): let x_g = s_g * sum_{k in g} a_k t_k (exact), X = sum_g x_g, and
// S = sum_k |a_k| * max(|v_k|, |t_k s_g|) with v_k the dequantized FP32 weight, u = 2^-24.
//   group golden: |r_g - x_g| <= u |x_g|, and the ng-term FP32 sum adds <= (ng-1) u (1+u)^ng S,
//                 so |C_group - X| <= 1.01 * ng * u * S (+ ng * 2^-150 for FP32 underflow);
//   kFp32Fma:     each of the K fused steps rounds once, |err_k| <= u |partial_k| <= u (1+u)^K S,
//                 and the operands differ from the terms by sum_k |a_k| |v_k - t_k s_g| =: D
//                 (0 for INT4: (q - z) * fp16 scale is exact in FP32; BitMoD's values are FP16-
//                 rounded, |v - t s| <= max(2^-11 |t s|, 2^-25)), so |C_fma - X| <= 1.01 K u S + D.
//   Hence |C_group - C_fma| <= 1.01 (K + ng) u S + D + (K + ng) 2^-149.
TEST_P(GoldenGroupGemmRandom, AgreesWithFp32FmaOnDequantizedValuesWithinTheDerivedBound) {
  const RandomCase& c = GetParam();
  std::mt19937_64 g(static_cast<std::uint64_t>(c.m * 7 + c.k));
  const num::FormatSpec fa = num::FormatSpec::parse(c.a), fw = num::FormatSpec::parse(c.w);
  Matrix a = random_matrix(c.m, c.k, fa.name == "fp16", g);
  Matrix w = random_matrix(c.k, c.n, true, g);
  const QuantMatrix qa = quantize_rows(a, fa), qw = quantize_cols(w, fw);
  const GroupGemmResult r = group_gemm(qa, qw);
  GemmOptions o;
  o.semantics = GemmSemantics::kFp32Fma;
  const GemmResult f = gemm_quantized(qa, qw, o);
  const bool bitmod = fw.name.starts_with("bitmod");
  const int bm = fw.name == "bitmod_fp3" ? 3 : 4;
  int differ = 0;
  for (std::int64_t m = 0; m < c.m; ++m) {
    for (std::int64_t n = 0; n < c.n; ++n) {
      const num::QuantizedRow& al = qa.lines[static_cast<std::size_t>(m)];
      const num::QuantizedRow& wl = qw.lines[static_cast<std::size_t>(n)];
      long double S = 0, D = 0;
      for (std::int64_t k = 0; k < c.k; ++k) {
        const num::StoredScale& s = wl.scales[static_cast<std::size_t>(k / wl.block)];
        const auto kk = static_cast<std::size_t>(k);
        const int t = bitmod
                          ? num::bitmod_decode(bm, *num::parse_bitmod_type(bm, s.tag), wl.codes[kk])
                          : static_cast<int>(wl.codes[kk]) - static_cast<int>(*s.zero_code);
        const long double ts = t * static_cast<long double>(num::fp16_bits_to_fp32(
                                       static_cast<std::uint16_t>(s.scale_code)));
        const long double aa = std::fabs(static_cast<long double>(al.values[kk]));
        S += aa * std::max(std::fabs(ts), std::fabs(static_cast<long double>(wl.values[kk])));
        D += aa * std::fabs(static_cast<long double>(wl.values[kk]) - ts);
      }
      if (!bitmod) {
        EXPECT_EQ(D, 0.0L) << "INT4 dequantized values are exact in FP32";
      }
      const long double ng = static_cast<long double>(r.groups);
      const long double bound =
          1.01L * (c.k + ng) * std::ldexp(1.0L, -24) * S + D + (c.k + ng) * std::ldexp(1.0L, -149);
      const long double diff = std::fabs(static_cast<long double>(r.c.at(m, n)) -
                                         static_cast<long double>(f.c.at(m, n)));
      EXPECT_LE(diff, bound) << "(" << m << "," << n << ") " << r.c.at(m, n) << " vs "
                             << f.c.at(m, n);
      differ += bits(r.c.at(m, n)) != bits(f.c.at(m, n));
    }
  }
  // The two semantics are different rounding points, not the same computation: with FP16
  // activations over long K they must disagree somewhere (the test would be vacuous otherwise).
  if (fa.name == "fp16" && c.k >= 256) {
    EXPECT_GT(differ, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, GoldenGroupGemmRandom,
                         ::testing::Values(RandomCase{"int8", "int4_g32", 3, 96, 5},
                                           RandomCase{"int8", "int4_g128", 4, 300, 6},
                                           RandomCase{"fp16", "int4_g64", 5, 256, 7},
                                           RandomCase{"fp16", "int4_g128", 4, 1000, 6},
                                           RandomCase{"int8", "gptq_int4", 3, 257, 4},
                                           RandomCase{"fp16", "gptq_int4/g16", 3, 100, 4},
                                           RandomCase{"int8", "bitmod_fp4", 3, 300, 4},
                                           RandomCase{"fp16", "bitmod_fp4/g32", 4, 512, 5},
                                           RandomCase{"fp16", "bitmod_fp3", 3, 260, 4},
                                           RandomCase{"int8", "bitmod_fp3/g64", 2, 130, 3}));

TEST(GoldenGroupGemm, NonFiniteActivationsAndScalesFollowIeee) {
  num::QuantizedRow w;
  w.format = "int4_g32";
  w.block = 2;  // a hand-built row: group_gemm reads the group size from the row
  w.codes = {5, 3, 3, 3};
  num::StoredScale s;
  s.scale_code = num::fp32_to_fp16_bits(0.5f);
  s.zero_code = 3;
  w.scales = {s, s};
  num::QuantizedRow a;
  a.format = "fp16";
  const float inf = std::numeric_limits<float>::infinity();
  a.values = {-inf, 1, 2, 2};  // -Inf * (5 - 3) -> -Inf; group 1 has terms 0: 0
  EXPECT_EQ(group_dot(a, w), -inf);
  a.values = {1, inf, 2, 2};  // Inf * (3 - 3) = Inf * 0 -> NaN
  EXPECT_TRUE(std::isnan(group_dot(a, w)));
  a.values = {1, 1, 2, 2};
  EXPECT_EQ(group_dot(a, w), 1.0f);             // (1 * 2 + 0) * 0.5
  w.scales[1].scale_code = num::kFp16QuietNan;  // a NaN group poisons the output
  EXPECT_TRUE(std::isnan(group_dot(a, w)));
  w.scales[1].scale_code = 0x7C00;  // Inf scale: exact sum 0 -> NaN, else +-Inf
  EXPECT_TRUE(std::isnan(group_dot(a, w)));
  w.codes[3] = 4;
  EXPECT_EQ(group_dot(a, w), inf);
}

TEST(GoldenGroupGemm, RejectsPairsItDoesNotDefine) {
  std::string why;
  EXPECT_FALSE(
      group_gemm_supports(num::FormatSpec{"int8", {}}, num::FormatSpec{"qserve_w4a8", {}}, &why));
  EXPECT_NE(why.find("qserve_w4a8"), std::string::npos) << why;
  EXPECT_FALSE(group_gemm_supports(num::FormatSpec{"int4", {}}, num::FormatSpec{"int4_g128", {}}));
  EXPECT_TRUE(group_gemm_supports(num::FormatSpec{"fp16", {}}, num::FormatSpec{"bitmod_fp3", {}}));
  Matrix a = Matrix::zeros(1, 8), w = Matrix::zeros(8, 1);
  EXPECT_THROW(group_gemm(quantize_rows(a, num::FormatSpec{"int8", {}}),
                          quantize_cols(w, num::FormatSpec{"qserve_w4a8", {}})),
               ConfigError);
  EXPECT_THROW(group_gemm(quantize_rows(a, num::FormatSpec{"bf16", {}}),
                          quantize_cols(w, num::FormatSpec{"int4_g32", {}})),
               ConfigError);
}

}  // namespace
}  // namespace mpsim::golden
