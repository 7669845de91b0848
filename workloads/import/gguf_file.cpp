// DESCRIPTION: GGUF v2/v3 parser (header, metadata, tensor infos, layout checks), tensor reads
// with dequantization, and a writer for small files.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/workload/gguf_file.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <numeric>

#include "mpsim/base/error.h"
#include "mpsim/numerics/gguf.h"
#include "mpsim/numerics/half.h"

namespace mpsim::workload {
namespace {

constexpr std::uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
// Smallest encodings, used to reject counts the remaining bytes cannot hold before allocating.
constexpr std::uint64_t kMinKvBytes = 8 + 4 + 1;              // key length, type, 1-byte value
constexpr std::uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;  // name length, n_dims, type, offset

// Block sizes and bytes from ggml's type_traits (ggml-org/ggml src/ggml.c, ggml-common.h).
constexpr std::array<GgmlTypeTraits, 40> kTraits = {{
    {"F32", 1, 4, true},
    {"F16", 1, 2, true},
    {"Q4_0", 32, 18, true},
    {"Q4_1", 32, 20, false},
    {"", 0, 0, false},
    {"", 0, 0, false},
    {"Q5_0", 32, 22, false},
    {"Q5_1", 32, 24, false},
    {"Q8_0", 32, 34, true},
    {"Q8_1", 32, 36, false},
    {"Q2_K", 256, 84, false},
    {"Q3_K", 256, 110, false},
    {"Q4_K", 256, 144, true},
    {"Q5_K", 256, 176, false},
    {"Q6_K", 256, 210, false},
    {"Q8_K", 256, 292, false},
    {"IQ2_XXS", 256, 66, false},
    {"IQ2_XS", 256, 74, false},
    {"IQ3_XXS", 256, 98, false},
    {"IQ1_S", 256, 50, false},
    {"IQ4_NL", 32, 18, false},
    {"IQ3_S", 256, 110, false},
    {"IQ2_S", 256, 82, false},
    {"IQ4_XS", 256, 136, false},
    {"I8", 1, 1, false},
    {"I16", 1, 2, false},
    {"I32", 1, 4, false},
    {"I64", 1, 8, false},
    {"F64", 1, 8, false},
    {"IQ1_M", 256, 56, false},
    {"BF16", 1, 2, true},
    {"Q4_0_4_4", 32, 18, false},
    {"Q4_0_4_8", 32, 18, false},
    {"Q4_0_8_8", 32, 18, false},
    {"TQ1_0", 256, 54, false},
    {"TQ2_0", 256, 66, false},
    {"IQ4_NL_4_4", 32, 18, false},
    {"IQ4_NL_4_8", 32, 18, false},
    {"IQ4_NL_8_8", 32, 18, false},
    {"MXFP4", 32, 17, false},
}};

/// A field path built lazily: only a failing read renders "metadata[3].value[17]".
struct Path {
  const Path* parent = nullptr;
  std::string_view label;   // appended as ".label" (or as is at the root)
  std::int64_t index = -1;  // appended as "[index]" when >= 0

  std::string str() const {
    std::string s = parent ? parent->str() : std::string();
    if (!label.empty()) {
      if (!s.empty()) s += '.';
      s += label;
    }
    if (index >= 0) s += fmt::format("[{}]", index);
    return s;
  }
  auto fn() const {
    return [this] { return str(); };
  }
};

std::uint64_t scalar_bytes(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kBool:
      return 1;
    case GgufValueType::kUint16:
    case GgufValueType::kInt16:
      return 2;
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kFloat32:
      return 4;
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
    case GgufValueType::kFloat64:
      return 8;
    case GgufValueType::kString:
      return 8;  // the length field
    case GgufValueType::kArray:
      return 4 + 8;  // element type and count
  }
  return 0;
}

bool valid_value_type(std::uint32_t t) { return t <= 12; }

std::string read_gguf_string(ByteReader& r, const Path& p) {
  const std::uint64_t at = r.offset();
  const auto len = r.read<std::uint64_t>([&] { return p.str() + " (string length)"; });
  if (len > r.remaining()) {
    r.fail_at(at, p.str(),
              fmt::format("string length {} exceeds the {} bytes remaining in the file", len,
                          r.remaining()));
  }
  return r.read_string(len, p.fn());
}

GgufValue read_value(ByteReader& r, std::uint32_t type, int depth, const Path& p) {
  const auto t = static_cast<GgufValueType>(type);
  switch (t) {
    case GgufValueType::kUint8:
      return GgufValue(r.read<std::uint8_t>(p.fn()));
    case GgufValueType::kInt8:
      return GgufValue(r.read<std::int8_t>(p.fn()));
    case GgufValueType::kUint16:
      return GgufValue(r.read<std::uint16_t>(p.fn()));
    case GgufValueType::kInt16:
      return GgufValue(r.read<std::int16_t>(p.fn()));
    case GgufValueType::kUint32:
      return GgufValue(r.read<std::uint32_t>(p.fn()));
    case GgufValueType::kInt32:
      return GgufValue(r.read<std::int32_t>(p.fn()));
    case GgufValueType::kFloat32:
      return GgufValue(r.read<float>(p.fn()));
    case GgufValueType::kBool: {
      const std::uint64_t at = r.offset();
      const auto b = r.read<std::uint8_t>(p.fn());
      if (b > 1) r.fail_at(at, p.str(), fmt::format("bool byte is {} (expected 0 or 1)", b));
      return GgufValue(b == 1);
    }
    case GgufValueType::kString:
      return GgufValue(read_gguf_string(r, p));
    case GgufValueType::kUint64:
      return GgufValue(r.read<std::uint64_t>(p.fn()));
    case GgufValueType::kInt64:
      return GgufValue(r.read<std::int64_t>(p.fn()));
    case GgufValueType::kFloat64:
      return GgufValue(r.read<double>(p.fn()));
    case GgufValueType::kArray: {
      const std::uint64_t type_at = r.offset();
      const auto elem = r.read<std::uint32_t>([&] { return p.str() + ".type"; });
      if (!valid_value_type(elem)) {
        r.fail_at(type_at, p.str() + ".type",
                  fmt::format("unknown array element type {} (expected 0..12)", elem));
      }
      if (elem == static_cast<std::uint32_t>(GgufValueType::kArray) &&
          depth + 1 >= kGgufMaxArrayDepth) {
        r.fail_at(type_at, p.str() + ".type",
                  fmt::format("arrays nested deeper than {} levels", kGgufMaxArrayDepth));
      }
      const std::uint64_t count_at = r.offset();
      const auto count = r.read<std::uint64_t>([&] { return p.str() + ".count"; });
      const std::uint64_t each = scalar_bytes(static_cast<GgufValueType>(elem));
      if (count > r.remaining() / each) {
        r.fail_at(count_at, p.str() + ".count",
                  fmt::format("array of {} {} elements needs at least {} bytes each, but only {} "
                              "bytes remain",
                              count, gguf_value_type_name(static_cast<GgufValueType>(elem)), each,
                              r.remaining()));
      }
      GgufArray a;
      a.type = static_cast<GgufValueType>(elem);
      a.items.reserve(static_cast<std::size_t>(count));
      for (std::uint64_t j = 0; j < count; ++j) {
        const Path item{&p, "", static_cast<std::int64_t>(j)};
        a.items.push_back(read_value(r, elem, depth + 1, item));
      }
      return GgufValue(std::move(a));
    }
  }
  r.fail(p.str(), fmt::format("unknown value type {} (expected 0..12)", type));
}

bool mul_overflows(std::uint64_t a, std::uint64_t b, std::uint64_t* out) {
  return __builtin_mul_overflow(a, b, out);
}

/// align(o) = o + (A - o % A) % A, or nullopt on overflow.
std::optional<std::uint64_t> align_up(std::uint64_t o, std::uint64_t a) {
  const std::uint64_t pad = (a - o % a) % a;
  if (o > std::numeric_limits<std::uint64_t>::max() - pad) return std::nullopt;
  return o + pad;
}

// ---------------------------------------------------------------------------------------------
// Writer helpers

void put_bytes(std::vector<std::uint8_t>& out, const void* p, std::size_t n) {
  const auto* b = static_cast<const std::uint8_t*>(p);
  out.insert(out.end(), b, b + n);
}
template <class T>
void put(std::vector<std::uint8_t>& out, T v) {
  put_bytes(out, &v, sizeof(T));
}
void put_string(std::vector<std::uint8_t>& out, std::string_view s) {
  put<std::uint64_t>(out, s.size());
  put_bytes(out, s.data(), s.size());
}

void put_value(std::vector<std::uint8_t>& out, const GgufValue& v, const std::string& where) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          put_string(out, x);
        } else if constexpr (std::is_same_v<T, GgufArray>) {
          put<std::uint32_t>(out, static_cast<std::uint32_t>(x.type));
          put<std::uint64_t>(out, x.items.size());
          for (std::size_t j = 0; j < x.items.size(); ++j) {
            if (x.items[j].type() != x.type) {
              throw ConfigError(Diagnostic{"write_gguf", fmt::format("{}[{}]", where, j),
                                           fmt::format("element of type {} in an array of {}",
                                                       gguf_value_type_name(x.items[j].type()),
                                                       gguf_value_type_name(x.type))});
            }
            put_value(out, x.items[j], fmt::format("{}[{}]", where, j));
          }
        } else if constexpr (std::is_same_v<T, bool>) {
          put<std::uint8_t>(out, x ? 1 : 0);
        } else {
          put<T>(out, x);
        }
      },
      v.value);
}

std::uint64_t checked_alignment(const GgufValue& v, const std::string& where) {
  const auto a = v.as_uint();
  if (!a || *a == 0 || !std::has_single_bit(*a)) {
    throw ConfigError(Diagnostic{where, "general.alignment", "must be a positive power of two"});
  }
  return *a;
}

struct TensorSize {
  std::uint64_t n_elements = 1;
  std::uint64_t n_bytes = 0;
};

}  // namespace

// -----------------------------------------------------------------------------------------------
// Values and types

std::string gguf_value_type_name(GgufValueType t) {
  static constexpr std::array<std::string_view, 13> kNames = {
      "UINT8", "INT8",   "UINT16", "INT16",  "UINT32", "INT32",  "FLOAT32",
      "BOOL",  "STRING", "ARRAY",  "UINT64", "INT64",  "FLOAT64"};
  const auto i = static_cast<std::uint32_t>(t);
  return i < kNames.size() ? std::string(kNames[i]) : fmt::format("type {}", i);
}

bool operator==(const GgufArray& a, const GgufArray& b) {
  return a.type == b.type && a.items == b.items;
}

std::optional<std::uint64_t> GgufValue::as_uint() const {
  return std::visit(
      [](const auto& x) -> std::optional<std::uint64_t> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          if constexpr (std::is_signed_v<T>) {
            if (x < 0) return std::nullopt;
          }
          return static_cast<std::uint64_t>(x);
        } else {
          return std::nullopt;
        }
      },
      value);
}

std::optional<double> GgufValue::as_double() const {
  return std::visit(
      [](const auto& x) -> std::optional<double> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
          return static_cast<double>(x);
        } else {
          return std::nullopt;
        }
      },
      value);
}

const GgmlTypeTraits* ggml_type_traits(std::uint32_t type) {
  if (type >= kTraits.size() || kTraits[type].block_size == 0) return nullptr;
  return &kTraits[type];
}

std::string ggml_type_name(GgmlType type) {
  const GgmlTypeTraits* t = ggml_type_traits(static_cast<std::uint32_t>(type));
  return t ? std::string(t->name) : fmt::format("type {}", static_cast<std::uint32_t>(type));
}

// -----------------------------------------------------------------------------------------------
// Parsing

GgufFile GgufFile::open(const std::string& path) { return parse(FileSource::open(path)); }

GgufFile GgufFile::parse(std::span<const std::uint8_t> bytes, std::string name) {
  return parse(std::make_shared<MemorySource>(std::vector<std::uint8_t>(bytes.begin(), bytes.end()),
                                              std::move(name)));
}

GgufFile GgufFile::parse(std::shared_ptr<const ByteSource> src) {
  GgufFile f;
  f.src_ = std::move(src);
  ByteReader r(*f.src_);

  const auto magic = r.read<std::uint32_t>("header.magic");
  if (magic != kMagic) {
    r.fail_at(0, "header.magic",
              fmt::format("not a GGUF file: expected \"GGUF\" (47 47 55 46), found {:02x} {:02x} "
                          "{:02x} {:02x}",
                          magic & 0xFF, (magic >> 8) & 0xFF, (magic >> 16) & 0xFF, magic >> 24));
  }
  f.version_ = r.read<std::uint32_t>("header.version");
  if (f.version_ == 1) {
    r.fail_at(4, "header.version",
              "GGUF version 1 is not supported (it used 32-bit counts and lengths); re-convert "
              "the model with a current llama.cpp");
  }
  if (f.version_ != 2 && f.version_ != 3) {
    const bool swapped = __builtin_bswap32(f.version_) == 2 || __builtin_bswap32(f.version_) == 3;
    r.fail_at(
        4, "header.version",
        swapped ? std::string("big-endian GGUF files are not supported")
                : fmt::format("unsupported version {} (mpsim reads versions 2 and 3)", f.version_));
  }
  const std::uint64_t tc_at = r.offset();
  const auto tensor_count = r.read<std::uint64_t>("header.tensor_count");
  const std::uint64_t kv_at = r.offset();
  const auto kv_count = r.read<std::uint64_t>("header.metadata_kv_count");
  if (tensor_count > r.remaining() / kMinTensorInfoBytes) {
    r.fail_at(tc_at, "header.tensor_count",
              fmt::format("{} tensors need at least {} bytes each, but only {} bytes remain",
                          tensor_count, kMinTensorInfoBytes, r.remaining()));
  }
  if (kv_count > r.remaining() / kMinKvBytes) {
    r.fail_at(kv_at, "header.metadata_kv_count",
              fmt::format("{} key-value pairs need at least {} bytes each, but only {} bytes "
                          "remain",
                          kv_count, kMinKvBytes, r.remaining()));
  }

  // Metadata.
  f.metadata_.reserve(static_cast<std::size_t>(kv_count));
  std::uint64_t alignment_at = 0;
  for (std::uint64_t i = 0; i < kv_count; ++i) {
    const Path kv{nullptr, "metadata", static_cast<std::int64_t>(i)};
    const Path key_path{&kv, "key"};
    const Path value_path{&kv, "value"};
    const std::uint64_t key_at = r.offset();
    std::string key = read_gguf_string(r, key_path);
    const std::uint64_t type_at = r.offset();
    const auto type = r.read<std::uint32_t>([&] { return kv.str() + ".type"; });
    if (!valid_value_type(type)) {
      r.fail_at(type_at, kv.str() + ".type",
                fmt::format("unknown value type {} for key \"{}\" (expected 0..12)", type, key));
    }
    const std::uint64_t value_at = r.offset();
    GgufValue v = read_value(r, type, 0, value_path);
    if (auto it = f.metadata_index_.find(key); it != f.metadata_index_.end()) {
      r.fail_at(
          key_at, key_path.str(),
          fmt::format("duplicate key \"{}\" (first defined by metadata[{}])", key, it->second));
    }
    if (key == "general.alignment") alignment_at = value_at;
    f.metadata_index_.emplace(key, f.metadata_.size());
    f.metadata_.emplace_back(std::move(key), std::move(v));
  }
  if (const GgufValue* a = f.metadata("general.alignment")) {
    const auto v = a->as_uint();
    if (!v || *v == 0 || !std::has_single_bit(*v)) {
      r.fail_at(
          alignment_at, "general.alignment",
          fmt::format("must be a positive power of two (got a {} value{})",
                      gguf_value_type_name(a->type()), v ? fmt::format(" {}", *v) : std::string()));
    }
    f.alignment_ = *v;
  }

  // Tensor infos.
  f.tensors_.reserve(static_cast<std::size_t>(tensor_count));
  std::vector<std::uint64_t> offset_field_at;
  offset_field_at.reserve(static_cast<std::size_t>(tensor_count));
  for (std::uint64_t i = 0; i < tensor_count; ++i) {
    const Path ti{nullptr, "tensor_infos", static_cast<std::int64_t>(i)};
    GgufTensorInfo t;
    const Path name_path{&ti, "name"};
    const std::uint64_t name_at = r.offset();
    t.name = read_gguf_string(r, name_path);
    if (t.name.size() > kGgufMaxTensorName) {
      f.warnings_.push_back(Diagnostic{
          offset_where(r.source_name(), name_at), name_path.str(),
          fmt::format("tensor name is {} bytes, longer than ggml's limit of {}; accepted",
                      t.name.size(), kGgufMaxTensorName)});
    }
    if (auto it = f.tensor_index_.find(t.name); it != f.tensor_index_.end()) {
      r.fail_at(
          name_at, name_path.str(),
          fmt::format("duplicate tensor name \"{}\" (also tensor_infos[{}])", t.name, it->second));
    }
    const std::uint64_t nd_at = r.offset();
    const auto n_dims = r.read<std::uint32_t>([&] { return ti.str() + ".n_dimensions"; });
    if (n_dims > kGgufMaxDims) {
      r.fail_at(nd_at, ti.str() + ".n_dimensions",
                fmt::format("{} exceeds the maximum {}", n_dims, kGgufMaxDims));
    }
    const std::uint64_t dims_at = r.offset();
    for (std::uint32_t d = 0; d < n_dims; ++d) {
      const auto dim =
          r.read<std::uint64_t>([&] { return fmt::format("{}.dimensions[{}]", ti.str(), d); });
      t.dims.push_back(dim);
    }
    // ggml holds dims and the element count as int64_t.
    constexpr auto kMaxCount = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    t.n_elements = 1;
    for (const std::uint64_t dim : t.dims) {
      if (dim > kMaxCount || mul_overflows(t.n_elements, dim, &t.n_elements) ||
          t.n_elements > kMaxCount) {
        r.fail_at(
            dims_at, ti.str() + ".dimensions",
            fmt::format("the element count of [{}] overflows int64", fmt::join(t.dims, ", ")));
      }
    }
    const std::uint64_t type_at = r.offset();
    const auto type = r.read<std::uint32_t>([&] { return ti.str() + ".type"; });
    const GgmlTypeTraits* traits = ggml_type_traits(type);
    if (!traits) {
      r.fail_at(type_at, ti.str() + ".type",
                fmt::format("unknown ggml type {} for tensor \"{}\"", type, t.name));
    }
    t.type = static_cast<GgmlType>(type);
    const std::uint64_t row = t.dims.empty() ? 1 : t.dims[0];
    if (row % traits->block_size != 0) {
      r.fail_at(dims_at, ti.str() + ".dimensions",
                fmt::format("row length {} of tensor \"{}\" is not a multiple of the {} block "
                            "size {}",
                            row, t.name, traits->name, traits->block_size));
    }
    if (mul_overflows(t.n_elements / traits->block_size, traits->block_bytes, &t.n_bytes)) {
      r.fail_at(dims_at, ti.str() + ".dimensions",
                fmt::format("the byte size of tensor \"{}\" overflows 64 bits", t.name));
    }
    offset_field_at.push_back(r.offset());
    t.offset = r.read<std::uint64_t>([&] { return ti.str() + ".offset"; });
    f.tensor_index_.emplace(t.name, f.tensors_.size());
    f.tensors_.push_back(std::move(t));
  }

  // Data section and tensor layout.
  const auto data = align_up(r.offset(), f.alignment_);
  if (!data) {
    r.fail("general.alignment",
           fmt::format("aligning the data section to {} overflows", f.alignment_));
  }
  f.data_offset_ = *data;
  const std::uint64_t size = f.src_->size();
  for (std::size_t i = 0; i < f.tensors_.size(); ++i) {
    GgufTensorInfo& t = f.tensors_[i];
    const std::string field = fmt::format("tensor_infos[{}].offset", i);
    if (t.offset % f.alignment_ != 0) {
      r.fail_at(offset_field_at[i], field,
                fmt::format("{} is not a multiple of the alignment {} (tensor \"{}\")", t.offset,
                            f.alignment_, t.name));
    }
    if (f.data_offset_ > size || t.offset > size - f.data_offset_ ||
        t.n_bytes > size - f.data_offset_ - t.offset) {
      r.fail_at(offset_field_at[i], field,
                fmt::format("data of tensor \"{}\" ({} bytes at data offset {}, file offset {}) "
                            "extends beyond the end of the file ({} bytes)",
                            t.name, t.n_bytes, t.offset, f.data_offset_ + t.offset, size));
    }
    t.file_offset = f.data_offset_ + t.offset;
  }
  std::vector<std::size_t> order(f.tensors_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return f.tensors_[a].offset < f.tensors_[b].offset;
  });
  // Walk in offset order, keeping the tensor that reaches furthest: any later start before that
  // end overlaps it. Empty tensors occupy no bytes and overlap nothing.
  std::size_t reach = order.empty() ? 0 : order[0];
  bool have_reach = false;
  for (const std::size_t i : order) {
    const GgufTensorInfo& t = f.tensors_[i];
    if (t.n_bytes == 0) continue;
    if (have_reach) {
      const GgufTensorInfo& p = f.tensors_[reach];
      if (t.offset < p.offset + p.n_bytes) {
        r.fail_at(offset_field_at[i], fmt::format("tensor_infos[{}].offset", i),
                  fmt::format("data of tensor \"{}\" [{}, {}) overlaps tensor \"{}\" "
                              "(tensor_infos[{}], [{}, {}))",
                              t.name, t.offset, t.offset + t.n_bytes, p.name, reach, p.offset,
                              p.offset + p.n_bytes));
      }
    }
    if (!have_reach ||
        t.offset + t.n_bytes > f.tensors_[reach].offset + f.tensors_[reach].n_bytes) {
      reach = i;
      have_reach = true;
    }
  }
  return f;
}

const GgufValue* GgufFile::metadata(std::string_view key) const {
  const auto it = metadata_index_.find(key);
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  const auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const GgufTensorInfo& GgufFile::tensor_or_throw(std::string_view name) const {
  if (const GgufTensorInfo* t = find_tensor(name)) return *t;
  std::vector<std::string> names;
  names.reserve(tensors_.size());
  for (const GgufTensorInfo& t : tensors_) names.push_back(t.name);
  const std::string best = closest_match(name, names);
  throw ConfigError(Diagnostic{
      src_->name(), "",
      fmt::format("no tensor named \"{}\"{}", name,
                  best.empty() ? std::string() : fmt::format(" (did you mean \"{}\"?)", best))});
}

std::vector<std::uint8_t> GgufFile::read_tensor_bytes(std::string_view name) const {
  const GgufTensorInfo& t = tensor_or_throw(name);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(t.n_bytes));
  src_->read_at(t.file_offset, bytes, fmt::format("tensor \"{}\" data", t.name));
  return bytes;
}

std::vector<float> GgufFile::read_tensor_f32(std::string_view name) const {
  const GgufTensorInfo& t = tensor_or_throw(name);
  const GgmlTypeTraits* traits = ggml_type_traits(static_cast<std::uint32_t>(t.type));
  if (!traits->readable) {
    throw_at(src_->name(), t.file_offset, fmt::format("tensor \"{}\"", t.name),
             fmt::format("unsupported type {} for reading data (mpsim dequantizes F32, F16, BF16, "
                         "Q4_0, Q8_0 and Q4_K)",
                         traits->name));
  }
  const std::vector<std::uint8_t> bytes = read_tensor_bytes(name);
  std::vector<float> out(static_cast<std::size_t>(t.n_elements));
  switch (t.type) {
    case GgmlType::kF32:
      if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
      break;
    case GgmlType::kF16:
    case GgmlType::kBF16:
      for (std::size_t i = 0; i < out.size(); ++i) {
        std::uint16_t h;
        std::memcpy(&h, bytes.data() + 2 * i, 2);
        out[i] = t.type == GgmlType::kF16 ? num::fp16_bits_to_fp32(h) : num::bf16_bits_to_fp32(h);
      }
      break;
    case GgmlType::kQ4_0:
      num::dequantize_row_q4_0(bytes, out);
      break;
    case GgmlType::kQ8_0:
      num::dequantize_row_q8_0(bytes, out);
      break;
    case GgmlType::kQ4_K:
      num::dequantize_row_q4_k(bytes, out);
      break;
    default:
      MPSIM_CHECK(false, "readable ggml type without a decoder");
  }
  return out;
}

// -----------------------------------------------------------------------------------------------
// Writing

GgufWriteTensor gguf_tensor_from_f32(std::string name, std::vector<std::uint64_t> dims,
                                     GgmlType type, std::span<const float> values) {
  std::uint64_t n = 1;
  for (const std::uint64_t d : dims) {
    if (mul_overflows(n, d, &n)) {
      throw ConfigError(Diagnostic{"gguf_tensor_from_f32", name, "element count overflows"});
    }
  }
  if (n != values.size()) {
    throw ConfigError(Diagnostic{"gguf_tensor_from_f32", name,
                                 fmt::format("dims [{}] hold {} elements but {} values were given",
                                             fmt::join(dims, ", "), n, values.size())});
  }
  const GgmlTypeTraits* traits = ggml_type_traits(static_cast<std::uint32_t>(type));
  if (!traits || !traits->readable) {
    throw ConfigError(Diagnostic{"gguf_tensor_from_f32", name,
                                 fmt::format("cannot encode type {}", ggml_type_name(type))});
  }
  const std::uint64_t row = dims.empty() ? 1 : dims[0];
  if (row % traits->block_size != 0) {
    throw ConfigError(
        Diagnostic{"gguf_tensor_from_f32", name,
                   fmt::format("row length {} is not a multiple of the {} block size {}", row,
                               traits->name, traits->block_size)});
  }
  GgufWriteTensor t{std::move(name), std::move(dims), type, {}};
  t.data.resize(static_cast<std::size_t>(n / traits->block_size * traits->block_bytes));
  switch (type) {
    case GgmlType::kF32:
      if (!t.data.empty()) std::memcpy(t.data.data(), values.data(), t.data.size());
      break;
    case GgmlType::kF16:
    case GgmlType::kBF16:
      for (std::size_t i = 0; i < values.size(); ++i) {
        const std::uint16_t h = type == GgmlType::kF16 ? num::fp32_to_fp16_bits(values[i])
                                                       : num::fp32_to_bf16_bits(values[i]);
        std::memcpy(t.data.data() + 2 * i, &h, 2);
      }
      break;
    case GgmlType::kQ4_0:
      num::quantize_row_q4_0(values, t.data);
      break;
    case GgmlType::kQ8_0:
      num::quantize_row_q8_0(values, t.data);
      break;
    case GgmlType::kQ4_K:
      num::quantize_row_q4_k(values, t.data);
      break;
    default:
      MPSIM_CHECK(false, "readable ggml type without an encoder");
  }
  return t;
}

std::vector<std::uint8_t> write_gguf(const std::vector<std::pair<std::string, GgufValue>>& metadata,
                                     const std::vector<GgufWriteTensor>& tensors,
                                     std::uint32_t version) {
  if (version != 2 && version != 3) {
    throw ConfigError(
        Diagnostic{"write_gguf", "version", fmt::format("{} is not 2 or 3", version)});
  }
  std::uint64_t alignment = kGgufDefaultAlignment;
  for (const auto& [key, value] : metadata) {
    if (key == "general.alignment") alignment = checked_alignment(value, "write_gguf");
  }
  std::vector<std::uint8_t> out;
  put<std::uint32_t>(out, kMagic);
  put<std::uint32_t>(out, version);
  put<std::uint64_t>(out, tensors.size());
  put<std::uint64_t>(out, metadata.size());
  for (std::size_t i = 0; i < metadata.size(); ++i) {
    put_string(out, metadata[i].first);
    put<std::uint32_t>(out, static_cast<std::uint32_t>(metadata[i].second.type()));
    put_value(out, metadata[i].second, fmt::format("metadata[{}]", i));
  }
  std::vector<std::uint64_t> offsets;
  std::uint64_t next = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const GgufWriteTensor& t = tensors[i];
    const GgmlTypeTraits* traits = ggml_type_traits(static_cast<std::uint32_t>(t.type));
    const std::string field = fmt::format("tensors[{}] \"{}\"", i, t.name);
    if (!traits || t.dims.size() > kGgufMaxDims) {
      throw ConfigError(Diagnostic{"write_gguf", field, "unknown type or more than 4 dims"});
    }
    std::uint64_t n = 1;
    for (const std::uint64_t d : t.dims) {
      if (mul_overflows(n, d, &n)) {
        throw ConfigError(Diagnostic{"write_gguf", field, "element count overflows"});
      }
    }
    const std::uint64_t row = t.dims.empty() ? 1 : t.dims[0];
    const std::uint64_t bytes = n / traits->block_size * traits->block_bytes;
    if (row % traits->block_size != 0 || bytes != t.data.size()) {
      throw ConfigError(
          Diagnostic{"write_gguf", field,
                     fmt::format("data has {} bytes; dims [{}] of type {} need {}", t.data.size(),
                                 fmt::join(t.dims, ", "), traits->name, bytes)});
    }
    put_string(out, t.name);
    put<std::uint32_t>(out, static_cast<std::uint32_t>(t.dims.size()));
    for (const std::uint64_t d : t.dims) put<std::uint64_t>(out, d);
    put<std::uint32_t>(out, static_cast<std::uint32_t>(t.type));
    put<std::uint64_t>(out, next);
    offsets.push_back(next);
    next = *align_up(next + bytes, alignment);
  }
  out.resize(static_cast<std::size_t>(*align_up(out.size(), alignment)), 0);
  const std::size_t data_start = out.size();
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    out.resize(data_start + static_cast<std::size_t>(offsets[i]), 0);
    put_bytes(out, tensors[i].data.data(), tensors[i].data.size());
  }
  out.resize(data_start + static_cast<std::size_t>(next), 0);  // gguf-py pads the last one too
  return out;
}

}  // namespace mpsim::workload
