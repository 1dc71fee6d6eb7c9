#include "runtime/proof_verdicts.hpp"

#include "consensus/encoding.hpp"
#include "field/extension.hpp"
#include "stark/proof.hpp"
#include "stark/proof_check.hpp"
#include "zkml/model_proof.hpp"

namespace ciro::runtime {

namespace {

using consensus::byte_writer;
using consensus::digest;

digest sha256_of(const byte_writer& w) { return consensus::sha256(w.data()); }

void put_domain(byte_writer& w, const char* domain) {
  w.raw({reinterpret_cast<const std::uint8_t*>(domain), std::char_traits<char>::length(domain)});
}

/// The statement, input and output digests of a model proof's statement.
void name_model_statement(const zkml::model_statement& st, consensus::verdict& v) {
  v.statement_hash = st.model_hash.to_bytes_be();
  v.input_commitment = st.input_commitment.to_bytes_be();
  byte_writer w;
  put_domain(w, "ciro.model-outputs.v1");
  w.u32(static_cast<std::uint32_t>(st.outputs.size()));
  for (const auto& t : st.outputs) {
    w.string(t.name);
    w.u32(static_cast<std::uint32_t>(t.frac));
    w.u8(t.integer ? 1 : 0);
    w.u32(static_cast<std::uint32_t>(t.shape.size()));
    for (const auto d : t.shape) w.u64(static_cast<std::uint64_t>(d));
    w.u64(t.q.size());
    for (const auto q : t.q) w.u64(static_cast<std::uint64_t>(q));
  }
  v.output_hash = sha256_of(w);
}

/// The statement and output digests of an AIR proof over E (nothing set when it does not decode).
template <class E>
void name_air_statement(std::span<const std::uint8_t> proof, consensus::verdict& v) {
  const auto p = stark::decode<E>(proof);
  if (!p) return;
  byte_writer s;
  put_domain(s, "ciro.air-statement.v1");
  for (const auto& e : p.value().vk_digest) s.u32(e.to_canonical());
  byte_writer out;
  put_domain(out, "ciro.public-values.v1");
  for (const auto& t : p.value().stmt.tables) {
    s.string(t.air_name);
    s.u32(t.log_rows);
    s.u32(t.instances);
    for (const auto& x : t.public_values) out.u32(x.to_canonical());
  }
  v.statement_hash = sha256_of(s);
  v.output_hash = sha256_of(out);
}

}  // namespace

consensus::verdict verdict_of(const std::string& job_id, std::span<const std::uint8_t> proof) {
  consensus::verdict v;
  v.job_id = job_id;
  v.proof_digest = consensus::sha256(proof);
  if (zkml::is_model_proof(proof)) {
    const auto checked = zkml::verify_model(proof);
    if (checked) {
      name_model_statement(checked.value().statement, v);
      v.valid = checked.value().security_bits >= validator_min_security_bits;
    } else if (const auto decoded = zkml::decode_model_proof(proof)) {
      name_model_statement(decoded.value().statement, v);
    }
    return v;
  }
  const auto degree = stark::peek_extension_degree(proof);
  if (!degree) return v;
  if (degree.value() == 5) {
    name_air_statement<field::babybear5>(proof, v);
  } else {
    name_air_statement<field::babybear4>(proof, v);
  }
  v.valid = stark::check_proof_file(proof, validator_min_security_bits).outcome == stark::proof_check::valid;
  return v;
}

digest proof_verdicts::add(std::string proof) {
  const digest d = consensus::sha256({reinterpret_cast<const std::uint8_t*>(proof.data()), proof.size()});
  std::lock_guard lock(mutex_);
  if (proofs_.count(d) != 0) return d;
  bytes_ += proof.size();
  proofs_[d].bytes = std::move(proof);
  order_.push_back(d);
  while (bytes_ > max_bytes_ && order_.size() > 1) {
    const auto it = proofs_.find(order_.front());
    bytes_ -= it->second.bytes.size();
    proofs_.erase(it);
    order_.pop_front();
  }
  return d;
}

bool proof_verdicts::holds(const digest& proof_digest) const {
  std::lock_guard lock(mutex_);
  return proofs_.count(proof_digest) != 0;
}

std::string proof_verdicts::proof(const digest& proof_digest) const {
  std::lock_guard lock(mutex_);
  const auto it = proofs_.find(proof_digest);
  return it == proofs_.end() ? std::string() : it->second.bytes;
}

std::optional<consensus::verdict> proof_verdicts::verdict(const std::string& job_id, const digest& proof_digest) {
  std::string bytes;
  {
    std::lock_guard lock(mutex_);
    const auto it = proofs_.find(proof_digest);
    if (it == proofs_.end()) return std::nullopt;
    if (it->second.checked) {
      consensus::verdict v = *it->second.checked;
      v.job_id = job_id;
      return v;
    }
    bytes = it->second.bytes;
  }
  // Verified outside the lock (milliseconds): two threads may both verify, with the same answer.
  consensus::verdict v = verdict_of("", {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  {
    std::lock_guard lock(mutex_);
    if (const auto it = proofs_.find(proof_digest); it != proofs_.end()) it->second.checked = v;
  }
  v.job_id = job_id;
  return v;
}

bool proof_verdicts::check(const consensus::verdict& v) {
  const auto mine = verdict(v.job_id, v.proof_digest);
  return mine && *mine == v;
}

}  // namespace ciro::runtime
