#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "field/babybear.hpp"
#include "kernels/matrix.hpp"
#include "stark/public_lookups.hpp"
#include "stark/table.hpp"

/// The prover's side of LogUp (air/logup.hpp): the auxiliary trace of a table, and the debug
/// check that a set of tables balances every bus. Defined for E = BabyBear^4 and BabyBear^5.
namespace ciro::stark {

/// A table's aux trace (rows x aux_width, helper columns then the accumulator, E elements as D
/// base coordinates) and its total, the accumulator's last value.
template <class E>
struct aux_trace {
  kernels::row_major_matrix<field::babybear> trace;
  E total;
};

/// The aux trace of the table `kind` for its main and fixed traces: h_S[r] = sum_{k in S}
/// s_k m_k(r) / (z - phi_k(r)) per batch S, phi_k = bus_k + sum_j gamma^j v_j, and the running
/// sum of the h_S. gamma_powers holds gamma^1 .. gamma^T (T = the longest tuple). Precondition:
/// kind has lookups; no denominator is zero (probability about K n / |E| for random z; checked).
/// Cost: one eval() per row, one batched inversion per block of rows (TBB), a prefix sum.
template <class E>
aux_trace<E> build_aux_trace(const table<E>& kind, kernels::matrix_view<const field::babybear> main,
                             kernels::matrix_view<const field::babybear> fixed,
                             std::span<const field::babybear> public_values, E z, std::span<const E> gamma_powers);

/// The augmented AIR's public values: the table's own, then z, gamma^1 .. gamma^T and total as D
/// base coordinates each (nothing added for a table without lookups). For a stacked table the
/// own values and the totals are public columns instead: only z and the powers of gamma remain
/// (`own` and `total` are ignored).
template <class E>
std::vector<field::babybear> augmented_public_values(const table<E>& kind, std::span<const field::babybear> own, E z,
                                                     std::span<const E> gamma_powers, E total, bool stacked = false);

/// One table's witness as the bus checker reads it.
struct table_rows {
  kernels::matrix_view<const field::babybear> main, fixed;
  std::span<const field::babybear> public_values;
};

/// The debug check of the buses: adds up, per bus and tuple, the multiplicities sent and
/// received over every row of every table. Returns nothing when every bus balances, else a
/// message naming the bus and one tuple whose sends and receives differ, with both sums:
/// "bus 'range16' is unbalanced: tuple (70000) is sent 1 times and received 0 times".
/// The statement's public lookups count as sends with their multiplicities.
/// Cost: one eval() per row and a hash-map update per interaction.
template <class E>
std::optional<std::string> check_buses(std::span<const table<E>* const> kinds, std::span<const table_rows> rows,
                                       std::span<const public_lookup> public_lookups = {});

}  // namespace ciro::stark
