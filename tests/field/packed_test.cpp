#include "field/packed.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <vector>

#include "field/babybear.hpp"
#include "field/goldilocks.hpp"
#include "tests/support/seed.hpp"
#include "tests/support/simd_targets.hpp"

namespace {

using ciro::field::babybear;
using ciro::field::goldilocks;
using ciro::field::koalabear;

template <class F>
std::vector<F> random_elements(ciro::test::seeded_rng& rng, std::size_t n) {
  std::vector<F> v(n);
  for (auto& x : v) {
    const std::uint64_t r = rng.next();
    // Mix in the edge values 0 and p - 1.
    x = r % 7 == 0 ? F::zero() : r % 7 == 1 ? -F::one() : F::from_u64(r >> 3);
  }
  return v;
}

template <class F>
class Packed : public ::testing::Test {};
using monty31_fields = ::testing::Types<babybear, koalabear>;
TYPED_TEST_SUITE(Packed, monty31_fields);

TYPED_TEST(Packed, EveryTargetMatchesScalarArithmetic) {
  using F = TypeParam;
  ciro::test::seeded_rng rng;
  ciro::test::for_each_simd_target([&] {
    // Lengths around the vector widths exercise the tail handling.
    for (std::size_t n : {0u, 1u, 3u, 4u, 7u, 8u, 15u, 16u, 17u, 31u, 33u, 64u, 1000u}) {
      const auto a = random_elements<F>(rng, n), b = random_elements<F>(rng, n), c = random_elements<F>(rng, n);
      std::vector<F> out(n);
      ciro::field::packed::add<typename F::params>(a, b, out);
      for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], a[i] + b[i]) << "add n=" << n << " i=" << i;
      ciro::field::packed::sub<typename F::params>(a, b, out);
      for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], a[i] - b[i]) << "sub n=" << n << " i=" << i;
      ciro::field::packed::mul<typename F::params>(a, b, out);
      for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], a[i] * b[i]) << "mul n=" << n << " i=" << i;
      ciro::field::packed::mul_add<typename F::params>(a, b, c, out);
      for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], a[i] * b[i] + c[i]) << "mul_add n=" << n << " i=" << i;
    }
  });
}

TEST(Packed, OutputMayAliasAnInput) {
  ciro::test::seeded_rng rng;
  auto a = random_elements<babybear>(rng, 100);
  const auto b = random_elements<babybear>(rng, 100);
  const auto expected = [&] {
    std::vector<babybear> e(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) e[i] = a[i] * b[i];
    return e;
  }();
  ciro::field::packed::mul<ciro::field::babybear_params>(a, b, a);
  EXPECT_EQ(a, expected);
}

TEST(Packed, ReportsTheChosenTarget) {
  EXPECT_STRNE(ciro::field::packed::simd_target(), "");
  EXPECT_GE(ciro::field::packed::lanes_u32(), 1u);
}

/// Goldilocks values where carries, borrows and the reduction's corrections happen.
constexpr std::uint64_t goldilocks_edges[] = {
    0, 1, goldilocks::modulus - 1, goldilocks::modulus - 2, 1ULL << 32, (1ULL << 32) - 1, 1ULL << 63};

/// Random canonical Goldilocks elements, about half of them edge values.
std::vector<goldilocks> random_goldilocks(ciro::test::seeded_rng& rng, std::size_t n) {
  std::vector<goldilocks> v(n);
  for (auto& x : v) {
    const std::uint64_t r = rng.next();
    x = r % 2 == 0 ? goldilocks::from_canonical(goldilocks_edges[(r >> 1) % std::size(goldilocks_edges)])
                   : goldilocks::from_u64(rng.next());
  }
  return v;
}

void expect_goldilocks_ops_match_scalar(const std::vector<goldilocks>& a, const std::vector<goldilocks>& b,
                                        const std::vector<goldilocks>& c) {
  namespace packed = ciro::field::packed;
  const std::size_t n = a.size();
  std::vector<goldilocks> out(n);
  packed::add(a, b, out);
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], a[i] + b[i]) << "add n=" << n << " i=" << i;
  packed::sub(a, b, out);
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], a[i] - b[i]) << "sub n=" << n << " i=" << i;
  packed::mul(a, b, out);
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], a[i] * b[i]) << "mul n=" << n << " i=" << i;
  packed::mul_add(a, b, c, out);
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], a[i] * b[i] + c[i]) << "mul_add n=" << n << " i=" << i;
}

TEST(PackedGoldilocks, EveryTargetMatchesScalarArithmetic) {
  ciro::test::seeded_rng rng;
  ciro::test::for_each_simd_target([&] {
    std::vector<std::size_t> lengths(34);
    for (std::size_t n = 0; n < lengths.size(); ++n) lengths[n] = n;
    lengths.push_back(1000);
    for (const std::size_t n : lengths) {
      const auto a = random_goldilocks(rng, n), b = random_goldilocks(rng, n), c = random_goldilocks(rng, n);
      expect_goldilocks_ops_match_scalar(a, b, c);
      if (HasFatalFailure()) return;
    }
  });
}

TEST(PackedGoldilocks, EveryTargetMatchesScalarOnAllPairsOfEdgeValues) {
  std::vector<goldilocks> a, b, c;
  for (const std::uint64_t x : goldilocks_edges) {
    for (const std::uint64_t y : goldilocks_edges) {
      a.push_back(goldilocks::from_canonical(x));
      b.push_back(goldilocks::from_canonical(y));
      c.push_back(goldilocks::from_canonical(y));
    }
  }
  std::rotate(c.begin(), c.begin() + 3, c.end());
  ciro::test::for_each_simd_target([&] { expect_goldilocks_ops_match_scalar(a, b, c); });
}

TEST(PackedGoldilocks, OutputMayAliasAnInput) {
  ciro::test::seeded_rng rng;
  auto a = random_goldilocks(rng, 100);
  const auto b = random_goldilocks(rng, 100);
  auto c = random_goldilocks(rng, 100);
  std::vector<goldilocks> expected_mul(a.size()), expected_mul_add(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    expected_mul[i] = a[i] * b[i];
    expected_mul_add[i] = expected_mul[i] * b[i] + c[i];
  }
  ciro::field::packed::mul(a, b, a);
  EXPECT_EQ(a, expected_mul);
  ciro::field::packed::mul_add(a, b, c, c);
  EXPECT_EQ(c, expected_mul_add);
}

}  // namespace
