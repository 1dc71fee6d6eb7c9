// Packed (SIMD) arithmetic for Goldilocks, p = 2^64 - 2^32 + 1, as Highway inline functions.
//
// Include this from a Highway translation unit (after hwy/highway.h, inside the per-target
// re-inclusion that hwy/foreach_target.h drives); the functions live in
// ciro::field::HWY_NAMESPACE. Every 64-bit vector lane holds one element in canonical form, in
// [0, p). The vector code mirrors the scalar goldilocks operators and goldilocks::reduce128 step
// by step; on the 1-lane SCALAR target (which cannot view u64 lanes as u32 pairs) the scalar
// goldilocks operators are used directly.

#if defined(CIRO_FIELD_PACKED_GOLDILOCKS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CIRO_FIELD_PACKED_GOLDILOCKS_INL_H_
#undef CIRO_FIELD_PACKED_GOLDILOCKS_INL_H_
#else
#define CIRO_FIELD_PACKED_GOLDILOCKS_INL_H_
#endif

#include <cstdint>

#include "field/goldilocks.hpp"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace ciro::field::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// p and epsilon = 2^32 - 1 = 2^64 mod p, broadcast once into vectors of u64 lanes.
template <class V>
struct goldilocks_vec_constants {
  V p;
  V epsilon;
};
template <class D>
HWY_INLINE goldilocks_vec_constants<hn::Vec<D>> make_goldilocks_constants(D d) {
  return {hn::Set(d, goldilocks::modulus), hn::Set(d, goldilocks::epsilon)};
}

/// x mod p for any u64 x (2^64 < 2p): min(x, x - p) picks x - p exactly when x >= p, since for
/// x < p the difference wraps to x + epsilon, which is > x and still < 2^64.
template <class V>
HWY_INLINE V goldilocks_canonicalize(V x, const goldilocks_vec_constants<V>& c) {
  return hn::Min(x, hn::Sub(x, c.p));
}

/// (a + b) mod p for a, b in [0, p): on carry (s < a) the wrapped sum s = a + b - 2^64 gets
/// epsilon added back (no second carry, as a + b < 2p); then one conditional subtraction of p.
template <class D, class V>
HWY_INLINE V goldilocks_add(D d, V a, V b, const goldilocks_vec_constants<V>& c) {
#if HWY_TARGET == HWY_SCALAR
  (void)c;
  return hn::Set(
      d, (goldilocks::from_canonical(hn::GetLane(a)) + goldilocks::from_canonical(hn::GetLane(b))).to_canonical());
#else
  (void)d;
  const V s = hn::Add(a, b);
  const V fixed = hn::Add(s, hn::IfThenElseZero(hn::Lt(s, a), c.epsilon));
  return goldilocks_canonicalize(fixed, c);
#endif
}

/// (a - b) mod p for a, b in [0, p): on borrow (a < b) the word holds a - b + 2^64, and
/// subtracting epsilon gives a - b + p, already canonical.
template <class D, class V>
HWY_INLINE V goldilocks_sub(D d, V a, V b, const goldilocks_vec_constants<V>& c) {
#if HWY_TARGET == HWY_SCALAR
  (void)c;
  return hn::Set(
      d, (goldilocks::from_canonical(hn::GetLane(a)) - goldilocks::from_canonical(hn::GetLane(b))).to_canonical());
#else
  (void)d;
  const V diff = hn::Sub(a, b);
  return hn::Sub(diff, hn::IfThenElseZero(hn::Lt(a, b), c.epsilon));
#endif
}

#if HWY_TARGET != HWY_SCALAR
/// (hi * 2^64 + lo) mod p in [0, p), lane by lane: the vector form of goldilocks::reduce128.
/// With hi = hi_hi * 2^32 + hi_lo: x = lo - hi_hi + hi_lo * epsilon (mod p), where
/// hi_lo * epsilon = (hi_lo << 32) - hi_lo needs no multiplication.
template <class V>
HWY_INLINE V goldilocks_reduce128(V hi, V lo, const goldilocks_vec_constants<V>& c) {
  const V hi_hi = hn::ShiftRight<32>(hi);
  const V hi_lo = hn::And(hi, c.epsilon);
  // t0 = lo - hi_hi; on borrow subtract epsilon (t0 + 2^64 > epsilon, so no second borrow).
  const V t0 = hn::Sub(hn::Sub(lo, hi_hi), hn::IfThenElseZero(hn::Lt(lo, hi_hi), c.epsilon));
  const V t1 = hn::Sub(hn::ShiftLeft<32>(hi_lo), hi_lo);
  // t2 = t0 + t1; on carry add epsilon (no second carry, since t1 <= (2^32 - 1)^2).
  const V t2 = hn::Add(t0, t1);
  const V fixed = hn::Add(t2, hn::IfThenElseZero(hn::Lt(t2, t1), c.epsilon));
  return goldilocks_canonicalize(fixed, c);
}

/// The full 128-bit products a * b = hi * 2^64 + lo of u64 lanes, from four 32x32->64-bit
/// MulEven products of the halves (a = a1 * 2^32 + a0, b likewise):
///   a * b = a0*b0 + (a1*b0 + a0*b1) * 2^32 + a1*b1 * 2^64.
/// The middle sums are split so that no intermediate exceeds 2^64 - 1:
///   t = a1*b0 + hi32(a0*b0) and u = a0*b1 + lo32(t) are each <= (2^32-1)^2 + 2^32 - 1 < 2^64.
template <class D, class V>
HWY_INLINE void goldilocks_mul_wide(D d, V a, V b, const goldilocks_vec_constants<V>& c, V& hi, V& lo) {
  const hn::Repartition<std::uint32_t, D> d32;
  // MulEven reads the low 32-bit half of each u64 lane; shifting right exposes the high half.
  const auto a0 = hn::BitCast(d32, a), b0 = hn::BitCast(d32, b);
  const auto a1 = hn::BitCast(d32, hn::ShiftRight<32>(a)), b1 = hn::BitCast(d32, hn::ShiftRight<32>(b));
  const V p00 = hn::BitCast(d, hn::MulEven(a0, b0));
  const V p10 = hn::BitCast(d, hn::MulEven(a1, b0));
  const V p01 = hn::BitCast(d, hn::MulEven(a0, b1));
  const V p11 = hn::BitCast(d, hn::MulEven(a1, b1));
  const V t = hn::Add(p10, hn::ShiftRight<32>(p00));
  const V u = hn::Add(p01, hn::And(t, c.epsilon));
  lo = hn::Or(hn::ShiftLeft<32>(u), hn::And(p00, c.epsilon));
  hi = hn::Add(hn::Add(p11, hn::ShiftRight<32>(t)), hn::ShiftRight<32>(u));
}
#endif  // HWY_TARGET != HWY_SCALAR

/// a * b mod p, lane by lane: the 128-bit product (goldilocks_mul_wide) reduced by
/// goldilocks_reduce128, exactly like the scalar operator*.
template <class D, class V>
HWY_INLINE V goldilocks_mul(D d, V a, V b, const goldilocks_vec_constants<V>& c) {
#if HWY_TARGET == HWY_SCALAR
  (void)c;
  return hn::Set(
      d, (goldilocks::from_canonical(hn::GetLane(a)) * goldilocks::from_canonical(hn::GetLane(b))).to_canonical());
#else
  V hi, lo;
  goldilocks_mul_wide(d, a, b, c, hi, lo);
  return goldilocks_reduce128(hi, lo, c);
#endif
}

}  // namespace ciro::field::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
