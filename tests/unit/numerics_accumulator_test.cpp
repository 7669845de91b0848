// DESCRIPTION: Accumulators: integer wrap/saturate at 32, 24 and 128 bits with overflow counts, and
// FP32 accumulation under each rounding mode cross-checked against the FPU's own rounding modes.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <bit>
#include <cfenv>
#include <cmath>
#include <random>

#include "mpsim/numerics/accumulator.h"

namespace mpsim::num {
namespace {

TEST(IntAccumulator, Int32WrapsAndCountsOverflows) {
  auto acc = Accumulator::integer(32, Overflow::kWrap);
  acc.add(int128_t{0x7FFFFFFF});
  EXPECT_EQ(acc.overflows(), 0u);
  acc.add(int128_t{1});
  EXPECT_EQ(acc.int_value(), -(int128_t{1} << 31));
  EXPECT_EQ(acc.overflows(), 1u);
  acc.add(int128_t{-1});  // wraps back up
  EXPECT_EQ(acc.int_value(), int128_t{0x7FFFFFFF});
  EXPECT_EQ(acc.overflows(), 2u);
}

TEST(IntAccumulator, Int32Saturates) {
  auto acc = Accumulator::integer(32, Overflow::kSaturate);
  acc.add(int128_t{0x7FFFFFF0});
  acc.add(int128_t{0x100});
  EXPECT_EQ(acc.int_value(), int128_t{0x7FFFFFFF});
  acc.add(int128_t{-5});  // saturation is sticky only in value, not in state
  EXPECT_EQ(acc.int_value(), int128_t{0x7FFFFFFA});
  EXPECT_EQ(acc.overflows(), 1u);
}

TEST(IntAccumulator, Int24WrapMatchesModularArithmetic) {
  std::mt19937 rng(5);
  auto acc = Accumulator::integer(24, Overflow::kWrap);
  std::int64_t ref = 0;
  for (int i = 0; i < 10000; ++i) {
    const std::int64_t t = static_cast<std::int64_t>(rng() % 200001) - 100000;
    acc.add(int128_t{t});
    ref = (ref + t) & 0xFFFFFF;
    const std::int64_t signed_ref = ref >= 0x800000 ? ref - 0x1000000 : ref;
    ASSERT_EQ(static_cast<std::int64_t>(acc.int_value()), signed_ref) << i;
  }
}

TEST(IntAccumulator, Int128HoldsSeventyBitBlockSums) {
  // E5M2 block dot products need ~70 bits (numerics.md §2.5): 32 products of 2^64 stay exact.
  auto acc = Accumulator::integer(128, Overflow::kWrap);
  for (int i = 0; i < 32; ++i) acc.add(int128_t{1} << 64);
  EXPECT_EQ(acc.int_value(), int128_t{1} << 69);
  EXPECT_EQ(acc.overflows(), 0u);
  auto a64 = Accumulator::integer(64, Overflow::kWrap);
  for (int i = 0; i < 2; ++i) a64.add(int128_t{1} << 62);
  a64.add(int128_t{1} << 62);
  a64.add(int128_t{1} << 62);  // 2^64 wraps to 0 in 64 bits
  EXPECT_EQ(a64.int_value(), int128_t{0});
  EXPECT_EQ(a64.overflows(), 1u);
  // 128-bit wrap itself.
  auto full = Accumulator::integer(128, Overflow::kSaturate);
  const int128_t max128 = static_cast<int128_t>(~static_cast<uint128_t>(0) >> 1);
  full.add(max128);
  full.add(int128_t{1});
  EXPECT_EQ(full.int_value(), max128);
  EXPECT_EQ(full.overflows(), 1u);
}

TEST(FloatAccumulator, Fp32RoundingModesOnHandWorkedSums) {
  const auto one = ExactValue::from_double(1.0);
  const auto half_ulp = ExactValue::from_double(std::ldexp(1.0, -24));  // 1 + 2^-24 is a tie
  auto rne = Accumulator::floating(ScalarFormat::fp32(), Rounding::kNearestEven);
  rne.add(one);
  rne.add(half_ulp);
  EXPECT_EQ(rne.value(), 1.0);
  rne.add(half_ulp);  // sequential: each tie goes back to 1.0 (the order is part of the semantics)
  EXPECT_EQ(rne.value(), 1.0);
  auto rna = Accumulator::floating(ScalarFormat::fp32(), Rounding::kNearestAway);
  rna.add(one);
  rna.add(half_ulp);
  EXPECT_EQ(rna.value(), 1.0 + std::ldexp(1.0, -23));
  auto rtz = Accumulator::floating(ScalarFormat::fp32(), Rounding::kTowardZero);
  rtz.add(one);
  rtz.add(ExactValue::from_double(std::ldexp(1.0, -23) * 0.99));
  EXPECT_EQ(rtz.value(), 1.0);
  auto fl = Accumulator::floating(ScalarFormat::fp32(), Rounding::kFloor);
  fl.add(ExactValue::from_double(-1.0));
  fl.add(ExactValue::from_double(-1e-30));
  EXPECT_EQ(fl.value(), -(1.0 + std::ldexp(1.0, -23)));
  // Terms far below the accumulator's ulp still decide directed rounding and ties (sticky bit).
  auto fl_tiny = Accumulator::floating(ScalarFormat::fp32(), Rounding::kFloor);
  fl_tiny.add(ExactValue::from_double(-1.0));
  fl_tiny.add(ExactValue::from_double(-std::ldexp(1.0, -149)));
  EXPECT_EQ(fl_tiny.value(), -(1.0 + std::ldexp(1.0, -23)));
  auto tie_plus = Accumulator::floating(ScalarFormat::fp32(), Rounding::kNearestEven);
  tie_plus.add(one);
  tie_plus.add(ExactValue::from_int((int128_t{1} << 125) + 1, -149));  // 2^-24 + 2^-149
  EXPECT_EQ(tie_plus.value(), 1.0 + std::ldexp(1.0, -23));
  auto tie_minus = Accumulator::floating(ScalarFormat::fp32(), Rounding::kNearestEven);
  tie_minus.add(ExactValue::from_double(1.0 + std::ldexp(1.0, -23)));
  tie_minus.add(ExactValue::from_int(-((int128_t{1} << 125) - 1), -149));  // -(2^-24 - 2^-149)
  EXPECT_EQ(tie_minus.value(), 1.0 + std::ldexp(1.0, -23));  // just above the tie: stays
  // An exact 70-bit integer term is rounded once: 2^70 + 1 -> 2^70.
  auto big = Accumulator::floating(ScalarFormat::fp32(), Rounding::kNearestEven);
  big.add(ExactValue::from_int((int128_t{1} << 70) + 1));
  EXPECT_EQ(big.value(), std::ldexp(1.0, 70));
  // Catastrophic cancellation depends on order: (1e8 + 1) - 1e8 = 0 in FP32.
  auto order = Accumulator::floating(ScalarFormat::fp32(), Rounding::kNearestEven);
  order.add(ExactValue::from_double(1e8));
  order.add(ExactValue::from_double(1.0));
  order.add(ExactValue::from_double(-1e8));
  EXPECT_EQ(order.value(), 0.0);
  // Overflow to Inf is counted.
  auto inf = Accumulator::floating(ScalarFormat::fp32(), Rounding::kNearestEven);
  inf.add(ExactValue::from_double(3e38));
  inf.add(ExactValue::from_double(3e38));
  EXPECT_TRUE(std::isinf(inf.value()));
  EXPECT_EQ(inf.overflows(), 1u);
}

// The FPU implements IEEE rounding modes natively: sequences of FP32 additions under fesetround
// are an independent oracle for the FP32 accumulator.
float fpu_sum(const std::vector<float>& xs, int mode) {
  const int saved = std::fegetround();
  std::fesetround(mode);
  volatile float acc = 0.0f;
  for (float x : xs) {
    volatile float t = x;
    acc = acc + t;
  }
  std::fesetround(saved);
  return acc;
}

TEST(FloatAccumulator, Fp32MatchesTheFpuUnderEveryIeeeMode) {
  std::mt19937 rng(77);
  std::normal_distribution<float> n(0.0f, 1.0f);
  const std::pair<Rounding, int> modes[] = {{Rounding::kNearestEven, FE_TONEAREST},
                                            {Rounding::kTowardZero, FE_TOWARDZERO},
                                            {Rounding::kFloor, FE_DOWNWARD}};
  for (const auto& [r, fe] : modes) {
    for (int trial = 0; trial < 300; ++trial) {
      std::vector<float> xs(64);
      for (auto& x : xs) x = std::ldexp(n(rng), static_cast<int>(rng() % 50) - 25);
      auto acc = Accumulator::floating(ScalarFormat::fp32(), r);
      for (float x : xs) acc.add(ExactValue::from_double(x));
      const float want = fpu_sum(xs, fe);
      ASSERT_EQ(std::bit_cast<std::uint32_t>(static_cast<float>(acc.value())),
                std::bit_cast<std::uint32_t>(want))
          << "mode " << to_string(r) << " trial " << trial;
    }
  }
}

}  // namespace
}  // namespace mpsim::num

namespace mpsim::num {
namespace {

TEST(ExactValue, ChainedSumsStayExactWhileThePrecisionFits) {
  // 1000 terms of (2^60 + 1) * 2^-30 and 3 * 2^-30: the exact sum needs ~71 bits.
  ExactValue sum;
  int128_t ref = 0;
  for (int i = 0; i < 1000; ++i) {
    const int128_t t = (i % 2) ? (int128_t{1} << 60) + 1 : 3;
    sum = ExactValue::add(sum, ExactValue::from_int(t, -30));
    ref += t;
  }
  EXPECT_FALSE(sum.sticky);
  const ExactValue want = ExactValue::from_int(ref, -30);
  EXPECT_EQ(ExactValue::add(sum, ExactValue::from_int(-ref, -30)).mag, 0u);
  EXPECT_EQ(ScalarFormat::fp32().encode_exact(sum, Rounding::kNearestEven, Overflow::kInfNan),
            ScalarFormat::fp32().encode_exact(want, Rounding::kNearestEven, Overflow::kInfNan));
}

}  // namespace
}  // namespace mpsim::num
