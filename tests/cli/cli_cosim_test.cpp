// DESCRIPTION: The `mpsim cosim` contract run as a process: every family with RTL runs clean, the
// mutant fails with exit 1, the mismatch line and a waveform of the cycles before it; waveforms
// only on request; every usage error at once with exit 2.
// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <filesystem>

#include "run_mpsim.h"

namespace mpsim::test {
namespace {

namespace fs = std::filesystem;

fs::path work_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / (std::to_string(::getpid()) + "_cosim_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

/// Runs mpsim with `dir` as its working directory (waveforms land there by default).
Result run_in(const fs::path& dir, const std::string& args) {
  const auto cwd = fs::current_path();
  fs::current_path(dir);
  Result r = run(args);
  fs::current_path(cwd);
  return r;
}

TEST(CliCosim, ListsFamiliesAndRunsEveryOneClean) {
  const Result list = run("cosim --list");
  ASSERT_EQ(list.status, 0) << list.err;
  EXPECT_NE(list.out.find("int8_mac"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("array4x4/int8xint8"), std::string::npos) << list.out;

  const auto dir = work_dir("all");
  const Result r = run_in(dir, "cosim --pe all --cycles 20000 --seed 3");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("int8_mac int8xint8: 20000 cycles"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("MISMATCH"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::is_empty(dir)) << "no waveform unless asked for";
}

TEST(CliCosim, MutantExitsOneWithTheMismatchAndAWaveformBeforeIt) {
  const auto dir = work_dir("mutant");
  const Result r = run_in(dir, "cosim --pe int8_mac --formats int8xint8 --mutant --seed 9");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("RTL and model differ [int8xint8] at cycle "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("signal psum_out"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(seed 9)"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(dir / "int8_mac.int8xint8.mismatch.fst")) << r.err;
}

TEST(CliCosim, WaveformWithWindowAndFile) {
  const auto dir = work_dir("trace");
  const Result r =
      run_in(dir,
             "cosim --pe int8_mac --formats array4x4/int8xint8 --cycles 500 --trace fst "
             "--trace-window 100:200 --trace-depth 2 --trace-file w.fst");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("waveform: w.fst"), std::string::npos) << r.out;
  EXPECT_GT(fs::file_size(dir / "w.fst"), 0u);
}

TEST(CliCosim, EveryUsageErrorAtOnce) {
  const Result r = run("cosim --pe nope --stimulus fuzz --trace vcd --trace-window 9:2 --cycles 0");
  EXPECT_EQ(r.status, 2);
  for (const char* s : {"--pe nope", "--stimulus fuzz", "fst2vcd", "ends before it starts",
                        "--cycles must be > 0"}) {
    EXPECT_NE(r.err.find(s), std::string::npos) << s << "\n" << r.err;
  }
  const Result f = run("cosim --pe int8_mac --formats int3xint3");
  EXPECT_EQ(f.status, 2);
  EXPECT_NE(f.err.find("int3xint3"), std::string::npos) << f.err;
}

}  // namespace
}  // namespace mpsim::test
