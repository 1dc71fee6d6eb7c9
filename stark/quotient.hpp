#pragma once

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cstddef>
#include <span>

#include "air/air.hpp"
#include "air/fibonacci.hpp"
#include "air/poseidon2_air.hpp"
#include "field/babybear.hpp"
#include "field/extension.hpp"
#include "kernels/matrix.hpp"
#include "stark/folders.hpp"

/// The quotient evaluation of the prover: Q(x) = C(x) / Z_H(x) at every point x of the quotient
/// domain g * H_{n 2^log_qd}, with C the alpha-folded constraints (see folders.hpp). A scalar
/// reference (prover_folder, one point at a time) serves every AIR; the AIRs the node proves in
/// bulk also have a SIMD version (quotient_<air>.cpp) that evaluates one point per vector lane,
/// with identical output (the arithmetic is exact).
namespace ciro::stark {

/// What the quotient evaluation reads, besides the AIR and the powers of alpha.
struct quotient_inputs {
  /// The trace LDE on g * H_N (natural order, N = n * 2^log_blowup rows).
  kernels::matrix_view<const field::babybear> trace_lde;
  /// The number of quotient points, n * 2^log_qd (a power of two); point k is x_k = g w_q^k.
  std::size_t q_rows = 0;
  /// x_k is LDE row k * stride, and x_k * w (w generating H_n) is LDE row k * stride + next_offset
  /// (mod N); next_offset is a multiple of stride.
  std::size_t stride = 1;
  std::size_t next_offset = 1;
  /// The statement's public values.
  std::span<const field::babybear> public_values;
  /// 2 q_rows values: 1/(x_k - 1) and 1/(x_k - w^-1), interleaved.
  std::span<const field::babybear> inverses;
  /// Z_H(x_k) and its inverse depend on k mod 2^log_qd only: 2^log_qd values each.
  std::span<const field::babybear> z_h, z_h_inv;
  /// g (x_0), w_q (the quotient domain's generator) and w^-1.
  field::babybear x0, w_q, w_inv;
};

/// The selectors at quotient point k (x = x_k), from the precomputed inverses.
inline selectors<field::babybear> quotient_selectors(const quotient_inputs& in, std::size_t k, field::babybear x) {
  const field::babybear zh = in.z_h[k & (in.z_h.size() - 1)];
  return {zh * in.inverses[2 * k], zh * in.inverses[2 * k + 1], x - in.w_inv};
}

/// Writes Q(x_k) into row k of `out` (q_rows x E::degree, coefficients of E) for every quotient
/// point, evaluating the AIR with the scalar prover_folder one point at a time. The reference
/// for the SIMD versions; O(q_rows * cost of eval), parallel over row blocks.
template <class E, air::air A>
void evaluate_quotient_scalar(const A& air, const quotient_inputs& in, std::span<const E> alpha_powers,
                              kernels::matrix_view<field::babybear> out) {
  using field::babybear;
  const std::size_t lde_rows = in.trace_lde.rows;
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, in.q_rows, 1024), [&](const tbb::blocked_range<std::size_t>& range) {
        prover_folder<E> folder(alpha_powers, in.public_values);
        babybear x = in.x0 * in.w_q.pow(range.begin());
        for (std::size_t k = range.begin(); k < range.end(); ++k, x *= in.w_q) {
          const std::size_t row = k * in.stride;
          folder.reset(in.trace_lde.row(row).data(), in.trace_lde.row((row + in.next_offset) & (lde_rows - 1)).data());
          air.eval(folder);
          const E q = folder.result(quotient_selectors(in, k, x)) * in.z_h_inv[k & (in.z_h.size() - 1)];
          for (unsigned c = 0; c < E::degree; ++c) out.at(k, c) = q.coeff(c);
        }
      });
}

/// SIMD quotient evaluation (one quotient point per vector lane, dispatched at run time to the
/// CPU's best target) for the AIRs that have one; output identical to evaluate_quotient_scalar.
void evaluate_quotient_packed(const air::poseidon2_air& air, const quotient_inputs& in,
                              std::span<const field::babybear4> alpha_powers,
                              kernels::matrix_view<field::babybear> out);
/// See above (BabyBear^5).
void evaluate_quotient_packed(const air::poseidon2_air& air, const quotient_inputs& in,
                              std::span<const field::babybear5> alpha_powers,
                              kernels::matrix_view<field::babybear> out);
/// See above (Fibonacci, BabyBear^4).
void evaluate_quotient_packed(const air::fibonacci_air& air, const quotient_inputs& in,
                              std::span<const field::babybear4> alpha_powers,
                              kernels::matrix_view<field::babybear> out);
/// See above (Fibonacci, BabyBear^5).
void evaluate_quotient_packed(const air::fibonacci_air& air, const quotient_inputs& in,
                              std::span<const field::babybear5> alpha_powers,
                              kernels::matrix_view<field::babybear> out);

/// The quotient evaluation the prover runs: the SIMD version where the AIR has one, else the
/// scalar reference.
template <class E, air::air A>
void evaluate_quotient(const A& air, const quotient_inputs& in, std::span<const E> alpha_powers,
                       kernels::matrix_view<field::babybear> out) {
  if constexpr (requires { evaluate_quotient_packed(air, in, alpha_powers, out); }) {
    evaluate_quotient_packed(air, in, alpha_powers, out);
  } else {
    evaluate_quotient_scalar<E>(air, in, alpha_powers, out);
  }
}

}  // namespace ciro::stark
