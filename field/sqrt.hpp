#pragma once

#include <cstdint>
#include <optional>

#include "field/concepts.hpp"

namespace ciro::field {

/// Legendre symbol by Euler's criterion: a^((p-1)/2) is 1 for a non-zero square, -1 for a
/// non-square and 0 for a = 0. Returned as 1, -1 or 0. Cost: one exponentiation.
template <prime_field F>
constexpr int legendre(F a) {
  if (a.is_zero()) return 0;
  return a.pow((static_cast<std::uint64_t>(F::modulus) - 1) / 2) == F::one() ? 1 : -1;
}

/// A square root of a in F_p by Tonelli-Shanks, or nothing when a is not a square.
///
/// Write p - 1 = 2^s q with q odd (s = two_adicity) and let c be a generator of the order-2^s
/// subgroup (two_adic_generator(s)). Start with t = a^q, r = a^((q+1)/2), so that r^2 = a t,
/// and m = s. While t != 1: find the least i with t^(2^i) = 1; if i == m, t has order 2^s and
/// a is a non-square; otherwise b = c^(2^(m-i-1)), r *= b, c = b^2, t *= c, m = i, which keeps
/// r^2 = a t and strictly lowers the order of t. When t = 1, r^2 = a.
///
/// Which of the two roots r, -r is returned is unspecified but deterministic. sqrt(0) = 0.
/// Cost: O(s^2) multiplications on top of one exponentiation.
template <prime_field F>
constexpr std::optional<F> sqrt(F a) {
  if (a.is_zero()) return F::zero();
  constexpr unsigned s = F::two_adicity;
  constexpr std::uint64_t q = (static_cast<std::uint64_t>(F::modulus) - 1) >> s;
  static_assert(q % 2 == 1, "two_adicity must be the full 2-adic valuation of p - 1");

  F c = F::two_adic_generator(s);
  F t = a.pow(q);
  F r = a.pow((q + 1) / 2);
  unsigned m = s;
  while (!(t == F::one())) {
    // i = log2 of the order of t, in [1, m] because the order of t divides 2^m.
    unsigned i = 0;
    for (F t2 = t; !(t2 == F::one()); t2 = t2.square()) ++i;
    if (i == m) return std::nullopt;
    F b = c;
    for (unsigned j = 0; j + i + 1 < m; ++j) b = b.square();
    r *= b;
    c = b.square();
    t *= c;
    m = i;
  }
  return r;
}

}  // namespace ciro::field
