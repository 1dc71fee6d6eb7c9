// The farm under faults: for each fault, CIRO_FAULT_JOBS jobs (10,000 when run by hand; ctest runs
// fewer, label slow) go to the jobs topic of librdkafka's mock cluster (three brokers, replication
// 3); the fault strikes once a third of the results are in and heals a few seconds later; every job
// id must then have a result on the results topic (duplicates counted and reported, none lost,
// none failed). Each prints one line of docs/reliability.md's table:
//   fault | jobs | lost | duplicated | time to recover
// (the longest pause in the results from the fault's start to the last result).

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include "tests/runtime/kafka_fixtures.hpp"
#include "tests/support/redis_server.hpp"

namespace ciro::runtime {
namespace {

using namespace ciro::test;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

/// Kafka protocol API keys (the protocol guide's request header `api_key`; librdkafka's public
/// header does not name them): Produce 0, OffsetCommit 8.
constexpr std::int16_t kafka_api_produce = 0;
constexpr std::int16_t kafka_api_offset_commit = 8;

/// The results topic's partitions: 10,000 results with their proofs are a few hundred MB, and the
/// mock cluster keeps about 5 MB of each partition.
constexpr int result_partitions = 32;

int fault_jobs() {
  const char* v = std::getenv("CIRO_FAULT_JOBS");
  const int n = v ? std::atoi(v) : 10000;
  return n > 0 ? n : 10000;
}

/// Job i: a Fibonacci statement among 24 (log_rows 6..8, 1..8 instances), so a result cache has
/// something to answer and every node proves some.
std::string fault_job(int i) {
  const std::string id = std::string("f") + std::to_string(i);
  const std::string text = std::string(R"({"id": ")") + id + R"(", "air": "fibonacci", "log_rows": )" + std::to_string(6 + i % 3) +
                           R"(, "instances": )" + std::to_string(1 + (i / 3) % 8) + "}";
  return net::encode_job_message({text, "", ""}).value();
}

/// Reads the results topic on a thread of its own: results by id, and when each arrived.
struct results_reader {
  explicit results_reader(const std::string& brokers) {
    // (the mock cluster keeps about 5 MB of each partition: the reader must be in its group, at
    // the start of the topic, before results flow, and keep up, or results are gone before it reads
    // them)
    auto c = net::kafka_consumer::create(brokers, "fault-reader", "ciro.results", true,
                                         [this](bool assigned_now, const std::vector<std::int32_t>&, bool) {
                                           if (assigned_now) assigned = true;
                                         });
    EXPECT_TRUE(c.has_value());
    consumer = std::move(c.value());
    thread = std::thread([this] {
      while (!stop.load()) {
        auto m = consumer->poll(100ms);
        if (!m) continue;
        const auto a = net::decode_result_message(m->payload, std::size_t{1} << 30);
        std::lock_guard lock(mutex);
        ++messages;
        arrivals.push_back(clock_type::now());
        if (!a) {
          ++undecodable;
          continue;
        }
        auto& st = status[a.value().id];
        if (st != net::job_status::done) st = a.value().status;
      }
    });
  }
  ~results_reader() {
    stop = true;
    thread.join();
  }
  std::size_t unique() {
    std::lock_guard lock(mutex);
    return status.size();
  }
  std::unique_ptr<net::kafka_consumer> consumer;
  std::mutex mutex;
  std::map<std::string, net::job_status> status;
  std::vector<clock_type::time_point> arrivals;
  std::size_t messages = 0, undecodable = 0;
  std::atomic<bool> stop{false}, assigned{false};
  std::thread thread;
};

/// One request in flight per broker connection. Needed where errors are pushed on Produce: the
/// mock cluster checks the sequence numbers of an idempotent producer only when it is transactional
/// (librdkafka 2.0's rdkafka_mock.c, rd_kafka_mock_validate_records). With two requests in flight
/// for a partition, an injected error that may have persisted the first (REQUEST_TIMED_OUT) followed
/// by the second's success makes the producer take the first as delivered (rdkafka_request.c: a
/// later success proves an earlier uncertain request persisted); the mock never stored it. A real
/// broker refuses the second with OUT_OF_ORDER_SEQUENCE_NUMBER, and nothing is lost.
const net::kafka_properties one_request_in_flight = {{"max.in.flight.requests.per.connection", "1"}};

/// Sends `jobs` jobs, runs `strike` once a third of the results are in and `heal` `hold` later,
/// waits for every id's result, then checks and reports. `properties` go to the jobs' producer.
void run_fault(const std::string& name, const mock_cluster& kafka, int jobs, const std::function<void()>& strike,
               const std::function<void()>& heal, std::chrono::milliseconds hold, const net::kafka_properties& properties = {}) {
  results_reader reader(kafka.brokers);
  const auto joined = clock_type::now() + 30s;
  while (!reader.assigned.load() && clock_type::now() < joined) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(reader.assigned.load()) << "the results reader was given no partition";
  auto producer = net::kafka_producer::create(kafka.brokers, properties);
  ASSERT_TRUE(producer.has_value()) << producer.error().message;
  std::atomic<int> undelivered{0};
  const auto t0 = clock_type::now();
  for (int i = 0; i < jobs; ++i) {
    producer.value()->produce("ciro.jobs", std::string("f") + std::to_string(i), fault_job(i), [&](bool ok, std::string) {
      if (!ok) ++undelivered;
    });
  }
  while (reader.unique() < static_cast<std::size_t>(jobs) / 3 && clock_type::now() - t0 < 600s) std::this_thread::sleep_for(5ms);
  const auto struck = clock_type::now();
  strike();
  std::this_thread::sleep_for(hold);
  heal();
  const auto limit = clock_type::now() + 120s + std::chrono::milliseconds(jobs * 20);
  while (reader.unique() < static_cast<std::size_t>(jobs) && clock_type::now() < limit) std::this_thread::sleep_for(20ms);
  producer.value().reset();  // waits for the deliveries
  std::this_thread::sleep_for(500ms);  // late duplicates
  std::lock_guard lock(reader.mutex);
  const std::size_t unique = reader.status.size();
  std::size_t failed = 0;
  for (const auto& [id, st] : reader.status) failed += st != net::job_status::done;
  // The longest pause in the results from the strike to the last one.
  double pause_s = 0;
  clock_type::time_point last = struck;
  for (const auto& t : reader.arrivals) {
    if (t < struck) continue;
    pause_s = std::max(pause_s, std::chrono::duration<double>(t - last).count());
    last = t;
  }
  const double total_s = std::chrono::duration<double>(last - t0).count();
  std::printf("| %s | %d | %zu | %zu | %.1f s | (%.0f s in all, %zu failed, %d undelivered)\n", name.c_str(), jobs,
              static_cast<std::size_t>(jobs) - std::min<std::size_t>(unique, static_cast<std::size_t>(jobs)),
              reader.messages - unique, pause_s, total_s, failed, undelivered.load());
  EXPECT_EQ(undelivered.load(), 0);
  EXPECT_EQ(unique, static_cast<std::size_t>(jobs)) << "jobs lost";
  EXPECT_EQ(failed, 0u);
  EXPECT_EQ(reader.undecodable, 0u);
}

TEST(FarmFaults, ABrokerDownAndBack) {
  mock_cluster kafka(result_partitions);
  kafka_node node(kafka.brokers, "fault_broker");
  run_fault("broker 2 down 3 s", kafka, fault_jobs(), [&] { rd_kafka_mock_broker_set_down(kafka.cluster, 2); },
            [&] { rd_kafka_mock_broker_set_up(kafka.cluster, 2); }, 3s);
}

TEST(FarmFaults, PartitionLeadersMoved) {
  mock_cluster kafka(result_partitions);
  kafka_node node(kafka.brokers, "fault_leader");
  run_fault("jobs and results leaders moved", kafka, fault_jobs(),
            [&] {
              for (int p = 0; p < 4; ++p) rd_kafka_mock_partition_set_leader(kafka.cluster, "ciro.jobs", p, 1 + (p + 1) % 3);
              rd_kafka_mock_partition_set_leader(kafka.cluster, "ciro.results", 0, 3);
            },
            [&] {
              for (int p = 0; p < 4; ++p) rd_kafka_mock_partition_set_leader(kafka.cluster, "ciro.jobs", p, 1 + (p + 2) % 3);
              rd_kafka_mock_partition_set_leader(kafka.cluster, "ciro.results", 0, 1);
            },
            2s);
}

TEST(FarmFaults, RequestErrorsOnProduceAndCommit) {
  mock_cluster kafka(result_partitions);
  kafka_node node(kafka.brokers, "fault_requests", std::nullopt, one_request_in_flight);
  run_fault("errors pushed on produce and commit", kafka, fault_jobs(),
            [&] {
              // Retriable errors, as a broker under load or in a leader election answers.
              rd_kafka_mock_push_request_errors(kafka.cluster, kafka_api_produce, 6, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                                RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                                                RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                                RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
              rd_kafka_mock_push_request_errors(kafka.cluster, kafka_api_offset_commit, 4, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
                                                RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
                                                RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE);
            },
            [] {}, 2s, one_request_in_flight);
}

TEST(FarmFaults, RedisKilledAndRestarted) {
  if (!redis_server::available()) GTEST_SKIP() << "redis-server is not installed (scripts/setup.sh installs it)";
  mock_cluster kafka(result_partitions);
  redis_server redis;
  kafka_node node(kafka.brokers, "fault_redis", redis.address());
  run_fault("redis killed (kill -9) 3 s, restarted empty", kafka, fault_jobs(), [&] { redis.kill(); }, [&] { redis.start(); }, 3s);
}

/// `ciro serve --kafka` as a process of its own (it can be killed -9).
struct node_process {
  node_process(const std::string& brokers, const std::string& name) {
    dir = fs::path(testing::TempDir()) / ("ciro_fault_process_" + name + "_" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "throughput.json") << throughput_model().to_json().dump();
    const std::string spool = dir.string(), log = (dir / "stderr.log").string();
    pid = fork();
    if (pid == 0) {  // only async-signal-safe calls until exec: the parent has threads
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0 || dup2(fd, 2) < 0) _exit(126);
      execl(CIRO_BINARY, "ciro", "serve", "--kafka", brokers.c_str(), "--spool", spool.c_str(), "--listen", "none",
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  void kill9() {
    if (pid <= 0) return;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    pid = -1;
  }
  ~node_process() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
    if (std::getenv("CIRO_TEST_LOG")) {  // the node's events, for a failing run
      std::ifstream log(dir / "stderr.log");
      std::fprintf(stderr, "--- %s\n%s", dir.filename().c_str(), std::string(std::istreambuf_iterator<char>(log), {}).c_str());
    }
    fs::remove_all(dir);
  }
  fs::path dir;
  pid_t pid = -1;
};

TEST(FarmFaults, ANodeKilledWhileAnotherTakesOverItsPartitions) {
  mock_cluster kafka(result_partitions);
  node_process first(kafka.brokers, "first");
  node_process second(kafka.brokers, "second");
  std::this_thread::sleep_for(2s);  // both in the group before the jobs come
  run_fault("one of two nodes killed (kill -9)", kafka, fault_jobs(), [&] { first.kill9(); }, [] {}, 0s);
}

}  // namespace
}  // namespace ciro::runtime
