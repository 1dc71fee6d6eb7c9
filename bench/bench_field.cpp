// Google Benchmark: BabyBear and Goldilocks arithmetic, scalar and packed (one thread).
#include <benchmark/benchmark.h>

#include <vector>

#include "field/babybear.hpp"
#include "field/goldilocks.hpp"
#include "field/packed.hpp"

namespace {

using ciro::field::babybear;
using ciro::field::goldilocks;

std::vector<babybear> filled(std::size_t n, std::uint64_t salt) {
  std::vector<babybear> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = babybear::from_u64(i * 0x9e3779b97f4a7c15ULL + salt);
  return v;
}

void bm_mul_packed(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto a = filled(n, 1);
  const auto b = filled(n, 2);
  for (auto _ : state) {
    ciro::field::packed::mul<ciro::field::babybear_params>(a, b, a);
    benchmark::DoNotOptimize(a.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * 3 * sizeof(babybear)));
  state.SetLabel(ciro::field::packed::simd_target());
}

void bm_mul_scalar(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto a = filled(n, 1);
  const auto b = filled(n, 2);
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) a[i] *= b[i];
    benchmark::DoNotOptimize(a.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * 3 * sizeof(babybear)));
}

std::vector<goldilocks> filled_goldilocks(std::size_t n, std::uint64_t salt) {
  std::vector<goldilocks> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = goldilocks::from_u64(i * 0x9e3779b97f4a7c15ULL + salt);
  return v;
}

void bm_mul_goldilocks_packed(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto a = filled_goldilocks(n, 1);
  const auto b = filled_goldilocks(n, 2);
  for (auto _ : state) {
    ciro::field::packed::mul(a, b, a);
    benchmark::DoNotOptimize(a.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * 3 * sizeof(goldilocks)));
  state.SetLabel(ciro::field::packed::simd_target());
}

void bm_mul_goldilocks_scalar(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto a = filled_goldilocks(n, 1);
  const auto b = filled_goldilocks(n, 2);
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) a[i] *= b[i];
    benchmark::DoNotOptimize(a.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * 3 * sizeof(goldilocks)));
}

void bm_inverse(benchmark::State& state) {
  babybear x = babybear::from_u64(12345);
  for (auto _ : state) {
    x = x.inverse() + babybear::one();
    benchmark::DoNotOptimize(x);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(bm_mul_packed)->Name("BM_mul/babybear/packed")->ArgName("n")->Arg(4096);
BENCHMARK(bm_mul_scalar)->Name("BM_mul/babybear/scalar")->ArgName("n")->Arg(4096);
BENCHMARK(bm_mul_goldilocks_packed)->Name("BM_mul/goldilocks/packed")->ArgName("n")->Arg(4096);
BENCHMARK(bm_mul_goldilocks_scalar)->Name("BM_mul/goldilocks/scalar")->ArgName("n")->Arg(4096);
BENCHMARK(bm_inverse)->Name("BM_inverse/babybear");

}  // namespace

BENCHMARK_MAIN();
