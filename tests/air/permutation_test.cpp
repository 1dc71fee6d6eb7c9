#include "air/permutation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <numeric>
#include <vector>

#include "air/range_check.hpp"
#include "tests/air/bus_recorder.hpp"
#include "tests/support/seed.hpp"

namespace ciro::air {
namespace {

using field::babybear;
namespace lt = lookup_test;

/// A 2^k x 1 trace's column as integers.
std::vector<std::uint32_t> column(const witness& w) {
  std::vector<std::uint32_t> out;
  for (std::size_t r = 0; r < w.trace.rows(); ++r) out.push_back(w.trace.at(r, 0).to_canonical());
  return out;
}

TEST(Permutation, AirShapes) {
  const permutation_left_air left;
  EXPECT_EQ(left.name(), "permutation-left");
  EXPECT_EQ(left.width(), 1u);
  EXPECT_EQ(left.num_public_values(), 0u);
  EXPECT_EQ(num_fixed_columns(left), 0u);
  const permutation_right_air right;
  EXPECT_EQ(right.name(), "permutation-right");
  EXPECT_EQ(right.width(), 1u);
  EXPECT_EQ(right.num_public_values(), 0u);
  EXPECT_EQ(num_fixed_columns(right), 1u);
  EXPECT_EQ(permutation_bus.id, 2u);
  EXPECT_EQ(permutation_bus.name, "permutation");
  EXPECT_FALSE(permutation_bus == range16_bus);
}

TEST(Permutation, NotLastIsOneExceptOnTheLastRow) {
  for (unsigned log_rows = 0; log_rows <= 10; ++log_rows) {
    const kernels::row_major_matrix<babybear> t = permutation_right_air{}.fixed_trace(log_rows);
    const std::size_t n = std::size_t{1} << log_rows;
    ASSERT_EQ(t.rows(), n);
    ASSERT_EQ(t.width(), 1u);
    for (std::size_t r = 0; r < n; ++r) {
      EXPECT_EQ(t.at(r, 0), r + 1 < n ? babybear::one() : babybear::zero()) << log_rows << " " << r;
    }
  }
}

TEST(Permutation, GeneratedRightIsTheSortedLeftAndTheTableCountsTheSteps) {
  test::seeded_rng rng;
  for (unsigned log_rows : {0u, 1u, 2u, 5u, 10u, 16u}) {
    SCOPED_TRACE(::testing::Message() << "log_rows " << log_rows);
    const std::uint64_t seed = rng.next();
    const permutation_witness w = generate_permutation(log_rows, seed);
    const std::size_t n = std::size_t{1} << log_rows;
    for (const witness* side : {&w.left, &w.right}) {
      ASSERT_EQ(side->trace.rows(), n);
      ASSERT_EQ(side->trace.width(), 1u);
      EXPECT_TRUE(side->public_values.empty());
    }
    const std::vector<std::uint32_t> left = column(w.left), right = column(w.right);
    EXPECT_EQ(left, random_u16_values(n, seed));
    EXPECT_TRUE(std::all_of(left.begin(), left.end(), [](std::uint32_t v) { return v < range_table_air::table_rows; }));
    EXPECT_TRUE(std::is_sorted(right.begin(), right.end()));
    std::vector<std::uint32_t> sorted_left = left;
    std::sort(sorted_left.begin(), sorted_left.end());
    EXPECT_EQ(sorted_left, right);  // with is_sorted(right): right is a permutation of left

    ASSERT_EQ(w.table.trace.rows(), std::size_t{range_table_air::table_rows});
    ASSERT_EQ(w.table.trace.width(), 1u);
    EXPECT_TRUE(w.table.public_values.empty());
    std::vector<std::uint64_t> expected(range_table_air::table_rows, 0);
    for (std::size_t i = 0; i + 1 < n; ++i) ++expected.at(right[i + 1] - right[i]);
    std::vector<std::uint64_t> m;
    for (std::size_t v = 0; v < expected.size(); ++v) m.push_back(w.table.trace.at(v, 0).to_canonical());
    EXPECT_EQ(m, expected);
    EXPECT_EQ(std::accumulate(m.begin(), m.end(), std::uint64_t{0}), n - 1);
  }
}

TEST(Permutation, EvalRecordsTheDocumentedInteractions) {
  const permutation_left_air left;
  lt::recording_builder l(left.width(), num_fixed_columns(left), left.num_public_values());
  left.eval(l);
  EXPECT_TRUE(l.constraints.empty());
  ASSERT_EQ(l.interactions.size(), 1u);
  EXPECT_EQ(l.interactions[0].bus_, permutation_bus);
  EXPECT_TRUE(l.interactions[0].is_send);
  ASSERT_EQ(l.interactions[0].tuple.size(), 1u);
  EXPECT_EQ(l.interactions[0].tuple[0].node->op, lt::sym_op::local);
  EXPECT_EQ(l.interactions[0].multiplicity.node->op, lt::sym_op::constant);
  EXPECT_EQ(l.interactions[0].multiplicity.node->value, babybear::one());

  const permutation_right_air right;
  lt::recording_builder r(right.width(), num_fixed_columns(right), right.num_public_values());
  right.eval(r);
  EXPECT_TRUE(r.constraints.empty());
  ASSERT_EQ(r.interactions.size(), 2u);
  const lt::recorded_interaction& receive = r.interactions[0];
  EXPECT_EQ(receive.bus_, permutation_bus);
  EXPECT_FALSE(receive.is_send);
  ASSERT_EQ(receive.tuple.size(), 1u);
  EXPECT_EQ(receive.tuple[0].node->op, lt::sym_op::local);
  EXPECT_EQ(lt::degree(receive.multiplicity), 0u);
  const lt::recorded_interaction& step = r.interactions[1];
  EXPECT_EQ(step.bus_, range16_bus);
  EXPECT_TRUE(step.is_send);
  ASSERT_EQ(step.tuple.size(), 1u);
  EXPECT_EQ(step.tuple[0].node->op, lt::sym_op::sub);
  EXPECT_EQ(lt::degree(step.tuple[0]), 1u);
  EXPECT_EQ(step.multiplicity.node->op, lt::sym_op::fixed);
  EXPECT_EQ(lt::degree(step.multiplicity), 1u);
}

/// The traffic of the three tables of a sorting statement.
lt::bus_traffic traffic(const witness& left, const witness& right, const witness& table) {
  lt::bus_traffic t;
  const permutation_right_air right_air;
  const range_table_air table_air;
  const kernels::row_major_matrix<babybear> not_last =
      right_air.fixed_trace(static_cast<unsigned>(std::countr_zero(right.trace.rows())));
  const kernels::row_major_matrix<babybear> values = table_air.fixed_trace(16);
  lt::add_traffic(permutation_left_air{}, left.trace, nullptr, left.public_values, t);
  lt::add_traffic(right_air, right.trace, &not_last, right.public_values, t);
  lt::add_traffic(table_air, table.trace, &values, table.public_values, t);
  return t;
}

TEST(Permutation, GeneratedWitnessBalancesBothBuses) {
  test::seeded_rng rng;
  for (unsigned log_rows = 0; log_rows <= 10; ++log_rows) {
    SCOPED_TRACE(::testing::Message() << "log_rows " << log_rows);
    const permutation_witness w = generate_permutation(log_rows, rng.next());
    const lt::bus_traffic t = traffic(w.left, w.right, w.table);
    EXPECT_EQ(t.sent, t.received);
    EXPECT_EQ(lt::on_bus(t.sent, permutation_bus.id), lt::on_bus(t.received, permutation_bus.id));
    EXPECT_EQ(lt::on_bus(t.sent, range16_bus.id), lt::on_bus(t.received, range16_bus.id));
    std::uint64_t permuted = 0, steps = 0;
    for (const auto& [tuple, m] : t.sent) {
      EXPECT_EQ(tuple.second.size(), 1u);
      (tuple.first == permutation_bus.id ? permuted : steps) += m;
    }
    EXPECT_EQ(permuted, std::uint64_t{1} << log_rows);
    EXPECT_EQ(steps, (std::uint64_t{1} << log_rows) - 1);
  }
}

TEST(Permutation, UnsortedOrChangedRightUnbalancesABus) {
  test::seeded_rng rng;
  const permutation_witness w = generate_permutation(8, rng.next());
  const std::size_t n = w.right.trace.rows();
  {
    // Swap two different values: still a permutation, no longer sorted.
    witness right = w.right;
    std::size_t i = 0;
    while (right.trace.at(i, 0) == right.trace.at(n - 1, 0)) ++i;
    std::swap(right.trace.at(i, 0), right.trace.at(n - 1, 0));
    const lt::bus_traffic t = traffic(w.left, right, w.table);
    EXPECT_EQ(lt::on_bus(t.sent, permutation_bus.id), lt::on_bus(t.received, permutation_bus.id));
    EXPECT_NE(lt::on_bus(t.sent, range16_bus.id), lt::on_bus(t.received, range16_bus.id));
  }
  {
    // Raise the largest value: still sorted, no longer a permutation.
    witness right = w.right;
    right.trace.at(n - 1, 0) += babybear::one();
    const lt::bus_traffic t = traffic(w.left, right, w.table);
    EXPECT_NE(lt::on_bus(t.sent, permutation_bus.id), lt::on_bus(t.received, permutation_bus.id));
  }
}

}  // namespace
}  // namespace ciro::air
