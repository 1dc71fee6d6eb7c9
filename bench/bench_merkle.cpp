// Google Benchmark: Merkle commitments (hash/merkle_tree.hpp) through the CPU hasher, batch
// openings and their verification, and the Fiat-Shamir challenger (sampling, grinding).
// Multi-threaded (TBB, all cores) where the code under test is.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <vector>

#include "hash/challenger.hpp"
#include "hash/merkle_hasher.hpp"
#include "hash/merkle_tree.hpp"
#include "hash/poseidon2_packed.hpp"

namespace {

using ciro::field::babybear;
namespace h = ciro::hash;

std::vector<babybear> filled(std::size_t n, std::uint64_t salt) {
  std::vector<babybear> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = babybear::from_u64(i * 0x9e3779b97f4a7c15ULL + salt);
  return v;
}

/// Commit to one 2^log_n x width matrix; items = rows.
void bm_merkle_commit(benchmark::State& state) {
  const auto log_n = static_cast<unsigned>(state.range(0));
  const auto width = static_cast<std::size_t>(state.range(1));
  const std::size_t rows = std::size_t{1} << log_n;
  const auto m = filled(rows * width, 1);
  h::cpu_merkle_hasher hasher;
  for (auto _ : state) {
    auto tree = h::merkle_tree::commit(hasher, {{m.data(), rows, width}});
    benchmark::DoNotOptimize(tree.value().root());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * rows * width * sizeof(babybear)));
  state.SetLabel(h::poseidon2_simd_target());
}

/// Commit to three matrices of heights 2^log_n, 2^(log_n-1), 2^(log_n-3) (two injected);
/// items = rows of the tallest.
void bm_merkle_commit_mixed(benchmark::State& state) {
  const auto log_n = static_cast<unsigned>(state.range(0));
  const std::size_t rows = std::size_t{1} << log_n;
  const auto a = filled(rows * 64, 1), b = filled(rows / 2 * 64, 2), c = filled(rows / 8 * 64, 3);
  h::cpu_merkle_hasher hasher;
  for (auto _ : state) {
    auto tree =
        h::merkle_tree::commit(hasher, {{a.data(), rows, 64}, {b.data(), rows / 2, 64}, {c.data(), rows / 8, 64}});
    benchmark::DoNotOptimize(tree.value().root());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows));
}

/// Open and verify `queries` random leaves of a 2^log_n x 256 tree; items = queries.
void bm_merkle_open_verify(benchmark::State& state) {
  const auto log_n = static_cast<unsigned>(state.range(0));
  const auto queries = static_cast<std::size_t>(state.range(1));
  const std::size_t rows = std::size_t{1} << log_n, width = 256;
  const auto m = filled(rows * width, 1);
  h::cpu_merkle_hasher hasher;
  const auto tree = h::merkle_tree::commit(hasher, {{m.data(), rows, width}}).value();
  std::set<std::size_t> picked;
  for (std::uint64_t x = 12345; picked.size() < queries; x = x * 6364136223846793005ULL + 1442695040888963407ULL) {
    picked.insert((x >> 20) % rows);
  }
  const std::vector<std::size_t> indices(picked.begin(), picked.end());
  const auto dims = tree.dims();
  for (auto _ : state) {
    const auto opening = tree.open(indices);
    const auto ok = h::verify_batch(tree.root(), dims, indices, opening);
    if (!ok) state.SkipWithError("verification failed");
    benchmark::DoNotOptimize(opening.siblings.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * queries));
}

/// Proof-of-work search for `bits` zero bits on a fresh transcript each iteration. grind returns
/// the smallest passing witness w, so at least w + 1 candidates were tried: items = sum of w + 1,
/// and items/s is the grinding rate in candidates (permutations) per second.
void bm_challenger_grind(benchmark::State& state) {
  const auto bits = static_cast<unsigned>(state.range(0));
  std::uint32_t salt = 0;
  std::int64_t candidates = 0;
  for (auto _ : state) {
    h::challenger c;
    c.observe(babybear::from_canonical(++salt));
    const babybear w = c.grind(bits);
    benchmark::DoNotOptimize(w);
    candidates += w.to_canonical() + 1;
  }
  state.SetItemsProcessed(candidates);
}

/// One observe then one sample per item: one duplexing (permutation) each.
void bm_challenger_observe_sample(benchmark::State& state) {
  h::challenger c;
  babybear x = babybear::one();
  for (auto _ : state) {
    c.observe(x);
    x = c.sample();
    benchmark::DoNotOptimize(x);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

}  // namespace

BENCHMARK(bm_merkle_commit)
    ->Name("BM_merkle_commit/babybear")
    ->ArgNames({"log_n", "width"})
    ->Args({14, 256})
    ->Args({18, 256})
    ->Args({18, 8})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(bm_merkle_commit_mixed)
    ->Name("BM_merkle_commit_mixed/babybear")
    ->ArgName("log_n")
    ->Arg(16)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(bm_merkle_open_verify)
    ->Name("BM_merkle_open_verify/babybear")
    ->ArgNames({"log_n", "queries"})
    ->Args({16, 100})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(bm_challenger_grind)
    ->Name("BM_challenger_grind/babybear")
    ->ArgName("bits")
    ->Arg(16)
    ->Arg(20)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(bm_challenger_observe_sample)->Name("BM_challenger_observe_sample/babybear");

BENCHMARK_MAIN();
