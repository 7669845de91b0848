// DESCRIPTION: Built-in model shapes (public config.json values, workloads.md §2.6) and tiny
// variants for fast tests.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mpsim/workload/model_config.h"

namespace mpsim::workload {

/// The preset named `name` ("llama2-7b", "llama3-8b", "mistral-7b", "opt-6.7b", "vit-b16",
/// "deit-s", "deit-s-distilled", "swin-t", "tiny-llama", "tiny-opt", "tiny-vit", "tiny-swin").
/// Throws ConfigError naming the closest preset and listing all of them.
const ModelConfig& preset(std::string_view name);

/// Every preset name, in a stable order.
std::vector<std::string> preset_names();

}  // namespace mpsim::workload
