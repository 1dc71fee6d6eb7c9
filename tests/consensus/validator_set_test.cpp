// The validator set: weights, quorum thresholds, f, and the refusals.
#include "consensus/validator_set.hpp"

#include <gtest/gtest.h>

#include "consensus/digest.hpp"
#include "consensus/simulator.hpp"

namespace ciro::consensus {
namespace {

std::vector<validator> validators_with_stakes(const std::vector<std::uint64_t>& stakes) {
  std::vector<validator> out;
  for (std::size_t i = 0; i < stakes.size(); ++i) {
    validator v;
    v.key = simulation_key(i).public_key_bytes;
    v.stake = stakes[i];
    out.push_back(v);
  }
  return out;
}

TEST(ValidatorSet, WeightIsStakeTimesReputationTimesUptime) {
  validator v;
  v.stake = 1000;
  v.reputation = 50;
  v.uptime_permille = 900;
  EXPECT_EQ(v.weight(), 1000u * 50u * 900u);
  v.uptime_permille = 0;
  EXPECT_EQ(v.weight(), 0u);
}

TEST(ValidatorSet, EqualWeightsTolerateFloorOfNMinusOneOverThree) {
  for (std::size_t n = 4; n <= 13; ++n) {
    const auto set = validator_set::make(validators_with_stakes(std::vector<std::uint64_t>(n, 10)));
    ASSERT_TRUE(set.has_value()) << n;
    EXPECT_EQ(set.value().fault_tolerance(), (n - 1) / 3) << n;
    EXPECT_GE(n, 3 * set.value().fault_tolerance() + 1);
  }
}

TEST(ValidatorSet, FCountsTheSmallestSetHoldingAThirdOfTheWeight) {
  // Total 100: the heaviest (40) alone holds a third: f = 0, refused.
  EXPECT_FALSE(validator_set::make(validators_with_stakes({40, 20, 20, 20})).has_value());
  // Total 100 over nine: 20 + 10 < 33.4 <= 20 + 10 + 10: f = 2.
  const auto set = validator_set::make(validators_with_stakes({10, 10, 10, 20, 10, 10, 10, 10, 10}));
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ(set.value().fault_tolerance(), 2u);
}

TEST(ValidatorSet, AQuorumIsMoreThanTwoThirdsOfTheWeight) {
  const auto set = validator_set::make(validators_with_stakes({1, 1, 1, 1, 1, 1}));  // W = 6 x 10^5
  ASSERT_TRUE(set.has_value());
  const std::uint64_t unit = set.value().weight(0);
  EXPECT_FALSE(set.value().is_quorum(4 * unit));  // exactly two thirds is not enough
  EXPECT_TRUE(set.value().is_quorum(4 * unit + 1));
  EXPECT_TRUE(set.value().is_third(2 * unit));
  EXPECT_FALSE(set.value().is_third(2 * unit - 1));
  EXPECT_EQ(set.value().primary(7), 1u);
}

TEST(ValidatorSet, RefusesEmptyDuplicateOutOfRangeAndWeightless) {
  using code = validator_set_error_code;
  EXPECT_EQ(validator_set::make({}).error().code, code::empty);
  auto dup = validators_with_stakes({1, 1, 1, 1});
  dup[3].key = dup[0].key;
  EXPECT_EQ(validator_set::make(dup).error().code, code::duplicate_key);
  auto big = validators_with_stakes({1, 1, 1, 1});
  big[0].stake = max_stake + 1;
  EXPECT_EQ(validator_set::make(big).error().code, code::out_of_range);
  auto rep = validators_with_stakes({1, 1, 1, 1});
  rep[0].reputation = 101;
  EXPECT_EQ(validator_set::make(rep).error().code, code::out_of_range);
  EXPECT_EQ(validator_set::make(validators_with_stakes({0, 0, 0, 0})).error().code, code::zero_weight);
  EXPECT_EQ(validator_set::make(validators_with_stakes({1, 1, 1})).error().code, code::no_fault_tolerated);
  EXPECT_EQ(validator_set::make(std::vector<validator>(max_validators + 1)).error().code, code::too_many);
}

TEST(ValidatorSet, TheDigestNamesKeysAndWeights) {
  const auto a = validator_set::make(validators_with_stakes({3, 3, 3, 3}));
  const auto b = validator_set::make(validators_with_stakes({3, 3, 3, 4}));
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_NE(a.value().digest(), b.value().digest());
  EXPECT_EQ(a.value().digest(), validator_set::make(validators_with_stakes({3, 3, 3, 3})).value().digest());
}

}  // namespace
}  // namespace ciro::consensus
