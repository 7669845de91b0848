// DESCRIPTION: oneDNN's s8 x s8 -> s32 matmul, used by the golden GEMM only where its result is
// provably the exact integer product (VNNI present and no int32 partial sum can overflow).
// SPDX-License-Identifier: Apache-2.0
//
// Why the guard: oneDNN's int8 kernels for AVX2/AVX-512 without VNNI multiply u8 x s8 pairs with
// vpmaddubsw, whose 16-bit pair sum saturates (oneDNN's "Nuances of int8 computations"), and s8
// sources are shifted by +128 into u8 with a compensation term; the 32-bit accumulation is
// unchecked. With VNNI (vpdpbusd) each group of four u8 x s8 products goes straight into int32, so
// as long as no intermediate can leave int32 the result is the exact sum.
#include <cstdint>
#include <dnnl.hpp>

namespace mpsim::golden::detail {

/// True when onednn_s8s8s32() is exact for reduction length k: the effective ISA has VNNI
/// (avx512_core_vnni or avx2_vnni, tested as bit sets: dnnl's ISA values are masks) and
/// k * 2^16 <= 2^31, which bounds |sum (a + 128) b| + |128 sum b| < k (255 * 128 + 128 * 128).
bool onednn_s8s8s32_exact(std::int64_t k) {
  if (k <= 0 || k > (std::int64_t{1} << 15)) return false;
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto vnni512 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_vnni);
  const auto vnni256 = static_cast<unsigned>(dnnl::cpu_isa::avx2_vnni);
  return (isa & vnni512) == vnni512 || (isa & vnni256) == vnni256;
}

/// c (m x n, row-major) = a (m x k, row-major) x b where b is given transposed, bt (n x k).
void onednn_s8s8s32(const std::int8_t* a, const std::int8_t* bt, std::int64_t m, std::int64_t n,
                    std::int64_t k, std::int32_t* c) {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  static const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  const dnnl::memory::desc a_md({m, k}, dt::s8, tag::ab);
  const dnnl::memory::desc b_md({k, n}, dt::s8, tag::ba);  // column-major K x N = bt row-major
  const dnnl::memory::desc c_md({m, n}, dt::s32, tag::ab);
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), eng);
  dnnl::memory am(a_md, eng, const_cast<std::int8_t*>(a));
  dnnl::memory bm(b_md, eng, const_cast<std::int8_t*>(bt));
  dnnl::memory cm(c_md, eng, c);
  dnnl::matmul(pd).execute(strm, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
  strm.wait();
}

}  // namespace mpsim::golden::detail
