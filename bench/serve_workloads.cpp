// The service workloads of `ciro bench`: jobs through a node's spool directory end to end (job
// files in, results and proofs out), on this machine's cores.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "bench/workload.hpp"
#include "core/check.hpp"
#include "runtime/node.hpp"

namespace ciro::bench {
namespace {

namespace fs = std::filesystem;

/// `jobs` Fibonacci jobs of 2^log_rows rows through a fresh spool (its throughput model calibrated
/// while preparing), two workers; extras: the median and 99th percentile of the jobs' proof times.
workload spool_workload(unsigned log_rows, int jobs) {
  std::string name = "serve.spool.fibonacci.2^", description = std::to_string(jobs);
  name += std::to_string(log_rows);
  description += " Fibonacci jobs of 2^";
  description += std::to_string(log_rows);
  description += " rows through a node's spool directory (job file in, result and proof out), 2 workers";
  return {name, "jobs/s", description,
          [log_rows, jobs] {
            const fs::path dir = fs::temp_directory_path() / (std::string("ciro_bench_spool_") + std::to_string(getpid()));
            fs::remove_all(dir);
            fs::create_directories(dir / "in");
            auto config = std::make_shared<runtime::node_config>();
            config->spool = dir;
            config->workers = 2;
            config->threads_per_worker = 1;
            config->once = true;
            config->poll = std::chrono::milliseconds(5);
            std::atomic<bool> stop{false};
            CIRO_CHECK(runtime::run_node(*config, stop).has_value());  // calibrates, writes throughput.json
            return [dir, config, log_rows, jobs] {
              for (const char* sub : {"out", "failed"}) {
                fs::remove_all(dir / sub);
                fs::create_directories(dir / sub);
              }
              for (int i = 0; i < jobs; ++i) {
                const std::string id = std::string("j") + std::to_string(i);
                std::ofstream(dir / "in" / (id + ".json"))
                    << R"({"id": ")" << id << R"(", "air": "fibonacci", "log_rows": )" << log_rows << "}";
              }
              std::atomic<bool> stop{false};
              const auto s = runtime::run_node(*config, stop);
              CIRO_CHECK(s.has_value() && s.value().done == static_cast<std::size_t>(jobs));
              std::vector<double> wall;
              for (const auto& e : fs::directory_iterator(dir / "out")) {
                if (e.path().extension() != ".json") continue;
                std::ifstream in(e.path());
                wall.push_back(nlohmann::json::parse(in)["cost"]["wall_s"].get<double>());
              }
              std::sort(wall.begin(), wall.end());
              const auto at = [&](double q) { return wall[static_cast<std::size_t>(q * static_cast<double>(wall.size() - 1))]; };
              return run_output{static_cast<double>(jobs), {{"proof_p50_ms", 1e3 * at(0.5)}, {"proof_p99_ms", 1e3 * at(0.99)}}};
            };
          }};
}

}  // namespace

std::vector<workload> serve_workloads() { return {spool_workload(10, 200)}; }

}  // namespace ciro::bench
