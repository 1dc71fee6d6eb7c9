#include "air/poseidon2_air.hpp"

#include <gtest/gtest.h>

#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <vector>

#include "air/debug_checker.hpp"
#include "air/symbolic_builder.hpp"
#include "hash/poseidon2.hpp"
#include "hash/poseidon2_packed.hpp"
#include "tests/support/seed.hpp"
#include "tests/support/simd_targets.hpp"

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

/// The reference for generate_poseidon2_trace: the sequential fill it replaced (a zeroed matrix,
/// each row filled from the previous row's output).
witness sequential_trace(unsigned log_rows, const state& input) {
  const std::size_t n = std::size_t{1} << log_rows;
  witness w{kernels::row_major_matrix<babybear>(n, cols::count), {}};
  state s = input;
  for (std::size_t r = 0; r < n; ++r) s = fill_poseidon2_row(w.trace.row(r), s);
  w.public_values.insert(w.public_values.end(), input.begin(), input.end());
  w.public_values.insert(w.public_values.end(), s.begin(), s.end());
  return w;
}

/// Whether two witnesses are equal byte for byte.
bool same_bytes(const witness& a, const witness& b) {
  return a.trace.rows() == b.trace.rows() && a.trace.width() == b.trace.width() && a.public_values == b.public_values &&
         std::equal(a.trace.values().begin(), a.trace.values().end(), b.trace.values().begin(),
                    [](babybear x, babybear y) { return x.monty() == y.monty(); });
}

TEST(Poseidon2Air, ParallelTraceEqualsTheSequentialFill) {
  test::seeded_rng rng;
  // Default threads, one thread (the sequential path) and two (the chain and the fills in
  // separate tasks, even where the default is one).
  for (const int threads : {0, 1, 2}) {
    tbb::task_arena arena = threads == 0 ? tbb::task_arena() : tbb::task_arena(threads);
    arena.execute([&] {
      for (unsigned log_rows = 0; log_rows <= 10; ++log_rows) {
        for (int t = 0; t < 3; ++t) {
          const state in = random_state(rng);
          EXPECT_TRUE(same_bytes(generate_poseidon2_trace(log_rows, in), sequential_trace(log_rows, in)))
              << "threads " << threads << ", log_rows " << log_rows;
        }
      }
    });
  }
}

TEST(Poseidon2Air, IndependentChainsEqualTheirSequentialFills) {
  test::seeded_rng rng;
  // Fewer chains than SIMD lanes, more than one group of lanes, and none.
  for (const std::size_t count :
       {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{5}, 2 * hash::poseidon2_lanes() + 1}) {
    for (const unsigned log_rows : {0u, 3u, 8u, 9u}) {
      std::vector<state> inputs(count);
      for (state& in : inputs) in = random_state(rng);
      if (count > 1) inputs[1] = inputs[0];  // two equal chains
      const std::vector<witness> ws = generate_poseidon2_traces(log_rows, inputs);
      ASSERT_EQ(ws.size(), count);
      for (std::size_t i = 0; i < count; ++i) {
        EXPECT_TRUE(same_bytes(ws[i], sequential_trace(log_rows, inputs[i])))
            << "chain " << i << " of " << count << ", log_rows " << log_rows;
      }
    }
  }
}

TEST(Poseidon2Air, ParallelTracesAreTheSameOnEverySimdTarget) {
  test::seeded_rng rng;
  const state in = random_state(rng);
  std::vector<state> inputs(3);
  for (state& x : inputs) x = random_state(rng);
  const witness single = sequential_trace(9, in);
  std::vector<witness> expected;
  for (const state& x : inputs) expected.push_back(sequential_trace(6, x));
  // The chains advance with the packed permutation, or with the scalar one on a target with
  // fewer than 4 lanes.
  test::for_each_simd_target([&] {
    EXPECT_TRUE(same_bytes(generate_poseidon2_trace(9, in), single));
    const std::vector<witness> ws = generate_poseidon2_traces(6, inputs);
    ASSERT_EQ(ws.size(), inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) EXPECT_TRUE(same_bytes(ws[i], expected[i])) << i;
  });
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
