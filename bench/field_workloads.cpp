#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <memory>
#include <vector>

#include "bench/workload.hpp"
#include "field/babybear.hpp"
#include "field/packed.hpp"

namespace ciro::bench {

std::vector<workload> field_workloads() {
  using field::babybear;
  return {{
      "field.babybear.mul",
      "mul/s",
      "packed BabyBear Montgomery multiplications on all cores (4096-element arrays in L1, 2048 passes per core)",
      [] {
        constexpr std::size_t n = 4096, passes = 2048;
        const std::size_t threads = worker_threads();
        auto a = std::make_shared<std::vector<std::vector<babybear>>>(threads, std::vector<babybear>(n));
        auto b = std::make_shared<std::vector<babybear>>(n);
        for (std::size_t i = 0; i < n; ++i) (*b)[i] = babybear::from_u64(i * 0x9e3779b97f4a7c15ULL + 1);
        for (auto& v : *a) {
          for (std::size_t i = 0; i < n; ++i) v[i] = babybear::from_u64(i + 7);
        }
        return [a, b, threads] {
          tbb::parallel_for(
              std::size_t{0}, threads,
              [&](std::size_t t) {
                auto& v = (*a)[t];
                for (std::size_t p = 0; p < passes; ++p) field::packed::mul<field::babybear_params>(v, *b, v);
              },
              tbb::static_partitioner());
          return run_output{static_cast<double>(threads * n * passes), {}};
        };
      },
  }};
}

}  // namespace ciro::bench
