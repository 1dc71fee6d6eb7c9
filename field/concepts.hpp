#pragma once

#include <concepts>
#include <cstdint>

namespace ciro::field {

/// A field: a trivially copyable value type with 0, 1, ring operations, equality and inversion
/// (inverse() of a non-zero element; 0 maps to 0).
template <class F>
concept field = std::is_trivially_copyable_v<F> && std::regular<F> && requires(F a, F b, std::uint64_t e) {
  { F::zero() } -> std::same_as<F>;
  { F::one() } -> std::same_as<F>;
  { a + b } -> std::same_as<F>;
  { a - b } -> std::same_as<F>;
  { a* b } -> std::same_as<F>;
  { -a } -> std::same_as<F>;
  { a.square() } -> std::same_as<F>;
  { a.pow(e) } -> std::same_as<F>;
  { a.inverse() } -> std::same_as<F>;
  { a.is_zero() } -> std::same_as<bool>;
};

/// A prime field whose multiplicative group has a subgroup of order 2^two_adicity, with
/// two_adic_generator(k) generating the subgroup of order 2^k (k <= two_adicity), and
/// generator() generating the whole multiplicative group (used as the coset shift).
template <class F>
concept two_adic_field = field<F> && requires(unsigned k) {
  { F::two_adicity } -> std::convertible_to<unsigned>;
  { F::two_adic_generator(k) } -> std::same_as<F>;
  { F::generator() } -> std::same_as<F>;
};

/// An extension field E = F[x] / (x^degree - W) over a base field F, with the base field
/// embedded and coefficient access.
template <class E>
concept extension_field = field<E> && requires(E a, typename E::base_type b, unsigned i) {
  requires field<typename E::base_type>;
  { E::degree } -> std::convertible_to<unsigned>;
  { E::from_base(b) } -> std::same_as<E>;
  { a.coeff(i) } -> std::same_as<typename E::base_type>;
};

}  // namespace ciro::field
