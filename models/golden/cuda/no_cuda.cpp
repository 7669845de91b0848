// DESCRIPTION: The CUDA golden GEMM entry points in a build without CUDA.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/base/error.h"
#include "mpsim/golden/gemm_cuda.h"

namespace mpsim::golden {

bool cuda_available(std::string* why) {
  if (why) *why = "mpsim was built without CUDA (no nvcc found at configure time)";
  return false;
}

GemmResult gemm_quantized_cuda(const QuantMatrix&, const QuantMatrix&, const GemmOptions&) {
  throw ConfigError(Diagnostic{"", "cuda", "mpsim was built without CUDA"});
}

}  // namespace mpsim::golden
