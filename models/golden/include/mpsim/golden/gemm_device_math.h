// DESCRIPTION: The arithmetic of the golden GEMM semantics written once for host and device: the
// CUDA kernels and a host replay of them both include this file, so the device math is tested on
// machines without a GPU, and CUDA vs CPU differences can only come from launch plumbing.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define MPSIM_HD __host__ __device__ inline
#else
#define MPSIM_HD inline
#include <cmath>
#endif

namespace mpsim::golden::device {

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

MPSIM_HD float bits_to_float(std::uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(b);
#else
  float f;
  __builtin_memcpy(&f, &b, sizeof f);
  return f;
#endif
}

MPSIM_HD int bit_length(u128 v) {
  int n = 0;
  while (v != 0) {
    v >>= 1;
    ++n;
  }
  return n;
}

/// Rounds s * 2^e to FP32 once with round-to-nearest-even (overflow to Inf), exactly like
/// num::ScalarFormat::fp32().encode_exact(ExactValue::from_int(s, e), rne, inf): the §16.3 block
/// result rounding.
MPSIM_HD float scaled_int_to_fp32_rne(i128 s, int e) {
  if (s == 0) return 0.0f;
  const bool neg = s < 0;
  const u128 mag = neg ? static_cast<u128>(-(s + 1)) + 1 : static_cast<u128>(s);
  const int nbits = bit_length(mag);
  const int top = nbits - 1 + e;  // value in [2^top, 2^(top+1))
  // Quantum exponent: 24 significant bits for normals, 2^-149 for subnormals.
  const int qexp = top >= -126 ? top - 23 : -149;
  const int shift = qexp - e;
  u128 q = 0;
  if (shift <= 0) {
    q = mag << (-shift);  // exact (fewer than 24 significant bits)
  } else if (shift >= 128) {
    q = 0;  // far below half a quantum (mag < 2^128 <= 2^(shift-1) would need shift > 128)
    if (shift == 128 && (mag >> 127) != 0 && (mag & ((static_cast<u128>(1) << 127) - 1)) != 0)
      q = 1;
  } else {
    q = mag >> shift;
    const u128 rem = mag & ((static_cast<u128>(1) << shift) - 1);
    const u128 half = static_cast<u128>(1) << (shift - 1);
    if (rem > half || (rem == half && (q & 1) != 0)) q += 1;
  }
  // For subnormals the bits are q itself (q == 2^23 is the smallest normal); for normals the
  // carry of q == 2^24 into the exponent happens by the same addition.
  std::uint64_t bits = top >= -126 ? (static_cast<std::uint64_t>(top + 127) << 23) +
                                         static_cast<std::uint64_t>(q) - (1u << 23)
                                   : static_cast<std::uint64_t>(q);
  if (bits >= 0x7F800000u) bits = 0x7F800000u;  // overflow: Inf
  return bits_to_float(static_cast<std::uint32_t>(bits) | (neg ? 0x80000000u : 0u));
}

/// FP32 fused multiply-add, one rounding (RNE).
MPSIM_HD float fma_rn(float a, float b, float c) {
#if defined(__CUDA_ARCH__)
  return __fmaf_rn(a, b, c);
#else
  return std::fmaf(a, b, c);
#endif
}

/// FP32 addition, RNE.
MPSIM_HD float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}

/// Integer accumulators of the golden GEMM: 0 = int32 wrap, 1 = int32 saturate, 2 = int64 wrap.
enum IntAcc : int { kInt32Wrap = 0, kInt32Sat = 1, kInt64Wrap = 2 };

/// Adds `term` into `acc` under the accumulator rule; returns true on overflow.
MPSIM_HD bool int_acc_add(std::int64_t& acc, std::int64_t term, int rule) {
  if (rule == kInt64Wrap) {
    const std::int64_t r = static_cast<std::int64_t>(static_cast<std::uint64_t>(acc) +
                                                     static_cast<std::uint64_t>(term));
    const bool over = (term > 0 && r < acc) || (term < 0 && r > acc);
    acc = r;
    return over;
  }
  const std::int64_t sum = acc + term;  // |acc| < 2^31 and |term| < 2^62: no int64 overflow
  if (sum >= INT32_MIN && sum <= INT32_MAX) {
    acc = sum;
    return false;
  }
  if (rule == kInt32Sat) {
    acc = sum < 0 ? INT32_MIN : INT32_MAX;
  } else {
    acc = static_cast<std::int32_t>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(sum)));
  }
  return true;
}

}  // namespace mpsim::golden::device
