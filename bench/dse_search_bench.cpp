// DESCRIPTION: Search quality on an exhaustively enumerable synthetic accelerator space (75,000
// points, 3 objectives, constraints): hypervolume of NSGA-II's evaluated set after 10% of
// the evaluations as a fraction of the exhaustive front's, with random search at the same budget as
// the baseline, over several seeds; plus each strategy's own ask/tell time per point.
// SPDX-License-Identifier: Apache-2.0
//
// Usage: dse_search_bench [seeds=5] [budget_percent=10] [population=64]
// Not a test: it prints figures and asserts nothing.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <pagmo/utils/hypervolume.hpp>
#include <string>
#include <vector>

#include "mpsim/dse/search.h"

namespace {

using mpsim::dse::Outcome;
using mpsim::dse::Point;
using Objs = std::vector<std::vector<double>>;

// Knob choices of the synthetic accelerator.
constexpr int kRows[] = {8, 16, 32, 64, 128};
constexpr int kCols[] = {8, 16, 32, 64, 128};
constexpr int kGlbKib[] = {64, 128, 256, 512, 1024};
constexpr int kWBits[] = {2, 3, 4, 6, 8};  // per layer group: attention, MLP
constexpr int kABits[] = {4, 6, 8, 16};
constexpr int kBw[] = {8, 16, 32};  // DRAM bytes per cycle
// dataflow: 0 = weight stationary, 1 = output stationary
// SQNR lost (dB) by each weight / activation width, weighted per layer group below.
constexpr double kWLossDb[] = {14.0, 7.5, 3.4, 0.9, 0.2};
constexpr double kALossDb[] = {6.0, 1.8, 0.5, 0.0};

struct Gemm {
  double m, n, k;
  bool mlp;  ///< layer group: MLP (else attention)
};
// A transformer block's GEMMs (BERT-base-like, sequence 128).
constexpr Gemm kLayers[] = {{128, 2304, 768, false},
                            {128, 128, 64, false},
                            {128, 768, 768, false},
                            {128, 3072, 768, true},
                            {128, 768, 3072, true}};

double ceil_div(double a, double b) { return std::ceil(a / b); }

// Objectives: latency (s), energy (J), accuracy loss (dB of SQNR); all minimized. Infeasible:
// area above 5 mm^2, or an output-stationary tile of partial sums that does not fit a quarter of
// the buffer. Non-separable on purpose: array shape x dataflow x layer shapes decide utilization,
// the buffer decides refetches (hence memory-boundness, which depends on bandwidth and the bit
// widths), the PE is sized for the widest weights, and frequency falls with the array's span.
Outcome evaluate(const Point& x) {
  const double rows = kRows[x[0]], cols = kCols[x[1]], glb = kGlbKib[x[2]] * 1024.0;
  const double w_attn = kWBits[x[3]], w_mlp = kWBits[x[4]], ab = kABits[x[5]];
  const bool os = x[6] == 1;
  const double bw = kBw[x[7]];
  const double pe_um2 = 60 + 5.0 * std::max(w_attn, w_mlp) * ab;
  const double area_mm2 = rows * cols * pe_um2 * 1e-6 + kGlbKib[x[2]] * 0.0025 + 0.3 + 0.04 * bw;
  if (area_mm2 > 5.0) return Outcome{{}, false};
  if (os && rows * cols * 4 > glb / 4) return Outcome{{}, false};
  const double freq_hz = 1e9 / (1 + 0.0015 * (rows + cols));
  double cycles = 0, dram_bytes = 0, sram_bytes = 0, energy = 0;
  for (const Gemm& g : kLayers) {
    const double wb = g.mlp ? w_mlp : w_attn;
    const double passes = std::ceil(wb / 2) * std::ceil(ab / 8);  // 2-bit weight slices
    const double w = g.k * g.n * wb / 8, a = g.m * g.k * ab / 8, o = g.m * g.n * 2;
    double compute, w_reads, a_reads, psum;
    if (!os) {  // weights pinned: K on rows, N on columns; activations stream
      compute = ceil_div(g.k, rows) * ceil_div(g.n, cols) * (g.m * passes + rows + cols);
      w_reads = 1;
      a_reads = a <= glb / 2 ? 1 : ceil_div(g.n, cols);
      psum = ceil_div(g.k, rows);
    } else {  // outputs pinned: M on rows, N on columns; both operands stream
      compute = ceil_div(g.m, rows) * ceil_div(g.n, cols) * (g.k * passes + rows + cols);
      w_reads = w <= glb / 2 ? 1 : ceil_div(g.m, rows);
      a_reads = a <= glb / 2 ? 1 : ceil_div(g.n, cols);
      psum = 1;
    }
    const double dram = w * w_reads + a * a_reads + o;
    const double layer_cycles = std::max(compute, dram / bw) + 200;
    cycles += layer_cycles;
    dram_bytes += dram;
    sram_bytes += w * (os ? ceil_div(g.m, rows) : 1) + a * ceil_div(g.n, cols) + o * psum;
    // Per MAC: the multiplier, plus operand distribution over wires that lengthen with the array;
    // every PE is clocked in every cycle, busy or idle (under-utilized big arrays pay for it).
    const double e_mac = (0.01 + 0.0045 * wb * ab + 0.0015 * (wb + ab) * std::log2(rows * cols));
    const double e_clock = 0.004 * (1 + wb * ab / 32) * rows * cols * layer_cycles;
    energy += (g.m * g.n * g.k * e_mac + e_clock) * 1e-12;
  }
  const double latency = cycles / freq_hz;
  const double e_sram = 0.04e-12 * std::sqrt(glb / 32768.0);
  const double static_w = 0.01 * area_mm2 + 0.004 * bw;  // leakage, DRAM PHY
  energy += sram_bytes * e_sram + dram_bytes * 20e-12 + static_w * latency;
  const double loss_db = 0.45 * kWLossDb[x[3]] + 0.55 * kWLossDb[x[4]] + kALossDb[x[5]];
  return Outcome{{latency, energy, loss_db}, true};
}

mpsim::dse::SearchProblem problem(std::uint64_t budget, std::uint64_t seed) {
  mpsim::dse::SearchProblem p;
  p.knob_names = {"rows",       "cols",   "glb_kib",  "w_bits_attn",
                  "w_bits_mlp", "a_bits", "dataflow", "dram_bw"};
  p.cardinality = {5, 5, 5, 5, 5, 4, 2, 3};
  p.objectives = {"latency", "energy", "accuracy"};
  p.budget = budget;
  p.seed = seed;
  return p;
}

bool dominates(const std::vector<double>& a, const std::vector<double>& b) {
  bool strictly = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) strictly = true;
  }
  return strictly;
}

// Non-dominated subset (sorted sweep: a point can only be dominated by one earlier in
// lexicographic order).
Objs front(Objs pts) {
  std::sort(pts.begin(), pts.end());
  pts.erase(std::unique(pts.begin(), pts.end()), pts.end());
  Objs out;
  for (const auto& p : pts) {
    bool dominated = false;
    for (const auto& q : out) {
      if (dominates(q, p)) {
        dominated = true;
        break;
      }
    }
    if (!dominated) out.push_back(p);
  }
  return out;
}

// Points not strictly better than `ref` in every objective add nothing (and pagmo rejects them).
double hv(const Objs& pts, const std::vector<double>& ref) {
  Objs inside;
  for (const auto& p : pts) {
    bool ok = true;
    for (std::size_t i = 0; i < p.size(); ++i) ok = ok && p[i] < ref[i];
    if (ok) inside.push_back(p);
  }
  if (inside.empty()) return 0;
  return pagmo::hypervolume(front(inside), true).compute(ref);
}

Objs logged(const Objs& pts) {
  Objs out = pts;
  for (auto& p : out) {
    p[0] = std::log10(p[0]);
    p[1] = std::log10(p[1]);
    p[2] = std::log10(p[2] + 0.1);  // the loss can be 0 dB
  }
  return out;
}

struct RunResult {
  Objs feasible;  ///< objectives of the feasible evaluated points
  std::size_t evaluated = 0;
  double strategy_seconds = 0;  ///< inside ask() and tell() only
};

RunResult run(const std::string& name, std::uint64_t budget, std::uint64_t seed,
              const mpsim::dse::StrategyOptions& o) {
  using Clock = std::chrono::steady_clock;
  auto s = mpsim::dse::builtin_strategies().create(name, problem(budget, seed), o);
  RunResult r;
  while (true) {
    auto t0 = Clock::now();
    auto batch = s->ask(64);
    r.strategy_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    if (batch.empty()) break;
    for (const auto& p : batch) {
      const Outcome out = evaluate(p);
      t0 = Clock::now();
      s->tell(p, out);
      r.strategy_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
      ++r.evaluated;
      if (out.feasible) r.feasible.push_back(out.objectives);
    }
  }
  return r;
}

struct Summary {
  double min = 1e300, max = -1e300, sum = 0;
  int n = 0;
  void add(double v) {
    min = std::min(min, v);
    max = std::max(max, v);
    sum += v;
    ++n;
  }
  double mean() const { return sum / n; }
};

}  // namespace

int main(int argc, char** argv) {
  const int seeds = argc > 1 ? std::atoi(argv[1]) : 5;
  const double percent = argc > 2 ? std::atof(argv[2]) : 10.0;
  const std::string population = argc > 3 ? argv[3] : "64";

  const RunResult all = run("exhaustive", 0, 1, {});
  const std::uint64_t size = problem(0, 1).size();
  const auto budget = static_cast<std::uint64_t>(std::ceil(size * percent / 100.0));
  const Objs truth = front(all.feasible);
  // Reference points: the specified one, slightly (1% of the range) worse than the worst feasible
  // point, under which most of the volume is easy to dominate; and a strict one, 10% of the
  // front's range beyond the front's nadir, under which only near-front points count.
  auto bounds = [](const Objs& pts, double margin) {
    std::vector<double> lo(3, 1e300), hi(3, -1e300), ref(3);
    for (const auto& p : pts) {
      for (int i = 0; i < 3; ++i) {
        lo[i] = std::min(lo[i], p[i]);
        hi[i] = std::max(hi[i], p[i]);
      }
    }
    for (int i = 0; i < 3; ++i) ref[i] = hi[i] + margin * (hi[i] - lo[i]);
    return ref;
  };
  const std::vector<double> ref = bounds(all.feasible, 0.01);
  const std::vector<double> ref_strict = bounds(truth, 0.1);
  const std::vector<double> ref_log = bounds(logged(all.feasible), 0.01);
  const double hv_truth = hv(truth, ref), hv_truth_strict = hv(truth, ref_strict);
  const double hv_truth_log = hv(logged(truth), ref_log);

  fmt::print("space: {} points ({} feasible), exhaustive front: {} points\n", size,
             all.feasible.size(), truth.size());
  fmt::print("budget: {} evaluations ({}%), nsga2 population {}, {} seeds\n", budget, percent,
             population, seeds);
  fmt::print("{:>5} | {:>9} {:>9} | {:>9} {:>9} | {:>9} {:>9} | {:>7} {:>7}\n", "seed", "nsga2",
             "random", "nsga2", "random", "nsga2", "random", "nsga2", "random");
  fmt::print("{:>5} | {:^19} | {:^19} | {:^19} | {:^15}\n", "", "HV (spec ref)", "HV (strict ref)",
             "HV (log10 obj.)", "front %");
  Summary s[8];
  double n_time = 0, r_time = 0;
  std::size_t n_evals = 0, r_evals = 0;
  auto front_fraction = [&](const Objs& pts) {
    const Objs f = front(pts);
    std::size_t hits = 0;
    for (const auto& p : f) hits += std::binary_search(truth.begin(), truth.end(), p) ? 1 : 0;
    return 100.0 * static_cast<double>(hits) / static_cast<double>(truth.size());
  };
  auto row = [](const std::string& label, const double* v) {
    fmt::print(
        "{:>5} | {:>9.5f} {:>9.5f} | {:>9.5f} {:>9.5f} | {:>9.5f} {:>9.5f} | {:>7.1f} {:>7.1f}\n",
        label, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
  };
  for (int seed = 1; seed <= seeds; ++seed) {
    const RunResult n = run("nsga2", budget, seed, {{"population", population}});
    const RunResult r = run("random", budget, seed, {});
    n_time += n.strategy_seconds;
    r_time += r.strategy_seconds;
    n_evals += n.evaluated;
    r_evals += r.evaluated;
    const double v[8] = {hv(n.feasible, ref) / hv_truth,
                         hv(r.feasible, ref) / hv_truth,
                         hv(n.feasible, ref_strict) / hv_truth_strict,
                         hv(r.feasible, ref_strict) / hv_truth_strict,
                         hv(logged(n.feasible), ref_log) / hv_truth_log,
                         hv(logged(r.feasible), ref_log) / hv_truth_log,
                         front_fraction(n.feasible),
                         front_fraction(r.feasible)};
    for (int i = 0; i < 8; ++i) s[i].add(v[i]);
    row(std::to_string(seed), v);
  }
  double mean[8], min[8];
  for (int i = 0; i < 8; ++i) {
    mean[i] = s[i].mean();
    min[i] = s[i].min;
  }
  row("mean", mean);
  row("min", min);
  fmt::print(
      "HV: fraction of the exhaustive front's hypervolume; spec ref = worst feasible point + 1% of "
      "the range, strict ref = front nadir + 10% of the front's range; front % = exhaustive front "
      "points found\n");
  fmt::print(
      "strategy time per evaluated point: nsga2 {:.2f} us, random {:.2f} us (ratio {:.1f}), "
      "exhaustive {:.2f} us\n",
      1e6 * n_time / n_evals, 1e6 * r_time / r_evals, (n_time / n_evals) / (r_time / r_evals),
      1e6 * all.strategy_seconds / all.evaluated);
  return 0;
}
