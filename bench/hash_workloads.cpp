#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <array>
#include <memory>
#include <vector>

#include "bench/workload.hpp"
#include "field/babybear.hpp"
#include "field/felt252.hpp"
#include "hash/poseidon2_packed.hpp"
#include "hash/starknet_poseidon.hpp"

namespace ciro::bench {
namespace {

using field::babybear;

/// Packed Poseidon2 permutations on every core: each core permutes its own batch of states
/// (in L1) `passes` times; throughput in permutations/s.
template <std::size_t Width>
workload poseidon2_workload(const char* name) {
  return {name, "perm/s",
          "packed Poseidon2-BabyBear width " + std::to_string(Width) +
              " permutations on all cores (batches of 1024 states)",
          [] {
            constexpr std::size_t batch = 1024, passes = 64;
            const std::size_t threads = worker_threads();
            auto states = std::make_shared<std::vector<std::vector<std::array<babybear, Width>>>>(
                threads, std::vector<std::array<babybear, Width>>(batch));
            for (auto& per_thread : *states) {
              std::uint64_t i = 0;
              for (auto& s : per_thread) {
                for (auto& x : s) x = babybear::from_u64(++i * 0x9e3779b97f4a7c15ULL);
              }
            }
            return [states, threads] {
              tbb::parallel_for(
                  std::size_t{0}, threads,
                  [&](std::size_t t) {
                    for (std::size_t p = 0; p < passes; ++p) hash::poseidon2_permute_many(std::span((*states)[t]));
                  },
                  tbb::static_partitioner());
              return run_output{static_cast<double>(threads * batch * passes), {}};
            };
          }};
}

/// Starknet poseidon_hash(x, y) chains on every core; throughput in hashes/s.
workload starknet_workload() {
  return {"starknet.poseidon.hash", "hash/s", "Starknet poseidon_hash(x, y) on all cores (independent chains)", [] {
            constexpr std::size_t per_thread = 2000;
            const std::size_t threads = worker_threads();
            return [threads] {
              tbb::parallel_for(
                  std::size_t{0}, threads,
                  [&](std::size_t t) {
                    field::felt252 acc = field::felt252::from_u64(t + 1);
                    const field::felt252 y = field::felt252::from_u64(0xc1c0);
                    for (std::size_t i = 0; i < per_thread; ++i) acc = hash::starknet::poseidon_hash(acc, y);
                    if (acc.is_zero()) std::abort();  // keeps the chain observable
                  },
                  tbb::static_partitioner());
              return run_output{static_cast<double>(threads * per_thread), {}};
            };
          }};
}

}  // namespace

std::vector<workload> hash_workloads() {
  return {poseidon2_workload<16>("poseidon2.babybear16.perm"), poseidon2_workload<24>("poseidon2.babybear24.perm"),
          starknet_workload()};
}

}  // namespace ciro::bench
