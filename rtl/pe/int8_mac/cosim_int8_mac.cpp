// DESCRIPTION: Lock-step co-simulation of the Verilated int8_mac RTL against the C++ datapath
// (sim/pe/int8_mac's issue()): the PE at 1 and 4 lanes, and the 4x4 weight-stationary array
// against 16 model PEs wired the same way. The same seeded stimulus drives both sides; every
// output and valid bit is compared every cycle.
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

using sim::int8_mac::Int8MacFamily;

/// One PE's registers as the C++ model sees them; the MAC itself is the family's issue().
struct PeModel {
  Int8MacFamily fam;
  std::array<std::int8_t, kInt8MacRtlMaxLanes> w{};
  Int8MacOutputs out;
  Int8MacFamily::AChunk a_chunk, w_chunk;  // reused: only the live lanes are rewritten each cycle
  explicit PeModel(int lanes) {
    fam.lanes = lanes;
    a_chunk.len = w_chunk.len = static_cast<std::uint8_t>(lanes);
  }
  void step(const Int8MacInputs& in) {
    if (in.valid_in) {
      Int8MacFamily::Acc acc;
      acc.i = static_cast<std::uint32_t>(in.psum_in);
      for (int l = 0; l < fam.lanes; ++l) {
        a_chunk.i[static_cast<std::size_t>(l)] = in.a_in[static_cast<std::size_t>(l)];
        w_chunk.i[static_cast<std::size_t>(l)] = w[static_cast<std::size_t>(l)];  // latched before
      }
      std::uint64_t counts[sim::int8_mac::kActionCount] = {};
      fam.issue(acc, a_chunk, w_chunk, counts);
      out.psum_out = static_cast<std::int32_t>(acc.i);
    }
    if (in.w_load) w = in.w_in;
    out.valid_out = in.valid_in;
    out.a_out = in.a_in;
    out.w_out = w;
  }
};

std::int8_t to_int8(float x, float scale) {
  return static_cast<std::int8_t>(std::clamp(std::nearbyint(x / scale), -127.0f, 127.0f));
}

constexpr std::int8_t kEdge[] = {-128, -127, -1, 0, 1, 127};
constexpr std::int32_t kPsumEdge[] = {INT32_MAX,         INT32_MIN, INT32_MAX - 16000,
                                      INT32_MIN + 16000, 0,         -1};

/// A quantized synthetic LLM layer (activations with outlier channels, heavy-tailed weights).
struct Layer {
  static constexpr std::int64_t kM = 16, kK = 256, kN = 4;
  std::int8_t a[kM * kK] = {};
  std::int8_t w[kK * kN] = {};
  explicit Layer(std::uint64_t seed) {
    const auto af =
        golden::synthetic_activations(kM, kK, golden::ActivationDistribution{}, seed + 1);
    const auto wf = golden::synthetic_weights(kK, kN, golden::WeightDistribution{}, seed + 2);
    float amax = 0, wmax = 0;
    for (float v : af) amax = std::max(amax, std::fabs(v));
    for (float v : wf) wmax = std::max(wmax, std::fabs(v));
    for (std::size_t i = 0; i < af.size(); ++i) a[i] = to_int8(af[i], amax / 127);
    for (std::size_t i = 0; i < wf.size(); ++i) w[i] = to_int8(wf[i], wmax / 127);
    prefix.assign(static_cast<std::size_t>(kM * kN * (kK + 1)), 0);
    for (std::int64_t m = 0; m < kM; ++m) {
      for (std::int64_t n = 0; n < kN; ++n) {
        std::uint32_t* p = &prefix[static_cast<std::size_t>((m * kN + n) * (kK + 1))];
        for (std::int64_t j = 0; j < kK; ++j) {
          p[j + 1] = p[j] + static_cast<std::uint32_t>(a[m * kK + j] * w[j * kN + n]);
        }
      }
    }
  }
  /// Exact INT32 (wrapping) partial sum of row m, column n over k in [0, k_end).
  std::int32_t psum(std::int64_t m, std::int64_t n, std::int64_t k_end) const {
    return static_cast<std::int32_t>(prefix[(m * kN + n) * (kK + 1) + k_end]);
  }
  std::vector<std::uint32_t> prefix;  ///< [m][n][k]: sum over j < k, summed once up front
};

Stimulus phase_of(Stimulus kind, std::uint64_t cycle) {
  if (kind != Stimulus::kMixed) return kind;
  static constexpr Stimulus kOrder[] = {Stimulus::kRandom, Stimulus::kCorner, Stimulus::kWorkload};
  return kOrder[(cycle / 4096) % 3];
}

/// Seeded PE stimulus: random, corner cases, and one PE's view of the layer in a WS column (its
/// weight W[k][n], activations A[m][k] streaming by, the exact partial sum of the rows above).
class PeStimulus {
 public:
  PeStimulus(Stimulus kind, std::uint64_t seed, int lanes)
      : kind_(kind), g_(seed), layer_(seed), lanes_(lanes) {}
  Int8MacInputs next(std::uint64_t cycle) {
    const std::uint64_t r = g_.next();
    Int8MacInputs in;
    in.w_load = (r & 7) == 0;
    in.valid_in = (r >> 3) % 4 != 0;
    switch (phase_of(kind_, cycle)) {
      case Stimulus::kCorner:
        for (int l = 0; l < lanes_; ++l) {
          const std::uint64_t e = g_.next();
          in.a_in[static_cast<std::size_t>(l)] = kEdge[e % 6];
          in.w_in[static_cast<std::size_t>(l)] = kEdge[(e >> 8) % 6];
        }
        in.psum_in = kPsumEdge[(r >> 24) % 6];
        break;
      case Stimulus::kWorkload: {
        // A new group of `lanes` k rows every kM cycles, one activation row per cycle.
        const std::int64_t kgroups = Layer::kK / lanes_;
        const std::int64_t m = wl_ % Layer::kM, kn = wl_ / Layer::kM;
        const std::int64_t kg = kn % kgroups, n = (kn / kgroups) % Layer::kN;
        const std::int64_t next_kg = (kn + 1) % kgroups, next_n = ((kn + 1) / kgroups) % Layer::kN;
        in.w_load = m == Layer::kM - 1;  // latch the next weights as the last row passes
        in.valid_in = true;
        for (int l = 0; l < lanes_; ++l) {
          const auto i = static_cast<std::size_t>(l);
          in.w_in[i] = layer_.w[(next_kg * lanes_ + l) * Layer::kN + next_n];
          in.a_in[i] = layer_.a[m * Layer::kK + kg * lanes_ + l];
        }
        in.psum_in = layer_.psum(m, n, kg * lanes_);
        ++wl_;
        break;
      }
      default:
        for (int l = 0; l < lanes_; ++l) {
          const std::uint64_t e = g_.next();
          in.a_in[static_cast<std::size_t>(l)] = static_cast<std::int8_t>(e);
          in.w_in[static_cast<std::size_t>(l)] = static_cast<std::int8_t>(e >> 8);
        }
        in.psum_in = static_cast<std::int32_t>(r >> 32);
    }
    return in;
  }

 private:
  Stimulus kind_;
  golden::Rng g_;
  Layer layer_;
  int lanes_;
  std::int64_t wl_ = 0;
};

CosimResult cosim_pe(Int8MacRtl& rtl, const std::string& config, const CosimOptions& opt) {
  PeStimulus stim(opt.stimulus, opt.seed, rtl.lanes());
  PeModel model(rtl.lanes());
  LockStep ls(config, opt.seed);
  CosimResult res;
  res.config = config;
  const auto t0 = std::chrono::steady_clock::now();
  rtl.reset();
  for (std::uint64_t c = 0; c < opt.cycles; ++c) {
    const Int8MacInputs in = stim.next(c);
    rtl.step(in);
    res.cycles = c + 1;
    if (opt.rtl_only) continue;
    model.step(in);
    const Int8MacOutputs got = rtl.outputs(), want = model.out;
    ls.check(c, "valid_out", want.valid_out, got.valid_out);
    for (int l = 0; l < rtl.lanes(); ++l) {
      const auto i = static_cast<std::size_t>(l);
      ls.check(c, "a_out", want.a_out[i], got.a_out[i]);
      ls.check(c, "w_out", want.w_out[i], got.w_out[i]);
    }
    if (want.valid_out) {
      ls.check(c, "psum_out", want.psum_out, got.psum_out);
      ++res.outputs_checked;
    }
    if (!ls.ok()) break;
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  res.mismatch = ls.mismatch();
  res.trace_path = rtl.trace_path();
  return res;
}

/// The array as 16 model PEs wired like int8_mac_array.sv; all registers update on the same edge.
class ArrayModel {
 public:
  ArrayModel(int rows, int cols)
      : rows_(rows), cols_(cols), pes_(rows * cols, PeModel(1)), ins_(pes_.size()) {}
  void step(const Int8MacArrayInputs& in) {
    std::vector<Int8MacInputs>& ins = ins_;
    for (int r = 0; r < rows_; ++r) {
      for (int c = 0; c < cols_; ++c) {
        Int8MacInputs& x = ins[idx(r, c)];
        x.w_load = in.w_load;
        x.w_in[0] = r == 0 ? in.w_in[static_cast<std::size_t>(c)] : pe(r - 1, c).out.w_out[0];
        x.psum_in = r == 0 ? in.psum_in[static_cast<std::size_t>(c)] : pe(r - 1, c).out.psum_out;
        x.valid_in = c == 0 ? static_cast<bool>(in.a_valid[static_cast<std::size_t>(r)])
                            : pe(r, c - 1).out.valid_out;
        x.a_in[0] = c == 0 ? in.a_in[static_cast<std::size_t>(r)] : pe(r, c - 1).out.a_out[0];
      }
    }
    for (std::size_t i = 0; i < pes_.size(); ++i) pes_[i].step(ins[i]);
  }
  void outputs(Int8MacArrayOutputs& o) const {
    o.valid.resize(static_cast<std::size_t>(cols_));
    o.psum.resize(static_cast<std::size_t>(cols_));
    for (int c = 0; c < cols_; ++c) {
      o.valid[static_cast<std::size_t>(c)] = pe(rows_ - 1, c).out.valid_out;
      o.psum[static_cast<std::size_t>(c)] = pe(rows_ - 1, c).out.psum_out;
    }
  }

 private:
  std::size_t idx(int r, int c) const { return static_cast<std::size_t>(r * cols_ + c); }
  PeModel& pe(int r, int c) { return pes_[idx(r, c)]; }
  const PeModel& pe(int r, int c) const { return pes_[idx(r, c)]; }
  int rows_, cols_;
  std::vector<PeModel> pes_;
  std::vector<Int8MacInputs> ins_;  // next-edge inputs of every PE, reused
};

/// Array stimulus: random and corner values on every port, or WS tiles of the layer (ROWS cycles
/// of weight load, bottom row first, then the skewed stream of a K fold with the exact partial sums
/// of the folds before it entering the top).
class ArrayStimulus {
 public:
  ArrayStimulus(Stimulus kind, std::uint64_t seed, int rows, int cols)
      : kind_(kind), g_(seed), layer_(seed), rows_(rows), cols_(cols) {}
  /// The next cycle's inputs (a reference to a buffer reused every cycle).
  const Int8MacArrayInputs& next(std::uint64_t cycle) {
    Int8MacArrayInputs& in = in_;
    in.w_load = false;
    in.w_in.assign(static_cast<std::size_t>(cols_), 0);
    in.psum_in.assign(static_cast<std::size_t>(cols_), 0);
    in.a_valid.assign(static_cast<std::size_t>(rows_), false);
    in.a_in.assign(static_cast<std::size_t>(rows_), 0);
    const Stimulus k = phase_of(kind_, cycle);
    if (k == Stimulus::kWorkload) {
      workload(in);
      return in;
    }
    const std::uint64_t r = g_.next();
    in.w_load = (r & 15) == 0;
    for (int c = 0; c < cols_; ++c) {
      const std::uint64_t e = g_.next();
      const auto i = static_cast<std::size_t>(c);
      in.w_in[i] = k == Stimulus::kCorner ? kEdge[e % 6] : static_cast<std::int8_t>(e);
      in.psum_in[i] =
          k == Stimulus::kCorner ? kPsumEdge[(e >> 8) % 6] : static_cast<std::int32_t>(e >> 32);
    }
    for (int rr = 0; rr < rows_; ++rr) {
      const std::uint64_t e = g_.next();
      const auto i = static_cast<std::size_t>(rr);
      in.a_valid[i] = (e & 3) != 0;
      in.a_in[i] = k == Stimulus::kCorner ? kEdge[(e >> 8) % 6] : static_cast<std::int8_t>(e >> 8);
    }
    return in;
  }

 private:
  void workload(Int8MacArrayInputs& in) {
    const std::int64_t R = rows_, C = cols_, M = Layer::kM;
    const std::int64_t period = R + M + R + C - 2;  // weight load + the fold's issue slots
    const std::int64_t fold = wl_ / period, t = wl_ % period;
    const std::int64_t k0 = (fold * R) % Layer::kK;
    ++wl_;
    if (t < R) {
      in.w_load = true;  // bottom row first: after R shifts row r holds W[k0 + r]
      for (std::int64_t c = 0; c < C; ++c) {
        in.w_in[static_cast<std::size_t>(c)] = layer_.w[(k0 + R - 1 - t) * Layer::kN + c];
      }
      return;
    }
    const std::int64_t s = t - R;
    for (std::int64_t r = 0; r < R; ++r) {
      const std::int64_t m = s - r;
      if (m < 0 || m >= M) continue;
      in.a_valid[static_cast<std::size_t>(r)] = true;
      in.a_in[static_cast<std::size_t>(r)] = layer_.a[m * Layer::kK + k0 + r];
    }
    for (std::int64_t c = 0; c < C; ++c) {
      const std::int64_t m = s - c;
      if (m >= 0 && m < M) in.psum_in[static_cast<std::size_t>(c)] = layer_.psum(m, c, k0);
    }
  }
  Stimulus kind_;
  golden::Rng g_;
  Layer layer_;
  int rows_, cols_;
  std::int64_t wl_ = 0;
  Int8MacArrayInputs in_;
};

CosimResult cosim_array(Int8MacArrayRtl& rtl, const std::string& config, const CosimOptions& opt) {
  ArrayStimulus stim(opt.stimulus, opt.seed, rtl.rows(), rtl.cols());
  ArrayModel model(rtl.rows(), rtl.cols());
  Int8MacArrayOutputs got, want;
  LockStep ls(config, opt.seed);
  CosimResult res;
  res.config = config;
  const auto t0 = std::chrono::steady_clock::now();
  rtl.reset();
  for (std::uint64_t c = 0; c < opt.cycles; ++c) {
    const Int8MacArrayInputs& in = stim.next(c);
    rtl.step(in);
    res.cycles = c + 1;
    if (opt.rtl_only) continue;
    model.step(in);
    rtl.outputs(got);
    model.outputs(want);
    for (std::size_t col = 0; col < want.valid.size(); ++col) {
      ls.check(c, "out_valid", static_cast<bool>(want.valid[col]),
               static_cast<bool>(got.valid[col]));
      if (want.valid[col]) {
        ls.check(c, "psum_out", want.psum[col], got.psum[col]);
        ++res.outputs_checked;
      }
    }
    if (!ls.ok()) break;
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  res.mismatch = ls.mismatch();
  res.trace_path = rtl.trace_path();
  return res;
}

class Int8MacCosim final : public CosimTarget {
 public:
  std::string name() const override { return "int8_mac"; }
  std::string description() const override {
    return "weight-stationary INT8 x INT8 -> INT32 MAC PE (lanes 1 and 4) and 4x4 array, "
           "rtl/pe/int8_mac/";
  }
  std::vector<std::string> configs() const override {
    return {"int8xint8", "int8xint8/lanes4", "array4x4/int8xint8"};
  }
  bool has_mutant(const std::string& /*config*/) const override { return true; }
  CosimResult run(const std::string& config, const CosimOptions& opt) const override {
    if (config == "int8xint8") {
      auto rtl =
          opt.mutant ? make_int8_mac_rtl_l1_mutant(opt.trace) : make_int8_mac_rtl_l1(opt.trace);
      return cosim_pe(*rtl, config, opt);
    }
    if (config == "int8xint8/lanes4") {
      auto rtl =
          opt.mutant ? make_int8_mac_rtl_l4_mutant(opt.trace) : make_int8_mac_rtl_l4(opt.trace);
      return cosim_pe(*rtl, config, opt);
    }
    if (config == "array4x4/int8xint8") {
      auto rtl = opt.mutant ? make_int8_mac_array4x4_rtl_mutant(opt.trace)
                            : make_int8_mac_array4x4_rtl(opt.trace);
      return cosim_array(*rtl, config, opt);
    }
    throw std::invalid_argument("int8_mac: no RTL configuration " + config);
  }
};

}  // namespace

const CosimTarget& cosim_target_int8_mac() {
  static const Int8MacCosim t;
  return t;
}

}  // namespace mpsim::rtl
