#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/check.hpp"
#include "field/monty31.hpp"

namespace ciro::field {

/// Element-wise array arithmetic over a 31-bit Montgomery field, vectorised with Highway and
/// dispatched at run time to the best SIMD target of this CPU (AVX-512, AVX2, SSE4, scalar).
/// All spans of one call have equal length; `out` may alias an input.
namespace packed {

namespace detail {
/// The dispatching kernels on raw Montgomery words (p, p^-1 mod 2^32 given at run time).
void add(const std::uint32_t* a, const std::uint32_t* b, std::uint32_t* out, std::size_t n, std::uint32_t p,
         std::uint32_t p_inv);
void sub(const std::uint32_t* a, const std::uint32_t* b, std::uint32_t* out, std::size_t n, std::uint32_t p,
         std::uint32_t p_inv);
void mul(const std::uint32_t* a, const std::uint32_t* b, std::uint32_t* out, std::size_t n, std::uint32_t p,
         std::uint32_t p_inv);
void mul_add(const std::uint32_t* a, const std::uint32_t* b, const std::uint32_t* c, std::uint32_t* out, std::size_t n,
             std::uint32_t p, std::uint32_t p_inv);

template <class F>
const std::uint32_t* words(std::span<const F> s) {
  static_assert(sizeof(F) == 4 && std::is_trivially_copyable_v<F>);
  return reinterpret_cast<const std::uint32_t*>(s.data());
}
template <class F>
std::uint32_t* words(std::span<F> s) {
  return reinterpret_cast<std::uint32_t*>(s.data());
}
}  // namespace detail

/// out[i] = a[i] + b[i].
template <class P>
void add(std::span<const monty31<P>> a, std::span<const monty31<P>> b, std::span<monty31<P>> out) {
  CIRO_CHECK(a.size() == b.size() && a.size() == out.size());
  detail::add(detail::words(a), detail::words(b), detail::words(out), out.size(), monty31<P>::modulus,
              monty31<P>::modulus_inv);
}
/// out[i] = a[i] - b[i].
template <class P>
void sub(std::span<const monty31<P>> a, std::span<const monty31<P>> b, std::span<monty31<P>> out) {
  CIRO_CHECK(a.size() == b.size() && a.size() == out.size());
  detail::sub(detail::words(a), detail::words(b), detail::words(out), out.size(), monty31<P>::modulus,
              monty31<P>::modulus_inv);
}
/// out[i] = a[i] * b[i].
template <class P>
void mul(std::span<const monty31<P>> a, std::span<const monty31<P>> b, std::span<monty31<P>> out) {
  CIRO_CHECK(a.size() == b.size() && a.size() == out.size());
  detail::mul(detail::words(a), detail::words(b), detail::words(out), out.size(), monty31<P>::modulus,
              monty31<P>::modulus_inv);
}
/// out[i] = a[i] * b[i] + c[i].
template <class P>
void mul_add(std::span<const monty31<P>> a, std::span<const monty31<P>> b, std::span<const monty31<P>> c,
             std::span<monty31<P>> out) {
  CIRO_CHECK(a.size() == b.size() && a.size() == c.size() && a.size() == out.size());
  detail::mul_add(detail::words(a), detail::words(b), detail::words(c), detail::words(out), out.size(),
                  monty31<P>::modulus, monty31<P>::modulus_inv);
}

/// The SIMD target Highway chose for this CPU (e.g. "AVX3").
const char* simd_target();
/// The number of 32-bit lanes of that target's vectors (16 on AVX-512).
std::size_t lanes_u32();

}  // namespace packed
}  // namespace ciro::field
