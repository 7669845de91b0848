// DESCRIPTION: Codebook formats: nf4 (QLoRA / bitsandbytes blockwise NF4) and bitmod_fp4 /
// bitmod_fp3 (BitMoD HPCA'25 per-group mixture of datatypes). numerics.md §1.5, §4, §13, §16.9.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "mpsim/base/error.h"
#include "mpsim/numerics/codebook.h"
#include "mpsim/numerics/exact.h"
#include "mpsim/numerics/half.h"
#include "mpsim/numerics/quantizer.h"

namespace mpsim::num {

// ----------------------------------------------------------------------------------------------
// BitMoD tables and the per-group search
// ----------------------------------------------------------------------------------------------

std::optional<std::uint32_t> bitmod_encode(int bits, BitmodType t, int value) {
  if (!bitmod_bits_ok(bits)) return std::nullopt;
  if (value == bitmod_special_value(bits, t)) return bitmod_special_code(bits);
  const std::uint32_t sign = value < 0 ? bitmod_special_code(bits) : 0;
  const int mag = value < 0 ? -value : value;
  const std::uint32_t n = 1u << (bits - 1);
  for (std::uint32_t i = 0; i < n; ++i)
    if (bitmod_decode(bits, t, i) == mag) return i == 0 ? 0u : (sign | i);
  return std::nullopt;
}

std::vector<int> bitmod_allowed_values(int bits, BitmodType t) {
  MPSIM_CHECK(bitmod_bits_ok(bits), fmt::format("BitMoD width must be 3 or 4, got {}", bits));
  std::vector<int> v;
  // Every code except the -0 one (which carries the special value) gives a distinct base value.
  for (std::uint32_t c = 0; c < (1u << bits); ++c) v.push_back(bitmod_decode(bits, t, c));
  std::sort(v.begin(), v.end());
  return v;
}

int bitmod_qmax(int bits, BitmodType t) {
  const auto v = bitmod_allowed_values(bits, t);
  return std::max(-v.front(), v.back());
}

std::string_view bitmod_type_name(int bits, BitmodType t) {
  static constexpr std::array<std::string_view, 4> kFp4 = {"fp4_er_pos", "fp4_er_neg", "fp4_ea_pos",
                                                           "fp4_ea_neg"};
  static constexpr std::array<std::string_view, 4> kFp3 = {"fp3_er_pos", "fp3_er_neg", "fp3_ea_pos",
                                                           "fp3_ea_neg"};
  return (bits == 4 ? kFp4 : kFp3)[static_cast<std::size_t>(t)];
}

std::optional<BitmodType> parse_bitmod_type(int bits, std::string_view name) {
  if (!bitmod_bits_ok(bits)) return std::nullopt;
  for (const BitmodType t : kBitmodSearchOrder)
    if (bitmod_type_name(bits, t) == name) return t;
  return std::nullopt;
}

namespace {

// The reference clamps the FP16 scale with torch's clamp(min=1e-5, max=1e4). 1e4 is an FP16 value
// and fp16(1e-5) = 168 * 2^-24 (tested); no FP16 value lies between 1e-5 and 168 * 2^-24, so
// clamping to these FP16 bounds is the same. constexpr so that no static-initialization order
// question arises.
constexpr float kBitmodScaleMin = 168.0f / 16777216.0f;
constexpr float kBitmodScaleMax = 1e4f;
constexpr std::uint16_t kFp16QuietNan = 0x7E00;

/// The value of one stored element: fp16(decode(code) * scale), exactly as the reference's FP16
/// `q_tensor * scale_fp` (an integer of at most 5 bits times an FP16 scale is exact in FP32, so a
/// single FP32->FP16 rounding gives the correctly rounded FP16 product).
float bitmod_value(int bits, BitmodType t, std::uint32_t code, float scale) {
  return round_to_fp16(static_cast<float>(bitmod_decode(bits, t, code)) * scale);
}

/// A candidate plus its exact squared error in units of 2^-48. Every FP16 value is a multiple of
/// 2^-24, so each difference is an integer below 2^41 in units of 2^-24, its square is below 2^82,
/// and up to 2^20 of them sum below 2^102: exact in 128 bits. The error is taken against the FP16
/// weights (the reference's models are loaded in FP16, so its `w_fp16` already is FP16).
struct ExactCandidate {
  BitmodCandidate c;
  uint128_t sq = 0;
};

ExactCandidate quantize_as(int bits, BitmodType t, std::span<const float> w16, float rmax) {
  ExactCandidate out;
  BitmodCandidate& c = out.c;
  c.type = t;
  const std::vector<int> allowed = bitmod_allowed_values(bits, t);
  const int qmax = bitmod_qmax(bits, t);
  // FP16 arithmetic modelled as FP32 then one rounding to FP16: FP32's 24 bits are >= 2*11 + 2, so
  // the double rounding of a quotient/product of FP16 operands is innocuous.
  const float scale =
      std::clamp(round_to_fp16(rmax / static_cast<float>(qmax)), kBitmodScaleMin, kBitmodScaleMax);
  c.scale_bits = fp32_to_fp16_bits(scale);
  c.codes.resize(w16.size());
  c.values.resize(w16.size());
  for (std::size_t i = 0; i < w16.size(); ++i) {
    const float x = round_to_fp16(w16[i] / scale);
    // Value k is chosen iff mid[k-1] < x <= mid[k] (ties to the lower value); below every
    // midpoint -> first value, above every midpoint -> last value (clipping to the table ends).
    // The midpoints are half-integers, exact in FP32.
    std::size_t k = 0;
    while (k + 1 < allowed.size() && x > static_cast<float>(allowed[k] + allowed[k + 1]) / 2.0f)
      ++k;
    const std::optional<std::uint32_t> code = bitmod_encode(bits, t, allowed[k]);
    MPSIM_CHECK(code.has_value(), "BitMoD allowed value without a code");
    c.codes[i] = *code;
    c.values[i] = bitmod_value(bits, t, *code, scale);
    if (!std::isfinite(c.values[i])) {
      c.finite = false;  // 12 * fp16(65504/12) rounds to Inf in FP16, as in the reference
      continue;
    }
    const auto d = static_cast<std::int64_t>(std::ldexp(static_cast<double>(c.values[i]), 24)) -
                   static_cast<std::int64_t>(std::ldexp(static_cast<double>(w16[i]), 24));
    const auto m = static_cast<uint128_t>(d < 0 ? -d : d);
    out.sq += m * m;
  }
  c.mse = c.finite ? std::ldexp(static_cast<double>(out.sq), -48) / static_cast<double>(w16.size())
                   : std::numeric_limits<double>::infinity();
  return out;
}

}  // namespace

BitmodGroupResult bitmod_quantize_group(int bits, std::span<const float> w) {
  MPSIM_CHECK(bitmod_bits_ok(bits), fmt::format("BitMoD width must be 3 or 4, got {}", bits));
  MPSIM_CHECK(!w.empty() && w.size() <= (std::size_t{1} << 20), "BitMoD group size out of range");
  BitmodGroupResult r;
  // The reference casts the weights to FP16 first and does all group arithmetic in FP16.
  std::vector<float> w16(w.size());
  float rmax = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    w16[i] = round_to_fp16(w[i]);
    if (!std::isfinite(w16[i])) {
      r.nan_group = true;
      return r;
    }
    rmax = std::max(rmax, std::fabs(w16[i]));
  }
  std::array<uint128_t, 4> sq{};
  for (std::size_t k = 0; k < kBitmodSearchOrder.size(); ++k) {
    ExactCandidate e = quantize_as(bits, kBitmodSearchOrder[k], w16, rmax);
    r.candidates[k] = std::move(e.c);
    sq[k] = e.sq;
  }
  // Selection: `search_datatype` starts from an error of 1e3 and takes a datatype only when its
  // MSE is strictly smaller (torch.lt), in list order. The reference's FP16 mean has no specified
  // reduction order, so mpsim compares the exact errors: MSE < best <=> sq < best_sq, with the
  // initial 1e3 as 1000 * n * 2^48 in the same units. If no datatype beats 1e3 the reference
  // leaves the group at zeros (its q_tensor starts as zeros); mpsim instead keeps the first
  // datatype, a deliberate deviation so that large-magnitude groups stay meaningful.
  uint128_t best = static_cast<uint128_t>(1000) * w.size() * (uint128_t{1} << 48);
  int chosen = -1;
  for (std::size_t k = 0; k < sq.size(); ++k) {
    if (r.candidates[k].finite && sq[k] < best) {
      best = sq[k];
      chosen = static_cast<int>(k);
    }
  }
  r.chosen = chosen < 0 ? 0 : chosen;
  return r;
}

namespace {

// ----------------------------------------------------------------------------------------------
// nf4
// ----------------------------------------------------------------------------------------------

/// bitsandbytes `dDequantizeNF4(code) * absmax`, one FP32 multiply.
float nf4_value(std::uint32_t code, float absmax) { return nf4_decode(code) * absmax; }

class Nf4Quantizer final : public Quantizer {
 public:
  Nf4Quantizer(FormatInfo info, ResolvedOptions opts) : info_(std::move(info)), opts_(opts) {}
  const FormatInfo& info() const override { return info_; }

  void quantize_into(std::span<const float> x, QuantizedRow& row) const override {
    reset_row(row, info_.name, opts_.size, x.size());
    const auto k = static_cast<std::size_t>(opts_.size);
    for (std::size_t b0 = 0; b0 < x.size(); b0 += k) {
      const std::size_t n = std::min(k, x.size() - b0);
      float absmax = 0;
      bool special = false;
      for (std::size_t i = 0; i < n; ++i) {
        special |= !std::isfinite(x[b0 + i]);
        absmax = std::max(absmax, std::fabs(x[b0 + i]));
      }
      // mpsim rule: a NaN/Inf anywhere makes the block NaN (absmax stored as a quiet NaN; codes 7
      // so that the stored codes are deterministic). bitsandbytes has no defined behaviour here.
      if (special) absmax = std::numeric_limits<float>::quiet_NaN();
      row.scales.push_back(StoredScale{static_cast<double>(absmax),
                                       std::bit_cast<std::uint32_t>(absmax), std::nullopt,
                                       std::nullopt, ""});
      if (special || absmax == 0) {
        // All-zero block: bitsandbytes computes 0 * (1/0) = NaN, which its tree maps to code 0
        // (-1.0 * 0 = -0.0). mpsim deliberately stores code 7 (0.0) instead: the same value up
        // to the sign of zero, and a code that means zero.
        for (std::size_t i = 0; i < n; ++i) {
          row.codes[b0 + i] = kNf4ZeroCode;
          row.values[b0 + i] = nf4_value(kNf4ZeroCode, absmax);
        }
        continue;
      }
      // bitsandbytes multiplies by the FP32 reciprocal rather than dividing. For absmax below
      // 2^-128 the reciprocal overflows to Inf and elements land on +-1 (zeros on code 0, via
      // NaN), as in the reference; that is kept rather than "fixed".
      const float inv = 1.0f / absmax;
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t c = nf4_encode(x[b0 + i] * inv);
        row.codes[b0 + i] = c;
        row.values[b0 + i] = nf4_value(c, absmax);
      }
    }
    // Packed storage (bitsandbytes order): byte j = code[2j] << 4 | code[2j+1], the first element
    // in the high nibble, contiguous over the whole row. An odd tail is padded with code 7 (0.0).
    row.packed.resize((x.size() + 1) / 2);
    for (std::size_t j = 0; j < row.packed.size(); ++j) {
      const std::uint32_t hi = row.codes[2 * j];
      const std::uint32_t lo = 2 * j + 1 < x.size() ? row.codes[2 * j + 1] : kNf4ZeroCode;
      row.packed[j] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
  }

  std::vector<float> dequantize(const QuantizedRow& row) const override {
    std::vector<float> out(row.codes.size());
    const auto k = static_cast<std::size_t>(row.block);
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = nf4_value(row.codes[i], std::bit_cast<float>(row.scales.at(i / k).scale_code));
    return out;
  }

 private:
  FormatInfo info_;
  ResolvedOptions opts_;
};

// ----------------------------------------------------------------------------------------------
// bitmod_fp4, bitmod_fp3
// ----------------------------------------------------------------------------------------------

class BitmodQuantizer final : public Quantizer {
 public:
  BitmodQuantizer(FormatInfo info, int bits, ResolvedOptions opts)
      : info_(std::move(info)), bits_(bits), opts_(opts) {}
  const FormatInfo& info() const override { return info_; }

  void quantize_into(std::span<const float> x, QuantizedRow& row) const override {
    reset_row(row, info_.name, opts_.size, x.size());
    const auto k = static_cast<std::size_t>(opts_.size);
    // The reference needs the row length to be a multiple of the group; mpsim allows a partial
    // last group (its MSE is the mean over its own elements).
    for (std::size_t g0 = 0; g0 < x.size(); g0 += k) {
      const std::size_t n = std::min(k, x.size() - g0);
      const BitmodGroupResult r = bitmod_quantize_group(bits_, x.subspan(g0, n));
      StoredScale s;
      if (r.nan_group) {
        // mpsim rule: a NaN/Inf input, or one beyond the FP16 range (it becomes Inf in the FP16
        // reference), makes the group NaN: NaN FP16 scale, code 0, the first datatype as tag.
        s.scale_code = kFp16QuietNan;
        s.scale = static_cast<double>(fp16_bits_to_fp32(kFp16QuietNan));
        s.tag = std::string(bitmod_type_name(bits_, kBitmodSearchOrder.front()));
        for (std::size_t i = 0; i < n; ++i) {
          row.codes[g0 + i] = 0;
          row.values[g0 + i] =
              bitmod_value(bits_, kBitmodSearchOrder.front(), 0, fp16_bits_to_fp32(kFp16QuietNan));
        }
      } else {
        const BitmodCandidate& c = r.candidates[static_cast<std::size_t>(r.chosen)];
        s.scale_code = c.scale_bits;
        s.scale = static_cast<double>(fp16_bits_to_fp32(c.scale_bits));
        s.tag = std::string(bitmod_type_name(bits_, c.type));
        std::copy(c.codes.begin(), c.codes.end(), row.codes.begin() + static_cast<long>(g0));
        std::copy(c.values.begin(), c.values.end(), row.values.begin() + static_cast<long>(g0));
      }
      row.scales.push_back(std::move(s));
    }
  }

  std::vector<float> dequantize(const QuantizedRow& row) const override {
    std::vector<float> out(row.codes.size());
    const auto k = static_cast<std::size_t>(row.block);
    for (std::size_t g = 0; g * k < out.size(); ++g) {
      const StoredScale& s = row.scales.at(g);
      const std::optional<BitmodType> t = parse_bitmod_type(bits_, s.tag);
      if (!t)
        throw ConfigError(Diagnostic{"", "tag",
                                     fmt::format("format '{}': unknown BitMoD datatype tag '{}' "
                                                 "in group {}",
                                                 info_.name, s.tag, g)});
      const float scale = fp16_bits_to_fp32(static_cast<std::uint16_t>(s.scale_code));
      for (std::size_t i = g * k; i < std::min(out.size(), (g + 1) * k); ++i)
        out[i] = bitmod_value(bits_, *t, row.codes[i], scale);
    }
    return out;
  }

 private:
  FormatInfo info_;
  int bits_;
  ResolvedOptions opts_;
};

}  // namespace

void register_codebook_formats(FormatRegistry& r) {
  {
    FormatInfo info;
    info.name = "nf4";
    info.description =
        "NF4 (QLoRA/bitsandbytes): 64 x 4-bit codebook + FP32 absmax; threshold tree, ties to the "
        "lower code (bitsandbytes); high nibble first";
    info.layout = Layout::kBlock;
    info.default_size = 64;
    info.element_bits = 4;
    info.overhead_bits = 32;  // FP32 absmax
    // NF4's tie rule ("ties to the lower code") is none of the named modes; the single entry
    // only makes rne the accepted default and the description states the real rule.
    info.roundings = {Rounding::kNearestEven};
    info.overflows = {Overflow::kSaturate};
    r.add(info,
          [info](const ResolvedOptions& o) { return std::make_unique<Nf4Quantizer>(info, o); });
  }
  for (const int bits : {4, 3}) {
    FormatInfo info;
    info.name = fmt::format("bitmod_fp{}", bits);
    info.description = fmt::format(
        "BitMoD (HPCA'25): 128 x FP{} with a per-group datatype (ER/EA +-), FP16 scale; midpoint "
        "table, ties to the lower value (BitMoD), clip to the table ends",
        bits);
    info.layout = Layout::kGroup;
    info.default_size = 128;
    info.element_bits = bits;
    info.overhead_bits = 16 + 2;  // FP16 scale + 2-bit datatype selector
    info.roundings = {Rounding::kNearestEven};  // the tie rule is fixed; see the description
    info.overflows = {Overflow::kSaturate};
    r.add(info, [info, bits](const ResolvedOptions& o) {
      return std::make_unique<BitmodQuantizer>(info, bits, o);
    });
  }
}

}  // namespace mpsim::num
