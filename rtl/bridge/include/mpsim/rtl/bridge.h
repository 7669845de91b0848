// DESCRIPTION: The RTL bridge of `mpsim sim --rtl`: for the small arrays that exist in RTL, the
// Verilated array replaces the C++ datapath inside the (SystemC) array model. Verilator-free.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include "mpsim/core/arch_spec.h"
#include "mpsim/core/engine.h"
#include "mpsim/workload/trace.h"

namespace mpsim::rtl {

/// What RTL arrays exist, in words (for errors and --help).
std::string rtl_arrays();
/// Every reason `arch` and the GEMMs of `trace` cannot run with --rtl (family, shape, dataflow, PE
/// parameters, each format pair once); empty when they can.
std::vector<std::string> rtl_unsupported(const sim::ArchSpec& arch, const workload::Trace& trace);
/// The kernel factory for SimOptions::kernel_factory. A GEMM whose format pair the RTL does not
/// implement throws ConfigError naming the formats (nothing is silently run in C++ instead).
sim::KernelFactory rtl_kernel_factory(bool mutant = false);

}  // namespace mpsim::rtl
