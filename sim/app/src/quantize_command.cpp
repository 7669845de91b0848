// DESCRIPTION: `mpsim quantize`: argument validation (every problem at once), input, text/JSON
// output. SPDX-License-Identifier: Apache-2.0
#include "mpsim/app/quantize_command.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

#include "mpsim/app/number_text.h"
#include "mpsim/base/error.h"

namespace mpsim::app {
namespace {

std::string json_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v < 0 ? "-Infinity" : "Infinity";
  // Stored scales are FP32-representable or exact powers of two; print the shortest exact form.
  const auto f = static_cast<float>(v);
  if (static_cast<double>(f) == v) return fmt::format("{}", f);
  return fmt::format("{}", v);
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

template <typename T, typename F>
std::string json_array(const std::vector<T>& v, F&& f) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ", ";
    out += f(v[i]);
  }
  return out + "]";
}

std::string read_all(std::istream& in) {
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

CLI::App* add_quantize_command(CLI::App& app, QuantizeArgs& a) {
  CLI::App* q = app.add_subcommand("quantize", "Quantize a row of numbers into a number format");
  q->add_option("--format,-f", a.format, "Format name (see `mpsim formats`)")->required();
  q->add_option("--block", a.block, "Elements per shared scale (MX, BFP, NF4)");
  q->add_option("--group", a.group, "Elements per group scale/zero (AWQ, GPTQ, QServe, BitMoD)");
  q->add_option("--rounding", a.rounding, "rne | rna | rhu | rtz | floor");
  q->add_option("--overflow", a.overflow, "saturate | inf | wrap");
  q->add_option("--scale-rule", a.scale_rule, "MX shared exponent: floor | ceil | even | rceil");
  q->add_option("--input,-i", a.input, "Input file, or - for standard input")
      ->capture_default_str();
  q->add_flag("--json", a.json, "Print a JSON object with values, codes and stored scales");
  return q;
}

std::string quantized_row_json(const num::QuantizedRow& row, const num::ResolvedOptions& opts) {
  const auto& info = *num::builtin_formats().find(row.format);
  std::string out = "{";
  out += fmt::format("\"format\": {}", json_string(row.format));
  if (info.layout == num::Layout::kBlock) out += fmt::format(", \"block\": {}", opts.size);
  if (info.layout == num::Layout::kGroup) out += fmt::format(", \"group\": {}", opts.size);
  out += fmt::format(", \"rounding\": {}", json_string(num::to_string(opts.rounding)));
  out += fmt::format(", \"overflow\": {}", json_string(num::to_string(opts.overflow)));
  if (info.takes_scale_rule)
    out += fmt::format(", \"scale_rule\": {}", json_string(num::to_string(opts.scale_rule)));
  out += ", \"values\": " + json_array(row.values, [](float v) { return json_number(v); });
  out += ", \"codes\": " + json_array(row.codes, [](std::uint32_t c) { return std::to_string(c); });
  out += ", \"scales\": " +
         json_array(row.scales, [](const num::StoredScale& s) { return json_number(s.scale); });
  out += ", \"scale_codes\": " + json_array(row.scales, [](const num::StoredScale& s) {
           return std::to_string(s.scale_code);
         });
  const bool has_zero = !row.scales.empty() && row.scales.front().zero.has_value();
  if (has_zero) {
    out += ", \"zeros\": " + json_array(row.scales, [](const num::StoredScale& s) {
             return s.zero ? json_number(*s.zero) : std::string("null");
           });
    const bool has_zero_code = row.scales.front().zero_code.has_value();
    if (has_zero_code)
      out += ", \"zero_codes\": " + json_array(row.scales, [](const num::StoredScale& s) {
               return s.zero_code ? std::to_string(*s.zero_code) : std::string("null");
             });
  }
  if (!row.scales.empty() && !row.scales.front().tag.empty())
    out += ", \"tags\": " +
           json_array(row.scales, [](const num::StoredScale& s) { return json_string(s.tag); });
  for (const auto& [k, v] : row.row_params)
    out += fmt::format(", {}: {}", json_string(k), json_number(v));
  if (!row.packed.empty()) {
    std::string hex;
    for (auto b : row.packed) hex += fmt::format("{:02x}", b);
    out += ", \"packed\": " + json_string(hex);
  }
  return out + "}";
}

int run_quantize(const QuantizeArgs& a, std::istream& in, std::ostream& out, std::ostream& err) {
  try {
    std::vector<Diagnostic> diags;
    num::QuantizeOptions opts;
    opts.block = a.block;
    opts.group = a.group;
    if (a.rounding) {
      opts.rounding = num::parse_rounding(*a.rounding);
      if (!opts.rounding)
        diags.push_back({"", "--rounding",
                         fmt::format("unknown rounding '{}' (known: {})", *a.rounding,
                                     fmt::join(num::rounding_names(), ", "))});
    }
    if (a.overflow) {
      opts.overflow = num::parse_overflow(*a.overflow);
      if (!opts.overflow)
        diags.push_back({"", "--overflow",
                         fmt::format("unknown overflow mode '{}' (known: {})", *a.overflow,
                                     fmt::join(num::overflow_names(), ", "))});
    }
    if (a.scale_rule) {
      opts.scale_rule = num::parse_scale_rule(*a.scale_rule);
      if (!opts.scale_rule)
        diags.push_back({"", "--scale-rule",
                         fmt::format("unknown scale rule '{}' (known: {})", *a.scale_rule,
                                     fmt::join(num::scale_rule_names(), ", "))});
    }
    const auto& registry = num::builtin_formats();
    std::unique_ptr<num::Quantizer> q;
    num::ResolvedOptions resolved;
    try {
      q = registry.create(a.format, opts);
      resolved = registry.resolve(q->info(), opts);
    } catch (const ConfigError& e) {
      diags.insert(diags.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
    if (!diags.empty()) throw ConfigError(std::move(diags));

    std::string text;
    std::string source = "<stdin>";
    if (a.input == "-") {
      text = read_all(in);
    } else {
      std::ifstream f(a.input, std::ios::binary);
      if (!f) throw ConfigError(Diagnostic{a.input, "--input", "cannot open input file"});
      text = read_all(f);
      source = a.input;
    }
    const std::vector<float> x = parse_numbers(text, source);
    const num::QuantizedRow row = q->quantize(x);
    if (a.json) {
      out << quantized_row_json(row, resolved) << '\n';
    } else {
      for (float v : row.values) out << format_float(v) << '\n';
    }
    return 0;
  } catch (const ConfigError& e) {
    for (const auto& d : e.diagnostics()) err << "error: " << d.str() << '\n';
    return 2;
  }
}

}  // namespace mpsim::app
