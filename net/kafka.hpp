#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "core/result.hpp"

/// Kafka through librdkafka (Debian librdkafka-dev 2.0, its C API): an idempotent producer with
/// acknowledgement from all in-sync replicas, and a consumer in a consumer group whose offsets are
/// committed by hand, once the work a message asked for is done (docs/farm.md).
namespace ciro::net {

/// The topics of a farm and how to reach its brokers.
struct kafka_config {
  std::string brokers;                    ///< bootstrap servers, HOST:PORT[,HOST:PORT...]
  std::string group = "ciro";             ///< the consumer group of the nodes sharing the jobs
  std::string jobs_topic = "ciro.jobs";
  std::string results_topic = "ciro.results";
  std::string alerts_topic = "ciro.alerts";
};

/// A producer: enable.idempotence=true, acks=all. Deliveries are reported from its own thread.
class kafka_producer {
 public:
  static result<std::unique_ptr<kafka_producer>, int> create(const std::string& brokers);
  /// Waits up to 30 s for every message produced to be delivered or to fail.
  ~kafka_producer();

  /// Produces `payload` with `key` to `topic`; `delivered(ok, reason)` is called once, from the
  /// producer's thread, when the brokers acknowledged it (ok) or it failed for good.
  void produce(const std::string& topic, const std::string& key, const std::string& payload,
               std::function<void(bool, std::string)> delivered);
  /// produce() and wait for the outcome.
  result<std::monostate, int> produce_and_wait(const std::string& topic, const std::string& key, const std::string& payload);

  struct impl;

 private:
  kafka_producer() = default;
  std::unique_ptr<impl> impl_;
};

/// A message of a consumed topic.
struct kafka_message {
  std::string topic, key, payload;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
};

/// A consumer in a group, subscribed to one topic, with enable.auto.commit=false: commit() says
/// which offsets are done. Used from one thread.
class kafka_consumer {
 public:
  /// `from_start`: a group without committed offsets begins at each partition's first message
  /// (else at its end).
  static result<std::unique_ptr<kafka_consumer>, int> create(const std::string& brokers, const std::string& group,
                                                             const std::string& topic, bool from_start = true);
  /// Leaves the group (its partitions go to the others).
  ~kafka_consumer();

  /// The next message, or nothing after `wait`. Partition errors (end of partition, a broker
  /// away) are not messages: they are retried by librdkafka and not returned.
  std::optional<kafka_message> poll(std::chrono::milliseconds wait);
  /// Commits `next_offset` (the first offset not done) for `partition` of the subscribed topic.
  void commit(std::int32_t partition, std::int64_t next_offset);

  struct impl;

 private:
  kafka_consumer() = default;
  std::unique_ptr<impl> impl_;
};

}  // namespace ciro::net
