// DESCRIPTION: golden_run: per-op error tables and the reduced-model end-to-end run respond to the
// recipe the way quantization theory says they must.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cmath>

#include "mpsim/golden/model_run.h"
#include "mpsim/workload/model_config.h"
#include "mpsim/workload/presets.h"

namespace mpsim::golden {
namespace {

using workload::ExpandOptions;
using workload::Phase;

workload::Trace tiny_llama() {
  ExpandOptions o;
  o.phase = Phase::kPrefill;
  o.seq_len = 16;
  return workload::expand(workload::preset("tiny-llama"), o);
}

workload::Recipe recipe(const std::string& w, const std::string& a, const std::string& kv) {
  workload::Recipe r;
  r.name = w + "/" + a + "/" + kv;
  r.defaults.weights = num::FormatSpec::parse(w);
  r.defaults.activations = num::FormatSpec::parse(a);
  r.defaults.kv_cache = num::FormatSpec::parse(kv);
  r.defaults.probs = num::FormatSpec::parse(a);
  r.defaults.output = num::FormatSpec{"fp32", {}};
  return r;
}

const OpErrorRow& row(const GoldenRunReport& r, const std::string& op) {
  for (const auto& x : r.ops)
    if (x.op == op) return x;
  throw std::runtime_error("no row " + op);
}

TEST(GoldenRun, Fp32RecipeIsExactEndToEndAndNearExactPerOp) {
  const auto& mc = workload::preset("tiny-llama");
  const auto r = recipe("fp32", "fp32", "fp32");
  const GoldenRunReport rep = golden_run(tiny_llama(), &r, &mc, {});
  ASSERT_TRUE(rep.end_to_end);
  EXPECT_TRUE(std::isinf(rep.end_to_end->sqnr_db));  // the quantized path IS the FP32 model
  for (const auto& x : rep.ops) EXPECT_GT(x.error.sqnr_db, 100.0) << x.op;  // FP32 vs FP64 only
}

TEST(GoldenRun, FewerBitsMeanMoreErrorPerOpAndEndToEnd) {
  const auto& mc = workload::preset("tiny-llama");
  const auto r8 =
      recipe("mxint8", "mxint8", "fp16");  // block-scaled INT8 (plain int8 has no scale)
  const auto r4 = recipe("int4_g32", "fp16", "fp16");
  const auto r2 = recipe("int2", "fp16", "fp16");
  const auto e8 = golden_run(tiny_llama(), &r8, &mc, {});
  const auto e4 = golden_run(tiny_llama(), &r4, &mc, {});
  const auto e2 = golden_run(tiny_llama(), &r2, &mc, {});
  // Per-op: the weight GEMM's SQNR falls with the weight bits (int2 is almost all clipping).
  EXPECT_GT(row(e4, "blk.ffn.up").error.sqnr_db, row(e2, "blk.ffn.up").error.sqnr_db + 10);
  EXPECT_GT(e4.end_to_end->sqnr_db, e2.end_to_end->sqnr_db + 5);
  EXPECT_GT(e8.end_to_end->sqnr_db, 10.0);
  // Plausible ranges on this data (measured: see the test's output).
  EXPECT_GT(row(e4, "blk.ffn.up").error.sqnr_db, 12.0);
  EXPECT_LT(row(e4, "blk.ffn.up").error.sqnr_db, 35.0);
  std::printf("%s", format_report(e4).c_str());
}

TEST(GoldenRun, PerLayerRecipeChangesOnlyThatLayersOps) {
  auto r = recipe("int4_g32", "fp16", "fp16");
  workload::RecipeRule keep_first;
  keep_first.layers = {0};
  keep_first.formats.weights = num::FormatSpec{"fp16", {}};
  r.rules.push_back(keep_first);
  const auto& mc = workload::preset("tiny-llama");
  const auto rep = golden_run(tiny_llama(), &r, &mc, {});
  EXPECT_GT(row(rep, "blk.ffn.up@0-0").error.sqnr_db,
            row(rep, "blk.ffn.up@1-1").error.sqnr_db + 15);
  // Keeping layer 0 at FP16 beats quantizing it end to end.
  const auto all4 = recipe("int4_g32", "fp16", "fp16");
  EXPECT_GT(rep.end_to_end->sqnr_db, golden_run(tiny_llama(), &all4, &mc, {}).end_to_end->sqnr_db);
}

TEST(GoldenRun, OutlierBlocksRescueW4A4) {
  const auto& mc = workload::preset("tiny-llama");
  auto plain = recipe("int4_g32", "int4_g32", "fp16");
  auto comet = plain;
  comet.outlier_blocks.enabled = true;
  comet.outlier_blocks.block = 32;
  comet.outlier_blocks.format = num::FormatSpec{"mxint8", {}};
  comet.outlier_blocks.threshold = 6.0;
  const auto a = golden_run(tiny_llama(), &plain, &mc, {});
  const auto b = golden_run(tiny_llama(), &comet, &mc, {});
  EXPECT_GT(row(b, "blk.attn.q").error.sqnr_db, row(a, "blk.attn.q").error.sqnr_db);
}

TEST(GoldenRun, VisionEndToEndAndSwinPerOpOnly) {
  const auto& vit = workload::preset("tiny-vit");
  const auto tv = workload::expand(vit, ExpandOptions{});
  const auto r = recipe("mxfp4", "mxfp8_e4m3", "mxfp8_e4m3");
  const auto rv = golden_run(tv, &r, &vit, {});
  ASSERT_TRUE(rv.end_to_end);
  EXPECT_GT(rv.end_to_end->sqnr_db, 5.0);
  const auto& swin = workload::preset("tiny-swin");
  const auto rs = golden_run(workload::expand(swin, ExpandOptions{}), &r, &swin, {});
  EXPECT_FALSE(rs.end_to_end);
  EXPECT_EQ(rs.ops.size(),
            workload::apply_recipe(workload::expand(swin, ExpandOptions{}), r).ops.size());
}

TEST(GoldenRun, CacheReusesWeightsAndReferenceWithoutChangingResults) {
  const auto& mc = workload::preset("tiny-llama");
  GoldenRunCache cache;
  GoldenRunOptions cached;
  cached.cache = &cache;
  cached.end_to_end_only = true;
  for (const auto& r : {recipe("mxint8", "mxint8", "fp16"), recipe("int4_g32", "fp16", "fp16"),
                        recipe("mxint8", "mxint8", "fp16")}) {
    const auto plain = golden_run(tiny_llama(), &r, &mc, {});
    const auto fast = golden_run(tiny_llama(), &r, &mc, cached);
    ASSERT_TRUE(plain.end_to_end && fast.end_to_end);
    EXPECT_EQ(plain.end_to_end->sqnr_db, fast.end_to_end->sqnr_db) << r.name;
    EXPECT_EQ(plain.end_to_end->max_abs, fast.end_to_end->max_abs) << r.name;
    EXPECT_TRUE(fast.ops.empty());  // end_to_end_only skips the per-op table
    EXPECT_FALSE(plain.ops.empty());
  }
}

TEST(GoldenRun, SameSeedSameReport) {
  const auto& mc = workload::preset("tiny-llama");
  const auto r = recipe("nf4", "int8", "bfp12");
  const auto a = golden_run(tiny_llama(), &r, &mc, {});
  const auto b = golden_run(tiny_llama(), &r, &mc, {});
  EXPECT_EQ(format_report(a), format_report(b));
}

}  // namespace
}  // namespace mpsim::golden
