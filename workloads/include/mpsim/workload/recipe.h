// DESCRIPTION: Quantization recipes: YAML rules that map ops and tensors to number formats, with
// per-layer overrides (mixed precision), COMET-style 8-bit outlier blocks for activations, and
// compile-time K/V channel reordering. Applying a recipe to a trace splits repeated blocks where
// layers differ. Schema: docs/recipes.md.
// SPDX-License-Identifier: Apache-2.0
//
// Example:
//   Recipe r = load_recipe("workloads/recipes/w4a8_g128.yaml");
//   Trace q = apply_recipe(expand(preset("llama3-8b"), opts), r);
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mpsim/numerics/quantizer.h"
#include "mpsim/workload/trace.h"

namespace mpsim::workload {

/// The formats a rule (or the defaults) sets; unset fields leave the op as it is.
struct RecipeFormats {
  std::optional<num::FormatSpec> weights;      ///< B of GEMMs whose B is a parameter
  std::optional<num::FormatSpec> activations;  ///< A of GEMMs (and inputs of other ops)
  std::optional<num::FormatSpec> kv_cache;     ///< B of attention GEMMs (K and V)
  std::optional<num::FormatSpec> probs;        ///< A of the attention PV GEMM (softmax output)
  std::optional<num::FormatSpec> output;
  std::optional<num::FormatSpec> accumulator;
  friend bool operator==(const RecipeFormats&, const RecipeFormats&) = default;
};

/// One rule: every given selector must match; later rules override earlier ones.
struct RecipeRule {
  std::string match;  ///< glob (*, ?) over the op name or its B tensor name
  std::string group;  ///< op group ("attn", "mlp", "head", ...)
  std::string kind;   ///< op kind ("gemm", "batched_gemm", ...)
  std::vector<std::int64_t>
      layers;  ///< layer indices within a repeated block; negative from the end
  RecipeFormats formats;
  friend bool operator==(const RecipeRule&, const RecipeRule&) = default;
};

/// COMET-style activation quantization: activations are split into blocks of `block` channels
/// along K; blocks whose calibration max |x| exceeds `threshold` use `format` (e.g. int8), the
/// others the activation format (e.g. int4).
struct OutlierBlocks {
  bool enabled = false;
  std::int64_t block = 128;
  num::FormatSpec format{"int8", {}};
  double threshold = 6.0;
  friend bool operator==(const OutlierBlocks&, const OutlierBlocks&) = default;
};

struct Recipe {
  int format_version = 1;
  std::string name;
  RecipeFormats defaults;
  std::vector<RecipeRule> rules;
  bool kv_reorder = false;  ///< reorder K/V channels by magnitude before block quantization
  OutlierBlocks outlier_blocks;
  friend bool operator==(const Recipe&, const Recipe&) = default;
};

/// Parses a recipe; every problem (file:line:column, field) is reported at once as a ConfigError.
Recipe parse_recipe_yaml(std::string_view text, std::string_view source);
Recipe load_recipe(const std::filesystem::path& path);

/// Returns true when `text` matches the glob `pattern` (* any run, ? one character).
bool glob_match(std::string_view pattern, std::string_view text);

/// Applies the recipe: each op's formats become defaults, then every matching rule in order.
/// Repeated ops split into consecutive segments wherever per-layer rules give layers different
/// formats (named "<op>@<first>-<last>"). MACs and parameters are preserved.
Trace apply_recipe(const Trace& trace, const Recipe& recipe);

}  // namespace mpsim::workload
