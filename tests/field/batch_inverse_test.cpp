#include "field/batch_inverse.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <vector>

#include "field/babybear.hpp"
#include "field/extension.hpp"
#include "field/goldilocks.hpp"
#include "tests/support/seed.hpp"

namespace {

using ciro::field::babybear;
using ciro::field::babybear4;
using ciro::field::batch_inverse;
using ciro::field::goldilocks;
using ciro::field::goldilocks2;
using ciro::field::koalabear;

template <class F>
F random_element(ciro::test::seeded_rng& rng) {
  if constexpr (ciro::field::extension_field<F>) {
    std::array<typename F::base_type, F::degree> cs{};
    for (auto& c : cs) c = F::base_type::from_u64(rng.next());
    return F::from_coeffs(cs);
  } else {
    return F::from_u64(rng.next());
  }
}

/// n random elements, each zero with probability zero_percent / 100.
template <class F>
std::vector<F> random_vector(ciro::test::seeded_rng& rng, std::size_t n, unsigned zero_percent) {
  std::vector<F> v(n);
  for (auto& x : v) x = rng.below(100) < zero_percent ? F::zero() : random_element<F>(rng);
  return v;
}

template <class F>
class BatchInverse : public ::testing::Test {};
using fields = ::testing::Types<babybear, koalabear, goldilocks, babybear4, goldilocks2>;
TYPED_TEST_SUITE(BatchInverse, fields);

TYPED_TEST(BatchInverse, MatchesElementwiseInverseOnRandomInputs) {
  using F = TypeParam;
  ciro::test::seeded_rng rng;
  for (std::size_t n : {0u, 1u, 2u, 3u, 17u, 1000u}) {
    const auto in = random_vector<F>(rng, n, 0);
    std::vector<F> out(n);
    batch_inverse<F>(in, out);
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], in[i].inverse()) << "n=" << n << " i=" << i;
  }
}

TYPED_TEST(BatchInverse, MapsZerosToZeroAndLeavesTheOthersCorrect) {
  using F = TypeParam;
  ciro::test::seeded_rng rng;
  for (unsigned zero_percent : {10u, 50u, 90u, 100u}) {
    for (std::size_t n : {1u, 2u, 5u, 300u}) {
      const auto in = random_vector<F>(rng, n, zero_percent);
      std::vector<F> out(n, F::one());
      batch_inverse<F>(in, out);
      for (std::size_t i = 0; i < n; ++i) {
        if (in[i].is_zero()) {
          ASSERT_TRUE(out[i].is_zero()) << i;
        } else {
          ASSERT_EQ(out[i] * in[i], F::one()) << i;
        }
      }
    }
  }
}

TYPED_TEST(BatchInverse, InPlaceAgreesWithOutOfPlace) {
  using F = TypeParam;
  ciro::test::seeded_rng rng;
  const auto in = random_vector<F>(rng, 257, 20);
  std::vector<F> out(in.size());
  batch_inverse<F>(in, out);
  auto values = in;
  batch_inverse<F>(std::span<F>(values));
  EXPECT_EQ(values, out);
}

/// babybear with a global count of multiplications and inversions, to pin the cost.
struct counting {
  static inline std::uint64_t muls = 0, inversions = 0;
  babybear v;
  static counting zero() { return {babybear::zero()}; }
  static counting one() { return {babybear::one()}; }
  friend counting operator+(counting a, counting b) { return {a.v + b.v}; }
  friend counting operator-(counting a, counting b) { return {a.v - b.v}; }
  friend counting operator-(counting a) { return {-a.v}; }
  friend counting operator*(counting a, counting b) {
    ++muls;
    return {a.v * b.v};
  }
  counting& operator*=(counting b) { return *this = *this * b; }
  counting square() const { return *this * *this; }
  counting pow(std::uint64_t e) const { return {v.pow(e)}; }
  counting inverse() const {
    ++inversions;
    return {v.inverse()};
  }
  bool is_zero() const { return v.is_zero(); }
  friend bool operator==(counting a, counting b) { return a.v == b.v; }
};
static_assert(ciro::field::field<counting>);

TEST(BatchInverseCost, IsOneInversionAndThreeMultiplicationsPerExtraNonZeroElement) {
  ciro::test::seeded_rng rng;
  for (unsigned zero_percent : {0u, 30u}) {
    std::vector<counting> in(1000);
    std::size_t nonzero = 0;
    for (auto& x : in) {
      x.v = rng.below(100) < zero_percent ? babybear::zero() : babybear::from_u64(1 + rng.below(babybear::modulus - 1));
      nonzero += !x.v.is_zero();
    }
    std::vector<counting> out(in.size());
    counting::muls = counting::inversions = 0;
    batch_inverse<counting>(in, out);
    EXPECT_EQ(counting::inversions, 1u);
    EXPECT_EQ(counting::muls, 3 * (nonzero - 1));
  }
}

}  // namespace
