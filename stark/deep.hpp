#pragma once

#include <span>

#include "field/babybear.hpp"
#include "kernels/matrix.hpp"

/// The prover's DEEP composition polynomial. Defined for E = BabyBear^4 and BabyBear^5
/// (explicit instantiations).
namespace ciro::stark {

/// One committed matrix entering a DEEP function: its LDE on the coset shift * <w_N> (natural
/// order), one batching coefficient per column, and its columns' values at zeta and (for
/// matrices opened at two points) at zeta_next; at_next is empty for a matrix opened at zeta only
/// (the quotient chunks).
template <class E>
struct deep_matrix {
  kernels::matrix_view<const field::babybear> lde;
  std::span<const E> coefficients;
  std::span<const E> at_zeta;
  std::span<const E> at_next;
};

/// F(x_r) at position bitrev(r) (bit-reversed order, as FRI takes it) for every LDE row r, where
/// x_r = shift w_N^r and
///   F(x) = sum_i a_i (f_i(x) - f_i(zeta)) / (x - zeta)
///        + mu sum_{i two-point} a_i (f_i(x) - f_i(zeta_next)) / (x - zeta_next)
/// over the columns f_i of all matrices (a_i their coefficients). Computed as
///   F(x) = (R(x) - K) / (x - zeta) + (R_2(x) - B) mu / (x - zeta_next),
/// R = sum_i a_i f_i, R_2 the same over two-point columns, K and B the same sums of the opened
/// values: per row one SIMD row form per matrix, one batched base-field inversion of the norms
/// (linear_inverse) per point, and two E x E products. A zero denominator gives a zero inverse.
/// Preconditions: every matrix has the same number of rows (a power of two) and spans of its
/// width.
template <class E>
ciro::buffer<E> deep_composition(std::span<const deep_matrix<E>> matrices, field::babybear shift, E zeta, E zeta_next,
                                 E mu);

}  // namespace ciro::stark
