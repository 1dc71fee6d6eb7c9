#include "air/poseidon2_air.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "air/debug_checker.hpp"
#include "air/symbolic_builder.hpp"
#include "hash/poseidon2.hpp"
#include "tests/support/seed.hpp"

namespace ciro::air {
namespace {

using field::babybear;
using cols = poseidon2_columns;
using state = std::array<babybear, 16>;

state random_state(test::seeded_rng& rng) {
  state s;
  for (babybear& x : s) x = babybear::from_u64(rng.next());
  return s;
}

TEST(Poseidon2Air, LayoutCoversEveryColumnOnce) {
  std::vector<int> seen(cols::count, 0);
  for (std::size_t i = 0; i < 16; ++i) ++seen[cols::input + i];
  for (std::size_t r = 0; r < 8; ++r) {
    for (std::size_t i = 0; i < 16; ++i) {
      ++seen[cols::full_cube(r, i)];
      ++seen[cols::full_post(r, i)];
    }
  }
  for (std::size_t r = 0; r < 13; ++r) {
    ++seen[cols::partial_cube(r)];
    ++seen[cols::partial_post(r)];
  }
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int k) { return k == 1; }));
  EXPECT_EQ(poseidon2_air{}.width(), 298u);
  EXPECT_EQ(poseidon2_air{}.num_public_values(), 32u);
}

TEST(Poseidon2Air, FilledRowComputesThePermutation) {
  test::seeded_rng rng;
  std::vector<babybear> row(cols::count);
  for (int t = 0; t < 50; ++t) {
    const state in = random_state(rng);
    const state out = fill_poseidon2_row(row, in);
    EXPECT_EQ(out, hash::poseidon2_16(in));
    for (std::size_t i = 0; i < 16; ++i) {
      EXPECT_EQ(row[cols::input + i], in[i]);
      EXPECT_EQ(row[cols::output(i)], out[i]);
    }
  }
}

TEST(Poseidon2Air, GeneratedTracesSatisfyTheConstraints) {
  test::seeded_rng rng;
  for (unsigned log_rows = 0; log_rows <= 7; ++log_rows) {
    const state in = random_state(rng);
    const witness w = generate_poseidon2_trace(log_rows, in);
    ASSERT_EQ(w.trace.rows(), std::size_t{1} << log_rows);
    ASSERT_EQ(w.trace.width(), cols::count);
    ASSERT_EQ(w.public_values.size(), 32u);
    const check_report report = check_trace(poseidon2_air{}, w.trace, w.public_values);
    EXPECT_TRUE(report.ok()) << "log_rows " << log_rows << ": " << to_string(report.violations.front());

    // The reference: the scalar permutation applied 2^log_rows times.
    state expected = in;
    for (std::size_t r = 0; r < w.trace.rows(); ++r) expected = hash::poseidon2_16(expected);
    EXPECT_TRUE(std::equal(in.begin(), in.end(), w.public_values.begin())) << log_rows;
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), w.public_values.begin() + 16)) << log_rows;
  }
}

TEST(Poseidon2Air, LongerChainSatisfiesTheConstraints) {
  test::seeded_rng rng;
  const state in = random_state(rng);
  const witness w = generate_poseidon2_trace(10, in);
  EXPECT_TRUE(check_trace(poseidon2_air{}, w.trace, w.public_values).ok());
  state s = in;
  for (std::size_t r = 0; r < w.trace.rows(); ++r) {
    for (std::size_t i = 0; i < 16; ++i) ASSERT_EQ(w.trace.at(r, cols::input + i), s[i]) << r;
    s = hash::poseidon2_16(s);
  }
  EXPECT_TRUE(std::equal(s.begin(), s.end(), w.public_values.begin() + 16));
}

/// Whether some violation is on row r or on the row before it (which reads row r through next()).
bool names_row_or_predecessor(const check_report& report, std::size_t r, std::size_t rows) {
  const std::size_t prev = (r + rows - 1) % rows;
  return std::any_of(report.violations.begin(), report.violations.end(),
                     [&](const violation& v) { return v.row == r || v.row == prev; });
}

TEST(Poseidon2Air, ChangingAnyCellBreaksAConstraintOnItsRowOrTheRowBefore) {
  test::seeded_rng rng;
  const witness w = generate_poseidon2_trace(4, random_state(rng));
  const std::size_t rows = w.trace.rows();
  kernels::row_major_matrix<babybear> trace = w.trace;
  auto tamper = [&](std::size_t r, std::size_t c) {
    const babybear delta = babybear::from_u64(1 + rng.below(babybear::modulus - 1));
    trace.at(r, c) += delta;
    const check_report report = check_trace(poseidon2_air{}, trace, w.public_values);
    EXPECT_FALSE(report.ok()) << "row " << r << " column " << c;
    EXPECT_TRUE(names_row_or_predecessor(report, r, rows))
        << "row " << r << " column " << c << ": " << to_string(report.violations.front());
    trace.at(r, c) = w.trace.at(r, c);
  };
  // Every column of the first, a middle and the last row, then random cells.
  for (std::size_t r : {std::size_t{0}, rows / 2, rows - 1}) {
    for (std::size_t c = 0; c < cols::count; ++c) tamper(r, c);
  }
  for (int t = 0; t < 300; ++t) tamper(rng.below(rows), rng.below(cols::count));
}

TEST(Poseidon2Air, WrongPublicValuesAreNamedOnTheFirstOrLastRow) {
  test::seeded_rng rng;
  const witness w = generate_poseidon2_trace(3, random_state(rng));
  for (std::size_t i = 0; i < 32; ++i) {
    std::vector<babybear> pv = w.public_values;
    pv[i] += babybear::one();
    const check_report report = check_trace(poseidon2_air{}, w.trace, pv);
    ASSERT_EQ(report.violations.size(), 1u) << i;
    EXPECT_EQ(report.violations[0].kind, i < 16 ? constraint_kind::first : constraint_kind::last) << i;
    EXPECT_EQ(report.violations[0].row, i < 16 ? 0u : 7u) << i;
  }
}

}  // namespace
}  // namespace ciro::air
