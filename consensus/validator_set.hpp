#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "consensus/ed25519.hpp"
#include "core/result.hpp"

/// The validators and their voting weight (integers only: every replica computes the same
/// quorums on every machine).
namespace ciro::consensus {

inline constexpr std::uint64_t max_stake = (std::uint64_t{1} << 32) - 1;  ///< stake units
inline constexpr std::uint32_t max_reputation = 100;                      ///< points
inline constexpr std::uint32_t max_uptime_permille = 1000;
inline constexpr std::size_t max_validators = 1024;

/// One validator: its Ed25519 key and the inputs of its weight.
struct validator {
  public_key key{};
  std::uint64_t stake = 0;               ///< units, 0 .. max_stake
  std::uint32_t reputation = 100;        ///< points, 0 .. 100 (reputation_i = points / 100)
  std::uint32_t uptime_permille = 1000;  ///< share of the last 30 days it signed in, 0 .. 1000

  /// Security_i = stake_i x reputation_i x uptime_i, scaled to an integer: stake x points x
  /// per-mille (at most 2^32 x 10^5 < 2^49, so sums over max_validators fit in 64 bits, and so
  /// does 3 x a sum).
  [[nodiscard]] std::uint64_t weight() const { return stake * reputation * uptime_permille; }
};

enum class validator_set_error_code { empty, too_many, out_of_range, duplicate_key, zero_weight, no_fault_tolerated };

/// The validator set: validators indexed 0 .. N-1 (the index is the sender id in messages, and
/// the primary of view v is v mod N).
class validator_set {
 public:
  validator_set() = default;

  /// Checks the set: 1 .. max_validators validators, each within the bounds above, distinct
  /// keys, positive total weight, and f = fault_tolerance() >= 1 (N >= 3f + 1 then holds: see
  /// fault_tolerance()).
  [[nodiscard]] static result<validator_set, validator_set_error_code> make(std::vector<validator> validators);

  [[nodiscard]] std::size_t size() const { return validators_.size(); }
  [[nodiscard]] const validator& operator[](std::size_t i) const { return validators_[i]; }
  [[nodiscard]] const std::vector<validator>& validators() const { return validators_; }
  [[nodiscard]] std::uint64_t weight(std::size_t i) const { return validators_[i].weight(); }
  [[nodiscard]] std::uint64_t total_weight() const { return total_; }

  /// Quorum: signers holding more than two thirds of the weight, 3 w > 2 W.
  [[nodiscard]] bool is_quorum(std::uint64_t w) const { return 3 * w > 2 * total_; }
  /// At least a third of the weight, 3 w >= W: a set this heavy contains an honest validator
  /// when faulty ones hold less than a third (what makes a replica join a view change).
  [[nodiscard]] bool is_third(std::uint64_t w) const { return 3 * w >= total_; }

  /// f: one less than the size of the smallest set of validators holding at least a third of
  /// the weight (the heaviest first). Any f validators hold less than a third, so f of them
  /// can fail without breaking safety or liveness; with equal weights f = floor((N - 1) / 3).
  /// N >= 3f + 1 always holds for this f: the f heaviest hold less than W/3, so the other N - f,
  /// none heavier than any of them, need at least 2f + 1 heads to hold the remaining > 2W/3.
  [[nodiscard]] std::size_t fault_tolerance() const { return f_; }

  /// The primary of view v: validator v mod N.
  [[nodiscard]] std::uint32_t primary(std::uint64_t view) const {
    return static_cast<std::uint32_t>(view % validators_.size());
  }

  /// SHA-256 of the set's canonical encoding (keys and weight inputs in order): names the set a
  /// certificate was made under.
  [[nodiscard]] std::array<std::uint8_t, 32> digest() const;

 private:
  std::vector<validator> validators_;
  std::uint64_t total_ = 0;
  std::size_t f_ = 0;
};

}  // namespace ciro::consensus
