// DESCRIPTION: Quantization recipes: parsing, every validation error at once, glob matching, and
// application to traces (per-layer splitting preserves MACs).
// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "mpsim/base/error.h"
#include "mpsim/workload/model_config.h"
#include "mpsim/workload/presets.h"
#include "mpsim/workload/recipe.h"

namespace mpsim::workload {
namespace {

using ::testing::HasSubstr;

Trace tiny_decode() {
  ExpandOptions o;
  o.phase = Phase::kDecode;
  o.seq_len = 16;
  return expand(preset("tiny-llama"), o);
}

const Op& op_named(const Trace& t, const std::string& name) {
  for (const auto& op : t.ops)
    if (op.name == name) return op;
  throw std::runtime_error("no op " + name);
}

TEST(Recipe, GlobMatching) {
  EXPECT_TRUE(glob_match("blk.*.attn_*", "blk.3.attn_q.weight"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("a?c", "abc"));
  EXPECT_FALSE(glob_match("a?c", "ac"));
  EXPECT_FALSE(glob_match("blk.*.ffn_*", "blk.3.attn_q.weight"));
  EXPECT_TRUE(glob_match("*.weight", "output.weight"));
}

TEST(Recipe, DefaultsAndPerLayerRulesSplitRepeatedBlocks) {
  const Recipe r = parse_recipe_yaml(R"(
format_version: 1
name: t
defaults: {weights: int4_g128, activations: int8, kv_cache: bfp12, probs: fp8_e4m3}
rules:
  - {layers: [0], weights: int8}
  - {group: head, weights: {name: mxfp4, block: 16}}
)",
                                     "t.yaml");
  const Trace base = tiny_decode();
  const Trace q = apply_recipe(base, r);
  EXPECT_EQ(q.total_macs(), base.total_macs());
  // tiny-llama has 2 blocks: layer 0 int8 weights, layer 1 int4_g128.
  EXPECT_EQ(op_named(q, "blk.attn.q@0-0").b_format.name, "int8");
  EXPECT_EQ(op_named(q, "blk.attn.q@1-1").b_format.name, "int4_g128");
  EXPECT_EQ(op_named(q, "blk.attn.q@1-1").a_format.name, "int8");
  EXPECT_EQ(op_named(q, "blk.attn.q@1-1").repeat, 1);
  // Attention operands: K/V cache format on B, probs on the PV GEMM's A.
  EXPECT_EQ(op_named(q, "blk.attn.qk").b_format.name, "bfp12");
  EXPECT_EQ(op_named(q, "blk.attn.qk").a_format.name, "int8");
  EXPECT_EQ(op_named(q, "blk.attn.pv").a_format.name, "fp8_e4m3");
  EXPECT_EQ(op_named(q, "blk.attn.pv").b_format.name, "bfp12");
  EXPECT_EQ(op_named(q, "head.lm").b_format.str(), "mxfp4/b16");
  // Norm weights are not GEMM weights: untouched.
  EXPECT_EQ(op_named(q, "blk.attn_norm").b_format, op_named(base, "blk.attn_norm").b_format);
}

TEST(Recipe, MatchSelectsByTensorNameWithTheLayerFilledIn) {
  const Recipe r = parse_recipe_yaml(R"(
rules:
  - {match: "blk.1.ffn_*", weights: nf4}
)",
                                     "t.yaml");
  const Trace q = apply_recipe(tiny_decode(), r);
  EXPECT_EQ(op_named(q, "blk.ffn.up@1-1").b_format.name, "nf4");
  EXPECT_EQ(op_named(q, "blk.ffn.up@0-0").b_format.name, "fp16");
  EXPECT_EQ(op_named(q, "blk.attn.q").b_format.name, "fp16");  // not split: no rule applies
}

TEST(Recipe, NegativeLayersCountFromTheEndAndLaterRulesWin) {
  const Recipe r = parse_recipe_yaml(R"(
rules:
  - {group: mlp, weights: int8}
  - {layers: [-1], weights: nf4}
)",
                                     "t.yaml");
  const Trace q = apply_recipe(tiny_decode(), r);
  EXPECT_EQ(op_named(q, "blk.ffn.up@1-1").b_format.name, "nf4");  // last layer: later rule wins
  EXPECT_EQ(op_named(q, "blk.ffn.up@0-0").b_format.name, "int8");
  EXPECT_EQ(op_named(q, "blk.attn.q@1-1").b_format.name, "nf4");
}

TEST(Recipe, OutlierBlocksAndReorderParse) {
  const Recipe r = parse_recipe_yaml(R"(
kv_reorder: true
outlier_blocks: {block: 64, format: int8, threshold: 4.5}
defaults: {activations: int4}
)",
                                     "t.yaml");
  EXPECT_TRUE(r.kv_reorder);
  EXPECT_TRUE(r.outlier_blocks.enabled);
  EXPECT_EQ(r.outlier_blocks.block, 64);
  EXPECT_EQ(r.outlier_blocks.threshold, 4.5);
}

TEST(Recipe, EveryErrorAtOnceWithPositions) {
  try {
    parse_recipe_yaml(R"(format_version: 2
defaults: {weigths: int4_g128, activations: int9}
rules:
  - {group: mlp}
  - {kind: conv, weights: mxfp4, layers: [a]}
outlier_blocks: {block: 0}
)",
                      "bad.yaml");
    FAIL() << "no throw";
  } catch (const ConfigError& e) {
    const std::string all = e.what();
    EXPECT_THAT(all, HasSubstr("bad.yaml:1:17: format_version: unsupported version 2"));
    EXPECT_THAT(
        all, HasSubstr("bad.yaml:2:12: defaults.weigths: unknown key (did you mean 'weights'?)"));
    EXPECT_THAT(all, HasSubstr("defaults.activations: unknown format 'int9'"));
    EXPECT_THAT(all, HasSubstr("bad.yaml:4:5: rules[0]: the rule sets no format"));
    EXPECT_THAT(all, HasSubstr("rules[1].kind: unknown op kind 'conv'"));
    EXPECT_THAT(all, HasSubstr("rules[1].layers[0]: expected an integer"));
    EXPECT_THAT(all, HasSubstr("outlier_blocks.block: must be positive, got 0"));
    EXPECT_EQ(e.diagnostics().size(), 7u) << all;
  }
}

TEST(Recipe, ShippedExamplesLoadAndApply) {
  const std::filesystem::path dir = std::filesystem::path(MPSIM_SOURCE_DIR) / "workloads/recipes";
  int n = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    const Recipe r = load_recipe(f.path());
    EXPECT_FALSE(r.name.empty()) << f.path();
    const Trace t = apply_recipe(tiny_decode(), r);
    EXPECT_EQ(t.total_macs(), tiny_decode().total_macs());
    ++n;
  }
  EXPECT_GE(n, 4);
  EXPECT_THROW(load_recipe("/nonexistent.yaml"), ConfigError);
}

}  // namespace
}  // namespace mpsim::workload
