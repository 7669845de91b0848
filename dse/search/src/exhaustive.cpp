// DESCRIPTION: The exhaustive strategy: every point of the box once, in mixed-radix order (last
// knob fastest), up to the budget when one is set.
// SPDX-License-Identifier: Apache-2.0
#include "common.h"

namespace mpsim::dse::detail {
namespace {

class Exhaustive final : public SearchStrategy {
 public:
  Exhaustive(const SearchProblem& p) : card_(p.cardinality), budget_(p.budget) {
    next_.assign(card_.size(), 0);
  }

  std::vector<Point> ask(std::size_t n) override {
    std::vector<Point> out;
    while (out.size() < n && !done_ && (budget_ == 0 || asked_ < budget_)) {
      out.push_back(next_);
      outstanding_.asked(next_);
      ++asked_;
      advance();
    }
    return out;
  }

  void tell(const Point& p, const Outcome&) override { outstanding_.told(p, "exhaustive"); }

 private:
  // A counter rather than an index: spaces beyond 2^64 points still enumerate correctly.
  void advance() {
    for (std::size_t i = card_.size(); i-- > 0;) {
      if (++next_[i] < card_[i]) return;
      next_[i] = 0;
    }
    done_ = true;  // wrapped around
  }

  std::vector<std::uint32_t> card_;
  std::uint64_t budget_;
  Point next_;
  std::uint64_t asked_ = 0;
  bool done_ = false;
  Outstanding outstanding_;
};

}  // namespace

std::unique_ptr<SearchStrategy> make_exhaustive(const SearchProblem& p, const StrategyOptions& o) {
  OptionReader r("exhaustive", o);
  validate_problem(p, r);
  r.finish();
  return std::make_unique<Exhaustive>(p);
}

}  // namespace mpsim::dse::detail
