// ciro devices: this machine's CPU and CUDA devices, each GPU self-tested against the CPU.

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/machine.hpp"
#include "kernels/cuda/cuda_self_test.hpp"

namespace ciro::cli {

int devices_command(const std::vector<std::string>& args) {
  std::string json_path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::puts("usage: ciro devices [--json FILE]");
      return exit_ok;
    }
    if (args[i] == "--json" && i + 1 < args.size()) {
      json_path = args[++i];
      continue;
    }
    return usage_error("devices: unexpected argument '" + args[i] + "' (usage: ciro devices [--json FILE])");
  }
  const machine_info m = this_machine();
  std::printf("cpu     %s, %u cores, SIMD %s (the reference prover)\n", m.cpu.c_str(), m.cores, m.simd_target.c_str());
  nlohmann::json j = machine_json(m);
  j["gpus"] = nlohmann::json::array();
  if (m.gpus.devices.empty()) std::printf("cuda    none: %s\n", m.gpus.note.c_str());
  for (const auto& d : m.gpus.devices) {
    const std::string test = kernels::cuda_self_test(d.ordinal);
    std::printf("cuda:%-3d %s, compute %d.%d, %d SMs, %.1f GiB, %d / %d MHz, driver %s, self-test %s\n", d.ordinal, d.name.c_str(),
                d.compute_major, d.compute_minor, d.multiprocessors, static_cast<double>(d.memory_bytes) / (1 << 30),
                d.clock_mhz, d.memory_clock_mhz, m.gpus.driver.c_str(), test.c_str());
    auto g = gpu_json(d, m.gpus.driver);
    g["self_test"] = test;
    j["gpus"].push_back(std::move(g));
  }
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << j.dump(2) << "\n";
    if (!out) return usage_error("devices: cannot write " + json_path);
  }
  return exit_ok;
}

}  // namespace ciro::cli
