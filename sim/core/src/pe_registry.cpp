// DESCRIPTION: The PE-family registry (names, parameter declarations, factories) and parameter
// validation shared by every family.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include "mpsim/base/error.h"
#include "mpsim/core/pe_type.h"

namespace mpsim::sim {

std::string_view to_string(Dataflow d) {
  return d == Dataflow::kWeightStationary ? "weight_stationary" : "output_stationary";
}

void PeRegistry::add(std::string name, std::string description, std::vector<PeParamInfo> params,
                     PeFactory factory) {
  MPSIM_CHECK(!entries_.contains(name), "PE type registered twice: " + name);
  entries_.emplace(std::move(name),
                   Entry{std::move(description), std::move(params), std::move(factory)});
}

bool PeRegistry::contains(std::string_view name) const {
  return entries_.find(name) != entries_.end();
}

std::vector<std::string> PeRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : entries_) out.push_back(k);
  return out;
}

namespace {
[[noreturn]] void unknown(std::string_view name, const std::vector<std::string>& known) {
  std::string hint = closest_match(name, known);
  throw ConfigError(
      Diagnostic{"", "arch.pe.type",
                 fmt::format("unknown PE type '{}'{} (known: {})", name,
                             hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint),
                             fmt::join(known, ", "))});
}
}  // namespace

std::unique_ptr<PeType> PeRegistry::create(std::string_view name, const PeParams& p) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) unknown(name, names());
  return it->second.factory(p);
}

const std::vector<PeParamInfo>& PeRegistry::params(std::string_view name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) unknown(name, names());
  return it->second.params;
}

const std::string& PeRegistry::description(std::string_view name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) unknown(name, names());
  return it->second.description;
}

}  // namespace mpsim::sim
