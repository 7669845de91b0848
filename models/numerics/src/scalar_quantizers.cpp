// DESCRIPTION: Scalar formats as quantizers: intN/uintN, fp16/bf16, fp8/fp6/fp4, e8m0, bipolar-INT.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <bit>

#include "float_kernel.h"
#include "mpsim/numerics/quantizer.h"
#include "mpsim/numerics/scalar_format.h"

namespace mpsim::num {
namespace {

const std::vector<Rounding> kAllRoundings{Rounding::kNearestEven, Rounding::kNearestAway,
                                          Rounding::kHalfUp, Rounding::kTowardZero,
                                          Rounding::kFloor};

class ScalarQuantizer final : public Quantizer {
 public:
  ScalarQuantizer(FormatInfo info, ScalarFormat fmt, ResolvedOptions opts)
      : info_(std::move(info)),
        fmt_(std::move(fmt)),
        opts_(opts),
        kernel_(ElementKernel::for_float(fmt_, opts.rounding)) {}
  const FormatInfo& info() const override { return info_; }

  void quantize_into(std::span<const float> x, QuantizedRow& row) const override {
    reset_row(row, info_.name, 0, x.size());
    if (kernel_.fast() && fmt_.is_float()) {
      kernel_.run(x.data(), x.size(), 0, row.codes.data(), row.values.data());
      // The kernel saturates and assumes finite inputs: redo non-finite inputs and, under the
      // Inf/NaN overflow rule, every saturated element, with the exact engine.
      const std::uint32_t max_mag = fmt_.max_code();
      const std::uint32_t mag_mask = (1u << (fmt_.bits() - 1)) - 1;
      for (std::size_t i = 0; i < x.size(); ++i) {
        const bool special = (std::bit_cast<std::uint32_t>(x[i]) & 0x7FFFFFFFu) >= 0x7F800000u;
        const bool saturated = (row.codes[i] & mag_mask) == max_mag;
        if (special || (saturated && opts_.overflow == Overflow::kInfNan)) {
          row.codes[i] = fmt_.encode(x[i], opts_.rounding, opts_.overflow);
          row.values[i] = static_cast<float>(fmt_.decode(row.codes[i]));
        }
      }
      return;
    }
    for (std::size_t i = 0; i < x.size(); ++i) {
      row.codes[i] = fmt_.encode(x[i], opts_.rounding, opts_.overflow);
      row.values[i] = static_cast<float>(fmt_.decode(row.codes[i]));
    }
  }

  std::vector<float> dequantize(const QuantizedRow& row) const override {
    std::vector<float> out(row.codes.size());
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = static_cast<float>(fmt_.decode(row.codes[i]));
    return out;
  }

 private:
  FormatInfo info_;
  ScalarFormat fmt_;
  ResolvedOptions opts_;
  ElementKernel kernel_;
};

void add_scalar(FormatRegistry& r, const ScalarFormat& f, std::string description,
                std::vector<Overflow> overflows) {
  FormatInfo info;
  info.name = f.name();
  info.description = std::move(description);
  info.layout = Layout::kScalar;
  info.element_bits = f.bits();
  info.roundings = kAllRoundings;
  info.overflows = std::move(overflows);
  r.add(info, [info, f](const ResolvedOptions& o) {
    return std::make_unique<ScalarQuantizer>(info, f, o);
  });
}

}  // namespace

void register_scalar_formats(FormatRegistry& r) {
  for (int b = 2; b <= 8; ++b)
    add_scalar(r, ScalarFormat::integer(fmt::format("int{}", b), b, true),
               fmt::format("{}-bit two's complement integer [{}, {}]", b, -(1 << (b - 1)),
                           (1 << (b - 1)) - 1),
               {Overflow::kSaturate, Overflow::kWrap});
  for (int b = 2; b <= 8; ++b)
    add_scalar(r, ScalarFormat::integer(fmt::format("uint{}", b), b, false),
               fmt::format("{}-bit unsigned integer [0, {}]", b, (1 << b) - 1),
               {Overflow::kSaturate, Overflow::kWrap});
  // IEEE half formats default to the IEEE cast (overflow to Inf); the narrow formats saturate
  // (§16.5).
  // fp32 is the identity on FP32 inputs; registered so accumulators and FP references have a name.
  add_scalar(r, ScalarFormat::fp32(), "IEEE 754 binary32 (identity on FP32 inputs)",
             {Overflow::kInfNan, Overflow::kSaturate});
  add_scalar(r, ScalarFormat::fp16(), "IEEE 754 binary16 (E5M10)",
             {Overflow::kInfNan, Overflow::kSaturate});
  add_scalar(r, ScalarFormat::bf16(), "bfloat16 (E8M7)", {Overflow::kInfNan, Overflow::kSaturate});
  add_scalar(r, ScalarFormat::fp8_e4m3(), "OCP FP8 E4M3 (fn: no Inf, NaN S.1111.111, max 448)",
             {Overflow::kSaturate, Overflow::kInfNan});
  add_scalar(r, ScalarFormat::fp8_e5m2(), "OCP FP8 E5M2 (IEEE-like, max 57344)",
             {Overflow::kSaturate, Overflow::kInfNan});
  add_scalar(r, ScalarFormat::fp6_e3m2(), "OCP MX FP6 E3M2 (no Inf/NaN, max 28)",
             {Overflow::kSaturate});
  add_scalar(r, ScalarFormat::fp6_e2m3(), "OCP MX FP6 E2M3 (no Inf/NaN, max 7.5)",
             {Overflow::kSaturate});
  add_scalar(r, ScalarFormat::fp4_e2m1(), "OCP MX FP4 E2M1 (no Inf/NaN, max 6)",
             {Overflow::kSaturate});
  add_scalar(r, ScalarFormat::e8m0(), "OCP MX E8M0 scale: 2^(code-127), NaN 0xFF, no zero/sign",
             {Overflow::kSaturate, Overflow::kInfNan});
  for (int b = 2; b <= 8; ++b)
    add_scalar(r, ScalarFormat::bipolar(fmt::format("bipolar_int{}", b), b),
               fmt::format("{}-bit bipolar-INT: each bit is +-2^i, odd values in [{}, {}]", b,
                           -((1 << b) - 1), (1 << b) - 1),
               {Overflow::kSaturate, Overflow::kWrap});
}

}  // namespace mpsim::num
