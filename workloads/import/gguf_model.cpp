// DESCRIPTION: ModelConfig from GGUF metadata.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/workload/gguf_model.h"

#include <fmt/format.h>

#include "mpsim/base/error.h"

namespace mpsim::workload {

ModelConfig model_config_from_gguf(const GgufFile& f, std::string_view source) {
  std::vector<Diagnostic> diags;
  const GgufValue* arch_v = f.metadata("general.architecture");
  const std::string* arch = arch_v ? arch_v->as_string() : nullptr;
  if (arch == nullptr)
    throw ConfigError(
        Diagnostic{std::string(source), "general.architecture", "missing (or not a string)"});
  if (*arch != "llama" && *arch != "mistral")
    throw ConfigError(Diagnostic{std::string(source), "general.architecture",
                                 fmt::format("unsupported architecture '{}' (mpsim reads llama and "
                                             "mistral GGUF shapes; use a config.json for others)",
                                             *arch)});
  auto get = [&](const std::string& key, bool required, std::int64_t fallback) -> std::int64_t {
    const GgufValue* v = f.metadata(*arch + "." + key);
    if (v == nullptr) {
      if (required) diags.push_back({std::string(source), *arch + "." + key, "missing"});
      return fallback;
    }
    const auto u = v->as_uint();
    if (!u || *u == 0 || *u > (std::uint64_t{1} << 40)) {
      diags.push_back({std::string(source), *arch + "." + key, "must be a positive integer"});
      return fallback;
    }
    return static_cast<std::int64_t>(*u);
  };
  ModelConfig c;
  c.family = *arch == "mistral" ? Family::kMistral : Family::kLlama;
  const GgufValue* name = f.metadata("general.name");
  c.name = name && name->as_string() ? *name->as_string() : std::string(source);
  c.hidden = get("embedding_length", true, 1);
  c.layers = get("block_count", true, 1);
  c.intermediate = get("feed_forward_length", true, 1);
  c.heads = get("attention.head_count", true, 1);
  c.kv_heads = get("attention.head_count_kv", false, c.heads);
  c.head_dim = get("rope.dimension_count", false, c.heads > 0 ? c.hidden / c.heads : 1);
  c.max_positions = get("context_length", false, 4096);
  c.sliding_window = get("attention.sliding_window", false, 0);
  if (const GgufValue* toks = f.metadata("tokenizer.ggml.tokens"); toks && toks->as_array()) {
    c.vocab = static_cast<std::int64_t>(toks->as_array()->items.size());
  } else if (const GgufTensorInfo* emb = f.find_tensor("token_embd.weight");
             emb && emb->dims.size() == 2) {
    c.vocab = static_cast<std::int64_t>(emb->dims[1]);  // dims are innermost first: [hidden, vocab]
  } else {
    diags.push_back({std::string(source), "tokenizer.ggml.tokens",
                     "no vocabulary (neither tokenizer.ggml.tokens nor token_embd.weight)"});
  }
  c.tie_embeddings =
      f.find_tensor("output.weight") == nullptr && f.find_tensor("token_embd.weight") != nullptr;
  if (c.heads > 0 && c.kv_heads > 0 && c.heads % c.kv_heads != 0)
    diags.push_back({std::string(source), *arch + ".attention.head_count_kv",
                     fmt::format("{} does not divide head_count {}", c.kv_heads, c.heads)});
  if (!diags.empty()) throw ConfigError(std::move(diags));
  return c;
}

}  // namespace mpsim::workload
