// DESCRIPTION: mpsim-sc-worker: one SystemC elaboration per process. Reads a resolved architecture
// and a trace, runs the cycle-level model, writes stats.json/layers.csv[/timeline.json]. Started by
// `mpsim sim` and by the DSE's verification pool; crashes stay isolated from the caller.
// SPDX-License-Identifier: Apache-2.0
#include <CLI/CLI.hpp>
#include <iostream>
#include <systemc>

#include "mpsim/base/error.h"
#include "mpsim/core/arch_spec.h"
#include "mpsim/core/report.h"
#include "mpsim/sc/array_top.h"
#include "mpsim/workload/trace_io.h"
#ifdef MPSIM_HAVE_RTL
#include "mpsim/rtl/bridge.h"
#endif

int sc_main(int argc, char** argv) {
  CLI::App app{"mpsim-sc-worker: the SystemC cycle-level model of one design on one trace"};
  std::string arch_path, trace_path, out_dir, check = "sample:4", workload_name;
  mpsim::sim::SimOptions o;
  app.add_option("--arch", arch_path, "resolved architecture YAML")->required();
  app.add_option("--trace", trace_path, "trace YAML")->required();
  app.add_option("--out", out_dir, "output directory")->required();
  app.add_option("--check", check, "full | sample:N | off");
  std::string energy = "fixed";
  app.add_option("--energy", energy, "PE energy model: fixed | activity");
  app.add_option("--workload-name", workload_name, "name recorded in stats.json");
  app.add_option("--seed", o.seed, "seed of synthetic operands and sampled tiles");
  app.add_flag("--ideal-memory", o.ideal_memory, "no memory stalls");
  app.add_flag("--exhaustive", o.exhaustive, "step every PE every cycle of every fold");
  app.add_flag("--timeline", o.timeline, "write timeline.json");
  bool rtl = false, rtl_mutant = false;
  app.add_flag("--rtl", rtl, "GEMM values from the Verilated RTL array (small arrays only)");
  app.add_flag("--rtl-mutant", rtl_mutant, "--rtl with the MPSIM_MUTANT build (tests)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    o.check = mpsim::sim::parse_check(check);
    o.energy_model = mpsim::sim::parse_energy_model(energy);
    const mpsim::sim::ArchSpec arch = mpsim::sim::load_arch(arch_path);
    const mpsim::workload::Trace trace = mpsim::workload::load_trace(trace_path);
    if (rtl || rtl_mutant) {
#ifdef MPSIM_HAVE_RTL
      // Checked before elaboration: an exception inside a SystemC process loses its type.
      if (auto why = mpsim::rtl::rtl_unsupported(arch, trace); !why.empty()) {
        for (const auto& w : why) std::cerr << "error: --rtl: " << w << "\n";
        return 2;
      }
      o.kernel_factory = mpsim::rtl::rtl_kernel_factory(rtl_mutant);
      o.datapath = "rtl";
#else
      std::cerr << "error: --rtl: this build has no Verilated RTL (Verilator was not found)\n";
      return 2;
#endif
    }
    mpsim::sc::ArrayTop top("top", arch, o, trace);
    sc_core::sc_start();
    if (!top.finished()) {
      std::cerr << "error: the SystemC model stopped before the last op\n";
      return 1;
    }
    const auto& r = top.stats();
    mpsim::sim::write_outputs(out_dir, r, arch, workload_name.empty() ? trace.model : workload_name,
                              o);
    if (!r.mismatches.empty()) {
      for (const auto& m : r.mismatches) {
        std::cerr << "mismatch: op " << m.op << ", tile (" << m.tile_m0 << "," << m.tile_n0
                  << "), element (" << m.m << "," << m.n << "): expected " << m.expected
                  << ", actual " << m.actual << " (" << m.reference << ")\n";
      }
      return 1;
    }
    return 0;
  } catch (const mpsim::ConfigError& e) {
    for (const auto& d : e.diagnostics()) std::cerr << "error: " << d.str() << "\n";
    return 2;
  }
}
