// DESCRIPTION: Cycle-level model speed on a 32x32 INT8 weight-stationary array, in simulated
// PE-cycles per second, as ratios to a naive SystemC model (one SC_METHOD and sc_signals per PE,
// the usual way) measured in the same run, and to SCALE-Sim's 6.5e6 PE-cycles/s
// (energy_and_speed.md §2.2). SPDX-License-Identifier: Apache-2.0
//
// Run: build/release/bench/sc_array_bench [rows] [m]
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <systemc>
#include <vector>

#include "mpsim/core/engine.h"
#include "mpsim/core/gemm_kernel.h"
#include "mpsim/golden/matrix.h"

namespace {

using Clock = std::chrono::steady_clock;

// The naive baseline: a weight-stationary PE per module, activations passed right and partial sums
// passed down through sc_signals, one SC_METHOD per PE on the clock edge.
SC_MODULE(NaivePe) {
  sc_core::sc_in<bool> clk;
  sc_core::sc_in<std::int32_t> a_in, p_in;
  sc_core::sc_out<std::int32_t> a_out, p_out;
  std::int32_t w = 0;
  void tick() {
    const std::int32_t a = a_in.read();
    a_out.write(a);
    p_out.write(p_in.read() + a * w);
  }
  SC_CTOR(NaivePe) {
    SC_METHOD(tick);
    sensitive << clk.pos();
    dont_initialize();
  }
};

SC_MODULE(NaiveArray) {
  sc_core::sc_in<bool> clk;
  int n;
  std::vector<std::unique_ptr<NaivePe>> pes;
  std::vector<std::unique_ptr<sc_core::sc_signal<std::int32_t>>> a_sig, p_sig;
  std::vector<std::int32_t> feed;
  std::uint64_t cycle = 0, sink = 0;
  void drive() {  // left-edge activations and bottom-edge outputs, like a buffer port would
    ++cycle;
    for (int r = 0; r < n; ++r) a_sig[idx(r, 0)]->write(feed[(cycle + r) % feed.size()]);
    for (int c = 0; c < n; ++c) sink += static_cast<std::uint32_t>(p_sig[idx(n, c)]->read());
  }
  std::size_t idx(int r, int c) const { return static_cast<std::size_t>(r) * (n + 1) + c; }
  SC_HAS_PROCESS(NaiveArray);
  NaiveArray(sc_core::sc_module_name nm, int size) : sc_core::sc_module(nm), n(size) {
    for (int i = 0; i < (n + 1) * (n + 1); ++i) {
      a_sig.push_back(std::make_unique<sc_core::sc_signal<std::int32_t>>());
      p_sig.push_back(std::make_unique<sc_core::sc_signal<std::int32_t>>());
    }
    std::mt19937 g(1);
    for (int i = 0; i < 4096; ++i) feed.push_back(static_cast<std::int32_t>(g() % 256) - 128);
    for (int r = 0; r < n; ++r) {
      for (int c = 0; c < n; ++c) {
        auto pe = std::make_unique<NaivePe>(sc_core::sc_gen_unique_name("pe"));
        pe->clk(clk);
        pe->a_in(*a_sig[idx(r, c)]);
        pe->a_out(*a_sig[idx(r, c + 1)]);
        pe->p_in(*p_sig[idx(r, c)]);  // row r's partial sums live in p_sig row r
        pe->p_out(*p_sig[idx(r + 1, c)]);
        pe->w = static_cast<std::int32_t>(g() % 256) - 128;
        pes.push_back(std::move(pe));
      }
    }
    SC_METHOD(drive);
    sensitive << clk.pos();
    dont_initialize();
  }
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int sc_main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 32;
  const std::int64_t m = argc > 2 ? std::atoll(argv[2]) : 2048;
  sc_core::sc_clock clk("clk", 1, sc_core::SC_NS);
  NaiveArray naive("naive", n);
  naive.clk(clk);

  // Baseline: naive SystemC, 20k cycles (after a warm-up).
  sc_core::sc_start(100, sc_core::SC_NS);
  const std::uint64_t naive_cycles = 20000;
  auto t0 = Clock::now();
  sc_core::sc_start(static_cast<double>(naive_cycles), sc_core::SC_NS);
  const double naive_s = seconds_since(t0);
  const double naive_rate = static_cast<double>(naive_cycles) * n * n / naive_s;

  // mpsim: the int8_mac systolic kernel on one weight-stationary fold streaming m rows.
  auto pe = mpsim::sim::builtin_pe_types().create("int8_mac", {});
  const mpsim::sim::PeFormats f{};
  const std::int64_t k = n, cols = n;
  mpsim::golden::Matrix a = mpsim::golden::Matrix::zeros(m, k),
                        b = mpsim::golden::Matrix::zeros(k, cols);
  std::mt19937 g(2);
  for (auto& x : a.data) x = static_cast<float>(static_cast<int>(g() % 256) - 128);
  for (auto& x : b.data) x = static_cast<float>(static_cast<int>(g() % 256) - 128);
  auto qa = mpsim::golden::quantize_rows(a, f.a);
  auto qb = mpsim::golden::quantize_cols(b, f.w);
  auto kern = pe->kernel(f, n, n, mpsim::sim::Dataflow::kWeightStationary);
  kern->begin(qa.lines, qb.lines, m, cols, k, true);
  const mpsim::sim::Tile tile{0, 0, 0, m, cols, k, true};
  auto rate_of = [&](mpsim::sim::TileMode mode, int reps) {
    std::uint64_t cycles = 0;
    auto t = Clock::now();
    for (int i = 0; i < reps; ++i) cycles += kern->run_tile(tile, mode).cycles;
    return static_cast<double>(cycles) * n * n / seconds_since(t);
  };
  (void)rate_of(mpsim::sim::TileMode::kIssue, 1);
  const double issue_rate = rate_of(mpsim::sim::TileMode::kIssue, 5);
  const double exh_rate = rate_of(mpsim::sim::TileMode::kExhaustive, 2);
  const double timing_rate = rate_of(mpsim::sim::TileMode::kTiming, 200000);

  const double scalesim = 6.5e6;  // SCALE-Sim v2 on these machines (energy_and_speed.md §2.2)
  std::printf("\n%dx%d INT8 WS array, fold streaming %lld rows (PE-cycles per second)\n", n, n,
              static_cast<long long>(m));
  std::printf("%-44s %12s %12s %12s\n", "model", "PE-cyc/s", "vs naive SC", "vs SCALE-Sim");
  auto row = [&](const char* name, double r) {
    std::printf("%-44s %12.3g %11.2fx %11.1fx\n", name, r, r / naive_rate, r / scalesim);
  };
  row("naive SystemC (SC_METHOD + signals per PE)", naive_rate);
  row("mpsim kernel, values on (issue level)", issue_rate);
  row("mpsim kernel, values on (--exhaustive)", exh_rate);
  row("mpsim kernel, values off (closed form)", timing_rate);
  std::printf("(naive checksum %llu)\n", static_cast<unsigned long long>(naive.sink));
  return 0;
}
