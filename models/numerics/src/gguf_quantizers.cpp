// DESCRIPTION: placeholder, filled in by the gguf format family work.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/numerics/quantizer.h"

namespace mpsim::num {

void register_gguf_formats(FormatRegistry& /*r*/) {}

}  // namespace mpsim::num
