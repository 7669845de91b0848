// DESCRIPTION: The quantizer extension point: every named number format (scalar, MX/BFP block,
// group-wise INT, GGUF, NF4, BitMoD, QServe) turns one FP32 row into codes, stored scales and
// dequantized values, and is found by its canonical name in one registry.
// SPDX-License-Identifier: Apache-2.0
//
// Example:
//   QuantizeOptions opts;  opts.block = 32;
//   auto q = builtin_formats().create("mxfp4", opts);   // throws ConfigError on bad name/options
//   QuantizedRow row = q->quantize(values);              // row.values are the dequantized FP32s
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mpsim/numerics/rounding.h"

namespace mpsim::num {

/// User choices for one quantizer; unset fields take the format's defaults.
struct QuantizeOptions {
  std::optional<int> block;  ///< elements per shared scale (MX, BFP, NF4)
  std::optional<int> group;  ///< elements per group scale/zero (AWQ, GPTQ, QServe, BitMoD)
  std::optional<Rounding> rounding;
  std::optional<Overflow> overflow;
  std::optional<ScaleRule> scale_rule;  ///< MX only

  friend bool operator==(const QuantizeOptions&, const QuantizeOptions&) = default;
};

/// One block's/group's stored scale (and zero point), as the format stores it.
struct StoredScale {
  double scale = 1.0;            ///< the stored scale's value (after its own rounding, e.g. FP16)
  std::uint32_t scale_code = 0;  ///< the stored bits (E8M0 byte, FP16 bits, UINT8, ...)
  std::optional<double> zero;    ///< stored zero point (integer code) or min, if the format has one
  std::optional<std::uint32_t> zero_code;
  std::string tag;  ///< per-group sub-format where the format chooses one (BitMoD)

  friend bool operator==(const StoredScale&, const StoredScale&) = default;
};

/// A quantized row: what is stored and what it means.
struct QuantizedRow {
  std::string format;                ///< canonical name
  int block = 0;                     ///< elements per scale (0: scalar format)
  std::vector<std::uint32_t> codes;  ///< one element code per input value
  std::vector<StoredScale> scales;   ///< one per block/group, in order
  std::vector<float> values;         ///< dequantized FP32, one per input value
  std::vector<std::uint8_t> packed;  ///< byte-exact storage layout, where the format defines one
  /// Row-level stored parameters (e.g. QServe's per-channel FP16 scale), by name.
  std::map<std::string, double> row_params;
};

/// How a format lays out scales over a row.
enum class Layout : std::uint8_t { kScalar, kBlock, kGroup };

/// What a format is and which options it accepts.
struct FormatInfo {
  std::string name;         ///< canonical lower-case name
  std::string description;  ///< one line, with the reference it follows
  Layout layout = Layout::kScalar;
  int default_size = 0;             ///< default block/group size (0 for scalar)
  bool size_fixed = false;          ///< true when the size is part of the format (q4_0, int4_g128)
  int element_bits = 0;             ///< bits per element code
  /// Stored bits per block/group besides the elements: scale, zero point, datatype selector.
  int overhead_bits = 0;
  std::vector<Rounding> roundings;  ///< accepted --rounding values; the first is the default
  std::vector<Overflow> overflows;  ///< accepted --overflow values; the first is the default
  bool takes_scale_rule = false;
};

/// Quantizes rows of FP32 values into one format.
class Quantizer {
 public:
  virtual ~Quantizer() = default;
  virtual const FormatInfo& info() const = 0;
  /// Quantizes one row; blocks/groups run along it and the last one may be partial.
  QuantizedRow quantize(std::span<const float> x) const {
    QuantizedRow row;
    quantize_into(x, row);
    return row;
  }
  /// Same as quantize(), reusing `out`'s storage (no allocation once its vectors are large enough).
  // Contract: deterministic; leaves `out` holding exactly what quantize(x) returns;
  //           out.values[i] == dequantize(out)[i] bit for bit; never throws for finite or
  //           non-finite inputs (NaN/Inf follow the format's documented rule).
  virtual void quantize_into(std::span<const float> x, QuantizedRow& out) const = 0;
  /// Rebuilds FP32 values from codes and stored scales alone.
  // Contract: uses only what is stored: row.codes, row.scales, row.row_params, row.block and, for
  //           formats with a byte layout (GGUF), row.packed.
  virtual std::vector<float> dequantize(const QuantizedRow& row) const = 0;
};

/// Clears `row` for a new quantization of `n` values (keeps the vectors' capacity).
void reset_row(QuantizedRow& row, std::string_view format, int block, std::size_t n);

/// The options after defaults are applied (what a Quantizer is built from).
struct ResolvedOptions {
  int size = 0;  ///< block or group size (0 for scalar formats)
  Rounding rounding = Rounding::kNearestEven;
  Overflow overflow = Overflow::kSaturate;
  ScaleRule scale_rule = ScaleRule::kFloor;
};

using QuantizerFactory = std::function<std::unique_ptr<Quantizer>(const ResolvedOptions&)>;

/// All named formats. Formats are registered explicitly (see builtin_formats()).
class FormatRegistry {
 public:
  void add(FormatInfo info, QuantizerFactory factory);
  const FormatInfo* find(std::string_view name) const;
  std::vector<std::string> names() const;  ///< in registration order
  /// Validates `opts` against the format and builds its quantizer.
  /// Throws ConfigError listing every problem (unknown name with the closest match and all known
  /// names; an option the format does not take; a rounding/overflow mode it does not support).
  std::unique_ptr<Quantizer> create(std::string_view name, const QuantizeOptions& opts = {}) const;
  ResolvedOptions resolve(const FormatInfo& info, const QuantizeOptions& opts) const;

 private:
  struct Entry {
    FormatInfo info;
    QuantizerFactory factory;
  };
  std::vector<Entry> entries_;
};

/// Returns the registry of every built-in format.
const FormatRegistry& builtin_formats();

/// A number format as configs and traces name it: canonical name plus options (a value type).
struct FormatSpec {
  std::string name = "fp32";
  QuantizeOptions options;

  /// Builds the quantizer from builtin_formats(); throws ConfigError on a bad name/option.
  std::unique_ptr<Quantizer> make_quantizer() const { return builtin_formats().create(name, options); }
  /// Canonical text: "mxfp4", "mxfp4/b16", "int4_g128", "gptq_int4/g64", "int8/rna/wrap".
  std::string str() const;
  /// Parses str()'s syntax; throws ConfigError naming the bad part.
  static FormatSpec parse(std::string_view text);
  friend bool operator==(const FormatSpec&, const FormatSpec&) = default;
};

/// Storage bits per element including the per-block/group overhead (mxfp4: 4 + 8/32 = 4.25).
/// Throws ConfigError on a bad name/option.
double bits_per_element(const FormatSpec& f);

// Registration functions, one per format family (called by builtin_formats()).
void register_scalar_formats(FormatRegistry& r);
void register_block_formats(FormatRegistry& r);      // MX and BFP
void register_group_int_formats(FormatRegistry& r);  // int4_g*, gptq_int4, qserve_w4a8
void register_gguf_formats(FormatRegistry& r);       // q4_0, q8_0, q4_k
void register_codebook_formats(FormatRegistry& r);   // nf4, bitmod_fp4, bitmod_fp3

}  // namespace mpsim::num
