// DESCRIPTION: The Verilated int4_tc MMA unit behind Int4TcRtl. Compiled once per Verilated
// variant: MPSIM_RTL_PREFIX names the model class and MPSIM_RTL_FACTORY the factory it defines.
// SPDX-License-Identifier: Apache-2.0
#include "rtl_int4_tc.h"

#include <algorithm>
#include <type_traits>

#include "mpsim/rtl/verilated_harness.h"

#define MPSIM_STR2(x) #x
#define MPSIM_STR(x) MPSIM_STR2(x)
#include MPSIM_STR(MPSIM_RTL_PREFIX.h)

namespace mpsim::rtl {
namespace {

/// Words of a port: Verilator gives ports up to 64 bits as integers, wider ones as VlWide.
template <class P>
constexpr std::size_t words_of() {
  if constexpr (std::is_integral_v<P>) {
    return sizeof(P) > 4 ? 2 : 1;
  } else {
    return sizeof(P) / sizeof(EData);
  }
}

template <class P>
void put(P& port, const std::vector<std::uint32_t>& w) {
  if constexpr (std::is_integral_v<P>) {
    std::uint64_t v = w.empty() ? 0 : w[0];
    if (w.size() > 1) v |= std::uint64_t{w[1]} << 32;
    port = static_cast<P>(v);  // the Verilated model ignores bits above the port's width
  } else {
    const std::size_t n = std::min(w.size(), words_of<P>());
    for (std::size_t i = 0; i < n; ++i) port[i] = w[i];
  }
}

template <class P>
void get(const P& port, std::vector<std::uint32_t>& w) {
  if constexpr (std::is_integral_v<P>) {
    const auto v = static_cast<std::uint64_t>(port);
    for (std::size_t i = 0; i < w.size() && i < 2; ++i)
      w[i] = static_cast<std::uint32_t>(v >> (32 * i));
  } else {
    for (std::size_t i = 0; i < w.size() && i < words_of<P>(); ++i) w[i] = port[i];
  }
}

using Model = MPSIM_RTL_PREFIX;

class Impl final : public Int4TcRtl {
 public:
  explicit Impl(const TraceOptions& trace) : h_(trace, "int4_tc.fst") {}
  std::size_t a_words() const override { return words_of<decltype(Model::a_chunk)>(); }
  std::size_t w_words() const override { return words_of<decltype(Model::w_chunk)>(); }
  int frag_n() const override { return static_cast<int>(words_of<decltype(Model::out_data)>()); }
  void reset() override { h_.reset(); }
  void step(const Int4TcInputs& in) override {
    auto& m = h_.m();
    m.start = in.start;
    m.first_k = in.first_k;
    m.fold_k = static_cast<std::remove_reference_t<decltype(m.fold_k)>>(in.fold_k);
    put(m.a_chunk, in.a_chunk);
    put(m.w_chunk, in.w_chunk);
    h_.edge();
  }
  void outputs(Int4TcOutputs& out) const override {
    const auto& m = h_.m();
    out.busy = m.busy != 0;
    out.chunk_req = m.chunk_req != 0;
    out.out_valid = m.out_valid != 0;
    out.out_row = m.out_row;
    out.out_data.resize(static_cast<std::size_t>(frag_n()));
    get(m.out_data, out.out_data);
  }
  std::uint64_t cycle() const override { return h_.cycle(); }
  std::string trace_path() const override { return h_.trace_path(); }

 private:
  VerilatedHarness<Model> h_;
};

}  // namespace

std::unique_ptr<Int4TcRtl> MPSIM_RTL_FACTORY(const TraceOptions& trace) {
  return std::make_unique<Impl>(trace);
}

}  // namespace mpsim::rtl
