// DESCRIPTION: The PE-family extension point: what a PE computes (bit-exact dot), how fast
// (closed-form timing per format pair), what it costs (per-action energy built from datapath parts,
// area), and the array kernel that steps it cycle by cycle. One registry holds the families
// (generated TU). SPDX-License-Identifier: Apache-2.0
//
// Example:
//   const PeType& pe = builtin_pe_types().get("int8_mac");
//   PeFormats f{num::FormatSpec{"int8"}, num::FormatSpec{"int8"}};
//   if (auto why = pe.unsupported(f)) { ... infeasible: *why ... }
//   PeTiming t = pe.timing(f);
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mpsim/cost/energy.h"
#include "mpsim/numerics/quantizer.h"

namespace mpsim::sim {

/// Operand formats of one GEMM as the PE sees them: A (activations; each row quantized along K) and
/// W (weights or the second operand; each column quantized along K).
struct PeFormats {
  num::FormatSpec a{"int8", {}};
  num::FormatSpec w{"int8", {}};
};

/// Closed-form timing of one PE for one format pair. The datapath model must take exactly
/// cycles_per_issue step() calls per issue; tests check it.
struct PeTiming {
  int k_per_issue = 1;       ///< K elements of one (m, n) output consumed per issue
  int cycles_per_issue = 1;  ///< initiation interval (bit-serial: digit passes)
  int latency = 1;           ///< cycles from an issue to its partial sum leaving the PE (>= 1)
  int macs_per_issue() const { return k_per_issue; }
};

/// Counts of the PE actions of a run, indexed like PeCost::actions.
using ActionCounts = std::vector<std::uint64_t>;

/// One PE action with its energy, built from the datapath parts it exercises.
struct ActionCost {
  std::string name;  ///< "mac", "booth_step", "group_dequant", "block_align", ...
  double energy_pj = 0;
  std::string parts;  ///< how the energy was built, e.g. "int_mult(8x8) + int_add(32) + reg(32)"
};

/// Costs of one PE for one format pair.
struct PeCost {
  std::vector<ActionCost> actions;
  double area_um2 = 0;     ///< one PE (datapath + its registers)
  double leakage_mw = 0;   ///< one PE
  std::string area_parts;  ///< how the area was built
};

/// Array shape and dataflow a kernel is built for.
enum class Dataflow : std::uint8_t { kWeightStationary, kOutputStationary };
std::string_view to_string(Dataflow d);

/// The parameters a family was configured with (arch.pe.* keys besides `type`), already validated.
struct PeParams {
  std::map<std::string, std::int64_t> ints;    ///< e.g. lanes, acc_bits, frag_m
  std::map<std::string, std::string> strings;  ///< e.g. variant
  std::int64_t get(const std::string& key, std::int64_t def) const {
    auto it = ints.find(key);
    return it == ints.end() ? def : it->second;
  }
  std::string get(const std::string& key, const std::string& def) const {
    auto it = strings.find(key);
    return it == strings.end() ? def : it->second;
  }
};

/// Declared parameter of a family (for validation, `mpsim list pe-types` and docs).
struct PeParamInfo {
  std::string key;
  bool is_int = true;
  std::int64_t def_int = 0, min_int = 0, max_int = 0;
  std::string def_string;
  std::vector<std::string> choices;  ///< for strings
  std::string description;
};

class GemmKernel;  // sim/core/gemm_kernel.h

/// One PE family configured with its parameters.
class PeType {
 public:
  virtual ~PeType() = default;
  virtual std::string_view name() const = 0;
  /// std::nullopt when the pair runs natively; otherwise the reason (an infeasible design point).
  virtual std::optional<std::string> unsupported(const PeFormats& f) const = 0;
  /// Closed-form timing (the analytical model's input). Precondition: !unsupported(f).
  virtual PeTiming timing(const PeFormats& f) const = 0;
  /// Per-action energy and area at technology `t`. Precondition: !unsupported(f).
  virtual PeCost cost(const PeFormats& f, const cost::Tech& t) const = 0;
  /// Bit-exact value of one output C[m,n] from row m of A and column n of W (both quantized along
  /// K); the value the array must produce. `counts` (sized like cost().actions) is incremented.
  virtual float dot(const num::QuantizedRow& a, const num::QuantizedRow& w,
                    ActionCounts& counts) const = 0;
  /// Format pairs the family is meant for (its datasheet's rows): the conformance test runs each.
  virtual std::vector<PeFormats> example_formats() const { return {}; }
  /// The array kernel for one GEMM on a rows x cols array with dataflow `d`.
  virtual std::unique_ptr<GemmKernel> kernel(const PeFormats& f, int rows, int cols,
                                             Dataflow d) const = 0;
};

using PeFactory = std::function<std::unique_ptr<PeType>(const PeParams&)>;

/// The PE families known to the simulator, by name.
class PeRegistry {
 public:
  void add(std::string name, std::string description, std::vector<PeParamInfo> params,
           PeFactory factory);
  /// Throws ConfigError (with "did you mean") for an unknown name.
  std::unique_ptr<PeType> create(std::string_view name, const PeParams& p) const;
  bool contains(std::string_view name) const;
  std::vector<std::string> names() const;
  const std::vector<PeParamInfo>& params(std::string_view name) const;
  const std::string& description(std::string_view name) const;

 private:
  struct Entry {
    std::string description;
    std::vector<PeParamInfo> params;
    PeFactory factory;
  };
  std::map<std::string, Entry, std::less<>> entries_;
};

/// Every built-in family (defined in the CMake-generated registry TU).
const PeRegistry& builtin_pe_types();

}  // namespace mpsim::sim

/// Defines mpsim_register_pe_<id>(); the generated registry TU calls it (no static initializers).
#define MPSIM_DEFINE_PE_TYPE(id, description, params, factory) \
  void mpsim_register_pe_##id(::mpsim::sim::PeRegistry& r) {   \
    r.add(#id, description, params, factory);                  \
  }
