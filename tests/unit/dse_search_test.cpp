// DESCRIPTION: The search strategies on toy spaces whose Pareto fronts are known by brute force:
// exhaustive order, random distinctness and seeding, NSGA-II finding whole fronts without asking a
// point twice, HAWQ proposals equal to the brute-force frontier of the layer knobs, infeasible
// points, and registry/option errors.
// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "mpsim/base/error.h"
#include "mpsim/dse/search.h"

namespace mpsim::dse {
namespace {

using ::testing::HasSubstr;
using Objv = std::vector<double>;
using EvalFn = std::function<Outcome(const Point&)>;

struct SearchLog {
  std::vector<Point> asked;          ///< in ask order
  std::map<Point, Outcome> outcome;  ///< every told point
};

// The driver of search.h's example. Fails the test if a point is asked twice or a batch is larger
// than requested.
SearchLog drive(SearchStrategy& s, const EvalFn& f, std::size_t batch) {
  SearchLog r;
  for (int guard = 0; guard < 1000000; ++guard) {
    auto b = s.ask(batch);
    EXPECT_LE(b.size(), batch);
    if (b.empty()) break;
    for (const auto& p : b) {
      EXPECT_TRUE(r.outcome.emplace(p, Outcome{}).second) << "asked twice";
      r.asked.push_back(p);
    }
    for (const auto& p : b) {
      const Outcome o = f(p);
      r.outcome[p] = o;
      s.tell(p, o);
    }
  }
  return r;
}

bool dominates(const Objv& a, const Objv& b) {
  bool strictly = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) strictly = true;
  }
  return strictly;
}

// Non-dominated objective vectors of the feasible outcomes (brute force, O(n^2)).
std::set<Objv> front_of(const std::vector<Outcome>& outs) {
  std::set<Objv> all;
  for (const auto& o : outs) {
    if (o.feasible) all.insert(o.objectives);
  }
  std::set<Objv> front;
  for (const auto& a : all) {
    bool dominated = false;
    for (const auto& b : all) dominated = dominated || dominates(b, a);
    if (!dominated) front.insert(a);
  }
  return front;
}

std::set<Objv> front_of(const SearchLog& r) {
  std::vector<Outcome> outs;
  for (const auto& [p, o] : r.outcome) outs.push_back(o);
  return front_of(outs);
}

bool in_bounds(const Point& p, const std::vector<std::uint32_t>& card) {
  if (p.size() != card.size()) return false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] >= card[i]) return false;
  }
  return true;
}

// Toy space A: 12 x 10 x 8 = 960 points, two non-separable objectives, ~1/7 infeasible. An
// infeasible outcome carries very attractive garbage objectives: a strategy that ranks them
// would chase them and miss the real front.
SearchProblem toy_problem(std::uint64_t budget, std::uint64_t seed) {
  SearchProblem p;
  p.knob_names = {"a", "b", "c"};
  p.cardinality = {12, 10, 8};
  p.objectives = {"latency", "energy"};
  p.budget = budget;
  p.seed = seed;
  return p;
}

bool toy_infeasible(const Point& x) { return (3 * x[0] + 5 * x[1] + x[2]) % 7 == 0; }

Outcome toy_eval(const Point& x) {
  if (toy_infeasible(x)) return Outcome{{-1e9, -1e9}, false};
  const double a = x[0], b = x[1], c = x[2];
  const double f1 = (a + 1) * (1 + std::abs(b - 3)) + 0.5 * c;
  const double f2 = (11 - a) * (11 - a) + (b - 6) * (b - 6) / 2 + (7 - c) * (a + 1) / 4;
  return Outcome{{f1, f2}, true};
}

std::vector<Point> all_points(const std::vector<std::uint32_t>& card) {
  std::vector<Point> out{Point{}};
  for (std::uint32_t c : card) {
    std::vector<Point> next;
    for (const auto& p : out) {
      for (std::uint32_t v = 0; v < c; ++v) {
        next.push_back(p);
        next.back().push_back(v);
      }
    }
    out = std::move(next);
  }
  return out;
}

std::set<Objv> brute_force_front(const std::vector<std::uint32_t>& card, const EvalFn& f) {
  std::vector<Outcome> outs;
  for (const auto& p : all_points(card)) outs.push_back(f(p));
  return front_of(outs);
}

// ---------------------------------------------------------------------------------------------
// Registry and validation

TEST(SearchProblem, SizeIsTheProductAndSaturates) {
  SearchProblem p;
  p.cardinality = {12, 10, 8};
  EXPECT_EQ(p.size(), 960u);
  p.cardinality = {1u << 31, 1u << 31, 4};  // 2^64 exactly: does not fit
  EXPECT_EQ(p.size(), std::numeric_limits<std::uint64_t>::max());
  p.cardinality = {1u << 31, 1u << 31, 3};  // 3 * 2^62 < 2^64
  EXPECT_EQ(p.size(), 3ull << 62);
  p.cardinality = {};
  EXPECT_EQ(p.size(), 1u);
}

TEST(StrategyRegistry, ListsTheBuiltins) {
  EXPECT_EQ(builtin_strategies().names(),
            (std::vector<std::string>{"exhaustive", "hawq", "nsga2", "random"}));
  for (const auto& n : builtin_strategies().names()) {
    EXPECT_FALSE(builtin_strategies().description(n).empty()) << n;
  }
}

std::string config_error(const std::function<void()>& f, std::size_t* n_diags = nullptr) {
  try {
    f();
  } catch (const ConfigError& e) {
    if (n_diags != nullptr) *n_diags = e.diagnostics().size();
    return e.what();
  }
  ADD_FAILURE() << "no ConfigError";
  return {};
}

TEST(StrategyRegistry, UnknownNameSuggestsTheClosest) {
  const auto p = toy_problem(10, 1);
  auto msg = config_error([&] { builtin_strategies().create("nsga", p); });
  EXPECT_THAT(msg, HasSubstr("unknown search strategy 'nsga'"));
  EXPECT_THAT(msg, HasSubstr("did you mean 'nsga2'"));
  EXPECT_THAT(msg, HasSubstr("exhaustive, hawq, nsga2, random"));
  msg = config_error([&] { builtin_strategies().create("exhaustiv", p); });
  EXPECT_THAT(msg, HasSubstr("did you mean 'exhaustive'"));
  msg = config_error([&] { builtin_strategies().description("simulated_annealing"); });
  EXPECT_THAT(msg, HasSubstr("unknown search strategy 'simulated_annealing'"));
}

TEST(StrategyRegistry, UnknownOptionNamesTheOptionAndTheStrategy) {
  const auto p = toy_problem(10, 1);
  auto msg = config_error([&] { builtin_strategies().create("nsga2", p, {{"populaton", "64"}}); });
  EXPECT_THAT(msg, HasSubstr("populaton"));
  EXPECT_THAT(msg, HasSubstr("'nsga2'"));
  EXPECT_THAT(msg, HasSubstr("did you mean 'population'"));
  // Strategies without options reject every option.
  msg = config_error([&] { builtin_strategies().create("exhaustive", p, {{"order", "x"}}); });
  EXPECT_THAT(msg, HasSubstr("unknown option 'order'"));
  EXPECT_THAT(msg, HasSubstr("'exhaustive'"));
  msg = config_error([&] { builtin_strategies().create("random", p, {{"seed", "3"}}); });
  EXPECT_THAT(msg, HasSubstr("unknown option 'seed'"));
}

TEST(StrategyRegistry, EveryBadOptionValueIsReportedAtOnce) {
  const auto p = toy_problem(10, 1);
  std::size_t n = 0;
  const auto msg = config_error(
      [&] {
        builtin_strategies().create("nsga2", p,
                                    {{"population", "30"},
                                     {"crossover", "1.5"},
                                     {"mutation", "abc"},
                                     {"generations", "-1"},
                                     {"elitism", "yes"}});
      },
      &n);
  EXPECT_EQ(n, 5u) << msg;
  EXPECT_THAT(msg, HasSubstr("population: search strategy 'nsga2': 30 is not a multiple of 4"));
  EXPECT_THAT(msg, HasSubstr("crossover: search strategy 'nsga2': 1.5 is out of range [0, 1]"));
  EXPECT_THAT(msg, HasSubstr("mutation: search strategy 'nsga2': 'abc' is not a finite number"));
  EXPECT_THAT(msg, HasSubstr("generations: search strategy 'nsga2': '-1' is not a non-negative"));
  EXPECT_THAT(msg, HasSubstr("unknown option 'elitism'"));
  EXPECT_THAT(config_error([&] {
                builtin_strategies().create("nsga2", p, {{"population", "4"}});
              }),
              HasSubstr("4 is out of range [8,"));
  EXPECT_THAT(config_error([&] {
                builtin_strategies().create("hawq", p, {{"frontier", "x"}});
              }),
              HasSubstr("frontier: search strategy 'hawq': 'x' is not a non-negative integer"));
}

TEST(StrategyRegistry, BadProblemsAreConfigErrors) {
  SearchProblem p;
  p.knob_names = {"a", "b", "c"};
  p.cardinality = {3, 0};
  p.objectives = {};
  std::size_t n = 0;
  const auto msg = config_error([&] { builtin_strategies().create("nsga2", p); }, &n);
  EXPECT_EQ(n, 3u) << msg;
  EXPECT_THAT(msg, HasSubstr("3 knob names for 2 knob cardinalities"));
  EXPECT_THAT(msg, HasSubstr("knob 'b' has no choices"));
  EXPECT_THAT(msg, HasSubstr("at least one objective"));
  p = SearchProblem{};
  for (const auto& name : builtin_strategies().names()) {
    EXPECT_THAT(config_error([&] { builtin_strategies().create(name, p); }), HasSubstr("no knobs"))
        << name;
  }
}

// ---------------------------------------------------------------------------------------------
// exhaustive

TEST(Exhaustive, VisitsEveryPointOnceInMixedRadixOrderAndFindsTheExactFront) {
  const auto p = toy_problem(0, 1);
  auto s = builtin_strategies().create("exhaustive", p);
  const SearchLog r = drive(*s, toy_eval, 7);  // 960 is not a multiple of 7: a partial last batch
  std::vector<Point> expected;
  for (std::uint32_t a = 0; a < 12; ++a) {
    for (std::uint32_t b = 0; b < 10; ++b) {
      for (std::uint32_t c = 0; c < 8; ++c) expected.push_back({a, b, c});
    }
  }
  EXPECT_EQ(r.asked, expected);
  EXPECT_EQ(front_of(r), brute_force_front(p.cardinality, toy_eval));
  EXPECT_TRUE(s->ask(5).empty());
}

TEST(Exhaustive, StopsAtTheBudgetAndEnumeratesSpacesBeyond64Bits) {
  auto p = toy_problem(100, 1);
  auto s = builtin_strategies().create("exhaustive", p);
  const SearchLog r = drive(*s, toy_eval, 64);
  ASSERT_EQ(r.asked.size(), 100u);
  EXPECT_EQ(r.asked.back(), (Point{1, 2, 3}));  // index 99 = 1*80 + 2*8 + 3
  p.cardinality = {1u << 31, 1u << 31, 1u << 31};
  p.budget = 0;
  s = builtin_strategies().create("exhaustive", p);
  EXPECT_EQ(s->ask(3), (std::vector<Point>{{0, 0, 0}, {0, 0, 1}, {0, 0, 2}}));
}

// ---------------------------------------------------------------------------------------------
// random

TEST(Random, VisitsDistinctPointsReproduciblyAndDiffersAcrossSeeds) {
  const auto p = toy_problem(200, 7);
  const SearchLog r1 = drive(*builtin_strategies().create("random", p), toy_eval, 16);
  const SearchLog r2 = drive(*builtin_strategies().create("random", p), toy_eval, 50);
  auto p3 = p;
  p3.seed = 8;
  const SearchLog r3 = drive(*builtin_strategies().create("random", p3), toy_eval, 16);
  ASSERT_EQ(r1.asked.size(), 200u);
  EXPECT_EQ(r1.asked, r2.asked) << "same seed, different batch sizes: same sequence";
  EXPECT_NE(r1.asked, r3.asked);
  std::set<std::uint32_t> a_values;
  for (const auto& x : r1.asked) {
    EXPECT_TRUE(in_bounds(x, p.cardinality));
    a_values.insert(x[0]);
  }
  EXPECT_EQ(a_values.size(), 12u) << "200 uniform draws should cover all 12 values of a";
  // Not the exhaustive order in disguise.
  EXPECT_FALSE(std::is_sorted(r1.asked.begin(), r1.asked.end()));
}

TEST(Random, WithoutBudgetIsAPermutationOfTheWholeSpace) {
  const auto p = toy_problem(0, 3);
  const SearchLog r = drive(*builtin_strategies().create("random", p), toy_eval, 100);
  EXPECT_EQ(r.asked.size(), 960u);  // drive() already checked they are distinct
  EXPECT_EQ(front_of(r), brute_force_front(p.cardinality, toy_eval));
}

TEST(Random, HugeSpacesNeedABudgetAndStillGiveDistinctPoints) {
  SearchProblem p;
  p.cardinality = {1u << 31, 1u << 31, 1u << 31, 2};
  p.objectives = {"latency"};
  EXPECT_THAT(config_error([&] { builtin_strategies().create("random", p); }),
              HasSubstr("budget: search strategy 'random'"));
  p.budget = 300;
  const SearchLog r = drive(
      *builtin_strategies().create("random", p),
      [](const Point&) {
        return Outcome{{1.0}, true};
      },
      64);
  EXPECT_EQ(r.asked.size(), 300u);
  for (const auto& x : r.asked) EXPECT_TRUE(in_bounds(x, p.cardinality));
}

TEST(SearchStrategy, TellOfAPointNeverAskedIsABug) {
  const auto p = toy_problem(10, 1);
  for (const auto& name : {"exhaustive", "random", "nsga2"}) {
    auto s = builtin_strategies().create(name, p);
    const auto b = s->ask(2);
    ASSERT_EQ(b.size(), 2u);
    s->tell(b[0], toy_eval(b[0]));
    EXPECT_DEATH(s->tell(b[0], toy_eval(b[0])), "not asked or was already told") << name;
  }
}

// ---------------------------------------------------------------------------------------------
// nsga2

TEST(Nsga2, FindsTheWholeKnownFrontWithHalfTheSpaceWhereRandomSearchDoesNot) {
  const auto truth = brute_force_front(toy_problem(0, 1).cardinality, toy_eval);
  ASSERT_EQ(truth.size(), 31u) << "the toy front should not be trivial";
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const auto p = toy_problem(480, seed);
    const SearchLog r =
        drive(*builtin_strategies().create("nsga2", p, {{"population", "16"}}), toy_eval, 8);
    EXPECT_EQ(r.asked.size(), 480u) << "seed " << seed;
    EXPECT_EQ(front_of(r), truth) << "seed " << seed;
    // The same budget spent at random misses much of the front: finding it is the search's doing.
    const SearchLog base = drive(*builtin_strategies().create("random", p), toy_eval, 8);
    std::size_t hits = 0;
    for (const auto& v : front_of(base)) hits += truth.count(v);
    EXPECT_LT(hits, truth.size() - 5) << "seed " << seed;
  }
}

TEST(Nsga2, IsDeterministicBySeedAndDiffersAcrossSeeds) {
  const StrategyOptions o{{"population", "16"}};
  const SearchLog a =
      drive(*builtin_strategies().create("nsga2", toy_problem(200, 5), o), toy_eval, 8);
  const SearchLog b =
      drive(*builtin_strategies().create("nsga2", toy_problem(200, 5), o), toy_eval, 8);
  const SearchLog c =
      drive(*builtin_strategies().create("nsga2", toy_problem(200, 6), o), toy_eval, 8);
  EXPECT_EQ(a.asked, b.asked);
  EXPECT_NE(a.asked, c.asked);
}

TEST(Nsga2, PipelinedAsksGrowTheGenerationWithoutRepeats) {
  // A driver that keeps 3 batches in flight: ask() must never stall (empty means done).
  const auto p = toy_problem(300, 2);
  auto s = builtin_strategies().create("nsga2", p, {{"population", "16"}});
  std::vector<std::vector<Point>> in_flight;
  std::set<Point> seen;
  std::vector<Outcome> outs;
  while (true) {
    while (in_flight.size() < 3) {
      auto b = s->ask(8);
      if (b.empty()) break;
      in_flight.push_back(std::move(b));
    }
    if (in_flight.empty()) break;
    for (const auto& x : in_flight.front()) {
      EXPECT_TRUE(seen.insert(x).second) << "asked twice";
      outs.push_back(toy_eval(x));
      s->tell(x, outs.back());
    }
    in_flight.erase(in_flight.begin());
  }
  EXPECT_EQ(seen.size(), 300u);
  const auto truth = brute_force_front(p.cardinality, toy_eval);
  const auto found = front_of(outs);
  std::size_t hits = 0;
  for (const auto& v : found) hits += truth.count(v);
  EXPECT_GE(hits, truth.size() * 3 / 4) << "pipelining should not break the search";
}

TEST(Nsga2, ExhaustsATinySpaceWithoutAskingAPointTwice) {
  SearchProblem p;
  p.cardinality = {3, 3};
  p.objectives = {"latency", "energy"};
  const SearchLog r = drive(
      *builtin_strategies().create("nsga2", p, {{"population", "8"}}),
      [](const Point& x) {
        return Outcome{{double(x[0]), double(x[1])}, true};
      },
      4);
  EXPECT_EQ(r.asked.size(), 9u);
}

TEST(Nsga2, GenerationsBoundTheSearchWithoutABudget) {
  // The initial population plus `generations` offspring generations, each `population` points.
  const auto p = toy_problem(0, 4);
  const SearchLog two =
      drive(*builtin_strategies().create("nsga2", p, {{"population", "8"}, {"generations", "2"}}),
            toy_eval, 8);
  EXPECT_EQ(two.asked.size(), 3u * 8u);
  // Neither a budget nor a generation count: 100 generations.
  const SearchLog dflt =
      drive(*builtin_strategies().create("nsga2", p, {{"population", "8"}}), toy_eval, 8);
  EXPECT_EQ(dflt.asked.size(), 101u * 8u);
}

TEST(Nsga2, SingleObjectiveFindsTheMinimum) {
  SearchProblem p = toy_problem(300, 1);
  p.objectives = {"latency"};
  const SearchLog r = drive(
      *builtin_strategies().create("nsga2", p, {{"population", "16"}}),
      [](const Point& x) {
        const double a = x[0], b = x[1], c = x[2];
        return Outcome{{(a - 9) * (a - 9) + (b - 2) * (b - 2) + (c - 5) * c}, true};
      },
      16);
  double best = std::numeric_limits<double>::infinity();
  for (const auto& [x, o] : r.outcome) best = std::min(best, o.objectives[0]);
  EXPECT_EQ(best, -6.0);  // a=9, b=2, c=2 or 3: (c-5)c = -6
}

TEST(Nsga2, MostlyInfeasibleSpacesNeverStopTheSearch) {
  // Feasible only in a corner (a >= 9, b >= 7: 72 of 960 points); the initial population is
  // then nearly all infeasible.
  const EvalFn f = [](const Point& x) {
    if (x[0] < 9 || x[1] < 7) return Outcome{{-1e9, -1e9}, false};
    return toy_eval({x[0], x[1], x[2]});
  };
  const auto p = toy_problem(400, 3);
  const SearchLog r =
      drive(*builtin_strategies().create("nsga2", p, {{"population", "16"}}), f, 16);
  EXPECT_EQ(r.asked.size(), 400u);
  EXPECT_EQ(front_of(r), brute_force_front(p.cardinality, f));
  // Nothing feasible at all: the budget is still spent, nothing breaks.
  const SearchLog none = drive(
      *builtin_strategies().create("nsga2", p, {{"population", "16"}}),
      [](const Point&) {
        return Outcome{{}, false};
      },
      16);
  EXPECT_EQ(none.asked.size(), 400u);
  EXPECT_TRUE(front_of(none).empty());
}

// ---------------------------------------------------------------------------------------------
// hawq

// Knobs: hw0 (3), L0 (4), hw1 (2), L1 (3), L2 (4). Layer costs are bits x size, sensitivities
// dyadic (exact sums). 4*3*4 = 48 assignments.
SearchProblem hawq_problem(std::uint64_t budget, std::uint64_t seed) {
  SearchProblem p;
  p.knob_names = {"hw0", "L0", "hw1", "L1", "L2"};
  p.cardinality = {3, 4, 2, 3, 4};
  p.objectives = {"latency", "accuracy"};
  p.budget = budget;
  p.seed = seed;
  p.layer_knobs = {
      {1, {0, 0.5, 1.5, 6}, {32, 24, 16, 8}},  // 0.5 ties with L2: weakly dominated sums
      {3, {0, 2, 5.5}, {16, 8, 4}},
      {4, {0, 0.5, 1.25, 4.75}, {64, 48, 32, 16}},
  };
  return p;
}

using SensCost = std::pair<double, double>;

SensCost layer_totals(const SearchProblem& p, const Point& x) {
  double s = 0, c = 0;
  for (const auto& l : p.layer_knobs) {
    s += l.sensitivity_db[x[l.knob]];
    c += l.cost[x[l.knob]];
  }
  return {s, c};
}

// Every layer assignment's totals, by brute force over the 48 assignments.
std::vector<SensCost> all_layer_totals(const SearchProblem& p) {
  std::vector<SensCost> out;
  for (const auto& x : all_points(p.cardinality)) {
    if (x[0] == 0 && x[2] == 0) out.push_back(layer_totals(p, x));
  }
  return out;
}

std::set<SensCost> layer_front(const SearchProblem& p) {
  std::vector<Outcome> outs;
  for (auto [s, c] : all_layer_totals(p)) outs.push_back({{s, c}, true});
  std::set<SensCost> out;
  for (const auto& v : front_of(outs)) out.insert({v[0], v[1]});
  return out;
}

// Proposals of a run grouped by hardware point (hw0, hw1).
std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<SensCost>> by_hardware(
    const SearchProblem& p, const SearchLog& r) {
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<SensCost>> out;
  for (const auto& x : r.asked) out[{x[0], x[2]}].push_back(layer_totals(p, x));
  return out;
}

TEST(Hawq, ProposalsAreExactlyTheBruteForceFrontierForEveryHardwarePoint) {
  const auto p = hawq_problem(0, 1);
  const auto truth = layer_front(p);
  ASSERT_GE(truth.size(), 8u);
  const SearchLog r = drive(
      *builtin_strategies().create("hawq", p, {{"frontier", "0"}}),
      [](const Point&) {
        return Outcome{{1, 1}, true};
      },
      5);
  const auto groups = by_hardware(p, r);
  EXPECT_EQ(groups.size(), 6u) << "every hardware combination";
  for (const auto& [hw, props] : groups) {
    EXPECT_EQ(props.size(), truth.size());
    EXPECT_EQ(std::set<SensCost>(props.begin(), props.end()), truth);
  }
  EXPECT_EQ(r.asked.size(), 6 * truth.size());
}

TEST(Hawq, FrontierOptionProposesTheIntegerProgramOptimaAtEvenlySpreadBudgets) {
  const auto p = hawq_problem(0, 1);
  const auto truth = layer_front(p);
  const auto totals = all_layer_totals(p);
  double cmin = 1e300, cmax = -1e300;
  for (auto [s, c] : truth) {
    cmin = std::min(cmin, c);
    cmax = std::max(cmax, c);
  }
  for (std::size_t k : {2u, 3u, 5u}) {
    const SearchLog r = drive(
        *builtin_strategies().create("hawq", p, {{"frontier", std::to_string(k)}}),
        [](const Point&) {
          return Outcome{{1, 1}, true};
        },
        64);
    for (const auto& [hw, props] : by_hardware(p, r)) {
      ASSERT_EQ(props.size(), k);
      const std::set<SensCost> got(props.begin(), props.end());
      EXPECT_EQ(got.size(), k);
      for (const auto& v : got) EXPECT_EQ(truth.count(v), 1u) << "off the frontier";
      for (std::size_t j = 0; j < k; ++j) {
        // min sensitivity s.t. cost <= B, by brute force; then the cheapest with it.
        const double budget = cmin + (cmax - cmin) * double(j) / double(k - 1);
        double best_s = 1e300;
        for (auto [s, c] : totals) {
          if (c <= budget) best_s = std::min(best_s, s);
        }
        double best_c = 1e300;
        for (auto [s, c] : totals) {
          if (s == best_s) best_c = std::min(best_c, c);
        }
        EXPECT_EQ(got.count({best_s, best_c}), 1u) << "k=" << k << " budget=" << budget;
      }
    }
  }
}

TEST(Hawq, ABudgetSamplesDistinctHardwarePointsReproducibly) {
  const StrategyOptions o{{"frontier", "4"}};
  const auto ok = [](const Point&) { return Outcome{{1, 1}, true}; };
  const SearchLog a = drive(*builtin_strategies().create("hawq", hawq_problem(8, 1), o), ok, 3);
  const SearchLog b = drive(*builtin_strategies().create("hawq", hawq_problem(8, 1), o), ok, 3);
  EXPECT_EQ(a.asked, b.asked);
  ASSERT_EQ(a.asked.size(), 8u);
  const auto groups = by_hardware(hawq_problem(8, 1), a);
  EXPECT_EQ(groups.size(), 2u) << "8 / 4 proposals = 2 hardware points";
  for (const auto& [hw, props] : groups) EXPECT_EQ(props.size(), 4u);
  std::set<std::set<std::pair<std::uint32_t, std::uint32_t>>> subsets;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const auto p = hawq_problem(8, seed);
    std::set<std::pair<std::uint32_t, std::uint32_t>> hw;
    for (const auto& [k, v] :
         by_hardware(p, drive(*builtin_strategies().create("hawq", p, o), ok, 8)))
      hw.insert(k);
    subsets.insert(hw);
  }
  EXPECT_GT(subsets.size(), 1u) << "the hardware subset depends on the seed";
}

TEST(Hawq, NeedsValidPerLayerKnobs) {
  auto p = toy_problem(0, 1);
  EXPECT_THAT(config_error([&] { builtin_strategies().create("hawq", p); }),
              HasSubstr("layer_knobs: search strategy 'hawq': needs per-layer precision knobs"));
  p = hawq_problem(0, 1);
  p.layer_knobs[0].knob = 9;
  p.layer_knobs[1].cost.pop_back();
  p.layer_knobs[2].sensitivity_db[1] = -0.5;
  std::size_t n = 0;
  const auto msg = config_error([&] { builtin_strategies().create("hawq", p); }, &n);
  EXPECT_EQ(n, 3u) << msg;
  EXPECT_THAT(msg,
              HasSubstr("layer_knobs[0]: search strategy 'hawq': knob index 9 is out of range"));
  EXPECT_THAT(msg,
              HasSubstr("layer_knobs[1]: search strategy 'hawq': 3 sensitivities and 2 costs"));
  EXPECT_THAT(msg, HasSubstr("layer_knobs[2]: search strategy 'hawq': sensitivity -0.5"));
}

// ---------------------------------------------------------------------------------------------
// Contract of every registered strategy (new strategies get it for free).

class EveryStrategy : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryStrategy, SpendsItsBudgetOnDistinctInBoundsPointsDespiteInfeasibleOnes) {
  // hawq_problem has layer knobs, so every strategy accepts it. About 1/4 of it is infeasible,
  // with garbage objectives that would dominate everything if used.
  const auto f = [](const Point& x) {
    if ((x[0] + x[1] + x[3] + x[4]) % 4 == 1) return Outcome{{-1e9, -1e9}, false};
    return Outcome{{double(x[0] * 7 + x[1] + x[2]), double(x[3] * x[4]) - x[0]}, true};
  };
  const auto p = hawq_problem(60, 9);
  const SearchLog a = drive(*builtin_strategies().create(GetParam(), p), f, 7);
  const SearchLog b = drive(*builtin_strategies().create(GetParam(), p), f, 7);
  EXPECT_EQ(a.asked, b.asked) << "deterministic for a seed";
  // hawq proposes 8 precision assignments for each of the 6 hardware points: 48 fit the budget.
  EXPECT_EQ(a.asked.size(), GetParam() == "hawq" ? 48u : 60u);
  std::size_t infeasible = 0;
  for (const auto& x : a.asked) {
    EXPECT_TRUE(in_bounds(x, p.cardinality));
    infeasible += a.outcome.at(x).feasible ? 0 : 1;
  }
  EXPECT_GT(infeasible, 0u) << "the test must exercise infeasible points";
}

INSTANTIATE_TEST_SUITE_P(Builtin, EveryStrategy, ::testing::ValuesIn(builtin_strategies().names()),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace mpsim::dse
