// DESCRIPTION: safetensors header parser with layout checks, tensor reads, a writer, and the
// sharded index reader.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/workload/safetensors_file.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "mpsim/base/error.h"
#include "mpsim/numerics/half.h"

namespace mpsim::workload {
namespace {

using nlohmann::json;

struct DtypeInfo {
  std::string_view name;
  std::uint32_t size;
};
constexpr std::array<DtypeInfo, 16> kDtypes = {{
    {"BOOL", 1},
    {"U8", 1},
    {"I8", 1},
    {"F8_E5M2", 1},
    {"F8_E4M3", 1},
    {"F8_E8M0", 1},
    {"I16", 2},
    {"U16", 2},
    {"F16", 2},
    {"BF16", 2},
    {"I32", 4},
    {"U32", 4},
    {"F32", 4},
    {"F64", 8},
    {"I64", 8},
    {"U64", 8},
}};

/// JSON nesting deeper than this is no safetensors header (whose depth is 3); refusing it keeps
/// a hostile header from costing more than its size.
constexpr int kMaxJsonDepth = 16;

/// Parses JSON, rejecting duplicate keys in any object (nlohmann keeps the last one silently)
/// and absurd nesting. Errors are reported at `base_offset` + the parser's byte position.
json parse_json_strict(std::string_view text, const std::string& source, std::uint64_t base_offset,
                       std::string_view field) {
  std::vector<std::set<std::string>> keys;  // one set per open object
  std::string duplicate;
  auto cb = [&](int depth, json::parse_event_t ev, json& parsed) {
    if (depth > kMaxJsonDepth) {
      throw_at(source, base_offset, field,
               fmt::format("JSON nested deeper than {} levels", kMaxJsonDepth));
    }
    if (ev == json::parse_event_t::object_start) {
      keys.emplace_back();
    } else if (ev == json::parse_event_t::object_end) {
      if (!keys.empty()) keys.pop_back();
    } else if (ev == json::parse_event_t::key && !keys.empty()) {
      const auto& k = parsed.get_ref<const std::string&>();
      if (!keys.back().insert(k).second && duplicate.empty()) duplicate = k;
    }
    return true;
  };
  json j;
  try {
    j = json::parse(text.begin(), text.end(), cb);
  } catch (const json::parse_error& e) {
    throw_at(source, base_offset + (e.byte > 0 ? e.byte - 1 : 0), field,
             fmt::format("not valid JSON: {}", e.what()));
  }
  if (!duplicate.empty()) {
    throw_at(source, base_offset, field,
             fmt::format("duplicate key \"{}\" (JSON objects in this file must not repeat keys)",
                         duplicate));
  }
  return j;
}

std::optional<SafetensorsDtype> dtype_from_name(std::string_view s) {
  for (std::size_t i = 0; i < kDtypes.size(); ++i) {
    if (kDtypes[i].name == s) return static_cast<SafetensorsDtype>(i);
  }
  return std::nullopt;
}

std::string dtype_list() {
  std::vector<std::string_view> names;
  for (const DtypeInfo& d : kDtypes) names.push_back(d.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

std::string_view safetensors_dtype_name(SafetensorsDtype d) {
  return kDtypes[static_cast<std::size_t>(d)].name;
}

std::uint32_t safetensors_dtype_size(SafetensorsDtype d) {
  return kDtypes[static_cast<std::size_t>(d)].size;
}

// -----------------------------------------------------------------------------------------------
// Parsing

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  return parse(FileSource::open(path));
}

SafetensorsFile SafetensorsFile::parse(std::span<const std::uint8_t> bytes, std::string name) {
  return parse(std::make_shared<MemorySource>(std::vector<std::uint8_t>(bytes.begin(), bytes.end()),
                                              std::move(name)));
}

SafetensorsFile SafetensorsFile::parse(std::shared_ptr<const ByteSource> src) {
  SafetensorsFile f;
  f.src_ = std::move(src);
  const std::string& file = f.src_->name();
  ByteReader r(*f.src_);
  const auto n = r.read<std::uint64_t>("header_size");
  if (n > kSafetensorsMaxHeader) {
    r.fail_at(0, "header_size",
              fmt::format("{} bytes exceeds the limit of {} bytes", n, kSafetensorsMaxHeader));
  }
  if (n > r.remaining()) {
    r.fail_at(0, "header_size",
              fmt::format("header of {} bytes extends beyond the end of the file ({} bytes after "
                          "the 8-byte length)",
                          n, r.remaining()));
  }
  const std::string text = r.read_string(n, "header");
  f.data_offset_ = 8 + n;
  const std::uint64_t buffer = f.src_->size() - f.data_offset_;

  // The reference reader requires the header to start with '{'; trailing whitespace (the
  // writer's padding) is accepted by the JSON parser itself.
  const json j = parse_json_strict(text, file, 8, "header");
  if (!j.is_object()) throw_at(file, 8, "header", "expected a JSON object");

  const std::string where = offset_where(file, 8);
  auto bad = [&](const std::string& field, std::string msg) -> ConfigError {
    return ConfigError(Diagnostic{where, field, std::move(msg)});
  };
  for (const auto& [key, entry] : j.items()) {
    if (key == "__metadata__") {
      if (!entry.is_object()) throw bad(key, "expected an object of strings");
      for (const auto& [mk, mv] : entry.items()) {
        if (!mv.is_string()) {
          throw bad(fmt::format("__metadata__.{}", mk),
                    fmt::format("expected a string, found {}", mv.type_name()));
        }
        f.metadata_.emplace(mk, mv.get<std::string>());
      }
      continue;
    }
    if (!entry.is_object()) throw bad(key, "expected an object with dtype, shape, data_offsets");
    SafetensorsTensor t;
    t.name = key;
    const auto dt = entry.find("dtype");
    if (dt == entry.end() || !dt->is_string()) throw bad(key + ".dtype", "missing or not a string");
    const auto dtype = dtype_from_name(dt->get_ref<const std::string&>());
    if (!dtype) {
      throw bad(key + ".dtype", fmt::format("unknown dtype \"{}\" (known: {})",
                                            dt->get_ref<const std::string&>(), dtype_list()));
    }
    t.dtype = *dtype;
    const auto sh = entry.find("shape");
    if (sh == entry.end() || !sh->is_array()) throw bad(key + ".shape", "missing or not an array");
    t.n_elements = 1;
    for (const json& d : *sh) {
      if (!d.is_number_unsigned()) {
        throw bad(key + ".shape",
                  fmt::format("dimension {} is not a non-negative integer", d.dump()));
      }
      const auto v = d.get<std::uint64_t>();
      t.shape.push_back(v);
      if (__builtin_mul_overflow(t.n_elements, v, &t.n_elements)) {
        throw bad(key + ".shape", fmt::format("element count of {} overflows 64 bits", sh->dump()));
      }
    }
    const auto off_new = entry.find("data_offsets");
    const auto off_old = entry.find("offsets");
    if (off_new != entry.end() && off_old != entry.end()) {
      throw bad(key, "has both \"data_offsets\" and \"offsets\"");
    }
    const auto off = off_new != entry.end() ? off_new : off_old;
    const std::string off_field = key + ".data_offsets";
    if (off == entry.end() || !off->is_array() || off->size() != 2 ||
        !(*off)[0].is_number_unsigned() || !(*off)[1].is_number_unsigned()) {
      throw bad(off_field, "missing or not two non-negative integers [begin, end]");
    }
    t.begin = (*off)[0].get<std::uint64_t>();
    t.end = (*off)[1].get<std::uint64_t>();
    if (t.begin > t.end) {
      throw bad(off_field, fmt::format("[{}, {}] is reversed (begin > end)", t.begin, t.end));
    }
    if (t.end > buffer) {
      throw bad(off_field, fmt::format("[{}, {}] extends beyond the data buffer ({} bytes)",
                                       t.begin, t.end, buffer));
    }
    std::uint64_t need = 0;
    if (__builtin_mul_overflow(t.n_elements, safetensors_dtype_size(t.dtype), &need) ||
        need != t.end - t.begin) {
      throw bad(off_field, fmt::format("shape {} of {} needs {} bytes but [{}, {}] holds {}",
                                       sh->dump(), safetensors_dtype_name(t.dtype),
                                       t.n_elements * safetensors_dtype_size(t.dtype), t.begin,
                                       t.end, t.end - t.begin));
    }
    f.tensors_.push_back(std::move(t));
  }
  // The reference reader also demands that the tensors tile the buffer with no gaps; gaps are
  // harmless to a reader, so only overlaps are errors here.
  std::vector<const SafetensorsTensor*> by_offset;
  for (const SafetensorsTensor& t : f.tensors_) {
    if (t.end > t.begin) by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const auto* a, const auto* b) { return a->begin < b->begin; });
  const SafetensorsTensor* reach = nullptr;
  for (const SafetensorsTensor* t : by_offset) {
    if (reach && t->begin < reach->end) {
      throw bad(t->name + ".data_offsets",
                fmt::format("[{}, {}] overlaps tensor \"{}\" [{}, {}]", t->begin, t->end,
                            reach->name, reach->begin, reach->end));
    }
    if (!reach || t->end > reach->end) reach = t;
  }
  std::sort(f.tensors_.begin(), f.tensors_.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return f;
}

const SafetensorsTensor* SafetensorsFile::find(std::string_view name) const {
  const auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                                   [](const auto& t, std::string_view n) { return t.name < n; });
  return it != tensors_.end() && it->name == name ? &*it : nullptr;
}

const SafetensorsTensor& SafetensorsFile::tensor_or_throw(std::string_view name) const {
  if (const SafetensorsTensor* t = find(name)) return *t;
  std::vector<std::string> names;
  for (const SafetensorsTensor& t : tensors_) names.push_back(t.name);
  const std::string best = closest_match(name, names);
  throw ConfigError(Diagnostic{
      src_->name(), "",
      fmt::format("no tensor named \"{}\"{}", name,
                  best.empty() ? std::string() : fmt::format(" (did you mean \"{}\"?)", best))});
}

std::vector<std::uint8_t> SafetensorsFile::read_bytes(std::string_view name) const {
  const SafetensorsTensor& t = tensor_or_throw(name);
  std::vector<std::uint8_t> out(static_cast<std::size_t>(t.end - t.begin));
  src_->read_at(data_offset_ + t.begin, out, fmt::format("tensor \"{}\" data", t.name));
  return out;
}

namespace {
[[noreturn]] void wrong_dtype(const std::string& file, const SafetensorsTensor& t,
                              std::string_view wanted) {
  throw ConfigError(Diagnostic{
      file, t.name,
      fmt::format("dtype {} cannot be read as {}", safetensors_dtype_name(t.dtype), wanted)});
}
}  // namespace

std::vector<float> SafetensorsFile::read_f32(std::string_view name) const {
  const SafetensorsTensor& t = tensor_or_throw(name);
  if (t.dtype != SafetensorsDtype::kF32 && t.dtype != SafetensorsDtype::kF16 &&
      t.dtype != SafetensorsDtype::kBF16) {
    wrong_dtype(src_->name(), t, "FP32 (read_f32 takes F32, F16, BF16)");
  }
  const std::vector<std::uint8_t> bytes = read_bytes(name);
  std::vector<float> out(static_cast<std::size_t>(t.n_elements));
  if (t.dtype == SafetensorsDtype::kF32) {
    if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::uint16_t h;
    std::memcpy(&h, bytes.data() + 2 * i, 2);
    out[i] =
        t.dtype == SafetensorsDtype::kF16 ? num::fp16_bits_to_fp32(h) : num::bf16_bits_to_fp32(h);
  }
  return out;
}

std::vector<std::int32_t> SafetensorsFile::read_i32(std::string_view name) const {
  const SafetensorsTensor& t = tensor_or_throw(name);
  if (t.dtype != SafetensorsDtype::kI32) wrong_dtype(src_->name(), t, "I32");
  const std::vector<std::uint8_t> bytes = read_bytes(name);
  std::vector<std::int32_t> out(static_cast<std::size_t>(t.n_elements));
  if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

std::vector<std::uint16_t> SafetensorsFile::read_u16_bits(std::string_view name) const {
  const SafetensorsTensor& t = tensor_or_throw(name);
  if (t.dtype != SafetensorsDtype::kF16 && t.dtype != SafetensorsDtype::kBF16) {
    wrong_dtype(src_->name(), t, "16-bit float patterns (F16, BF16)");
  }
  const std::vector<std::uint8_t> bytes = read_bytes(name);
  std::vector<std::uint16_t> out(static_cast<std::size_t>(t.n_elements));
  if (!bytes.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

// -----------------------------------------------------------------------------------------------
// Writing

std::vector<std::uint8_t> write_safetensors(const std::vector<SafetensorsWriteTensor>& tensors,
                                            const std::map<std::string, std::string>& metadata,
                                            const SafetensorsWriteOptions& options) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const SafetensorsWriteTensor& t : tensors) {
    if (header.contains(t.name)) {
      throw ConfigError(Diagnostic{"write_safetensors", t.name, "duplicate tensor name"});
    }
    std::uint64_t n = 1;
    for (const std::uint64_t d : t.shape) n *= d;
    if (n * safetensors_dtype_size(t.dtype) != t.data.size()) {
      throw ConfigError(
          Diagnostic{"write_safetensors", t.name,
                     fmt::format("data has {} bytes; shape [{}] of {} needs {}", t.data.size(),
                                 fmt::join(t.shape, ", "), safetensors_dtype_name(t.dtype),
                                 n * safetensors_dtype_size(t.dtype))});
    }
    header[t.name] = {{"dtype", safetensors_dtype_name(t.dtype)},
                      {"shape", t.shape},
                      {options.legacy_offsets_key ? "offsets" : "data_offsets",
                       {offset, offset + t.data.size()}}};
    offset += t.data.size();
  }
  std::string text = header.dump();
  const std::uint64_t a = std::max<std::uint64_t>(options.header_alignment, 1);
  text.append(static_cast<std::size_t>((a - text.size() % a) % a), ' ');
  std::vector<std::uint8_t> out;
  out.reserve(static_cast<std::size_t>(8 + text.size() + offset));
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(text.size() >> (8 * i)));
  out.insert(out.end(), text.begin(), text.end());
  for (const SafetensorsWriteTensor& t : tensors)
    out.insert(out.end(), t.data.begin(), t.data.end());
  return out;
}

SafetensorsWriteTensor safetensors_tensor_from_f32(std::string name, SafetensorsDtype dtype,
                                                   std::vector<std::uint64_t> shape,
                                                   std::span<const float> values) {
  SafetensorsWriteTensor t{std::move(name), dtype, std::move(shape), {}};
  if (dtype == SafetensorsDtype::kF32) {
    t.data.resize(values.size() * 4);
    if (!t.data.empty()) std::memcpy(t.data.data(), values.data(), t.data.size());
  } else if (dtype == SafetensorsDtype::kF16 || dtype == SafetensorsDtype::kBF16) {
    t.data.resize(values.size() * 2);
    for (std::size_t i = 0; i < values.size(); ++i) {
      const std::uint16_t h = dtype == SafetensorsDtype::kF16 ? num::fp32_to_fp16_bits(values[i])
                                                              : num::fp32_to_bf16_bits(values[i]);
      std::memcpy(t.data.data() + 2 * i, &h, 2);
    }
  } else {
    throw ConfigError(
        Diagnostic{"safetensors_tensor_from_f32", t.name,
                   fmt::format("dtype {} is not a float type", safetensors_dtype_name(dtype))});
  }
  return t;
}

// -----------------------------------------------------------------------------------------------
// Sharded index

SafetensorsIndex SafetensorsIndex::open(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(Diagnostic{path, "", "cannot open file for reading"});
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0 || static_cast<std::uint64_t>(size) > kSafetensorsMaxHeader) {
    throw ConfigError(Diagnostic{path, "", "index file is unreadable or larger than 100 MB"});
  }
  in.seekg(0, std::ios::beg);
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), size);
  return parse(text, path);
}

SafetensorsIndex SafetensorsIndex::parse(std::string_view text, std::string name) {
  const json j = parse_json_strict(text, name, 0, "index");
  SafetensorsIndex idx;
  auto bad = [&](std::string field, std::string msg) {
    return ConfigError(Diagnostic{name, std::move(field), std::move(msg)});
  };
  if (!j.is_object()) throw bad("", "expected a JSON object");
  const auto wm = j.find("weight_map");
  if (wm == j.end() || !wm->is_object()) throw bad("weight_map", "missing or not an object");
  for (const auto& [tensor, shard] : wm->items()) {
    if (!shard.is_string()) {
      throw bad("weight_map." + tensor,
                fmt::format("expected a shard file name, found {}", shard.type_name()));
    }
    idx.weight_map_.emplace(tensor, shard.get<std::string>());
  }
  if (const auto md = j.find("metadata"); md != j.end() && md->is_object()) {
    if (const auto ts = md->find("total_size"); ts != md->end()) {
      // Some exporters write total_size as a float; an integral value is what it means.
      if (ts->is_number_unsigned()) {
        idx.total_size_ = ts->get<std::uint64_t>();
      } else if (ts->is_number_float() && ts->get<double>() >= 0 && ts->get<double>() < 1.8e19) {
        idx.total_size_ = static_cast<std::uint64_t>(ts->get<double>());
      } else {
        throw bad("metadata.total_size", "expected a non-negative number");
      }
    }
  }
  return idx;
}

const std::string* SafetensorsIndex::shard_of(std::string_view tensor) const {
  const auto it = weight_map_.find(tensor);
  return it == weight_map_.end() ? nullptr : &it->second;
}

std::vector<std::string> SafetensorsIndex::shards() const {
  std::set<std::string> s;
  for (const auto& [tensor, shard] : weight_map_) s.insert(shard);
  return {s.begin(), s.end()};
}

}  // namespace mpsim::workload
