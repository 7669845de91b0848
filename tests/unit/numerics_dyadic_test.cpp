// DESCRIPTION: HAWQ-V3 dyadic requantization: frexp decomposition, RHU vs RNE ties, clamping.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "mpsim/numerics/dyadic.h"

namespace mpsim::num {
namespace {

TEST(Dyadic, DecomposesLikeBatchFrexp) {
  // M = 0.75 = 0.75 * 2^0: b = 0.75 * 2^31 = 1610612736, c = 31.
  EXPECT_EQ(dyadic_from_scales(0.75f, 1.0f), (Dyadic{1610612736, 31}));
  // M = 3 = 0.75 * 2^2: c = 29.
  EXPECT_EQ(dyadic_from_scales(3.0f, 1.0f), (Dyadic{1610612736, 29}));
  // M = 0.1f / 1: fp32(0.1) = 13421773 * 2^-27 = 0.8000000119 * 2^-3: b = RHU(0.8000000119 * 2^31).
  const Dyadic d = dyadic_from_scales(0.1f, 1.0f);
  EXPECT_EQ(d.c, 34);
  EXPECT_EQ(d.b, 1717986944);  // 13421773 * 2^7 exactly: no rounding was needed
  // b always lies in [2^30, 2^31].
  std::mt19937 rng(1);
  for (int i = 0; i < 1000; ++i) {
    const float a = std::ldexp(1.0f + static_cast<float>(rng() % 1000) / 1000,
                               static_cast<int>(rng() % 20) - 10);
    const Dyadic x = dyadic_from_scales(a, 1.7f);
    EXPECT_GE(x.b, std::int64_t{1} << 30);
    EXPECT_LE(x.b, std::int64_t{1} << 31);
    // b / 2^c approximates M within half a unit of b.
    EXPECT_NEAR(std::ldexp(static_cast<double>(x.b), -x.c), static_cast<double>(a) / 1.7f,
                std::ldexp(0.5, -x.c) * 1.0000001);
  }
}

TEST(Dyadic, HardwareRoundHalfUpVersusReferenceRne) {
  // numerics.md §10: b/2^c = 3/2, z = 3 -> 4.5: RNE 4, RHU 5; z = -3 -> -4.5: RNE -4, RHU -4.
  const Dyadic d{3, 1};
  EXPECT_EQ(requantize(3, d, 8, true), 5);
  EXPECT_EQ(requantize(3, d, 8, true, Rounding::kNearestEven), 4);
  EXPECT_EQ(requantize(-3, d, 8, true), -4);
  EXPECT_EQ(requantize(-3, d, 8, true, Rounding::kNearestEven), -4);
  EXPECT_EQ(requantize(5, d, 8, true), 8);  // 7.5 -> 8
  // (z*b + 2^(c-1)) >> c with an arithmetic shift, for random z, equals requantize's RHU.
  std::mt19937 rng(2);
  const Dyadic e = dyadic_from_scales(0.0123f, 0.77f);
  for (int i = 0; i < 10000; ++i) {
    const std::int64_t z = static_cast<std::int64_t>(rng() % 2000001) - 1000000;
    const std::int64_t hw = (z * e.b + (std::int64_t{1} << (e.c - 1))) >> e.c;
    ASSERT_EQ(requantize(z, e, 32, true), hw) << z;
  }
}

TEST(Dyadic, ClampsToTheOutputRange) {
  const Dyadic one{1073741824, 30};  // exactly 1.0
  EXPECT_EQ(requantize(300, one, 8, true), 127);
  EXPECT_EQ(requantize(-300, one, 8, true), -128);
  EXPECT_EQ(requantize(300, one, 8, false), 255);
  EXPECT_EQ(requantize(-5, one, 8, false), 0);
  EXPECT_EQ(requantize(100, one, 8, true), 100);
}

}  // namespace
}  // namespace mpsim::num
