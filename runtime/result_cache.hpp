#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/result.hpp"
#include "net/redis.hpp"
#include "runtime/job.hpp"

/// A node's result cache in Redis (docs/farm.md, "Redis"): each proven job's result and proof,
/// kept by its id and by its content (content_key), with a TTL, so a job already proven anywhere in
/// the farm is answered without proving. Redis is never waited for: a lookup takes at most the
/// configured timeout and none at all while Redis is down; writes go through a bounded queue to a
/// thread of their own, which also watches the server (a PING a second) and reconnects with
/// exponential backoff (0.1 s doubling to 5 s). Outages are counted and announced.
namespace ciro::runtime {

struct redis_cache_config {
  net::redis_address address;
  std::chrono::seconds ttl{std::chrono::hours(24)};
  std::chrono::milliseconds timeout{200};
  /// Writes waiting for Redis beyond this are dropped, oldest first (and counted).
  std::size_t max_pending = 1024;
};

/// The content of a job, as the cache keys it: "air:NAME:LOG_ROWS:INSTANCES:PROFILE", or
/// "model:SHA256(model file):SHA256(input file):PROFILE" (paths relative to `base`). Two jobs with
/// the same content key prove the same statement. Fails when a file cannot be read.
result<std::string, int> content_key(const job_spec& job, const std::filesystem::path& base);

/// A result the cache held: its result file's text (as its first job wrote it) and its proof.
struct cached_result {
  std::string result_text, proof;
};

/// The bytes a cache entry holds: "CIROR1", the result text's length (u32 little-endian), the
/// text, then the proof. decode_cached fails (nullopt) on anything else, bounding every length.
std::string encode_cached(const cached_result& r);
std::optional<cached_result> decode_cached(std::string_view bytes);

class result_cache {
 public:
  /// Starts the writer thread, which connects at once. `on_event` hears outages and recoveries
  /// (one line each; from the writer's thread).
  result_cache(redis_cache_config config, std::function<void(const std::string&)> on_event);
  /// Stops the writer (writes still queued are dropped: a cache, not a store).
  ~result_cache();
  result_cache(const result_cache&) = delete;
  result_cache& operator=(const result_cache&) = delete;

  /// The cached result of job `id`, else of any job of the same content; nullopt when neither is
  /// cached, or Redis is down or slow. For one thread at a time (the node's compiler).
  std::optional<cached_result> lookup(const std::string& id, const std::string& content);
  /// Queues the result of a proven job for both of its keys. Never waits.
  void store(const std::string& id, const std::string& content, cached_result r);
  /// Waits up to `max` for the queued writes to be written (or for Redis to be found down).
  void flush(std::chrono::milliseconds max);

  struct counters {
    bool up = false;
    std::uint64_t hits = 0, misses = 0, stored = 0, dropped = 0, outages = 0;
  };
  [[nodiscard]] counters stats() const;

 private:
  struct write {
    std::string id, content;
    std::string value;
  };
  void run();
  /// Marks Redis down (counting an outage when it was not already). Holds mutex_.
  void went_down(const std::string& reason);

  redis_cache_config config_;
  std::function<void(const std::string&)> on_event_;
  net::redis_connection reader_;  // the lookups' connection (the compiler's thread)
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<write> pending_;
  bool writing_ = false;
  bool stop_ = false;
  enum class health : std::uint8_t { unknown, up, down } health_ = health::unknown;
  counters counts_;
  std::thread writer_;
};

}  // namespace ciro::runtime
