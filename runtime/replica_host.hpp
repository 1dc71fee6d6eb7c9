#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "consensus/certificate.hpp"
#include "consensus/evidence.hpp"
#include "consensus/ledger.hpp"
#include "consensus/replica.hpp"
#include "core/result.hpp"
#include "net/peer_network.hpp"
#include "runtime/proof_verdicts.hpp"
#include "runtime/validator_frames.hpp"

/// A validator's replica at work (docs/consensus.md, "In the runtime"): one consensus::replica on
/// a thread of its own, fed by the validators' transport (net::peer_network), a timer and the
/// batches its node submits; its state persisted before each step's messages leave.
namespace ciro::runtime {

/// The wall clock in seconds since the epoch: the time a batch is proposed at.
[[nodiscard]] std::uint64_t unix_seconds();

/// How far ahead of a validator's clock a batch may be dated: a request or pre-prepare beyond it
/// is dropped (the ledgers' clock is the batches' time, so none can be pushed forward).
inline constexpr std::uint64_t max_clock_skew_s = 300;

/// What every validator does with each committed batch, in sequence order, so that all ledgers
/// stay equal: records the participation its batch carries (ledger::record_committed: uptime, and
/// downtime slashes), then applies the evidence it carries at the batch's time (a proof `proofs` no
/// longer holds counts as agreeing with its verdict: no slash on a missing proof). Nothing is read
/// from `cert`'s own commits, which differ between validators. Returns the slashes, for the alerts
/// topic.
std::vector<consensus::slash_event> apply_committed(consensus::ledger& ledger, const consensus::quorum_certificate& cert,
                                                    const consensus::validator_set& validators, proof_verdicts& proofs);

/// The sequences a decision skips after the last one `ledger` recorded: [last + 1, cert.sequence - 1]
/// (from 1 when it recorded none) when not empty. Decisions come one sequence after another from 1
/// (a view change fills gaps with empty batches), so a gap means the replica caught up from a
/// stable checkpoint, or its ledger started afresh beside a replica that had executed batches: the
/// ledger lacks the participation and evidence of the skipped batches, and may differ from the
/// other validators' (docs/consensus.md, "Epochs, by a coordinated restart").
[[nodiscard]] std::optional<std::pair<std::uint64_t, std::uint64_t>> skipped_sequences(
    const consensus::ledger& ledger, const consensus::quorum_certificate& cert);

struct replica_host_config {
  consensus::validator_set validators;
  consensus::key_pair key;             ///< this validator's key: its public key is in `validators`
  std::vector<std::string> addresses;  ///< HOST:PORT of every validator in set order (its own: where it listens)
  /// Where the replica's state is written (atomically, fsync'd) before the messages of each step
  /// are sent, and read back at start; empty: not persisted (a restart then starts afresh).
  std::filesystem::path state_file;
  std::chrono::milliseconds tick{50};        ///< one replica tick
  std::uint64_t request_timeout_ticks = 40;  ///< a request undecided this long changes the view
  std::uint64_t retransmit_ticks = 10;
  std::uint64_t resubmit_ticks = 20;         ///< this node's undecided requests are sent again this often
  std::uint64_t checkpoint_interval = 16, window = 64;
};

/// What a host has done since it started.
struct replica_host_stats {
  std::uint64_t submitted = 0;      ///< batches this node submitted
  std::uint64_t decided = 0;        ///< batches committed (by anyone's request)
  std::uint64_t evidence = 0;       ///< evidence found here (each proposed in a batch of its own)
  std::uint64_t undecodable = 0;    ///< frames that did not decode
  std::uint64_t parked = 0;         ///< messages held until the proofs they name arrived
  std::uint64_t future_batches = 0; ///< requests and pre-prepares dated beyond max_clock_skew_s ahead, dropped
  std::uint64_t view = 0;
  consensus::drop_counters drops;   ///< the replica's
  net::peer_network_stats network;
};

class replica_host {
 public:
  /// Called on the host's thread; it must return soon. Each committed batch, in sequence order:
  /// its verdicts, and the evidence and participation it carries, which every replica applies to
  /// its ledger (apply_committed; so all ledgers stay equal). Called before the replica's state
  /// recording the decision is persisted: after a crash a decision may come again.
  struct callbacks {
    std::function<void(const consensus::quorum_certificate&)> on_decision;
  };

  /// Finds this validator in the set by its public key, restores the replica from state_file when
  /// it exists, and starts listening at its own address. Fails with one line: a key not in the
  /// set, addresses not one per validator, a state file that does not restore, an address in use.
  static result<std::unique_ptr<replica_host>, int> start(replica_host_config config,
                                                          std::shared_ptr<proof_verdicts> proofs, callbacks on);

  /// Proposes `verdicts` (whose proofs `proofs` holds: this node made them) with participation
  /// records of the batches decided here: the commits received for them (late ones included) that
  /// no batch proposed here carried yet, the newest sequences first, at most
  /// max_batch_participation records. Sent with the proofs to every validator and submitted to
  /// the local replica; sent again while undecided. From any thread. Evidence the replica finds is proposed
  /// the same way, in a batch of its own.
  void submit(consensus::batch verdicts);

  [[nodiscard]] std::uint32_t self() const { return self_; }
  [[nodiscard]] const std::string& listen_address() const { return listen_address_; }
  [[nodiscard]] replica_host_stats stats() const;

  /// Stops the thread and the transport; undecided requests are forgotten (their node keeps the
  /// jobs, which run again at its next start).
  ~replica_host();

 private:
  replica_host() = default;
  void run();
  void step(std::vector<std::string> frames, std::vector<consensus::batch> submits, bool tick);
  void receive(consensus::message m);
  [[nodiscard]] bool from_the_future(const consensus::batch& b) const;
  void propose(consensus::batch b);
  void record_decision(const consensus::quorum_certificate& cert, const consensus::digest& value);
  void record_late_commit(const consensus::message& m);
  [[nodiscard]] bool proofs_held(const consensus::message& m) const;
  void persist();

  replica_host_config config_;
  std::shared_ptr<proof_verdicts> proofs_;
  callbacks on_;
  std::uint32_t self_ = 0;
  std::string listen_address_;
  std::unique_ptr<consensus::replica> replica_;
  std::unique_ptr<net::peer_network> network_;

  mutable std::mutex mutex_;  // inbox, stats, stop
  std::condition_variable wake_;
  std::vector<std::string> inbox_frames_;
  std::vector<consensus::batch> inbox_submits_;
  bool stopping_ = false;
  replica_host_stats stats_;

  // The host thread's alone.
  struct own_request {
    consensus::batch verdicts;
    std::string frame;  ///< the request frame, verdicts and proofs
    std::uint64_t sent_at = 0;
  };
  std::map<consensus::digest, own_request> own_;  ///< undecided requests of this node, by batch digest
  std::deque<consensus::message> parked_;         ///< messages waiting for the proofs they name
  /// The commits received for the last participation_window batches decided here, by sequence;
  /// the first `carried` of them went out in a batch this host proposed.
  struct decided_batch {
    consensus::digest value{};
    consensus::participation_record record;
    std::size_t carried = 0;
  };
  std::map<std::uint64_t, decided_batch> decided_;
  std::uint64_t ticks_ = 0;
  std::thread thread_;
};

}  // namespace ciro::runtime
