// DESCRIPTION: Built-in model shapes. Values are the canonical upstream config.json fields listed
// in workloads.md §2.6; the tiny variants keep every structural feature (GQA, biases, windows) at
// sizes a unit test expands in microseconds.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/workload/presets.h"

#include <fmt/format.h>

#include <map>

#include "mpsim/base/error.h"

namespace mpsim::workload {
namespace {

ModelConfig llama_like(std::string name, Family family, std::int64_t hidden, std::int64_t ffn,
                       std::int64_t layers, std::int64_t heads, std::int64_t kv_heads,
                       std::int64_t vocab, std::int64_t max_positions) {
  ModelConfig c;
  c.name = std::move(name);
  c.family = family;
  c.hidden = hidden;
  c.intermediate = ffn;
  c.layers = layers;
  c.heads = heads;
  c.kv_heads = kv_heads;
  c.head_dim = hidden / heads;
  c.vocab = vocab;
  c.max_positions = max_positions;
  return c;
}

ModelConfig opt(std::string name, std::int64_t hidden, std::int64_t ffn, std::int64_t layers,
                std::int64_t heads, std::int64_t vocab, std::int64_t max_positions) {
  ModelConfig c = llama_like(std::move(name), Family::kOpt, hidden, ffn, layers, heads, heads,
                             vocab, max_positions);
  c.tie_embeddings = true;
  c.word_embed_proj_dim = hidden;
  c.qkv_bias = c.out_bias = c.mlp_bias = true;  // enable_bias
  return c;
}

ModelConfig vit(std::string name, Family family, std::int64_t hidden, std::int64_t ffn,
                std::int64_t layers, std::int64_t heads, std::int64_t image, std::int64_t patch,
                std::int64_t classes) {
  ModelConfig c;
  c.name = std::move(name);
  c.family = family;
  c.hidden = hidden;
  c.intermediate = ffn;
  c.layers = layers;
  c.heads = heads;
  c.kv_heads = heads;
  c.head_dim = hidden / heads;
  c.image_size = image;
  c.patch_size = patch;
  c.channels = 3;
  c.num_classes = classes;
  c.qkv_bias = c.out_bias = c.mlp_bias = true;
  return c;
}

ModelConfig swin(std::string name, std::int64_t embed, std::vector<std::int64_t> depths,
                 std::vector<std::int64_t> heads, std::int64_t window, std::int64_t image,
                 std::int64_t patch, std::int64_t classes) {
  ModelConfig c;
  c.name = std::move(name);
  c.family = Family::kSwin;
  c.embed_dim = embed;
  c.hidden = embed << (depths.size() - 1);  // HF hidden_size: the last stage's width
  c.depths = std::move(depths);
  c.stage_heads = std::move(heads);
  c.window_size = window;
  c.mlp_ratio = 4.0;
  c.image_size = image;
  c.patch_size = patch;
  c.channels = 3;
  c.num_classes = classes;
  c.qkv_bias = c.out_bias = c.mlp_bias = true;
  return c;
}

const std::vector<ModelConfig>& all_presets() {
  static const std::vector<ModelConfig> v = [] {
    std::vector<ModelConfig> p;
    p.push_back(llama_like("llama2-7b", Family::kLlama, 4096, 11008, 32, 32, 32, 32000, 4096));
    p.push_back(llama_like("llama3-8b", Family::kLlama, 4096, 14336, 32, 32, 8, 128256, 8192));
    ModelConfig mistral =
        llama_like("mistral-7b", Family::kMistral, 4096, 14336, 32, 32, 8, 32000, 32768);
    mistral.sliding_window = 4096;
    p.push_back(mistral);
    p.push_back(opt("opt-6.7b", 4096, 16384, 32, 32, 50272, 2048));
    p.push_back(vit("vit-b16", Family::kVit, 768, 3072, 12, 12, 224, 16, 1000));
    // facebook/deit-small-patch16-224 is a plain ViT checkpoint (model_type "vit").
    p.push_back(vit("deit-s", Family::kVit, 384, 1536, 12, 6, 224, 16, 1000));
    ModelConfig distilled = vit("deit-s-distilled", Family::kDeit, 384, 1536, 12, 6, 224, 16, 1000);
    distilled.distillation_token = true;
    p.push_back(distilled);
    p.push_back(swin("swin-t", 96, {2, 2, 6, 2}, {3, 6, 12, 24}, 7, 224, 4, 1000));
    // Tiny variants: GQA x2 / biases and tied head / CLS head / two stages with real windows.
    p.push_back(llama_like("tiny-llama", Family::kLlama, 64, 176, 2, 4, 2, 256, 128));
    p.push_back(opt("tiny-opt", 64, 256, 2, 4, 256, 64));
    p.push_back(vit("tiny-vit", Family::kVit, 64, 256, 2, 4, 32, 8, 10));
    p.push_back(swin("tiny-swin", 16, {2, 2}, {2, 4}, 4, 32, 2, 10));
    return p;
  }();
  return v;
}

}  // namespace

const ModelConfig& preset(std::string_view name) {
  for (const auto& c : all_presets())
    if (c.name == name) return c;
  const auto names = preset_names();
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  const std::string best = closest_match(name, names);
  throw ConfigError(Diagnostic{
      "", "model",
      fmt::format("unknown model preset '{}'{} (known: {})", name,
                  best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best), known)});
}

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& c : all_presets()) names.push_back(c.name);
  return names;
}

}  // namespace mpsim::workload
