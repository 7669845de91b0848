// DESCRIPTION: Pieces every search strategy shares: a fixed, portable PRNG, option and problem
// validation that reports every problem at once, point <-> index mapping and a sampler of distinct
// uniformly random points.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "mpsim/base/error.h"
#include "mpsim/dse/search.h"
#include "mpsim/golden/synthetic.h"

namespace mpsim::dse::detail {

/// The project's xoshiro256** (golden::Rng, seeded through splitmix64) plus unbiased bounded
/// draws. Not std:: engines + distributions: their output is implementation-defined, and a seed
/// must name the same search everywhere.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : g_(seed) {}
  std::uint64_t next() { return g_.next(); }
  /// Uniform in [0, n) without modulo bias (n >= 1).
  std::uint64_t below(std::uint64_t n);
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return g_.uniform(); }

 private:
  golden::Rng g_;
};

struct PointHash {
  std::size_t operator()(const Point& p) const noexcept;
};
using PointSet = std::unordered_set<Point, PointHash>;

/// a * b, saturating at UINT64_MAX.
std::uint64_t saturating_mul(std::uint64_t a, std::uint64_t b);
/// Product of `card`, saturating at UINT64_MAX.
std::uint64_t space_size(const std::vector<std::uint32_t>& card);
/// Mixed-radix decoding of `index` (< space_size(card)); the last knob varies fastest.
Point point_at(std::uint64_t index, const std::vector<std::uint32_t>& card);

/// Reads a strategy's options by name and collects every problem (unknown names with a
/// did-you-mean, unparsable or out-of-range values) so that finish() throws one ConfigError
/// listing all of them.
class OptionReader {
 public:
  OptionReader(std::string strategy, const StrategyOptions& options);
  /// An unsigned integer in [lo, hi]; `fallback` when absent or invalid.
  std::uint64_t get_uint(const std::string& name, std::uint64_t fallback, std::uint64_t lo,
                         std::uint64_t hi);
  /// A finite real in [lo, hi]; `fallback` when absent or invalid.
  double get_double(const std::string& name, double fallback, double lo, double hi);
  /// Adds a problem found by the caller (e.g. a relation between options).
  void error(const std::string& field, const std::string& message);
  const std::string& strategy() const { return strategy_; }
  /// Throws ConfigError with every problem found so far (and every unknown option name).
  void finish();

 private:
  const std::string* raw(const std::string& name);
  std::string strategy_;
  const StrategyOptions& options_;
  std::set<std::string> known_;
  std::vector<Diagnostic> diags_;
};

/// Problems with the problem itself (no knobs, a knob without choices, names not matching
/// cardinalities), added to `r` so that they are reported together with option problems.
void validate_problem(const SearchProblem& p, OptionReader& r);

/// Distinct, uniformly random points of a box, one at a time. Spaces whose size fits in 64 bits
/// use a sparse Fisher-Yates shuffle of the point indices (O(1) per draw, O(draws) memory, never
/// a rejection); larger spaces draw knob by knob and reject repeats with a hash set.
class DistinctSampler {
 public:
  DistinctSampler(std::vector<std::uint32_t> card, std::uint64_t seed);
  /// The next point; nullopt when every point has been drawn.
  std::optional<Point> next();
  std::uint64_t drawn() const { return drawn_; }

 private:
  std::vector<std::uint32_t> card_;
  Rng rng_;
  std::uint64_t size_;
  bool huge_;  ///< size_ saturated: the index space does not fit in 64 bits
  std::uint64_t drawn_ = 0;
  std::unordered_map<std::uint64_t, std::uint64_t> swapped_;  ///< sparse Fisher-Yates state
  PointSet seen_;                                             ///< huge spaces only
};

/// Asked-but-not-told bookkeeping shared by every strategy: tell() of a point that is not
/// outstanding is a driver bug (MPSIM_CHECK), not the user's fault.
class Outstanding {
 public:
  void asked(const Point& p);
  void told(const Point& p, std::string_view strategy);
  std::size_t size() const { return pending_.size(); }

 private:
  PointSet pending_;
};

// Factories of the built-in strategies (one per .cpp); the registry lists them.
std::unique_ptr<SearchStrategy> make_exhaustive(const SearchProblem& p, const StrategyOptions& o);
std::unique_ptr<SearchStrategy> make_random(const SearchProblem& p, const StrategyOptions& o);
std::unique_ptr<SearchStrategy> make_nsga2(const SearchProblem& p, const StrategyOptions& o);
std::unique_ptr<SearchStrategy> make_hawq(const SearchProblem& p, const StrategyOptions& o);

}  // namespace mpsim::dse::detail
