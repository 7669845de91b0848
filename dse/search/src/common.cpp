// DESCRIPTION: Shared strategy pieces: PRNG, option/problem validation, point indexing, distinct
// sampling and outstanding-point bookkeeping.
// SPDX-License-Identifier: Apache-2.0
#include "common.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>

namespace mpsim::dse::detail {
namespace {

std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

}  // namespace

std::uint64_t Rng::below(std::uint64_t n) {
  MPSIM_CHECK(n >= 1, "Rng::below(0)");
  // Reject the low 2^64 mod n values so that every residue is equally likely.
  const std::uint64_t threshold = (0 - n) % n;
  while (true) {
    const std::uint64_t r = next();
    if (r >= threshold) return r % n;
  }
}

std::size_t PointHash::operator()(const Point& p) const noexcept {
  std::uint64_t h = 0x84222325cbf29ce4ULL ^ p.size();
  for (std::uint32_t v : p) {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0x100000001b3ULL;
  }
  return static_cast<std::size_t>(h ^ (h >> 29));
}

std::uint64_t saturating_mul(std::uint64_t a, std::uint64_t b) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  if (a != 0 && b > kMax / a) return kMax;
  return a * b;
}

std::uint64_t space_size(const std::vector<std::uint32_t>& card) {
  std::uint64_t n = 1;
  for (std::uint32_t c : card) n = saturating_mul(n, c);
  return n;
}

Point point_at(std::uint64_t index, const std::vector<std::uint32_t>& card) {
  Point p(card.size());
  for (std::size_t i = card.size(); i-- > 0;) {
    p[i] = static_cast<std::uint32_t>(index % card[i]);
    index /= card[i];
  }
  return p;
}

OptionReader::OptionReader(std::string strategy, const StrategyOptions& options)
    : strategy_(std::move(strategy)), options_(options) {}

const std::string* OptionReader::raw(const std::string& name) {
  known_.insert(name);
  auto it = options_.find(name);
  return it == options_.end() ? nullptr : &it->second;
}

std::uint64_t OptionReader::get_uint(const std::string& name, std::uint64_t fallback,
                                     std::uint64_t lo, std::uint64_t hi) {
  const std::string* s = raw(name);
  if (s == nullptr) return fallback;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc{} || end != s->data() + s->size()) {
    error(name, fmt::format("'{}' is not a non-negative integer", *s));
    return fallback;
  }
  if (v < lo || v > hi) {
    error(name, fmt::format("{} is out of range [{}, {}]", v, lo, hi));
    return fallback;
  }
  return v;
}

double OptionReader::get_double(const std::string& name, double fallback, double lo, double hi) {
  const std::string* s = raw(name);
  if (s == nullptr) return fallback;
  double v = 0;
  const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc{} || end != s->data() + s->size() || !std::isfinite(v)) {
    error(name, fmt::format("'{}' is not a finite number", *s));
    return fallback;
  }
  if (v < lo || v > hi) {
    error(name, fmt::format("{} is out of range [{}, {}]", v, lo, hi));
    return fallback;
  }
  return v;
}

void OptionReader::error(const std::string& field, const std::string& message) {
  diags_.push_back({"", field, fmt::format("search strategy '{}': {}", strategy_, message)});
}

void OptionReader::finish() {
  const std::vector<std::string> candidates(known_.begin(), known_.end());
  for (const auto& [name, value] : options_) {
    if (known_.count(name) != 0) continue;
    const std::string close = closest_match(name, candidates);
    error(name, fmt::format("unknown option '{}'{} (options: {})", name,
                            close.empty() ? "" : fmt::format(" (did you mean '{}'?)", close),
                            join(known_)));
  }
  if (!diags_.empty()) throw ConfigError(std::move(diags_));
}

void validate_problem(const SearchProblem& p, OptionReader& r) {
  if (p.cardinality.empty()) r.error("knobs", "the design space has no knobs");
  if (!p.knob_names.empty() && p.knob_names.size() != p.cardinality.size()) {
    r.error("knobs", fmt::format("{} knob names for {} knob cardinalities", p.knob_names.size(),
                                 p.cardinality.size()));
  }
  for (std::size_t i = 0; i < p.cardinality.size(); ++i) {
    if (p.cardinality[i] == 0) {
      const std::string name = i < p.knob_names.size() ? p.knob_names[i] : fmt::format("#{}", i);
      r.error("knobs", fmt::format("knob '{}' has no choices", name));
    }
  }
}

DistinctSampler::DistinctSampler(std::vector<std::uint32_t> card, std::uint64_t seed)
    : card_(std::move(card)),
      rng_(seed),
      size_(space_size(card_)),
      huge_(size_ == std::numeric_limits<std::uint64_t>::max()) {}

std::optional<Point> DistinctSampler::next() {
  if (huge_) {
    // 2^64 points or more: a repeat is astronomically unlikely, the set only makes it impossible.
    while (true) {
      Point p(card_.size());
      for (std::size_t i = 0; i < card_.size(); ++i) {
        p[i] = static_cast<std::uint32_t>(rng_.below(card_[i]));
      }
      if (seen_.insert(p).second) {
        ++drawn_;
        return p;
      }
    }
  }
  if (drawn_ >= size_) return std::nullopt;
  // Step `drawn_` of a Fisher-Yates shuffle of [0, size_) where untouched slots hold their own
  // index: only swapped slots are stored.
  const std::uint64_t j = drawn_ + rng_.below(size_ - drawn_);
  auto value_at = [&](std::uint64_t k) {
    auto it = swapped_.find(k);
    return it == swapped_.end() ? k : it->second;
  };
  const std::uint64_t picked = value_at(j);
  swapped_[j] = value_at(drawn_);
  swapped_.erase(drawn_);  // slot drawn_ is never read again
  ++drawn_;
  return point_at(picked, card_);
}

void Outstanding::asked(const Point& p) {
  MPSIM_CHECK(pending_.insert(p).second, "a strategy asked for a point that is outstanding");
}

void Outstanding::told(const Point& p, std::string_view strategy) {
  MPSIM_CHECK(
      pending_.erase(p) == 1,
      fmt::format("{}: tell() of a point that was not asked or was already told", strategy));
}

}  // namespace mpsim::dse::detail
