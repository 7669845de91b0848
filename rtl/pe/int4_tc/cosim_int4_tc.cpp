// DESCRIPTION: Lock-step co-simulation of the Verilated int4_tc MMA unit against the family's own
// cycle-stepped unit (sim/pe/int4_tc's MmaKernel::load_units / step_units, the code
// run_tile(kExhaustive) runs): the same seeded folds drive both; busy, chunk_req, out_valid,
// out_row and every INT32 of the written-back row are compared every cycle.
// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "int4_tc_kernel.h"
#include "mpsim/golden/synthetic.h"
#include "mpsim/numerics/quantizer.h"
#include "mpsim/rtl/cosim.h"
#include "rtl_int4_tc.h"

namespace mpsim::rtl {
namespace {

namespace tc = sim::int4_tc;
using sim::Tile;
using Factory = std::unique_ptr<Int4TcRtl> (*)(const TraceOptions&);

/// An operand format's values: min, max and the step between neighbours (2 for bipolar-INT).
struct Range {
  int lo = 0, hi = 0, step = 1;
  int pick(std::uint64_t r) const {
    return lo + step * static_cast<int>(r % ((hi - lo) / step + 1));
  }
};

/// One co-simulated configuration: a format pair and variant on one Verilated parameterization
/// (CMakeLists.txt gives the same fragment shape to Verilator).
struct Config {
  const char* name;
  const char* a_format;
  const char* w_format;
  Range a, w;
  tc::Variant variant;
  tc::Fragment frag;
  Factory make;
  Factory make_mutant;  ///< nullptr: the planted bug is not on this configuration's datapath
};

const std::vector<Config>& config_table() {
  static const std::vector<Config> c = {
      {"int4xint4/qserve/m8n8k32",
       "int4",
       "int4",
       {-8, 7, 1},
       {-8, 7, 1},
       tc::Variant::kQServe,
       tc::Fragment{8, 8, 32, 2, 4},
       make_int4_tc_rtl_int4,
       nullptr},
      {"uint4xint4/hilo/m4n4k16",
       "uint4",
       "int4",
       {0, 15, 1},
       {-8, 7, 1},
       tc::Variant::kHiLo,
       tc::Fragment{4, 4, 16, 2, 4},
       make_int4_tc_rtl_uint4_hilo,
       nullptr},
      {"int8xint8/hilo/m4n4k16",
       "int8",
       "int8",
       {-128, 127, 1},
       {-128, 127, 1},
       tc::Variant::kHiLo,
       tc::Fragment{4, 4, 16, 2, 4},
       make_int4_tc_rtl_int8_hilo,
       make_int4_tc_rtl_int8_hilo_mutant},
      {"uint8xint8/qserve/m4n4k12",
       "uint8",
       "int8",
       {0, 255, 1},
       {-128, 127, 1},
       tc::Variant::kQServe,
       tc::Fragment{4, 4, 12, 2, 3},
       make_int4_tc_rtl_int8_fused,
       nullptr},
      {"bipolar_int8xbipolar_int3/m8n8k32c1",
       "bipolar_int8",
       "bipolar_int3",
       {-255, 255, 2},
       {-7, 7, 2},
       tc::Variant::kQServe,
       tc::Fragment{8, 8, 32, 1, 2},
       make_int4_tc_rtl_bipolar,
       nullptr},
  };
  return c;
}

void put_bits(std::vector<std::uint32_t>& w, std::size_t bit, int width, std::uint32_t v) {
  const std::uint64_t mask = (std::uint64_t{1} << width) - 1;
  const std::size_t word = bit / 32, off = bit % 32;
  std::uint64_t both = w[word];
  if (word + 1 < w.size()) both |= std::uint64_t{w[word + 1]} << 32;
  both = (both & ~(mask << off)) | ((std::uint64_t{v} & mask) << off);
  w[word] = static_cast<std::uint32_t>(both);
  if (word + 1 < w.size()) w[word + 1] = static_cast<std::uint32_t>(both >> 32);
}

/// One GEMM of a fragment (M = frag_m rows of A, N = frag_n columns of W, any K) quantized to
/// the configuration's formats, and the folds it is run in.
struct Job {
  std::int64_t k = 0;
  std::vector<num::QuantizedRow> a, w;
  std::vector<Tile> folds;
  std::size_t next = 0;
};

/// Seeded operands: random codes, corner values (range ends and their neighbours, 0 / +-1), and a
/// quantized synthetic LLM layer (activations x weights scaled to the formats' ranges).
class Stimulus {
 public:
  Stimulus(const Config& cfg, rtl::Stimulus kind, std::uint64_t seed)
      : cfg_(cfg),
        kind_(kind),
        seed_(seed),
        g_(seed),
        qa_(num::FormatSpec::parse(cfg.a_format).make_quantizer()),
        qw_(num::FormatSpec::parse(cfg.w_format).make_quantizer()) {}

  std::uint64_t next() { return g_.next(); }

  void new_job(Job& j, std::uint64_t cycle) {
    rtl::Stimulus k = kind_;
    if (k == rtl::Stimulus::kMixed) {
      static constexpr rtl::Stimulus kOrder[] = {rtl::Stimulus::kRandom, rtl::Stimulus::kCorner,
                                                 rtl::Stimulus::kWorkload};
      k = kOrder[(cycle / 4096) % 3];
    }
    const std::int64_t fm = cfg_.frag.m, fn = cfg_.frag.n, fk = cfg_.frag.k;
    // Mostly one to three chunks, sometimes a long K folded several times (first_k = false).
    const std::uint64_t r = g_.next();
    j.k = (r & 7) == 0 ? 1 + static_cast<std::int64_t>((r >> 3) % (8 * fk))
                       : 1 + static_cast<std::int64_t>((r >> 3) % (3 * fk));
    std::vector<float> av(static_cast<std::size_t>(fm * j.k)),
        wv(static_cast<std::size_t>(j.k * fn));
    if (k == rtl::Stimulus::kWorkload) {
      const auto x = golden::synthetic_activations(fm, j.k, golden::ActivationDistribution{},
                                                   seed_ + 1 + jobs_);
      const auto w =
          golden::synthetic_weights(j.k, fn, golden::WeightDistribution{}, seed_ + 2 + jobs_);
      scale_into(x, cfg_.a, av);
      scale_into(w, cfg_.w, wv);
    } else {
      for (auto& v : av) v = static_cast<float>(value(cfg_.a, k));
      for (auto& v : wv) v = static_cast<float>(value(cfg_.w, k));
    }
    ++jobs_;
    j.a.resize(static_cast<std::size_t>(fm));
    j.w.resize(static_cast<std::size_t>(fn));
    for (std::int64_t m = 0; m < fm; ++m)
      qa_->quantize_into(
          std::span(av).subspan(static_cast<std::size_t>(m * j.k), static_cast<std::size_t>(j.k)),
          j.a[static_cast<std::size_t>(m)]);
    std::vector<float> col(static_cast<std::size_t>(j.k));
    for (std::int64_t n = 0; n < fn; ++n) {
      for (std::int64_t kk = 0; kk < j.k; ++kk)
        col[static_cast<std::size_t>(kk)] = wv[static_cast<std::size_t>(kk * fn + n)];
      qw_->quantize_into(col, j.w[static_cast<std::size_t>(n)]);
    }
    j.folds.clear();
    j.next = 0;
    for (std::int64_t k0 = 0; k0 < j.k;) {
      const std::int64_t kt =
          std::min(j.k - k0, fk * (1 + static_cast<std::int64_t>(g_.next() % 3)));
      j.folds.push_back(Tile{0, 0, k0, fm, fn, kt, k0 == 0});
      k0 += kt;
    }
  }

 private:
  int value(const Range& rg, rtl::Stimulus k) {
    const std::uint64_t r = g_.next();
    if (k != rtl::Stimulus::kCorner) return rg.pick(r);
    const int mid = rg.step == 2 ? 1 : 0;
    const int edge[] = {rg.lo, rg.hi, rg.lo + rg.step, rg.hi - rg.step, mid, mid - rg.step};
    return std::clamp(edge[r % 6], rg.lo, rg.hi);
  }
  static void scale_into(const std::vector<float>& x, const Range& rg, std::vector<float>& out) {
    float amax = 0;
    for (float v : x) amax = std::max(amax, std::fabs(v));
    const float s = amax > 0 ? amax / static_cast<float>(rg.hi) : 1.0f;
    for (std::size_t i = 0; i < x.size(); ++i)
      out[i] = rg.lo >= 0 ? std::fabs(x[i]) / s : x[i] / s;  // unsigned: magnitudes
  }

  const Config& cfg_;
  rtl::Stimulus kind_;
  std::uint64_t seed_;
  golden::Rng g_;
  std::unique_ptr<num::Quantizer> qa_, qw_;
  std::uint64_t jobs_ = 0;
};

class Int4TcCosim final : public CosimTarget {
 public:
  std::string name() const override { return "int4_tc"; }
  std::string description() const override {
    return "tensor-core-like MMA unit (INT4 / INT8 fused or hi/lo nibble passes / bipolar bit "
           "planes into INT32), rtl/pe/int4_tc/int4_tc_mma.sv";
  }
  std::vector<std::string> configs() const override {
    std::vector<std::string> out;
    for (const Config& c : config_table()) out.emplace_back(c.name);
    return out;
  }
  bool has_mutant(const std::string& config) const override {
    for (const Config& c : config_table()) {
      if (config == c.name) return c.make_mutant != nullptr;
    }
    return false;
  }
  CosimResult run(const std::string& config, const CosimOptions& opt) const override {
    const auto& all = config_table();
    const auto it =
        std::find_if(all.begin(), all.end(), [&](const Config& c) { return config == c.name; });
    if (it == all.end()) throw std::invalid_argument("int4_tc: no configuration " + config);
    const Config& cfg = *it;
    if (opt.mutant && cfg.make_mutant == nullptr) {
      throw std::invalid_argument("int4_tc: no mutant build of " + config);
    }
    auto rtl = opt.mutant ? cfg.make_mutant(opt.trace) : cfg.make(opt.trace);

    std::string why;
    const auto plan = tc::plan_for(
        sim::PeFormats{num::FormatSpec::parse(cfg.a_format), num::FormatSpec::parse(cfg.w_format)},
        cfg.variant, &why);
    if (!plan) throw std::logic_error("int4_tc cosim: " + why);
    tc::MmaKernel kernel(*plan, cfg.frag, 1, 1);
    const std::int64_t fk = cfg.frag.k;
    std::vector<std::string> data_names;
    for (int n = 0; n < cfg.frag.n; ++n)
      data_names.push_back("out_data[" + std::to_string(n) + "]");

    Stimulus stim(cfg, opt.stimulus, opt.seed);
    LockStep ls(config, opt.seed);
    CosimResult res;
    res.config = config;
    Job job;
    Tile fold;  // the units keep a pointer to it while they run
    bool active = false;
    std::uint64_t gap = 0;
    std::int64_t next_kb = 0, fold_end = 0;
    std::vector<std::uint64_t> counts(tc::kActionCount, 0);
    Int4TcInputs in;
    Int4TcOutputs got;
    in.a_chunk.assign(rtl->a_words(), 0);
    in.w_chunk.assign(rtl->w_words(), 0);

    const auto t0 = std::chrono::steady_clock::now();
    rtl->reset();
    rtl->outputs(got);
    for (std::uint64_t c = 0; c < opt.cycles; ++c) {
      in.start = false;
      if (!active && gap > 0) {
        --gap;
      } else if (!active) {
        if (job.next == job.folds.size()) {
          stim.new_job(job, c);
          if (!opt.rtl_only) kernel.begin(job.a, job.w, cfg.frag.m, cfg.frag.n, job.k, true);
        }
        fold = job.folds[job.next++];
        in.start = true;
        in.first_k = fold.first_k;
        in.fold_k = static_cast<std::uint32_t>(fold.kt);
        next_kb = fold.k0;
        fold_end = fold.k0 + fold.kt;
        if (!opt.rtl_only) kernel.load_units(fold);
        active = true;
      }
      // The unit takes a chunk with start and whenever it asked for one after the last edge;
      // past the fold's K the ports carry junk the unit must ignore.
      if (in.start || got.chunk_req) {
        const std::int64_t ke = std::min(fold_end, next_kb + fk);
        fill(in.a_chunk, job.a, plan->a_bits, next_kb, ke, fk, stim);
        fill(in.w_chunk, job.w, plan->w_bits, next_kb, ke, fk, stim);
        next_kb += fk;
      }
      rtl->step(in);
      rtl->outputs(got);
      res.cycles = c + 1;
      if (opt.rtl_only) {
        active = got.busy;
      } else {
        const bool stepped = kernel.step_units(counts.data());
        const tc::MmaUnit& u = kernel.unit(0);
        const tc::Issue* is = u.next_issue();
        const std::int64_t row = stepped ? u.written_row() : -1;
        // The model fetches a chunk's operands on the first cycle of its first pass (where it
        // counts the dequant of a chunk's weights).
        ls.check(c, "busy", !u.done(), got.busy);
        ls.check(c, "chunk_req", is != nullptr && u.issue_cycle() == 0 && is->pass <= 0,
                 got.chunk_req);
        ls.check(c, "out_valid", row >= 0, got.out_valid);
        if (row >= 0 && got.out_valid) {
          ls.check(c, "out_row", static_cast<std::uint32_t>(row), got.out_row);
          for (int n = 0; n < cfg.frag.n; ++n) {
            ls.check(c, data_names[static_cast<std::size_t>(n)].c_str(),
                     static_cast<std::int32_t>(kernel.acc_bits(row, n)),
                     static_cast<std::int32_t>(got.out_data[static_cast<std::size_t>(n)]));
            ++res.outputs_checked;
          }
        }
        if (!ls.ok()) break;
        active = !u.done();
      }
      if (!active) gap = (stim.next() & 3) == 0 ? 1 + stim.next() % 3 : 0;
    }
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    res.mismatch = ls.mismatch();
    res.trace_path = rtl->trace_path();
    return res;
  }

 private:
  /// Packs codes [kb, ke) of every line into a chunk port (element k - kb of line r at bit
  /// (r * frag_k + k - kb) * bits) and junk into the rest of the chunk.
  static void fill(std::vector<std::uint32_t>& port, const std::vector<num::QuantizedRow>& lines,
                   int bits, std::int64_t kb, std::int64_t ke, std::int64_t fk, Stimulus& stim) {
    for (std::size_t r = 0; r < lines.size(); ++r) {
      const auto& codes = lines[r].codes;
      for (std::int64_t i = 0; i < fk; ++i) {
        const std::uint32_t v = kb + i < ke ? codes[static_cast<std::size_t>(kb + i)]
                                            : static_cast<std::uint32_t>(stim.next());
        put_bits(port,
                 (r * static_cast<std::size_t>(fk) + static_cast<std::size_t>(i)) *
                     static_cast<std::size_t>(bits),
                 bits, v);
      }
    }
  }
};

}  // namespace

const CosimTarget& cosim_target_int4_tc() {
  static const Int4TcCosim t;
  return t;
}

}  // namespace mpsim::rtl
