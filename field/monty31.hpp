#pragma once

#include <compare>
#include <cstdint>
#include <optional>

#include "core/hd.hpp"

namespace ciro::field {

/// A prime field F_p with p < 2^31, stored in Montgomery form: the element x is held as
/// x * 2^32 mod p, in [0, p). Multiplication is a 32x32->64-bit product followed by one
/// Montgomery reduction (REDC), t -> t * 2^-32 mod p.
///
/// `Params` supplies the modulus and the multiplicative generator; everything else (the
/// Montgomery constants, the two-adicity, the two-adic generators) is derived at compile time,
/// so a new 31-bit field (BabyBear, KoalaBear, ...) is one small parameter struct.
///
/// Requirements on Params: `static constexpr std::uint32_t modulus` (an odd prime < 2^31) and
/// `static constexpr std::uint32_t generator` (a generator of the multiplicative group).
template <class Params>
class monty31 {
 public:
  using params = Params;
  static constexpr std::uint32_t modulus = Params::modulus;
  static_assert(modulus % 2 == 1 && modulus < (1u << 31), "monty31 needs an odd modulus < 2^31");

  /// p^-1 mod 2^32, by Newton iteration (each step doubles the number of correct bits).
  static constexpr std::uint32_t modulus_inv = [] {
    std::uint32_t inv = modulus;  // correct to 3 bits since p*p = 1 mod 8
    for (int i = 0; i < 4; ++i) inv *= 2u - modulus * inv;
    return inv;
  }();
  static_assert(modulus * modulus_inv == 1u);

  /// The largest k with 2^k | p - 1.
  static constexpr unsigned two_adicity = [] {
    unsigned k = 0;
    for (std::uint32_t m = modulus - 1; m % 2 == 0; m /= 2) ++k;
    return k;
  }();
  static constexpr std::uint32_t byte_size = 4;

  constexpr monty31() = default;

  /// The element with canonical value x. Precondition: x < p (checked by try_from_canonical).
  CIRO_HD static constexpr monty31 from_canonical(std::uint32_t x) {
    return from_monty(static_cast<std::uint32_t>((static_cast<std::uint64_t>(x) << 32) % modulus));
  }
  /// x mod p, for any 64-bit x.
  CIRO_HD static constexpr monty31 from_u64(std::uint64_t x) {
    return from_canonical(static_cast<std::uint32_t>(x % modulus));
  }
  /// The element with canonical value x, or nothing when x >= p (a non-canonical encoding).
  static constexpr std::optional<monty31> try_from_canonical(std::uint64_t x) {
    if (x >= modulus) return std::nullopt;
    return from_canonical(static_cast<std::uint32_t>(x));
  }
  /// The element whose Montgomery representation is m. Precondition: m < p.
  CIRO_HD static constexpr monty31 from_monty(std::uint32_t m) {
    monty31 r;
    r.v_ = m;
    return r;
  }

  CIRO_HD static constexpr monty31 zero() { return from_monty(0); }
  CIRO_HD static constexpr monty31 one() { return from_monty(r_mod_p); }
  CIRO_HD static constexpr monty31 two() { return one() + one(); }
  /// The multiplicative generator from Params (e.g. 31 for BabyBear, as in Plonky3).
  CIRO_HD static constexpr monty31 generator() { return from_canonical(Params::generator); }

  /// A generator of the subgroup of order 2^bits: generator^((p-1)/2^two_adicity) squared
  /// (two_adicity - bits) times, the convention Plonky3 uses. Precondition: bits <= two_adicity.
  CIRO_HD static constexpr monty31 two_adic_generator(unsigned bits) {
    monty31 g = generator().pow((modulus - 1) >> two_adicity);
    for (unsigned i = bits; i < two_adicity; ++i) g = g.square();
    return g;
  }

  /// The canonical value in [0, p).
  CIRO_HD constexpr std::uint32_t to_canonical() const { return reduce(v_); }
  /// The Montgomery representation x * 2^32 mod p.
  CIRO_HD constexpr std::uint32_t monty() const { return v_; }

  CIRO_HD constexpr bool is_zero() const { return v_ == 0; }
  CIRO_HD friend constexpr bool operator==(monty31 a, monty31 b) { return a.v_ == b.v_; }

  CIRO_HD friend constexpr monty31 operator+(monty31 a, monty31 b) {
    std::uint32_t s = a.v_ + b.v_;  // < 2^32 since both < 2^31
    return from_monty(s >= modulus ? s - modulus : s);
  }
  CIRO_HD friend constexpr monty31 operator-(monty31 a, monty31 b) {
    std::uint32_t d = a.v_ - b.v_;
    return from_monty(a.v_ < b.v_ ? d + modulus : d);
  }
  CIRO_HD friend constexpr monty31 operator-(monty31 a) { return zero() - a; }
  CIRO_HD friend constexpr monty31 operator*(monty31 a, monty31 b) {
    return from_monty(reduce(static_cast<std::uint64_t>(a.v_) * b.v_));
  }
  CIRO_HD constexpr monty31& operator+=(monty31 b) { return *this = *this + b; }
  CIRO_HD constexpr monty31& operator-=(monty31 b) { return *this = *this - b; }
  CIRO_HD constexpr monty31& operator*=(monty31 b) { return *this = *this * b; }

  CIRO_HD constexpr monty31 square() const { return *this * *this; }
  CIRO_HD constexpr monty31 double_() const { return *this + *this; }

  /// this^e by square-and-multiply.
  CIRO_HD constexpr monty31 pow(std::uint64_t e) const {
    monty31 base = *this, acc = one();
    for (; e != 0; e >>= 1) {
      if (e & 1) acc *= base;
      base = base.square();
    }
    return acc;
  }

  /// this^-1 = this^(p-2) (Fermat). Precondition: this != 0; the inverse of 0 is returned as 0.
  CIRO_HD constexpr monty31 inverse() const { return pow(modulus - 2); }

  /// Montgomery reduction: t * 2^-32 mod p in [0, p), for t < p * 2^32.
  /// m = (t mod 2^32) * p^-1 mod 2^32 makes t - m*p divisible by 2^32; the quotient lies in
  /// (-p, p), so one conditional add of p makes it canonical.
  CIRO_HD static constexpr std::uint32_t reduce(std::uint64_t t) {
    const std::uint32_t m = static_cast<std::uint32_t>(t) * modulus_inv;
    const std::uint64_t mp = static_cast<std::uint64_t>(m) * modulus;
    const std::uint32_t t_hi = static_cast<std::uint32_t>(t >> 32);
    const std::uint32_t mp_hi = static_cast<std::uint32_t>(mp >> 32);
    const std::uint32_t r = t_hi - mp_hi;
    return t_hi < mp_hi ? r + modulus : r;
  }

 private:
  static constexpr std::uint32_t r_mod_p = static_cast<std::uint32_t>((std::uint64_t{1} << 32) % modulus);
  std::uint32_t v_ = 0;
};

}  // namespace ciro::field
