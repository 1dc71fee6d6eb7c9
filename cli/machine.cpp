#include "cli/machine.hpp"

#include <fstream>
#include <thread>

#include "bench/workload.hpp"
#include "field/packed.hpp"

namespace ciro::cli {

machine_info this_machine() {
  machine_info m;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      m.cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  if (m.cpu.empty()) m.cpu = "unknown";
  m.cores = std::thread::hardware_concurrency();
  m.threads = static_cast<unsigned>(bench::worker_threads());
  m.simd_target = field::packed::simd_target();
  m.gpus = kernels::cuda_devices();
  return m;
}

nlohmann::json gpu_json(const kernels::cuda_device_info& d, const std::string& driver) {
  return {{"name", d.name},
          {"compute_capability", std::to_string(d.compute_major) + "." + std::to_string(d.compute_minor)},
          {"multiprocessors", d.multiprocessors},
          {"memory_bytes", d.memory_bytes},
          {"clock_mhz", d.clock_mhz},
          {"memory_clock_mhz", d.memory_clock_mhz},
          {"memory_bus_bits", d.memory_bus_bits},
          {"driver", driver}};
}

nlohmann::json machine_json(const machine_info& m) {
  nlohmann::json j = {{"cpu", m.cpu}, {"cores", m.cores}, {"threads", m.threads}, {"simd_target", m.simd_target}};
  j["gpus"] = nlohmann::json::array();
  for (const auto& d : m.gpus.devices) j["gpus"].push_back(gpu_json(d, m.gpus.driver));
  if (!m.gpus.note.empty()) j["gpu_note"] = m.gpus.note;
  return j;
}

}  // namespace ciro::cli
