// DESCRIPTION: The strategy registry (lookup with did-you-mean), SearchProblem::size() and the list
// of built-in strategies: adding a strategy is one .cpp plus one line in builtin_strategies().
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include "common.h"
#include "mpsim/base/error.h"
#include "mpsim/dse/search.h"

namespace mpsim::dse {

std::uint64_t SearchProblem::size() const { return detail::space_size(cardinality); }

void StrategyRegistry::add(std::string name, std::string description, StrategyFactory f) {
  MPSIM_CHECK(f != nullptr, "strategy '" + name + "' registered without a factory");
  const bool inserted = entries_.emplace(name, Entry{std::move(description), std::move(f)}).second;
  MPSIM_CHECK(inserted, "strategy '" + name + "' registered twice");
}

namespace {

[[noreturn]] void unknown_strategy(std::string_view name, const std::vector<std::string>& names) {
  const std::string close = closest_match(name, names);
  throw ConfigError(
      Diagnostic{"", "search.strategy",
                 fmt::format("unknown search strategy '{}'{} (known: {})", name,
                             close.empty() ? "" : fmt::format(" (did you mean '{}'?)", close),
                             fmt::join(names, ", "))});
}

}  // namespace

std::unique_ptr<SearchStrategy> StrategyRegistry::create(std::string_view name,
                                                         const SearchProblem& p,
                                                         const StrategyOptions& o) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) unknown_strategy(name, names());
  return it->second.factory(p, o);
}

std::vector<std::string> StrategyRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, entry] : entries_) out.push_back(name);
  return out;
}

const std::string& StrategyRegistry::description(std::string_view name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) unknown_strategy(name, names());
  return it->second.description;
}

const StrategyRegistry& builtin_strategies() {
  static const StrategyRegistry registry = [] {
    StrategyRegistry r;
    r.add("exhaustive", "every point of the design space in a fixed (mixed-radix) order",
          detail::make_exhaustive);
    r.add("random", "distinct uniformly random points (seeded) up to the budget",
          detail::make_random);
    r.add("nsga2",
          "NSGA-II (pagmo2 non-dominated sorting and crowding; integer crossover and mutation; "
          "infeasible points dominated by feasible ones); options: population, generations, "
          "crossover, mutation",
          detail::make_nsga2);
    r.add("hawq",
          "layer-wise bit allocation (HAWQ-V2/V3 style): for each hardware point, per-layer "
          "precisions on the Pareto frontier of total sensitivity vs cost; option: frontier",
          detail::make_hawq);
    return r;
  }();
  return registry;
}

}  // namespace mpsim::dse
