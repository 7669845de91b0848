// DESCRIPTION: Lock-step co-simulation of the Verilated int8_mac PE against the C++ datapath
// (sim/pe/int8_mac's issue()): the same seeded stimulus drives both; valid_out, a_out and psum_out
// are compared every cycle.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "int8_mac_family.h"
#include "mpsim/golden/synthetic.h"
#include "mpsim/rtl/cosim.h"
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

std::int8_t to_int8(float x, float scale) {
  return static_cast<std::int8_t>(std::clamp(std::nearbyint(x / scale), -127.0f, 127.0f));
}

/// Seeded operand streams: random, corner cases, and a WS array column's view of a quantized
/// synthetic LLM layer (one PE = one k row: its weight W[k][n], activations A[m][k] streaming by,
/// and the exact partial sum of rows above it as psum_in).
class Stimulus {
 public:
  Stimulus(rtl::Stimulus kind, std::uint64_t seed) : kind_(kind), g_(seed) {
    const auto a =
        golden::synthetic_activations(kM, kK, golden::ActivationDistribution{}, seed + 1);
    const auto w = golden::synthetic_weights(kK, kN, golden::WeightDistribution{}, seed + 2);
    float amax = 0, wmax = 0;
    for (float v : a) amax = std::max(amax, std::fabs(v));
    for (float v : w) wmax = std::max(wmax, std::fabs(v));
    for (std::size_t i = 0; i < a.size(); ++i) a_[i] = to_int8(a[i], amax / 127);
    for (std::size_t i = 0; i < w.size(); ++i) w_[i] = to_int8(w[i], wmax / 127);
  }
  Int8MacInputs next(std::uint64_t cycle) {
    rtl::Stimulus k = kind_;
    if (k == rtl::Stimulus::kMixed) {
      static constexpr rtl::Stimulus kOrder[] = {rtl::Stimulus::kRandom, rtl::Stimulus::kCorner,
                                                 rtl::Stimulus::kWorkload};
      k = kOrder[(cycle / 4096) % 3];
    }
    const std::uint64_t r = g_.next();
    Int8MacInputs in;
    in.w_load = (r & 7) == 0;
    in.valid_in = (r >> 3) % 4 != 0;
    if (k == rtl::Stimulus::kCorner) {
      static constexpr std::int8_t kEdge[] = {-128, -127, -1, 0, 1, 127};
      static constexpr std::int32_t kPsum[] = {INT32_MAX,         INT32_MIN, INT32_MAX - 16000,
                                               INT32_MIN + 16000, 0,         -1};
      in.a_in = kEdge[(r >> 8) % 6];
      in.w_in = kEdge[(r >> 16) % 6];
      in.psum_in = kPsum[(r >> 24) % 6];
    } else if (k == rtl::Stimulus::kWorkload) {
      // Walk the layer: a new (k, n) weight every kM cycles, one activation row per cycle.
      const std::uint64_t m = wl_ % kM, kn = wl_ / kM;
      const std::uint64_t kk = kn % kK, n = (kn / kK) % kN;
      in.w_load = m == kM - 1;  // latch the next weight as the last row passes
      const std::uint64_t next_kn = kn + 1;
      in.w_in = w_[(next_kn % kK) * kN + (next_kn / kK) % kN];
      in.valid_in = true;
      in.a_in = a_[m * kK + kk];
      std::int32_t psum = 0;
      for (std::uint64_t j = 0; j < kk; ++j) {
        psum =
            static_cast<std::int32_t>(static_cast<std::uint32_t>(psum) +
                                      static_cast<std::uint32_t>(a_[m * kK + j] * w_[j * kN + n]));
      }
      in.psum_in = psum;
      ++wl_;
    } else {
      in.a_in = static_cast<std::int8_t>(r >> 8);
      in.w_in = static_cast<std::int8_t>(r >> 16);
      in.psum_in = static_cast<std::int32_t>(r >> 32);
    }
    return in;
  }

 private:
  static constexpr std::uint64_t kM = 16, kK = 256, kN = 4;
  rtl::Stimulus kind_;
  golden::Rng g_;
  std::int8_t a_[kM * kK] = {};
  std::int8_t w_[kK * kN] = {};
  std::uint64_t wl_ = 0;
};

class Int8MacCosim final : public CosimTarget {
 public:
  std::string name() const override { return "int8_mac"; }
  std::string description() const override {
    return "weight-stationary INT8 x INT8 -> INT32 MAC (lanes 1), rtl/pe/int8_mac/int8_mac_pe.sv";
  }
  std::vector<std::string> configs() const override { return {"int8xint8"}; }
  CosimResult run(const std::string& config, const CosimOptions& opt) const override {
    if (config != "int8xint8") throw std::invalid_argument("int8_mac: no configuration " + config);
    auto rtl = opt.mutant ? make_int8_mac_rtl_mutant(opt.trace) : make_int8_mac_rtl(opt.trace);
    Stimulus stim(opt.stimulus, opt.seed);
    Model model;
    LockStep ls(config, opt.seed);
    CosimResult res;
    res.config = config;
    const auto t0 = std::chrono::steady_clock::now();
    rtl->reset();
    for (std::uint64_t c = 0; c < opt.cycles; ++c) {
      const Int8MacInputs in = stim.next(c);
      rtl->step(in);
      res.cycles = c + 1;
      if (opt.rtl_only) continue;
      model.step(in);
      const Int8MacOutputs got = rtl->outputs(), want = model.out;
      ls.check(c, "valid_out", want.valid_out, got.valid_out);
      ls.check(c, "a_out", want.a_out, got.a_out);
      if (want.valid_out) {
        ls.check(c, "psum_out", want.psum_out, got.psum_out);
        ++res.outputs_checked;
      }
      if (!ls.ok()) break;
    }
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    res.mismatch = ls.mismatch();
    res.trace_path = rtl->trace_path();
    return res;
  }
};

}  // namespace

const CosimTarget& cosim_target_int8_mac() {
  static const Int8MacCosim t;
  return t;
}

}  // namespace mpsim::rtl
