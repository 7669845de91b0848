// DESCRIPTION: Analytical model speed in op evaluations per second (single thread), as a ratio to
// the cycle-level engine (sim::Engine, check off) timed on the same ops in the same run: every
// family's example architecture on Llama-2-7B prefill and decode and ViT-B/16, and every
// architecture at 16x16 / 64x64. Target: >= 1e5 op evaluations/s. Not a test.
// SPDX-License-Identifier: Apache-2.0
//
// Run: build/release/bench/analytical_bench [seconds per measurement, default 0.3]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "mpsim/analytical/analytical.h"
#include "mpsim/core/arch_spec.h"
#include "mpsim/core/engine.h"
#include "mpsim/workload/model_config.h"
#include "mpsim/workload/presets.h"
#include "mpsim/workload/recipe.h"

namespace {

using namespace mpsim;
using Clock = std::chrono::steady_clock;

// Runs `f` until `min_s` seconds have passed (at least once); returns seconds per call.
template <class F>
double time_per_call(F&& f, double min_s) {
  std::size_t calls = 0;
  const auto t0 = Clock::now();
  double el = 0;
  do {
    f();
    ++calls;
    el = std::chrono::duration<double>(Clock::now() - t0).count();
  } while (el < min_s);
  return el / static_cast<double>(calls);
}

}  // namespace

int main(int argc, char** argv) {
  const double min_s = argc > 1 ? std::atof(argv[1]) : 0.3;
  const std::string src = MPSIM_SOURCE_DIR;
  struct Config {
    const char* file;
    const char* recipe;
    std::vector<std::pair<int, int>> arrays;
  };
  const std::vector<Config> configs = {{"int8_mac_ws", "int8", {{16, 16}, {32, 32}, {64, 64}}},
                                       {"int8_mac_os", "int8", {{16, 16}, {32, 32}, {64, 64}}},
                                       {"block_fp", "mxfp4_mxfp8", {{16, 16}, {32, 32}, {64, 64}}},
                                       {"shift_add", "w4a8_group", {{16, 16}, {32, 32}, {64, 64}}},
                                       {"bitserial", "w4a8_group", {{16, 16}, {32, 32}, {64, 64}}},
                                       {"int4_tc", "w4a8_int", {{1, 1}, {2, 2}, {4, 4}}}};
  struct Wl {
    const char* model;
    workload::Phase phase;
    std::int64_t seq;
    const char* label;
  };
  const std::vector<Wl> wls = {{"llama2-7b", workload::Phase::kPrefill, 512, "llama2-7b prefill"},
                               {"llama2-7b", workload::Phase::kDecode, 2048, "llama2-7b decode"},
                               {"vit-b16", workload::Phase::kNone, 0, "vit-b16"}};

  fmt::print("{:<12} {:>6} {:<18} {:>4} {:>14} {:>14} {:>8}\n", "config", "array", "workload",
             "ops", "engine op/s", "analyt. op/s", "ratio");
  double total_ops = 0, eng_s = 0, ana_s = 0, log_ratio = 0, min_rate = 1e300;
  int cases = 0;
  sim::SimOptions eo;
  eo.check.kind = sim::CheckMode::kOff;
  for (const Config& c : configs) {
    const workload::Recipe recipe =
        workload::load_recipe(src + "/workloads/recipes/" + c.recipe + ".yaml");
    for (const auto& [rows, cols] : c.arrays) {
      const sim::ArchSpec arch =
          sim::load_arch(src + "/sim/configs/" + c.file + ".yaml",
                         {sim::Override{"arch.array.rows", std::to_string(rows)},
                          sim::Override{"arch.array.cols", std::to_string(cols)}});
      for (const Wl& w : wls) {
        workload::ExpandOptions o;
        o.phase = w.phase;
        o.seq_len = w.seq;
        const workload::Trace t =
            workload::apply_recipe(workload::expand(workload::preset(w.model), o), recipe);
        std::uint64_t ce = 0, ca = 0;  // also keeps the calls from being optimized away
        const double te = time_per_call(
            [&] {
              sim::Engine e(arch, eo);
              ce = e.run(t).cycles;
            },
            min_s);
        const double ta = time_per_call([&] { ca = analytical::run(arch, t).cycles; }, min_s);
        if (ce != ca) fmt::print("cycles differ: {} {}: {} vs {}\n", c.file, w.label, ce, ca);
        const auto n = static_cast<double>(t.ops.size());
        fmt::print("{:<12} {:>6} {:<18} {:>4} {:>14.3g} {:>14.3g} {:>7.0f}x\n", c.file,
                   fmt::format("{}x{}", rows, cols), w.label, t.ops.size(), n / te, n / ta,
                   te / ta);
        total_ops += n, eng_s += te, ana_s += ta;
        log_ratio += std::log(te / ta), min_rate = std::min(min_rate, n / ta), ++cases;
      }
    }
  }
  fmt::print(
      "\nall: engine {:.3g} op evaluations/s, analytical {:.3g} op evaluations/s "
      "(target >= 1e5), ratio {:.0f}x\n"
      "     per case: geometric-mean ratio {:.0f}x, slowest case {:.3g} analytical op "
      "evaluations/s\n",
      total_ops / eng_s, total_ops / ana_s, eng_s / ana_s, std::exp(log_ratio / cases), min_rate);
  return 0;
}
