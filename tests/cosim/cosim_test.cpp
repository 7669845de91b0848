// DESCRIPTION: Every family's Verilated RTL runs in lock-step with its C++ datapath model for 10^5
// cycles per format configuration on mixed random / corner / workload stimulus without a single
// difference; each family's mutant build (a bug planted by MPSIM_MUTANT) is caught with cycle,
// signal and seed; waveforms honour their window.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/rtl/cosim.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace mpsim::rtl {
namespace {

std::vector<std::string> target_names() {
  std::vector<std::string> out;
  for (const CosimTarget* t : cosim_targets()) out.push_back(t->name());
  return out;
}

class Cosim : public ::testing::TestWithParam<std::string> {
 protected:
  const CosimTarget& target() const { return *find_cosim_target(GetParam()); }
};

TEST_P(Cosim, RtlEqualsTheModelEveryCycleOfEveryConfiguration) {
  CosimOptions opt;
  opt.cycles = 100000;
  opt.seed = 11;
  ASSERT_FALSE(target().configs().empty());
  for (const auto& r : run_cosim(target(), opt)) {
    EXPECT_FALSE(r.mismatch.has_value()) << r.mismatch->describe();
    EXPECT_EQ(r.cycles, opt.cycles) << r.config;
    // The stimulus keeps the PE busy: a quarter of the cycles at least deliver a checked output.
    EXPECT_GT(r.outputs_checked, opt.cycles / 4) << r.config;
  }
}

TEST_P(Cosim, EachStimulusKindRunsClean) {
  for (Stimulus s : {Stimulus::kRandom, Stimulus::kCorner, Stimulus::kWorkload}) {
    CosimOptions opt;
    opt.cycles = 20000;
    opt.seed = 5;
    opt.stimulus = s;
    for (const auto& r : run_cosim(target(), opt)) {
      EXPECT_FALSE(r.mismatch.has_value()) << stimulus_name(s) << ": " << r.mismatch->describe();
    }
  }
}

TEST_P(Cosim, EveryMutantBuildIsCaughtWithCycleSignalAndSeed) {
  CosimOptions opt;
  opt.cycles = 100000;
  opt.seed = 7;
  opt.mutant = true;
  int mutants = 0;
  for (const auto& c : target().configs()) {
    if (!target().has_mutant(c)) {
      EXPECT_THROW(target().run(c, opt), std::invalid_argument) << c;
      continue;
    }
    ++mutants;
    const CosimResult r = target().run(c, opt);
    ASSERT_TRUE(r.mismatch.has_value()) << c << ": the planted MPSIM_MUTANT bug went unnoticed";
    const std::string d = r.mismatch->describe();
    EXPECT_NE(d.find("at cycle " + std::to_string(r.mismatch->cycle)), std::string::npos) << d;
    EXPECT_NE(d.find("signal " + r.mismatch->signal), std::string::npos) << d;
    EXPECT_NE(d.find("(seed 7)"), std::string::npos) << d;
    EXPECT_LT(r.cycles, opt.cycles + 1);
  }
  EXPECT_GT(mutants, 0) << GetParam() << " has no mutant build";
}

TEST_P(Cosim, WaveformIsWrittenOnlyOnRequestAndHonoursTheWindow) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("mpsim_cosim_trace_" + GetParam() + "_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string config = target().configs().front();
  CosimOptions opt;
  opt.cycles = 2000;
  const CosimResult off = target().run(config, opt);
  EXPECT_TRUE(off.trace_path.empty());

  opt.trace.format = TraceOptions::Format::kFst;
  opt.trace.path = (dir / "all.fst").string();
  const CosimResult all = target().run(config, opt);
  ASSERT_EQ(all.trace_path, opt.trace.path);
  opt.trace.path = (dir / "window.fst").string();
  ASSERT_EQ(parse_trace_window("100:149", opt.trace), "");
  const CosimResult win = target().run(config, opt);
  ASSERT_TRUE(std::filesystem::exists(all.trace_path));
  ASSERT_TRUE(std::filesystem::exists(win.trace_path));
  EXPECT_GT(std::filesystem::file_size(win.trace_path), 0u);
  EXPECT_LT(std::filesystem::file_size(win.trace_path), std::filesystem::file_size(all.trace_path));
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(EveryFamily, Cosim, ::testing::ValuesIn(target_names()),
                         [](const auto& p) { return p.param; });

TEST(CosimOptions, TraceAndStimulusParsing) {
  TraceOptions t;
  EXPECT_EQ(parse_trace_format("fst", t), "");
  EXPECT_TRUE(t.enabled());
  EXPECT_NE(parse_trace_format("vcd", t).find("fst2vcd"), std::string::npos);
  EXPECT_NE(parse_trace_format("ghw", t).find("unknown"), std::string::npos);
  EXPECT_EQ(parse_trace_window("10:20", t), "");
  EXPECT_EQ(t.from, 10u);
  EXPECT_EQ(t.to, 20u);
  EXPECT_TRUE(t.in_window(10) && t.in_window(20) && !t.in_window(21) && !t.in_window(9));
  EXPECT_EQ(parse_trace_window(":5", t), "");
  EXPECT_EQ(t.from, 0u);
  EXPECT_NE(parse_trace_window("9:3", t).find("ends before"), std::string::npos);
  EXPECT_NE(parse_trace_window("x:3", t).find("not a cycle"), std::string::npos);
  EXPECT_NE(parse_trace_window("12", t).find("expected A:B"), std::string::npos);
  Stimulus s;
  EXPECT_TRUE(parse_stimulus("corner", s));
  EXPECT_EQ(s, Stimulus::kCorner);
  EXPECT_FALSE(parse_stimulus("fuzz", s));
}

TEST(CosimRegistry, EveryFamilyWithRtlIsListedAndUnknownConfigsAreNamed) {
  ASSERT_NE(find_cosim_target("int8_mac"), nullptr);
  EXPECT_EQ(find_cosim_target("no_such_pe"), nullptr);
  CosimOptions opt;
  opt.configs = {"int3xint3"};
  try {
    run_cosim(*find_cosim_target("int8_mac"), opt);
    FAIL() << "an unknown configuration must be rejected";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("int3xint3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("int8xint8"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mpsim::rtl
