#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "consensus/message.hpp"
#include "consensus/verdict.hpp"

/// The frames validators send each other over net::peer_network (docs/consensus.md, "In the
/// runtime"): a tag byte, then the consensus layer's canonical encodings. Evidence travels inside
/// requests (a batch carrying it), so that it is agreed like verdicts.
namespace ciro::runtime {

/// A request: a batch to agree on, with the proofs its verdicts (and the invalid-compute evidence
/// it carries) name, each once, so that every validator verifies them itself before it votes.
struct validator_request {
  consensus::batch verdicts;
  std::vector<std::string> proofs;
  friend bool operator==(const validator_request&, const validator_request&) = default;
};

/// One frame's content.
using validator_frame = std::variant<consensus::message, validator_request>;

/// The largest proof a request carries, and the most bytes of proofs in one request.
inline constexpr std::size_t max_request_proof_bytes = std::size_t{64} << 20;
inline constexpr std::size_t max_request_bytes = std::size_t{256} << 20;

/// Tag 1 and encode(message); tag 2, encode(batch), the proof count (u32) and each proof (u32
/// length, bytes).
[[nodiscard]] std::string encode_frame(const validator_frame& frame);

/// Decodes one frame; nothing when the tag is unknown, a part does not decode, a bound is passed
/// (more proofs than the batch names, a proof over max_request_proof_bytes) or bytes are left over.
[[nodiscard]] std::optional<validator_frame> decode_frame(const std::string& bytes);

}  // namespace ciro::runtime
