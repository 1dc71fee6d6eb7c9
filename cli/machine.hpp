#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "kernels/cuda/cuda_backend.hpp"

/// What `ciro bench` and `ciro devices` say about the machine they run on.
namespace ciro::cli {

struct machine_info {
  std::string cpu;           ///< /proc/cpuinfo's model name
  unsigned cores = 0;        ///< hardware threads of the machine
  unsigned threads = 0;      ///< worker threads the workloads use
  std::string simd_target;   ///< Highway's target for the field kernels
  kernels::cuda_inventory gpus;
};

[[nodiscard]] machine_info this_machine();

/// {"cpu", "cores", "threads", "simd_target", "gpus": [gpu_json...], "gpu_note"}: `ciro bench
/// --json`'s machine section, which `ciro bench --compare` reads.
[[nodiscard]] nlohmann::json machine_json(const machine_info& m);

/// {"name", "compute_capability": "9.0", "multiprocessors", "memory_bytes", "clock_mhz",
/// "memory_clock_mhz", "memory_bus_bits", "driver"}.
[[nodiscard]] nlohmann::json gpu_json(const kernels::cuda_device_info& d, const std::string& driver);

}  // namespace ciro::cli
