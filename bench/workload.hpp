#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "field/babybear.hpp"
#include "kernels/matrix.hpp"

namespace ciro::bench {

/// One run of a workload: how many items it processed (multiplications, elements, hashes...)
/// and optional extra figures reported beside the timing (e.g. a proof size in bytes).
struct run_output {
  double items = 0;
  std::vector<std::pair<std::string, double>> extras;
};

/// A named, user-facing workload of `ciro bench`. Names are stable: users compare machines by
/// them. `prepare` allocates and fills the inputs (not timed) and returns the timed body, which
/// performs one repetition.
struct workload {
  std::string name;
  /// The unit of the throughput column, e.g. "mul/s" or "elements/s".
  std::string unit;
  /// One line for `ciro bench --list`.
  std::string description;
  std::function<std::function<run_output()>()> prepare;
};

/// The measured result of a workload: the median wall time of its repetitions and the
/// throughput items / median_s.
struct result {
  std::string name;
  double median_s = 0;
  double throughput = 0;
  std::string unit;
  int repetitions = 0;
  std::vector<std::pair<std::string, double>> extras;
};

/// Every workload, in a fixed order: field, NTT, then the later modules'.
std::vector<workload> all_workloads();

/// The workloads of one module; all_workloads() concatenates them.
std::vector<workload> field_workloads();
std::vector<workload> ntt_workloads();
std::vector<workload> hash_workloads();
std::vector<workload> merkle_workloads();
std::vector<workload> stark_workloads();
std::vector<workload> zkml_workloads();
std::vector<workload> serve_workloads();
std::vector<workload> farm_workloads();
std::vector<workload> consensus_workloads();
std::vector<workload> validator_workloads();
/// A rows x width matrix of pseudo-random BabyBear elements (a fixed LCG seed: the same input on
/// every machine), for the NTT and LDE workloads.
std::shared_ptr<kernels::row_major_matrix<field::babybear>> random_babybear_matrix(std::size_t rows, std::size_t width);

/// Listed only when a CUDA device is present.
std::vector<workload> gpu_workloads();

/// The output of a run of `jobs` jobs in `wall_s` seconds, given each job's latency in seconds:
/// the extras jobs_per_hour, latency_p50_ms and latency_p99_ms (nearest-rank percentiles).
/// Precondition: latency_s is not empty.
run_output jobs_output(int jobs, double wall_s, std::vector<double> latency_s);

/// The number of worker threads a workload may use: all cores unless `ciro bench --threads`
/// (a tbb::global_control) lowered it.
std::size_t worker_threads();

/// Runs `w`: one untimed warm-up, then `repetitions` timed runs; returns the median.
result run(const workload& w, int repetitions);

}  // namespace ciro::bench
