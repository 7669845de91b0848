// DESCRIPTION: config.json -> ModelConfig for the supported families, reporting every missing or
// mistyped field at once.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/workload/hf_config.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mpsim/base/error.h"

namespace mpsim::workload {
namespace {

using nlohmann::json;

const std::vector<std::string> kModelTypes = {"llama", "mistral", "opt", "vit", "deit", "swin"};

std::string type_name(const json& v) { return v.type_name(); }

/// Reads fields of one config object, recording every problem and continuing.
class JsonReader {
 public:
  JsonReader(const json& root, std::string_view source) : root_(root), source_(source) {}

  void error(const std::string& field, std::string msg) {
    diags_.push_back({source_, field, std::move(msg)});
  }
  std::vector<Diagnostic>& diags() { return diags_; }

  bool has_key(const std::string& key) const { return root_.contains(key); }

  /// The field's value, or nullptr when it is absent or JSON null (both mean "use the default").
  const json* find(const std::string& key) const {
    auto it = root_.find(key);
    if (it == root_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  std::optional<std::int64_t> integer(const std::string& key, bool required, std::int64_t min = 1) {
    const json* v = find(key);
    if (v == nullptr) {
      if (required) error(key, "missing required field");
      return std::nullopt;
    }
    if (!v->is_number_integer()) {
      error(key, fmt::format("expected an integer, got {} {}", type_name(*v), v->dump()));
      return std::nullopt;
    }
    const std::int64_t out = v->get<std::int64_t>();
    if (out < min) {
      error(key, fmt::format("must be >= {}, got {}", min, out));
      return std::nullopt;
    }
    return out;
  }

  std::optional<bool> boolean(const std::string& key) {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_boolean()) {
      error(key, fmt::format("expected true or false, got {} {}", type_name(*v), v->dump()));
      return std::nullopt;
    }
    return v->get<bool>();
  }

  std::optional<double> number(const std::string& key) {
    const json* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number()) {
      error(key, fmt::format("expected a number, got {} {}", type_name(*v), v->dump()));
      return std::nullopt;
    }
    const double out = v->get<double>();
    if (!(out > 0.0)) {
      error(key, fmt::format("must be > 0, got {}", out));
      return std::nullopt;
    }
    return out;
  }

  std::optional<std::vector<std::int64_t>> int_list(const std::string& key, bool required) {
    const json* v = find(key);
    if (v == nullptr) {
      if (required) error(key, "missing required field");
      return std::nullopt;
    }
    bool ok = v->is_array() && !v->empty();
    std::vector<std::int64_t> out;
    if (ok) {
      for (const auto& e : *v) {
        if (!e.is_number_integer() || e.get<std::int64_t>() < 1) {
          ok = false;
          break;
        }
        out.push_back(e.get<std::int64_t>());
      }
    }
    if (!ok) {
      error(key, fmt::format("expected a non-empty list of positive integers, got {}", v->dump()));
      return std::nullopt;
    }
    return out;
  }

 private:
  const json& root_;
  std::string source_;
  std::vector<Diagnostic> diags_;
};

/// Classes from num_labels, else the id2label table's size, else the ImageNet-1k head.
std::int64_t read_classes(JsonReader& r) {
  if (auto n = r.integer("num_labels", false, 0)) return *n;
  if (const json* labels = r.find("id2label")) {
    if (labels->is_object()) return static_cast<std::int64_t>(labels->size());
    r.error("id2label", fmt::format("expected an object, got {}", type_name(*labels)));
  }
  return 1000;
}

void read_decoder(JsonReader& r, ModelConfig& c) {
  const bool opt = c.family == Family::kOpt;
  auto set = [](std::int64_t& dst, std::optional<std::int64_t> v) {
    if (v) dst = *v;
  };
  set(c.hidden, r.integer("hidden_size", true));
  set(c.intermediate, r.integer(opt ? "ffn_dim" : "intermediate_size", true));
  set(c.layers, r.integer("num_hidden_layers", true));
  set(c.heads, r.integer("num_attention_heads", true));
  set(c.vocab, r.integer("vocab_size", true));
  // transformers class defaults: OPT and Llama 2048, Mistral 4096*32.
  c.max_positions = c.family == Family::kMistral ? 4096 * 32 : 2048;
  set(c.max_positions, r.integer("max_position_embeddings", false));
  // Older configs predate GQA and head_dim: absent means MHA and hidden/heads.
  c.kv_heads = c.heads;
  if (!opt) set(c.kv_heads, r.integer("num_key_value_heads", false));
  c.head_dim = c.heads > 0 ? c.hidden / c.heads : 0;
  if (!opt) set(c.head_dim, r.integer("head_dim", false));
  if (opt) {
    c.tie_embeddings = r.boolean("tie_word_embeddings").value_or(true);
    c.word_embed_proj_dim = c.hidden;
    set(c.word_embed_proj_dim, r.integer("word_embed_proj_dim", false));
    const bool bias = r.boolean("enable_bias").value_or(true);
    c.qkv_bias = c.out_bias = c.mlp_bias = bias;
    c.final_norm = r.boolean("do_layer_norm_before").value_or(true);
  } else {
    c.tie_embeddings = r.boolean("tie_word_embeddings").value_or(false);
    const bool attn_bias = r.boolean("attention_bias").value_or(false);
    c.qkv_bias = c.out_bias = attn_bias;
    c.mlp_bias = r.boolean("mlp_bias").value_or(false);
    // MistralConfig defaults to a 4096 window when the key is absent; an explicit null (v0.2+)
    // disables it, and Llama configs have no window.
    if (c.family == Family::kMistral && !r.has_key("sliding_window")) c.sliding_window = 4096;
    set(c.sliding_window, r.integer("sliding_window", false, 0));
  }
}

void read_vision(JsonReader& r, ModelConfig& c) {
  auto set = [](std::int64_t& dst, std::optional<std::int64_t> v) {
    if (v) dst = *v;
  };
  c.image_size = 224;
  c.channels = 3;
  c.qkv_bias = r.boolean("qkv_bias").value_or(true);
  c.out_bias = c.mlp_bias = true;  // ViT and Swin always bias the output projection and MLP
  set(c.image_size, r.integer("image_size", false));
  set(c.channels, r.integer("num_channels", false));
  c.num_classes = read_classes(r);
  if (c.family == Family::kSwin) {
    c.patch_size = 4;
    set(c.patch_size, r.integer("patch_size", false));
    set(c.embed_dim, r.integer("embed_dim", true));
    if (auto d = r.int_list("depths", true)) c.depths = *d;
    if (auto h = r.int_list("num_heads", true)) c.stage_heads = *h;
    c.window_size = 7;
    set(c.window_size, r.integer("window_size", false));
    c.mlp_ratio = r.number("mlp_ratio").value_or(4.0);
    if (c.embed_dim > 0 && !c.depths.empty()) {
      c.hidden = c.embed_dim << (c.depths.size() - 1);
      if (auto h = r.integer("hidden_size", false); h && *h != c.hidden)
        r.error("hidden_size",
                fmt::format("must be embed_dim * 2^(stages-1) = {}, got {}", c.hidden, *h));
    }
    return;
  }
  c.patch_size = 16;
  set(c.patch_size, r.integer("patch_size", false));
  set(c.hidden, r.integer("hidden_size", true));
  set(c.intermediate, r.integer("intermediate_size", true));
  set(c.layers, r.integer("num_hidden_layers", true));
  set(c.heads, r.integer("num_attention_heads", true));
  c.kv_heads = c.heads;
  c.head_dim = c.heads > 0 ? c.hidden / c.heads : 0;
  // DeiTModel always carries the distillation token (model_type "deit").
  c.distillation_token = c.family == Family::kDeit;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw ConfigError(
        Diagnostic{path.string(), "", fmt::format("cannot open: {}", std::strerror(errno))});
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

ModelConfig parse_hf_config(std::string_view json_text, std::string_view source) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::parse_error& e) {
    // e.byte is 1-based and points just past the offending character.
    const std::size_t byte = e.byte > 0 ? std::min<std::size_t>(e.byte - 1, json_text.size()) : 0;
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < byte; ++i) {
      if (json_text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string msg = e.what();
    if (auto pos = msg.find("] "); pos != std::string::npos) msg = msg.substr(pos + 2);
    throw ConfigError(Diagnostic{fmt::format("{}:{}:{}", source, line, col), "",
                                 fmt::format("invalid JSON (byte {}): {}", e.byte, msg)});
  }
  if (!root.is_object())
    throw ConfigError(Diagnostic{std::string(source), "",
                                 fmt::format("expected a JSON object, got {}", root.type_name())});
  JsonReader r(root, source);
  ModelConfig c;
  const json* type = r.find("model_type");
  if (type == nullptr || !type->is_string()) {
    r.error("model_type",
            type == nullptr ? "missing required field (one of llama, mistral, opt, vit, deit, swin)"
                            : fmt::format("expected a string, got {}", type->dump()));
    throw ConfigError(std::move(r.diags()));
  }
  const std::string model_type = type->get<std::string>();
  const auto family = parse_family(model_type);
  if (!family) {
    const std::string best = closest_match(model_type, kModelTypes);
    r.error(
        "model_type",
        fmt::format("unsupported model_type '{}'{} (supported: llama, mistral, opt, vit, deit, "
                    "swin)",
                    model_type, best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best)));
    throw ConfigError(std::move(r.diags()));
  }
  c.family = *family;
  c.name = model_type;
  if (const json* n = r.find("_name_or_path");
      n && n->is_string() && !n->get<std::string>().empty())
    c.name = n->get<std::string>();
  if (is_decoder(c.family))
    read_decoder(r, c);
  else
    read_vision(r, c);
  if (!r.diags().empty()) throw ConfigError(std::move(r.diags()));
  validate_model(c, source);
  return c;
}

ModelConfig load_hf_config(const std::filesystem::path& path) {
  return parse_hf_config(read_text(path), path.string());
}

}  // namespace mpsim::workload
