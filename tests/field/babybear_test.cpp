#include "field/babybear.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "field/concepts.hpp"
#include "tests/support/seed.hpp"

namespace {

using ciro::field::babybear;
using ciro::field::koalabear;
using u128 = unsigned __int128;

static_assert(ciro::field::two_adic_field<babybear>);
static_assert(ciro::field::two_adic_field<koalabear>);
static_assert(sizeof(babybear) == 4 && std::is_trivially_copyable_v<babybear>);
static_assert(babybear::modulus == (1u << 31) - (1u << 27) + 1);
static_assert(koalabear::modulus == (1u << 31) - (1u << 24) + 1);
static_assert(babybear::two_adicity == 27 && koalabear::two_adicity == 24);
// constexpr arithmetic: 3 * 5 - 7 = 8, evaluated by the compiler.
static_assert(
    (babybear::from_canonical(3) * babybear::from_canonical(5) - babybear::from_canonical(7)).to_canonical() == 8);

template <class F>
class Monty31 : public ::testing::Test {};
using monty31_fields = ::testing::Types<babybear, koalabear>;
TYPED_TEST_SUITE(Monty31, monty31_fields);

TYPED_TEST(Monty31, ArithmeticMatchesIntegerReferenceOnRandomInputs) {
  using F = TypeParam;
  const std::uint64_t p = F::modulus;
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 100000; ++i) {
    // Bias a third of the draws to the edges 0, 1, p-1, p-2.
    auto draw = [&] {
      std::uint64_t r = rng.next();
      if (r % 3 == 0) return (r >> 2) % 2 ? (r >> 3) % 2 : p - 1 - (r >> 3) % 2;
      return (r >> 2) % p;
    };
    const std::uint64_t x = draw(), y = draw();
    const F a = F::from_canonical(static_cast<std::uint32_t>(x)), b = F::from_canonical(static_cast<std::uint32_t>(y));
    ASSERT_EQ(a.to_canonical(), x);
    ASSERT_EQ((a + b).to_canonical(), (x + y) % p);
    ASSERT_EQ((a - b).to_canonical(), (x + p - y) % p);
    ASSERT_EQ((a * b).to_canonical(), (x * y) % p);
    ASSERT_EQ((-a).to_canonical(), (p - x) % p);
    if (x != 0) {
      ASSERT_EQ(a * a.inverse(), F::one()) << "x=" << x;
    }
  }
}

TYPED_TEST(Monty31, PowMatchesRepeatedMultiplication) {
  using F = TypeParam;
  ciro::test::seeded_rng rng;
  const F a = F::from_u64(rng.next());
  F acc = F::one();
  for (std::uint64_t e = 0; e < 200; ++e) {
    ASSERT_EQ(a.pow(e), acc) << "e=" << e;
    acc *= a;
  }
  EXPECT_EQ(a.pow(F::modulus - 1), F::one());  // Fermat
}

TYPED_TEST(Monty31, FromU64ReducesModP) {
  using F = TypeParam;
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 1000; ++i) {
    const std::uint64_t x = rng.next();
    ASSERT_EQ(F::from_u64(x).to_canonical(), x % F::modulus);
  }
}

TYPED_TEST(Monty31, CanonicalDecodingRejectsValuesAtOrAboveP) {
  using F = TypeParam;
  EXPECT_TRUE(F::try_from_canonical(F::modulus - 1).has_value());
  EXPECT_FALSE(F::try_from_canonical(F::modulus).has_value());
  EXPECT_FALSE(F::try_from_canonical(0xffffffffu).has_value());
}

TYPED_TEST(Monty31, GeneratorIsPrimitive) {
  using F = TypeParam;
  // g generates F_p^* iff g^((p-1)/q) != 1 for every prime q | p - 1.
  std::uint64_t m = F::modulus - 1;
  for (std::uint64_t q = 2; m > 1; ++q) {
    if (m % q != 0) continue;
    EXPECT_NE(F::generator().pow((F::modulus - 1) / q), F::one()) << "q=" << q;
    while (m % q == 0) m /= q;
  }
}

TYPED_TEST(Monty31, TwoAdicGeneratorsHaveExactOrder) {
  using F = TypeParam;
  for (unsigned k = 0; k <= F::two_adicity; ++k) {
    const F g = F::two_adic_generator(k);
    EXPECT_EQ(g.pow(std::uint64_t{1} << k), F::one()) << k;
    if (k > 0) {
      EXPECT_NE(g.pow(std::uint64_t{1} << (k - 1)), F::one()) << k;
    }
  }
}

TEST(BabyBear, TwoAdicGeneratorsEqualPlonky3s) {
  std::ifstream in(ciro::test::vectors_path("fields.json"));
  ASSERT_TRUE(in) << "missing " << ciro::test::vectors_path("fields.json");
  const auto j = nlohmann::json::parse(in)["babybear"];
  ASSERT_EQ(j["p"].get<std::uint64_t>(), babybear::modulus);
  ASSERT_EQ(j["generator"].get<std::uint32_t>(), babybear::generator().to_canonical());
  const auto& gens = j["two_adic_generators"];
  ASSERT_EQ(gens.size(), babybear::two_adicity + 1);
  for (unsigned k = 0; k < gens.size(); ++k) {
    EXPECT_EQ(babybear::two_adic_generator(k).to_canonical(), std::stoul(gens[k].get<std::string>(), nullptr, 16)) << k;
  }
}

}  // namespace
