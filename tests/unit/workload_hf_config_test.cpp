// DESCRIPTION: config.json import: each family's canonical config gives the preset's shape and
// parameter count; field variants (missing GQA/head_dim, null window, id2label); every error.
// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mpsim/base/error.h"
#include "mpsim/workload/hf_config.h"
#include "mpsim/workload/presets.h"

namespace mpsim::workload {
namespace {

using ::testing::HasSubstr;

// Field values as in the public upstream config.json files (workloads.md §2.6).
constexpr const char* kLlama2 = R"({
  "_name_or_path": "meta-llama/Llama-2-7b-hf", "architectures": ["LlamaForCausalLM"],
  "model_type": "llama", "hidden_size": 4096, "intermediate_size": 11008,
  "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32,
  "vocab_size": 32000, "max_position_embeddings": 4096, "hidden_act": "silu",
  "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "tie_word_embeddings": false,
  "torch_dtype": "float16"})";
constexpr const char* kLlama3 = R"({
  "model_type": "llama", "hidden_size": 4096, "intermediate_size": 14336,
  "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
  "vocab_size": 128256, "max_position_embeddings": 8192, "rope_theta": 500000.0,
  "attention_bias": false, "tie_word_embeddings": false})";
constexpr const char* kMistral = R"({
  "model_type": "mistral", "hidden_size": 4096, "intermediate_size": 14336,
  "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
  "vocab_size": 32000, "max_position_embeddings": 32768, "sliding_window": 4096,
  "rope_theta": 10000.0, "tie_word_embeddings": false})";
constexpr const char* kOpt = R"({
  "_name_or_path": "facebook/opt-6.7b", "model_type": "opt", "hidden_size": 4096,
  "ffn_dim": 16384, "num_hidden_layers": 32, "num_attention_heads": 32, "vocab_size": 50272,
  "max_position_embeddings": 2048, "word_embed_proj_dim": 4096, "enable_bias": true,
  "do_layer_norm_before": true, "activation_function": "relu"})";
constexpr const char* kVit = R"({
  "model_type": "vit", "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
  "num_attention_heads": 12, "image_size": 224, "patch_size": 16, "num_channels": 3,
  "qkv_bias": true, "layer_norm_eps": 1e-12, "id2label": {"0": "tench", "1": "goldfish"},
  "num_labels": 1000})";
constexpr const char* kDeit = R"({
  "model_type": "vit", "hidden_size": 384, "intermediate_size": 1536, "num_hidden_layers": 12,
  "num_attention_heads": 6, "image_size": 224, "patch_size": 16, "num_channels": 3,
  "qkv_bias": true})";
constexpr const char* kSwin = R"({
  "model_type": "swin", "embed_dim": 96, "depths": [2, 2, 6, 2], "num_heads": [3, 6, 12, 24],
  "window_size": 7, "mlp_ratio": 4.0, "image_size": 224, "patch_size": 4, "num_channels": 3,
  "hidden_size": 768, "qkv_bias": true, "path_norm": true})";

/// The imported shape with the preset's name, so whole configs compare.
ModelConfig named(ModelConfig c, std::string_view preset_name) {
  c.name = std::string(preset_name);
  return c;
}

std::vector<std::string> errors_of(std::string_view json) {
  try {
    parse_hf_config(json, "config.json");
  } catch (const ConfigError& e) {
    std::vector<std::string> out;
    for (const auto& d : e.diagnostics()) out.push_back(d.str());
    return out;
  }
  return {"<no error>"};
}

TEST(HfConfig, CanonicalConfigsMatchThePresets) {
  const std::pair<const char*, const char*> cases[] = {
      {kLlama2, "llama2-7b"}, {kLlama3, "llama3-8b"}, {kMistral, "mistral-7b"}, {kOpt, "opt-6.7b"},
      {kVit, "vit-b16"},      {kDeit, "deit-s"},      {kSwin, "swin-t"}};
  for (const auto& [json, name] : cases) {
    const ModelConfig c = parse_hf_config(json, "config.json");
    EXPECT_EQ(named(c, name), preset(name)) << name;
    EXPECT_EQ(parameter_count(c), parameter_count(preset(name))) << name;
  }
  EXPECT_EQ(parse_hf_config(kLlama2, "x").name, "meta-llama/Llama-2-7b-hf");
  EXPECT_EQ(parse_hf_config(kLlama3, "x").name, "llama");  // no _name_or_path: the model_type
  EXPECT_EQ(parameter_count(parse_hf_config(kOpt, "x")), 6658473984);
  EXPECT_EQ(parameter_count(parse_hf_config(kSwin, "x")), 28288354);
}

TEST(HfConfig, OldLlamaConfigsDefaultToMhaAndHiddenOverHeads) {
  const ModelConfig c = parse_hf_config(
      R"({"model_type": "llama", "hidden_size": 2048, "intermediate_size": 5632,
          "num_hidden_layers": 22, "num_attention_heads": 32, "vocab_size": 32000,
          "head_dim": null})",
      "old.json");
  EXPECT_EQ(c.kv_heads, 32);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.max_positions, 2048);  // LlamaConfig's default
  EXPECT_EQ(c.sliding_window, 0);
  EXPECT_FALSE(c.tie_embeddings);
}

TEST(HfConfig, ExplicitHeadDimAndBiasFlags) {
  const ModelConfig c = parse_hf_config(
      R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
          "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 2,
          "head_dim": 32, "vocab_size": 100, "attention_bias": true, "mlp_bias": true,
          "tie_word_embeddings": true})",
      "x");
  EXPECT_EQ(c.head_dim, 32);  // != 64/4: newer configs decouple it
  EXPECT_TRUE(c.qkv_bias && c.out_bias && c.mlp_bias && c.tie_embeddings);
  // embed 6400 + block (q 64*128 + k,v 2*64*64 + o 128*64 + 3*64*128 + norms 128
  //   + biases 128+128 + 64 + 2*128+64) + final 64; head tied.
  EXPECT_EQ(parameter_count(c), 6400 + (8192 + 8192 + 8192 + 24576 + 128 + 256 + 64 + 320) + 64);
}

TEST(HfConfig, MistralWindowVariants) {
  std::string cfg = kMistral;
  const auto window = cfg.find("\"sliding_window\": 4096,");
  ASSERT_NE(window, std::string::npos);
  std::string absent = cfg;
  absent.erase(window, std::string("\"sliding_window\": 4096,").size());
  EXPECT_EQ(parse_hf_config(absent, "x").sliding_window, 4096);  // MistralConfig default
  std::string null = cfg;
  null.replace(window, std::string("\"sliding_window\": 4096").size(), "\"sliding_window\": null");
  EXPECT_EQ(parse_hf_config(null, "x").sliding_window, 0);  // v0.2+: no window
}

TEST(HfConfig, OptProjectionAndPostNormVariant) {
  // OPT-350m: 1024 wide with 512-wide embeddings (project_in/out) and post-LN (no final norm).
  const ModelConfig c = parse_hf_config(
      R"({"model_type": "opt", "hidden_size": 1024, "ffn_dim": 4096, "num_hidden_layers": 24,
          "num_attention_heads": 16, "vocab_size": 50272, "max_position_embeddings": 2048,
          "word_embed_proj_dim": 512, "do_layer_norm_before": false})",
      "opt350m.json");
  EXPECT_EQ(c.word_embed_proj_dim, 512);
  EXPECT_FALSE(c.final_norm);
  EXPECT_TRUE(c.tie_embeddings);
  // The published OPT-350m size: 331,196,416.
  EXPECT_EQ(parameter_count(c), 50272LL * 512 + 2050LL * 1024 + 2LL * 512 * 1024 +
                                    24LL * (4 * (1024LL * 1024 + 1024) + 1024LL * 4096 + 4096 +
                                            4096LL * 1024 + 1024 + 4 * 1024));
  EXPECT_EQ(parameter_count(c), 331196416);
  ExpandOptions o;
  o.phase = Phase::kDecode;
  o.seq_len = 5;
  const Trace t = expand(c, o);
  EXPECT_EQ(t.ops.front().name, "embed.project_in");
  EXPECT_EQ(t.ops.back().k, 512);
}

TEST(HfConfig, VisionClassesAndDeitDistillation) {
  std::string vit = kVit;
  vit.erase(vit.find(",\n  \"num_labels\": 1000"), std::string(",\n  \"num_labels\": 1000").size());
  EXPECT_EQ(parse_hf_config(vit, "x").num_classes, 2);  // from id2label
  EXPECT_EQ(parse_hf_config(kDeit, "x").num_classes, 1000);
  std::string distilled = kDeit;
  distilled.replace(distilled.find("\"vit\""), 5, "\"deit\"");
  const ModelConfig d = parse_hf_config(distilled, "x");
  EXPECT_EQ(d.family, Family::kDeit);
  EXPECT_TRUE(d.distillation_token);
  EXPECT_EQ(named(d, "deit-s-distilled"), preset("deit-s-distilled"));
}

TEST(HfConfig, JsonSyntaxErrorsHaveLineColumnAndByte) {
  const auto e = errors_of("{\n  \"model_type\": \"llama\",\n  \"hidden_size\": 40x96\n}");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_THAT(e[0], HasSubstr("config.json:3:20: invalid JSON (byte 47)"));
  EXPECT_EQ(errors_of("[1, 2]"),
            std::vector<std::string>{"config.json: expected a JSON object, got array"});
}

TEST(HfConfig, ReportsEveryMissingAndInvalidField) {
  EXPECT_EQ(errors_of(R"({"model_type": "llama", "hidden_size": "4096", "num_hidden_layers": 0,
                          "num_attention_heads": 32, "num_key_value_heads": 8.5,
                          "tie_word_embeddings": "no", "vocab_size": 32000})"),
            (std::vector<std::string>{
                "config.json: hidden_size: expected an integer, got string \"4096\"",
                "config.json: intermediate_size: missing required field",
                "config.json: num_hidden_layers: must be >= 1, got 0",
                "config.json: num_key_value_heads: expected an integer, got number 8.5",
                "config.json: tie_word_embeddings: expected true or false, got string \"no\""}));
  EXPECT_EQ(errors_of(R"({"model_type": "swin", "embed_dim": 96, "depths": [2, 0],
                          "window_size": 7, "mlp_ratio": "4", "hidden_size": 100})"),
            (std::vector<std::string>{
                "config.json: depths: expected a non-empty list of positive integers, got [2,0]",
                "config.json: num_heads: missing required field",
                "config.json: mlp_ratio: expected a number, got string \"4\""}));
  EXPECT_EQ(errors_of(R"({"model_type": "swin", "embed_dim": 96, "depths": [2, 2],
                          "num_heads": [3, 6], "hidden_size": 768})"),
            std::vector<std::string>{
                "config.json: hidden_size: must be embed_dim * 2^(stages-1) = 192, got 768"});
  EXPECT_EQ(errors_of(R"({"model_type": "lama"})"),
            std::vector<std::string>{"config.json: model_type: unsupported model_type 'lama' (did "
                                     "you mean 'llama'?) (supported: llama, mistral, opt, vit, "
                                     "deit, swin)"});
  EXPECT_EQ(errors_of("{}"), std::vector<std::string>{
                                 "config.json: model_type: missing required field (one of llama, "
                                 "mistral, opt, vit, deit, swin)"});
  // Shape errors found after reading name the file too.
  EXPECT_EQ(errors_of(R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 64,
                          "num_hidden_layers": 1, "num_attention_heads": 4,
                          "num_key_value_heads": 3, "vocab_size": 10})"),
            std::vector<std::string>{"config.json: kv_heads: must divide heads (4), got 3"});
}

TEST(HfConfig, LoadsFromFile) {
  const auto path = std::filesystem::temp_directory_path() / "mpsim_hf_config_test.json";
  std::ofstream(path) << kMistral;
  EXPECT_EQ(named(load_hf_config(path), "mistral-7b"), preset("mistral-7b"));
  std::filesystem::remove(path);
  EXPECT_THROW(load_hf_config(path), ConfigError);
}

}  // namespace
}  // namespace mpsim::workload
