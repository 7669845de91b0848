// DESCRIPTION: The Verilated shift_add PE or array behind ShiftAddRtl. Compiled once per Verilated
// variant: MPSIM_RTL_PREFIX names the model class, MPSIM_RTL_FACTORY the factory it defines, and
// MPSIM_SA_{ROWS,COLS,LANES,FP16,GROUP_LOG2} repeat the Verilog parameters it was built with. The
// PE and the array share port names (the PE is the 1 x 1 case), so one source serves both.
// SPDX-License-Identifier: Apache-2.0
#include "rtl_shift_add.h"

#include "mpsim/rtl/port_bits.h"
#include "mpsim/rtl/verilated_harness.h"

#define MPSIM_STR2(x) #x
#define MPSIM_STR(x) MPSIM_STR2(x)
#include MPSIM_STR(MPSIM_RTL_PREFIX.h)

namespace mpsim::rtl {
namespace {

using Model = MPSIM_RTL_PREFIX;
/// Only the PE has its right edge and weight chain as ports.
template <class M>
constexpr bool kHasRightEdge = requires(const M& m) {
  m.a_out;
};
constexpr bool kIsPe = kHasRightEdge<Model>;

std::int64_t sign_extend(std::uint64_t v, int bits) {
  const std::uint64_t sign = std::uint64_t{1} << (bits - 1);
  return static_cast<std::int64_t>((v ^ sign) - sign);
}

class Impl final : public ShiftAddRtl {
 public:
  explicit Impl(const TraceOptions& trace)
      : h_(trace, kIsPe ? "shift_add_pe.fst" : "shift_add_array.fst") {
    shape_.rows = MPSIM_SA_ROWS;
    shape_.cols = MPSIM_SA_COLS;
    shape_.lanes = MPSIM_SA_LANES;
    shape_.fp16 = MPSIM_SA_FP16 != 0;
    shape_.group_log2 = MPSIM_SA_GROUP_LOG2;
    static_assert(MPSIM_SA_LANES <= kShiftAddRtlMaxLanes && MPSIM_SA_ROWS <= kShiftAddRtlMaxDim &&
                  MPSIM_SA_COLS <= kShiftAddRtlMaxDim);
  }
  const ShiftAddShape& shape() const override { return shape_; }
  void reset() override {
    h_.reset();
    read();
  }
  void step(const ShiftAddInputs& in) override {
    auto& m = h_.m();
    const int L = shape_.lanes, aw = shape_.act_bits(), pw = shape_.p_bits(), sw = shape_.s_bits();
    m.w_load = in.w_load;
    for (int c = 0; c < shape_.cols; ++c) {
      const ShiftAddWeight& w = in.w[static_cast<std::size_t>(c)];
      for (int l = 0; l < L; ++l) set_bits(m.w_q_in, 4 * (c * L + l), 4, w.q[idx(l)]);
      set_bits(m.w_zero_in, 4 * c, 4, w.zero);
      set_bits(m.w_scale_in, 16 * c, 16, w.scale);
      set_bits(m.w_end_in, c, 1, w.ends_group);
      const ShiftAddSums& s = in.sums[static_cast<std::size_t>(c)];
      set_bits(m.p_in, pw * c, pw, static_cast<std::uint64_t>(s.p));
      set_bits(m.s_in, sw * c, sw, static_cast<std::uint64_t>(s.s));
      set_bits(m.sp_in, 3 * c, 3, s.special);
      set_bits(m.total_in, 32 * c, 32, in.total[static_cast<std::size_t>(c)]);
    }
    for (int r = 0; r < shape_.rows; ++r) {
      const ShiftAddActs& a = in.a[static_cast<std::size_t>(r)];
      set_bits(m.valid_in, r, 1, a.valid);
      for (int l = 0; l < L; ++l) {
        set_bits(m.a_in, aw * (r * L + l), aw, static_cast<std::uint64_t>(a.a[idx(l)]));
      }
      set_bits(m.a_nf_in, L * r, L, a.nonfinite);
      set_bits(m.a_nan_in, L * r, L, a.nan);
      set_bits(m.a_neg_in, L * r, L, a.neg);
    }
    h_.edge();
    read();
  }
  const ShiftAddOutputs& outputs() const override { return out_; }
  std::uint64_t cycle() const override { return h_.cycle(); }
  std::string trace_path() const override { return h_.trace_path(); }

 private:
  static std::size_t idx(int i) { return static_cast<std::size_t>(i); }

  void read() { read_edges(h_.m()); }
  template <class M>
  void read_edges(const M& m) {
    const int L = shape_.lanes, aw = shape_.act_bits(), pw = shape_.p_bits(), sw = shape_.s_bits();
    for (int c = 0; c < shape_.cols; ++c) {
      const std::size_t i = idx(c);
      out_.valid[i] = get_bits(m.valid_out, c, 1) != 0;
      out_.sums[i].p = sign_extend(get_bits(m.p_out, pw * c, pw), pw);
      out_.sums[i].s = sign_extend(get_bits(m.s_out, sw * c, sw), sw);
      out_.sums[i].special = static_cast<std::uint8_t>(get_bits(m.sp_out, 3 * c, 3));
      out_.tvalid[i] = get_bits(m.tvalid_out, c, 1) != 0;
      out_.total[i] = static_cast<std::uint32_t>(get_bits(m.total_out, 32 * c, 32));
    }
    if constexpr (kHasRightEdge<M>) {
      out_.right.valid = out_.valid[0];
      for (int l = 0; l < L; ++l) {
        out_.right.a[idx(l)] = sign_extend(get_bits(m.a_out, aw * l, aw), aw);
        out_.w_out[0].q[idx(l)] = static_cast<std::uint8_t>(get_bits(m.w_q_out, 4 * l, 4));
      }
      out_.right.nonfinite = get_bits(m.a_nf_out, 0, L);
      out_.right.nan = get_bits(m.a_nan_out, 0, L);
      out_.right.neg = get_bits(m.a_neg_out, 0, L);
      out_.w_out[0].zero = static_cast<std::uint8_t>(m.w_zero_out);
      out_.w_out[0].scale = static_cast<std::uint16_t>(m.w_scale_out);
      out_.w_out[0].ends_group = m.w_end_out != 0;
    }
  }

  ShiftAddShape shape_;
  VerilatedHarness<Model> h_;
  ShiftAddOutputs out_;
};

}  // namespace

std::unique_ptr<ShiftAddRtl> MPSIM_RTL_FACTORY(const TraceOptions& trace) {
  return std::make_unique<Impl>(trace);
}

}  // namespace mpsim::rtl
