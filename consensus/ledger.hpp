#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "consensus/certificate.hpp"
#include "consensus/evidence.hpp"
#include "consensus/validator_set.hpp"

/// Stake, reputation, uptime and slashing: the ledger every validator keeps and updates from
/// the agreed sequence of batches, with the evidence and participation records they carry
/// (integers only, so it is the same everywhere).
namespace ciro::consensus {

inline constexpr std::uint64_t seconds_per_day = 86400;
inline constexpr std::uint64_t uptime_window_days = 30;
/// Six hours: the shortest absence slashed as downtime.
inline constexpr std::uint64_t downtime_threshold_s = 6 * 3600;
/// How long a committed sequence's participation stays open: the commits of sequence n that the
/// batches of sequences n + 1 .. n + participation_window carry are counted; then it is final.
/// Four times the replicas' default window of 64 sequences in flight, so that a batch proposed
/// when n was decided still counts when it commits under load.
inline constexpr std::uint64_t participation_window = 256;

/// A line of the slashing matrix: the share of stake burnt, the reputation points lost, and the
/// days over which they come back linearly (permanent: a ban, nothing comes back).
struct slash_rule {
  std::uint32_t stake_percent = 0;
  std::uint32_t reputation_points = 0;
  std::uint64_t recovery_days = 0;
  bool permanent_ban = false;
};

/// What a penalty is for: an offence, or more than f validators caught in one incident.
enum class penalty_kind : std::uint8_t {
  double_signing = 1,
  downtime = 2,
  invalid_compute = 3,
  coordinated_attack = 4
};

/// The slashing matrix: double signing 30 %, -50, 90 days; downtime (6 h or more) 5 %, -10,
/// 30 days; invalid compute 50 %, -75, 180 days; coordinated attack 100 % and a permanent ban.
[[nodiscard]] slash_rule slashing_rule(penalty_kind kind);

[[nodiscard]] const char* penalty_name(penalty_kind kind);

/// One slash applied: the alert the runtime publishes on the alerts topic.
struct slash_event {
  penalty_kind kind = penalty_kind::double_signing;
  std::uint32_t validator = 0;
  std::uint64_t view = 0, sequence = 0;  ///< the incident
  std::uint64_t time_s = 0;
  std::uint64_t stake_before = 0, stake_slashed = 0;
  std::uint32_t reputation_points = 0;
  bool banned = false;
  friend bool operator==(const slash_event&, const slash_event&) = default;
};

/// The alert's JSON text: {"alert": "slash", "offence", "validator", "view", "sequence", "time_s",
/// "stake_before", "stake_slashed", "reputation_points", "banned"}.
[[nodiscard]] std::string alert_json(const slash_event& e);

/// The offence evidence claims (what check_evidence returns when it checks), read without any
/// check; nothing when it names no message or certificate.
[[nodiscard]] std::optional<checked_offence> claimed_offence(const evidence& e);

/// The ledger: per validator its stake, reputation (base points less the unrecovered part of
/// its penalties), uptime over the last 30 days of counted batches, and whether it is banned.
class ledger {
 public:
  /// Starts from the stake and reputation of `initial` (no penalties, full uptime).
  explicit ledger(const validator_set& initial);

  /// Checks every evidence against `current` (and the checker) and applies the valid ones not
  /// applied before, at time `now_s` (the agreed time of the batch carrying them). The result
  /// depends only on the set of evidence, not its order: offences are deduplicated by
  /// (kind, offender, incident), sorted, then grouped by incident (view, sequence); an incident
  /// of more than f = current.fault_tolerance() distinct offenders is a coordinated attack and
  /// each of them loses all stake and is banned; otherwise each offence is slashed by its line of
  /// the matrix: stake -= floor(stake x percent / 100), and the points are owed back over the
  /// recovery time. Returns the slashes applied, in order; `rejected` counts evidence that did not
  /// check (evidence repeated, or claiming an offence already applied, is skipped unchecked).
  std::vector<slash_event> apply(std::span<const evidence> batch, const validator_set& current,
                                 const verdict_checker& checker, std::uint64_t now_s);

  /// Records the batch committed at `sequence` (called for every committed batch, in sequence
  /// order; a sequence not above the last one recorded is ignored, so a replay after a restart
  /// changes nothing). The participation records it carries add, to each of the last
  /// participation_window sequences, the senders whose commit signature checks against that
  /// sequence's batch digest (records of one sequence from several batches add up; a record out of
  /// sequence order in its batch, or whose senders are not increasing validators, is skipped).
  /// A batch time earlier than the last one counts as the last one. The oldest
  /// open sequence then becomes final: when its signers hold a quorum of `current`'s weight it
  /// counts in the day bucket of its batch time (a sequence whose commits were not carried counts
  /// for nobody), and a validator absent from every counted sequence over downtime_threshold_s of
  /// batch time is slashed for downtime (incident: view 0 and the absence's first sequence; its
  /// next absence starts after the slash). Returns the slashes.
  std::vector<slash_event> record_committed(std::uint64_t sequence, const batch& committed,
                                            const validator_set& current);

  /// The last sequence record_committed took, if any.
  [[nodiscard]] std::optional<std::uint64_t> last_sequence() const { return last_sequence_; }
  [[nodiscard]] std::uint64_t stake(std::uint32_t v) const { return accounts_[v].stake; }
  [[nodiscard]] bool banned(std::uint32_t v) const { return accounts_[v].banned; }
  /// base - sum over penalties of ceil(points x (start + recovery - now) / recovery) while
  /// unrecovered, at least 0; 0 when banned.
  [[nodiscard]] std::uint32_t reputation(std::uint32_t v, std::uint64_t now_s) const;
  /// 1000 x signed / counted over the day buckets of the last 30 days (1000 with none).
  [[nodiscard]] std::uint32_t uptime_permille(std::uint32_t v, std::uint64_t now_s) const;
  [[nodiscard]] std::size_t rejected() const { return rejected_; }
  /// Every offence slashed so far (by kind, validator, view and sequence).
  [[nodiscard]] const std::set<checked_offence>& offences() const { return applied_; }

  /// The validators with their weight inputs at `now_s` (keys unchanged), for the next epoch.
  [[nodiscard]] std::vector<validator> validators(std::uint64_t now_s) const;

  /// SHA-256 of the ledger's canonical encoding: equal ledgers, equal digests.
  [[nodiscard]] digest state_digest() const;

  /// The canonical encoding (what a restarted validator reads back: the digest of the validator
  /// set it ran with, every account, the open sequences, the offences applied) and its bounded
  /// decoder, which refuses bytes that are not a ledger of `set`'s validators (the same keys, in
  /// order). A `set` other than the one the ledger ran with starts an epoch: the accounts go on,
  /// the sequence numbering (last sequence, open sequences) starts again, as the new set's
  /// replicas number their batches from 1.
  [[nodiscard]] std::vector<std::uint8_t> encode() const;
  [[nodiscard]] static std::optional<ledger> restore(std::span<const std::uint8_t> bytes, const validator_set& set);

  /// The time of the last batch recorded (the ledger's clock), if any.
  [[nodiscard]] std::optional<std::uint64_t> clock() const {
    return open_.empty() ? std::nullopt : std::optional<std::uint64_t>(open_.back().time_s);
  }

 private:
  struct penalty {
    std::uint32_t points = 0;
    std::uint64_t start_s = 0, recovery_s = 0;
  };
  struct day_bucket {
    std::uint64_t day = 0;
    std::uint32_t signed_count = 0, total = 0;
  };
  struct account {
    public_key key{};
    std::uint64_t stake = 0;
    std::uint32_t base_reputation = 100;
    bool banned = false;
    std::vector<penalty> penalties;
    std::array<day_bucket, uptime_window_days> days{};
    std::optional<std::uint64_t> absent_since_s;  ///< batch time of the current absence's first counted sequence
    std::uint64_t absent_first_sequence = 0;
  };
  /// A committed sequence whose participation is still open.
  struct open_sequence {
    std::uint64_t sequence = 0, time_s = 0;
    digest value{};
    std::vector<bool> signers;
  };
  slash_event slash(std::uint32_t v, penalty_kind kind, const checked_offence& o, std::uint64_t now_s);
  void finalize(const open_sequence& s, const validator_set& current, std::vector<slash_event>& events);

  digest set_digest_{};  ///< the validator set of the current epoch
  std::vector<account> accounts_;
  std::deque<open_sequence> open_;  ///< the last participation_window committed sequences, oldest first
  std::optional<std::uint64_t> last_sequence_;
  std::set<checked_offence> applied_;
  std::size_t rejected_ = 0;
};

}  // namespace ciro::consensus
