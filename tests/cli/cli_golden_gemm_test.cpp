// DESCRIPTION: The `mpsim golden gemm` contract, run as a process: hand-worked int8 and MXFP4
// products, int32 wrap-around, text and JSON output, exit statuses and every error message.
// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "run_mpsim.h"

namespace {

using mpsim::test::Result;
using mpsim::test::run;
using mpsim::test::TempFile;

using nlohmann::json;
using ::testing::HasSubstr;

TEST(CliGoldenGemm, Int8TwoByTwoByHand) {
  // int8 rounds to nearest even and keeps integers: A -> [[2, -2], [0, 3]], B -> [[1, 2], [3, -5]].
  // C = [[2*1 - 2*3, 2*2 - 2*-5], [0*1 + 3*3, 0*2 + 3*-5]] = [[-4, 14], [9, -15]].
  const TempFile b("b.txt", "1 2\n3 -4.6\n");
  const std::string args =
      "golden gemm --a - --b " + b.str() + " --m 2 --n 2 --k 2 --a-format int8 --b-format int8";
  const auto r = run(args, "1.5, -2\n0.4, 3\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "-4\n14\n9\n-15\n");
  const auto j = run(args + " --json", "1.5 -2 0.4 3");
  ASSERT_EQ(j.status, 0) << j.err;
  const auto o = json::parse(j.out);
  EXPECT_EQ(o["m"], 2);
  EXPECT_EQ(o["n"], 2);
  EXPECT_EQ(o["k"], 2);
  EXPECT_EQ(o["a_format"], "int8");
  EXPECT_EQ(o["b_format"], "int8");
  EXPECT_EQ(o["acc"], "int32");
  EXPECT_EQ(o["semantics"], "integer");
  EXPECT_EQ(o["acc_overflows"], 0);
  EXPECT_TRUE(o["used_onednn"].is_boolean());
  EXPECT_EQ(o["c"], json::parse("[-4, 14, 9, -15]"));
}

TEST(CliGoldenGemm, Mxfp4OneByOneByThirtyTwoByHand) {
  // One block of 32 along K. A = [6, 0.7, 1 x 30]: amax 6 -> scale 2^(2-2) = 1; 0.7 -> E2M1 0.5
  // (|0.7-0.5| < |0.7-1|); 6 and 1 exact. B = [0.3, 2, 0 x 30]: amax 2 -> scale 2^(1-2) = 0.5;
  // 0.3/0.5 = 0.6 -> 0.5 -> 0.25; 2/0.5 = 4 exact -> 2. C = 6*0.25 + 0.5*2 = 2.5 (exact: 3.2).
  std::string a = "6 0.7", b = "0.3\n2\n";
  for (int i = 0; i < 30; ++i) {
    a += " 1";
    b += "0\n";
  }
  const TempFile fa("a.txt", a), fb("b.txt", b);
  const std::string args = "golden gemm --a " + fa.str() + " --b " + fb.str() +
                           " --m 1 --n 1 --k 32 --a-format mxfp4 --b-format mxfp4";
  const auto r = run(args);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "2.5\n");
  const auto o = json::parse(run(args + " --json").out);
  EXPECT_EQ(o["semantics"], "block_exact");
  EXPECT_EQ(o["acc"], "fp32");
  EXPECT_EQ(o["c"], json::parse("[2.5]"));
  // With blocks of 16 A splits into [6, 0.7, 1 x 14] (unchanged) and [1 x 16] (scale 0.25, 1
  // exact); B's second block is all zero: C is still 2.5, and the format prints as mxfp4/b16.
  const auto b16 =
      json::parse(run("golden gemm --a " + fa.str() + " --b " + fb.str() +
                      " --m 1 --n 1 --k 32 --a-format mxfp4/b16 --b-format mxfp4/b16 --json")
                      .out);
  EXPECT_EQ(b16["a_format"], "mxfp4/b16");
  EXPECT_EQ(b16["c"], json::parse("[2.5]"));
  // fp32 x fp32 is the plain FMA chain: 6*0.3f rounds, then + 0.7*2 = 3.2 in FP32.
  const auto f = run("golden gemm --a " + fa.str() + " --b " + fb.str() +
                     " --m 1 --n 1 --k 32 --a-format fp32 --b-format fp32 --json");
  ASSERT_EQ(f.status, 0) << f.err;
  EXPECT_EQ(json::parse(f.out)["semantics"], "fp32_fma");
}

TEST(CliGoldenGemm, Int32WrapIsCountedInJson) {
  // uint8 255 x 255 = 65025; K = 33026 sums to 2147515650 > 2^31 - 1: int32 wraps once to
  // 2147515650 - 2^32 = -2147451646, which rounds to the FP32 -2147451648 (spacing 128).
  std::string a;
  for (int i = 0; i < 33026; ++i) a += "255 ";
  const TempFile fa("a.txt", a);
  const std::string args = "golden gemm --a " + fa.str() +
                           " --b - --m 1 --n 1 --k 33026 --a-format uint8 --b-format uint8 --json";
  const auto r = run(args, a);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto o = json::parse(r.out);
  EXPECT_EQ(o["acc"], "int32");
  EXPECT_EQ(o["acc_overflows"], 1);
  EXPECT_EQ(static_cast<float>(o["c"][0].get<double>()), -2147451648.0f);
  const auto wide = json::parse(run(args + " --acc int64", a).out);
  EXPECT_EQ(wide["acc_overflows"], 0);
  EXPECT_EQ(static_cast<float>(wide["c"][0].get<double>()), 2147515650.0f);
  const auto sat = json::parse(run(args + " --acc int32_sat", a).out);
  EXPECT_EQ(static_cast<float>(sat["c"][0].get<double>()), 2147483647.0f);
}

TEST(CliGoldenGemm, NonFiniteValuesInJson) {
  const auto r =
      run("golden gemm --a - --b - --m 1 --n 1 --k 1 --a-format fp32 --b-format fp32", "inf");
  EXPECT_EQ(r.status, 2);  // both from stdin is refused, see below
  const TempFile fb("b.txt", "2 nan");
  const auto o = run("golden gemm --a - --b " + fb.str() +
                         " --m 1 --n 2 --k 1 --a-format fp32 --b-format fp32 --json",
                     "-inf");
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("\"c\": [-Infinity, NaN]"));
  const auto t = run(
      "golden gemm --a - --b " + fb.str() + " --m 1 --n 2 --k 1 --a-format fp32 --b-format fp32",
      "-inf");
  EXPECT_EQ(t.out, "-inf\nnan\n");
}

TEST(CliGoldenGemmErrors, EveryMessage) {
  const TempFile b("b.txt", "1 2 3 4");
  const std::string shape = " --m 2 --n 2 --k 2 ";
  const auto missing = run("golden gemm --a /nonexistent/a.txt --b " + b.str() + shape +
                           "--a-format int8 --b-format int8");
  EXPECT_EQ(missing.status, 2);
  EXPECT_THAT(missing.err, HasSubstr("error: /nonexistent/a.txt: --a: cannot open input file"));
  EXPECT_EQ(missing.out, "");

  const auto count =
      run("golden gemm --a - --b " + b.str() + shape + "--a-format int8 --b-format int8", "1 2 3");
  EXPECT_EQ(count.status, 2);
  EXPECT_THAT(count.err,
              HasSubstr("error: <stdin>: --a: expected 4 numbers (M x K = 2 x 2), got 3"));
  const auto bcount =
      run("golden gemm --a - --b " + b.str() + " --m 1 --n 3 --k 2 --a-format int8 --b-format int8",
          "1 2");
  EXPECT_THAT(bcount.err,
              HasSubstr("error: " + b.str() + ": --b: expected 6 numbers (K x N = 2 x 3), got 4"));

  const auto fmt_bad = run("golden gemm --a - --b " + b.str() + shape +
                               "--a-format mxfp5 --b-format int8/b16 --acc int16",
                           "1 2 3 4");
  EXPECT_EQ(fmt_bad.status, 2);
  EXPECT_THAT(fmt_bad.err,
              HasSubstr("error: --a-format: unknown format 'mxfp5' (did you mean 'mxfp4'?)"));
  EXPECT_THAT(fmt_bad.err,
              HasSubstr("error: --b-format: format 'int8' is a scalar format and takes no block"));
  EXPECT_THAT(fmt_bad.err, HasSubstr("error: --acc: unknown accumulator 'int16' (known: auto, "
                                     "fp32, int32, int32_sat, int64)"));
  const auto opt_bad =
      run("golden gemm --a - --b " + b.str() + shape + "--a-format mxfp4/x7 --b-format mxfp4",
          "1 2 3 4");
  EXPECT_THAT(opt_bad.err, HasSubstr("error: --a-format: bad option 'x7' in format 'mxfp4/x7'"));

  const auto both =
      run("golden gemm --a - --b -" + shape + "--a-format int8 --b-format int8", "1 2 3 4");
  EXPECT_EQ(both.status, 2);
  EXPECT_THAT(both.err,
              HasSubstr("error: --b: only one of --a and --b may read standard input ('-')"));

  const auto dims =
      run("golden gemm --a - --b " + b.str() + " --m 0 --n 2 --k 2 --a-format int8 --b-format int8",
          "");
  EXPECT_THAT(dims.err, HasSubstr("error: --m: must be in [1, 16777216], got 0"));

  const auto acc = run(
      "golden gemm --a - --b " + b.str() + shape + "--a-format mxfp4 --b-format mxfp4 --acc int32",
      "1 2 3 4");
  EXPECT_EQ(acc.status, 2);
  EXPECT_THAT(acc.err, HasSubstr("error: --acc: block_exact accumulates in fp32, not int32"));
  const auto acc_int =
      run("golden gemm --a - --b " + b.str() + shape + "--a-format int8 --b-format int4 --acc fp32",
          "1 2 3 4");
  EXPECT_THAT(acc_int.err, HasSubstr("error: --acc: integer GEMMs accumulate in int32, int32_sat "
                                     "or int64, not fp32"));

  const auto token = run(
      "golden gemm --a - --b " + b.str() + shape + "--a-format int8 --b-format int8", "1 2\n3 x");
  EXPECT_EQ(token.status, 2);
  EXPECT_THAT(token.err, HasSubstr("error: <stdin>:2:3: bad number 'x'"));

  const auto required = run("golden gemm --a - --b -");
  EXPECT_EQ(required.status, 2);
  EXPECT_THAT(required.err, HasSubstr("is required"));
  const auto bare = run("golden");
  EXPECT_EQ(bare.status, 2);
}

}  // namespace
