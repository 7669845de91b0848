// DESCRIPTION: Golden multi-head/GQA attention with per-operand formats, SageAttention2 and
// quantized-KV-cache configurations, channel reordering, and the FP64 reference.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/golden/attention.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "mpsim/base/error.h"
#include "mpsim/golden/gemm.h"

namespace mpsim::golden {
namespace {

[[noreturn]] void fail(const std::string& field, const std::string& msg) {
  throw ConfigError(Diagnostic{"", field, msg});
}

Matrix make(std::int64_t rows, std::int64_t cols) {
  Matrix m;
  m.rows = rows;
  m.cols = cols;
  m.data.assign(static_cast<std::size_t>(rows * cols), 0.0f);
  return m;
}

// Columns [col0 + order[c]] of x, c = 0..order.size()-1.
Matrix take_cols(const Matrix& x, std::int64_t col0, const std::vector<int>& order) {
  const auto d = static_cast<std::int64_t>(order.size());
  Matrix y = make(x.rows, d);
  for (std::int64_t i = 0; i < x.rows; ++i)
    for (std::int64_t c = 0; c < d; ++c)
      y.at(i, c) = x.at(i, col0 + order[static_cast<std::size_t>(c)]);
  return y;
}

Matrix transpose(const Matrix& x) {
  Matrix y = make(x.cols, x.rows);
  for (std::int64_t i = 0; i < x.rows; ++i)
    for (std::int64_t j = 0; j < x.cols; ++j) y.at(j, i) = x.at(i, j);
  return y;
}

float derived_qmax(const OperandQuant& o, const char* field) {
  if (o.qmax > 0) return o.qmax;
  const std::string& n = o.format.name;
  if (n.rfind("uint", 0) == 0 && n.size() <= 5)
    return static_cast<float>((1 << std::stoi(n.substr(4))) - 1);
  if (n.rfind("int", 0) == 0 && n.size() <= 4)
    return static_cast<float>((1 << (std::stoi(n.substr(3)) - 1)) - 1);
  if (n == "fp8_e4m3") return 448.0f;
  if (n == "fp8_e5m2") return 57344.0f;
  if (n == "fp6_e3m2") return 28.0f;
  if (n == "fp6_e2m3") return 7.5f;
  if (n == "fp4_e2m1") return 6.0f;
  if (n == "fp16") return 65504.0f;
  if (n == "bf16") return 3.3895313892515355e38f;
  if (n == "fp32") return 1.0f;
  fail(std::string(field) + ".qmax",
       "format '" + n + "' needs an explicit qmax for its outer scale");
}

// An operand's outer scales: per row (kPerToken), per column (kPerChannel), or none/fixed.
struct Outer {
  OuterScale kind = OuterScale::kNone;
  std::vector<float> s;  // per row or per column
  float fixed = 1;
};

float sage_scale(float amax, float qmax) { return amax / qmax + 1e-7f; }

// Applies o's outer scale to x in place and returns it (the stored domain is x / s or x * m).
Outer apply_outer(Matrix& x, const OperandQuant& o, const char* field) {
  Outer r;
  r.kind = o.outer;
  if (o.outer == OuterScale::kFixed) {
    if (!(o.fixed > 0) || !std::isfinite(o.fixed))
      fail(std::string(field) + ".fixed", "must be positive");
    r.fixed = o.fixed;
    for (float& e : x.data) e = e * o.fixed;
  } else if (o.outer == OuterScale::kPerToken) {
    const float qmax = derived_qmax(o, field);
    r.s.resize(static_cast<std::size_t>(x.rows));
    for (std::int64_t i = 0; i < x.rows; ++i) {
      float amax = 0.0f;
      for (std::int64_t j = 0; j < x.cols; ++j) amax = std::max(amax, std::fabs(x.at(i, j)));
      const float s = sage_scale(amax, qmax);
      r.s[static_cast<std::size_t>(i)] = s;
      for (std::int64_t j = 0; j < x.cols; ++j) x.at(i, j) = x.at(i, j) / s;
    }
  } else if (o.outer == OuterScale::kPerChannel) {
    const float qmax = derived_qmax(o, field);
    r.s.resize(static_cast<std::size_t>(x.cols));
    for (std::int64_t j = 0; j < x.cols; ++j) {
      float amax = 0.0f;
      for (std::int64_t i = 0; i < x.rows; ++i) amax = std::max(amax, std::fabs(x.at(i, j)));
      r.s[static_cast<std::size_t>(j)] = sage_scale(amax, qmax);
    }
    for (std::int64_t i = 0; i < x.rows; ++i)
      for (std::int64_t j = 0; j < x.cols; ++j)
        x.at(i, j) = x.at(i, j) / r.s[static_cast<std::size_t>(j)];
  }
  return r;
}

// Dequantization factor of an outer scale for row i / column j, applied to v.
float undo_row(float v, const Outer& o, std::int64_t i) {
  if (o.kind == OuterScale::kPerToken) return v * o.s[static_cast<std::size_t>(i)];
  if (o.kind == OuterScale::kFixed) return v / o.fixed;
  return v;
}
float undo_col(float v, const Outer& o, std::int64_t j) {
  if (o.kind == OuterScale::kPerChannel || o.kind == OuterScale::kPerToken)
    return v * o.s[static_cast<std::size_t>(j)];
  if (o.kind == OuterScale::kFixed) return v / o.fixed;
  return v;
}

void check_outer(const OperandQuant& o, const char* field, std::initializer_list<OuterScale> ok) {
  if (std::find(ok.begin(), ok.end(), o.outer) == ok.end())
    fail(std::string(field) + ".outer",
         "this outer scale is not allowed here (it would scale the contraction dimension)");
}

bool is_scalar_format(const num::FormatSpec& f) {
  const num::FormatInfo* info = num::builtin_formats().find(f.name);
  return info != nullptr && info->layout == num::Layout::kScalar;
}

struct KvHead {
  Matrix kt;  // head_dim x seq_kv, stored domain (K^T after smoothing, reordering, outer scale)
  Outer k_outer;
  Matrix v;  // seq_kv x head_dim, quantized storage (dequantized values in the stored domain)
  Outer v_outer;
  std::vector<int> k_order, v_order;
};

}  // namespace

std::vector<int> channel_order_by_magnitude(const Matrix& x, std::int64_t col0,
                                            std::int64_t ncols) {
  std::vector<float> mag(static_cast<std::size_t>(ncols), 0.0f);
  for (std::int64_t i = 0; i < x.rows; ++i)
    for (std::int64_t c = 0; c < ncols; ++c)
      mag[static_cast<std::size_t>(c)] =
          std::max(mag[static_cast<std::size_t>(c)], std::fabs(x.at(i, col0 + c)));
  std::vector<int> order(static_cast<std::size_t>(ncols));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return mag[static_cast<std::size_t>(a)] > mag[static_cast<std::size_t>(b)];
  });
  return order;
}

AttentionResult attention(const Matrix& q, const Matrix& k, const Matrix& v,
                          const AttentionConfig& c) {
  if (c.heads < 1 || c.kv_heads < 1 || c.heads % c.kv_heads != 0)
    fail("attention.heads", "heads and kv_heads must be >= 1 and kv_heads must divide heads");
  if (q.cols % c.heads != 0) fail("attention.q", "Q columns are not a multiple of heads");
  const std::int64_t d = q.cols / c.heads;
  if (k.cols != c.kv_heads * d || v.cols != c.kv_heads * d || k.rows != v.rows)
    fail("attention.kv", "K and V must be seq_kv x (kv_heads * head_dim) with Q's head_dim");
  check_outer(c.q, "attention.q", {OuterScale::kNone, OuterScale::kPerToken, OuterScale::kFixed});
  check_outer(c.k, "attention.k", {OuterScale::kNone, OuterScale::kPerToken, OuterScale::kFixed});
  check_outer(c.v, "attention.v", {OuterScale::kNone, OuterScale::kPerChannel, OuterScale::kFixed});
  check_outer(c.p, "attention.p", {OuterScale::kNone, OuterScale::kPerToken, OuterScale::kFixed});
  const float scale = c.softmax_scale > 0
                          ? c.softmax_scale
                          : static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
  const std::int64_t n_kv = k.rows, n_q = q.rows;
  const int group = c.heads / c.kv_heads;

  std::vector<int> identity(static_cast<std::size_t>(d));
  std::iota(identity.begin(), identity.end(), 0);
  // "fp32" is the unquantized GEMM input (golden::gemm's default), not a registered format.
  const bool v_fp32 = c.v.format.name == "fp32";
  const auto v_quantizer = v_fp32 ? nullptr : c.v.format.make_quantizer();
  const num::FormatSpec v_gemm_format =
      is_scalar_format(c.v.format) ? c.v.format : num::FormatSpec::parse("fp32");

  AttentionResult res;
  std::vector<KvHead> kvh(static_cast<std::size_t>(c.kv_heads));
  for (int g = 0; g < c.kv_heads; ++g) {
    KvHead& h = kvh[static_cast<std::size_t>(g)];
    Matrix kg = take_cols(k, g * d, identity);
    if (c.smooth_k) {
      for (std::int64_t ch = 0; ch < d; ++ch) {
        float sum = 0.0f;
        for (std::int64_t t = 0; t < n_kv; ++t) sum += kg.at(t, ch);
        const float mean = sum / static_cast<float>(n_kv);
        for (std::int64_t t = 0; t < n_kv; ++t) kg.at(t, ch) = kg.at(t, ch) - mean;
      }
    }
    h.k_order = c.reorder_channels ? channel_order_by_magnitude(kg, 0, d) : identity;
    h.v_order = c.reorder_channels ? channel_order_by_magnitude(v, g * d, d) : identity;
    kg = take_cols(kg, 0, h.k_order);
    h.k_outer = apply_outer(kg, c.k, "attention.k");
    h.kt = transpose(kg);
    Matrix vg = take_cols(v, g * d, h.v_order);
    h.v_outer = apply_outer(vg, c.v, "attention.v");
    // The KV cache holds V per token along head_dim, whatever the PV GEMM's contraction is.
    num::QuantizedRow row;
    for (std::int64_t t = 0; !v_fp32 && t < n_kv; ++t) {
      const std::size_t off = static_cast<std::size_t>(t * d);
      v_quantizer->quantize_into(
          std::span<const float>(vg.data.data() + off, static_cast<std::size_t>(d)), row);
      std::copy(row.values.begin(), row.values.end(),
                vg.data.begin() + static_cast<std::ptrdiff_t>(off));
    }
    h.v = std::move(vg);
    res.k_order.push_back(h.k_order);
    res.v_order.push_back(h.v_order);
  }

  res.out = make(n_q, q.cols);
  GemmOptions qk;
  qk.a_format = c.q.format;
  qk.b_format = c.k.format;
  qk.acc = c.qk_acc;
  GemmOptions pv;
  pv.a_format = c.p.format;
  pv.b_format = v_gemm_format;
  pv.acc = c.pv_acc;
  for (int hq = 0; hq < c.heads; ++hq) {
    const KvHead& h = kvh[static_cast<std::size_t>(hq / group)];
    Matrix qh = take_cols(q, hq * d, h.k_order);  // Q K^T is invariant under a shared permutation
    const Outer q_outer = apply_outer(qh, c.q, "attention.q");
    Matrix s = gemm(qh, h.kt, qk).c;
    for (std::int64_t i = 0; i < n_q; ++i)
      for (std::int64_t j = 0; j < n_kv; ++j)
        s.at(i, j) = undo_col(undo_row(s.at(i, j), q_outer, i), h.k_outer, j) * scale;
    std::vector<float> l;
    Matrix p;
    if (c.p_unnormalized) {
      p = make(n_q, n_kv);
      l.assign(static_cast<std::size_t>(n_q), 0.0f);
      for (std::int64_t i = 0; i < n_q; ++i) {
        float m = -std::numeric_limits<float>::infinity();
        for (std::int64_t j = 0; j < n_kv; ++j) m = std::max(m, s.at(i, j));
        float sum = 0.0f;
        for (std::int64_t j = 0; j < n_kv; ++j) {
          p.at(i, j) = std::exp(s.at(i, j) - m);
          sum += p.at(i, j);
        }
        l[static_cast<std::size_t>(i)] = sum;
      }
    } else {
      p = softmax(s, c.softmax);
    }
    if (c.keep_scores) res.scores.push_back(std::move(s));
    const Outer p_outer = apply_outer(p, c.p, "attention.p");
    const Matrix o = gemm(p, h.v, pv).c;
    for (std::int64_t i = 0; i < n_q; ++i)
      for (std::int64_t j = 0; j < d; ++j) {
        float val = undo_col(undo_row(o.at(i, j), p_outer, i), h.v_outer, j);
        if (c.p_unnormalized) val = val / l[static_cast<std::size_t>(i)];
        res.out.at(i, hq * d + h.v_order[static_cast<std::size_t>(j)]) = val;
      }
  }
  const std::vector<double> ref = attention_reference_f64(q, k, v, c.heads, c.kv_heads, scale);
  res.error = error_stats(ref, res.out.data);
  return res;
}

std::vector<double> attention_reference_f64(const Matrix& q, const Matrix& k, const Matrix& v,
                                            int heads, int kv_heads, double softmax_scale) {
  if (heads < 1 || kv_heads < 1 || heads % kv_heads != 0 || q.cols % heads != 0)
    fail("attention.heads", "bad head counts for the reference");
  const std::int64_t d = q.cols / heads, n_q = q.rows, n_kv = k.rows;
  const int group = heads / kv_heads;
  std::vector<double> out(static_cast<std::size_t>(n_q * q.cols), 0.0);
  std::vector<double> s(static_cast<std::size_t>(n_kv));
  for (int h = 0; h < heads; ++h) {
    const std::int64_t qc = h * d, kc = (h / group) * d;
    for (std::int64_t i = 0; i < n_q; ++i) {
      double m = -std::numeric_limits<double>::infinity();
      for (std::int64_t j = 0; j < n_kv; ++j) {
        double acc = 0.0;
        for (std::int64_t c = 0; c < d; ++c)
          acc += static_cast<double>(q.at(i, qc + c)) * static_cast<double>(k.at(j, kc + c));
        s[static_cast<std::size_t>(j)] = acc * softmax_scale;
        m = std::max(m, s[static_cast<std::size_t>(j)]);
      }
      double l = 0.0;
      for (double& e : s) {
        e = std::exp(e - m);
        l += e;
      }
      for (std::int64_t c = 0; c < d; ++c) {
        double acc = 0.0;
        for (std::int64_t j = 0; j < n_kv; ++j)
          acc += s[static_cast<std::size_t>(j)] * static_cast<double>(v.at(j, kc + c));
        out[static_cast<std::size_t>(i * q.cols + qc + c)] = acc / l;
      }
    }
  }
  return out;
}

AttentionConfig sage_attention2_config() {
  AttentionConfig c;
  num::FormatSpec int4 = num::FormatSpec::parse("int4");
  int4.options.rounding = num::Rounding::kNearestAway;  // the kernels' x/s + 0.5*sign, truncated
  c.q.format = int4;
  c.q.outer = OuterScale::kPerToken;
  c.k.format = int4;
  c.k.outer = OuterScale::kPerToken;
  c.smooth_k = true;
  c.qk_acc = "int32";
  c.p.format = num::FormatSpec::parse("fp8_e4m3");
  c.p.outer = OuterScale::kFixed;
  c.p.fixed = 448.0f;
  c.p_unnormalized = true;
  c.v.format = num::FormatSpec::parse("fp8_e4m3");
  c.v.outer = OuterScale::kPerChannel;
  c.pv_acc = "fp32";
  return c;
}

AttentionConfig kv_cache_config(const num::FormatSpec& kv, bool reorder) {
  AttentionConfig c;
  c.k.format = kv;
  c.v.format = kv;
  c.reorder_channels = reorder;
  return c;
}

}  // namespace mpsim::golden
