#pragma once

#include <cstddef>
#include <span>

#include "field/babybear.hpp"
#include "kernels/matrix.hpp"

namespace ciro::kernels {

/// The points of the prover's quotient domain g * H_{q_rows} and what the constraints read at
/// them, for backend::evaluate_quotient. Point k is x_k = x0 * w_q^k; the trace values there and
/// at x_k * w (w generating the trace domain H_n) are rows of the trace LDE.
struct quotient_inputs {
  /// The trace LDE on g * H_N (natural order, N = n * 2^log_blowup rows).
  matrix_view<const field::babybear> trace_lde;
  /// The number of quotient points, n * 2^log_qd (a power of two).
  std::size_t q_rows = 0;
  /// x_k is LDE row k * stride, and x_k * w is LDE row k * stride + next_offset (mod N);
  /// next_offset is a multiple of stride.
  std::size_t stride = 1;
  std::size_t next_offset = 1;
  /// The statement's public values.
  std::span<const field::babybear> public_values;
  /// 2 q_rows values: the inverses of the first- and last-row selectors' denominators,
  /// 1/(x_k^S - 1) and 1/(x_k^S - w^-S) (S = segments), interleaved.
  std::span<const field::babybear> inverses;
  /// Z_H(x_k) = x_k^n - 1 and its inverse depend on k mod 2^log_qd only: 2^log_qd values each.
  std::span<const field::babybear> z_h, z_h_inv;
  /// g (x_0), w_q (the quotient domain's generator) and w^-1.
  field::babybear x0, w_q, w_inv;
  /// The trace stacks this many instances (a power of two) of n / segments rows each: the
  /// selectors are L_first = Z_H / (x^S - 1), L_last = Z_H / (x^S - w^-S) and the transition
  /// selector T(x) = x^S - w^-S (S = segments; S = 1 is a single instance).
  std::size_t segments = 1;
};

}  // namespace ciro::kernels
