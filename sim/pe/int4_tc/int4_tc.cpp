// DESCRIPTION: The int4_tc PE type: decomposition plans per format pair, the MMA-array kernel
// (closed form, fragment-level values, cycle-stepped MMA pipelines), costs from its parts, and the
// dot. SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <bit>
#include <cmath>

#include "int4_tc_kernel.h"
#include "mpsim/base/error.h"

namespace mpsim::sim::int4_tc {
namespace {

struct IntInfo {
  int bits = 0;
  bool is_signed = true;
  bool bipolar = false;
};

std::optional<IntInfo> int_info(const std::string& name) {
  auto num_after = [&](std::string_view p) -> int {
    if (!name.starts_with(p)) return 0;
    const std::string rest = name.substr(p.size());
    if (rest.empty() || rest.find_first_not_of("0123456789") != std::string::npos) return 0;
    return std::stoi(rest);
  };
  if (int b = num_after("bipolar_int"); b >= 1 && b <= 8) return IntInfo{b, true, true};
  if (int b = num_after("uint"); b >= 1 && b <= 8) return IntInfo{b, false, false};
  if (int b = num_after("int"); b >= 2 && b <= 8) return IntInfo{b, true, false};
  return std::nullopt;
}

}  // namespace

std::optional<Plan> plan_for(const PeFormats& f, std::string* why) {
  const auto a = int_info(f.a.name), w = int_info(f.w.name);
  auto fail = [&](std::string msg) -> std::optional<Plan> {
    if (why) *why = std::move(msg);
    return std::nullopt;
  };
  if (!a || !w || a->bipolar != w->bipolar) {
    return fail(fmt::format(
        "int4_tc multiplies intN/uintN x intN/uintN (N <= 8, as INT4 passes) or bipolar_intN x "
        "bipolar_intM (1-bit bit-plane passes); got {} x {}",
        f.a.str(), f.w.str()));
  }
  Plan p;
  p.a_bits = a->bits;
  p.w_bits = w->bits;
  if (a->bipolar) {
    p.mode = Mode::kBitPlane;
    for (int i = 0; i < a->bits; ++i)
      for (int j = 0; j < w->bits; ++j) p.passes.push_back(Pass{i, j, i + j});
    return p;
  }
  // INT4 MMA operands are signed 4-bit; uint4 does not fit and goes through nibbles too.
  auto fits4 = [](const IntInfo& x) { return x.is_signed ? x.bits <= 4 : x.bits <= 3; };
  p.a_nibbles = !fits4(*a);
  p.w_nibbles = !fits4(*w);
  if (!p.a_nibbles && !p.w_nibbles) {
    p.mode = Mode::kInt4;
    p.passes.push_back(Pass{0, 0, 0});
    return p;
  }
  // x = 16*hi + lo with hi = x >> 4 (arithmetic, signed) and lo = x & 15 (unsigned, 0..15). The
  // lo nibble is unsigned: the MMA runs it as an unsigned-by-signed (u4 x s4) pass, as tensor cores
  // allow mixed signedness.
  p.mode = Mode::kNibbles;
  for (int ap : p.a_nibbles ? std::vector<int>{1, 0} : std::vector<int>{0}) {
    for (int wp : p.w_nibbles ? std::vector<int>{1, 0} : std::vector<int>{0}) {
      p.passes.push_back(Pass{ap, wp, 4 * ((p.a_nibbles ? ap : 0) + (p.w_nibbles ? wp : 0))});
    }
  }
  return p;
}

MmaKernel::MmaKernel(Plan plan, Fragment frag, int rows, int cols)
    : plan_(std::move(plan)), frag_(frag), rows_(rows), cols_(cols) {}

void MmaKernel::begin(std::span<const num::QuantizedRow> a_rows,
                      std::span<const num::QuantizedRow> w_cols, std::int64_t m, std::int64_t n,
                      std::int64_t k, bool values) {
  a_ = a_rows;
  w_ = w_cols;
  m_ = m, n_ = n, k_ = k;
  values_ = values;
  acc_.assign(values ? static_cast<std::size_t>(m * n) : 0, 0u);
}

std::int32_t MmaKernel::term(std::int32_t v, int part, bool nibbles, Mode mode, int bits) {
  if (mode == Mode::kBitPlane) {
    // bipolar_intN: v = sum_i 2^i (2 b_i - 1), so the code c = (v + 2^N - 1) / 2 holds the b_i.
    const std::int32_t code = (v + (1 << bits) - 1) / 2;
    return (code >> part) & 1;
  }
  if (!nibbles) return v;
  return part == 1 ? (v >> 4) : (v & 15);
}

void MmaKernel::load_lines(const Tile& t) {
  const std::size_t passes = plan_.passes.size();
  const bool bp = plan_.mode == Mode::kBitPlane;
  auto unpack = [&](const num::QuantizedRow& line, int part, bool nib, int bits,
                    std::vector<std::int8_t>& terms, std::vector<std::uint64_t>& planes) {
    const std::size_t len = static_cast<std::size_t>(t.kt);
    if (bp) {
      planes.assign((len + 63) / 64, 0);
      for (std::size_t i = 0; i < len; ++i) {
        const auto v = static_cast<std::int32_t>(line.values[static_cast<std::size_t>(t.k0) + i]);
        if (term(v, part, nib, plan_.mode, bits)) planes[i / 64] |= std::uint64_t{1} << (i % 64);
      }
    } else {
      terms.resize(len);
      for (std::size_t i = 0; i < len; ++i) {
        const auto v = static_cast<std::int32_t>(line.values[static_cast<std::size_t>(t.k0) + i]);
        terms[i] = static_cast<std::int8_t>(term(v, part, nib, plan_.mode, bits));
      }
    }
  };
  // Distinct operand parts: lay them out [part][row] so each pass finds its terms.
  const int a_parts = bp ? plan_.a_bits : (plan_.a_nibbles ? 2 : 1);
  const int w_parts = bp ? plan_.w_bits : (plan_.w_nibbles ? 2 : 1);
  (void)passes;
  a_terms_.resize(static_cast<std::size_t>(a_parts * t.mt));
  a_planes_.resize(static_cast<std::size_t>(a_parts * t.mt));
  w_terms_.resize(static_cast<std::size_t>(w_parts * t.nt));
  w_planes_.resize(static_cast<std::size_t>(w_parts * t.nt));
  for (int p = 0; p < a_parts; ++p)
    for (std::int64_t r = 0; r < t.mt; ++r)
      unpack(a_[static_cast<std::size_t>(t.m0 + r)], p, plan_.a_nibbles, plan_.a_bits,
             a_terms_[static_cast<std::size_t>(p * t.mt + r)],
             a_planes_[static_cast<std::size_t>(p * t.mt + r)]);
  for (int p = 0; p < w_parts; ++p)
    for (std::int64_t c = 0; c < t.nt; ++c)
      unpack(w_[static_cast<std::size_t>(t.n0 + c)], p, plan_.w_nibbles, plan_.w_bits,
             w_terms_[static_cast<std::size_t>(p * t.nt + c)],
             w_planes_[static_cast<std::size_t>(p * t.nt + c)]);
}

TileRun MmaKernel::closed_form(const Tile& t) const {
  TileRun r;
  const std::int64_t chunks = (t.kt + frag_.k - 1) / frag_.k;
  const auto passes = static_cast<std::int64_t>(plan_.passes.size());
  // Every unit works on its own output fragment in parallel; the fold takes as long as one unit:
  // chunks x passes MMAs of cycles_per_mma, the accumulator pipeline, then frag_m cycles to write
  // the fragment's rows back.
  r.cycles =
      static_cast<std::uint64_t>(chunks * passes * frag_.cycles_per_mma + frag_.latency + frag_.m);
  const std::int64_t frags = ((t.mt + frag_.m - 1) / frag_.m) * ((t.nt + frag_.n - 1) / frag_.n);
  r.pe_issues = static_cast<std::uint64_t>(frags * chunks * passes);
  r.actions.assign(kActionCount, 0);
  r.actions[plan_.mode == Mode::kBitPlane ? kMmaB1 : kMmaInt4] = r.pe_issues;
  r.actions[kAccAdd] = static_cast<std::uint64_t>(t.mt * t.nt * chunks * passes);
  return r;
}

TileRun MmaKernel::run_tile(const Tile& t, TileMode mode) {
  MPSIM_CHECK(t.mt <= max_mt() && t.nt <= max_nt() && t.k0 % frag_.k == 0, "int4_tc: bad fold");
  if (mode == TileMode::kTiming) return closed_form(t);
  MPSIM_CHECK(values_, "int4_tc: values requested from a kernel begun without them");
  TileRun r = closed_form(t);  // cycle and issue counts are fixed by the shape
  load_lines(t);
  const bool bp = plan_.mode == Mode::kBitPlane;
  const std::int64_t chunks = (t.kt + frag_.k - 1) / frag_.k;
  // kExhaustive steps each MMA pipeline a cycle at a time: a pass's k-range is split into
  // cycles_per_mma slices, summed in the wide partial register, and added to the accumulator on the
  // pass's last cycle; kIssue does each pass in one go. Same partials, same accumulator adds.
  const int slices = mode == TileMode::kExhaustive ? frag_.cycles_per_mma : 1;
  std::uint64_t stepped = 0;
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t kb = c * frag_.k, ke = std::min<std::int64_t>(t.kt, kb + frag_.k);
    for (const Pass& p : plan_.passes) {
      for (std::int64_t m = 0; m < t.mt; ++m) {
        for (std::int64_t n = 0; n < t.nt; ++n) {
          std::int64_t partial = 0;
          for (int s = 0; s < slices; ++s) {
            const std::int64_t span = (frag_.k + slices - 1) / slices;
            const std::int64_t lo = kb + s * span, hi = std::min(ke, lo + span);
            if (lo >= hi) continue;
            if (bp) {
              // +-1 planes: matches minus mismatches = len - 2 * popcount(a XOR w). Bits of one
              // slice are masked out of 64-bit words (slices need not align to words).
              const auto& ap = a_planes_[static_cast<std::size_t>(p.a_part * t.mt + m)];
              const auto& wp = w_planes_[static_cast<std::size_t>(p.w_part * t.nt + n)];
              std::int64_t diff = 0;
              for (std::int64_t i = lo; i < hi;) {
                const std::int64_t word = i / 64, off = i % 64;
                const std::int64_t take = std::min<std::int64_t>(64 - off, hi - i);
                const std::uint64_t mask =
                    (take == 64 ? ~std::uint64_t{0} : ((std::uint64_t{1} << take) - 1)) << off;
                diff += std::popcount(
                    (ap[static_cast<std::size_t>(word)] ^ wp[static_cast<std::size_t>(word)]) &
                    mask);
                i += take;
              }
              partial += (hi - lo) - 2 * diff;
            } else {
              const auto& at = a_terms_[static_cast<std::size_t>(p.a_part * t.mt + m)];
              const auto& wt = w_terms_[static_cast<std::size_t>(p.w_part * t.nt + n)];
              std::int32_t sum = 0;
              for (std::int64_t i = lo; i < hi; ++i)
                sum += at[static_cast<std::size_t>(i)] * wt[static_cast<std::size_t>(i)];
              partial += sum;
            }
            if (m == 0 && n == 0) ++stepped;
          }
          // The accumulator add of the pass: INT32 two's complement, wraps counted.
          auto& acc = acc_[static_cast<std::size_t>((t.m0 + m) * n_ + t.n0 + n)];
          if (t.first_k && c == 0 && &p == &plan_.passes.front()) acc = 0;
          const std::uint32_t add = static_cast<std::uint32_t>(partial) << p.shift;
          const std::int64_t exact = static_cast<std::int64_t>(static_cast<std::int32_t>(acc)) +
                                     (static_cast<std::int64_t>(partial) << p.shift);
          acc += add;
          if (exact != static_cast<std::int32_t>(acc)) ++r.actions[kAccWrap];
        }
      }
    }
  }
  if (mode == TileMode::kExhaustive) {
    // Cycle count from the stepped pipeline: every slice is one cycle of one unit (all units step
    // together), plus the accumulator pipeline and write-back.
    const std::uint64_t slice_cycles = static_cast<std::uint64_t>(chunks) * plan_.passes.size() *
                                       static_cast<std::uint64_t>(frag_.cycles_per_mma);
    MPSIM_CHECK(stepped <= slice_cycles, "int4_tc: stepped more slices than cycles");
    r.cycles = slice_cycles + static_cast<std::uint64_t>(frag_.latency + frag_.m);
  }
  return r;
}

float MmaKernel::output(std::int64_t m, std::int64_t n) const {
  return static_cast<float>(static_cast<std::int32_t>(acc_[static_cast<std::size_t>(m * n_ + n)]));
}

namespace {

class Int4Tc final : public PeType {
 public:
  explicit Int4Tc(Fragment f) : frag_(f) {}
  std::string_view name() const override { return "int4_tc"; }
  std::optional<std::string> unsupported(const PeFormats& f) const override {
    std::string why;
    if (!plan_for(f, &why)) return why;
    return std::nullopt;
  }
  PeTiming timing(const PeFormats& f) const override {
    const Plan p = *plan_for(f, nullptr);
    return PeTiming{frag_.m * frag_.n * frag_.k,
                    frag_.cycles_per_mma * static_cast<int>(p.passes.size()), frag_.latency};
  }
  PeCost cost(const PeFormats& f, const cost::Tech& t) const override {
    const Plan p = *plan_for(f, nullptr);
    const int macs = frag_.m * frag_.n * frag_.k;
    const int tree = 8 + static_cast<int>(std::ceil(std::log2(frag_.k)));
    PeCost c;
    c.actions.resize(kActionCount);
    c.actions[kMmaInt4] = {
        "mma_int4", macs * (cost::int_mult_pj(4, 4, t) + cost::int_add_pj(tree, t)),
        fmt::format("{} x (int_mult(4x4) + adder-tree int_add({}))", macs, tree)};
    c.actions[kMmaB1] = {
        "mma_b1",
        frag_.m * frag_.n * (frag_.k * cost::int_add_pj(1, t) + cost::popcount_pj(frag_.k, t)),
        fmt::format("{} x (XOR({}) + popcount({}))", frag_.m * frag_.n, frag_.k, frag_.k)};
    c.actions[kAccAdd] = {"acc_add", cost::int_add_pj(32, t) + cost::register_pj_per_bit(t) * 32,
                          "int_add(32) + reg(32)"};
    c.actions[kAccWrap] = {"acc_wrap", 0.0, "counter only"};
    // One MMA unit: the INT4 multiplier array with its adder trees, the 1-bit XOR/popcount array
    // (only when bipolar passes are used), accumulators and operand registers.
    const bool bp = p.mode == Mode::kBitPlane;
    c.area_um2 =
        macs * (cost::int_mult_um2(4, 4, t) + cost::int_add_um2(tree, t) / 4) +
        (bp ? frag_.m * frag_.n * cost::popcount_um2(frag_.k, t) : 0) +
        frag_.m * frag_.n * (cost::int_add_um2(32, t) + 32 * cost::register_um2_per_bit(t)) +
        (frag_.m + frag_.n) * frag_.k * 4 * cost::register_um2_per_bit(t);
    c.area_parts = fmt::format("per MMA unit: {} INT4 multipliers + trees, {} INT32 accumulators",
                               macs, frag_.m * frag_.n);
    c.leakage_mw = cost::logic_leakage_mw_per_mm2(t) * c.area_um2 * 1e-6;
    return c;
  }
  float dot(const num::QuantizedRow& a, const num::QuantizedRow& w,
            ActionCounts& counts) const override {
    const PeFormats f{num::FormatSpec{a.format, {}}, num::FormatSpec{w.format, {}}};
    MmaKernel k(*plan_for(f, nullptr), frag_, 1, 1);
    const std::int64_t len = static_cast<std::int64_t>(a.values.size());
    k.begin(std::span(&a, 1), std::span(&w, 1), 1, 1, len, true);
    const TileRun r = k.run_tile(Tile{0, 0, 0, 1, 1, len, true}, TileMode::kIssue);
    counts.resize(kActionCount, 0);
    for (std::size_t i = 0; i < kActionCount; ++i) counts[i] += r.actions[i];
    return k.output(0, 0);
  }
  std::vector<PeFormats> example_formats() const override {
    return {
        PeFormats{num::FormatSpec::parse("int4"), num::FormatSpec::parse("int4")},
        PeFormats{num::FormatSpec::parse("int8"), num::FormatSpec::parse("int4")},
        PeFormats{num::FormatSpec::parse("int8"), num::FormatSpec::parse("int8")},
        PeFormats{num::FormatSpec::parse("bipolar_int6"), num::FormatSpec::parse("bipolar_int6")},
        PeFormats{num::FormatSpec::parse("bipolar_int8"), num::FormatSpec::parse("bipolar_int3")}};
  }
  std::unique_ptr<GemmKernel> kernel(const PeFormats& f, int rows, int cols,
                                     Dataflow) const override {
    return std::make_unique<MmaKernel>(*plan_for(f, nullptr), frag_, rows, cols);
  }

 private:
  Fragment frag_;
};

std::unique_ptr<PeType> make(const PeParams& p) {
  Fragment f;
  f.m = static_cast<int>(p.get("frag_m", 16));
  f.n = static_cast<int>(p.get("frag_n", 8));
  f.k = static_cast<int>(p.get("frag_k", 64));
  f.cycles_per_mma = static_cast<int>(p.get("cycles_per_mma", 2));
  f.latency = static_cast<int>(p.get("latency", 4));
  return std::make_unique<Int4Tc>(f);
}

}  // namespace
}  // namespace mpsim::sim::int4_tc

MPSIM_DEFINE_PE_TYPE(
    int4_tc,
    "tensor-core-like MMA units: INT4 fragments, INT32 wrap; INT8 by nibbles, "
    "arbitrary precision by bipolar bit planes (XOR/popcount)",
    (std::vector<mpsim::sim::PeParamInfo>{
        {"frag_m", true, 16, 1, 256, "", {}, "fragment rows (M) per MMA"},
        {"frag_n", true, 8, 1, 256, "", {}, "fragment columns (N) per MMA"},
        {"frag_k", true, 64, 1, 1024, "", {}, "fragment depth (K elements) per MMA"},
        {"cycles_per_mma", true, 2, 1, 64, "", {}, "cycles between MMA issues of one unit"},
        {"latency", true, 4, 1, 64, "", {}, "accumulator pipeline cycles after the last MMA"}}),
    mpsim::sim::int4_tc::make)
