// DESCRIPTION: The RTL bridge: which architectures have an RTL array, and the kernel factory.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/rtl/bridge.h"

#include <fmt/format.h>

#include <algorithm>

#include "mpsim/base/error.h"
#include "rtl_gemm_kernel.h"

namespace mpsim::rtl {
namespace {

/// Operands the int8 array multiplies exactly: signed integers of at most 8 bits (unsigned up to
/// 7 bits, held as signed 8-bit like the C++ family does).
bool int8_operand(const std::string& name) {
  auto bits = [&](std::string_view prefix) {
    if (name.rfind(prefix, 0) != 0) return 0;
    try {
      return std::stoi(name.substr(prefix.size()));
    } catch (...) {
      return 0;
    }
  };
  const int i = bits("int"), u = bits("uint");
  return (i >= 2 && i <= 8) || (u >= 2 && u <= 7);
}

}  // namespace

std::string rtl_arrays() {
  return "int8_mac 4x4 weight-stationary, lanes 1, intN x intN (N <= 8) -> int32 "
         "(rtl/pe/int8_mac/int8_mac_array.sv)";
}

std::vector<std::string> rtl_unsupported(const sim::ArchSpec& a, const workload::Trace& trace) {
  std::vector<std::string> why;
  if (a.pe_type != "int8_mac")
    why.push_back(fmt::format("PE family {} (needs int8_mac)", a.pe_type));
  if (a.rows != 4 || a.cols != 4)
    why.push_back(fmt::format("array {}x{} (needs 4x4)", a.rows, a.cols));
  if (a.dataflow != sim::Dataflow::kWeightStationary) {
    why.push_back("output-stationary dataflow (needs weight-stationary)");
  }
  if (auto it = a.pe_params.ints.find("lanes"); it != a.pe_params.ints.end() && it->second != 1) {
    why.push_back(fmt::format("lanes {} (needs 1)", it->second));
  }
  std::vector<std::string> out;
  if (!why.empty()) {
    std::string s;
    for (const auto& w : why) s += (s.empty() ? "" : ", ") + w;
    out.push_back(
        fmt::format("no RTL array for this architecture: {}. RTL arrays: {}", s, rtl_arrays()));
  }
  std::vector<std::string> pairs;
  for (const auto& op : trace.ops) {
    if (!workload::is_gemm_like(op.kind)) continue;
    if (int8_operand(op.a_format.name) && int8_operand(op.b_format.name)) continue;
    const std::string pair = op.a_format.name + " x " + op.b_format.name;
    if (std::find(pairs.begin(), pairs.end(), pair) != pairs.end()) continue;
    pairs.push_back(pair);
    out.push_back(fmt::format(
        "the RTL array multiplies intN x intN (N <= 8); op {} is {} (use an integer recipe, "
        "e.g. workloads/recipes/int8.yaml)",
        op.name, pair));
  }
  return out;
}

sim::KernelFactory rtl_kernel_factory(bool mutant) {
  return [mutant](const sim::PeType& pe, const sim::PeFormats& f, int rows, int cols,
                  sim::Dataflow d) -> std::unique_ptr<sim::GemmKernel> {
    if (pe.name() != "int8_mac" || rows != 4 || cols != 4 ||
        d != sim::Dataflow::kWeightStationary) {
      throw ConfigError(Diagnostic{"", "--rtl",
                                   fmt::format("no RTL array for {} {}x{}; RTL arrays: {}",
                                               pe.name(), rows, cols, rtl_arrays())});
    }
    if (!int8_operand(f.a.name) || !int8_operand(f.w.name)) {
      throw ConfigError(Diagnostic{
          "", "--rtl",
          fmt::format("the int8_mac RTL array multiplies intN x intN (N <= 8); a GEMM of the "
                      "workload is {} x {} (use an integer recipe, e.g. "
                      "workloads/recipes/int8.yaml)",
                      f.a.name, f.w.name)});
    }
    return make_int8_mac_rtl_gemm_kernel(mutant);
  };
}

}  // namespace mpsim::rtl
