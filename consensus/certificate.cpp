#include "consensus/certificate.hpp"

#include <set>
#include <string>

namespace ciro::consensus {

message commit_message(std::uint64_t view, std::uint64_t sequence, const digest& value, const commit_signature& c) {
  message m;
  m.kind = message_kind::commit;
  m.view = view;
  m.sequence = sequence;
  m.sender = c.sender;
  m.value = value;
  m.sig = c.sig;
  return m;
}

message commit_message(const quorum_certificate& cert, const digest& value, const commit_signature& c) {
  return commit_message(cert.view, cert.sequence, value, c);
}

void encode(byte_writer& w, const quorum_certificate& cert) {
  w.u64(cert.view);
  w.u64(cert.sequence);
  encode(w, cert.committed);
  encode(w, cert.commits);
}

std::optional<quorum_certificate> decode_certificate(byte_reader& r) {
  quorum_certificate cert;
  const auto view = r.u64(), sequence = r.u64();
  auto committed = decode_batch(r);
  if (!view || !sequence || !committed) return std::nullopt;
  cert.view = *view;
  cert.sequence = *sequence;
  cert.committed = std::move(*committed);
  if (!decode_commits(r, cert.commits)) return std::nullopt;
  return cert;
}

result<std::uint64_t, certificate_error_code> check_certificate(const quorum_certificate& cert,
                                                                const validator_set& validators) {
  using code = certificate_error_code;
  std::set<std::uint32_t> seen;
  std::uint64_t weight = 0;
  const digest value = batch_digest(cert.committed);
  for (const commit_signature& c : cert.commits) {
    if (c.sender >= validators.size()) {
      return error<code>{code::unknown_signer, "signer " + std::to_string(c.sender) + " is not in the validator set"};
    }
    if (!seen.insert(c.sender).second) {
      return error<code>{code::repeated_signer, "signer " + std::to_string(c.sender) + " appears twice"};
    }
    const message m = commit_message(cert, value, c);
    if (!verify(validators[c.sender].key, signing_bytes(m), c.sig)) {
      return error<code>{code::bad_signature, "the commit signature of validator " + std::to_string(c.sender) +
                                                  " does not verify for this batch, view and sequence"};
    }
    weight += validators.weight(c.sender);
  }
  if (!validators.is_quorum(weight)) {
    return error<code>{code::no_quorum, "the signers hold " + std::to_string(weight) + " of " +
                                            std::to_string(validators.total_weight()) +
                                            " weight, not more than two thirds"};
  }
  return weight;
}

}  // namespace ciro::consensus
