// DESCRIPTION: Non-dominated filtering (sort + sweep against the running front) and exact
// hypervolume through pagmo2.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/dse/pareto.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <pagmo/utils/hypervolume.hpp>

#include "mpsim/base/error.h"

namespace mpsim::dse {
namespace {

bool has_nan(const std::vector<double>& p) {
  return std::any_of(p.begin(), p.end(), [](double v) { return std::isnan(v); });
}

/// a dominates b: no worse anywhere, strictly better somewhere (minimization).
bool dominates(const std::vector<double>& a, const std::vector<double>& b) {
  bool strictly = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) strictly = true;
  }
  return strictly;
}

}  // namespace

std::vector<std::size_t> non_dominated(const std::vector<std::vector<double>>& points) {
  if (points.empty()) return {};
  const std::size_t dim = points.front().size();
  // A point with NaN is incomparable (it neither dominates nor is dominated), and NaN would break
  // the strict weak ordering the sort needs, so such points are left out of the front.
  std::vector<std::size_t> order;
  order.reserve(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    MPSIM_CHECK(points[i].size() == dim, "non_dominated: points of different dimensions");
    if (!has_nan(points[i])) order.push_back(i);
  }
  // After a lexicographic sort only earlier points can dominate a point (a later distinct point is
  // larger at its first differing coordinate), and a point dominated by a dominated point is also
  // dominated by a front member (transitivity), so each point is checked against the front so far:
  // O(n log n + n * front) instead of O(n^2).
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return points[a] < points[b]; });
  std::vector<std::size_t> front;
  if (dim == 2) {
    // Two objectives (the common case, and the one whose front can be as large as the input):
    // O(n log n). A point is dominated by an earlier one with a smaller x and y <= its y, or by
    // one with the same x and a smaller y; `best` is the least y over all smaller x.
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t g = 0; g < order.size();) {
      const double x = points[order[g]][0], y0 = points[order[g]][1];
      std::size_t end = g;
      for (; end < order.size() && points[order[end]][0] == x; ++end) {
        if (points[order[end]][1] == y0 && y0 < best) front.push_back(order[end]);
      }
      best = std::min(best, y0);
      g = end;
    }
    std::sort(front.begin(), front.end());
    return front;
  }
  for (std::size_t i : order) {
    const bool dominated = std::any_of(
        front.begin(), front.end(), [&](std::size_t f) { return dominates(points[f], points[i]); });
    if (!dominated) front.push_back(i);
  }
  std::sort(front.begin(), front.end());
  return front;
}

double hypervolume(const std::vector<std::vector<double>>& points, const std::vector<double>& ref) {
  MPSIM_CHECK(std::all_of(ref.begin(), ref.end(), [](double v) { return std::isfinite(v); }),
              "hypervolume: the reference point must be finite");
  std::vector<std::vector<double>> inside;
  for (const auto& p : points) {
    MPSIM_CHECK(p.size() == ref.size(), "hypervolume: point and reference of different dimensions");
    bool ok = true;
    for (std::size_t i = 0; i < p.size(); ++i) ok = ok && !std::isnan(p[i]) && p[i] <= ref[i];
    // -inf would make the volume infinite; pagmo would return inf or NaN depending on algorithm.
    for (double v : p) ok = ok && std::isfinite(v);
    if (ok) inside.push_back(p);
  }
  if (inside.empty() || ref.empty()) return 0.0;
  if (ref.size() == 1) {
    // pagmo needs at least two objectives; one is the length from the best point to the reference.
    double best = ref[0];
    for (const auto& p : inside) best = std::min(best, p[0]);
    return ref[0] - best;
  }
  const pagmo::hypervolume hv(inside, /*verify=*/true);
  return hv.compute(ref);
}

}  // namespace mpsim::dse
