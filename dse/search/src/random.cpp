// DESCRIPTION: The random strategy: distinct uniformly random points from a seeded, portable PRNG,
// up to the budget (budget 0: the whole space in random order).
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <limits>

#include "common.h"

namespace mpsim::dse::detail {
namespace {

class RandomSearch final : public SearchStrategy {
 public:
  RandomSearch(const SearchProblem& p, std::uint64_t budget)
      : sampler_(p.cardinality, p.seed), budget_(budget) {}

  std::vector<Point> ask(std::size_t n) override {
    std::vector<Point> out;
    while (out.size() < n && sampler_.drawn() < budget_) {
      auto p = sampler_.next();
      if (!p) break;
      outstanding_.asked(*p);
      out.push_back(std::move(*p));
    }
    return out;
  }

  void tell(const Point& p, const Outcome&) override { outstanding_.told(p, "random"); }

 private:
  DistinctSampler sampler_;
  std::uint64_t budget_;
  Outstanding outstanding_;
};

}  // namespace

std::unique_ptr<SearchStrategy> make_random(const SearchProblem& p, const StrategyOptions& o) {
  OptionReader r("random", o);
  validate_problem(p, r);
  const std::uint64_t size = p.size();
  if (p.budget == 0 && size == std::numeric_limits<std::uint64_t>::max()) {
    r.error(
        "budget",
        "the design space has 2^64 points or more; set a budget (max evaluations) to sample it");
  }
  r.finish();
  return std::make_unique<RandomSearch>(p, p.budget == 0 ? size : p.budget);
}

}  // namespace mpsim::dse::detail
