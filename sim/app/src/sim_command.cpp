// DESCRIPTION: `mpsim sim`: validation in-process (every error at once), simulation in a worker
// process. SPDX-License-Identifier: Apache-2.0
#include "mpsim/app/sim_command.h"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "mpsim/base/error.h"
#include "mpsim/core/arch_spec.h"
#include "mpsim/core/engine.h"
#include "mpsim/cost/energy.h"
#include "mpsim/workload/recipe.h"
#include "mpsim/workload/trace_io.h"
#ifdef MPSIM_HAVE_RTL
#include "mpsim/rtl/bridge.h"
#endif

extern char** environ;

namespace mpsim::app {

CLI::App* add_sim_command(CLI::App& app, SimArgs& a) {
  CLI::App* c = app.add_subcommand("sim", "Run the cycle-level (SystemC) model of an architecture");
  c->add_option("--arch", a.arch, "architecture YAML (see sim/configs/)")->required();
  c->add_option("--workload", a.workload.source,
                "preset name, trace (.yaml/.csv), config.json or .gguf")
      ->required();
  c->add_option("--phase", a.workload.phase, "prefill | decode");
  c->add_option("--batch", a.workload.batch, "batch size");
  c->add_option("--seq", a.workload.seq, "sequence length (prefill) or KV length (decode)");
  c->add_option("--recipe", a.recipe, "quantization recipe YAML (workloads/recipes/)");
  c->add_option("--check", a.check, "values against the golden model: full | sample:N | off")
      ->capture_default_str();
  c->add_option("--energy", a.energy,
                "PE energy: fixed (per action) | activity (register toggles of the checked folds)")
      ->capture_default_str();
  c->add_flag("--ideal-memory", a.ideal_memory, "remove memory stalls (compute cycles only)");
  c->add_flag("--exhaustive", a.exhaustive,
              "step every PE every cycle of every fold (no memoization; slow)");
  c->add_option("--set", a.sets, "override an architecture field, e.g. arch.array.rows=64");
  c->add_flag("--timeline", a.timeline, "also write timeline.json (Chrome trace)");
  c->add_flag("--rtl", a.rtl,
              "run the GEMM values on the Verilated RTL array inside the SystemC model (int8_mac "
              "4x4 WS; results must equal the C++ run)");
  c->add_flag("--rtl-mutant", a.rtl_mutant)->group("");  // hidden: the bridge's mutation check
  c->add_option("--seed", a.seed, "seed of synthetic operands and sampled tiles");
  c->add_option("--out", a.out, "output directory")->required();
  return c;
}

std::filesystem::path sc_worker_path(const std::string& argv0) {
  if (const char* env = std::getenv("MPSIM_SC_WORKER"); env && *env) return env;
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) self = std::filesystem::absolute(argv0);
  for (auto dir : {self.parent_path(), self.parent_path() / ".." / "sc"}) {
    auto p = dir / "mpsim-sc-worker";
    if (std::filesystem::exists(p)) return p;
  }
#ifdef MPSIM_SC_WORKER_PATH
  return MPSIM_SC_WORKER_PATH;
#else
  return "mpsim-sc-worker";
#endif
}

namespace {

int spawn_and_wait(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& s : args) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  // The worker's SystemC banner would interleave with our summary on stdout.
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  pid_t pid = 0;
  if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

int run_pe_types(std::ostream& out) {
  const auto& reg = sim::builtin_pe_types();
  for (const auto& name : reg.names()) {
    out << name << ": " << reg.description(name) << "\n";
    for (const auto& p : reg.params(name)) {
      if (p.is_int) {
        out << fmt::format("    {:<16} int    default {:<6} range [{}, {}]  {}\n", p.key, p.def_int,
                           p.min_int, p.max_int, p.description);
      } else {
        out << fmt::format("    {:<16} string default {:<6} one of {}  {}\n", p.key, p.def_string,
                           fmt::join(p.choices, ", "), p.description);
      }
    }
  }
  return 0;
}

int run_area(const std::string& pe, int tech_nm, std::ostream& out, std::ostream& err) {
  try {
    const cost::Tech t = cost::Tech::node(tech_nm);
    const auto& reg = sim::builtin_pe_types();
    std::vector<std::string> names = pe.empty() ? reg.names() : std::vector<std::string>{pe};
    out << fmt::format("{:<10} {:<28} {:>12} {:>10}  {}\n", "family", "formats", "area_um2", "GE",
                       "source");
    for (const auto& name : names) {
      const auto type = reg.create(name, {});
      for (const auto& f : type->example_formats()) {
        const sim::PeCost c = type->cost(f, t);
        out << fmt::format("{:<10} {:<28} {:>12.1f} {:>10.1f}  {}\n", name,
                           f.a.str() + " x " + f.w.str(), c.area_um2,
                           c.area_um2 / (0.798 * t.area_scale), c.area_parts);
      }
    }
    out << fmt::format("synthesized rows (rtl/synth/area_table.sh, {} nm):\n", tech_nm);
    for (const auto& e : cost::synthesized_areas()) {
      if (!pe.empty() && !std::string_view(e.config).starts_with(pe + "/")) continue;
      out << fmt::format("  {:<40} cells {:>6}  {:>10.1f} um2  {:>8.1f} GE\n", e.config, e.cells,
                         e.area_um2 * t.area_scale, e.ge);
    }
    return 0;
  } catch (const ConfigError& e) {
    for (const auto& d : e.diagnostics()) err << "error: " << d.str() << "\n";
    return 2;
  }
}

int run_sim(const SimArgs& a, const std::string& argv0, std::ostream& out, std::ostream& err) {
  namespace fs = std::filesystem;
  sim::ArchSpec arch;
  workload::Trace trace;
  try {
    std::vector<Diagnostic> diags;
    std::vector<sim::Override> overrides;
    for (const auto& s : a.sets) {
      try {
        overrides.push_back(sim::parse_override(s));
      } catch (const ConfigError& e) {
        diags.insert(diags.end(), e.diagnostics().begin(), e.diagnostics().end());
      }
    }
    try {
      (void)sim::parse_check(a.check);
    } catch (const ConfigError& e) {
      diags.insert(diags.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
    try {
      (void)sim::parse_energy_model(a.energy);
    } catch (const ConfigError& e) {
      diags.insert(diags.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
    try {
      arch = sim::load_arch(a.arch, overrides);
    } catch (const ConfigError& e) {
      diags.insert(diags.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
    try {
      trace = load_workload(a.workload).trace;
      if (a.recipe) trace = workload::apply_recipe(trace, workload::load_recipe(*a.recipe));
    } catch (const ConfigError& e) {
      diags.insert(diags.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
#ifdef MPSIM_HAVE_RTL
    if ((a.rtl || a.rtl_mutant) && diags.empty()) {
      for (const auto& w : rtl::rtl_unsupported(arch, trace)) diags.push_back({"", "--rtl", w});
    }
#else
    if (a.rtl || a.rtl_mutant) {
      diags.push_back({"", "--rtl", "this build has no Verilated RTL (Verilator was not found)"});
    }
#endif
    if (!diags.empty()) throw ConfigError(std::move(diags));
  } catch (const ConfigError& e) {
    for (const auto& d : e.diagnostics()) err << "error: " << d.str() << "\n";
    err << fmt::format("{} error{}; nothing was simulated.\n", e.diagnostics().size(),
                       e.diagnostics().size() == 1 ? "" : "s");
    return 2;
  }

  const fs::path dir = a.out;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    err << "error: " << dir.string() << ": --out: cannot create the directory: " << ec.message()
        << "\n";
    return 2;
  }
  {
    std::ofstream f(dir / "config.resolved.yaml");
    f << "# mpsim sim --arch " << a.arch << " --workload " << a.workload.source << "\n"
      << sim::to_yaml(arch);
  }
  workload::save_trace(trace, dir / "trace.yaml");

  std::vector<std::string> cmd{sc_worker_path(argv0).string(),
                               "--arch",
                               (dir / "config.resolved.yaml").string(),
                               "--trace",
                               (dir / "trace.yaml").string(),
                               "--out",
                               dir.string(),
                               "--check",
                               a.check,
                               "--energy",
                               a.energy,
                               "--seed",
                               std::to_string(a.seed),
                               "--workload-name",
                               a.workload.source};
  if (a.ideal_memory) cmd.push_back("--ideal-memory");
  if (a.exhaustive) cmd.push_back("--exhaustive");
  if (a.timeline) cmd.push_back("--timeline");
  if (a.rtl) cmd.push_back("--rtl");
  if (a.rtl_mutant) cmd.push_back("--rtl-mutant");
  const int rc = spawn_and_wait(cmd);
  if (rc < 0 || rc > 2 || !fs::exists(dir / "stats.json")) {
    err << fmt::format("error: the SystemC worker {} failed (status {})\n", cmd[0], rc);
    return 1;
  }
  if (rc == 2) return 2;

  std::ifstream f(dir / "stats.json");
  const auto j = nlohmann::json::parse(f);
  const auto& t = j["total"];
  out << fmt::format("{} on {} ({}{}): status {}\n", a.workload.source, arch.name, arch.pe_type,
                     a.rtl || a.rtl_mutant ? ", PE values from the Verilated RTL array" : "",
                     j["status"].get<std::string>());
  if (j.contains("infeasible_reason")) {
    out << "  infeasible: " << j["infeasible_reason"].get<std::string>() << "\n";
  }
  out << fmt::format(
      "  cycles {} (compute {}, stall {}), {:.6g} s at {} MHz, utilization {:.3f}\n"
      "  MACs {}, DRAM {:.4g} MB, energy {:.4g} uJ, area {:.4g} mm2, checked outputs {}\n",
      t["cycles"].get<std::uint64_t>(), t["compute_cycles"].get<std::uint64_t>(),
      t["stall_cycles"].get<std::uint64_t>(), t["seconds"].get<double>(), arch.frequency_mhz,
      t["utilization"].get<double>(), t["macs"].get<std::int64_t>(),
      t["dram_bytes"].get<double>() / 1e6, t["energy_pj"]["total"].get<double>() / 1e6,
      t["area_mm2"].get<double>(), t["checked_outputs"].get<std::int64_t>());
  if (a.energy == "activity") {
    // Say which ops the activity model could measure (it needs folds that ran with values).
    int activity_ops = 0, gemm_ops = 0;
    for (const auto& op : j["ops"]) {
      if (op["kind"] != "gemm" && op["kind"] != "batched_gemm") continue;
      ++gemm_ops;
      activity_ops += op["energy_model"] == "activity";
    }
    out << fmt::format(
        "  PE energy: activity-based (register toggles) for {} of {} GEMM ops; the rest fixed "
        "per action (no folds ran with values)\n",
        activity_ops, gemm_ops);
  } else {
    out << "  PE energy: fixed per action (random-operand activity)\n";
  }
  out << "  wrote " << (dir / "stats.json").string() << ", layers.csv, config.resolved.yaml"
      << (a.timeline ? ", timeline.json" : "") << "\n";
  return rc;
}

}  // namespace mpsim::app
