// Evidence re-checked, the slashing matrix, linear recovery, coordinated attacks, uptime and
// downtime from the agreed participation, and a ledger that depends on what was agreed alone.
#include "consensus/ledger.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

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

/// The commits of `senders` for batch `b` committed at `sequence` in view 0, as a later batch carries them.
participation_record commits_of(const std::vector<std::uint32_t>& senders, std::uint64_t sequence, const batch& b) {
  participation_record r;
  r.sequence = sequence;
  for (const std::uint32_t s : senders) {
    message c;
    c.kind = message_kind::commit;
    c.sequence = sequence;
    c.sender = s;
    c.value = batch_digest(b);
    sign_message(c, simulation_key(s));
    r.commits.push_back({s, c.sig});
  }
  return r;
}

/// A run of committed batches, one every `step_s` seconds from sequence 1, each carrying the
/// commits of the batch before it by the senders `signers` picks for that earlier sequence.
struct committed_run {
  ledger l{four()};
  std::vector<batch> batches;  ///< batches[k] committed at sequence k + 1
  std::vector<slash_event> slashes;

  void run(std::size_t count, std::uint64_t step_s,
           const std::function<std::vector<std::uint32_t>(std::uint64_t)>& signers) {
    for (std::size_t k = 0; k < count; ++k) {
      batch b;
      b.time_s = batches.size() * step_s;
      if (!batches.empty()) {
        const std::uint64_t previous = batches.size();
        b.participation.push_back(commits_of(signers(previous), previous, batches.back()));
      }
      batches.push_back(b);
      for (const slash_event& e : l.record_committed(batches.size(), b, four())) slashes.push_back(e);
    }
  }
};

constexpr std::uint64_t day = seconds_per_day;

TEST(Evidence, EachKindChecksAndNamesItsOffender) {
  const auto a = check_evidence(double_signing(1), four(), simulation_oracle);
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(a.value().offender, 1u);
  const auto b = check_evidence(invalid_compute(), four(), simulation_oracle);
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ(b.value().kind, offence::invalid_compute);
  evidence downtime = double_signing(1);
  downtime.kind = offence::downtime;  // proven by the agreed participation, never by evidence
  EXPECT_EQ(check_evidence(downtime, four(), simulation_oracle).error().code, evidence_error_code::malformed);
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
}

TEST(Ledger, TheSlashingMatrix) {
  ledger l(four());
  const std::vector<evidence> all = {double_signing(1), invalid_compute()};
  const auto events = l.apply(all, four(), simulation_oracle, 100 * day);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(l.stake(1), 700u);  // 30 %
  EXPECT_EQ(l.reputation(1, 100 * day), 50u);
  EXPECT_EQ(l.stake(0), 500u);  // 50 %
  EXPECT_EQ(l.reputation(0, 100 * day), 25u);
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
  std::vector<evidence> all = {double_signing(1), invalid_compute(), double_signing(2, 4, 4), double_signing(1)};
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

TEST(Ledger, DowntimeIsSixHoursAbsentFromTheAgreedParticipation) {
  // One batch an hour; validator 3's commits are never carried.
  committed_run r;
  r.run(participation_window + 6, 3600, [](std::uint64_t) { return std::vector<std::uint32_t>{0, 1, 2}; });
  EXPECT_TRUE(r.slashes.empty());  // sequences 1 .. 6 final, 5 hours of absence
  r.run(1, 3600, [](std::uint64_t) { return std::vector<std::uint32_t>{0, 1, 2}; });
  ASSERT_EQ(r.slashes.size(), 1u);  // sequence 7 final: 6 hours after sequence 1
  const slash_event& e = r.slashes[0];
  EXPECT_EQ(e.kind, penalty_kind::downtime);
  EXPECT_EQ(e.validator, 3u);
  EXPECT_EQ(e.sequence, 1u);  // the absence's first sequence
  EXPECT_EQ(e.time_s, 6u * 3600);
  EXPECT_EQ(r.l.stake(3), 950u);  // 5 %
  EXPECT_EQ(r.l.reputation(3, 6 * 3600), 90u);
  EXPECT_EQ(r.l.reputation(3, 6 * 3600 + 30 * day), 100u);
  EXPECT_EQ(r.l.uptime_permille(3, 6 * 3600), 0u);
  EXPECT_EQ(r.l.uptime_permille(0, 6 * 3600), 1000u);
  // The next absence starts after the slash: six more hours, one more slash.
  r.run(6, 3600, [](std::uint64_t) { return std::vector<std::uint32_t>{0, 1, 2}; });
  EXPECT_EQ(r.slashes.size(), 1u);
  r.run(1, 3600, [](std::uint64_t) { return std::vector<std::uint32_t>{0, 1, 2}; });
  ASSERT_EQ(r.slashes.size(), 2u);
  EXPECT_EQ(r.slashes[1].sequence, 8u);
  EXPECT_EQ(r.l.stake(3), 903u);  // 950 - floor(950 x 5 / 100)
}

TEST(Ledger, CommitsCarriedLateAddUpAndAnyCommitResetsTheAbsence) {
  // Validator 3's commit of each sequence comes one batch late, in the batch after the quorum's.
  committed_run r;
  for (std::size_t k = 0; k < participation_window / 2 + 40; ++k) {
    r.run(1, 3600, [](std::uint64_t) { return std::vector<std::uint32_t>{0, 1, 2}; });
    if (r.batches.size() >= 2) {
      // The next batch carries both records, in sequence order: 3's of the one before the last
      // sequence, the quorum's of the last.
      batch b;
      b.time_s = r.batches.size() * 3600;
      const std::uint64_t late = r.batches.size() - 1;
      b.participation.push_back(commits_of({3}, late, r.batches[late - 1]));
      b.participation.push_back(commits_of({0, 1, 2}, r.batches.size(), r.batches.back()));
      r.batches.push_back(b);
      for (const slash_event& e : r.l.record_committed(r.batches.size(), b, four())) r.slashes.push_back(e);
    }
  }
  EXPECT_TRUE(r.slashes.empty());
  EXPECT_GT(r.l.uptime_permille(3, r.batches.back().time_s), 400u);
  // Present once every five hours: never six hours absent.
  committed_run sparse;
  sparse.run(participation_window + 60, 3600, [](std::uint64_t s) {
    return s % 5 == 0 ? std::vector<std::uint32_t>{0, 1, 2, 3} : std::vector<std::uint32_t>{0, 1, 2};
  });
  EXPECT_TRUE(sparse.slashes.empty());
  EXPECT_EQ(sparse.l.stake(3), 1000u);
}

TEST(Ledger, ForgedOrUncarriedParticipationCountsForNobody) {
  // Commits of a quorum never carried (each batch carries only 0 and 1): no sequence counts, no one
  // is slashed, uptime stays full.
  committed_run thin;
  thin.run(participation_window + 60, 3600, [](std::uint64_t) { return std::vector<std::uint32_t>{0, 1}; });
  EXPECT_TRUE(thin.slashes.empty());
  EXPECT_EQ(thin.l.uptime_permille(3, thin.batches.back().time_s), 1000u);
  // A forged commit of validator 3 and its commit of a sequence not committed yet count for nothing:
  // 3 is slashed as if they were not there.
  committed_run forged;
  for (std::size_t k = 0; k < participation_window + 8; ++k) {
    batch b;
    b.time_s = forged.batches.size() * 3600;
    if (!forged.batches.empty()) {
      const std::uint64_t previous = forged.batches.size();
      participation_record r = commits_of({0, 1, 2, 3}, previous, forged.batches.back());
      r.commits[3].sig[7] ^= 1;
      b.participation.push_back(r);
      b.participation.push_back(commits_of({3}, previous + 5, forged.batches.back()));
    }
    forged.batches.push_back(b);
    for (const slash_event& e : forged.l.record_committed(forged.batches.size(), b, four())) forged.slashes.push_back(e);
  }
  ASSERT_EQ(forged.slashes.size(), 1u);
  EXPECT_EQ(forged.slashes[0].validator, 3u);
  EXPECT_EQ(forged.slashes[0].sequence, 1u);
}

TEST(Ledger, RecordsOutOfOrderAreSkippedAndBatchTimesNeverGoBack) {
  // Each batch carries the quorum's commits of the sequence before it, then records the ledger
  // skips: validator 3's commit again for that sequence (out of sequence order), and for the one
  // before (senders not increasing). 3 stays absent: slashed once, 6 hours after its absence began.
  committed_run r;
  for (std::size_t k = 0; k < participation_window + 8; ++k) {
    batch b;
    b.time_s = r.batches.size() * 3600;
    if (r.batches.size() >= 2) {
      const std::uint64_t previous = r.batches.size();
      b.participation.push_back(commits_of({0, 1, 2}, previous, r.batches.back()));
      b.participation.push_back(commits_of({3}, previous, r.batches.back()));
      participation_record unordered = commits_of({3, 0}, previous - 1, r.batches[previous - 2]);
      b.participation.push_back(unordered);
    } else if (!r.batches.empty()) {
      b.participation.push_back(commits_of({0, 1, 2}, 1, r.batches.back()));
    }
    r.batches.push_back(b);
    for (const slash_event& e : r.l.record_committed(r.batches.size(), b, four())) r.slashes.push_back(e);
  }
  ASSERT_EQ(r.slashes.size(), 1u);
  EXPECT_EQ(r.slashes[0].validator, 3u);
  EXPECT_EQ(r.slashes[0].sequence, 1u);
  // A batch dated before the last one counts at the last one's time: a clock set back by a
  // proposer neither ends an absence early nor counts twice in a day.
  committed_run back;
  back.run(participation_window + 6, 3600, [](std::uint64_t) { return std::vector<std::uint32_t>{0, 1, 2}; });
  batch old;
  old.time_s = 0;
  old.participation.push_back(commits_of({0, 1, 2}, back.batches.size(), back.batches.back()));
  back.batches.push_back(old);
  const auto slashes = back.l.record_committed(back.batches.size(), old, four());
  ASSERT_EQ(slashes.size(), 1u);  // sequence 7 final, at 6 hours: its own time, not the old batch's
  EXPECT_EQ(slashes[0].time_s, 6u * 3600);
}

TEST(Ledger, AReplayedSequenceChangesNothingAndEqualRunsGiveEqualLedgers) {
  const auto signers = [](std::uint64_t s) {
    return s % 3 == 0 ? std::vector<std::uint32_t>{1, 2, 3} : std::vector<std::uint32_t>{0, 1, 2, 3};
  };
  committed_run a, b;
  a.run(participation_window + 40, 1800, signers);
  b.run(participation_window + 40, 1800, signers);
  EXPECT_EQ(a.l.state_digest(), b.l.state_digest());
  const digest before = a.l.state_digest();
  for (std::size_t k = 0; k < a.batches.size(); ++k) EXPECT_TRUE(a.l.record_committed(k + 1, a.batches[k], four()).empty());
  EXPECT_EQ(a.l.state_digest(), before);
  // Sequences 1 .. 40 are final; validator 0 signed those that are not multiples of 3.
  const std::uint64_t now = a.batches.back().time_s, counted = 40, signed_by_0 = counted - counted / 3;
  EXPECT_EQ(a.l.uptime_permille(0, now), 1000 * signed_by_0 / counted);
  EXPECT_EQ(a.l.uptime_permille(3, now), 1000u);
  EXPECT_EQ(a.l.uptime_permille(3, now + 31 * day), 1000u);  // out of the window: no record, full uptime
  const auto next = a.l.validators(now);
  EXPECT_EQ(next[3].weight(), 1000u * 100u * 1000u);
  EXPECT_LT(next[0].weight(), next[3].weight());
}

TEST(Ledger, ARestoredLedgerGoesOnAsTheOriginal) {
  committed_run a;
  a.run(participation_window + 14, 3600, [](std::uint64_t) { return std::vector<std::uint32_t>{0, 1, 2}; });
  ASSERT_FALSE(a.slashes.empty());
  (void)a.l.apply(std::vector{double_signing(1)}, four(), simulation_oracle, a.batches.back().time_s);
  const std::vector<std::uint8_t> bytes = a.l.encode();
  auto back = ledger::restore(bytes, four());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->state_digest(), a.l.state_digest());
  // Both go on alike: the restored one has the open sequences and the absences too.
  committed_run b;
  b.l = *back;
  b.batches = a.batches;
  a.run(10, 3600, [](std::uint64_t) { return std::vector<std::uint32_t>{0, 1, 2}; });
  b.run(10, 3600, [](std::uint64_t) { return std::vector<std::uint32_t>{0, 1, 2}; });
  EXPECT_EQ(b.l.state_digest(), a.l.state_digest());
  // Truncations, a byte more and another validator set are refused.
  for (std::size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 97)
    EXPECT_FALSE(ledger::restore(std::span(bytes).first(cut), four()).has_value()) << cut;
  std::vector<std::uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(ledger::restore(longer, four()).has_value());
  EXPECT_FALSE(ledger::restore(bytes, simulation_validators(5)).has_value());
}

TEST(Ledger, AnotherSetOfTheSameValidatorsStartsAnEpoch) {
  committed_run a;
  a.run(participation_window + 8, 3600, [](std::uint64_t) { return std::vector<std::uint32_t>{0, 1, 2, 3}; });
  ASSERT_TRUE(a.l.clock().has_value());
  (void)a.l.apply(std::vector{double_signing(3)}, four(), simulation_oracle, *a.l.clock());
  ASSERT_EQ(a.l.stake(3), 700u);
  // The next epoch's set: the same keys with the weights the ledger gives them.
  const auto next = validator_set::make(a.l.validators(*a.l.clock()));
  ASSERT_TRUE(next.has_value()) << next.error().message;
  EXPECT_NE(next.value().digest(), four().digest());
  auto epoch = ledger::restore(a.l.encode(), next.value());
  ASSERT_TRUE(epoch.has_value());
  EXPECT_FALSE(epoch->last_sequence().has_value());  // its replicas number batches from 1 again
  EXPECT_EQ(epoch->stake(3), 700u);                   // the accounts go on
  EXPECT_EQ(epoch->offences().size(), 1u);
  batch first;
  first.time_s = *a.l.clock() + 3600;
  EXPECT_TRUE(epoch->record_committed(1, first, next.value()).empty());
  EXPECT_EQ(epoch->last_sequence(), std::optional<std::uint64_t>(1));
  // The same set again restores the ledger as it was.
  auto same = ledger::restore(a.l.encode(), four());
  ASSERT_TRUE(same.has_value());
  EXPECT_EQ(same->state_digest(), a.l.state_digest());
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
