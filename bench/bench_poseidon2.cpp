// Google Benchmark: Poseidon2 over BabyBear (widths 16 and 24), scalar and packed, plus the
// Merkle building blocks (row hashing, 2-to-1 compression). One thread; items = permutations.
#include <benchmark/benchmark.h>

#include <array>
#include <vector>

#include "hash/poseidon2.hpp"
#include "hash/poseidon2_packed.hpp"
#include "hash/sponge.hpp"

namespace {

using ciro::field::babybear;
namespace h = ciro::hash;

std::vector<babybear> filled(std::size_t n, std::uint64_t salt) {
  std::vector<babybear> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = babybear::from_u64(i * 0x9e3779b97f4a7c15ULL + salt);
  return v;
}

template <std::size_t W>
std::vector<std::array<babybear, W>> states(std::size_t n) {
  const auto flat = filled(n * W, W);
  std::vector<std::array<babybear, W>> s(n);
  for (std::size_t i = 0; i < n; ++i) std::copy(flat.begin() + i * W, flat.begin() + (i + 1) * W, s[i].begin());
  return s;
}

template <std::size_t W>
void bm_packed(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto s = states<W>(n);
  for (auto _ : state) {
    h::poseidon2_permute_many(std::span(s));
    benchmark::DoNotOptimize(s.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * W * sizeof(babybear)));
  state.SetLabel(h::poseidon2_simd_target());
}

template <std::size_t W>
void bm_scalar(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto s = states<W>(n);
  for (auto _ : state) {
    for (auto& x : s) h::poseidon2_permute(x);
    benchmark::DoNotOptimize(s.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * W * sizeof(babybear)));
}

/// Leaf hashing: rows x width matrix -> one digest per row; items = permutations.
void bm_hash_rows(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0)), width = static_cast<std::size_t>(state.range(1));
  const auto m = filled(rows * width, 3);
  std::vector<babybear> digests(rows * h::digest_elems);
  for (auto _ : state) {
    h::hash_rows(m.data(), rows, width, digests.data());
    benchmark::DoNotOptimize(digests.data());
  }
  const std::size_t perms_per_row = (width + h::sponge_rate - 1) / h::sponge_rate;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows * perms_per_row));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * rows * width * sizeof(babybear)));
  state.SetLabel(h::poseidon2_simd_target());
}

/// One Merkle layer: 2 count digests -> count digests; items = permutations.
void bm_compress_pairs(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  const auto layer = filled(2 * count * h::digest_elems, 4);
  std::vector<babybear> out(count * h::digest_elems);
  for (auto _ : state) {
    h::compress_pairs(layer.data(), count, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * count));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * layer.size() * sizeof(babybear)));
  state.SetLabel(h::poseidon2_simd_target());
}

BENCHMARK(bm_packed<16>)->Name("BM_poseidon2/babybear16/packed")->ArgName("n")->Arg(4096);
BENCHMARK(bm_packed<24>)->Name("BM_poseidon2/babybear24/packed")->ArgName("n")->Arg(4096);
BENCHMARK(bm_scalar<16>)->Name("BM_poseidon2/babybear16/scalar")->ArgName("n")->Arg(1024);
BENCHMARK(bm_scalar<24>)->Name("BM_poseidon2/babybear24/scalar")->ArgName("n")->Arg(1024);
BENCHMARK(bm_hash_rows)->Name("BM_hash_rows/babybear")->ArgNames({"rows", "width"})->Args({4096, 8})->Args({1024, 256});
BENCHMARK(bm_compress_pairs)->Name("BM_compress_pairs/babybear")->ArgName("n")->Arg(4096);

}  // namespace

BENCHMARK_MAIN();
