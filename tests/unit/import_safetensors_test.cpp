// DESCRIPTION: safetensors reader/writer and sharded-index tests (round trips, header padding,
// legacy "offsets", corrupted files with their specific errors), and GPTQ/AWQ packing checked
// against mpsim's own int4_g128 / gptq_int4 quantizers.
// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "mpsim/base/error.h"
#include "mpsim/numerics/half.h"
#include "mpsim/numerics/quantizer.h"
#include "mpsim/workload/awq_gptq.h"
#include "mpsim/workload/safetensors_file.h"

namespace mpsim::workload {
namespace {

using ::testing::HasSubstr;

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

std::vector<float> random_values(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

template <class T>
std::vector<std::uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<std::uint8_t> b(v.size() * sizeof(T));
  if (!b.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

/// A file from a literal header and data bytes; `declared` overrides the length field.
std::vector<std::uint8_t> raw_file(const std::string& header, std::size_t data_bytes = 0,
                                   std::optional<std::uint64_t> declared = std::nullopt) {
  std::vector<std::uint8_t> b;
  const std::uint64_t n = declared.value_or(header.size());
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), data_bytes, 0);
  return b;
}

SafetensorsFile parse(const std::vector<std::uint8_t>& b) {
  return SafetensorsFile::parse(b, "m.safetensors");
}

TEST(SafetensorsRoundTrip, FourDtypesMetadataAndPadding) {
  const std::vector<float> x = random_values(24, 1);
  const std::vector<std::int32_t> ints = {0, -1, 2147483647, -2147483647 - 1, 42, 7};
  const std::vector<SafetensorsWriteTensor> ts = {
      safetensors_tensor_from_f32("w.f32", SafetensorsDtype::kF32, {4, 6}, x),
      safetensors_tensor_from_f32("w.f16", SafetensorsDtype::kF16, {24}, x),
      safetensors_tensor_from_f32("w.bf16", SafetensorsDtype::kBF16, {2, 3, 4}, x),
      {"w.i32", SafetensorsDtype::kI32, {2, 3}, bytes_of(ints)},
      {"scalar", SafetensorsDtype::kF32, {}, bytes_of(std::vector<float>{5.5f})},
      {"empty", SafetensorsDtype::kF32, {0, 3}, {}},
  };
  const std::map<std::string, std::string> md = {{"format", "pt"}, {"note", "ünïcode"}};
  const auto bytes = write_safetensors(ts, md);
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);

  const SafetensorsFile f = parse(bytes);
  EXPECT_EQ(f.metadata(), md);
  EXPECT_EQ(f.tensors().size(), ts.size());
  EXPECT_EQ(f.data_offset(), 8 + n);
  EXPECT_EQ(f.read_f32("w.f32"), x);
  for (std::size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(f.read_f32("w.f16")[i], num::round_to_fp16(x[i]));
    EXPECT_EQ(f.read_f32("w.bf16")[i], num::bf16_bits_to_fp32(num::fp32_to_bf16_bits(x[i])));
  }
  EXPECT_EQ(f.read_u16_bits("w.f16")[3], num::fp32_to_fp16_bits(x[3]));
  EXPECT_EQ(f.read_i32("w.i32"), ints);
  EXPECT_EQ(f.read_f32("scalar"), std::vector<float>{5.5f});
  EXPECT_EQ(f.read_f32("empty").size(), 0u);
  EXPECT_EQ(f.find("w.bf16")->shape, (std::vector<std::uint64_t>{2, 3, 4}));
  expect_error([&] { (void)f.read_i32("w.f32"); }, "w.f32: dtype F32 cannot be read as I32");
  expect_error([&] { (void)f.read_f32("w.i32"); }, "dtype I32 cannot be read as FP32");
  expect_error([&] { (void)f.read_f32("w.f31"); }, "no tensor named \"w.f31\" (did you mean");
}

TEST(SafetensorsRoundTrip, LegacyOffsetsKeyWhitespaceAndShapeOnlyDtypes) {
  const auto bytes =
      write_safetensors({{"a", SafetensorsDtype::kI8, {3}, {1, 2, 3}},
                         {"b", SafetensorsDtype::kF64, {1}, bytes_of(std::vector<double>{2.0})}},
                        {}, {.header_alignment = 8, .legacy_offsets_key = true});
  const std::string header(bytes.begin() + 8, bytes.end() - 11);
  EXPECT_THAT(header, HasSubstr("\"offsets\""));
  EXPECT_THAT(header, ::testing::Not(HasSubstr("data_offsets")));
  const SafetensorsFile f = parse(bytes);
  EXPECT_EQ(f.read_bytes("a"), (std::vector<std::uint8_t>{1, 2, 3}));
  EXPECT_EQ(f.find("b")->begin, 3u);
  expect_error([&] { (void)f.read_f32("b"); }, "dtype F64 cannot be read as FP32");
  // Hand-written header with mixed trailing whitespace padding, and dtypes U8/I64.
  const auto g = parse(raw_file(R"({"u":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                                R"("l":{"dtype":"I64","shape":[1],"data_offsets":[2,10]}})"
                                " \n\t  ",
                                10));
  EXPECT_EQ(g.find("l")->n_elements, 1u);
}

TEST(SafetensorsRoundTrip, FileOnDisk) {
  const auto bytes = write_safetensors(
      {safetensors_tensor_from_f32("x", SafetensorsDtype::kF32, {2}, std::vector<float>{1, 2})});
  const auto path = std::filesystem::temp_directory_path() /
                    ("mpsim_import_st_" + std::to_string(::getpid()) + ".safetensors");
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  EXPECT_EQ(SafetensorsFile::open(path.string()).read_f32("x"), (std::vector<float>{1, 2}));
  std::filesystem::remove(path);
}

TEST(SafetensorsCorrupt, TruncatedAtEveryByteThrows) {
  const std::vector<float> x = random_values(10, 2);
  const auto bytes = write_safetensors(
      {safetensors_tensor_from_f32("a", SafetensorsDtype::kF16, {10}, x),
       safetensors_tensor_from_f32("b", SafetensorsDtype::kF32, {5}, {x.data(), 5})},
      {{"k", "v"}});
  (void)parse(bytes);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const std::vector<std::uint8_t> prefix(bytes.begin(),
                                           bytes.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_THROW((void)parse(prefix), ConfigError) << n;
  }
}

TEST(SafetensorsCorrupt, HeaderLength) {
  expect_error([&] { (void)parse(raw_file("{}", 0, 100)); },
               "m.safetensors:offset 0: header_size: header of 100 bytes extends beyond the end "
               "of the file (2 bytes after the 8-byte length)");
  expect_error([&] { (void)parse(raw_file("{}", 0, std::uint64_t{1} << 62)); },
               "header_size: 4611686018427387904 bytes exceeds the limit of 100000000 bytes");
  expect_error([&] { (void)parse({1, 2, 3}); }, "header_size: truncated (need 8 bytes");
}

TEST(SafetensorsCorrupt, HeaderNotJsonOrWrongShape) {
  expect_error([&] { (void)parse(raw_file("{\"a\":")); }, "header: not valid JSON");
  expect_error([&] { (void)parse(raw_file("[1,2]")); }, "header: expected a JSON object");
  expect_error([&] { (void)parse(raw_file("{} x")); }, "not valid JSON");
  expect_error([&] { (void)parse(raw_file(std::string(40, '[') + std::string(40, ']'))); },
               "JSON nested deeper than 16 levels");
  expect_error([&] { (void)parse(raw_file(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", 4)); },
               "a.dtype: missing or not a string");
  expect_error(
      [&] {
        (void)parse(raw_file(R"({"a":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}})", 4));
      },
      "a.dtype: unknown dtype \"F12\" (known: BOOL, U8");
  expect_error(
      [&] {
        (void)parse(raw_file(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4));
      },
      "a.shape: dimension -1 is not a non-negative integer");
  expect_error([&] { (void)parse(raw_file(R"({"a":{"dtype":"F32","shape":[1]}})", 4)); },
               "a.data_offsets: missing or not two non-negative integers");
  expect_error(
      [&] {
        (void)parse(raw_file(
            R"({"a":{"dtype":"F32","shape":[1],"offsets":[0,4],"data_offsets":[0,4]}})", 4));
      },
      "a: has both \"data_offsets\" and \"offsets\"");
  expect_error([&] { (void)parse(raw_file(R"({"__metadata__":{"k":1}})")); },
               "__metadata__.k: expected a string, found number");
  expect_error(
      [&] {
        (void)parse(raw_file(
            R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", 4));
      },
      "element count of [4294967296,4294967296] overflows 64 bits");
}

TEST(SafetensorsCorrupt, BadOffsets) {
  expect_error(
      [&] {
        (void)parse(raw_file(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}})", 4));
      },
      "a.data_offsets: [4, 0] is reversed (begin > end)");
  expect_error(
      [&] {
        (void)parse(raw_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4));
      },
      "a.data_offsets: [0, 8] extends beyond the data buffer (4 bytes)");
  expect_error(
      [&] {
        (void)parse(raw_file(R"({"a":{"dtype":"F16","shape":[2,3],"data_offsets":[0,8]}})", 8));
      },
      "a.data_offsets: shape [2,3] of F16 needs 12 bytes but [0, 8] holds 8");
  expect_error(
      [&] {
        (void)parse(raw_file(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                             R"("b":{"dtype":"I32","shape":[1],"data_offsets":[12,16]}})",
                             16));
      },
      "b.data_offsets: [12, 16] overlaps tensor \"a\" [0, 16]");
}

TEST(SafetensorsCorrupt, DuplicateNames) {
  expect_error(
      [&] {
        (void)parse(raw_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                             R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                             8));
      },
      "m.safetensors:offset 8: header: duplicate key \"a\"");
  expect_error(
      [&] {
        (void)parse(
            raw_file(R"({"a":{"dtype":"F32","dtype":"I32","shape":[1],"data_offsets":[0,4]}})", 4));
      },
      "duplicate key \"dtype\"");
  // The same key in different objects is fine.
  const auto f = parse(raw_file(
      R"({"__metadata__":{"a":"x"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 4));
  EXPECT_EQ(f.metadata().at("a"), "x");
  expect_error(
      [&] {
        (void)write_safetensors(
            {{"a", SafetensorsDtype::kU8, {1}, {0}}, {"a", SafetensorsDtype::kU8, {1}, {0}}});
      },
      "a: duplicate tensor name");
  expect_error(
      [&] {
        (void)write_safetensors({{"a", SafetensorsDtype::kF32, {2}, {0}}});
      },
      "data has 1 bytes; shape [2] of F32 needs 8");
}

TEST(SafetensorsIndexTest, WeightMap) {
  const auto idx = SafetensorsIndex::parse(R"({"metadata":{"total_size":1234},"weight_map":{
      "lm_head.weight":"model-00002-of-00002.safetensors",
      "model.embed_tokens.weight":"model-00001-of-00002.safetensors",
      "model.norm.weight":"model-00002-of-00002.safetensors"}})");
  EXPECT_EQ(idx.total_size(), 1234u);
  EXPECT_EQ(*idx.shard_of("lm_head.weight"), "model-00002-of-00002.safetensors");
  EXPECT_EQ(idx.shard_of("nope"), nullptr);
  EXPECT_EQ(idx.shards(), (std::vector<std::string>{"model-00001-of-00002.safetensors",
                                                    "model-00002-of-00002.safetensors"}));
  EXPECT_EQ(idx.weight_map().size(), 3u);
  expect_error([] { (void)SafetensorsIndex::parse(R"({"metadata":{}})", "i.json"); },
               "i.json: weight_map: missing or not an object");
  expect_error([] { (void)SafetensorsIndex::parse(R"({"weight_map":{"a":1}})"); },
               "weight_map.a: expected a shard file name, found number");
  expect_error([] { (void)SafetensorsIndex::parse(R"({"weight_map":{"a":"x","a":"y"}})"); },
               "duplicate key \"a\"");
  expect_error([] { (void)SafetensorsIndex::open("/nonexistent/model.safetensors.index.json"); },
               "cannot open file");
}

// ---------------------------------------------------------------------------------------------
// GPTQ / AWQ

/// Quantizes each output column W[:, n] of a K x N matrix with an mpsim format and collects the
/// codes, zero points and FP16 scale codes; `dequant` receives the quantizer's values.
GroupQuantWeight quantize_columns(const std::string& format, const std::vector<float>& w,
                                  std::size_t k, std::size_t n, std::vector<float>& dequant) {
  const auto q = num::builtin_formats().create(format);
  GroupQuantWeight out;
  out.k = k;
  out.n = n;
  out.bits = 4;
  out.group_size = 128;
  const std::size_t groups = (k + 127) / 128;
  out.codes.resize(k * n);
  out.zeros.resize(groups * n);
  out.scales.resize(groups * n);
  dequant.resize(k * n);
  std::vector<float> col(k);
  for (std::size_t c = 0; c < n; ++c) {
    for (std::size_t r = 0; r < k; ++r) col[r] = w[r * n + c];
    const num::QuantizedRow row = q->quantize(col);
    EXPECT_EQ(row.scales.size(), groups);
    for (std::size_t r = 0; r < k; ++r) {
      out.codes[r * n + c] = static_cast<std::uint8_t>(row.codes[r]);
      dequant[r * n + c] = row.values[r];
    }
    for (std::size_t g = 0; g < groups; ++g) {
      out.zeros[g * n + c] = static_cast<std::uint16_t>(*row.scales[g].zero);
      out.scales[g * n + c] = static_cast<std::uint16_t>(row.scales[g].scale_code);
    }
  }
  return out;
}

std::vector<std::uint32_t> bits_of(const std::vector<float>& v) {
  std::vector<std::uint32_t> b;
  for (const float x : v) b.push_back(std::bit_cast<std::uint32_t>(x));
  return b;
}

void expect_same(const GroupQuantWeight& a, const GroupQuantWeight& b) {
  EXPECT_EQ(a.k, b.k);
  EXPECT_EQ(a.n, b.n);
  EXPECT_EQ(a.codes, b.codes);
  EXPECT_EQ(a.zeros, b.zeros);
  EXPECT_EQ(a.scales, b.scales);
}

TEST(AwqGptq, AwqRoundTripMatchesInt4G128) {
  constexpr std::size_t K = 256, N = 24;
  const std::vector<float> w = random_values(K * N, 3);
  std::vector<float> ref;
  const GroupQuantWeight q = quantize_columns("int4_g128", w, K, N, ref);
  const AwqPacked p = pack_awq(q);
  EXPECT_EQ(p.qweight.size(), K * N / 8);
  EXPECT_EQ(p.qzeros.size(), 2 * N / 8);
  const GroupQuantWeight u = unpack_awq(p, K, N, 128);
  expect_same(u, q);
  EXPECT_EQ(bits_of(u.dequantize()), bits_of(ref));

  // Through a safetensors file, as AutoAWQ names the tensors.
  const auto file = SafetensorsFile::parse(write_safetensors({
      {"l.qweight", SafetensorsDtype::kI32, {K, N / 8}, bytes_of(p.qweight)},
      {"l.qzeros", SafetensorsDtype::kI32, {2, N / 8}, bytes_of(p.qzeros)},
      {"l.scales", SafetensorsDtype::kF16, {2, N}, bytes_of(p.scales)},
  }));
  expect_same(load_awq(file, "l"), q);
}

TEST(AwqGptq, AwqInterleavedNibbleOrder) {
  GroupQuantWeight w{
      8, 8, 4, 8, {}, std::vector<std::uint16_t>(8, 0), std::vector<std::uint16_t>(8, 0x3C00), {}};
  w.codes.assign(64, 0);
  for (std::uint8_t c = 0; c < 8; ++c) w.codes[c] = c;  // row 0: code = column
  for (std::uint16_t c = 0; c < 8; ++c) w.zeros[c] = static_cast<std::uint16_t>(15 - c);
  const AwqPacked p = pack_awq(w);
  EXPECT_EQ(static_cast<std::uint32_t>(p.qweight[0]), 0x75316420u);
  EXPECT_EQ(static_cast<std::uint32_t>(p.qzeros[0]), 0x8ACE9BDFu);
  expect_same(unpack_awq(p, 8, 8, 8), w);
  EXPECT_EQ(unpack_awq(p, 8, 8, 8).dequantize()[3], 3.0f - 12.0f);
}

TEST(AwqGptq, GptqRoundTripMatchesGptqInt4) {
  constexpr std::size_t K = 384, N = 16;
  std::vector<float> w = random_values(K * N, 4);
  for (std::size_t i = 0; i < w.size(); i += 40) w[i] = -3.0f;  // every group has a negative min
  std::vector<float> ref;
  const GroupQuantWeight q = quantize_columns("gptq_int4", w, K, N, ref);
  for (const auto z : q.zeros) ASSERT_GT(z, 0);
  const GptqPacked p = pack_gptq(q);
  EXPECT_EQ(p.qweight.size(), K / 8 * N);
  EXPECT_EQ(p.qzeros.size(), 3 * N / 8);
  const GroupQuantWeight u = unpack_gptq(p, K, N);
  expect_same(u, q);
  EXPECT_EQ(bits_of(u.dequantize()), bits_of(ref));

  const auto file = SafetensorsFile::parse(write_safetensors({
      {"l.qweight", SafetensorsDtype::kI32, {K / 8, N}, bytes_of(p.qweight)},
      {"l.qzeros", SafetensorsDtype::kI32, {3, N / 8}, bytes_of(p.qzeros)},
      {"l.scales", SafetensorsDtype::kF16, {3, N}, bytes_of(p.scales)},
      {"l.g_idx", SafetensorsDtype::kI32, {K}, bytes_of(u.g_idx)},
  }));
  expect_same(load_gptq(file, "l"), q);
  expect_error([&] { (void)load_gptq(file, "m"); }, "m.qweight: tensor not found");
}

TEST(AwqGptq, GptqSequentialPackingAndZeroOffset) {
  GroupQuantWeight w{8, 8, 4, 8, {}, {}, std::vector<std::uint16_t>(8, 0x3C00), {}};
  w.codes.assign(64, 0);
  for (std::size_t r = 0; r < 8; ++r) w.codes[r * 8] = static_cast<std::uint8_t>(r + 1);
  for (std::uint16_t c = 0; c < 8; ++c) w.zeros.push_back(static_cast<std::uint16_t>(c + 1));
  const GptqPacked v1 = pack_gptq(w);
  EXPECT_EQ(static_cast<std::uint32_t>(v1.qweight[0]), 0x87654321u);
  EXPECT_EQ(static_cast<std::uint32_t>(v1.qzeros[0]), 0x76543210u);  // zero - 1
  const GptqPacked v2 = pack_gptq(w, {.gptq_v1_zero_offset = false});
  EXPECT_EQ(static_cast<std::uint32_t>(v2.qzeros[0]), 0x87654321u);
  expect_same(unpack_gptq(v1, 8, 8, {.group_size = 8}), w);
  expect_same(unpack_gptq(v2, 8, 8, {.group_size = 8, .gptq_v1_zero_offset = false}), w);

  // A stored all-ones field loads as 16 in v1; zero 0 cannot be packed in v1.
  GptqPacked ones = v1;
  ones.qzeros[0] = -1;
  EXPECT_EQ(unpack_gptq(ones, 8, 8, {.group_size = 8}).zeros, std::vector<std::uint16_t>(8, 16));
  w.zeros[2] = 0;
  expect_error([&] { (void)pack_gptq(w); },
               "zeros[0][2]: zero point 0 cannot be stored in the GPTQ v1 format");
  EXPECT_EQ(unpack_gptq(pack_gptq(w, {.gptq_v1_zero_offset = false}), 8, 8,
                        {.group_size = 8, .gptq_v1_zero_offset = false})
                .zeros[2],
            0);
}

TEST(AwqGptq, Gptq2And8BitActOrderAndErrors) {
  std::mt19937 rng(5);
  for (const int bits : {2, 8}) {
    constexpr std::size_t K = 64, N = 32;
    GroupQuantWeight w;
    w.k = K;
    w.n = N;
    w.bits = bits;
    w.group_size = 16;
    const int levels = 1 << bits;
    for (std::size_t i = 0; i < K * N; ++i)
      w.codes.push_back(static_cast<std::uint8_t>(rng() % levels));
    for (std::size_t i = 0; i < 4 * N; ++i) {
      w.zeros.push_back(static_cast<std::uint16_t>(1 + rng() % levels));  // 1..2^bits in v1
      w.scales.push_back(num::fp32_to_fp16_bits(0.01f * static_cast<float>(1 + rng() % 100)));
    }
    for (std::size_t r = 0; r < K; ++r) w.g_idx.push_back(static_cast<std::int32_t>((r * 7) % 4));
    const GptqOptions o{.bits = bits, .group_size = 16};
    const GptqPacked p = pack_gptq(w, o);
    EXPECT_EQ(p.qweight.size(), K * bits / 32 * N);
    const GroupQuantWeight u = unpack_gptq(p, K, N, o);
    expect_same(u, w);
    EXPECT_EQ(u.g_idx, w.g_idx);
    const std::vector<float> d = u.dequantize();
    const std::size_t r = 5, c = 7, g = static_cast<std::size_t>(w.g_idx[r]);
    EXPECT_EQ(d[r * N + c], static_cast<float>(w.codes[r * N + c] - w.zeros[g * N + c]) *
                                num::fp16_bits_to_fp32(w.scales[g * N + c]));
    GptqPacked bad = p;
    bad.g_idx[3] = 4;
    expect_error([&] { (void)unpack_gptq(bad, K, N, o); },
                 "g_idx[3]: 4 is not a group index in [0, 4)");
    bad = p;
    bad.qzeros.pop_back();
    expect_error([&] { (void)unpack_gptq(bad, K, N, o); }, "qzeros: has");
  }
  expect_error([] { (void)unpack_gptq({}, 8, 8, {.bits = 3}); }, "bits: 3 is not supported");
  expect_error([] { (void)unpack_gptq({}, 12, 8); }, "must be positive multiples of 8");
  expect_error([] { (void)unpack_awq({}, 100, 8, 128); }, "multiple of the group size 128");
  GroupQuantWeight big{8,
                       8,
                       4,
                       8,
                       std::vector<std::uint8_t>(64, 16),
                       std::vector<std::uint16_t>(8, 1),
                       std::vector<std::uint16_t>(8, 0),
                       {}};
  expect_error([&] { (void)pack_awq(big); }, "codes[0][0]: 16 does not fit in 4 bits");
}

}  // namespace
}  // namespace mpsim::workload
