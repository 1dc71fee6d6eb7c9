#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "consensus/certificate.hpp"
#include "consensus/evidence.hpp"
#include "consensus/message.hpp"
#include "consensus/signature_cache.hpp"
#include "consensus/validator_set.hpp"
#include "consensus/verdict.hpp"
#include "core/result.hpp"

namespace ciro::consensus {

/// How a replica is set up. Timers count ticks (the driver decides what a tick is).
struct replica_config {
  validator_set validators;
  std::uint32_t self = 0;                  ///< this replica's index in `validators`
  key_pair key;                            ///< its signing key (public key = validators[self].key)
  verdict_checker checker;                 ///< re-verifies every verdict of a proposed batch
  std::uint64_t checkpoint_interval = 16;  ///< a checkpoint every this many sequence numbers
  std::uint64_t window = 64;               ///< sequences h < n <= h + window are accepted (h: stable checkpoint)
  std::uint64_t request_timeout = 40;      ///< ticks a request may wait before a view change
  std::uint64_t retransmit_interval = 10;  ///< ticks between re-sends of this replica's own messages
  /// Shared verification memo (one per replica when null).
  std::shared_ptr<signature_cache> cache;
};

/// What a step produced: messages for every other validator, committed batches in sequence
/// order (each with its quorum certificate), and evidence of misbehaviour found.
struct replica_output {
  std::vector<message> broadcast;
  std::vector<quorum_certificate> decisions;
  std::vector<evidence> found;
};

/// Messages dropped, by reason.
struct drop_counters {
  std::uint64_t unknown_sender = 0;     ///< sender index outside the validator set
  std::uint64_t unsigned_messages = 0;  ///< an all-zero signature
  std::uint64_t forged = 0;             ///< a signature that does not verify under the sender's key
  std::uint64_t replayed = 0;           ///< a message already received (or one claiming to be ours)
  std::uint64_t stale = 0;              ///< of an older view, or at or below the stable checkpoint
  std::uint64_t out_of_window = 0;      ///< of a later view, or beyond the high-water mark
  std::uint64_t malformed = 0;          ///< wrong sender for its role, digest mismatch, invalid proofs
  friend bool operator==(const drop_counters&, const drop_counters&) = default;
};

enum class restore_error_code { malformed, wrong_replica };

/// A pBFT replica (Castro and Liskov 1999) over weighted validators, as a pure deterministic
/// state machine: inputs are submit() (a request: a batch to agree on), receive() (a message
/// from another validator) and tick() (one timer tick); take_output() returns what to send,
/// what was decided and what evidence was found. No I/O, no clock, no randomness: the same
/// inputs give the same outputs. A quorum is weight w with 3 w > 2 W.
///
/// Normal case: the primary of view v (validator v mod N) signs pre-prepare(v, n, d, batch);
/// a backup that accepts it (right primary, h < n <= h + window, d = digest of the batch, every
/// verdict agreeing with the checker) signs prepare(v, n, d). Prepared: the pre-prepare and
/// prepares whose senders with the primary hold a quorum; then commit(v, n, d). Committed: a
/// quorum of matching commits; batches are executed in sequence order, each a decision with its
/// certificate. Every checkpoint_interval sequences a replica signs checkpoint(n, state digest);
/// a quorum of matching ones makes it stable: the log at or below n is dropped, and a replica
/// that is behind jumps to it. A request pending for request_timeout ticks (or evidence against
/// the primary) starts a view change; a third of the weight asking for a later view makes a
/// replica join; the new primary's new-view re-proposes what was prepared.
class replica {
 public:
  /// Precondition: config.self < validators.size(), checker set, window a positive multiple of
  /// checkpoint_interval, timeouts positive.
  explicit replica(replica_config config);

  /// A replica restored from persist()'s bytes (same configuration); it resumes where it was and
  /// catches up from the retransmissions and checkpoints of the others.
  [[nodiscard]] static result<replica, restore_error_code> restore(replica_config config,
                                                                   std::span<const std::uint8_t> state);

  /// A request: a batch to be agreed. Returns false, and ignores it, when it is pending or was
  /// executed recently, or when the checker rejects one of its verdicts (a validator proposes
  /// and votes only for verdicts it has verified itself).
  bool submit(const batch& request);
  /// A message from the network: dropped and counted unless signed, in window and consistent.
  void receive(const message& m);
  /// One timer tick: timeouts (view change) and retransmission.
  void tick();
  /// Everything produced since the last call.
  [[nodiscard]] replica_output take_output();

  /// The durable state (view, log, checkpoints, pending requests, counters) in a bounded
  /// canonical encoding: a driver writes it before sending the outputs of a step.
  [[nodiscard]] std::vector<std::uint8_t> persist() const;

  [[nodiscard]] std::uint64_t view() const { return view_; }
  [[nodiscard]] bool in_view_change() const { return view_changing_; }
  [[nodiscard]] std::uint64_t last_executed() const { return last_executed_; }
  [[nodiscard]] std::uint64_t stable_checkpoint() const { return h_; }
  [[nodiscard]] const digest& state_digest() const { return state_; }
  [[nodiscard]] const drop_counters& drops() const { return drops_; }
  [[nodiscard]] std::uint32_t self() const { return config_.self; }
  [[nodiscard]] const validator_set& validators() const { return config_.validators; }

 private:
  struct log_entry {
    std::optional<message> pre_prepare;             ///< accepted in the current view
    std::map<std::uint32_t, message> prepares;      ///< current view, by sender
    std::map<std::uint32_t, message> commits;       ///< current view, by sender
    std::vector<message> prepared_proof;            ///< latest prepared: pre-prepare, then prepares
    std::optional<quorum_certificate> certificate;  ///< once committed
  };
  struct pending_request {
    batch request;
    digest id{};
    std::uint64_t since = 0;
  };

  bool signature_ok(const message& m);
  bool view_and_window_ok(const message& m);
  void on_pre_prepare(const message& m);
  void on_vote(const message& m);
  void on_checkpoint(const message& m);
  void on_view_change(const message& m);
  void on_new_view(const message& m);

  void send(message m);
  void report(evidence e, const checked_offence& key);
  void accept_pre_prepare(const message& pp);
  void evaluate(std::uint64_t n);
  void execute();
  void add_checkpoint(const message& m);
  void make_stable(std::uint64_t n, const digest& state, std::vector<message> proof);
  void propose();
  void start_view_change(std::uint64_t target);
  void try_new_view(std::uint64_t target);
  void enter_view(const message& nv);
  void retransmit();
  [[nodiscard]] bool valid_view_change(const message& vc);
  [[nodiscard]] bool valid_new_view(const message& nv);
  [[nodiscard]] std::vector<message> proposals_for(std::uint64_t target,
                                                   const std::vector<message>& view_changes) const;

  replica_config config_;
  std::uint64_t now_ = 0;
  std::uint64_t view_ = 0;
  bool view_changing_ = false;
  std::uint64_t target_view_ = 0;
  std::uint64_t view_change_deadline_ = 0;
  std::uint64_t view_change_timeout_ = 0;
  std::uint64_t h_ = 0;
  digest stable_state_{};
  std::vector<message> stable_proof_;
  std::uint64_t last_executed_ = 0;
  digest state_{};
  std::uint64_t next_sequence_ = 1;
  std::map<std::uint64_t, log_entry> log_;
  std::map<std::uint64_t, std::map<std::uint32_t, message>> checkpoints_;
  std::map<std::uint64_t, std::map<std::uint32_t, message>> view_changes_;
  std::optional<message> last_new_view_;
  std::vector<pending_request> pending_;
  std::deque<digest> executed_order_;
  std::set<digest> executed_;
  std::set<digest> proposed_;
  std::map<digest, std::pair<message, std::uint32_t>> refused_;  ///< refused pre-prepares, first bad verdict
  std::set<checked_offence> reported_;
  drop_counters drops_;
  replica_output out_;
};

}  // namespace ciro::consensus
