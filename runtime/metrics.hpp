#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "net/job_service.hpp"
#include "runtime/result_cache.hpp"
#include "runtime/throughput.hpp"

/// A node's metrics (docs/runtime.md, "Metrics"): counts by kind, proving time as a histogram,
/// cost totals, prediction error, and the jobs done per minute over the last hour; written as
/// Prometheus' text format and as a small HTML status page. Thread-safe.
namespace ciro::runtime {

class node_metrics {
 public:
  /// The upper bounds (seconds) of the proving-time histogram's buckets (+Inf is implied).
  static constexpr double bucket_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

  /// A job taken by the intake; `kind` is its statement ("fibonacci", ...) or "model".
  void received(const std::string& kind);
  /// A job's result written: proving time, CPU time, price, and the prediction when there was one.
  void finished(const std::string& kind, bool ok, double wall_s, double cpu_s, double price, double predicted_s);
  /// A job answered from the result cache, without proving.
  void answered_from_cache(const std::string& kind);
  /// A job refused at intake (a deadline it could not meet).
  void refused();
  /// A job compiled before its queue: from the cache or not, and the compile's wall time.
  void compiled(bool cached, double seconds);

  /// What the page and the Prometheus text show beside the counts.
  struct gauges {
    std::size_t waiting = 0, queued = 0, running = 0, workers = 0;
    throughput_model model;
    /// The Redis result cache's counters, when the node has one.
    std::optional<result_cache::counters> cache;
  };
  [[nodiscard]] std::string prometheus(const gauges& g) const;
  [[nodiscard]] std::string status_page(const gauges& g, const net::node_health& h) const;

  /// Jobs done in each of the last 60 minutes, oldest first (the page's chart).
  [[nodiscard]] std::vector<std::uint64_t> done_per_minute() const;

 private:
  struct by_kind {
    std::uint64_t received = 0, done = 0, failed = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::string, by_kind> kinds_;
  std::uint64_t refused_ = 0, from_cache_ = 0;
  std::uint64_t compiles_ = 0, compile_hits_ = 0;
  double compile_s_ = 0;
  std::uint64_t buckets_[std::size(bucket_bounds) + 1] = {};
  double proving_s_ = 0, cpu_s_ = 0, price_ = 0;
  std::uint64_t predictions_ = 0;
  double abs_error_s_ = 0, rel_error_ = 0;
  /// (minute since the epoch, jobs done in it), the last 60 minutes.
  std::vector<std::pair<std::int64_t, std::uint64_t>> minutes_;
};

}  // namespace ciro::runtime
