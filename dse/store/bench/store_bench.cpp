// DESCRIPTION: Results-store and Pareto throughput, each as a ratio to a baseline measured in the
// same run: ResultStore::put (one committed transaction each, synchronous=NORMAL) against raw
// SQLite commits of the same size with synchronous=FULL and NORMAL; non_dominated against the
// O(n^2) brute force. A plain executable that prints its figures.
// SPDX-License-Identifier: Apache-2.0
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "mpsim/dse/pareto.h"
#include "mpsim/dse/store.h"

namespace fs = std::filesystem;
using mpsim::dse::ResultStore;
using mpsim::dse::StoredPoint;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

StoredPoint bench_point(int i) {
  StoredPoint p;
  p.key = "key" + std::to_string(i);
  p.point = {1, 2, 3, 4, 5, 6};
  p.knobs = {{"pe", "int8_mac"}, {"rows", "32"}, {"cols", "32"}, {"recipe", "w4a8"}};
  p.eval.metrics = {1e-3 * i, 0.5, 3.0, 35.0, {{"utilization", 0.5}}};
  p.eval.fidelity = "analytical";
  return p;
}

/// Commits per second of one-row transactions through raw SQLite (no store logic).
double raw_commits_per_s(const fs::path& path, const char* sync, int n) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
  sqlite3_exec(db, sync, nullptr, nullptr, nullptr);
  sqlite3_exec(db, "CREATE TABLE t(k TEXT PRIMARY KEY, v TEXT)", nullptr, nullptr, nullptr);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?1, ?2)", -1, &s, nullptr);
  const std::string payload(300, 'x');  // about the size of a stored point's row
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    const std::string k = "key" + std::to_string(i);
    sqlite3_bind_text(s, 1, k.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, payload.c_str(), -1, SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_reset(s);
  }
  const double rate = n / seconds_since(t0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return rate;
}

}  // namespace

int main() {
  const fs::path dir =
      fs::temp_directory_path() / ("mpsim_store_bench_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  constexpr int kPuts = 5000;

  const double raw_full = raw_commits_per_s(dir / "full.db", "PRAGMA synchronous=FULL", kPuts);
  const double raw_normal =
      raw_commits_per_s(dir / "normal.db", "PRAGMA synchronous=NORMAL", kPuts);

  mpsim::dse::StoreMeta meta;
  meta.spec_hash = "bench";
  double put_rate = 0, find_rate = 0;
  {
    auto store = ResultStore::open(dir / "store.db", meta);
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kPuts; ++i) store->put(bench_point(i));
    put_rate = kPuts / seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    int hits = 0;
    for (int i = 0; i < kPuts; ++i) hits += store->find("key" + std::to_string(i)).has_value();
    find_rate = kPuts / seconds_since(t0);
    if (hits != kPuts) std::printf("find missed points!\n");
  }
  std::printf("raw SQLite one-row commits/s:  FULL %.0f  NORMAL %.0f  (NORMAL/FULL = %.1fx)\n",
              raw_full, raw_normal, raw_normal / raw_full);
  std::printf("ResultStore::put/s (NORMAL): %.0f = %.2fx raw NORMAL, %.1fx raw FULL\n", put_rate,
              put_rate / raw_normal, put_rate / raw_full);
  std::printf("ResultStore::find/s: %.0f\n", find_rate);

  // non_dominated vs the brute force, on points of an exhaustive sweep's size.
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0, 1);
  // Uniform points have small fronts; points on the unit sphere's positive orthant are all
  // non-dominated, the worst case for both.
  for (const bool on_front : {false, true})
    for (std::size_t dim : {2u, 3u}) {
      std::vector<std::vector<double>> pts(20000, std::vector<double>(dim));
      for (auto& p : pts) {
        double norm = 0;
        for (auto& v : p) {
          v = u(rng);
          norm += v * v;
        }
        if (on_front)
          for (auto& v : p) v /= std::sqrt(norm);
      }
      auto t0 = std::chrono::steady_clock::now();
      const auto front = mpsim::dse::non_dominated(pts);
      const double fast = seconds_since(t0);
      t0 = std::chrono::steady_clock::now();
      std::size_t brute = 0;
      for (std::size_t i = 0; i < pts.size(); ++i) {
        bool dominated = false;
        for (std::size_t j = 0; j < pts.size() && !dominated; ++j) {
          bool le = true, lt = false;
          for (std::size_t k = 0; k < dim; ++k) {
            le = le && pts[j][k] <= pts[i][k];
            lt = lt || pts[j][k] < pts[i][k];
          }
          dominated = le && lt;
        }
        brute += !dominated;
      }
      const double slow = seconds_since(t0);
      t0 = std::chrono::steady_clock::now();
      std::vector<std::vector<double>> fp;
      for (auto i : front) fp.push_back(pts[i]);
      const double hv = mpsim::dse::hypervolume(fp, std::vector<double>(dim, 1.0));
      const double hv_s = seconds_since(t0);
      std::printf(
          "non_dominated %zu-D, 20000 %s points: front %zu (brute %zu), %.2f ms vs brute force "
          "%.0f ms "
          "(%.0fx); hypervolume %.4f in %.2f ms\n",
          dim, on_front ? "all-front" : "uniform", front.size(), brute, fast * 1e3, slow * 1e3,
          slow / fast, hv, hv_s * 1e3);
    }
  fs::remove_all(dir);
  return 0;
}
