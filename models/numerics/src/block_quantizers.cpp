// DESCRIPTION: Shared-exponent block formats: OCP MX (mxfp8_e4m3, mxfp8_e5m2, mxfp6_e3m2,
// mxfp6_e2m3, mxfp4, mxint8) and d-Matrix block floating point (bfp12, bfp16). numerics.md §2, §3,
// §16.2, §16.4. SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "float_kernel.h"
#include "mpsim/numerics/quantizer.h"
#include "mpsim/numerics/scalar_format.h"

namespace mpsim::num {
namespace {

constexpr int kScaleMin = -127;
constexpr int kScaleMax = 127;
constexpr std::uint32_t kNanScale = 0xFF;

/// The element type of a block format.
struct Element {
  ScalarFormat fmt;  // float element, or a two's complement integer holding k of k * 2^-frac_bits
  bool is_int = false;
  int frac_bits = 0;  // integer elements: value = k * 2^-frac_bits, |k| <= 2^(bits-1) - 1
  int emax = 0;       // floor(log2(max element))
  int man_bits = 0;   // mantissa width used by the EVEN scale rule

  double max_value() const {
    return is_int ? std::ldexp((1 << (fmt.bits() - 1)) - 1, -frac_bits) : fmt.max_finite();
  }
  std::uint32_t encode(double v, Rounding r) const {
    if (!is_int) return fmt.encode(v, r, Overflow::kSaturate);
    std::uint32_t c = fmt.encode(std::ldexp(v, frac_bits), r, Overflow::kSaturate);
    const std::uint32_t most_negative = 1u << (fmt.bits() - 1);
    if (c == most_negative) c += 1;  // symmetric clamp: -2^(p-1) is never produced (microxcaling)
    return c;
  }
  double decode(std::uint32_t c) const {
    return is_int ? std::ldexp(fmt.decode(c), -frac_bits) : fmt.decode(c);
  }
};

Element float_element(const ScalarFormat& f) {
  return Element{f, false, 0, f.emax(), f.man_bits()};
}

Element int_element(int bits) {
  // 1.(bits-2) fixed point: value k / 2^(bits-2), max just below 2, so emax = 0.
  return Element{ScalarFormat::integer(fmt::format("int{}", bits), bits, true), true, bits - 2, 0,
                 bits - 2};
}

int floor_log2_double(double a) {
  int e = 0;
  std::frexp(a, &e);  // a = m * 2^e with m in [0.5, 1)
  return e - 1;
}

/// Shared exponent of a block with finite, non-zero absolute maximum `amax`.
int shared_exponent(float amax, const Element& el, ScaleRule rule) {
  int e = 0;
  switch (rule) {
    case ScaleRule::kFloor:
      e = floor_log2_double(amax) - el.emax;
      break;
    case ScaleRule::kCeil: {
      const int f = floor_log2_double(amax);
      e = (std::ldexp(1.0, f) == amax ? f : f + 1) - el.emax;
      break;
    }
    case ScaleRule::kEven: {
      // torchao: add half an element ULP to amax's FP32 bits, then take the exponent field.
      const auto bits = std::bit_cast<std::uint32_t>(amax);
      const std::uint32_t bumped = bits + (1u << (23 - el.man_bits - 1));
      const int exp_field = static_cast<int>((bumped >> 23) & 0xFF);
      e = (exp_field == 0 ? floor_log2_double(amax) : exp_field - 127) - el.emax;
      break;
    }
    case ScaleRule::kRceil: {
      // cuBLAS/torchao: descale = amax / max_elem in FP32, then round the E8M0 up (cvt.rp.ue8m0).
      const float d = amax / static_cast<float>(el.max_value());
      if (d == 0) {
        e = kScaleMin;
      } else {
        const int f = floor_log2_double(d);
        e = std::ldexp(1.0, f) == d ? f : f + 1;
      }
      break;
    }
  }
  return std::clamp(e, kScaleMin, kScaleMax);
}

class BlockQuantizer final : public Quantizer {
 public:
  BlockQuantizer(FormatInfo info, Element el, ResolvedOptions opts)
      : info_(std::move(info)),
        el_(std::move(el)),
        opts_(opts),
        kernel_(el_.is_int ? ElementKernel::for_int(el_.fmt.bits(), el_.frac_bits, opts.rounding)
                           : ElementKernel::for_float(el_.fmt, opts.rounding)) {}
  const FormatInfo& info() const override { return info_; }

  void quantize_into(std::span<const float> x, QuantizedRow& row) const override {
    reset_row(row, info_.name, opts_.size, x.size());
    const auto k = static_cast<std::size_t>(opts_.size);
    for (std::size_t b0 = 0; b0 < x.size(); b0 += k) {
      const std::size_t n = std::min(k, x.size() - b0);
      const std::uint32_t amax_bits = ElementKernel::abs_max_bits(x.data() + b0, n);
      const bool special = amax_bits >= 0x7F800000u;
      const float amax = std::bit_cast<float>(amax_bits);
      StoredScale s;
      if (special) {  // a NaN or Inf anywhere makes the whole block NaN (§2.1)
        s.scale = std::numeric_limits<double>::quiet_NaN();
        s.scale_code = kNanScale;
        row.scales.push_back(s);
        for (std::size_t i = 0; i < n; ++i) {
          row.codes[b0 + i] = 0;
          row.values[b0 + i] = std::numeric_limits<float>::quiet_NaN();
        }
        continue;
      }
      const int e = amax == 0 ? kScaleMin : shared_exponent(amax, el_, opts_.scale_rule);
      s.scale = std::ldexp(1.0, e);
      s.scale_code = static_cast<std::uint32_t>(e + 127);
      row.scales.push_back(s);
      if (kernel_.fast()) {
        kernel_.run(x.data() + b0, n, e, row.codes.data() + b0, row.values.data() + b0);
        continue;
      }
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t c =
            el_.encode(std::ldexp(static_cast<double>(x[b0 + i]), -e), opts_.rounding);
        row.codes[b0 + i] = c;
        row.values[b0 + i] = static_cast<float>(std::ldexp(el_.decode(c), e));
      }
    }
  }

  std::vector<float> dequantize(const QuantizedRow& row) const override {
    std::vector<float> out(row.codes.size());
    const auto k = static_cast<std::size_t>(row.block);
    for (std::size_t i = 0; i < out.size(); ++i) {
      const std::uint32_t sc = row.scales.at(i / k).scale_code;
      out[i] = sc == kNanScale ? std::numeric_limits<float>::quiet_NaN()
                               : static_cast<float>(std::ldexp(el_.decode(row.codes[i]),
                                                               static_cast<int>(sc) - 127));
    }
    return out;
  }

 private:
  FormatInfo info_;
  Element el_;
  ResolvedOptions opts_;
  ElementKernel kernel_;
};

void add_block(FormatRegistry& r, std::string name, std::string description, Element el, bool mx) {
  FormatInfo info;
  info.name = std::move(name);
  info.description = std::move(description);
  info.layout = Layout::kBlock;
  info.default_size = 32;
  info.element_bits = el.fmt.bits();
  info.overhead_bits = 8;  // E8M0 / 8-bit shared exponent
  info.roundings = {Rounding::kNearestEven, Rounding::kNearestAway, Rounding::kHalfUp,
                    Rounding::kTowardZero, Rounding::kFloor};
  info.overflows = {Overflow::kSaturate};
  info.takes_scale_rule = mx;
  r.add(info, [info, el](const ResolvedOptions& o) {
    return std::make_unique<BlockQuantizer>(info, el, o);
  });
}

}  // namespace

void register_block_formats(FormatRegistry& r) {
  add_block(r, "mxfp8_e4m3", "OCP MX: 32 x FP8 E4M3 + E8M0 scale",
            float_element(ScalarFormat::fp8_e4m3()), true);
  add_block(r, "mxfp8_e5m2", "OCP MX: 32 x FP8 E5M2 + E8M0 scale",
            float_element(ScalarFormat::fp8_e5m2()), true);
  add_block(r, "mxfp6_e3m2", "OCP MX: 32 x FP6 E3M2 + E8M0 scale",
            float_element(ScalarFormat::fp6_e3m2()), true);
  add_block(r, "mxfp6_e2m3", "OCP MX: 32 x FP6 E2M3 + E8M0 scale",
            float_element(ScalarFormat::fp6_e2m3()), true);
  add_block(r, "mxfp4", "OCP MX: 32 x FP4 E2M1 + E8M0 scale",
            float_element(ScalarFormat::fp4_e2m1()), true);
  add_block(r, "mxint8", "OCP MX: 32 x INT8 (k/64, symmetric clamp) + E8M0 scale", int_element(8),
            true);
  add_block(r, "bfp12", "d-Matrix BFP12: 4-bit sign+mantissa (|k| <= 7) + 8-bit shared exponent",
            int_element(4), false);
  add_block(r, "bfp16", "d-Matrix BFP16: 8-bit sign+mantissa (|k| <= 127) + 8-bit shared exponent",
            int_element(8), false);
}

}  // namespace mpsim::num
