// DESCRIPTION: A GemmKernel whose values come from the Verilated int8_mac array: the engine (and
// the SystemC model around it) hands it folds exactly as it would the C++ SystolicKernel, and it
// clocks the RTL through the weight load and the skewed operand stream. Verilator-free header.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>

#include "mpsim/core/gemm_kernel.h"

namespace mpsim::rtl {

/// The 4x4 int8_mac array (rows = cols = 4, weight-stationary, lanes 1, integer operands of at most
/// 8 bits). `mutant` selects the build with the planted bug (to show the bridge catches it).
std::unique_ptr<sim::GemmKernel> make_int8_mac_rtl_gemm_kernel(bool mutant = false);

}  // namespace mpsim::rtl
