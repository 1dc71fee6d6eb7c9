#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "air/air.hpp"
#include "field/babybear.hpp"
#include "kernels/matrix.hpp"

/// Lookups between tables (LogUp buses) and fixed (preprocessed) columns.
///
/// A table states what it sends to and receives from named buses in the same eval() as its
/// constraints:
///
///     b.send(bus, {x, y}, m);     // the tuple (x, y) with multiplicity m, on every row
///     b.receive(bus, {x, y}, m);  // the same, counted negatively
///
/// The tuple and the multiplicity are expressions of the row (degree >= 0). A set of tables is
/// balanced when, for every bus and every tuple, the multiplicities sent add up to those
/// received (as field elements, over all rows of all tables). The prover proves this with the
/// LogUp argument (Haboeck 2022): sum over all interactions of +-m / (z - fingerprint) = 0 for
/// random z (docs/protocol.md).
///
/// Fixed columns hold values that do not depend on the witness (a range table, an activation
/// table, weights): b.fixed(c) and b.fixed_next(c) read column c of the table's fixed trace at
/// the current and next row. They are committed once per circuit, in the verifying key.
namespace ciro::air {

/// A named bus. The id enters the fingerprint of every tuple sent on the bus, so two buses with
/// different ids never balance each other; the name is for reports. Ids must be unique among
/// the buses of a statement.
struct bus {
  std::uint32_t id = 0;
  std::string_view name;
  friend constexpr bool operator==(const bus& a, const bus& b) { return a.id == b.id; }
};

/// What eval() may use of a builder beyond `builder`: fixed columns and bus interactions.
template <class B>
concept lookup_builder = builder<B> && requires(B& b, const typename B::expr& e, std::size_t i, const bus& bus) {
  { b.fixed(i) } -> std::convertible_to<typename B::expr>;
  { b.fixed_next(i) } -> std::convertible_to<typename B::expr>;
  b.send(bus, std::initializer_list<typename B::expr>{e}, e);
  b.receive(bus, std::initializer_list<typename B::expr>{e}, e);
};

/// An AIR with fixed columns: num_fixed_columns() columns whose values on a table of
/// 2^log_rows rows fixed_trace(log_rows) returns (rows x num_fixed_columns, row-major).
template <class A>
concept has_fixed_columns = requires(const A& a, unsigned log_rows) {
  { a.num_fixed_columns() } -> std::convertible_to<std::size_t>;
  { a.fixed_trace(log_rows) } -> std::convertible_to<kernels::row_major_matrix<field::babybear>>;
};

/// The number of fixed columns of an AIR (0 for an AIR without them).
template <class A>
std::size_t num_fixed_columns(const A& a) {
  if constexpr (has_fixed_columns<A>) {
    return a.num_fixed_columns();
  } else {
    return 0;
  }
}

}  // namespace ciro::air
