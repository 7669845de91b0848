// DESCRIPTION: Search strategies behind one ask/tell interface, selected by name from a registry
// (like PE types): exhaustive, random (seeded), nsga2 (pagmo2), hawq (layer-wise bit allocation).
// The driver asks for a batch of points, evaluates them (possibly in parallel, possibly from the
// results store) and tells every result back. Strategies never see configs, only knob indices.
// SPDX-License-Identifier: Apache-2.0
//
// Example:
//   auto s = builtin_strategies().create("nsga2", problem, {{"population", "64"}});
//   while (true) {
//     auto batch = s->ask(16);
//     if (batch.empty()) break;
//     for (auto& p : batch) s->tell(p, evaluate(p));
//   }
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mpsim/dse/types.h"

namespace mpsim::dse {

/// A per-layer-group precision knob as the layer-wise strategy sees it: for each of its choices,
/// the accuracy cost (sensitivity: SQNR lost vs the highest-precision choice, dB, >= 0; from the
/// golden model) and the resource cost (e.g. weight bits of that layer group), both additive over
/// groups.
struct LayerKnob {
  std::size_t knob = 0;                ///< index into the problem's knobs
  std::vector<double> sensitivity_db;  ///< per choice
  std::vector<double> cost;            ///< per choice
};

/// What a strategy searches: a box of integer knobs, the objectives' count, a budget and a seed.
struct SearchProblem {
  std::vector<std::string> knob_names;
  std::vector<std::uint32_t> cardinality;  ///< choices per knob (each >= 1)
  std::vector<std::string> objectives;     ///< names (see types.h), all minimized
  std::uint64_t budget = 0;                ///< max evaluations; 0 = the strategy's own default
  std::uint64_t seed = 1;
  std::vector<LayerKnob> layer_knobs;  ///< optional (used by "hawq")
  std::uint64_t size() const;          ///< product of cardinalities (saturates at UINT64_MAX)
};

/// The objective vector of one evaluated point as strategies see it (minimized); `feasible` false
/// for infeasible or failed points (their objectives are meaningless).
struct Outcome {
  std::vector<double> objectives;
  bool feasible = true;
};

class SearchStrategy {
 public:
  virtual ~SearchStrategy() = default;
  /// Up to `n` points to evaluate next (never one already asked for); empty when the search is
  /// done (budget spent or space exhausted).
  virtual std::vector<Point> ask(std::size_t n) = 0;
  /// The outcome of a point returned by ask(). Every asked point is told exactly once.
  virtual void tell(const Point& p, const Outcome& o) = 0;
};

using StrategyOptions = std::map<std::string, std::string>;
using StrategyFactory =
    std::function<std::unique_ptr<SearchStrategy>(const SearchProblem&, const StrategyOptions&)>;

class StrategyRegistry {
 public:
  void add(std::string name, std::string description, StrategyFactory f);
  /// Throws ConfigError (naming the option or the closest strategy name) on bad input.
  std::unique_ptr<SearchStrategy> create(std::string_view name, const SearchProblem& p,
                                         const StrategyOptions& o = {}) const;
  std::vector<std::string> names() const;
  const std::string& description(std::string_view name) const;

 private:
  struct Entry {
    std::string description;
    StrategyFactory factory;
  };
  std::map<std::string, Entry, std::less<>> entries_;
};

/// Every built-in strategy.
const StrategyRegistry& builtin_strategies();

}  // namespace mpsim::dse
