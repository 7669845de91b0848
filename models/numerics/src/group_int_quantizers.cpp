// DESCRIPTION: placeholder, filled in by the group_int format family work.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/numerics/quantizer.h"

namespace mpsim::num {

void register_group_int_formats(FormatRegistry& /*r*/) {}

}  // namespace mpsim::num
