// DESCRIPTION: Non-dominated sets and hypervolume (pagmo2) of minimized objective vectors.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <vector>

namespace mpsim::dse {

/// Indices of the points not dominated by any other (all objectives minimized; equal points are
/// all kept). Ascending index order.
std::vector<std::size_t> non_dominated(const std::vector<std::vector<double>>& points);

/// Hypervolume dominated by `points` w.r.t. the reference point `ref` (every point must be <= ref
/// in every objective; points that are not are ignored). Exact (pagmo2's hypervolume).
double hypervolume(const std::vector<std::vector<double>>& points, const std::vector<double>& ref);

}  // namespace mpsim::dse
