// DESCRIPTION: The DSE results store: every field round-trips; a writer killed without closing
// loses no committed point and a resumed sweep recomputes none; failed points are retried; wrong
// study, foreign and corrupt files are refused clearly; shard merge equals one store and resolves
// duplicates by fidelity; the CSV export matches a hand-built example literally.
// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "mpsim/base/error.h"
#include "mpsim/dse/store.h"

namespace mpsim::dse {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("mpsim_store_test_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

StoreMeta study(const std::string& hash = "spec-aaaa") {
  StoreMeta m;
  m.spec_hash = hash;
  m.spec_yaml = "knobs:\n  - {name: pe, values: [int8_mac, bitserial]}\n";
  m.tool_version = "0.1.0";
  m.git_hash = "0123abcd";
  m.cost_table = "cost-45nm-v1";
  m.seed = (std::uint64_t{1} << 63) + 5;  // does not fit a signed 64-bit integer
  return m;
}

std::string key_of(int i) {
  std::string key = "k";  // appended, not "k" + ...: GCC 12 warns falsely (-Wrestrict) on that
  key += std::to_string(i);
  return key;
}

/// A deterministic toy evaluator: the metrics are a function of i, so a recomputed point is
/// indistinguishable by value and only counting evaluations can detect recomputation.
Evaluation toy_eval(int i) {
  Evaluation e;
  if (i % 11 == 3) {
    e.status = Status::kInfeasible;
    e.reason = "needs " + std::to_string(i) + " KiB";
  }
  e.metrics.latency_s = 1e-3 * (1 + i % 17);
  e.metrics.energy_j = 0.1 * (1 + (i * 7) % 13);
  e.metrics.area_mm2 = 1.0 + i;
  e.metrics.accuracy_sqnr_db = 30.0 + i % 5;
  e.metrics.extra["utilization"] = 1.0 / (1 + i);
  e.fidelity = "analytical";
  e.eval_seconds = 1e-6 * i;
  return e;
}

StoredPoint toy_point(int i, Evaluation e) {
  StoredPoint p;
  p.key = key_of(i);
  p.point = {static_cast<std::uint32_t>(i % 3), static_cast<std::uint32_t>(i)};
  p.knobs = {{"pe", i % 3 == 0 ? "int8_mac" : "bitserial"}, {"rows", std::to_string(i)}};
  p.eval = std::move(e);
  p.layers_csv = "layer,cycles\nq," + std::to_string(100 + i) + "\n";
  return p;
}

/// The resume loop every search driver runs: skip what the store has, evaluate and put the rest.
/// Returns the number of evaluations.
int sweep(ResultStore& store, int n, const std::function<Evaluation(int)>& eval) {
  int evaluations = 0;
  for (int i = 0; i < n; ++i) {
    if (store.find(key_of(i))) continue;
    ++evaluations;
    store.put(toy_point(i, eval(i)));
  }
  return evaluations;
}

bool same_double(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
}

void expect_same_eval(const Evaluation& a, const Evaluation& b, const std::string& what) {
  EXPECT_EQ(a.status, b.status) << what;
  EXPECT_EQ(a.reason, b.reason) << what;
  EXPECT_TRUE(same_double(a.metrics.latency_s, b.metrics.latency_s)) << what;
  EXPECT_TRUE(same_double(a.metrics.energy_j, b.metrics.energy_j)) << what;
  EXPECT_TRUE(same_double(a.metrics.area_mm2, b.metrics.area_mm2)) << what;
  EXPECT_TRUE(same_double(a.metrics.accuracy_sqnr_db, b.metrics.accuracy_sqnr_db)) << what;
  ASSERT_EQ(a.metrics.extra.size(), b.metrics.extra.size()) << what;
  for (const auto& [name, v] : a.metrics.extra) {
    ASSERT_TRUE(b.metrics.extra.count(name)) << what << " extra " << name;
    EXPECT_TRUE(same_double(v, b.metrics.extra.at(name))) << what << " extra " << name;
  }
  EXPECT_EQ(a.fidelity, b.fidelity) << what;
  EXPECT_TRUE(same_double(a.eval_seconds, b.eval_seconds)) << what;
}

void expect_same(const StoredPoint& a, const StoredPoint& b) {
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.point, b.point) << a.key;
  EXPECT_EQ(a.knobs, b.knobs) << a.key;
  expect_same_eval(a.eval, b.eval, a.key);
  EXPECT_EQ(a.layers_csv, b.layers_csv) << a.key;
  ASSERT_EQ(a.verified.has_value(), b.verified.has_value()) << a.key;
  if (a.verified) expect_same_eval(*a.verified, *b.verified, a.key + " (verified)");
}

void expect_same_meta(const StoreMeta& a, const StoreMeta& b) {
  EXPECT_EQ(a.spec_hash, b.spec_hash);
  EXPECT_EQ(a.spec_yaml, b.spec_yaml);
  EXPECT_EQ(a.tool_version, b.tool_version);
  EXPECT_EQ(a.git_hash, b.git_hash);
  EXPECT_EQ(a.cost_table, b.cost_table);
  EXPECT_EQ(a.seed, b.seed);
}

std::vector<StoredPoint> sorted_by_key(std::vector<StoredPoint> v) {
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return v;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---------------------------------------------------------------------------------------------

TEST_F(StoreTest, EveryFieldRoundTrips) {
  StoredPoint p;
  p.key = "3f9a0c";
  p.point = {0, 7, 4294967295u};
  p.knobs = {{"pe", "block_fp"}, {"recipe", "w=int4_g128, a=\"int8\"\nüñí"}};
  p.eval.status = Status::kOk;
  p.eval.metrics = {1.25e-3, 0.1 + 0.2, 12.5, -3.75, {}};  // 0.1 + 0.2: a non-short double
  p.eval.metrics.extra = {{"latency_s:llama2-7b/decode", 9.5e-4},
                          {"utilization", 0.875},
                          {"nan_metric", std::numeric_limits<double>::quiet_NaN()},
                          {"inf_metric", std::numeric_limits<double>::infinity()},
                          {"neg_inf", -std::numeric_limits<double>::infinity()}};
  p.eval.fidelity = "analytical";
  p.eval.eval_seconds = 0.0123;
  p.layers_csv = "layer,cycles,\"note\"\nblk.0.attn_q,1024,\"a, b\"\n";
  Evaluation v;
  v.status = Status::kOk;
  v.metrics = {1.3e-3, 0.31, 12.5, -3.75, {{"utilization", 0.8}}};
  v.fidelity = "systemc";
  v.eval_seconds = 4.5;
  p.verified = v;

  StoredPoint q = toy_point(2, toy_eval(3));  // an infeasible one, no verification
  q.eval.metrics.latency_s = std::numeric_limits<double>::quiet_NaN();

  const fs::path path = dir_ / "study.db";
  {
    auto s = ResultStore::open(path, study());
    s->put(p);
    s->put(q);
    expect_same_meta(s->meta(), study());
  }
  for (bool read_only : {true, false}) {
    SCOPED_TRACE(read_only ? "open_existing" : "open");
    auto s = read_only ? ResultStore::open_existing(path) : ResultStore::open(path, study());
    expect_same_meta(s->meta(), study());
    EXPECT_EQ(s->count(), 2u);
    const auto found = s->find(p.key);
    ASSERT_TRUE(found);
    expect_same(*found, p);
    const auto all = s->all();
    ASSERT_EQ(all.size(), 2u);
    expect_same(all[0], p);
    expect_same(all[1], q);
    EXPECT_FALSE(s->find("no-such-key"));
  }
}

TEST_F(StoreTest, PutReplacesInPlaceAndAllKeepsInsertionOrder) {
  auto s = ResultStore::open(dir_ / "s.db", study());
  for (int i : {5, 1, 9}) s->put(toy_point(i, toy_eval(i)));
  StoredPoint updated = toy_point(5, toy_eval(5));
  updated.eval.fidelity = "systemc";
  updated.eval.metrics.latency_s = 42;
  s->put(updated);
  EXPECT_EQ(s->count(), 3u);
  const auto all = s->all();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].key, "k5");
  EXPECT_EQ(all[1].key, "k1");
  EXPECT_EQ(all[2].key, "k9");
  expect_same(all[0], updated);
}

/// Waits for `pid` and returns how it ended ("exit 0", "signal 9").
std::string wait_child(pid_t pid) {
  int st = 0;
  if (waitpid(pid, &st, 0) != pid) return "waitpid failed";
  if (WIFEXITED(st)) return "exit " + std::to_string(WEXITSTATUS(st));
  if (WIFSIGNALED(st)) return "signal " + std::to_string(WTERMSIG(st));
  return "?";
}

TEST_F(StoreTest, WriterThatDiesWithoutClosingLosesNoPointAndResumeRecomputesNone) {
  constexpr int kStored = 200, kTotal = 300;
  for (bool sigkill : {false, true}) {
    SCOPED_TRACE(sigkill ? "SIGKILL" : "_exit");
    const fs::path path = dir_ / (sigkill ? "killed.db" : "exited.db");
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // The child never returns into gtest: it dies with the store open (no destructor, no
      // close, no checkpoint), as a killed sweep would.
      try {
        auto s = ResultStore::open(path, study());
        for (int i = 0; i < kStored; ++i) s->put(toy_point(i, toy_eval(i)));
        s.release();
      } catch (...) {
        _exit(3);
      }
      if (sigkill) raise(SIGKILL);
      _exit(0);
    }
    ASSERT_EQ(wait_child(pid), sigkill ? "signal 9" : "exit 0");
    // An uncheckpointed WAL proves the file was not closed cleanly (close deletes it).
    fs::path wal = path;
    wal += "-wal";
    EXPECT_TRUE(fs::exists(wal));

    {
      auto ro = ResultStore::open_existing(path);  // what merge and export read with
      EXPECT_EQ(ro->count(), static_cast<std::uint64_t>(kStored));
    }
    auto s = ResultStore::open(path, study());
    ASSERT_EQ(s->count(), static_cast<std::uint64_t>(kStored));
    for (int i = 0; i < kStored; ++i) {
      const auto p = s->find(key_of(i));
      ASSERT_TRUE(p) << key_of(i);
      expect_same(*p, toy_point(i, toy_eval(i)));
    }
    EXPECT_EQ(sweep(*s, kTotal, toy_eval), kTotal - kStored);
    EXPECT_EQ(s->count(), static_cast<std::uint64_t>(kTotal));
    EXPECT_EQ(sweep(*s, kTotal, toy_eval), 0);
  }
}

TEST_F(StoreTest, SweepKilledAtAnArbitraryMomentResumesWithoutLossOrRecomputation) {
  constexpr int kTotal = 5000, kAcknowledged = 300;
  const fs::path path = dir_ / "sweep.db";
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    try {
      auto s = ResultStore::open(path, study());
      for (int i = 0; i < kTotal; ++i) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));  // "evaluating"
        s->put(toy_point(i, toy_eval(i)));
        // Acknowledge only after put returned: an acknowledged point must survive the kill.
        if (write(fds[1], &i, sizeof i) != sizeof i) _exit(4);
      }
    } catch (...) {
      _exit(3);
    }
    _exit(0);
  }
  close(fds[1]);
  std::set<int> acked;
  int i = 0;
  while (static_cast<int>(acked.size()) < kAcknowledged && read(fds[0], &i, sizeof i) == sizeof i) {
    acked.insert(i);
  }
  kill(pid, SIGKILL);
  ASSERT_EQ(wait_child(pid), "signal 9");
  close(fds[0]);
  ASSERT_EQ(static_cast<int>(acked.size()), kAcknowledged);

  auto s = ResultStore::open(path, study());
  const auto before = s->all();
  ASSERT_LT(before.size(), static_cast<std::size_t>(kTotal)) << "the kill was not mid-sweep";
  std::set<std::string> stored;
  for (const auto& p : before) {
    stored.insert(p.key);
    expect_same(p, toy_point(std::stoi(p.key.substr(1)), toy_eval(std::stoi(p.key.substr(1)))));
  }
  for (int a : acked) EXPECT_TRUE(stored.count(key_of(a))) << "acknowledged point lost: " << a;

  std::set<std::string> recomputed;
  const int evaluations = sweep(*s, kTotal, [&](int j) {
    if (stored.count(key_of(j))) recomputed.insert(key_of(j));
    return toy_eval(j);
  });
  EXPECT_TRUE(recomputed.empty());
  EXPECT_EQ(evaluations, kTotal - static_cast<int>(before.size()));
  EXPECT_EQ(s->count(), static_cast<std::uint64_t>(kTotal));
}

TEST_F(StoreTest, FailedPointsAreNotFoundAndAreRetriedOnResume) {
  auto s = ResultStore::open(dir_ / "s.db", study());
  auto flaky = [](int i) {
    Evaluation e = toy_eval(i);
    if (i % 7 == 0) {
      e.status = Status::kFailed;
      e.reason = "worker timed out after 60 s";
    }
    return e;
  };
  EXPECT_EQ(sweep(*s, 50, flaky), 50);
  EXPECT_EQ(s->count(), 50u);        // failed results are stored (the reason is kept)...
  EXPECT_FALSE(s->find(key_of(7)));  // ...but not found, so a resume retries them
  EXPECT_EQ(s->all()[7].eval.reason, "worker timed out after 60 s");
  // Resume: exactly the 8 failed points (0, 7, ..., 49) are evaluated again.
  EXPECT_EQ(sweep(*s, 50, toy_eval), 8);
  EXPECT_EQ(s->find(key_of(7))->eval.status, Status::kOk);
  EXPECT_EQ(sweep(*s, 50, toy_eval), 0);
  EXPECT_EQ(s->count(), 50u);
}

std::string config_error_text(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no ConfigError)";
}

TEST_F(StoreTest, OpeningWithAnotherSpecHashNamesTheFileAndBothHashes) {
  const fs::path path = dir_ / "study.db";
  ResultStore::open(path, study("spec-aaaa"))->put(toy_point(1, toy_eval(1)));
  const std::string msg = config_error_text([&] { ResultStore::open(path, study("spec-bbbb")); });
  EXPECT_THAT(msg, HasSubstr(path.string()));
  EXPECT_THAT(msg, HasSubstr("spec-aaaa"));
  EXPECT_THAT(msg, HasSubstr("spec-bbbb"));
  EXPECT_THAT(msg, HasSubstr("different study"));
  // The refused open changed nothing.
  EXPECT_EQ(ResultStore::open(path, study("spec-aaaa"))->count(), 1u);
}

TEST_F(StoreTest, FilesThatAreNotStoresAreRefusedClearly) {
  // Text.
  const fs::path text = dir_ / "notes.db";
  std::ofstream(text) << "this is not a database, just some text that is long enough.....\n";
  for (bool ro : {true, false}) {
    const std::string msg = config_error_text([&] {
      if (ro) {
        ResultStore::open_existing(text);
      } else {
        ResultStore::open(text, study());
      }
    });
    EXPECT_THAT(msg, HasSubstr(text.string()));
    EXPECT_THAT(msg, HasSubstr("not an mpsim results store"));
  }

  // Another application's SQLite database: refused and left untouched.
  const fs::path foreign = dir_ / "foreign.db";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(foreign.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1);", nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_close(db);
  }
  const std::string before = slurp(foreign);
  const std::string msg = config_error_text([&] { ResultStore::open(foreign, study()); });
  EXPECT_THAT(msg, HasSubstr(foreign.string()));
  EXPECT_THAT(msg, HasSubstr("not an mpsim results store"));
  EXPECT_EQ(slurp(foreign), before);

  // Missing, for open_existing (open creates it).
  EXPECT_THAT(config_error_text([&] { ResultStore::open_existing(dir_ / "missing.db"); }),
              HasSubstr("file not found"));
  EXPECT_THAT(config_error_text([&] { ResultStore::open_existing(dir_ / "empty.db"); }),
              HasSubstr("file not found"));
  // An empty file (e.g. `touch`) is an empty database: open() makes it a store.
  std::ofstream(dir_ / "empty.db").close();
  EXPECT_THAT(config_error_text([&] { ResultStore::open_existing(dir_ / "empty.db"); }),
              HasSubstr("not an mpsim results store"));
  EXPECT_EQ(ResultStore::open(dir_ / "empty.db", study())->count(), 0u);
}

TEST_F(StoreTest, CorruptStoresGiveAConfigErrorNamingTheFile) {
  const fs::path path = dir_ / "study.db";
  {
    auto s = ResultStore::open(path, study());
    for (int i = 0; i < 300; ++i) {
      StoredPoint p = toy_point(i, toy_eval(i));
      p.layers_csv = std::string(2000, 'x');  // spread the points over many pages
      s->put(p);
    }
  }
  const std::string good = slurp(path);
  ASSERT_GT(good.size(), 100000u);

  // A damaged header (the "SQLite format 3" magic overwritten).
  std::string damaged = good;
  damaged.replace(0, 16, "garbage garbage!");
  std::ofstream(path, std::ios::binary | std::ios::trunc) << damaged;
  std::string msg = config_error_text([&] { ResultStore::open_existing(path); });
  EXPECT_THAT(msg, HasSubstr(path.string()));
  EXPECT_THAT(msg, HasSubstr("not an mpsim results store or corrupt"));

  // Pages in the middle overwritten: found when the points are read.
  damaged = good;
  for (std::size_t i = good.size() / 2; i < good.size() / 2 + 8192; ++i) damaged[i] = '\x5a';
  std::ofstream(path, std::ios::binary | std::ios::trunc) << damaged;
  msg = config_error_text([&] { ResultStore::open_existing(path)->all(); });
  EXPECT_THAT(msg, HasSubstr(path.string()));
  EXPECT_THAT(msg, HasSubstr("corrupt"));
}

// ---------------------------------------------------------------------------------------------

TEST_F(StoreTest, MergeOfShardsEqualsOneStoreHoldingEveryPoint) {
  constexpr int kPoints = 120, kShards = 3;
  {
    auto single = ResultStore::open(dir_ / "single.db", study());
    sweep(*single, kPoints, toy_eval);
  }
  std::vector<fs::path> shards;
  for (int k = 0; k < kShards; ++k) {
    shards.push_back(dir_ / ("shard" + std::to_string(k) + ".db"));
    auto s = ResultStore::open(shards.back(), study());
    for (int i = k; i < kPoints; i += kShards) s->put(toy_point(i, toy_eval(i)));
  }
  EXPECT_EQ(merge_stores(dir_ / "merged.db", shards), static_cast<std::uint64_t>(kPoints));
  auto merged = ResultStore::open_existing(dir_ / "merged.db");
  auto single = ResultStore::open_existing(dir_ / "single.db");
  expect_same_meta(merged->meta(), single->meta());
  const auto a = sorted_by_key(merged->all());
  const auto b = sorted_by_key(single->all());
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) expect_same(a[i], b[i]);
  // Merging again (or into an existing destination) is idempotent.
  merged.reset();
  EXPECT_EQ(merge_stores(dir_ / "merged.db", shards), static_cast<std::uint64_t>(kPoints));
}

TEST_F(StoreTest, MergeKeepsTheHighestFidelityThenTheFirst) {
  auto with = [](int i, const std::string& fidelity, bool verified, Status st, double latency) {
    StoredPoint p = toy_point(i, toy_eval(0));
    p.eval.status = st;
    p.eval.fidelity = fidelity;
    p.eval.metrics.latency_s = latency;
    if (verified) {
      Evaluation v = p.eval;
      v.fidelity = "systemc";
      p.verified = v;
    }
    return p;
  };
  const Status ok = Status::kOk;
  // key: (in dest) / shard A / shard B -> expected winner's latency
  {
    auto dest = ResultStore::open(dir_ / "dest.db", study());
    dest->put(with(7, "analytical", false, ok, 70));  // k7: the destination's copy is first
  }
  {
    auto a = ResultStore::open(dir_ / "a.db", study());
    a->put(with(1, "analytical", false, ok, 11));  // k1: B verified wins
    a->put(with(2, "systemc", false, ok, 21));     // k2: A systemc wins over B analytical
    a->put(with(3, "analytical", false, ok, 31));  // k3: B systemc wins
    a->put(with(4, "analytical", false, ok, 41));  // k4: equal fidelity: first (A) wins
    a->put(with(5, "analytical", false, Status::kFailed, 51));  // k5: B (not failed) wins
    a->put(with(6, "analytical", true, ok, 61));   // k6: verified beats unverified systemc
    a->put(with(7, "analytical", false, ok, 71));  // k7: dest wins (first)
    a->put(with(8, "analytical", false, ok, 81));  // k8: only in A
  }
  {
    auto b = ResultStore::open(dir_ / "b.db", study());
    b->put(with(1, "analytical", true, ok, 12));
    b->put(with(2, "analytical", false, ok, 22));
    b->put(with(3, "systemc", false, ok, 32));
    b->put(with(4, "analytical", false, ok, 42));
    b->put(with(5, "analytical", false, ok, 52));
    b->put(with(6, "systemc", false, ok, 62));
    b->put(with(9, "analytical", false, Status::kInfeasible, 92));  // k9: only in B
  }
  EXPECT_EQ(merge_stores(dir_ / "dest.db", {dir_ / "a.db", dir_ / "b.db"}), 9u);
  auto dest = ResultStore::open_existing(dir_ / "dest.db");
  std::map<std::string, double> latency;
  for (const auto& p : dest->all()) latency[p.key] = p.eval.metrics.latency_s;
  const std::map<std::string, double> expected = {{"k1", 12}, {"k2", 21}, {"k3", 32},
                                                  {"k4", 41}, {"k5", 52}, {"k6", 61},
                                                  {"k7", 70}, {"k8", 81}, {"k9", 92}};
  EXPECT_EQ(latency, expected);
}

TEST_F(StoreTest, MergeRefusesOtherStudiesAndMissingShardsAllAtOnce) {
  ResultStore::open(dir_ / "a.db", study("spec-aaaa"))->put(toy_point(1, toy_eval(1)));
  ResultStore::open(dir_ / "b.db", study("spec-bbbb"))->put(toy_point(2, toy_eval(2)));
  const std::string msg = config_error_text([&] {
    merge_stores(dir_ / "out.db", {dir_ / "a.db", dir_ / "missing.db", dir_ / "b.db"});
  });
  EXPECT_THAT(msg, HasSubstr((dir_ / "missing.db").string()));
  EXPECT_THAT(msg, HasSubstr((dir_ / "b.db").string()));
  EXPECT_THAT(msg, HasSubstr("spec-bbbb"));
  EXPECT_THAT(msg, HasSubstr("spec-aaaa"));
  EXPECT_FALSE(fs::exists(dir_ / "out.db"));  // nothing is written when any shard is refused
}

// ---------------------------------------------------------------------------------------------

StoredPoint export_point(const std::string& key, const std::string& pe, const std::string& rows,
                         double latency, double energy, double area, double sqnr,
                         const std::string& fidelity = "analytical") {
  StoredPoint p;
  p.key = key;
  p.point = {0, 0};
  p.knobs = {{"pe", pe}, {"rows", rows}};
  p.eval.metrics = {latency, energy, area, sqnr, {}};
  p.eval.fidelity = fidelity;
  p.eval.eval_seconds = 0.5;
  return p;
}

TEST_F(StoreTest, ExportWritesTidyCsvsAndManifestExactly) {
  auto s = ResultStore::open(dir_ / "study.db", study());
  StoredPoint a = export_point("9c0f", "int8_mac", "16", 0.001, 0.8, 2, 40);
  a.eval.metrics.extra = {{"utilization", 0.5}};
  StoredPoint b = export_point("1b2e", "bitserial", "32", 0.002, 0.4, 3, 35);
  b.eval.metrics.extra = {{"utilization", 0.75}, {"latency_s:vit/prefill", 0.0005}};
  // c ties b in energy and is slower: dominated in latency/energy.
  StoredPoint c = export_point("7d3a", "shift_add", "32", 0.003, 0.4, 1.5, 30);
  StoredPoint d = export_point("04aa", "int4_tc", "64", 0.004, 0.1, 4, 20, "systemc");
  // Infeasible: its metrics (meaningless, here better than every other point's) must neither
  // show nor enter a front.
  StoredPoint e = export_point("e5", "block_fp,mx", "128", 1e-4, 0.01, 0.5, 50);
  e.eval.status = Status::kInfeasible;
  e.eval.reason = "needs 3 MiB, has \"2 MiB\"";
  e.eval.metrics.extra = {{"utilization", 9}};
  // f: dominated by b in latency/energy, but the smallest and most accurate design; verified.
  StoredPoint f = export_point("f6", "int8_mac", "8", 0.0025, 0.5, 1, 41);
  Evaluation v = f.eval;
  v.fidelity = "systemc";
  v.metrics.latency_s = 0.0026;
  v.metrics.energy_j = 0.52;
  f.verified = v;
  for (const auto* p : {&a, &b, &c, &d, &e, &f}) s->put(*p);

  const fs::path out = dir_ / "export";
  const auto files = export_csv(*s, {"pe", "rows"}, {{"area", "accuracy"}}, out);
  EXPECT_EQ(files,
            (std::vector<fs::path>{out / "points.csv", out / "pareto_latency_energy.csv",
                                   out / "pareto_area_accuracy.csv", out / "manifest.json"}));

  const std::string header =
      "key,pe,rows,status,reason,latency_s,energy_j,area_mm2,accuracy_sqnr_db,fidelity,"
      "verified_latency_s,verified_energy_j,latency_s:vit/prefill,utilization\n";
  const std::string row_a = "9c0f,int8_mac,16,ok,,0.001,0.8,2,40,analytical,,,,0.5\n";
  const std::string row_b = "1b2e,bitserial,32,ok,,0.002,0.4,3,35,analytical,,,5e-04,0.75\n";
  const std::string row_c = "7d3a,shift_add,32,ok,,0.003,0.4,1.5,30,analytical,,,,\n";
  const std::string row_d = "04aa,int4_tc,64,ok,,0.004,0.1,4,20,systemc,,,,\n";
  const std::string row_e =
      "e5,\"block_fp,mx\",128,infeasible,\"needs 3 MiB, has \"\"2 MiB\"\"\",,,,,analytical,,,,\n";
  const std::string row_f = "f6,int8_mac,8,ok,,0.0025,0.5,1,41,analytical,0.0026,0.52,,\n";
  EXPECT_EQ(slurp(out / "points.csv"), header + row_a + row_b + row_c + row_d + row_e + row_f);
  // Ok points non-dominated in (latency, energy), by latency (not by key): a, b, d (not c, e, f).
  EXPECT_EQ(slurp(out / "pareto_latency_energy.csv"), header + row_a + row_b + row_d);
  // Accuracy is maximized: f (area 1, 41 dB) dominates every other point.
  EXPECT_EQ(slurp(out / "pareto_area_accuracy.csv"), header + row_f);

  const auto m = nlohmann::json::parse(slurp(out / "manifest.json"));
  EXPECT_EQ(m.at("tool_version"), "0.1.0");
  EXPECT_EQ(m.at("git_hash"), "0123abcd");
  EXPECT_EQ(m.at("spec_hash"), "spec-aaaa");
  EXPECT_EQ(m.at("spec_yaml"), study().spec_yaml);
  EXPECT_EQ(m.at("seed").get<std::uint64_t>(), study().seed);
  EXPECT_EQ(m.at("cost_table"), "cost-45nm-v1");
  EXPECT_EQ(m.at("counts"),
            nlohmann::json(
                {{"points", 6}, {"ok", 5}, {"infeasible", 1}, {"failed", 0}, {"verified", 1}}));
  EXPECT_EQ(m.at("pareto").at("latency_energy").at("points"), 3);
  EXPECT_EQ(m.at("pareto").at("area_accuracy").at("file"), "pareto_area_accuracy.csv");
  for (const auto& entry : fs::directory_iterator(out)) {
    EXPECT_NE(entry.path().extension(), ".tmp") << "temporary file left behind";
  }
}

TEST_F(StoreTest, ExportRejectsUnknownObjectivesAndClashingKnobsAtOnce) {
  auto s = ResultStore::open(dir_ / "study.db", study());
  const std::string msg = config_error_text([&] {
    export_csv(*s, {"pe", "status"}, {{"latncy", "energy"}, {"area", "area"}}, dir_ / "x");
  });
  EXPECT_THAT(msg, HasSubstr("unknown objective 'latncy' (did you mean 'latency'?)"));
  EXPECT_THAT(msg, HasSubstr("two different objectives"));
  EXPECT_THAT(msg, HasSubstr("knob status"));
  EXPECT_FALSE(fs::exists(dir_ / "x"));
}

}  // namespace
}  // namespace mpsim::dse
