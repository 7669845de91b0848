// DESCRIPTION: Non-dominated sets (hand examples with ties, duplicates, three objectives, and a
// property test against an O(n^2) brute force) and hypervolume (hand-computed 2-D and 3-D
// examples, and random integer points against counting covered unit cells).
// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "mpsim/dse/pareto.h"

namespace mpsim::dse {
namespace {

using ::testing::ElementsAre;
using Points = std::vector<std::vector<double>>;

TEST(NonDominated, EmptyInputGivesEmptyFront) { EXPECT_TRUE(non_dominated({}).empty()); }

TEST(NonDominated, TwoObjectivesWithTiesAndDuplicates) {
  const Points pts = {
      {1, 5},  // 0: front (best first objective)
      {2, 3},  // 1: front
      {3, 4},  // 2: dominated by 1
      {4, 1},  // 3: front (best second objective)
      {2, 3},  // 4: duplicate of 1: equal points do not dominate each other, both kept
      {1, 6},  // 5: ties 0 in the first objective, worse in the second: dominated
      {5, 1},  // 6: ties 3 in the second objective, worse in the first: dominated
  };
  EXPECT_THAT(non_dominated(pts), ElementsAre(0, 1, 3, 4));
}

TEST(NonDominated, ThreeObjectivesKeepAPointThatOnlyTheThirdSaves) {
  const Points pts = {
      {1, 1, 5},  // 0: front
      {2, 2, 1},  // 1: front (only the third objective keeps it off 0's shadow)
      {3, 3, 3},  // 2: dominated by 1
      {1, 2, 5},  // 3: dominated by 0
      {0, 5, 5},  // 4: front
      {2, 2, 1},  // 5: duplicate of 1, kept
  };
  EXPECT_THAT(non_dominated(pts), ElementsAre(0, 1, 4, 5));
}

TEST(NonDominated, AllEqualPointsAreAllKept) {
  EXPECT_THAT(non_dominated({{2, 2}, {2, 2}, {2, 2}}), ElementsAre(0, 1, 2));
}

TEST(NonDominated, PointsWithNaNAreLeftOut) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(non_dominated({{nan, 0}, {1, 1}, {0, 2}}), ElementsAre(1, 2));
}

std::vector<std::size_t> brute_force_front(const Points& pts) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    bool dominated = false;
    for (std::size_t j = 0; j < pts.size() && !dominated; ++j) {
      bool le = true, lt = false;
      for (std::size_t k = 0; k < pts[i].size(); ++k) {
        le = le && pts[j][k] <= pts[i][k];
        lt = lt || pts[j][k] < pts[i][k];
      }
      dominated = le && lt;
    }
    if (!dominated) out.push_back(i);
  }
  return out;
}

TEST(NonDominated, MatchesBruteForceOnRandomPoints) {
  std::mt19937_64 rng(12345);
  for (int trial = 0; trial < 400; ++trial) {
    const std::size_t dim = 1 + trial % 4;
    const std::size_t n = std::uniform_int_distribution<std::size_t>(0, 120)(rng);
    // A small grid makes ties and duplicates common; a wide one exercises the general case.
    const int grid = trial % 2 == 0 ? 5 : 1000;
    std::uniform_int_distribution<int> coord(0, grid);
    Points pts(n, std::vector<double>(dim));
    for (auto& p : pts)
      for (auto& v : p) v = coord(rng);
    ASSERT_EQ(non_dominated(pts), brute_force_front(pts)) << "trial " << trial;
  }
}

TEST(Hypervolume, HandComputed2D) {
  // The staircase under (1,3), (2,2), (3,1) with reference (4,4): columns x in [1,2) height 1,
  // [2,3) height 2, [3,4) height 3: 1 + 2 + 3 = 6.
  const std::vector<double> ref = {4, 4};
  EXPECT_DOUBLE_EQ(hypervolume({{1, 3}, {2, 2}, {3, 1}}, ref), 6.0);
  // A dominated point adds nothing; a point beyond the reference is ignored.
  EXPECT_DOUBLE_EQ(hypervolume({{1, 3}, {2, 2}, {3, 1}, {3, 3}, {5, 0}}, ref), 6.0);
  EXPECT_DOUBLE_EQ(hypervolume({{0.5, 0.5}}, {2, 4}), 1.5 * 3.5);
}

TEST(Hypervolume, HandComputed3D) {
  // Boxes [0,2]x[0,2]x[1,2] (volume 4) and [1,2]x[1,2]x[0,2] (volume 2) overlap in
  // [1,2]x[1,2]x[1,2] (volume 1): union 4 + 2 - 1 = 5.
  EXPECT_DOUBLE_EQ(hypervolume({{0, 0, 1}, {1, 1, 0}}, {2, 2, 2}), 5.0);
  // Adding (0,1,0): box [0,2]x[1,2]x[0,2] (volume 4). Inclusion-exclusion with A=(0,0,1),
  // B=(1,1,0), C=(0,1,0): |A|=4 |B|=2 |C|=4, |AB|=1 |AC|=2 |BC|=2 |ABC|=1 -> 4+2+4-1-2-2+1 = 6.
  EXPECT_DOUBLE_EQ(hypervolume({{0, 0, 1}, {1, 1, 0}, {0, 1, 0}}, {2, 2, 2}), 6.0);
}

TEST(Hypervolume, EmptyAndOneDimensional) {
  EXPECT_EQ(hypervolume({}, {1, 1}), 0.0);
  EXPECT_EQ(hypervolume({{2, 0}}, {1, 1}), 0.0);  // nothing inside the reference box
  EXPECT_DOUBLE_EQ(hypervolume({{3}, {1.5}, {7}}, {4}), 2.5);
}

/// Counts the unit cells of [0, side)^dim covered by the boxes [p, ref]: the exact volume for
/// integer points, independent of any hypervolume algorithm.
double covered_cells(const Points& pts, std::size_t dim, int side) {
  std::vector<int> cell(dim, 0);
  double count = 0;
  while (true) {
    for (const auto& p : pts) {
      bool in = true;
      for (std::size_t k = 0; k < dim; ++k) in = in && p[k] <= cell[k];
      if (in) {
        count += 1;
        break;
      }
    }
    std::size_t k = 0;
    while (k < dim && ++cell[k] == side) cell[k++] = 0;
    if (k == dim) break;
  }
  return count;
}

TEST(Hypervolume, MatchesCountedCellsOnRandomIntegerPoints) {
  std::mt19937_64 rng(777);
  const int side = 6;
  for (int trial = 0; trial < 60; ++trial) {
    const std::size_t dim = 2 + trial % 3;  // 2-D, 3-D and 4-D use different pagmo algorithms
    const std::size_t n = 1 + trial % 12;
    std::uniform_int_distribution<int> coord(0, side - 1);
    Points pts(n, std::vector<double>(dim));
    for (auto& p : pts)
      for (auto& v : p) v = coord(rng);
    const std::vector<double> ref(dim, side);
    ASSERT_DOUBLE_EQ(hypervolume(pts, ref), covered_cells(pts, dim, side)) << "trial " << trial;
  }
}

}  // namespace
}  // namespace mpsim::dse
