#include "air/debug_checker.hpp"

#include <gtest/gtest.h>

#include "air/fibonacci.hpp"
#include "tests/support/seed.hpp"

namespace ciro::air {
namespace {

using field::babybear;

babybear bb(std::uint32_t x) { return babybear::from_canonical(x); }

TEST(DebugChecker, ValidFibonacciTracesHaveNoViolations) {
  for (unsigned log_rows = 0; log_rows <= 10; ++log_rows) {
    const witness w = generate_fibonacci_trace(log_rows, bb(0), bb(1));
    const check_report report = check_trace(fibonacci_air{}, w.trace, w.public_values);
    EXPECT_TRUE(report.ok()) << log_rows << ": " << to_string(report.violations.front());
    EXPECT_FALSE(report.truncated());
  }
}

TEST(DebugChecker, FibonacciPublicValuesAreStartAndLastB) {
  const witness w = generate_fibonacci_trace(3, bb(0), bb(1));
  // b_i = F(i+1): 1 1 2 3 5 8 13 21.
  ASSERT_EQ(w.trace.rows(), 8u);
  EXPECT_EQ(w.public_values, (std::vector<babybear>{bb(0), bb(1), bb(21)}));
}

TEST(DebugChecker, BrokenCellIsNamedWithItsRowsAndConstraints) {
  witness w = generate_fibonacci_trace(4, bb(2), bb(7));
  w.trace.at(5, fibonacci_air::col_b) += bb(1);
  const check_report report = check_trace(fibonacci_air{}, w.trace, w.public_values);
  // b_5 is read by row 4 (b' = a + b) and by row 5 (a' = b and b' = a + b).
  const std::vector<violation> expected = {
      {3, constraint_kind::transition, 4, bb(1)},
      {2, constraint_kind::transition, 5, -bb(1)},
      {3, constraint_kind::transition, 5, -bb(1)},
  };
  EXPECT_EQ(report.violations, expected);
  EXPECT_EQ(report.total, 3u);
  EXPECT_EQ(to_string(report.violations[0]), "constraint 3 (transition) fails on row 4: value 1");
}

TEST(DebugChecker, BrokenLastRowBreaksTheLastRowConstraint) {
  witness w = generate_fibonacci_trace(4, bb(2), bb(7));
  w.trace.at(15, fibonacci_air::col_b) += bb(5);
  const check_report report = check_trace(fibonacci_air{}, w.trace, w.public_values);
  const std::vector<violation> expected = {
      {3, constraint_kind::transition, 14, bb(5)},
      {4, constraint_kind::last, 15, bb(5)},
  };
  EXPECT_EQ(report.violations, expected);
}

TEST(DebugChecker, WrongPublicValuesAreNamed) {
  const witness w = generate_fibonacci_trace(5, bb(1), bb(1));
  for (std::size_t i = 0; i < 3; ++i) {
    std::vector<babybear> pv = w.public_values;
    pv[i] += bb(3);
    const check_report report = check_trace(fibonacci_air{}, w.trace, pv);
    ASSERT_EQ(report.violations.size(), 1u) << i;
    const violation& v = report.violations[0];
    EXPECT_EQ(v.constraint, i == 2 ? 4u : i) << i;
    EXPECT_EQ(v.kind, i == 2 ? constraint_kind::last : constraint_kind::first) << i;
    EXPECT_EQ(v.row, i == 2 ? 31u : 0u) << i;
    EXPECT_EQ(v.value, -bb(3)) << i;
  }
}

TEST(DebugChecker, ViolationsAreCappedButCounted) {
  test::seeded_rng rng;
  witness w = generate_fibonacci_trace(8, bb(0), bb(1));
  for (babybear& x : w.trace.values()) x = babybear::from_u64(rng.next());
  const check_report report = check_trace(fibonacci_air{}, w.trace, w.public_values);
  EXPECT_EQ(report.violations.size(), 100u);
  EXPECT_TRUE(report.truncated());
  EXPECT_GT(report.total, 400u);  // about 2 transition constraints per row, of 256 rows
  // Row-major order: rows never decrease, and constraints increase within a row.
  for (std::size_t i = 1; i < report.violations.size(); ++i) {
    const violation& a = report.violations[i - 1];
    const violation& b = report.violations[i];
    EXPECT_TRUE(a.row < b.row || (a.row == b.row && a.constraint < b.constraint)) << i;
  }
  const check_report small = check_trace(fibonacci_air{}, w.trace, w.public_values, 3);
  EXPECT_EQ(small.violations.size(), 3u);
  EXPECT_EQ(small.total, report.total);
}

// check_trace splits the rows into blocks checked in parallel; its report must be the one a
// single row-by-row pass gives, across block boundaries and whatever the cap.
TEST(DebugChecker, BlockedPassMatchesRowByRowPass) {
  test::seeded_rng rng;
  witness w = generate_fibonacci_trace(12, bb(0), bb(1));
  // Break a few cells spread over several 1024-row blocks, including the block edges.
  for (std::size_t row : {std::size_t{5}, std::size_t{1023}, std::size_t{1024}, std::size_t{2047},
                          std::size_t{3000 + rng.next() % 1000}}) {
    w.trace.at(row, rng.next() % 2) += bb(1 + rng.next() % 1000);
  }
  for (std::size_t cap : {std::size_t{1}, std::size_t{4}, std::size_t{100}}) {
    check_report expected;
    debug_builder b(w.trace.view(), w.public_values, expected, cap);
    for (std::size_t r = 0; r < w.trace.rows(); ++r) {
      b.set_row(r);
      fibonacci_air{}.eval(b);
    }
    const check_report got = check_trace(fibonacci_air{}, w.trace, w.public_values, cap);
    EXPECT_GT(expected.total, 4u);
    EXPECT_EQ(got.total, expected.total) << "cap " << cap;
    EXPECT_EQ(got.violations, expected.violations) << "cap " << cap;
  }
}

}  // namespace
}  // namespace ciro::air
