// Google Benchmark: CPU NTT and LDE over BabyBear (all cores).
#include <benchmark/benchmark.h>

#include "field/babybear.hpp"
#include "kernels/backend.hpp"

namespace {

using ciro::field::babybear;
using ciro::kernels::row_major_matrix;

row_major_matrix<babybear> filled(std::size_t rows, std::size_t width) {
  row_major_matrix<babybear> m(rows, width);
  std::uint64_t i = 0;
  for (auto& x : m.values()) x = babybear::from_u64(++i * 0x9e3779b97f4a7c15ULL);
  return m;
}

void bm_ntt(benchmark::State& state, std::size_t width) {
  const std::size_t rows = std::size_t{1} << state.range(0);
  auto backend = ciro::kernels::make_cpu_backend();
  auto m = filled(rows, width);
  for (auto _ : state) {
    backend->ntt(m.view());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows * width));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * rows * width * sizeof(babybear)));
}

void bm_lde(benchmark::State& state, std::size_t width) {
  const std::size_t rows = std::size_t{1} << state.range(0);
  auto backend = ciro::kernels::make_cpu_backend();
  const auto in = filled(rows, width);
  row_major_matrix<babybear> out(rows * 2, width);
  for (auto _ : state) {
    backend->lde(in.view(), out.view(), {.log_blowup = 1});
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * out.values().size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.values().size() * sizeof(babybear)));
}

BENCHMARK_CAPTURE(bm_ntt, x1, 1)
    ->Name("BM_ntt/babybear/width:1")
    ->ArgName("log_n")
    ->DenseRange(16, 22, 2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(bm_ntt, x256, 256)
    ->Name("BM_ntt/babybear/width:256")
    ->ArgName("log_n")
    ->DenseRange(12, 18, 2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(bm_lde, x64, 64)
    ->Name("BM_lde/babybear/width:64/blowup:2")
    ->ArgName("log_n")
    ->DenseRange(16, 20, 2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
