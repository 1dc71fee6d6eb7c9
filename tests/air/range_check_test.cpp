#include "air/range_check.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <numeric>
#include <vector>

#include "tests/air/bus_recorder.hpp"
#include "tests/support/seed.hpp"

namespace ciro::air {
namespace {

using field::babybear;
namespace lt = lookup_test;
using lt::add_traffic;
using lt::bus_traffic;
using lt::recording_builder;

constexpr std::uint32_t table_rows = range_table_air::table_rows;

/// The multiplicity column of a range table witness as integers.
std::vector<std::uint64_t> multiplicities(const witness& table) {
  std::vector<std::uint64_t> m(table.trace.rows());
  for (std::size_t v = 0; v < m.size(); ++v) m[v] = table.trace.at(v, range_table_air::col_multiplicity).to_canonical();
  return m;
}

/// The cells of a trace as integers, row-major.
std::vector<std::uint32_t> cells(const witness& w) {
  std::vector<std::uint32_t> out;
  for (const babybear x : w.trace.values()) out.push_back(x.to_canonical());
  return out;
}

/// The slow count: occurrences of each value, one by one.
std::vector<std::uint64_t> slow_count(const std::vector<std::uint32_t>& values) {
  std::vector<std::uint64_t> m(table_rows, 0);
  for (const std::uint32_t v : values) ++m.at(v);
  return m;
}

TEST(RangeCheck, AirShapes) {
  static_assert(lookup_builder<recording_builder>);
  const range_table_air table;
  EXPECT_EQ(table.name(), "range16-table");
  EXPECT_EQ(table.width(), 1u);
  EXPECT_EQ(table.num_public_values(), 0u);
  EXPECT_EQ(num_fixed_columns(table), 1u);
  EXPECT_EQ(range16_bus.id, 1u);
  EXPECT_EQ(range16_bus.name, "range16");

  const range_check_air check;
  EXPECT_EQ(check.name(), "range-check");
  EXPECT_EQ(check.width(), 4u);
  EXPECT_EQ(check.values_per_row(), 4u);
  EXPECT_EQ(check.num_public_values(), 0u);
  EXPECT_EQ(num_fixed_columns(check), 0u);
  EXPECT_EQ(range_check_air(7).width(), 7u);
}

TEST(RangeCheck, FixedTraceHoldsEverySixteenBitValueOnItsRow) {
  const kernels::row_major_matrix<babybear> t = range_table_air{}.fixed_trace(16);
  ASSERT_EQ(t.rows(), std::size_t{1} << 16);
  ASSERT_EQ(t.width(), 1u);
  for (std::uint32_t v = 0; v < table_rows; ++v) ASSERT_EQ(t.at(v, 0), babybear::from_canonical(v)) << v;
}

TEST(RangeCheck, TableWitnessCountsOccurrences) {
  const std::vector<std::uint32_t> values = {0, 5, 5, 65535, 7, 5};
  const witness w = range_table_witness(values);
  ASSERT_EQ(w.trace.rows(), std::size_t{table_rows});
  ASSERT_EQ(w.trace.width(), 1u);
  EXPECT_TRUE(w.public_values.empty());
  std::vector<std::uint64_t> expected(table_rows, 0);
  expected[0] = 1, expected[5] = 3, expected[7] = 1, expected[65535] = 1;
  EXPECT_EQ(multiplicities(w), expected);
  EXPECT_EQ(multiplicities(range_table_witness({})), std::vector<std::uint64_t>(table_rows, 0));
}

TEST(RangeCheck, RandomValuesAreSeededAndBelowTwoToSixteen) {
  test::seeded_rng rng;
  const std::uint64_t seed = rng.next();
  const std::vector<std::uint32_t> a = random_u16_values(5000, seed);
  ASSERT_EQ(a.size(), 5000u);
  EXPECT_TRUE(std::all_of(a.begin(), a.end(), [](std::uint32_t v) { return v < table_rows; }));
  EXPECT_EQ(a, random_u16_values(5000, seed));
  // A prefix of a longer stream, and a different stream for another seed.
  const std::vector<std::uint32_t> longer = random_u16_values(6000, seed);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), longer.begin()));
  EXPECT_NE(a, random_u16_values(5000, seed + 1));
  // Spread: many distinct values and both halves of the range.
  std::vector<std::uint32_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_GT(std::unique(sorted.begin(), sorted.end()) - sorted.begin(), 4500);
  EXPECT_LT(sorted.front(), 1000u);
  EXPECT_GT(sorted.back(), 64535u);
}

TEST(RangeCheck, GeneratedTablesHaveTheDocumentedShape) {
  test::seeded_rng rng;
  for (unsigned log_values : {0u, 1u, 2u, 3u, 5u, 10u}) {
    for (unsigned per_row : {1u, 2u, 3u, 4u, 5u, 8u, 16u}) {
      SCOPED_TRACE(::testing::Message() << "log_values " << log_values << ", values_per_row " << per_row);
      const std::uint64_t seed = rng.next();
      const range_check_witness w = generate_range_check(log_values, seed, per_row);
      const std::size_t count = std::size_t{1} << log_values;
      const std::size_t rows = std::bit_ceil((count + per_row - 1) / per_row);
      ASSERT_EQ(w.values.trace.rows(), rows);
      ASSERT_EQ(w.values.trace.width(), per_row);
      EXPECT_TRUE(w.values.public_values.empty());
      if (std::has_single_bit(per_row) && per_row <= count) {
        EXPECT_EQ(rows, count / per_row);
      }
      if (per_row > count) {
        EXPECT_EQ(rows, 1u);
      }

      // The values, row-major, then padding zeros.
      const std::vector<std::uint32_t> got = cells(w.values);
      const std::vector<std::uint32_t> expected_values = random_u16_values(count, seed);
      EXPECT_TRUE(std::equal(expected_values.begin(), expected_values.end(), got.begin()));
      EXPECT_TRUE(std::all_of(got.begin() + static_cast<std::ptrdiff_t>(count), got.end(),
                              [](std::uint32_t v) { return v == 0; }));

      // The table: 2^16 x 1, counting every cell (padding included).
      ASSERT_EQ(w.table.trace.rows(), std::size_t{table_rows});
      ASSERT_EQ(w.table.trace.width(), 1u);
      EXPECT_TRUE(w.table.public_values.empty());
      const std::vector<std::uint64_t> m = multiplicities(w.table);
      EXPECT_EQ(std::accumulate(m.begin(), m.end(), std::uint64_t{0}), rows * per_row);
      EXPECT_EQ(m, slow_count(got));
    }
  }
}

TEST(RangeCheck, ParallelHistogramOfTwoToTheTwentyValuesMatchesASlowCount) {
  test::seeded_rng rng;
  const range_check_witness w = generate_range_check(20, rng.next());
  ASSERT_EQ(w.values.trace.rows(), std::size_t{1} << 18);
  ASSERT_EQ(w.values.trace.width(), 4u);
  const std::vector<std::uint64_t> m = multiplicities(w.table);
  EXPECT_EQ(std::accumulate(m.begin(), m.end(), std::uint64_t{0}), std::uint64_t{1} << 20);
  EXPECT_EQ(m, slow_count(cells(w.values)));
}

TEST(RangeCheck, GeneratorIsDeterministic) {
  test::seeded_rng rng;
  const std::uint64_t seed = rng.next();
  const range_check_witness a = generate_range_check(12, seed, 4);
  const range_check_witness b = generate_range_check(12, seed, 4);
  EXPECT_EQ(a.values.trace, b.values.trace);
  EXPECT_EQ(a.table.trace, b.table.trace);
  EXPECT_NE(a.values.trace, generate_range_check(12, seed ^ 1, 4).values.trace);
}

TEST(RangeCheck, EvalRecordsTheDocumentedInteractions) {
  const range_table_air table;
  recording_builder t(table.width(), num_fixed_columns(table), table.num_public_values());
  table.eval(t);
  EXPECT_TRUE(t.constraints.empty());
  ASSERT_EQ(t.interactions.size(), 1u);
  EXPECT_EQ(t.interactions[0].bus_, range16_bus);
  EXPECT_FALSE(t.interactions[0].is_send);
  ASSERT_EQ(t.interactions[0].tuple.size(), 1u);
  EXPECT_EQ(t.interactions[0].tuple[0].node->op, lt::sym_op::fixed);
  EXPECT_EQ(t.interactions[0].multiplicity.node->op, lt::sym_op::local);
  EXPECT_EQ(lt::degree(t.interactions[0].tuple[0]), 1u);
  EXPECT_EQ(lt::degree(t.interactions[0].multiplicity), 1u);

  for (std::size_t per_row : {1u, 4u, 9u}) {
    const range_check_air check(per_row);
    recording_builder c(check.width(), 0, check.num_public_values());
    check.eval(c);
    EXPECT_TRUE(c.constraints.empty());
    ASSERT_EQ(c.interactions.size(), per_row);
    for (std::size_t k = 0; k < per_row; ++k) {
      const lt::recorded_interaction& it = c.interactions[k];
      EXPECT_EQ(it.bus_.id, range16_bus.id);
      EXPECT_TRUE(it.is_send);
      ASSERT_EQ(it.tuple.size(), 1u);
      EXPECT_EQ(it.tuple[0].node->op, lt::sym_op::local);
      EXPECT_EQ(it.tuple[0].node->index, k);
      EXPECT_EQ(it.multiplicity.node->op, lt::sym_op::constant);
      EXPECT_EQ(it.multiplicity.node->value, babybear::one());
      EXPECT_EQ(lt::degree(it.multiplicity), 0u);
    }
  }
}

/// The traffic of a range check statement: the values table's sends and the range table's
/// receives.
bus_traffic traffic(const range_check_air& check, const witness& values, const witness& table) {
  bus_traffic t;
  const range_table_air table_air;
  const kernels::row_major_matrix<babybear> fixed = table_air.fixed_trace(16);
  add_traffic(check, values.trace, nullptr, values.public_values, t);
  add_traffic(table_air, table.trace, &fixed, table.public_values, t);
  return t;
}

TEST(RangeCheck, GeneratedWitnessBalancesTheBus) {
  test::seeded_rng rng;
  for (unsigned per_row : {1u, 3u, 4u}) {
    for (unsigned log_values : {0u, 4u, 12u}) {
      SCOPED_TRACE(::testing::Message() << "log_values " << log_values << ", values_per_row " << per_row);
      const range_check_witness w = generate_range_check(log_values, rng.next(), per_row);
      const bus_traffic t = traffic(range_check_air(per_row), w.values, w.table);
      EXPECT_EQ(t.sent, t.received);
      // Every cell is sent once.
      std::uint64_t sent = 0;
      for (const auto& [tuple, m] : t.sent) {
        EXPECT_EQ(tuple.first, range16_bus.id);
        EXPECT_EQ(tuple.second.size(), 1u);
        sent += m;
      }
      EXPECT_EQ(sent, w.values.trace.rows() * per_row);
    }
  }
}

TEST(RangeCheck, OutOfRangeValueOrWrongCountUnbalancesTheBus) {
  test::seeded_rng rng;
  const range_check_witness w = generate_range_check(10, rng.next(), 4);
  const range_check_air check(4);
  {
    witness values = w.values;
    values.trace.at(rng.below(values.trace.rows()), rng.below(4)) = babybear::from_canonical(table_rows);  // 2^16
    const bus_traffic t = traffic(check, values, w.table);
    EXPECT_NE(t.sent, t.received);
  }
  {
    witness table = w.table;
    table.trace.at(rng.below(table_rows), 0) += babybear::one();
    const bus_traffic t = traffic(check, w.values, table);
    EXPECT_NE(t.sent, t.received);
  }
}

TEST(RangeCheck, LanesSpreadTheValuesOverShorterRows) {
  test::seeded_rng rng;
  for (const std::size_t lanes : {2u, 8u, 64u}) {
    SCOPED_TRACE(::testing::Message() << lanes << " lanes");
    const range_table_air table(lanes);
    const std::size_t rows = table_rows / lanes;
    EXPECT_EQ(table.name(), "range16-table-x" + std::to_string(lanes));
    EXPECT_EQ(table.width(), lanes);
    EXPECT_EQ(num_fixed_columns(table), lanes);
    EXPECT_EQ(std::size_t{1} << table.log_rows(), rows);
    EXPECT_TRUE(table.accepts_log_rows(table.log_rows()));
    EXPECT_FALSE(table.accepts_log_rows(16));
    // Lane l of row r holds l rows + r: every value exactly once.
    const kernels::row_major_matrix<babybear> t = table.fixed_trace(table.log_rows());
    ASSERT_EQ(t.rows(), rows);
    ASSERT_EQ(t.width(), lanes);
    std::vector<int> seen(table_rows, 0);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t l = 0; l < lanes; ++l) {
        ASSERT_EQ(t.at(r, l).to_canonical(), l * rows + r);
        ++seen[t.at(r, l).to_canonical()];
      }
    EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }));
    // The witness counts value v at its cell, as the slow count does.
    const std::vector<std::uint32_t> values = random_u16_values(3000 + rng.below(3000), rng.next());
    const witness w = range_table_witness(values, lanes);
    ASSERT_EQ(w.trace.rows(), rows);
    ASSERT_EQ(w.trace.width(), lanes);
    const std::vector<std::uint64_t> expected = slow_count(values);
    for (std::uint32_t v = 0; v < table_rows; ++v) ASSERT_EQ(w.trace.at(v % rows, v / rows).to_canonical(), expected[v]) << v;
    // With the values table, the bus balances; one more count anywhere unbalances it.
    witness check{kernels::row_major_matrix<babybear>(values.size(), 1), {}};
    for (std::size_t i = 0; i < values.size(); ++i) check.trace.at(i, 0) = babybear::from_canonical(values[i]);
    const auto traffic_of = [&](const witness& counts) {
      bus_traffic t;
      const kernels::row_major_matrix<babybear> fixed = table.fixed_trace(table.log_rows());
      add_traffic(range_check_air(1), check.trace, nullptr, check.public_values, t);
      add_traffic(table, counts.trace, &fixed, counts.public_values, t);
      return t;
    };
    const bus_traffic balanced = traffic_of(w);
    EXPECT_EQ(balanced.sent, balanced.received);
    witness more = w;
    more.trace.at(rng.below(rows), rng.below(lanes)) += babybear::one();
    const bus_traffic unbalanced = traffic_of(more);
    EXPECT_NE(unbalanced.sent, unbalanced.received);
  }
  // One lane is the 2^16-row table.
  EXPECT_EQ(range_table_air(1).name(), "range16-table");
  EXPECT_EQ(range_table_air(1).log_rows(), 16u);
}

}  // namespace
}  // namespace ciro::air
