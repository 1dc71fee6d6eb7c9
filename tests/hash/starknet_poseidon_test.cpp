#include "hash/starknet_poseidon.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <vector>

#include "tests/support/seed.hpp"

namespace {

using ciro::field::felt252;
using namespace ciro::hash::starknet;

nlohmann::json vectors() {
  std::ifstream in(ciro::test::vectors_path("starknet_poseidon.json"));
  EXPECT_TRUE(in.good()) << "missing starknet_poseidon.json";
  return nlohmann::json::parse(in);
}

felt252 hex(const std::string& s) {
  const auto x = felt252::from_hex(s);
  EXPECT_TRUE(x.has_value()) << s;
  return x.value_or(felt252::zero());
}

felt252 random_felt(ciro::test::seeded_rng& rng) {
  return felt252::from_limbs_mod_p({rng.next(), rng.next(), rng.next(), rng.next() >> 4});
}

// Slow reference: the round structure written out directly with plain field operations
// (no lazy reduction, no constant folding), constants re-derived from SHA-256 at run time.
poseidon_state reference_hades(poseidon_state s) {
  for (std::uint32_t r = 0; r < poseidon_rounds; ++r) {
    for (std::uint32_t j = 0; j < 3; ++j) s[j] += poseidon_round_constant(3 * r + j);
    const bool full = r < 4 || r >= 4 + 83;
    for (std::uint32_t j = full ? 0 : 2; j < 3; ++j) s[j] = s[j] * s[j] * s[j];
    const felt252 three = felt252::from_u64(3), two = felt252::two();
    s = {three * s[0] + s[1] + s[2], s[0] - s[1] + s[2], s[0] + s[1] - two * s[2]};
  }
  return s;
}

TEST(StarknetPoseidon, RoundConstantsMatchVectorsAndSha256Derivation) {
  const auto v = vectors();
  const auto& rc = poseidon_round_constants();
  for (int j = 0; j < 3; ++j) EXPECT_EQ(rc[0][j], hex(v["ark0"][j].get<std::string>())) << j;
  for (std::uint32_t r = 0; r < poseidon_rounds; ++r) {
    for (std::uint32_t j = 0; j < 3; ++j) ASSERT_EQ(rc[r][j], poseidon_round_constant(3 * r + j)) << r << "," << j;
  }
}

TEST(StarknetPoseidon, PermutationOfZeroMatchesKnownAnswer) {
  const auto v = vectors();
  poseidon_state s{};
  hades_permutation(s);
  for (int j = 0; j < 3; ++j) EXPECT_EQ(s[j], hex(v["vectors"]["hades([0,0,0])"][j].get<std::string>())) << j;
}

TEST(StarknetPoseidon, HashModesMatchKnownAnswers) {
  const auto v = vectors()["vectors"];
  EXPECT_EQ(poseidon_hash(felt252::from_u64(1), felt252::from_u64(2)), hex(v["poseidon_hash(1, 2)"]));
  EXPECT_EQ(poseidon_hash_many({}), hex(v["poseidon_hash_many([])"]));
  const felt252 xs[] = {felt252::from_u64(0), felt252::from_u64(1), felt252::from_u64(2)};
  EXPECT_EQ(poseidon_hash_many(xs), hex(v["poseidon_hash_many([0,1,2])"]));
  EXPECT_EQ(poseidon_hash_single(hex("0x9dad5d6f502ccbcb6d34ede04f0337df3b98936aaf782f4cc07d147e3a4fd6")),
            hex(v["poseidon_hash_single(0x9dad5d6f502ccbcb6d34ede04f0337df3b98936aaf782f4cc07d147e3a4fd6)"]));
}

TEST(StarknetPoseidon, PermutationMatchesSlowReferenceOnRandomStates) {
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 200; ++i) {
    poseidon_state s = {random_felt(rng), random_felt(rng), random_felt(rng)};
    if (i == 0) s = {-felt252::one(), -felt252::one(), -felt252::one()};  // largest inputs
    const poseidon_state expected = reference_hades(s);
    hades_permutation(s);
    ASSERT_EQ(s, expected) << "i=" << i;
  }
}

TEST(StarknetPoseidon, LazyReductionMatchesSlowReferenceOnEdgeStates) {
  // The fast permutation keeps lanes lazily reduced (< 2p) between rounds; states built from
  // 0, 1, 2, p - 2 and p - 1 (the largest canonical inputs) must still give the exact answer.
  const felt252 edges[] = {felt252::zero(), felt252::one(), felt252::two(), -felt252::two(), -felt252::one()};
  for (const felt252& a : edges) {
    for (const felt252& b : edges) {
      for (const felt252& c : edges) {
        poseidon_state s = {a, b, c};
        const poseidon_state expected = reference_hades(s);
        hades_permutation(s);
        ASSERT_EQ(s, expected) << a << " " << b << " " << c;
      }
    }
  }
}

TEST(StarknetPoseidon, HashModesFollowTheirDefinitions) {
  ciro::test::seeded_rng rng;
  const felt252 x = random_felt(rng), y = random_felt(rng), z = random_felt(rng);
  auto hades0 = [](poseidon_state s) {
    hades_permutation(s);
    return s[0];
  };
  EXPECT_EQ(poseidon_hash(x, y), hades0({x, y, felt252::two()}));
  EXPECT_EQ(poseidon_hash_single(x), hades0({x, felt252::zero(), felt252::one()}));
  EXPECT_EQ(poseidon_hash_many({}), hades0({felt252::one(), felt252::zero(), felt252::zero()}));
  const felt252 one_elem[] = {x};
  EXPECT_EQ(poseidon_hash_many(one_elem), hades0({x, felt252::one(), felt252::zero()}));
  poseidon_state s{x, y, felt252::zero()};
  hades_permutation(s);
  s[0] += z;
  s[1] += felt252::one();
  const felt252 three[] = {x, y, z};
  EXPECT_EQ(poseidon_hash_many(three), hades0(s));
  EXPECT_NE(poseidon_hash(x, y), poseidon_hash(y, x));
  const felt252 two[] = {x, y};
  EXPECT_NE(poseidon_hash_many(two), poseidon_hash(x, y));
}

TEST(StarknetPoseidon, SpongeEqualsHashManyForEveryLengthAndSplit) {
  ciro::test::seeded_rng rng;
  std::vector<felt252> xs;
  for (int i = 0; i < 9; ++i) xs.push_back(random_felt(rng));
  for (std::size_t n = 0; n <= xs.size(); ++n) {
    const std::span<const felt252> all(xs.data(), n);
    const felt252 expected = poseidon_hash_many(all);
    for (std::size_t split = 0; split <= n; ++split) {
      poseidon_sponge sponge;
      sponge.absorb(all.first(split));
      const poseidon_sponge copy = sponge;
      sponge.absorb(all.subspan(split));
      ASSERT_EQ(sponge.finalize(), expected) << "n=" << n << " split=" << split;
      ASSERT_EQ(sponge.finalize(), expected);  // finalize leaves the sponge unchanged
      ASSERT_EQ(copy.finalize(), poseidon_hash_many(all.first(split)));
    }
  }
}

}  // namespace
