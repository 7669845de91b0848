// DESCRIPTION: `mpsim golden run --workload NAME|FILE [--recipe R.yaml] [--blocks N] [--seed S]`.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/app/golden_run_command.h"

#include <fmt/format.h>

#include <ostream>

#include "mpsim/base/error.h"
#include "mpsim/golden/model_run.h"
#include "mpsim/workload/recipe.h"

namespace mpsim::app {

CLI::App* add_golden_run_command(CLI::App* golden, GoldenRunArgs& a) {
  CLI::App* run = golden->add_subcommand(
      "run", "Per-op quantization error (SQNR, MSE, max abs) of a workload under a recipe");
  run->add_option("--workload,-w", a.workload.source,
                  "Preset name, trace (.yaml/.csv), config.json or .gguf")
      ->required();
  run->add_option("--recipe,-r", a.recipe, "Quantization recipe YAML (docs/recipes.md)");
  run->add_option("--phase", a.workload.phase, "prefill | decode (LLM presets and configs)");
  run->add_option("--batch", a.workload.batch, "Sequences or images");
  run->add_option("--seq", a.workload.seq, "Prefill tokens, or tokens already in the KV cache");
  run->add_option("--blocks", a.blocks, "Real-width blocks of the end-to-end reduced model")
      ->capture_default_str();
  run->add_option("--tokens", a.tokens, "Tokens of the reduced model's input")
      ->capture_default_str();
  run->add_option("--seed", a.seed, "Seed of the synthetic tensors")->capture_default_str();
  return run;
}

int run_golden_run(const GoldenRunArgs& a, std::ostream& out, std::ostream& err) {
  try {
    std::vector<Diagnostic> diags;
    if (a.blocks < 1)
      diags.push_back({"", "--blocks", fmt::format("must be >= 1, got {}", a.blocks)});
    if (a.tokens < 1)
      diags.push_back({"", "--tokens", fmt::format("must be >= 1, got {}", a.tokens)});
    std::optional<workload::Recipe> recipe;
    if (a.recipe) {
      try {
        recipe = workload::load_recipe(*a.recipe);
      } catch (const ConfigError& e) {
        diags.insert(diags.end(), e.diagnostics().begin(), e.diagnostics().end());
      }
    }
    if (!diags.empty()) throw ConfigError(std::move(diags));
    const LoadedWorkload w = load_workload(a.workload);
    golden::GoldenRunOptions o;
    o.blocks = a.blocks;
    o.tokens = a.tokens;
    o.seed = a.seed;
    const golden::GoldenRunReport r =
        golden::golden_run(w.trace, recipe ? &*recipe : nullptr, w.model ? &*w.model : nullptr, o);
    out << golden::format_report(r);
    return 0;
  } catch (const ConfigError& e) {
    for (const auto& d : e.diagnostics()) err << "error: " << d.str() << '\n';
    return 2;
  }
}

}  // namespace mpsim::app
