#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "core/result.hpp"
#include "net/job_service.hpp"
#include "net/kafka.hpp"

/// A node's Kafka intake and publication (docs/farm.md): jobs consumed from the jobs topic in a
/// consumer group (wire::Job messages of net/ciro.capnp) go to the node like RPC jobs; each result
/// (a wire::Result, its proof included) is produced to the results topic, and only once the brokers
/// acknowledged it is the job's offset committed: delivery is at least once, and a job delivered
/// twice is answered from the spool (one id, one result). A message that does not decode goes to
/// the alerts topic with its partition and offset and is committed, so it never blocks its
/// partition; failed jobs are announced there too.
namespace ciro::runtime {

class kafka_bridge {
 public:
  /// Connects and starts consuming on a thread of its own. `service` must outlive the bridge.
  static result<std::unique_ptr<kafka_bridge>, int> start(const net::kafka_config& config, net::job_service& service,
                                                         std::function<void(const std::string&)> log);

  /// Stops taking jobs (the consumer stays in its group until the bridge is destroyed, so results
  /// still being proven can be published and committed).
  void stop_intake();
  /// Produces `text` to the alerts topic (and logs it). Thread-safe; never waits.
  void alert(const std::string& text);
  /// Waits for the results it sent to be acknowledged, commits, and leaves the group.
  ~kafka_bridge();

 private:
  kafka_bridge() = default;
  void consume();
  /// Produces a job's result (and, for a failure, an alert); commits its offset once delivered.
  void publish(const net::job_answer& answer, std::int32_t partition, std::int64_t offset, std::uint64_t generation);
  /// A rebalance (net::rebalance_handler): an assigned partition starts afresh; a revoked one has
  /// its finished prefix committed (synchronously) before it goes.
  void rebalance(bool assigned, const std::vector<std::int32_t>& partitions, bool lost);
  /// Marks an offset done and commits the partition's contiguous prefix of done offsets: only for
  /// a partition owned since the offset was taken (`generation`: its assignment then), so a job
  /// taken before its partition was lost and assigned again cannot commit past the messages
  /// consumed again since.
  void done(std::int32_t partition, std::int64_t offset, std::uint64_t generation);

  net::kafka_config config_;
  net::job_service* service_ = nullptr;
  std::function<void(const std::string&)> log_;
  std::unique_ptr<net::kafka_producer> producer_;
  std::unique_ptr<net::kafka_consumer> consumer_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mutex_;  // guards the offsets and owned_
  std::set<std::int32_t> owned_;
  /// Each owned partition's assignment (a number counting every assignment of this bridge).
  std::map<std::int32_t, std::uint64_t> generation_;
  std::uint64_t assignments_ = 0;
  /// Per partition: offsets taken and not done, and the next offset to commit.
  std::map<std::int32_t, std::set<std::int64_t>> pending_;
  std::map<std::int32_t, std::int64_t> highest_done_;
  std::map<std::int32_t, std::int64_t> committed_;
};

}  // namespace ciro::runtime
