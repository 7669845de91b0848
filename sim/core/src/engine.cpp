// DESCRIPTION: The cycle-level engine: fold schedule per op, buffer feasibility, double-buffered
// DRAM overlap, memoized folds, vector unit, golden value checks and energy/area accounting.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/core/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <unordered_map>

#include "mpsim/base/error.h"
#include "mpsim/cost/energy.h"
#include "mpsim/golden/gemm.h"
#if __has_include("mpsim/golden/group_gemm.h")
#include "mpsim/golden/group_gemm.h"
#define MPSIM_HAVE_GROUP_GEMM 1
#endif
#include "mpsim/golden/synthetic.h"

namespace mpsim::sim {

EnergyModel parse_energy_model(std::string_view text) {
  if (text == "fixed") return EnergyModel::kFixed;
  if (text == "activity") return EnergyModel::kActivity;
  throw ConfigError(
      Diagnostic{"<cli>", "--energy", fmt::format("expected fixed or activity, got '{}'", text)});
}

CheckMode parse_check(std::string_view text) {
  CheckMode c;
  if (text == "full") {
    c.kind = CheckMode::kFull;
  } else if (text == "off") {
    c.kind = CheckMode::kOff;
  } else if (text.starts_with("sample:")) {
    c.kind = CheckMode::kSample;
    const std::string n(text.substr(7));
    char* end = nullptr;
    const long v = std::strtol(n.c_str(), &end, 10);
    if (n.empty() || *end != '\0' || v < 1 || v > 1000000) {
      throw ConfigError(Diagnostic{
          "<cli>", "--check", fmt::format("sample count must be in [1, 1000000], got '{}'", n)});
    }
    c.samples = static_cast<int>(v);
  } else {
    throw ConfigError(Diagnostic{"<cli>", "--check",
                                 fmt::format("expected full, off or sample:N, got '{}'", text)});
  }
  return c;
}

Energy& Energy::operator+=(const Energy& o) {
  pe += o.pe;
  buffers += o.buffers;
  dram += o.dram;
  vector += o.vector;
  leakage += o.leakage;
  return *this;
}

double RunStats::seconds() const { return static_cast<double>(cycles) / (frequency_mhz * 1e6); }

namespace {

double bits_of(const num::FormatSpec& f) { return workload::format_bits(f); }

bool is_integer_scalar(const std::string& name, int* bits, bool* is_signed, bool* bipolar) {
  auto num_after = [&](std::string_view p) -> int {
    if (!name.starts_with(p)) return 0;
    const std::string rest = name.substr(p.size());
    if (rest.empty() || rest.find_first_not_of("0123456789") != std::string::npos) return 0;
    return std::stoi(rest);
  };
  if (int b = num_after("bipolar_int"); b > 0) {
    *bits = b, *is_signed = true, *bipolar = true;
    return true;
  }
  if (int b = num_after("uint"); b > 0) {
    *bits = b, *is_signed = false, *bipolar = false;
    return true;
  }
  if (int b = num_after("int"); b > 0) {
    *bits = b, *is_signed = true, *bipolar = false;
    return true;
  }
  return false;
}

// Synthetic operand line of length k: integer formats get uniform codes over their whole range (a
// scalar integer format has no scale, so real-valued data would round to a few codes); everything
// else gets heavy-tailed activations/weights with outliers (golden/synthetic.h's generator).
std::vector<float> synthetic_line(const num::FormatSpec& f, std::int64_t k, std::uint64_t seed,
                                  bool weight) {
  std::vector<float> v(static_cast<std::size_t>(k));
  golden::Rng rng(seed);
  int bits = 0;
  bool sgn = false, bip = false;
  if (is_integer_scalar(f.name, &bits, &sgn, &bip)) {
    const std::int64_t levels = std::int64_t{1} << bits;
    for (auto& x : v) {
      const auto code = static_cast<std::int64_t>(rng.next() % static_cast<std::uint64_t>(levels));
      x = bip   ? static_cast<float>(2 * code - (levels - 1))
          : sgn ? static_cast<float>(code - levels / 2)
                : static_cast<float>(code);
    }
    return v;
  }
  for (auto& x : v) {
    double d = weight ? 0.02 * rng.student_t(5.0) : rng.normal();
    if (rng.uniform() < 1e-3) d *= 8.0;  // outliers stress block/group scales
    x = static_cast<float>(d);
  }
  return v;
}

struct FoldKey {
  std::int64_t mt, nt, kt, k0;
  bool first_k;
  bool operator==(const FoldKey&) const = default;
};
struct FoldKeyHash {
  std::size_t operator()(const FoldKey& k) const {
    std::size_t h = std::hash<std::int64_t>()(k.mt);
    for (std::int64_t v : {k.nt, k.kt, k.k0, std::int64_t{k.first_k}}) {
      h = h * 1000003u ^ std::hash<std::int64_t>()(v);
    }
    return h;
  }
};

std::uint64_t ceil_u(double x) {
  return x <= 0 ? 0 : static_cast<std::uint64_t>(std::ceil(x - 1e-9));
}

}  // namespace

void run_vector_op(const ArchSpec& arch, const workload::Op& op, bool ideal_memory,
                   std::uint64_t jitter, OpStats& s) {
  const cost::Tech tech = cost::Tech::node(arch.tech_nm);
  const double ns_per_cycle = 1000.0 / arch.frequency_mhz;
  const double dram_bpc = arch.dram_bytes_per_cycle();
  const std::uint64_t dram_lat = ideal_memory ? 0 : arch.dram_latency_cycles();
  const double sram_a = cost::sram_pj_per_bit(arch.act_buf.kib, tech);
  const double sram_leak_mw = cost::sram_leakage_mw(arch.weight_buf.kib, tech) +
                              cost::sram_leakage_mw(arch.act_buf.kib, tech) +
                              cost::sram_leakage_mw(arch.out_buf.kib, tech);
  const double reps = static_cast<double>(op.repeat) * static_cast<double>(op.batch);
  // Vector unit: streaming passes over an m x n tensor per batch item.
  const double elems = static_cast<double>(op.m * op.n);
  int passes = 1, dram_passes = 1;
  double ops_per_elem = 1;
  const double in_bytes = elems * bits_of(op.a_format) / 8;
  const bool fits = in_bytes <= arch.act_buf.tile_bytes();
  switch (op.kind) {
    case workload::OpKind::kSoftmax:
      // Three-pass: max, sum of exp, normalize; two-pass (online softmax): running max+sum
      // together, then normalize. Passes that do not fit on chip re-read DRAM.
      passes = arch.vector.softmax == SoftmaxAlgo::kThreePass ? 3 : 2;
      ops_per_elem = 6;  // exp as a short polynomial + max/sum/scale
      break;
    case workload::OpKind::kLayerNorm:
    case workload::OpKind::kRmsNorm:
      passes = 2;
      ops_per_elem = 3;
      break;
    case workload::OpKind::kGelu:
    case workload::OpKind::kSilu:
      ops_per_elem = 6;
      break;
    default:
      ops_per_elem = 1;
  }
  dram_passes = fits ? 1 : passes;
  const double b_bytes = op.b_tensor.empty() ? 0 : op.operand_bytes('b') / reps;
  const double out_bytes = elems * bits_of(op.out_format) / 8;
  const std::uint64_t compute = ceil_u(elems * passes / arch.vector.lanes) + 4;
  const double dram_bytes_item = in_bytes * dram_passes + b_bytes + out_bytes;
  const std::uint64_t mem =
      ideal_memory ? 0 : ceil_u(dram_bytes_item / dram_bpc) + dram_lat + jitter;
  const std::uint64_t item = std::max(compute, mem);
  s.compute_cycles = static_cast<std::uint64_t>(compute * reps);
  s.cycles = static_cast<std::uint64_t>(item * reps);
  s.stall_cycles = s.cycles - s.compute_cycles;
  s.dram_read_bytes = (in_bytes * dram_passes + b_bytes) * reps;
  s.dram_write_bytes = out_bytes * reps;
  s.act_buf_bytes = (in_bytes * passes + out_bytes) * reps;
  s.energy.vector = elems * passes * reps * (ops_per_elem / 2) *
                    (cost::fp_add_pj(24, 8, tech) + cost::fp_mult_pj(24, 8, tech));
  s.energy.buffers = s.act_buf_bytes * 8 * sram_a;
  s.energy.dram = s.dram_bytes() * 8 * cost::dram_pj_per_bit();
  s.energy.leakage = sram_leak_mw * static_cast<double>(s.cycles) * ns_per_cycle;
  s.utilization = 0;
  s.tiling = fmt::format("vector {} passes, {} lanes{}", passes, arch.vector.lanes,
                         fits ? "" : ", passes re-read DRAM");
}

GemmTiling plan_gemm(const ArchSpec& arch, const workload::Op& op, const GemmKernel& kernel) {
  GemmTiling tl;
  const std::int64_t M = op.m, N = op.n, K = op.k;
  const double a_bits = bits_of(op.a_format), w_bits = bits_of(op.b_format);
  const double psum_bits = 32, out_bits = bits_of(op.out_format);
  tl.a_bits = a_bits, tl.w_bits = w_bits, tl.psum_bits = psum_bits, tl.out_bits = out_bits;
  const std::int64_t kpi = kernel.k_step();
  auto infeasible = [&](std::string why) {
    tl.infeasible = std::move(why);
    return tl;
  };

  std::int64_t fmt_ = kernel.max_mt() ? std::min(kernel.max_mt(), M) : M;
  std::int64_t fnt = kernel.max_nt() ? std::min(kernel.max_nt(), N) : N;
  std::int64_t fkt = kernel.max_kt() ? std::min(kernel.max_kt(), K) : K;
  const double w_cap = arch.weight_buf.tile_bytes(), a_cap = arch.act_buf.tile_bytes(),
               o_cap = arch.out_buf.tile_bytes();
  if (kernel.max_kt() == 0) {
    // K streams through the array: cut it so one fold's operands fit (multiples of k_per_issue).
    const double per_k = std::max(fmt_ * a_bits / 8 / a_cap, fnt * w_bits / 8 / w_cap);
    std::int64_t kt = per_k > 0 ? static_cast<std::int64_t>(1.0 / per_k) : K;
    kt = std::min(kt, K);
    if (kt < K) kt = kt / kpi * kpi;
    if (kt < 1 || (kt < K && kt < kpi)) {
      return infeasible(fmt::format(
          "buffers too small for one fold: {} rows x {} cols need {:.0f} B of activations and "
          "{:.0f} "
          "B of weights per K step of {} (activation tile {:.0f} B, weight tile {:.0f} B)",
          fmt_, fnt, fmt_ * kpi * a_bits / 8, fnt * kpi * w_bits / 8, kpi, a_cap, w_cap));
    }
    fkt = kt;
  } else {
    const double wb = fkt * fnt * w_bits / 8;
    if (wb > w_cap) {
      return infeasible(
          fmt::format("weight buffer tile of {:.0f} B cannot hold one {}x{} weight fold ({:.0f} B)",
                      w_cap, fkt, fnt, wb));
    }
  }
  if (kernel.max_mt() == 0) {
    // Rows of A stream through: as many as the activation and output buffers hold.
    const auto by_a = static_cast<std::int64_t>(a_cap / (fkt * a_bits / 8));
    const auto by_o = static_cast<std::int64_t>(o_cap / (fnt * psum_bits / 8));
    fmt_ = std::min({M, by_a, by_o});
    if (fmt_ < 1) {
      return infeasible(fmt::format(
          "one streamed row needs {:.0f} B of activation tile ({:.0f} B) and {:.0f} B of output "
          "tile ({:.0f} B)",
          fkt * a_bits / 8, a_cap, fnt * psum_bits / 8, o_cap));
    }
  } else if (fmt_ * fnt * psum_bits / 8 > o_cap) {
    return infeasible(
        fmt::format("output buffer tile of {:.0f} B cannot hold a {}x{} block of "
                    "32-bit partial sums",
                    o_cap, fmt_, fnt));
  }

  // Residency: an operand that fits its buffer tile whole is loaded once and reused by every fold.
  // Otherwise the loop order decides: with column blocks outermost a K x nt weight panel that fits
  // stays resident while every row block streams past it (and A is re-read per column block); with
  // row blocks outermost an mt x K activation panel stays instead. The order with less DRAM
  // traffic is taken.
  const std::int64_t mb_count = (M + fmt_ - 1) / fmt_, nb_count = (N + fnt - 1) / fnt;
  const double a_all = M * K * a_bits / 8, w_all = K * N * w_bits / 8;
  const bool a_whole = a_all <= a_cap, w_whole = w_all <= w_cap;
  const bool a_panel = fmt_ * K * a_bits / 8 <= a_cap, w_panel = K * fnt * w_bits / 8 <= w_cap;
  const double n_outer_bytes =
      (w_whole || w_panel ? w_all : w_all * mb_count) + (a_whole ? a_all : a_all * nb_count);
  const double m_outer_bytes =
      (a_whole || a_panel ? a_all : a_all * nb_count) + (w_whole ? w_all : w_all * mb_count);
  const bool m_outer = m_outer_bytes < n_outer_bytes;
  tl.mt = fmt_, tl.nt = fnt, tl.kt = fkt, tl.mb = mb_count, tl.nb = nb_count;
  tl.m_outer = m_outer;
  tl.a_whole = a_whole, tl.w_whole = w_whole, tl.a_panel = a_panel, tl.w_panel = w_panel;
  tl.text = fmt::format("mt={} nt={} kt={} ({}, {} blocks outer)", fmt_, fnt, fkt,
                        to_string(arch.dataflow), m_outer ? "row" : "column");
  return tl;
}

Engine::Engine(const ArchSpec& arch, SimOptions opts) : arch_(arch), opts_(opts) {
  MPSIM_CHECK(arch_.pe != nullptr, "architecture without a PE type");
}

std::map<std::string, double> Engine::area_mm2() const {
  const cost::Tech t = cost::Tech::node(arch_.tech_nm);
  std::map<std::string, double> a;
  // The PE area depends on the formats only through what the family instantiates; take the largest
  // over its common pairs by asking for the family's nominal pair (its example formats).
  a["buffers"] = (cost::sram_um2(arch_.weight_buf.kib, t) + cost::sram_um2(arch_.act_buf.kib, t) +
                  cost::sram_um2(arch_.out_buf.kib, t)) *
                 1e-6;
  a["vector_unit"] =
      arch_.vector.lanes * (cost::fp_add_um2(24, 8, t) + cost::fp_mult_um2(24, 8, t)) * 1e-6;
  return a;
}

void RunStats::add_op(OpStats s) {
  cycles += s.cycles;
  compute_cycles += s.compute_cycles;
  stall_cycles += s.stall_cycles;
  macs += s.macs;
  energy += s.energy;
  checked_outputs += s.checked_outputs;
  ops.push_back(std::move(s));
}

RunStats Engine::run(const workload::Trace& trace) {
  RunStats run;
  run.frequency_mhz = arch_.frequency_mhz;
  std::uint64_t now = 0;
  for (const auto& op : trace.ops) {
    OpStats s = run_op(op, now, run);
    now += s.cycles;
    run.add_op(std::move(s));
  }
  finish(run, trace);
  return run;
}

void Engine::finish(RunStats& run, const workload::Trace& trace) const {
  // The array is built once, for the widest pair the trace runs on it.
  const cost::Tech t = cost::Tech::node(arch_.tech_nm);
  double pe_area_mm2 = 0;
  for (const auto& op : trace.ops) {
    if (!workload::is_gemm_like(op.kind)) continue;
    PeFormats f{op.a_format, op.b_format};
    if (arch_.pe->unsupported(f)) continue;
    pe_area_mm2 =
        std::max(pe_area_mm2, arch_.pe->cost(f, t).area_um2 * arch_.rows * arch_.cols * 1e-6);
  }
  run.area_breakdown_mm2 = area_mm2();
  run.area_breakdown_mm2["pe_array"] = pe_area_mm2;
  run.area_mm2 = 0;
  for (const auto& [k, v] : run.area_breakdown_mm2) run.area_mm2 += v;
}

OpStats Engine::run_op(const workload::Op& op, std::uint64_t start_cycle, RunStats& run) {
  const cost::Tech tech = cost::Tech::node(arch_.tech_nm);
  OpStats s;
  s.op = op.name;
  s.kind = std::string(workload::to_string(op.kind));
  s.group = op.group;
  s.macs = op.macs();
  s.start_cycle = start_cycle;
  const double ns_per_cycle = 1000.0 / arch_.frequency_mhz;
  const double dram_bpc = arch_.dram_bytes_per_cycle();
  const std::uint64_t dram_lat = opts_.ideal_memory ? 0 : arch_.dram_latency_cycles();
  std::mt19937_64 jitter_rng(arch_.dram.jitter_seed ^ std::hash<std::string>()(op.name));
  auto dram_jitter = [&]() -> std::uint64_t {
    if (opts_.ideal_memory || arch_.dram.jitter_cycles <= 0) return 0;
    return jitter_rng() % static_cast<std::uint64_t>(arch_.dram.jitter_cycles + 1);
  };
  const double sram_w = cost::sram_pj_per_bit(arch_.weight_buf.kib, tech);
  const double sram_a = cost::sram_pj_per_bit(arch_.act_buf.kib, tech);
  const double sram_o = cost::sram_pj_per_bit(arch_.out_buf.kib, tech);
  const double sram_leak_mw = cost::sram_leakage_mw(arch_.weight_buf.kib, tech) +
                              cost::sram_leakage_mw(arch_.act_buf.kib, tech) +
                              cost::sram_leakage_mw(arch_.out_buf.kib, tech);
  const double reps = static_cast<double>(op.repeat) * static_cast<double>(op.batch);

  auto infeasible = [&](std::string why) {
    if (run.feasible) {
      run.feasible = false;
      run.infeasible_reason = fmt::format("op {}: {}", op.name, why);
    }
    s.tiling = "infeasible: " + why;
    return s;
  };

  if (!workload::is_gemm_like(op.kind)) {
    run_vector_op(arch_, op, opts_.ideal_memory, opts_.ideal_memory ? 0 : dram_jitter(), s);
    return s;
  }

  // ---- GEMM on the array -------------------------------------------------------------------
  const PeType& pe = *arch_.pe;
  const PeFormats f{op.a_format, op.b_format};
  if (auto why = pe.unsupported(f)) return infeasible(*why);
  const PeTiming timing = pe.timing(f);
  const PeCost pcost = pe.cost(f, tech);
  std::unique_ptr<GemmKernel> kernel;
  if (opts_.kernel_factory)
    kernel = opts_.kernel_factory(pe, f, arch_.rows, arch_.cols, arch_.dataflow);
  if (!kernel) kernel = pe.kernel(f, arch_.rows, arch_.cols, arch_.dataflow);
  const GemmTiling tl = plan_gemm(arch_, op, *kernel);
  if (!tl.infeasible.empty()) return infeasible(tl.infeasible);
  const std::int64_t M = op.m, N = op.n, K = op.k;
  const double a_bits = tl.a_bits, w_bits = tl.w_bits, psum_bits = tl.psum_bits,
               out_bits = tl.out_bits;
  const std::int64_t fmt_ = tl.mt, fnt = tl.nt, fkt = tl.kt;
  const std::int64_t mb_count = tl.mb, nb_count = tl.nb;
  const bool m_outer = tl.m_outer;
  s.tiling = tl.text;

  // Which output blocks get values.
  const std::int64_t mb = (M + fmt_ - 1) / fmt_, nb = (N + fnt - 1) / fnt;
  std::vector<char> checked(static_cast<std::size_t>(mb * nb), 0);
  if (opts_.exhaustive || opts_.check.kind == CheckMode::kFull) {
    std::fill(checked.begin(), checked.end(), 1);
  } else if (opts_.check.kind == CheckMode::kSample) {
    std::mt19937_64 g(opts_.seed ^ std::hash<std::string>()(op.name));
    const std::int64_t blocks = mb * nb;
    for (int i = 0; i < opts_.check.samples && i < blocks; ++i) {
      std::int64_t b;
      do b = static_cast<std::int64_t>(g() % static_cast<std::uint64_t>(blocks));
      while (checked[static_cast<std::size_t>(b)]);
      checked[static_cast<std::size_t>(b)] = 1;
    }
  }
  const bool any_values = std::any_of(checked.begin(), checked.end(), [](char c) { return c; });

  // Operands, quantized lazily per line: only the rows/columns of checked blocks are made.
  std::vector<num::QuantizedRow> a_rows, w_cols;
  std::unique_ptr<num::Quantizer> qa, qw;
  if (any_values) {
    a_rows.resize(static_cast<std::size_t>(M));
    w_cols.resize(static_cast<std::size_t>(N));
    num::QuantizeOptions oa, ow;
    qa = num::builtin_formats().create(op.a_format.name, op.a_format.options);
    qw = num::builtin_formats().create(op.b_format.name, op.b_format.options);
  }
  std::vector<char> a_made(any_values ? static_cast<std::size_t>(M) : 0, 0),
      w_made(any_values ? static_cast<std::size_t>(N) : 0, 0);
  const std::uint64_t op_seed =
      opts_.seed * 0x9E3779B97F4A7C15ull ^ std::hash<std::string>()(op.name);
  auto make_a = [&](std::int64_t m) {
    if (a_made[static_cast<std::size_t>(m)]) return;
    auto line = synthetic_line(op.a_format, K, op_seed + 2 * static_cast<std::uint64_t>(m), false);
    qa->quantize_into(line, a_rows[static_cast<std::size_t>(m)]);
    a_made[static_cast<std::size_t>(m)] = 1;
  };
  auto make_w = [&](std::int64_t n) {
    if (w_made[static_cast<std::size_t>(n)]) return;
    auto line =
        synthetic_line(op.b_format, K, ~op_seed + 2 * static_cast<std::uint64_t>(n) + 1, true);
    qw->quantize_into(line, w_cols[static_cast<std::size_t>(n)]);
    w_made[static_cast<std::size_t>(n)] = 1;
  };
  kernel->begin(a_rows, w_cols, M, N, K, any_values);

  std::unordered_map<FoldKey, TileRun, FoldKeyHash> memo;
  ActionCounts actions(kernel->action_count(), 0);
  std::uint64_t pe_issues = 0;
  // Activity-based energy: register toggles of the folds that ran with values.
  const bool count_activity = opts_.energy_model == EnergyModel::kActivity && any_values;
  Activity activity;
  std::uint64_t activity_issues = 0;
  std::vector<std::uint32_t> wreg;
  int a_elem_bits = 0, w_elem_bits = 0;
  bool integer_acc = false;
  if (count_activity) {
    auto elem_bits = [](const num::FormatSpec& fs) {
      const auto* info = num::builtin_formats().find(fs.name);
      return info ? info->element_bits : 16;
    };
    auto scalar_int = [](const num::FormatSpec& fs) {
      const auto* info = num::builtin_formats().find(fs.name);
      return info && info->layout == num::Layout::kScalar &&
             (fs.name.rfind("int", 0) == 0 || fs.name.rfind("uint", 0) == 0);
    };
    a_elem_bits = elem_bits(op.a_format);
    w_elem_bits = elem_bits(op.b_format);
    integer_acc = scalar_int(op.a_format) && scalar_int(op.b_format);
    wreg.assign(static_cast<std::size_t>(std::max<std::int64_t>(fkt, 1) * arch_.cols), 0);
  }
  // Pipeline state (cycles relative to the op start, for one batch item of one repeat).
  std::uint64_t dram_free = 0, compute_end = 0, prev_compute_start = 0, compute_sum = 0;
  double rd_bytes = 0, wr_bytes = 0, wbuf = 0, abuf = 0, obuf = 0;
  bool first_fold = true;

  const std::int64_t outer_count = m_outer ? mb_count : nb_count,
                     inner_count = m_outer ? nb_count : mb_count;
  for (std::int64_t oi = 0; oi < outer_count; ++oi) {
    for (std::int64_t ii = 0; ii < inner_count; ++ii) {
      const std::int64_t m0 = (m_outer ? oi : ii) * fmt_, n0 = (m_outer ? ii : oi) * fnt;
      const std::int64_t mt = std::min(fmt_, M - m0), nt = std::min(fnt, N - n0);
      const bool values = checked[static_cast<std::size_t>((m0 / fmt_) * nb + n0 / fnt)] != 0;
      if (values) {
        for (std::int64_t m = m0; m < m0 + mt; ++m) make_a(m);
        for (std::int64_t n = n0; n < n0 + nt; ++n) make_w(n);
      }
      for (std::int64_t k0 = 0; k0 < K; k0 += fkt) {
        const std::int64_t kt = std::min(fkt, K - k0);
        const Tile tile{m0, n0, k0, mt, nt, kt, k0 == 0};
        TileRun tr;
        ++s.folds;
        if (values) {
          tr = kernel->run_tile(tile, opts_.exhaustive ? TileMode::kExhaustive : TileMode::kIssue);
          ++s.stepped_folds;
          if (count_activity) {
            activity += fold_activity(tile, arch_.dataflow, arch_.cols, a_rows, w_cols, a_elem_bits,
                                      w_elem_bits, integer_acc, wreg);
            activity_issues += tr.pe_issues;
          }
          memo.try_emplace(FoldKey{mt, nt, kt, k0, k0 == 0}, tr);
        } else {
          auto [it, fresh] = memo.try_emplace(FoldKey{mt, nt, kt, k0, k0 == 0});
          if (fresh) it->second = kernel->closed_form(tile);
          tr = it->second;
        }
        for (std::size_t i = 0; i < actions.size() && i < tr.actions.size(); ++i)
          actions[i] += tr.actions[i];
        pe_issues += tr.pe_issues;

        // Bytes this fold moves.
        const double a_fold = mt * kt * a_bits / 8, w_fold = kt * nt * w_bits / 8;
        const double a_load = tl.a_reused(n0) ? 0 : a_fold;
        const double w_load = tl.w_reused(m0) ? 0 : w_fold;
        const double psum_io = mt * nt * psum_bits / 8 * (k0 == 0 ? 1 : 2);
        rd_bytes += a_load + w_load;
        abuf += a_fold + a_load;
        wbuf += w_fold + w_load;
        obuf += psum_io;
        // SRAM ports: a fold cannot finish faster than its operands can be read.
        std::uint64_t sram_cycles = std::max({ceil_u(a_fold / arch_.act_buf.bytes_per_cycle),
                                              ceil_u(w_fold / arch_.weight_buf.bytes_per_cycle),
                                              ceil_u(psum_io / arch_.out_buf.bytes_per_cycle)});
        if (opts_.ideal_memory) sram_cycles = 0;
        const std::uint64_t busy = std::max(tr.cycles, sram_cycles);
        compute_sum += tr.cycles;

        // DRAM: the channel streams bytes at its bandwidth; requests overlap, each arriving one
        // latency after its transfer slot. The next fold's load may start once the fold before
        // the current one released its half of the double buffer.
        std::uint64_t load_end = 0;
        const double load_bytes = a_load + w_load;
        const std::uint64_t may_start =
            arch_.weight_buf.double_buffered && arch_.act_buf.double_buffered ? prev_compute_start
                                                                              : compute_end;
        if (load_bytes > 0 && !opts_.ideal_memory) {
          const std::uint64_t st = std::max(dram_free, first_fold ? 0 : may_start);
          dram_free = st + ceil_u(load_bytes / dram_bpc);
          load_end = dram_free + dram_lat + dram_jitter();
        }
        const std::uint64_t cstart = std::max(compute_end, load_end);
        prev_compute_start = cstart;
        compute_end = cstart + busy;
        first_fold = false;
        if (k0 + kt >= K) {
          const double out_b = mt * nt * out_bits / 8;
          wr_bytes += out_b;
          if (!opts_.ideal_memory) {
            const std::uint64_t st = std::max(dram_free, compute_end);
            dram_free = st + ceil_u(out_b / dram_bpc);
          }
        }
      }
    }
  }
  const std::uint64_t item_cycles = std::max(compute_end, dram_free) + timing.latency - 1;
  s.compute_cycles = static_cast<std::uint64_t>(static_cast<double>(compute_sum) * reps);
  s.cycles = static_cast<std::uint64_t>(static_cast<double>(item_cycles) * reps);
  s.stall_cycles = s.cycles > s.compute_cycles ? s.cycles - s.compute_cycles : 0;
  s.dram_read_bytes = rd_bytes * reps;
  s.dram_write_bytes = wr_bytes * reps;
  s.weight_buf_bytes = wbuf * reps;
  s.act_buf_bytes = abuf * reps;
  s.out_buf_bytes = obuf * reps;
  s.distinct_folds = memo.size();
  const double peak =
      static_cast<double>(arch_.rows) * arch_.cols * timing.k_per_issue / timing.cycles_per_issue;
  s.utilization = s.compute_cycles
                      ? static_cast<double>(s.macs) / (peak * static_cast<double>(s.compute_cycles))
                      : 0;
  for (std::size_t i = 0; i < actions.size(); ++i) {
    const double n = static_cast<double>(actions[i]) * reps;
    s.actions[pcost.actions[i].name] = static_cast<std::uint64_t>(n);
    s.energy.pe += n * pcost.actions[i].energy_pj;
  }
  s.energy_model = "fixed";
  if (count_activity && activity.bits() > 0 && activity_issues > 0) {
    // The per-action energies hold for random operands (each register bit toggling with
    // probability 1/2 per update); one toggled bit therefore costs E_fixed / (0.5 * bits), with
    // the bits of the whole op extrapolated from the stepped folds' bits per issue.
    const double bits_total = static_cast<double>(activity.bits()) /
                              static_cast<double>(activity_issues) *
                              static_cast<double>(pe_issues) * reps;
    s.activity_alpha = activity.alpha();
    s.pj_per_toggle = s.energy.pe / (kReferenceActivity * bits_total);
    s.energy.pe = s.pj_per_toggle * s.activity_alpha * bits_total;
    s.energy_model = "activity";
    s.activity = activity;
  }
  s.energy.buffers =
      (s.weight_buf_bytes * sram_w + s.act_buf_bytes * sram_a + s.out_buf_bytes * sram_o) * 8;
  s.energy.dram = s.dram_bytes() * 8 * cost::dram_pj_per_bit();
  const double pe_leak = pcost.leakage_mw * arch_.rows * arch_.cols;
  s.energy.leakage = (pe_leak + sram_leak_mw) * static_cast<double>(s.cycles) * ns_per_cycle;

  // Values: every checked block against the golden model (one batch item; all items share code).
  if (any_values) {
    for (std::int64_t bm = 0; bm < mb; ++bm) {
      for (std::int64_t bn = 0; bn < nb; ++bn) {
        if (!checked[static_cast<std::size_t>(bm * nb + bn)]) continue;
        const std::int64_t m0 = bm * fmt_, n0 = bn * fnt;
        const std::int64_t mt = std::min(fmt_, M - m0), nt = std::min(fnt, N - n0);
        golden::QuantMatrix ga, gw;
        ga.rows = mt, ga.cols = K, ga.format = op.a_format;
        gw.rows = K, gw.cols = nt, gw.format = op.b_format;
        ga.lines.assign(a_rows.begin() + m0, a_rows.begin() + m0 + mt);
        gw.lines.assign(w_cols.begin() + n0, w_cols.begin() + n0 + nt);
        std::vector<float> expect;
        std::string ref;
        const num::FormatInfo* info = num::builtin_formats().find(op.b_format.name);
        try {
          if (info && info->layout == num::Layout::kGroup) {
#ifdef MPSIM_HAVE_GROUP_GEMM
            expect = golden::group_gemm(ga, gw).c.data;
            ref = "golden::group_gemm";
#else
            throw ConfigError(Diagnostic{"", "", "no group golden"});
#endif
          } else {
            golden::GemmOptions go;
            expect = golden::gemm_quantized(ga, gw, go).c.data;
            ref = "golden::gemm";
          }
        } catch (const ConfigError&) {
          // No golden semantics for this pair: the family's own bit-exact dot is the reference.
          ActionCounts scratch(kernel->action_count(), 0);
          expect.resize(static_cast<std::size_t>(mt * nt));
          for (std::int64_t i = 0; i < mt; ++i)
            for (std::int64_t j = 0; j < nt; ++j)
              expect[static_cast<std::size_t>(i * nt + j)] =
                  pe.dot(ga.lines[static_cast<std::size_t>(i)],
                         gw.lines[static_cast<std::size_t>(j)], scratch);
          ref = "PeType::dot";
        }
        s.reference = ref;
        int reported = 0;
        for (std::int64_t i = 0; i < mt; ++i) {
          for (std::int64_t j = 0; j < nt; ++j) {
            const float e = expect[static_cast<std::size_t>(i * nt + j)];
            const float a = kernel->output(m0 + i, n0 + j);
            ++s.checked_outputs;
            const bool same = std::bit_cast<std::uint32_t>(e) == std::bit_cast<std::uint32_t>(a) ||
                              (std::isnan(e) && std::isnan(a));
            if (!same && reported < 3) {
              run.mismatches.push_back(Mismatch{op.name, m0, n0, m0 + i, n0 + j, e, a, ref});
              ++reported;
            }
          }
        }
      }
    }
  }
  return s;
}

}  // namespace mpsim::sim
