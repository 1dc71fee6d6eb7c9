#pragma once

#include <span>

#include "field/babybear.hpp"
#include "kernels/matrix.hpp"

/// The prover's DEEP composition polynomial. Defined for E = BabyBear^4 and BabyBear^5
/// (explicit instantiations).
namespace ciro::stark {

/// What the DEEP composition combines: the trace and quotient LDEs on the coset
/// shift * <w_lde> (the same number of rows, a power of two; row r is the point shift w_lde^r)
/// and the out-of-domain openings (trace at zeta and zeta_next, quotient chunks at zeta).
template <class E>
struct deep_inputs {
  kernels::matrix_view<const field::babybear> trace_lde;
  kernels::matrix_view<const field::babybear> quotient_lde;
  field::babybear shift;
  E zeta;
  E zeta_next;
  std::span<const E> trace_local;
  std::span<const E> trace_next;
  std::span<const E> quotient_at_zeta;
};

/// F(x_r) at position bitrev(r) (bit-reversed order, as FRI takes it) for every LDE row r, with
///   F(x) = (R_T(x) - A + beta^(2w) (R_Q(x) - C)) / (x - zeta) + beta^w (R_T(x) - B) / (x - zeta_next),
/// w the trace width, R_T = sum_i beta^i t_i, R_Q = sum_j beta^j q_j, and A, B, C the same sums
/// of trace_local, trace_next and quotient_at_zeta. Computed as
///   F(x) = (R_T(x) + R_Q'(x) - K) P_1(x)/N_1(x) + (R_T(x) - B) P_2(x)/N_2(x)
/// with R_Q' = sum_j beta^(2w+j) q_j, K = A + beta^(2w) C, and linear_inverse's forms of
/// 1/(x - zeta) and beta^w/(x - zeta_next): per row two SIMD row forms, one batched base-field
/// inversion of N_1(x) and N_2(x) each, and two E x E products. A zero denominator gives a zero
/// inverse, as field::batch_inverse does. Preconditions: the spans have trace_lde.width,
/// trace_lde.width and quotient_lde.width elements.
template <class E>
ciro::buffer<E> deep_composition(const deep_inputs<E>& in, E beta);

}  // namespace ciro::stark
