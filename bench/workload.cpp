#include "bench/workload.hpp"

#include <tbb/global_control.h>

#include <algorithm>
#include <chrono>

namespace ciro::bench {

std::vector<workload> all_workloads() {
  std::vector<workload> all;
  for (auto&& group :
       {field_workloads(), ntt_workloads(), hash_workloads(), merkle_workloads(), stark_workloads(), zkml_workloads(), serve_workloads(),
        farm_workloads(), consensus_workloads(), validator_workloads(), gpu_workloads()})
    all.insert(all.end(), group.begin(), group.end());
  return all;
}

run_output jobs_output(int jobs, double wall_s, std::vector<double> latency_s) {
  std::sort(latency_s.begin(), latency_s.end());
  const auto at = [&](double q) { return latency_s[static_cast<std::size_t>(q * static_cast<double>(latency_s.size() - 1))]; };
  return {static_cast<double>(jobs),
          {{"jobs_per_hour", 3600.0 * jobs / wall_s}, {"latency_p50_ms", 1e3 * at(0.5)}, {"latency_p99_ms", 1e3 * at(0.99)}}};
}

std::size_t worker_threads() { return tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism); }

result run(const workload& w, int repetitions) {
  auto body = w.prepare();
  run_output out = body();  // warm-up: first-touch page faults, twiddle tables, caches
  std::vector<double> seconds;
  for (int i = 0; i < repetitions; ++i) {
    const auto start = std::chrono::steady_clock::now();
    out = body();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  const std::size_t mid = seconds.size() / 2;
  const double median = seconds.size() % 2 ? seconds[mid] : (seconds[mid - 1] + seconds[mid]) / 2;
  return {w.name, median, out.items / median, w.unit, repetitions, out.extras};
}

}  // namespace ciro::bench
