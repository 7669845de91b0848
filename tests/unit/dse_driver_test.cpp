// DESCRIPTION: The DSE driver end to end on a toy study (two families, tiny models, 32 points):
// exhaustive sweep results, a run killed mid-sweep resumes without losing or recomputing a point,
// shards merged equal one run, nsga2/random/hawq run through the driver, infeasible points are
// recorded with reasons, the export has its files and columns.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "mpsim/base/error.h"
#include "mpsim/dse/driver.h"
#include "mpsim/dse/spec.h"
#include "mpsim/dse/store.h"

namespace mpsim::dse {
namespace {

namespace fs = std::filesystem;
const fs::path kSpec = fs::path(MPSIM_SOURCE_DIR) / "tests/data/dse/toy_study.yaml";

fs::path fresh_dir(const std::string& name) {
  const auto d =
      fs::temp_directory_path() / ("mpsim_dse_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d;
}

DseOptions options(const fs::path& out) {
  DseOptions o;
  o.spec = kSpec;
  o.out = out;
  o.jobs = 2;
  o.progress = 0;
  return o;
}

/// key -> (status, latency, energy) of every stored point.
std::map<std::string, std::tuple<Status, double, double>> contents(const fs::path& db) {
  std::map<std::string, std::tuple<Status, double, double>> out;
  for (const auto& p : ResultStore::open_existing(db)->all()) {
    out[p.key] = {p.eval.status, p.eval.metrics.latency_s, p.eval.metrics.energy_j};
  }
  return out;
}

TEST(DseDriver, ExhaustiveSweepStoresEveryDistinctDesignAndExports) {
  const auto dir = fresh_dir("exhaustive");
  std::ostringstream log;
  const DseSummary s = run_dse(options(dir), log);
  const StudySpec spec = load_study(kSpec);
  EXPECT_EQ(s.asked, spec.size());
  EXPECT_EQ(s.asked, 32u);
  EXPECT_EQ(s.evaluated + s.cached, s.asked);
  // Every point of this box is a distinct design (no wrapped precision indices): 32 results.
  EXPECT_EQ(ResultStore::open_existing(s.store)->count(), 32u);
  EXPECT_EQ(s.ok + s.infeasible + s.failed, 32u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_GT(s.ok, 0u);
  EXPECT_GT(s.hypervolume, 0.0);
  for (const char* f : {"points.csv", "pareto_latency_energy.csv", "pareto_latency_area.csv",
                        "pareto_energy_accuracy.csv", "manifest.json", "accuracy_cache.json"}) {
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  }
  std::ifstream csv(dir / "points.csv");
  std::string header;
  std::getline(csv, header);
  for (const char* col : {"arch.pe.type", "arch.array.rows", "precision.attn", "status",
                          "latency_s", "energy_j", "area_mm2", "accuracy_sqnr_db"}) {
    EXPECT_NE(header.find(col), std::string::npos) << col << " in " << header;
  }
  // Lower precision loses accuracy: the MXFP4 MLP is less accurate than MXFP8 on the same design.
  double mx8 = 0, mx4 = 0;
  for (const auto& p : ResultStore::open_existing(s.store)->all()) {
    if (p.eval.status != Status::kOk || p.knobs.at("arch.pe.type") != "block_fp") continue;
    if (p.knobs.at("precision.attn") != "mx8") continue;
    (p.knobs.at("precision.mlp") == "mx8" ? mx8 : mx4) = p.eval.metrics.accuracy_sqnr_db;
  }
  EXPECT_GT(mx8, mx4);
}

TEST(DseDriver, AKilledRunResumesWithoutLosingOrRecomputingPoints) {
  const auto dir = fresh_dir("resume");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    DseOptions o = options(dir);
    o.stop_after = 20;  // dies like a killed process after 20 committed evaluations
    std::ostringstream log;
    run_dse(o, log);
    ::_exit(0);  // not reached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);  // the hook's exit: no clean-up ran
  const auto stored = contents(dir / "study.db");
  EXPECT_EQ(stored.size(), 20u);

  std::ostringstream log;
  const DseSummary s = run_dse(options(dir), log);
  EXPECT_EQ(s.cached, 20u);          // nothing finished was lost...
  EXPECT_EQ(s.evaluated, 32u - 20);  // ...or recomputed
  const auto after = contents(dir / "study.db");
  EXPECT_EQ(after.size(), 32u);
  for (const auto& [k, v] : stored) EXPECT_EQ(after.at(k), v) << k;

  // A third run evaluates nothing.
  const DseSummary again = run_dse(options(dir), log);
  EXPECT_EQ(again.evaluated, 0u);
  EXPECT_EQ(again.cached, 32u);
}

TEST(DseDriver, ShardsMergedEqualOneRun) {
  const auto one = fresh_dir("one"), sh = fresh_dir("shards");
  std::ostringstream log;
  const DseSummary all = run_dse(options(one), log);
  std::vector<fs::path> shard_dbs;
  std::uint64_t evaluated = 0;
  for (int i = 0; i < 3; ++i) {
    DseOptions o = options(sh);
    o.shard_index = i;
    o.shard_count = 3;
    const DseSummary s = run_dse(o, log);
    evaluated += s.evaluated;
    shard_dbs.push_back(s.store);
  }
  EXPECT_EQ(evaluated, all.evaluated);  // every point in exactly one shard
  merge_stores(sh / "study.db", shard_dbs);
  EXPECT_EQ(contents(sh / "study.db"), contents(all.store));
}

TEST(DseDriver, EveryStrategyRunsThroughTheDriver) {
  for (const std::string name : {"random", "nsga2", "hawq"}) {
    const auto dir = fresh_dir(name);
    DseOptions o = options(dir);
    o.strategy = name;
    o.budget = 24;
    if (name == "nsga2") o.budget = 32;
    std::ostringstream log;
    const DseSummary s = run_dse(o, log);
    EXPECT_GT(s.asked, 0u) << name;
    EXPECT_LE(s.asked, *o.budget) << name;
    EXPECT_GT(s.ok, 0u) << name << "\n" << log.str();
    EXPECT_TRUE(fs::exists(dir / "pareto_latency_energy.csv")) << name;
  }
}

TEST(DseDriver, FrontVerifiedByTheSystemCModelAgreesWithTheAnalyticalModel) {
  const auto dir = fresh_dir("verify");
  DseOptions o = options(dir);
  o.verify_front = 3;
  o.worker = MPSIM_SC_WORKER;
  std::ostringstream log;
  const DseSummary s = run_dse(o, log);
  ASSERT_TRUE(fs::exists(dir / "verify.csv")) << log.str();
  int verified = 0;
  for (const auto& p : ResultStore::open_existing(s.store)->all()) {
    if (!p.verified) continue;
    ++verified;
    ASSERT_EQ(p.verified->status, Status::kOk) << p.verified->reason;
    EXPECT_EQ(p.verified->fidelity, "systemc");
    // The analytical model reproduces the cycle-level model's schedule: equal to rounding.
    EXPECT_NEAR(p.eval.metrics.latency_s, p.verified->metrics.latency_s,
                1e-9 * p.verified->metrics.latency_s);
    EXPECT_NEAR(p.eval.metrics.energy_j, p.verified->metrics.energy_j,
                1e-6 * p.verified->metrics.energy_j);
  }
  EXPECT_EQ(verified, 3);
}

TEST(DseDriver, ShardingAnAdaptiveSearchIsRefused) {
  DseOptions o = options(fresh_dir("refused"));
  o.strategy = "nsga2";
  o.shard_count = 2;
  std::ostringstream log;
  EXPECT_THROW(run_dse(o, log), ConfigError);
  int i = 0, n = 0;
  EXPECT_THROW(parse_shard("3/2", i, n), ConfigError);
  parse_shard("1/4", i, n);
  EXPECT_EQ(i, 1);
  EXPECT_EQ(n, 4);
}

}  // namespace
}  // namespace mpsim::dse
