#pragma once

#include <string>
#include <string_view>

#include "consensus/certificate.hpp"
#include "consensus/validator_set.hpp"
#include "core/result.hpp"

/// The JSON files of the consensus layer (docs/consensus.md, "Files"): a validator set and a
/// quorum certificate, keys, digests and signatures in lower-case hex. The parsers are strict
/// (unknown keys, wrong types and lengths refused) and bounded.
namespace ciro::consensus {

/// The largest JSON text the parsers take.
inline constexpr std::size_t max_json_bytes = std::size_t{16} << 20;

enum class json_error_code { too_large, syntax, schema, invalid_set };

/// {"format": "ciro.validators.v1", "validators": [{"public_key": HEX64, "stake": N,
/// "reputation": 0..100, "uptime_permille": 0..1000}, ...]}
[[nodiscard]] std::string validators_to_json(const validator_set& set);
[[nodiscard]] result<validator_set, json_error_code> validators_from_json(std::string_view text);

/// {"format": "ciro.certificate.v1", "validator_set": HEX64 (the set's digest), "view": N,
/// "sequence": N, "batch": {"time_s": N, "verdicts": [{"job_id": S, "statement_hash": HEX64,
/// "input_commitment": HEX64, "output_hash": HEX64, "proof_digest": HEX64, "valid": B}, ...]},
/// "commits": [{"validator": I, "signature": HEX128}, ...]}
struct certificate_file {
  digest validator_set{};
  quorum_certificate certificate;
};
[[nodiscard]] std::string certificate_to_json(const quorum_certificate& cert, const validator_set& set);
[[nodiscard]] result<certificate_file, json_error_code> certificate_from_json(std::string_view text);

}  // namespace ciro::consensus
