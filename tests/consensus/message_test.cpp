// Canonical encodings: messages, batches, certificates and evidence round-trip; every signed
// field is covered by the signature; the decoders refuse truncated and malformed bytes.
#include "consensus/message.hpp"

#include <gtest/gtest.h>

#include "consensus/certificate.hpp"
#include "consensus/evidence.hpp"
#include "consensus/simulator.hpp"
#include "tests/support/seed.hpp"

namespace ciro::consensus {
namespace {

digest random_digest(test::seeded_rng& rng) {
  digest d{};
  for (auto& b : d) b = static_cast<std::uint8_t>(rng.next());
  return d;
}

batch random_batch(test::seeded_rng& rng, std::size_t verdicts) {
  batch b;
  b.time_s = rng.next();
  for (std::size_t i = 0; i < verdicts; ++i) {
    verdict v;
    v.job_id = "job-" + std::to_string(rng.below(1000000));
    v.statement_hash = random_digest(rng);
    v.input_commitment = random_digest(rng);
    v.output_hash = random_digest(rng);
    v.proof_digest = random_digest(rng);
    v.valid = rng.below(2) == 1;
    b.verdicts.push_back(v);
  }
  // Evidence is opaque here (the runtime puts encoded evidence in): 0 to 2 random byte strings.
  for (std::uint64_t e = rng.below(3); e > 0; --e) {
    std::string bytes(1 + rng.below(200), '\0');
    for (char& c : bytes) c = static_cast<char>(rng.next());
    b.evidence.push_back(std::move(bytes));
  }
  // 0 to 2 participation records of random commits.
  for (std::uint64_t p = rng.below(3); p > 0; --p) {
    participation_record r;
    r.sequence = rng.next();
    r.view = rng.below(10);
    for (std::uint64_t c = 1 + rng.below(4); c > 0; --c) {
      commit_signature cs;
      cs.sender = static_cast<std::uint32_t>(rng.below(4));
      for (auto& x : cs.sig) x = static_cast<std::uint8_t>(rng.next());
      r.commits.push_back(cs);
    }
    b.participation.push_back(std::move(r));
  }
  return b;
}

message signed_message(message_kind kind, std::uint32_t sender, test::seeded_rng& rng) {
  message m;
  m.kind = kind;
  m.view = rng.below(100);
  m.sequence = rng.below(1000) + 1;
  m.sender = sender;
  if (kind == message_kind::pre_prepare) {
    m.payload = random_batch(rng, 3);
    m.value = batch_digest(m.payload);
  } else {
    m.value = random_digest(rng);
  }
  sign_message(m, simulation_key(sender));
  return m;
}

message new_view_message(test::seeded_rng& rng) {
  message vc;
  vc.kind = message_kind::view_change;
  vc.view = 7;
  vc.sender = 1;
  vc.nested = {signed_message(message_kind::pre_prepare, 0, rng), signed_message(message_kind::prepare, 2, rng)};
  sign_message(vc, simulation_key(1));
  message nv;
  nv.kind = message_kind::new_view;
  nv.view = 7;
  nv.sender = 3;
  nv.nested = {vc, signed_message(message_kind::pre_prepare, 3, rng)};
  sign_message(nv, simulation_key(3));
  return nv;
}

TEST(Message, EveryKindRoundTripsThroughItsEncoding) {
  test::seeded_rng rng;
  std::vector<message> all;
  for (const auto kind :
       {message_kind::pre_prepare, message_kind::prepare, message_kind::commit, message_kind::checkpoint}) {
    all.push_back(signed_message(kind, static_cast<std::uint32_t>(rng.below(4)), rng));
  }
  all.push_back(new_view_message(rng));
  for (const message& m : all) {
    const auto bytes = encode(m);
    const auto back = decode_message(bytes);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, m);
    EXPECT_EQ(encode(*back), bytes);
  }
}

TEST(Message, TheSignatureCoversEverySignedField) {
  test::seeded_rng rng;
  const validator_set set = simulation_validators(4);
  signature_cache cache;
  const message m = signed_message(message_kind::commit, 2, rng);
  ASSERT_TRUE(cache.signed_by_sender(m, set));
  ASSERT_TRUE(cache.signed_by_sender(m, set));
  EXPECT_EQ(cache.verifications(), 1u);  // the second check was a comparison
  std::vector<message> changed(5, m);
  changed[0].kind = message_kind::prepare;
  ++changed[1].view;
  ++changed[2].sequence;
  changed[3].sender = 1;
  changed[4].value[31] ^= 1;
  for (const message& c : changed) EXPECT_FALSE(cache.signed_by_sender(c, set));
  message unknown = m;
  unknown.sender = 9;
  EXPECT_FALSE(cache.signed_by_sender(unknown, set));
  // A pre-prepare's payload is bound through its value, a new view's nested messages directly.
  const message nv = new_view_message(rng);
  ASSERT_TRUE(cache.signed_by_sender(nv, set));
  message tampered = nv;
  tampered.nested.pop_back();
  EXPECT_FALSE(cache.signed_by_sender(tampered, set));
}

TEST(Message, TheDecoderRefusesEveryTruncationAndTrailingBytes) {
  test::seeded_rng rng;
  const auto bytes = encode(new_view_message(rng));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode_message(std::span(bytes).first(n)).has_value()) << n;
  }
  auto longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(decode_message(longer).has_value());
}

TEST(Message, TheDecoderRefusesUnknownKindsTooDeepNestingAndOversizedCounts) {
  test::seeded_rng rng;
  auto bytes = encode(signed_message(message_kind::prepare, 1, rng));
  bytes[0] = 7;
  EXPECT_FALSE(decode_message(bytes).has_value());
  bytes[0] = 0;
  EXPECT_FALSE(decode_message(bytes).has_value());
  // A new view inside a new view inside a new view: three levels.
  message inner = new_view_message(rng);
  message outer;
  outer.kind = message_kind::new_view;
  outer.nested = {inner};
  EXPECT_FALSE(decode_message(encode(outer)).has_value());
  // A batch claiming more verdicts than the bound.
  byte_writer w;
  w.u64(0);
  w.u32(max_batch_verdicts + 1);
  byte_reader r(w.data());
  EXPECT_FALSE(decode_batch(r).has_value());
  // A job id longer than the bound.
  batch b = random_batch(rng, 1);
  b.verdicts[0].job_id = std::string(max_job_id_bytes + 1, 'x');
  byte_writer wb;
  encode(wb, b);
  byte_reader rb(wb.data());
  EXPECT_FALSE(decode_batch(rb).has_value());
}

TEST(Message, RandomBytesNeverCrashTheDecoder) {
  test::seeded_rng rng;
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::uint8_t> bytes(rng.below(400));
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng.next());
    if (!bytes.empty()) bytes[0] = static_cast<std::uint8_t>(1 + rng.below(6));
    (void)decode_message(bytes);
    (void)decode_evidence(bytes);
  }
}

TEST(Batch, TheDigestChangesWithEveryField) {
  test::seeded_rng rng;
  const batch b = random_batch(rng, 2);
  const digest d = batch_digest(b);
  std::vector<batch> changed(12, b);
  changed[7].evidence.push_back("e");
  changed[8].evidence.insert(changed[8].evidence.begin(), "e");
  changed[9].participation.push_back({1, 0, {{2, signature{}}}});
  changed[10].participation.insert(changed[10].participation.begin(), {1, 0, {}});
  changed[11].participation.push_back({1, 0, {}});
  changed[11].participation.back().commits.push_back({0, signature{}});
  ++changed[0].time_s;
  changed[1].verdicts[1].job_id += "x";
  changed[2].verdicts[0].statement_hash[0] ^= 1;
  changed[3].verdicts[0].input_commitment[0] ^= 1;
  changed[4].verdicts[0].output_hash[0] ^= 1;
  changed[5].verdicts[0].proof_digest[0] ^= 1;
  changed[6].verdicts[0].valid = !changed[6].verdicts[0].valid;
  for (const batch& c : changed) EXPECT_NE(batch_digest(c), d);
}

TEST(Certificate, RoundTripsAndEvidenceToo) {
  test::seeded_rng rng;
  quorum_certificate cert;
  cert.view = 3;
  cert.sequence = 9;
  cert.committed = random_batch(rng, 2);
  cert.commits = {{0, signature{}}, {2, signature{}}};
  byte_writer w;
  encode(w, cert);
  byte_reader r(w.data());
  const auto back = decode_certificate(r);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, cert);
  evidence e;
  e.kind = offence::double_signing;
  e.offender = 1;
  e.messages = {signed_message(message_kind::prepare, 1, rng), signed_message(message_kind::prepare, 1, rng)};
  const auto eb = decode_evidence(encode(e));
  ASSERT_TRUE(eb.has_value());
  EXPECT_EQ(*eb, e);
  // Downtime has no evidence: the agreed participation proves it (ledger::record_committed).
  e.kind = offence::downtime;
  EXPECT_FALSE(decode_evidence(encode(e)).has_value());
}

}  // namespace
}  // namespace ciro::consensus
