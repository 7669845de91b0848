// DESCRIPTION: Model shapes from a GGUF file's metadata (llama.cpp's `<arch>.*` keys), so a
// quantized checkpoint can be expanded into a trace like a preset or a config.json.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "mpsim/workload/gguf_file.h"
#include "mpsim/workload/model_config.h"

namespace mpsim::workload {

/// Builds a ModelConfig from `general.architecture` = llama (also Mistral checkpoints) with
/// `llama.embedding_length`, `block_count`, `feed_forward_length`, `attention.head_count`,
/// `attention.head_count_kv` (absent: MHA), `rope.dimension_count` (absent: hidden/heads),
/// `context_length`, and the vocabulary from `tokenizer.ggml.tokens` or token_embd.weight.
/// Throws ConfigError naming every missing or invalid key (and unsupported architectures).
ModelConfig model_config_from_gguf(const GgufFile& f, std::string_view source);

}  // namespace mpsim::workload
