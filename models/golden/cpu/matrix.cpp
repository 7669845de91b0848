// DESCRIPTION: Dense matrices and quantizing them by rows (GEMM A operand) or by columns (B).
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/golden/matrix.h"

#include <bit>
#include <memory>

#include "mpsim/base/error.h"

namespace mpsim::golden {

Matrix Matrix::zeros(std::int64_t rows, std::int64_t cols) {
  MPSIM_CHECK(rows >= 0 && cols >= 0, "matrix dimensions must be non-negative");
  Matrix m;
  m.rows = rows;
  m.cols = cols;
  m.data.assign(static_cast<std::size_t>(rows * cols), 0.0f);
  return m;
}

namespace {

/// "fp32" (GemmOptions' default) is not a registered quantizer: it means the FP32 values as they
/// are. Its lines hold the values, their bit patterns as codes, and no scales.
class Fp32Identity final : public num::Quantizer {
 public:
  const num::FormatInfo& info() const override {
    static const num::FormatInfo i{
        "fp32", "IEEE 754 binary32, unquantized", num::Layout::kScalar,     0,    false, 32,
        0,      {num::Rounding::kNearestEven},    {num::Overflow::kInfNan}, false};
    return i;
  }
  void quantize_into(std::span<const float> x, num::QuantizedRow& out) const override {
    num::reset_row(out, "fp32", 0, x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      out.values[i] = x[i];
      out.codes[i] = std::bit_cast<std::uint32_t>(x[i]);
    }
  }
  std::vector<float> dequantize(const num::QuantizedRow& row) const override {
    std::vector<float> v(row.codes.size());
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::bit_cast<float>(row.codes[i]);
    return v;
  }
};

std::unique_ptr<num::Quantizer> make_quantizer(const num::FormatSpec& f) {
  if (f.name == "fp32" && f.options == num::QuantizeOptions{})
    return std::make_unique<Fp32Identity>();
  return f.make_quantizer();
}

}  // namespace

QuantMatrix quantize_rows(const Matrix& a, const num::FormatSpec& f) {
  MPSIM_CHECK(a.data.size() == static_cast<std::size_t>(a.rows * a.cols), "matrix size");
  const auto q = make_quantizer(f);
  QuantMatrix out{a.rows, a.cols, f, {}};
  out.lines.resize(static_cast<std::size_t>(a.rows));
  for (std::int64_t i = 0; i < a.rows; ++i)
    q->quantize_into(std::span<const float>(a.data).subspan(static_cast<std::size_t>(i * a.cols),
                                                            static_cast<std::size_t>(a.cols)),
                     out.lines[static_cast<std::size_t>(i)]);
  return out;
}

QuantMatrix quantize_cols(const Matrix& b, const num::FormatSpec& f) {
  MPSIM_CHECK(b.data.size() == static_cast<std::size_t>(b.rows * b.cols), "matrix size");
  const auto q = make_quantizer(f);
  QuantMatrix out{b.rows, b.cols, f, {}};
  out.lines.resize(static_cast<std::size_t>(b.cols));
  std::vector<float> col(static_cast<std::size_t>(b.rows));
  for (std::int64_t j = 0; j < b.cols; ++j) {
    for (std::int64_t k = 0; k < b.rows; ++k) col[static_cast<std::size_t>(k)] = b.at(k, j);
    q->quantize_into(col, out.lines[static_cast<std::size_t>(j)]);
  }
  return out;
}

Matrix dequantize(const QuantMatrix& q, bool columns) {
  Matrix m = Matrix::zeros(q.rows, q.cols);
  const std::int64_t lines = columns ? q.cols : q.rows;
  const std::int64_t len = columns ? q.rows : q.cols;
  MPSIM_CHECK(q.lines.size() == static_cast<std::size_t>(lines), "quantized matrix line count");
  for (std::int64_t l = 0; l < lines; ++l) {
    const auto& v = q.lines[static_cast<std::size_t>(l)].values;
    MPSIM_CHECK(v.size() == static_cast<std::size_t>(len), "quantized line length");
    for (std::int64_t e = 0; e < len; ++e) {
      if (columns) {
        m.at(e, l) = v[static_cast<std::size_t>(e)];
      } else {
        m.at(l, e) = v[static_cast<std::size_t>(e)];
      }
    }
  }
  return m;
}

}  // namespace mpsim::golden
