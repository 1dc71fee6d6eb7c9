#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "consensus/digest.hpp"
#include "consensus/ed25519.hpp"
#include "consensus/encoding.hpp"

/// What validators agree on: batches of verdicts on proofs.
namespace ciro::consensus {

/// A validator's verdict on one job's proof: the job, the statement it proves (a model or AIR
/// statement hash), its input commitment and output hash, the digest of the proof bytes, and
/// whether the proof verifies.
struct verdict {
  std::string job_id;  ///< 1 to max_job_id_bytes bytes
  digest statement_hash{};
  digest input_commitment{};
  digest output_hash{};
  digest proof_digest{};
  bool valid = false;
  friend bool operator==(const verdict&, const verdict&) = default;
};

/// One commit of a batch: who signed, and the signature of the commit message
/// (commit, view, sequence, sender, batch digest) it sent.
struct commit_signature {
  std::uint32_t sender = 0;
  signature sig{};
  friend bool operator==(const commit_signature&, const commit_signature&) = default;
};

/// Commits of an earlier batch that a later batch carries, so that every replica records the same
/// participation (ledger::record_committed): the sequence and view the commits were sent in, and
/// the commits its carrier had received (late ones included, not only a quorum).
struct participation_record {
  std::uint64_t sequence = 0, view = 0;
  std::vector<commit_signature> commits;  ///< at most max_validators
  friend bool operator==(const participation_record&, const participation_record&) = default;
};

/// A batch: the verdicts one sequence number commits, with the time (seconds since the epoch)
/// it was proposed at (what the ledger's clock reads), the evidence it carries and the commits of
/// earlier batches it carries: agreed like the verdicts, so that every replica applies them to its
/// ledger at the batch's time, in sequence order, and all ledgers stay equal.
struct batch {
  std::uint64_t time_s = 0;
  std::vector<verdict> verdicts;      ///< at most max_batch_verdicts
  std::vector<std::string> evidence;  ///< each consensus::evidence in encode()'s bytes; at most max_batch_evidence
  std::vector<participation_record> participation;  ///< at most max_batch_participation
  friend bool operator==(const batch&, const batch&) = default;
};

inline constexpr std::size_t max_job_id_bytes = 128;
inline constexpr std::uint32_t max_batch_verdicts = 4096;
/// Evidence a batch carries at most, and the largest encoded evidence.
inline constexpr std::uint32_t max_batch_evidence = 64;
inline constexpr std::size_t max_evidence_bytes = std::size_t{16} << 20;
/// Participation records a batch carries at most.
inline constexpr std::uint32_t max_batch_participation = 64;

/// Whether a verdict's claim agrees with its proof: the runtime implements it with stark's
/// verifier (fetching the proof by its digest, checking it against the statement, input and
/// output, and comparing the outcome with `valid`); the simulator with an oracle. It must be
/// deterministic: every honest validator gets the same answer for the same verdict.
using verdict_checker = std::function<bool(const verdict&)>;

/// Appends the canonical encoding of `b` (time, count, then each verdict's fields in order, then
/// the evidence count and each evidence as a length-prefixed string, then the participation count
/// and each record: sequence, view, commit count, each commit's sender and signature).
void encode(byte_writer& w, const batch& b);

/// A list of commits' canonical encoding (count, then each sender and signature), and its decoder
/// (at most max_validators commits; false when truncated or beyond it).
void encode(byte_writer& w, const std::vector<commit_signature>& commits);
[[nodiscard]] bool decode_commits(byte_reader& r, std::vector<commit_signature>& out);

/// A participation record's canonical encoding (sequence, view, then its commits), and its bounded
/// decoder.
void encode(byte_writer& w, const participation_record& p);
[[nodiscard]] std::optional<participation_record> decode_participation_record(byte_reader& r);

/// Decodes a batch; nothing when truncated or beyond the bounds above.
[[nodiscard]] std::optional<batch> decode_batch(byte_reader& r);

/// SHA-256 of the batch's canonical encoding, prefixed by the domain "ciro.batch.v2".
[[nodiscard]] digest batch_digest(const batch& b);

}  // namespace ciro::consensus
