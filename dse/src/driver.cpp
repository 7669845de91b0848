// DESCRIPTION: The study driver (see driver.h): ask/evaluate/commit/tell loop with a thread pool,
// resume from the store, sharding, front verification with the cycle-level model, export.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/dse/driver.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <mutex>
#include <ostream>
#include <thread>

#include "mpsim/base/error.h"
#include "mpsim/cost/energy.h"
#include "mpsim/dse/evaluator.h"
#include "mpsim/dse/pareto.h"
#include "mpsim/dse/search.h"
#include "mpsim/dse/spec.h"
#include "mpsim/dse/store.h"
#ifdef MPSIM_HAVE_MPI
#include "mpi_pool.h"
#endif

namespace mpsim::dse {
namespace {

using Clock = std::chrono::steady_clock;

/// A progress bar on a terminal (carriage return, points/s, ETA), log lines otherwise.
class Progress {
 public:
  Progress(std::ostream& log, bool tty, std::uint64_t total)
      : log_(log), tty_(tty), total_(total), start_(Clock::now()), last_(start_) {}
  void update(std::uint64_t done, std::uint64_t evaluated, bool force = false) {
    const auto now = Clock::now();
    const double since = std::chrono::duration<double>(now - last_).count();
    if (!force && since < (tty_ ? 0.2 : 10.0)) return;
    last_ = now;
    const double el = std::chrono::duration<double>(now - start_).count();
    const double rate = el > 0 ? static_cast<double>(evaluated) / el : 0;
    std::string eta = "?";
    if (total_ > 0 && done > 0 && done <= total_) {
      const double left = el / static_cast<double>(done) * static_cast<double>(total_ - done);
      eta = fmt::format("{}:{:02}", static_cast<int>(left) / 60, static_cast<int>(left) % 60);
    }
    if (tty_) {
      const int width = 30;
      const int fill =
          total_ ? static_cast<int>(width * std::min(1.0, static_cast<double>(done) / total_)) : 0;
      log_ << fmt::format("\r[{:<{}}] {}/{} points, {:.1f} evals/s, ETA {}   ",
                          std::string(static_cast<std::size_t>(fill), '='), width, done,
                          total_ ? std::to_string(total_) : "?", rate, eta)
           << std::flush;
    } else {
      log_ << fmt::format("progress: {}/{} points, {} evaluated, {:.1f} evals/s, ETA {}\n", done,
                          total_ ? std::to_string(total_) : "?", evaluated, rate, eta);
    }
  }
  void done() {
    if (tty_) log_ << "\n";
  }

 private:
  std::ostream& log_;
  bool tty_;
  std::uint64_t total_;
  Clock::time_point start_, last_;
};

std::uint64_t key_bucket(const std::string& key) {
  std::uint64_t h = 0;
  for (char c : key.substr(0, 16)) {
    h = h * 16 +
        static_cast<std::uint64_t>(std::isdigit(static_cast<unsigned char>(c))
                                       ? c - '0'
                                       : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
  }
  return h;
}

Outcome outcome_of(const Evaluation& e, const std::vector<std::string>& objectives) {
  Outcome o;
  o.feasible = e.status == Status::kOk;
  for (const auto& name : objectives) o.objectives.push_back(objective_value(e.metrics, name));
  return o;
}

/// Per-layer-group sensitivities for the layer-wise strategy: for each group and precision index,
/// the SQNR lost when only that group takes that precision (the others the first family's most
/// accurate one), averaged over the families that offer that index; the cost is the weight bits
/// per element of the precision (an additive size proxy per group).
std::vector<LayerKnob> layer_knobs(const StudySpec& s, AccuracyCache& acc) {
  std::vector<LayerKnob> out;
  const auto card = s.cardinality();
  for (std::size_t g = 0; g < s.groups.size(); ++g) {
    LayerKnob lk;
    lk.knob = 1 + s.knobs.size() + g;
    const std::uint32_t n = card[lk.knob];
    lk.sensitivity_db.assign(n, 0.0);
    lk.cost.assign(n, 0.0);
    std::vector<int> counts(n, 0);
    for (const auto& f : s.families) {
      // The family's most accurate precision everywhere, then group g varied.
      auto recipe_with = [&](std::size_t idx_for_g, std::size_t idx_else) {
        workload::Recipe r;
        r.name = "sensitivity";
        r.defaults = f.defaults;
        for (std::size_t h = 0; h < s.groups.size(); ++h) {
          const std::string& pn =
              f.precisions[(h == g ? idx_for_g : idx_else) % f.precisions.size()];
          const auto it = std::find_if(s.precisions.begin(), s.precisions.end(),
                                       [&](const PrecisionSpec& p) { return p.name == pn; });
          workload::RecipeRule rule = s.groups[h].selector;
          rule.formats = it->formats;
          r.rules.push_back(rule);
        }
        return r;
      };
      std::size_t best = 0;
      double best_db = -1e300;
      for (std::size_t i = 0; i < f.precisions.size(); ++i) {
        const double db = acc.sqnr_db(s, 0, recipe_with(i, i));
        if (db > best_db) best_db = db, best = i;
      }
      for (std::uint32_t i = 0; i < n; ++i) {
        const double db = acc.sqnr_db(s, 0, recipe_with(i, best));
        lk.sensitivity_db[i] += std::max(0.0, std::min(best_db, 200.0) - std::min(db, 200.0));
        const std::string& pn = f.precisions[i % f.precisions.size()];
        const auto it = std::find_if(s.precisions.begin(), s.precisions.end(),
                                     [&](const PrecisionSpec& p) { return p.name == pn; });
        lk.cost[i] += it->formats.weights ? num::bits_per_element(*it->formats.weights) : 16.0;
        ++counts[i];
      }
    }
    for (std::uint32_t i = 0; i < n; ++i) {
      if (counts[i]) lk.sensitivity_db[i] /= counts[i], lk.cost[i] /= counts[i];
    }
    out.push_back(std::move(lk));
  }
  return out;
}

/// Front points spread along the first objective (sorted), at most k.
std::vector<std::size_t> spread(const std::vector<std::size_t>& front,
                                const std::vector<std::vector<double>>& obj, std::size_t k) {
  std::vector<std::size_t> f = front;
  std::sort(f.begin(), f.end(),
            [&](std::size_t a, std::size_t b) { return obj[a][0] < obj[b][0]; });
  if (f.size() <= k) return f;
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < k; ++i) {
    out.push_back(f[k == 1 ? 0 : i * (f.size() - 1) / (k - 1)]);
  }
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

void parse_shard(const std::string& text, int& index, int& count) {
  const auto slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    std::size_t a = 0, b = 0;
    index = std::stoi(text.substr(0, slash), &a);
    count = std::stoi(text.substr(slash + 1), &b);
    if (a != slash || b != text.size() - slash - 1 || count < 1 || index < 0 || index >= count) {
      throw std::invalid_argument("range");
    }
  } catch (const std::exception&) {
    throw ConfigError(
        Diagnostic{"", "--shard", fmt::format("expected i/N with 0 <= i < N, got '{}'", text)});
  }
}

bool have_mpi() {
#ifdef MPSIM_HAVE_MPI
  return true;
#else
  return false;
#endif
}

DseSummary run_dse(const DseOptions& o, std::ostream& log) {
  namespace fs = std::filesystem;
#ifdef MPSIM_HAVE_MPI
  std::unique_ptr<mpi::Session> session;
  if (o.mpi) session = std::make_unique<mpi::Session>();
#else
  if (o.mpi) {
    throw ConfigError(
        Diagnostic{"", "--mpi", "this mpsim was built without MPI (OpenMPI not found)"});
  }
#endif
  StudySpec spec = load_study(o.spec);
  if (o.strategy) spec.strategy = *o.strategy;
  if (o.budget) spec.budget = *o.budget;
  if (o.seed) spec.seed = *o.seed;
  std::vector<Diagnostic> diags;
  if (o.jobs < 1) diags.push_back({"", "-j", "must be >= 1"});
  if (o.shard_count > 1 && spec.strategy != "exhaustive" && spec.strategy != "random") {
    diags.push_back({"", "--shard",
                     fmt::format("sharding splits exhaustive and random searches; {} adapts to "
                                 "results and needs one process (use --mpi)",
                                 spec.strategy)});
  }
  if (o.verify_front > 0 && o.worker.empty()) {
    diags.push_back({"", "--verify-front", "needs the mpsim-sc-worker executable"});
  }
  if (!diags.empty()) throw ConfigError(std::move(diags));

#ifdef MPSIM_HAVE_MPI
  if (session && session->rank() != 0) {
    // A worker rank: evaluate what rank 0 sends (accuracy cached in memory: the file is rank 0's).
    AccuracyCache acc;
    StudyContext wctx;
    wctx.spec = &spec;
    wctx.traces = study_traces(spec);
    wctx.accuracy = &acc;
    mpi::serve([&](const Point& p) {
      mpi::Result r;
      try {
        r.eval = evaluate_analytical(wctx, resolve(spec, p), &r.layers_csv);
      } catch (const std::exception& e) {
        r.eval.status = Status::kFailed;
        r.eval.reason = e.what();
        r.eval.fidelity = "analytical";
      }
      return r;
    });
    DseSummary w;
    w.mpi_worker = true;
    return w;
  }
#endif
  fs::create_directories(o.out);
  DseSummary sum;
  sum.store = o.out / (o.shard_count > 1
                           ? fmt::format("study.shard-{}-of-{}.db", o.shard_index, o.shard_count)
                           : std::string("study.db"));
  StoreMeta meta;
  meta.spec_hash = spec.hash();
  meta.spec_yaml = spec.text;
  meta.tool_version = o.tool_version;
  meta.git_hash = o.git_hash;
  meta.cost_table = cost::table_version();
  meta.seed = spec.seed;
  auto store = ResultStore::open(sum.store, meta);

  AccuracyCache accuracy(o.out / "accuracy_cache.json");
  StudyContext ctx;
  ctx.spec = &spec;
  ctx.traces = study_traces(spec);
  ctx.accuracy = &accuracy;

  SearchProblem problem;
  problem.knob_names = spec.knob_names();
  problem.cardinality = spec.cardinality();
  problem.objectives = spec.objectives;
  problem.budget = spec.budget;
  problem.seed = spec.seed;
  if (spec.strategy == "hawq" && spec.accuracy.enabled)
    problem.layer_knobs = layer_knobs(spec, accuracy);
  auto strategy = builtin_strategies().create(spec.strategy, problem, spec.strategy_options);

  const std::uint64_t total =
      spec.budget ? std::min<std::uint64_t>(spec.budget, spec.size()) : spec.size();
  log << fmt::format("study {}: {} knobs, {} points, strategy {}{}, {} job{}; store {}\n",
                     spec.name, problem.knob_names.size(), spec.size(), spec.strategy,
                     spec.budget ? fmt::format(" (budget {})", spec.budget) : "", o.jobs,
                     o.jobs == 1 ? "" : "s", sum.store.string());
  const bool tty = o.progress < 0 ? (&log == &std::cerr && ::isatty(2)) : o.progress > 0;
  Progress bar(log, tty, total);

  // Evaluation pool: workers take indices of `todo`, results come back in completion order and
  // are committed by this thread (one SQLite connection).
  struct Job {
    Point point;
    ResolvedPoint rp;
    bool resolved = false;
    std::string resolve_error;
    Evaluation eval;
    std::string layers;
  };
  std::uint64_t new_evals = 0;
  for (;;) {
    std::vector<Point> batch = strategy->ask(static_cast<std::size_t>(std::max(8, 4 * o.jobs)));
    if (batch.empty()) break;
    std::vector<Job> jobs(batch.size());
    std::vector<std::size_t> todo;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Job& j = jobs[i];
      j.point = batch[i];
      ++sum.asked;
      try {
        j.rp = resolve(spec, j.point);
        j.resolved = true;
      } catch (const ConfigError& e) {
        j.resolve_error = e.diagnostics().front().message;
      }
      if (j.resolved && o.shard_count > 1 &&
          key_bucket(j.rp.key) % static_cast<std::uint64_t>(o.shard_count) !=
              static_cast<std::uint64_t>(o.shard_index)) {
        ++sum.skipped_other_shard;
        j.eval.status = Status::kFailed;  // not ours: told as infeasible, never stored
        continue;
      }
      if (j.resolved) {
        if (auto stored = store->find(j.rp.key)) {
          j.eval = stored->eval;
          ++sum.cached;
          continue;
        }
      }
      todo.push_back(i);
    }

    auto commit = [&](Job& j) {
      StoredPoint sp;
      sp.key = j.resolved ? j.rp.key : fmt::format("unresolved-{}", fmt::join(j.point, "-"));
      sp.point = j.point;
      sp.knobs = j.resolved ? j.rp.knobs : std::map<std::string, std::string>{};
      sp.eval = j.eval;
      sp.layers_csv = j.layers;
      store->put(sp);  // committed before anything else happens to it
      ++sum.evaluated;
      ++new_evals;
      if (o.stop_after && new_evals >= o.stop_after) {
        log << "stopping early (test hook) after " << new_evals << " evaluations\n";
        std::_Exit(3);  // as a killed process: no clean-up, no export
      }
    };
#ifdef MPSIM_HAVE_MPI
    if (session && session->size() > 1) {
      // Unresolvable points are recorded here; the rest go to the worker ranks.
      std::vector<Point> remote;
      std::vector<std::size_t> remote_job;
      for (std::size_t i : todo) {
        Job& j = jobs[i];
        if (!j.resolved) {
          j.eval.status = Status::kInfeasible;
          j.eval.reason = "architecture: " + j.resolve_error;
          j.eval.fidelity = "analytical";
          commit(j);
          continue;
        }
        remote.push_back(j.point);
        remote_job.push_back(i);
      }
      mpi::evaluate_on_workers(*session, remote, [&](std::size_t r, const mpi::Result& res) {
        Job& j = jobs[remote_job[r]];
        j.eval = res.eval;
        j.layers = res.layers_csv;
        commit(j);
        bar.update(sum.asked, sum.evaluated);
      });
      for (auto& j : jobs) strategy->tell(j.point, outcome_of(j.eval, spec.objectives));
      bar.update(sum.asked, sum.evaluated);
      continue;
    }
#endif
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::size_t> finished;
    std::atomic<std::size_t> next{0};
    auto work = [&] {
      for (;;) {
        const std::size_t t = next.fetch_add(1);
        if (t >= todo.size()) return;
        Job& j = jobs[todo[t]];
        if (!j.resolved) {
          j.eval.status = Status::kInfeasible;
          j.eval.reason = "architecture: " + j.resolve_error;
          j.eval.fidelity = "analytical";
        } else {
          try {
            j.eval = evaluate_analytical(ctx, j.rp, &j.layers);
          } catch (const std::exception& e) {
            j.eval.status = Status::kFailed;
            j.eval.reason = e.what();
            j.eval.fidelity = "analytical";
          }
        }
        std::lock_guard<std::mutex> lock(mu);
        finished.push_back(todo[t]);
        cv.notify_one();
      }
    };
    std::vector<std::thread> pool;
    const int threads = std::min<int>(o.jobs, static_cast<int>(todo.size()));
    for (int t = 0; t < threads; ++t) pool.emplace_back(work);
    for (std::size_t got = 0; got < todo.size();) {
      std::vector<std::size_t> ready;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return !finished.empty(); });
        ready.swap(finished);
      }
      for (std::size_t i : ready) {
        commit(jobs[i]);
        ++got;
      }
      bar.update(sum.asked, sum.evaluated);
    }
    for (auto& t : pool) t.join();
    for (auto& j : jobs) strategy->tell(j.point, outcome_of(j.eval, spec.objectives));
    bar.update(sum.asked, sum.evaluated);
  }
  bar.update(sum.asked, sum.evaluated, true);
  bar.done();
#ifdef MPSIM_HAVE_MPI
  if (session) mpi::stop_workers(*session);
#endif

  // The study's results (all points in the store, also those of earlier runs).
  std::vector<StoredPoint> all = store->all();
  std::vector<std::size_t> ok;
  std::vector<std::vector<double>> obj;
  for (std::size_t i = 0; i < all.size(); ++i) {
    switch (all[i].eval.status) {
      case Status::kOk:
        ++sum.ok;
        ok.push_back(i);
        obj.push_back(outcome_of(all[i].eval, spec.objectives).objectives);
        break;
      case Status::kInfeasible:
        ++sum.infeasible;
        break;
      case Status::kFailed:
        ++sum.failed;
        break;
    }
  }
  std::vector<std::size_t> front = non_dominated(obj);

  // Hypervolume of the front, objectives normalized to the ok points' ranges, reference 1.1.
  if (!front.empty()) {
    const std::size_t d = spec.objectives.size();
    std::vector<double> lo(d, 1e300), hi(d, -1e300);
    for (const auto& v : obj) {
      for (std::size_t k = 0; k < d; ++k)
        lo[k] = std::min(lo[k], v[k]), hi[k] = std::max(hi[k], v[k]);
    }
    std::vector<std::vector<double>> fn;
    for (std::size_t f : front) {
      std::vector<double> v(d);
      for (std::size_t k = 0; k < d; ++k) {
        v[k] = hi[k] > lo[k] ? (obj[f][k] - lo[k]) / (hi[k] - lo[k]) : 0.0;
      }
      fn.push_back(v);
    }
    sum.hypervolume = hypervolume(fn, std::vector<double>(d, 1.1));
  }

  // Multi-fidelity: re-evaluate part of the front with the cycle-level model.
  if (o.verify_front > 0 && !front.empty()) {
    const auto chosen = spread(front, obj, static_cast<std::size_t>(o.verify_front));
    log << fmt::format("verifying {} front point{} with the cycle-level model ({} worker{})\n",
                       chosen.size(), chosen.size() == 1 ? "" : "s", o.jobs,
                       o.jobs == 1 ? "" : "s");
    std::vector<Evaluation> ver(chosen.size());
    std::atomic<std::size_t> next{0};
    auto work = [&] {
      for (;;) {
        const std::size_t t = next.fetch_add(1);
        if (t >= chosen.size()) return;
        const StoredPoint& sp = all[ok[chosen[t]]];
        const ResolvedPoint rp = resolve(spec, sp.point);
        ver[t] = evaluate_systemc(ctx, rp, o.worker, o.out / "verify" / sp.key);
      }
    };
    std::vector<std::thread> pool;
    for (int t = 0; t < std::min<int>(o.jobs, static_cast<int>(chosen.size())); ++t) {
      pool.emplace_back(work);
    }
    for (auto& t : pool) t.join();
    std::ofstream csv(o.out / "verify.csv");
    csv << "key,analytical_latency_s,systemc_latency_s,latency_error,analytical_energy_j,"
           "systemc_energy_j,energy_error,status\n";
    double worst_l = 0, worst_e = 0;
    for (std::size_t t = 0; t < chosen.size(); ++t) {
      StoredPoint sp = all[ok[chosen[t]]];
      sp.verified = ver[t];
      store->put(sp);
      const auto& a = sp.eval.metrics;
      const auto& v = ver[t].metrics;
      const double el = a.latency_s / v.latency_s - 1, ee = a.energy_j / v.energy_j - 1;
      if (ver[t].status == Status::kOk) {
        worst_l = std::max(worst_l, std::abs(el));
        worst_e = std::max(worst_e, std::abs(ee));
      }
      csv << fmt::format("{},{:.9g},{:.9g},{:.6f},{:.9g},{:.9g},{:.6f},{}\n", sp.key, a.latency_s,
                         v.latency_s, el, a.energy_j, v.energy_j, ee, to_string(ver[t].status));
      log << fmt::format(
          "  {}: latency analytical {:.6g} s vs cycle-level {:.6g} s ({:+.3f}%), "
          "energy {:+.3f}% [{}]\n",
          sp.key.substr(0, 12), a.latency_s, v.latency_s, 100 * el, 100 * ee,
          to_string(ver[t].status));
    }
    log << fmt::format(
        "analytical vs cycle-level on the front: max |latency error| {:.3f}%, max "
        "|energy error| {:.3f}% (verify.csv)\n",
        100 * worst_l, 100 * worst_e);
    sum.files.push_back(o.out / "verify.csv");
  }

  // Export: tidy CSVs for every objective pair plotted, and per-layer tables of the front.
  std::vector<std::pair<std::string, std::string>> pairs;
  auto has = [&](const char* n) {
    return std::find(spec.objectives.begin(), spec.objectives.end(), n) != spec.objectives.end();
  };
  pairs.emplace_back("latency", "energy");
  if (has("area")) pairs.emplace_back("latency", "area");
  if (has("accuracy")) pairs.emplace_back("energy", "accuracy");
  auto files = export_csv(*store, problem.knob_names, pairs, o.out);
  sum.files.insert(sum.files.end(), files.begin(), files.end());
  fs::create_directories(o.out / "layers");
  for (std::size_t f : spread(front, obj, 8)) {
    const StoredPoint& sp = all[ok[f]];
    if (sp.layers_csv.empty()) continue;
    const fs::path p = o.out / "layers" / (sp.key + ".csv");
    std::ofstream(p) << sp.layers_csv;
    sum.files.push_back(p);
  }
  log << fmt::format(
      "{} points asked, {} evaluated now, {} from the store{}; {} ok, {} infeasible, {} failed; "
      "front {} points, hypervolume {:.4f}\n",
      sum.asked, sum.evaluated, sum.cached,
      sum.skipped_other_shard ? fmt::format(", {} left to other shards", sum.skipped_other_shard)
                              : "",
      sum.ok, sum.infeasible, sum.failed, front.size(), sum.hypervolume);
  return sum;
}

}  // namespace mpsim::dse
