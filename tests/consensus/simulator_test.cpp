// The deterministic simulator and its checkers (safety, validity, liveness, honest never slashed).
#include "consensus/simulator.hpp"

#include <gtest/gtest.h>

#include <cstdio>

#include "tests/consensus/violations.hpp"
#include "tests/support/seed.hpp"

namespace ciro::consensus {
namespace {

simulation_config with_f_byzantine(std::size_t n) {
  simulation_config config;
  config.replicas = n;
  config.byzantine = (n - 1) / 3;
  return config;
}

TEST(Simulator, WithoutFaultsEveryRequestCommitsInViewZero) {
  simulation_config config;
  config.byzantine = 0;
  config.faults = false;
  config.random_delays = false;
  config.requests = 20;
  const simulation_result r = simulate(config, test::seed());
  EXPECT_TRUE(r.violations.empty()) << describe(r.violations);
  EXPECT_EQ(r.batches_committed, 20u);
  EXPECT_EQ(r.view_changes, 0u);
  EXPECT_EQ(r.slashes, 0u);
  ASSERT_TRUE(r.first_certificate.has_value());
  EXPECT_TRUE(check_certificate(*r.first_certificate, simulation_validators(4)).has_value());
}

TEST(Simulator, ASilentPrimaryIsReplacedByAViewChange) {
  simulation_config config;
  config.byzantine = 1;
  config.behaviour = byzantine_behaviour::silent;
  config.faults = false;
  config.requests = 3;
  for (std::uint64_t seed = test::seed(); seed < test::seed() + 30; ++seed) {
    const simulation_result r = simulate(config, seed);
    ASSERT_TRUE(r.violations.empty()) << describe(r.violations);
    EXPECT_EQ(r.batches_committed, 3u);
    EXPECT_GE(r.view_changes, 1u);
  }
}

TEST(Simulator, EquivocatingAndInvalidVotingPrimariesAreSlashedNeverHonestOnes) {
  for (const auto behaviour : {byzantine_behaviour::equivocate, byzantine_behaviour::invalid_votes}) {
    simulation_config config;
    config.behaviour = behaviour;
    config.faults = false;
    const simulation_summary s = simulate_many(config, test::seed(), 20);
    EXPECT_TRUE(s.violations.empty()) << behaviour_name(behaviour) << "\n" << describe(s.violations);
    EXPECT_GT(s.slashes, 0u) << behaviour_name(behaviour);
    EXPECT_GT(s.view_changes, 0u) << behaviour_name(behaviour);
  }
}

TEST(Simulator, ForgedUnsignedAndReplayedMessagesAreDroppedAndCounted) {
  simulation_config config;
  config.faults = false;
  config.behaviour = byzantine_behaviour::forge;
  simulation_summary s = simulate_many(config, test::seed(), 5);
  EXPECT_TRUE(s.violations.empty()) << describe(s.violations);
  EXPECT_GT(s.drops.forged, 0u);
  EXPECT_GT(s.drops.unsigned_messages, 0u);
  config.behaviour = byzantine_behaviour::replay;
  s = simulate_many(config, test::seed(), 5);
  EXPECT_TRUE(s.violations.empty()) << describe(s.violations);
  EXPECT_GT(s.drops.replayed + s.drops.stale, 0u);
}

// 1,000 schedules in the unit label, as two tests ctest runs side by side: 700 with N = 4 and
// 300 with N = 7, f Byzantine replicas each, under loss, duplication, reordering, partitions and
// crashes until the heal step.
TEST(Simulator, SevenHundredSchedulesOfFourReplicasWithOneByzantineHaveNoViolation) {
  const simulation_summary s = simulate_many(with_f_byzantine(4), test::seed(), 700);
  EXPECT_TRUE(s.violations.empty()) << describe(s.violations);
  EXPECT_GT(s.batches_committed, 700u);
  std::printf("N=4: %zu schedules, %zu commits, %llu view changes, %zu slashes\n", s.schedules, s.batches_committed,
              static_cast<unsigned long long>(s.view_changes), s.slashes);
}

TEST(Simulator, ThreeHundredSchedulesOfSevenReplicasWithTwoByzantineHaveNoViolation) {
  const simulation_summary s = simulate_many(with_f_byzantine(7), test::seed(), 300);
  EXPECT_TRUE(s.violations.empty()) << describe(s.violations);
  EXPECT_GT(s.batches_committed, 300u);
  std::printf("N=7: %zu schedules, %zu commits, %llu view changes, %zu slashes\n", s.schedules, s.batches_committed,
              static_cast<unsigned long long>(s.view_changes), s.slashes);
}

TEST(Simulator, FPlusOneColludingReplicasBreakSafetyAndTheCheckerSaysSo) {
  for (const std::size_t n : {4, 7}) {
    simulation_config config;
    config.replicas = n;
    config.byzantine = (n - 1) / 3 + 1;
    config.behaviour = byzantine_behaviour::collude;
    config.liveness_bound = 300;
    const simulation_summary s = simulate_many(config, test::seed(), 20);
    bool safety = false;
    for (const violation& v : s.violations) safety = safety || v.property == "safety";
    EXPECT_TRUE(safety) << "N=" << n << ": no safety violation found in 20 schedules";
  }
}

TEST(Simulator, AFailingSeedReplaysTheSameRun) {
  simulation_config config;
  config.replicas = 4;
  config.byzantine = 2;
  config.behaviour = byzantine_behaviour::collude;
  config.liveness_bound = 300;
  const simulation_summary s = simulate_many(config, test::seed(), 20);
  ASSERT_FALSE(s.violations.empty());
  const violation& v = s.violations.front();
  const simulation_result again = simulate(config, v.seed);
  ASSERT_FALSE(again.violations.empty());
  EXPECT_EQ(again.violations.front().property, v.property);
  EXPECT_EQ(again.violations.front().step, v.step);
  EXPECT_EQ(again.violations.front().detail, v.detail);
}

TEST(Simulator, TheSameSeedGivesTheSameResult) {
  const simulation_config config = with_f_byzantine(4);
  for (std::uint64_t seed = test::seed(); seed < test::seed() + 10; ++seed) {
    const simulation_result a = simulate(config, seed), b = simulate(config, seed);
    EXPECT_EQ(a.steps, b.steps);
    EXPECT_EQ(a.messages, b.messages);
    EXPECT_EQ(a.batches_committed, b.batches_committed);
    EXPECT_EQ(a.view_changes, b.view_changes);
    EXPECT_EQ(a.slashes, b.slashes);
    EXPECT_EQ(a.drops, b.drops);
    EXPECT_EQ(a.first_certificate, b.first_certificate);
  }
}

}  // namespace
}  // namespace ciro::consensus
