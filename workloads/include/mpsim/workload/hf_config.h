// DESCRIPTION: Hugging Face config.json import: the shape fields of Llama, Mistral, OPT, ViT/DeiT
// and Swin configs, with each family's field names and defaults (workloads.md importer pitfalls).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string_view>

#include "mpsim/workload/model_config.h"

namespace mpsim::workload {

/// Builds a ModelConfig from config.json text. `model_type` selects the family (llama, mistral,
/// opt, vit, deit, swin). Absent optional fields take the transformers class defaults. Throws one
/// ConfigError naming `source` and every missing or invalid field (JSON syntax errors with their
/// line:column and byte offset).
ModelConfig parse_hf_config(std::string_view json_text, std::string_view source);

/// Reads and parses `path` (see parse_hf_config); throws ConfigError if it cannot be read.
ModelConfig load_hf_config(const std::filesystem::path& path);

}  // namespace mpsim::workload
