#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "core/check.hpp"
#include "field/concepts.hpp"

namespace ciro::field {

/// out[i] = in[i]^-1 for every i, with zero mapped to zero (the same convention as
/// F::inverse()), by Montgomery's trick.
///
/// With m the number of non-zero inputs a_1..a_m (zeros are skipped explicitly, so one zero
/// neither poisons the product nor disturbs the other outputs): the forward pass stores the
/// prefix products P_k = a_1 ... a_k in `out`; one inversion gives P_m^-1; the backward pass
/// peels one factor at a time, a_k^-1 = P_{k-1} * P_k^-1 and P_{k-1}^-1 = P_k^-1 * a_k.
/// Cost: one inversion and 3(m - 1) multiplications (none at all when m = 0).
///
/// Preconditions: in.size() == out.size(), and the spans do not overlap (use the in-place
/// overload for that); both checked.
template <field F>
void batch_inverse(std::span<const F> in, std::span<F> out) {
  CIRO_CHECK(in.size() == out.size());
  const std::size_t n = in.size();
  CIRO_CHECK(n == 0 || in.data() + n <= out.data() || out.data() + n <= in.data());

  // Forward: out[i] = product of the non-zero inputs before i (1 for the first non-zero);
  // out[i] = 0 marks a zero input.
  std::size_t first = n;  // index of the first non-zero input
  F acc = F::one();
  for (std::size_t i = 0; i < n; ++i) {
    if (in[i].is_zero()) {
      out[i] = F::zero();
    } else if (first == n) {
      first = i;
      out[i] = F::one();
      acc = in[i];
    } else {
      out[i] = acc;
      acc *= in[i];
    }
  }
  if (first == n) return;  // all zero

  // Backward: inv = (product of the non-zero inputs up to i)^-1 on entry to step i.
  F inv = acc.inverse();
  for (std::size_t i = n; i-- > first + 1;) {
    if (in[i].is_zero()) continue;
    out[i] *= inv;  // prefix before i over prefix up to i = in[i]^-1
    inv *= in[i];
  }
  out[first] = inv;
}

/// values[i] = values[i]^-1 in place, zero mapped to zero; see the two-span overload (this one
/// copies the input once into a scratch vector, so it allocates and is host-only).
template <field F>
void batch_inverse(std::span<F> values) {
  const std::vector<F> in(values.begin(), values.end());
  batch_inverse(std::span<const F>(in), values);
}

}  // namespace ciro::field
