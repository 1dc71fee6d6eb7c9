// Evidence re-checked, the slashing matrix, linear recovery, coordinated attacks, uptime, and a
// ledger that depends on the evidence alone.
#include "consensus/ledger.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "consensus/simulator.hpp"
#include "tests/support/seed.hpp"

namespace ciro::consensus {
namespace {

const validator_set& four() {
  static const validator_set set = simulation_validators(4);
  return set;
}

message vote(message_kind kind, std::uint32_t sender, std::uint64_t view, std::uint64_t sequence, std::uint8_t value) {
  message m;
  m.kind = kind;
  m.view = view;
  m.sequence = sequence;
  m.sender = sender;
  m.value[0] = value;
  sign_message(m, simulation_key(sender));
  return m;
}

evidence double_signing(std::uint32_t offender, std::uint64_t view = 1, std::uint64_t sequence = 5) {
  evidence e;
  e.kind = offence::double_signing;
  e.offender = offender;
  e.messages = {vote(message_kind::prepare, offender, view, sequence, 1),
                vote(message_kind::prepare, offender, view, sequence, 2)};
  return e;
}

/// A pre-prepare by validator 0 whose second verdict claims "valid" for a proof that fails.
message bad_pre_prepare() {
  message pp;
  pp.kind = message_kind::pre_prepare;
  pp.view = 0;
  pp.sequence = 3;
  for (int i = 0; i < 2; ++i) {
    verdict v;
    v.job_id = "job" + std::to_string(i);
    v.proof_digest[0] = i == 0 ? 1 : 4;  // 1 verifies, 4 does not (simulation_oracle)
    v.valid = true;
    pp.payload.verdicts.push_back(v);
  }
  pp.value = batch_digest(pp.payload);
  sign_message(pp, simulation_key(0));
  return pp;
}

evidence invalid_compute() {
  evidence e;
  e.kind = offence::invalid_compute;
  e.offender = 0;
  e.messages = {bad_pre_prepare()};
  e.verdict_index = 1;
  return e;
}

/// Certificates of sequences 10, 11, 12 at times 0, 3 h, 6 h, signed by validators 0, 1, 2.
evidence downtime_of_3() {
  evidence e;
  e.kind = offence::downtime;
  e.offender = 3;
  for (std::uint64_t k = 0; k < 3; ++k) {
    quorum_certificate cert;
    cert.view = 0;
    cert.sequence = 10 + k;
    cert.committed.time_s = k * 3 * 3600;
    const digest value = batch_digest(cert.committed);
    for (std::uint32_t s = 0; s < 3; ++s) {
      message c;
      c.kind = message_kind::commit;
      c.view = 0;
      c.sequence = cert.sequence;
      c.sender = s;
      c.value = value;
      sign_message(c, simulation_key(s));
      cert.commits.push_back({s, c.sig});
    }
    e.certificates.push_back(cert);
  }
  return e;
}

constexpr std::uint64_t day = seconds_per_day;

TEST(Evidence, EachKindChecksAndNamesItsOffender) {
  const auto a = check_evidence(double_signing(1), four(), simulation_oracle);
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(a.value().offender, 1u);
  const auto b = check_evidence(invalid_compute(), four(), simulation_oracle);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ(b.value().kind, offence::invalid_compute);
  const auto c = check_evidence(downtime_of_3(), four(), simulation_oracle);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c.value().offender, 3u);
}

TEST(Evidence, FalseEvidenceIsRefused) {
  using code = evidence_error_code;
  evidence same = double_signing(1);
  same.messages[1] = same.messages[0];
  EXPECT_EQ(check_evidence(same, four(), simulation_oracle).error().code, code::not_conflicting);
  evidence other_sequence = double_signing(1);
  other_sequence.messages[1] = vote(message_kind::prepare, 1, 1, 6, 2);
  EXPECT_EQ(check_evidence(other_sequence, four(), simulation_oracle).error().code, code::not_conflicting);
  evidence forged = double_signing(1);
  forged.messages[1].sig[0] ^= 1;
  EXPECT_EQ(check_evidence(forged, four(), simulation_oracle).error().code, code::bad_signature);
  evidence framed = double_signing(1);
  framed.offender = 2;
  EXPECT_FALSE(check_evidence(framed, four(), simulation_oracle).has_value());
  evidence right_verdict = invalid_compute();
  right_verdict.verdict_index = 0;
  EXPECT_EQ(check_evidence(right_verdict, four(), simulation_oracle).error().code, code::verdict_agrees);
  evidence past = invalid_compute();
  past.verdict_index = 2;
  EXPECT_EQ(check_evidence(past, four(), simulation_oracle).error().code, code::malformed);
  // A prepare for the bad batch convicts its sender with the pre-prepare beside it.
  evidence voter;
  voter.kind = offence::invalid_compute;
  voter.offender = 2;
  message p = vote(message_kind::prepare, 2, 0, 3, 0);
  p.value = bad_pre_prepare().value;
  sign_message(p, simulation_key(2));
  voter.messages = {p, bad_pre_prepare()};
  voter.verdict_index = 1;
  EXPECT_TRUE(check_evidence(voter, four(), simulation_oracle).has_value());
  evidence short_downtime = downtime_of_3();
  short_downtime.certificates.pop_back();
  EXPECT_EQ(check_evidence(short_downtime, four(), simulation_oracle).error().code, code::too_short);
  evidence gap = downtime_of_3();
  gap.certificates.erase(gap.certificates.begin() + 1);
  EXPECT_EQ(check_evidence(gap, four(), simulation_oracle).error().code, code::malformed);
  evidence present = downtime_of_3();
  present.offender = 2;
  EXPECT_EQ(check_evidence(present, four(), simulation_oracle).error().code, code::malformed);
  evidence thin = downtime_of_3();
  thin.certificates[1].commits.pop_back();
  EXPECT_EQ(check_evidence(thin, four(), simulation_oracle).error().code, code::bad_certificate);
}

TEST(Ledger, TheSlashingMatrix) {
  ledger l(four());
  const std::vector<evidence> all = {double_signing(1), invalid_compute(), downtime_of_3()};
  const auto events = l.apply(all, four(), simulation_oracle, 100 * day);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(l.stake(1), 700u);  // 30 %
  EXPECT_EQ(l.reputation(1, 100 * day), 50u);
  EXPECT_EQ(l.stake(0), 500u);  // 50 %
  EXPECT_EQ(l.reputation(0, 100 * day), 25u);
  EXPECT_EQ(l.stake(3), 950u);  // 5 %
  EXPECT_EQ(l.reputation(3, 100 * day), 90u);
  EXPECT_EQ(l.stake(2), 1000u);
  EXPECT_EQ(l.reputation(2, 100 * day), 100u);
  EXPECT_FALSE(l.banned(1));
  EXPECT_EQ(slashing_rule(penalty_kind::double_signing).recovery_days, 90u);
  EXPECT_EQ(slashing_rule(penalty_kind::downtime).recovery_days, 30u);
  EXPECT_EQ(slashing_rule(penalty_kind::invalid_compute).recovery_days, 180u);
  EXPECT_TRUE(slashing_rule(penalty_kind::coordinated_attack).permanent_ban);
}

TEST(Ledger, ReputationRecoversLinearlyOverTheStatedTime) {
  ledger l(four());
  const std::uint64_t t0 = 10 * day;
  (void)l.apply(std::vector{double_signing(1)}, four(), simulation_oracle, t0);
  EXPECT_EQ(l.reputation(1, t0), 50u);
  EXPECT_EQ(l.reputation(1, t0 + 45 * day), 75u);  // half of 90 days: half of the 50 points back
  EXPECT_EQ(l.reputation(1, t0 + 89 * day), 99u);  // ceil(50 x 1 / 90) = 1 still owed
  EXPECT_EQ(l.reputation(1, t0 + 90 * day), 100u);
  EXPECT_EQ(l.stake(1), 700u);  // stake does not come back
}

TEST(Ledger, MoreThanFOffendersInOneIncidentAreACoordinatedAttack) {
  ledger l(four());  // f = 1
  const auto events =
      l.apply(std::vector{double_signing(1, 2, 8), double_signing(2, 2, 8)}, four(), simulation_oracle, day);
  ASSERT_EQ(events.size(), 2u);
  for (const slash_event& e : events) {
    EXPECT_EQ(e.kind, penalty_kind::coordinated_attack);
    EXPECT_TRUE(e.banned);
    EXPECT_EQ(e.stake_slashed, 1000u);
  }
  EXPECT_TRUE(l.banned(1) && l.banned(2));
  EXPECT_EQ(l.stake(1), 0u);
  EXPECT_EQ(l.reputation(1, 1000 * day), 0u);
  // Two offenders in different incidents are two ordinary offences.
  ledger m(four());
  const auto separate =
      m.apply(std::vector{double_signing(1, 2, 8), double_signing(2, 2, 9)}, four(), simulation_oracle, day);
  ASSERT_EQ(separate.size(), 2u);
  EXPECT_EQ(separate[0].kind, penalty_kind::double_signing);
  EXPECT_FALSE(m.banned(1));
}

TEST(Ledger, TheSameEvidenceGivesTheSameLedgerInAnyOrderAndOnlyOnce) {
  test::seeded_rng rng;
  std::vector<evidence> all = {double_signing(1), invalid_compute(), downtime_of_3(), double_signing(2, 4, 4),
                               double_signing(1)};
  evidence forged = double_signing(3);
  forged.messages[0].sig[5] ^= 1;
  all.push_back(forged);
  ledger reference(four());
  (void)reference.apply(all, four(), simulation_oracle, 50 * day);
  EXPECT_EQ(reference.rejected(), 1u);
  for (int k = 0; k < 10; ++k) {
    std::shuffle(all.begin(), all.end(), rng.engine());
    ledger l(four());
    (void)l.apply(all, four(), simulation_oracle, 50 * day);
    EXPECT_EQ(l.state_digest(), reference.state_digest());
  }
  // Applying it again changes nothing.
  const digest before = reference.state_digest();
  EXPECT_TRUE(reference.apply(all, four(), simulation_oracle, 60 * day).empty());
  EXPECT_EQ(reference.state_digest(), before);
}

TEST(Ledger, UptimeIsTheShareOfCertificatesSignedOverThirtyDays) {
  ledger l(four());
  const evidence d = downtime_of_3();
  for (const quorum_certificate& c : d.certificates) l.record_participation(c);
  EXPECT_EQ(l.uptime_permille(0, 0), 1000u);
  EXPECT_EQ(l.uptime_permille(3, 0), 0u);
  EXPECT_EQ(l.uptime_permille(3, 31 * day), 1000u);  // out of the window: no record, full uptime
  const auto next = l.validators(0);
  EXPECT_EQ(next[3].uptime_permille, 0u);
  EXPECT_EQ(next[3].weight(), 0u);
  EXPECT_EQ(next[0].weight(), 1000u * 100u * 1000u);
}

TEST(Ledger, ASlashIsAnAlertInJson) {
  ledger l(four());
  const auto events = l.apply(std::vector{double_signing(1)}, four(), simulation_oracle, 7);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(alert_json(events[0]),
            R"({"alert": "slash", "offence": "double_signing", "validator": 1, "view": 1, "sequence": 5, "time_s": 7, )"
            R"("stake_before": 1000, "stake_slashed": 300, "reputation_points": 50, "banned": false})");
}

}  // namespace
}  // namespace ciro::consensus
