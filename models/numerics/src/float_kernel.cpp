// DESCRIPTION: Vectorized rne/rna element kernels (GCC vector extensions, AVX2 clone at load time).
// SPDX-License-Identifier: Apache-2.0
#include "float_kernel.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

namespace mpsim::num {
namespace {

// ---- Fast kernels ----
// The hot path of every MX/BFP format under rne/rna, in FP32 bit arithmetic, written branch-free so
// the compiler vectorizes it (target_clones adds an AVX2 copy chosen at load time). It equals the
// exact engine (tested on every format): x * 2^-e is exact in FP32 except deep in FP32's subnormal
// range, where every element format rounds to +-0 regardless; rounding adds half an ulp (plus the
// odd bit for ties-to-even) to the bits and truncates.

template <bool kAway>
inline void float_kernel_body(const float* __restrict x, std::size_t n, float inv, float scale,
                              const FloatKernel& k, std::uint32_t* __restrict codes,
                              float* __restrict values) {
  const std::uint32_t half = 1u << (k.drop - 1);
  for (std::size_t i = 0; i < n; ++i) {
    const float v = x[i] * inv;
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(v);
    const std::uint32_t sign = bits & 0x80000000u;
    const std::uint32_t abits = bits & 0x7FFFFFFFu;
    const std::uint32_t round_bias = kAway ? half : half - 1 + ((abits >> k.drop) & 1u);
    const auto normal = static_cast<std::int32_t>((abits + round_bias) >> k.drop) - k.rebias;
    const float q = std::min(std::bit_cast<float>(abits) * k.sub_scale, 0x1p24f);
    const auto sub = static_cast<std::int32_t>(kAway ? q + 0.5f : (q + 0x1.8p23f) - 0x1.8p23f);
    std::int32_t mag = abits >= k.min_normal_bits ? normal : sub;
    mag = mag < k.max_mag ? mag : k.max_mag;
    codes[i] = (sign >> (31 - k.sign_shift)) | static_cast<std::uint32_t>(mag);
    const float vnorm = std::bit_cast<float>(static_cast<std::uint32_t>(mag + k.rebias) << k.drop);
    const float vsub = static_cast<float>(mag) * k.sub_step;
    const float m = mag >= k.man_one ? vnorm : vsub;
    values[i] = std::bit_cast<float>(std::bit_cast<std::uint32_t>(m) | sign) * scale;
  }
}

template <bool kAway>
inline void int_kernel_body(const float* __restrict x, std::size_t n, float inv, float scale,
                            const IntKernel& k, std::uint32_t* __restrict codes,
                            float* __restrict values) {
  const auto lim = static_cast<float>(k.max_k);
  for (std::size_t i = 0; i < n; ++i) {
    float y = x[i] * inv * k.scale;  // both factors are powers of two: exact
    y = y < -4096.0f ? -4096.0f : (y > 4096.0f ? 4096.0f : y);  // beyond +-max either way
    float r = 0;
    if constexpr (kAway) {
      r = static_cast<float>(static_cast<std::int32_t>(y + (y < 0 ? -0.5f : 0.5f)));
    } else {
      r = (y + 0x1.8p23f) - 0x1.8p23f;
    }
    r = r < -lim ? -lim : (r > lim ? lim : r);
    const auto kq = static_cast<std::int32_t>(r);
    codes[i] = static_cast<std::uint32_t>(kq) & k.mask;
    values[i] = r * k.step * scale;
  }
}

// Eight lanes of the same computation in GCC vector extensions (SSE2 pairs, or AVX2 in the clone).
using F8 = float __attribute__((vector_size(32)));
using I8 = std::int32_t __attribute__((vector_size(32)));
using U8 = std::uint32_t __attribute__((vector_size(32)));

template <bool kAway>
inline void float_kernel_vec(const float* __restrict x, std::size_t n, float inv, float scale,
                             const FloatKernel& kref, std::uint32_t* __restrict codes,
                             float* __restrict values) {
  const FloatKernel k = kref;  // a local copy: the stores below cannot alias it
  const std::int32_t half = 1 << (k.drop - 1);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    F8 v;
    std::memcpy(&v, x + i, sizeof v);
    v *= inv;
    const I8 bits = std::bit_cast<I8>(v);
    const I8 sign = bits & static_cast<std::int32_t>(0x80000000u);
    const I8 abits = bits & 0x7FFFFFFF;
    const I8 round_bias = kAway ? I8{} + half : half - 1 + ((abits >> k.drop) & 1);
    // Unsigned add: NaN/Inf bit patterns (fixed up by callers) must not overflow a signed int.
    const I8 normal =
        std::bit_cast<I8>((std::bit_cast<U8>(abits) + std::bit_cast<U8>(round_bias)) >> k.drop) -
        k.rebias;
    F8 q = std::bit_cast<F8>(abits) * k.sub_scale;
    q = q < 0x1p24f ? q : 0x1p24f;  // only subnormal-range lanes use q; keep the conversion defined
    const I8 sub = kAway ? __builtin_convertvector(q + 0.5f, I8)
                         : __builtin_convertvector((q + 0x1.8p23f) - 0x1.8p23f, I8);
    I8 mag = abits >= static_cast<std::int32_t>(k.min_normal_bits) ? normal : sub;
    mag = mag < k.max_mag ? mag : k.max_mag;
    const U8 code = (std::bit_cast<U8>(sign) >> (31 - k.sign_shift)) | std::bit_cast<U8>(mag);
    const I8 norm_bits = (mag + k.rebias) << k.drop;
    const F8 vsub = __builtin_convertvector(mag, F8) * k.sub_step;
    const I8 m = mag >= k.man_one ? norm_bits : std::bit_cast<I8>(vsub);
    const I8 signed_m = m | sign;
    const F8 out = std::bit_cast<F8>(signed_m) * scale;
    std::memcpy(codes + i, &code, sizeof code);
    std::memcpy(values + i, &out, sizeof out);
  }
  float_kernel_body<kAway>(x + i, n - i, inv, scale, k, codes + i, values + i);
}

/// Returns the largest |x| of a row slice as FP32 bits (magnitude order = bit order for finite
/// floats); a result >= 0x7F800000 means an Inf or NaN is present.
inline std::uint32_t abs_max_bits_body(const float* x, std::size_t n) {
  I8 acc{};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    I8 b;
    std::memcpy(&b, x + i, sizeof b);
    b &= 0x7FFFFFFF;
    acc = b > acc ? b : acc;
  }
  std::int32_t m = 0;
  for (int l = 0; l < 8; ++l) m = std::max(m, acc[l]);
  for (; i < n; ++i)
    m = std::max(m, static_cast<std::int32_t>(std::bit_cast<std::uint32_t>(x[i]) & 0x7FFFFFFFu));
  return static_cast<std::uint32_t>(m);
}

#define MPSIM_CLONES __attribute__((target_clones("avx2", "default")))
MPSIM_CLONES std::uint32_t abs_max_bits_impl(const float* x, std::size_t n) {
  return abs_max_bits_body(x, n);
}
MPSIM_CLONES void float_kernel_rne(const float* x, std::size_t n, float inv, float scale,
                                   const FloatKernel& k, std::uint32_t* codes, float* values) {
  float_kernel_vec<false>(x, n, inv, scale, k, codes, values);
}
MPSIM_CLONES void float_kernel_rna(const float* x, std::size_t n, float inv, float scale,
                                   const FloatKernel& k, std::uint32_t* codes, float* values) {
  float_kernel_vec<true>(x, n, inv, scale, k, codes, values);
}
MPSIM_CLONES void int_kernel_rne(const float* x, std::size_t n, float inv, float scale,
                                 const IntKernel& k, std::uint32_t* codes, float* values) {
  int_kernel_body<false>(x, n, inv, scale, k, codes, values);
}
MPSIM_CLONES void int_kernel_rna(const float* x, std::size_t n, float inv, float scale,
                                 const IntKernel& k, std::uint32_t* codes, float* values) {
  int_kernel_body<true>(x, n, inv, scale, k, codes, values);
}
#undef MPSIM_CLONES

float pow2f(int e) {
  // 2^-127..2^127 are all FP32 values (2^-127 a subnormal): built from bits, exactly.
  return e >= -126 ? std::bit_cast<float>(static_cast<std::uint32_t>(e + 127) << 23)
                   : std::bit_cast<float>(0x00400000u >> (-127 - e));
}

}  // namespace

bool ElementKernel::supports(const ScalarFormat& f) {
  return f.is_float() && f.has_sign() && f.has_subnormals() && f.emin() >= -100 &&
         f.man_bits() <= 22;
}

ElementKernel ElementKernel::for_float(const ScalarFormat& f, Rounding r) {
  ElementKernel k;
  k.fast_ = supports(f) && (r == Rounding::kNearestEven || r == Rounding::kNearestAway);
  k.away_ = r == Rounding::kNearestAway;
  const int man = f.man_bits();
  k.fk_.drop = 23 - man;
  k.fk_.rebias = (127 - f.bias()) << man;
  k.fk_.min_normal_bits = static_cast<std::uint32_t>(f.emin() + 127) << 23;
  k.fk_.max_mag = static_cast<std::int32_t>(f.max_code());
  k.fk_.man_one = 1 << man;
  k.fk_.sign_shift = f.exp_bits() + man;
  k.fk_.sub_scale = std::ldexp(1.0f, man - f.emin());
  k.fk_.sub_step = std::ldexp(1.0f, f.emin() - man);
  return k;
}

ElementKernel ElementKernel::for_int(int bits, int frac_bits, Rounding r) {
  ElementKernel k;
  k.fast_ = r == Rounding::kNearestEven || r == Rounding::kNearestAway;
  k.away_ = r == Rounding::kNearestAway;
  k.is_int_ = true;
  k.ik_.max_k = (1 << (bits - 1)) - 1;
  k.ik_.mask = (1u << bits) - 1;
  k.ik_.scale = std::ldexp(1.0f, frac_bits);
  k.ik_.step = std::ldexp(1.0f, -frac_bits);
  return k;
}

std::uint32_t ElementKernel::abs_max_bits(const float* x, std::size_t n) {
  return abs_max_bits_impl(x, n);
}

void ElementKernel::run(const float* x, std::size_t n, int e, std::uint32_t* codes,
                        float* values) const {
  const float inv = pow2f(-e);
  const float scale = pow2f(e);
  if (is_int_) {
    (away_ ? int_kernel_rna : int_kernel_rne)(x, n, inv, scale, ik_, codes, values);
  } else {
    (away_ ? float_kernel_rna : float_kernel_rne)(x, n, inv, scale, fk_, codes, values);
  }
}

}  // namespace mpsim::num
