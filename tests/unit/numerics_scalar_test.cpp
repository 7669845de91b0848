// DESCRIPTION: Scalar element formats: exhaustive round trips, midpoint sweeps per rounding mode,
// overflow rules, the fast nearest path against the exact engine, and hand-worked values.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <vector>

#include "mpsim/numerics/half.h"
#include "mpsim/numerics/scalar_format.h"

namespace mpsim::num {
namespace {

const Rounding kModes[] = {Rounding::kNearestEven, Rounding::kNearestAway, Rounding::kHalfUp,
                           Rounding::kTowardZero, Rounding::kFloor};

std::vector<ScalarFormat> small_formats() {
  std::vector<ScalarFormat> v{ScalarFormat::fp8_e4m3(), ScalarFormat::fp8_e5m2(),
                              ScalarFormat::fp6_e3m2(), ScalarFormat::fp6_e2m3(),
                              ScalarFormat::fp4_e2m1(), ScalarFormat::e8m0()};
  for (int b = 2; b <= 8; ++b) {
    v.push_back(ScalarFormat::integer("int" + std::to_string(b), b, true));
    v.push_back(ScalarFormat::integer("uint" + std::to_string(b), b, false));
    v.push_back(ScalarFormat::bipolar("bipolar_int" + std::to_string(b), b));
  }
  return v;
}

// Every code of every format of 8 bits or fewer decodes to a value that encodes back to the same
// code under every rounding mode (exact values are never rounded). NaN codes map to a NaN code.
TEST(ScalarRoundTrip, EveryCodeOfEverySmallFormatUnderEveryMode) {
  for (const auto& f : small_formats()) {
    for (std::uint32_t c = 0; c < f.num_codes(); ++c) {
      const double v = f.decode(c);
      for (Rounding r : kModes) {
        for (Overflow o : {Overflow::kSaturate, Overflow::kInfNan}) {
          const std::uint32_t back = f.encode(v, r, o);
          if (std::isnan(v)) {
            EXPECT_TRUE(f.is_nan_code(back)) << f.name() << " code " << c;
          } else if (std::isinf(v) && o == Overflow::kSaturate) {
            EXPECT_EQ(f.decode(back), std::copysign(f.max_finite(), v))
                << f.name() << " code " << c;
          } else {
            EXPECT_EQ(back, c) << f.name() << " code " << c << " value " << v << " mode "
                               << to_string(r);
          }
        }
      }
    }
  }
}

// The 16-bit formats too, through the exact engine and the fast FP16/BF16 converters.
TEST(ScalarRoundTrip, EveryFp16AndBf16Code) {
  for (std::uint32_t c = 0; c < 65536; ++c) {
    const double h = ScalarFormat::fp16().decode(c);
    const double b = ScalarFormat::bf16().decode(c);
    if (!std::isnan(h)) {
      EXPECT_EQ(ScalarFormat::fp16().encode(h, Rounding::kNearestEven, Overflow::kInfNan), c);
      EXPECT_EQ(fp32_to_fp16_bits(static_cast<float>(h)), c);
      EXPECT_EQ(std::bit_cast<std::uint64_t>(static_cast<double>(fp16_bits_to_fp32(c))),
                std::bit_cast<std::uint64_t>(h));
    }
    if (!std::isnan(b)) {
      EXPECT_EQ(ScalarFormat::bf16().encode(b, Rounding::kTowardZero, Overflow::kInfNan), c);
      EXPECT_EQ(fp32_to_bf16_bits(static_cast<float>(b)), c);
    }
  }
}

struct Neighbours {
  double lo, hi;
  std::uint32_t lo_code, hi_code;
};

// All adjacent pairs of distinct finite values, sorted by value (independent of the encoder).
std::vector<Neighbours> adjacent_pairs(const ScalarFormat& f) {
  std::vector<std::pair<double, std::uint32_t>> vals;
  for (std::uint32_t c = 0; c < f.num_codes(); ++c) {
    const double v = f.decode(c);
    if (std::isfinite(v) && !(v == 0 && std::signbit(v))) vals.emplace_back(v, c);
  }
  std::sort(vals.begin(), vals.end());
  std::vector<Neighbours> out;
  for (std::size_t i = 0; i + 1 < vals.size(); ++i)
    out.push_back({vals[i].first, vals[i + 1].first, vals[i].second, vals[i + 1].second});
  return out;
}

// Which neighbour a rounding mode picks for a point strictly between lo and hi.
std::uint32_t expected_pick(const Neighbours& p, double x, Rounding r, const ScalarFormat& f) {
  const double mid = (p.lo + p.hi) / 2;
  const bool neg = x < 0 || (x == 0 && std::signbit(x));
  std::uint32_t toward_zero = neg ? p.hi_code : p.lo_code;
  std::uint32_t away = neg ? p.lo_code : p.hi_code;
  if (p.lo == -p.hi) {  // bipolar -1/1: equal magnitudes, both rules keep the input's side
    toward_zero = away = neg ? p.lo_code : p.hi_code;
  }
  switch (r) {
    case Rounding::kTowardZero:
      return toward_zero;
    case Rounding::kFloor:
      return p.lo_code;
    default:
      break;
  }
  if (x < mid) return p.lo_code;
  if (x > mid) return p.hi_code;
  switch (r) {
    case Rounding::kNearestEven: {
      // "Even" is the code's least significant bit; bipolar and integers use the value's parity.
      if (f.is_float()) return (p.lo_code & 1) == 0 ? p.lo_code : p.hi_code;
      if (f.kind() == ScalarFormat::Kind::kBipolar)
        return (p.lo_code & 1) == 0 ? p.lo_code : p.hi_code;
      return std::fmod(p.lo, 2.0) == 0 ? p.lo_code : p.hi_code;
    }
    case Rounding::kNearestAway:
      return away;
    case Rounding::kHalfUp:
      return p.hi_code;
    default:
      return 0;
  }
}

void sweep_midpoints(const ScalarFormat& f) {
  for (const auto& p : adjacent_pairs(f)) {
    const double mid = (p.lo + p.hi) / 2;
    const auto midf = static_cast<float>(mid);
    ASSERT_EQ(static_cast<double>(midf), mid) << "midpoint not FP32-exact in " << f.name();
    const float below = std::nextafter(midf, static_cast<float>(p.lo));
    const float above = std::nextafter(midf, static_cast<float>(p.hi));
    for (Rounding r : kModes) {
      for (float x : {midf, below, above}) {
        if (x == 0) continue;  // +-0 is a code of its own, not a point between neighbours
        std::uint32_t got = f.encode(x, r, Overflow::kSaturate);
        if (f.is_float() && f.decode(got) == 0) got = got & ~(1u << (f.bits() - 1));  // -0 == +0
        const std::uint32_t want = expected_pick(p, x, r, f);
        ASSERT_EQ(got, want) << f.name() << " between " << p.lo << " and " << p.hi << " x=" << x
                             << " mode " << to_string(r);
      }
    }
  }
}

TEST(ScalarMidpoints, EverySmallFormatEveryMode) {
  for (const auto& f : small_formats()) sweep_midpoints(f);
}

TEST(ScalarMidpoints, Fp16AndBf16EveryMode) {
  sweep_midpoints(ScalarFormat::fp16());
  sweep_midpoints(ScalarFormat::bf16());
}

TEST(ScalarValues, OcpElementValueSets) {
  // numerics.md §1.2, recomputed by hand.
  std::vector<double> e2m1;
  for (std::uint32_t c = 0; c < 8; ++c) e2m1.push_back(ScalarFormat::fp4_e2m1().decode(c));
  EXPECT_EQ(e2m1, (std::vector<double>{0, 0.5, 1, 1.5, 2, 3, 4, 6}));
  EXPECT_EQ(ScalarFormat::fp6_e3m2().max_finite(), 28);
  EXPECT_EQ(ScalarFormat::fp6_e3m2().min_positive(), 0.0625);
  EXPECT_EQ(ScalarFormat::fp6_e2m3().max_finite(), 7.5);
  EXPECT_EQ(ScalarFormat::fp6_e2m3().min_positive(), 0.125);
  EXPECT_EQ(ScalarFormat::fp6_e2m3().decode(0b001000), 1.0);  // min normal
  EXPECT_EQ(ScalarFormat::fp8_e4m3().max_finite(), 448);
  EXPECT_EQ(ScalarFormat::fp8_e4m3().min_positive(), std::ldexp(1, -9));
  EXPECT_EQ(ScalarFormat::fp8_e5m2().max_finite(), 57344);
  EXPECT_EQ(ScalarFormat::fp8_e5m2().min_positive(), std::ldexp(1, -16));
  EXPECT_TRUE(std::isinf(ScalarFormat::fp8_e5m2().decode(0x7C)));
  EXPECT_TRUE(std::isnan(ScalarFormat::fp8_e5m2().decode(0x7D)));
  EXPECT_TRUE(std::isnan(ScalarFormat::fp8_e4m3().decode(0x7F)));
  EXPECT_TRUE(std::isnan(ScalarFormat::fp8_e4m3().decode(0xFF)));
  EXPECT_EQ(ScalarFormat::fp8_e4m3().decode(0x7E), 448);
  // E8M0: 2^(code-127), no zero, NaN 0xFF.
  EXPECT_EQ(ScalarFormat::e8m0().decode(127), 1.0);
  EXPECT_EQ(ScalarFormat::e8m0().decode(0), std::ldexp(1, -127));
  EXPECT_EQ(ScalarFormat::e8m0().decode(254), std::ldexp(1, 127));
  EXPECT_TRUE(std::isnan(ScalarFormat::e8m0().decode(255)));
  // Bipolar-INT: every bit is +-2^i (§1.6).
  const auto b2 = ScalarFormat::bipolar("bipolar_int2", 2);
  EXPECT_EQ(b2.decode(0), -3);
  EXPECT_EQ(b2.decode(1), -1);
  EXPECT_EQ(b2.decode(2), 1);
  EXPECT_EQ(b2.decode(3), 3);
  const auto b3 = ScalarFormat::bipolar("bipolar_int3", 3);
  for (std::uint32_t c = 0; c < 8; ++c) EXPECT_EQ(b3.decode(c), 2.0 * c - 7);
}

TEST(ScalarEncode, HandWorkedRoundingAndOverflow) {
  const auto& e4m3 = ScalarFormat::fp8_e4m3();
  // §1.1: 464 is the 448/480 midpoint, 448 has the even mantissa; 465 rounds to 480 > 448.
  EXPECT_EQ(e4m3.encode(464, Rounding::kNearestEven, Overflow::kInfNan), 0x7Eu);
  EXPECT_EQ(e4m3.encode(465, Rounding::kNearestEven, Overflow::kInfNan), 0x7Fu);  // NaN
  EXPECT_EQ(e4m3.encode(465, Rounding::kNearestEven, Overflow::kSaturate), 0x7Eu);
  EXPECT_EQ(e4m3.encode(-1000, Rounding::kNearestEven, Overflow::kSaturate), 0xFEu);
  // IEEE 7.4: toward-zero rounding never overflows to Inf/NaN.
  EXPECT_EQ(e4m3.encode(1000, Rounding::kTowardZero, Overflow::kInfNan), 0x7Eu);
  EXPECT_EQ(e4m3.encode(-1000, Rounding::kFloor, Overflow::kInfNan), 0xFFu);
  EXPECT_EQ(e4m3.encode(1000, Rounding::kFloor, Overflow::kInfNan), 0x7Eu);
  // §12: fp16 max: 65519 -> 65504, 65520 -> Inf.
  EXPECT_EQ(ScalarFormat::fp16().quantize(65519, Rounding::kNearestEven, Overflow::kInfNan), 65504);
  EXPECT_TRUE(
      std::isinf(ScalarFormat::fp16().quantize(65520, Rounding::kNearestEven, Overflow::kInfNan)));
  EXPECT_EQ(ScalarFormat::fp16().quantize(65520, Rounding::kNearestEven, Overflow::kSaturate),
            65504);
  const auto& e5m2 = ScalarFormat::fp8_e5m2();
  EXPECT_EQ(e5m2.encode(61440, Rounding::kNearestEven, Overflow::kInfNan),
            0x7Cu);  // tie to even=Inf
  EXPECT_EQ(e5m2.encode(61439, Rounding::kNearestEven, Overflow::kInfNan), 0x7Bu);
  // Subnormals: E4M3 2^-10 is half of the smallest subnormal: ties to even -> 0; RNA -> 2^-9.
  EXPECT_EQ(e4m3.encode(std::ldexp(1, -10), Rounding::kNearestEven), 0x00u);
  EXPECT_EQ(e4m3.encode(std::ldexp(1, -10), Rounding::kNearestAway), 0x01u);
  EXPECT_EQ(e4m3.encode(-std::ldexp(1, -10), Rounding::kFloor), 0x81u);
  EXPECT_EQ(e4m3.encode(3 * std::ldexp(1, -10), Rounding::kNearestEven), 0x02u);  // 1.5 ulp -> 2
  // FP4: 2.5 -> 2 (even), 5 -> 4 (even code 0b110), 100 saturates to 6.
  const auto& e2m1 = ScalarFormat::fp4_e2m1();
  EXPECT_EQ(e2m1.quantize(2.5), 2);
  EXPECT_EQ(e2m1.quantize(5), 4);
  EXPECT_EQ(e2m1.quantize(5, Rounding::kNearestAway), 6);
  EXPECT_EQ(e2m1.quantize(100), 6);
  EXPECT_EQ(e2m1.quantize(-100), -6);
  EXPECT_EQ(e2m1.quantize(0.25), 0);
  EXPECT_EQ(e2m1.quantize(0.2500001), 0.5);
  // Integers.
  const auto i8 = ScalarFormat::integer("int8", 8, true);
  EXPECT_EQ(i8.decode(i8.encode(127.5)), 127);
  EXPECT_EQ(i8.decode(i8.encode(200, Rounding::kNearestEven, Overflow::kWrap)), -56);
  EXPECT_EQ(i8.decode(i8.encode(128, Rounding::kNearestEven, Overflow::kWrap)), -128);
  EXPECT_EQ(i8.decode(i8.encode(-129, Rounding::kNearestEven, Overflow::kWrap)), 127);
  EXPECT_EQ(i8.decode(i8.encode(-0.5, Rounding::kFloor)), -1);
  EXPECT_EQ(i8.decode(i8.encode(-0.5, Rounding::kHalfUp)), 0);
  EXPECT_EQ(i8.decode(i8.encode(-2.5, Rounding::kNearestEven)), -2);
  EXPECT_EQ(i8.decode(i8.encode(-2.5, Rounding::kNearestAway)), -3);
  const auto u4 = ScalarFormat::integer("uint4", 4, false);
  EXPECT_EQ(u4.decode(u4.encode(17, Rounding::kNearestEven, Overflow::kWrap)), 1);
  EXPECT_EQ(u4.decode(u4.encode(-3)), 0);
  // Bipolar: 0 sits between -1 and 1 (u = 1.5): ties to the even u = 2, value 1.
  const auto b2 = ScalarFormat::bipolar("bipolar_int2", 2);
  EXPECT_EQ(b2.quantize(0), 1);
  EXPECT_EQ(b2.quantize(-0.1), -1);
  EXPECT_EQ(b2.quantize(2), 1);  // 2 between 1 (u=2) and 3 (u=3): even u
  EXPECT_EQ(b2.quantize(10), 3);
  EXPECT_EQ(b2.quantize(1e-30), 1);  // just above the tie: exact arithmetic, not double rounding
  EXPECT_EQ(b2.quantize(-1e-30), -1);
  // E8M0: 3 is the 2/4 midpoint (codes 128/129): even code 128.
  EXPECT_EQ(ScalarFormat::e8m0().encode(3.0), 128u);
  EXPECT_EQ(ScalarFormat::e8m0().encode(3.0, Rounding::kNearestAway), 129u);
  EXPECT_EQ(ScalarFormat::e8m0().encode(0.0), 0u);  // no zero: the smallest code
  EXPECT_EQ(ScalarFormat::e8m0().encode(-1.0), 255u);
}

TEST(ScalarEncode, NanAndInfinityRules) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(ScalarFormat::fp8_e4m3().encode(nan), 0x7Fu);
  EXPECT_EQ(ScalarFormat::fp8_e4m3().encode(inf, Rounding::kNearestEven, Overflow::kSaturate),
            0x7Eu);
  EXPECT_EQ(ScalarFormat::fp8_e4m3().encode(-inf, Rounding::kNearestEven, Overflow::kInfNan),
            0xFFu);
  EXPECT_EQ(ScalarFormat::fp8_e5m2().encode(-inf, Rounding::kNearestEven, Overflow::kInfNan),
            0xFCu);
  EXPECT_EQ(ScalarFormat::fp8_e5m2().encode(inf, Rounding::kNearestEven, Overflow::kSaturate),
            0x7Bu);
  EXPECT_EQ(ScalarFormat::fp4_e2m1().encode(nan), 0x8u);  // ml_dtypes: NaN -> -0
  EXPECT_EQ(ScalarFormat::fp4_e2m1().encode(inf), 0x7u);
  EXPECT_EQ(ScalarFormat::integer("int4", 4, true).encode(nan), 0u);
  EXPECT_EQ(ScalarFormat::integer("int4", 4, true).encode(-inf), 0x8u);
}

// The double fast path for rne/rna must agree with the exact 128-bit engine.
TEST(ScalarEncode, FastNearestPathMatchesExactEngine) {
  std::mt19937 rng(12345);
  const std::vector<ScalarFormat> fmts{ScalarFormat::fp8_e4m3(), ScalarFormat::fp8_e5m2(),
                                       ScalarFormat::fp6_e3m2(), ScalarFormat::fp6_e2m3(),
                                       ScalarFormat::fp4_e2m1(), ScalarFormat::fp16(),
                                       ScalarFormat::bf16()};
  for (int i = 0; i < 200000; ++i) {
    float x = std::bit_cast<float>(static_cast<std::uint32_t>(rng()));
    if (!std::isfinite(x)) continue;
    if (i % 2) x = std::ldexp(std::fmod(x, 1.0f), static_cast<int>(rng() % 40) - 20);  // near range
    for (const auto& f : fmts)
      for (Rounding r : {Rounding::kNearestEven, Rounding::kNearestAway})
        for (Overflow o : {Overflow::kSaturate, Overflow::kInfNan})
          ASSERT_EQ(f.encode(x, r, o), f.encode_exact(ExactValue::from_double(x), r, o))
              << f.name() << " x=" << x << " " << to_string(r);
  }
}

TEST(HalfConversions, FastPathsMatchTheExactEngineOnRandomFloats) {
  std::mt19937 rng(7);
  for (int i = 0; i < 1000000; ++i) {
    const float x = std::bit_cast<float>(static_cast<std::uint32_t>(rng()));
    if (std::isnan(x)) continue;
    ASSERT_EQ(fp32_to_fp16_bits(x),
              ScalarFormat::fp16().encode(x, Rounding::kNearestEven, Overflow::kInfNan))
        << x;
    ASSERT_EQ(fp32_to_bf16_bits(x),
              ScalarFormat::bf16().encode(x, Rounding::kNearestEven, Overflow::kInfNan))
        << x;
  }
}

}  // namespace
}  // namespace mpsim::num

#include "mpsim/numerics/quantizer.h"

namespace mpsim::num {
namespace {

// Scalar quantizers run a vectorized kernel for rne/rna: every element must equal the exact
// engine, for finite, non-finite, saturating and subnormal inputs, under both overflow rules.
TEST(ScalarQuantizers, KernelPathEqualsTheExactEngine) {
  std::mt19937 rng(4242);
  std::vector<float> x;
  for (int i = 0; i < 20000; ++i) {
    float v = std::bit_cast<float>(static_cast<std::uint32_t>(rng()));
    if (i % 3)
      v = std::ldexp(static_cast<float>(static_cast<int>(rng() % 8192) - 4096),
                     static_cast<int>(rng() % 60) - 40);
    x.push_back(v);
  }
  x.push_back(std::numeric_limits<float>::infinity());
  x.push_back(-std::numeric_limits<float>::infinity());
  x.push_back(std::numeric_limits<float>::quiet_NaN());
  for (const char* name :
       {"fp16", "bf16", "fp8_e4m3", "fp8_e5m2", "fp6_e3m2", "fp6_e2m3", "fp4_e2m1"}) {
    const auto& info = *builtin_formats().find(name);
    for (Overflow o : info.overflows) {
      for (Rounding r : {Rounding::kNearestEven, Rounding::kNearestAway}) {
        QuantizeOptions opts;
        opts.rounding = r;
        opts.overflow = o;
        const auto row = builtin_formats().create(name, opts)->quantize(x);
        const ScalarFormat& f = name == std::string("fp16")       ? ScalarFormat::fp16()
                                : name == std::string("bf16")     ? ScalarFormat::bf16()
                                : name == std::string("fp8_e4m3") ? ScalarFormat::fp8_e4m3()
                                : name == std::string("fp8_e5m2") ? ScalarFormat::fp8_e5m2()
                                : name == std::string("fp6_e3m2") ? ScalarFormat::fp6_e3m2()
                                : name == std::string("fp6_e2m3") ? ScalarFormat::fp6_e2m3()
                                                                  : ScalarFormat::fp4_e2m1();
        for (std::size_t i = 0; i < x.size(); ++i) {
          const std::uint32_t want = std::isfinite(x[i])
                                         ? f.encode_exact(ExactValue::from_double(x[i]), r, o)
                                         : f.encode(x[i], r, o);
          ASSERT_EQ(row.codes[i], want)
              << name << " x=" << x[i] << " " << to_string(r) << " " << to_string(o);
          const double dv = f.decode(want);
          ASSERT_TRUE(std::isnan(dv) ? std::isnan(row.values[i])
                                     : row.values[i] == static_cast<float>(dv));
        }
      }
    }
  }
}

}  // namespace
}  // namespace mpsim::num

namespace mpsim::num {
namespace {

// numerics.md §1.6: a signed n-bit integer x maps losslessly to the (n+1)-bit bipolar value 2x + 1,
// and a linear quantizer W = s*x + z becomes (s/2)*x' + (z - s/2).
TEST(Bipolar, LosslessConversionFromSignedIntegers) {
  for (int n = 1; n <= 7; ++n) {
    const auto bp = ScalarFormat::bipolar("bipolar_int" + std::to_string(n + 1), n + 1);
    for (int x = -(1 << (n - 1)); x < (1 << (n - 1)); ++x) {
      const double xp = 2.0 * x + 1;
      ASSERT_EQ(bp.quantize(xp), xp) << "n=" << n << " x=" << x;
      const double s = 0.375, z = -1.25;  // exact binary fractions
      EXPECT_EQ(s * x + z, (s / 2) * xp + (z - s / 2));
    }
  }
}

// The bit-plane product the arbitrary-precision tensor-core PEs rely on: with bipolar planes a_i,
// b_j of length K packed as bits, a.b = sum_ij 2^(i+j) (K - 2 popc(a_i XOR b_j)).
TEST(Bipolar, BitPlaneXorPopcountProductEqualsTheDotProduct) {
  std::mt19937 rng(3);
  for (int n = 2; n <= 8; ++n) {
    const auto bp = ScalarFormat::bipolar("bipolar_int" + std::to_string(n), n);
    for (int trial = 0; trial < 20; ++trial) {
      const int k = 64;
      std::vector<std::uint32_t> a(k), b(k);
      for (auto& c : a) c = rng() % bp.num_codes();
      for (auto& c : b) c = rng() % bp.num_codes();
      double direct = 0;
      for (int t = 0; t < k; ++t) direct += bp.decode(a[t]) * bp.decode(b[t]);
      std::int64_t planes = 0;
      for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n; ++j) {
          std::uint64_t pa = 0, pb = 0;
          for (int t = 0; t < k; ++t) {
            pa |= static_cast<std::uint64_t>((a[t] >> i) & 1u) << t;
            pb |= static_cast<std::uint64_t>((b[t] >> j) & 1u) << t;
          }
          planes += (std::int64_t{1} << (i + j)) * (k - 2 * std::popcount(pa ^ pb));
        }
      }
      ASSERT_EQ(static_cast<double>(planes), direct) << "n=" << n;
    }
  }
}

}  // namespace
}  // namespace mpsim::num

namespace mpsim::num {
namespace {

TEST(Bipolar, HugeInputsSaturateWithoutOverflowingTheExactEngine) {
  const auto b4 = ScalarFormat::bipolar("bipolar_int4", 4);
  for (double v : {1e38, 2e38, 3.4e38, 1e300}) {
    EXPECT_EQ(b4.quantize(v), 15);
    EXPECT_EQ(b4.quantize(-v), -15);
    EXPECT_EQ(b4.quantize(v, Rounding::kFloor, Overflow::kWrap), 15);
  }
}

TEST(Fp32Format, IsTheIdentityOnFp32) {
  const auto q = builtin_formats().create("fp32");
  const std::vector<float> x{0.1f, -3e38f, 1e-45f, -0.0f};
  EXPECT_EQ(q->quantize(x).values, x);
}

}  // namespace
}  // namespace mpsim::num
