#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "core/check.hpp"
#include "field/goldilocks.hpp"
#include "field/monty31.hpp"

namespace ciro::field {

/// Element-wise array arithmetic over a 31-bit Montgomery field or Goldilocks, vectorised with
/// Highway and dispatched at run time to the best SIMD target of this CPU (AVX-512, AVX2, SSE4,
/// scalar). All spans of one call have equal length (checked); `out` may alias an input.
/// O(n) for n elements; results are canonical and equal to the scalar operators'.
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

/// The dispatching Goldilocks kernels on canonical u64 words (field/packed_goldilocks.cpp).
void goldilocks_add(const std::uint64_t* a, const std::uint64_t* b, std::uint64_t* out, std::size_t n);
void goldilocks_sub(const std::uint64_t* a, const std::uint64_t* b, std::uint64_t* out, std::size_t n);
void goldilocks_mul(const std::uint64_t* a, const std::uint64_t* b, std::uint64_t* out, std::size_t n);
void goldilocks_mul_add(const std::uint64_t* a, const std::uint64_t* b, const std::uint64_t* c, std::uint64_t* out,
                        std::size_t n);

static_assert(sizeof(goldilocks) == 8 && std::is_trivially_copyable_v<goldilocks>);
inline const std::uint64_t* words64(std::span<const goldilocks> s) {
  return reinterpret_cast<const std::uint64_t*>(s.data());
}
inline std::uint64_t* words64(std::span<goldilocks> s) { return reinterpret_cast<std::uint64_t*>(s.data()); }
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

/// out[i] = a[i] + b[i] over Goldilocks (u64 lanes: 8 per AVX-512 vector).
inline void add(std::span<const goldilocks> a, std::span<const goldilocks> b, std::span<goldilocks> out) {
  CIRO_CHECK(a.size() == b.size() && a.size() == out.size());
  detail::goldilocks_add(detail::words64(a), detail::words64(b), detail::words64(out), out.size());
}
/// out[i] = a[i] - b[i] over Goldilocks.
inline void sub(std::span<const goldilocks> a, std::span<const goldilocks> b, std::span<goldilocks> out) {
  CIRO_CHECK(a.size() == b.size() && a.size() == out.size());
  detail::goldilocks_sub(detail::words64(a), detail::words64(b), detail::words64(out), out.size());
}
/// out[i] = a[i] * b[i] over Goldilocks: a 128-bit product from four 32x32-bit products, reduced
/// with 2^64 = 2^32 - 1 and 2^96 = -1 (mod p) as goldilocks::reduce128 does.
inline void mul(std::span<const goldilocks> a, std::span<const goldilocks> b, std::span<goldilocks> out) {
  CIRO_CHECK(a.size() == b.size() && a.size() == out.size());
  detail::goldilocks_mul(detail::words64(a), detail::words64(b), detail::words64(out), out.size());
}
/// out[i] = a[i] * b[i] + c[i] over Goldilocks (one pass, the product stays in registers).
inline void mul_add(std::span<const goldilocks> a, std::span<const goldilocks> b, std::span<const goldilocks> c,
                    std::span<goldilocks> out) {
  CIRO_CHECK(a.size() == b.size() && a.size() == c.size() && a.size() == out.size());
  detail::goldilocks_mul_add(detail::words64(a), detail::words64(b), detail::words64(c), detail::words64(out),
                             out.size());
}

/// The SIMD target Highway chose for this CPU (e.g. "AVX3").
const char* simd_target();
/// The number of 32-bit lanes of that target's vectors (16 on AVX-512).
std::size_t lanes_u32();

}  // namespace packed
}  // namespace ciro::field
