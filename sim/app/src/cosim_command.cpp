// DESCRIPTION: `mpsim cosim`: lock-step RTL vs C++ model co-simulation from the command line.
// Without Verilator at build time the command exists but says so (exit 2).
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/app/cosim_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>

#ifdef MPSIM_HAVE_RTL
#include "mpsim/rtl/cosim.h"
#endif

namespace mpsim::app {

CLI::App* add_cosim_command(CLI::App& app, CosimArgs& a) {
  CLI::App* c = app.add_subcommand(
      "cosim", "Co-simulate a PE family's Verilated RTL against its C++ datapath, cycle by cycle");
  c->add_option("--pe", a.pe, "PE family (see --list), or all");
  c->add_option("--formats", a.formats, "RTL configurations to run (default: all of the family's)")
      ->delimiter(',');
  c->add_option("--cycles", a.cycles, "clock cycles per configuration")->capture_default_str();
  c->add_option("--seed", a.seed, "stimulus seed")->capture_default_str();
  c->add_option("--stimulus", a.stimulus, "random | corner | workload | mixed")
      ->capture_default_str();
  c->add_option("--trace", a.trace, "waveform: fst | none (default none)");
  c->add_option("--trace-window", a.trace_window, "cycles dumped, A:B (either side optional)");
  c->add_option("--trace-depth", a.trace_depth, "hierarchy levels dumped (0 = all)");
  c->add_option("--trace-file", a.trace_file, "waveform path (default <family>.fst)");
  c->add_flag("--mutant", a.mutant, "run the build with the planted MPSIM_MUTANT bug");
  c->add_flag("--list", a.list, "list the families with RTL and their configurations");
  return c;
}

#ifndef MPSIM_HAVE_RTL
int run_cosim(const CosimArgs&, std::ostream&, std::ostream& err) {
  err << "error: this mpsim was built without Verilator (MPSIM_WITH_RTL=OFF or verilator not "
         "found): no RTL to co-simulate\n";
  return 2;
}
#else
int run_cosim(const CosimArgs& a, std::ostream& out, std::ostream& err) {
  if (a.list) {
    for (const rtl::CosimTarget* t : rtl::cosim_targets()) {
      std::string cfgs;
      for (const auto& c : t->configs()) cfgs += (cfgs.empty() ? "" : ", ") + c;
      out << fmt::format("{:<10} {}\n{:<10} configurations: {}\n", t->name(), t->description(), "",
                         cfgs);
    }
    return 0;
  }
  std::vector<std::string> errors;
  std::vector<const rtl::CosimTarget*> targets;
  if (a.pe.empty()) {
    errors.push_back("--pe is required (a family from --list, or all)");
  } else if (a.pe == "all") {
    targets = rtl::cosim_targets();
  } else if (const rtl::CosimTarget* t = rtl::find_cosim_target(a.pe)) {
    targets.push_back(t);
  } else {
    std::string known;
    for (const auto* t2 : rtl::cosim_targets()) known += (known.empty() ? "" : ", ") + t2->name();
    errors.push_back(
        fmt::format("--pe {}: no RTL for this family (families with RTL: {})", a.pe, known));
  }
  rtl::CosimOptions opt;
  opt.cycles = a.cycles;
  opt.seed = a.seed;
  opt.mutant = a.mutant;
  opt.configs = a.formats;
  if (!rtl::parse_stimulus(a.stimulus, opt.stimulus)) {
    errors.push_back(
        fmt::format("--stimulus {}: expected random, corner, workload or mixed", a.stimulus));
  }
  if (auto e = rtl::parse_trace_format(a.trace, opt.trace); !e.empty()) errors.push_back(e);
  if (!a.trace_window.empty()) {
    if (auto e = rtl::parse_trace_window(a.trace_window, opt.trace); !e.empty()) {
      errors.push_back(e);
    }
  }
  if (a.trace_depth < 0) errors.push_back("--trace-depth must be >= 0");
  opt.trace.depth = a.trace_depth;
  if (a.cycles == 0) errors.push_back("--cycles must be > 0");
  if (targets.size() > 1 && !a.formats.empty()) {
    errors.push_back("--formats names one family's configurations: use it with a single --pe");
  }
  if (!errors.empty()) {
    for (const auto& e : errors) err << "error: " << e << "\n";
    return 2;
  }

  int status = 0;
  for (const rtl::CosimTarget* t : targets) {
    rtl::CosimOptions o = opt;
    if (o.trace.enabled() && o.trace.path.empty()) {
      o.trace.path = a.trace_file.empty() ? t->name() + ".fst" : a.trace_file;
    }
    std::vector<rtl::CosimResult> results;
    try {
      results = rtl::run_cosim(*t, o);
    } catch (const std::invalid_argument& e) {
      err << "error: --formats: " << e.what() << "\n";
      return 2;
    }
    for (const auto& r : results) {
      out << fmt::format("{} {}: {} cycles, {} outputs checked, {} ({:.3f} s, {:.2f} M cycles/s)\n",
                         t->name(), r.config, r.cycles, r.outputs_checked,
                         r.mismatch ? "MISMATCH" : "no mismatch", r.seconds,
                         r.seconds > 0 ? static_cast<double>(r.cycles) / r.seconds / 1e6 : 0.0);
      if (!r.trace_path.empty()) out << "  waveform: " << r.trace_path << "\n";
      if (!r.mismatch) continue;
      status = 1;
      err << r.mismatch->describe() << "\n";
      if (r.trace_path.empty()) {
        // Re-run the same seed with a waveform of the cycles leading to the mismatch.
        rtl::CosimOptions w = o;
        w.cycles = r.mismatch->cycle + 1;
        w.trace.format = rtl::TraceOptions::Format::kFst;
        w.trace.from = r.mismatch->cycle > 64 ? r.mismatch->cycle - 64 : 0;
        w.trace.to = r.mismatch->cycle + 1;
        w.trace.path = fmt::format("{}.{}.mismatch.fst", t->name(), r.config);
        std::replace(w.trace.path.begin(), w.trace.path.end(), '/', '_');
        const auto again = t->run(r.config, w);
        err << fmt::format("  waveform of cycles {}..{}: {}\n", w.trace.from, w.trace.to,
                           again.trace_path);
      }
    }
  }
  return status;
}
#endif

}  // namespace mpsim::app
