// DESCRIPTION: The CUDA golden GEMM API over the C++17 kernel launcher.
// SPDX-License-Identifier: Apache-2.0
#include "launch.h"
#include "mpsim/base/error.h"
#include "mpsim/golden/gemm_cuda.h"
#include "mpsim/golden/gemm_device_math.h"

namespace mpsim::golden {

bool cuda_available(std::string* why) {
  const std::string status = cuda_launch::device_status();
  if (why) *why = status;
  return status.empty();
}

GemmResult gemm_quantized_cuda(const QuantMatrix& qa, const QuantMatrix& qb, const GemmOptions& o) {
  std::string why;
  if (!cuda_available(&why))
    throw ConfigError(Diagnostic{"", "cuda", "no usable CUDA device: " + why});
  const PackedGemm p = pack_gemm(qa, qb, o);
  cuda_launch::Problem lp;
  lp.semantics = static_cast<int>(p.semantics);
  lp.int_rule = p.acc == "int32"       ? device::kInt32Wrap
                : p.acc == "int32_sat" ? device::kInt32Sat
                                       : device::kInt64Wrap;
  lp.m = p.m;
  lp.n = p.n;
  lp.k = p.k;
  lp.block = p.block;
  lp.nblocks = p.nblocks;
  lp.a_f32 = p.a_f32.data();
  lp.b_f32 = p.b_f32.data();
  lp.a_i32 = p.a_i32.data();
  lp.b_i32 = p.b_i32.data();
  lp.a_k = p.a_k.data();
  lp.b_k = p.b_k.data();
  lp.a_exp = p.a_exp.data();
  lp.b_exp = p.b_exp.data();
  lp.a_nan = p.a_nan.data();
  lp.b_nan = p.b_nan.data();
  GemmResult r;
  r.semantics = p.semantics;
  r.acc = p.acc;
  r.c = Matrix::zeros(p.m, p.n);
  const std::string err = cuda_launch::run(lp, r.c.data.data(), &r.acc_overflows);
  if (!err.empty()) throw ConfigError(Diagnostic{"", "cuda", err});
  return r;
}

}  // namespace mpsim::golden
