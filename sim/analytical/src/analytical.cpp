// DESCRIPTION: The analytical performance model: the engine's fold schedule counted by fold class
// (full/edge in M, N, K) instead of walked, its double-buffered DRAM pipeline advanced by
// fast-forwarding runs of identical folds and blocks once the pipeline reaches steady state, the
// vector unit and the cost accounting shared with the engine. SPDX-License-Identifier: Apache-2.0
#include "mpsim/analytical/analytical.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <functional>
#include <numeric>
#include <optional>
#include <random>
#include <unordered_map>

#include "mpsim/base/error.h"
#include "mpsim/cost/energy.h"

namespace mpsim::analytical {
namespace {

using sim::GemmKernel;
using sim::OpStats;
using sim::RunStats;
using sim::Tile;
using sim::TileRun;

// The engine's rounding of fractional cycle counts (sim/core/src/engine.cpp).
std::uint64_t ceil_u(double x) {
  return x <= 0 ? 0 : static_cast<std::uint64_t>(std::ceil(x - 1e-9));
}

// Elements per shared scale of a format (0 for scalar formats), defaults resolved.
std::int64_t scale_size(const num::FormatSpec& f) {
  const num::FormatRegistry& reg = num::builtin_formats();
  const num::FormatInfo* info = reg.find(f.name);
  if (info == nullptr) return 0;
  return reg.resolve(*info, f.options).size;
}

// What the PE needs for one format pair, built once per run.
struct Pair {
  num::FormatSpec a, w;
  std::optional<std::string> unsupported;
  sim::PeTiming timing;
  sim::PeCost cost;
  std::unique_ptr<GemmKernel> kernel;
  // A fold's closed form depends on its K origin only through where it lies relative to the
  // operands' scale groups/blocks and the PE's K chunks (and whether it ends K): translating an
  // interior fold by a multiple of this period leaves its cycles and action counts unchanged.
  std::int64_t k_period = 1;
};

// The DRAM/compute pipeline of one batch item (the engine's dram_free, compute_end and
// prev_compute_start, in cycles from the op's start).
struct Pipe {
  std::uint64_t dram = 0, compute = 0, prev_start = 0;
  bool first = true;
};

// One fold as the pipeline sees it.
struct FoldSpec {
  std::uint64_t busy = 0;         // max(array cycles, SRAM port cycles)
  bool has_load = false;          // DRAM read before it (not with ideal memory)
  std::uint64_t load_cycles = 0;  // its DRAM channel slot
  bool writes = false;            // last K fold: the output block goes to DRAM after it
  std::uint64_t write_cycles = 0;
};

// Fold, block and outer-loop runs are advanced unit by unit until the pipeline's state relative
// to the compute clock repeats (a period of up to kMaxPeriod units); every later unit then adds
// the same cycles (the schedule is a max-plus recurrence, invariant under a common shift), so the
// run is jumped over exactly. Jitter makes units differ, so it walks every fold.
constexpr int kMaxPeriod = 4;

class Schedule {
 public:
  Schedule(bool double_buffered, bool ideal, std::uint64_t lat, int jitter_cycles,
           std::uint64_t jitter_seed)
      : dbl_(double_buffered),
        ideal_(ideal),
        lat_(lat),
        jitter_cycles_(jitter_cycles),
        fast_forward_(ideal || jitter_cycles <= 0) {
    if (!fast_forward_) rng_.emplace(jitter_seed);
  }

  void fold(Pipe& p, const FoldSpec& f) {
    std::uint64_t load_end = 0;
    const std::uint64_t may_start = dbl_ ? p.prev_start : p.compute;
    if (f.has_load) {
      const std::uint64_t st = std::max(p.dram, p.first ? 0 : may_start);
      p.dram = st + f.load_cycles;
      load_end = p.dram + lat_ + jitter();
    }
    const std::uint64_t cstart = std::max(p.compute, load_end);
    p.prev_start = cstart;
    p.compute = cstart + f.busy;
    p.first = false;
    if (f.writes && !ideal_) p.dram = std::max(p.dram, p.compute) + f.write_cycles;
    // The channel's free time only ever meets max(dram, t) with t >= prev_start, so raising it
    // to prev_start changes nothing and lets an idle channel's state repeat.
    p.dram = std::max(p.dram, p.prev_start);
  }

  /// Applies `unit` `n` times, jumping over the steady state.
  template <class Unit>
  void repeat(Pipe& p, std::int64_t n, Unit&& unit) {
    struct Key {
      std::int64_t dram, prev;
      std::uint64_t compute;
    };
    std::array<Key, kMaxPeriod> hist{};
    int filled = 0;
    bool ff = fast_forward_;
    for (std::int64_t i = 0; i < n; ++i) {
      unit(p);
      if (!ff || p.first) continue;
      const Key k{static_cast<std::int64_t>(p.dram - p.compute),
                  static_cast<std::int64_t>(p.prev_start - p.compute), p.compute};
      for (int q = 1; q <= filled; ++q) {
        const Key& h = hist[static_cast<std::size_t>((i - q) % kMaxPeriod)];
        if (h.dram != k.dram || h.prev != k.prev) continue;
        const std::uint64_t delta = p.compute - h.compute;
        const std::int64_t jumps = (n - 1 - i) / q;
        const auto shift = delta * static_cast<std::uint64_t>(jumps);
        p.dram += shift, p.compute += shift, p.prev_start += shift;
        i += jumps * q;
        ff = false;  // the rest (fewer than q units) is walked
        break;
      }
      hist[static_cast<std::size_t>(i % kMaxPeriod)] = k;
      filled = std::min(filled + 1, kMaxPeriod);
    }
  }

 private:
  std::uint64_t jitter() {
    if (!rng_) return 0;
    return (*rng_)() % static_cast<std::uint64_t>(jitter_cycles_ + 1);
  }
  bool dbl_, ideal_;
  std::uint64_t lat_;
  int jitter_cycles_;
  bool fast_forward_;
  std::optional<std::mt19937_64> rng_;  // only with jitter
};

// A fold class: format pair, the K the kernel was begun with, the tile. A kernel's closed form
// depends on the GEMM it is bound to only through K (where K ends: a partial last group, the
// epilogue of the last fold), so ops of different M and N share entries; the engine comparisons
// in tests/unit/analytical_test.cpp hold every family to it.
struct MemoKey {
  std::size_t pair;
  std::int64_t k, mt, nt, kt, k0;
  bool operator==(const MemoKey&) const = default;
};
struct MemoHash {
  std::size_t operator()(const MemoKey& k) const {
    std::uint64_t h = k.pair;
    for (const std::int64_t v : {k.k, k.mt, k.nt, k.kt, k.k0})
      h = (h ^ static_cast<std::uint64_t>(v)) * 0x100000001B3ull;
    return static_cast<std::size_t>(h ^ (h >> 29));
  }
};

// Action counts summed over folds.
struct ActionSum {
  explicit ActionSum(std::size_t count) : n(count, 0) {}
  void add(const sim::ActionCounts& a, std::uint64_t times) {
    for (std::size_t i = 0; i < n.size() && i < a.size(); ++i) n[i] += a[i] * times;
  }
  std::vector<std::uint64_t> n;
};

// A run of equal-sized blocks along M or N: `count` blocks of `size`, the first at `origin`.
struct Span {
  std::int64_t count = 0, size = 0, origin = 0;
};

std::vector<Span> spans(std::int64_t total, std::int64_t block, std::int64_t blocks) {
  if (blocks == 1) return {Span{1, total, 0}};
  std::vector<Span> v{Span{1, block, 0}};
  if (blocks > 2) v.push_back(Span{blocks - 2, block, block});
  v.push_back(Span{1, total - (blocks - 1) * block, (blocks - 1) * block});
  return v;
}

class Model {
 public:
  Model(const sim::ArchSpec& arch, const AnalyticalOptions& opts)
      : arch_(arch), opts_(opts), tech_(cost::Tech::node(arch.tech_nm)) {
    MPSIM_CHECK(arch_.pe != nullptr, "architecture without a PE type");
    sram_w_ = cost::sram_pj_per_bit(arch_.weight_buf.kib, tech_);
    sram_a_ = cost::sram_pj_per_bit(arch_.act_buf.kib, tech_);
    sram_o_ = cost::sram_pj_per_bit(arch_.out_buf.kib, tech_);
    sram_leak_mw_ = cost::sram_leakage_mw(arch_.weight_buf.kib, tech_) +
                    cost::sram_leakage_mw(arch_.act_buf.kib, tech_) +
                    cost::sram_leakage_mw(arch_.out_buf.kib, tech_);
  }

  RunStats run(const workload::Trace& trace) {
    RunStats run;
    run.frequency_mhz = arch_.frequency_mhz;
    std::uint64_t now = 0;
    run.ops.reserve(trace.ops.size());
    for (const auto& op : trace.ops) {
      OpStats s = run_op(op, now, run);
      now += s.cycles;
      run.add_op(std::move(s));  // checked_outputs stay 0: no values here
    }
    // Engine::finish's areas: buffers and vector unit, and the array built for the widest pair
    // the trace runs on it (pe_area_mm2_, kept by run_op).
    run.area_breakdown_mm2 = sim::Engine(arch_, sim::SimOptions{}).area_mm2();
    run.area_breakdown_mm2["pe_array"] = pe_area_mm2_;
    run.area_mm2 = 0;
    for (const auto& [k, v] : run.area_breakdown_mm2) run.area_mm2 += v;
    return run;
  }

 private:
  std::size_t pair_index(const workload::Op& op) {
    for (std::size_t i = 0; i < pairs_.size(); ++i)
      if (pairs_[i].a == op.a_format && pairs_[i].w == op.b_format) return i;
    Pair p;
    p.a = op.a_format;
    p.w = op.b_format;
    const sim::PeFormats f{op.a_format, op.b_format};
    p.unsupported = arch_.pe->unsupported(f);
    if (!p.unsupported) {
      p.timing = arch_.pe->timing(f);
      p.cost = arch_.pe->cost(f, tech_);
      p.kernel = arch_.pe->kernel(f, arch_.rows, arch_.cols, arch_.dataflow);
      std::int64_t period = std::max<std::int64_t>(p.kernel->k_step(), 1);
      for (const std::int64_t s : {scale_size(f.a), scale_size(f.w)})
        if (s > 0) period = std::lcm(period, s);
      p.k_period = period;
    }
    pairs_.push_back(std::move(p));
    return pairs_.size() - 1;
  }

  OpStats run_op(const workload::Op& op, std::uint64_t start_cycle, RunStats& run) {
    OpStats s;
    s.op = op.name;
    s.kind = std::string(workload::to_string(op.kind));
    s.group = op.group;
    s.macs = op.macs();
    s.start_cycle = start_cycle;
    auto infeasible = [&](const std::string& why) {
      if (run.feasible) {
        run.feasible = false;
        run.infeasible_reason = fmt::format("op {}: {}", op.name, why);
      }
      s.tiling = "infeasible: " + why;
      return s;
    };
    if (!workload::is_gemm_like(op.kind)) {
      std::uint64_t jitter = 0;
      if (!opts_.ideal_memory && arch_.dram.jitter_cycles > 0) {
        // The engine's per-op jitter stream (seeding one costs more than timing the op).
        std::mt19937_64 rng(arch_.dram.jitter_seed ^ std::hash<std::string>()(op.name));
        jitter = rng() % static_cast<std::uint64_t>(arch_.dram.jitter_cycles + 1);
      }
      sim::run_vector_op(arch_, op, opts_.ideal_memory, jitter, s);
      return s;
    }
    pair_index_ = pair_index(op);
    const Pair& pr = pairs_[pair_index_];
    if (pr.unsupported) return infeasible(*pr.unsupported);
    pe_area_mm2_ = std::max(pe_area_mm2_, pr.cost.area_um2 * arch_.rows * arch_.cols * 1e-6);
    GemmKernel& kernel = *pr.kernel;
    kernel.begin({}, {}, op.m, op.n, op.k, false);
    const sim::GemmTiling tl = sim::plan_gemm(arch_, op, kernel);
    if (!tl.infeasible.empty()) return infeasible(tl.infeasible);
    s.tiling = tl.text;
    gemm(op, pr, kernel, tl, s);
    return s;
  }

  // Closed form of one fold class. Memoized over the run: ops of one trace share GEMM shapes
  // (Q and O projections, gate and up, every layer group's K), and a closed form can cost one
  // family call per K chunk.
  const TileRun& closed_form(const GemmKernel& kernel, std::int64_t mt, std::int64_t nt,
                             std::int64_t kt, std::int64_t k0) {
    const MemoKey key{pair_index_, gemm_k_, mt, nt, kt, k0};
    auto [it, fresh] = memo_.try_emplace(key);
    if (fresh) it->second = kernel.closed_form(Tile{0, 0, k0, mt, nt, kt, k0 == 0});
    return it->second;
  }

  void gemm(const workload::Op& op, const Pair& pr, const GemmKernel& kernel,
            const sim::GemmTiling& tl, OpStats& s) {
    const std::int64_t M = op.m, N = op.n, K = op.k;
    gemm_k_ = K;
    const double a_bits = tl.a_bits, w_bits = tl.w_bits, psum_bits = tl.psum_bits,
                 out_bits = tl.out_bits;
    const std::int64_t fkt = tl.kt;
    const bool ideal = opts_.ideal_memory;
    const double dram_bpc = arch_.dram_bytes_per_cycle();
    const double reps = static_cast<double>(op.repeat) * static_cast<double>(op.batch);

    // K folds: the first (k0 = 0), the interior ones (full kt) and the last (edge kt, writes).
    // Interior fold j repeats the closed form of fold 1 + (j - 1) mod L, L folds spanning a
    // whole number of K periods.
    const std::int64_t nk = (K + fkt - 1) / fkt;
    const std::int64_t interior = std::max<std::int64_t>(nk - 2, 0);
    const std::int64_t L = pr.k_period / std::gcd(fkt, pr.k_period);
    const std::int64_t reps_k = std::min(L, interior);  // distinct interior folds evaluated
    auto interior_count = [&](std::int64_t i) { return interior / L + (i < interior % L ? 1 : 0); };
    const std::int64_t last_k0 = (nk - 1) * fkt;

    const std::vector<Span> ms = spans(M, tl.mt, tl.mb), ns = spans(N, tl.nt, tl.nb);

    ActionSum actions(kernel.action_count());
    std::uint64_t compute_sum = 0;
    double rd = 0, wr = 0, wbuf = 0, abuf = 0, obuf = 0;

    // Per (row span, column span) block: its K folds as the pipeline sees them.
    struct Block {
      FoldSpec first, last;
      std::vector<FoldSpec> mid;  // one per distinct interior fold (reps_k)
    };
    std::vector<Block> blocks(ms.size() * ns.size());

    for (std::size_t mi = 0; mi < ms.size(); ++mi) {
      for (std::size_t ni = 0; ni < ns.size(); ++ni) {
        const Span& sm = ms[mi];
        const Span& sn = ns[ni];
        const std::int64_t mt = sm.size, nt = sn.size;
        const auto count = static_cast<std::uint64_t>(sm.count * sn.count);
        const bool a_re = tl.a_reused(sn.origin), w_re = tl.w_reused(sm.origin);
        Block& b = blocks[mi * ns.size() + ni];
        double b_rd = 0, b_abuf = 0, b_wbuf = 0, b_obuf = 0;
        std::uint64_t b_compute = 0;
        // One fold at (kt, k0) taken `times` times: its traffic, compute and pipeline view.
        auto fold = [&](std::int64_t kt, std::int64_t k0, std::uint64_t times, bool last) {
          const TileRun& tr = closed_form(kernel, mt, nt, kt, k0);
          actions.add(tr.actions, times * count);
          b_compute += tr.cycles * times;
          const double a_fold = mt * kt * a_bits / 8, w_fold = kt * nt * w_bits / 8;
          const double a_load = a_re ? 0 : a_fold;
          const double w_load = w_re ? 0 : w_fold;
          const double psum_io = mt * nt * psum_bits / 8 * (k0 == 0 ? 1 : 2);
          const auto t = static_cast<double>(times);
          b_rd += (a_load + w_load) * t;
          b_abuf += (a_fold + a_load) * t;
          b_wbuf += (w_fold + w_load) * t;
          b_obuf += psum_io * t;
          std::uint64_t sram_cycles = std::max({ceil_u(a_fold / arch_.act_buf.bytes_per_cycle),
                                                ceil_u(w_fold / arch_.weight_buf.bytes_per_cycle),
                                                ceil_u(psum_io / arch_.out_buf.bytes_per_cycle)});
          if (ideal) sram_cycles = 0;
          FoldSpec f;
          f.busy = std::max(tr.cycles, sram_cycles);
          const double load_bytes = a_load + w_load;
          f.has_load = load_bytes > 0 && !ideal;
          f.load_cycles = ceil_u(load_bytes / dram_bpc);
          f.writes = last;
          f.write_cycles = ceil_u(mt * nt * out_bits / 8 / dram_bpc);
          return f;
        };
        b.first = fold(std::min(fkt, K), 0, 1, nk == 1);
        for (std::int64_t i = 0; i < reps_k; ++i) {
          b.mid.push_back(
              fold(fkt, (1 + i) * fkt, static_cast<std::uint64_t>(interior_count(i)), false));
        }
        if (nk > 1) b.last = fold(K - last_k0, last_k0, 1, true);
        const auto c = static_cast<double>(count);
        rd += b_rd * c;
        abuf += b_abuf * c;
        wbuf += b_wbuf * c;
        obuf += b_obuf * c;
        wr += mt * nt * out_bits / 8 * c;
        compute_sum += b_compute * count;
      }
    }

    // The pipeline over the engine's loop order: outer blocks, inner blocks, K folds.
    Schedule sched(arch_.weight_buf.double_buffered && arch_.act_buf.double_buffered, ideal,
                   ideal ? 0 : arch_.dram_latency_cycles(), arch_.dram.jitter_cycles,
                   arch_.dram.jitter_seed ^ std::hash<std::string>()(op.name));
    Pipe p;
    const std::vector<Span>& outer = tl.m_outer ? ms : ns;
    const std::vector<Span>& inner = tl.m_outer ? ns : ms;
    auto block_at = [&](std::size_t oi, std::size_t ii) -> const Block& {
      const std::size_t mi = tl.m_outer ? oi : ii, ni = tl.m_outer ? ii : oi;
      return blocks[mi * ns.size() + ni];
    };
    auto run_block = [&](Pipe& q, const Block& b) {
      sched.fold(q, b.first);
      if (reps_k > 0) {
        const std::int64_t periods = interior / reps_k;
        sched.repeat(q, periods, [&](Pipe& r) {
          for (const auto& f : b.mid) sched.fold(r, f);
        });
        for (std::int64_t i = 0; i < interior - periods * reps_k; ++i)
          sched.fold(q, b.mid[static_cast<std::size_t>(i)]);
      }
      if (nk > 1) sched.fold(q, b.last);
    };
    for (std::size_t oi = 0; oi < outer.size(); ++oi) {
      sched.repeat(p, outer[oi].count, [&](Pipe& q) {
        for (std::size_t ii = 0; ii < inner.size(); ++ii) {
          const Block& b = block_at(oi, ii);
          sched.repeat(q, inner[ii].count, [&](Pipe& r) { run_block(r, b); });
        }
      });
    }

    const std::uint64_t item_cycles = std::max(p.compute, p.dram) + pr.timing.latency - 1;
    s.folds = static_cast<std::uint64_t>(tl.mb * tl.nb * nk);
    auto distinct = [](const std::vector<Span>& v) {
      std::vector<std::int64_t> sizes;
      for (const auto& x : v)
        if (std::find(sizes.begin(), sizes.end(), x.size) == sizes.end()) sizes.push_back(x.size);
      return static_cast<std::uint64_t>(sizes.size());
    };
    s.distinct_folds = distinct(ms) * distinct(ns) * static_cast<std::uint64_t>(nk);
    s.compute_cycles = static_cast<std::uint64_t>(static_cast<double>(compute_sum) * reps);
    s.cycles = static_cast<std::uint64_t>(static_cast<double>(item_cycles) * reps);
    s.stall_cycles = s.cycles > s.compute_cycles ? s.cycles - s.compute_cycles : 0;
    s.dram_read_bytes = rd * reps;
    s.dram_write_bytes = wr * reps;
    s.weight_buf_bytes = wbuf * reps;
    s.act_buf_bytes = abuf * reps;
    s.out_buf_bytes = obuf * reps;
    const sim::PeTiming& timing = pr.timing;
    const double peak =
        static_cast<double>(arch_.rows) * arch_.cols * timing.k_per_issue / timing.cycles_per_issue;
    s.utilization = s.compute_cycles ? static_cast<double>(s.macs) /
                                           (peak * static_cast<double>(s.compute_cycles))
                                     : 0;
    const sim::PeCost& pcost = pr.cost;
    s.energy_model = "fixed";
    for (std::size_t i = 0; i < actions.n.size(); ++i) {
      const double n = static_cast<double>(actions.n[i]) * reps;
      s.actions[pcost.actions[i].name] = static_cast<std::uint64_t>(n);
      s.energy.pe += n * pcost.actions[i].energy_pj;
    }
    s.energy.buffers =
        (s.weight_buf_bytes * sram_w_ + s.act_buf_bytes * sram_a_ + s.out_buf_bytes * sram_o_) * 8;
    s.energy.dram = s.dram_bytes() * 8 * cost::dram_pj_per_bit();
    const double ns_per_cycle = 1000.0 / arch_.frequency_mhz;
    const double pe_leak = pcost.leakage_mw * arch_.rows * arch_.cols;
    s.energy.leakage = (pe_leak + sram_leak_mw_) * static_cast<double>(s.cycles) * ns_per_cycle;
  }

  const sim::ArchSpec& arch_;
  AnalyticalOptions opts_;
  cost::Tech tech_;
  double sram_w_ = 0, sram_a_ = 0, sram_o_ = 0, sram_leak_mw_ = 0;
  std::deque<Pair> pairs_;  // stable addresses
  // The op being counted (memo key).
  std::size_t pair_index_ = 0;
  std::int64_t gemm_k_ = 0;
  double pe_area_mm2_ = 0;
  std::unordered_map<MemoKey, TileRun, MemoHash> memo_;
};

}  // namespace

sim::RunStats run(const sim::ArchSpec& arch, const workload::Trace& trace,
                  const AnalyticalOptions& opts) {
  return Model(arch, opts).run(trace);
}

}  // namespace mpsim::analytical
