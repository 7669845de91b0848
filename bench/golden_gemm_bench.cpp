// DESCRIPTION: Golden GEMM throughput, 1024 x 1024 x 1024, single thread: oneDNN's s8s8s32 matmul
// (baseline), the golden int8 x int8 -> int32 GEMM and the golden block-exact mxfp4 x mxfp8_e4m3
// GEMM, in GOP/s (2*M*N*K per run) and as ratios to the oneDNN baseline from the same run.
// SPDX-License-Identifier: Apache-2.0
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <cstdio>
#include <dnnl.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "mpsim/golden/gemm.h"

namespace {

using mpsim::golden::GemmOptions;
using mpsim::golden::Matrix;
using mpsim::golden::QuantMatrix;
namespace num = mpsim::num;

constexpr std::int64_t kM = 1024, kN = 1024, kK = 1024;
constexpr double kOps = 2.0 * kM * kN * kK;

Matrix random_matrix(std::int64_t r, std::int64_t c, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 40.0f);
  Matrix m = Matrix::zeros(r, c);
  for (auto& v : m.data) v = nd(rng);
  return m;
}

void set_ops_counter(benchmark::State& state) {
  state.counters["GOP/s"] =
      benchmark::Counter(kOps / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_OneDnnS8S8S32(benchmark::State& state) {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<std::int8_t> a(kM * kK), b(kK * kN);
  std::vector<std::int32_t> c(kM * kN);
  for (auto& v : a) v = static_cast<std::int8_t>(d(rng));
  for (auto& v : b) v = static_cast<std::int8_t>(d(rng));
  const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  const dnnl::memory::desc a_md({kM, kK}, dt::s8, tag::ab), b_md({kK, kN}, dt::s8, tag::ba),
      c_md({kM, kN}, dt::s32, tag::ab);
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), eng);
  const dnnl::matmul mm(pd);
  dnnl::memory am(a_md, eng, a.data()), bm(b_md, eng, b.data()), cm(c_md, eng, c.data());
  for (auto _ : state) {
    mm.execute(strm, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
    strm.wait();
    benchmark::DoNotOptimize(c.data());
  }
  set_ops_counter(state);
  state.SetLabel(pd.impl_info_str());
}
BENCHMARK(BM_OneDnnS8S8S32)->Unit(benchmark::kMillisecond)->UseRealTime();

/// The golden GEMM on pre-quantized operands (quantization is not part of the GEMM).
void BM_Golden(benchmark::State& state, const char* fa, const char* fb) {
  GemmOptions o;
  o.a_format = num::FormatSpec{fa, {}};
  o.b_format = num::FormatSpec{fb, {}};
  o.use_onednn = false;  // measure mpsim's own kernels
  const QuantMatrix qa = mpsim::golden::quantize_rows(random_matrix(kM, kK, 2), o.a_format);
  const QuantMatrix qb = mpsim::golden::quantize_cols(random_matrix(kK, kN, 3), o.b_format);
  for (auto _ : state) {
    auto r = mpsim::golden::gemm_quantized(qa, qb, o);
    benchmark::DoNotOptimize(r.c.data.data());
  }
  set_ops_counter(state);
}
BENCHMARK_CAPTURE(BM_Golden, int8_x_int8, "int8", "int8")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Golden, mxfp4_x_mxfp8_e4m3, "mxfp4", "mxfp8_e4m3")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Prints the usual table, then each benchmark's GOP/s and its ratio to oneDNN from this run.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) {
      if (r.run_type != Run::RT_Iteration || r.error_occurred) continue;
      const auto it = r.counters.find("GOP/s");
      if (it != r.counters.end()) rates_[r.benchmark_name()] = it->second.value;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const auto base = rates_.find("BM_OneDnnS8S8S32/real_time");
    std::printf("\n%-44s %10s %14s\n", "benchmark", "GOP/s", "vs oneDNN s8");
    for (const auto& [name, rate] : rates_)
      std::printf("%-44s %10.2f %13.3fx\n", name.c_str(), rate,
                  base == rates_.end() ? 0.0 : rate / base->second);
  }

 private:
  std::map<std::string, double> rates_;
};

/// Debian's oneDNN uses the OpenMP runtime (DNNL_CPU_RUNTIME == OMP) and libgomp reads
/// OMP_NUM_THREADS when it loads, before main; oneDNN has no thread-count call for OpenMP. So ask
/// the already loaded runtime directly (libgomp is a dependency of libdnnl, not of this binary).
void force_one_thread() {
  using SetThreads = void (*)(int);
  if (auto* f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"))) {
    f(1);
  } else {
    std::fprintf(stderr, "warning: omp_set_num_threads not found; set OMP_NUM_THREADS=1\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  force_one_thread();
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
