// DESCRIPTION: CUDA kernels of the golden GEMM: one thread per output element, the arithmetic of
// gemm_device_math.h in the same order as the CPU golden model (so the bits match).
// SPDX-License-Identifier: Apache-2.0
#include <cuda_runtime.h>

#include <vector>

#include "launch.h"
#include "mpsim/golden/gemm_device_math.h"

namespace mpsim::golden::cuda_launch {
namespace {

struct Failure {
  std::string message;
};

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw Failure{std::string(what) + ": " + cudaGetErrorString(e)};
}

template <typename T>
struct DeviceBuffer {
  T* ptr = nullptr;
  DeviceBuffer(const T* host, std::size_t n) {
    if (n == 0 || host == nullptr) return;
    check(cudaMalloc(&ptr, n * sizeof(T)), "cudaMalloc");
    check(cudaMemcpy(ptr, host, n * sizeof(T), cudaMemcpyHostToDevice), "cudaMemcpy");
  }
  explicit DeviceBuffer(std::size_t n) { check(cudaMalloc(&ptr, n * sizeof(T)), "cudaMalloc"); }
  ~DeviceBuffer() { cudaFree(ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};
__global__ void fma_kernel(const float* a, const float* b, float* c, std::int64_t m, std::int64_t n,
                           std::int64_t k) {
  const std::int64_t i = blockIdx.y * static_cast<std::int64_t>(blockDim.y) + threadIdx.y;
  const std::int64_t j = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (i >= m || j >= n) return;
  float acc = 0.0f;
  for (std::int64_t t = 0; t < k; ++t) acc = device::fma_rn(a[i * k + t], b[j * k + t], acc);
  c[i * n + j] = acc;
}

__global__ void int_kernel(const std::int32_t* a, const std::int32_t* b, float* c,
                           unsigned long long* overflows, std::int64_t m, std::int64_t n,
                           std::int64_t k, int rule) {
  const std::int64_t i = blockIdx.y * static_cast<std::int64_t>(blockDim.y) + threadIdx.y;
  const std::int64_t j = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (i >= m || j >= n) return;
  std::int64_t acc = 0;
  unsigned long long over = 0;
  for (std::int64_t t = 0; t < k; ++t)
    if (device::int_acc_add(acc, static_cast<std::int64_t>(a[i * k + t]) * b[j * k + t], rule))
      ++over;
  c[i * n + j] = __ll2float_rn(acc);
  if (over) atomicAdd(overflows, over);
}

__global__ void block_kernel(const std::int64_t* ak, const std::int64_t* bk,
                             const std::int32_t* aexp, const std::int32_t* bexp,
                             const std::uint8_t* anan, const std::uint8_t* bnan, float* c,
                             std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t block,
                             std::int64_t nblocks) {
  const std::int64_t i = blockIdx.y * static_cast<std::int64_t>(blockDim.y) + threadIdx.y;
  const std::int64_t j = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (i >= m || j >= n) return;
  float out = 0.0f;
  for (std::int64_t b = 0; b < nblocks; ++b) {
    if (anan[i * nblocks + b] || bnan[j * nblocks + b]) {
      out = __int_as_float(0x7FC00000);
      break;
    }
    device::i128 s = 0;
    const std::int64_t end = (b + 1) * block < k ? (b + 1) * block : k;
    for (std::int64_t t = b * block; t < end; ++t)
      s += static_cast<device::i128>(ak[i * k + t]) * bk[j * k + t];
    const float v =
        device::scaled_int_to_fp32_rne(s, aexp[i * nblocks + b] + bexp[j * nblocks + b]);
    out = device::add_rn(out, v);
    if (isinf(v) || isnan(v)) break;
  }
  c[i * n + j] = out;
}

}  // namespace

std::string device_status() {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) return cudaGetErrorString(e);
  if (count == 0) return "no CUDA device";
  return {};
}

std::string run(const Problem& p, float* c_host, std::uint64_t* overflows) {
  try {
    *overflows = 0;
    if (p.m == 0 || p.n == 0) return {};
    const auto mk = static_cast<std::size_t>(p.m * p.k);
    const auto nk = static_cast<std::size_t>(p.n * p.k);
    DeviceBuffer<float> c(static_cast<std::size_t>(p.m * p.n));
    const dim3 threads(16, 16);
    const dim3 grid(static_cast<unsigned>((p.n + 15) / 16), static_cast<unsigned>((p.m + 15) / 16));
    if (p.semantics == 3) {
      DeviceBuffer<float> a(p.a_f32, mk), b(p.b_f32, nk);
      fma_kernel<<<grid, threads>>>(a.ptr, b.ptr, c.ptr, p.m, p.n, p.k);
    } else if (p.semantics == 2) {
      DeviceBuffer<std::int32_t> a(p.a_i32, mk), b(p.b_i32, nk);
      DeviceBuffer<unsigned long long> over(1);
      check(cudaMemset(over.ptr, 0, sizeof(unsigned long long)), "cudaMemset");
      int_kernel<<<grid, threads>>>(a.ptr, b.ptr, c.ptr, over.ptr, p.m, p.n, p.k, p.int_rule);
      check(cudaGetLastError(), "int_kernel launch");
      unsigned long long host_over = 0;
      check(cudaMemcpy(&host_over, over.ptr, sizeof host_over, cudaMemcpyDeviceToHost),
            "cudaMemcpy");
      *overflows = host_over;
    } else {
      const auto mb = static_cast<std::size_t>(p.m * p.nblocks);
      const auto nb = static_cast<std::size_t>(p.n * p.nblocks);
      DeviceBuffer<std::int64_t> ak(p.a_k, mk), bk(p.b_k, nk);
      DeviceBuffer<std::int32_t> ae(p.a_exp, mb), be(p.b_exp, nb);
      DeviceBuffer<std::uint8_t> an(p.a_nan, mb), bn(p.b_nan, nb);
      block_kernel<<<grid, threads>>>(ak.ptr, bk.ptr, ae.ptr, be.ptr, an.ptr, bn.ptr, c.ptr, p.m,
                                      p.n, p.k, p.block, p.nblocks);
    }
    check(cudaGetLastError(), "kernel launch");
    check(cudaDeviceSynchronize(), "kernel");
    check(cudaMemcpy(c_host, c.ptr, static_cast<std::size_t>(p.m * p.n) * sizeof(float),
                     cudaMemcpyDeviceToHost),
          "cudaMemcpy");
    return {};
  } catch (const Failure& f) {
    return f.message;
  }
}

}  // namespace mpsim::golden::cuda_launch
