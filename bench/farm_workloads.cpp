// The farm workloads of `ciro bench`: jobs from Kafka's jobs topic to its results topic, through
// librdkafka's in-process mock cluster (three brokers, replication 3), with one or more nodes of
// one consumer group in this process, or as `ciro serve` processes of their own.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "bench/workload.hpp"
#include "core/check.hpp"
#include "net/kafka.hpp"
#include "net/kafka_mock.hpp"
#include "net/wire_codec.hpp"
#include "runtime/node.hpp"

namespace ciro::bench {
namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

/// The mock cluster: jobs in 4 partitions per node (so every node of the group has some), results
/// in 32 (the mock keeps about 5 MB of each partition).
struct mock_farm : net::kafka_mock_cluster {
  explicit mock_farm(int nodes) {
    create_topic("ciro.jobs", 4 * nodes);
    create_topic("ciro.results", 32);
    create_topic("ciro.alerts", 1);
  }
};

/// The consumers' fetch wait against the mock cluster. A broker answers a fetch as soon as data
/// arrives; librdkafka's mock (2.0, rdkafka_mock_handlers.c) answers a fetch that found nothing
/// only after fetch.wait.max.ms (500 ms by default), whatever is produced meanwhile. At 10 ms the
/// mock's wait stops standing for the farm's latency.
const net::kafka_properties mock_fetch_wait = {{"fetch.wait.max.ms", "10"}};

/// A node of the farm: on a thread of this process, or a process of its own.
struct farm_member {
  virtual ~farm_member() = default;
};

/// A node of the farm on its own thread and spool (with the measured throughput model `model`).
struct farm_node : farm_member {
  farm_node(const std::string& brokers, const fs::path& dir, const std::string& model, const runtime::batch_config& batch) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "throughput.json") << model;
    config.spool = dir;
    config.kafka = net::kafka_config{};
    config.kafka->brokers = brokers;
    config.kafka->properties = mock_fetch_wait;
    config.batch = batch;
    thread = std::thread([this] { CIRO_CHECK(runtime::run_node(config, stop).has_value()); });
  }
  ~farm_node() override {
    stop = true;
    thread.join();
    fs::remove_all(config.spool);
  }
  runtime::node_config config;
  std::atomic<bool> stop{false};
  std::thread thread;
};

extern "C" char** environ;

/// A node of the farm as a `ciro serve --kafka` process of its own, on its own spool (this
/// executable is `ciro`: these workloads run under `ciro bench`); its stderr goes to serve.log
/// there. SIGTERM drains it at the end.
struct farm_process : farm_member {
  farm_process(const std::string& brokers, const fs::path& dir, const std::string& model, const runtime::batch_config& batch)
      : spool(dir) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "throughput.json") << model;
    const std::string exe = fs::read_symlink("/proc/self/exe").string(), spool_arg = dir.string();
    std::vector<std::string> args = {exe, "serve", "--listen", "none", "--metrics", "none", "--spool", spool_arg, "--kafka", brokers};
    for (const auto& [name, value] : mock_fetch_wait) args.insert(args.end(), {"--kafka-option", name + "=" + value});
    if (batch.max_jobs > 0) {
      args.insert(args.end(), {"--batch-jobs", std::to_string(batch.max_jobs), "--batch-window-ms", std::to_string(batch.window.count())});
    }
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    const std::string log = (dir / "serve.log").string();
    posix_spawn_file_actions_addopen(&files, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&files, 1, "/dev/null", O_WRONLY, 0);
    CIRO_CHECK(posix_spawn(&pid, exe.c_str(), &files, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&files);
  }
  ~farm_process() override {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
    fs::remove_all(spool);
  }
  fs::path spool;
  pid_t pid = 0;
};

/// Everything a run needs: the cluster, the nodes, a results reader in its group, a producer.
struct farm {
  farm(int nodes, bool processes, const std::string& model, const runtime::batch_config& batch) : kafka(nodes) {
    for (int i = 0; i < nodes; ++i) {
      const fs::path dir =
          fs::temp_directory_path() / (std::string("ciro_bench_farm_") + std::to_string(getpid()) + "_" + std::to_string(i));
      if (processes) {
        members.push_back(std::make_unique<farm_process>(kafka.bootstrap, dir, model, batch));
      } else {
        members.push_back(std::make_unique<farm_node>(kafka.bootstrap, dir, model, batch));
      }
    }
    auto c = net::kafka_consumer::create(kafka.bootstrap, "bench-reader", "ciro.results", true,
                                         [this](bool assigned, const std::vector<std::int32_t>&, bool) {
                                           if (assigned) reader_ready = true;
                                         },
                                         mock_fetch_wait);
    CIRO_CHECK(c.has_value());
    reader = std::move(c.value());
    auto p = net::kafka_producer::create(kafka.bootstrap);
    CIRO_CHECK(p.has_value());
    producer = std::move(p.value());
    const auto until = clock_type::now() + std::chrono::seconds(30);
    while (!reader_ready.load() && clock_type::now() < until) (void)reader->poll(std::chrono::milliseconds(10));
    CIRO_CHECK(reader_ready.load());
  }
  mock_farm kafka;
  std::vector<std::unique_ptr<farm_member>> members;
  std::unique_ptr<net::kafka_consumer> reader;
  std::unique_ptr<net::kafka_producer> producer;
  std::atomic<bool> reader_ready{false};
  int round = 0;
};

/// The throughput model of a node calibrated once on this machine (a spool run with no job).
std::string calibrated_model() {
  const fs::path dir = fs::temp_directory_path() / (std::string("ciro_bench_farm_calibration_") + std::to_string(getpid()));
  fs::remove_all(dir);
  runtime::node_config config;
  config.spool = dir;
  config.once = true;
  std::atomic<bool> stop{false};
  CIRO_CHECK(runtime::run_node(config, stop).has_value());
  std::ifstream in(dir / "throughput.json");
  std::string model{std::istreambuf_iterator<char>(in), {}};
  fs::remove_all(dir);
  return model;
}

/// How a farm workload runs: its nodes, their batches (max_jobs 0: none) and the rate at which
/// jobs are offered (0: all at once).
struct farm_setup {
  int nodes = 1;
  runtime::batch_config batch;
  double jobs_per_s = 0;
  bool processes = false;  ///< the nodes as `ciro serve` processes, not threads of this one
};

/// `jobs` Fibonacci jobs of 2^log_rows rows produced to the jobs topic (at once, or at the setup's
/// rate from a thread of their own); timed until every result is read from the results topic.
/// Extras: jobs per hour, and the 50th and 99th percentiles of the latency from a job's production
/// to its result's arrival at the reader.
workload kafka_workload(unsigned log_rows, int jobs, const farm_setup& setup) {
  std::string name = "farm.kafka.fibonacci.2^";
  name += std::to_string(log_rows);
  if (setup.processes) {
    name += ".procs";
    name += std::to_string(setup.nodes);
  } else if (setup.nodes > 1) {
    name += ".nodes";
    name += std::to_string(setup.nodes);
  }
  if (setup.batch.max_jobs > 0) name += ".batch";
  if (setup.jobs_per_s > 0) name += ".paced";
  std::string description = std::to_string(jobs) + " Fibonacci jobs of 2^" + std::to_string(log_rows) +
                            " rows from the jobs topic to the results topic of an in-process mock Kafka cluster, " +
                            std::to_string(setup.nodes) +
                            (setup.processes ? " `ciro serve` process(es) of one group"
                                             : setup.nodes == 1 ? " node" : " nodes of one group in this process");
  if (setup.batch.max_jobs > 0) {
    description += ", batches of up to " + std::to_string(setup.batch.max_jobs) + " jobs within " +
                   std::to_string(setup.batch.window.count()) + " ms";
  }
  description += setup.jobs_per_s > 0 ? ", offered at " + std::to_string(static_cast<int>(setup.jobs_per_s)) + " jobs/s"
                                      : ", all produced at once";
  return {name, "jobs/s", description, [log_rows, jobs, setup] {
            auto f = std::make_shared<farm>(setup.nodes, setup.processes, calibrated_model(), setup.batch);
            return [f, log_rows, jobs, setup] {
              const int r = ++f->round;
              std::mutex mutex;
              std::map<std::string, clock_type::time_point> sent;
              const auto t0 = clock_type::now();
              std::thread producing([&] {
                for (int i = 0; i < jobs; ++i) {
                  if (setup.jobs_per_s > 0) {
                    std::this_thread::sleep_until(t0 + std::chrono::duration_cast<clock_type::duration>(
                                                           std::chrono::duration<double>(i / setup.jobs_per_s)));
                  }
                  std::string id = "b";
                  id += std::to_string(r) + "-" + std::to_string(i);
                  std::string text = R"({"id": ")";
                  text += id + R"(", "air": "fibonacci", "log_rows": )" + std::to_string(log_rows) + "}";
                  {
                    std::lock_guard lock(mutex);
                    sent[id] = clock_type::now();
                  }
                  f->producer->produce("ciro.jobs", id, net::encode_job_message({text, "", ""}).value(),
                                       [](bool ok, std::string) { CIRO_CHECK(ok); });
                }
              });
              std::vector<double> latency;
              std::size_t got = 0;
              const auto until = clock_type::now() + std::chrono::seconds(600);
              while (got < static_cast<std::size_t>(jobs) && clock_type::now() < until) {
                const auto m = f->reader->poll(std::chrono::milliseconds(100));
                if (!m) continue;
                std::lock_guard lock(mutex);
                const auto it = sent.find(m->key);
                if (it == sent.end()) continue;  // an earlier round's duplicate
                const auto a = net::decode_result_message(m->payload, std::size_t{1} << 30);
                CIRO_CHECK(a.has_value() && a.value().status == net::job_status::done);
                latency.push_back(std::chrono::duration<double>(clock_type::now() - it->second).count());
                sent.erase(it);
                ++got;
              }
              producing.join();
              const double wall = std::chrono::duration<double>(clock_type::now() - t0).count();
              CIRO_CHECK(got == static_cast<std::size_t>(jobs));
              return jobs_output(jobs, wall, std::move(latency));
            };
          }};
}

}  // namespace

std::vector<workload> farm_workloads() {
  runtime::batch_config batches;
  batches.max_jobs = 256;
  batches.window = std::chrono::milliseconds(200);
  return {kafka_workload(10, 1000, {1, {}, 0}), kafka_workload(10, 1000, {2, {}, 0}), kafka_workload(10, 1000, {4, {}, 0}),
          kafka_workload(10, 5000, {1, batches, 0}), kafka_workload(10, 5600, {1, batches, 280}),
          kafka_workload(10, 1000, {1, {}, 0, true}), kafka_workload(10, 1000, {2, {}, 0, true}),
          kafka_workload(10, 1000, {4, {}, 0, true})};
}

}  // namespace ciro::bench
