#pragma once

#include <cstdint>
#include <optional>

#include "core/hd.hpp"

namespace ciro::field {

/// Goldilocks: the prime field F_p with p = 2^64 - 2^32 + 1 = 2^32 * (2^32 - 1) + 1.
///
/// Elements are stored in canonical form, a u64 in [0, p) (no Montgomery form: the special
/// shape of p makes direct reduction cheaper). With epsilon = 2^32 - 1 = 2^64 - p:
///   2^64 = epsilon (mod p)   and   2^96 = epsilon * 2^32 = 2^64 - 2^32 = -1 (mod p),
/// so a 128-bit product x = x_lo + 2^64 * x_hi_lo + 2^96 * x_hi_hi reduces with one subtraction,
/// one 32x32-bit product and one addition (see reduce128).
///
/// p - 1 = 2^32 * 3 * 5 * 17 * 257 * 65537, so the two-adicity is 32. The multiplicative
/// generator is 7 and the two-adic generators follow Plonky3's convention, so NTT outputs match
/// Plonky3's.
class goldilocks {
 public:
  static constexpr std::uint64_t modulus = 0xffff'ffff'0000'0001ULL;
  /// epsilon = 2^64 - p = 2^32 - 1 = 2^64 mod p.
  static constexpr std::uint64_t epsilon = 0xffff'ffffULL;
  /// The largest k with 2^k | p - 1.
  static constexpr unsigned two_adicity = 32;
  static constexpr std::uint32_t byte_size = 8;

  constexpr goldilocks() = default;

  /// The element with canonical value x. Precondition: x < p (checked by try_from_canonical).
  CIRO_HD static constexpr goldilocks from_canonical(std::uint64_t x) {
    goldilocks r;
    r.v_ = x;
    return r;
  }
  /// x mod p, for any 64-bit x (one conditional subtraction, since 2^64 < 2p).
  CIRO_HD static constexpr goldilocks from_u64(std::uint64_t x) {
    return from_canonical(x >= modulus ? x - modulus : x);
  }
  /// The element with canonical value x, or nothing when x >= p (a non-canonical encoding).
  static constexpr std::optional<goldilocks> try_from_canonical(std::uint64_t x) {
    if (x >= modulus) return std::nullopt;
    return from_canonical(x);
  }
  /// (hi * 2^64 + lo) mod p, for any 128-bit value given as two 64-bit halves.
  CIRO_HD static constexpr goldilocks from_u128(std::uint64_t hi, std::uint64_t lo) {
    return from_canonical(reduce128(hi, lo));
  }

  CIRO_HD static constexpr goldilocks zero() { return from_canonical(0); }
  CIRO_HD static constexpr goldilocks one() { return from_canonical(1); }
  CIRO_HD static constexpr goldilocks two() { return from_canonical(2); }
  /// The multiplicative generator 7 (Plonky3's choice).
  CIRO_HD static constexpr goldilocks generator() { return from_canonical(7); }

  /// A generator of the subgroup of order 2^bits: generator^((p-1)/2^32) squared (32 - bits)
  /// times, the convention Plonky3 uses (its table equals these values).
  /// Precondition: bits <= two_adicity.
  CIRO_HD static constexpr goldilocks two_adic_generator(unsigned bits) {
    goldilocks g = generator().pow((modulus - 1) >> two_adicity);
    for (unsigned i = bits; i < two_adicity; ++i) g = g.square();
    return g;
  }

  /// The canonical value in [0, p).
  CIRO_HD constexpr std::uint64_t to_canonical() const { return v_; }

  CIRO_HD constexpr bool is_zero() const { return v_ == 0; }
  CIRO_HD friend constexpr bool operator==(goldilocks a, goldilocks b) { return a.v_ == b.v_; }

  /// a + b: the 65-bit sum wraps to s = a + b - 2^64 on carry; adding epsilon restores it mod p
  /// (cannot carry again, since a + b < 2p). One conditional subtraction makes it canonical.
  CIRO_HD friend constexpr goldilocks operator+(goldilocks a, goldilocks b) {
    std::uint64_t s = a.v_ + b.v_;
    if (s < a.v_) s += epsilon;
    return from_canonical(s >= modulus ? s - modulus : s);
  }
  /// a - b: on borrow the word holds a - b + 2^64 > epsilon, and subtracting epsilon gives
  /// a - b + p, already canonical.
  CIRO_HD friend constexpr goldilocks operator-(goldilocks a, goldilocks b) {
    std::uint64_t d = a.v_ - b.v_;
    if (a.v_ < b.v_) d -= epsilon;
    return from_canonical(d);
  }
  CIRO_HD friend constexpr goldilocks operator-(goldilocks a) { return from_canonical(a.v_ == 0 ? 0 : modulus - a.v_); }
  /// a * b: the full 128-bit product reduced by reduce128.
  CIRO_HD friend constexpr goldilocks operator*(goldilocks a, goldilocks b) {
    std::uint64_t hi = 0, lo = 0;
    mul_wide(a.v_, b.v_, hi, lo);
    return from_canonical(reduce128(hi, lo));
  }
  CIRO_HD constexpr goldilocks& operator+=(goldilocks b) { return *this = *this + b; }
  CIRO_HD constexpr goldilocks& operator-=(goldilocks b) { return *this = *this - b; }
  CIRO_HD constexpr goldilocks& operator*=(goldilocks b) { return *this = *this * b; }

  CIRO_HD constexpr goldilocks square() const { return *this * *this; }
  CIRO_HD constexpr goldilocks double_() const { return *this + *this; }

  /// this^e by square-and-multiply.
  CIRO_HD constexpr goldilocks pow(std::uint64_t e) const {
    goldilocks base = *this, acc = one();
    for (; e != 0; e >>= 1) {
      if (e & 1) acc *= base;
      base = base.square();
    }
    return acc;
  }

  /// this^-1 = this^(p-2) (Fermat). Precondition: this != 0; the inverse of 0 is returned as 0.
  CIRO_HD constexpr goldilocks inverse() const { return pow(modulus - 2); }

  /// (hi * 2^64 + lo) mod p in [0, p), for any hi, lo.
  /// Write hi = hi_hi * 2^32 + hi_lo. Then x = lo + hi_lo * 2^64 + hi_hi * 2^96
  ///   = lo - hi_hi + hi_lo * epsilon (mod p).
  /// t0 = lo - hi_hi (on borrow, t0 + 2^64 >= 2^64 - 2^32 + 1 > epsilon, so subtracting epsilon
  /// fixes it without underflow); t1 = hi_lo * epsilon < 2^64; t0 + t1 (on carry, add epsilon,
  /// which cannot carry again as t1 <= (2^32-1)^2); finally one conditional subtraction of p.
  CIRO_HD static constexpr std::uint64_t reduce128(std::uint64_t hi, std::uint64_t lo) {
    const std::uint64_t hi_hi = hi >> 32;
    const std::uint64_t hi_lo = hi & epsilon;
    // Borrow and carry corrections as masks rather than branches: the conditions depend on the
    // data and mispredict about half the time.
    const std::uint64_t t0 = lo - hi_hi - (epsilon & (0 - static_cast<std::uint64_t>(lo < hi_hi)));
    const std::uint64_t t1 = hi_lo * epsilon;
    std::uint64_t t2 = t0 + t1;
    t2 += epsilon & (0 - static_cast<std::uint64_t>(t2 < t1));
    return t2 - (modulus & (0 - static_cast<std::uint64_t>(t2 >= modulus)));
  }

  /// The full product a * b = hi * 2^64 + lo. unsigned __int128 is supported by g++, clang and
  /// nvcc (host and device, where it lowers to mul.lo/mul.hi), and stays usable in constant
  /// evaluation, unlike the __umul64hi intrinsic.
  CIRO_HD static constexpr void mul_wide(std::uint64_t a, std::uint64_t b, std::uint64_t& hi, std::uint64_t& lo) {
    const unsigned __int128 prod = static_cast<unsigned __int128>(a) * b;
    lo = static_cast<std::uint64_t>(prod);
    hi = static_cast<std::uint64_t>(prod >> 64);
  }

 private:
  std::uint64_t v_ = 0;
};

}  // namespace ciro::field
