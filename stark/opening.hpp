#pragma once

#include <vector>

#include "field/babybear.hpp"
#include "kernels/matrix.hpp"

/// The prover's out-of-domain openings: the trace columns at zeta and zeta w, and the quotient
/// chunks at zeta. Defined for E = BabyBear^4 and BabyBear^5 (explicit instantiations).
namespace ciro::stark {

/// The values of every trace column at two points: local[c] = t_c(z), next[c] = t_c(z w).
template <class E>
struct trace_openings {
  std::vector<E> local;
  std::vector<E> next;
};

/// t(z) and t(z w) for every column t of `trace`, the evaluations of the columns on
/// H = <w> (n = 2^log_n rows, natural order), by the barycentric formula
///   t(z) = (z^n - 1)/n * sum_i t(w^i) w^i / (z - w^i).
/// Since w^i / (z w - w^i) = w^(i-1) / (z - w^(i-1)) and (z w)^n = z^n, t(z w) uses the same
/// weights shifted by one row, so both points come from one pass over the trace. With
/// x = w^i and linear_inverse's 1/(x - z) = Q(x)/N(x), the weight is -sum_{k<D} Q_k x^(k+1)/N(x):
/// the pass takes 2D base-field weights per row (x^(k+1)/N(x) for row i and for row i - 1 mod n)
/// and Q's coefficients combine the column sums at the end. N(x) = 0 (z in H) gives weight 0.
/// Precondition: trace.rows is a power of two.
template <class E>
trace_openings<E> open_trace(kernels::matrix_view<const field::babybear> trace, E z);

/// sum_i coefficients[i][c] z^i for every column c: each column holds the coefficients of a
/// polynomial, lowest degree first. The powers of z are the weights of one column pass.
template <class E>
std::vector<E> evaluate_polynomials_at(kernels::matrix_view<const field::babybear> coefficients, E z);

}  // namespace ciro::stark
