#include "field/sqrt.hpp"

#include <gtest/gtest.h>

#include <cstdint>

#include "field/babybear.hpp"
#include "field/goldilocks.hpp"
#include "tests/support/seed.hpp"

namespace {

using ciro::field::babybear;
using ciro::field::goldilocks;
using ciro::field::koalabear;
using ciro::field::legendre;
using ciro::field::sqrt;

template <class F>
class Sqrt : public ::testing::Test {};
using fields = ::testing::Types<babybear, koalabear, goldilocks>;
TYPED_TEST_SUITE(Sqrt, fields);

TYPED_TEST(Sqrt, RootOfARandomSquareSquaresBackToIt) {
  using F = TypeParam;
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 2000; ++i) {
    const F x = F::from_u64(rng.next());
    const F a = x.square();
    const auto r = sqrt(a);
    ASSERT_TRUE(r.has_value()) << x.to_canonical();
    ASSERT_EQ(r->square(), a);
    ASSERT_TRUE(*r == x || *r == -x);
  }
}

TYPED_TEST(Sqrt, ReturnsNothingExactlyForNonResiduesByEulersCriterion) {
  using F = TypeParam;
  ciro::test::seeded_rng rng;
  int non_residues = 0;
  for (int i = 0; i < 2000; ++i) {
    const F a = F::from_u64(rng.next());
    const bool euler_square = a.is_zero() || a.pow((F::modulus - 1) / 2) == F::one();
    const auto r = sqrt(a);
    ASSERT_EQ(r.has_value(), euler_square) << a.to_canonical();
    if (r) {
      ASSERT_EQ(r->square(), a);
    }
    non_residues += !euler_square;
  }
  EXPECT_GT(non_residues, 800);  // about half of F_p^* are non-residues
  // The generator and the primitive 2^s-th root of unity are non-residues.
  EXPECT_FALSE(sqrt(F::generator()).has_value());
  EXPECT_FALSE(sqrt(F::two_adic_generator(F::two_adicity)).has_value());
}

TYPED_TEST(Sqrt, HandlesZeroOneAndMinusOne) {
  using F = TypeParam;
  EXPECT_EQ(sqrt(F::zero()), F::zero());
  EXPECT_EQ(sqrt(F::one())->square(), F::one());
  // p = 1 mod 4 for all three fields, so -1 is a square: a primitive fourth root of unity.
  const auto i = sqrt(-F::one());
  ASSERT_TRUE(i.has_value());
  EXPECT_EQ(i->square(), -F::one());
}

TYPED_TEST(Sqrt, RootsOfUnityOfEveryTwoPowerOrderHaveRoots) {
  // The hardest inputs for Tonelli-Shanks: t = a^q has large two-power order.
  using F = TypeParam;
  for (unsigned k = 0; k < F::two_adicity; ++k) {
    const F a = F::two_adic_generator(k);
    const auto r = sqrt(a);
    ASSERT_TRUE(r.has_value()) << k;
    EXPECT_EQ(r->square(), a) << k;
  }
}

TYPED_TEST(Sqrt, LegendreSymbolFollowsEulersCriterion) {
  using F = TypeParam;
  EXPECT_EQ(legendre(F::zero()), 0);
  EXPECT_EQ(legendre(F::one()), 1);
  EXPECT_EQ(legendre(F::generator()), -1);
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 200; ++i) {
    const F x = F::from_u64(1 + rng.below(F::modulus - 1));
    EXPECT_EQ(legendre(x.square()), 1);
    EXPECT_EQ(legendre(x.square() * F::generator()), -1);
  }
}

}  // namespace
