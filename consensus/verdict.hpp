#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "consensus/digest.hpp"
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

/// A batch: the verdicts one sequence number commits, with the time (seconds since the epoch)
/// the primary proposed it at (what the ledger's clock and the downtime evidence read), and the
/// evidence it carries: agreed like the verdicts, so that every replica applies it to its ledger at
/// the batch's time, in sequence order, and all ledgers stay equal.
struct batch {
  std::uint64_t time_s = 0;
  std::vector<verdict> verdicts;      ///< at most max_batch_verdicts
  std::vector<std::string> evidence;  ///< each consensus::evidence in encode()'s bytes; at most max_batch_evidence
  friend bool operator==(const batch&, const batch&) = default;
};

inline constexpr std::size_t max_job_id_bytes = 128;
inline constexpr std::uint32_t max_batch_verdicts = 4096;
/// Evidence a batch carries at most, and the largest encoded evidence (a downtime evidence holds up
/// to 2^16 certificates; larger ones are not agreed).
inline constexpr std::uint32_t max_batch_evidence = 64;
inline constexpr std::size_t max_evidence_bytes = std::size_t{16} << 20;

/// Whether a verdict's claim agrees with its proof: the runtime implements it with stark's
/// verifier (fetching the proof by its digest, checking it against the statement, input and
/// output, and comparing the outcome with `valid`); the simulator with an oracle. It must be
/// deterministic: every honest validator gets the same answer for the same verdict.
using verdict_checker = std::function<bool(const verdict&)>;

/// Appends the canonical encoding of `b` (time, count, then each verdict's fields in order, then
/// the evidence count and each evidence as a length-prefixed string).
void encode(byte_writer& w, const batch& b);

/// Decodes a batch; nothing when truncated or beyond the bounds above.
[[nodiscard]] std::optional<batch> decode_batch(byte_reader& r);

/// SHA-256 of the batch's canonical encoding, prefixed by the domain "ciro.batch.v1".
[[nodiscard]] digest batch_digest(const batch& b);

}  // namespace ciro::consensus
