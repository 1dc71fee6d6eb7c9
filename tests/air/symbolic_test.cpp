#include "air/symbolic_builder.hpp"

#include <gtest/gtest.h>

#include "air/fibonacci.hpp"
#include "air/poseidon2_air.hpp"

namespace ciro::air {
namespace {

TEST(Symbolic, FibonacciHasFiveConstraintsOfDegreeOneAndTwoWithSelectors) {
  const constraint_info info = analyse(fibonacci_air{});
  ASSERT_EQ(info.num_constraints(), 5u);
  const constraint_kind kinds[] = {constraint_kind::first, constraint_kind::first, constraint_kind::transition,
                                   constraint_kind::transition, constraint_kind::last};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(info.constraints[i].kind, kinds[i]) << i;
    EXPECT_EQ(info.constraints[i].expr_degree, 1u) << i;
    EXPECT_EQ(info.constraints[i].degree, 2u) << i;
  }
  EXPECT_EQ(info.max_degree, 2u);
  EXPECT_EQ(log_quotient_degree(info.max_degree), 0u);
}

TEST(Symbolic, Poseidon2HasMaxDegreeThree) {
  const constraint_info info = analyse(poseidon2_air{});
  // 8 full rounds x 32 + 13 partial rounds x 2 + 3 x 16 boundary/transition constraints.
  ASSERT_EQ(info.num_constraints(), 8u * 32 + 13 * 2 + 3 * 16);
  EXPECT_EQ(info.max_degree, 3u);
  EXPECT_EQ(log_quotient_degree(info.max_degree), 1u);
  const std::size_t rounds = 8 * 32 + 13 * 2;
  for (std::size_t i = 0; i < rounds; ++i) {
    EXPECT_EQ(info.constraints[i].kind, constraint_kind::all) << i;
    EXPECT_EQ(info.constraints[i].degree, 3u) << i;
  }
  const constraint_kind tail[] = {constraint_kind::first, constraint_kind::transition, constraint_kind::last};
  for (std::size_t i = rounds; i < info.num_constraints(); ++i) {
    EXPECT_EQ(info.constraints[i].kind, tail[(i - rounds) / 16]) << i;
    EXPECT_EQ(info.constraints[i].expr_degree, 1u) << i;
    EXPECT_EQ(info.constraints[i].degree, 2u) << i;
  }
}

/// x^5 on every row, x * pub on the first row, nothing else: degrees 5 and 2.
struct quintic_air {
  std::string_view name() const { return "quintic"; }
  std::size_t width() const { return 1; }
  std::size_t num_public_values() const { return 1; }
  template <class B>
  void eval(B& b) const {
    const auto x = b.local(0);
    const auto x2 = x * x;
    b.assert_zero(x2 * x2 * x - b.constant(field::babybear::one()));
    b.assert_zero_first(x * b.public_value(0));
  }
};

TEST(Symbolic, DegreesAddUnderProductAndMaxUnderSum) {
  const constraint_info info = analyse(quintic_air{});
  ASSERT_EQ(info.num_constraints(), 2u);
  EXPECT_EQ(info.constraints[0].degree, 5u);
  EXPECT_EQ(info.constraints[1].expr_degree, 1u);
  EXPECT_EQ(info.constraints[1].degree, 2u);
  EXPECT_EQ(info.max_degree, 5u);
  EXPECT_EQ(log_quotient_degree(info.max_degree), 2u);
}

TEST(Symbolic, LogQuotientDegreeMatchesPlonky3) {
  // ceil(log2(max(d, 2) - 1)).
  const unsigned expected[] = {0, 0, 0, 1, 2, 2, 3, 3, 3, 3, 4};
  for (unsigned d = 0; d < std::size(expected); ++d) EXPECT_EQ(log_quotient_degree(d), expected[d]) << d;
  EXPECT_EQ(log_quotient_degree(17), 4u);
  EXPECT_EQ(log_quotient_degree(18), 5u);
}

TEST(SymbolicDeathTest, OutOfRangeColumnAborts) {
  symbolic_builder b(2, 0);
  EXPECT_DEATH((void)b.local(2), "CIRO_CHECK");
  EXPECT_DEATH((void)b.public_value(0), "CIRO_CHECK");
}

}  // namespace
}  // namespace ciro::air
