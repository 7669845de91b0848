// DESCRIPTION: GPTQ and AWQ int32 packing/unpacking, dequantization, and loading from
// safetensors.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/workload/awq_gptq.h"

#include <fmt/format.h>

#include <string>
#include <type_traits>

#include "mpsim/base/error.h"
#include "mpsim/numerics/half.h"

namespace mpsim::workload {
namespace {

[[noreturn]] void fail(std::string_view where, std::string field, std::string msg) {
  throw ConfigError(Diagnostic{std::string(where), std::move(field), std::move(msg)});
}

void check_size(std::string_view where, const char* field, std::size_t got, std::size_t want,
                const std::string& shape) {
  if (got != want) {
    fail(where, field, fmt::format("has {} elements; shape {} needs {}", got, shape, want));
  }
}

int effective_group(int group_size, std::size_t k) {
  return group_size <= 0 ? static_cast<int>(k) : group_size;
}

std::vector<std::int32_t> default_g_idx(std::size_t k, int group) {
  std::vector<std::int32_t> g(k);
  for (std::size_t i = 0; i < k; ++i) g[i] = static_cast<std::int32_t>(i / group);
  return g;
}

void check_codes_and_zeros(std::string_view where, const GroupQuantWeight& w,
                           std::uint32_t max_zero) {
  const std::uint32_t mask = (1u << w.bits) - 1;
  check_size(where, "codes", w.codes.size(), w.k * w.n, fmt::format("[{}, {}]", w.k, w.n));
  if (w.n == 0 || w.scales.size() % w.n != 0 || w.zeros.size() != w.scales.size()) {
    fail(where, "zeros/scales",
         fmt::format("{} zeros and {} scales are not [groups, {}]", w.zeros.size(), w.scales.size(),
                     w.n));
  }
  for (std::size_t i = 0; i < w.codes.size(); ++i) {
    if (w.codes[i] > mask) {
      fail(where, fmt::format("codes[{}][{}]", i / w.n, i % w.n),
           fmt::format("{} does not fit in {} bits", w.codes[i], w.bits));
    }
  }
  for (std::size_t i = 0; i < w.zeros.size(); ++i) {
    if (w.zeros[i] > max_zero) {
      fail(where, fmt::format("zeros[{}][{}]", i / w.n, i % w.n),
           fmt::format("{} exceeds the largest storable zero point {}", w.zeros[i], max_zero));
    }
  }
}

}  // namespace

std::vector<float> GroupQuantWeight::dequantize() const {
  const std::size_t g_count = groups();
  if (codes.size() != k * n || zeros.size() != scales.size() || (n != 0 && scales.size() % n) ||
      (!g_idx.empty() && g_idx.size() != k) || (g_idx.empty() && group_size <= 0)) {
    fail("GroupQuantWeight::dequantize", "", "codes, zeros, scales and g_idx sizes disagree");
  }
  std::vector<float> out(k * n);
  for (std::size_t r = 0; r < k; ++r) {
    const std::size_t g = g_idx.empty() ? r / static_cast<std::size_t>(group_size)
                                        : static_cast<std::size_t>(g_idx[r]);
    if (g >= g_count) {
      fail("GroupQuantWeight::dequantize", fmt::format("g_idx[{}]", r),
           fmt::format("group {} does not exist ({} groups)", g, g_count));
    }
    for (std::size_t c = 0; c < n; ++c) {
      const int q = codes[r * n + c];
      const int z = zeros[g * n + c];
      out[r * n + c] = static_cast<float>(q - z) * num::fp16_bits_to_fp32(scales[g * n + c]);
    }
  }
  return out;
}

// -----------------------------------------------------------------------------------------------
// GPTQ

GroupQuantWeight unpack_gptq(const GptqPacked& packed, std::size_t k, std::size_t n,
                             const GptqOptions& options) {
  constexpr std::string_view kWhere = "unpack_gptq";
  const int bits = options.bits;
  if (bits != 2 && bits != 4 && bits != 8) {
    fail(kWhere, "bits", fmt::format("{} is not supported (2, 4 or 8)", bits));
  }
  const std::size_t p = 32 / static_cast<std::size_t>(bits);
  if (k == 0 || n == 0 || k % p != 0 || n % p != 0) {
    fail(kWhere, "shape",
         fmt::format("K = {} and N = {} must be positive multiples of {} (32 / bits)", k, n, p));
  }
  const int group = effective_group(options.group_size, k);
  const std::size_t groups = (k + group - 1) / group;
  check_size(kWhere, "qweight", packed.qweight.size(), k / p * n,
             fmt::format("[{}, {}]", k / p, n));
  check_size(kWhere, "qzeros", packed.qzeros.size(), groups * (n / p),
             fmt::format("[{}, {}]", groups, n / p));
  check_size(kWhere, "scales", packed.scales.size(), groups * n,
             fmt::format("[{}, {}]", groups, n));
  GroupQuantWeight w;
  w.k = k;
  w.n = n;
  w.bits = bits;
  w.group_size = group;
  const std::uint32_t mask = (1u << bits) - 1;
  w.codes.resize(k * n);
  for (std::size_t r = 0; r < k; ++r) {
    const unsigned shift = static_cast<unsigned>(bits * (r % p));
    const std::int32_t* row = packed.qweight.data() + (r / p) * n;
    for (std::size_t c = 0; c < n; ++c) {
      w.codes[r * n + c] =
          static_cast<std::uint8_t>((static_cast<std::uint32_t>(row[c]) >> shift) & mask);
    }
  }
  const std::uint16_t offset = options.gptq_v1_zero_offset ? 1 : 0;
  w.zeros.resize(groups * n);
  for (std::size_t g = 0; g < groups; ++g) {
    for (std::size_t c = 0; c < n; ++c) {
      const auto word = static_cast<std::uint32_t>(packed.qzeros[g * (n / p) + c / p]);
      const unsigned shift = static_cast<unsigned>(bits * (c % p));
      w.zeros[g * n + c] = static_cast<std::uint16_t>(((word >> shift) & mask) + offset);
    }
  }
  w.scales = packed.scales;
  if (packed.g_idx.empty()) {
    w.g_idx = default_g_idx(k, group);
  } else {
    check_size(kWhere, "g_idx", packed.g_idx.size(), k, fmt::format("[{}]", k));
    for (std::size_t r = 0; r < k; ++r) {
      if (packed.g_idx[r] < 0 || static_cast<std::size_t>(packed.g_idx[r]) >= groups) {
        fail(kWhere, fmt::format("g_idx[{}]", r),
             fmt::format("{} is not a group index in [0, {})", packed.g_idx[r], groups));
      }
    }
    w.g_idx = packed.g_idx;
  }
  return w;
}

GptqPacked pack_gptq(const GroupQuantWeight& w, const GptqOptions& options) {
  constexpr std::string_view kWhere = "pack_gptq";
  if (w.bits != 2 && w.bits != 4 && w.bits != 8) {
    fail(kWhere, "bits", fmt::format("{} is not supported (2, 4 or 8)", w.bits));
  }
  const std::size_t p = 32 / static_cast<std::size_t>(w.bits);
  if (w.k == 0 || w.n == 0 || w.k % p != 0 || w.n % p != 0) {
    fail(kWhere, "shape",
         fmt::format("K = {} and N = {} must be positive multiples of {}", w.k, w.n, p));
  }
  const std::uint32_t mask = (1u << w.bits) - 1;
  const bool v1 = options.gptq_v1_zero_offset;
  check_codes_and_zeros(kWhere, w, v1 ? mask + 1 : mask);
  const std::size_t groups = w.groups();
  const std::size_t group = static_cast<std::size_t>(effective_group(w.group_size, w.k));
  if (groups != (w.k + group - 1) / group) {
    fail(
        kWhere, "scales",
        fmt::format("{} groups, expected ceil(K / group) = {}", groups, (w.k + group - 1) / group));
  }
  GptqPacked out;
  out.qweight.assign(w.k / p * w.n, 0);
  for (std::size_t r = 0; r < w.k; ++r) {
    const unsigned shift = static_cast<unsigned>(w.bits * (r % p));
    for (std::size_t c = 0; c < w.n; ++c) {
      auto& word = out.qweight[(r / p) * w.n + c];
      word = static_cast<std::int32_t>(static_cast<std::uint32_t>(word) |
                                       (std::uint32_t{w.codes[r * w.n + c]} << shift));
    }
  }
  out.qzeros.assign(groups * (w.n / p), 0);
  for (std::size_t g = 0; g < groups; ++g) {
    for (std::size_t c = 0; c < w.n; ++c) {
      std::uint32_t z = w.zeros[g * w.n + c];
      if (v1) {
        // AutoGPTQ stores z - 1 as uint32 and ORs it in unmasked, so z = 0 (stored -1) also
        // floods the higher fields of the word; it cannot be represented, so refuse it.
        if (z == 0) {
          fail(kWhere, fmt::format("zeros[{}][{}]", g, c),
               "zero point 0 cannot be stored in the GPTQ v1 format (zero - 1 wraps and loads "
               "as 2^bits); use gptq_v1_zero_offset = false (the gptq_v2 format)");
        }
        z -= 1;
      }
      auto& word = out.qzeros[g * (w.n / p) + c / p];
      word = static_cast<std::int32_t>(static_cast<std::uint32_t>(word) |
                                       (z << static_cast<unsigned>(w.bits * (c % p))));
    }
  }
  out.scales = w.scales;
  out.g_idx = w.g_idx;
  return out;
}

// -----------------------------------------------------------------------------------------------
// AWQ

GroupQuantWeight unpack_awq(const AwqPacked& packed, std::size_t k, std::size_t n, int group_size) {
  constexpr std::string_view kWhere = "unpack_awq";
  const int group = effective_group(group_size, k);
  if (k == 0 || n == 0 || n % 8 != 0 || k % static_cast<std::size_t>(group) != 0) {
    fail(kWhere, "shape",
         fmt::format("K = {} must be a positive multiple of the group size {} and N = {} of 8", k,
                     group, n));
  }
  const std::size_t groups = k / group;
  const std::size_t words = n / 8;
  check_size(kWhere, "qweight", packed.qweight.size(), k * words,
             fmt::format("[{}, {}]", k, words));
  check_size(kWhere, "qzeros", packed.qzeros.size(), groups * words,
             fmt::format("[{}, {}]", groups, words));
  check_size(kWhere, "scales", packed.scales.size(), groups * n,
             fmt::format("[{}, {}]", groups, n));
  GroupQuantWeight w;
  w.k = k;
  w.n = n;
  w.bits = 4;
  w.group_size = group;
  w.codes.resize(k * n);
  w.zeros.resize(groups * n);
  auto unpack_row = [&](const std::int32_t* src, auto* dst) {
    for (std::size_t c = 0; c < words; ++c) {
      const auto word = static_cast<std::uint32_t>(src[c]);
      for (int i = 0; i < 8; ++i) {
        dst[8 * c + static_cast<std::size_t>(kAwqOrder[i])] =
            static_cast<std::remove_pointer_t<decltype(dst)>>((word >> (4 * i)) & 0xF);
      }
    }
  };
  for (std::size_t r = 0; r < k; ++r)
    unpack_row(packed.qweight.data() + r * words, w.codes.data() + r * n);
  for (std::size_t g = 0; g < groups; ++g) {
    unpack_row(packed.qzeros.data() + g * words, w.zeros.data() + g * n);
  }
  w.scales = packed.scales;
  w.g_idx = default_g_idx(k, group);
  return w;
}

AwqPacked pack_awq(const GroupQuantWeight& w) {
  constexpr std::string_view kWhere = "pack_awq";
  if (w.bits != 4) fail(kWhere, "bits", fmt::format("AWQ packs 4-bit codes, not {}", w.bits));
  if (w.k == 0 || w.n == 0 || w.n % 8 != 0 || w.group_size <= 0 ||
      w.k % static_cast<std::size_t>(w.group_size) != 0) {
    fail(kWhere, "shape",
         fmt::format("K = {} must be a positive multiple of the group size {} and N = {} of 8", w.k,
                     w.group_size, w.n));
  }
  check_codes_and_zeros(kWhere, w, 15);
  if (w.groups() != w.k / static_cast<std::size_t>(w.group_size)) {
    fail(kWhere, "scales",
         fmt::format("{} groups, expected K / group = {}", w.groups(),
                     w.k / static_cast<std::size_t>(w.group_size)));
  }
  for (std::size_t r = 0; r < w.g_idx.size(); ++r) {
    if (static_cast<std::size_t>(w.g_idx[r]) != r / static_cast<std::size_t>(w.group_size)) {
      fail(kWhere, fmt::format("g_idx[{}]", r),
           "AWQ has no act-order: row k must belong to group k / group_size");
    }
  }
  const std::size_t words = w.n / 8;
  AwqPacked out;
  auto pack_row = [&](const auto* src, std::int32_t* dst) {
    for (std::size_t c = 0; c < words; ++c) {
      std::uint32_t word = 0;
      for (int i = 0; i < 8; ++i) {
        word |= static_cast<std::uint32_t>(src[8 * c + static_cast<std::size_t>(kAwqOrder[i])])
                << (4 * i);
      }
      dst[c] = static_cast<std::int32_t>(word);
    }
  };
  out.qweight.resize(w.k * words);
  for (std::size_t r = 0; r < w.k; ++r)
    pack_row(w.codes.data() + r * w.n, out.qweight.data() + r * words);
  out.qzeros.resize(w.groups() * words);
  for (std::size_t g = 0; g < w.groups(); ++g) {
    pack_row(w.zeros.data() + g * w.n, out.qzeros.data() + g * words);
  }
  out.scales = w.scales;
  return out;
}

// -----------------------------------------------------------------------------------------------
// Loading from safetensors

namespace {

const SafetensorsTensor& require_2d(const SafetensorsFile& f, const std::string& name,
                                    SafetensorsDtype dtype) {
  const SafetensorsTensor* t = f.find(name);
  if (!t) fail("load", name, "tensor not found in the safetensors file");
  if (t->dtype != dtype || t->shape.size() != 2) {
    fail("load", name,
         fmt::format("expected a 2-D {} tensor, found {} with {} dimensions",
                     safetensors_dtype_name(dtype), safetensors_dtype_name(t->dtype),
                     t->shape.size()));
  }
  return *t;
}

}  // namespace

GroupQuantWeight load_gptq(const SafetensorsFile& file, std::string_view prefix,
                           const GptqOptions& options) {
  const std::string p(prefix);
  const SafetensorsTensor& qw = require_2d(file, p + ".qweight", SafetensorsDtype::kI32);
  require_2d(file, p + ".qzeros", SafetensorsDtype::kI32);
  require_2d(file, p + ".scales", SafetensorsDtype::kF16);
  if (options.bits != 2 && options.bits != 4 && options.bits != 8) {
    fail("load_gptq", "bits", fmt::format("{} is not supported (2, 4 or 8)", options.bits));
  }
  GptqPacked packed;
  packed.qweight = file.read_i32(p + ".qweight");
  packed.qzeros = file.read_i32(p + ".qzeros");
  packed.scales = file.read_u16_bits(p + ".scales");
  if (file.find(p + ".g_idx")) packed.g_idx = file.read_i32(p + ".g_idx");
  const auto k =
      static_cast<std::size_t>(qw.shape[0]) * (32 / static_cast<std::size_t>(options.bits));
  return unpack_gptq(packed, k, static_cast<std::size_t>(qw.shape[1]), options);
}

GroupQuantWeight load_awq(const SafetensorsFile& file, std::string_view prefix, int group_size) {
  const std::string p(prefix);
  const SafetensorsTensor& qw = require_2d(file, p + ".qweight", SafetensorsDtype::kI32);
  require_2d(file, p + ".qzeros", SafetensorsDtype::kI32);
  require_2d(file, p + ".scales", SafetensorsDtype::kF16);
  AwqPacked packed;
  packed.qweight = file.read_i32(p + ".qweight");
  packed.qzeros = file.read_i32(p + ".qzeros");
  packed.scales = file.read_u16_bits(p + ".scales");
  return unpack_awq(packed, static_cast<std::size_t>(qw.shape[0]),
                    static_cast<std::size_t>(qw.shape[1]) * 8, group_size);
}

}  // namespace mpsim::workload
