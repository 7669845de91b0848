// DESCRIPTION: GGUF reader/writer tests: round trips of every metadata type and of F32/F16/BF16/
// Q4_0/Q8_0/Q4_K tensors (bit-exact with numerics' dequantizers), and corrupted files, each with
// its specific error (truncation at every byte, huge counts, bad dims, offsets, types).
// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "mpsim/base/error.h"
#include "mpsim/numerics/gguf.h"
#include "mpsim/numerics/half.h"
#include "mpsim/workload/gguf_file.h"

namespace mpsim::workload {
namespace {

using ::testing::HasSubstr;

std::vector<float> random_values(std::size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

std::vector<std::uint32_t> bits_of(const std::vector<float>& v) {
  std::vector<std::uint32_t> b;
  for (const float x : v) b.push_back(std::bit_cast<std::uint32_t>(x));
  return b;
}

/// Runs `f`, expecting a ConfigError whose single diagnostic's text contains `text`; returns it.
template <class F>
Diagnostic expect_error(F&& f, const std::string& text) {
  try {
    f();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.diagnostics().size(), 1u);
    const Diagnostic d = e.diagnostics().at(0);
    EXPECT_THAT(d.str(), HasSubstr(text));
    return d;
  }
  ADD_FAILURE() << "expected ConfigError containing: " << text;
  return {};
}

/// Hand-assembled GGUF bytes for corrupt files.
struct Raw {
  std::vector<std::uint8_t> b;
  Raw& u32(std::uint32_t v) { return put(&v, 4); }
  Raw& u64(std::uint64_t v) { return put(&v, 8); }
  Raw& u8(std::uint8_t v) { return put(&v, 1); }
  Raw& str(std::string_view s) {
    u64(s.size());
    return put(s.data(), s.size());
  }
  Raw& put(const void* p, std::size_t n) {
    const auto* c = static_cast<const std::uint8_t*>(p);
    b.insert(b.end(), c, c + n);
    return *this;
  }
  Raw& header(std::uint64_t tensors, std::uint64_t kvs, std::uint32_t version = 3) {
    put("GGUF", 4);
    u32(version);
    u64(tensors);
    return u64(kvs);
  }
  Raw& tensor(std::string_view name, std::vector<std::uint64_t> dims, std::uint32_t type,
              std::uint64_t offset) {
    str(name);
    u32(static_cast<std::uint32_t>(dims.size()));
    for (const auto d : dims) u64(d);
    u32(type);
    return u64(offset);
  }
  Raw& pad(std::size_t a = 32) {
    while (b.size() % a != 0) b.push_back(0);
    return *this;
  }
  Raw& zeros(std::size_t n) {
    b.insert(b.end(), n, 0);
    return *this;
  }
};

GgufFile parse(const std::vector<std::uint8_t>& b) { return GgufFile::parse(b, "t.gguf"); }

std::vector<std::pair<std::string, GgufValue>> every_type_metadata() {
  GgufArray strings{GgufValueType::kString, {GgufValue("a"), GgufValue(""), GgufValue("ünï")}};
  GgufArray inner1{GgufValueType::kUint32,
                   {GgufValue(std::uint32_t{1}), GgufValue(std::uint32_t{2})}};
  GgufArray inner2{GgufValueType::kUint32, {}};
  GgufArray nested{GgufValueType::kArray, {GgufValue(inner1), GgufValue(inner2)}};
  GgufArray floats{GgufValueType::kFloat32, {GgufValue(1.5f), GgufValue(-0.0f)}};
  return {
      {"general.architecture", GgufValue("llama")},
      {"u8", GgufValue(std::uint8_t{200})},
      {"i8", GgufValue(std::int8_t{-100})},
      {"u16", GgufValue(std::uint16_t{60000})},
      {"i16", GgufValue(std::int16_t{-30000})},
      {"u32", GgufValue(std::uint32_t{4000000000u})},
      {"i32", GgufValue(std::int32_t{-2000000000})},
      {"f32", GgufValue(3.25f)},
      {"bool.true", GgufValue(true)},
      {"bool.false", GgufValue(false)},
      {"u64", GgufValue(std::uint64_t{1} << 60)},
      {"i64", GgufValue(std::int64_t{-(std::int64_t{1} << 60)})},
      {"f64", GgufValue(1e300)},
      {"tokenizer.ggml.tokens", GgufValue(strings)},
      {"nested", GgufValue(nested)},
      {"floats", GgufValue(floats)},
      {"empty", GgufValue(GgufArray{GgufValueType::kInt64, {}})},
  };
}

TEST(GgufRoundTrip, MetadataOfEveryType) {
  const auto md = every_type_metadata();
  for (const std::uint32_t version : {2u, 3u}) {
    const GgufFile f = parse(write_gguf(md, {}, version));
    EXPECT_EQ(f.version(), version);
    EXPECT_EQ(f.metadata(), md);
    EXPECT_EQ(f.tensors().size(), 0u);
    ASSERT_NE(f.metadata("u32"), nullptr);
    EXPECT_EQ(f.metadata("u32")->type(), GgufValueType::kUint32);
    EXPECT_EQ(f.metadata("u32")->as_uint(), 4000000000u);
    EXPECT_EQ(f.metadata("i8")->as_uint(), std::nullopt);
    EXPECT_EQ(f.metadata("i8")->as_double(), -100.0);
    EXPECT_EQ(*f.metadata("general.architecture")->as_string(), "llama");
    EXPECT_EQ(f.metadata("nested")->as_array()->items[0].as_array()->items.size(), 2u);
    EXPECT_EQ(f.metadata("missing"), nullptr);
  }
}

TEST(GgufRoundTrip, TensorsOfEveryReadableTypeMatchNumerics) {
  const std::vector<float> x = random_values(512, 1);
  std::vector<GgufWriteTensor> ts;
  const std::vector<std::pair<GgmlType, std::vector<std::uint64_t>>> kinds = {
      {GgmlType::kF32, {64, 8}},  {GgmlType::kF16, {128, 4}},  {GgmlType::kBF16, {512}},
      {GgmlType::kQ4_0, {64, 8}}, {GgmlType::kQ8_0, {32, 16}}, {GgmlType::kQ4_K, {256, 2}}};
  for (const auto& [type, dims] : kinds) {
    ts.push_back(gguf_tensor_from_f32(ggml_type_name(type), dims, type, x));
  }
  const GgufFile f = parse(write_gguf({{"general.architecture", GgufValue("test")}}, ts));
  ASSERT_EQ(f.tensors().size(), kinds.size());
  EXPECT_EQ(f.data_offset() % 32, 0u);

  std::vector<float> expect(x.size());
  for (const auto& [type, dims] : kinds) {
    const std::string name = ggml_type_name(type);
    const GgufTensorInfo* t = f.find_tensor(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->dims, dims);
    EXPECT_EQ(t->type, type);
    EXPECT_EQ(t->n_elements, 512u);
    EXPECT_EQ(t->offset % 32, 0u);
    EXPECT_EQ(t->file_offset, f.data_offset() + t->offset);
    std::vector<std::uint8_t> q;
    switch (type) {
      case GgmlType::kF32:
        expect = x;
        EXPECT_EQ(t->n_bytes, 2048u);
        break;
      case GgmlType::kF16:
        for (std::size_t i = 0; i < x.size(); ++i) expect[i] = num::round_to_fp16(x[i]);
        EXPECT_EQ(t->n_bytes, 1024u);
        break;
      case GgmlType::kBF16:
        for (std::size_t i = 0; i < x.size(); ++i) {
          expect[i] = num::bf16_bits_to_fp32(num::fp32_to_bf16_bits(x[i]));
        }
        break;
      case GgmlType::kQ4_0:
        q.resize(num::gguf_row_bytes(512, num::kQ4_0BlockSize, num::kQ4_0BlockBytes));
        num::quantize_row_q4_0(x, q);
        num::dequantize_row_q4_0(q, expect);
        EXPECT_EQ(t->n_bytes, 16u * 18u);
        break;
      case GgmlType::kQ8_0:
        q.resize(num::gguf_row_bytes(512, num::kQ8_0BlockSize, num::kQ8_0BlockBytes));
        num::quantize_row_q8_0(x, q);
        num::dequantize_row_q8_0(q, expect);
        EXPECT_EQ(t->n_bytes, 16u * 34u);
        break;
      case GgmlType::kQ4_K:
        q.resize(num::gguf_row_bytes(512, num::kQ4KBlockSize, num::kQ4KBlockBytes));
        num::quantize_row_q4_k(x, q);
        num::dequantize_row_q4_k(q, expect);
        EXPECT_EQ(t->n_bytes, 2u * 144u);
        break;
      default:
        FAIL();
    }
    if (!q.empty()) {
      EXPECT_EQ(f.read_tensor_bytes(name), q) << name;
    }
    EXPECT_EQ(bits_of(f.read_tensor_f32(name)), bits_of(expect)) << name;
  }
}

TEST(GgufRoundTrip, CustomAlignmentAndFileOnDisk) {
  const std::vector<float> x = random_values(48, 2);
  std::vector<GgufWriteTensor> ts = {gguf_tensor_from_f32("a", {3}, GgmlType::kF32, {x.data(), 3}),
                                     gguf_tensor_from_f32("b", {48}, GgmlType::kF16, x)};
  const auto bytes = write_gguf({{"general.alignment", GgufValue(std::uint32_t{64})}}, ts);
  const auto path = std::filesystem::temp_directory_path() /
                    ("mpsim_import_gguf_" + std::to_string(::getpid()) + ".gguf");
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  const GgufFile f = GgufFile::open(path.string());
  EXPECT_EQ(f.alignment(), 64u);
  EXPECT_EQ(f.data_offset() % 64, 0u);
  EXPECT_EQ(f.find_tensor("b")->offset, 64u);
  EXPECT_EQ(f.read_tensor_f32("a"), std::vector<float>(x.begin(), x.begin() + 3));
  EXPECT_EQ(f.read_tensor_f32("b")[47], num::round_to_fp16(x[47]));
  // Errors from a file name the path.
  expect_error([&] { (void)f.read_tensor_f32("c"); }, path.string() + ": no tensor named \"c\"");
  std::filesystem::remove(path);
  expect_error([&] { (void)GgufFile::open(path.string()); }, "cannot open file");
}

TEST(GgufRoundTrip, OtherTypesHaveSizesButNoData) {
  // Q6_K: 256-element super-blocks of 210 bytes; MXFP4: 32 of 17.
  const auto bytes = Raw()
                         .header(2, 0)
                         .tensor("q6", {256, 2}, 14, 0)
                         .tensor("mx", {64}, 39, 448)
                         .pad()
                         .zeros(448 + 34)
                         .b;
  const GgufFile f = parse(bytes);
  EXPECT_EQ(f.find_tensor("q6")->n_bytes, 420u);
  EXPECT_EQ(f.find_tensor("mx")->n_bytes, 34u);
  EXPECT_EQ(ggml_type_name(f.find_tensor("q6")->type), "Q6_K");
  EXPECT_EQ(f.read_tensor_bytes("q6").size(), 420u);
  expect_error([&] { (void)f.read_tensor_f32("q6"); },
               "tensor \"q6\": unsupported type Q6_K for reading data");
  expect_error([&] { (void)f.read_tensor_f32("q7"); },
               "no tensor named \"q7\" (did you mean \"q6\"?)");
}

TEST(GgufRoundTrip, TypeTable) {
  EXPECT_EQ(ggml_type_traits(4), nullptr);
  EXPECT_EQ(ggml_type_traits(5), nullptr);
  EXPECT_EQ(ggml_type_traits(40), nullptr);
  int known = 0;
  for (std::uint32_t t = 0; t < 40; ++t) known += ggml_type_traits(t) != nullptr;
  EXPECT_EQ(known, 38);
  EXPECT_EQ(ggml_type_traits(12)->block_bytes, 144u);
  EXPECT_EQ(ggml_type_traits(23)->block_bytes, 136u);
  EXPECT_EQ(ggml_type_traits(34)->block_bytes, 54u);
}

TEST(GgufRoundTrip, LongTensorNameIsAcceptedWithAWarning) {
  const std::string name(100, 'x');
  const GgufFile f = parse(
      write_gguf({}, {gguf_tensor_from_f32(name, {1}, GgmlType::kF32, std::vector<float>{1})}));
  ASSERT_EQ(f.warnings().size(), 1u);
  EXPECT_THAT(f.warnings()[0].str(),
              HasSubstr("tensor name is 100 bytes, longer than ggml's limit of 64"));
  EXPECT_EQ(f.read_tensor_f32(name), std::vector<float>{1});
}

// ---------------------------------------------------------------------------------------------
// Corrupt files

TEST(GgufCorrupt, TruncatedAtEveryByteThrows) {
  auto md = every_type_metadata();
  const std::vector<float> x = random_values(64, 3);
  // The last tensor ends on an alignment boundary, so no prefix of the file is a valid file.
  const auto bytes =
      write_gguf(md, {gguf_tensor_from_f32("q", {64}, GgmlType::kQ4_0, x),
                      gguf_tensor_from_f32("f", {8}, GgmlType::kF32, {x.data(), 8})});
  ASSERT_EQ(bytes.size() % 32, 0u);
  (void)parse(bytes);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const std::vector<std::uint8_t> prefix(bytes.begin(),
                                           bytes.begin() + static_cast<std::ptrdiff_t>(n));
    try {
      (void)parse(prefix);
      ADD_FAILURE() << "prefix of " << n << " bytes parsed";
    } catch (const ConfigError& e) {
      const std::string s = e.diagnostics().at(0).str();
      EXPECT_TRUE(s.find("truncated") != std::string::npos ||
                  s.find("remain") != std::string::npos ||
                  s.find("beyond the end") != std::string::npos)
          << n << ": " << s;
    }
  }
}

TEST(GgufCorrupt, TruncationMessageNamesFieldAndOffset) {
  auto bytes = Raw().header(0, 1).str("general.alignment").u32(10).b;  // UINT64 value type
  bytes.resize(bytes.size() + 4);                                      // 4 of the 8 bytes
  const Diagnostic d = expect_error([&] { (void)parse(bytes); },
                                    "metadata[0].value: truncated (need 8 bytes at offset");
  EXPECT_EQ(d.where, "t.gguf:offset 53");
  EXPECT_EQ(d.str(),
            "t.gguf:offset 53: metadata[0].value: truncated (need 8 bytes at offset 53, "
            "file has 57)");
}

TEST(GgufCorrupt, BadMagicAndVersions) {
  auto b = Raw().header(0, 0).b;
  b[3] = 'X';
  expect_error([&] { (void)parse(b); }, "t.gguf:offset 0: header.magic: not a GGUF file");
  expect_error([&] { (void)parse(Raw().header(0, 0, 1).b); }, "GGUF version 1 is not supported");
  expect_error([&] { (void)parse(Raw().header(0, 0, 4).b); },
               "header.version: unsupported version 4 (mpsim reads versions 2 and 3)");
  expect_error([&] { (void)parse(Raw().header(0, 0, 0x03000000).b); },
               "big-endian GGUF files are not supported");
  expect_error([&] { (void)parse({'G', 'G'}); }, "header.magic: truncated");
}

TEST(GgufCorrupt, HugeCountsFailFast) {
  expect_error([&] { (void)parse(Raw().header(std::uint64_t{1} << 62, 0).b); },
               "t.gguf:offset 8: header.tensor_count: 4611686018427387904 tensors need at least "
               "24 bytes each, but only 0 bytes remain");
  expect_error([&] { (void)parse(Raw().header(0, ~std::uint64_t{0}).b); },
               "header.metadata_kv_count: 18446744073709551615 key-value pairs need");
  // Key with string length 2^63.
  expect_error([&] { (void)parse(Raw().header(0, 1).u64(std::uint64_t{1} << 63).zeros(16).b); },
               "t.gguf:offset 24: metadata[0].key: string length 9223372036854775808 exceeds the "
               "16 bytes remaining");
  // Array of 2^60 strings, and of 2^62 uint8.
  expect_error(
      [&] {
        (void)parse(
            Raw().header(0, 1).str("k").u32(9).u32(8).u64(std::uint64_t{1} << 60).zeros(8).b);
      },
      "metadata[0].value.count: array of 1152921504606846976 STRING elements needs at "
      "least 8 bytes each, but only 8 bytes remain");
  expect_error(
      [&] { (void)parse(Raw().header(0, 1).str("k").u32(9).u32(0).u64(std::uint64_t{1} << 62).b); },
      "array of 4611686018427387904 UINT8 elements");
  // A string inside an array with a huge length.
  expect_error(
      [&] {
        (void)parse(Raw().header(0, 1).str("k").u32(9).u32(8).u64(1).u64(~std::uint64_t{0}).b);
      },
      "metadata[0].value[0]: string length 18446744073709551615 exceeds");
}

TEST(GgufCorrupt, BadValues) {
  expect_error([&] { (void)parse(Raw().header(0, 1).str("k").u32(13).u64(0).b); },
               "metadata[0].type: unknown value type 13 for key \"k\"");
  expect_error([&] { (void)parse(Raw().header(0, 1).str("k").u32(9).u32(77).u64(0).b); },
               "metadata[0].value.type: unknown array element type 77");
  expect_error([&] { (void)parse(Raw().header(0, 1).str("k").u32(7).u8(2).b); },
               "metadata[0].value: bool byte is 2");
  Raw deep = Raw().header(0, 1).str("k").u32(9);
  for (int i = 0; i < 6; ++i) deep.u32(9).u64(1);
  expect_error([&] { (void)parse(deep.zeros(64).b); }, "arrays nested deeper than 4 levels");
  expect_error(
      [&] { (void)parse(Raw().header(0, 2).str("k").u32(0).u8(1).str("k").u32(0).u8(2).b); },
      "metadata[1].key: duplicate key \"k\" (first defined by metadata[0])");
  expect_error([&] { (void)parse(Raw().header(0, 1).str("general.alignment").u32(4).u32(48).b); },
               "general.alignment: must be a positive power of two (got a UINT32 value 48)");
  expect_error([&] { (void)parse(Raw().header(0, 1).str("general.alignment").u32(4).u32(0).b); },
               "general.alignment: must be a positive power of two");
  expect_error([&] { (void)parse(Raw().header(0, 1).str("general.alignment").u32(8).str("32").b); },
               "got a STRING value");
}

TEST(GgufCorrupt, BadTensorInfos) {
  const Diagnostic d =
      expect_error([&] { (void)parse(Raw().header(1, 0).str("t").u32(9).zeros(200).b); },
                   "tensor_infos[0].n_dimensions: 9 exceeds the maximum 4");
  EXPECT_EQ(d.where, "t.gguf:offset 33");
  expect_error(
      [&] {
        (void)parse(Raw().header(1, 0).tensor("t", {1ull << 32, 1ull << 32}, 0, 0).pad().b);
      },
      "tensor_infos[0].dimensions: the element count of [4294967296, 4294967296] "
      "overflows int64");
  expect_error([&] { (void)parse(Raw().header(1, 0).tensor("t", {~0ull}, 0, 0).pad().b); },
               "overflows int64");
  // Element count fits int64 but the byte size of F64 does not fit 64 bits.
  expect_error([&] { (void)parse(Raw().header(1, 0).tensor("t", {1ull << 62}, 28, 0).pad().b); },
               "byte size of tensor \"t\" overflows 64 bits");
  expect_error([&] { (void)parse(Raw().header(1, 0).tensor("t", {4}, 40, 0).pad().b); },
               "tensor_infos[0].type: unknown ggml type 40 for tensor \"t\"");
  expect_error([&] { (void)parse(Raw().header(1, 0).tensor("t", {4}, 4, 0).pad().b); },
               "unknown ggml type 4");
  expect_error([&] { (void)parse(Raw().header(1, 0).tensor("t", {33}, 2, 0).pad().zeros(64).b); },
               "row length 33 of tensor \"t\" is not a multiple of the Q4_0 block size 32");
  expect_error(
      [&] {
        (void)parse(
            Raw().header(2, 0).tensor("t", {1}, 0, 0).tensor("t", {1}, 0, 32).pad().zeros(64).b);
      },
      "tensor_infos[1].name: duplicate tensor name \"t\" (also tensor_infos[0])");
}

TEST(GgufCorrupt, BadOffsets) {
  // Offset beyond the file.
  expect_error([&] { (void)parse(Raw().header(1, 0).tensor("t", {8}, 0, 64).pad().zeros(32).b); },
               "tensor_infos[0].offset: data of tensor \"t\" (32 bytes at data offset 64, file "
               "offset 128) extends beyond the end of the file (96 bytes)");
  // A data end past the file whose sum overflows.
  expect_error(
      [&] { (void)parse(Raw().header(1, 0).tensor("t", {8}, 0, ~0ull - 31).pad().zeros(32).b); },
      "extends beyond the end of the file");
  // Misaligned.
  const Diagnostic d = expect_error(
      [&] { (void)parse(Raw().header(1, 0).tensor("t", {8}, 0, 4).pad().zeros(64).b); },
      "tensor_infos[0].offset: 4 is not a multiple of the alignment 32 (tensor \"t\")");
  EXPECT_EQ(d.where, "t.gguf:offset 49");
  // Overlapping: [0, 64) and [32, 96); listed out of order to exercise the sort.
  expect_error(
      [&] {
        (void)parse(
            Raw().header(2, 0).tensor("b", {16}, 0, 32).tensor("a", {16}, 0, 0).pad().zeros(96).b);
      },
      "tensor_infos[0].offset: data of tensor \"b\" [32, 96) overlaps tensor \"a\" "
      "(tensor_infos[1], [0, 64))");
  // Contained in an earlier, longer tensor that is not the nearest start.
  expect_error(
      [&] {
        (void)parse(Raw()
                        .header(3, 0)
                        .tensor("a", {64}, 0, 0)
                        .tensor("b", {1}, 0, 32)
                        .tensor("c", {1}, 0, 128)
                        .pad()
                        .zeros(256)
                        .b);
      },
      "data of tensor \"b\" [32, 36) overlaps tensor \"a\"");
  // Adjacent tensors and empty tensors are fine.
  const GgufFile f = parse(Raw()
                               .header(3, 0)
                               .tensor("a", {8}, 0, 0)
                               .tensor("b", {8}, 0, 32)
                               .tensor("e", {0}, 0, 32)
                               .pad()
                               .zeros(64)
                               .b);
  EXPECT_EQ(f.read_tensor_f32("e").size(), 0u);
}

TEST(GgufCorrupt, ZeroTensorsNeedNoDataSection) {
  const GgufFile f = parse(Raw().header(0, 1).str("a").u32(4).u32(1).b);
  EXPECT_EQ(f.metadata("a")->as_uint(), 1u);
}

}  // namespace
}  // namespace mpsim::workload

#include "mpsim/workload/gguf_model.h"
#include "mpsim/workload/presets.h"

namespace mpsim::workload {
namespace {

TEST(GgufModel, ShapesFromMetadataExpandLikeThePreset) {
  const ModelConfig& p = preset("llama3-8b");
  std::vector<std::pair<std::string, GgufValue>> md = {
      {"general.architecture", GgufValue("llama")},
      {"general.name", GgufValue("Meta-Llama-3-8B")},
      {"llama.embedding_length", GgufValue(static_cast<std::uint32_t>(p.hidden))},
      {"llama.block_count", GgufValue(static_cast<std::uint32_t>(p.layers))},
      {"llama.feed_forward_length", GgufValue(static_cast<std::uint32_t>(p.intermediate))},
      {"llama.attention.head_count", GgufValue(static_cast<std::uint32_t>(p.heads))},
      {"llama.attention.head_count_kv", GgufValue(static_cast<std::uint32_t>(p.kv_heads))},
      {"llama.rope.dimension_count", GgufValue(static_cast<std::uint32_t>(p.head_dim))},
      {"llama.context_length", GgufValue(static_cast<std::uint32_t>(p.max_positions))}};
  // The vocabulary comes from token_embd.weight's shape (innermost first: hidden, vocab); a tiny
  // Q8_0 stand-in is enough for the header, so the test file stays small.
  GgufWriteTensor emb{"token_embd.weight", {32, 128256}, GgmlType::kQ8_0, {}};
  emb.data.assign(128256 * 34, 0);
  GgufWriteTensor out{"output.weight", {32, 4}, GgmlType::kF32, std::vector<std::uint8_t>(32 * 4 * 4)};
  const auto bytes = write_gguf(md, {emb, out});
  const ModelConfig c = model_config_from_gguf(GgufFile::parse(bytes, "m.gguf"), "m.gguf");
  EXPECT_EQ(c.hidden, 4096);
  EXPECT_EQ(c.kv_heads, 8);
  EXPECT_EQ(c.vocab, 128256);
  EXPECT_EQ(c.max_positions, 8192);
  EXPECT_FALSE(c.tie_embeddings);
  EXPECT_EQ(parameter_count(c), parameter_count(p));  // 8030261248
}

TEST(GgufModel, MissingKeysAreAllReported) {
  const auto bytes = write_gguf({{"general.architecture", GgufValue("llama")},
                                 {"llama.block_count", GgufValue(static_cast<std::uint32_t>(0))}},
                                {});
  try {
    model_config_from_gguf(GgufFile::parse(bytes, "m.gguf"), "m.gguf");
    FAIL();
  } catch (const ConfigError& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("m.gguf: llama.embedding_length: missing"), std::string::npos) << w;
    EXPECT_NE(w.find("llama.block_count: must be a positive integer"), std::string::npos) << w;
    EXPECT_NE(w.find("llama.feed_forward_length: missing"), std::string::npos) << w;
    EXPECT_NE(w.find("no vocabulary"), std::string::npos) << w;
  }
  const auto gpt = write_gguf({{"general.architecture", GgufValue("gpt2")}}, {});
  EXPECT_THROW(model_config_from_gguf(GgufFile::parse(gpt, "g.gguf"), "g.gguf"), ConfigError);
}

}  // namespace
}  // namespace mpsim::workload
