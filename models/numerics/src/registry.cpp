// DESCRIPTION: The format registry: lookup by canonical name, option validation, and the explicit
// list of built-in format families.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <algorithm>

#include "mpsim/base/error.h"
#include "mpsim/numerics/quantizer.h"

namespace mpsim::num {
namespace {

template <typename T>
std::string join_names(const std::vector<T>& v) {
  std::string out;
  for (const auto& x : v) {
    if (!out.empty()) out += ", ";
    out += to_string(x);
  }
  return out;
}

std::string size_word(const FormatInfo& info) {
  return info.layout == Layout::kGroup ? "group" : "block";
}

}  // namespace

void reset_row(QuantizedRow& row, std::string_view format, int block, std::size_t n) {
  row.format = format;
  row.block = block;
  row.scales.clear();
  row.packed.clear();
  row.row_params.clear();
  row.codes.resize(n);
  row.values.resize(n);
}

void FormatRegistry::add(FormatInfo info, QuantizerFactory factory) {
  MPSIM_CHECK(find(info.name) == nullptr, "format registered twice: " + info.name);
  MPSIM_CHECK(!info.roundings.empty() && !info.overflows.empty(),
              "format without a default rounding/overflow: " + info.name);
  entries_.push_back(Entry{std::move(info), std::move(factory)});
}

const FormatInfo* FormatRegistry::find(std::string_view name) const {
  for (const auto& e : entries_)
    if (e.info.name == name) return &e.info;
  return nullptr;
}

std::vector<std::string> FormatRegistry::names() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back(e.info.name);
  return out;
}

ResolvedOptions FormatRegistry::resolve(const FormatInfo& info, const QuantizeOptions& opts) const {
  std::vector<Diagnostic> diags;
  ResolvedOptions r;
  r.size = info.default_size;
  auto check_size = [&](const std::optional<int>& v, std::string_view opt, Layout want) {
    if (!v) return;
    const std::string field = fmt::format("--{}", opt);
    if (info.layout == Layout::kScalar) {
      diags.push_back(
          {"", field,
           fmt::format("format '{}' is a scalar format and takes no {} size", info.name, opt)});
    } else if (info.layout != want) {
      diags.push_back({"", field,
                       fmt::format("format '{}' has {}s, not {}s: use --{} instead", info.name,
                                   size_word(info), opt, size_word(info))});
    } else if (info.size_fixed) {
      if (*v != info.default_size)
        diags.push_back({"", field,
                         fmt::format("format '{}' has a fixed {} size of {}; got {}", info.name,
                                     opt, info.default_size, *v)});
    } else if (*v < 1 || *v > (1 << 20)) {
      diags.push_back({"", field, fmt::format("{} size must be in [1, 1048576], got {}", opt, *v)});
    } else {
      r.size = *v;
    }
  };
  check_size(opts.block, "block", Layout::kBlock);
  check_size(opts.group, "group", Layout::kGroup);
  r.rounding = info.roundings.front();
  if (opts.rounding) {
    if (std::find(info.roundings.begin(), info.roundings.end(), *opts.rounding) ==
        info.roundings.end())
      diags.push_back(
          {"", "--rounding",
           fmt::format("format '{}' does not support rounding '{}' (supported: {})", info.name,
                       to_string(*opts.rounding), join_names(info.roundings))});
    else
      r.rounding = *opts.rounding;
  }
  r.overflow = info.overflows.front();
  if (opts.overflow) {
    if (std::find(info.overflows.begin(), info.overflows.end(), *opts.overflow) ==
        info.overflows.end())
      diags.push_back(
          {"", "--overflow",
           fmt::format("format '{}' does not support overflow '{}' (supported: {})", info.name,
                       to_string(*opts.overflow), join_names(info.overflows))});
    else
      r.overflow = *opts.overflow;
  }
  if (opts.scale_rule) {
    if (!info.takes_scale_rule)
      diags.push_back(
          {"", "--scale-rule",
           fmt::format("format '{}' has no shared-exponent scale rule (MX formats only)",
                       info.name)});
    else
      r.scale_rule = *opts.scale_rule;
  }
  if (!diags.empty()) throw ConfigError(std::move(diags));
  return r;
}

std::unique_ptr<Quantizer> FormatRegistry::create(std::string_view name,
                                                  const QuantizeOptions& opts) const {
  for (const auto& e : entries_)
    if (e.info.name == name) return e.factory(resolve(e.info, opts));
  const auto known = names();
  const std::string best = closest_match(name, known);
  std::string msg = fmt::format("unknown format '{}'", name);
  if (!best.empty()) msg += fmt::format(" (did you mean '{}'?)", best);
  msg += fmt::format("; known formats: {}", fmt::join(known, ", "));
  throw ConfigError(Diagnostic{"", "--format", msg});
}

std::string FormatSpec::str() const {
  std::string out = name;
  if (options.block) out += fmt::format("/b{}", *options.block);
  if (options.group) out += fmt::format("/g{}", *options.group);
  if (options.rounding) out += fmt::format("/{}", to_string(*options.rounding));
  if (options.overflow) out += fmt::format("/{}", to_string(*options.overflow));
  if (options.scale_rule) out += fmt::format("/scale_{}", to_string(*options.scale_rule));
  return out;
}

FormatSpec FormatSpec::parse(std::string_view text) {
  FormatSpec f;
  std::size_t pos = text.find('/');
  f.name = std::string(text.substr(0, pos));
  std::vector<Diagnostic> diags;
  while (pos != std::string_view::npos) {
    const std::size_t next = text.find('/', pos + 1);
    const std::string part(text.substr(pos + 1, next == std::string_view::npos ? next : next - pos - 1));
    auto number = [&](std::string_view digits) -> std::optional<int> {
      int v = 0;
      if (digits.empty() || digits.size() > 7) return std::nullopt;
      for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
      }
      return v;
    };
    if (part.size() > 1 && part[0] == 'b' && number(std::string_view(part).substr(1))) {
      f.options.block = number(std::string_view(part).substr(1));
    } else if (part.size() > 1 && part[0] == 'g' && number(std::string_view(part).substr(1))) {
      f.options.group = number(std::string_view(part).substr(1));
    } else if (auto r = parse_rounding(part)) {
      f.options.rounding = r;
    } else if (auto o = parse_overflow(part)) {
      f.options.overflow = o;
    } else if (part.rfind("scale_", 0) == 0 && parse_scale_rule(std::string_view(part).substr(6))) {
      f.options.scale_rule = parse_scale_rule(std::string_view(part).substr(6));
    } else {
      diags.push_back({"", "format", fmt::format("bad option '{}' in format '{}' (expected bN, gN, a "
                                                 "rounding, an overflow mode or scale_RULE)",
                                                 part, text)});
    }
    pos = next;
  }
  if (!diags.empty()) throw ConfigError(std::move(diags));
  return f;
}

double bits_per_element(const FormatSpec& f) {
  const auto& r = builtin_formats();
  const FormatInfo* info = r.find(f.name);
  if (info == nullptr) r.create(f.name, f.options);  // throws the usual unknown-format error
  const ResolvedOptions o = r.resolve(*info, f.options);
  return info->element_bits + (o.size > 0 ? static_cast<double>(info->overhead_bits) / o.size : 0.0);
}

const FormatRegistry& builtin_formats() {
  static const FormatRegistry registry = [] {
    FormatRegistry r;
    register_scalar_formats(r);
    register_block_formats(r);
    register_group_int_formats(r);
    register_gguf_formats(r);
    register_codebook_formats(r);
    return r;
  }();
  return registry;
}

}  // namespace mpsim::num
