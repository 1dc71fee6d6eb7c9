#include "consensus/verdict.hpp"

#include <string_view>

#include "consensus/validator_set.hpp"

namespace ciro::consensus {

void encode(byte_writer& w, const batch& b) {
  w.u64(b.time_s);
  w.u32(static_cast<std::uint32_t>(b.verdicts.size()));
  for (const verdict& v : b.verdicts) {
    w.string(v.job_id);
    w.bytes(v.statement_hash);
    w.bytes(v.input_commitment);
    w.bytes(v.output_hash);
    w.bytes(v.proof_digest);
    w.u8(v.valid ? 1 : 0);
  }
  w.u32(static_cast<std::uint32_t>(b.evidence.size()));
  for (const std::string& e : b.evidence) w.string(e);
  w.u32(static_cast<std::uint32_t>(b.participation.size()));
  for (const participation_record& p : b.participation) encode(w, p);
}

void encode(byte_writer& w, const std::vector<commit_signature>& commits) {
  w.u32(static_cast<std::uint32_t>(commits.size()));
  for (const commit_signature& c : commits) {
    w.u32(c.sender);
    w.bytes(c.sig);
  }
}

bool decode_commits(byte_reader& r, std::vector<commit_signature>& out) {
  const auto n = r.count(max_validators);
  if (!n) return false;
  for (std::uint32_t k = 0; k < *n; ++k) {
    const auto sender = r.u32();
    const auto sig = r.bytes<64>();
    if (!sender || !sig) return false;
    out.push_back({*sender, *sig});
  }
  return true;
}

void encode(byte_writer& w, const participation_record& p) {
  w.u64(p.sequence);
  w.u64(p.view);
  encode(w, p.commits);
}

std::optional<participation_record> decode_participation_record(byte_reader& r) {
  participation_record p;
  const auto sequence = r.u64(), view = r.u64();
  if (!sequence || !view) return std::nullopt;
  p.sequence = *sequence;
  p.view = *view;
  if (!decode_commits(r, p.commits)) return std::nullopt;
  return p;
}

std::optional<batch> decode_batch(byte_reader& r) {
  batch b;
  const auto time = r.u64();
  const auto n = r.count(max_batch_verdicts);
  if (!time || !n) return std::nullopt;
  b.time_s = *time;
  b.verdicts.reserve(*n);
  for (std::uint32_t i = 0; i < *n; ++i) {
    verdict v;
    auto id = r.string(max_job_id_bytes);
    auto s = r.bytes<32>(), in = r.bytes<32>(), out = r.bytes<32>(), p = r.bytes<32>();
    const auto valid = r.u8();
    if (!id || id->empty() || !s || !in || !out || !p || !valid || *valid > 1) return std::nullopt;
    v.job_id = std::move(*id);
    v.statement_hash = *s;
    v.input_commitment = *in;
    v.output_hash = *out;
    v.proof_digest = *p;
    v.valid = *valid == 1;
    b.verdicts.push_back(std::move(v));
  }
  const auto e = r.count(max_batch_evidence);
  if (!e) return std::nullopt;
  for (std::uint32_t i = 0; i < *e; ++i) {
    auto bytes = r.string(max_evidence_bytes);
    if (!bytes || bytes->empty()) return std::nullopt;
    b.evidence.push_back(std::move(*bytes));
  }
  const auto records = r.count(max_batch_participation);
  if (!records) return std::nullopt;
  for (std::uint32_t i = 0; i < *records; ++i) {
    auto p = decode_participation_record(r);
    if (!p) return std::nullopt;
    b.participation.push_back(std::move(*p));
  }
  return b;
}

digest batch_digest(const batch& b) {
  byte_writer w;
  constexpr std::string_view domain = "ciro.batch.v2";
  w.raw(std::span(reinterpret_cast<const std::uint8_t*>(domain.data()), domain.size()));
  encode(w, b);
  return sha256(w.data());
}

}  // namespace ciro::consensus
