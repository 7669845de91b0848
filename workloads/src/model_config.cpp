// DESCRIPTION: Model shape validation, exact parameter counts and the expansion of a shape into
// the per-step op list (GEMM templates of workloads.md).
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/workload/model_config.h"

#include <fmt/format.h>

#include <array>
#include <cmath>

#include "mpsim/base/error.h"

namespace mpsim::workload {
namespace {

constexpr std::array<std::string_view, 6> kFamilyNames = {"llama", "mistral", "opt",
                                                          "vit",   "deit",    "swin"};

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

/// Swin stage geometry; HF shrinks the window to the feature map when the map is smaller, and pads
/// the map to whole windows otherwise.
struct SwinStage {
  std::int64_t width, heads, resolution, window, windows, ffn;
};

SwinStage swin_stage(const ModelConfig& c, std::size_t s) {
  SwinStage st;
  st.width = c.embed_dim << s;
  st.heads = c.stage_heads[s];
  st.resolution = (c.image_size / c.patch_size) >> s;
  st.window = std::min(c.window_size, st.resolution);
  st.windows = ceil_div(st.resolution, st.window) * ceil_div(st.resolution, st.window);
  st.ffn = static_cast<std::int64_t>(std::llround(c.mlp_ratio * static_cast<double>(st.width)));
  return st;
}

}  // namespace

std::string_view to_string(Family f) { return kFamilyNames[static_cast<std::size_t>(f)]; }

std::optional<Family> parse_family(std::string_view name) {
  for (std::size_t i = 0; i < kFamilyNames.size(); ++i)
    if (kFamilyNames[i] == name) return static_cast<Family>(i);
  return std::nullopt;
}

bool is_decoder(Family f) {
  return f == Family::kLlama || f == Family::kMistral || f == Family::kOpt;
}

void validate_model(const ModelConfig& c, std::string_view source) {
  std::vector<Diagnostic> diags;
  auto bad = [&](const char* field, std::string msg) {
    diags.push_back({std::string(source), field, std::move(msg)});
  };
  auto positive = [&](const char* field, std::int64_t v) {
    if (v < 1) bad(field, fmt::format("must be >= 1, got {}", v));
  };
  if (c.family == Family::kSwin) {
    positive("embed_dim", c.embed_dim);
    positive("window_size", c.window_size);
    if (!(c.mlp_ratio > 0.0)) bad("mlp_ratio", fmt::format("must be > 0, got {}", c.mlp_ratio));
    if (c.depths.empty()) bad("depths", "must list at least one stage");
    if (c.depths.size() != c.stage_heads.size())
      bad("stage_heads", fmt::format("must have one entry per stage ({}), got {}", c.depths.size(),
                                     c.stage_heads.size()));
  } else {
    positive("hidden", c.hidden);
    positive("intermediate", c.intermediate);
    positive("layers", c.layers);
    positive("heads", c.heads);
    positive("head_dim", c.head_dim);
  }
  if (is_decoder(c.family)) {
    positive("kv_heads", c.kv_heads);
    positive("vocab", c.vocab);
    positive("max_positions", c.max_positions);
    if (c.sliding_window < 0)
      bad("sliding_window", fmt::format("must be >= 0 (0 = none), got {}", c.sliding_window));
    if (c.kv_heads >= 1 && c.heads >= 1 && c.heads % c.kv_heads != 0)
      bad("kv_heads", fmt::format("must divide heads ({}), got {}", c.heads, c.kv_heads));
    if (c.family == Family::kOpt && c.kv_heads != c.heads)
      bad("kv_heads", fmt::format("OPT has multi-head attention: must equal heads ({}), got {}",
                                  c.heads, c.kv_heads));
    if (c.word_embed_proj_dim < 0)
      bad("word_embed_proj_dim", fmt::format("must be >= 0, got {}", c.word_embed_proj_dim));
  } else {
    positive("image_size", c.image_size);
    positive("patch_size", c.patch_size);
    positive("channels", c.channels);
    if (c.num_classes < 0) bad("num_classes", fmt::format("must be >= 0, got {}", c.num_classes));
    if (c.image_size >= 1 && c.patch_size >= 1 && c.image_size % c.patch_size != 0)
      bad("patch_size",
          fmt::format("must divide image_size ({}), got {}", c.image_size, c.patch_size));
  }
  if (c.family == Family::kSwin && diags.empty()) {
    for (std::size_t s = 0; s < c.depths.size(); ++s) {
      const SwinStage st = swin_stage(c, s);
      const std::string field = fmt::format("depths[{}]", s);
      if (c.depths[s] < 1)
        bad("depths", fmt::format("{} must be >= 1, got {}", field, c.depths[s]));
      if (st.heads < 1 || st.width % st.heads != 0)
        bad("stage_heads", fmt::format("stage_heads[{}] must divide the stage width {}, got {}", s,
                                       st.width, st.heads));
      if (st.resolution < 1)
        bad("depths",
            fmt::format("stage {} has no tokens left ({} stages on a {}x{} patch grid)", s + 1,
                        c.depths.size(), c.image_size / c.patch_size, c.image_size / c.patch_size));
      else if (s + 1 < c.depths.size() && st.resolution % 2 != 0)
        bad("image_size", fmt::format("patch merging after stage {} needs an even feature map, "
                                      "got {}x{}",
                                      s + 1, st.resolution, st.resolution));
    }
  }
  if (!diags.empty()) throw ConfigError(std::move(diags));
}

// Counts follow the checkpoints' tensors one by one; presets_test pins the published totals.
std::int64_t parameter_count(const ModelConfig& c) {
  validate_model(c);
  const std::int64_t h = c.hidden;
  const std::int64_t attn = c.heads * c.head_dim;  // width of Q and of O's input
  const std::int64_t kv = c.kv_heads * c.head_dim;
  std::int64_t total = 0;
  switch (c.family) {
    case Family::kLlama:
    case Family::kMistral: {
      // q, k, v, o + gate, up, down + two RMSNorm gains (no bias) per block.
      std::int64_t block = h * attn + 2 * h * kv + attn * h + 3 * h * c.intermediate + 2 * h;
      if (c.qkv_bias) block += attn + 2 * kv;
      if (c.out_bias) block += h;
      if (c.mlp_bias) block += 2 * c.intermediate + h;
      total = c.vocab * h                                  // token embedding
              + c.layers * block + (c.final_norm ? h : 0)  // final RMSNorm
              + (c.tie_embeddings ? 0 : c.vocab * h);      // lm_head
      break;
    }
    case Family::kOpt: {
      const std::int64_t proj = c.word_embed_proj_dim > 0 ? c.word_embed_proj_dim : h;
      // q, k, v, out (bias each when enable_bias) + fc1, fc2 + two LayerNorms (gain and bias).
      std::int64_t block = 4 * h * h + 2 * h * c.intermediate + 2 * 2 * h;
      if (c.qkv_bias) block += 3 * h;
      if (c.out_bias) block += h;
      if (c.mlp_bias) block += c.intermediate + h;
      total = c.vocab * proj  // token embedding
                              // Learned positions: HF's OPTLearnedPositionalEmbedding keeps 2 extra
                              // rows (offset).
              + (c.max_positions + 2) * h + (proj != h ? 2 * proj * h : 0)  // project_in/out
              + c.layers * block + (c.final_norm ? 2 * h : 0) +
              (c.tie_embeddings ? 0 : c.vocab * proj);
      break;
    }
    case Family::kVit:
    case Family::kDeit: {
      const std::int64_t patches = (c.image_size / c.patch_size) * (c.image_size / c.patch_size);
      const std::int64_t extra = c.distillation_token ? 2 : 1;  // CLS (+ distillation) token
      std::int64_t block = 2 * 2 * h                            // two LayerNorms
                           + 3 * h * attn + attn * h + 2 * h * c.intermediate;
      if (c.qkv_bias) block += 3 * attn;
      if (c.out_bias) block += h;
      if (c.mlp_bias) block += c.intermediate + h;
      const std::int64_t head = c.num_classes > 0 ? h * c.num_classes + c.num_classes : 0;
      total = c.channels * c.patch_size * c.patch_size * h + h  // patch conv + bias
              + extra * h                                       // CLS/distillation tokens
              + (patches + extra) * h                           // position embedding
              + c.layers * block + 2 * h                        // final LayerNorm
              + extra * head;                                   // class (+ distillation) head
      break;
    }
    case Family::kSwin: {
      const std::int64_t e = c.embed_dim;
      total = c.channels * c.patch_size * c.patch_size * e + e + 2 * e;  // conv + bias + LN
      for (std::size_t s = 0; s < c.depths.size(); ++s) {
        const SwinStage st = swin_stage(c, s);
        const std::int64_t w = st.width;
        const std::int64_t rel = (2 * st.window - 1) * (2 * st.window - 1) * st.heads;
        std::int64_t block = 2 * 2 * w + 3 * w * w + w * w + 2 * w * st.ffn + rel;
        if (c.qkv_bias) block += 3 * w;
        if (c.out_bias) block += w;
        if (c.mlp_bias) block += st.ffn + w;
        total += c.depths[s] * block;
        if (s + 1 < c.depths.size()) total += 2 * 4 * w + 4 * w * 2 * w;  // merge: LN + reduction
      }
      const std::int64_t last = e << (c.depths.size() - 1);
      total += 2 * last + (c.num_classes > 0 ? last * c.num_classes + c.num_classes : 0);
      break;
    }
  }
  return total;
}

namespace {

/// Appends ops with the options' formats and the current block's repeat/prefix.
class Builder {
 public:
  Builder(const ExpandOptions& o, Trace& t) : o_(o), t_(t) {}
  std::int64_t repeat = 1;
  std::int64_t seq = 0;  // tokens per sequence in this step (Op::seq_len)

  Op& gemm(std::string name, std::int64_t m, std::int64_t k, std::int64_t n, std::string a,
           std::string weight, std::string out, std::string group) {
    Op& op = add(std::move(name), OpKind::kGemm, m, n, std::move(group));
    op.k = k;
    op.a_tensor = std::move(a);
    op.b_tensor = std::move(weight);
    op.out_tensor = std::move(out);
    op.b_is_weight = true;
    op.b_format = o_.weight_format;
    return op;
  }
  Op& attention(std::string name, std::int64_t batch, std::int64_t m, std::int64_t k,
                std::int64_t n, std::int64_t b_shared, std::int64_t kv_len, std::string a,
                std::string b, std::string out) {
    Op& op = add(std::move(name), OpKind::kBatchedGemm, m, n, "attn");
    op.k = k;
    op.batch = batch;
    op.b_shared = b_shared;
    op.kv_len = kv_len;
    op.a_tensor = std::move(a);
    op.b_tensor = std::move(b);
    op.out_tensor = std::move(out);
    op.b_format = o_.kv_format;
    return op;
  }
  Op& vec(std::string name, OpKind kind, std::int64_t m, std::int64_t n, std::string a,
          std::string b, std::string out, std::string group, bool b_is_weight = false) {
    Op& op = add(std::move(name), kind, m, n, std::move(group));
    op.a_tensor = std::move(a);
    op.b_tensor = std::move(b);
    op.out_tensor = std::move(out);
    op.b_is_weight = b_is_weight;
    op.b_format = o_.act_format;  // norm gains and second activations stay at activation width
    return op;
  }

 private:
  Op& add(std::string name, OpKind kind, std::int64_t m, std::int64_t n, std::string group) {
    Op& op = t_.ops.emplace_back();
    op.name = std::move(name);
    op.kind = kind;
    op.m = m;
    op.n = n;
    op.a_format = o_.act_format;
    op.out_format = o_.out_format;
    op.acc_format = o_.acc_format;
    op.phase = o_.phase;
    op.seq_len = seq;
    op.repeat = repeat;
    op.group = std::move(group);
    return op;
  }
  const ExpandOptions& o_;
  Trace& t_;
};

/// One transformer block (attention + MLP) over `items` sequences/windows of `tokens` tokens.
struct BlockShape {
  std::int64_t items, tokens;  // sequences/windows and tokens in each
  std::int64_t hidden, ffn, heads, kv_heads, head_dim, kv_len;
  OpKind norm, act;
  bool gated, fused_qkv;
};

/// `p` prefixes op names ("blk.", "s1.blk."), `w` weight names ("blk.{L}.", "s1.blk.{L}.").
void add_block(Builder& b, const std::string& p, const std::string& w, const BlockShape& s) {
  const std::int64_t m = s.items * s.tokens;
  const std::int64_t attn = s.heads * s.head_dim, kv = s.kv_heads * s.head_dim;
  b.vec(p + "attn_norm", s.norm, m, s.hidden, "x", w + "attn_norm.weight", "h", "norm", true);
  if (s.fused_qkv) {
    b.gemm(p + "attn.qkv", m, s.hidden, attn + 2 * kv, "h", w + "attn_qkv.weight", "qkv", "attn");
  } else {
    b.gemm(p + "attn.q", m, s.hidden, attn, "h", w + "attn_q.weight", "q", "attn");
    b.gemm(p + "attn.k", m, s.hidden, kv, "h", w + "attn_k.weight", "kv.k", "attn");
    b.gemm(p + "attn.v", m, s.hidden, kv, "h", w + "attn_v.weight", "kv.v", "attn");
  }
  const std::int64_t bh = s.items * s.heads, shared = s.heads / s.kv_heads;
  b.attention(p + "attn.qk", bh, s.tokens, s.head_dim, s.kv_len, shared, s.kv_len, "q", "kv.k",
              "scores");
  Op& softmax = b.vec(p + "attn.softmax", OpKind::kSoftmax, s.tokens, s.kv_len, "scores", "",
                      "probs", "attn");
  softmax.batch = bh;
  softmax.kv_len = s.kv_len;
  b.attention(p + "attn.pv", bh, s.tokens, s.kv_len, s.head_dim, shared, s.kv_len, "probs", "kv.v",
              "attn");
  b.gemm(p + "attn.o", m, attn, s.hidden, "attn", w + "attn_output.weight", "attn_out", "attn");
  b.vec(p + "attn.residual", OpKind::kElementwise, m, s.hidden, "x", "attn_out", "x", "residual");
  b.vec(p + "ffn_norm", s.norm, m, s.hidden, "x", w + "ffn_norm.weight", "h", "norm", true);
  const std::string act = std::string(to_string(s.act));
  if (s.gated) {
    b.gemm(p + "ffn.gate", m, s.hidden, s.ffn, "h", w + "ffn_gate.weight", "gate", "mlp");
    b.gemm(p + "ffn.up", m, s.hidden, s.ffn, "h", w + "ffn_up.weight", "up", "mlp");
    b.vec(p + "ffn." + act, s.act, m, s.ffn, "gate", "", "gate_act", "mlp");
    b.vec(p + "ffn.mul", OpKind::kElementwise, m, s.ffn, "gate_act", "up", "ffn_h", "mlp");
  } else {
    b.gemm(p + "ffn.up", m, s.hidden, s.ffn, "h", w + "ffn_up.weight", "up", "mlp");
    b.vec(p + "ffn." + act, s.act, m, s.ffn, "up", "", "ffn_h", "mlp");
  }
  b.gemm(p + "ffn.down", m, s.ffn, s.hidden, "ffn_h", w + "ffn_down.weight", "ffn_out", "mlp");
  b.vec(p + "ffn.residual", OpKind::kElementwise, m, s.hidden, "x", "ffn_out", "x", "residual");
}

}  // namespace

Trace expand(const ModelConfig& c, const ExpandOptions& o) {
  validate_model(c);
  std::vector<Diagnostic> diags;
  auto bad = [&](const char* field, std::string msg) {
    diags.push_back({"<expand>", field, std::move(msg)});
  };
  if (o.batch < 1) bad("batch", fmt::format("must be >= 1, got {}", o.batch));
  const bool decoder = is_decoder(c.family);
  if (decoder) {
    if (o.phase == Phase::kNone)
      bad("phase", fmt::format("{} is a decoder; choose prefill or decode", c.name));
    else if (o.phase == Phase::kPrefill && o.seq_len < 1)
      bad("seq_len", fmt::format("prefill needs >= 1 prompt token, got {}", o.seq_len));
    else if (o.phase == Phase::kDecode && o.seq_len < 0)
      bad("seq_len", fmt::format("must be >= 0 cached tokens, got {}", o.seq_len));
    // Only a learned position table has a hard end; RoPE models may be run past max_positions.
    const std::int64_t positions = o.seq_len + (o.phase == Phase::kDecode ? 1 : 0);
    if (c.family == Family::kOpt && positions > c.max_positions)
      bad("seq_len",
          fmt::format("{} positions exceed OPT's learned table of {}", positions, c.max_positions));
  } else if (o.phase != Phase::kNone) {
    bad("phase", fmt::format("{} ({}) is an encoder with no {} phase; use none", c.name,
                             to_string(c.family), to_string(o.phase)));
  }
  for (const auto* f :
       {&o.act_format, &o.weight_format, &o.kv_format, &o.out_format, &o.acc_format}) {
    try {
      validate_format(*f);
    } catch (const ConfigError& e) {
      for (const auto& d : e.diagnostics()) bad("format", d.message);
    }
  }
  if (!diags.empty()) throw ConfigError(std::move(diags));

  Trace t;
  t.model = c.name;
  t.phase = o.phase;
  t.batch = o.batch;
  t.parameters = parameter_count(c);
  Builder b(o, t);
  const std::int64_t batch = o.batch;

  if (decoder) {
    const bool decode = o.phase == Phase::kDecode;
    const std::int64_t tokens = decode ? 1 : o.seq_len;
    std::int64_t kv_len = decode ? o.seq_len + 1 : o.seq_len;
    if (c.sliding_window > 0) kv_len = std::min(kv_len, c.sliding_window);
    t.seq_len = o.seq_len;
    t.kv_len = kv_len;
    b.seq = tokens;
    const bool opt = c.family == Family::kOpt;
    const std::int64_t proj = c.word_embed_proj_dim > 0 ? c.word_embed_proj_dim : c.hidden;
    // Token (and OPT position) embeddings are gathers, not GEMMs; only OPT's projection computes.
    if (opt && proj != c.hidden)
      b.gemm("embed.project_in", batch * tokens, proj, c.hidden, "tok_embd", "project_in.weight",
             "x", "embed");
    BlockShape s{batch,
                 tokens,
                 c.hidden,
                 c.intermediate,
                 c.heads,
                 c.kv_heads,
                 c.head_dim,
                 kv_len,
                 opt ? OpKind::kLayerNorm : OpKind::kRmsNorm,
                 opt ? OpKind::kRelu : OpKind::kSilu,
                 !opt,
                 false};
    b.repeat = c.layers;
    add_block(b, "blk.", "blk.{L}.", s);
    b.repeat = 1;
    // After the last block only the last token's logits are used (prefill) and decode has one
    // token, so the final norm and the LM head see one row per sequence.
    if (c.final_norm)
      b.vec("norm.final", opt ? OpKind::kLayerNorm : OpKind::kRmsNorm, batch, c.hidden, "x",
            "output_norm.weight", "h", "norm", true);
    std::string head_in = "h";
    if (opt && proj != c.hidden) {
      b.gemm("head.project_out", batch, c.hidden, proj, "h", "project_out.weight", "h_proj",
             "head");
      head_in = "h_proj";
    }
    b.gemm("head.lm", batch, proj, c.vocab, head_in,
           c.tie_embeddings ? "token_embd.weight" : "output.weight", "logits", "head");
    return t;
  }

  if (c.family == Family::kSwin) {
    const SwinStage first = swin_stage(c, 0);
    t.seq_len = first.resolution * first.resolution;
    t.kv_len = first.window * first.window;
    b.seq = t.seq_len;
    b.gemm("patch.embed", batch * t.seq_len, c.channels * c.patch_size * c.patch_size, c.embed_dim,
           "patches", "patch_embd.weight", "x", "patch");
    b.vec("patch.norm", OpKind::kLayerNorm, batch * t.seq_len, c.embed_dim, "x",
          "patch_norm.weight", "x", "norm", true);
    for (std::size_t s = 0; s < c.depths.size(); ++s) {
      const SwinStage st = swin_stage(c, s);
      const std::int64_t tokens = st.resolution * st.resolution;
      const std::int64_t wt = st.window * st.window;
      const std::string p = fmt::format("s{}.", s + 1);
      b.seq = tokens;
      b.repeat = c.depths[s];
      // Attention runs on the padded window grid; shifted windows and the relative-position bias
      // change masks and a bias add folded into softmax, never the GEMM shapes.
      BlockShape shape{
          batch * st.windows,  wt, st.width,           st.ffn,        st.heads, st.heads,
          st.width / st.heads, wt, OpKind::kLayerNorm, OpKind::kGelu, false,    true};
      add_block(b, p + "blk.", p + "blk.{L}.", shape);
      b.repeat = 1;
      if (s + 1 < c.depths.size()) {
        const std::int64_t merged = batch * tokens / 4;
        b.seq = tokens / 4;
        b.vec(p + "merge.norm", OpKind::kLayerNorm, merged, 4 * st.width, "x",
              p + "merge.norm.weight", "x4", "norm", true);
        b.gemm(p + "merge.reduction", merged, 4 * st.width, 2 * st.width, "x4",
               p + "merge.reduction.weight", "x", "merge");
      }
    }
    const SwinStage last = swin_stage(c, c.depths.size() - 1);
    const std::int64_t last_tokens = last.resolution * last.resolution;
    // Average pooling needs every token normalized.
    b.vec("norm.final", OpKind::kLayerNorm, batch * last_tokens, last.width, "x",
          "output_norm.weight", "h", "norm", true);
    if (c.num_classes > 0)
      b.gemm("head.cls", batch, last.width, c.num_classes, "pooled", "head.weight", "logits",
             "head");
    return t;
  }

  // ViT / DeiT.
  const std::int64_t patches = (c.image_size / c.patch_size) * (c.image_size / c.patch_size);
  const std::int64_t extra = c.distillation_token ? 2 : 1;
  const std::int64_t tokens = patches + extra;
  t.seq_len = tokens;
  t.kv_len = tokens;
  b.seq = tokens;
  b.gemm("patch.embed", batch * patches, c.channels * c.patch_size * c.patch_size, c.hidden,
         "patches", "patch_embd.weight", "x", "patch");
  BlockShape s{batch,      tokens, c.hidden,           c.intermediate, c.heads, c.heads,
               c.head_dim, tokens, OpKind::kLayerNorm, OpKind::kGelu,  false,   true};
  b.repeat = c.layers;
  add_block(b, "blk.", "blk.{L}.", s);
  b.repeat = 1;
  // Only the CLS (and distillation) token feeds the head.
  b.vec("norm.final", OpKind::kLayerNorm, batch * extra, c.hidden, "x", "output_norm.weight", "h",
        "norm", true);
  if (c.num_classes > 0) {
    b.gemm("head.cls", batch, c.hidden, c.num_classes, "h", "head.weight", "logits", "head");
    if (c.distillation_token)
      b.gemm("head.dist", batch, c.hidden, c.num_classes, "h", "head_dist.weight", "logits_dist",
             "head");
  }
  return t;
}

}  // namespace mpsim::workload
