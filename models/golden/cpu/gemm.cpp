// DESCRIPTION: The golden GEMM: picks the semantics of a format pair (block-exact, integer or FP32
// FMA chain), validates the accumulator, and runs the fastest path that is provably identical to
// the definition (oneDNN, the VNNI kernels, or the generic loops). See docs/golden.md.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/golden/gemm.h"

#include <fmt/format.h>
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>

#include "gemm_kernels.h"
#include "mpsim/base/error.h"
#include "mpsim/numerics/block_dot.h"

namespace mpsim::golden {

namespace {

using num::int128_t;
using I64 = std::int64_t;

[[noreturn]] void config_error(std::string field, std::string message) {
  throw ConfigError(Diagnostic{"", std::move(field), std::move(message)});
}

bool is_scalar_integer(const std::string& name) {
  const num::FormatInfo* info = num::builtin_formats().find(name);
  if (info == nullptr || info->layout != num::Layout::kScalar) return false;
  return name.starts_with("int") || name.starts_with("uint") || name.starts_with("bipolar_int");
}

int block_size(const num::FormatSpec& f) {
  const num::FormatInfo* info = num::builtin_formats().find(f.name);
  if (info == nullptr) config_error("format", fmt::format("unknown format '{}'", f.name));
  return num::builtin_formats().resolve(*info, f.options).size;
}

bool block_exact_applies(const QuantMatrix& qa, const QuantMatrix& qb) {
  return num::block_element(qa.format.name) && num::block_element(qb.format.name) &&
         block_size(qa.format) == block_size(qb.format);
}

GemmSemantics resolve_semantics(const QuantMatrix& qa, const QuantMatrix& qb, GemmSemantics want) {
  const bool block = block_exact_applies(qa, qb);
  const bool integer = is_scalar_integer(qa.format.name) && is_scalar_integer(qb.format.name);
  if (want == GemmSemantics::kAuto) {
    if (block) return GemmSemantics::kBlockExact;
    if (integer) return GemmSemantics::kInteger;
    return GemmSemantics::kFp32Fma;
  }
  if ((want == GemmSemantics::kBlockExact && !block) ||
      (want == GemmSemantics::kInteger && !integer))
    config_error("semantics", fmt::format("{} does not apply to {} x {} (block_exact needs two "
                                          "MX/BFP formats with equal blocks, integer two scalar "
                                          "integer formats)",
                                          semantics_name(want), qa.format.str(), qb.format.str()));
  return want;
}

void check_shapes(const QuantMatrix& qa, const QuantMatrix& qb) {
  if (qa.cols != qb.rows)
    config_error("shape",
                 fmt::format("A is {}x{} but B is {}x{}", qa.rows, qa.cols, qb.rows, qb.cols));
  MPSIM_CHECK(qa.lines.size() == static_cast<std::size_t>(qa.rows) &&
                  qb.lines.size() == static_cast<std::size_t>(qb.cols),
              "QuantMatrix line count (A by rows, B by columns)");
  for (const auto& l : qa.lines)
    MPSIM_CHECK(l.values.size() == static_cast<std::size_t>(qa.cols), "A line length");
  for (const auto& l : qb.lines)
    MPSIM_CHECK(l.values.size() == static_cast<std::size_t>(qb.rows), "B line length");
}

// ---------------------------------------------------------------------------------------------
// kFp32Fma: acc = fmaf(a_k, b_k, acc), k ascending from +0.0f. One rounding per MAC, as an FP32
// FMA pipeline (or CUDA's __fmaf_rn). Vectorized over n: each lane is its own chain.

__attribute__((target("avx2,fma"))) void fma_row_avx2(float a, const float* b, float* c, I64 n) {
  const __m256 av = _mm256_set1_ps(a);
  I64 j = 0;
  for (; j + 8 <= n; j += 8)
    _mm256_storeu_ps(c + j, _mm256_fmadd_ps(av, _mm256_loadu_ps(b + j), _mm256_loadu_ps(c + j)));
  for (; j < n; ++j) c[j] = __builtin_fmaf(a, b[j], c[j]);
}

void fma_row_generic(float a, const float* b, float* c, I64 n) {
  for (I64 j = 0; j < n; ++j) c[j] = std::fmaf(a, b[j], c[j]);
}

void gemm_fp32_fma(const QuantMatrix& qa, const QuantMatrix& qb, Matrix& c) {
  const I64 m = qa.rows, n = qb.cols, k = qa.cols;
  static const bool has_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  auto* row_fn = has_fma ? &fma_row_avx2 : &fma_row_generic;
  std::vector<float> bk(static_cast<std::size_t>(k * n));  // B row-major (k x n)
  for (I64 j = 0; j < n; ++j)
    for (I64 kk = 0; kk < k; ++kk)
      bk[static_cast<std::size_t>(kk * n + j)] = qb.lines[static_cast<std::size_t>(j)].values[kk];
  for (I64 i = 0; i < m; ++i) {
    float* crow = c.data.data() + i * n;  // starts at +0.0f (Matrix::zeros)
    const auto& av = qa.lines[static_cast<std::size_t>(i)].values;
    for (I64 kk = 0; kk < k; ++kk) row_fn(av[kk], bk.data() + kk * n, crow, n);
  }
}

// ---------------------------------------------------------------------------------------------
// kInteger

enum class IntAcc : std::uint8_t { kWrap32, kSat32, kWrap64 };

std::vector<std::int32_t> integer_lines(const QuantMatrix& q, I64 count, I64 len,
                                        std::int32_t& max_abs, bool& fits_s8) {
  std::vector<std::int32_t> out(static_cast<std::size_t>(count * len));
  max_abs = 0;
  fits_s8 = true;
  for (I64 l = 0; l < count; ++l)
    for (I64 e = 0; e < len; ++e) {
      // Scalar integer formats decode to integers of at most 9 bits: exact in FP32.
      const auto v = static_cast<std::int32_t>(q.lines[static_cast<std::size_t>(l)].values[e]);
      out[static_cast<std::size_t>(l * len + e)] = v;
      max_abs = std::max(max_abs, v < 0 ? -v : v);
      fits_s8 = fits_s8 && v >= -128 && v <= 127;
    }
  return out;
}

/// The float values of each line (the decoded integers of a scalar integer format).
std::vector<const float*> line_values(const QuantMatrix& q) {
  std::vector<const float*> p(q.lines.size());
  for (std::size_t l = 0; l < p.size(); ++l) p[l] = q.lines[l].values.data();
  return p;
}

/// oneDNN's s8s8s32 matmul where it is provably exact (see docs/golden.md); false if not used.
bool gemm_int8_onednn(const QuantMatrix& qa, const QuantMatrix& qb, Matrix& c) {
  const I64 m = qa.rows, n = qb.cols, k = qa.cols;
  if (qa.format.name != "int8" || qb.format.name != "int8" || !detail::onednn_s8s8s32_exact(k))
    return false;
  // k <= 2^15 and |values| <= 128: no partial sum can overflow int32, so the exact sum is the
  // result of every accumulator.
  static thread_local std::vector<std::int8_t> a8, b8;
  static thread_local std::vector<std::int32_t> c32;
  a8.resize(static_cast<std::size_t>(m * k));
  b8.resize(static_cast<std::size_t>(n * k));
  c32.resize(static_cast<std::size_t>(m * n));
  if (!detail::lines_to_s8(line_values(qa).data(), m, k, a8.data()) ||
      !detail::lines_to_s8(line_values(qb).data(), n, k, b8.data()))
    return false;
  detail::onednn_s8s8s32(a8.data(), b8.data(), m, n, k, c32.data());
  for (std::size_t i = 0; i < static_cast<std::size_t>(m * n); ++i)
    c.data[i] = static_cast<float>(c32[i]);
  return true;
}

void gemm_integer(const QuantMatrix& qa, const QuantMatrix& qb, IntAcc acc, bool use_onednn,
                  GemmResult& r) {
  const I64 m = qa.rows, n = qb.cols, k = qa.cols;
  if (m > 0 && n > 0 && k > 0) {
    if (use_onednn && gemm_int8_onednn(qa, qb, r.c)) {
      r.used_onednn = true;
      return;
    }
    // Values in s8 with k * max|a| * max|b| < 2^31: no order can overflow any accumulator.
    if (detail::int8_gemm_f32(line_values(qa).data(), line_values(qb).data(), m, n, k,
                              r.c.data.data()))
      return;
  }
  std::int32_t max_a = 0, max_b = 0;
  bool a_s8 = false, b_s8 = false;
  const auto ai = integer_lines(qa, m, k, max_a, a_s8);
  const auto bi = integer_lines(qb, n, k, max_b, b_s8);
  const bool no_overflow =
      static_cast<int128_t>(k) * max_a * max_b <= std::numeric_limits<std::int32_t>::max();
  for (I64 i = 0; i < m; ++i)
    for (I64 j = 0; j < n; ++j) {
      const std::int32_t* a = ai.data() + i * k;
      const std::int32_t* b = bi.data() + j * k;
      float& out = r.c.data[static_cast<std::size_t>(i * n + j)];
      if (no_overflow) {
        std::int32_t s = 0;
        for (I64 kk = 0; kk < k; ++kk) s += a[kk] * b[kk];
        out = static_cast<float>(s);
        continue;
      }
      // Sequential ascending-k accumulation, one overflow check per MAC (§16.6).
      switch (acc) {
        case IntAcc::kWrap32:
        case IntAcc::kSat32: {
          std::int32_t s = 0;
          for (I64 kk = 0; kk < k; ++kk) {
            const I64 t = static_cast<I64>(s) + static_cast<I64>(a[kk]) * b[kk];
            if (t < std::numeric_limits<std::int32_t>::min() ||
                t > std::numeric_limits<std::int32_t>::max()) {
              ++r.acc_overflows;
              if (acc == IntAcc::kSat32) {
                s = t < 0 ? std::numeric_limits<std::int32_t>::min()
                          : std::numeric_limits<std::int32_t>::max();
              } else {
                s = static_cast<std::int32_t>(static_cast<std::uint32_t>(t));
              }
            } else {
              s = static_cast<std::int32_t>(t);
            }
          }
          out = static_cast<float>(s);
          break;
        }
        case IntAcc::kWrap64: {
          I64 s = 0;
          for (I64 kk = 0; kk < k; ++kk) {
            const int128_t t = static_cast<int128_t>(s) + static_cast<I64>(a[kk]) * b[kk];
            if (t < std::numeric_limits<I64>::min() || t > std::numeric_limits<I64>::max())
              ++r.acc_overflows;
            s = static_cast<I64>(static_cast<std::uint64_t>(t));
          }
          out = static_cast<float>(s);  // one RNE rounding of the 64-bit integer
          break;
        }
      }
    }
}

// ---------------------------------------------------------------------------------------------
// kBlockExact

/// One operand's block elements as integers, with scale exponents and NaN flags.
struct BlockLines {
  I64 count = 0, len = 0;
  int nblocks = 0, bp = 0;
  int min_k = 0, max_k = 0;       ///< range of element integers over the format's codes
  std::vector<std::int64_t> k;    ///< count x nblocks*bp, padding 0
  std::vector<std::int32_t> exp;  ///< count x nblocks: (scale code - 127) + ulp exponent
  std::vector<std::uint8_t> bad;  ///< line has a NaN scale (0xFF) or a NaN element code
};

BlockLines block_lines(const QuantMatrix& q, bool columns, int block, int bp) {
  const num::BlockElement el = *num::block_element(q.format.name);
  const std::uint32_t ncodes = el.format.num_codes();
  std::vector<std::int64_t> value(ncodes);
  std::vector<std::uint8_t> nan(ncodes);
  BlockLines b;
  for (std::uint32_t c = 0; c < ncodes; ++c) {
    nan[c] = el.format.is_nan_code(c);
    value[c] = nan[c] ? 0 : el.integer(c);
    if (!nan[c]) {
      b.min_k = std::min<int>(b.min_k, static_cast<int>(value[c]));
      b.max_k = std::max<int>(b.max_k, static_cast<int>(value[c]));
    }
  }
  b.count = columns ? q.cols : q.rows;
  b.len = columns ? q.rows : q.cols;
  b.nblocks = static_cast<int>((b.len + block - 1) / block);
  b.bp = bp;
  const I64 lk = static_cast<I64>(b.nblocks) * bp;
  b.k.assign(static_cast<std::size_t>(b.count * lk), 0);
  b.exp.assign(static_cast<std::size_t>(b.count * b.nblocks), 0);
  b.bad.assign(static_cast<std::size_t>(b.count), 0);
  for (I64 l = 0; l < b.count; ++l) {
    const num::QuantizedRow& row = q.lines[static_cast<std::size_t>(l)];
    MPSIM_CHECK(row.scales.size() >= static_cast<std::size_t>(b.nblocks), "block scales");
    for (int blk = 0; blk < b.nblocks; ++blk) {
      const std::uint32_t s = row.scales[static_cast<std::size_t>(blk)].scale_code;
      if (s == 0xFF) b.bad[static_cast<std::size_t>(l)] = 1;
      b.exp[static_cast<std::size_t>(l * b.nblocks + blk)] =
          static_cast<std::int32_t>(s) - 127 + el.ulp_exp;
    }
    for (I64 e = 0; e < b.len; ++e) {
      const std::uint32_t c = row.codes[static_cast<std::size_t>(e)];
      MPSIM_CHECK(c < ncodes, "block element code out of range");
      if (nan[c]) b.bad[static_cast<std::size_t>(l)] = 1;
      b.k[static_cast<std::size_t>(l * lk + (e / block) * bp + e % block)] = value[c];
    }
  }
  return b;
}

/// One operand's element tables and scales for the VNNI block kernel (no per-element copies).
struct BlockSide {
  const QuantMatrix* q = nullptr;
  I64 count = 0;
  int min_k = 0, max_k = 0;  ///< range of element integers over the format's non-NaN codes
  std::vector<std::int64_t> value;
  std::vector<std::uint8_t> nan;
  std::vector<const std::uint32_t*> codes;
  std::vector<std::int32_t> exp;  ///< count x nblocks
  std::vector<std::uint8_t> bad;  ///< NaN scale here; NaN codes are added by the kernel
};

BlockSide block_side(const QuantMatrix& q, bool columns, int block) {
  const num::BlockElement el = *num::block_element(q.format.name);
  BlockSide s;
  s.q = &q;
  const std::uint32_t ncodes = el.format.num_codes();
  s.value.resize(ncodes);
  s.nan.resize(ncodes);
  for (std::uint32_t c = 0; c < ncodes; ++c) {
    s.nan[c] = el.format.is_nan_code(c);
    s.value[c] = s.nan[c] ? 0 : el.integer(c);
    if (!s.nan[c]) {
      s.min_k = std::min<int>(s.min_k, static_cast<int>(s.value[c]));
      s.max_k = std::max<int>(s.max_k, static_cast<int>(s.value[c]));
    }
  }
  s.count = columns ? q.cols : q.rows;
  const I64 len = columns ? q.rows : q.cols;
  const I64 nb = (len + block - 1) / block;
  s.codes.resize(static_cast<std::size_t>(s.count));
  s.exp.resize(static_cast<std::size_t>(s.count * nb));
  s.bad.assign(static_cast<std::size_t>(s.count), 0);
  for (I64 l = 0; l < s.count; ++l) {
    const num::QuantizedRow& row = q.lines[static_cast<std::size_t>(l)];
    MPSIM_CHECK(row.scales.size() >= static_cast<std::size_t>(nb), "block scales");
    MPSIM_CHECK(row.codes.size() >= static_cast<std::size_t>(len), "block codes");
    s.codes[static_cast<std::size_t>(l)] = row.codes.data();
    for (I64 blk = 0; blk < nb; ++blk) {
      const std::uint32_t sc = row.scales[static_cast<std::size_t>(blk)].scale_code;
      if (sc == 0xFF) s.bad[static_cast<std::size_t>(l)] = 1;
      s.exp[static_cast<std::size_t>(l * nb + blk)] =
          static_cast<std::int32_t>(sc) - 127 + el.ulp_exp;
    }
  }
  return s;
}

/// Tries the VNNI kernel with `x` as the s8 (row) operand and `y` as the digit operand; out is
/// x.count x y.count, all +0.0f. Returns false when the bounds, the codes or the CPU rule it out.
bool block_fast(BlockSide& x, BlockSide& y, int block, I64 len, float* out) {
  if (x.min_k < -128 || x.max_k > 127) return false;
  const std::int64_t span = static_cast<std::int64_t>(y.max_k) - y.min_k;
  const int digits = span < (1 << 8) ? 1 : span < (1 << 16) ? 2 : span < (1 << 24) ? 3 : 0;
  if (digits == 0) return false;
  const int128_t xm = std::max(-x.min_k, x.max_k), ym = std::max(-y.min_k, y.max_k);
  if (static_cast<int128_t>(block) * xm * ym >= (int128_t{1} << 31)) return false;
  std::vector<std::int32_t> xt(x.value.size()), yt(y.value.size());
  for (std::size_t c = 0; c < xt.size(); ++c)
    xt[c] = static_cast<std::int32_t>((x.value[c] & 0xFF) | (x.nan[c] ? 0x100 : 0));
  for (std::size_t c = 0; c < yt.size(); ++c)
    yt[c] = static_cast<std::int32_t>(static_cast<std::uint32_t>(y.value[c] - y.min_k) |
                                      (y.nan[c] ? 0x80000000u : 0u));
  detail::BlockGemmArgs g;
  g.rows = x.count;
  g.cols = y.count;
  g.len = len;
  g.block = block;
  g.nblocks = static_cast<int>((len + block - 1) / block);
  g.x_codes = x.codes.data();
  g.y_codes = y.codes.data();
  g.x_table = xt.data();
  g.y_table = yt.data();
  g.x_ncodes = static_cast<std::uint32_t>(xt.size());
  g.y_ncodes = static_cast<std::uint32_t>(yt.size());
  g.y_min = y.min_k;
  g.digits = digits;
  g.x_exp = x.exp.data();
  g.y_exp = y.exp.data();
  g.x_bad = x.bad.data();
  g.y_bad = y.bad.data();
  g.out = out;
  return detail::block_gemm_fast(g);
}

/// The VNNI route of gemm_block; false when it does not apply (c untouched).
bool gemm_block_fast(const QuantMatrix& qa, const QuantMatrix& qb, int block, Matrix& c,
                     const std::function<float(I64, I64)>& exact) {
  const I64 m = qa.rows, n = qb.cols, k = qa.cols;
  if (!detail::cpu_has_vnni512() || m == 0 || n == 0 || k == 0) return false;
  BlockSide a = block_side(qa, false, block), b = block_side(qb, true, block);
  if (!block_fast(a, b, block, k, c.data.data())) {
    // B as the s8 operand (e.g. mxfp8 x mxfp4): C^T, then transposed. The kernel may have
    // flagged NaN codes before giving up, so the sides are rebuilt.
    a = block_side(qa, false, block);
    b = block_side(qb, true, block);
    std::vector<float> t(static_cast<std::size_t>(m * n), 0.0f);
    if (!block_fast(b, a, block, k, t.data())) return false;
    for (I64 j = 0; j < n; ++j)
      for (I64 i = 0; i < m; ++i) c.at(i, j) = t[static_cast<std::size_t>(j * m + i)];
  }
  // Lines with NaN scales/codes and non-finite results (an Inf block stops block_dot early, a NaN
  // block wins over an earlier Inf) go to the definition.
  for (I64 i = 0; i < m; ++i) {
    float* row = c.data.data() + i * n;
    const bool row_bad = a.bad[static_cast<std::size_t>(i)] != 0;
    for (I64 j = 0; j < n; ++j)
      if (row_bad || b.bad[static_cast<std::size_t>(j)] || !std::isfinite(row[j]))
        row[j] = exact(i, j);
  }
  return true;
}

/// Generic RNE path: exact block sums in __int128; S * 2^e rounded once through double when
/// |S| < 2^53 (exact in double); returns false where block_dot itself must decide.
bool block_scalar(const BlockLines& a, const BlockLines& b, I64 i, I64 j, float& out) {
  const I64 lk = static_cast<I64>(a.nblocks) * a.bp;
  const std::int64_t* ka = a.k.data() + i * lk;
  const std::int64_t* kb = b.k.data() + j * lk;
  float acc = 0.0f;
  for (int blk = 0; blk < a.nblocks; ++blk) {
    int128_t s = 0;
    for (int e = 0; e < a.bp; ++e)
      s += static_cast<int128_t>(ka[blk * a.bp + e]) * kb[blk * a.bp + e];
    if (s >= (int128_t{1} << 53) || s <= -(int128_t{1} << 53)) return false;
    const int e = a.exp[static_cast<std::size_t>(i * a.nblocks + blk)] +
                  b.exp[static_cast<std::size_t>(j * b.nblocks + blk)];
    acc += static_cast<float>(std::ldexp(static_cast<double>(static_cast<std::int64_t>(s)), e));
  }
  out = acc;
  return std::isfinite(acc);
}

void gemm_block(const QuantMatrix& qa, const QuantMatrix& qb, num::Rounding rounding, Matrix& c) {
  const I64 m = qa.rows, n = qb.cols;
  auto exact = [&](I64 i, I64 j) {
    return num::block_dot(qa.lines[static_cast<std::size_t>(i)],
                          qb.lines[static_cast<std::size_t>(j)], rounding);
  };
  if (rounding != num::Rounding::kNearestEven) {
    // Directed accumulator roundings: only the definition itself.
    for (I64 i = 0; i < m; ++i)
      for (I64 j = 0; j < n; ++j) c.at(i, j) = exact(i, j);
    return;
  }
  const int block = block_size(qa.format);
  if (gemm_block_fast(qa, qb, block, c, exact)) return;
  const int bp = (block + 3) / 4 * 4;
  const BlockLines a = block_lines(qa, false, block, bp);
  const BlockLines b = block_lines(qb, true, block, bp);
  for (I64 i = 0; i < m; ++i)
    for (I64 j = 0; j < n; ++j) {
      float& dst = c.at(i, j);
      // Lines with NaN scales/codes and blocks beyond double's exact range go to the definition.
      const bool bad = a.bad[static_cast<std::size_t>(i)] || b.bad[static_cast<std::size_t>(j)];
      if (bad || !block_scalar(a, b, i, j, dst)) dst = exact(i, j);
    }
}

}  // namespace

const char* semantics_name(GemmSemantics s) {
  switch (s) {
    case GemmSemantics::kAuto:
      return "auto";
    case GemmSemantics::kBlockExact:
      return "block_exact";
    case GemmSemantics::kInteger:
      return "integer";
    case GemmSemantics::kFp32Fma:
      return "fp32_fma";
  }
  return "?";
}

GemmResult gemm_quantized(const QuantMatrix& qa, const QuantMatrix& qb, const GemmOptions& o) {
  check_shapes(qa, qb);
  GemmResult r;
  r.semantics = resolve_semantics(qa, qb, o.semantics);
  const std::string& acc = o.acc;
  if (acc != "auto" && acc != "fp32" && acc != "int32" && acc != "int32_sat" && acc != "int64")
    config_error("acc", fmt::format("unknown accumulator '{}' (auto, fp32, int32, int32_sat, "
                                    "int64)",
                                    acc));
  const bool int_acc = acc == "int32" || acc == "int32_sat" || acc == "int64";
  if (r.semantics == GemmSemantics::kInteger) {
    if (acc == "fp32")
      config_error("acc", "integer GEMMs accumulate in int32, int32_sat or int64, not fp32");
    if (o.acc_rounding != num::Rounding::kNearestEven)
      config_error("acc_rounding",
                   "integer GEMMs are exact; only rne (the final int->fp32 "
                   "conversion) applies");
    r.acc = acc == "auto" ? "int32" : acc;
  } else {
    if (int_acc)
      config_error("acc",
                   fmt::format("{} accumulates in fp32, not {}", semantics_name(r.semantics), acc));
    if (r.semantics == GemmSemantics::kFp32Fma && o.acc_rounding != num::Rounding::kNearestEven)
      config_error("acc_rounding", "the fp32 FMA chain rounds to nearest even only");
    r.acc = "fp32";
  }
  r.c = Matrix::zeros(qa.rows, qb.cols);
  switch (r.semantics) {
    case GemmSemantics::kBlockExact:
      gemm_block(qa, qb, o.acc_rounding, r.c);
      break;
    case GemmSemantics::kInteger:
      gemm_integer(qa, qb,
                   r.acc == "int32"       ? IntAcc::kWrap32
                   : r.acc == "int32_sat" ? IntAcc::kSat32
                                          : IntAcc::kWrap64,
                   o.use_onednn, r);
      break;
    default:
      gemm_fp32_fma(qa, qb, r.c);
      break;
  }
  return r;
}

GemmResult gemm(const Matrix& a, const Matrix& b, const GemmOptions& o) {
  if (a.cols != b.rows)
    config_error("shape", fmt::format("A is {}x{} but B is {}x{}", a.rows, a.cols, b.rows, b.cols));
  return gemm_quantized(quantize_rows(a, o.a_format), quantize_cols(b, o.b_format), o);
}

std::vector<double> gemm_reference_f64(const Matrix& a, const Matrix& b) {
  MPSIM_CHECK(a.cols == b.rows, "gemm_reference_f64: inner dimensions differ");
  std::vector<double> c(static_cast<std::size_t>(a.rows * b.cols), 0.0);
  for (I64 i = 0; i < a.rows; ++i)
    for (I64 kk = 0; kk < a.cols; ++kk) {
      const double av = a.at(i, kk);
      for (I64 j = 0; j < b.cols; ++j)
        c[static_cast<std::size_t>(i * b.cols + j)] += av * static_cast<double>(b.at(kk, j));
    }
  return c;
}

}  // namespace mpsim::golden
