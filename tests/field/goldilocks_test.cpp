#include "field/goldilocks.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

#include "field/concepts.hpp"
#include "tests/support/seed.hpp"

namespace {

using ciro::field::goldilocks;
using u128 = unsigned __int128;

constexpr std::uint64_t p = goldilocks::modulus;

static_assert(ciro::field::two_adic_field<goldilocks>);
static_assert(ciro::field::prime_field<goldilocks>);
static_assert(sizeof(goldilocks) == 8 && std::is_trivially_copyable_v<goldilocks>);
static_assert(p == (u128{1} << 64) - (u128{1} << 32) + 1);
static_assert((p - 1) % (std::uint64_t{1} << 32) == 0 && ((p - 1) >> 32) % 2 == 1);
// constexpr arithmetic, evaluated by the compiler: (p-1) * (p-1) = 1 and 3 * 5 - 7 = 8.
static_assert((goldilocks::from_canonical(p - 1) * goldilocks::from_canonical(p - 1)) == goldilocks::one());
static_assert((goldilocks::from_canonical(3) * goldilocks::from_canonical(5) - goldilocks::from_canonical(7))
                  .to_canonical() == 8);

/// A draw in [0, p) biased towards the edges: a third of the draws are 0, 1, p - 1, p - 2 or
/// values near 2^32 and 2^63 where the reduction's carries and borrows happen.
std::uint64_t draw(ciro::test::seeded_rng& rng) {
  const std::uint64_t r = rng.next();
  switch (r % 9) {
    case 0:
      return (r >> 8) % 2;
    case 1:
      return p - 1 - (r >> 8) % 2;
    case 2:
      return (std::uint64_t{1} << 32) - 2 + (r >> 8) % 4;
    default:
      return rng.below(p);
  }
}

TEST(Goldilocks, ArithmeticMatchesInt128ReferenceOnRandomInputs) {
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t x = draw(rng), y = draw(rng);
    const goldilocks a = goldilocks::from_canonical(x), b = goldilocks::from_canonical(y);
    ASSERT_EQ(a.to_canonical(), x);
    ASSERT_EQ((a + b).to_canonical(), static_cast<std::uint64_t>((u128{x} + y) % p)) << x << " " << y;
    ASSERT_EQ((a - b).to_canonical(), static_cast<std::uint64_t>((u128{x} + p - y) % p)) << x << " " << y;
    ASSERT_EQ((a * b).to_canonical(), static_cast<std::uint64_t>(u128{x} * y % p)) << x << " " << y;
    ASSERT_EQ(a.square().to_canonical(), static_cast<std::uint64_t>(u128{x} * x % p)) << x;
    ASSERT_EQ((-a).to_canonical(), (p - x) % p);
  }
}

TEST(Goldilocks, Reduce128MatchesInt128ModuloOnRandomAndExtremeWords) {
  ciro::test::seeded_rng rng;
  const std::uint64_t extremes[] = {0, 1, 0xffffffffULL, 0x100000000ULL, p - 1, p, p + 1, ~std::uint64_t{0}};
  for (std::uint64_t hi : extremes)
    for (std::uint64_t lo : extremes)
      ASSERT_EQ(goldilocks::reduce128(hi, lo), static_cast<std::uint64_t>(((u128{hi} << 64) | lo) % p))
          << hi << " " << lo;
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t hi = rng.next(), lo = rng.next();
    ASSERT_EQ(goldilocks::reduce128(hi, lo), static_cast<std::uint64_t>(((u128{hi} << 64) | lo) % p))
        << hi << " " << lo;
  }
}

TEST(Goldilocks, InverseTimesElementIsOne) {
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 2000; ++i) {
    const goldilocks a = goldilocks::from_canonical(1 + rng.below(p - 1));
    ASSERT_EQ(a * a.inverse(), goldilocks::one()) << a.to_canonical();
  }
  EXPECT_EQ(goldilocks::from_canonical(p - 1).inverse(), goldilocks::from_canonical(p - 1));
  EXPECT_EQ(goldilocks::zero().inverse(), goldilocks::zero());
}

TEST(Goldilocks, PowMatchesRepeatedMultiplication) {
  ciro::test::seeded_rng rng;
  const goldilocks a = goldilocks::from_u64(rng.next());
  goldilocks acc = goldilocks::one();
  for (std::uint64_t e = 0; e < 200; ++e) {
    ASSERT_EQ(a.pow(e), acc) << "e=" << e;
    acc *= a;
  }
  EXPECT_EQ(a.pow(p - 1), goldilocks::one());  // Fermat
}

TEST(Goldilocks, FromU64ReducesModP) {
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t x = rng.next();
    ASSERT_EQ(goldilocks::from_u64(x).to_canonical(), x % p);
  }
  EXPECT_EQ(goldilocks::from_u64(p).to_canonical(), 0u);
  EXPECT_EQ(goldilocks::from_u64(~std::uint64_t{0}).to_canonical(), 0xfffffffeULL);
  EXPECT_EQ(goldilocks::from_u128(1, 0).to_canonical(), goldilocks::epsilon);         // 2^64 = 2^32 - 1
  EXPECT_EQ(goldilocks::from_u128(std::uint64_t{1} << 32, 0).to_canonical(), p - 1);  // 2^96 = -1
}

TEST(Goldilocks, CanonicalDecodingRejectsValuesAtOrAboveP) {
  EXPECT_TRUE(goldilocks::try_from_canonical(p - 1).has_value());
  EXPECT_FALSE(goldilocks::try_from_canonical(p).has_value());
  EXPECT_FALSE(goldilocks::try_from_canonical(p + 1).has_value());
  EXPECT_FALSE(goldilocks::try_from_canonical(~std::uint64_t{0}).has_value());
}

TEST(Goldilocks, GeneratorIsPrimitive) {
  // g generates F_p^* iff g^((p-1)/q) != 1 for every prime q | p - 1 = 2^32 * 3 * 5 * 17 * 257 * 65537.
  std::uint64_t m = p - 1;
  for (std::uint64_t q : {2ULL, 3ULL, 5ULL, 17ULL, 257ULL, 65537ULL}) {
    ASSERT_EQ(m % q, 0u) << q;
    EXPECT_NE(goldilocks::generator().pow((p - 1) / q), goldilocks::one()) << "q=" << q;
    while (m % q == 0) m /= q;
  }
  EXPECT_EQ(m, 1u) << "the factorisation of p - 1 is incomplete";
}

TEST(Goldilocks, TwoAdicGeneratorsHaveExactOrder) {
  for (unsigned k = 0; k <= goldilocks::two_adicity; ++k) {
    const goldilocks g = goldilocks::two_adic_generator(k);
    EXPECT_EQ(g.pow(std::uint64_t{1} << k), goldilocks::one()) << k;
    if (k > 0) {
      EXPECT_NE(g.pow(std::uint64_t{1} << (k - 1)), goldilocks::one()) << k;
    }
  }
}

TEST(Goldilocks, TwoAdicGeneratorsEqualPlonky3s) {
  std::ifstream in(ciro::test::vectors_path("fields.json"));
  ASSERT_TRUE(in) << "missing " << ciro::test::vectors_path("fields.json");
  const auto j = nlohmann::json::parse(in)["goldilocks"];
  ASSERT_EQ(j["p"].get<std::uint64_t>(), p);
  ASSERT_EQ(j["two_adicity"].get<unsigned>(), goldilocks::two_adicity);
  ASSERT_EQ(j["generator"].get<std::uint64_t>(), goldilocks::generator().to_canonical());
  const auto& gens = j["two_adic_generators"];
  ASSERT_EQ(gens.size(), goldilocks::two_adicity + 1);
  for (unsigned k = 0; k < gens.size(); ++k) {
    EXPECT_EQ(goldilocks::two_adic_generator(k).to_canonical(), std::stoull(gens[k].get<std::string>(), nullptr, 16))
        << k;
  }
}

}  // namespace
