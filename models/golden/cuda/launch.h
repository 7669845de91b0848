// DESCRIPTION: The C++17 boundary between the golden model (C++20) and the CUDA kernels: raw arrays
// of a PackedGemm in, C and the overflow count out. nvcc compiles only this and the device math.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>

namespace mpsim::golden::cuda_launch {

struct Problem {
  int semantics = 0;  // 1 block-exact, 2 integer, 3 fp32-fma (GemmSemantics values)
  int int_rule = 0;   // device::IntAcc
  std::int64_t m = 0, n = 0, k = 0, block = 0, nblocks = 0;
  const float* a_f32 = nullptr;
  const float* b_f32 = nullptr;
  const std::int32_t* a_i32 = nullptr;
  const std::int32_t* b_i32 = nullptr;
  const std::int64_t* a_k = nullptr;
  const std::int64_t* b_k = nullptr;
  const std::int32_t* a_exp = nullptr;
  const std::int32_t* b_exp = nullptr;
  const std::uint8_t* a_nan = nullptr;
  const std::uint8_t* b_nan = nullptr;
};

/// Returns an empty string when a device is usable, else why not.
std::string device_status();
/// Runs the problem; writes m*n floats to c and the integer overflow count. Returns an error
/// message, or an empty string on success.
std::string run(const Problem& p, float* c, std::uint64_t* overflows);

}  // namespace mpsim::golden::cuda_launch
