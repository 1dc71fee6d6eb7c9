#pragma once

#include <array>
#include <cstdint>

#include "core/hd.hpp"
#include "field/babybear.hpp"
#include "field/goldilocks.hpp"

namespace ciro::field {

/// The binomial extension E = F[x] / (x^D - W) of a prime field F, of degree D.
///
/// An element is a polynomial a_0 + a_1 x + ... + a_{D-1} x^{D-1}, stored as its D
/// coefficients. E is a field exactly when x^D - W is irreducible over F (see the tests for
/// the proof of each alias below); the arithmetic itself is correct in the ring either way.
///
/// Requirements: F is a prime field (it has `modulus`, `from_u64`, `byte_size`), D >= 2,
/// D | p - 1 (so F holds the D-th roots of unity the Frobenius map needs), and W is the
/// canonical value of a non-zero element of F, given as an integer because F is not a
/// structural type.
///
/// Costs, in base-field multiplications: * is D^2 + D - 1 (schoolbook, then x^D = W);
/// inverse is one base inversion and about D^3 (D - 2 extension products of Frobenius images).
template <class F, unsigned D, std::uint64_t W>
class binomial_extension {
  static_assert(D >= 2, "a binomial extension has degree at least 2");
  static_assert(W != 0 && W < F::modulus, "W must be a non-zero canonical value");
  static_assert((F::modulus - 1) % D == 0, "the Frobenius formula needs D | p - 1");

 public:
  using base_type = F;
  static constexpr unsigned degree = D;
  /// The canonical value of W, where x^D = W.
  static constexpr std::uint64_t w_value = W;
  /// Bytes of the canonical encoding: the D coefficients, each as F encodes it.
  static constexpr std::uint32_t byte_size = D * F::byte_size;

  constexpr binomial_extension() = default;

  /// The constant polynomial b (the embedding F -> E).
  CIRO_HD static constexpr binomial_extension from_base(F b) {
    binomial_extension r;
    r.c_[0] = b;
    return r;
  }
  /// The element sum_i cs[i] x^i. Host-only (std::array is not device code); device code uses
  /// the pointer overload.
  static constexpr binomial_extension from_coeffs(const std::array<F, D>& cs) {
    binomial_extension r;
    for (unsigned i = 0; i < D; ++i) r.c_[i] = cs[i];
    return r;
  }
  /// The element sum_i cs[i] x^i. Precondition: cs points to D elements.
  CIRO_HD static constexpr binomial_extension from_coeffs(const F* cs) {
    binomial_extension r;
    for (unsigned i = 0; i < D; ++i) r.c_[i] = cs[i];
    return r;
  }

  CIRO_HD static constexpr binomial_extension zero() { return binomial_extension(); }
  CIRO_HD static constexpr binomial_extension one() { return from_base(F::one()); }
  /// W as an element of F.
  CIRO_HD static constexpr F w() { return F::from_u64(W); }

  /// The coefficient of x^i. Precondition: i < D.
  CIRO_HD constexpr F coeff(unsigned i) const { return c_[i]; }
  /// All D coefficients, lowest degree first.
  constexpr std::array<F, D> coeffs() const {
    std::array<F, D> cs{};
    for (unsigned i = 0; i < D; ++i) cs[i] = c_[i];
    return cs;
  }

  CIRO_HD constexpr bool is_zero() const {
    for (unsigned i = 0; i < D; ++i)
      if (!c_[i].is_zero()) return false;
    return true;
  }
  CIRO_HD friend constexpr bool operator==(const binomial_extension& a, const binomial_extension& b) {
    for (unsigned i = 0; i < D; ++i)
      if (!(a.c_[i] == b.c_[i])) return false;
    return true;
  }

  CIRO_HD friend constexpr binomial_extension operator+(const binomial_extension& a, const binomial_extension& b) {
    binomial_extension r;
    for (unsigned i = 0; i < D; ++i) r.c_[i] = a.c_[i] + b.c_[i];
    return r;
  }
  CIRO_HD friend constexpr binomial_extension operator-(const binomial_extension& a, const binomial_extension& b) {
    binomial_extension r;
    for (unsigned i = 0; i < D; ++i) r.c_[i] = a.c_[i] - b.c_[i];
    return r;
  }
  CIRO_HD friend constexpr binomial_extension operator-(const binomial_extension& a) {
    binomial_extension r;
    for (unsigned i = 0; i < D; ++i) r.c_[i] = -a.c_[i];
    return r;
  }
  /// (sum a_i x^i)(sum b_j x^j) = sum_k (sum_{i+j=k} a_i b_j) x^k, then x^(D+k) = W x^k folds
  /// the terms of degree D..2D-2 back down.
  CIRO_HD friend constexpr binomial_extension operator*(const binomial_extension& a, const binomial_extension& b) {
    F wide[2 * D - 1] = {};
    for (unsigned i = 0; i < D; ++i)
      for (unsigned j = 0; j < D; ++j) wide[i + j] += a.c_[i] * b.c_[j];
    const F wf = w();
    binomial_extension r;
    for (unsigned k = 0; k + 1 < D; ++k) r.c_[k] = wide[k] + wf * wide[k + D];
    r.c_[D - 1] = wide[D - 1];
    return r;
  }
  /// a * s for a base-field scalar s: every coefficient times s (D multiplications).
  CIRO_HD friend constexpr binomial_extension operator*(const binomial_extension& a, F s) {
    binomial_extension r;
    for (unsigned i = 0; i < D; ++i) r.c_[i] = a.c_[i] * s;
    return r;
  }
  /// s * a for a base-field scalar s.
  CIRO_HD friend constexpr binomial_extension operator*(F s, const binomial_extension& a) { return a * s; }

  CIRO_HD constexpr binomial_extension& operator+=(const binomial_extension& b) { return *this = *this + b; }
  CIRO_HD constexpr binomial_extension& operator-=(const binomial_extension& b) { return *this = *this - b; }
  CIRO_HD constexpr binomial_extension& operator*=(const binomial_extension& b) { return *this = *this * b; }
  CIRO_HD constexpr binomial_extension& operator*=(F s) { return *this = *this * s; }

  CIRO_HD constexpr binomial_extension square() const { return *this * *this; }

  /// this^e by square-and-multiply.
  CIRO_HD constexpr binomial_extension pow(std::uint64_t e) const {
    binomial_extension base = *this, acc = one();
    for (; e != 0; e >>= 1) {
      if (e & 1) acc *= base;
      base = base.square();
    }
    return acc;
  }

  /// The k-th power of the Frobenius automorphism, a -> a^(p^k).
  /// Since x^p = x * (x^D)^((p-1)/D) = z x with z = W^((p-1)/D) (a D-th root of unity, as
  /// D | p - 1) and a_i^p = a_i, frob^k(a) = sum_i a_i z^(i k) x^i.
  CIRO_HD constexpr binomial_extension frobenius(unsigned k = 1) const {
    constexpr F z = F::from_u64(W).pow((F::modulus - 1) / D);
    const F zk = z.pow(k % D);
    binomial_extension r;
    F m = F::one();
    for (unsigned i = 0; i < D; ++i) {
      r.c_[i] = c_[i] * m;
      m *= zk;
    }
    return r;
  }

  /// The norm N(a) = prod_{k=0}^{D-1} frob^k(a), an element of F (it is fixed by Frobenius).
  CIRO_HD constexpr F norm() const { return constant_of_product(*this, conjugates_product()); }

  /// a^-1 = (prod_{k=1}^{D-1} frob^k(a)) / N(a): the product r of the non-trivial conjugates
  /// satisfies a * r = N(a) in F, so only one base-field inversion is needed.
  /// Precondition: a != 0; the inverse of 0 is returned as 0 (r = 0 and N = 0).
  CIRO_HD constexpr binomial_extension inverse() const {
    const binomial_extension r = conjugates_product();
    return r * constant_of_product(*this, r).inverse();
  }

 private:
  /// prod_{k=1}^{D-1} frob^k(this).
  CIRO_HD constexpr binomial_extension conjugates_product() const {
    binomial_extension r = frobenius(1);
    for (unsigned k = 2; k < D; ++k) r *= frobenius(k);
    return r;
  }
  /// The x^0 coefficient of a * b: a_0 b_0 + W * sum_{i=1}^{D-1} a_i b_{D-i}.
  CIRO_HD static constexpr F constant_of_product(const binomial_extension& a, const binomial_extension& b) {
    F folded = F::zero();
    for (unsigned i = 1; i < D; ++i) folded += a.c_[i] * b.c_[D - i];
    return a.c_[0] * b.c_[0] + w() * folded;
  }

  F c_[D] = {};
};

/// BabyBear^4 = BabyBear[x] / (x^4 - 11), Plonky3's quartic extension (~124 bits).
using babybear4 = binomial_extension<babybear, 4, 11>;
/// BabyBear^5 = BabyBear[x] / (x^5 - 2) (~155 bits), for the 128-bit security profile. 2 is the
/// smallest W for which x^5 - W is irreducible (2 is not a fifth power in BabyBear).
using babybear5 = binomial_extension<babybear, 5, 2>;
/// Goldilocks^2 = Goldilocks[x] / (x^2 - 7), Plonky3's quadratic extension (~128 bits).
using goldilocks2 = binomial_extension<goldilocks, 2, 7>;

}  // namespace ciro::field
