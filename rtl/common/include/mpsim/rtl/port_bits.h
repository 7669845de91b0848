// DESCRIPTION: Packing of lane vectors into Verilated ports of any width (CData/SData/IData/QData
// integers, or VlWide word arrays above 64 bits). Facade TUs only (needs verilated.h).
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <verilated.h>

#include <cstdint>
#include <type_traits>

namespace mpsim::rtl {

/// Writes the low `width` bits of `v` at bit `lsb` of port `p`.
template <class P>
void set_bits(P& p, int lsb, int width, std::uint64_t v) {
  const std::uint64_t mask = width >= 64 ? ~0ull : (1ull << width) - 1;
  v &= mask;
  if constexpr (std::is_integral_v<P>) {
    const auto m = static_cast<P>(mask << lsb);
    p = static_cast<P>((p & ~m) | static_cast<P>(v << lsb));
  } else if (lsb % 32 == 0 && width == 32) {
    p[static_cast<std::size_t>(lsb / 32)] =
        static_cast<std::uint32_t>(v);  // word-aligned fast path
  } else {
    for (int b = 0; b < width; ++b) {
      const int bit = lsb + b;
      auto& word = p[static_cast<std::size_t>(bit / 32)];
      const std::uint32_t m = 1u << (bit % 32);
      word = ((v >> b) & 1) ? (word | m) : (word & ~m);
    }
  }
}

/// Reads `width` bits at bit `lsb` of port `p` (zero-extended).
template <class P>
std::uint64_t get_bits(const P& p, int lsb, int width) {
  const std::uint64_t mask = width >= 64 ? ~0ull : (1ull << width) - 1;
  if constexpr (std::is_integral_v<P>) {
    return (static_cast<std::uint64_t>(p) >> lsb) & mask;
  } else if (lsb % 32 == 0 && width == 32) {
    return p[static_cast<std::size_t>(lsb / 32)];
  } else {
    std::uint64_t v = 0;
    for (int b = 0; b < width; ++b) {
      const int bit = lsb + b;
      v |= static_cast<std::uint64_t>((p[static_cast<std::size_t>(bit / 32)] >> (bit % 32)) & 1u)
           << b;
    }
    return v;
  }
}

}  // namespace mpsim::rtl
