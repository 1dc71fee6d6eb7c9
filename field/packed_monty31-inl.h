// Packed (SIMD) arithmetic for 31-bit Montgomery fields, as Highway inline functions.
//
// Include this from a Highway translation unit (after hwy/highway.h, inside the per-target
// re-inclusion that hwy/foreach_target.h drives); the functions live in
// ciro::field::HWY_NAMESPACE. Every vector lane holds one element in Montgomery form, in [0, p).
// This header is the one place that knows how a Montgomery product is vectorised: the field's
// array kernels and the NTT butterflies both use it.

#if defined(CIRO_FIELD_PACKED_MONTY31_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CIRO_FIELD_PACKED_MONTY31_INL_H_
#undef CIRO_FIELD_PACKED_MONTY31_INL_H_
#else
#define CIRO_FIELD_PACKED_MONTY31_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace ciro::field::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

/// The modulus p and p^-1 mod 2^32, broadcast once into vectors of type V.
template <class V>
struct monty31_vec_constants {
  V p;
  V p_inv;
};
template <class D>
HWY_INLINE monty31_vec_constants<hn::Vec<D>> make_monty31_constants(D d, std::uint32_t modulus,
                                                                    std::uint32_t modulus_inv) {
  return {hn::Set(d, modulus), hn::Set(d, modulus_inv)};
}

/// (a + b) mod p for a, b in [0, p): the sum is < 2^32; min(s, s - p) picks s - p exactly
/// when it did not wrap around.
template <class D, class V>
HWY_INLINE V add_mod(D, V a, V b, const monty31_vec_constants<V>& c) {
  const V s = hn::Add(a, b);
  return hn::Min(s, hn::Sub(s, c.p));
}

/// (a - b) mod p for a, b in [0, p): if a < b the difference wraps to >= 2^32 - p, and
/// d + p is then the answer; min picks whichever did not wrap.
template <class D, class V>
HWY_INLINE V sub_mod(D, V a, V b, const monty31_vec_constants<V>& c) {
  const V d = hn::Sub(a, b);
  return hn::Min(d, hn::Add(d, c.p));
}

/// Montgomery product a * b * 2^-32 mod p, lane by lane (the product of the represented
/// elements). MulEven gives the 64-bit products of the even lanes; the odd lanes are shifted
/// down first. For each 64-bit product t: q = lo(t) * p^-1 mod 2^32, r = hi(t) - hi(q * p),
/// plus p if that underflowed (the same REDC as the scalar monty31::reduce).
template <class D, class V>
HWY_INLINE V mul_mod(D d, V a, V b, const monty31_vec_constants<V>& c) {
#if HWY_TARGET == HWY_SCALAR
  (void)c;
  const std::uint64_t t = static_cast<std::uint64_t>(hn::GetLane(a)) * hn::GetLane(b);
  const std::uint32_t p = hn::GetLane(c.p);
  const std::uint32_t m = static_cast<std::uint32_t>(t) * hn::GetLane(c.p_inv);
  const std::uint64_t mp = static_cast<std::uint64_t>(m) * p;
  const std::uint32_t t_hi = static_cast<std::uint32_t>(t >> 32), mp_hi = static_cast<std::uint32_t>(mp >> 32);
  return hn::Set(d, t_hi < mp_hi ? t_hi - mp_hi + p : t_hi - mp_hi);
#else
  const hn::RepartitionToWide<D> d64;
  const V a_odd = hn::BitCast(d, hn::ShiftRight<32>(hn::BitCast(d64, a)));
  const V b_odd = hn::BitCast(d, hn::ShiftRight<32>(hn::BitCast(d64, b)));
  const auto prod_evn = hn::MulEven(a, b);
  const auto prod_odd = hn::MulEven(a_odd, b_odd);
  const auto q_evn = hn::MulEven(hn::BitCast(d, prod_evn), c.p_inv);
  const auto q_odd = hn::MulEven(hn::BitCast(d, prod_odd), c.p_inv);
  const auto qp_evn = hn::MulEven(hn::BitCast(d, q_evn), c.p);
  const auto qp_odd = hn::MulEven(hn::BitCast(d, q_odd), c.p);
  // High halves: odd products already sit in odd lanes; even products move down by 32 bits.
  const V prod_hi = hn::OddEven(hn::BitCast(d, prod_odd), hn::BitCast(d, hn::ShiftRight<32>(prod_evn)));
  const V qp_hi = hn::OddEven(hn::BitCast(d, qp_odd), hn::BitCast(d, hn::ShiftRight<32>(qp_evn)));
  const V r = hn::Sub(prod_hi, qp_hi);
  return hn::Min(r, hn::Add(r, c.p));
#endif
}

}  // namespace ciro::field::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
