// DESCRIPTION: Bounds-checked GGUF (v2/v3) reader and writer: metadata of every value type,
// tensor infos with ggml block sizes for types 0..39, and tensor data dequantized to FP32 for
// F32/F16/BF16/Q4_0/Q8_0/Q4_K. workloads.md §2.2, numerics.md §8, docs/import.md.
// SPDX-License-Identifier: Apache-2.0
//
// Example:
//   GgufFile f = GgufFile::open("tiny.gguf");               // parses the header only
//   if (const GgufValue* a = f.metadata("general.architecture")) use(*a->as_string());
//   for (const GgufTensorInfo& t : f.tensors()) list(t.name, t.dims, ggml_type_name(t.type));
//   std::vector<float> w = f.read_tensor_f32("blk.0.attn_q.weight");  // reads that tensor only
//
//   std::vector<std::uint8_t> bytes = write_gguf(
//       {{"general.architecture", GgufValue{std::string("llama")}}},
//       {gguf_tensor_from_f32("w", {64, 2}, GgmlType::kQ4_0, values)});
//
// Every malformed input throws ConfigError whose Diagnostic has where = "<file>:offset N" and
// names the field, e.g. "tensor_infos[3].n_dimensions: 7 exceeds the maximum 4".
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "mpsim/base/error.h"
#include "mpsim/workload/byte_reader.h"

namespace mpsim::workload {

/// GGUF metadata value types (gguf_type); the numbers are the on-disk codes.
enum class GgufValueType : std::uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

/// Name of a value type ("UINT32", "ARRAY", ...), or "type N" for unknown codes.
std::string gguf_value_type_name(GgufValueType t);

struct GgufValue;

/// A GGUF array: its element type and elements (all of that type; arrays may nest).
struct GgufArray {
  GgufValueType type = GgufValueType::kUint8;
  std::vector<GgufValue> items;

  friend bool operator==(const GgufArray&, const GgufArray&);
};

/// One metadata value. The variant's index equals the on-disk GgufValueType code.
struct GgufValue {
  using Storage = std::variant<std::uint8_t, std::int8_t, std::uint16_t, std::int16_t,
                               std::uint32_t, std::int32_t, float, bool, std::string, GgufArray,
                               std::uint64_t, std::int64_t, double>;
  Storage value;

  GgufValue() = default;
  /// Wraps one value; the C++ type picks the GGUF type (std::uint32_t -> UINT32, ...).
  template <class T>
  requires(!std::is_same_v<std::decay_t<T>, GgufValue>) explicit GgufValue(T v)
      : value(std::move(v)) {}
  /// A string literal is a STRING (not a BOOL, as a pointer conversion would make it).
  explicit GgufValue(const char* s) : value(std::string(s)) {}

  GgufValueType type() const { return static_cast<GgufValueType>(value.index()); }
  /// The value of any integer type that is non-negative, else nullopt.
  std::optional<std::uint64_t> as_uint() const;
  /// The value of any integer or float type as a double, else nullopt.
  std::optional<double> as_double() const;
  /// The string, or nullptr when the value is not a string.
  const std::string* as_string() const { return std::get_if<std::string>(&value); }
  /// The array, or nullptr when the value is not an array.
  const GgufArray* as_array() const { return std::get_if<GgufArray>(&value); }

  friend bool operator==(const GgufValue&, const GgufValue&) = default;
};

/// ggml tensor types (ggml_type). Only F32, F16, BF16, Q4_0, Q8_0 and Q4_K can be dequantized;
/// every other known type still has its block size and bytes for shapes and sizes.
enum class GgmlType : std::uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kQ4_0_4_4 = 31,  ///< removed from ggml (runtime repacking of Q4_0); sizes as Q4_0
  kQ4_0_4_8 = 32,  ///< removed from ggml; sizes as Q4_0
  kQ4_0_8_8 = 33,  ///< removed from ggml; sizes as Q4_0
  kTQ1_0 = 34,
  kTQ2_0 = 35,
  kIQ4_NL_4_4 = 36,  ///< removed from ggml; sizes as IQ4_NL
  kIQ4_NL_4_8 = 37,  ///< removed from ggml; sizes as IQ4_NL
  kIQ4_NL_8_8 = 38,  ///< removed from ggml; sizes as IQ4_NL
  kMXFP4 = 39,
};

/// Block layout of a ggml type: `block_size` elements are stored in `block_bytes` bytes.
struct GgmlTypeTraits {
  std::string_view name;  ///< ggml's upper-case name ("Q4_K")
  std::uint32_t block_size = 0;
  std::uint32_t block_bytes = 0;
  bool readable = false;  ///< read_tensor_f32() can dequantize it
};

/// Traits of a ggml type code, or nullptr for codes mpsim does not know (4, 5, >= 40).
const GgmlTypeTraits* ggml_type_traits(std::uint32_t type);
/// ggml's name for a type ("Q4_0"), or "type N" when unknown.
std::string ggml_type_name(GgmlType type);

/// One tensor as listed in the header.
struct GgufTensorInfo {
  std::string name;
  std::vector<std::uint64_t> dims;  ///< innermost first (ggml ne[0] is the row length)
  GgmlType type = GgmlType::kF32;
  std::uint64_t offset = 0;       ///< relative to the start of the data section
  std::uint64_t n_elements = 0;   ///< product of dims
  std::uint64_t n_bytes = 0;      ///< n_elements / block_size * block_bytes
  std::uint64_t file_offset = 0;  ///< absolute offset of the data in the file
};

/// Longest tensor name ggml/llama.cpp accept (GGML_MAX_NAME = 64 including the NUL, the spec says
/// "at most 64 bytes"). Longer names are accepted with a warning (see GgufFile::warnings()).
inline constexpr std::size_t kGgufMaxTensorName = 64;
/// Deepest nesting of arrays inside arrays accepted in metadata (ggml itself accepts none).
inline constexpr int kGgufMaxArrayDepth = 4;
/// GGML_MAX_DIMS.
inline constexpr std::uint32_t kGgufMaxDims = 4;
/// Default `general.alignment`.
inline constexpr std::uint64_t kGgufDefaultAlignment = 32;

/// A parsed GGUF file: header and tensor infos in memory, tensor data read on demand.
class GgufFile {
 public:
  /// Opens a file and parses its header (tensor data stays on disk until read).
  static GgufFile open(const std::string& path);
  /// Parses GGUF bytes held in memory (copied); `name` is used in diagnostics.
  static GgufFile parse(std::span<const std::uint8_t> bytes, std::string name = "<memory>");
  /// Parses from any byte source (shared: tensor reads go back to it).
  static GgufFile parse(std::shared_ptr<const ByteSource> src);

  std::uint32_t version() const { return version_; }
  std::uint64_t alignment() const { return alignment_; }
  /// Absolute file offset of the data section (aligned end of the tensor infos).
  std::uint64_t data_offset() const { return data_offset_; }
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  /// Metadata in file order.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  /// The value of a key, or nullptr.
  const GgufValue* metadata(std::string_view key) const;
  /// The tensor named `name`, or nullptr.
  const GgufTensorInfo* find_tensor(std::string_view name) const;
  /// Accepted oddities (over-long tensor names), as diagnostics with their offsets.
  const std::vector<Diagnostic>& warnings() const { return warnings_; }

  /// The tensor's raw bytes. Throws ConfigError for an unknown name (with the closest match).
  std::vector<std::uint8_t> read_tensor_bytes(std::string_view name) const;
  /// The tensor dequantized to FP32, bit-exact with ggml: F32 copy, F16/BF16 widen, Q4_0/Q8_0/
  /// Q4_K through numerics' dequantize_row_*. Other types throw ConfigError "unsupported type".
  std::vector<float> read_tensor_f32(std::string_view name) const;

 private:
  const GgufTensorInfo& tensor_or_throw(std::string_view name) const;

  std::shared_ptr<const ByteSource> src_;
  std::uint32_t version_ = 0;
  std::uint64_t alignment_ = kGgufDefaultAlignment;
  std::uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::map<std::string, std::size_t, std::less<>> metadata_index_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, std::size_t, std::less<>> tensor_index_;
  std::vector<Diagnostic> warnings_;
};

/// A tensor to write: its header fields and exactly n_bytes of data.
struct GgufWriteTensor {
  std::string name;
  std::vector<std::uint64_t> dims;  ///< innermost first
  GgmlType type = GgmlType::kF32;
  std::vector<std::uint8_t> data;
};

/// Encodes FP32 values as `type` (F32, F16, BF16, Q4_0, Q8_0, Q4_K, with ggml's reference
/// quantizers) into a tensor to write. Throws ConfigError for other types or a size mismatch.
GgufWriteTensor gguf_tensor_from_f32(std::string name, std::vector<std::uint64_t> dims,
                                     GgmlType type, std::span<const float> values);

/// Serializes a GGUF file (version 3 unless told otherwise): the metadata in order, tensor infos
/// with offsets packed at the alignment (`general.alignment` if given, else 32), zero padding,
/// then the data. Throws ConfigError on inconsistent input (data size, bad alignment, dims).
std::vector<std::uint8_t> write_gguf(const std::vector<std::pair<std::string, GgufValue>>& metadata,
                                     const std::vector<GgufWriteTensor>& tensors,
                                     std::uint32_t version = 3);

}  // namespace mpsim::workload
