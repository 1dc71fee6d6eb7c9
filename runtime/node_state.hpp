#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "net/job_service.hpp"
#include "runtime/actor_types.hpp"
#include "runtime/compile_cache.hpp"
#include "runtime/result_cache.hpp"
#include "runtime/metrics.hpp"
#include "runtime/node.hpp"
#include "runtime/proof_verdicts.hpp"
#include "runtime/replica_host.hpp"
#include "runtime/spool.hpp"
#include "runtime/throughput.hpp"

/// What a node's actors and its network front end share (internal to runtime/): the spool, the
/// counters, the throughput model, and the callbacks waiting for results.
namespace ciro::runtime {

struct shared_state {
  shared_state(spool d, const node_config& c) : dir(std::move(d)), config(c) {}
  spool dir;
  const node_config& config;
  /// The alerts sink (the Kafka alerts topic), when one is set; see alert(). Declared before the
  /// result cache, whose thread may alert until it is destroyed.
  std::mutex alert_mutex;
  std::function<void(const std::string&)> alerts;
  /// The resolved config.cores and config.workers.
  unsigned cores = 1, workers = 1;
  std::mutex mutex;  // guards dir's moves, the summary, the model, running_ids and the callbacks
  node_summary summary;
  /// The scheduler's queue length and running jobs, read by the intake and the node's loop.
  std::atomic<std::size_t> queued{0}, running{0};
  /// Results sent to the publisher and not yet written.
  std::atomic<std::size_t> publishing{0};
  std::atomic<bool> drained{false}, intake_stopped{false};
  /// What the compiler made for the jobs (proving keys, parsed models), read by the workers.
  compile_cache compiled;
  /// The Redis result cache (none when not configured), and the content key of each job the
  /// compiler looked up there, for the publisher's write (guarded by mutex).
  std::unique_ptr<result_cache> results;
  std::map<std::string, std::string> content_of;
  /// The measured throughput and the prediction errors so far.
  throughput_model model;
  std::size_t predictions = 0;
  double abs_error_s = 0, rel_error = 0;
  node_metrics metrics;
  /// When throughput.json and metrics.json were last written.
  std::chrono::steady_clock::time_point last_saved{};
  /// The ids being proven.
  std::set<std::string> running_ids;
  /// Callbacks waiting for a job's result (RPC tickets), and for a cancel's outcome.
  std::multimap<std::string, std::function<void(net::job_answer)>> listeners, cancel_waiters;
  /// With validators: the proofs the verdicts name, and the replica the validator actor submits to.
  std::shared_ptr<proof_verdicts> proofs;
  replica_host* consensus = nullptr;
  /// The intake and the scheduler, for the front end's messages.
  intake_actor intake;
  scheduler_actor scheduler;

  void log(const std::string& line) {
    if (config.log) config.log(line);
  }
  /// Logs `line` and sends it to the alerts sink, when one is set (the Kafka alerts topic).
  void alert(const std::string& line) {
    std::lock_guard lock(alert_mutex);
    if (alerts) {
      alerts(line);
    } else {
      log("alert: " + line);
    }
  }
  /// Hands `answer` to the callbacks waiting for its job and forgets them. Holds mutex.
  void notify(const net::job_answer& answer);
};

/// The answer a result file gives: done, failed or cancelled, with its reason and prediction.
[[nodiscard]] net::job_answer answer_of_result(const std::string& id, const std::string& result_text, std::string proof);

/// Writes the failed result of a job at once (a bad job file, a refused deadline, a cancel), tells
/// whoever waits for it, and counts it under the metrics' `kind`. Takes s.mutex.
void fail_now(shared_state& s, const std::string& id, const std::string& reason, const std::string& kind,
              std::optional<double> predicted = std::nullopt, bool cancelled = false);

/// Writes the result of job `id` from the cache's `hit` (its own id put in, "from_cache": true,
/// a cost of nothing on device "cache", the first job's cost as "cost_of_proof"), tells whoever
/// waits for it and counts it done under `kind`. Takes s.mutex.
void answer_from_cache(shared_state& s, const std::string& id, const cached_result& hit, const std::string& kind);

/// A job runs on one core (beside others) when the throughput model predicts it takes less than
/// this on all cores.
inline constexpr double small_job_s = 0.1;

/// Where a job runs: its cores, the throughput model's kind it is measured under (a job on one
/// core of a many-core node is its kind + ":1core"), and the predicted seconds (0: unknown).
struct placement {
  unsigned cores = 0;
  std::string kind;
  double predicted_s = 0;
};
/// Places a job of `units` of `kind` (throughput_model::work_of) on the node's cores. Holds
/// s.mutex (the model).
[[nodiscard]] placement place(const shared_state& s, const std::string& kind, double units);

/// The metrics' kind of a job: its AIR's name, or "model".
[[nodiscard]] std::string metrics_kind(const job_spec& job);

}  // namespace ciro::runtime
