// DESCRIPTION: Packing quantized operands for the device GEMM, and the host replay of the kernels.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "mpsim/base/error.h"
#include "mpsim/golden/gemm_cuda.h"
#include "mpsim/golden/gemm_device_math.h"
#include "mpsim/numerics/block_dot.h"

namespace mpsim::golden {
namespace {

bool is_integer_format(const std::string& name) {
  return name.rfind("int", 0) == 0
             ? name.find('_') == std::string::npos
             : name.rfind("uint", 0) == 0 || name.rfind("bipolar_int", 0) == 0;
}

int int_rule(const std::string& acc) {
  if (acc == "int32") return device::kInt32Wrap;
  if (acc == "int32_sat") return device::kInt32Sat;
  return device::kInt64Wrap;
}

}  // namespace

PackedGemm pack_gemm(const QuantMatrix& qa, const QuantMatrix& qb, const GemmOptions& o) {
  if (qa.cols != qb.rows)
    throw ConfigError(Diagnostic{"", "gemm",
                                 fmt::format("inner dimensions differ: A is {}x{}, B is {}x{}",
                                             qa.rows, qa.cols, qb.rows, qb.cols)});
  PackedGemm p;
  p.m = qa.rows;
  p.n = qb.cols;
  p.k = qa.cols;
  const auto ea = num::block_element(qa.format.name);
  const auto eb = num::block_element(qb.format.name);
  const int block_a = qa.lines.empty() ? 0 : qa.lines.front().block;
  const int block_b = qb.lines.empty() ? 0 : qb.lines.front().block;
  GemmSemantics s = o.semantics;
  if (s == GemmSemantics::kAuto) {
    if (ea && eb && block_a == block_b) {
      s = GemmSemantics::kBlockExact;
    } else if (is_integer_format(qa.format.name) && is_integer_format(qb.format.name)) {
      s = GemmSemantics::kInteger;
    } else {
      s = GemmSemantics::kFp32Fma;
    }
  }
  p.semantics = s;
  p.acc = o.acc == "auto" ? (s == GemmSemantics::kInteger ? "int32" : "fp32") : o.acc;
  const auto mk = static_cast<std::size_t>(p.m * p.k);
  const auto nk = static_cast<std::size_t>(p.n * p.k);
  switch (s) {
    case GemmSemantics::kFp32Fma:
      p.a_f32.resize(mk);
      p.b_f32.resize(nk);
      for (std::int64_t i = 0; i < p.m; ++i)
        std::copy(qa.lines[i].values.begin(), qa.lines[i].values.end(), p.a_f32.begin() + i * p.k);
      for (std::int64_t j = 0; j < p.n; ++j)
        std::copy(qb.lines[j].values.begin(), qb.lines[j].values.end(), p.b_f32.begin() + j * p.k);
      break;
    case GemmSemantics::kInteger:
      p.a_i32.resize(mk);
      p.b_i32.resize(nk);
      for (std::int64_t i = 0; i < p.m; ++i)
        for (std::int64_t t = 0; t < p.k; ++t)
          p.a_i32[i * p.k + t] = static_cast<std::int32_t>(qa.lines[i].values[t]);
      for (std::int64_t j = 0; j < p.n; ++j)
        for (std::int64_t t = 0; t < p.k; ++t)
          p.b_i32[j * p.k + t] = static_cast<std::int32_t>(qb.lines[j].values[t]);
      break;
    case GemmSemantics::kBlockExact: {
      if (o.acc_rounding != num::Rounding::kNearestEven)
        throw ConfigError(Diagnostic{
            "", "acc_rounding", "the CUDA golden GEMM supports block-result rounding 'rne' only"});
      p.block = block_a;
      p.nblocks = (p.k + p.block - 1) / p.block;
      auto pack_side = [&](const QuantMatrix& q, const num::BlockElement& el, std::int64_t lines,
                           std::vector<std::int64_t>& kv, std::vector<std::int32_t>& ex,
                           std::vector<std::uint8_t>& nan) {
        kv.assign(static_cast<std::size_t>(lines * p.k), 0);
        ex.assign(static_cast<std::size_t>(lines * p.nblocks), 0);
        nan.assign(static_cast<std::size_t>(lines * p.nblocks), 0);
        for (std::int64_t i = 0; i < lines; ++i) {
          const auto& row = q.lines[i];
          for (std::int64_t b = 0; b < p.nblocks; ++b) {
            const std::uint32_t sc = row.scales[b].scale_code;
            ex[i * p.nblocks + b] = static_cast<std::int32_t>(sc) - 127 + el.ulp_exp;
            bool bad = sc == 0xFF;
            for (std::int64_t t = b * p.block; t < std::min(p.k, (b + 1) * p.block); ++t) {
              if (el.format.is_nan_code(row.codes[t])) {
                bad = true;
              } else {
                kv[i * p.k + t] = el.integer(row.codes[t]);
              }
            }
            nan[i * p.nblocks + b] = bad ? 1 : 0;
          }
        }
      };
      pack_side(qa, *ea, p.m, p.a_k, p.a_exp, p.a_nan);
      pack_side(qb, *eb, p.n, p.b_k, p.b_exp, p.b_nan);
      break;
    }
    case GemmSemantics::kAuto:
      break;
  }
  return p;
}

GemmResult run_packed_on_host(const PackedGemm& p) {
  GemmResult r;
  r.semantics = p.semantics;
  r.acc = p.acc;
  r.c = Matrix::zeros(p.m, p.n);
  for (std::int64_t i = 0; i < p.m; ++i) {
    for (std::int64_t j = 0; j < p.n; ++j) {
      float out = 0.0f;
      if (p.semantics == GemmSemantics::kFp32Fma) {
        for (std::int64_t t = 0; t < p.k; ++t)
          out = device::fma_rn(p.a_f32[i * p.k + t], p.b_f32[j * p.k + t], out);
      } else if (p.semantics == GemmSemantics::kInteger) {
        std::int64_t acc = 0;
        const int rule = int_rule(p.acc);
        for (std::int64_t t = 0; t < p.k; ++t)
          if (device::int_acc_add(
                  acc, static_cast<std::int64_t>(p.a_i32[i * p.k + t]) * p.b_i32[j * p.k + t],
                  rule))
            ++r.acc_overflows;
        out = static_cast<float>(acc);
      } else {
        for (std::int64_t b = 0; b < p.nblocks; ++b) {
          if (p.a_nan[i * p.nblocks + b] || p.b_nan[j * p.nblocks + b]) {
            out = std::numeric_limits<float>::quiet_NaN();
            break;
          }
          device::i128 s = 0;
          for (std::int64_t t = b * p.block; t < std::min(p.k, (b + 1) * p.block); ++t)
            s += static_cast<device::i128>(p.a_k[i * p.k + t]) * p.b_k[j * p.k + t];
          const float v = device::scaled_int_to_fp32_rne(
              s, p.a_exp[i * p.nblocks + b] + p.b_exp[j * p.nblocks + b]);
          if (!std::isfinite(v)) {  // block_dot stops at the first non-finite block result
            out = device::add_rn(out, v);
            break;
          }
          out = device::add_rn(out, v);
        }
      }
      r.c.at(i, j) = out;
    }
  }
  return r;
}

}  // namespace mpsim::golden
