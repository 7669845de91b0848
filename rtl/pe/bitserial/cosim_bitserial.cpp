// DESCRIPTION: Lock-step co-simulation of the Verilated bitserial PE against the family's own
// cycle model (sim/pe/bitserial's Datapath: load, one step() per clock, result()). The same seeded
// issues drive both; every cycle ready, busy and (while an issue is in flight) the serial
// accumulators P and A are compared, and on valid_out the issue's Acc: the FP32 total, P and A.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bitserial_family.h"
#include "mpsim/golden/matrix.h"
#include "mpsim/golden/synthetic.h"
#include "mpsim/rtl/cosim.h"
#include "rtl_bitserial.h"

namespace mpsim::rtl {
namespace {

using sim::bitserial::BitserialFamily;
using sim::bitserial::WeightKind;
using Acc = BitserialFamily::Acc;
using AChunk = BitserialFamily::AChunk;
using WChunk = BitserialFamily::WChunk;
using Factory = std::unique_ptr<BitserialRtl> (*)(const TraceOptions&);

/// One co-simulated format configuration: its Verilated builds and the family it must equal.
struct Config {
  const char* name;  ///< activations x weights
  const char* w_format;
  WeightKind wk;
  int wbits;
  Factory plain, mutant;
};

const Config kConfigs[] = {
    {"int8xint4_g128", "int4_g128", WeightKind::kIntGroup, 4, make_bitserial_rtl_int4_g128,
     make_bitserial_rtl_int4_g128_mutant},
    // The planted bug is in the Booth decoder, which BitMoD terms do not use: no mutant builds.
    {"int8xbitmod_fp4", "bitmod_fp4", WeightKind::kBitmod, 4, make_bitserial_rtl_bitmod_fp4,
     nullptr},
    {"int8xbitmod_fp3", "bitmod_fp3", WeightKind::kBitmod, 3, make_bitserial_rtl_bitmod_fp3,
     nullptr},
    {"int8xint8", "int8", WeightKind::kIntScalar, 8, make_bitserial_rtl_int8,
     make_bitserial_rtl_int8_mutant},
    {"int8xint3", "int3", WeightKind::kIntScalar, 3, make_bitserial_rtl_int3, nullptr},
};

/// The family as the PE type builds it for INT8 activations and this weight format.
BitserialFamily family_of(const Config& c, const BitserialShape& s) {
  const int mode = c.wk == WeightKind::kIntGroup ? 0 : (c.wk == WeightKind::kBitmod ? 1 : 2);
  if (s.mode != mode || s.w_bits != c.wbits || s.a_bits != 8) {
    throw std::logic_error(std::string("bitserial: the RTL build of ") + c.name +
                           " has other parameters than its format");
  }
  BitserialFamily fam;
  fam.lanes = s.lanes;
  fam.act = sim::bitserial::ActKind::kInt;
  fam.wk = c.wk;
  fam.wbits = c.wbits;
  fam.group = c.wk == WeightKind::kIntScalar ? 0 : s.group;
  if (c.wk == WeightKind::kBitmod) fam.init_bitmod(c.wbits);
  return fam;
}

/// One issue offered to the PE (taken only when it is ready).
struct Issue {
  bool valid = false;
  AChunk a;
  WChunk w;
  Acc acc;
};

BitserialInputs to_ports(const Issue& is, int lanes) {
  BitserialInputs in;
  in.valid_in = is.valid;
  for (int l = 0; l < lanes; ++l) {
    const auto i = static_cast<std::size_t>(l);
    // Lanes past a short chunk's end hold zeros: they add nothing to P or A.
    in.a[i] = l < is.a.len ? static_cast<std::int8_t>(is.a.at(i)) : std::int8_t{0};
    in.w[i] = l < is.w.len ? is.w.bits[i] : std::uint8_t{0};
  }
  in.wtype = is.w.type;
  in.zero_adj = is.w.zero_adj;
  in.ends_group = is.w.ends_group;
  in.scale = is.w.scale;
  in.total_in = std::bit_cast<std::uint32_t>(is.acc.total);
  in.p_in = static_cast<std::int32_t>(is.acc.p);
  in.s_in = static_cast<std::int32_t>(is.acc.s);
  return in;
}

/// The PE's registers as the C++ model sees them: the family's Datapath is the lane registers and
/// the serial accumulator; `held` is the dequantizer stage, which the RTL spends one more cycle on
/// (the datasheet's latency 2) and the model has already folded into the Datapath's last step.
struct Model {
  const BitserialFamily* fam;
  BitserialFamily::Datapath dp;
  bool held_valid = false;
  Acc held;
  bool valid_out = false;
  Acc out;
  std::uint64_t counts[sim::bitserial::kActionCount] = {};

  explicit Model(const BitserialFamily& f) : fam(&f), dp(f.datapath()) {}
  bool ready() const { return !dp.pending || dp.cycle == fam->cycles() - 1; }
  void edge(const Issue& is) {
    const bool take = is.valid && ready();
    valid_out = held_valid;
    if (held_valid) out = held;
    held_valid = false;
    if (dp.pending) {
      dp.step(counts);
      if (!dp.pending) {
        held_valid = true;
        held = dp.result();
      }
    }
    if (take) dp.load(is.a, is.w, is.acc);
  }
};

/// Seeded issues: random, corner cases, and the issue stream of one PE computing dot products of a
/// quantized synthetic LLM layer (the incoming Acc is the exact partial result of the chunks
/// before, as the PE above hands it down a WS column).
class Stimulus {
 public:
  Stimulus(rtl::Stimulus kind, std::uint64_t seed, const Config& c, const BitserialFamily& fam)
      : kind_(kind), g_(seed), fam_(fam) {
    const int lanes = fam.lanes;
    const std::int64_t group = std::max(fam.group, lanes);
    // The largest |P| and |A| an incoming Acc can carry: a group's sum before its last chunk.
    const std::int64_t max_term = fam.wk == WeightKind::kBitmod ? 16 : 8;
    p_bound_ = (group - lanes) * 128 * max_term;
    s_bound_ = (group - lanes) * 128;
    // K: two whole groups, half of one, and a short chunk, so partial groups and chunks occur.
    k_ = fam.wk == WeightKind::kIntScalar ? 4 * lanes + 3 : 2 * group + group / 2 + lanes / 2 + 1;
    std::vector<float> a =
        golden::synthetic_activations(kM, k_, golden::ActivationDistribution{}, seed + 1);
    float amax = 0;
    for (float v : a) amax = std::max(amax, std::fabs(v));
    for (float& v : a) v = std::clamp(std::nearbyint(v / amax * 127.0f), -127.0f, 127.0f);
    std::vector<float> w =
        golden::synthetic_weights(k_, kN, golden::WeightDistribution{}, seed + 2);
    if (fam.wk == WeightKind::kIntScalar) {
      // Scalar intN weights are integers: scale the layer to the format's range.
      float wmax = 0;
      for (float v : w) wmax = std::max(wmax, std::fabs(v));
      const float top = static_cast<float>((1 << (fam.wbits - 1)) - 1);
      for (float& v : w) v = std::clamp(std::nearbyint(v / wmax * top), -top - 1, top);
    }
    golden::Matrix am{kM, k_, std::move(a)}, wm{k_, kN, std::move(w)};
    qa_ = golden::quantize_rows(am, num::FormatSpec::parse("int8"));
    qw_ = golden::quantize_cols(wm, num::FormatSpec::parse(c.w_format));
  }

  /// The issue offered in `cycle`; `ready` says whether the PE takes it at this edge.
  const Issue& next(std::uint64_t cycle, bool ready) {
    rtl::Stimulus k = kind_;
    if (k == rtl::Stimulus::kMixed) {
      static constexpr rtl::Stimulus kOrder[] = {rtl::Stimulus::kRandom, rtl::Stimulus::kCorner,
                                                 rtl::Stimulus::kWorkload};
      k = kOrder[(cycle / 4096) % 3];
    }
    if (k == rtl::Stimulus::kWorkload) {
      workload(ready);
    } else {
      synthetic(k == rtl::Stimulus::kCorner);
    }
    return is_;
  }

 private:
  static constexpr std::int64_t kM = 4, kN = 3;

  std::int64_t uniform(std::int64_t lo, std::int64_t hi) {  // [lo, hi]
    return lo + static_cast<std::int64_t>(g_.next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  template <class T, std::size_t N>
  T pick(const T (&v)[N]) {
    return v[g_.next() % N];
  }
  template <class T>
  T one_of(std::initializer_list<T> v) {
    return *(v.begin() + static_cast<std::ptrdiff_t>(g_.next() % v.size()));
  }

  /// Sets lane l's weight from a code of the stored format (the reader's bits and the value).
  void set_weight(std::size_t l, int code) {
    WChunk& w = is_.w;
    switch (fam_.wk) {
      case WeightKind::kIntGroup:
        w.bits[l] = static_cast<std::uint8_t>(code ^ 8);
        w.term[l] = static_cast<std::uint8_t>(code - 8);
        break;
      case WeightKind::kBitmod:
        w.bits[l] = static_cast<std::uint8_t>(code);
        w.term[l] = static_cast<std::uint8_t>(num::bitmod_decode(
            fam_.wbits, static_cast<num::BitmodType>(w.type), static_cast<std::uint32_t>(code)));
        break;
      case WeightKind::kIntScalar: {
        const int sh = 32 - fam_.wbits;
        w.bits[l] = static_cast<std::uint8_t>(code & ((1 << fam_.wbits) - 1));
        w.term[l] = static_cast<std::uint8_t>(
            static_cast<std::int32_t>(static_cast<std::uint32_t>(code) << sh) >> sh);
        break;
      }
    }
  }

  float random_total(bool corner) {
    static constexpr std::uint32_t kCorner[] = {
        0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x00000001,
        0x80000001, 0x007FFFFF, 0x807FFFFF, 0x00800000, 0x80800000, 0x7F800000, 0xFF800000,
        0x7FC00000, 0x4B800000, 0xCB800000, 0x53800000, 0xD3800000, 0x33800000};
    const std::uint64_t r = g_.next();
    if (corner || (r & 15) == 0) {
      return std::bit_cast<float>(corner ? pick(kCorner) : static_cast<std::uint32_t>(r >> 32));
    }
    // Near the group values' range (2^-24 .. 2^40), either sign: alignment, carries and
    // cancellation in the FP32 add.
    const auto e = static_cast<std::uint32_t>(uniform(127 - 30, 127 + 44));
    return std::bit_cast<float>(static_cast<std::uint32_t>((r >> 8) & 0x807FFFFFu) | (e << 23));
  }

  void synthetic(bool corner) {
    static constexpr std::int8_t kEdgeA[] = {-128, -127, -1, 0, 1, 127};
    static constexpr std::uint16_t kEdgeScale[] = {0x0000, 0x8000, 0x0001, 0x03FF, 0x0400,
                                                   0x3C00, 0xBC00, 0x7BFF, 0xFBFF, 0x7C00,
                                                   0xFC00, 0x7E00, 0x1234, 0x9234};
    const int lanes = fam_.lanes;
    const std::uint64_t r = g_.next();
    is_.valid = (r & 3) != 0;
    is_.a.nonfinite = is_.a.nan = is_.a.neg = 0;
    // Mostly full chunks; now and then a K tail shorter than the lanes.
    const int len = (r >> 2) % 16 == 0 ? static_cast<int>(uniform(1, lanes)) : lanes;
    is_.a.len = is_.w.len = static_cast<std::uint8_t>(len);
    is_.w.type = static_cast<std::uint8_t>(fam_.wk == WeightKind::kBitmod ? (r >> 8) & 3 : 0);
    const int codes = 1 << fam_.wbits;
    for (int l = 0; l < lanes; ++l) {
      const auto i = static_cast<std::size_t>(l);
      is_.a.set(i, corner ? pick(kEdgeA) : uniform(-128, 127));
      int code = static_cast<int>(uniform(0, codes - 1));
      if (corner) {
        // The operand's extremes: INT4 codes 0/15 (q - 8 = -8/7), the scalar min/max, BitMoD's
        // special -0 code.
        const int extremes[] = {0, codes - 1, codes / 2, codes / 2 - 1, code};
        code = pick(extremes);
      }
      set_weight(i, code);
    }
    const bool grouped = fam_.wk != WeightKind::kIntScalar;
    is_.w.ends_group = grouped && (corner || ((r >> 12) & 1) != 0);
    is_.w.zero_adj = static_cast<std::int8_t>(
        fam_.wk == WeightKind::kIntGroup ? (corner ? one_of<int>({-8, 7, 0, -1}) : uniform(-8, 7))
                                         : 0);
    is_.w.scale = grouped ? (corner ? pick(kEdgeScale) : static_cast<std::uint16_t>(r >> 16)) : 0;
    Acc& acc = is_.acc;
    acc.special = 0;
    acc.total = grouped ? random_total(corner) : 0.0f;
    if (!grouped) {
      acc.p = corner ? one_of<std::int64_t>(
                           {INT32_MAX, INT32_MIN, INT32_MAX - 100, INT32_MIN + 100, 0, -1})
                     : static_cast<std::int32_t>(g_.next());
      acc.s = 0;
    } else {
      acc.p = corner ? one_of<std::int64_t>({p_bound_, -p_bound_, 0, -1})
                     : uniform(-p_bound_, p_bound_);
      acc.s = fam_.wk != WeightKind::kIntGroup
                  ? 0
                  : (corner ? one_of<std::int64_t>({s_bound_, -s_bound_, 0})
                            : uniform(-s_bound_, s_bound_));
    }
  }

  /// The layer walked as (m, n) dot products, chunk by chunk; the chunk's incoming Acc is the
  /// family's issue() over the chunks before it. The walk moves on when the PE takes the chunk.
  void workload(bool ready) {
    const auto m = static_cast<std::size_t>(line_ / kN), n = static_cast<std::size_t>(line_ % kN);
    is_.valid = true;
    is_.a = fam_.a_chunk(qa_.lines[m], chunk_);
    is_.w = fam_.w_chunk(qw_.lines[n], chunk_);
    is_.acc = upstream_;
    if (!ready) return;
    std::uint64_t counts[sim::bitserial::kActionCount] = {};
    fam_.issue(upstream_, is_.a, is_.w, counts);
    if (++chunk_ * fam_.lanes >= k_) {
      chunk_ = 0;
      upstream_ = fam_.zero();
      line_ = (line_ + 1) % (kM * kN);
    }
  }

  rtl::Stimulus kind_;
  golden::Rng g_;
  const BitserialFamily& fam_;
  std::int64_t p_bound_ = 0, s_bound_ = 0, k_ = 0;
  golden::QuantMatrix qa_, qw_;
  Issue is_;
  // Workload walk: which dot product, which chunk, and the Acc handed in from above.
  std::int64_t line_ = 0, chunk_ = 0;
  Acc upstream_;
};

/// FP32 totals compare bit for bit, except that any NaN equals any NaN: the RTL gives the
/// canonical quiet NaN, the host's float add propagates payloads.
struct Fp32 {
  std::uint32_t bits;
  bool operator==(const Fp32& o) const {
    const auto nan = [](std::uint32_t b) {
      return (b & 0x7F800000u) == 0x7F800000u && (b & 0x7FFFFFu);
    };
    return bits == o.bits || (nan(bits) && nan(o.bits));
  }
  friend std::ostream& operator<<(std::ostream& os, const Fp32& f) {
    return os << std::bit_cast<float>(f.bits) << " (0x" << std::hex << f.bits << std::dec << ")";
  }
};

class BitserialCosim final : public CosimTarget {
 public:
  std::string name() const override { return "bitserial"; }
  std::string description() const override {
    return "BitMoD-style bit-serial PE (lanes 4): INT4 groups, BitMoD FP4/FP3 and scalar intN "
           "weights x INT8 activations, rtl/pe/bitserial/bitserial_pe.sv";
  }
  std::vector<std::string> configs() const override {
    std::vector<std::string> out;
    for (const Config& c : kConfigs) out.emplace_back(c.name);
    return out;
  }
  bool has_mutant(const std::string& config) const override {
    for (const Config& c : kConfigs) {
      if (config == c.name) return c.mutant != nullptr;
    }
    return false;
  }
  CosimResult run(const std::string& config, const CosimOptions& opt) const override {
    const Config* cfg = nullptr;
    for (const Config& c : kConfigs) {
      if (config == c.name) cfg = &c;
    }
    if (cfg == nullptr) throw std::invalid_argument("bitserial: no configuration " + config);
    if (opt.mutant && cfg->mutant == nullptr) {
      throw std::invalid_argument("bitserial: no mutant build of " + config);
    }
    auto rtl = (opt.mutant ? cfg->mutant : cfg->plain)(opt.trace);
    const BitserialFamily fam = family_of(*cfg, rtl->shape());
    Stimulus stim(opt.stimulus, opt.seed, *cfg, fam);
    Model model(fam);
    LockStep ls(config, opt.seed);
    CosimResult res;
    res.config = config;
    const int lanes = fam.lanes;
    const auto t0 = std::chrono::steady_clock::now();
    rtl->reset();
    bool ready = rtl->outputs().ready;
    for (std::uint64_t c = 0; c < opt.cycles; ++c) {
      const Issue& is = stim.next(c, ready);
      rtl->step(to_ports(is, lanes));
      res.cycles = c + 1;
      const BitserialOutputs got = rtl->outputs();
      ready = got.ready;
      if (opt.rtl_only) continue;
      model.edge(is);
      ls.check(c, "ready", model.ready(), got.ready);
      ls.check(c, "busy", model.dp.pending, got.busy);
      ls.check(c, "valid_out", model.valid_out, got.valid_out);
      // A cycle counts as a checked output when a data port was compared: the serial
      // accumulator while an issue is in flight (a cpi-4 issue delivers one Acc in 4 cycles) or the
      // issue's Acc on valid_out.
      if (model.dp.pending) {
        ls.check(c, "p_acc", static_cast<std::int32_t>(model.dp.acc.p), got.p_acc);
        ls.check(c, "s_acc", static_cast<std::int32_t>(model.dp.acc.s), got.s_acc);
      }
      if (model.valid_out) {
        ls.check(c, "total_out", Fp32{std::bit_cast<std::uint32_t>(model.out.total)},
                 Fp32{got.total_out});
        ls.check(c, "p_out", static_cast<std::int32_t>(model.out.p), got.p_out);
        ls.check(c, "s_out", static_cast<std::int32_t>(model.out.s), got.s_out);
      }
      if (model.dp.pending || model.valid_out) ++res.outputs_checked;
      if (!ls.ok()) break;
    }
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    res.mismatch = ls.mismatch();
    res.trace_path = rtl->trace_path();
    return res;
  }
};

}  // namespace

const CosimTarget& cosim_target_bitserial() {
  static const BitserialCosim t;
  return t;
}

}  // namespace mpsim::rtl
