#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <span>
#include <string>

#include "consensus/verdict.hpp"

/// The verdicts a node's validator signs (docs/consensus.md, "In the runtime"): what a proof file
/// proves, named by the four digests of consensus::verdict, and the store of proofs that a
/// replica's checker reads.
namespace ciro::runtime {

/// The security every proof a validator calls valid must reach (the `fast` profile's floor).
inline constexpr std::uint32_t validator_min_security_bits = 100;

/// The verdict on `proof` for job `job_id`: the proof is verified (an AIR proof as `ciro verify`
/// does, a model proof as `ciro verify` without --model) at validator_min_security_bits, and
/// - proof_digest = SHA-256(proof);
/// - a model proof: statement_hash and input_commitment are its model hash and input commitment
///   (felt252, 32 bytes big-endian); output_hash = SHA-256("ciro.model-outputs.v1" || for each
///   output: name, frac, integer flag, rank, dims, count, values as i64), integers little-endian,
///   strings as a u32 length and bytes;
/// - an AIR proof: statement_hash = SHA-256("ciro.air-statement.v1" || the verifying key's digest
///   (8 u32) || for each table: name, log_rows, instances); input_commitment = 0 (the example
///   statements take no input but their public values); output_hash = SHA-256(
///   "ciro.public-values.v1" || every public value as u32, tables in order);
/// - a file that does not decode: all digests 0 but proof_digest.
/// valid = the proof verified. Deterministic: every validator derives the same verdict.
[[nodiscard]] consensus::verdict verdict_of(const std::string& job_id, std::span<const std::uint8_t> proof);

/// Proofs held by their SHA-256 for the verdicts that name them, and the checker of a replica.
/// Each proof is verified once however many verdicts name it (a batch proof names many jobs).
/// Thread-safe. Holds at most `max_bytes` of proofs: the oldest go first.
class proof_verdicts {
 public:
  explicit proof_verdicts(std::size_t max_bytes = std::size_t{1} << 30) : max_bytes_(max_bytes) {}

  /// Keeps `proof` and returns its digest (kept once however often it is added).
  consensus::digest add(std::string proof);
  [[nodiscard]] bool holds(const consensus::digest& proof_digest) const;
  /// The verdict of job `job_id` on the held proof (verified once, the result remembered); nothing
  /// when the proof is not held.
  [[nodiscard]] std::optional<consensus::verdict> verdict(const std::string& job_id, const consensus::digest& proof_digest);
  /// The replica's checker: true when the proof `v` names is held and verdict(v.job_id, ...) == v.
  [[nodiscard]] bool check(const consensus::verdict& v);
  /// The proof's bytes (empty when not held).
  [[nodiscard]] std::string proof(const consensus::digest& proof_digest) const;

 private:
  struct entry {
    std::string bytes;
    std::optional<consensus::verdict> checked;  ///< job_id left empty: the same for every job
  };
  mutable std::mutex mutex_;
  std::size_t max_bytes_, bytes_ = 0;
  std::map<consensus::digest, entry> proofs_;
  std::deque<consensus::digest> order_;  ///< oldest first
};

}  // namespace ciro::runtime
