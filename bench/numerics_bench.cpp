// DESCRIPTION: Quantization throughput: 2^24 FP32 values, single-threaded, per format, reported as
// elements/s and as a ratio to a plain copy of the same data measured in the same run.
// SPDX-License-Identifier: Apache-2.0
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "mpsim/numerics/quantizer.h"

namespace {

constexpr std::size_t kElements = std::size_t{1} << 24;

const std::vector<float>& data() {
  static const std::vector<float> v = [] {
    std::vector<float> x(kElements);
    std::mt19937 rng(1);
    std::normal_distribution<float> n(0.0f, 0.02f);  // LLM-weight-like scale
    for (auto& f : x) f = n(rng);
    for (std::size_t i = 0; i < x.size(); i += 997) x[i] *= 40;  // sparse outliers
    return x;
  }();
  return v;
}

void BM_Copy(benchmark::State& state) {
  const auto& x = data();
  std::vector<float> y(x.size());
  for (auto _ : state) {
    std::memcpy(y.data(), x.data(), x.size() * sizeof(float));
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * x.size()));
}
BENCHMARK(BM_Copy)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Quantize(benchmark::State& state, const char* format) {
  const auto& x = data();
  const auto q = mpsim::num::builtin_formats().create(format);
  mpsim::num::QuantizedRow row;
  for (auto _ : state) {
    q->quantize_into(x, row);  // storage reused across iterations, as a golden model would
    benchmark::DoNotOptimize(row.values.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * x.size()));
}
BENCHMARK_CAPTURE(BM_Quantize, mxfp4, "mxfp4")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Quantize, int4_g128, "int4_g128")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Quantize, fp8_e4m3, "fp8_e4m3")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Quantize, bfp12, "bfp12")->Unit(benchmark::kMillisecond)->UseRealTime();

// Prints the usual table, then each benchmark's throughput as a ratio to BM_Copy from this run.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) {
      if (r.run_type != Run::RT_Iteration || r.error_occurred) continue;
      const auto it = r.counters.find("items_per_second");
      if (it != r.counters.end()) rates_[r.benchmark_name()] = it->second.value;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const auto base = rates_.find("BM_Copy/real_time");
    if (base == rates_.end()) return;
    std::printf("\n%-34s %14s %12s\n", "benchmark", "Melem/s", "vs copy");
    for (const auto& [name, rate] : rates_)
      std::printf("%-34s %14.1f %11.4fx\n", name.c_str(), rate / 1e6, rate / base->second);
  }

 private:
  std::map<std::string, double> rates_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
