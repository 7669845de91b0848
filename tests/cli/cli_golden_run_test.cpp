// DESCRIPTION: `mpsim golden run` as a process: the error table, end-to-end line, and errors.
// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "run_mpsim.h"

namespace {

using mpsim::test::Result;
using mpsim::test::run;
using mpsim::test::TempFile;

using ::testing::HasSubstr;

TEST(CliGoldenRun, TableAndEndToEndForAPresetWithARecipe) {
  const std::string recipe = std::string(MPSIM_SOURCE_DIR) + "/workloads/recipes/mxfp4_mxfp8.yaml";
  const auto r = run("golden run --workload tiny-llama --recipe " + recipe + " --seed 3");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("golden run: tiny-llama with recipe mxfp4-w-mxfp8-a"));
  EXPECT_THAT(r.out, HasSubstr("a=mxfp8_e4m3 b=mxfp4 out=fp16 acc=fp32"));
  EXPECT_THAT(r.out, HasSubstr("blk.attn.qk"));
  EXPECT_THAT(r.out,
              HasSubstr("end to end (2 blocks, 16 tokens, vs FP32, K/V channels reordered): sqnr"));
  // Deterministic for a seed.
  EXPECT_EQ(run("golden run --workload tiny-llama --recipe " + recipe + " --seed 3").out, r.out);
}

TEST(CliGoldenRun, ErrorsExit2) {
  const auto r = run("golden run --workload tiny-llama --recipe /nonexistent.yaml --blocks 0");
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("error: --blocks: must be >= 1, got 0"));
  EXPECT_THAT(r.err, HasSubstr("error: /nonexistent.yaml: --recipe: cannot open recipe file"));
  const auto w = run("golden run --workload llama9-70b");
  EXPECT_EQ(w.status, 2);
  EXPECT_THAT(w.err, HasSubstr("llama9-70b"));
  const auto none = run("golden run");
  EXPECT_EQ(none.status, 2);
}

}  // namespace
