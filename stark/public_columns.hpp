#pragma once

#include <span>
#include <vector>

#include "field/babybear.hpp"
#include "kernels/backend.hpp"
#include "kernels/matrix.hpp"
#include "stark/proof.hpp"
#include "stark/table.hpp"

/// The public columns of a stacked table: S instances of n rows each in one trace of n S rows
/// (instance j on rows j n .. j n + n - 1 of the trace domain H = <w>, |H| = n S), each with
/// its own public values. A public value becomes the polynomial R of degree < 2 S <= n S that
/// equals instance j's value v_j on its first and its last row:
///     R(x) = Q(x) (w^S x^S - 1) / (w^S - 1) + Q(c x) (x^S - 1) / (w^-S - 1),   c = w^(1 - n),
/// where Q (degree < S) interpolates v_j at the first rows w^(n j) (the subgroup H_S). On the
/// first rows x^S = 1, on the last rows x^S = w^-S and c x is the instance's first row, so each
/// term vanishes where the other applies. Needs n >= 2 (w^S != 1). Between those rows R is some
/// other value: a stacked table reads public values in first- and last-row constraints only.
namespace ciro::stark {

/// R's evaluations on the LDE coset g H' (|H'| = n S 2^log_blowup, natural order) for every
/// public column at once: values holds S rows (instances) x k columns, the output is
/// (n S 2^log_blowup) x k. Cost: an inverse NTT of S rows and a forward NTT of the LDE size, per
/// column (backend).
kernels::row_major_matrix<field::babybear> public_columns_lde(kernels::matrix_view<const field::babybear> values,
                                                              unsigned log_n, unsigned log_blowup,
                                                              kernels::backend& backend);

/// R(x) for every column of `values` (S x k) at each of the points: out[p][col]. Q by the
/// barycentric formula on H_S, one batched inversion per point. Cost: O(points S k).
/// Precondition: no point x or c x lies in H_S.
template <class E>
std::vector<std::vector<E>> public_columns_at(kernels::matrix_view<const field::babybear> values, unsigned log_n,
                                              std::span<const E> points);

/// The values of a stacked table's public columns: one row per instance, holding the
/// instance's own public values (from the statement) then, with lookups, the D coordinates of
/// its LogUp total (totals[j] for instance j).
template <class E>
kernels::row_major_matrix<field::babybear> stacked_public_values(const table<E>& kind, const table_statement& ts,
                                                                 std::span<const E> totals) {
  const std::size_t k = kind.num_public_values(), cols = kind.public_columns(true);
  kernels::row_major_matrix<field::babybear> out(ts.instances, cols);
  for (std::size_t j = 0; j < ts.instances; ++j) {
    for (std::size_t i = 0; i < k; ++i) out.at(j, i) = ts.public_values[j * k + i];
    if (cols > k) {
      for (unsigned c = 0; c < E::degree; ++c) out.at(j, k + c) = totals[j].coeff(c);
    }
  }
  return out;
}

}  // namespace ciro::stark
