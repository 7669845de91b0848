// DESCRIPTION: The format registry: every canonical name of the issue/spec list is registered,
// quantizes a row consistently, and bad names/options give every problem at once.
// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "mpsim/base/error.h"
#include "mpsim/numerics/quantizer.h"

namespace mpsim::num {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string>& required_names() {
  static const std::vector<std::string> v = {
      "int2",         "int3",         "int4",         "int5",         "int6",
      "int7",         "int8",         "uint2",        "uint3",        "uint4",
      "uint5",        "uint6",        "uint7",        "uint8",        "fp16",
      "bf16",         "fp8_e4m3",     "fp8_e5m2",     "fp6_e3m2",     "fp6_e2m3",
      "fp4_e2m1",     "e8m0",         "mxfp8_e4m3",   "mxfp8_e5m2",   "mxfp6_e3m2",
      "mxfp6_e2m3",   "mxfp4",        "mxint8",       "bfp12",        "bfp16",
      "nf4",          "int4_g32",     "int4_g64",     "int4_g128",    "gptq_int4",
      "qserve_w4a8",  "q4_0",         "q8_0",         "q4_k",         "bitmod_fp4",
      "bitmod_fp3",   "bipolar_int2", "bipolar_int3", "bipolar_int4", "bipolar_int5",
      "bipolar_int6", "bipolar_int7", "bipolar_int8"};
  return v;
}

TEST(FormatRegistry, EveryCanonicalNameIsRegisteredOnce) {
  const auto names = builtin_formats().names();
  for (const auto& n : required_names())
    EXPECT_EQ(std::count(names.begin(), names.end(), n), 1) << n;
  for (const auto& n : names) {
    EXPECT_EQ(n, [&] {
      std::string l = n;
      for (auto& c : l) c = static_cast<char>(std::tolower(c));
      return l;
    }()) << "names are lower-case";
  }
}

// Contract of every quantizer, checked for every registered format (new formats get it for free).
TEST(FormatRegistry, EveryFormatQuantizesDeterministicallyAndDequantizesToItsValues) {
  std::mt19937 rng(11);
  std::normal_distribution<float> n(0.0f, 1.0f);
  std::vector<float> x(300);  // not a multiple of any block size: exercises the partial tail
  for (auto& v : x) v = n(rng);
  x[5] = 8.0f;  // an outlier
  for (const auto& name : builtin_formats().names()) {
    const auto q = builtin_formats().create(name);
    const auto a = q->quantize(x);
    const auto b = q->quantize(x);
    ASSERT_EQ(a.values.size(), x.size()) << name;
    ASSERT_EQ(a.codes.size(), x.size()) << name;
    EXPECT_EQ(a.format, name);
    EXPECT_EQ(a.codes, b.codes) << name;
    const auto d = q->dequantize(a);
    ASSERT_EQ(d.size(), x.size()) << name;
    for (std::size_t i = 0; i < x.size(); ++i) {
      ASSERT_TRUE(std::bit_cast<std::uint32_t>(d[i]) == std::bit_cast<std::uint32_t>(a.values[i]) ||
                  (std::isnan(d[i]) && std::isnan(a.values[i])))
          << name << " element " << i;
      EXPECT_LT(std::uint64_t{a.codes[i]}, std::uint64_t{1} << q->info().element_bits) << name;
    }
  }
}

// quantize(dequantize(q)) == q: re-quantizing the dequantized values reproduces codes and values.
// Two exceptions by construction: qserve_w4a8's reconstruction may reach +-127 * s1 (the protective
// range allows it), so the re-derived channel scale fp16(amax / 119) changes; q4_k's reference
// quantizer is a weighted least-squares search over 21 candidate scales, which on the dequantized
// grid may find a different (scale, min) pair.
TEST(FormatRegistry, RequantizingDequantizedValuesReproducesTheCodes) {
  std::mt19937 rng(5);
  std::normal_distribution<float> n(0.0f, 1.0f);
  for (const auto& name : builtin_formats().names()) {
    if (name == "qserve_w4a8" || name == "q4_k") continue;
    const auto q = builtin_formats().create(name);
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<float> x(300);
      for (auto& v : x) v = name == "e8m0" ? 1.5f + std::fabs(n(rng)) : n(rng) * (trial + 1);
      const auto a = q->quantize(x);
      const auto b = q->quantize(a.values);
      ASSERT_EQ(a.codes, b.codes) << name << " trial " << trial;
      ASSERT_EQ(a.scales, b.scales) << name << " trial " << trial;
    }
  }
  // ...and the qserve exception really is one (so the skip is not hiding a bug).
  const auto qs = builtin_formats().create("qserve_w4a8");
  std::vector<float> x(128);
  for (int i = 0; i < 128; ++i) x[i] = static_cast<float>(i % 17) - 8.3f;
  const auto a = qs->quantize(x);
  EXPECT_NE(a.row_params.at("channel_scale"),
            qs->quantize(a.values).row_params.at("channel_scale"));
}

TEST(FormatRegistry, UnknownNameListsClosestMatchAndAllNames) {
  try {
    builtin_formats().create("mxfp5");
    FAIL() << "no throw";
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u);
    EXPECT_EQ(e.diagnostics()[0].field, "--format");
    EXPECT_THAT(e.what(), HasSubstr("unknown format 'mxfp5' (did you mean 'mxfp4'?)"));
    for (const auto& n : required_names()) EXPECT_THAT(e.what(), HasSubstr(n));
  }
  try {
    builtin_formats().create("FP8_E4M3");
    FAIL() << "no throw";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("did you mean 'fp8_e4m3'?"));
  }
}

TEST(FormatRegistry, ReportsEveryBadOptionAtOnce) {
  QuantizeOptions o;
  o.block = 16;
  o.group = 8;
  o.overflow = Overflow::kWrap;
  o.scale_rule = ScaleRule::kCeil;
  try {
    builtin_formats().create("fp8_e4m3", o);
    FAIL() << "no throw";
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.diagnostics().size(), 4u) << e.what();
    EXPECT_THAT(e.diagnostics()[0].message, HasSubstr("scalar format and takes no block size"));
    EXPECT_THAT(e.diagnostics()[1].message, HasSubstr("scalar format and takes no group size"));
    EXPECT_THAT(e.diagnostics()[2].message,
                HasSubstr("does not support overflow 'wrap' (supported: saturate, inf)"));
    EXPECT_THAT(e.diagnostics()[3].message, HasSubstr("MX formats only"));
  }
  QuantizeOptions g;
  g.group = 32;
  EXPECT_THROW(
      {
        try {
          builtin_formats().create("mxfp4", g);
        } catch (const ConfigError& e) {
          EXPECT_THAT(e.what(), HasSubstr("has blocks, not groups: use --block instead"));
          throw;
        }
      },
      ConfigError);
}

TEST(FormatRegistry, DefaultsFollowTheSpecDecisions) {
  const auto& r = builtin_formats();
  EXPECT_EQ(r.resolve(*r.find("mxfp4"), {}).size, 32);
  EXPECT_EQ(r.resolve(*r.find("bfp12"), {}).size, 32);
  EXPECT_EQ(r.resolve(*r.find("fp8_e4m3"), {}).overflow, Overflow::kSaturate);
  EXPECT_EQ(r.resolve(*r.find("fp16"), {}).overflow, Overflow::kInfNan);
  EXPECT_EQ(r.resolve(*r.find("mxfp4"), {}).rounding, Rounding::kNearestEven);
  EXPECT_EQ(r.resolve(*r.find("mxfp4"), {}).scale_rule, ScaleRule::kFloor);
}

}  // namespace
}  // namespace mpsim::num

namespace mpsim::num {
namespace {

TEST(FormatSpec, TextRoundTripAndErrors) {
  const FormatSpec f = FormatSpec::parse("mxfp4/b16/rna/scale_ceil");
  EXPECT_EQ(f.name, "mxfp4");
  EXPECT_EQ(f.options.block, 16);
  EXPECT_EQ(f.options.rounding, Rounding::kNearestAway);
  EXPECT_EQ(f.options.scale_rule, ScaleRule::kCeil);
  EXPECT_EQ(f.str(), "mxfp4/b16/rna/scale_ceil");
  EXPECT_EQ(FormatSpec::parse(f.str()), f);
  EXPECT_EQ(FormatSpec::parse("gptq_int4/g64").options.group, 64);
  EXPECT_EQ(FormatSpec::parse("int8/wrap").options.overflow, Overflow::kWrap);
  EXPECT_EQ(FormatSpec::parse("int8").str(), "int8");
  EXPECT_THROW(FormatSpec::parse("int8/bx"), ConfigError);
  EXPECT_THROW(FormatSpec::parse("int8/nearest"), ConfigError);
  EXPECT_EQ(FormatSpec::parse("mxfp4/b16").make_quantizer()->quantize(std::vector<float>(20, 1.0f)).scales.size(), 2u);
}

}  // namespace
}  // namespace mpsim::num

namespace mpsim::num {
namespace {

TEST(FormatSpec, StorageBitsPerElementIncludeScales) {
  EXPECT_DOUBLE_EQ(bits_per_element(FormatSpec::parse("mxfp4")), 4.25);  // workloads.md §2.5
  EXPECT_DOUBLE_EQ(bits_per_element(FormatSpec::parse("mxfp8_e4m3")), 8.25);
  EXPECT_DOUBLE_EQ(bits_per_element(FormatSpec::parse("mxfp4/b16")), 4.5);
  EXPECT_DOUBLE_EQ(bits_per_element(FormatSpec::parse("q4_0")), 4.5);   // 18 bytes / 32
  EXPECT_DOUBLE_EQ(bits_per_element(FormatSpec::parse("q8_0")), 8.5);   // 34 bytes / 32
  EXPECT_DOUBLE_EQ(bits_per_element(FormatSpec::parse("q4_k")), 4.5);   // 144 bytes / 256
  EXPECT_DOUBLE_EQ(bits_per_element(FormatSpec::parse("nf4")), 4.5);
  EXPECT_DOUBLE_EQ(bits_per_element(FormatSpec::parse("int4_g128")), 4 + 20.0 / 128);
  EXPECT_DOUBLE_EQ(bits_per_element(FormatSpec::parse("fp16")), 16);
  EXPECT_DOUBLE_EQ(bits_per_element(FormatSpec::parse("bfp12")), 4.25);
  EXPECT_THROW(bits_per_element(FormatSpec::parse("fp5")), ConfigError);
}

}  // namespace
}  // namespace mpsim::num
