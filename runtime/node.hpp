#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "consensus/ed25519.hpp"
#include "consensus/validator_set.hpp"
#include "core/result.hpp"
#include "net/kafka.hpp"
#include "net/server.hpp"
#include "runtime/batch.hpp"
#include "runtime/job_runner.hpp"
#include "runtime/result_cache.hpp"

/// One proving node on CAF actors (docs/runtime.md): an intake that takes job files from the spool
/// directory, a scheduler with a bounded priority queue, prover workers on their own threads (a
/// proof never blocks another actor's mailbox), and a publisher that writes results. The intake
/// and the publisher talk to the others by messages only, so other sources and sinks (RPC,
/// Kafka, Redis) can stand beside them.
namespace ciro::runtime {

/// This node as one of a farm's validators (docs/consensus.md, "In the runtime"): each proven
/// job's verdict goes into a batch that the validators agree on (pBFT), and its result is
/// published only once that batch commits, with the quorum certificate attached.
struct validator_config {
  consensus::validator_set validators;
  consensus::key_pair key;             ///< this node's signing key: its public key is in `validators`
  std::vector<std::string> addresses;  ///< HOST:PORT of every validator, in set order (its own: where it listens)
  std::size_t max_verdicts = 64;       ///< verdicts in one batch at most (1 .. 4096)
  std::chrono::milliseconds window{50};  ///< a batch closes this long after its first verdict at the latest
  std::chrono::milliseconds tick{50};    ///< the replica's timer tick (a view changes after 40 ticks)
  /// How long a stopping node waits for the batches of its held results; those still undecided
  /// stay in work/ and are proven again at the next start.
  std::chrono::milliseconds drain_timeout{30000};
};

struct node_config {
  std::filesystem::path spool;
  /// Prover workers (jobs proven side by side); 0: one per core.
  unsigned workers = 0;
  /// Cores of each job's TBB arena. 0: placed by the scheduler (docs/runtime.md, "Placement"): a
  /// small job on one core beside others, a large one on all cores.
  unsigned threads_per_worker = 0;
  unsigned cores = 0;              ///< cores the node may use (0: all of this machine's)
  std::size_t queue_limit = 64;    ///< jobs queued beyond the running ones; the rest wait in in/
  std::chrono::milliseconds poll{100};
  prices price;
  bool once = false;               ///< stop when in/ is empty and every job has its result
  std::function<void(const std::string&)> log;  ///< one line per event (stderr in `ciro serve`)
  /// The Cap'n Proto sidecar and the metrics endpoint (net/server.hpp); none when empty.
  std::optional<net::server_config> network;
  /// Kafka intake and publication (docs/farm.md); none when empty.
  std::optional<net::kafka_config> kafka;
  /// The Redis result cache (docs/farm.md, "Redis"); none when empty.
  std::optional<redis_cache_config> redis;
  /// Batches of jobs proven as one proof (docs/farm.md, "Aggregation"); off by default.
  batch_config batch;
  /// Validators; none: results are published as soon as they are proven (the embedded default).
  std::optional<validator_config> validator;
  /// Told the addresses bound (RPC, metrics) once the network front end listens.
  std::function<void(const std::string& rpc, const std::string& metrics)> on_listening;
};

/// What a node did.
struct node_summary {
  std::size_t recovered = 0, done = 0, failed = 0, put_back = 0;
  std::size_t refused = 0;  ///< of the failed: deadlines that could not be met
};

/// Runs a node until `stop` is set (SIGTERM: the intake stops, queued jobs go back to in/, running
/// ones finish) or, with config.once, until the spool has nothing left to do. Jobs a stopped node
/// left in work/ run again first. Fails only when the spool directory cannot be used.
result<node_summary, int> run_node(const node_config& config, const std::atomic<bool>& stop);

}  // namespace ciro::runtime
