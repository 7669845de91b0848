// DESCRIPTION: GGUF q4_0, q8_0 and q4_k: hand-worked blocks (codes, bytes, values), tie rules,
// byte layouts, q4_k 6-bit scale packing, error bounds on ggml's test signal, and registry rules.
// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "mpsim/base/error.h"
#include "mpsim/numerics/gguf.h"
#include "mpsim/numerics/half.h"
#include "mpsim/numerics/quantizer.h"

namespace mpsim::num {
namespace {

using ::testing::HasSubstr;
using Bytes = std::vector<std::uint8_t>;

QuantizedRow quantize(std::string_view fmt, const std::vector<float>& x) {
  return builtin_formats().create(fmt)->quantize(x);
}

std::vector<float> zeros(std::size_t n) { return std::vector<float>(n, 0.0f); }

std::vector<std::uint32_t> bits_of(const std::vector<float>& v) {
  std::vector<std::uint32_t> out;
  for (float f : v) out.push_back(std::bit_cast<std::uint32_t>(f));
  return out;
}

// ggml tests/test-quantize-fns.cpp test signal.
std::vector<float> ggml_signal(std::size_t n) {
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = 0.1f + 2 * std::cos(static_cast<float>(i));
  return x;
}

// ---------------------------------------------------------------------------------------------
// q4_0

// max = x[0] = 4 (x[1] = -4 has the same |x| but comes later): d = 4 / -8 = -0.5, id = -2,
// fp16(-0.5) = 0xB800 stored little-endian as 00 B8. q = min(15, trunc(-2x + 8.5)):
//   x=4 -> 0.5 -> 0       x=-4 -> 16.5 -> 16 -> 15    x=0 -> 8.5 -> 8     x=1 -> 6.5 -> 6
//   x=-1 -> 10.5 -> 10    x=0.25 -> 8.0 -> 8 (tie -0.5 goes up)   x=-0.25 -> 9.0 -> 9
//   x=0.75 -> 7.0 -> 7 (tie -1.5 up)      x=2.2 -> 4.1 -> 4       x[16]=3 -> 2.5 -> 2
//   x[17]=-3.9 -> 16.3 -> 15              x[31]=-0.75 -> 10.0 -> 10 (tie 1.5 up)
// qs[j] = q[j] | q[j+16] << 4. Values (q - 8) * -0.5.
TEST(GgufQ4_0, HandWorkedBlock) {
  std::vector<float> x = zeros(32);
  x[0] = 4, x[1] = -4, x[3] = 1, x[4] = -1, x[5] = 0.25f, x[6] = -0.25f, x[7] = 0.75f;
  x[8] = 2.2f, x[16] = 3, x[17] = -3.9f, x[31] = -0.75f;
  const auto row = quantize("q4_0", x);

  std::vector<std::uint32_t> codes(32, 8);
  codes[0] = 0, codes[1] = 15, codes[3] = 6, codes[4] = 10, codes[5] = 8, codes[6] = 9;
  codes[7] = 7, codes[8] = 4, codes[16] = 2, codes[17] = 15, codes[31] = 10;
  EXPECT_EQ(row.codes, codes);

  const Bytes bytes{0x00, 0xB8, 0x20, 0xFF, 0x88, 0x86, 0x8A, 0x88, 0x89,
                    0x87, 0x84, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0xA8};
  EXPECT_EQ(row.packed, bytes);

  std::vector<float> values(32, 0.0f);
  values[0] = 4, values[1] = -3.5f, values[3] = 1, values[4] = -1, values[6] = -0.5f;
  values[7] = 0.5f, values[8] = 2, values[16] = 3, values[17] = -3.5f, values[31] = -1;
  EXPECT_EQ(row.values, values);

  ASSERT_EQ(row.scales.size(), 1u);
  EXPECT_EQ(row.scales[0].scale, -0.5);
  EXPECT_EQ(row.scales[0].scale_code, 0xB800u);
  EXPECT_EQ(row.block, 32);
  EXPECT_EQ(row.format, "q4_0");
}

// Same magnitudes in the other order: max = -4, d = 0.5 (fp16 0x3800), id = 2; the element equal
// to max maps to trunc(-8 + 8.5) = 0 and its negation to min(15, 16) = 15.
TEST(GgufQ4_0, FirstLargestMagnitudeWinsAndMaxMapsToZero) {
  std::vector<float> x = zeros(32);
  x[0] = -4, x[1] = 4;
  const auto row = quantize("q4_0", x);
  EXPECT_EQ(row.scales[0].scale_code, 0x3800u);
  EXPECT_EQ(row.codes[0], 0u);
  EXPECT_EQ(row.codes[1], 15u);
  EXPECT_EQ(row.values[0], -4.0f);  // (0 - 8) * 0.5
  EXPECT_EQ(row.values[1], 3.5f);   // (15 - 8) * 0.5: the positive extreme clips
}

// With d = -1 (max 8): x*id + 8.5 for x = -0.5, 0.5, 1.5, -1.5 is 9.0, 8.0, 7.0, 10.0 exactly:
// every tie goes up (RNE would give 8, 8, 6, 10; RNA 9, 7, 6, 10).
TEST(GgufQ4_0, TiesRoundHalfUp) {
  std::vector<float> x = zeros(32);
  x[0] = 8, x[1] = -0.5f, x[2] = 0.5f, x[3] = 1.5f, x[4] = -1.5f;
  const auto row = quantize("q4_0", x);
  EXPECT_EQ(row.scales[0].scale, -1.0);
  EXPECT_EQ(row.codes[1], 9u);
  EXPECT_EQ(row.codes[2], 8u);
  EXPECT_EQ(row.codes[3], 7u);
  EXPECT_EQ(row.codes[4], 10u);
}

// max = 8.003: d = -1.000375 rounds to fp16 -1.0 (0xBC00; the fp16 step at 1 is 2^-10 and 0.000375
// is below half of it), but id = 1/d = -0.9996251 comes from the unrounded d. For x = -0.5,
// x*id + 8.5 = 8.99981 -> 8, whereas the rounded d would give exactly 9.0 -> 9.
TEST(GgufQ4_0, QuantizesWithUnroundedScale) {
  std::vector<float> x = zeros(32);
  x[0] = 8.003f, x[1] = -0.5f;
  const auto row = quantize("q4_0", x);
  EXPECT_EQ(row.scales[0].scale_code, 0xBC00u);
  EXPECT_EQ(row.codes[0], 0u);
  EXPECT_EQ(row.values[0], 8.0f);  // dequantized with the stored fp16 d
  EXPECT_EQ(row.codes[1], 8u);
  EXPECT_EQ(row.values[1], 0.0f);
}

// All zeros: max = 0, d = 0 / -8 = -0.0 (fp16 0x8000), id = 0, q = trunc(8.5) = 8, and
// (8 - 8) * -0.0 = -0.0.
TEST(GgufQ4_0, AllZeroBlock) {
  const auto row = quantize("q4_0", zeros(32));
  Bytes bytes(18, 0x88);
  bytes[0] = 0x00, bytes[1] = 0x80;
  EXPECT_EQ(row.packed, bytes);
  EXPECT_EQ(row.codes, std::vector<std::uint32_t>(32, 8));
  for (float v : row.values) {
    EXPECT_EQ(v, 0.0f);
    EXPECT_TRUE(std::signbit(v));
  }
}

// Hand-built block: d = 0.25 (fp16 0x3400, bytes 00 34), qs[0] = 0x3C -> x[0] from the low
// nibble (12), x[16] from the high nibble (3); qs[15] = 0x0F -> x[15] = 15, x[31] = 0.
TEST(GgufQ4_0, DequantizeHandBuiltBytes) {
  Bytes b(18, 0x88);
  b[0] = 0x00, b[1] = 0x34, b[2] = 0x3C, b[17] = 0x0F;
  std::vector<float> y(32);
  dequantize_row_q4_0(b, y);
  EXPECT_EQ(y[0], 1.0f);     // (12 - 8) * 0.25
  EXPECT_EQ(y[16], -1.25f);  // (3 - 8) * 0.25
  EXPECT_EQ(y[15], 1.75f);   // (15 - 8) * 0.25
  EXPECT_EQ(y[31], -2.0f);   // (0 - 8) * 0.25
  EXPECT_EQ(y[1], 0.0f);
}

// ---------------------------------------------------------------------------------------------
// q8_0

// amax = 127: d = 1 (fp16 0x3C00), id = 1, q = roundf(x): 2.5 -> 3, -2.5 -> -3, 0.5 -> 1,
// -0.5 -> -1 (ties away), 1.4 -> 1; codes are the int8 bytes (-3 = 0xFD).
TEST(GgufQ8_0, HandWorkedBlockTiesAway) {
  std::vector<float> x = zeros(32);
  x[0] = 127, x[1] = 2.5f, x[2] = -2.5f, x[3] = 0.5f, x[4] = -0.5f, x[5] = 1.4f, x[31] = -127;
  const auto row = quantize("q8_0", x);
  Bytes bytes(34, 0x00);
  bytes[1] = 0x3C;
  bytes[2] = 0x7F, bytes[3] = 0x03, bytes[4] = 0xFD, bytes[5] = 0x01, bytes[6] = 0xFF;
  bytes[7] = 0x01, bytes[33] = 0x81;
  EXPECT_EQ(row.packed, bytes);
  EXPECT_EQ(row.codes[2], 0xFDu);
  EXPECT_EQ(row.codes[31], 0x81u);
  EXPECT_EQ(row.values[1], 3.0f);
  EXPECT_EQ(row.values[2], -3.0f);
  EXPECT_EQ(row.values[4], -1.0f);
  EXPECT_EQ(row.values[31], -127.0f);
  EXPECT_EQ(row.scales[0].scale, 1.0);
  EXPECT_EQ(row.scales[0].scale_code, 0x3C00u);
}

// amax = 254: d = 2, id = 0.5: 5 -> 2.5 -> 3 and -1 -> -0.5 -> -1 (RNE would give 2 and 0).
TEST(GgufQ8_0, TiesAwayWithNonUnitScale) {
  std::vector<float> x = zeros(32);
  x[0] = 254, x[1] = 5, x[2] = -1;
  const auto row = quantize("q8_0", x);
  EXPECT_EQ(row.codes[1], 3u);
  EXPECT_EQ(row.codes[2], 0xFFu);
  EXPECT_EQ(row.values[1], 6.0f);
  EXPECT_EQ(row.values[2], -2.0f);
}

// amax = 1: d = 1/127 = 0.0078740157 = 2^-7 * 1.00787; the fp16 mantissa 0.00787 * 1024 = 8.06
// rounds to 8, so fp16 d = 2^-7 * (1 + 8/1024) = 0.00787353515625, bits (8 << 10) | 8 = 0x2008.
// x = 1 -> 127, dequantized 127 * 0.00787353515625 = 0.99993896484375 (exact in FP32).
TEST(GgufQ8_0, StoredScaleIsFp16Rounded) {
  std::vector<float> x = zeros(32);
  x[0] = 1;
  const auto row = quantize("q8_0", x);
  EXPECT_EQ(row.scales[0].scale_code, 0x2008u);
  EXPECT_EQ(row.scales[0].scale, 0.00787353515625);
  EXPECT_EQ(row.packed[0], 0x08);
  EXPECT_EQ(row.packed[1], 0x20);
  EXPECT_EQ(row.codes[0], 127u);
  EXPECT_EQ(row.values[0], 0.99993896484375f);
}

TEST(GgufQ8_0, AllZeroBlock) {
  const auto row = quantize("q8_0", zeros(32));
  EXPECT_EQ(row.packed, Bytes(34, 0x00));  // d = 0/127 = +0
  EXPECT_EQ(row.values, zeros(32));
}

// ---------------------------------------------------------------------------------------------
// q4_k

// Hand-built super-block: d = 0.25 (0x3400), dmin = 0.125 (0x3000) and sub-block (sc, m):
//   0: (1, 2)   1: (3, 0)   2, 3, 6, 7: (0, 0)   4: (37 = 0b10'0101, 58 = 0b11'1010)   5: (7, 16)
// Packing: bytes 0..3 = sc0..3 | (sc4..7 >> 4) << 6, bytes 4..7 = m0..3 | (m4..7 >> 4) << 6,
// bytes 8..11 = (sc4..7 & 15) | (m4..7 & 15) << 4:
//   [0] = 1 | 2<<6 = 0x81  [1] = 3 | 0 = 0x03  [4] = 2 | 3<<6 = 0xC2  [5] = 0 | 1<<6 = 0x40
//   [8] = 5 | 10<<4 = 0xA5  [9] = 7 | 0<<4 = 0x07
// qs[32c + l]: low nibble -> element 64c + l (sub-block 2c), high -> 64c + 32 + l (2c + 1).
TEST(GgufQ4K, DequantizeHandBuiltSuperBlock) {
  Bytes b(144, 0x00);
  b[0] = 0x00, b[1] = 0x34, b[2] = 0x00, b[3] = 0x30;
  const std::size_t s = 4;  // scales[12]
  b[s + 0] = 0x81, b[s + 1] = 0x03, b[s + 4] = 0xC2, b[s + 5] = 0x40, b[s + 8] = 0xA5;
  b[s + 9] = 0x07;
  const std::size_t q = 16;  // qs[128]
  b[q + 0] = 0x5A, b[q + 1] = 0x0F, b[q + 40] = 0x77, b[q + 64] = 0x3C, b[q + 95] = 0xF1;

  const std::span<const std::uint8_t, 12> scales(b.data() + s, 12);
  EXPECT_EQ(q4_k_scale_min(scales, 4).sc, 37);
  EXPECT_EQ(q4_k_scale_min(scales, 4).m, 58);
  EXPECT_EQ(q4_k_scale_min(scales, 5).sc, 7);
  EXPECT_EQ(q4_k_scale_min(scales, 5).m, 16);
  EXPECT_EQ(q4_k_scale_min(scales, 0).sc, 1);  // the top bits of byte 0 are masked off
  EXPECT_EQ(q4_k_scale_min(scales, 0).m, 2);

  std::vector<float> y(256);
  dequantize_row_q4_k(b, y);
  EXPECT_EQ(y[0], 2.25f);      // 0.25*1*10 - 0.125*2
  EXPECT_EQ(y[32], 3.75f);     // 0.25*3*5 - 0
  EXPECT_EQ(y[1], 3.5f);       // 0.25*1*15 - 0.25
  EXPECT_EQ(y[33], 0.0f);      // 0.25*3*0 - 0
  EXPECT_EQ(y[2], -0.25f);     // 0.25*1*0 - 0.25
  EXPECT_EQ(y[72], 0.0f);      // sub-block 2 has sc = m = 0 whatever its nibble (7)
  EXPECT_EQ(y[104], 0.0f);     // sub-block 3 likewise
  EXPECT_EQ(y[128], 103.75f);  // 0.25*37*12 - 0.125*58 = 111 - 7.25
  EXPECT_EQ(y[160], 3.25f);    // 0.25*7*3 - 0.125*16 = 5.25 - 2
  EXPECT_EQ(y[159], 2.0f);     // 9.25*1 - 7.25
  EXPECT_EQ(y[191], 24.25f);   // 1.75*15 - 2
  EXPECT_EQ(y[129], -7.25f);   // 9.25*0 - 7.25

  // The Quantizer rebuilds the same values from the packed bytes.
  QuantizedRow row;
  row.format = "q4_k";
  row.block = 256;
  row.codes.assign(256, 0);
  row.packed = b;
  EXPECT_EQ(builtin_formats().create("q4_k")->dequantize(row), y);
}

// Eight sub-blocks of x = s_j * (k - c_j), k = i % 16 (so k = 0 and 15 both occur). With
// power-of-two s_j the first make_qkx2_quants guess fits exactly (error 0), so no candidate can
// beat it: scale_j = s_j, min_j = s_j * c_j.
//   s = [1, .5, .25, .125, 1, .5, .25, 2]   min = [0, 2, 2, 0, 8, 7.5, 0, 8]
// inv_scale = 63/2 = 31.5 -> ls = RNE(31.5 s) = [32 (tie 31.5 -> even), 16, 8, 4, 32, 16, 8, 63]
// inv_min = 63/8 = 7.875  -> lm = RNE(7.875 min) = [0, 16, 16, 0, 63, 59, 0, 63]
// d = fp16(2/63 = 2^-5 * 1.01587): mantissa 16.25 -> 16, 0.03173828125, bits (10 << 10) | 16
// = 0x2810; dmin = fp16(8/63 = 2^-3 * 1.01587) = 0.126953125, 0x3010.
// Requantizing with d_j = d*ls_j, dm_j = dmin*lm_j moves (x + dm_j)/d_j by < 0.25 from k, so
// codes stay k. Scale bytes (see the hand-built test for the packing):
//   [0..3] = 32|2<<6, 16|1<<6, 8|0<<6, 4|3<<6 = A0 50 08 C4
//   [4..7] = 0|3<<6, 16|3<<6, 16|0<<6, 0|3<<6 = C0 D0 10 C0
//   [8..11] = 0|15<<4, 0|11<<4, 8|0<<4, 15|15<<4 = F0 B0 08 FF
TEST(GgufQ4K, HandWorkedQuantization) {
  const float s[8] = {1, 0.5f, 0.25f, 0.125f, 1, 0.5f, 0.25f, 2};
  const float c[8] = {0, 4, 8, 0, 8, 15, 0, 4};
  std::vector<float> x(256);
  for (std::size_t i = 0; i < 256; ++i) x[i] = s[i / 32] * (static_cast<float>(i % 16) - c[i / 32]);
  const auto row = quantize("q4_k", x);

  Bytes expect{0x10, 0x28, 0x10, 0x30, 0xA0, 0x50, 0x08, 0xC4,
               0xC0, 0xD0, 0x10, 0xC0, 0xF0, 0xB0, 0x08, 0xFF};
  for (std::size_t l = 0; l < 128; ++l)
    expect.push_back(static_cast<std::uint8_t>((l % 16) * 0x11));
  EXPECT_EQ(row.packed, expect);

  const std::uint32_t ls[8] = {32, 16, 8, 4, 32, 16, 8, 63};
  const std::uint32_t lm[8] = {0, 16, 16, 0, 63, 59, 0, 63};
  ASSERT_EQ(row.scales.size(), 8u);
  for (std::size_t j = 0; j < 8; ++j) {
    const float d1 = 0.03173828125f * static_cast<float>(ls[j]);
    const float m1 = 0.126953125f * static_cast<float>(lm[j]);
    EXPECT_EQ(row.scales[j].scale_code, ls[j]) << j;
    EXPECT_EQ(row.scales[j].scale, d1) << j;
    EXPECT_EQ(row.scales[j].zero_code, lm[j]) << j;
    EXPECT_EQ(row.scales[j].zero, m1) << j;
    for (std::size_t i = 32 * j; i < 32 * j + 32; ++i) {
      EXPECT_EQ(row.codes[i], i % 16) << i;
      EXPECT_EQ(row.values[i], d1 * static_cast<float>(i % 16) - m1) << i;
    }
  }
  // Spot values by hand: sub-block 4, k = 0: 0 - 0.126953125*63 = -7.998046875; sub-block 7,
  // k = 15: 0.03173828125*63*15 - 7.998046875 = 29.99267578125 - 7.998046875 = 21.99462890625.
  EXPECT_EQ(row.values[128], -7.998046875f);
  EXPECT_EQ(row.values[255], 21.99462890625f);
}

// All zeros: every sub-block hits make_qkx2_quants' max == min exit, max_scale = max_min = 0,
// d = dmin = +0, all sub-blocks are skipped in requantization: 144 zero bytes.
TEST(GgufQ4K, AllZeroSuperBlock) {
  const auto row = quantize("q4_k", zeros(256));
  EXPECT_EQ(row.packed, Bytes(144, 0x00));
  EXPECT_EQ(bits_of(row.values), std::vector<std::uint32_t>(256, 0u));
}

// ggml tests/test-quantize-fns.cpp checks sqrt(sum (x - y)^2) / n < 0.002 for q4_K on this signal
// (n = 4096), i.e. RMSE < 0.128. Each 32-sample sub-block of 0.1 + 2cos(i) spans about [-1.9, 2.1],
// so a uniform 4-bit grid over that range has step ~4/15 = 0.267 and quantization noise RMSE
// ~0.267/sqrt(12) = 0.077; the weighted least-squares search should not do worse, so RMSE < 0.08
// is also required. The search may clip an extreme value, so the per-element bound is one whole
// sub-block step (half a step plus the clipping), not half.
TEST(GgufQ4K, ErrorOnGgmlTestSignal) {
  const auto x = ggml_signal(4096);
  const auto row = quantize("q4_k", x);
  double sum = 0;
  double max_err = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double e = static_cast<double>(x[i]) - row.values[i];
    sum += e * e;
    max_err = std::max(max_err, std::fabs(e));
  }
  EXPECT_LT(std::sqrt(sum) / static_cast<double>(x.size()), 0.002);
  EXPECT_LT(std::sqrt(sum / static_cast<double>(x.size())), 0.08);
  double max_step = 0;
  for (const auto& s : row.scales) max_step = std::max(max_step, s.scale);
  EXPECT_LE(max_err, max_step);
  for (auto c : row.codes) EXPECT_LE(c, 15u);
}

// q4_0 and q8_0 against the same ggml threshold; q4_0's step is amax/8 ~ 0.26 and q8_0's
// ~2.1/127, so their RMSE bounds are step/sqrt(12) with margin.
TEST(GgufQ4_0AndQ8_0, ErrorOnGgmlTestSignal) {
  const auto x = ggml_signal(4096);
  for (const auto& [fmt, rmse_bound] : {std::pair{"q4_0", 0.09}, std::pair{"q8_0", 0.006}}) {
    const auto row = quantize(fmt, x);
    double sum = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double e = static_cast<double>(x[i]) - row.values[i];
      sum += e * e;
    }
    EXPECT_LT(std::sqrt(sum) / static_cast<double>(x.size()), 0.002) << fmt;
    EXPECT_LT(std::sqrt(sum / static_cast<double>(x.size())), rmse_bound) << fmt;
  }
}

// ---------------------------------------------------------------------------------------------
// All formats

// The QuantizedRow views (codes, scales, values) must agree with the packed bytes, and
// dequantize() must rebuild values bit for bit, on random rows with partial last blocks.
TEST(GgufAll, DequantizeMatchesQuantizeAndBytes) {
  std::mt19937 gen(1234);
  std::normal_distribution<float> dist(0.0f, 3.0f);
  for (const char* fmt : {"q4_0", "q8_0", "q4_k"}) {
    const auto q = builtin_formats().create(fmt);
    for (std::size_t n : {0u, 1u, 31u, 32u, 100u, 256u, 300u, 1024u}) {
      std::vector<float> x(n);
      for (auto& v : x) v = dist(gen);
      const auto row = q->quantize(x);
      EXPECT_EQ(row.codes.size(), n);
      EXPECT_EQ(row.values.size(), n);
      EXPECT_EQ(bits_of(q->dequantize(row)), bits_of(row.values)) << fmt << " n=" << n;
    }
  }
}

// A partial last block is quantized as if zero-padded: the same bytes as the padded row, with
// codes/values only for the real elements.
TEST(GgufAll, PartialBlockIsZeroPadded) {
  for (const auto& [fmt, block] :
       {std::pair{"q4_0", 32}, std::pair{"q8_0", 32}, std::pair{"q4_k", 256}}) {
    const auto x = ggml_signal(static_cast<std::size_t>(block) + 7);
    std::vector<float> padded = x;
    padded.resize(2 * static_cast<std::size_t>(block), 0.0f);
    const auto part = quantize(fmt, x);
    const auto full = quantize(fmt, padded);
    EXPECT_EQ(part.packed, full.packed) << fmt;
    EXPECT_EQ(part.codes,
              std::vector<std::uint32_t>(full.codes.begin(), full.codes.begin() + block + 7))
        << fmt;
    EXPECT_EQ(part.values, std::vector<float>(full.values.begin(), full.values.begin() + block + 7))
        << fmt;
  }
  // q4_k: one stored scale per 32-element sub-block holding a real element (263 -> 9).
  EXPECT_EQ(quantize("q4_k", ggml_signal(263)).scales.size(), 9u);
  EXPECT_EQ(quantize("q4_0", ggml_signal(33)).scales.size(), 2u);
}

TEST(GgufAll, RowFunctionsUseWholeBlocks) {
  static_assert(gguf_row_bytes(0, kQ4_0BlockSize, kQ4_0BlockBytes) == 0);
  static_assert(gguf_row_bytes(33, kQ4_0BlockSize, kQ4_0BlockBytes) == 36);
  static_assert(gguf_row_bytes(64, kQ8_0BlockSize, kQ8_0BlockBytes) == 68);
  static_assert(gguf_row_bytes(257, kQ4KBlockSize, kQ4KBlockBytes) == 288);
  static_assert(kQ4KQsOffset + 128 == kQ4KBlockBytes);
  const auto x = ggml_signal(512);
  Bytes out(gguf_row_bytes(512, kQ4KBlockSize, kQ4KBlockBytes));
  quantize_row_q4_k(x, out);
  EXPECT_EQ(out, quantize("q4_k", x).packed);
  std::vector<float> y(512);
  dequantize_row_q4_k(out, y);
  EXPECT_EQ(y, quantize("q4_k", x).values);
}

// NaN/Inf follow ggml's x86 behaviour deterministically and never break the round trip.
TEST(GgufAll, NonFiniteInputsAreDeterministic) {
  std::vector<float> x = ggml_signal(256);
  x[3] = std::numeric_limits<float>::quiet_NaN();
  x[40] = std::numeric_limits<float>::infinity();
  for (const char* fmt : {"q4_0", "q8_0", "q4_k"}) {
    const auto q = builtin_formats().create(fmt);
    const auto a = q->quantize(x);
    const auto b = q->quantize(x);
    EXPECT_EQ(a.packed, b.packed) << fmt;
    EXPECT_EQ(bits_of(q->dequantize(a)), bits_of(a.values)) << fmt;
  }
}

TEST(GgufRegistry, FormatInfo) {
  const auto& r = builtin_formats();
  const FormatInfo* q40 = r.find("q4_0");
  ASSERT_NE(q40, nullptr);
  EXPECT_EQ(q40->layout, Layout::kBlock);
  EXPECT_EQ(q40->default_size, 32);
  EXPECT_TRUE(q40->size_fixed);
  EXPECT_EQ(q40->element_bits, 4);
  EXPECT_EQ(q40->roundings, std::vector<Rounding>{Rounding::kHalfUp});
  EXPECT_EQ(q40->overflows, std::vector<Overflow>{Overflow::kSaturate});
  EXPECT_EQ(r.find("q8_0")->roundings, std::vector<Rounding>{Rounding::kNearestAway});
  EXPECT_EQ(r.find("q8_0")->element_bits, 8);
  EXPECT_EQ(r.find("q4_k")->default_size, 256);
  EXPECT_EQ(r.find("q4_k")->roundings, std::vector<Rounding>{Rounding::kNearestEven});
}

TEST(GgufRegistry, RejectsOtherSizesAndRules) {
  QuantizeOptions block16;
  block16.block = 16;
  try {
    builtin_formats().create("q4_0", block16);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("fixed"));
  }
  QuantizeOptions block32;
  block32.block = 32;
  EXPECT_NO_THROW(builtin_formats().create("q4_0", block32));
  QuantizeOptions block32k;
  block32k.block = 32;
  EXPECT_THROW(builtin_formats().create("q4_k", block32k), ConfigError);
  QuantizeOptions rne;
  rne.rounding = Rounding::kNearestEven;
  EXPECT_THROW(builtin_formats().create("q4_0", rne), ConfigError);
  EXPECT_THROW(builtin_formats().create("q8_0", rne), ConfigError);
  EXPECT_NO_THROW(builtin_formats().create("q4_k", rne));
  QuantizeOptions wrap;
  wrap.overflow = Overflow::kWrap;
  EXPECT_THROW(builtin_formats().create("q8_0", wrap), ConfigError);
  QuantizeOptions group;
  group.group = 32;
  EXPECT_THROW(builtin_formats().create("q4_k", group), ConfigError);
}

}  // namespace
}  // namespace mpsim::num
