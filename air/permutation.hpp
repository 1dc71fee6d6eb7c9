#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "air/air.hpp"
#include "air/lookup.hpp"
#include "air/range_check.hpp"
#include "field/babybear.hpp"
#include "kernels/matrix.hpp"

namespace ciro::air {

/// The bus that shows that two columns hold the same multiset: 1-tuples (a).
inline constexpr bus permutation_bus{2, "permutation"};

/// The left side of a sorting statement ("permutation-left"): a column of values a, each sent
/// once to permutation_bus.
///
/// Main columns:  0  a.
/// Buses:         sends (a) on permutation_bus with multiplicity 1 (tuple degree 1,
///                multiplicity degree 0).
/// Constraints:   none besides the bus. No public values, no fixed columns.
struct permutation_left_air {
  /// The main column: a.
  static constexpr std::size_t col_a = 0;

  /// "permutation-left".
  std::string_view name() const { return "permutation-left"; }
  /// 1 column: a.
  std::size_t width() const { return 1; }
  /// No public values.
  std::size_t num_public_values() const { return 0; }

  /// The send above.
  template <class B>
  void eval(B& b) const {
    b.send(permutation_bus, {b.local(col_a)}, b.constant(field::babybear::one()));
  }
};
static_assert(air<permutation_left_air>);

/// The right side of a sorting statement ("permutation-right"): a column s that holds the
/// left side's values in ascending order. It receives each s once from permutation_bus, so with
/// permutation_left_air of the same number of rows the bus balances only if s is a permutation
/// of a; and it sends every step s_{i+1} - s_i to range16_bus, so with range_table_air each
/// step is in [0, 2^16) (as a field element).
///
/// Fixed columns: 0  not_last = 1 on every row but the last, 0 on the last (the step from the
///                   last row to the first, which next() reads cyclically, is not sent).
/// Main columns:  0  s.
/// Buses, in order:
///   receives (s) on permutation_bus with multiplicity 1           (tuple degree 1, mult. 0)
///   sends (s' - s) on range16_bus with multiplicity not_last      (tuple degree 1, mult. 1)
/// Constraints:   none besides the buses. No public values.
///
/// What the three tables prove: s is a permutation of a, and s_{i+1} = s_i + d_i (mod p) with
/// d_i in [0, 2^16) for every i < n - 1. When the values are below 2^16 (as the generator's are;
/// a range check of the left column would prove it), s_i + d_i < 2^17 < p, so the steps are
/// integer steps and s is sorted ascending. Without that bound the steps could wrap around p.
struct permutation_right_air {
  /// The main column: s.
  static constexpr std::size_t col_s = 0;
  /// The fixed column: not_last.
  static constexpr std::size_t fixed_not_last = 0;

  /// "permutation-right".
  std::string_view name() const { return "permutation-right"; }
  /// 1 main column: s.
  std::size_t width() const { return 1; }
  /// No public values.
  std::size_t num_public_values() const { return 0; }
  /// 1 fixed column: not_last.
  std::size_t num_fixed_columns() const { return 1; }
  /// The fixed column on 2^log_rows rows: 1 everywhere but the last row, which holds 0 (a single
  /// row is the last one: it holds 0). Precondition: log_rows <= 27 (CIRO_CHECK).
  kernels::row_major_matrix<field::babybear> fixed_trace(unsigned log_rows) const;

  /// The receive and the send above, in that order.
  template <class B>
  void eval(B& b) const {
    b.receive(permutation_bus, {b.local(col_s)}, b.constant(field::babybear::one()));
    b.send(range16_bus, {b.next(col_s) - b.local(col_s)}, b.fixed(fixed_not_last));
  }
};
static_assert(air<permutation_right_air>);
static_assert(has_fixed_columns<permutation_right_air>);

/// A sorting statement's three witnesses: the left column, the right column (sorted), and the
/// range table's multiplicities for the right column's steps.
struct permutation_witness {
  witness left;
  witness right;
  witness table;
};

/// left: 2^log_rows values random_u16_values(2^log_rows, seed) (a 2^log_rows x 1 trace);
/// right: the same values sorted ascending; table: range_table_witness of the 2^log_rows - 1
/// steps right[i + 1] - right[i]. No public values. Precondition: log_rows <= 27 (CIRO_CHECK).
permutation_witness generate_permutation(unsigned log_rows, std::uint64_t seed);

}  // namespace ciro::air
