#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <stdexcept>
#include <string>

/// librdkafka's in-process mock cluster (`rdkafka_mock.h`): brokers that speak the real Kafka
/// protocol on loopback ports, for tests and benchmarks (docs/farm.md, "Tests"). Faults are
/// injected through `cluster` with librdkafka's rd_kafka_mock_* functions. The mock keeps about
/// 5 MB of each partition (older messages are dropped): spread many large messages over partitions.
namespace ciro::net {

struct kafka_mock_cluster {
  /// Starts `brokers` brokers; throws std::runtime_error when librdkafka cannot.
  explicit kafka_mock_cluster(int brokers = 3) {
    char why[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "4", why, sizeof why);  // its own handle has no brokers: no notice of it
    handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    if (!handle) throw std::runtime_error(std::string("kafka mock cluster: ") + why);
    cluster = rd_kafka_mock_cluster_new(handle, brokers);
    if (!cluster) {
      rd_kafka_destroy(handle);
      throw std::runtime_error("kafka mock cluster: cannot start the brokers");
    }
    bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  }
  ~kafka_mock_cluster() {
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(handle);
  }
  kafka_mock_cluster(const kafka_mock_cluster&) = delete;
  kafka_mock_cluster& operator=(const kafka_mock_cluster&) = delete;

  /// Creates `topic` with `partitions` partitions of `replication` replicas.
  void create_topic(const std::string& topic, int partitions, int replication = 3) {
    rd_kafka_mock_topic_create(cluster, topic.c_str(), partitions, replication);
  }

  rd_kafka_t* handle = nullptr;
  rd_kafka_mock_cluster_t* cluster = nullptr;
  std::string bootstrap;  ///< the brokers' addresses, HOST:PORT,...
};

}  // namespace ciro::net
