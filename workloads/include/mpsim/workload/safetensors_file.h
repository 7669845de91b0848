// DESCRIPTION: Bounds-checked safetensors reader and writer (u64 header length, JSON header,
// raw little-endian buffer) and the sharded-checkpoint index (model.safetensors.index.json).
// workloads.md §2.3, docs/import.md.
// SPDX-License-Identifier: Apache-2.0
//
// Example:
//   SafetensorsFile f = SafetensorsFile::open("model.safetensors");  // reads the header only
//   for (const SafetensorsTensor& t : f.tensors()) list(t.name, t.dtype, t.shape);
//   std::vector<float> w = f.read_f32("model.layers.0.mlp.up_proj.weight");  // F32/F16/BF16
//   std::vector<std::int32_t> q = f.read_i32("model.layers.0.mlp.up_proj.qweight");
//
//   SafetensorsIndex idx = SafetensorsIndex::open("model.safetensors.index.json");
//   const std::string* shard = idx.shard_of("lm_head.weight");
//
// Malformed files throw ConfigError naming the file, the offset or tensor, and the problem.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mpsim/workload/byte_reader.h"

namespace mpsim::workload {

/// safetensors dtypes with a whole number of bytes per element.
enum class SafetensorsDtype : std::uint8_t {
  kBool,
  kU8,
  kI8,
  kF8_E5M2,
  kF8_E4M3,
  kF8_E8M0,
  kI16,
  kU16,
  kF16,
  kBF16,
  kI32,
  kU32,
  kF32,
  kF64,
  kI64,
  kU64,
};

/// The dtype's name as written in headers ("BF16").
std::string_view safetensors_dtype_name(SafetensorsDtype d);
/// Bytes per element.
std::uint32_t safetensors_dtype_size(SafetensorsDtype d);

/// One tensor entry of the header.
struct SafetensorsTensor {
  std::string name;
  SafetensorsDtype dtype = SafetensorsDtype::kF32;
  std::vector<std::uint64_t> shape;  ///< row-major, outermost first
  std::uint64_t begin = 0;           ///< data_offsets[0], relative to the buffer start
  std::uint64_t end = 0;             ///< data_offsets[1]
  std::uint64_t n_elements = 0;
};

/// Largest header accepted (the reference parser's DoS guard).
inline constexpr std::uint64_t kSafetensorsMaxHeader = 100'000'000;

/// A parsed safetensors file: header in memory, tensor data read on demand.
class SafetensorsFile {
 public:
  /// Opens a file and parses its header.
  static SafetensorsFile open(const std::string& path);
  /// Parses bytes held in memory (copied); `name` is used in diagnostics.
  static SafetensorsFile parse(std::span<const std::uint8_t> bytes, std::string name = "<memory>");
  /// Parses from any byte source (shared: tensor reads go back to it).
  static SafetensorsFile parse(std::shared_ptr<const ByteSource> src);

  /// Tensors sorted by name (the header is a JSON object, so file order carries no meaning).
  const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }
  /// `__metadata__` (string to string), empty if absent.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// The tensor named `name`, or nullptr.
  const SafetensorsTensor* find(std::string_view name) const;
  /// Absolute file offset of the data buffer (8 + header length).
  std::uint64_t data_offset() const { return data_offset_; }

  /// Raw little-endian bytes of a tensor. Throws ConfigError for an unknown name.
  std::vector<std::uint8_t> read_bytes(std::string_view name) const;
  /// F32 copied, F16 and BF16 widened exactly. Other dtypes throw ConfigError.
  std::vector<float> read_f32(std::string_view name) const;
  /// I32 only (packed GPTQ/AWQ weights, g_idx). Other dtypes throw ConfigError.
  std::vector<std::int32_t> read_i32(std::string_view name) const;
  /// F16 or BF16 as their 16-bit patterns (stored scales, kept bit-exact).
  std::vector<std::uint16_t> read_u16_bits(std::string_view name) const;

 private:
  const SafetensorsTensor& tensor_or_throw(std::string_view name) const;

  std::shared_ptr<const ByteSource> src_;
  std::uint64_t data_offset_ = 0;
  std::vector<SafetensorsTensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

/// A tensor to write.
struct SafetensorsWriteTensor {
  std::string name;
  SafetensorsDtype dtype = SafetensorsDtype::kF32;
  std::vector<std::uint64_t> shape;
  std::vector<std::uint8_t> data;  ///< exactly product(shape) * dtype size bytes
};

/// Writer choices (the defaults match the reference writer).
struct SafetensorsWriteOptions {
  std::uint64_t header_alignment = 8;  ///< pad the JSON with spaces to this multiple
  bool legacy_offsets_key = false;     ///< write "offsets" instead of "data_offsets"
};

/// Serializes tensors (data packed in the given order) and `__metadata__` (omitted if empty).
/// Throws ConfigError when a tensor's data size does not match its shape and dtype, or a name
/// repeats.
std::vector<std::uint8_t> write_safetensors(const std::vector<SafetensorsWriteTensor>& tensors,
                                            const std::map<std::string, std::string>& metadata = {},
                                            const SafetensorsWriteOptions& options = {});

/// Builds an F32/F16/BF16 tensor from FP32 values (F16/BF16 rounded to nearest even).
SafetensorsWriteTensor safetensors_tensor_from_f32(std::string name, SafetensorsDtype dtype,
                                                   std::vector<std::uint64_t> shape,
                                                   std::span<const float> values);

/// A sharded checkpoint's index: which shard file holds each tensor.
class SafetensorsIndex {
 public:
  /// Reads and parses `path` (model.safetensors.index.json).
  static SafetensorsIndex open(const std::string& path);
  /// Parses the JSON text; `name` is used in diagnostics.
  static SafetensorsIndex parse(std::string_view json, std::string name = "<memory>");

  /// tensor name -> shard file name (relative to the index's folder).
  const std::map<std::string, std::string, std::less<>>& weight_map() const { return weight_map_; }
  /// metadata.total_size when present.
  std::optional<std::uint64_t> total_size() const { return total_size_; }
  /// The shard holding `tensor`, or nullptr.
  const std::string* shard_of(std::string_view tensor) const;
  /// Distinct shard file names, sorted.
  std::vector<std::string> shards() const;

 private:
  std::map<std::string, std::string, std::less<>> weight_map_;
  std::optional<std::uint64_t> total_size_;
};

}  // namespace mpsim::workload
