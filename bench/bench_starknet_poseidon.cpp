// Google Benchmark: Starknet Poseidon over felt252 (the Hades permutation and its hash modes)
// and the felt252 multiplication it is built on. One thread; items = hashes (or products).
// Links: ciro::hash (which brings ciro::field) and benchmark::benchmark.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "field/felt252.hpp"
#include "hash/commit.hpp"
#include "hash/starknet_poseidon.hpp"

namespace {

using ciro::field::felt252;
namespace sn = ciro::hash::starknet;

felt252 filler(std::uint64_t i) {
  return felt252::from_limbs_mod_p({i * 0x9e3779b97f4a7c15ULL, ~i, i ^ 0x5555, (i * 31) >> 5});
}

// poseidon_hash(x, y), each hash feeding the next (what a Merkle path or a chain costs).
void bm_hash(benchmark::State& state) {
  felt252 x = filler(1);
  const felt252 y = filler(2);
  for (auto _ : state) {
    x = sn::poseidon_hash(x, y);
    benchmark::DoNotOptimize(x);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 2 * felt252::byte_size));
}

void bm_permutation(benchmark::State& state) {
  sn::poseidon_state s = {filler(1), filler(2), filler(3)};
  for (auto _ : state) {
    sn::hades_permutation(s);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void bm_hash_many(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<felt252> xs(n);
  for (std::size_t i = 0; i < n; ++i) xs[i] = filler(i);
  for (auto _ : state) benchmark::DoNotOptimize(sn::poseidon_hash_many(xs));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * felt252::byte_size));
}

void bm_commit_bytes(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint8_t> data(n);
  for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<std::uint8_t>(i * 131);
  for (auto _ : state) benchmark::DoNotOptimize(ciro::hash::commit_bytes(data));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

// A dependent chain of felt252 Montgomery products (latency).
void bm_felt252_mul(benchmark::State& state) {
  felt252 x = filler(5);
  const felt252 y = filler(6);
  for (auto _ : state) {
    x *= y;
    benchmark::DoNotOptimize(x);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// A dependent chain of felt252 Montgomery squarings (latency of the dedicated squaring).
void bm_felt252_sqr(benchmark::State& state) {
  felt252 x = filler(5);
  for (auto _ : state) {
    x = x.square();
    benchmark::DoNotOptimize(x);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

}  // namespace

BENCHMARK(bm_hash)->Name("BM_starknet_poseidon/hash");
BENCHMARK(bm_permutation)->Name("BM_starknet_poseidon/permutation");
BENCHMARK(bm_hash_many)->Name("BM_starknet_poseidon/hash_many")->ArgName("n")->Arg(64);
BENCHMARK(bm_commit_bytes)->Name("BM_starknet_poseidon/commit_bytes")->ArgName("bytes")->Arg(4096);
BENCHMARK(bm_felt252_mul)->Name("BM_mul/felt252");
BENCHMARK(bm_felt252_sqr)->Name("BM_sqr/felt252");

BENCHMARK_MAIN();
