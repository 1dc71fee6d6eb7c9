#include "consensus/evidence.hpp"

#include <set>
#include <string>

namespace ciro::consensus {
namespace {

using code = evidence_error_code;

bool signed_by(const message& m, const validator_set& validators) {
  return m.sender < validators.size() && verify(validators[m.sender].key, signing_bytes(m), m.sig);
}

result<checked_offence, code> check_double_signing(const evidence& e, const validator_set& validators) {
  if (e.messages.size() != 2) {
    return error<code>{code::malformed, "double-signing evidence holds two messages"};
  }
  const message& a = e.messages[0];
  const message& b = e.messages[1];
  const bool votes = a.kind == message_kind::pre_prepare || a.kind == message_kind::prepare ||
                     a.kind == message_kind::commit || a.kind == message_kind::checkpoint;
  if (!votes || a.kind != b.kind || a.view != b.view || a.sequence != b.sequence || a.sender != e.offender ||
      b.sender != e.offender) {
    return error<code>{code::not_conflicting, "the messages are not of one kind, view, sequence and offender"};
  }
  if (a.value == b.value) return error<code>{code::not_conflicting, "the messages sign the same value"};
  if (!signed_by(a, validators) || !signed_by(b, validators)) {
    return error<code>{code::bad_signature, "a message's signature does not verify under the offender's key"};
  }
  return checked_offence{offence::double_signing, e.offender, a.view, a.sequence};
}

result<checked_offence, code> check_invalid_compute(const evidence& e, const validator_set& validators,
                                                    const verdict_checker& checker) {
  if (e.messages.empty() || e.messages.size() > 2) {
    return error<code>{code::malformed, "invalid-compute evidence holds a vote and its pre-prepare"};
  }
  const message& vote = e.messages.front();
  const message& proposal = e.messages.back();
  const bool is_vote =
      vote.kind == message_kind::pre_prepare || vote.kind == message_kind::prepare || vote.kind == message_kind::commit;
  if (!is_vote || vote.sender != e.offender || proposal.kind != message_kind::pre_prepare ||
      proposal.value != vote.value || batch_digest(proposal.payload) != proposal.value) {
    return error<code>{code::malformed, "the vote is not the offender's vote for the pre-prepare's batch"};
  }
  if (!signed_by(vote, validators) || (e.messages.size() == 2 && !signed_by(proposal, validators))) {
    return error<code>{code::bad_signature, "a message's signature does not verify"};
  }
  if (e.verdict_index >= proposal.payload.verdicts.size()) {
    return error<code>{code::malformed, "verdict index " + std::to_string(e.verdict_index) + " is past the batch"};
  }
  if (checker(proposal.payload.verdicts[e.verdict_index])) {
    return error<code>{code::verdict_agrees, "the checker agrees with verdict " + std::to_string(e.verdict_index)};
  }
  return checked_offence{offence::invalid_compute, e.offender, vote.view, vote.sequence};
}

}  // namespace

result<checked_offence, evidence_error_code> check_evidence(const evidence& e, const validator_set& validators,
                                                            const verdict_checker& checker) {
  switch (e.kind) {
    case offence::double_signing:
      return check_double_signing(e, validators);
    case offence::invalid_compute:
      return check_invalid_compute(e, validators, checker);
    case offence::downtime:
      break;
  }
  return error<code>{code::malformed, "no evidence proves this offence"};
}

void encode(byte_writer& w, const evidence& e) {
  w.u8(static_cast<std::uint8_t>(e.kind));
  w.u32(e.offender);
  w.u32(static_cast<std::uint32_t>(e.messages.size()));
  for (const message& m : e.messages) encode(w, m);
  w.u32(e.verdict_index);
}

std::vector<std::uint8_t> encode(const evidence& e) {
  byte_writer w;
  encode(w, e);
  return w.take();
}

std::optional<evidence> decode_evidence(std::span<const std::uint8_t> bytes) {
  byte_reader r(bytes);
  evidence e;
  const auto kind = r.u8();
  const auto offender = r.u32();
  const auto messages = r.count(2);
  if (!kind || (*kind != 1 && *kind != 3) || !offender || !messages) return std::nullopt;
  e.kind = static_cast<offence>(*kind);
  e.offender = *offender;
  for (std::uint32_t i = 0; i < *messages; ++i) {
    auto m = decode_message(r, max_nesting);
    if (!m) return std::nullopt;
    e.messages.push_back(std::move(*m));
  }
  const auto index = r.u32();
  if (!index) return std::nullopt;
  e.verdict_index = *index;
  if (!r.at_end()) return std::nullopt;
  return e;
}

}  // namespace ciro::consensus
