#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "air/air.hpp"
#include "air/lookup.hpp"
#include "field/babybear.hpp"
#include "kernels/matrix.hpp"

namespace ciro::air {

/// The bus of 16-bit range checks: 1-tuples (v), received by range_table_air for every v in
/// [0, 2^16).
inline constexpr bus range16_bus{1, "range16"};

/// The 16-bit range table ("range16-table"): 2^16 rows (exactly: fixed_trace has no other size),
/// row v holding the value v in a fixed column and, in a main column, the number of times m_v
/// that v is looked up by the other tables of the statement.
///
/// Fixed columns: 0  value = v on row v (0 .. 2^16 - 1).
/// Main columns:  0  m = the multiplicity of v (range_table_witness computes it).
/// Buses:         receives (value) on range16_bus with multiplicity m (tuple degree 1,
///                multiplicity degree 1).
/// Constraints:   none besides the bus.
///
/// What it proves, with the tables that send to range16_bus: the bus balances only if every
/// tuple sent on it, counted with its multiplicity, is some v in [0, 2^16) (as a field element),
/// received m_v times. With at most p - 1 lookups in all (p = 2^31 - 2^27 + 1), the field counts
/// are exact counts, so every value sent is below 2^16.
struct range_table_air {
  /// log2 of the table's number of rows.
  static constexpr unsigned table_log_rows = 16;
  /// The table's number of rows, and the bound of the range: 2^16.
  static constexpr std::uint32_t table_rows = std::uint32_t{1} << table_log_rows;
  /// The main column: the multiplicity m.
  static constexpr std::size_t col_multiplicity = 0;
  /// The fixed column: the value v.
  static constexpr std::size_t fixed_value = 0;

  /// "range16-table".
  std::string_view name() const { return "range16-table"; }
  /// 1 main column: m.
  std::size_t width() const { return 1; }
  /// No public values.
  std::size_t num_public_values() const { return 0; }
  /// 1 fixed column: the value.
  std::size_t num_fixed_columns() const { return 1; }
  /// The table has exactly 2^table_log_rows rows.
  bool accepts_log_rows(unsigned log_rows) const { return log_rows == table_log_rows; }
  /// The fixed column: row v holds v. Precondition: log_rows == table_log_rows (CIRO_CHECK).
  kernels::row_major_matrix<field::babybear> fixed_trace(unsigned log_rows) const;

  /// The receive above.
  template <class B>
  void eval(B& b) const {
    b.receive(range16_bus, {b.fixed(fixed_value)}, b.local(col_multiplicity));
  }
};
static_assert(air<range_table_air>);
static_assert(has_fixed_columns<range_table_air>);

/// A table of values claimed to lie in [0, 2^16) ("range-check"): values_per_row main columns,
/// each value sent to range16_bus once. With range_table_air, the statement proves that every
/// cell of the table is below 2^16.
///
/// Main columns:  0 .. values_per_row - 1, one value each.
/// Buses:         per column c, in order: sends (v_c) on range16_bus with multiplicity 1
///                (tuple degree 1, multiplicity degree 0).
/// Constraints:   none besides the bus. No public values, no fixed columns.
struct range_check_air {
  /// A table of `values_per_row` values per row. Precondition: values_per_row >= 1 (CIRO_CHECK).
  explicit range_check_air(std::size_t values_per_row = 4);

  /// "range-check".
  std::string_view name() const { return "range-check"; }
  /// values_per_row columns.
  std::size_t width() const { return values_per_row_; }
  /// No public values.
  std::size_t num_public_values() const { return 0; }
  /// The number of values on each row.
  std::size_t values_per_row() const { return values_per_row_; }

  /// The values_per_row sends above.
  template <class B>
  void eval(B& b) const {
    const auto one = b.constant(field::babybear::one());
    for (std::size_t c = 0; c < values_per_row_; ++c) b.send(range16_bus, {b.local(c)}, one);
  }

 private:
  std::size_t values_per_row_;
};
static_assert(air<range_check_air>);

/// The range table's witness for lookups of `values`: a 2^16 x 1 trace whose row v holds the
/// number of occurrences of v in `values` (range_table_air's column m), and no public values.
/// Computed in parallel (TBB: one histogram per thread, then their sum, column by column).
/// Preconditions: every value is below 2^16, and values.size() < p (CIRO_CHECK).
witness range_table_witness(std::span<const std::uint32_t> values);

/// `count` pseudo-random values below 2^16: value i is the top 16 bits of the i-th output of
/// SplitMix64 seeded with `seed` (so any value can be computed on its own, and the values are
/// generated in parallel). The same seed gives the same values on every machine.
std::vector<std::uint32_t> random_u16_values(std::size_t count, std::uint64_t seed);

/// A range-check statement's two witnesses: the values table (for range_check_air) and the
/// range table's multiplicities (for range_table_air).
struct range_check_witness {
  witness values;
  witness table;
};

/// 2^log_values values, random_u16_values(2^log_values, seed), laid out row-major in a table of
/// values_per_row columns (value i on row i / values_per_row, column i % values_per_row), and
/// the range table's witness counting every cell. The table has bit_ceil(ceil(2^log_values /
/// values_per_row)) rows (2^log_values / values_per_row when values_per_row is a power of two
/// that does not exceed the number of values; at least 1 row): the cells after the last value
/// are zeros, which are range-checked (and counted) like the others.
/// Preconditions: log_values <= 27, values_per_row >= 1 (CIRO_CHECK).
range_check_witness generate_range_check(unsigned log_values, std::uint64_t seed, unsigned values_per_row = 4);

}  // namespace ciro::air
