// DESCRIPTION: The `mpsim sim` contract run as a process: output files and their columns, golden
// checks, the timeline, every arch error at once, --set overrides, infeasible designs as results,
// ideal memory. SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "run_mpsim.h"

namespace mpsim::test {
namespace {

namespace fs = std::filesystem;
const std::string kSrc = MPSIM_SOURCE_DIR;

std::string read(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

fs::path out_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / (std::to_string(::getpid()) + "_sim_" + name);
  fs::remove_all(d);
  return d;
}

TEST(CliSim, WritesStatsLayersConfigAndTimeline) {
  const auto dir = out_dir("ok");
  const Result r =
      run("sim --arch " + kSrc + "/sim/configs/int8_mac_ws.yaml --workload tiny-llama --recipe " +
          kSrc + "/workloads/recipes/int8.yaml --check full --timeline --out " + dir.string());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("status ok"), std::string::npos) << r.out;
  const auto stats = nlohmann::json::parse(read(dir / "stats.json"));
  EXPECT_EQ(stats["status"], "ok");
  EXPECT_EQ(stats["pe_type"], "int8_mac");
  const auto& ops = stats["ops"];
  ASSERT_EQ(ops.size(), 18u);  // tiny-llama prefill: 16 block ops + final norm + head
  std::int64_t checked = 0;
  for (const auto& op : ops) checked += op["checked_outputs"].get<std::int64_t>();
  EXPECT_EQ(checked, stats["total"]["checked_outputs"].get<std::int64_t>());
  EXPECT_GT(checked, 0);
  EXPECT_EQ(stats["total"]["cycles"].get<std::uint64_t>(),
            stats["total"]["compute_cycles"].get<std::uint64_t>() +
                stats["total"]["stall_cycles"].get<std::uint64_t>());

  const std::string csv = read(dir / "layers.csv");
  EXPECT_EQ(
      csv.rfind(
          "op,macs,cycles,compute_cycles,stall_cycles,utilization,dram_bytes,energy_pj,area_mm2,",
          0),
      0u)
      << csv.substr(0, 200);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 19);  // header + one row per op
  EXPECT_NE(csv.find("\nblk.attn.q,1048576,"), std::string::npos);

  const auto cfg = read(dir / "config.resolved.yaml");
  EXPECT_NE(cfg.find("rows: 32"), std::string::npos);
  EXPECT_NE(cfg.find("jitter_cycles: 0"), std::string::npos);  // defaults are written out
  const auto tl = nlohmann::json::parse(read(dir / "timeline.json"));
  EXPECT_EQ(tl["traceEvents"].size(), 18u);
  EXPECT_EQ(tl["traceEvents"][0]["ph"], "X");
  fs::remove_all(dir);
}

TEST(CliSim, BadArchListsEveryErrorAndSimulatesNothing) {
  const TempFile bad("bad_arch.yaml",
                     "version: 1\n"
                     "arch:\n"
                     "  name: bad\n"
                     "  array: { rows: 0, cols: 4, dataflow: diagonal }\n"
                     "  pe: { type: int8_mak }\n"
                     "  buffers:\n"
                     "    wieght: { kib: 64 }\n"
                     "    activation: { kib: 64 }\n"
                     "    output: { kib: 64 }\n");
  const auto dir = out_dir("bad");
  const Result r = run("sim --arch " + bad.str() + " --workload tiny-llama --out " + dir.string());
  EXPECT_EQ(r.status, 2);
  const std::string f = bad.str();
  EXPECT_NE(r.err.find(f + ":4:18: arch.array.rows: must be in [1, 4096], got 0"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(f + ":4:40: arch.array.dataflow: 'diagonal' is not one of "
                           "weight_stationary, output_stationary"),
            std::string::npos)
      << r.err;
  EXPECT_NE(
      r.err.find(f + ":5:15: arch.pe.type: unknown PE type 'int8_mak' (did you mean 'int8_mac'?"),
      std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(f + ":7:5: arch.buffers.wieght: unknown key (did you mean 'weight'?)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("arch.buffers.weight: required section is missing"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("5 errors; nothing was simulated."), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir));
}

TEST(CliSim, OverridesAreValidatedLikeTheFile) {
  const auto dir = out_dir("set");
  const std::string base = "sim --arch " + kSrc +
                           "/sim/configs/int8_mac_ws.yaml --workload tiny-vit --recipe " + kSrc +
                           "/workloads/recipes/int8.yaml --check off --out " + dir.string();
  Result r = run(base + " --set arch.array.rows=0 --set nonsense");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("<cli>: arch.array.rows: must be in [1, 4096], got 0"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("<cli>: --set: expected PATH=VALUE"), std::string::npos) << r.err;
  r = run(base + " --set arch.array.rows=8 --set arch.pe.lanes=4");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto cfg = read(dir / "config.resolved.yaml");
  EXPECT_NE(cfg.find("rows: 8"), std::string::npos) << cfg;
  EXPECT_NE(cfg.find("lanes: 4"), std::string::npos) << cfg;
  fs::remove_all(dir);
}

TEST(CliSim, InfeasibleDesignIsAResultWithAReason) {
  const auto dir = out_dir("infeasible");
  // A 32x32 int8 weight fold is 1 KiB; a 1 KiB double-buffered weight buffer offers 512 B per tile.
  Result r = run(
      "sim --arch " + kSrc + "/sim/configs/int8_mac_ws.yaml --workload tiny-llama --recipe " +
      kSrc + "/workloads/recipes/int8.yaml --set arch.buffers.weight.kib=1 --out " + dir.string());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("infeasible: op blk.attn.q: weight buffer tile of 512 B cannot hold one "
                       "32x32 weight fold (1024 B)"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(nlohmann::json::parse(read(dir / "stats.json"))["status"], "infeasible");
  // A format pair the PE cannot multiply: fp16 GEMMs on MX/BFP PEs.
  r = run("sim --arch " + kSrc +
          "/sim/configs/block_fp.yaml --workload tiny-llama --check off --out " + dir.string());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("infeasible: op blk.attn.q: block_fp multiplies MX/BFP block formats"),
            std::string::npos)
      << r.out;
  fs::remove_all(dir);
}

TEST(CliSim, IdealMemoryLeavesComputeCyclesOnly) {
  const auto dir = out_dir("ideal");
  const Result r =
      run("sim --arch " + kSrc + "/sim/configs/int8_mac_os.yaml --workload tiny-vit --recipe " +
          kSrc + "/workloads/recipes/int8.yaml --ideal-memory --check off --out " + dir.string());
  ASSERT_EQ(r.status, 0) << r.err;
  const auto s = nlohmann::json::parse(read(dir / "stats.json"));
  EXPECT_EQ(s["total"]["stall_cycles"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(s["total"]["cycles"], s["total"]["compute_cycles"]);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mpsim::test

namespace mpsim::test {
namespace {

TEST(CliSim, PeTypesListsFamiliesAndParameters) {
  const Result r = run("pe-types");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* family : {"int8_mac:", "block_fp:", "int4_tc:", "shift_add:", "bitserial:"}) {
    EXPECT_NE(r.out.find(family), std::string::npos) << family << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("lanes            int    default 1      range [1, 16]"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("one of qserve, hilo"), std::string::npos) << r.out;
}

TEST(CliSim, AreaShowsSynthesizedAndPartsAreas) {
  Result r = run("area --pe int8_mac");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("int8_mac   int8 x int8"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("synthesized int8_mac/lanes=1/int8xint8/acc32: rtl/pe/int8_mac/int8_mac_pe.sv"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("int8_mac/lanes=1/int8xint8/acc32"), std::string::npos) << r.out;
  r = run("area --pe int9_mac");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("did you mean 'int8_mac'"), std::string::npos) << r.err;
  r = run("area --tech 40");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unsupported technology node 40 nm"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mpsim::test
