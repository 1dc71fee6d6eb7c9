#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "core/check.hpp"
#include "field/concepts.hpp"

namespace ciro::field {

/// A field with a canonical byte encoding: a prime field (its canonical value in [0, p),
/// F::byte_size bytes little-endian) or an extension of one (its coefficients in order,
/// lowest degree first, each encoded as the base field encodes it).
template <class F>
concept serializable_field = prime_field<F> ||
    (extension_field<F>&& prime_field<typename F::base_type>&& F::byte_size == F::degree * F::base_type::byte_size);

/// Writes the canonical little-endian encoding of x into out.
/// Precondition: out.size() == F::byte_size (checked).
template <serializable_field F>
void encode(const F& x, std::span<std::uint8_t> out) {
  CIRO_CHECK(out.size() == F::byte_size);
  if constexpr (prime_field<F>) {
    std::uint64_t v = x.to_canonical();
    for (std::size_t i = 0; i < F::byte_size; ++i, v >>= 8) out[i] = static_cast<std::uint8_t>(v);
  } else {
    using B = typename F::base_type;
    for (unsigned i = 0; i < F::degree; ++i) encode(x.coeff(i), out.subspan(i * B::byte_size, B::byte_size));
  }
}

/// The canonical encoding of x as a fixed-size array.
template <serializable_field F>
std::array<std::uint8_t, F::byte_size> encode(const F& x) {
  std::array<std::uint8_t, F::byte_size> out{};
  encode(x, std::span<std::uint8_t>(out));
  return out;
}

/// The element whose canonical encoding is `in`, or nothing when the encoding is not canonical:
/// a length other than F::byte_size, or a (coefficient) value >= p. Every element therefore has
/// exactly one accepted encoding, and decode(encode(x)) == x.
template <serializable_field F>
std::optional<F> decode(std::span<const std::uint8_t> in) {
  if (in.size() != F::byte_size) return std::nullopt;
  if constexpr (prime_field<F>) {
    std::uint64_t v = 0;
    for (std::size_t i = F::byte_size; i-- > 0;) v = (v << 8) | in[i];
    return F::try_from_canonical(v);
  } else {
    using B = typename F::base_type;
    std::array<B, F::degree> cs{};
    for (unsigned i = 0; i < F::degree; ++i) {
      const std::optional<B> c = decode<B>(in.subspan(i * B::byte_size, B::byte_size));
      if (!c) return std::nullopt;
      cs[i] = *c;
    }
    return F::from_coeffs(cs);
  }
}

}  // namespace ciro::field
