#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
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

/// The 16-bit range table ("range16-table", or "range16-table-xL" with L > 1 lanes): the 2^16
/// values spread over L lanes of 2^16 / L rows, lane l holding the values l 2^16 / L .. (l + 1)
/// 2^16 / L - 1 in order (value v on row v mod 2^16 / L of lane v div 2^16 / L), each with, in a
/// main column, the number of times m_v that v is looked up by the other tables of the statement.
/// Lanes trade height for width: the cells and the lookups are the same, but a statement whose
/// other tables are short need not pay for a 2^16-row domain (its LDE, Merkle trees and FRI).
///
/// Fixed columns: l  the value of lane l on the row.
/// Main columns:  l  m = the multiplicity of that value (range_table_witness computes it).
/// Buses:         per lane l, in order: receives (fixed l) on range16_bus with multiplicity
///                main l (tuple degree 1, multiplicity degree 1).
/// Constraints:   none besides the bus.
///
/// What it proves, with the tables that send to range16_bus: the bus balances only if every
/// tuple sent on it, counted with its multiplicity, is some v in [0, 2^16) (as a field element),
/// received m_v times. With at most p - 1 lookups in all (p = 2^31 - 2^27 + 1), the field counts
/// are exact counts, so every value sent is below 2^16.
class range_table_air {
 public:
  /// log2 of the number of values, and of the one-lane table's rows.
  static constexpr unsigned table_log_rows = 16;
  /// The number of values, the bound of the range: 2^16.
  static constexpr std::uint32_t table_rows = std::uint32_t{1} << table_log_rows;
  /// The most lanes (the shortest table has 2^16 / max_lanes rows).
  static constexpr std::size_t max_lanes = 64;
  /// The main column of the one-lane table: the multiplicity m.
  static constexpr std::size_t col_multiplicity = 0;
  /// The fixed column of the one-lane table: the value v.
  static constexpr std::size_t fixed_value = 0;

  /// The table of `lanes` lanes. Precondition: lanes is a power of two, 1 <= lanes <= max_lanes
  /// (CIRO_CHECK).
  explicit range_table_air(std::size_t lanes = 1);

  /// "range16-table", or "range16-table-xL" for L > 1 lanes.
  std::string_view name() const { return name_; }
  /// One main column per lane: m.
  std::size_t width() const { return lanes_; }
  /// No public values.
  std::size_t num_public_values() const { return 0; }
  /// One fixed column per lane: the value.
  std::size_t num_fixed_columns() const { return lanes_; }
  /// The number of lanes.
  std::size_t lanes() const { return lanes_; }
  /// log2 of the table's rows: 16 - log2(lanes).
  unsigned log_rows() const { return log_rows_; }
  /// The table has exactly 2^log_rows() rows.
  bool accepts_log_rows(unsigned log_rows) const { return log_rows == log_rows_; }
  /// The fixed columns: lane l of row r holds l 2^log_rows + r. Precondition: log_rows ==
  /// log_rows() (CIRO_CHECK).
  kernels::row_major_matrix<field::babybear> fixed_trace(unsigned log_rows) const;

  /// The receives above.
  template <class B>
  void eval(B& b) const {
    for (std::size_t l = 0; l < lanes_; ++l) b.receive(range16_bus, {b.fixed(l)}, b.local(l));
  }

 private:
  std::size_t lanes_;
  unsigned log_rows_;
  std::string name_;
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

/// The range table's witness for lookups of `values`, for a table of `lanes` lanes: a
/// 2^16 / lanes x lanes trace whose cell for v (range_table_air's layout) holds the number of
/// occurrences of v in `values`, and no public values. Computed in parallel (TBB: one histogram
/// per thread, then their sum). Preconditions: every value is below 2^16, values.size() < p, and
/// lanes is one range_table_air accepts (CIRO_CHECK).
witness range_table_witness(std::span<const std::uint32_t> values, std::size_t lanes = 1);

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
