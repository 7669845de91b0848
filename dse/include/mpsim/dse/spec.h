// DESCRIPTION: The design-space spec of a study (YAML, validated with every error at once): the PE
// families with their base architectures and precisions, architecture knobs, per-layer-group
// precision knobs, weighted workloads, objectives, constraints, accuracy options and the search.
// resolve() turns a Point (one index per knob) into a concrete architecture and recipe with a
// stable key. docs/dse.md documents the schema; dse/spaces/ holds examples.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mpsim/core/arch_spec.h"
#include "mpsim/dse/search.h"
#include "mpsim/dse/types.h"
#include "mpsim/workload/recipe.h"
#include "mpsim/workload/trace.h"

namespace mpsim::dse {

/// One weighted workload of the study.
struct WorkloadSpec {
  std::string model;  ///< preset name (mpsim workload list)
  std::optional<workload::Phase> phase;
  std::int64_t seq = 0;  ///< prefill tokens / decode KV length (0: the preset's default)
  std::int64_t batch = 1;
  double weight = 1.0;
  std::string label() const;  ///< "llama2-7b/decode"
};

/// A PE family the study searches: its base architecture (knobs override fields of it), the
/// precisions its layer groups may take, and recipe defaults (e.g. its KV-cache format).
struct FamilySpec {
  std::string pe_type;
  std::filesystem::path arch;
  std::vector<std::string> precisions;  ///< names from StudySpec::precisions
  workload::RecipeFormats defaults;
  /// Family-specific values of architecture knobs (e.g. MMA-unit counts for int4_tc instead of PE
  /// rows); a knob index beyond the list wraps around like precisions.
  std::map<std::string, std::vector<std::string>> knob_values;
};

/// Named formats a layer group can take (weights and activations, optionally KV/probs).
struct PrecisionSpec {
  std::string name;
  workload::RecipeFormats formats;
};

/// A layer group: a recipe selector (group / match / kind / layers); each group is one knob
/// "precision.<name>". Later groups override earlier ones where selectors overlap.
struct LayerGroupSpec {
  std::string name;
  workload::RecipeRule selector;  ///< formats unset
};

/// An architecture knob: a `--set` path and its values (as text).
struct ArchKnobSpec {
  std::string path;
  std::vector<std::string> values;
};

struct ConstraintSpec {
  std::optional<double> area_mm2_max, latency_s_max, energy_j_max, accuracy_sqnr_db_min;
};

struct AccuracySpec {
  bool enabled = true;
  int blocks = 1;            ///< real-width blocks of the reduced model
  std::int64_t tokens = 16;  ///< tokens of its input
};

struct StudySpec {
  std::filesystem::path source;  ///< the YAML file
  std::string name;
  std::uint64_t seed = 1;
  std::vector<WorkloadSpec> workloads;
  std::vector<FamilySpec> families;
  std::vector<PrecisionSpec> precisions;
  std::vector<LayerGroupSpec> groups;
  std::vector<ArchKnobSpec> knobs;
  std::vector<std::string> objectives{"latency", "energy", "area", "accuracy"};
  ConstraintSpec constraints;
  AccuracySpec accuracy;
  std::string strategy = "exhaustive";
  StrategyOptions strategy_options;
  std::uint64_t budget = 0;  ///< 0: the strategy's default (exhaustive: the whole space)
  std::string text;          ///< the file's text (recorded in the store and the manifest)

  /// Knob names in Point order: "arch.pe.type", the architecture knobs, "precision.<group>"...
  std::vector<std::string> knob_names() const;
  std::vector<std::uint32_t> cardinality() const;  ///< per knob: the most values any family has
  std::uint64_t size() const;
  /// A stable hash of everything that changes results (hex).
  std::string hash() const;
};

/// Reads and validates a study; ConfigError with every problem (file:line:column, field).
StudySpec load_study(const std::filesystem::path& path);
StudySpec parse_study(std::string_view text, const std::filesystem::path& source);

/// A point made concrete.
struct ResolvedPoint {
  std::string key;  ///< hash of the resolved architecture, recipe and study evaluation settings
  std::map<std::string, std::string> knobs;  ///< knob name -> value text (inactive ones collapsed)
  std::string family;
  sim::ArchSpec arch;
  workload::Recipe recipe;
};

/// Resolves `p` (precision indices beyond a family's list wrap around, so equal designs share a
/// key). Throws ConfigError only when an architecture override is invalid for this family (such a
/// point is recorded as infeasible by the driver).
ResolvedPoint resolve(const StudySpec& s, const Point& p);

/// The study's workload traces, expanded (one per WorkloadSpec, before any recipe).
std::vector<workload::Trace> study_traces(const StudySpec& s);

}  // namespace mpsim::dse
