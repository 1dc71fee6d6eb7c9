// The replica driven directly: the normal case, certificates, checkpoints and garbage
// collection, drops by reason, refusal of invalid verdicts, view change, persistence.
#include "consensus/replica.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>

#include "consensus/simulator.hpp"
#include "tests/support/seed.hpp"

namespace ciro::consensus {
namespace {

replica_config config_of(std::uint32_t self, std::size_t n) {
  replica_config c;
  c.validators = simulation_validators(n);
  c.self = self;
  c.key = simulation_key(self);
  c.checker = simulation_oracle;
  c.checkpoint_interval = 4;
  c.window = 8;
  c.request_timeout = 20;
  return c;
}

batch request(int i, bool honest = true) {
  batch b;
  b.time_s = static_cast<std::uint64_t>(i);
  verdict v;
  v.job_id = "job" + std::to_string(i);
  v.proof_digest[0] = static_cast<std::uint8_t>(1 + 4 * (i % 60));  // verifies (simulation_oracle)
  v.valid = honest;
  b.verdicts.push_back(v);
  return b;
}

/// N replicas on a synchronous network: every message is delivered (unless `drop` says so)
/// before the next input.
struct cluster {
  explicit cluster(std::size_t n) {
    for (std::uint32_t i = 0; i < n; ++i) replicas.emplace_back(config_of(i, n));
    decisions.resize(n);
  }
  void submit_all(const batch& b) {
    for (std::uint32_t i = 0; i < replicas.size(); ++i) {
      if (up(i)) (void)replicas[i].submit(b);
    }
    pump();
  }
  void tick_all(int ticks) {
    for (int t = 0; t < ticks; ++t) {
      for (std::uint32_t i = 0; i < replicas.size(); ++i) {
        if (up(i)) replicas[i].tick();
      }
      pump();
    }
  }
  void pump() {
    std::deque<std::pair<std::uint32_t, message>> queue;
    for (int rounds = 0; rounds < 10000; ++rounds) {
      for (std::uint32_t i = 0; i < replicas.size(); ++i) {
        replica_output out = replicas[i].take_output();
        for (auto& d : out.decisions) decisions[i].push_back(std::move(d));
        for (auto& e : out.found) found.push_back(std::move(e));
        for (auto& m : out.broadcast) queue.emplace_back(i, std::move(m));
      }
      if (queue.empty()) return;
      while (!queue.empty()) {
        const auto [from, m] = std::move(queue.front());
        queue.pop_front();
        for (std::uint32_t to = 0; to < replicas.size(); ++to) {
          if (to != from && up(to) && up(from) && !(drop && drop(from, to, m))) replicas[to].receive(m);
        }
      }
    }
  }
  bool up(std::uint32_t i) const { return !down || *down != i; }

  std::vector<replica> replicas;
  std::vector<std::vector<quorum_certificate>> decisions;
  std::vector<evidence> found;
  std::function<bool(std::uint32_t, std::uint32_t, const message&)> drop;
  std::optional<std::uint32_t> down;
};

TEST(Replica, FourReplicasCommitEveryRequestInOrderWithCheckableCertificates) {
  cluster c(4);
  for (int i = 0; i < 6; ++i) c.submit_all(request(i));
  for (std::uint32_t r = 0; r < 4; ++r) {
    ASSERT_EQ(c.decisions[r].size(), 6u) << r;
    for (std::size_t k = 0; k < 6; ++k) {
      EXPECT_EQ(c.decisions[r][k].sequence, k + 1);
      EXPECT_EQ(c.decisions[r][k].committed, request(static_cast<int>(k)));
      EXPECT_TRUE(check_certificate(c.decisions[r][k], c.replicas[0].validators()).has_value());
    }
    EXPECT_EQ(c.replicas[r].view(), 0u);
    EXPECT_EQ(c.replicas[r].last_executed(), 6u);
    EXPECT_EQ(c.replicas[r].state_digest(), c.replicas[0].state_digest());
  }
  EXPECT_TRUE(c.found.empty());
}

TEST(Replica, ATamperedCertificateFailsItsCheck) {
  cluster c(4);
  c.submit_all(request(1));
  const quorum_certificate cert = c.decisions[1].at(0);
  const validator_set& set = c.replicas[0].validators();
  using code = certificate_error_code;
  quorum_certificate changed = cert;
  changed.committed.verdicts[0].valid = false;
  EXPECT_EQ(check_certificate(changed, set).error().code, code::bad_signature);
  changed = cert;
  ++changed.sequence;
  EXPECT_EQ(check_certificate(changed, set).error().code, code::bad_signature);
  changed = cert;
  changed.commits.resize(2);
  EXPECT_EQ(check_certificate(changed, set).error().code, code::no_quorum);
  changed = cert;
  changed.commits.push_back(changed.commits.front());
  EXPECT_EQ(check_certificate(changed, set).error().code, code::repeated_signer);
  changed = cert;
  changed.commits.front().sender = 9;
  EXPECT_EQ(check_certificate(changed, set).error().code, code::unknown_signer);
  EXPECT_FALSE(check_certificate(cert, simulation_validators(7)).has_value());
}

TEST(Replica, CheckpointsBecomeStableAndTheLogIsCollected) {
  cluster c(4);
  for (int i = 0; i < 9; ++i) c.submit_all(request(i));
  for (const replica& r : c.replicas) {
    EXPECT_EQ(r.last_executed(), 9u);
    EXPECT_EQ(r.stable_checkpoint(), 8u);  // interval 4: checkpoints 4 and 8
  }
  // The window is 8 above the stable checkpoint: the log never holds more.
  for (int i = 9; i < 30; ++i) c.submit_all(request(i));
  for (const replica& r : c.replicas) EXPECT_EQ(r.last_executed(), 30u);
}

TEST(Replica, ALaggingReplicaJumpsToAStableCheckpoint) {
  cluster c(4);
  c.down = 3;
  for (int i = 0; i < 12; ++i) c.submit_all(request(i));
  EXPECT_EQ(c.replicas[3].last_executed(), 0u);
  c.down.reset();
  c.tick_all(20);  // retransmissions carry the checkpoints
  EXPECT_EQ(c.replicas[3].stable_checkpoint(), 12u);
  EXPECT_EQ(c.replicas[3].last_executed(), 12u);
  EXPECT_EQ(c.replicas[3].state_digest(), c.replicas[0].state_digest());
  c.submit_all(request(99));
  EXPECT_EQ(c.replicas[3].last_executed(), 13u);
}

TEST(Replica, DropsAreCountedByReason) {
  test::seeded_rng rng;
  cluster c(4);
  c.submit_all(request(1));
  replica& r = c.replicas[1];
  const drop_counters before = r.drops();
  message commit;
  commit.kind = message_kind::commit;
  commit.view = 0;
  commit.sequence = 2;
  commit.sender = 2;
  commit.value[0] = 7;
  message unknown = commit;
  unknown.sender = 17;
  r.receive(unknown);
  EXPECT_EQ(r.drops().unknown_sender, before.unknown_sender + 1);
  r.receive(commit);  // unsigned
  EXPECT_EQ(r.drops().unsigned_messages, before.unsigned_messages + 1);
  message forged = commit;
  sign_message(forged, simulation_key(3));  // signed by 3, claims 2
  r.receive(forged);
  EXPECT_EQ(r.drops().forged, before.forged + 1);
  message far = commit;
  far.sequence = 100;
  sign_message(far, simulation_key(2));
  r.receive(far);
  EXPECT_EQ(r.drops().out_of_window, before.out_of_window + 1);
  message ahead = commit;
  ahead.view = 5;
  sign_message(ahead, simulation_key(2));
  r.receive(ahead);
  EXPECT_EQ(r.drops().out_of_window, before.out_of_window + 2);
  // A replay of a commit it already holds.
  const quorum_certificate& cert = c.decisions[1].at(0);
  r.receive(commit_message(cert, batch_digest(cert.committed), cert.commits.back()));
  EXPECT_EQ(r.drops().replayed, before.replayed + 1);
  // A message claiming to be its own.
  message mine = commit;
  mine.sender = 1;
  sign_message(mine, simulation_key(1));
  r.receive(mine);
  EXPECT_EQ(r.drops().replayed, before.replayed + 2);
}

TEST(Replica, AnInvalidVerdictIsRefusedWithEvidenceAndThePrimaryReplaced) {
  cluster c(4);
  // The primary (0) accepts anything; the batch claims "valid" for a proof that fails.
  c.replicas[0] = replica([] {
    replica_config rc = config_of(0, 4);
    rc.checker = [](const verdict&) { return true; };
    return rc;
  }());
  batch bad = request(1);
  bad.verdicts[0].proof_digest[0] = 0;
  EXPECT_TRUE(c.replicas[0].submit(bad));
  for (std::uint32_t i = 1; i < 4; ++i) EXPECT_FALSE(c.replicas[i].submit(bad));  // honest ones check first
  c.pump();
  for (std::uint32_t i = 1; i < 4; ++i) EXPECT_TRUE(c.decisions[i].empty());
  ASSERT_FALSE(c.found.empty());
  for (const evidence& e : c.found) {
    EXPECT_EQ(e.kind, offence::invalid_compute);
    EXPECT_EQ(e.offender, 0u);
    EXPECT_TRUE(check_evidence(e, c.replicas[1].validators(), simulation_oracle).has_value());
  }
  for (std::uint32_t i = 1; i < 4; ++i) EXPECT_GE(c.replicas[i].view(), 1u);
  // The next primary commits honest requests.
  c.submit_all(request(2));
  for (std::uint32_t i = 1; i < 4; ++i) {
    ASSERT_FALSE(c.decisions[i].empty());
    EXPECT_EQ(c.decisions[i].back().committed, request(2));
  }
}

TEST(Replica, ASilentPrimaryIsReplacedAndPreparedBatchesSurviveTheViewChange) {
  cluster c(4);
  c.submit_all(request(1));
  // Commits of view 0 are lost from now on: request 2 prepares everywhere but commits nowhere;
  // then the primary falls silent.
  c.drop = [](std::uint32_t, std::uint32_t, const message& m) { return m.kind == message_kind::commit && m.view == 0; };
  c.submit_all(request(2));
  for (const auto& d : c.decisions) EXPECT_EQ(d.size(), 1u);
  c.down = 0;
  c.tick_all(60);
  for (std::uint32_t i = 1; i < 4; ++i) {
    EXPECT_EQ(c.replicas[i].view(), 1u);
    EXPECT_FALSE(c.replicas[i].in_view_change());
    ASSERT_EQ(c.decisions[i].size(), 2u);
    EXPECT_EQ(c.decisions[i][1].sequence, 2u);
    EXPECT_EQ(c.decisions[i][1].committed, request(2));
    EXPECT_EQ(c.decisions[i][1].view, 1u);
  }
}

TEST(Replica, PersistedStateRestoresExactlyAndTheReplicaRejoins) {
  cluster c(4);
  for (int i = 0; i < 5; ++i) c.submit_all(request(i));
  const auto saved = c.replicas[2].persist();
  auto restored = replica::restore(config_of(2, 4), saved);
  ASSERT_TRUE(restored.has_value()) << restored.error().message;
  EXPECT_EQ(restored.value().persist(), saved);
  EXPECT_EQ(restored.value().last_executed(), 5u);
  EXPECT_EQ(restored.value().state_digest(), c.replicas[2].state_digest());
  // Crash 2, go on without it, restart it from its saved state: it catches up.
  c.down = 2;
  for (int i = 5; i < 7; ++i) c.submit_all(request(i));
  c.replicas[2] = std::move(restored).value();
  c.down.reset();
  c.tick_all(20);
  EXPECT_EQ(c.replicas[2].last_executed(), 7u);
  EXPECT_EQ(c.replicas[2].state_digest(), c.replicas[0].state_digest());
}

TEST(Replica, RestoreRefusesTruncatedForeignAndCorruptState) {
  cluster c(4);
  c.submit_all(request(1));
  const auto saved = c.replicas[1].persist();
  for (std::size_t n = 0; n < saved.size(); n += 7) {
    EXPECT_FALSE(replica::restore(config_of(1, 4), std::span(saved).first(n)).has_value()) << n;
  }
  EXPECT_EQ(replica::restore(config_of(2, 4), saved).error().code, restore_error_code::wrong_replica);
  auto longer = saved;
  longer.push_back(0);
  EXPECT_EQ(replica::restore(config_of(1, 4), longer).error().code, restore_error_code::malformed);
}

}  // namespace
}  // namespace ciro::consensus
