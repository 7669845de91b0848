// DESCRIPTION: Entry point of the `mpsim` command line.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "mpsim/app/cosim_command.h"
#include "mpsim/app/dse_command.h"
#include "mpsim/app/golden_gemm_command.h"
#include "mpsim/app/golden_run_command.h"
#include "mpsim/app/quantize_command.h"
#include "mpsim/app/report_command.h"
#include "mpsim/app/sim_command.h"
#include "mpsim/app/workload_command.h"
#include "mpsim/numerics/quantizer.h"

int main(int argc, char** argv) {
  CLI::App app{"mpsim: simulator and design-space explorer for mixed-precision DNN accelerators"};
  app.set_version_flag("--version", std::string("mpsim ") + MPSIM_VERSION);
  app.require_subcommand(1);

  mpsim::app::QuantizeArgs qargs;
  CLI::App* quantize = mpsim::app::add_quantize_command(app, qargs);
  CLI::App* formats = app.add_subcommand("formats", "List every number format with its options");

  mpsim::app::WorkloadShowArgs wargs;
  const mpsim::app::WorkloadCommands workload = mpsim::app::add_workload_command(app, wargs);

  // `golden` groups the golden-model commands; each add_golden_*_command adds one subcommand.
  CLI::App* golden = app.add_subcommand("golden", "Bit-exact golden model");
  golden->require_subcommand(1);
  mpsim::app::GoldenGemmArgs gargs;
  CLI::App* golden_gemm = mpsim::app::add_golden_gemm_command(golden, gargs);
  mpsim::app::GoldenRunArgs rargs;
  CLI::App* golden_run = mpsim::app::add_golden_run_command(golden, rargs);

  mpsim::app::SimArgs sargs;
  CLI::App* sim = mpsim::app::add_sim_command(app, sargs);
  CLI::App* pe_types = app.add_subcommand("pe-types", "List the PE families and their parameters");
  CLI::App* area =
      app.add_subcommand("area", "Area per PE configuration (synthesized or from parts)");
  std::string area_pe;
  int area_tech = 45;
  area->add_option("--pe", area_pe, "one PE family (default: all)");
  area->add_option("--tech", area_tech, "technology node in nm")->capture_default_str();

  mpsim::app::CosimArgs cargs;
  CLI::App* cosim = mpsim::app::add_cosim_command(app, cargs);

  mpsim::app::ReportArgs repargs;
  CLI::App* report = mpsim::app::add_report_command(app, repargs);

  mpsim::app::DseArgs dargs;
  CLI::App* dse = mpsim::app::add_dse_command(app, dargs);
  mpsim::app::MergeArgs margs;
  CLI::App* merge = mpsim::app::add_merge_command(app, margs);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;  // every usage error is the user's: status 2, like a bad config
  }

  if (area->parsed()) return mpsim::app::run_area(area_pe, area_tech, std::cout, std::cerr);
  if (pe_types->parsed()) return mpsim::app::run_pe_types(std::cout);
  if (report->parsed()) return mpsim::app::run_report(repargs, std::cout, std::cerr);
  if (dse->parsed()) return mpsim::app::run_dse(dargs, argv[0], std::cout, std::cerr);
  if (merge->parsed()) return mpsim::app::run_merge(margs, std::cout, std::cerr);
  if (cosim->parsed()) return mpsim::app::run_cosim(cargs, std::cout, std::cerr);
  if (sim->parsed()) return mpsim::app::run_sim(sargs, argv[0], std::cout, std::cerr);
  if (quantize->parsed()) return mpsim::app::run_quantize(qargs, std::cin, std::cout, std::cerr);
  if (workload.list->parsed()) return mpsim::app::run_workload_list(std::cout, std::cerr);
  if (workload.show->parsed()) return mpsim::app::run_workload_show(wargs, std::cout, std::cerr);
  if (golden_run->parsed()) return mpsim::app::run_golden_run(rargs, std::cout, std::cerr);
  if (golden_gemm->parsed())
    return mpsim::app::run_golden_gemm(gargs, std::cin, std::cout, std::cerr);
  if (formats->parsed()) {
    for (const auto& name : mpsim::num::builtin_formats().names()) {
      const auto& info = *mpsim::num::builtin_formats().find(name);
      std::string size;
      if (info.layout == mpsim::num::Layout::kBlock)
        size = fmt::format("--block {}", info.default_size);
      if (info.layout == mpsim::num::Layout::kGroup)
        size = fmt::format("--group {}", info.default_size);
      if (info.size_fixed) size += " (fixed)";
      std::cout << fmt::format("{:<14} {:<20} {}\n", name, size, info.description);
    }
    return 0;
  }
  return 2;
}
