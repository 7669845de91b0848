// DESCRIPTION: Every PE family runs a tiny LLM (prefill and decode) and a tiny ViT end to end with
// every GEMM output checked against the golden model, and a corrupted array is caught with op, tile
// and element. SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "mpsim/core/arch_spec.h"
#include "mpsim/core/engine.h"
#include "mpsim/workload/model_config.h"
#include "mpsim/workload/presets.h"
#include "mpsim/workload/recipe.h"

namespace mpsim::sim {
namespace {

const std::string kSrc = MPSIM_SOURCE_DIR;

struct Case {
  const char* config;
  const char* recipe;
};

workload::Trace tiny(const std::string& model, workload::Phase phase, std::int64_t seq,
                     const std::string& recipe) {
  workload::ExpandOptions o;
  o.phase = phase;
  o.seq_len = seq;
  workload::Trace t = workload::expand(workload::preset(model), o);
  return workload::apply_recipe(
      t, workload::load_recipe(kSrc + "/workloads/recipes/" + recipe + ".yaml"));
}

std::int64_t gemm_outputs(const workload::Trace& t) {
  std::int64_t n = 0;
  for (const auto& op : t.ops)
    if (workload::is_gemm_like(op.kind)) n += op.m * op.n;
  return n;
}

class EveryFamily : public ::testing::TestWithParam<Case> {};

TEST_P(EveryFamily, TinyLlmAndVitBlocksMatchTheGoldenModel) {
  const Case& c = GetParam();
  const ArchSpec arch =
      load_arch(kSrc + "/sim/configs/" + c.config + ".yaml", {Override{"arch.array.rows", "8"}});
  SimOptions o;
  o.check.kind = CheckMode::kFull;
  for (const auto& t : {tiny("tiny-llama", workload::Phase::kPrefill, 24, c.recipe),
                        tiny("tiny-llama", workload::Phase::kDecode, 40, c.recipe),
                        tiny("tiny-vit", workload::Phase::kNone, 0, c.recipe)}) {
    Engine e(arch, o);
    const RunStats r = e.run(t);
    ASSERT_TRUE(r.feasible) << r.infeasible_reason;
    EXPECT_TRUE(r.mismatches.empty())
        << r.mismatches.front().op << " (" << r.mismatches.front().m << ","
        << r.mismatches.front().n << ") expected " << r.mismatches.front().expected << " got "
        << r.mismatches.front().actual;
    EXPECT_EQ(r.checked_outputs, gemm_outputs(t));
    EXPECT_GT(r.energy.total(), 0);
    for (const auto& op : r.ops) {
      if (op.macs > 0) {
        EXPECT_NE(op.reference, "") << op.op;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Families, EveryFamily,
                         ::testing::Values(Case{"int8_mac_ws", "int8"}, Case{"int8_mac_os", "int8"},
                                           Case{"block_fp", "mxfp4_mxfp8"},
                                           Case{"int4_tc", "w4a8_int"},
                                           Case{"int4_tc", "w6a6_bipolar"},
                                           Case{"shift_add", "w4a8_group"}, Case{"bitserial", "w4a8_group"},
                                           Case{"bitserial", "bitmod_w4"}),
                         [](const auto& p) {
                           return std::string(p.param.config) + "_" + p.param.recipe;
                         });

// A PE type whose array gets one output wrong: the engine must name op, tile and element.
class Corrupt final : public PeType {
 public:
  explicit Corrupt(std::shared_ptr<const PeType> inner) : inner_(std::move(inner)) {}
  std::string_view name() const override { return "corrupt"; }
  std::optional<std::string> unsupported(const PeFormats& f) const override {
    return inner_->unsupported(f);
  }
  PeTiming timing(const PeFormats& f) const override { return inner_->timing(f); }
  PeCost cost(const PeFormats& f, const cost::Tech& t) const override { return inner_->cost(f, t); }
  float dot(const num::QuantizedRow& a, const num::QuantizedRow& w,
            ActionCounts& c) const override {
    return inner_->dot(a, w, c);
  }
  std::unique_ptr<GemmKernel> kernel(const PeFormats& f, int rows, int cols,
                                     Dataflow d) const override {
    struct K final : GemmKernel {
      std::unique_ptr<GemmKernel> in;
      void begin(std::span<const num::QuantizedRow> a, std::span<const num::QuantizedRow> w,
                 std::int64_t m, std::int64_t n, std::int64_t k, bool v) override {
        in->begin(a, w, m, n, k, v);
      }
      TileRun run_tile(const Tile& t, TileMode m) override { return in->run_tile(t, m); }
      TileRun closed_form(const Tile& t) const override { return in->closed_form(t); }
      std::int64_t max_kt() const override { return in->max_kt(); }
      std::int64_t max_mt() const override { return in->max_mt(); }
      std::int64_t max_nt() const override { return in->max_nt(); }
      std::int64_t k_step() const override { return in->k_step(); }
      std::size_t action_count() const override { return in->action_count(); }
      float output(std::int64_t m, std::int64_t n) const override {
        const float v = in->output(m, n);
        return m == 3 && n == 5 ? v + 1.0f : v;
      }
    };
    auto k = std::make_unique<K>();
    k->in = inner_->kernel(f, rows, cols, d);
    return k;
  }

 private:
  std::shared_ptr<const PeType> inner_;
};

TEST(EngineCheck, AWrongOutputIsReportedWithOpTileAndElement) {
  ArchSpec arch = load_arch(kSrc + "/sim/configs/int8_mac_ws.yaml");
  arch.pe = std::make_shared<Corrupt>(arch.pe);
  workload::Trace t;
  workload::Op op;
  op.name = "g";
  op.m = 10, op.k = 64, op.n = 40;
  op.a_format = op.b_format = num::FormatSpec{"int8", {}};
  t.ops.push_back(op);
  SimOptions o;
  o.check.kind = CheckMode::kFull;
  const RunStats r = Engine(arch, o).run(t);
  ASSERT_EQ(r.mismatches.size(), 1u);
  const Mismatch& m = r.mismatches[0];
  EXPECT_EQ(m.op, "g");
  EXPECT_EQ(m.m, 3);
  EXPECT_EQ(m.n, 5);
  EXPECT_EQ(m.tile_m0, 0);
  EXPECT_EQ(m.tile_n0, 0);
  EXPECT_EQ(m.actual, m.expected + 1.0f);
  EXPECT_EQ(m.reference, "golden::gemm");
  // Sampling checks only some blocks: the corrupted one is in block (0, 0) of 2 column blocks.
  o.check.kind = CheckMode::kOff;
  EXPECT_TRUE(Engine(arch, o).run(t).mismatches.empty());
}

}  // namespace
}  // namespace mpsim::sim
