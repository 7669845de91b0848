// DESCRIPTION: Codebook formats: NF4 thresholds against the bitsandbytes literals, tie and
// nibble-order rules, hand-worked blocks; BitMoD's worked example, clipping, FP16 effects, the
// 1e3 fallback, and a cross-check against an independent FP16 reference of `search_datatype`.
// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "mpsim/base/error.h"
#include "mpsim/numerics/codebook.h"
#include "mpsim/numerics/exact.h"
#include "mpsim/numerics/half.h"
#include "mpsim/numerics/quantizer.h"
#include "mpsim/numerics/scalar_format.h"

namespace mpsim::num {
namespace {

using ::testing::HasSubstr;

QuantizedRow quantize(std::string_view fmt, const std::vector<float>& x, QuantizeOptions o = {}) {
  return builtin_formats().create(fmt, o)->quantize(x);
}

QuantizeOptions with_block(int b) {
  QuantizeOptions o;
  o.block = b;
  return o;
}

QuantizeOptions with_group(int g) {
  QuantizeOptions o;
  o.group = g;
  return o;
}

std::vector<std::uint32_t> bits_of(const std::vector<float>& v) {
  std::vector<std::uint32_t> b;
  for (const float x : v) b.push_back(std::bit_cast<std::uint32_t>(x));
  return b;
}

// ---------------------------------------------------------------------------------------------
// NF4
// ---------------------------------------------------------------------------------------------

// The literals of bitsandbytes' dQuantizeNF4 tree (csrc/kernels.cu), ascending; the tree compares
// the FP32 input against them as FP32 (`f` suffix).
constexpr double kBnbThresholds[15] = {
    -0.8480964004993439,  -0.6106329262256622,  -0.4599952697753906,   -0.33967943489551544,
    -0.23460740596055984, -0.13791173323988914, -0.045525018125772476, 0.03979014977812767,
    0.1202552504837513,   0.2035212516784668,   0.2920137718319893,    0.3893125355243683,
    0.5016634166240692,   0.6427869200706482,   0.8614784181118011};

TEST(Nf4Codebook, ThresholdsAreTheMidpointsAndTheBitsandbytesLiterals) {
  for (std::size_t i = 0; i < 15; ++i) {
    const double mid =
        (static_cast<double>(kNf4Codebook[i]) + static_cast<double>(kNf4Codebook[i + 1])) / 2;
    EXPECT_EQ(mid, kBnbThresholds[i]) << i;  // the literal is the exact double midpoint
    EXPECT_EQ(kNf4Thresholds[i], static_cast<float>(kBnbThresholds[i])) << i;
    EXPECT_EQ(kNf4Thresholds[i], static_cast<float>(mid)) << i;
  }
  EXPECT_EQ(kNf4Thresholds[7], static_cast<float>(0.07958029955625534 / 2));
  EXPECT_EQ(kNf4Codebook[kNf4ZeroCode], 0.0f);
}

TEST(Nf4Codebook, EncodeIsTheBitsandbytesTree) {
  // The tree as written in bitsandbytes, with FP32 literals; compared on every threshold, its
  // neighbours and a sweep.
  auto tree = [](float x) -> std::uint32_t {
    auto t = [](int i) { return static_cast<float>(kBnbThresholds[i]); };
    if (x > t(7)) {
      if (x > t(11)) {
        if (x > t(13)) return x > t(14) ? 15 : 14;
        return x > t(12) ? 13 : 12;
      }
      if (x > t(9)) return x > t(10) ? 11 : 10;
      return x > t(8) ? 9 : 8;
    }
    if (x > t(3)) {
      if (x > t(5)) return x > t(6) ? 7 : 6;
      return x > t(4) ? 5 : 4;
    }
    if (x > t(1)) return x > t(2) ? 3 : 2;
    return x > t(0) ? 1 : 0;
  };
  std::vector<float> xs;
  for (const double t : kBnbThresholds) {
    const auto f = static_cast<float>(t);
    xs.insert(xs.end(), {f, std::nextafter(f, 2.0f), std::nextafter(f, -2.0f)});
  }
  for (int i = -1100; i <= 1100; ++i) xs.push_back(static_cast<float>(i) / 1000.0f);
  xs.push_back(std::numeric_limits<float>::quiet_NaN());
  for (const float x : xs) EXPECT_EQ(nf4_encode(x), tree(x)) << x;
  EXPECT_EQ(nf4_encode(std::numeric_limits<float>::quiet_NaN()), 0u);
}

TEST(Nf4, EveryCodebookValueTimesAbsmaxRoundTrips) {
  for (const float absmax : {1.0f, 3.7f, 1e-3f, 0.3f, 1e30f, 6.1e-5f}) {
    std::vector<float> x;
    for (const float c : kNf4Codebook) x.push_back(c * absmax);
    const auto q = quantize("nf4", x);
    ASSERT_EQ(q.scales.size(), 1u);
    EXPECT_EQ(q.scales[0].scale, static_cast<double>(absmax));
    EXPECT_EQ(q.scales[0].scale_code, std::bit_cast<std::uint32_t>(absmax));
    for (std::uint32_t i = 0; i < 16; ++i) {
      EXPECT_EQ(q.codes[i], i) << absmax;
      EXPECT_EQ(q.values[i], kNf4Codebook[i] * absmax) << absmax;
    }
  }
}

TEST(Nf4, TiesAtThresholdsGoLowerAndTheNextFloatGoesHigher) {
  for (std::uint32_t i = 0; i < 15; ++i) {
    const float t = kNf4Thresholds[i];
    // absmax 1 makes the reciprocal exactly 1, so the element reaches the tree unchanged.
    const auto q = quantize("nf4", {1.0f, t, std::nextafter(t, 2.0f), std::nextafter(t, -2.0f)});
    EXPECT_EQ(q.codes[1], i) << "tie at threshold " << i;
    EXPECT_EQ(q.codes[2], i + 1) << "just above threshold " << i;
    EXPECT_EQ(q.codes[3], i) << "just below threshold " << i;
  }
}

TEST(Nf4, MultipliesByTheFp32ReciprocalRatherThanDividing) {
  // Elements one or two ULPs around threshold * absmax, where x * (1/a) and x / a can fall on
  // different sides of the threshold. The quantizer must follow the reciprocal.
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(1.0f, 2.0f);
  int disagreements = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    const float a = dist(rng);
    const float inv = 1.0f / a;
    for (const float t : kNf4Thresholds) {
      float x = t * a;
      for (int k = 0; k < 3; ++k, x = std::nextafter(x, 2.0f)) {
        const std::uint32_t by_mul = nf4_encode(x * inv);
        const std::uint32_t by_div = nf4_encode(x / a);
        const auto q = quantize("nf4", {a, x});
        ASSERT_EQ(q.codes[1], by_mul) << a << " " << x;
        disagreements += by_mul != by_div;
      }
    }
  }
  EXPECT_GT(disagreements, 0) << "no case separates multiply from divide; the test is vacuous";
}

TEST(Nf4, HandWorkedBlock) {
  // absmax 2 -> x_n = [1, -0.5, 0.25, 0.05, -0.15, 0, 0.75, -1]:
  //  -0.5 lies in (t1, t2] = (-0.6106, -0.4600] -> 2;  0.25 in (t9, t10] = (0.2035, 0.2920] -> 10;
  //  0.05 in (t7, t8] = (0.0398, 0.1203] -> 8;   -0.15 in (t4, t5] = (-0.2346, -0.1379] -> 5;
  //  0.75 in (t13, t14] = (0.6428, 0.8615] -> 14.
  const std::vector<float> x{2.0f, -1.0f, 0.5f, 0.1f, -0.3f, 0.0f, 1.5f, -2.0f};
  const auto q = quantize("nf4", x);
  EXPECT_EQ(q.codes, (std::vector<std::uint32_t>{15, 2, 10, 8, 5, 7, 14, 0}));
  EXPECT_EQ(q.block, 64);
  ASSERT_EQ(q.scales.size(), 1u);
  EXPECT_EQ(q.scales[0].scale_code, 0x40000000u);
  EXPECT_EQ(q.packed, (std::vector<std::uint8_t>{0xF2, 0xA8, 0x57, 0xE0}));
  EXPECT_EQ(q.values[0], 2.0f);
  EXPECT_EQ(q.values[1], -0.5250730514526367f * 2.0f);
  EXPECT_EQ(q.values[2], 0.24611230194568634f * 2.0f);
  EXPECT_EQ(q.values[3], 0.07958029955625534f * 2.0f);
  EXPECT_EQ(q.values[4], -0.18477343022823334f * 2.0f);
  EXPECT_EQ(q.values[5], 0.0f);
  EXPECT_EQ(q.values[6], 0.7229568362236023f * 2.0f);
  EXPECT_EQ(q.values[7], -2.0f);
}

TEST(Nf4, PackingPutsTheFirstElementInTheHighNibbleAndPadsWithZeroCode) {
  const float c0 = kNf4Codebook[0], c1 = kNf4Codebook[1], c8 = kNf4Codebook[8];
  const auto q = quantize("nf4", {1.0f, c0, 0.0f, c8, c1});
  EXPECT_EQ(q.codes, (std::vector<std::uint32_t>{15, 0, 7, 8, 1}));
  EXPECT_EQ(q.packed, (std::vector<std::uint8_t>{0xF0, 0x78, 0x17}));
  // Packing runs over the whole row, across block boundaries.
  const auto b3 = quantize("nf4", {1.0f, c0, 0.0f, 1.0f, c8, c1}, with_block(3));
  EXPECT_EQ(b3.scales.size(), 2u);
  EXPECT_EQ(b3.packed, (std::vector<std::uint8_t>{0xF0, 0x7F, 0x81}));
}

TEST(Nf4, AllZeroBlockStoresZeroCodeAndZeroAbsmax) {
  // mpsim's deliberate deviation: bitsandbytes would compute 0 * (1/0) = NaN -> code 0.
  const auto q = quantize("nf4", {0.0f, -0.0f, 0.0f, 3.0f}, with_block(3));
  ASSERT_EQ(q.scales.size(), 2u);
  EXPECT_EQ(q.scales[0].scale, 0.0);
  EXPECT_EQ(q.scales[0].scale_code, 0u);
  EXPECT_EQ(q.codes, (std::vector<std::uint32_t>{7, 7, 7, 15}));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(q.values[i], 0.0f);
    EXPECT_FALSE(std::signbit(q.values[i]));
  }
  EXPECT_EQ(q.values[3], 3.0f);
  EXPECT_EQ(q.packed, (std::vector<std::uint8_t>{0x77, 0x7F}));
}

TEST(Nf4, NanOrInfMakesTheBlockNan) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const auto q = quantize("nf4", {1.0f, nan, 0.5f, -inf, 0.25f, 1.0f}, with_block(2));
  ASSERT_EQ(q.scales.size(), 3u);
  EXPECT_TRUE(std::isnan(q.scales[0].scale));
  EXPECT_TRUE(std::isnan(std::bit_cast<float>(q.scales[0].scale_code)));
  EXPECT_TRUE(std::isnan(q.scales[1].scale));
  EXPECT_EQ(q.scales[2].scale, 1.0);
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(std::isnan(q.values[i])) << i;
    EXPECT_EQ(q.codes[i], kNf4ZeroCode) << i;
  }
  EXPECT_EQ(q.values[4], kNf4Codebook[nf4_encode(0.25f)]);
  EXPECT_EQ(q.values[5], 1.0f);
}

TEST(Nf4, DefaultBlockIs64AndPartialTailsWork) {
  std::vector<float> x(130);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) - 60.0f;
  const auto q = quantize("nf4", x);
  EXPECT_EQ(q.block, 64);
  ASSERT_EQ(q.scales.size(), 3u);
  EXPECT_EQ(q.scales[0].scale, 60.0);  // block 0 holds -60..3
  EXPECT_EQ(q.scales[1].scale, 67.0);  // block 1 holds 4..67
  EXPECT_EQ(q.scales[2].scale, 69.0);  // tail holds 68, 69
  EXPECT_EQ(q.packed.size(), 65u);
}

// ---------------------------------------------------------------------------------------------
// BitMoD tables
// ---------------------------------------------------------------------------------------------

// The reference's datatype lists (quant_weight.py), x2 units.
const std::map<std::string, std::vector<int>>& reference_tables() {
  static const std::map<std::string, std::vector<int>> t = {
      {"fp3_er_pos", {-4, -2, -1, 0, 1, 2, 3, 4}},
      {"fp3_er_neg", {-4, -3, -2, -1, 0, 1, 2, 4}},
      {"fp3_ea_pos", {-4, -2, -1, 0, 1, 2, 4, 6}},
      {"fp3_ea_neg", {-6, -4, -2, -1, 0, 1, 2, 4}},
      {"fp4_er_pos", {-12, -8, -6, -4, -3, -2, -1, 0, 1, 2, 3, 4, 6, 8, 10, 12}},
      {"fp4_er_neg", {-12, -10, -8, -6, -4, -3, -2, -1, 0, 1, 2, 3, 4, 6, 8, 12}},
      {"fp4_ea_pos", {-12, -8, -6, -4, -3, -2, -1, 0, 1, 2, 3, 4, 6, 8, 12, 16}},
      {"fp4_ea_neg", {-16, -12, -8, -6, -4, -3, -2, -1, 0, 1, 2, 3, 4, 6, 8, 12}},
  };
  return t;
}

TEST(BitmodTables, MatchTheReferenceListsAndCodesRoundTrip) {
  for (const int bits : {3, 4}) {
    for (const BitmodType t : kBitmodSearchOrder) {
      const std::string name(bitmod_type_name(bits, t));
      EXPECT_EQ(bitmod_allowed_values(bits, t), reference_tables().at(name)) << name;
      EXPECT_EQ(parse_bitmod_type(bits, name), t);
      const bool ea = t == BitmodType::kEaPos || t == BitmodType::kEaNeg;
      EXPECT_EQ(bitmod_qmax(bits, t), bits == 4 ? (ea ? 16 : 12) : (ea ? 6 : 4)) << name;
      for (std::uint32_t c = 0; c < (1u << bits); ++c) {
        const int v = bitmod_decode(bits, t, c);
        EXPECT_EQ(bitmod_encode(bits, t, v), c) << name << " code " << c;
      }
      EXPECT_EQ(bitmod_decode(bits, t, bitmod_special_code(bits)), bitmod_special_value(bits, t));
    }
    EXPECT_FALSE(parse_bitmod_type(bits, "fp5_er_pos").has_value());
  }
  EXPECT_EQ(bitmod_special_code(4), 0b1000u);
  EXPECT_EQ(bitmod_special_code(3), 0b100u);
  EXPECT_EQ(bitmod_decode(4, BitmodType::kEaPos, 0b1000), 16);  // RTL reader: +8 in E2M1 units
  EXPECT_EQ(bitmod_decode(4, BitmodType::kErNeg, 0b1000), -10);
  EXPECT_EQ(bitmod_decode(4, BitmodType::kErPos, 0b1111), -12);
  EXPECT_EQ(bitmod_decode(3, BitmodType::kEaNeg, 0b100), -6);
  EXPECT_EQ(bitmod_decode(3, BitmodType::kErPos, 0b111), -4);
  EXPECT_FALSE(bitmod_encode(4, BitmodType::kErPos, -10).has_value());
  EXPECT_FALSE(bitmod_encode(3, BitmodType::kEaPos, 3).has_value());
  EXPECT_EQ(bitmod_encode(4, BitmodType::kErNeg, 0), 0u);  // zero is never the special code
}

// ---------------------------------------------------------------------------------------------
// BitMoD quantization
// ---------------------------------------------------------------------------------------------

// numerics.md §4.1 worked example, weights used directly (rmax 12, ER s = 1, EA s = 0.75).
TEST(Bitmod, SpecWorkedExampleFp4) {
  const std::vector<float> w{12, -3, 6, 10, -2, 4, 5, -8};
  const BitmodGroupResult r = bitmod_quantize_group(4, w);
  ASSERT_FALSE(r.nan_group);
  EXPECT_EQ(r.chosen, 0);
  const auto& er_pos = r.candidates[0];
  EXPECT_EQ(er_pos.type, BitmodType::kErPos);
  EXPECT_EQ(er_pos.scale_bits, 0x3C00u);  // 1.0
  EXPECT_EQ(er_pos.values, (std::vector<float>{12, -3, 6, 10, -2, 4, 4, -8}));
  EXPECT_EQ(er_pos.codes, (std::vector<std::uint32_t>{0b0111, 0b1011, 0b0101, 0b1000, 0b1010,
                                                      0b0100, 0b0100, 0b1110}));
  EXPECT_EQ(er_pos.mse, 0.125);
  EXPECT_EQ(r.candidates[1].mse, 0.625);  // 10 -> 8 (tie at the 8/12 midpoint), 5 -> 4
  EXPECT_EQ(r.candidates[1].values, (std::vector<float>{12, -3, 6, 8, -2, 4, 4, -8}));
  EXPECT_EQ(r.candidates[2].scale_bits, fp32_to_fp16_bits(0.75f));
  EXPECT_EQ(r.candidates[2].mse, 0.3203125);
  EXPECT_EQ(r.candidates[2].values, (std::vector<float>{12, -3, 6, 9, -2.25f, 4.5f, 4.5f, -9}));
  EXPECT_EQ(r.candidates[3].mse, 1.4453125);
  EXPECT_EQ(r.candidates[3].values, (std::vector<float>{9, -3, 6, 9, -2.25f, 4.5f, 4.5f, -9}));

  // The same through the registered format.
  const auto q = quantize("bitmod_fp4", w);
  EXPECT_EQ(q.block, 128);
  ASSERT_EQ(q.scales.size(), 1u);
  EXPECT_EQ(q.scales[0].tag, "fp4_er_pos");
  EXPECT_EQ(q.scales[0].scale, 1.0);
  EXPECT_EQ(q.scales[0].scale_code, 0x3C00u);
  EXPECT_FALSE(q.scales[0].zero.has_value());
  EXPECT_EQ(q.codes, er_pos.codes);
  EXPECT_EQ(q.values, er_pos.values);
}

TEST(Bitmod, EaPosClipsTheNegativeExtremeToMinus12) {
  // rmax 16 -> EA s = 1: EA_POS has no -16 and clips to -12; EA_NEG represents it exactly.
  const BitmodGroupResult r = bitmod_quantize_group(4, std::vector<float>{-16, 1, 3});
  EXPECT_EQ(r.candidates[2].values, (std::vector<float>{-12, 1, 3}));
  EXPECT_EQ(r.candidates[2].codes[0], 0b1111u);
  EXPECT_EQ(r.candidates[3].values, (std::vector<float>{-16, 1, 3}));
  EXPECT_EQ(r.candidates[3].codes[0], 0b1000u);
  EXPECT_EQ(r.candidates[3].mse, 0.0);
  EXPECT_EQ(r.chosen, 3);
  EXPECT_EQ(quantize("bitmod_fp4", {-16, 1, 3}).scales[0].tag, "fp4_ea_neg");
}

TEST(Bitmod, HandWorkedFp3Group) {
  // rmax 6: ER s = fp16(6/4) = 1.5, EA s = 1. ER_POS x = [4, -2, 1, 1.667, -0.667, 0.167, 3, -4]
  // -> [4, -2, 1, 2, -1, 0, 3, -4]: errors 0.25 + 0.25 + 0.0625 = 0.5625 / 8.
  // ER_NEG: 3 is the 2/4 midpoint -> 2 (extra 2.25). EA_POS: -3 and 1.5 tie lower, -6 clips to
  // -4, 4.5 -> 4. EA_NEG: 6 clips to 4, the rest as EA_POS except -6 exact.
  const std::vector<float> w{6, -3, 1.5f, 2.5f, -1, 0.25f, 4.5f, -6};
  const BitmodGroupResult r = bitmod_quantize_group(3, w);
  EXPECT_EQ(r.candidates[0].mse, 0.5625 / 8);
  EXPECT_EQ(r.candidates[1].mse, 2.8125 / 8);
  EXPECT_EQ(r.candidates[2].mse, 5.8125 / 8);
  EXPECT_EQ(r.candidates[3].mse, 5.8125 / 8);
  EXPECT_EQ(r.candidates[2].values, (std::vector<float>{6, -4, 1, 2, -1, 0, 4, -4}));
  EXPECT_EQ(r.candidates[3].values, (std::vector<float>{4, -4, 1, 2, -1, 0, 4, -6}));
  EXPECT_EQ(r.chosen, 0);
  const auto q = quantize("bitmod_fp3", w);
  EXPECT_EQ(q.scales[0].tag, "fp3_er_pos");
  EXPECT_EQ(q.scales[0].scale_code, 0x3E00u);  // 1.5
  EXPECT_EQ(q.values, (std::vector<float>{6, -3, 1.5f, 3, -1.5f, 0, 4.5f, -6}));
  EXPECT_EQ(q.codes,
            (std::vector<std::uint32_t>{0b011, 0b110, 0b001, 0b010, 0b101, 0b000, 0b100, 0b111}));
}

TEST(Bitmod, ExactMseTieGoesToTheFirstDatatype) {
  // ER s = 1: ER_POS loses 4 at -10 (-> -12, the midpoint of -12/-8 goes lower), ER_NEG loses 4
  // at 10 (-> 8). EA (s = 0.75) misses 10, -10 and the 8s and 4s: sum 5.5.
  const std::vector<float> w{12, 10, -10, 8, 8, 8, 4, 4};
  const BitmodGroupResult r = bitmod_quantize_group(4, w);
  EXPECT_EQ(r.candidates[0].mse, 0.5);
  EXPECT_EQ(r.candidates[1].mse, 0.5);
  EXPECT_EQ(r.candidates[2].mse, 5.5 / 8);
  EXPECT_GT(r.candidates[3].mse, 0.5);
  EXPECT_EQ(r.chosen, 0);
}

TEST(Bitmod, NoDatatypeBelowTheInitial1e3KeepsTheFirst) {
  // k * [12, -10, 5, 5] with k = 64: MSEs ER_POS 1.5 k^2, ER_NEG 0.5 k^2, EA_POS 0.375 k^2 (1536),
  // all >= 1e3. The reference would leave zeros; mpsim keeps the first datatype.
  const std::vector<float> w{768, -640, 320, 320};
  const BitmodGroupResult r = bitmod_quantize_group(4, w);
  EXPECT_EQ(r.candidates[0].mse, 6144.0);
  EXPECT_EQ(r.candidates[1].mse, 2048.0);
  EXPECT_EQ(r.candidates[2].mse, 1536.0);
  EXPECT_GE(r.candidates[3].mse, 1e3);
  EXPECT_EQ(r.chosen, 0);
  EXPECT_EQ(quantize("bitmod_fp4", w).values, r.candidates[0].values);
  // With k = 1 every error is below 1e3 and the minimum (EA_POS, 0.375) wins.
  const BitmodGroupResult s = bitmod_quantize_group(4, std::vector<float>{12, -10, 5, 5});
  EXPECT_EQ(s.candidates[2].mse, 0.375);
  EXPECT_EQ(s.chosen, 2);
}

TEST(Bitmod, InputsAreRoundedToFp16First) {
  // 12.001 and 1.0001 are 12 and 1 in FP16: ER s = 1 and both are represented exactly.
  const auto q = quantize("bitmod_fp4", {12.001f, 1.0001f, -0.3f});
  EXPECT_EQ(q.values[0], 12.0f);
  EXPECT_EQ(q.values[1], 1.0f);
  EXPECT_EQ(q.values[2], 0.0f);
  EXPECT_EQ(q.scales[0].tag, "fp4_er_pos");
  // A value beyond the FP16 range is Inf in the reference: the group becomes NaN.
  const auto big = quantize("bitmod_fp4", {70000.0f, 1.0f});
  EXPECT_TRUE(std::isnan(big.values[0]));
  EXPECT_TRUE(std::isnan(big.scales[0].scale));
}

TEST(Bitmod, Fp16OverflowOfTheErProductRulesErOut) {
  // ER: s = fp16(65504 / 12) = 5460 and 12 * 5460 = 65520 rounds to Inf in FP16.
  const BitmodGroupResult r = bitmod_quantize_group(4, std::vector<float>{65504, 1});
  EXPECT_FALSE(r.candidates[0].finite);
  EXPECT_EQ(r.candidates[0].mse, std::numeric_limits<double>::infinity());
  EXPECT_EQ(r.chosen, 2);  // EA_POS: s = 4094, 16 * 4094 = 65504
  EXPECT_EQ(r.candidates[2].values[0], 65504.0f);
}

TEST(Bitmod, ScaleClampsTo1e4And1em5) {
  // FP3 ER: 65504 / 4 = 16376 -> 1e4, x = 6.55 clips to 4 (40000); EA: 10920 -> 1e4, x -> 6
  // (60000). Every MSE is far above 1e3, so the first datatype is kept.
  const BitmodGroupResult r = bitmod_quantize_group(3, std::vector<float>{65504.0f, -1.0f});
  EXPECT_EQ(r.candidates[0].values[0], 40000.0f);
  EXPECT_EQ(r.candidates[2].values[0], 60000.0f);
  EXPECT_EQ(r.candidates[2].scale_bits, fp32_to_fp16_bits(1e4f));
  const auto q = quantize("bitmod_fp3", {65504.0f, -1.0f});
  EXPECT_EQ(q.scales[0].scale, 1e4);
  EXPECT_EQ(q.scales[0].scale_code, fp32_to_fp16_bits(1e4f));
  EXPECT_EQ(q.scales[0].tag, "fp3_er_pos");
  EXPECT_EQ(q.values[0], 40000.0f);
  // Tiny weights: the scale clamps to fp16(1e-5) and everything rounds to zero.
  const auto t = quantize("bitmod_fp4", {1e-6f, -2e-6f});
  EXPECT_EQ(t.scales[0].scale_code, fp32_to_fp16_bits(1e-5f));
  EXPECT_EQ(t.values, (std::vector<float>{0, 0}));
}

TEST(Bitmod, NanGroupAndGroupOption) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const auto q = quantize("bitmod_fp4", {1, nan, 12, -3}, with_group(2));
  ASSERT_EQ(q.scales.size(), 2u);
  EXPECT_TRUE(std::isnan(q.scales[0].scale));
  EXPECT_EQ(q.scales[0].scale_code, 0x7E00u);
  EXPECT_TRUE(std::isnan(q.values[0]));
  EXPECT_TRUE(std::isnan(q.values[1]));
  EXPECT_EQ(q.values[2], 12.0f);
  EXPECT_EQ(q.values[3], -3.0f);
  EXPECT_TRUE(
      std::isnan(quantize("bitmod_fp3", {std::numeric_limits<float>::infinity()}).values[0]));
}

// ---------------------------------------------------------------------------------------------
// Independent reference of quant_datatype / search_datatype (double arithmetic rounded to FP16
// by the exact ScalarFormat engine, the reference's value lists, exact error sums).
// ---------------------------------------------------------------------------------------------

double f16(double v) {
  return ScalarFormat::fp16().quantize(v, Rounding::kNearestEven, Overflow::kInfNan);
}

struct RefChoice {
  std::string name;
  double scale = 0;
  std::vector<double> values;
};

RefChoice reference_search(int bits, const std::vector<float>& w) {
  const std::vector<std::string> names =
      bits == 4 ? std::vector<std::string>{"fp4_er_pos", "fp4_er_neg", "fp4_ea_pos", "fp4_ea_neg"}
                : std::vector<std::string>{"fp3_er_pos", "fp3_er_neg", "fp3_ea_pos", "fp3_ea_neg"};
  std::vector<double> w16;
  double rmax = 0;
  for (const float v : w) {
    w16.push_back(f16(v));
    rmax = std::max(rmax, std::fabs(w16.back()));
  }
  // Squared errors in units of 2^-48 (FP16 values are multiples of 2^-24), summed in 128 bits;
  // the initial error 1e3 is a mean, i.e. a sum of 1000 * n.
  uint128_t best = static_cast<uint128_t>(1000) * w.size() << 48;
  std::vector<RefChoice> cands;
  int chosen = -1;
  for (const auto& name : names) {
    const auto& allowed = reference_tables().at(name);
    std::vector<double> mid;
    for (std::size_t i = 0; i + 1 < allowed.size(); ++i)
      mid.push_back((allowed[i] + allowed[i + 1]) / 2.0);
    double qmax = 0;
    for (const int a : allowed) qmax = std::max(qmax, std::fabs(a));
    const double scale = std::clamp(f16(rmax / qmax), f16(1e-5), 1e4);
    RefChoice c{name, scale, {}};
    uint128_t sum = 0;
    bool finite = true;
    for (const double v : w16) {
      const double x = f16(v / scale);
      double q = 0;  // the reference's sum of torch.where terms
      for (std::size_t i = 0; i < allowed.size(); ++i) {
        bool hit = false;
        if (i == 0)
          hit = x <= mid[0];
        else if (i == allowed.size() - 1)
          hit = x > mid[i - 1];
        else
          hit = mid[i - 1] < x && x <= mid[i];
        if (hit) q += allowed[i];
      }
      const double dq = f16(q * scale);
      c.values.push_back(dq);
      if (!std::isfinite(dq)) {
        finite = false;
        continue;
      }
      const auto d = static_cast<int128_t>(std::ldexp(dq - v, 24));
      sum += static_cast<uint128_t>(d * d);
    }
    if (finite && sum < best) {
      best = sum;
      chosen = static_cast<int>(cands.size());
    }
    cands.push_back(std::move(c));
  }
  return cands[chosen < 0 ? 0 : static_cast<std::size_t>(chosen)];
}

TEST(Bitmod, MatchesAnIndependentReferenceOnRandomGroups) {
  std::map<std::string, int> chosen;
  std::mt19937 rng(2025);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> grid(-16, 16);
  for (const int bits : {4, 3}) {
    const std::string fmt = bits == 4 ? "bitmod_fp4" : "bitmod_fp3";
    for (int trial = 0; trial < 300; ++trial) {
      const float mag = std::ldexp(1.0f, trial % 30 - 20);
      std::vector<float> w(128);
      for (auto& v : w) {
        // Every third group lies on a half-integer grid so that midpoint ties occur.
        v = trial % 3 == 0 ? static_cast<float>(grid(rng)) / 2 * mag : normal(rng) * mag;
      }
      if (trial % 5 == 0) w[static_cast<std::size_t>(trial) % 128] *= 9;  // an outlier
      const RefChoice ref = reference_search(bits, w);
      ++chosen[ref.name];
      const auto q = quantize(fmt, w);
      ASSERT_EQ(q.scales.size(), 1u);
      EXPECT_EQ(q.scales[0].tag, ref.name) << fmt << " trial " << trial;
      EXPECT_EQ(q.scales[0].scale, ref.scale) << fmt << " trial " << trial;
      for (std::size_t i = 0; i < w.size(); ++i)
        ASSERT_EQ(static_cast<double>(q.values[i]), ref.values[i]) << fmt << " trial " << trial;
    }
  }
  EXPECT_EQ(chosen.size(), 8u) << "every datatype of both widths should win some group";
}

// ---------------------------------------------------------------------------------------------
// Shared properties and the registry
// ---------------------------------------------------------------------------------------------

TEST(Codebook, DequantizeOfQuantizeIsBitExact) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(1000);
  for (auto& v : x) v = normal(rng) * 3.0f;
  x[5] = 0.0f;
  x[700] = std::numeric_limits<float>::quiet_NaN();
  for (int i = 128; i < 256; ++i) x[static_cast<std::size_t>(i)] = 0.0f;
  for (const char* fmt : {"nf4", "bitmod_fp4", "bitmod_fp3"}) {
    for (const int size : {0, 1, 7, 64}) {
      QuantizeOptions o;
      if (size != 0) (std::string(fmt) == "nf4" ? o.block : o.group) = size;
      const auto q = builtin_formats().create(fmt, o);
      const auto row = q->quantize(x);
      EXPECT_EQ(bits_of(q->dequantize(row)), bits_of(row.values)) << fmt << " size " << size;
    }
  }
}

TEST(Codebook, DequantizeUsesTheStoredTag) {
  const auto q = builtin_formats().create("bitmod_fp4");
  auto row = q->quantize(std::vector<float>{12, -3, 6, 10, -2, 4, 5, -8});
  ASSERT_EQ(row.codes[3], 0b1000u);
  row.scales[0].tag = "fp4_ea_neg";  // the special code now means -16
  EXPECT_EQ(q->dequantize(row)[3], -16.0f);
  row.scales[0].tag = "int4";
  EXPECT_THROW(q->dequantize(row), ConfigError);
}

TEST(Codebook, RegistryInfoAndOptionErrors) {
  const auto& reg = builtin_formats();
  const FormatInfo* nf4 = reg.find("nf4");
  ASSERT_NE(nf4, nullptr);
  EXPECT_EQ(nf4->layout, Layout::kBlock);
  EXPECT_EQ(nf4->default_size, 64);
  EXPECT_EQ(nf4->element_bits, 4);
  EXPECT_THAT(nf4->description, HasSubstr("ties to the lower code (bitsandbytes)"));
  for (const char* name : {"bitmod_fp4", "bitmod_fp3"}) {
    const FormatInfo* b = reg.find(name);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->layout, Layout::kGroup);
    EXPECT_EQ(b->default_size, 128);
    EXPECT_EQ(b->element_bits, std::string(name) == "bitmod_fp4" ? 4 : 3);
    EXPECT_THAT(b->description, HasSubstr("ties to the lower value (BitMoD)"));
    EXPECT_EQ(b->roundings, std::vector<Rounding>{Rounding::kNearestEven});
  }
  EXPECT_THROW(reg.create("bitmod_fp4", with_block(64)), ConfigError);
  EXPECT_THROW(reg.create("bitmod_fp3", with_block(64)), ConfigError);
  EXPECT_THROW(reg.create("nf4", with_group(64)), ConfigError);
  QuantizeOptions rna;
  rna.rounding = Rounding::kNearestAway;
  EXPECT_THROW(reg.create("nf4", rna), ConfigError);
  EXPECT_THROW(reg.create("bitmod_fp4", rna), ConfigError);
  QuantizeOptions wrap;
  wrap.overflow = Overflow::kWrap;
  EXPECT_THROW(reg.create("nf4", wrap), ConfigError);
  try {
    reg.create("nf4", with_group(32));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("--block"));
  }
  EXPECT_EQ(reg.create("bitmod_fp4", with_group(32))
                ->quantize(std::vector<float>(70, 1.0f))
                .scales.size(),
            3u);
}

}  // namespace
}  // namespace mpsim::num
