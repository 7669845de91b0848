// DESCRIPTION: The golden GEMM C = A x B for every pair of number formats, with pinned bit-exact
// semantics (block-exact MX/BFP, exact integer, or an FP32 FMA chain), fast exact kernels for the
// common pairs and oneDNN's s8s8s32 matmul where it is provably identical. See docs/golden.md.
// SPDX-License-Identifier: Apache-2.0
//
// Example:
//   GemmOptions o;
//   o.a_format = num::FormatSpec{"mxfp4"};
//   o.b_format = num::FormatSpec{"mxfp8_e4m3"};
//   GemmResult r = gemm(a, b, o);  // r.c is a.rows x b.cols, r.semantics == kBlockExact
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mpsim/golden/matrix.h"
#include "mpsim/numerics/quantizer.h"
#include "mpsim/numerics/rounding.h"

namespace mpsim::golden {

/// How C[m,n] is computed from the quantized operands (docs/golden.md pins each bit for bit).
enum class GemmSemantics : std::uint8_t {
  kAuto,  ///< the first of the three below that applies to the format pair
  /// Both MX/BFP with equal block sizes: C[m,n] = num::block_dot(A row m, B column n) (§16.3).
  kBlockExact,
  /// Both scalar integer formats (intN, uintN, bipolar_intN): exact integer products summed in
  /// ascending k into the integer accumulator, converted to FP32 with RNE at the end.
  kInteger,
  /// Any pair: dequantized FP32 operands, acc = fmaf(a_k, b_k, acc) for k ascending from +0.0f.
  kFp32Fma,
};

/// What to compute.
struct GemmOptions {
  num::FormatSpec a_format{"fp32", {}};
  num::FormatSpec b_format{"fp32", {}};
  /// Accumulator: "auto", "fp32", "int32" (two's complement wrap, overflows counted),
  /// "int32_sat" (saturating), "int64" (wraps at 64 bits). "auto" is int32 for kInteger and fp32
  /// otherwise. kFp32Fma takes only "fp32"/"auto"; kInteger only the integer ones; kBlockExact
  /// only "fp32"/"auto".
  std::string acc = "auto";
  /// Rounding of each block result in kBlockExact (the FP32 block sum rounding of §16.3).
  num::Rounding acc_rounding = num::Rounding::kNearestEven;
  GemmSemantics semantics = GemmSemantics::kAuto;
  /// Allow oneDNN's s8s8s32 matmul where its result is provably identical to kInteger int32.
  bool use_onednn = true;
};

/// The product and how it was computed.
struct GemmResult {
  Matrix c;                                        ///< a.rows x b.cols
  GemmSemantics semantics = GemmSemantics::kAuto;  ///< the one that ran (never kAuto)
  std::string acc;                  ///< the accumulator that ran ("fp32", "int32", ...)
  std::uint64_t acc_overflows = 0;  ///< int32 wrap/saturation events (§16.6), summed over C
  bool used_onednn = false;         ///< true when oneDNN computed C
};

/// Quantizes a by rows and b by columns (o.a_format / o.b_format) and calls gemm_quantized.
/// Throws ConfigError on a bad format, an inapplicable semantics/accumulator or a shape mismatch.
GemmResult gemm(const Matrix& a, const Matrix& b, const GemmOptions& o);
/// C = A x B from operands quantized by quantize_rows(A) and quantize_cols(B); qa.cols must equal
/// qb.rows. o.a_format/o.b_format are ignored (the operands carry their formats).
GemmResult gemm_quantized(const QuantMatrix& qa, const QuantMatrix& qb, const GemmOptions& o);
/// The unquantized product in FP64 (k ascending, plain double multiply-add), row-major M x N:
/// the reference for error statistics.
std::vector<double> gemm_reference_f64(const Matrix& a, const Matrix& b);

/// Name of a semantics ("auto", "block_exact", "integer", "fp32_fma").
const char* semantics_name(GemmSemantics s);

}  // namespace mpsim::golden
