// DESCRIPTION: Lock-step co-simulation of the Verilated shift_add RTL against the family's own
// Datapath (sim/pe/shift_add): the PE with INT8 and with FP16 activations (int4_g128 group
// sums), and the 4x4 weight-stationary array (int4_g32) against 16 model PEs wired the same way,
// whose workload phase runs whole GEMMs and also checks the results and per-tile cycle counts of
// mpsim's SystolicKernel. The same seeded stimulus drives both sides; every output and valid bit
// is compared every cycle.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "mpsim/core/systolic.h"
#include "mpsim/golden/matrix.h"
#include "mpsim/golden/synthetic.h"
#include "mpsim/numerics/half.h"
#include "mpsim/rtl/cosim.h"
#include "rtl_shift_add.h"
#include "shift_add_family.h"

namespace mpsim::rtl {
namespace {

using Fam = sim::shift_add::ShiftAddFamily;
using sim::Tile;
using sim::TileMode;
using sim::shift_add::ActKind;

constexpr std::size_t at(int i) { return static_cast<std::size_t>(i); }

/// NaN payloads and signs are the host FPU's choice in the C++ model (x86 gives -NaN for
/// Inf - Inf and keeps an input NaN's payload); the RTL always gives the canonical quiet NaN. Both
/// sides are compared with every NaN mapped to that one.
std::uint32_t canon(std::uint32_t bits) {
  const bool nan = (bits & 0x7F800000u) == 0x7F800000u && (bits & 0x007FFFFFu) != 0;
  return nan ? 0x7FC00000u : bits;
}
std::uint32_t canon(float f) { return canon(std::bit_cast<std::uint32_t>(f)); }

ShiftAddActs to_acts(const Fam::AChunk& a, bool valid, int lanes) {
  ShiftAddActs x;
  x.valid = valid;
  // The RTL has no chunk length: lanes past it carry zeros, which add nothing.
  for (int l = 0; l < lanes; ++l) x.a[at(l)] = l < a.len ? a.at(at(l)) : 0;
  x.nonfinite = a.nonfinite;
  x.nan = a.nan;
  x.neg = a.neg;
  return x;
}
ShiftAddWeight to_weight(const Fam::WChunk& w, int lanes) {
  ShiftAddWeight x;
  for (int l = 0; l < lanes; ++l) x.q[at(l)] = w.q[at(l)];
  x.zero = w.zero;
  x.scale = w.scale;
  x.ends_group = w.ends_group;
  return x;
}
ShiftAddSums to_sums(const Fam::Acc& a) { return ShiftAddSums{a.p, a.s, a.special}; }

/// A chunk of `lanes` zeros with zero weights: what an unused array row computes (it passes the
/// sums through, as SystolicKernel's skipped issue does).
Fam::AChunk zero_chunk(int lanes) {
  Fam::AChunk a{};
  a.len = static_cast<std::uint8_t>(lanes);
  return a;
}
Fam::WChunk zero_weight(int lanes) {
  Fam::WChunk w{};
  w.len = static_cast<std::uint8_t>(lanes);
  return w;
}

/// One PE's registers as the C++ model sees them; each chunk's arithmetic is the family's
/// Datapath (load + step), the code the simulator runs. Stage 2's total trails by one cycle.
class PeModel {
 public:
  explicit PeModel(const Fam& fam) : dp_(fam.datapath()), w_(zero_weight(fam.lanes)) {}
  void step(bool w_load, const Fam::WChunk& w_in, bool valid, const Fam::AChunk& a,
            const Fam::Acc& acc) {
    tvalid_ = valid_;
    if (valid_) total_ = res_.total;
    if (valid) {
      dp_.load(a, w_, acc);  // the weights latched before this edge
      dp_.step(counts_);
      res_ = dp_.result();
      a_ = a;
    }
    valid_ = valid;
    if (w_load) w_ = w_in;
  }
  bool valid() const { return valid_; }
  const Fam::Acc& result() const { return res_; }
  const Fam::AChunk& a() const { return a_; }
  const Fam::WChunk& w() const { return w_; }
  bool tvalid() const { return tvalid_; }
  float total() const { return total_; }

 private:
  Fam::Datapath dp_;
  Fam::WChunk w_;
  Fam::AChunk a_ = {};
  Fam::Acc res_;
  bool valid_ = false, tvalid_ = false;
  float total_ = 0.0f;
  std::uint64_t counts_[sim::shift_add::kActionCount] = {};
};

/// What enters one PE (or the edges of the array) in one cycle, as the model sees it: the whole
/// Acc of each chunk, total included (the driver gives the RTL that total one cycle later).
struct Cycle {
  bool w_load = false;
  std::array<Fam::WChunk, kShiftAddRtlMaxDim> w{};
  std::array<bool, kShiftAddRtlMaxDim> valid{};
  std::array<Fam::AChunk, kShiftAddRtlMaxDim> a{};
  std::array<Fam::Acc, kShiftAddRtlMaxDim> acc{};
};

Stimulus phase_of(Stimulus kind, std::uint64_t cycle) {
  if (kind != Stimulus::kMixed) return kind;
  static constexpr Stimulus kOrder[] = {Stimulus::kRandom, Stimulus::kCorner, Stimulus::kWorkload};
  return kOrder[(cycle / 4096) % 3];
}

/// Seeded operand values shared by the PE and array stimuli.
class Values {
 public:
  Values(const Fam& fam, std::uint64_t seed, int depth) : fam_(fam), g_(seed) {
    // The open group's sums entering a PE: at most group - depth*lanes elements so far, so the
    // sums leave `depth` PEs inside the accumulators the RTL sizes for one group.
    const std::int64_t amax = fam.act == ActKind::kFp16 ? std::int64_t{1} << 40 : 128;
    smax_ = (fam.group - depth * fam.lanes) * amax;
    pmax_ = 15 * smax_;
    row_.values.resize(at(fam.lanes));
  }
  golden::Rng& rng() { return g_; }
  std::uint64_t next() { return g_.next(); }
  std::int64_t uniform(std::int64_t max) {
    return static_cast<std::int64_t>(g_.next() % static_cast<std::uint64_t>(2 * max + 1)) - max;
  }

  /// A chunk of activations through the family's own chunk builder (short chunks sometimes).
  Fam::AChunk acts(bool corner) {
    const int len =
        (g_.next() & 15) == 0 ? 1 + static_cast<int>(g_.next() % at(fam_.lanes)) : fam_.lanes;
    row_.values.resize(at(len));
    for (int l = 0; l < len; ++l) row_.values[at(l)] = corner ? corner_act() : random_act();
    return fam_.a_chunk(row_, 0);
  }
  Fam::WChunk weights(bool corner) {
    Fam::WChunk w = zero_weight(fam_.lanes);
    const std::uint64_t r = g_.next();
    static constexpr std::uint8_t kZero[] = {0, 15, 8, 1};
    w.zero = corner ? kZero[r % 4] : static_cast<std::uint8_t>(r & 15);
    for (int l = 0; l < fam_.lanes; ++l) {
      const std::uint64_t e = g_.next();
      const std::uint8_t edge[] = {0, 15, w.zero};  // extreme codes and a zero term
      w.q[at(l)] = corner ? edge[e % 3] : static_cast<std::uint8_t>(e & 15);
    }
    w.scale = scale(corner);
    w.ends_group = (r >> 8) % 3 != 0;
    return w;
  }
  /// The open group's sums (total chosen separately).
  Fam::Acc sums(bool corner) {
    Fam::Acc acc;
    const std::uint64_t r = g_.next();
    if (corner) {
      const std::int64_t kp[] = {pmax_, -pmax_, 0, 1, -1, pmax_ / 3};
      const std::int64_t ks[] = {smax_, -smax_, 0, 1, -1, -smax_ / 5};
      acc.p = kp[r % 6];
      acc.s = ks[(r >> 8) % 6];
    } else if ((r & 3) == 0) {
      // Small sums: few significant bits, so the dequantizer's rounding sees ties.
      const int bits = 1 + static_cast<int>((r >> 2) % 24);
      acc.p = uniform(std::min(pmax_, std::int64_t{1} << bits));
      acc.s = uniform(std::min(smax_, std::int64_t{1} << bits));
    } else {
      acc.p = uniform(pmax_);
      acc.s = uniform(smax_);
    }
    if (fam_.act == ActKind::kFp16 && ((r >> 16) & 7) == 0) {
      acc.special = static_cast<std::uint8_t>((r >> 20) & 7);
    }
    return acc;
  }
  /// The FP32 total of the closed groups: anything IEEE allows, and values that make the group's
  /// addition cancel, round or overflow (`gv` is this chunk's group value).
  float total(float gv) {
    const std::uint64_t r = g_.next();
    const float sign = (r & 1) != 0 ? -1.0f : 1.0f;
    switch ((r >> 1) % 16) {
      case 0:
        return std::bit_cast<float>(static_cast<std::uint32_t>(r >> 32));
      case 1:
        return 0.0f;
      case 2:
        return -0.0f;
      case 3:
        return -gv;
      case 4:
        return std::nextafter(-gv, 0.0f);
      case 5:
        return -gv * (1.0f + std::ldexp(1.0f, -static_cast<int>((r >> 8) % 26)));
      case 6:
        return gv;
      case 7:
        return sign * std::numeric_limits<float>::max();
      case 8:
        return std::bit_cast<float>(static_cast<std::uint32_t>((r >> 32) & 0x807FFFFFu));
      case 9:
        return sign * std::numeric_limits<float>::infinity();
      case 10:
        return std::numeric_limits<float>::quiet_NaN();
      case 11:
        return gv * std::ldexp(1.0f, static_cast<int>((r >> 8) % 40) - 20);
      default:
        return sign * std::ldexp(static_cast<float>((r >> 8) & 0xFFFFFF),
                                 static_cast<int>((r >> 40) % 80) - 60);
    }
  }
  /// The group value this chunk would add (the family's Datapath on a zero total).
  float group_value(const Fam::WChunk& w, const Fam::AChunk& a, Fam::Acc acc) {
    acc.total = 0.0f;
    Fam::Datapath dp = fam_.datapath();
    dp.load(a, w, acc);
    std::uint64_t counts[sim::shift_add::kActionCount] = {};
    dp.step(counts);
    return dp.result().total;
  }

 private:
  float random_act() {
    const std::uint64_t r = g_.next();
    if (fam_.act == ActKind::kInt8) return static_cast<float>(static_cast<std::int8_t>(r));
    // Mostly finite FP16 values of every magnitude; now and then any bit pattern (Inf, NaN).
    std::uint16_t h = static_cast<std::uint16_t>(r >> 8);
    if ((r & 15) != 0 && (h & 0x7C00u) == 0x7C00u) h = static_cast<std::uint16_t>(h & 0xBFFFu);
    return num::fp16_bits_to_fp32(h);
  }
  float corner_act() {
    const std::uint64_t r = g_.next();
    if (fam_.act == ActKind::kInt8) {
      static constexpr float kI8[] = {-128, 127, -127, -1, 0, 1};
      return kI8[r % 6];
    }
    static constexpr std::uint16_t kH[] = {0x7BFF, 0xFBFF, 0x0001, 0x8001, 0x03FF, 0x0000,
                                           0x8000, 0x3C00, 0x7C00, 0xFC00, 0x7E00, 0xBC00};
    return num::fp16_bits_to_fp32(kH[r % 12]);
  }
  std::uint16_t scale(bool corner) {
    const std::uint64_t r = g_.next();
    if (corner) {
      static constexpr std::uint16_t kS[] = {0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x7BFF,
                                             0xFBFF, 0x7C00, 0xFC00, 0x7E00, 0x3C00, 0x3C01};
      return kS[r % 12];
    }
    // Mostly the small positive scales quantizers store; sometimes any FP16 pattern.
    if ((r & 7) == 0) return static_cast<std::uint16_t>(r >> 16);
    return static_cast<std::uint16_t>(((r >> 3) % 16 + 1) << 10 | ((r >> 16) & 0x3FF));
  }

  const Fam& fam_;
  golden::Rng g_;
  std::int64_t pmax_ = 0, smax_ = 0;
  num::QuantizedRow row_;
};

/// A quantized synthetic LLM layer (activations with outlier channels and massive values,
/// heavy-tailed weights), INT8 activations scaled to their range.
struct Layer {
  golden::QuantMatrix a, w;
  Layer(const Fam& fam, std::int64_t M, std::int64_t K, std::int64_t N, std::uint64_t seed) {
    golden::Matrix am = golden::Matrix::zeros(M, K), wm = golden::Matrix::zeros(K, N);
    am.data = golden::synthetic_activations(M, K, golden::ActivationDistribution{}, seed + 1);
    wm.data = golden::synthetic_weights(K, N, golden::WeightDistribution{}, seed + 2);
    const bool fp16 = fam.act == ActKind::kFp16;
    if (!fp16) {
      // Per-tensor INT8 with the outliers clipped at 8 sigma (a max-scaled tensor with massive
      // activations would leave almost every element 0).
      for (float& v : am.data) v = std::clamp(std::nearbyint(v * 127.0f / 8.0f), -127.0f, 127.0f);
    }
    a = golden::quantize_rows(am, num::FormatSpec::parse(fp16 ? "fp16" : "int8"));
    w = golden::quantize_cols(wm, num::FormatSpec::parse("int4_g" + std::to_string(fam.group)));
  }
};

// ------------------------------------------------------------------------------------ the PE

/// Seeded PE stimulus: random, corner cases, and one PE's view of a layer in a WS column (the
/// weight chunk c of column n, activation chunks of rows m streaming by, and the exact Acc of
/// chunks 0..c-1 of row m entering from above).
class PeStimulus {
 public:
  PeStimulus(const Fam& fam, Stimulus kind, std::uint64_t seed)
      : fam_(fam),
        kind_(kind),
        v_(fam, seed, 1),
        layer_(fam, kM, kK, kN, seed),
        accs_(kM, fam.zero()),
        w_(zero_weight(fam.lanes)) {}
  const Cycle& next(std::uint64_t cycle) {
    Cycle& x = cycle_;
    const std::uint64_t r = v_.next();
    const Stimulus k = phase_of(kind_, cycle);
    if (k == Stimulus::kWorkload) {
      workload();
    } else {
      const bool corner = k == Stimulus::kCorner;
      x.w_load = (r & 7) == 0;
      x.w[0] = v_.weights(corner);
      x.valid[0] = (r >> 3) % 4 != 0;
      x.a[0] = v_.acts(corner);
      x.acc[0] = v_.sums(corner);
      x.acc[0].total = v_.total(v_.group_value(w_, x.a[0], x.acc[0]));
    }
    if (x.w_load) w_ = x.w[0];  // what the PE will hold after this edge
    return x;
  }

 private:
  static constexpr std::int64_t kM = 16, kK = 256, kN = 4;
  void workload() {
    Cycle& x = cycle_;
    const std::int64_t chunks = kK / fam_.lanes;
    const std::int64_t m = wl_ % kM, cn = wl_ / kM;
    const std::int64_t c = cn % chunks, n = (cn / chunks) % kN;
    if (m == 0 && c == 0) std::fill(accs_.begin(), accs_.end(), fam_.zero());
    // Latch the next weight chunk as the last row passes.
    x.w_load = m == kM - 1;
    const std::int64_t next = cn + 1;
    x.w[0] =
        fam_.w_chunk(layer_.w.lines[at(static_cast<int>((next / chunks) % kN))], next % chunks);
    x.valid[0] = true;
    x.a[0] = fam_.a_chunk(layer_.a.lines[at(static_cast<int>(m))], c);
    x.acc[0] = accs_[at(static_cast<int>(m))];
    std::uint64_t counts[sim::shift_add::kActionCount] = {};
    fam_.issue(accs_[at(static_cast<int>(m))], x.a[0],
               fam_.w_chunk(layer_.w.lines[at(static_cast<int>(n))], c), counts);
    ++wl_;
  }
  const Fam& fam_;
  Stimulus kind_;
  Values v_;
  Layer layer_;
  std::vector<Fam::Acc> accs_;
  Fam::WChunk w_;
  Cycle cycle_;
  std::int64_t wl_ = 0;
};

CosimResult cosim_pe(ShiftAddRtl& rtl, const Fam& fam, const std::string& config,
                     const CosimOptions& opt) {
  const int L = fam.lanes;
  PeStimulus stim(fam, opt.stimulus, opt.seed);
  PeModel model(fam);
  LockStep ls(config, opt.seed);
  CosimResult res;
  res.config = config;
  ShiftAddInputs in;
  std::uint32_t prev_total = 0;
  const auto t0 = std::chrono::steady_clock::now();
  rtl.reset();
  for (std::uint64_t c = 0; c < opt.cycles; ++c) {
    const Cycle& x = stim.next(c);
    in.w_load = x.w_load;
    in.w[0] = to_weight(x.w[0], L);
    in.a[0] = to_acts(x.a[0], x.valid[0], L);
    in.sums[0] = to_sums(x.acc[0]);
    in.total[0] = prev_total;  // the previous chunk's total reaches stage 2 now
    prev_total = std::bit_cast<std::uint32_t>(x.acc[0].total);
    rtl.step(in);
    res.cycles = c + 1;
    if (opt.rtl_only) continue;
    model.step(x.w_load, x.w[0], x.valid[0], x.a[0], x.acc[0]);
    const ShiftAddOutputs& got = rtl.outputs();
    ls.check(c, "valid_out", model.valid(), got.valid[0]);
    if (model.valid()) {
      const Fam::Acc& r = model.result();
      ls.check(c, "p_out", r.p, got.sums[0].p);
      ls.check(c, "s_out", r.s, got.sums[0].s);
      ls.check(c, "sp_out", r.special, got.sums[0].special);
      const ShiftAddActs want = to_acts(model.a(), true, L);
      for (int l = 0; l < L; ++l) ls.check(c, "a_out", want.a[at(l)], got.right.a[at(l)]);
      ls.check(c, "a_nf_out", want.nonfinite, got.right.nonfinite);
      ls.check(c, "a_nan_out", want.nan, got.right.nan);
      ls.check(c, "a_neg_out", want.neg, got.right.neg);
      ++res.outputs_checked;
    }
    ls.check(c, "tvalid_out", model.tvalid(), got.tvalid[0]);
    if (model.tvalid()) ls.check(c, "total_out", canon(model.total()), canon(got.total[0]));
    const ShiftAddWeight w = to_weight(model.w(), L);
    for (int l = 0; l < L; ++l) ls.check(c, "w_q_out", w.q[at(l)], got.w_out[0].q[at(l)]);
    ls.check(c, "w_zero_out", w.zero, got.w_out[0].zero);
    ls.check(c, "w_scale_out", w.scale, got.w_out[0].scale);
    ls.check(c, "w_end_out", w.ends_group, got.w_out[0].ends_group);
    if (!ls.ok()) break;
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  res.mismatch = ls.mismatch();
  res.trace_path = rtl.trace_path();
  return res;
}

// --------------------------------------------------------------------------------- the array

/// The array as rows x cols model PEs wired like shift_add_array.sv. Stepping from the bottom
/// right reads every neighbour's registers before this edge overwrites them.
class ArrayModel {
 public:
  ArrayModel(const Fam& fam, int rows, int cols)
      : rows_(rows), cols_(cols), pes_(at(rows * cols), PeModel(fam)) {}
  void step(const Cycle& x) {
    for (int r = rows_ - 1; r >= 0; --r) {
      for (int c = cols_ - 1; c >= 0; --c) {
        const bool valid = c == 0 ? x.valid[at(r)] : pe(r, c - 1).valid();
        const Fam::AChunk& a = c == 0 ? x.a[at(r)] : pe(r, c - 1).a();
        const Fam::Acc& acc = r == 0 ? x.acc[at(c)] : pe(r - 1, c).result();
        const Fam::WChunk& w = r == 0 ? x.w[at(c)] : pe(r - 1, c).w();
        pe(r, c).step(x.w_load, w, valid, a, acc);
      }
    }
  }
  const PeModel& bottom(int c) const { return pes_[at((rows_ - 1) * cols_ + c)]; }

 private:
  PeModel& pe(int r, int c) { return pes_[at(r * cols_ + c)]; }
  int rows_, cols_;
  std::vector<PeModel> pes_;
};

/// Array stimulus: random and corner values on every port, or whole GEMMs (A: M x K, W: K x N) run
/// tile by tile as SystolicKernel's weight-stationary schedule does: per (n0, k0) tile, ROWS
/// cycles of weight load (bottom row first), M + ROWS + COLS - 2 skewed issue slots, one cycle
/// for the last total; partial sums of earlier K folds re-enter the top from the output buffer.
class ArrayStimulus {
 public:
  static constexpr std::int64_t kM = 20, kK = 72, kN = 8;
  ArrayStimulus(const Fam& fam, Stimulus kind, std::uint64_t seed, int rows, int cols)
      : fam_(fam), kind_(kind), seed_(seed), v_(fam, seed, rows), rows_(rows), cols_(cols) {}

  /// Where the current cycle stands in a GEMM (tile < 0: not in one).
  struct Pos {
    std::int64_t gemm = -1, tile = -1, t = 0;
  };

  const Cycle& next(std::uint64_t cycle) {
    Cycle& x = cycle_;
    if (pos_.tile < 0 && phase_of(kind_, cycle) == Stimulus::kWorkload) start_gemm();
    if (pos_.tile >= 0) {
      gemm_cycle();
      return x;
    }
    const bool corner = phase_of(kind_, cycle) == Stimulus::kCorner;
    const std::uint64_t r = v_.next();
    x.w_load = (r & 15) == 0;
    for (int c = 0; c < cols_; ++c) {
      x.w[at(c)] = v_.weights(corner);
      x.acc[at(c)] = v_.sums(corner);
      x.acc[at(c)].total = v_.total(0.0f);
    }
    for (int rr = 0; rr < rows_; ++rr) {
      x.valid[at(rr)] = ((r >> (8 + rr * 2)) & 3) != 0;
      x.a[at(rr)] = v_.acts(corner);
    }
    return x;
  }

  bool in_gemm() const { return pos_.tile >= 0; }
  const Pos& pos() const { return pos_; }
  /// The kernel's cycles for the tile in progress.
  std::uint64_t tile_cycles() const { return kernel_cycles_[at(static_cast<int>(pos_.tile))]; }
  std::int64_t tile_length() const { return rows_ + slots() + 1; }
  /// The RTL's results leaving the bottom of column c, tile-relative cycle t (after the edge).
  void capture(const ShiftAddOutputs& o) {
    const Tile& tl = tiles_[at(static_cast<int>(pos_.tile))];
    const std::int64_t s = pos_.t - rows_;  // the slot whose edge just passed
    for (int c = 0; c < cols_; ++c) {
      const std::int64_t ms = s - (rows_ - 1) - c, mt = ms - 1;
      if (o.valid[at(c)] && ms >= 0 && ms < kM) {
        Fam::Acc& b = buf(ms, tl.n0 + c);
        b.p = o.sums[at(c)].p;
        b.s = o.sums[at(c)].s;
        b.special = o.sums[at(c)].special;
      }
      if (o.tvalid[at(c)] && mt >= 0 && mt < kM) {
        buf(mt, tl.n0 + c).total = std::bit_cast<float>(o.total[at(c)]);
      }
    }
  }
  /// After the last tile: the GEMM's outputs as the RTL left them and as SystolicKernel gives
  /// them (the kernel's finish()), row-major.
  const std::vector<float>& rtl_out() const { return rtl_out_; }
  const std::vector<float>& kernel_out() const { return kernel_out_; }
  /// Moves to the next cycle of the GEMM; true when the GEMM just ended.
  bool advance() {
    if (++pos_.t < tile_length()) return false;
    pos_.t = 0;
    if (++pos_.tile < static_cast<std::int64_t>(tiles_.size())) return false;
    rtl_out_.clear();
    for (std::int64_t m = 0; m < kM; ++m)
      for (std::int64_t n = 0; n < kN; ++n) rtl_out_.push_back(fam_.finish(buf(m, n)));
    pos_.tile = -1;
    return true;
  }

 private:
  std::int64_t slots() const { return kM + rows_ + cols_ - 2; }
  Fam::Acc& buf(std::int64_t m, std::int64_t n) { return buf_[at(static_cast<int>(m * kN + n))]; }

  void start_gemm() {
    ++pos_.gemm;
    layer_ = std::make_unique<Layer>(fam_, kM, kK, kN, seed_ * 1000 + pos_.gemm);
    const std::int64_t kpi = fam_.lanes, kt = rows_ * kpi;
    tiles_.clear();
    for (std::int64_t n0 = 0; n0 < kN; n0 += cols_)
      for (std::int64_t k0 = 0; k0 < kK; k0 += kt)
        tiles_.push_back(Tile{0, n0, k0, kM, std::min<std::int64_t>(cols_, kN - n0),
                              std::min(kt, kK - k0), k0 == 0});
    // The simulator's own array kernel on the same GEMM: per-tile cycles and final values.
    sim::SystolicKernel<Fam> k(fam_, rows_, cols_, sim::Dataflow::kWeightStationary);
    k.begin(layer_->a.lines, layer_->w.lines, kM, kN, kK, true);
    kernel_cycles_.clear();
    for (const Tile& t : tiles_)
      kernel_cycles_.push_back(k.run_tile(t, TileMode::kExhaustive).cycles);
    kernel_out_.clear();
    for (std::int64_t m = 0; m < kM; ++m)
      for (std::int64_t n = 0; n < kN; ++n) kernel_out_.push_back(k.output(m, n));
    buf_.assign(at(static_cast<int>(kM * kN)), fam_.zero());
    pos_.tile = 0;
    pos_.t = 0;
  }

  void gemm_cycle() {
    Cycle& x = cycle_;
    const Tile& tl = tiles_[at(static_cast<int>(pos_.tile))];
    const std::int64_t c0 = tl.k0 / fam_.lanes;
    const int used_rows = static_cast<int>((tl.kt + fam_.lanes - 1) / fam_.lanes);
    const std::int64_t t = pos_.t;
    x.w_load = t < rows_;
    for (int c = 0; c < cols_; ++c) {
      // Bottom row first: after ROWS shifts row r holds chunk c0 + r.
      const int r = rows_ - 1 - static_cast<int>(t);
      x.w[at(c)] = x.w_load && r < used_rows && c < tl.nt
                       ? fam_.w_chunk(layer_->w.lines[at(static_cast<int>(tl.n0 + c))], c0 + r)
                       : zero_weight(fam_.lanes);
    }
    const std::int64_t s = t - rows_;  // issue slot (>= slots: the last total's cycle)
    for (int r = 0; r < rows_; ++r) {
      const std::int64_t m = s - r;
      x.valid[at(r)] = t >= rows_ && m >= 0 && m < kM;
      x.a[at(r)] = x.valid[at(r)] && r < used_rows
                       ? fam_.a_chunk(layer_->a.lines[at(static_cast<int>(m))], c0 + r)
                       : zero_chunk(fam_.lanes);
    }
    for (int c = 0; c < cols_; ++c) {
      const std::int64_t m = s - c;
      x.acc[at(c)] = m >= 0 && m < kM && !tl.first_k && c < tl.nt ? buf(m, tl.n0 + c) : fam_.zero();
    }
  }

  const Fam& fam_;
  Stimulus kind_;
  std::uint64_t seed_;
  Values v_;
  int rows_, cols_;
  Cycle cycle_;
  Pos pos_;
  std::unique_ptr<Layer> layer_;
  std::vector<Tile> tiles_;
  std::vector<std::uint64_t> kernel_cycles_;
  std::vector<float> kernel_out_, rtl_out_;
  std::vector<Fam::Acc> buf_;
};

CosimResult cosim_array(ShiftAddRtl& rtl, const Fam& fam, const std::string& config,
                        const CosimOptions& opt) {
  static constexpr const char* kValid[] = {"valid_out[0]", "valid_out[1]", "valid_out[2]",
                                           "valid_out[3]"};
  static constexpr const char* kP[] = {"p_out[0]", "p_out[1]", "p_out[2]", "p_out[3]"};
  static constexpr const char* kS[] = {"s_out[0]", "s_out[1]", "s_out[2]", "s_out[3]"};
  static constexpr const char* kSp[] = {"sp_out[0]", "sp_out[1]", "sp_out[2]", "sp_out[3]"};
  static constexpr const char* kTv[] = {"tvalid_out[0]", "tvalid_out[1]", "tvalid_out[2]",
                                        "tvalid_out[3]"};
  static constexpr const char* kT[] = {"total_out[0]", "total_out[1]", "total_out[2]",
                                       "total_out[3]"};
  const ShiftAddShape& sh = rtl.shape();
  const int R = sh.rows, C = sh.cols, L = sh.lanes;
  ArrayStimulus stim(fam, opt.stimulus, opt.seed, R, C);
  ArrayModel model(fam, R, C);
  LockStep ls(config, opt.seed);
  CosimResult res;
  res.config = config;
  ShiftAddInputs in;
  std::array<std::uint32_t, kShiftAddRtlMaxDim> prev_total{};
  std::uint64_t last_total_at = 0;  // tile-relative cycle count of the tile's last total
  const auto t0 = std::chrono::steady_clock::now();
  rtl.reset();
  for (std::uint64_t cyc = 0; cyc < opt.cycles; ++cyc) {
    const Cycle& x = stim.next(cyc);
    in.w_load = x.w_load;
    for (int c = 0; c < C; ++c) {
      in.w[at(c)] = to_weight(x.w[at(c)], L);
      in.sums[at(c)] = to_sums(x.acc[at(c)]);
      in.total[at(c)] = prev_total[at(c)];
      prev_total[at(c)] = std::bit_cast<std::uint32_t>(x.acc[at(c)].total);
    }
    for (int r = 0; r < R; ++r) in.a[at(r)] = to_acts(x.a[at(r)], x.valid[at(r)], L);
    rtl.step(in);
    res.cycles = cyc + 1;
    const ShiftAddOutputs& got = rtl.outputs();
    if (!opt.rtl_only) {
      model.step(x);
      for (int c = 0; c < C; ++c) {
        const PeModel& b = model.bottom(c);
        ls.check(cyc, kValid[c], b.valid(), got.valid[at(c)]);
        if (b.valid()) {
          ls.check(cyc, kP[c], b.result().p, got.sums[at(c)].p);
          ls.check(cyc, kS[c], b.result().s, got.sums[at(c)].s);
          ls.check(cyc, kSp[c], b.result().special, got.sums[at(c)].special);
          ++res.outputs_checked;
        }
        ls.check(cyc, kTv[c], b.tvalid(), got.tvalid[at(c)]);
        if (b.tvalid()) ls.check(cyc, kT[c], canon(b.total()), canon(got.total[at(c)]));
      }
    }
    if (stim.in_gemm()) {
      stim.capture(got);
      for (int c = 0; c < C; ++c) {
        if (got.tvalid[at(c)]) last_total_at = static_cast<std::uint64_t>(stim.pos().t) + 1;
      }
      const bool tile_end = stim.pos().t + 1 == stim.tile_length();
      if (tile_end && !opt.rtl_only) {
        // The tile's last total leaves the array when SystolicKernel says the tile ends.
        ls.check(cyc, "tile_cycles", stim.tile_cycles(), last_total_at);
      }
      if (stim.advance() && !opt.rtl_only) {
        for (std::size_t i = 0; i < stim.rtl_out().size(); ++i) {
          ls.check(cyc, "kernel_output", canon(stim.kernel_out()[i]), canon(stim.rtl_out()[i]));
        }
      }
    }
    if (!ls.ok()) break;
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  res.mismatch = ls.mismatch();
  res.trace_path = rtl.trace_path();
  return res;
}

// ------------------------------------------------------------------------ the target

using Factory = std::unique_ptr<ShiftAddRtl> (*)(const TraceOptions&);
struct Variant {
  const char* config;
  bool array;
  ActKind act;
  int group;
  Factory make, make_mutant;
};
const Variant kVariants[] = {
    {"int8xint4_g128", false, ActKind::kInt8, 128, make_shift_add_pe_int8_g7,
     make_shift_add_pe_int8_g7_mutant},
    {"fp16xint4_g128", false, ActKind::kFp16, 128, make_shift_add_pe_fp16_g7,
     make_shift_add_pe_fp16_g7_mutant},
    {"array4x4/int8xint4_g32", true, ActKind::kInt8, 32, make_shift_add_array4x4_int8_g5,
     make_shift_add_array4x4_int8_g5_mutant},
};

class ShiftAddCosim final : public CosimTarget {
 public:
  std::string name() const override { return "shift_add"; }
  std::string description() const override {
    return "MixPE-style shift-and-add PE (lanes 4, UINT4 group weights x INT8/FP16 activations, "
           "per-group dequantization to FP32) and 4x4 weight-stationary array, rtl/pe/shift_add/";
  }
  std::vector<std::string> configs() const override {
    std::vector<std::string> out;
    for (const Variant& v : kVariants) out.emplace_back(v.config);
    return out;
  }
  bool has_mutant(const std::string& config) const override {
    // The planted bug is in the PE's dequantizer, which every configuration exercises.
    for (const Variant& v : kVariants) {
      if (config == v.config) return true;
    }
    return false;
  }
  CosimResult run(const std::string& config, const CosimOptions& opt) const override {
    for (const Variant& v : kVariants) {
      if (config != v.config) continue;
      auto rtl = opt.mutant ? v.make_mutant(opt.trace) : v.make(opt.trace);
      Fam fam;
      fam.act = v.act;
      fam.lanes = rtl->shape().lanes;
      fam.group = v.group;
      if ((1 << rtl->shape().group_log2) != v.group ||
          rtl->shape().fp16 != (v.act == ActKind::kFp16)) {
        throw std::logic_error("shift_add: the Verilated variant does not match " + config);
      }
      return v.array ? cosim_array(*rtl, fam, config, opt) : cosim_pe(*rtl, fam, config, opt);
    }
    throw std::invalid_argument("shift_add: no RTL configuration " + config);
  }
};

}  // namespace

const CosimTarget& cosim_target_shift_add() {
  static const ShiftAddCosim t;
  return t;
}

}  // namespace mpsim::rtl
