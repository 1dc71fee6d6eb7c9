#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <optional>

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
/// embedded, coefficient access (coefficient i of x^i) and construction from the coefficients.
template <class E>
concept extension_field = field<E> &&
    requires(E a, typename E::base_type b, unsigned i, const std::array<typename E::base_type, E::degree>& cs) {
  requires field<typename E::base_type>;
  { E::degree } -> std::convertible_to<unsigned>;
  { E::from_base(b) } -> std::same_as<E>;
  { E::from_coeffs(cs) } -> std::same_as<E>;
  { a.coeff(i) } -> std::same_as<typename E::base_type>;
};

/// A two-adic prime field F_p with canonical integer access: `modulus` (p), `byte_size` (bytes
/// of a canonical little-endian encoding), `to_canonical()` (the value in [0, p)),
/// `from_u64(x)` (x mod p) and `try_from_canonical(x)` (nothing when x >= p). BabyBear,
/// KoalaBear and Goldilocks are prime_fields; extensions are not.
template <class F>
concept prime_field = two_adic_field<F> && requires(F a, std::uint64_t x) {
  { F::modulus } -> std::convertible_to<std::uint64_t>;
  { F::byte_size } -> std::convertible_to<std::uint32_t>;
  { a.to_canonical() } -> std::convertible_to<std::uint64_t>;
  { F::from_u64(x) } -> std::same_as<F>;
  { F::try_from_canonical(x) } -> std::same_as<std::optional<F>>;
};

}  // namespace ciro::field
