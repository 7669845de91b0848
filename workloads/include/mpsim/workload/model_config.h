// DESCRIPTION: Model shapes (decoder LLMs, ViT/DeiT, Swin), their exact parameter counts, and the
// expansion of a shape into a workload trace for one forward step (prefill, decode or encoder).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mpsim/numerics/quantizer.h"
#include "mpsim/workload/trace.h"

namespace mpsim::workload {

/// Model family: decides the block template (SwiGLU vs ReLU vs GELU MLP, norms, embeddings).
enum class Family : std::uint8_t { kLlama, kMistral, kOpt, kVit, kDeit, kSwin };

/// "llama", "mistral", "opt", "vit", "deit", "swin".
std::string_view to_string(Family f);
/// Parses to_string(Family)'s names; std::nullopt for anything else.
std::optional<Family> parse_family(std::string_view name);
/// True for the decoder LLM families (llama, mistral, opt).
bool is_decoder(Family f);

/// The shape of one model: everything the parameter count and the GEMM templates need, nothing
/// about weights. Fields a family does not use stay at their defaults.
struct ModelConfig {
  std::string name;  ///< preset name or config.json's _name_or_path
  Family family = Family::kLlama;

  // Transformer core (all families but Swin, whose widths are per stage).
  std::int64_t hidden = 0;        ///< model width H (Swin: the last stage's width)
  std::int64_t intermediate = 0;  ///< FFN width (OPT ffn_dim)
  std::int64_t layers = 0;
  std::int64_t heads = 0;
  std::int64_t kv_heads = 0;  ///< GQA: < heads; MHA: == heads
  std::int64_t head_dim = 0;

  // Decoder LLMs.
  std::int64_t vocab = 0;
  std::int64_t max_positions = 0;
  std::int64_t sliding_window = 0;       ///< 0 = none (Mistral: 4096 caps the attended keys)
  bool tie_embeddings = false;           ///< LM head reuses the token embedding (OPT)
  std::int64_t word_embed_proj_dim = 0;  ///< OPT: != hidden adds project_in/out; 0 = hidden
  bool final_norm = true;                ///< OPT do_layer_norm_before=false has no final norm

  // Bias terms (norm biases follow the family: LayerNorm has one, RMSNorm does not).
  bool qkv_bias = false;  ///< Q/K/V projections (Llama attention_bias, ViT/Swin qkv_bias)
  bool out_bias = false;  ///< attention output projection
  bool mlp_bias = false;  ///< FFN matrices

  // Vision.
  std::int64_t image_size = 0;
  std::int64_t patch_size = 0;
  std::int64_t channels = 0;
  std::int64_t num_classes = 0;     ///< 0 = no classification head
  bool distillation_token = false;  ///< DeiT distilled: extra token and a distillation head

  // Swin.
  std::int64_t embed_dim = 0;             ///< first stage width
  std::vector<std::int64_t> depths;       ///< blocks per stage
  std::vector<std::int64_t> stage_heads;  ///< heads per stage
  std::int64_t window_size = 0;           ///< window side (7 -> 49 tokens)
  double mlp_ratio = 4.0;                 ///< FFN width / stage width

  friend bool operator==(const ModelConfig&, const ModelConfig&) = default;
};

/// Total parameters (weights, biases, norm gains/biases, embeddings, position tables, heads).
/// Throws ConfigError if the shape is inconsistent (see validate_model).
std::int64_t parameter_count(const ModelConfig& c);

/// Throws one ConfigError listing every inconsistency (non-positive sizes, heads not dividing,
/// Swin lists of different lengths, ...). `source` names where the config came from.
void validate_model(const ModelConfig& c, std::string_view source = "<model>");

/// What to expand a model into.
struct ExpandOptions {
  Phase phase = Phase::kNone;  ///< prefill/decode for LLMs; kNone for vision models
  std::int64_t batch = 1;      ///< sequences (LLMs) or images (vision)
  /// Prefill: prompt tokens. Decode: tokens already in the KV cache (one new token is computed).
  /// Ignored by vision models (their token count follows from the image).
  std::int64_t seq_len = 0;
  num::FormatSpec act_format{"fp16", {}};     ///< A operands (activations)
  num::FormatSpec weight_format{"fp16", {}};  ///< B operands that are weights
  num::FormatSpec kv_format{"fp16", {}};      ///< B operands of attention (K/V, incl. the cache)
  num::FormatSpec out_format{"fp16", {}};
  num::FormatSpec acc_format{"fp32", {}};
};

/// The full op list of one forward step (docs/trace-format.md, "Model expansion"). Identical
/// blocks are one op each with repeat = depth, so the cost is independent of seq_len.
/// Throws ConfigError for a bad model, a phase the family has no notion of, or bad sizes.
Trace expand(const ModelConfig& c, const ExpandOptions& o);

}  // namespace mpsim::workload
