#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "consensus/digest.hpp"
#include "consensus/ed25519.hpp"
#include "consensus/encoding.hpp"
#include "consensus/verdict.hpp"

/// The signed messages of the pBFT protocol (Castro and Liskov 1999) and their canonical bytes.
namespace ciro::consensus {

enum class message_kind : std::uint8_t {
  pre_prepare = 1,  ///< the primary assigns `sequence` to `payload` (value = its batch digest)
  prepare = 2,      ///< a backup accepted the pre-prepare (view, sequence, value)
  commit = 3,       ///< a replica saw (view, sequence, value) prepared by a quorum
  checkpoint = 4,   ///< a replica executed up to `sequence` with state digest `value` (view 0)
  view_change = 5,  ///< move to view `view`: stable checkpoint `sequence` with state `value`, its
                    ///< proof and the prepared certificates above it in `nested`
  new_view = 6,     ///< the primary of `view` starts it: a quorum of view changes and the
                    ///< pre-prepares they imply in `nested`
};

/// One protocol message. Every field but `sig` is signed (`signing_bytes`); a pre-prepare's
/// payload is bound through `value`, its digest. Messages carried inside a view change or new
/// view keep their own signatures, so the receiver checks them as their senders signed them.
struct message {
  message_kind kind = message_kind::prepare;
  std::uint64_t view = 0;
  std::uint64_t sequence = 0;
  std::uint32_t sender = 0;
  digest value{};
  batch payload;                ///< pre-prepare only (empty otherwise)
  std::vector<message> nested;  ///< view change and new view only
  signature sig{};
  friend bool operator==(const message&, const message&) = default;
};

/// Bounds of the decoder: nesting depth (new view > view change > pre-prepare), messages nested
/// in one message, and the encoded size of one message.
inline constexpr int max_nesting = 2;
inline constexpr std::uint32_t max_nested_messages = 1 << 16;
inline constexpr std::size_t max_message_bytes = std::size_t{64} << 20;

/// The bytes a sender signs: "ciro.consensus.v1", kind, view, sequence, sender, value, then the
/// full encodings of the nested messages (a pre-prepare's batch is covered by value).
[[nodiscard]] std::vector<std::uint8_t> signing_bytes(const message& m);

/// The full canonical encoding (signed fields, payload, nested messages, signature).
void encode(byte_writer& w, const message& m);
[[nodiscard]] std::vector<std::uint8_t> encode(const message& m);

/// Decodes one message (and what it nests, at most max_nesting levels); nothing when truncated,
/// of an unknown kind or beyond a bound. Only a pre-prepare carries a payload and only a view
/// change or new view nested messages in the encoding, so no other kind decodes with them.
[[nodiscard]] std::optional<message> decode_message(byte_reader& r, int depth = 0);
/// Decodes exactly one message filling `bytes`.
[[nodiscard]] std::optional<message> decode_message(std::span<const std::uint8_t> bytes);

/// Sets m.sig to the signature of signing_bytes(m) under `key`.
void sign_message(message& m, const key_pair& key);

}  // namespace ciro::consensus
