// The service workloads of `ciro bench`: jobs through a node's spool directory end to end (job
// files in, results and proofs out), on this machine's cores.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench/workload.hpp"
#include "core/check.hpp"
#include "net/client.hpp"
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

/// A node running on its own thread (the embedded default of `ciro serve`, on a free loopback port
/// and a fresh spool) until this is destroyed.
struct background_node {
  explicit background_node(runtime::node_config c) : config(std::move(c)) {
    std::promise<std::string> listening;
    auto bound = listening.get_future();
    config.on_listening = [&listening](const std::string& rpc, const std::string&) { listening.set_value(rpc); };
    thread = std::thread([this] { CIRO_CHECK(runtime::run_node(config, stop).has_value()); });
    address = bound.get();
    config.on_listening = nullptr;
  }
  ~background_node() {
    stop = true;
    thread.join();
  }
  runtime::node_config config;
  std::atomic<bool> stop{false};
  std::thread thread;
  std::string address;
};

/// `jobs` Fibonacci jobs of 2^log_rows rows submitted through the RPC sidecar by `clients`
/// concurrent clients (each waits for its job's result before sending the next), on a node with
/// the defaults of `ciro serve`. Extras: jobs per hour, and the 50th and 99th percentiles of the
/// latency a client sees from submit to result (proof received).
workload rpc_workload(unsigned log_rows, int jobs, int clients) {
  std::string name = "serve.fibonacci.2^", description = std::to_string(jobs);
  name += std::to_string(log_rows);
  description += " Fibonacci jobs of 2^" + std::to_string(log_rows) + " rows through the RPC sidecar of a node on the "
                 "embedded default, " + std::to_string(clients) + " concurrent clients; latency from submit to result";
  return {name, "jobs/s", description, [log_rows, jobs, clients] {
            const fs::path dir = fs::temp_directory_path() / (std::string("ciro_bench_rpc_") + std::to_string(getpid()));
            fs::remove_all(dir);
            runtime::node_config config;  // ciro serve's defaults, but a free port and a fresh spool
            config.spool = dir;
            config.network = net::server_config{};
            config.network->rpc_address = "127.0.0.1:0";
            config.network->metrics_address = "";
            auto node = std::make_shared<background_node>(config);  // calibrates at its first start
            auto round = std::make_shared<int>(0);
            return [node, round, log_rows, jobs, clients] {
              const int r = ++*round;
              std::mutex mutex;
              std::vector<double> latency;
              std::atomic<int> next{0}, failed{0};
              std::vector<std::thread> threads;
              for (int c = 0; c < clients; ++c) {
                threads.emplace_back([&] {
                  net::client_options options;
                  options.address = node->address;
                  auto client = net::client::connect(options);
                  CIRO_CHECK(client.has_value());
                  for (int i; (i = next++) < jobs;) {
                    const std::string id = std::string("r") + std::to_string(r) + "-" + std::to_string(i);
                    const auto t0 = std::chrono::steady_clock::now();
                    const auto a = client.value()->submit(
                        {R"({"id": ")" + id + R"(", "air": "fibonacci", "log_rows": )" + std::to_string(log_rows) + "}", "", ""});
                    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                    if (!a || a.value().status != net::job_status::done || a.value().proof.empty()) ++failed;
                    std::lock_guard lock(mutex);
                    latency.push_back(s);
                  }
                });
              }
              const auto t0 = std::chrono::steady_clock::now();
              for (auto& t : threads) t.join();
              const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
              CIRO_CHECK(failed.load() == 0);
              return jobs_output(jobs, wall, std::move(latency));
            };
          }};
}

}  // namespace

std::vector<workload> serve_workloads() { return {spool_workload(10, 200), rpc_workload(10, 200, 4)}; }

}  // namespace ciro::bench
