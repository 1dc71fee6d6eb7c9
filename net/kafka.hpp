#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.hpp"

/// Kafka through librdkafka (Debian librdkafka-dev 2.0, its C API): an idempotent producer with
/// acknowledgement from all in-sync replicas, and a consumer in a consumer group whose offsets are
/// committed by hand, once the work a message asked for is done (docs/farm.md).
namespace ciro::net {

/// librdkafka configuration properties (name, value) that an operator adds to Ciro's own, e.g.
/// security.protocol, ssl.ca.location, sasl.mechanism, sasl.username, sasl.password; see
/// librdkafka's CONFIGURATION.md. Each is set on the producer and the consumer (one that applies
/// to only one of them is ignored by the other, with librdkafka's warning).
using kafka_properties = std::vector<std::pair<std::string, std::string>>;

/// Why `name` cannot be set by an operator ("" when it can): the properties that Ciro's delivery
/// guarantees rest on (bootstrap.servers, group.id, enable.idempotence, acks, enable.auto.commit,
/// enable.auto.offset.store, auto.offset.reset) are Ciro's own.
std::string kafka_property_refused(const std::string& name);

/// The topics of a farm and how to reach its brokers.
struct kafka_config {
  std::string brokers;                    ///< bootstrap servers, HOST:PORT[,HOST:PORT...]
  std::string group = "ciro";             ///< the consumer group of the nodes sharing the jobs
  std::string jobs_topic = "ciro.jobs";
  std::string results_topic = "ciro.results";
  std::string alerts_topic = "ciro.alerts";
  kafka_properties properties;            ///< added to Ciro's own (kafka_property_refused() says which not)
};

/// A producer: enable.idempotence=true, acks=all. Deliveries are reported from its own thread.
class kafka_producer {
 public:
  /// `properties` are set after Ciro's own; a refused or unknown one fails the creation with its reason.
  static result<std::unique_ptr<kafka_producer>, int> create(const std::string& brokers, const kafka_properties& properties = {});
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

/// Told of a rebalance before it takes effect: partitions `assigned` (true) or revoked (false);
/// `lost` when they were taken away without a revoke (the session expired), when committing them
/// is no longer possible. Called on the thread that polls (or destroys) the consumer.
using rebalance_handler = std::function<void(bool assigned, const std::vector<std::int32_t>& partitions, bool lost)>;

/// A consumer in a group (cooperative-sticky assignment), subscribed to one topic, with
/// enable.auto.commit=false: commit() says which offsets are done. Used from one thread.
class kafka_consumer {
 public:
  /// `from_start`: a group without committed offsets begins at each partition's first message
  /// (else at its end). `on_rebalance`, when given, hears every assignment and revocation first.
  /// `properties` as for the producer.
  static result<std::unique_ptr<kafka_consumer>, int> create(const std::string& brokers, const std::string& group,
                                                             const std::string& topic, bool from_start = true,
                                                             rebalance_handler on_rebalance = {},
                                                             const kafka_properties& properties = {});
  /// Leaves the group (its partitions go to the others; the rebalance handler hears the revoke
  /// first, on this thread). Destroying the consumer closes it if this was not called.
  void close();
  ~kafka_consumer();

  /// The next message, or nothing after `wait`. Partition errors (end of partition, a broker
  /// away) are not messages: they are retried by librdkafka and not returned.
  std::optional<kafka_message> poll(std::chrono::milliseconds wait);
  /// Commits `next_offset` (the first offset not done) for `partition` of the subscribed topic;
  /// with `wait`, until the coordinator answered (a revoke commits this way before letting go).
  void commit(std::int32_t partition, std::int64_t next_offset, bool wait = false);

  struct impl;

 private:
  kafka_consumer() = default;
  std::unique_ptr<impl> impl_;
};

}  // namespace ciro::net
