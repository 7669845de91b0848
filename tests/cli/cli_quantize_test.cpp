// DESCRIPTION: The `mpsim quantize` contract, run as a process: input forms, text and JSON output,
// exit statuses and every error message.
// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "mpsim/app/number_text.h"
#include "mpsim/base/error.h"
#include "run_mpsim.h"

namespace {

using mpsim::test::Result;
using mpsim::test::run;
using mpsim::test::TempFile;

using ::testing::HasSubstr;
using ::testing::Not;

TEST(CliQuantize, WorkedExampleOneValuePerLine) {
  const auto r = run("quantize --format mxfp4", "0.3 -1.7 2.9 3.0 5.0 -11.0 0.0 7.0\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "0\n-2\n3\n3\n4\n-12\n0\n8\n");
}

TEST(CliQuantize, SeparatorsHexFloatsAndFp32Rounding) {
  // Commas, tabs, newlines; hex-float; 0.1 prints in shortest round-trip form of its FP32 value.
  const auto r = run("quantize --format fp16", "0x1.8p1,\t0.1\n-2e-3,,1e-8\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "3\n0.099975586\n-0.0020008087\n0\n");
  // 16777217 is not an FP32: it becomes 16777216 before quantizing (int formats see the FP32).
  const auto f = run("quantize --format int8 --overflow wrap", "16777217 129\n");
  EXPECT_EQ(f.out, "0\n-127\n");
}

TEST(CliQuantize, JsonHasValuesCodesAndScales) {
  const auto r =
      run("quantize --format mxfp4 --block 4 --json", "0.3 -1.7 2.9 3.0 5.0 -11.0 0.0 7.0");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["format"], "mxfp4");
  EXPECT_EQ(j["block"], 4);
  EXPECT_EQ(j["rounding"], "rne");
  EXPECT_EQ(j["values"], nlohmann::json::parse("[0.25, -1.5, 3, 3, 4, -12, 0, 8]"));
  // V/X = [0.6, -3.4, 5.8, 6 | 2.5, -5.5, 0, 3.5]: E2M1 indices 1, 8+5, 7, 7 | 4, 8+7, 0, 6.
  EXPECT_EQ(j["codes"], nlohmann::json::parse("[1, 13, 7, 7, 4, 15, 0, 6]"));
  // Block 1 amax 3 -> 2^(1-2) = 0.5 (E8M0 126); block 2 amax 11 -> 2 (E8M0 128).
  EXPECT_EQ(j["scales"], nlohmann::json::parse("[0.5, 2]"));
  EXPECT_EQ(j["scale_codes"], nlohmann::json::parse("[126, 128]"));
}

TEST(CliQuantize, ScalarJsonHasEmptyScalesAndNonFiniteValuesPrint) {
  const auto r = run("quantize --format fp8_e4m3 --overflow inf --json", "1 500 nan");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\"values\": [1, NaN, NaN]"));
  EXPECT_THAT(r.out, HasSubstr("\"codes\": [56, 127, 127]"));
  EXPECT_THAT(r.out, HasSubstr("\"scales\": []"));
  const auto t = run("quantize --format fp8_e5m2 --overflow inf", "-1e6 inf");
  EXPECT_EQ(t.out, "-inf\ninf\n");
}

TEST(CliQuantize, InputFileOption) {
  const auto path = std::filesystem::temp_directory_path() / "mpsim_cli_input.txt";
  std::ofstream(path) << "1.5\n2.5\n";
  const auto r = run("quantize --format int4 --rounding rna --input " + path.string(), "");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "2\n3\n");
  const auto rne = run("quantize --format int4 --input " + path.string(), "");
  EXPECT_EQ(rne.out, "2\n2\n");
  std::filesystem::remove(path);
  const auto missing = run("quantize --format int4 --input /nonexistent/x.txt", "");
  EXPECT_EQ(missing.status, 2);
  EXPECT_THAT(missing.err, HasSubstr("/nonexistent/x.txt: --input: cannot open input file"));
}

TEST(CliQuantizeErrors, UnknownFormatExits2WithClosestMatchAndKnownNames) {
  const auto r = run("quantize --format mxfp5", "1");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("error: --format: unknown format 'mxfp5' (did you mean 'mxfp4'?)"));
  EXPECT_THAT(r.err, HasSubstr("known formats: int2, int3"));
  EXPECT_THAT(r.err, HasSubstr("bipolar_int8"));
  EXPECT_EQ(r.out, "");
}

TEST(CliQuantizeErrors, BadTokensExit2NamingLineAndColumn) {
  const auto r = run("quantize --format int8", "1 2\n3 x4 5\n\n  abc\n");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("error: <stdin>:2:3: bad number 'x4'"));
  EXPECT_THAT(r.err, HasSubstr("error: <stdin>:4:3: bad number 'abc'"));
  EXPECT_EQ(r.out, "");  // nothing is printed for a partly bad row
}

TEST(CliQuantizeErrors, OptionsTheFormatDoesNotTake) {
  const auto r = run("quantize --format int8 --block 32", "1");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err,
              HasSubstr("--block: format 'int8' is a scalar format and takes no block size"));
  const auto g = run("quantize --format mxfp4 --group 32", "1");
  EXPECT_EQ(g.status, 2);
  EXPECT_THAT(g.err,
              HasSubstr("--group: format 'mxfp4' has blocks, not groups: use --block instead"));
  const auto o = run("quantize --format fp4_e2m1 --overflow inf", "1");
  EXPECT_EQ(o.status, 2);
  EXPECT_THAT(o.err, HasSubstr("does not support overflow 'inf' (supported: saturate)"));
  const auto m = run("quantize --format int8 --rounding nearest --overflow clamp", "1");
  EXPECT_EQ(m.status, 2);
  EXPECT_THAT(
      m.err,
      HasSubstr("--rounding: unknown rounding 'nearest' (known: rne, rna, rhu, rtz, floor)"));
  EXPECT_THAT(m.err,
              HasSubstr("--overflow: unknown overflow mode 'clamp' (known: saturate, inf, wrap)"));
  const auto b = run("quantize --format mxfp4 --block 0", "1");
  EXPECT_EQ(b.status, 2);
  EXPECT_THAT(b.err, HasSubstr("--block: block size must be in [1, 1048576], got 0"));
  const auto u = run("quantize --format", "");
  EXPECT_EQ(u.status, 2);
  const auto none = run("quantize", "");
  EXPECT_EQ(none.status, 2);
  EXPECT_THAT(none.err, HasSubstr("--format is required"));
}

TEST(NumberText, ParsesAllForms) {
  const auto v = mpsim::app::parse_numbers(" -0, +1.5e1\n0x1p-3\tinf -nan ", "t");
  ASSERT_EQ(v.size(), 5u);
  EXPECT_TRUE(std::signbit(v[0]));
  EXPECT_EQ(v[1], 15.0f);
  EXPECT_EQ(v[2], 0.125f);
  EXPECT_TRUE(std::isinf(v[3]));
  EXPECT_TRUE(std::isnan(v[4]));
  EXPECT_EQ(mpsim::app::parse_numbers("1e39", "t")[0], std::numeric_limits<float>::infinity());
  EXPECT_THROW(mpsim::app::parse_numbers("1.2.3", "t"), mpsim::ConfigError);
  EXPECT_THROW(mpsim::app::parse_numbers("nan(0x1)", "t"), mpsim::ConfigError);
  EXPECT_EQ(mpsim::app::format_float(0.1f), "0.1");
  EXPECT_EQ(mpsim::app::format_float(-0.0f), "-0");
  EXPECT_EQ(mpsim::app::format_float(1e-5f), "1e-05");
}

}  // namespace

namespace {

// Every registered format quantizes a row through the command line, and its JSON has one value and
// one code per input plus the per-block/group scales.
TEST(CliQuantize, EveryFormatThroughTheCommandLine) {
  const auto list = run("formats", "");
  ASSERT_EQ(list.status, 0);
  std::string input, positive;  // e8m0 has no sign: negative inputs are NaN there
  for (int i = 0; i < 70; ++i) {
    const double v = 0.37 * std::sin(i * 0.9) + (i == 9 ? 3 : 0);
    input += std::to_string(v) + " ";
    positive += std::to_string(std::fabs(v) + 0.01) + " ";
  }
  int formats = 0;
  std::istringstream lines(list.out);
  for (std::string line; std::getline(lines, line);) {
    const std::string name = line.substr(0, line.find(' '));
    const std::string& in = name == "e8m0" ? positive : input;
    const auto r = run("quantize --json --format " + name, in);
    ASSERT_EQ(r.status, 0) << name << ": " << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["format"], name);
    EXPECT_EQ(j["values"].size(), 70u) << name;
    EXPECT_EQ(j["codes"].size(), 70u) << name;
    EXPECT_EQ(j["scales"].size(), j["scale_codes"].size()) << name;
    if (j.contains("block") || j.contains("group")) {
      EXPECT_GT(j["scales"].size(), 0u) << name;
    }
    const auto text = run("quantize --format " + name, in);
    EXPECT_EQ(std::count(text.out.begin(), text.out.end(), '\n'), 70) << name;
    ++formats;
  }
  EXPECT_GE(formats, 48);
}

}  // namespace
