// DESCRIPTION: Lock-step co-simulation of the Verilated block_fp PE against the C++ Datapath of
// sim/pe/block_fp (load / step / result, the same code the systolic array runs) for six format
// pairs covering all seven element types: MXINT8 x MXINT8, MXFP8 E4M3 x E4M3, the mxfp4_mxfp8
// recipe's E4M3 activations x FP4 weights, E5M2 x E5M2 (the widest block sum), FP6 E2M3 x E3M2 and
// BFP16 x BFP12. The same seeded stimulus drives both; ready, out_valid, acc_out and
// acc_final_out are compared every cycle.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "block_fp_family.h"
#include "mpsim/golden/synthetic.h"
#include "mpsim/numerics/quantizer.h"
#include "mpsim/rtl/cosim.h"
#include "rtl_block_fp.h"

namespace mpsim::rtl {
namespace {

using sim::block_fp::BlockFpFamily;
using sim::block_fp::ElementTable;

struct Config {
  const char* name;
  const char* a_format;  ///< activations (streamed)
  const char* w_format;  ///< weights (the stationary block)
  std::unique_ptr<BlockFpRtl> (*make)(const TraceOptions&);
  std::unique_ptr<BlockFpRtl> (*make_mutant)(const TraceOptions&);
};
// Lane counts keep a block result due at least every third cycle (the generic test wants a
// quarter of the cycles to deliver an output); lanes 12 leaves the last of three steps partial.
constexpr Config kConfigs[] = {
    {"mxint8xmxint8/lanes16", "mxint8", "mxint8", make_block_fp_rtl_mxint8_mxint8, nullptr},
    {"mxfp8_e4m3xmxfp8_e4m3/lanes32", "mxfp8_e4m3", "mxfp8_e4m3", make_block_fp_rtl_e4m3_e4m3,
     make_block_fp_rtl_e4m3_e4m3_mutant},
    {"mxfp8_e4m3xmxfp4/lanes12", "mxfp8_e4m3", "mxfp4", make_block_fp_rtl_e4m3_fp4, nullptr},
    {"mxfp8_e5m2xmxfp8_e5m2/lanes16", "mxfp8_e5m2", "mxfp8_e5m2", make_block_fp_rtl_e5m2_e5m2,
     nullptr},
    {"mxfp6_e2m3xmxfp6_e3m2/lanes16", "mxfp6_e2m3", "mxfp6_e3m2", make_block_fp_rtl_e2m3_e3m2,
     nullptr},
    {"bfp16xbfp12/lanes16", "bfp16", "bfp12", make_block_fp_rtl_bfp16_bfp12, nullptr},
};

using Codes = std::array<std::uint8_t, kBlockFpRtlMaxBlock>;

/// One cycle's port values, plus the whole A block when a_first starts one: the Datapath loads a
/// block at once while the RTL sees it LANES codes per cycle.
struct Drive {
  BlockFpInputs in;
  Codes a_block{};
};

/// Sets `row` to one block: codes [0, len) and its shared-exponent code.
void set_row(num::QuantizedRow& row, const std::uint8_t* codes, int len, std::uint8_t scale) {
  row.codes.assign(codes, codes + len);
  row.scales.resize(1);
  row.scales[0].scale_code = scale;
}

/// The PE's registers around the family's Datapath: the latched W block (taken only while idle,
/// as the RTL does), and the stage-2 register that shows a closed block one cycle later (latency 2
/// = the multiply stage plus the close stage).
class PeModel {
 public:
  explicit PeModel(const BlockFpFamily& fam) : fam_(fam), dp_(fam_.datapath()) {}
  PeModel(const PeModel&) = delete;
  PeModel& operator=(const PeModel&) = delete;

  void step(const Drive& d) {
    const BlockFpInputs& in = d.in;
    out.out_valid = closed_;
    if (closed_) {
      out.acc_out = std::bit_cast<std::uint32_t>(closed_acc_.v);
      out.acc_final_out = closed_acc_.final;
    }
    closed_ = false;
    const bool start = in.a_valid && in.a_first;
    if (in.w_load && !dp_.busy && !start) {
      w_codes_ = in.w_codes;
      w_scale_ = in.w_scale;
    }
    if (start) {
      set_row(arow_, d.a_block.data(), in.len, in.a_scale);
      set_row(wrow_, w_codes_.data(), in.len, w_scale_);
      BlockFpFamily::Acc acc;
      acc.v = std::bit_cast<float>(in.acc_in);
      acc.final = in.acc_final_in;
      dp_.load(fam_.a_chunk(arow_, 0), fam_.w_chunk(wrow_, 0), acc);
    }
    if (in.a_valid && dp_.busy) {
      dp_.step(counts_);
      if (!dp_.busy) {
        closed_ = true;
        closed_acc_ = dp_.result();
      }
    }
    out.ready = !dp_.busy;
  }
  BlockFpOutputs out;

 private:
  BlockFpFamily fam_;
  BlockFpFamily::Datapath dp_;
  Codes w_codes_{};
  std::uint8_t w_scale_ = 0;
  num::QuantizedRow arow_, wrow_;
  bool closed_ = false;
  BlockFpFamily::Acc closed_acc_;
  std::uint64_t counts_[sim::block_fp::kActionCount] = {};
};

Stimulus phase_of(Stimulus kind, std::uint64_t cycle) {
  if (kind != Stimulus::kMixed) return kind;
  static constexpr Stimulus kOrder[] = {Stimulus::kRandom, Stimulus::kCorner, Stimulus::kWorkload};
  return kOrder[(cycle / 4096) % 3];
}

/// Codes of one element format sorted by |k|: the corner stimulus picks the smallest and largest
/// magnitudes (zeros, min subnormals, the subnormal/normal boundary, the maximum) of both signs.
struct FormatCodes {
  const ElementTable* t = nullptr;
  int bits = 0;
  std::vector<std::uint8_t> finite;  ///< finite codes by increasing |k|
  std::vector<std::uint8_t> nans;    ///< NaN (and E5M2 Inf) codes
  explicit FormatCodes(const ElementTable& table) : t(&table), bits(table.code_bits) {
    auto mag = [&](std::uint8_t c) {
      const auto m = static_cast<std::int8_t>(t->x[c].m);
      return std::abs(static_cast<std::int64_t>(m)) << t->x[c].e;
    };
    for (int c = 0; c < (1 << bits); ++c) {
      const auto code = static_cast<std::uint8_t>(c);
      (t->x[code].e == ElementTable::kNanShift ? nans : finite).push_back(code);
    }
    std::stable_sort(finite.begin(), finite.end(),
                     [&](std::uint8_t x, std::uint8_t y) { return mag(x) < mag(y); });
  }
  bool is_nan(std::uint8_t c) const { return t->x[c].e == ElementTable::kNanShift; }
  /// A finite code among the `n` smallest or `n` largest magnitudes.
  std::uint8_t edge(std::uint64_t r, std::size_t n = 6) const {
    const std::size_t i = (r >> 1) % n;
    return (r & 1) ? finite[i] : finite[finite.size() - 1 - i];
  }
};

constexpr std::uint32_t kAccEdge[] = {0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000,
                                      0xFFC00001, 0x7F800001, 0x7F7FFFFF, 0xFF7FFFFF, 0x00800000,
                                      0x80800000, 0x007FFFFF, 0x00000001, 0x80000001, 0x3F800000,
                                      0xBF800000, 0x4B800000, 0x33800000};

/// A quantized synthetic LLM layer and the family's own accumulator before each block: one PE's
/// view of a weight-stationary array (W block (n, c) stays while the M activation rows pass).
struct Layer {
  static constexpr std::int64_t kM = 8, kN = 4;
  std::int64_t k = 0, blocks = 0;
  std::vector<num::QuantizedRow> a, w;  ///< M activation rows, N weight columns
  std::vector<BlockFpFamily::Acc> acc;  ///< [(n * blocks + c) * kM + m]: before block c
  Layer(const BlockFpFamily& fam, const char* fa, const char* fw, std::uint64_t seed)
      : k(4 * fam.block + fam.block / 4), blocks((k + fam.block - 1) / fam.block) {
    num::QuantizeOptions qo;
    qo.block = fam.block;
    const auto qa = num::builtin_formats().create(fa, qo);
    const auto qw = num::builtin_formats().create(fw, qo);
    const auto af =
        golden::synthetic_activations(kM, k, golden::ActivationDistribution{}, seed + 1);
    const auto wf = golden::synthetic_weights(k, kN, golden::WeightDistribution{}, seed + 2);
    for (std::int64_t m = 0; m < kM; ++m) {
      a.push_back(
          qa->quantize(std::span<const float>(af.data() + m * k, static_cast<std::size_t>(k))));
    }
    std::vector<float> col(static_cast<std::size_t>(k));
    for (std::int64_t n = 0; n < kN; ++n) {
      for (std::int64_t j = 0; j < k; ++j) col[static_cast<std::size_t>(j)] = wf[j * kN + n];
      w.push_back(qw->quantize(col));
    }
    std::uint64_t counts[sim::block_fp::kActionCount] = {};
    acc.resize(static_cast<std::size_t>(kN * blocks * kM));
    for (std::int64_t n = 0; n < kN; ++n) {
      for (std::int64_t m = 0; m < kM; ++m) {
        BlockFpFamily::Acc x = fam.zero();
        for (std::int64_t c = 0; c < blocks; ++c) {
          acc[static_cast<std::size_t>((n * blocks + c) * kM + m)] = x;
          const auto& ar = a[static_cast<std::size_t>(m)];
          const auto& wr = w[static_cast<std::size_t>(n)];
          fam.issue(x, fam.a_chunk(ar, c), fam.w_chunk(wr, c), counts);
        }
      }
    }
  }
};

/// Seeded stimulus acting as the array controller: it starts blocks when the PE is idle (ready),
/// streams their lanes with occasional bubbles, and loads W blocks; the random kind also breaks the
/// protocol on purpose (W loads while busy, which the PE ignores; abandoned blocks; garbage lanes).
class PeStimulus {
 public:
  PeStimulus(Stimulus kind, std::uint64_t seed, const BlockFpFamily& fam, const Config& cfg)
      : kind_(kind),
        g_(seed),
        fam_(fam),
        ca_(*fam.ta),
        cw_(*fam.tw),
        layer_(fam, cfg.a_format, cfg.w_format, seed) {}

  const Drive& next(std::uint64_t cycle) {
    const Stimulus kind = phase_of(kind_, cycle);
    BlockFpInputs& in = d_.in;
    const std::uint64_t r = g_.next();
    // Garbage everywhere the PE must not look: lanes past the block, bubbles, unsampled ports.
    for (int l = 0; l < fam_.lanes; l += 8) {
      std::uint64_t x = g_.next();
      for (int j = l; j < std::min(l + 8, fam_.lanes); ++j, x >>= 8) {
        in.a_codes[static_cast<std::size_t>(j)] = static_cast<std::uint8_t>(x);
      }
    }
    in.w_load = false;
    in.a_first = ((r >> 40) & 1) != 0;
    in.a_scale = static_cast<std::uint8_t>(r >> 48);
    in.len = static_cast<std::uint8_t>(1 + (r >> 56) % static_cast<std::uint64_t>(fam_.block));
    in.acc_in = static_cast<std::uint32_t>(r >> 8);
    in.acc_final_in = ((r >> 41) & 1) != 0;
    const bool was_busy = busy_;
    bool start = false;
    if (kind == Stimulus::kWorkload) {
      if (!busy_ && !wl_w_loaded_) {
        workload_w();
      } else if (!busy_) {
        workload_block();
        start = true;
      }
    } else if (!busy_) {
      if (r % 8 == 0) new_w(kind);
      start = (r >> 3) % 4 != 0;
      if (start) new_block(kind);
    } else {
      if ((r >> 3) % 16 == 0) new_w(kind);  // ignored: the PE is busy
      start = (r >> 8) % 128 == 0;          // abandon the block in flight
      if (start) new_block(kind);
    }
    if (start) {
      in.a_first = true;
      in.a_valid = true;
      busy_ = true;
      pos_ = 0;
    } else if (busy_) {
      in.a_first = false;
      in.a_valid = kind == Stimulus::kWorkload || (r >> 16) % 16 != 0;
    } else {
      in.a_valid = (r >> 16) % 4 == 0;  // lanes while idle: no block to add them to
      if (in.a_valid) in.a_first = false;
    }
    if (in.w_load && !was_busy && !start) {
      w_codes_ = in.w_codes;
      w_scale_ = in.w_scale;
      if (kind != Stimulus::kWorkload) wl_w_loaded_ = false;
    }
    if (busy_ && in.a_valid) {
      for (int l = 0; l < fam_.lanes && pos_ + l < len_; ++l) {
        in.a_codes[static_cast<std::size_t>(l)] = d_.a_block[static_cast<std::size_t>(pos_ + l)];
      }
      pos_ += fam_.lanes;
      busy_ = pos_ < len_;
    }
    return d_;
  }

 private:
  std::uint8_t random_code(const FormatCodes& f, bool allow_nan) {
    for (;;) {
      const auto c = static_cast<std::uint8_t>(g_.next() & ((1u << f.bits) - 1));
      if (allow_nan || !f.is_nan(c)) return c;
    }
  }
  std::uint8_t random_scale() {
    const std::uint64_t r = g_.next();
    if (r % 64 == 0) return 0xFF;
    if ((r >> 6) & 1) return static_cast<std::uint8_t>((r >> 8) % 255);
    return static_cast<std::uint8_t>(127 + static_cast<int>((r >> 8) % 41) - 20);
  }
  /// Codes of one block: random, or (corner) zero blocks, all-maximum blocks, alternating signs,
  /// the edge magnitudes, and the odd NaN code.
  void fill(Stimulus kind, const FormatCodes& f, std::uint8_t* codes, int n) {
    const std::uint64_t r = g_.next();
    if (kind != Stimulus::kCorner) {
      const bool nan = r % 16 == 0;
      for (int i = 0; i < n; ++i) codes[i] = random_code(f, nan);
      return;
    }
    const std::uint64_t mode = r % 6;
    for (int i = 0; i < n; ++i) {
      const std::uint64_t e = g_.next();
      switch (mode) {
        case 0:
          codes[i] = 0;
          break;
        case 1:
          codes[i] = f.finite.back();
          break;
        case 2:
          codes[i] = f.edge(e);
          break;
        case 3:
          codes[i] = f.edge(e, 2 + (i & 1));
          break;
        case 4:
          codes[i] = (i & 1) ? f.finite.back() : f.finite[f.finite.size() - 2];
          break;
        default:
          codes[i] = (e & 1) ? f.edge(e >> 1) : random_code(f, false);
      }
    }
    if (!f.nans.empty() && (r >> 8) % 24 == 0) {
      codes[(r >> 16) % static_cast<std::uint64_t>(n)] = f.nans[(r >> 24) % f.nans.size()];
    }
  }
  void new_w(Stimulus kind) {
    BlockFpInputs& in = d_.in;
    in.w_load = true;
    fill(kind, cw_, in.w_codes.data(), fam_.block);
    if (kind == Stimulus::kCorner) {
      static constexpr std::uint8_t kScale[] = {0, 1, 60, 127, 200, 253, 254};
      const std::uint64_t r = g_.next();
      in.w_scale = r % 32 == 0 ? 0xFF : kScale[(r >> 5) % 7];
    } else {
      in.w_scale = random_scale();
    }
  }
  void new_block(Stimulus kind) {
    BlockFpInputs& in = d_.in;
    const std::uint64_t r = g_.next();
    const int b = fam_.block, l = fam_.lanes;
    if (kind == Stimulus::kCorner) {
      const int lens[] = {1, l - 1, l, l + 1, b - 1, b, b, b};
      len_ = std::clamp(lens[r % 8], 1, b);
    } else {
      len_ = r % 4 == 0 ? 1 + static_cast<int>((r >> 2) % static_cast<std::uint64_t>(b)) : b;
    }
    in.len = static_cast<std::uint8_t>(len_);
    fill(kind, ca_, d_.a_block.data(), len_);
    in.acc_final_in = (r >> 12) % 32 == 0;
    if (kind != Stimulus::kCorner) {
      in.a_scale = random_scale();
      const std::uint64_t x = g_.next();
      if (x % 8 == 0) {
        in.acc_in = static_cast<std::uint32_t>(x >> 8);
      } else if (x % 8 == 1) {
        in.acc_in = kAccEdge[(x >> 8) % std::size(kAccEdge)];
      } else {
        in.acc_in =
            static_cast<std::uint32_t>(((x >> 8) & 0x807FFFFFu) | ((97 + (x >> 40) % 61) << 23));
      }
      return;
    }
    corner_scale_and_acc();
  }
  /// Corner blocks aim the result's exponent at FP32's edges: the subnormal range and its
  /// boundary, the overflow boundary, or the extreme scales; the accumulator then cancels the
  /// block exactly or to a few ulps, doubles it, or is a special value.
  void corner_scale_and_acc() {
    BlockFpInputs& in = d_.in;
    const std::uint64_t r = g_.next();
    set_row(arow_, d_.a_block.data(), len_, 127);
    set_row(wrow_, w_codes_.data(), len_, w_scale_);
    const auto ac = fam_.a_chunk(arow_, 0), wc = fam_.w_chunk(wrow_, 0);
    const num::int128_t sum = ac.nan || wc.nan ? 0 : fam_.block_sum(ac, wc, 0, len_);
    const num::uint128_t mag =
        sum < 0 ? static_cast<num::uint128_t>(-sum) : static_cast<num::uint128_t>(sum);
    int p = 0;
    for (num::uint128_t m = mag; m > 1; m >>= 1) ++p;
    // Exponent of the result's leading bit: around 2^-149 / 2^-126 (subnormals), 2^127 / 2^128
    // (overflow), or ordinary.
    int target = 0;
    switch (r % 5) {
      case 0:
        target = -150 + static_cast<int>((r >> 8) % 26);
        break;
      case 1:
        target = -128 + static_cast<int>((r >> 8) % 4);
        break;
      case 2:
        target = 125 + static_cast<int>((r >> 8) % 5);
        break;
      case 3:
        target = static_cast<int>((r >> 8) % 2) ? 500 : -500;
        break;
      default:
        target = static_cast<int>((r >> 8) % 40) - 20;
    }
    const int ulp = fam_.ta->ulp_exp + fam_.tw->ulp_exp;
    const int scale = target - p - ulp + 254 - static_cast<int>(w_scale_);
    in.a_scale = (r >> 16) % 32 == 0 ? 0xFF : static_cast<std::uint8_t>(std::clamp(scale, 0, 254));
    arow_.scales[0].scale_code = in.a_scale;
    const auto ac2 = fam_.a_chunk(arow_, 0);
    const float v =
        ac2.nan || wc.nan ? 0.0f : BlockFpFamily::round_block(sum, fam_.block_exp(ac2, wc));
    const auto bits = std::bit_cast<std::uint32_t>(v);
    const std::uint64_t x = g_.next();
    switch (x % 6) {
      case 0:
        in.acc_in = kAccEdge[(x >> 8) % std::size(kAccEdge)];
        break;
      case 1:
        in.acc_in = bits ^ 0x80000000u;
        break;
      case 2:
        in.acc_in = (bits ^ 0x80000000u) + static_cast<std::uint32_t>((x >> 8) % 7) - 3;
        break;
      case 3:
        in.acc_in = bits;
        break;
      case 4:
        in.acc_in = static_cast<std::uint32_t>((x >> 8) & 0x807FFFFFu);
        break;
      default:
        in.acc_in = (bits & 0x80000000u) ^ 0x7F7FFFFFu ^ static_cast<std::uint32_t>((x >> 8) & 3);
    }
  }
  void workload_w() {
    BlockFpInputs& in = d_.in;
    const std::int64_t n = wl_nc_ / layer_.blocks, c = wl_nc_ % layer_.blocks;
    const auto& col = layer_.w[static_cast<std::size_t>(n)];
    const std::int64_t k0 = c * fam_.block;
    const std::int64_t len = std::min<std::int64_t>(fam_.block, layer_.k - k0);
    in.w_load = true;
    for (std::int64_t i = 0; i < len; ++i) {
      in.w_codes[static_cast<std::size_t>(i)] =
          static_cast<std::uint8_t>(col.codes[static_cast<std::size_t>(k0 + i)]);
    }
    in.w_scale = static_cast<std::uint8_t>(col.scales[static_cast<std::size_t>(c)].scale_code);
    wl_w_loaded_ = true;
  }
  void workload_block() {
    BlockFpInputs& in = d_.in;
    const std::int64_t n = wl_nc_ / layer_.blocks, c = wl_nc_ % layer_.blocks;
    const auto& row = layer_.a[static_cast<std::size_t>(wl_m_)];
    const std::int64_t k0 = c * fam_.block;
    len_ = static_cast<int>(std::min<std::int64_t>(fam_.block, layer_.k - k0));
    for (int i = 0; i < len_; ++i) {
      d_.a_block[static_cast<std::size_t>(i)] =
          static_cast<std::uint8_t>(row.codes[static_cast<std::size_t>(k0 + i)]);
    }
    in.len = static_cast<std::uint8_t>(len_);
    in.a_scale = static_cast<std::uint8_t>(row.scales[static_cast<std::size_t>(c)].scale_code);
    const auto& acc =
        layer_.acc[static_cast<std::size_t>((n * layer_.blocks + c) * Layer::kM + wl_m_)];
    in.acc_in = std::bit_cast<std::uint32_t>(acc.v);
    in.acc_final_in = acc.final;
    if (++wl_m_ == Layer::kM) {
      wl_m_ = 0;
      wl_nc_ = (wl_nc_ + 1) % (Layer::kN * layer_.blocks);
      wl_w_loaded_ = false;
    }
  }

  Stimulus kind_;
  golden::Rng g_;
  const BlockFpFamily& fam_;
  FormatCodes ca_, cw_;
  Layer layer_;
  Drive d_;
  bool busy_ = false;
  int pos_ = 0, len_ = 0;
  Codes w_codes_{};  ///< the W block the PE holds (a load while busy is ignored)
  std::uint8_t w_scale_ = 0;
  num::QuantizedRow arow_, wrow_;
  std::int64_t wl_nc_ = 0, wl_m_ = 0;
  bool wl_w_loaded_ = false;
};

CosimResult cosim_pe(BlockFpRtl& rtl, const Config& cfg, const CosimOptions& opt) {
  const ElementTable ta = ElementTable::make(cfg.a_format), tw = ElementTable::make(cfg.w_format);
  const BlockFpFamily fam = sim::block_fp::make_family(ta, tw, rtl.block(), rtl.lanes());
  PeStimulus stim(opt.stimulus, opt.seed, fam, cfg);
  PeModel model(fam);
  LockStep ls(cfg.name, opt.seed);
  CosimResult res;
  res.config = cfg.name;
  const auto t0 = std::chrono::steady_clock::now();
  rtl.reset();
  for (std::uint64_t c = 0; c < opt.cycles; ++c) {
    const Drive& d = stim.next(c);
    rtl.step(d.in);
    res.cycles = c + 1;
    if (opt.rtl_only) continue;
    model.step(d);
    const BlockFpOutputs got = rtl.outputs(), want = model.out;
    ls.check(c, "ready", want.ready, got.ready);
    ls.check(c, "out_valid", want.out_valid, got.out_valid);
    // acc_out and acc_final_out are registers: they hold between results and are compared always.
    ls.check(c, "acc_out", want.acc_out, got.acc_out);
    ls.check(c, "acc_final_out", want.acc_final_out, got.acc_final_out);
    if (want.out_valid) ++res.outputs_checked;
    if (!ls.ok()) break;
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  res.mismatch = ls.mismatch();
  res.trace_path = rtl.trace_path();
  return res;
}

class BlockFpCosim final : public CosimTarget {
 public:
  std::string name() const override { return "block_fp"; }
  std::string description() const override {
    return "MX/BFP block PE (block 32, six format pairs): exact block sums, one FP32 rounding "
           "per block, FP32 accumulation; rtl/pe/block_fp/block_fp_pe.sv";
  }
  std::vector<std::string> configs() const override {
    std::vector<std::string> out;
    for (const Config& c : kConfigs) out.emplace_back(c.name);
    return out;
  }
  bool has_mutant(const std::string& config) const override {
    for (const Config& c : kConfigs) {
      if (config == c.name) return c.make_mutant != nullptr;
    }
    return false;
  }
  CosimResult run(const std::string& config, const CosimOptions& opt) const override {
    for (const Config& c : kConfigs) {
      if (config != c.name) continue;
      if (opt.mutant && c.make_mutant == nullptr) {
        throw std::invalid_argument("block_fp: no mutant build of " + config);
      }
      auto rtl = opt.mutant ? c.make_mutant(opt.trace) : c.make(opt.trace);
      return cosim_pe(*rtl, c, opt);
    }
    throw std::invalid_argument("block_fp: no RTL configuration " + config);
  }
};

}  // namespace

const CosimTarget& cosim_target_block_fp() {
  static const BlockFpCosim t;
  return t;
}

}  // namespace mpsim::rtl
