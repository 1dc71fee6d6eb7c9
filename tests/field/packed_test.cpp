#include "field/packed.hpp"

#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <vector>

#include "field/babybear.hpp"
#include "tests/support/seed.hpp"

namespace {

using ciro::field::babybear;
using ciro::field::koalabear;

/// Runs `body` once for every SIMD target compiled in and supported by this CPU, with dispatch
/// forced to that target, then restores the default choice.
template <class Body>
void for_each_target(Body body) {
  for (const std::int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    SCOPED_TRACE(hwy::TargetName(target));
    body();
  }
  hwy::SetSupportedTargetsForTest(0);
}

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
  for_each_target([&] {
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

}  // namespace
