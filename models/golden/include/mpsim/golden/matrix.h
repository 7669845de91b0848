// DESCRIPTION: Dense row-major FP32 matrices and their quantized forms (A quantized row by row
// along K, B column by column along K), the operands of the golden GEMM.
// SPDX-License-Identifier: Apache-2.0
//
// Example:
//   Matrix a = Matrix::zeros(64, 256), b = Matrix::zeros(256, 32);
//   QuantMatrix qa = quantize_rows(a, num::FormatSpec{"mxfp4"});
//   QuantMatrix qb = quantize_cols(b, num::FormatSpec{"mxfp8_e4m3"});
#pragma once

#include <cstdint>
#include <vector>

#include "mpsim/numerics/quantizer.h"

namespace mpsim::golden {

/// A dense row-major FP32 matrix.
struct Matrix {
  std::int64_t rows = 0, cols = 0;
  std::vector<float> data;  ///< rows * cols values, row-major

  float& at(std::int64_t i, std::int64_t j) { return data[static_cast<std::size_t>(i * cols + j)]; }
  float at(std::int64_t i, std::int64_t j) const {
    return data[static_cast<std::size_t>(i * cols + j)];
  }
  /// A rows x cols matrix of +0.0f.
  static Matrix zeros(std::int64_t rows, std::int64_t cols);
};

/// A quantized GEMM operand: the A operand quantized row by row along K, or the B operand
/// quantized column by column along K (the rows of B^T). `rows`/`cols` are the shape of the
/// original (unquantized) matrix; `lines` holds one QuantizedRow per quantized line.
struct QuantMatrix {
  std::int64_t rows = 0, cols = 0;
  num::FormatSpec format;
  std::vector<num::QuantizedRow> lines;
};

/// Quantizes each row of `a` (length a.cols); blocks/groups run along the row.
/// Throws ConfigError on a bad format.
QuantMatrix quantize_rows(const Matrix& a, const num::FormatSpec& f);
/// Quantizes each column of `b` (length b.rows); blocks/groups run down the column.
/// Throws ConfigError on a bad format.
QuantMatrix quantize_cols(const Matrix& b, const num::FormatSpec& f);
/// Rebuilds the FP32 matrix (rows x cols) from the dequantized values; `columns` says whether
/// the lines are columns (quantize_cols) or rows (quantize_rows).
Matrix dequantize(const QuantMatrix& q, bool columns);

}  // namespace mpsim::golden
