// DESCRIPTION: The SystemC bridge (`mpsim sim --rtl`): with the Verilated 4x4 int8_mac array
// computing every GEMM fold that is checked, stats.json and layers.csv equal the C++-only run (all
// outputs checked against the golden model); the mutant array is caught by the golden check; an
// architecture or recipe without RTL is refused with every reason at once.
// SPDX-License-Identifier: Apache-2.0
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
const std::string kArch4x4 = "--arch " + kSrc +
                             "/sim/configs/int8_mac_ws.yaml --set arch.array.rows=4 "
                             "--set arch.array.cols=4 ";

std::string read(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

fs::path out_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / (std::to_string(::getpid()) + "_simrtl_" + name);
  fs::remove_all(d);
  return d;
}

TEST(CliSimRtl, RtlArrayRunEqualsTheCppRunInValuesCyclesAndEnergy) {
  const std::string common = kArch4x4 + "--workload tiny-llama --phase decode --seq 64 --recipe " +
                             kSrc + "/workloads/recipes/int8.yaml --check full --out ";
  const auto cpp = out_dir("cpp"), rtl = out_dir("rtl");
  const Result a = run("sim " + common + cpp.string());
  ASSERT_EQ(a.status, 0) << a.err;
  const Result b = run("sim " + common + rtl.string() + " --rtl");
  ASSERT_EQ(b.status, 0) << b.err;
  EXPECT_NE(b.out.find("PE values from the Verilated RTL array"), std::string::npos) << b.out;
  auto ja = nlohmann::json::parse(read(cpp / "stats.json"));
  auto jb = nlohmann::json::parse(read(rtl / "stats.json"));
  EXPECT_EQ(ja["datapath"], "cpp");
  EXPECT_EQ(jb["datapath"], "rtl");
  EXPECT_GT(jb["total"]["checked_outputs"].get<std::int64_t>(), 500);
  ja.erase("datapath");
  jb.erase("datapath");
  EXPECT_EQ(ja, jb);
  EXPECT_EQ(read(cpp / "layers.csv"), read(rtl / "layers.csv"));
}

TEST(CliSimRtl, MutantArrayIsCaughtByTheGoldenCheck) {
  const Result r = run(
      "sim " + kArch4x4 + "--workload tiny-llama --phase decode --seq 64 --recipe " + kSrc +
      "/workloads/recipes/int8.yaml --check full --rtl-mutant --out " + out_dir("mutant").string());
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("mismatch: op "), std::string::npos) << r.err;
}

TEST(CliSimRtl, ArchitecturesAndRecipesWithoutRtlAreRefusedWithEveryReason) {
  const Result r = run("sim --arch " + kSrc +
                       "/sim/configs/int8_mac_os.yaml --workload tiny-llama --rtl --out " +
                       out_dir("bad").string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("needs 4x4"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("output-stationary"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fp16 x fp16"), std::string::npos) << r.err;  // no recipe: fp16 GEMMs
  EXPECT_FALSE(fs::exists(out_dir("bad") / "stats.json"));
}

}  // namespace
}  // namespace mpsim::test
