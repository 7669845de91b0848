// DESCRIPTION: The CUDA golden GEMM: the device arithmetic replayed on the host equals the CPU
// golden model bit for bit on every format pair (runs everywhere); the GPU itself is compared with
// the CPU when a device is present (skipped otherwise). SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "mpsim/base/error.h"
#include "mpsim/golden/gemm.h"
#include "mpsim/golden/gemm_cuda.h"
#include "mpsim/golden/gemm_device_math.h"
#include "mpsim/golden/synthetic.h"
#include "mpsim/numerics/scalar_format.h"

namespace mpsim::golden {
namespace {

bool same_bits(float a, float b) {
  return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b) ||
         (std::isnan(a) && std::isnan(b));
}

Matrix random_matrix(std::int64_t r, std::int64_t c, std::uint64_t seed, double scale) {
  Rng rng(seed);
  Matrix m = Matrix::zeros(r, c);
  for (auto& v : m.data) v = static_cast<float>(rng.normal() * scale);
  return m;
}

// The one device-side rounding that is not a CUDA intrinsic: s * 2^e to FP32, once, RNE.
TEST(DeviceMath, ScaledIntToFp32EqualsTheExactEngine) {
  Rng rng(12);
  for (int i = 0; i < 200000; ++i) {
    const int bits = static_cast<int>(rng.next() % 100) + 1;
    device::i128 s = static_cast<device::i128>(rng.next()) << 64 | rng.next();
    s >>= (128 - bits);
    if (rng.next() & 1) s = -s;
    const int e = static_cast<int>(rng.next() % 400) - 250;
    const float want =
        static_cast<float>(num::ScalarFormat::fp32().decode(num::ScalarFormat::fp32().encode_exact(
            num::ExactValue::from_int(s, e), num::Rounding::kNearestEven, num::Overflow::kInfNan)));
    ASSERT_TRUE(same_bits(device::scaled_int_to_fp32_rne(s, e), want))
        << "bits " << bits << " e " << e;
  }
  // Ties at the subnormal/normal boundary and overflow by rounding.
  EXPECT_EQ(device::scaled_int_to_fp32_rne(1, -150), 0.0f);                    // tie -> even 0
  EXPECT_EQ(device::scaled_int_to_fp32_rne(3, -150), std::ldexp(1.0f, -148));  // tie -> even 2
  // FLT_MAX + half an ulp is a tie that rounds to the even 2^128: Inf.
  EXPECT_TRUE(std::isinf(device::scaled_int_to_fp32_rne((device::i128{1} << 25) - 1, 103)));
  EXPECT_EQ(device::scaled_int_to_fp32_rne((device::i128{1} << 25) - 2, 103),
            std::numeric_limits<float>::max());
}

TEST(DeviceMath, IntegerAccumulatorRules) {
  std::int64_t acc = INT32_MAX;
  EXPECT_TRUE(device::int_acc_add(acc, 1, device::kInt32Wrap));
  EXPECT_EQ(acc, INT32_MIN);
  acc = INT32_MAX;
  EXPECT_TRUE(device::int_acc_add(acc, 5, device::kInt32Sat));
  EXPECT_EQ(acc, INT32_MAX);
  acc = INT64_MAX;
  EXPECT_TRUE(device::int_acc_add(acc, 1, device::kInt64Wrap));
  EXPECT_EQ(acc, INT64_MIN);
}

// Every registered format pair: pack + host replay of the device kernels == CPU golden, bit for
// bit.
TEST(CudaPacking, HostReplayEqualsCpuGoldenOnEveryFormatPair) {
  const auto names = num::builtin_formats().names();
  const Matrix a = random_matrix(3, 40, 1, 1.0);
  const Matrix b = random_matrix(40, 2, 2, 0.5);
  int pairs = 0;
  for (const auto& fa : names) {
    for (const auto& fb : names) {
      GemmOptions o;
      o.a_format = num::FormatSpec{fa, {}};
      o.b_format = num::FormatSpec{fb, {}};
      o.use_onednn = false;
      const QuantMatrix qa = quantize_rows(a, o.a_format);
      const QuantMatrix qb = quantize_cols(b, o.b_format);
      const GemmResult cpu = gemm_quantized(qa, qb, o);
      const GemmResult replay = run_packed_on_host(pack_gemm(qa, qb, o));
      ASSERT_EQ(replay.semantics, cpu.semantics) << fa << " x " << fb;
      ASSERT_EQ(replay.acc_overflows, cpu.acc_overflows) << fa << " x " << fb;
      for (std::size_t i = 0; i < cpu.c.data.size(); ++i)
        ASSERT_TRUE(same_bits(replay.c.data[i], cpu.c.data[i]))
            << fa << " x " << fb << " element " << i << ": " << replay.c.data[i] << " vs "
            << cpu.c.data[i];
      ++pairs;
    }
  }
  EXPECT_GE(pairs, 48 * 48);
}

TEST(CudaDevice, GpuEqualsCpuGolden) {
  std::string why;
  if (!cuda_available(&why)) GTEST_SKIP() << "no CUDA device: " << why;
  const char* pairs[][2] = {{"mxfp4", "mxfp8_e4m3"}, {"mxfp8_e5m2", "mxfp8_e5m2"}, {"int8", "int8"},
                            {"int4", "uint4"},       {"int4_g128", "fp16"},        {"nf4", "bf16"},
                            {"bfp12", "bfp16"},      {"fp8_e4m3", "fp8_e4m3"}};
  const Matrix a = random_matrix(67, 300, 3, 2.0);
  const Matrix b = random_matrix(300, 45, 4, 1.0);
  for (const auto& p : pairs) {
    for (const char* acc : {"auto", "int32_sat", "int64"}) {
      GemmOptions o;
      o.a_format = num::FormatSpec{p[0], {}};
      o.b_format = num::FormatSpec{p[1], {}};
      o.use_onednn = false;
      const QuantMatrix qa = quantize_rows(a, o.a_format);
      const QuantMatrix qb = quantize_cols(b, o.b_format);
      const GemmResult cpu = gemm_quantized(qa, qb, o);
      if (std::string(acc) != "auto" && cpu.semantics != GemmSemantics::kInteger) continue;
      o.acc = acc;
      const GemmResult c = gemm_quantized(qa, qb, o);
      const GemmResult g = gemm_quantized_cuda(qa, qb, o);
      EXPECT_EQ(g.acc_overflows, c.acc_overflows) << p[0] << " x " << p[1];
      for (std::size_t i = 0; i < c.c.data.size(); ++i)
        ASSERT_TRUE(same_bits(g.c.data[i], c.c.data[i])) << p[0] << " x " << p[1] << " at " << i;
    }
  }
}

TEST(CudaDevice, ReportsWhyItIsUnavailable) {
  std::string why;
  if (cuda_available(&why)) GTEST_SKIP() << "a device is present";
  EXPECT_FALSE(why.empty());
  const Matrix a = random_matrix(2, 4, 5, 1.0);
  const QuantMatrix q = quantize_rows(a, num::FormatSpec{"int8", {}});
  const QuantMatrix qb = quantize_cols(random_matrix(4, 2, 6, 1.0), num::FormatSpec{"int8", {}});
  EXPECT_THROW(gemm_quantized_cuda(q, qb, GemmOptions{}), mpsim::ConfigError);
}

}  // namespace
}  // namespace mpsim::golden
