#include "consensus/message.hpp"

#include <string_view>

namespace ciro::consensus {
namespace {

void encode_signed_fields(byte_writer& w, const message& m) {
  w.u8(static_cast<std::uint8_t>(m.kind));
  w.u64(m.view);
  w.u64(m.sequence);
  w.u32(m.sender);
  w.bytes(m.value);
}

void encode_nested(byte_writer& w, const message& m) {
  w.u32(static_cast<std::uint32_t>(m.nested.size()));
  for (const message& n : m.nested) encode(w, n);
}

bool carries_nested(message_kind k) { return k == message_kind::view_change || k == message_kind::new_view; }

}  // namespace

std::vector<std::uint8_t> signing_bytes(const message& m) {
  byte_writer w;
  constexpr std::string_view domain = "ciro.consensus.v1";
  w.raw(std::span(reinterpret_cast<const std::uint8_t*>(domain.data()), domain.size()));
  encode_signed_fields(w, m);
  if (carries_nested(m.kind)) encode_nested(w, m);
  return w.take();
}

void encode(byte_writer& w, const message& m) {
  encode_signed_fields(w, m);
  if (m.kind == message_kind::pre_prepare) encode(w, m.payload);
  if (carries_nested(m.kind)) encode_nested(w, m);
  w.bytes(m.sig);
}

std::vector<std::uint8_t> encode(const message& m) {
  byte_writer w;
  encode(w, m);
  return w.take();
}

std::optional<message> decode_message(byte_reader& r, int depth) {
  message m;
  const auto kind = r.u8();
  const auto view = r.u64(), sequence = r.u64();
  const auto sender = r.u32();
  const auto value = r.bytes<32>();
  if (!kind || !view || !sequence || !sender || !value) return std::nullopt;
  if (*kind < 1 || *kind > 6) return std::nullopt;
  m.kind = static_cast<message_kind>(*kind);
  m.view = *view;
  m.sequence = *sequence;
  m.sender = *sender;
  m.value = *value;
  if (m.kind == message_kind::pre_prepare) {
    auto payload = decode_batch(r);
    if (!payload) return std::nullopt;
    m.payload = std::move(*payload);
  }
  if (carries_nested(m.kind)) {
    if (depth >= max_nesting) return std::nullopt;
    const auto n = r.count(max_nested_messages);
    if (!n) return std::nullopt;
    for (std::uint32_t i = 0; i < *n; ++i) {
      auto inner = decode_message(r, depth + 1);
      if (!inner) return std::nullopt;
      m.nested.push_back(std::move(*inner));
    }
  }
  const auto sig = r.bytes<64>();
  if (!sig) return std::nullopt;
  m.sig = *sig;
  return m;
}

std::optional<message> decode_message(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > max_message_bytes) return std::nullopt;
  byte_reader r(bytes);
  auto m = decode_message(r, 0);
  if (!m || !r.at_end()) return std::nullopt;
  return m;
}

void sign_message(message& m, const key_pair& key) { m.sig = sign(key, signing_bytes(m)); }

}  // namespace ciro::consensus
