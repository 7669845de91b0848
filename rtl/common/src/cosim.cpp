// DESCRIPTION: Co-simulation plumbing shared by every family: trace option parsing, mismatch
// reports, and the run loop over configurations.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/rtl/cosim.h"

#include <charconv>
#include <stdexcept>

namespace mpsim::rtl {
namespace {

bool parse_u64(std::string_view s, std::uint64_t& out) {
  const auto* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && p == end;
}

}  // namespace

std::string parse_trace_format(std::string_view s, TraceOptions& out) {
  if (s == "fst") {
    out.format = TraceOptions::Format::kFst;
    return {};
  }
  if (s == "none" || s == "off") {
    out.format = TraceOptions::Format::kNone;
    return {};
  }
  if (s == "vcd") {
    return "--trace vcd: the RTL is Verilated with FST tracing (smaller, faster); use --trace fst "
           "and convert with gtkwave's fst2vcd if a VCD is needed";
  }
  return "--trace: unknown waveform format '" + std::string(s) + "' (expected fst or none)";
}

std::string parse_trace_window(std::string_view s, TraceOptions& out) {
  const auto colon = s.find(':');
  if (colon == std::string_view::npos) {
    return "--trace-window '" + std::string(s) + "': expected A:B (cycles, either side optional)";
  }
  const auto a = s.substr(0, colon), b = s.substr(colon + 1);
  std::uint64_t from = 0, to = std::numeric_limits<std::uint64_t>::max();
  if (!a.empty() && !parse_u64(a, from)) {
    return "--trace-window: '" + std::string(a) + "' is not a cycle number";
  }
  if (!b.empty() && !parse_u64(b, to)) {
    return "--trace-window: '" + std::string(b) + "' is not a cycle number";
  }
  if (to < from) return "--trace-window " + std::string(s) + ": the window ends before it starts";
  out.from = from;
  out.to = to;
  return {};
}

std::string_view stimulus_name(Stimulus s) {
  switch (s) {
    case Stimulus::kRandom:
      return "random";
    case Stimulus::kCorner:
      return "corner";
    case Stimulus::kWorkload:
      return "workload";
    case Stimulus::kMixed:
      return "mixed";
  }
  return "?";
}

bool parse_stimulus(std::string_view s, Stimulus& out) {
  for (Stimulus v : {Stimulus::kRandom, Stimulus::kCorner, Stimulus::kWorkload, Stimulus::kMixed}) {
    if (s == stimulus_name(v)) {
      out = v;
      return true;
    }
  }
  return false;
}

std::string Mismatch::describe() const {
  std::ostringstream os;
  os << "RTL and model differ";
  if (!config.empty()) os << " [" << config << "]";
  os << " at cycle " << cycle << ", signal " << signal << ": expected " << expected << ", actual "
     << actual << " (seed " << seed << ")";
  return os.str();
}

const CosimTarget* find_cosim_target(std::string_view name) {
  for (const CosimTarget* t : cosim_targets()) {
    if (t->name() == name) return t;
  }
  return nullptr;
}

std::vector<CosimResult> run_cosim(const CosimTarget& t, const CosimOptions& opt) {
  const std::vector<std::string> all = t.configs();
  std::vector<std::string> configs = opt.configs;
  if (configs.empty()) {
    for (const auto& c : all) {
      if (!opt.mutant || t.has_mutant(c)) configs.push_back(c);
    }
  }
  std::string unknown;
  for (const auto& c : configs) {
    bool found = false;
    for (const auto& a : all) found = found || a == c;
    if (!found) unknown += (unknown.empty() ? "" : ", ") + c;
  }
  if (!unknown.empty()) {
    std::string known;
    for (const auto& a : all) known += (known.empty() ? "" : ", ") + a;
    throw std::invalid_argument(t.name() + ": no RTL configuration " + unknown + " (has: " + known +
                                ")");
  }
  if (opt.mutant) {
    std::string none;
    for (const auto& c : configs) {
      if (!t.has_mutant(c)) none += (none.empty() ? "" : ", ") + c;
    }
    if (!none.empty()) {
      throw std::invalid_argument(t.name() + ": no mutant build of " + none);
    }
  }
  std::vector<CosimResult> out;
  for (const auto& c : configs) {
    CosimOptions o = opt;
    if (o.trace.enabled() && configs.size() > 1 && !o.trace.path.empty()) {
      // One waveform per configuration: insert the configuration before the extension.
      const auto dot = o.trace.path.rfind('.');
      o.trace.path = dot == std::string::npos
                         ? o.trace.path + "." + c
                         : o.trace.path.substr(0, dot) + "." + c + o.trace.path.substr(dot);
    }
    out.push_back(t.run(c, o));
    if (out.back().mismatch) break;
  }
  return out;
}

}  // namespace mpsim::rtl
