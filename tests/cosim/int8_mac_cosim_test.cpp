// DESCRIPTION: Lock-step co-simulation of the Verilated int8_mac PE against the C++ datapath model
// (sim/pe/int8_mac's issue()): same seeded stimulus (random and corner cases), every output
// compared every cycle; the first mismatch reports cycle, signal, expected, actual and seed. The
// mutant build (a planted signless product) must be caught. SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <sstream>

#include "int8_mac_family.h"
#include "rtl_int8_mac.h"

namespace mpsim::rtl {
namespace {

/// The PE's registers as the C++ model sees them; the MAC itself is the family's issue().
struct Model {
  sim::int8_mac::Int8MacFamily fam;
  std::int8_t w = 0;
  Int8MacOutputs out;
  void step(const Int8MacInputs& in) {
    if (in.valid_in) {
      sim::int8_mac::Int8MacFamily::Acc acc;
      acc.i = static_cast<std::uint32_t>(in.psum_in);
      sim::int8_mac::Int8MacFamily::AChunk a, wc;
      a.len = wc.len = 1;
      a.i[0] = in.a_in;
      wc.i[0] = w;  // the weight latched before this edge
      std::uint64_t counts[sim::int8_mac::kActionCount] = {};
      fam.issue(acc, a, wc, counts);
      out.psum_out = static_cast<std::int32_t>(acc.i);
    }
    if (in.w_load) w = in.w_in;
    out.valid_out = in.valid_in;
    out.a_out = in.a_in;
  }
};

Int8MacInputs stimulus(std::mt19937_64& g, std::uint64_t cycle) {
  Int8MacInputs in;
  const auto r = g();
  in.w_load = (r & 7) == 0;
  in.valid_in = (r >> 3) % 4 != 0;
  // Every 16th cycle a corner case: extreme operands and partial sums at the INT32 wrap.
  if (cycle % 16 == 0) {
    static constexpr std::int8_t kEdge[] = {-128, -127, -1, 0, 1, 127};
    in.a_in = kEdge[(r >> 8) % 6];
    in.w_in = kEdge[(r >> 16) % 6];
    static constexpr std::int32_t kPsum[] = {INT32_MAX,         INT32_MIN, INT32_MAX - 16000,
                                             INT32_MIN + 16000, 0,         -1};
    in.psum_in = kPsum[(r >> 24) % 6];
  } else {
    in.a_in = static_cast<std::int8_t>(r >> 8);
    in.w_in = static_cast<std::int8_t>(r >> 16);
    in.psum_in = static_cast<std::int32_t>(r >> 32);
  }
  return in;
}

/// Runs `cycles` cycles in lock-step; returns the first mismatch, described.
std::optional<std::string> cosim(Int8MacRtl& rtl, std::uint64_t seed, std::uint64_t cycles) {
  std::mt19937_64 g(seed);
  Model model;
  rtl.reset();
  for (std::uint64_t c = 0; c < cycles; ++c) {
    const Int8MacInputs in = stimulus(g, c);
    rtl.step(in);
    model.step(in);
    const Int8MacOutputs got = rtl.outputs(), want = model.out;
    auto report = [&](const char* sig, long long e, long long a) {
      std::ostringstream os;
      os << "cycle " << rtl.cycle() << ", signal " << sig << ": expected " << e << ", actual " << a
         << " (seed " << seed << ")";
      return os.str();
    };
    if (got.valid_out != want.valid_out) return report("valid_out", want.valid_out, got.valid_out);
    if (got.a_out != want.a_out) return report("a_out", want.a_out, got.a_out);
    if (got.valid_out && got.psum_out != want.psum_out)
      return report("psum_out", want.psum_out, got.psum_out);
  }
  return std::nullopt;
}

TEST(Int8MacCosim, RtlEqualsTheDatapathModelEveryCycle) {
  for (std::uint64_t seed : {1u, 2u}) {
    auto rtl = make_int8_mac_rtl();
    const auto mismatch = cosim(*rtl, seed, 100000);
    EXPECT_FALSE(mismatch.has_value()) << *mismatch;
    EXPECT_EQ(rtl->cycle(), 100000u);
  }
}

TEST(Int8MacCosim, MutantRtlIsCaughtWithCycleSignalAndSeed) {
  auto rtl = make_int8_mac_rtl_mutant();
  const auto mismatch = cosim(*rtl, 7, 100000);
  ASSERT_TRUE(mismatch.has_value()) << "the planted signless product went unnoticed";
  EXPECT_NE(mismatch->find("signal psum_out"), std::string::npos) << *mismatch;
  EXPECT_NE(mismatch->find("(seed 7)"), std::string::npos) << *mismatch;
}

}  // namespace
}  // namespace mpsim::rtl
