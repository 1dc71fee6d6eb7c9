#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "consensus/certificate.hpp"
#include "consensus/message.hpp"
#include "consensus/validator_set.hpp"
#include "consensus/verdict.hpp"
#include "core/result.hpp"

namespace ciro::consensus {

/// What a validator can be slashed for. Double signing and invalid compute are proven by
/// evidence; downtime by the agreed participation records every ledger reads from the committed
/// batches (ledger::record_committed), so it needs none. A coordinated attack is not an offence of
/// its own: it is what the ledger calls more than f offenders caught in one incident.
enum class offence : std::uint8_t {
  double_signing = 1,   ///< two signed messages of one kind, view and sequence with different values
  downtime = 2,         ///< absent from the agreed participation of every batch over at least 6 hours
  invalid_compute = 3,  ///< a signed vote for a batch holding a verdict that its proof contradicts
};

/// Self-contained evidence that every honest validator re-checks (check_evidence) before it
/// applies it, so the same evidence gives the same ledger everywhere:
/// - double_signing: `messages` holds the offender's two conflicting signed messages (pre-prepare,
///   prepare, commit or checkpoint);
/// - invalid_compute: `messages` holds the offender's signed vote (a pre-prepare, prepare or
///   commit) and, unless the vote is itself the pre-prepare, the signed pre-prepare whose batch
///   has that digest; `verdict_index` names the verdict that the checker rejects.
struct evidence {
  offence kind = offence::double_signing;
  std::uint32_t offender = 0;
  std::vector<message> messages;
  std::uint32_t verdict_index = 0;
  friend bool operator==(const evidence&, const evidence&) = default;
};

/// An offence proven: who, and the incident it belongs to (the view and sequence of the offending
/// messages; for downtime, view 0 and the first sequence of the absence).
struct checked_offence {
  offence kind = offence::double_signing;
  std::uint32_t offender = 0;
  std::uint64_t view = 0;
  std::uint64_t sequence = 0;
  friend auto operator<=>(const checked_offence&, const checked_offence&) = default;
};

enum class evidence_error_code {
  malformed,
  bad_signature,
  not_conflicting,
  verdict_agrees,
};

/// Re-checks evidence against the validator set (and, for invalid compute, the verdict checker)
/// as stated on `evidence`; returns the offence it proves.
[[nodiscard]] result<checked_offence, evidence_error_code> check_evidence(const evidence& e,
                                                                          const validator_set& validators,
                                                                          const verdict_checker& checker);

/// Canonical encoding of evidence (kind, offender, messages, verdict index), and its bounded
/// decoder (which refuses kind 2: downtime has no evidence).
void encode(byte_writer& w, const evidence& e);
[[nodiscard]] std::vector<std::uint8_t> encode(const evidence& e);
[[nodiscard]] std::optional<evidence> decode_evidence(std::span<const std::uint8_t> bytes);

}  // namespace ciro::consensus
