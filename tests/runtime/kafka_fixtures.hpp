#pragma once

// What the Kafka tests share: librdkafka's in-process mock cluster with the farm's topics, job and
// result messages, a node on its own thread, and a reader of a topic.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>

#include "net/kafka.hpp"
#include "net/kafka_mock.hpp"
#include "net/wire_codec.hpp"
#include "runtime/node.hpp"
#include "runtime/throughput.hpp"

namespace ciro::test {

namespace fs = std::filesystem;
using runtime::node_config;
using runtime::node_summary;
using runtime::run_node;
using runtime::throughput_model;

/// A mock Kafka cluster of three brokers with the farm's topics (jobs: 4 partitions; results:
/// `result_partitions`; replication 3).
struct mock_cluster : net::kafka_mock_cluster {
  explicit mock_cluster(int result_partitions = 1) : brokers(bootstrap) {
    create_topic("ciro.jobs", 4);
    create_topic("ciro.results", result_partitions);
    create_topic("ciro.alerts", 1);
  }
  std::string brokers;
};

inline std::string job_message(const std::string& id, unsigned log_rows) {
  return net::encode_job_message({R"({"id": ")" + id + R"(", "air": "fibonacci", "log_rows": )" + std::to_string(log_rows) + "}", "", ""})
      .value();
}

inline net::job_answer decode_result(const std::string& payload) { return net::decode_result_message(payload, std::size_t{1} << 30).value(); }

/// A node consuming the cluster's jobs topic on its own thread until destroyed.
struct kafka_node {
  /// A node of group "ciro" on `brokers`, with the Redis cache at `redis` when given and the
  /// librdkafka `properties` added to its clients'.
  kafka_node(const std::string& brokers, const std::string& name, std::optional<net::redis_address> redis = std::nullopt,
             const net::kafka_properties& properties = {}) {
    dir = fs::path(testing::TempDir()) / ("ciro_kafka_" + name + "_" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "throughput.json") << throughput_model().to_json().dump();
    config.spool = dir;
    if (std::getenv("CIRO_TEST_LOG")) {  // the node's events on stderr, for a failing run
      config.log = [name](const std::string& line) { std::fprintf(stderr, "[%s] %s\n", name.c_str(), line.c_str()); };
    }
    config.kafka = net::kafka_config{};
    config.kafka->brokers = brokers;
    config.kafka->properties = properties;
    if (redis) {
      config.redis = runtime::redis_cache_config{};
      config.redis->address = *redis;
    }
    thread = std::thread([this] { summary.emplace(run_node(config, stop)); });
  }
  ~kafka_node() {
    stop = true;
    thread.join();
    fs::remove_all(dir);
  }
  fs::path dir;
  node_config config;
  std::atomic<bool> stop{false};
  std::optional<result<node_summary, int>> summary;
  std::thread thread;
};

/// Reads `topic` from the start until `enough` says so or 120 s pass.
inline std::vector<net::kafka_message> read_until(const std::string& brokers, const std::string& topic,
                                           const std::function<bool(const std::vector<net::kafka_message>&)>& enough) {
  static int readers = 0;
  auto consumer = net::kafka_consumer::create(brokers, "test-reader-" + std::to_string(++readers), topic);
  EXPECT_TRUE(consumer.has_value());
  std::vector<net::kafka_message> got;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!enough(got) && std::chrono::steady_clock::now() < until) {
    if (auto m = consumer.value()->poll(std::chrono::milliseconds(100))) got.push_back(std::move(*m));
  }
  return got;
}

}  // namespace ciro::test
