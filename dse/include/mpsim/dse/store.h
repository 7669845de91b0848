// DESCRIPTION: The results store: one SQLite file (WAL) per study. Every evaluated point is
// committed the moment it finishes, keyed by a hash of its resolved configuration, so a killed run
// resumes without losing or recomputing points; shard databases merge by key. Plus the tidy CSV
// export (points.csv, pareto_<a>_<b>.csv, manifest.json).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mpsim/dse/types.h"

namespace mpsim::dse {

/// One stored result.
struct StoredPoint {
  std::string key;  ///< hex hash of the resolved configuration (arch + recipes + workloads)
  Point point;      ///< knob choice indices
  std::map<std::string, std::string> knobs;  ///< knob name -> chosen value, as text
  Evaluation eval;                           ///< the best fidelity evaluated so far
  /// Per-layer table of the evaluation (the simulator's layers.csv text), "" when not kept.
  std::string layers_csv;
  /// Cycle-level re-evaluation of a front point (multi-fidelity), if done.
  std::optional<Evaluation> verified;
};

/// Study-level metadata written once and checked on resume.
struct StoreMeta {
  std::string spec_hash;     ///< hash of the resolved design-space spec
  std::string spec_yaml;     ///< the resolved spec itself
  std::string tool_version;  ///< mpsim version
  std::string git_hash;      ///< of the mpsim build ("" when unknown)
  std::string cost_table;    ///< cost::table_version()
  std::uint64_t seed = 1;
};

class ResultStore {
 public:
  /// Opens or creates `path`. A new file records `meta`; an existing one must carry the same
  /// spec_hash (else ConfigError naming the file and both hashes: a different study).
  static std::unique_ptr<ResultStore> open(const std::filesystem::path& path,
                                           const StoreMeta& meta);
  /// Opens an existing store read-only (merge sources, export). ConfigError when missing/corrupt.
  static std::unique_ptr<ResultStore> open_existing(const std::filesystem::path& path);
  virtual ~ResultStore() = default;

  virtual const StoreMeta& meta() const = 0;
  /// The stored result for `key` (failed results are not returned: they are retried).
  virtual std::optional<StoredPoint> find(const std::string& key) const = 0;
  /// Inserts or replaces the point; committed (durable) when this returns.
  virtual void put(const StoredPoint& p) = 0;
  /// Every stored point, in insertion order.
  virtual std::vector<StoredPoint> all() const = 0;
  virtual std::uint64_t count() const = 0;
};

/// Merges shard stores into `dest` (created with the first shard's meta when absent). Every shard
/// must carry the same spec_hash; a key present in several keeps the result of the highest
/// fidelity (verified beats unverified), then the first. Returns the number of points in `dest`.
std::uint64_t merge_stores(const std::filesystem::path& dest,
                           const std::vector<std::filesystem::path>& shards);

/// The tidy export of a study into `dir`:
///  - points.csv: one row per point: key, every knob (column = knob name), status, reason,
///    latency_s, energy_j, area_mm2, accuracy_sqnr_db, fidelity, verified_latency_s,
///    verified_energy_j (empty when not verified), then extra metrics sorted by name;
///  - pareto_<a>_<b>.csv for each objective pair (same columns; the ok points non-dominated in a
///    and b, sorted by a), at least pareto_latency_energy.csv;
///  - manifest.json: tool version, git hash, resolved spec, seed, cost-table version, counts.
/// Returns the files written.
std::vector<std::filesystem::path> export_csv(
    const ResultStore& store, const std::vector<std::string>& knob_names,
    const std::vector<std::pair<std::string, std::string>>& pareto_pairs,
    const std::filesystem::path& dir);

}  // namespace mpsim::dse
