// DESCRIPTION: `mpsim dse` and `mpsim merge` (see dse_command.h). Without the DSE libraries (a
// build that lacks pagmo2 or SQLite) the commands exist and say so. SPDX-License-Identifier:
// Apache-2.0
#include "mpsim/app/dse_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "mpsim/base/error.h"
#ifdef MPSIM_HAVE_DSE
#include "mpsim/dse/driver.h"
#include "mpsim/dse/store.h"
#endif
#include "mpsim/app/sim_command.h"

namespace mpsim::app {

CLI::App* add_dse_command(CLI::App& app, DseArgs& a) {
  CLI::App* c = app.add_subcommand(
      "dse", "Design-space exploration: run or resume a study (results in OUT/study.db)");
  c->add_option("--spec", a.spec, "study spec YAML (see dse/spaces/)")->required();
  c->add_option("--out", a.out, "study directory")->capture_default_str();
  c->add_option("--strategy", a.strategy,
                "exhaustive | random | nsga2 | hawq (overrides the spec)");
  c->add_option("--budget", a.budget, "maximum evaluations (overrides the spec)");
  c->add_option("--seed", a.seed, "seed (overrides the spec)");
  c->add_option("-j,--jobs", a.jobs, "parallel evaluations")->capture_default_str();
  c->add_option("--verify-front", a.verify_front,
                "re-evaluate up to K front points with the cycle-level (SystemC) model");
  c->add_option("--shard", a.shard, "i/N: evaluate this shard of an exhaustive/random sweep");
  c->add_flag("--mpi", a.mpi, "master/worker evaluation under mpirun");
  c->add_flag("--report", a.report, "also run `mpsim report OUT` at the end");
  c->add_flag("--no-progress", a.no_progress, "log lines instead of a progress bar");
  return c;
}

CLI::App* add_merge_command(CLI::App& app, MergeArgs& a) {
  CLI::App* c = app.add_subcommand("merge", "Join shard stores of one study into one store");
  c->add_option("--out", a.out, "destination store, e.g. out/dse/study.db")->required();
  c->add_option("shards", a.shards, "shard stores")->required();
  c->add_option("--export", a.export_dir, "also export points.csv / pareto_*.csv here");
  return c;
}

#ifndef MPSIM_HAVE_DSE
int run_dse(const DseArgs&, const std::string&, std::ostream&, std::ostream& err) {
  err << "error: this mpsim was built without the DSE (pagmo2 or SQLite3 missing)\n";
  return 2;
}
int run_merge(const MergeArgs&, std::ostream&, std::ostream& err) {
  err << "error: this mpsim was built without the DSE (pagmo2 or SQLite3 missing)\n";
  return 2;
}
#else
namespace {
int print_errors(const ConfigError& e, std::ostream& err) {
  for (const auto& d : e.diagnostics()) err << "error: " << d.str() << "\n";
  err << fmt::format("{} error{}; nothing was evaluated.\n", e.diagnostics().size(),
                     e.diagnostics().size() == 1 ? "" : "s");
  return 2;
}
}  // namespace

int run_dse(const DseArgs& a, const std::string& argv0, std::ostream& out, std::ostream& err) {
  dse::DseOptions o;
  o.spec = a.spec;
  o.out = a.out;
  o.strategy = a.strategy;
  o.budget = a.budget;
  o.seed = a.seed;
  o.jobs = a.jobs;
  o.verify_front = a.verify_front;
  o.worker = sc_worker_path(argv0);
  o.progress = a.no_progress ? 0 : -1;
#ifdef MPSIM_VERSION_STRING
  o.tool_version = MPSIM_VERSION_STRING;
#endif
#ifdef MPSIM_GIT_HASH
  o.git_hash = MPSIM_GIT_HASH;
#endif
  try {
    if (!a.shard.empty()) dse::parse_shard(a.shard, o.shard_index, o.shard_count);
    o.mpi = a.mpi;
    const dse::DseSummary s = dse::run_dse(o, std::cerr);
    if (s.mpi_worker) return 0;
    out << fmt::format("wrote {}\n", s.store.string());
    for (const auto& f : s.files) out << fmt::format("wrote {}\n", f.string());
    if (a.report) {
      const std::string cmd = fmt::format("\"{}\" report \"{}\"", argv0, a.out);
      const int rc = std::system(cmd.c_str());
      if (rc != 0) return 1;
    }
    return s.failed ? 1 : 0;
  } catch (const ConfigError& e) {
    return print_errors(e, err);
  }
}

int run_merge(const MergeArgs& a, std::ostream& out, std::ostream& err) {
  try {
    std::vector<std::filesystem::path> shards(a.shards.begin(), a.shards.end());
    const std::uint64_t n = dse::merge_stores(a.out, shards);
    out << fmt::format("merged {} shard{} into {} ({} points)\n", shards.size(),
                       shards.size() == 1 ? "" : "s", a.out, n);
    if (!a.export_dir.empty()) {
      auto store = dse::ResultStore::open_existing(a.out);
      // The knob columns are the stored points' knobs (the spec's relative paths may not resolve
      // here); the PE family first.
      std::vector<std::string> knobs{"arch.pe.type"};
      for (const auto& p : store->all()) {
        for (const auto& [k, v] : p.knobs) {
          if (std::find(knobs.begin(), knobs.end(), k) == knobs.end()) knobs.push_back(k);
        }
      }
      std::vector<std::pair<std::string, std::string> > pairs{{"latency", "energy"}};
      for (const auto& f : dse::export_csv(*store, knobs, pairs, a.export_dir)) {
        out << "wrote " << f.string() << "\n";
      }
    }
    return 0;
  } catch (const ConfigError& e) {
    return print_errors(e, err);
  }
}
#endif

}  // namespace mpsim::app
