#pragma once

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cstddef>
#include <span>

#include "air/air.hpp"
#include "field/babybear.hpp"
#include "kernels/matrix.hpp"
#include "kernels/quotient_inputs.hpp"
#include "stark/folders.hpp"

/// The slow reference of the prover's quotient evaluation (backend::evaluate_quotient): Q(x) =
/// C(x) / Z_H(x) at every quotient point, with the AIR's eval() run directly on one point at a
/// time by stark::prover_folder, without compiling it to a constraint program.
namespace ciro::test {

using kernels::quotient_inputs;
using stark::selectors;

/// The selectors at quotient point k (x = x_k), from the precomputed inverses.
inline selectors<field::babybear> quotient_selectors(const quotient_inputs& in, std::size_t k, field::babybear x) {
  const field::babybear zh = in.z_h[k & (in.z_h.size() - 1)];
  return {zh * in.inverses[2 * k], zh * in.inverses[2 * k + 1], x.pow(in.segments) - in.w_inv.pow(in.segments)};
}

/// Writes Q(x_k) into row k of `out` (q_rows x E::degree, coefficients of E) for every quotient
/// point, evaluating the AIR with the scalar prover_folder one point at a time. The reference
/// for backend::evaluate_quotient; O(q_rows * cost of eval), parallel over row blocks.
template <class E, air::air A>
void evaluate_quotient_scalar(const A& air, const quotient_inputs& in, std::span<const E> alpha_powers,
                              kernels::matrix_view<field::babybear> out) {
  using field::babybear;
  const std::size_t lde_rows = in.trace_lde.rows;
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(0, in.q_rows, 1024), [&](const tbb::blocked_range<std::size_t>& range) {
        stark::prover_folder<E> folder(alpha_powers, in.public_values);
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

}  // namespace ciro::test
