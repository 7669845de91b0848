// DESCRIPTION: Codebook element formats: the NF4 codebook and decision thresholds (QLoRA /
// bitsandbytes) and the BitMoD FP4/FP3 mixture-of-datatype tables, codes and group search
// (HPCA'25). numerics.md §1.5, §4, §16.9. Shared by the nf4/bitmod_* quantizers and the PE models.
// SPDX-License-Identifier: Apache-2.0
//
// Example:
//   std::uint32_t c = nf4_encode(x * (1.0f / absmax));      // ties go to the lower code
//   float v = nf4_decode(c) * absmax;
//   int w2 = bitmod_decode(4, BitmodType::kErPos, 0b1000);  // +10 in x2 units (= +5 in E2M1)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace mpsim::num {

// ----------------------------------------------------------------------------------------------
// NF4
// ----------------------------------------------------------------------------------------------

/// The 16 NF4 values, index = code (bitsandbytes `dDequantizeNF4`, as FP32).
inline constexpr std::array<float, 16> kNf4Codebook = {
    -1.0f,
    -0.6961928009986877f,
    -0.5250730514526367f,
    -0.39491748809814453f,
    -0.28444138169288635f,
    -0.18477343022823334f,
    -0.09105003625154495f,
    0.0f,
    0.07958029955625534f,
    0.16093020141124725f,
    0.24611230194568634f,
    0.33791524171829224f,
    0.44070982933044434f,
    0.5626170039176941f,
    0.7229568362236023f,
    1.0f,
};

/// The NF4 code of the value 0.0 (also what mpsim stores for all-zero blocks and odd-tail padding).
inline constexpr std::uint32_t kNf4ZeroCode = 7;

/// kNf4Thresholds[i] separates codes i and i+1: float((double(c_i) + double(c_{i+1})) / 2).
/// These are the FP32 values of the literals in bitsandbytes' `dQuantizeNF4` tree (tested).
inline constexpr std::array<float, 15> kNf4Thresholds = [] {
  std::array<float, 15> t{};
  for (std::size_t i = 0; i < t.size(); ++i)
    t[i] = static_cast<float>(
        (static_cast<double>(kNf4Codebook[i]) + static_cast<double>(kNf4Codebook[i + 1])) / 2);
  return t;
}();

/// Returns the NF4 code of a normalized value: the number of thresholds strictly below `xn`.
/// Equivalent to bitsandbytes' `x > t` decision tree, so a value exactly on a threshold takes the
/// lower code and NaN takes code 0 (every comparison is false).
constexpr std::uint32_t nf4_encode(float xn) {
  std::uint32_t code = 0;
  for (const float t : kNf4Thresholds)
    if (xn > t) ++code;
  return code;
}

/// Returns the codebook value of a 4-bit NF4 code (only the low 4 bits are used).
constexpr float nf4_decode(std::uint32_t code) { return kNf4Codebook[code & 0xFu]; }

// ----------------------------------------------------------------------------------------------
// BitMoD
// ----------------------------------------------------------------------------------------------
// All BitMoD values are in the reference's "x2 units" (E2M1 value x 2), exactly as in
// `quant_weight.py`, so every table entry is a small integer and qmax is 12/16 (FP4), 4/6 (FP3).

/// The four per-group datatypes of `mixed_bitmod`, in the reference's search order.
enum class BitmodType : std::uint8_t {
  kErPos,  ///< extra resolution, positive special value (FP4 +10, FP3 +3)
  kErNeg,  ///< extra resolution, negative special value (FP4 -10, FP3 -3)
  kEaPos,  ///< extra asymmetry, positive special value (FP4 +16, FP3 +6)
  kEaNeg,  ///< extra asymmetry, negative special value (FP4 -16, FP3 -6)
};

/// The datatypes in the order `search_datatype` tries them (the first wins exact MSE ties).
inline constexpr std::array<BitmodType, 4> kBitmodSearchOrder = {
    BitmodType::kErPos, BitmodType::kErNeg, BitmodType::kEaPos, BitmodType::kEaNeg};

/// Base FP4 (E2M1) magnitudes in x2 units; a code's low 3 bits index this table.
inline constexpr std::array<int, 8> kBitmodFp4Magnitudes = {0, 1, 2, 3, 4, 6, 8, 12};
/// Base FP3 magnitudes in x2 units; a code's low 2 bits index this table.
inline constexpr std::array<int, 4> kBitmodFp3Magnitudes = {0, 1, 2, 4};

/// FP4 special values (x2 units), indexed by BitmodType.
inline constexpr std::array<int, 4> kBitmodFp4Special = {+10, -10, +16, -16};
/// FP3 special values (x2 units), indexed by BitmodType.
inline constexpr std::array<int, 4> kBitmodFp3Special = {+3, -3, +6, -6};

/// True for the two supported BitMoD element widths (3 and 4 bits).
constexpr bool bitmod_bits_ok(int bits) { return bits == 3 || bits == 4; }

/// The code carrying the datatype's special value: the otherwise redundant -0 (sign bit alone),
/// 0b1000 for FP4 and 0b100 for FP3. (The RTL reader decodes FP4 0b1000 as the EA_POS +16.)
constexpr std::uint32_t bitmod_special_code(int bits) { return 1u << (bits - 1); }

/// The special value (x2 units) of datatype `t` at width `bits` (3 or 4).
constexpr int bitmod_special_value(int bits, BitmodType t) {
  const auto i = static_cast<std::size_t>(t);
  return bits == 4 ? kBitmodFp4Special[i] : kBitmodFp3Special[i];
}

/// Decodes a sign-magnitude BitMoD code to its value in x2 units. `bits` is 3 or 4; only the low
/// `bits` bits of `code` are used. The special code decodes to the group datatype's special value.
constexpr int bitmod_decode(int bits, BitmodType t, std::uint32_t code) {
  const std::uint32_t sign = 1u << (bits - 1);
  code &= (1u << bits) - 1;
  if (code == sign) return bitmod_special_value(bits, t);
  const std::uint32_t idx = code & (sign - 1);
  const int mag = bits == 4 ? kBitmodFp4Magnitudes[idx] : kBitmodFp3Magnitudes[idx];
  return (code & sign) != 0 ? -mag : mag;
}

/// Encodes a value (x2 units) that datatype `t` can represent; returns nullopt otherwise.
/// Zero is always code 0 (never the special -0 code).
std::optional<std::uint32_t> bitmod_encode(int bits, BitmodType t, int value);

/// The allowed values of datatype `t` in x2 units, ascending (the reference's list; FP4: 16
/// values, FP3: 8 values).
std::vector<int> bitmod_allowed_values(int bits, BitmodType t);

/// max |allowed value| in x2 units: FP4 ER 12, EA 16; FP3 ER 4, EA 6.
int bitmod_qmax(int bits, BitmodType t);

/// The reference's datatype name ("fp4_er_pos", "fp3_ea_neg", ...), used as StoredScale::tag.
std::string_view bitmod_type_name(int bits, BitmodType t);
/// Parses a name produced by bitmod_type_name for width `bits`.
std::optional<BitmodType> parse_bitmod_type(int bits, std::string_view name);

/// One datatype's quantization of one group, as `quant_datatype` computes it in FP16.
struct BitmodCandidate {
  BitmodType type = BitmodType::kErPos;
  std::uint16_t scale_bits = 0;      ///< FP16 group scale (per x2 unit)
  std::vector<std::uint32_t> codes;  ///< one code per element
  std::vector<float> values;         ///< FP16 dequantized values, as FP32
  double mse = 0;      ///< exact MSE vs the FP16 inputs, rounded to double (+inf if !finite)
  bool finite = true;  ///< every dequantized value is finite
};

/// The whole per-group search (`search_datatype`): all four candidates and the chosen one.
struct BitmodGroupResult {
  std::array<BitmodCandidate, 4> candidates;  ///< in kBitmodSearchOrder
  int chosen = 0;                             ///< index into candidates
  bool nan_group = false;  ///< an input was NaN/Inf or beyond FP16 range: the group is NaN
};

/// Runs the BitMoD search on one group of FP32 weights (exposed for tests and PE models).
/// Inputs are first rounded to FP16 (the reference runs in FP16). A group with a NaN/Inf input, or
/// an input that overflows FP16, is reported as nan_group with empty candidates.
BitmodGroupResult bitmod_quantize_group(int bits, std::span<const float> w);

}  // namespace mpsim::num
