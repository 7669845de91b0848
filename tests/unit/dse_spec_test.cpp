// DESCRIPTION: The DSE study spec: the default study loads and defines the expected box; points
// resolve to architectures and recipes with stable keys (equal designs share a key, different ones
// do not); a spec with many mistakes reports every one with file:line:column and field.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <set>

#include "mpsim/base/error.h"
#include "mpsim/dse/spec.h"

namespace mpsim::dse {
namespace {

const std::filesystem::path kSrc = MPSIM_SOURCE_DIR;

TEST(DseSpec, DefaultStudyLoadsWithItsBox) {
  const StudySpec s = load_study(kSrc / "dse/spaces/default.yaml");
  EXPECT_EQ(s.name, "default");
  ASSERT_EQ(s.families.size(), 5u);
  EXPECT_EQ(s.knob_names(), (std::vector<std::string>{"arch.pe.type", "arch.array.rows",
                                                      "arch.array.cols", "arch.buffers.weight.kib",
                                                      "precision.attn", "precision.mlp"}));
  // families 5; rows 3 (int4_tc's own 3); cols 2; weight buffer 2; precisions: the most any family
  // has (3) for each of the two groups.
  EXPECT_EQ(s.cardinality(), (std::vector<std::uint32_t>{5, 3, 2, 2, 3, 3}));
  EXPECT_EQ(s.size(), 5u * 3 * 2 * 2 * 3 * 3);
  EXPECT_EQ(s.objectives, (std::vector<std::string>{"latency", "energy", "area", "accuracy"}));
  ASSERT_EQ(study_traces(s).size(), 2u);
}

TEST(DseSpec, PointsResolveToDesignsWithStableDistinctKeys) {
  const StudySpec s = load_study(kSrc / "dse/spaces/default.yaml");
  // int8_mac (family 0), 32 rows, 16 cols, 512 KiB weights, attn w4a8, mlp fp16.
  const ResolvedPoint a = resolve(s, {0, 1, 0, 1, 1, 2});
  EXPECT_EQ(a.family, "int8_mac");
  EXPECT_EQ(a.arch.rows, 32);
  EXPECT_EQ(a.arch.cols, 16);
  EXPECT_EQ(a.arch.weight_buf.kib, 512);
  EXPECT_EQ(a.knobs.at("precision.attn"), "w4a8");
  EXPECT_EQ(a.knobs.at("precision.mlp"), "fp16");
  ASSERT_EQ(a.recipe.rules.size(), 2u);
  EXPECT_EQ(a.recipe.rules[0].group, "attn");
  EXPECT_EQ(a.recipe.rules[0].formats.weights->name, "int4");
  EXPECT_EQ(a.recipe.rules[1].formats.activations->name, "fp16");
  EXPECT_EQ(a.recipe.defaults.kv_cache->name, "int8");
  EXPECT_EQ(resolve(s, {0, 1, 0, 1, 1, 2}).key, a.key);  // stable
  EXPECT_EQ(a.key.size(), 32u);

  // int4_tc (family 4) takes its own MMA-unit counts: index 2 of rows is 4 units.
  const ResolvedPoint t = resolve(s, {4, 2, 1, 0, 0, 0});
  EXPECT_EQ(t.arch.rows, 4);
  EXPECT_EQ(t.arch.cols, 2);
  // block_fp has two precisions: index 2 wraps to index 0, the same design and key.
  EXPECT_EQ(resolve(s, {1, 0, 0, 0, 2, 0}).key, resolve(s, {1, 0, 0, 0, 0, 0}).key);
  EXPECT_EQ(resolve(s, {1, 0, 0, 0, 2, 0}).knobs.at("precision.attn"), "mx8");

  // Every distinct design has its own key.
  std::set<std::string> keys;
  std::set<std::string> designs;
  Point p(6, 0);
  const auto card = s.cardinality();
  for (std::uint64_t i = 0; i < s.size(); ++i) {
    std::uint64_t r = i;
    for (std::size_t k = 0; k < p.size(); ++k) {
      p[k] = static_cast<std::uint32_t>(r % card[k]);
      r /= card[k];
    }
    const ResolvedPoint rp = resolve(s, p);
    std::string d;
    for (const auto& [k, v] : rp.knobs) d += k + "=" + v + ";";
    designs.insert(d);
    keys.insert(rp.key);
  }
  EXPECT_EQ(keys.size(), designs.size());
  EXPECT_LT(keys.size(), s.size());  // wrapped indices collapse
}

TEST(DseSpec, EveryMistakeIsReportedAtOnceWithPosition) {
  try {
    load_study(kSrc / "tests/data/dse/bad_study.yaml");
    FAIL() << "the bad study must not load";
  } catch (const ConfigError& e) {
    std::string all;
    for (const auto& d : e.diagnostics()) all += d.str() + "\n";
    for (const char* want :
         {"bad_study.yaml:4:13: workloads[0].model: unknown model preset 'llama2-7bb'",
          "workloads[0].phase: unknown phase 'decodee'", "workloads[0].weight: must be > 0",
          "precisions.w8a8.activations", "precisions.mx4.actvations: unknown key",
          "families.int8_mac.precisions[1]: no precision 'w4a4'",
          "families.int9_mac: unknown PE family 'int9_mac'", "knobs.arch.array.rows[1]",
          "knobs.arch.pe.type: the PE family is chosen by `families`",
          "objectives[1]: unknown objective 'energie'", "constraints.area_max: unknown key"}) {
      EXPECT_NE(all.find(want), std::string::npos) << "missing: " << want << "\n" << all;
    }
    EXPECT_GE(e.diagnostics().size(), 11u) << all;
  }
}

}  // namespace
}  // namespace mpsim::dse
