// DESCRIPTION: The layer-wise bit-allocation strategy ("hawq", in the spirit of HAWQ-V2/V3): per
// hardware point, the per-layer precision assignments on the Pareto frontier of (total
// sensitivity, total cost), found exactly by dynamic programming over the layer knobs.
// SPDX-License-Identifier: Apache-2.0
//
// Algorithm. HAWQ-V3 picks per-layer bit widths b_i by the integer program
//     minimize  sum_i S_i(b_i)   subject to   sum_i C_i(b_i) <= B
// (S: sensitivity, e.g. Hessian-weighted perturbation, here SQNR loss in dB from the golden model;
// C: model size or latency). The optima of that program over every budget B are exactly the
// lower-left staircase of the (cost, sensitivity) plane, i.e. the Pareto frontier of the additive
// objectives. We compute the whole frontier exactly with a multi-objective knapsack DP: after
// layer k the table holds the non-dominated (cost, sensitivity) pairs of assignments of layers
// 1..k (one representative assignment per pair, the lexicographically smallest); extending every
// entry by every choice of layer k+1 and pruning dominated entries keeps it exact, because the
// prefix of a Pareto-optimal assignment is Pareto-optimal among prefixes (otherwise swapping in a
// dominating prefix would dominate the whole assignment). Cost O(L * F * C log(F * C)) for L
// layers, C choices and a frontier of F points, instead of C^L.
// From the frontier, `frontier` points are proposed: the ILP optima at budgets spread evenly
// from the cheapest to the most expensive frontier point (both ends included); where two budgets
// share an optimum, the remaining places go to the frontier points farthest (in cost) from those
// already chosen. frontier = 0 proposes the whole frontier.
// The precision proposals do not depend on the hardware, which the evaluator scores: every
// combination of the other (hardware) knobs is paired with every proposal, in mixed-radix order;
// when the budget cannot cover all combinations, a seeded random subset of them is used.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "common.h"

namespace mpsim::dse::detail {
namespace {

constexpr std::size_t kMaxFrontier = 1u << 20;

struct Partial {
  double cost = 0;
  double sens = 0;
  std::vector<std::uint32_t> choice;  ///< per layer knob, in layer_knobs order
};

std::vector<Partial> pareto_frontier(const std::vector<LayerKnob>& layers, OptionReader& r) {
  std::vector<Partial> front{Partial{}};
  for (const auto& layer : layers) {
    std::vector<Partial> next;
    next.reserve(front.size() * layer.cost.size());
    for (const auto& p : front) {
      for (std::uint32_t c = 0; c < layer.cost.size(); ++c) {
        Partial q{p.cost + layer.cost[c], p.sens + layer.sensitivity_db[c], p.choice};
        q.choice.push_back(c);
        next.push_back(std::move(q));
      }
    }
    std::sort(next.begin(), next.end(), [](const Partial& a, const Partial& b) {
      if (a.cost != b.cost) return a.cost < b.cost;
      if (a.sens != b.sens) return a.sens < b.sens;
      return a.choice < b.choice;
    });
    front.clear();
    for (auto& q : next) {
      // Sorted by cost: q is non-dominated iff it beats the best sensitivity seen so far.
      if (front.empty() || q.sens < front.back().sens) front.push_back(std::move(q));
    }
    if (front.size() > kMaxFrontier) {
      r.error("layer_knobs", fmt::format("the Pareto frontier of the layer knobs exceeds {} points",
                                         kMaxFrontier));
      return {};
    }
  }
  return front;
}

/// Indices into the (cost-ascending) frontier of the proposals; see the file comment.
std::vector<std::size_t> spread(const std::vector<Partial>& front, std::size_t k) {
  const std::size_t m = front.size();
  std::vector<std::size_t> all(m);
  for (std::size_t i = 0; i < m; ++i) all[i] = i;
  if (k == 0 || m <= k) return all;
  const double lo = front.front().cost, hi = front.back().cost;
  std::vector<bool> taken(m, false);
  std::size_t count = 0;
  for (std::size_t j = 0; j < k; ++j) {
    const double budget =
        j + 1 == k ? hi : lo + (hi - lo) * static_cast<double>(j) / static_cast<double>(k - 1);
    // ILP optimum under `budget`: the most expensive frontier point that fits (least sensitive).
    auto it = std::upper_bound(front.begin(), front.end(), budget,
                               [](double b, const Partial& p) { return b < p.cost; });
    const std::size_t idx = static_cast<std::size_t>(it - front.begin()) - 1;
    if (!taken[idx]) {
      taken[idx] = true;
      ++count;
    }
  }
  while (count < k) {
    std::size_t best = m;
    double best_gap = -1;
    for (std::size_t i = 0; i < m; ++i) {
      if (taken[i]) continue;
      double gap = std::numeric_limits<double>::infinity();
      for (std::size_t t = 0; t < m; ++t) {
        if (taken[t]) gap = std::min(gap, std::abs(front[i].cost - front[t].cost));
      }
      if (gap > best_gap) {
        best_gap = gap;
        best = i;
      }
    }
    taken[best] = true;
    ++count;
  }
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < m; ++i) {
    if (taken[i]) out.push_back(i);
  }
  return out;
}

class Hawq final : public SearchStrategy {
 public:
  Hawq(const SearchProblem& p, std::vector<std::vector<std::uint32_t>> proposals)
      : n_knobs_(p.cardinality.size()), proposals_(std::move(proposals)) {
    std::vector<bool> is_layer(n_knobs_, false);
    for (const auto& l : p.layer_knobs) {
      is_layer[l.knob] = true;
      layer_knob_.push_back(l.knob);
    }
    for (std::size_t i = 0; i < n_knobs_; ++i) {
      if (!is_layer[i]) {
        hw_knob_.push_back(i);
        hw_card_.push_back(p.cardinality[i]);
      }
    }
    const std::uint64_t hw_size = space_size(hw_card_);
    const std::uint64_t per_hw = proposals_.size();
    budget_ = p.budget;
    if (budget_ == 0) {
      hw_count_ = hw_size;
    } else {
      hw_count_ = std::max<std::uint64_t>(1, budget_ / per_hw);
      if (hw_count_ < hw_size) sampler_.emplace(hw_card_, p.seed);
      hw_count_ = std::min(hw_count_, hw_size);
    }
    hw_.assign(hw_card_.size(), 0);
    if (sampler_) hw_ = *sampler_->next();
  }

  std::vector<Point> ask(std::size_t n) override {
    std::vector<Point> out;
    while (out.size() < n && hw_done_ < hw_count_ && (budget_ == 0 || asked_ < budget_)) {
      Point p(n_knobs_, 0);
      for (std::size_t i = 0; i < hw_knob_.size(); ++i) p[hw_knob_[i]] = hw_[i];
      for (std::size_t i = 0; i < layer_knob_.size(); ++i) {
        p[layer_knob_[i]] = proposals_[proposal_][i];
      }
      outstanding_.asked(p);
      out.push_back(std::move(p));
      ++asked_;
      if (++proposal_ == proposals_.size()) {
        proposal_ = 0;
        next_hw();
      }
    }
    return out;
  }

  void tell(const Point& p, const Outcome&) override { outstanding_.told(p, "hawq"); }

 private:
  void next_hw() {
    ++hw_done_;
    if (hw_done_ >= hw_count_) return;
    if (sampler_) {
      hw_ = *sampler_->next();
      return;
    }
    for (std::size_t i = hw_card_.size(); i-- > 0;) {
      if (++hw_[i] < hw_card_[i]) return;
      hw_[i] = 0;
    }
  }

  std::size_t n_knobs_;
  std::vector<std::vector<std::uint32_t>> proposals_;
  std::vector<std::size_t> layer_knob_, hw_knob_;
  std::vector<std::uint32_t> hw_card_;
  std::optional<DistinctSampler> sampler_;  ///< set when only a subset of hardware points fits
  std::uint64_t budget_ = 0, hw_count_ = 0, hw_done_ = 0, asked_ = 0;
  Point hw_;
  std::size_t proposal_ = 0;
  Outstanding outstanding_;
};

void validate_layers(const SearchProblem& p, OptionReader& r) {
  if (p.layer_knobs.empty()) {
    r.error("layer_knobs",
            "needs per-layer precision knobs (per-layer-group formats with sensitivities and "
            "costs); the design space has none");
    return;
  }
  std::vector<bool> seen(p.cardinality.size(), false);
  for (std::size_t i = 0; i < p.layer_knobs.size(); ++i) {
    const LayerKnob& l = p.layer_knobs[i];
    const std::string field = fmt::format("layer_knobs[{}]", i);
    if (l.knob >= p.cardinality.size()) {
      r.error(field, fmt::format("knob index {} is out of range (the space has {} knobs)", l.knob,
                                 p.cardinality.size()));
      continue;
    }
    if (seen[l.knob]) r.error(field, fmt::format("knob {} is listed twice", l.knob));
    seen[l.knob] = true;
    const std::size_t n = p.cardinality[l.knob];
    if (l.sensitivity_db.size() != n || l.cost.size() != n) {
      r.error(field, fmt::format("{} sensitivities and {} costs for a knob with {} choices",
                                 l.sensitivity_db.size(), l.cost.size(), n));
    }
    for (double s : l.sensitivity_db) {
      if (!std::isfinite(s) || s < 0) {
        r.error(field, fmt::format("sensitivity {} is not a finite value >= 0", s));
        break;
      }
    }
    for (double c : l.cost) {
      if (!std::isfinite(c)) {
        r.error(field, fmt::format("cost {} is not finite", c));
        break;
      }
    }
  }
}

}  // namespace

std::unique_ptr<SearchStrategy> make_hawq(const SearchProblem& p, const StrategyOptions& o) {
  OptionReader r("hawq", o);
  validate_problem(p, r);
  const std::size_t frontier = r.get_uint("frontier", 8, 0, kMaxFrontier);
  validate_layers(p, r);
  r.finish();
  std::vector<std::uint32_t> hw_card;
  std::vector<bool> is_layer(p.cardinality.size(), false);
  for (const auto& l : p.layer_knobs) is_layer[l.knob] = true;
  for (std::size_t i = 0; i < p.cardinality.size(); ++i) {
    if (!is_layer[i]) hw_card.push_back(p.cardinality[i]);
  }
  if (p.budget == 0 && space_size(hw_card) == std::numeric_limits<std::uint64_t>::max()) {
    r.error("budget", "the hardware knobs span 2^64 points or more; set a budget");
  }
  const auto front = pareto_frontier(p.layer_knobs, r);
  r.finish();
  std::vector<std::vector<std::uint32_t>> proposals;
  for (std::size_t i : spread(front, frontier)) proposals.push_back(front[i].choice);
  return std::make_unique<Hawq>(p, std::move(proposals));
}

}  // namespace mpsim::dse::detail
