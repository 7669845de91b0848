// DESCRIPTION: placeholder, filled in by the codebook format family work.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/numerics/quantizer.h"

namespace mpsim::num {

void register_codebook_formats(FormatRegistry& /*r*/) {}

}  // namespace mpsim::num
