// DESCRIPTION: Per-op error tables and reduced-model end-to-end runs of the golden model.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/golden/model_run.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>

#include "mpsim/base/error.h"
#include "mpsim/golden/attention.h"
#include "mpsim/golden/gemm.h"
#include "mpsim/golden/ops.h"
#include "mpsim/golden/synthetic.h"

namespace mpsim::golden {
namespace {

using workload::Op;
using workload::OpKind;

Matrix make(std::int64_t r, std::int64_t c, std::vector<float> d) {
  Matrix m;
  m.rows = r;
  m.cols = c;
  m.data = std::move(d);
  return m;
}

std::vector<double> to_double(const Matrix& m) { return {m.data.begin(), m.data.end()}; }

/// The golden accumulator for a trace's accumulator format ("fp32" lets the pair decide).
std::string acc_of(const num::FormatSpec& f) {
  if (f.name == "int32" || f.name == "int64") return f.name;
  return "auto";
}

/// COMET-style activation fake-quantization: per block of `block` channels, blocks whose max |x|
/// exceeds the threshold use the outlier format, the others the activation format.
Matrix outlier_block_quantize(const Matrix& x, const num::FormatSpec& base,
                              const workload::OutlierBlocks& ob) {
  Matrix out = x;
  for (std::int64_t c0 = 0; c0 < x.cols; c0 += ob.block) {
    const std::int64_t w = std::min(ob.block, x.cols - c0);
    float amax = 0;
    for (std::int64_t r = 0; r < x.rows; ++r)
      for (std::int64_t c = c0; c < c0 + w; ++c) amax = std::max(amax, std::fabs(x.at(r, c)));
    const auto q = (amax > ob.threshold ? ob.format : base).make_quantizer();
    std::vector<float> seg(static_cast<std::size_t>(w));
    for (std::int64_t r = 0; r < x.rows; ++r) {
      std::copy_n(x.data.begin() + r * x.cols + c0, w, seg.begin());
      const auto row = q->quantize(seg);
      std::copy(row.values.begin(), row.values.end(), out.data.begin() + r * x.cols + c0);
    }
  }
  return out;
}

/// A (rows x k) times B (k x n) in the op's formats, output quantized; COMET blocks if enabled.
Matrix quantized_linear(const Matrix& a, const Matrix& b, const Op& op, const workload::Recipe* r) {
  GemmOptions o;
  o.a_format = op.a_format;
  o.b_format = op.b_format;
  o.acc = acc_of(op.acc_format);
  Matrix ain = a;
  if (r && r->outlier_blocks.enabled && op.b_is_weight) {
    ain = outlier_block_quantize(a, op.a_format, r->outlier_blocks);
    o.a_format = num::FormatSpec{"fp32", {}};
  }
  return quantize_output(gemm(ain, b, o).c, op.out_format);
}

Matrix fp32_linear(const Matrix& a, const Matrix& b) {
  GemmOptions o;  // fp32 x fp32: the FMA chain on unquantized values
  return gemm(a, b, o).c;
}

std::string formats_text(const Op& op) {
  if (workload::is_gemm_like(op.kind))
    return fmt::format("a={} b={} out={} acc={}", op.a_format.str(), op.b_format.str(),
                       op.out_format.str(), op.acc_format.str());
  return fmt::format("in={} out={}", op.a_format.str(), op.out_format.str());
}

OpErrorRow evaluate_op(const Op& op, const workload::Recipe* recipe, const GoldenRunOptions& o,
                       std::uint64_t seed) {
  OpErrorRow row;
  row.op = op.name;
  row.kind = std::string(workload::to_string(op.kind));
  row.formats = formats_text(op);
  const std::int64_t m = std::min(op.m, o.max_rows);
  std::int64_t n = std::min(op.n, o.max_cols);
  if (workload::is_gemm_like(op.kind)) {
    const std::int64_t k = op.k;
    // Keep the sampled GEMM under ~64M MACs: K stays whole (groups and blocks run along it).
    while (m * n * k > (std::int64_t{1} << 26) && n > 8) n /= 2;
    row.m = m;
    row.n = n;
    row.k = k;
    Matrix a = op.a_tensor == "probs" ? make(m, k, synthetic_attention_probs(m, k, {}, seed))
                                      : make(m, k, synthetic_activations(m, k, {}, seed));
    Matrix b;
    if (op.b_is_weight) {
      b = make(k, n, synthetic_weights(k, n, {}, seed + 1));
    } else {  // K or V of attention: activation-like, stored per token
      const Matrix kv = make(n, k, synthetic_activations(n, k, {}, seed + 1));
      b = Matrix::zeros(k, n);
      for (std::int64_t i = 0; i < k; ++i)
        for (std::int64_t j = 0; j < n; ++j) b.at(i, j) = kv.at(j, i);
    }
    const Matrix c = quantized_linear(a, b, op, recipe);
    row.error = error_stats(gemm_reference_f64(a, b), c.data);
    return row;
  }
  row.m = m;
  row.n = n;
  row.k = 0;
  Rng rng(seed);
  Matrix x = make(m, n, synthetic_activations(m, n, {}, seed));
  if (op.kind == OpKind::kSoftmax)
    for (auto& v : x.data) v = static_cast<float>(3.0 * rng.normal());
  const Matrix xq = quantize_output(x, op.a_format);
  std::vector<double> ref;
  Matrix got;
  std::vector<float> gamma(static_cast<std::size_t>(n)), beta(static_cast<std::size_t>(n));
  for (auto& g : gamma) g = static_cast<float>(1.0 + 0.1 * rng.normal());
  for (auto& b : beta) b = static_cast<float>(0.05 * rng.normal());
  switch (op.kind) {
    case OpKind::kSoftmax:
      got = softmax(xq);
      ref = softmax_f64(x);
      break;
    case OpKind::kLayerNorm:
      got = layernorm(xq, gamma, beta);
      ref = layernorm_f64(x, gamma, beta);
      break;
    case OpKind::kRmsNorm:
      got = rmsnorm(xq, gamma);
      ref = rmsnorm_f64(x, gamma);
      break;
    case OpKind::kGelu:
      got = gelu(xq);
      ref = gelu_f64(x);
      break;
    case OpKind::kSilu:
      got = silu(xq);
      ref = silu_f64(x);
      break;
    case OpKind::kRelu:
      got = relu(xq);
      for (float v : x.data) ref.push_back(std::max(0.0, static_cast<double>(v)));
      break;
    default: {  // elementwise: residual adds, or the SwiGLU gate product
      const Matrix y = make(m, n, synthetic_activations(m, n, {}, seed + 7));
      const Matrix yq = quantize_output(y, op.a_format);
      const bool is_mul = op.name.find("mul") != std::string::npos;
      got = is_mul ? mul(xq, yq) : add(xq, yq);
      for (std::size_t i = 0; i < x.data.size(); ++i)
        ref.push_back(is_mul ? static_cast<double>(x.data[i]) * y.data[i]
                             : static_cast<double>(x.data[i]) + y.data[i]);
    }
  }
  row.error = error_stats(ref, quantize_output(got, op.out_format).data);
  return row;
}

/// The op of `trace` that holds layer `layer` of the repeated op `base` (after recipe splits).
const Op* op_for(const workload::Trace& t, const std::string& base, std::int64_t layer) {
  std::int64_t first = 0;
  for (const auto& op : t.ops) {
    if (op.name == base) return &op;
    if (op.name.rfind(base + "@", 0) == 0) {
      if (layer >= first && layer < first + op.repeat) return &op;
      first += op.repeat;
    }
  }
  return nullptr;
}

const Op& need(const workload::Trace& t, const std::string& base, std::int64_t layer) {
  const Op* op = op_for(t, base, layer);
  if (op == nullptr)
    throw ConfigError(Diagnostic{
        "", "workload",
        fmt::format("the trace has no op '{}' (layer {}) for the end-to-end run", base, layer)});
  return *op;
}

}  // namespace

struct GoldenRunCache::Impl {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<const Matrix>> weights;  // by "k n seed"
  std::map<std::string, std::shared_ptr<const Matrix>> refs;     // by model/blocks/tokens/seed
};
GoldenRunCache::GoldenRunCache() : impl_(std::make_unique<Impl>()) {}
GoldenRunCache::~GoldenRunCache() = default;

namespace {

/// One forward pass of the reduced model; `quant` false gives the FP32 reference of the same model.
Matrix forward(const workload::ModelConfig& mc, const workload::Trace& t, const workload::Recipe* r,
               const GoldenRunOptions& o, std::int64_t tokens, bool quant) {
  using workload::Family;
  const bool llama = mc.family == Family::kLlama || mc.family == Family::kMistral;
  const std::int64_t h = mc.hidden;
  const std::int64_t hd = mc.head_dim;
  const std::int64_t kvw = mc.kv_heads * hd;
  const std::int64_t ffn = mc.intermediate;
  Matrix x = make(tokens, h, synthetic_activations(tokens, h, {}, o.seed));
  const std::vector<float> ones(static_cast<std::size_t>(h), 1.0f),
      zeros(static_cast<std::size_t>(h), 0.0f);
  auto norm = [&](const Matrix& v) { return llama ? rmsnorm(v, ones) : layernorm(v, ones, zeros); };
  auto weight = [&](std::int64_t k, std::int64_t n, std::int64_t layer, int idx) {
    WeightDistribution d;
    d.std = 1.0 / std::sqrt(static_cast<double>(k));  // keeps activations O(1) through the blocks
    const std::uint64_t seed = o.seed * 1000003u + static_cast<std::uint64_t>(layer) * 64 + idx;
    if (o.cache == nullptr) return make(k, n, synthetic_weights(k, n, d, seed));
    auto& c = o.cache->impl();
    const std::string key = fmt::format("{} {} {}", k, n, seed);
    {
      std::lock_guard<std::mutex> lock(c.mu);
      if (auto it = c.weights.find(key); it != c.weights.end()) return *it->second;
    }
    auto m = std::make_shared<const Matrix>(make(k, n, synthetic_weights(k, n, d, seed)));
    std::lock_guard<std::mutex> lock(c.mu);
    c.weights.emplace(key, m);
    return *m;
  };
  auto lin = [&](const Matrix& a, const Matrix& w, const std::string& op, std::int64_t layer) {
    return quant ? quantized_linear(a, w, need(t, op, layer), r) : fp32_linear(a, w);
  };
  const int blocks = static_cast<int>(std::min<std::int64_t>(o.blocks, mc.layers));
  for (int l = 0; l < blocks; ++l) {
    const Matrix hn = norm(x);
    Matrix q, k, v;
    if (mc.family == Family::kVit || mc.family == Family::kDeit) {
      const Matrix qkv = lin(hn, weight(h, 3 * h, l, 0), "blk.attn.qkv", l);
      q = Matrix::zeros(tokens, h);
      k = Matrix::zeros(tokens, h);
      v = Matrix::zeros(tokens, h);
      for (std::int64_t i = 0; i < tokens; ++i)
        for (std::int64_t j = 0; j < h; ++j) {
          q.at(i, j) = qkv.at(i, j);
          k.at(i, j) = qkv.at(i, h + j);
          v.at(i, j) = qkv.at(i, 2 * h + j);
        }
    } else {
      q = lin(hn, weight(h, h, l, 0), "blk.attn.q", l);
      k = lin(hn, weight(h, kvw, l, 1), "blk.attn.k", l);
      v = lin(hn, weight(h, kvw, l, 2), "blk.attn.v", l);
    }
    AttentionConfig ac;
    ac.heads = static_cast<int>(mc.heads);
    ac.kv_heads = static_cast<int>(
        mc.family == Family::kVit || mc.family == Family::kDeit ? mc.heads : mc.kv_heads);
    if (quant) {
      const Op& qk = need(t, "blk.attn.qk", l);
      const Op& pv = need(t, "blk.attn.pv", l);
      ac.q.format = qk.a_format;
      ac.k.format = qk.b_format;
      ac.p.format = pv.a_format;
      ac.v.format = pv.b_format;
      ac.reorder_channels = r && r->kv_reorder;
    } else {
      ac.q.format = ac.k.format = ac.p.format = ac.v.format = num::FormatSpec{"fp32", {}};
    }
    const Matrix att = attention(q, k, v, ac).out;
    x = add(x, lin(att, weight(h, h, l, 3), "blk.attn.o", l));
    const Matrix hn2 = norm(x);
    Matrix act;
    if (llama) {
      const Matrix g = lin(hn2, weight(h, ffn, l, 4), "blk.ffn.gate", l);
      const Matrix u = lin(hn2, weight(h, ffn, l, 5), "blk.ffn.up", l);
      act = mul(silu(g), u);
    } else {
      const Matrix u = lin(hn2, weight(h, ffn, l, 5), "blk.ffn.up", l);
      act = mc.family == Family::kOpt ? relu(u) : gelu(u);
    }
    x = add(x, lin(act, weight(ffn, h, l, 6), "blk.ffn.down", l));
  }
  return norm(x);
}

}  // namespace

GoldenRunReport golden_run(const workload::Trace& trace, const workload::Recipe* recipe,
                           const workload::ModelConfig* model, const GoldenRunOptions& o) {
  GoldenRunReport rep;
  const workload::Trace t = recipe ? workload::apply_recipe(trace, *recipe) : trace;
  rep.model = t.model;
  rep.recipe = recipe ? recipe->name : "";
  rep.kv_reorder = recipe && recipe->kv_reorder;
  std::uint64_t seed = o.seed;
  if (!o.end_to_end_only) {
    for (const auto& op : t.ops) rep.ops.push_back(evaluate_op(op, recipe, o, seed++ * 7919));
  }
  if (model && model->family != workload::Family::kSwin) {
    rep.blocks = static_cast<int>(std::min<std::int64_t>(o.blocks, model->layers));
    rep.tokens = o.tokens;
    // The FP32 reference does not depend on the recipe: computed once per model when cached.
    std::shared_ptr<const Matrix> ref_ptr;
    const std::string ref_key = fmt::format("{}/{}/{}/{}", model->name, o.blocks, o.tokens, o.seed);
    if (o.cache) {
      std::lock_guard<std::mutex> lock(o.cache->impl().mu);
      if (auto it = o.cache->impl().refs.find(ref_key); it != o.cache->impl().refs.end()) {
        ref_ptr = it->second;
      }
    }
    if (!ref_ptr) {
      ref_ptr = std::make_shared<const Matrix>(forward(*model, t, recipe, o, o.tokens, false));
      if (o.cache) {
        std::lock_guard<std::mutex> lock(o.cache->impl().mu);
        o.cache->impl().refs.emplace(ref_key, ref_ptr);
      }
    }
    const Matrix& ref = *ref_ptr;
    const Matrix got = forward(*model, t, recipe, o, o.tokens, true);
    rep.end_to_end = error_stats(to_double(ref), got.data);
  }
  return rep;
}

std::string format_report(const GoldenRunReport& r) {
  std::string out = fmt::format("golden run: {}{}\n", r.model,
                                r.recipe.empty() ? "" : " with recipe " + r.recipe);
  out += fmt::format("{:<26} {:<13} {:>5} {:>6} {:>6} {:>9} {:>11} {:>10}  {}\n", "op", "kind", "m",
                     "n", "k", "sqnr_db", "mse", "max_abs", "formats");
  for (const auto& row : r.ops)
    out += fmt::format("{:<26} {:<13} {:>5} {:>6} {:>6} {:>9.2f} {:>11.3e} {:>10.3e}  {}\n", row.op,
                       row.kind, row.m, row.n, row.k, row.error.sqnr_db, row.error.mse,
                       row.error.max_abs, row.formats);
  if (r.end_to_end) {
    out += fmt::format(
        "end to end ({} blocks, {} tokens, vs FP32{}): sqnr {:.2f} dB, mse {:.3e}, max_abs "
        "{:.3e}\n",
        r.blocks, r.tokens, r.kv_reorder ? ", K/V channels reordered" : "", r.end_to_end->sqnr_db,
        r.end_to_end->mse, r.end_to_end->max_abs);
  } else {
    out +=
        "end to end: not available (needs an LLM or ViT/DeiT model config; Swin and bare traces "
        "are per-op only)\n";
  }
  return out;
}

}  // namespace mpsim::golden
