// DESCRIPTION: The int4_tc PE type: decomposition plans per format pair, the MMA-array kernel
// (closed form, fragment-level values, cycle-stepped MMA units), costs from its parts, the dot.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "int4_tc_kernel.h"
#include "mpsim/base/error.h"
#include "mpsim/numerics/block_dot.h"
#include "mpsim/numerics/group_int.h"
#include "mpsim/numerics/half.h"

namespace mpsim::sim::int4_tc {
namespace {

constexpr std::int64_t kInt32Min = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();

struct IntInfo {
  int bits = 0;
  bool is_signed = true;
  bool bipolar = false;
};

std::optional<IntInfo> int_info(const std::string& name) {
  auto num_after = [&](std::string_view p) -> int {
    if (!name.starts_with(p)) return 0;
    const std::string rest = name.substr(p.size());
    if (rest.empty() || rest.size() > 2 ||
        rest.find_first_not_of("0123456789") != std::string::npos)
      return 0;
    return std::stoi(rest);
  };
  if (int b = num_after("bipolar_int"); b >= 1 && b <= 8) return IntInfo{b, true, true};
  if (int b = num_after("uint"); b >= 1 && b <= 8) return IntInfo{b, false, false};
  if (int b = num_after("int"); b >= 2 && b <= 8) return IntInfo{b, true, false};
  return std::nullopt;
}

/// Largest |x| of an integer operand.
std::int64_t max_abs(const IntInfo& x) {
  return x.is_signed ? std::int64_t{1} << (x.bits - 1) : (std::int64_t{1} << x.bits) - 1;
}

/// The integer element of an MX/BFP block format (nullopt: not a block format or float elements).
std::optional<IntInfo> block_int(const std::string& name) {
  const auto el = num::block_element(name);
  if (!el || el->format.is_float()) return std::nullopt;
  return IntInfo{el->format.bits(), true, false};
}

/// Elements per scale of a format spec (its option, else the format's default).
std::int64_t scale_size(const num::FormatSpec& f) {
  const num::FormatInfo* info = num::builtin_formats().find(f.name);
  if (!info) return 0;
  if (info->layout == num::Layout::kBlock) return f.options.block.value_or(info->default_size);
  if (info->layout == num::Layout::kGroup) return f.options.group.value_or(info->default_size);
  return 0;
}

constexpr std::string_view kSupported =
    "int4_tc runs intN/uintN x intM/uintM (N, M <= 8; 8-bit operands as INT8 MMAs or nibble "
    "passes), intN activations x qserve_w4a8 weights, integer MX/BFP blocks on both sides "
    "(bfp12, bfp16, mxint8; equal block sizes) or bipolar_intN x bipolar_intM (1-bit bit-plane "
    "passes)";

}  // namespace

Variant parse_variant(const std::string& s) {
  if (s == "qserve") return Variant::kQServe;
  if (s == "hilo") return Variant::kHiLo;
  throw ConfigError(Diagnostic{"", "variant", fmt::format("'{}' is not one of qserve, hilo", s)});
}

std::optional<Plan> plan_for(const PeFormats& f, Variant v, std::string* why) {
  auto fail = [&](std::string msg) -> std::optional<Plan> {
    if (why) *why = std::move(msg);
    return std::nullopt;
  };
  const auto a = int_info(f.a.name), w = int_info(f.w.name);
  const auto ab = block_int(f.a.name), wb = block_int(f.w.name);
  Plan p;
  p.variant = v;
  IntInfo ai, wi;
  if (f.a.name == "qserve_w4a8") {
    return fail(fmt::format("{}; got {} x {}: qserve_w4a8 is a weight format (the W operand)",
                            kSupported, f.a.str(), f.w.str()));
  } else if (f.w.name == "qserve_w4a8") {
    if (!a || a->bipolar) {
      return fail(fmt::format("{}; got {} x {}: QServe weights take intN/uintN activations",
                              kSupported, f.a.str(), f.w.str()));
    }
    p.mode = Mode::kQServe;
    ai = *a;
    // Dequantized weights (q - z) * s2 lie in [-127, 127] (protective range 119): INT8.
    wi = IntInfo{8, true, false};
  } else if (ab || wb) {
    if (!ab || !wb) {
      return fail(
          fmt::format("{}; got {} x {}: a per-group epilogue needs both operands block-scaled",
                      kSupported, f.a.str(), f.w.str()));
    }
    const std::int64_t ga = scale_size(f.a), gw = scale_size(f.w);
    if (ga != gw || ga <= 0) {
      return fail(fmt::format("{}; got {} x {}: block sizes differ ({} vs {})", kSupported,
                              f.a.str(), f.w.str(), ga, gw));
    }
    p.mode = Mode::kGroup;
    p.group = ga;
    ai = *ab;
    wi = *wb;
  } else if (a && w && a->bipolar && w->bipolar) {
    p.mode = Mode::kBitPlane;
    p.a_bits = a->bits;
    p.w_bits = w->bits;
    p.fused = false;
    p.max_product = ((std::int64_t{1} << a->bits) - 1) * ((std::int64_t{1} << w->bits) - 1);
    for (int i = 0; i < a->bits; ++i)
      for (int j = 0; j < w->bits; ++j) p.passes.push_back(Pass{i, j, i + j});
    return p;
  } else if (a && w && !a->bipolar && !w->bipolar) {
    p.mode = Mode::kInt;
    ai = *a;
    wi = *w;
  } else {
    return fail(fmt::format("{}; got {} x {}", kSupported, f.a.str(), f.w.str()));
  }
  p.a_bits = ai.bits;
  p.w_bits = wi.bits;
  p.max_product = max_abs(ai) * max_abs(wi);
  // A 4-bit MMA operand is s4 or u4 (PTX allows mixing them); wider ones are x = 16*hi + lo with
  // hi = x >> 4 (s4 for signed x, u4 for unsigned x) and lo = x & 15 (always u4).
  p.a_split = ai.bits > 4;
  p.w_split = wi.bits > 4;
  p.fused = v == Variant::kQServe;
  for (int ap = 0; ap < (p.a_split ? 2 : 1); ++ap)
    for (int wp = 0; wp < (p.w_split ? 2 : 1); ++wp)
      p.passes.push_back(Pass{ap, wp, 4 * (ap + wp)});
  return p;
}

// ---------------------------------------------------------------------------------------------
// Kernel

MmaKernel::MmaKernel(Plan plan, Fragment frag, int rows, int cols)
    : plan_(std::move(plan)), frag_(frag), rows_(rows), cols_(cols) {
  MPSIM_CHECK(rows > 0 && cols > 0, "int4_tc: the array needs at least one MMA unit");
  MPSIM_CHECK(frag_.m > 0 && frag_.n > 0 && frag_.k > 0 && frag_.cycles_per_mma > 0,
              "int4_tc: bad fragment");
  words_per_chunk_ = (frag_.k + 63) / 64;
}

void MmaKernel::begin(std::span<const num::QuantizedRow> a_rows,
                      std::span<const num::QuantizedRow> w_cols, std::int64_t m, std::int64_t n,
                      std::int64_t k, bool values) {
  a_ = a_rows;
  w_ = w_cols;
  m_ = m, n_ = n, k_ = k;
  values_ = values;
  const auto mn = static_cast<std::size_t>(values ? m * n : 0);
  acc_.assign(mn, 0u);
  facc_.assign(mn, 0.0f);
  frozen_.assign(mn, 0);
  // Lines are unpacked on first use: the engine quantizes them lazily, after begin().
  a_lines_.assign(values ? static_cast<std::size_t>(m) : 0, Line{});
  w_lines_.assign(values ? static_cast<std::size_t>(n) : 0, Line{});
}

void MmaKernel::unpack(Line& l, const num::QuantizedRow& row, bool is_a, int bits) const {
  const auto len = static_cast<std::size_t>(k_);
  MPSIM_CHECK(row.values.size() == len, "int4_tc: operand line length differs from K");
  if (plan_.mode == Mode::kBitPlane) {
    // bipolar_intN: v = sum_i 2^i (2 b_i - 1) = 2c - (2^N - 1), so c = (v + 2^N - 1) / 2 holds the
    // bit planes b_i. Each chunk starts on a fresh word; the tail bits stay 0 in both operands, so
    // they never count in popcount(a ^ w).
    const std::int64_t nch = (k_ + frag_.k - 1) / frag_.k;
    l.planes.assign(static_cast<std::size_t>(bits * nch * words_per_chunk_), 0);
    for (std::size_t i = 0; i < len; ++i) {
      const auto v = static_cast<std::int64_t>(row.values[i]);
      const std::int64_t c = (v + (std::int64_t{1} << bits) - 1) / 2;
      const std::int64_t ch = static_cast<std::int64_t>(i) / frag_.k;
      const std::int64_t off = static_cast<std::int64_t>(i) % frag_.k;
      for (int b = 0; b < bits; ++b) {
        if ((c >> b) & 1) {
          l.planes[static_cast<std::size_t>((b * nch + ch) * words_per_chunk_ + off / 64)] |=
              std::uint64_t{1} << (off % 64);
        }
      }
    }
  } else if (plan_.mode == Mode::kGroup) {
    MPSIM_CHECK(row.block == plan_.group, "int4_tc: block size differs from the plan's");
    const num::BlockElement el = *num::block_element(row.format);
    l.v.resize(len);
    for (std::size_t i = 0; i < len; ++i)
      l.v[i] = static_cast<std::int16_t>(el.integer(row.codes[i]));
    const std::size_t groups =
        (len + static_cast<std::size_t>(plan_.group) - 1) / static_cast<std::size_t>(plan_.group);
    MPSIM_CHECK(row.scales.size() >= groups, "int4_tc: block scales missing");
    l.gexp.resize(groups);
    l.gnan.resize(groups);
    for (std::size_t g = 0; g < groups; ++g) {
      const std::uint32_t s = row.scales[g].scale_code;
      l.gnan[g] = s == 0xFF;
      l.gexp[g] = static_cast<std::int16_t>(static_cast<int>(s) - 127 + el.ulp_exp);
    }
  } else if (plan_.mode == Mode::kQServe && !is_a) {
    // The "subtraction after multiplication" byte arithmetic of QServe's kernel, once per line.
    l.v.resize(len);
    const auto g = static_cast<std::size_t>(row.block);
    MPSIM_CHECK(g > 0 && row.scales.size() * g >= len, "int4_tc: QServe groups missing");
    for (std::size_t i = 0; i < len; ++i) {
      const num::StoredScale& s = row.scales[i / g];
      const num::QServeGroupParams p{static_cast<int>(s.scale_code),
                                     static_cast<int>(s.zero_code.value_or(0))};
      l.v[i] = static_cast<std::int16_t>(num::qserve_dequant(row.codes[i], p));
    }
    l.s1 =
        num::fp16_bits_to_fp32(static_cast<std::uint16_t>(row.row_params.at("channel_scale_code")));
  } else {
    l.v.resize(len);
    for (std::size_t i = 0; i < len; ++i) l.v[i] = static_cast<std::int16_t>(row.values[i]);
  }
  l.ready = true;
}

std::int64_t MmaKernel::chunks(const Tile& t) const {
  const std::int64_t fk = frag_.k;
  if (plan_.mode != Mode::kGroup) return (t.kt + fk - 1) / fk;
  // MMAs restart at each group boundary: a group's INT32 partial must be complete on its own.
  const std::int64_t g = plan_.group, full = t.kt / g, rem = t.kt % g;
  return full * ((g + fk - 1) / fk) + (rem + fk - 1) / fk;
}

void MmaKernel::build_issues(const Tile& t) {
  issues_.clear();
  const int np = static_cast<int>(plan_.passes.size());
  const std::int64_t fk = frag_.k, end = t.k0 + t.kt;
  auto add_chunk = [&](std::int64_t kb, std::int64_t ke, std::int64_t group, bool ends_group) {
    if (plan_.fused) {
      issues_.push_back(Issue{kb, ke, kb / fk, group, -1, np * frag_.cycles_per_mma, ends_group});
      return;
    }
    for (int p = 0; p < np; ++p) {
      issues_.push_back(
          Issue{kb, ke, kb / fk, group, p, frag_.cycles_per_mma, ends_group && p == np - 1});
    }
  };
  if (plan_.mode == Mode::kGroup) {
    for (std::int64_t g0 = t.k0; g0 < end; g0 += plan_.group) {
      const std::int64_t ge = std::min(end, g0 + plan_.group);
      for (std::int64_t kb = g0; kb < ge; kb += fk) {
        const std::int64_t ke = std::min(ge, kb + fk);
        add_chunk(kb, ke, g0 / plan_.group, ke == ge);
      }
    }
  } else {
    for (std::int64_t kb = t.k0; kb < end; kb += fk)
      add_chunk(kb, std::min(end, kb + fk), 0, false);
  }
}

TileRun MmaKernel::closed_form(const Tile& t) const {
  TileRun r;
  const std::int64_t ch = chunks(t);
  const auto np = static_cast<std::int64_t>(plan_.passes.size());
  const std::int64_t fr = (t.mt + frag_.m - 1) / frag_.m, fc = (t.nt + frag_.n - 1) / frag_.n;
  // Every unit works on its own output fragment in parallel, so the fold takes as long as one
  // unit: its MMAs back to back (pipelined, cycles_per_mma apart), the accumulator pipeline and
  // any dequant/epilogue stages drain, then frag_m cycles write the fragment back row by row.
  r.cycles = static_cast<std::uint64_t>(ch * np * frag_.cycles_per_mma + frag_.latency +
                                        plan_.extra_latency() + frag_.m);
  r.pe_issues = static_cast<std::uint64_t>(fr * fc * ch * np);
  r.actions.assign(kActionCount, 0);
  r.actions[plan_.mode == Mode::kBitPlane ? kMmaB1 : kMmaInt4] = r.pe_issues;
  r.actions[kAccAdd] = static_cast<std::uint64_t>(t.mt * t.nt * ch * (plan_.fused ? 1 : np));
  if (plan_.mode == Mode::kGroup) {
    r.actions[kEpilogue] =
        static_cast<std::uint64_t>(t.mt * t.nt * ((t.kt + plan_.group - 1) / plan_.group));
  } else if (plan_.mode == Mode::kQServe) {
    r.actions[kEpilogue] = t.k0 + t.kt == k_ ? static_cast<std::uint64_t>(t.mt * t.nt) : 0;
    // Each unit dequantizes the weight fragments it multiplies in its own registers.
    r.actions[kDequant] = static_cast<std::uint64_t>(fr * t.nt * t.kt);
  }
  return r;  // acc_wrap is data-dependent: counted only when values run
}

namespace {

enum class Part : std::uint8_t { kWhole, kLo, kHi };

template <Part PA, Part PW>
std::int64_t part_dot(const std::int16_t* a, const std::int16_t* w, std::int64_t n) {
  auto part = [](std::int32_t v, Part p) {
    return p == Part::kWhole ? v : p == Part::kLo ? (v & 15) : (v >> 4);
  };
  std::int32_t s = 0;  // |sum| <= 1024 * 255 * 255 < 2^31 (frag_k <= 1024)
  for (std::int64_t i = 0; i < n; ++i) s += part(a[i], PA) * part(w[i], PW);
  return s;
}

using PartDot = std::int64_t (*)(const std::int16_t*, const std::int16_t*, std::int64_t);
constexpr PartDot kPartDot[3][3] = {
    {part_dot<Part::kWhole, Part::kWhole>, part_dot<Part::kWhole, Part::kLo>,
     part_dot<Part::kWhole, Part::kHi>},
    {part_dot<Part::kLo, Part::kWhole>, part_dot<Part::kLo, Part::kLo>,
     part_dot<Part::kLo, Part::kHi>},
    {part_dot<Part::kHi, Part::kWhole>, part_dot<Part::kHi, Part::kLo>,
     part_dot<Part::kHi, Part::kHi>}};

Part part_of(bool split, int part) {
  return !split ? Part::kWhole : part == 0 ? Part::kLo : Part::kHi;
}

}  // namespace

std::int64_t MmaKernel::slice(const Issue& is, std::int64_t m, std::int64_t n, std::int64_t lo,
                              std::int64_t hi, std::uint64_t* counts) {
  const Line& a = a_lines_[static_cast<std::size_t>(m)];
  const Line& w = w_lines_[static_cast<std::size_t>(n)];
  if (plan_.mode == Mode::kBitPlane) {
    // One +-1 plane pair: matches minus mismatches = len - 2 * popcount(a XOR w). The slice's
    // bits are masked out of the chunk's 64-bit words.
    const Pass& p = plan_.passes[static_cast<std::size_t>(is.pass)];
    const std::int64_t nch = (k_ + frag_.k - 1) / frag_.k;
    const std::uint64_t* aw = a.planes.data() + (p.a_part * nch + is.chunk) * words_per_chunk_;
    const std::uint64_t* ww = w.planes.data() + (p.w_part * nch + is.chunk) * words_per_chunk_;
    std::int64_t diff = 0;
    for (std::int64_t i = lo - is.kb, e = hi - is.kb; i < e;) {
      const std::int64_t word = i / 64, off = i % 64,
                         take = std::min<std::int64_t>(64 - off, e - i);
      const std::uint64_t mask = (take == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << take) - 1)
                                 << off;
      diff += std::popcount((aw[word] ^ ww[word]) & mask);
      i += take;
    }
    return (hi - lo) - 2 * diff;
  }
  const std::int16_t* av = a.v.data() + lo;
  const std::int16_t* wv = w.v.data() + lo;
  const std::int64_t len = hi - lo;
  if (!plan_.fused) {
    const Pass& p = plan_.passes[static_cast<std::size_t>(is.pass)];
    return kPartDot[static_cast<int>(part_of(plan_.a_split, p.a_part))]
                   [static_cast<int>(part_of(plan_.w_split, p.w_part))](av, wv, len);
  }
  // Fused: whole products join the INT32 accumulator in ascending k, each add wrapping (golden's
  // chain, so the wrap count is golden's too). When no partial sum can leave INT32 the chain is
  // summed in one go.
  std::uint32_t& acc = acc_[at(m, n)];
  const auto s = static_cast<std::int32_t>(acc);
  const std::int64_t bound = len * plan_.max_product;
  if (s >= kInt32Min + bound && s <= kInt32Max - bound) {
    acc = static_cast<std::uint32_t>(static_cast<std::int64_t>(s) +
                                     part_dot<Part::kWhole, Part::kWhole>(av, wv, len));
    return 0;
  }
  std::int32_t r = s;
  for (std::int64_t i = 0; i < len; ++i) {
    const std::int64_t t = static_cast<std::int64_t>(r) + std::int64_t{av[i]} * wv[i];
    if (t < kInt32Min || t > kInt32Max) ++counts[kAccWrap];
    r = static_cast<std::int32_t>(static_cast<std::uint32_t>(t));
  }
  acc = static_cast<std::uint32_t>(r);
  return 0;
}

void MmaKernel::acc_add(std::int64_t m, std::int64_t n, std::int64_t partial, int shift,
                        std::uint64_t* counts) {
  std::uint32_t& acc = acc_[at(m, n)];
  // The wide pass partial enters the INT32 adder modulo 2^32; a wrap is the exact sum leaving
  // INT32 (|partial << shift| < 2^25 here, so the exact sum fits int64).
  const std::int64_t exact = static_cast<std::int64_t>(static_cast<std::int32_t>(acc)) +
                             partial * (std::int64_t{1} << shift);
  if (exact < kInt32Min || exact > kInt32Max) ++counts[kAccWrap];
  acc = static_cast<std::uint32_t>(exact);
  ++counts[kAccAdd];
}

void MmaKernel::group_epilogue(const Issue& is, std::int64_t m, std::int64_t n) {
  const std::size_t o = at(m, n);
  const auto p = static_cast<std::int32_t>(acc_[o]);
  acc_[o] = 0;
  if (frozen_[o]) return;  // block_dot stops at its first non-finite block
  const Line& a = a_lines_[static_cast<std::size_t>(m)];
  const Line& w = w_lines_[static_cast<std::size_t>(n)];
  const auto g = static_cast<std::size_t>(is.group);
  if (a.gnan[g] || w.gnan[g]) {
    facc_[o] = std::numeric_limits<float>::quiet_NaN();
    frozen_[o] = 1;
    return;
  }
  // Rounding point 1: fp32(s_a * s_w * P_g). Both scales are powers of two, so the double
  // ldexp(P_g, e) is exact (|P_g| < 2^31, |e| < 300) and the cast is the single RNE rounding,
  // subnormals and overflow to Inf included.
  const auto bv = static_cast<float>(std::ldexp(static_cast<double>(p), a.gexp[g] + w.gexp[g]));
  if (!std::isfinite(bv)) {
    facc_[o] = bv + facc_[o];
    frozen_[o] = 1;
    return;
  }
  facc_[o] = facc_[o] + bv;  // rounding point 2: FP32 accumulate (RNE), ascending groups
}

void MmaKernel::start_output(const Tile& t, std::int64_t m, std::int64_t n) {
  const std::size_t o = at(m, n);
  if (t.first_k) {
    acc_[o] = 0;
    facc_[o] = 0.0f;
    frozen_[o] = 0;
  }
  if (plan_.mode == Mode::kGroup) acc_[o] = 0;  // folds start on group boundaries
}

void MmaKernel::finish_output(const Tile& t, std::int64_t m, std::int64_t n) {
  if (plan_.mode != Mode::kQServe || t.k0 + t.kt != k_) return;
  // QServe's epilogue, C = half_rn(float_rn(psum) * s1_w[n] * s_a[m]) with s_a = 1 (intN
  // activations carry no scale): rounding points __int2float_rn (inexact above 2^24), the FP32
  // multiply by s1 (RNE) and __float2half_rn (RNE, overflow to Inf).
  const std::size_t o = at(m, n);
  const float psum = static_cast<float>(static_cast<std::int32_t>(acc_[o]));
  const float scaled = psum * w_lines_[static_cast<std::size_t>(n)].s1;
  facc_[o] = num::round_to_fp16(scaled);
}

TileRun MmaKernel::run_tile(const Tile& t, TileMode mode) {
  MPSIM_CHECK(t.mt > 0 && t.nt > 0 && t.kt > 0, "int4_tc: empty fold");
  MPSIM_CHECK(t.mt <= max_mt() && t.nt <= max_nt(), "int4_tc: fold larger than the MMA array");
  MPSIM_CHECK(t.m0 + t.mt <= m_ && t.n0 + t.nt <= n_ && t.k0 + t.kt <= k_,
              "int4_tc: fold out of range");
  MPSIM_CHECK(t.k0 % k_step() == 0, "int4_tc: fold K origin must align with k_step()");
  if (mode == TileMode::kTiming) return closed_form(t);
  prepare(t);
  TileRun r;
  r.actions.assign(kActionCount, 0);
  std::uint64_t* counts = r.actions.data();
  const std::int64_t fr = (t.mt + frag_.m - 1) / frag_.m, fc = (t.nt + frag_.n - 1) / frag_.n;
  const auto np = static_cast<std::uint64_t>(plan_.passes.size());
  const Action mma = plan_.mode == Mode::kBitPlane ? kMmaB1 : kMmaInt4;
  const bool bp = plan_.mode == Mode::kBitPlane;
  const std::int64_t nch = (k_ + frag_.k - 1) / frag_.k;

  if (mode == TileMode::kIssue) {
    // Fragment by fragment, issue by issue (k ascending, passes in plan order within a chunk).
    for (std::int64_t i = 0; i < fr; ++i) {
      for (std::int64_t j = 0; j < fc; ++j) {
        const std::int64_t m0 = t.m0 + i * frag_.m, n0 = t.n0 + j * frag_.n;
        const std::int64_t m1 = std::min(t.m0 + t.mt, m0 + frag_.m);
        const std::int64_t n1 = std::min(t.n0 + t.nt, n0 + frag_.n);
        for (std::int64_t m = m0; m < m1; ++m)
          for (std::int64_t n = n0; n < n1; ++n) start_output(t, m, n);
        for (const Issue& is : issues_) {
          counts[mma] += is.pass < 0 ? np : 1;
          if (plan_.mode == Mode::kQServe && is.pass <= 0)
            counts[kDequant] += static_cast<std::uint64_t>((n1 - n0) * (is.ke - is.kb));
          const int shift = is.pass < 0 ? 0 : plan_.passes[static_cast<std::size_t>(is.pass)].shift;
          // Whole issues need no slicing: the pass's dot kernel and plane words are picked once.
          const std::int64_t len = is.ke - is.kb;
          PartDot part_fn = nullptr;
          std::int64_t a_off = 0, w_off = 0;
          if (bp) {
            const Pass& p = plan_.passes[static_cast<std::size_t>(is.pass)];
            a_off = (p.a_part * nch + is.chunk) * words_per_chunk_;
            w_off = (p.w_part * nch + is.chunk) * words_per_chunk_;
          } else if (!plan_.fused) {
            const Pass& p = plan_.passes[static_cast<std::size_t>(is.pass)];
            part_fn = kPartDot[static_cast<int>(part_of(plan_.a_split, p.a_part))]
                              [static_cast<int>(part_of(plan_.w_split, p.w_part))];
          }
          for (std::int64_t m = m0; m < m1; ++m) {
            const Line& al = a_lines_[static_cast<std::size_t>(m)];
            for (std::int64_t n = n0; n < n1; ++n) {
              const Line& wl = w_lines_[static_cast<std::size_t>(n)];
              std::int64_t partial = 0;
              if (bp) {
                // Tail bits past the chunk are 0 in both operands: whole words, no masks.
                const std::uint64_t* aw = al.planes.data() + a_off;
                const std::uint64_t* ww = wl.planes.data() + w_off;
                std::int64_t diff = 0;
                for (std::int64_t q = 0; q < words_per_chunk_; ++q)
                  diff += std::popcount(aw[q] ^ ww[q]);
                partial = len - 2 * diff;
              } else if (part_fn) {
                partial = part_fn(al.v.data() + is.kb, wl.v.data() + is.kb, len);
              } else {
                slice(is, m, n, is.kb, is.ke, counts);
              }
              if (plan_.fused) {
                ++counts[kAccAdd];
              } else {
                acc_add(m, n, partial, shift, counts);
              }
              if (is.ends_group) {
                group_epilogue(is, m, n);
                ++counts[kEpilogue];
              }
            }
          }
        }
        for (std::int64_t m = m0; m < m1; ++m) {
          for (std::int64_t n = n0; n < n1; ++n) {
            finish_output(t, m, n);
            if (plan_.mode == Mode::kQServe && t.k0 + t.kt == k_) ++counts[kEpilogue];
          }
        }
      }
    }
    r.cycles = closed_form(t).cycles;  // the issue level has no clock of its own
  } else {
    bind_units(t);
    // All units are clocked together; the fold ends when the last one has written back.
    std::uint64_t cycles = 0;
    while (step_units(counts)) ++cycles;
    r.cycles = cycles;
  }
  r.pe_issues = static_cast<std::uint64_t>(fr * fc) * issues_.size() * (plan_.fused ? np : 1);
  return r;
}

void MmaKernel::prepare(const Tile& t) {
  MPSIM_CHECK(values_, "int4_tc: values requested from a kernel begun without them");
  for (std::int64_t m = t.m0; m < t.m0 + t.mt; ++m) {
    Line& l = a_lines_[static_cast<std::size_t>(m)];
    if (!l.ready) unpack(l, a_[static_cast<std::size_t>(m)], true, plan_.a_bits);
  }
  for (std::int64_t n = t.n0; n < t.n0 + t.nt; ++n) {
    Line& l = w_lines_[static_cast<std::size_t>(n)];
    if (!l.ready) unpack(l, w_[static_cast<std::size_t>(n)], false, plan_.w_bits);
  }
  build_issues(t);
}

void MmaKernel::bind_units(const Tile& t) {
  const std::int64_t fr = (t.mt + frag_.m - 1) / frag_.m, fc = (t.nt + frag_.n - 1) / frag_.n;
  units_.resize(static_cast<std::size_t>(fr * fc));
  for (std::int64_t i = 0; i < fr; ++i) {
    for (std::int64_t j = 0; j < fc; ++j) {
      const std::int64_t m0 = t.m0 + i * frag_.m, n0 = t.n0 + j * frag_.n;
      units_[static_cast<std::size_t>(i * fc + j)].load(
          this, &t, &issues_, m0, n0, std::min(frag_.m * std::int64_t{1}, t.m0 + t.mt - m0),
          std::min(frag_.n * std::int64_t{1}, t.n0 + t.nt - n0));
    }
  }
}

void MmaKernel::load_units(const Tile& t) {
  MPSIM_CHECK(t.mt > 0 && t.nt > 0 && t.kt > 0, "int4_tc: empty fold");
  MPSIM_CHECK(t.mt <= max_mt() && t.nt <= max_nt(), "int4_tc: fold larger than the MMA array");
  MPSIM_CHECK(t.m0 + t.mt <= m_ && t.n0 + t.nt <= n_ && t.k0 + t.kt <= k_,
              "int4_tc: fold out of range");
  MPSIM_CHECK(t.k0 % k_step() == 0, "int4_tc: fold K origin must align with k_step()");
  prepare(t);
  bind_units(t);
}

bool MmaKernel::step_units(std::uint64_t* counts) {
  bool busy = false;
  for (MmaUnit& u : units_) {
    if (u.done()) continue;
    u.step(counts);
    busy = true;
  }
  return busy;
}

float MmaKernel::output(std::int64_t m, std::int64_t n) const {
  const std::size_t o = at(m, n);
  if (plan_.mode == Mode::kGroup || plan_.mode == Mode::kQServe) return facc_[o];
  return static_cast<float>(static_cast<std::int32_t>(acc_[o]));  // golden: one RNE conversion
}

// ---------------------------------------------------------------------------------------------
// The cycle-stepped unit

void MmaUnit::load(MmaKernel* k, const Tile* t, const std::vector<Issue>* issues, std::int64_t m0,
                   std::int64_t n0, std::int64_t mt, std::int64_t nt) {
  k_ = k;
  t_ = t;
  issues_ = issues;
  m0_ = m0, n0_ = n0, mt_ = mt, nt_ = nt;
  phase_ = issues->empty() ? Phase::kDrain : Phase::kIssue;
  issue_ = 0;
  cycle_ = 0;
  written_row_ = -1;
  partial_.assign(static_cast<std::size_t>(mt * nt), 0);
  for (std::int64_t m = 0; m < mt; ++m)
    for (std::int64_t n = 0; n < nt; ++n) k_->start_output(*t, m0 + m, n0 + n);
}

void MmaUnit::step(std::uint64_t* counts) {
  const Plan& plan = k_->plan_;
  written_row_ = -1;
  switch (phase_) {
    case Phase::kIssue: {
      const Issue& is = (*issues_)[issue_];
      if (cycle_ == 0) {
        counts[plan.mode == Mode::kBitPlane ? kMmaB1 : kMmaInt4] +=
            is.pass < 0 ? plan.passes.size() : 1;
        if (plan.mode == Mode::kQServe && is.pass <= 0)
          counts[kDequant] += static_cast<std::uint64_t>(nt_ * (is.ke - is.kb));
      }
      // This cycle's k-slice of the fragment (a fused INT8 MMA spreads its K over all its cycles).
      const std::int64_t span = (k_->frag_.k + is.cycles - 1) / is.cycles;
      const std::int64_t lo = is.kb + cycle_ * span, hi = std::min(is.ke, lo + span);
      if (lo < hi) {
        for (std::int64_t m = 0; m < mt_; ++m)
          for (std::int64_t n = 0; n < nt_; ++n)
            partial_[static_cast<std::size_t>(m * nt_ + n)] +=
                k_->slice(is, m0_ + m, n0_ + n, lo, hi, counts);
      }
      if (++cycle_ < is.cycles) break;
      // Last cycle of the issue: the accumulator add (and, at a group's end, the FP32 epilogue).
      const int shift = is.pass < 0 ? 0 : plan.passes[static_cast<std::size_t>(is.pass)].shift;
      for (std::int64_t m = 0; m < mt_; ++m) {
        for (std::int64_t n = 0; n < nt_; ++n) {
          auto& p = partial_[static_cast<std::size_t>(m * nt_ + n)];
          if (plan.fused) {
            ++counts[kAccAdd];
          } else {
            k_->acc_add(m0_ + m, n0_ + n, p, shift, counts);
          }
          p = 0;
          if (is.ends_group) {
            k_->group_epilogue(is, m0_ + m, n0_ + n);
            ++counts[kEpilogue];
          }
        }
      }
      cycle_ = 0;
      if (++issue_ == issues_->size()) phase_ = Phase::kDrain;
      break;
    }
    case Phase::kDrain:
      if (++cycle_ >= k_->frag_.latency + plan.extra_latency()) {
        phase_ = Phase::kWriteback;
        cycle_ = 0;
      }
      break;
    case Phase::kWriteback: {
      // One fragment row leaves per cycle (the QServe epilogue converts it on the way out).
      if (cycle_ < mt_) {
        written_row_ = cycle_;
        for (std::int64_t n = 0; n < nt_; ++n) {
          k_->finish_output(*t_, m0_ + cycle_, n0_ + n);
          if (plan.mode == Mode::kQServe && t_->k0 + t_->kt == k_->k_) ++counts[kEpilogue];
        }
      }
      if (++cycle_ >= k_->frag_.m) phase_ = Phase::kDone;
      break;
    }
    case Phase::kDone:
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// The PE type

namespace {

num::FormatSpec spec_of(const num::QuantizedRow& row) {
  num::FormatSpec s{row.format, {}};
  if (const num::FormatInfo* info = num::builtin_formats().find(row.format)) {
    if (info->layout == num::Layout::kBlock) s.options.block = row.block;
    if (info->layout == num::Layout::kGroup) s.options.group = row.block;
  }
  return s;
}

class Int4Tc final : public PeType {
 public:
  Int4Tc(Fragment f, Variant v) : frag_(f), variant_(v) {}
  std::string_view name() const override { return "int4_tc"; }
  std::optional<std::string> unsupported(const PeFormats& f) const override {
    std::string why;
    if (!plan_for(f, variant_, &why)) return why;
    return std::nullopt;
  }
  PeTiming timing(const PeFormats& f) const override {
    const Plan p = plan(f);
    return PeTiming{frag_.m * frag_.n * frag_.k,
                    frag_.cycles_per_mma * static_cast<int>(p.passes.size()),
                    frag_.latency + p.extra_latency()};
  }

  PeCost cost(const PeFormats& f, const cost::Tech& t) const override {
    const Plan p = plan(f);
    const int fm = frag_.m, fn = frag_.n, fk = frag_.k, outs = fm * fn, macs = outs * fk;
    // A 4x4 product is 8 bits (9 with u4 x u4 sign); the tree grows by log2(frag_k).
    const int tree = 9 + static_cast<int>(std::ceil(std::log2(std::max(fk, 2))));
    const double reg = cost::register_pj_per_bit(t);
    PeCost c;
    c.actions.resize(kActionCount);
    c.actions[kMmaInt4] = {
        "mma_int4",
        macs * cost::int_mult_pj(4, 4, t) + outs * (fk - 1) * cost::int_add_pj(tree, t) +
            (fm + fn) * fk * 4 * reg,
        fmt::format("{} x int_mult(4x4) + {} x int_add({}) (adder trees) + reg({})", macs,
                    outs * (fk - 1), tree, (fm + fn) * fk * 4)};
    // XOR of two bits costs about a 1-bit add; the 2^(i+j) weight is wiring into the acc add.
    c.actions[kMmaB1] = {
        "mma_b1",
        outs * (fk * cost::int_add_pj(1, t) + cost::popcount_pj(fk, t)) + (fm + fn) * fk * reg,
        fmt::format("{} x (XOR({}) as int_add(1) + popcount({})) + reg({})", outs, fk, fk,
                    (fm + fn) * fk)};
    c.actions[kAccAdd] = {"acc_add", cost::int_add_pj(32, t) + 32 * reg, "int_add(32) + reg(32)"};
    if (p.mode == Mode::kQServe) {
      c.actions[kEpilogue] = {
          "epilogue",
          cost::shifter_pj(32, 32, t) + cost::fp_mult_pj(24, 8, t) + cost::int_add_pj(11, t) +
              16 * reg,
          "shifter(32, 32) (I2F) + fp_mult(fp32) (x s1) + int_add(11) (F2H round) + reg(16)"};
    } else {
      c.actions[kEpilogue] = {"epilogue",
                              cost::shifter_pj(32, 32, t) + cost::fp_mult_pj(24, 8, t) +
                                  cost::fp_add_pj(24, 8, t) + 32 * reg,
                              "shifter(32, 32) (I2F) + fp_mult(fp32) + fp_add(fp32) + reg(32)"};
    }
    // QServe dequant per weight: its byte lane of the 32-bit q * s2 multiply and of __vadd4.
    c.actions[kDequant] = {"dequant", cost::int_mult_pj(4, 8, t) + cost::int_add_pj(8, t) + 8 * reg,
                           "int_mult(4x8) + int_add(8) (byte lanes of q*s2 and __vadd4) + reg(8)"};
    c.actions[kAccWrap] = {"acc_wrap", 0.0, "counter only (no extra datapath)"};

    // One MMA unit holds every datapath whatever the pair: the INT4 multiplier array with its
    // adder trees, the 1-bit XOR/popcount array, the INT32 accumulators, the operand fragment
    // registers, frag_n FP32 epilogue lanes (one fragment row per write-back cycle) with FP32
    // accumulators, and byte-wise dequant lanes for one weight fragment per MMA.
    const int dq_lanes = std::max(1, fn * fk / std::max(1, frag_.cycles_per_mma));
    const double r_um2 = cost::register_um2_per_bit(t);
    c.area_um2 = macs * cost::int_mult_um2(4, 4, t) + outs * (fk - 1) * cost::int_add_um2(tree, t) +
                 outs * (fk * cost::int_add_um2(1, t) + cost::popcount_um2(fk, t)) +
                 outs * (cost::int_add_um2(32, t) + 32 * r_um2) + (fm + fn) * fk * 4 * r_um2 +
                 fn * (cost::shifter_um2(32, 32, t) + cost::fp_mult_um2(24, 8, t) +
                       cost::fp_add_um2(24, 8, t)) +
                 outs * 32 * r_um2 +
                 dq_lanes * (cost::int_mult_um2(4, 8, t) + cost::int_add_um2(8, t));
    c.area_parts = fmt::format(
        "per MMA unit: {} x int_mult(4x4) + {} x int_add({}) trees; {} x (XOR({}) + popcount({})); "
        "{} x (int_add(32) + reg(32)) accumulators; reg({}) operands; {} x (shifter(32,32) + "
        "fp_mult(fp32) + fp_add(fp32)) epilogue lanes + reg({}) FP32 accumulators; {} x "
        "(int_mult(4x8) + int_add(8)) dequant lanes",
        macs, outs * (fk - 1), tree, outs, fk, fk, outs, (fm + fn) * fk * 4, fn, outs * 32,
        dq_lanes);
    // A synthesized row (rtl/pe/int4_tc/synth.list) exists for a few small fragments, one mode
    // each: where this configuration matches one exactly, the unit is that mode-specialized RTL.
    // The default 16x8x64 fragment does not synthesize within the time budget, so it stays on
    // parts.
    const std::string pair = f.a.name + "x" + f.w.name;
    const std::string config =
        p.mode == Mode::kInt
            ? fmt::format("int4_tc/frag={}x{}x{}/cpm={}/{}/{}", fm, fn, fk, frag_.cycles_per_mma,
                          pair, variant_ == Variant::kQServe ? "qserve" : "hilo")
            : fmt::format("int4_tc/frag={}x{}x{}/cpm={}/{}", fm, fn, fk, frag_.cycles_per_mma,
                          pair);
    if (const double synth = cost::synthesized_area_um2(config, t); synth > 0) {
      c.area_um2 = synth;
      c.area_parts = fmt::format(
          "synthesized {} (this mode's datapath only): rtl/pe/int4_tc/int4_tc_mma.sv (Yosys, "
          "rtl/synth/area45.lib)",
          config);
    }
    c.leakage_mw = cost::logic_leakage_mw_per_mm2(t) * c.area_um2 * 1e-6;
    return c;
  }

  float dot(const num::QuantizedRow& a, const num::QuantizedRow& w,
            ActionCounts& counts) const override {
    MPSIM_CHECK(a.values.size() == w.values.size(), "int4_tc dot: length mismatch");
    MmaKernel k(plan(PeFormats{spec_of(a), spec_of(w)}), frag_, 1, 1);
    const auto len = static_cast<std::int64_t>(a.values.size());
    k.begin(std::span(&a, 1), std::span(&w, 1), 1, 1, len, true);
    counts.resize(kActionCount, 0);
    if (len == 0) return 0.0f;
    const TileRun r = k.run_tile(Tile{0, 0, 0, 1, 1, len, true}, TileMode::kIssue);
    for (std::size_t i = 0; i < kActionCount; ++i) counts[i] += r.actions[i];
    return k.output(0, 0);
  }

  std::vector<PeFormats> example_formats() const override {
    auto p = [](const char* a, const char* w) {
      return PeFormats{num::FormatSpec::parse(a), num::FormatSpec::parse(w)};
    };
    return {p("int4", "int4"),
            p("int8", "int4"),
            p("int8", "int8"),
            p("int8", "qserve_w4a8"),
            p("bfp12", "bfp12"),
            p("bipolar_int6", "bipolar_int6"),
            p("bipolar_int8", "bipolar_int3")};
  }

  std::unique_ptr<GemmKernel> kernel(const PeFormats& f, int rows, int cols,
                                     Dataflow) const override {
    // Not a systolic array: units own output fragments and stream K, whatever the dataflow.
    return std::make_unique<MmaKernel>(plan(f), frag_, rows, cols);
  }

 private:
  Plan plan(const PeFormats& f) const {
    std::string why;
    auto p = plan_for(f, variant_, &why);
    MPSIM_CHECK(p.has_value(), "int4_tc: unsupported pair reached the PE: " + why);
    return *p;
  }
  Fragment frag_;
  Variant variant_;
};

std::unique_ptr<PeType> make(const PeParams& p) {
  Fragment f;
  f.m = static_cast<int>(p.get("frag_m", 16));
  f.n = static_cast<int>(p.get("frag_n", 8));
  f.k = static_cast<int>(p.get("frag_k", 64));
  f.cycles_per_mma = static_cast<int>(p.get("cycles_per_mma", 2));
  f.latency = static_cast<int>(p.get("latency", 4));
  return std::make_unique<Int4Tc>(f, parse_variant(p.get("variant", std::string("qserve"))));
}

}  // namespace
}  // namespace mpsim::sim::int4_tc

MPSIM_DEFINE_PE_TYPE(
    int4_tc,
    "tensor-core-like MMA units: INT4 fragments into INT32 (wrap); INT8 as fused INT8 MMAs or "
    "hi/lo nibble passes, QServe W4A8, group-scaled W4A4 (FP32 epilogue), arbitrary precision by "
    "bipolar bit planes (XOR/popcount)",
    (std::vector<mpsim::sim::PeParamInfo>{
        {"frag_m", true, 16, 1, 256, "", {}, "fragment rows (M) per MMA"},
        {"frag_n", true, 8, 1, 256, "", {}, "fragment columns (N) per MMA"},
        {"frag_k", true, 64, 1, 1024, "", {}, "fragment depth (K elements) per MMA"},
        {"cycles_per_mma", true, 2, 1, 64, "", {}, "cycles between MMA issues of one unit"},
        {"latency", true, 4, 1, 64, "", {}, "accumulator pipeline cycles after the last MMA"},
        {"variant",
         false,
         0,
         0,
         0,
         "qserve",
         {"qserve", "hilo"},
         "8-bit operands: fused INT8 MMAs (qserve) or INT4 passes on 16*hi + lo (hilo)"}}),
    mpsim::sim::int4_tc::make)
