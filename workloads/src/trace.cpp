// DESCRIPTION: Op/trace enums and names, and the per-op work and traffic measures (MACs, elements,
// operand bytes) that performance models build on.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/workload/trace.h"

#include <fmt/format.h>

#include <array>

#include "mpsim/base/error.h"

namespace mpsim::workload {
namespace {

constexpr std::array<std::string_view, 9> kOpKindNames = {
    "gemm", "batched_gemm", "softmax", "layernorm",  "rmsnorm",
    "gelu", "silu",         "relu",    "elementwise"};
constexpr std::array<std::string_view, 3> kPhaseNames = {"none", "prefill", "decode"};

// Accumulators and wide outputs have no quantizer in the numerics registry (nothing rounds to
// them there), yet traces must name them; their storage width is all a trace needs.
struct WideFormat {
  std::string_view name;
  double bits;
};
constexpr std::array<WideFormat, 2> kWideFormats = {{{"fp32", 32.0}, {"int32", 32.0}}};

const WideFormat* find_wide(const num::FormatSpec& f) {
  for (const auto& w : kWideFormats)
    if (f.name == w.name) return &w;
  return nullptr;
}

}  // namespace

std::string_view to_string(OpKind k) { return kOpKindNames[static_cast<std::size_t>(k)]; }

std::optional<OpKind> parse_op_kind(std::string_view name) {
  for (std::size_t i = 0; i < kOpKindNames.size(); ++i)
    if (kOpKindNames[i] == name) return static_cast<OpKind>(i);
  return std::nullopt;
}

const std::vector<std::string>& op_kind_names() {
  static const std::vector<std::string> v(kOpKindNames.begin(), kOpKindNames.end());
  return v;
}

std::string_view to_string(Phase p) { return kPhaseNames[static_cast<std::size_t>(p)]; }

std::optional<Phase> parse_phase(std::string_view name) {
  for (std::size_t i = 0; i < kPhaseNames.size(); ++i)
    if (kPhaseNames[i] == name) return static_cast<Phase>(i);
  return std::nullopt;
}

const std::vector<std::string>& phase_names() {
  static const std::vector<std::string> v(kPhaseNames.begin(), kPhaseNames.end());
  return v;
}

bool is_gemm_like(OpKind k) { return k == OpKind::kGemm || k == OpKind::kBatchedGemm; }

void validate_format(const num::FormatSpec& f) {
  if (const WideFormat* w = find_wide(f)) {
    if (f.options == num::QuantizeOptions{}) return;
    throw ConfigError(Diagnostic{
        "", "", fmt::format("format '{}' takes no options (got '{}')", w->name, f.str())});
  }
  num::builtin_formats().create(f.name, f.options);  // throws every problem it finds
}

double format_bits(const num::FormatSpec& f) {
  if (const WideFormat* w = find_wide(f)) return w->bits;
  return num::bits_per_element(f);
}

std::int64_t Op::macs() const { return is_gemm_like(kind) ? batch * m * n * k * repeat : 0; }

std::int64_t Op::elements() const { return batch * m * n * repeat; }

double Op::operand_bytes(char which) const {
  double count = 0.0;
  const num::FormatSpec* f = nullptr;
  const bool gemm = is_gemm_like(kind);
  switch (which) {
    case 'a':
      f = &a_format;
      count =
          static_cast<double>(batch) * static_cast<double>(m) * static_cast<double>(gemm ? k : n);
      break;
    case 'b':
      f = &b_format;
      if (gemm) {
        const std::int64_t distinct = (batch + b_shared - 1) / b_shared;
        count = static_cast<double>(distinct) * static_cast<double>(k) * static_cast<double>(n);
      } else if (b_tensor.empty()) {
        count = 0.0;
      } else if (b_is_weight) {
        count = static_cast<double>(n);
      } else {
        count = static_cast<double>(batch) * static_cast<double>(m) * static_cast<double>(n);
      }
      break;
    case 'o':
      f = &out_format;
      count = static_cast<double>(batch) * static_cast<double>(m) * static_cast<double>(n);
      break;
    default:
      MPSIM_CHECK(false,
                  fmt::format("operand_bytes: operand must be 'a', 'b' or 'o', got '{}'", which));
  }
  if (count == 0.0) return 0.0;
  return count * format_bits(*f) / 8.0 * static_cast<double>(repeat);
}

std::int64_t Trace::total_macs() const {
  std::int64_t total = 0;
  for (const auto& op : ops) total += op.macs();
  return total;
}

}  // namespace mpsim::workload
