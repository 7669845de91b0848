// DESCRIPTION: NSGA-II in ask/tell form over integer knobs: pagmo2's fast non-dominated sorting and
// crowding distance for survival, binary crowded tournaments, uniform crossover and per-gene
// mutation on choice indices; infeasible points are dominated by every feasible one; never asks a
// point twice; seeded and deterministic.
// SPDX-License-Identifier: Apache-2.0
//
// Algorithm (Deb et al. 2002, adapted to a discrete box and batch evaluation):
//  - The initial population is `population` distinct uniformly random points.
//  - Offspring: two binary tournaments (lower non-domination rank wins, then larger crowding
//    distance) pick parents; with probability `crossover` each gene is swapped with probability
//    1/2 (uniform crossover of choice indices); each gene then mutates with probability
//    `mutation` (default 1/knobs) to a neighbouring choice (half the time: knobs are mostly
//    ordinal) or to any other choice.
//  - A child equal to a point already asked is never asked again (its outcome is in the cache):
//    it is nudged to a neighbour, re-bred, and after repeated failures replaced by a random unseen
//    point, so that every evaluation is new.
//  - Survival: parents + the new results, feasible points ranked by pagmo's
//    fast_non_dominated_sorting and crowding_distance (NSGA-II's crowded comparison: whole fronts
//    while they fit, then the most isolated points of the next one). Infeasible points carry no
//    violation measure, so they are dominated by every feasible point and only fill places a
//    feasible point cannot (a seeded random choice among them).
//  - Selection runs when `population` results have come back since the last one (or all that
//    was outstanding): a driver that tells a batch before asking the next gets generational
//    NSGA-II; a driver that keeps batches in flight gets overlapping generations, not a stall.
//  - Stops at `budget` evaluations, after `generations` offspring generations, or when the space
//    is exhausted (budget 0 and generations 0: 100 generations).
// pagmo's select_best_N_mo is not used: it calls crowding_distance on fronts where an objective
// is constant, and the resulting 0/0 NaN would decide which points survive.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <numeric>
#include <pagmo/utils/multi_objective.hpp>

#include "common.h"

namespace mpsim::dse::detail {
namespace {

using Objs = std::vector<std::vector<double>>;

struct Params {
  std::size_t population = 64;
  std::uint64_t generations = 0;  ///< offspring generations after the initial one; 0 = unlimited
  double crossover = 0.9;         ///< probability that a pair of parents is recombined
  double mutation = 0;            ///< per-gene mutation probability
};

/// pagmo's crowding distance made total: fronts of fewer than two points are all boundary points
/// (pagmo throws), and an objective that is constant over the front is dropped before the call
/// (pagmo divides by its zero range and the NaN would decide the survivors).
std::vector<double> crowding(const Objs& front) {
  const std::size_t n = front.size();
  const double inf = std::numeric_limits<double>::infinity();
  if (n < 2) return std::vector<double>(n, inf);
  std::vector<std::size_t> cols;
  for (std::size_t m = 0; m < front[0].size(); ++m) {
    auto [lo, hi] = std::minmax_element(front.begin(), front.end(),
                                        [m](const auto& a, const auto& b) { return a[m] < b[m]; });
    if ((*hi)[m] > (*lo)[m]) cols.push_back(m);
  }
  if (cols.empty()) return std::vector<double>(n, inf);  // all equal: none is more crowded
  // One informative objective: duplicating it scales every distance by 2, keeping their order,
  // and satisfies pagmo's at-least-two-objectives precondition.
  if (cols.size() == 1) cols.push_back(cols[0]);
  Objs projected(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t m : cols) projected[i].push_back(front[i][m]);
  }
  return pagmo::crowding_distance(projected);
}

/// Non-domination ranks (pagmo's fast non-dominated sorting) and crowding within each front.
void rank_and_crowd(const Objs& objs, std::vector<std::size_t>& rank, std::vector<double>& crowd,
                    std::vector<std::vector<std::size_t>>& fronts) {
  const std::size_t n = objs.size();
  rank.assign(n, 0);
  crowd.assign(n, std::numeric_limits<double>::infinity());
  fronts.clear();
  if (n == 0) return;
  if (n == 1) {
    fronts.push_back({0});
    return;
  }
  const auto fnds = pagmo::fast_non_dominated_sorting(objs);
  for (const auto& f : std::get<0>(fnds)) {
    fronts.emplace_back(f.begin(), f.end());
    Objs fo;
    for (auto i : f) fo.push_back(objs[i]);
    const auto cd = crowding(fo);
    for (std::size_t k = 0; k < f.size(); ++k) {
      rank[f[k]] = fronts.size() - 1;
      crowd[f[k]] = cd[k];
    }
  }
}

class Nsga2 final : public SearchStrategy {
 public:
  Nsga2(const SearchProblem& p, const Params& prm)
      : card_(p.cardinality),
        n_obj_(p.objectives.size()),
        size_(p.size()),
        budget_(p.budget),
        prm_(prm),
        rng_(p.seed) {}

  std::vector<Point> ask(std::size_t n) override {
    std::vector<Point> out;
    while (out.size() < n) {
      if (budget_ != 0 && asked_ >= budget_) break;
      if (queue_.empty()) {
        // Select once a population's worth of results is in (or all that is outstanding): a
        // synchronous driver gets generational NSGA-II; a driver that keeps batches in flight
        // gets it with overlapping generations instead of a stall (ask() cannot signal "wait").
        if (!fresh_.empty() && (fresh_.size() >= prm_.population || pending_ == 0)) {
          select_survivors();
        }
        if (prm_.generations != 0 && selections_ > prm_.generations) break;
        std::uint64_t count = prm_.population;
        if (budget_ != 0) count = std::min(count, budget_ - asked_);
        breed(count);
        if (queue_.empty()) break;  // every point of the space has been asked
      }
      Point p = std::move(queue_.front());
      queue_.pop_front();
      cache_.at(p).state = State::kPending;
      ++pending_;
      ++asked_;
      out.push_back(std::move(p));
    }
    return out;
  }

  void tell(const Point& p, const Outcome& o) override {
    auto it = cache_.find(p);
    MPSIM_CHECK(it != cache_.end() && it->second.state == State::kPending,
                "nsga2: tell() of a point that was not asked or was already told");
    Entry& e = it->second;
    e.state = State::kTold;
    e.feasible = o.feasible;
    if (o.feasible) {
      MPSIM_CHECK(o.objectives.size() == n_obj_,
                  fmt::format("nsga2: outcome with {} objectives, expected {}", o.objectives.size(),
                              n_obj_));
      // A NaN/inf objective would make dominance meaningless; such a point cannot be ranked.
      e.feasible = std::all_of(o.objectives.begin(), o.objectives.end(),
                               [](double v) { return std::isfinite(v); });
      e.objs = o.objectives;
      // pagmo's sorting and crowding need two objectives; a duplicate keeps the order.
      if (n_obj_ == 1) e.objs.push_back(e.objs[0]);
    }
    --pending_;
    fresh_.push_back(p);
  }

 private:
  enum class State : std::uint8_t { kQueued, kPending, kTold };
  struct Entry {
    State state = State::kQueued;
    bool feasible = false;
    std::vector<double> objs;
  };
  struct Parent {
    Point point;
    std::size_t rank;  ///< 0 = first front; infeasible parents rank after every feasible one
    double crowding;
  };

  /// Environmental selection over parents + the fresh results: feasible points first, by
  /// non-domination rank then crowding (NSGA-II); infeasible ones only fill remaining places.
  void select_survivors() {
    std::vector<Point> pool;
    for (auto& par : parents_) pool.push_back(std::move(par.point));
    for (auto& g : fresh_) pool.push_back(std::move(g));
    fresh_.clear();
    ++selections_;

    std::vector<std::size_t> feas, infeas;
    for (std::size_t i = 0; i < pool.size(); ++i) {
      (cache_.at(pool[i]).feasible ? feas : infeas).push_back(i);
    }
    Objs objs;
    for (auto i : feas) objs.push_back(cache_.at(pool[i]).objs);
    std::vector<std::size_t> rank;
    std::vector<double> crowd;
    std::vector<std::vector<std::size_t>> fronts;
    rank_and_crowd(objs, rank, crowd, fronts);

    std::vector<std::size_t> chosen;  // indices into feas
    const std::size_t n = prm_.population;
    for (const auto& f : fronts) {
      if (chosen.size() + f.size() <= n) {
        chosen.insert(chosen.end(), f.begin(), f.end());
        continue;
      }
      std::vector<std::size_t> last(f.begin(), f.end());
      std::stable_sort(last.begin(), last.end(),
                       [&](std::size_t a, std::size_t b) { return crowd[a] > crowd[b]; });
      last.resize(n - chosen.size());
      chosen.insert(chosen.end(), last.begin(), last.end());
      break;
    }
    // Survivors' rank and crowding are recomputed among themselves, as the tournaments of the
    // next generation compare survivors only.
    Objs sobjs;
    for (auto c : chosen) sobjs.push_back(objs[c]);
    rank_and_crowd(sobjs, rank, crowd, fronts);
    std::vector<Parent> next;
    for (std::size_t k = 0; k < chosen.size(); ++k) {
      next.push_back({pool[feas[chosen[k]]], rank[k], crowd[k]});
    }
    // Infeasible points carry no violation measure: a random (seeded) subset fills the places.
    for (std::size_t k = 0; k < infeas.size() && next.size() < n; ++k) {
      std::swap(infeas[k], infeas[k + rng_.below(infeas.size() - k)]);
      next.push_back({pool[infeas[k]], fronts.size(), 0.0});
    }
    parents_ = std::move(next);
  }

  const Parent& tournament() {
    const Parent& a = parents_[rng_.below(parents_.size())];
    const Parent& b = parents_[rng_.below(parents_.size())];
    if (b.rank < a.rank || (b.rank == a.rank && b.crowding > a.crowding)) return b;
    return a;
  }

  void mutate(Point& c) {
    for (std::size_t i = 0; i < c.size(); ++i) {
      if (card_[i] < 2 || rng_.uniform() >= prm_.mutation) continue;
      if (rng_.uniform() < 0.5) {
        // A neighbouring choice: knobs are mostly ordinal (sizes, bit widths).
        const bool up = rng_.uniform() < 0.5;
        if (c[i] == 0) {
          c[i] = 1;
        } else if (c[i] + 1 == card_[i]) {
          c[i] -= 1;
        } else {
          c[i] = up ? c[i] + 1 : c[i] - 1;
        }
      } else {
        auto v = static_cast<std::uint32_t>(rng_.below(card_[i] - 1));
        c[i] = v >= c[i] ? v + 1 : v;  // any other choice
      }
    }
  }

  /// Moves one random gene to a neighbouring choice.
  void nudge(Point& c) {
    std::vector<std::size_t> genes;
    for (std::size_t i = 0; i < c.size(); ++i) {
      if (card_[i] > 1) genes.push_back(i);
    }
    if (genes.empty()) return;
    const std::size_t i = genes[rng_.below(genes.size())];
    if (c[i] == 0) {
      c[i] = 1;
    } else if (c[i] + 1 == card_[i] || rng_.uniform() < 0.5) {
      c[i] -= 1;
    } else {
      c[i] += 1;
    }
  }

  bool unseen(const Point& p) const { return cache_.find(p) == cache_.end(); }

  void enqueue(Point p) {
    cache_.emplace(p, Entry{});
    queue_.push_back(std::move(p));
  }

  /// A uniformly random point never asked (or queued); nullopt when there is none left.
  std::optional<Point> random_unseen() {
    if (cache_.size() >= size_) return std::nullopt;
    for (int attempt = 0; attempt < 64; ++attempt) {
      Point p(card_.size());
      for (std::size_t i = 0; i < card_.size(); ++i) {
        p[i] = static_cast<std::uint32_t>(rng_.below(card_[i]));
      }
      if (unseen(p)) return p;
    }
    // Nearly exhausted (only reachable for spaces that were mostly visited, hence small): scan.
    if (size_ > (std::uint64_t{1} << 32)) return std::nullopt;
    const std::uint64_t start = rng_.below(size_);
    for (std::uint64_t k = 0; k < size_; ++k) {
      Point p = point_at((start + k) % size_, card_);
      if (unseen(p)) return p;
    }
    return std::nullopt;
  }

  /// Queues up to `count` new points: children of the parents (the initial population is random).
  /// A child equal to a point already asked is never asked again: its outcome is known (cached),
  /// so it is bred again, and after repeated failures replaced by a random unseen point.
  void breed(std::uint64_t count) {
    std::uint64_t made = 0;
    int stale = 0;
    while (made < count) {
      if (parents_.empty() || stale >= 16) {
        auto p = random_unseen();
        if (!p) return;
        enqueue(std::move(*p));
        ++made;
        stale = 0;
        continue;
      }
      Point c1 = tournament().point;
      Point c2 = tournament().point;
      if (rng_.uniform() < prm_.crossover) {
        for (std::size_t i = 0; i < c1.size(); ++i) {
          if (rng_.uniform() < 0.5) std::swap(c1[i], c2[i]);
        }
      }
      mutate(c1);
      mutate(c2);
      ++stale;
      for (Point* c : {&c1, &c2}) {
        // A child equal to a known point moves to a neighbour instead: in a discrete space the
        // children of a converged population are mostly repeats, and their neighbourhood is
        // where the front continues.
        for (int k = 0; k < 8 && !unseen(*c); ++k) nudge(*c);
        if (made < count && unseen(*c)) {
          enqueue(std::move(*c));
          ++made;
          stale = 0;
        }
      }
    }
  }

  std::vector<std::uint32_t> card_;
  std::size_t n_obj_;
  std::uint64_t size_;
  std::uint64_t budget_;
  Params prm_;
  Rng rng_;
  std::unordered_map<Point, Entry, PointHash> cache_;  ///< every point ever queued, with outcome
  std::vector<Parent> parents_;
  std::vector<Point> fresh_;   ///< told since the last selection
  std::uint64_t pending_ = 0;  ///< asked, not yet told
  std::deque<Point> queue_;    ///< bred, not yet asked
  std::uint64_t asked_ = 0;
  std::uint64_t selections_ = 0;  ///< = offspring generations bred so far
};

}  // namespace

std::unique_ptr<SearchStrategy> make_nsga2(const SearchProblem& p, const StrategyOptions& o) {
  OptionReader r("nsga2", o);
  validate_problem(p, r);
  if (p.objectives.empty()) r.error("objectives", "at least one objective is needed");
  Params prm;
  prm.population = r.get_uint("population", 64, 8, 1u << 20);
  if (prm.population % 4 != 0) {
    r.error("population",
            fmt::format("{} is not a multiple of 4 (as pagmo's NSGA-II requires)", prm.population));
  }
  prm.generations = r.get_uint("generations", 0, 0, std::numeric_limits<std::uint32_t>::max());
  prm.crossover = r.get_double("crossover", 0.9, 0.0, 1.0);
  std::size_t varying = 0;
  for (auto c : p.cardinality) varying += c > 1 ? 1 : 0;
  prm.mutation = r.get_double(
      "mutation", 1.0 / static_cast<double>(std::max<std::size_t>(varying, 1)), 0.0, 1.0);
  r.finish();
  // Without a budget or a generation count the search would never end.
  if (p.budget == 0 && prm.generations == 0) prm.generations = 100;
  return std::make_unique<Nsga2>(p, prm);
}

}  // namespace mpsim::dse::detail
