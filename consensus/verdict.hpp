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
/// the primary proposed it at (what the ledger's clock and the downtime evidence read).
struct batch {
  std::uint64_t time_s = 0;
  std::vector<verdict> verdicts;  ///< at most max_batch_verdicts
  friend bool operator==(const batch&, const batch&) = default;
};

inline constexpr std::size_t max_job_id_bytes = 128;
inline constexpr std::uint32_t max_batch_verdicts = 4096;

/// Whether a verdict's claim agrees with its proof: the runtime implements it with stark's
/// verifier (fetching the proof by its digest, checking it against the statement, input and
/// output, and comparing the outcome with `valid`); the simulator with an oracle. It must be
/// deterministic: every honest validator gets the same answer for the same verdict.
using verdict_checker = std::function<bool(const verdict&)>;

/// Appends the canonical encoding of `b` (time, count, then each verdict's fields in order).
void encode(byte_writer& w, const batch& b);

/// Decodes a batch; nothing when truncated or beyond the bounds above.
[[nodiscard]] std::optional<batch> decode_batch(byte_reader& r);

/// SHA-256 of the batch's canonical encoding, prefixed by the domain "ciro.batch.v1".
[[nodiscard]] digest batch_digest(const batch& b);

}  // namespace ciro::consensus
