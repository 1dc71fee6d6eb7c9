#pragma once

#include <cstdint>
#include <vector>

#include "consensus/message.hpp"
#include "consensus/validator_set.hpp"
#include "core/result.hpp"

namespace ciro::consensus {

/// A quorum certificate: the batch committed at `sequence` in `view`, with the signed commits
/// of validators holding more than two thirds of the weight. Anyone holding the validator set
/// checks it offline (check_certificate).
struct quorum_certificate {
  std::uint64_t view = 0;
  std::uint64_t sequence = 0;
  batch committed;
  std::vector<commit_signature> commits;  ///< at most max_validators, senders distinct
  friend bool operator==(const quorum_certificate&, const quorum_certificate&) = default;
};

/// The commit message a commit stands for (signed fields as the sender signed them): commit(view,
/// sequence, sender, value), value a batch digest.
[[nodiscard]] message commit_message(std::uint64_t view, std::uint64_t sequence, const digest& value,
                                     const commit_signature& c);
/// The same for a certificate entry; `value` is batch_digest(cert.committed).
[[nodiscard]] message commit_message(const quorum_certificate& cert, const digest& value, const commit_signature& c);

/// Appends the canonical encoding (view, sequence, batch, then each commit's sender and
/// signature); decode_certificate reads it back, nothing when truncated or beyond the bounds.
void encode(byte_writer& w, const quorum_certificate& cert);
[[nodiscard]] std::optional<quorum_certificate> decode_certificate(byte_reader& r);

enum class certificate_error_code { unknown_signer, repeated_signer, bad_signature, no_quorum };

/// Checks a certificate against a validator set: every signer a validator, no signer twice,
/// every signature valid over commit(view, sequence, sender, batch_digest(batch)), and the
/// signers' weight w a quorum (3 w > 2 W). Returns w.
[[nodiscard]] result<std::uint64_t, certificate_error_code> check_certificate(const quorum_certificate& cert,
                                                                              const validator_set& validators);

}  // namespace ciro::consensus
