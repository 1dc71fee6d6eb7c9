// 10,000 simulated schedules (label slow): 7,000 of four replicas and 3,000 of seven, f Byzantine.
#include "consensus/simulator.hpp"

#include <gtest/gtest.h>

#include "tests/consensus/violations.hpp"
#include "tests/support/seed.hpp"

namespace ciro::consensus {
namespace {

void run(std::size_t n, std::size_t schedules) {
  simulation_config config;
  config.replicas = n;
  config.byzantine = (n - 1) / 3;
  // Seeds past those of the unit tests.
  const simulation_summary s = simulate_many(config, test::seed() + 1000, schedules);
  EXPECT_TRUE(s.violations.empty()) << describe(s.violations);
  EXPECT_GT(s.batches_committed, schedules);
}

TEST(SimulatorSlow, SevenThousandSchedulesOfFourReplicasHaveNoViolation) { run(4, 7000); }
TEST(SimulatorSlow, ThreeThousandSchedulesOfSevenReplicasHaveNoViolation) { run(7, 3000); }

}  // namespace
}  // namespace ciro::consensus
