#include "field/extension.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "field/concepts.hpp"
#include "tests/support/seed.hpp"

namespace {

using ciro::field::babybear;
using ciro::field::babybear4;
using ciro::field::babybear5;
using ciro::field::goldilocks;
using ciro::field::goldilocks2;
using u128 = unsigned __int128;

static_assert(ciro::field::extension_field<babybear4>);
static_assert(ciro::field::extension_field<babybear5>);
static_assert(ciro::field::extension_field<goldilocks2>);
static_assert(std::is_trivially_copyable_v<babybear4> && sizeof(babybear4) == 16);
static_assert(sizeof(babybear5) == 20 && sizeof(goldilocks2) == 16);
static_assert(babybear4::byte_size == 16 && babybear5::byte_size == 20 && goldilocks2::byte_size == 16);
// constexpr arithmetic: in goldilocks2, x * x = 7.
static_assert(goldilocks2::from_coeffs({goldilocks::zero(), goldilocks::one()}).square() ==
              goldilocks2::from_base(goldilocks::from_canonical(7)));

// ---------------------------------------------------------------------------------------------
// Irreducibility of x^n - a over F_p, by the classical theorem (Capelli; Lang, Algebra, VI,
// Theorem 9.1): for a field K, n >= 2 and a in K^*, the binomial x^n - a is irreducible over K
// if and only if
//   (1) a is not an r-th power in K for any prime r dividing n, and
//   (2) if 4 | n, a is not in -4 K^4.
// In F_p^* (cyclic of order p - 1), a is an r-th power iff a^((p-1)/gcd(r, p-1)) = 1; and
// a in -4 K^4 iff -a/4 is a fourth power.
// The checks below use plain integer arithmetic, independent of the field classes, and are
// themselves cross-checked against brute-force factor search over small primes.

std::uint64_t mod_pow(std::uint64_t b, std::uint64_t e, std::uint64_t p) {
  std::uint64_t acc = 1 % p;
  b %= p;
  for (; e; e >>= 1) {
    if (e & 1) acc = static_cast<std::uint64_t>(u128{acc} * b % p);
    b = static_cast<std::uint64_t>(u128{b} * b % p);
  }
  return acc;
}
std::uint64_t gcd(std::uint64_t a, std::uint64_t b) {
  while (b) {
    const std::uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}
/// a is an r-th power in F_p (p prime, a != 0 mod p).
bool is_rth_power(std::uint64_t a, std::uint64_t r, std::uint64_t p) {
  return mod_pow(a, (p - 1) / gcd(r, p - 1), p) == 1;
}
/// x^n - a irreducible over F_p, by the theorem above. Preconditions: n >= 2, a != 0 mod p.
bool binomial_is_irreducible(std::uint64_t p, unsigned n, std::uint64_t a) {
  unsigned m = n;
  for (unsigned r = 2; m > 1; ++r) {
    if (m % r != 0) continue;
    if (is_rth_power(a, r, p)) return false;
    while (m % r == 0) m /= r;
  }
  if (n % 4 == 0) {
    const std::uint64_t minus_a_over_4 = static_cast<std::uint64_t>(u128{p - a % p} * mod_pow(4, p - 2, p) % p);
    if (is_rth_power(minus_a_over_4, 4, p)) return false;
  }
  return true;
}

/// Brute force for small p: x^n - a has a monic factor of degree d in [1, n/2]? Tries every
/// monic polynomial of that degree by long division.
bool binomial_has_factor_brute_force(std::uint64_t p, unsigned n, std::uint64_t a) {
  for (unsigned d = 1; d <= n / 2; ++d) {
    std::uint64_t count = 1;
    for (unsigned i = 0; i < d; ++i) count *= p;
    for (std::uint64_t code = 0; code < count; ++code) {
      std::vector<std::uint64_t> g(d + 1);  // g = x^d + sum_{i<d} g_i x^i
      std::uint64_t c = code;
      for (unsigned i = 0; i < d; ++i, c /= p) g[i] = c % p;
      g[d] = 1;
      std::vector<std::uint64_t> f(n + 1, 0);  // f = x^n - a
      f[n] = 1;
      f[0] = (p - a % p) % p;
      for (unsigned k = n; k >= d; --k) {  // cancel the x^k term with f_k x^(k-d) g
        const std::uint64_t q = f[k];
        for (unsigned i = 0; i <= d; ++i) f[k - d + i] = (f[k - d + i] + (p - q) * g[i]) % p;
        if (k == d) break;
      }
      bool zero = true;
      for (unsigned i = 0; i < d; ++i) zero = zero && f[i] == 0;
      if (zero) return true;
    }
  }
  return false;
}

TEST(Irreducibility, CriterionAgreesWithBruteForceFactorSearchOverSmallPrimes) {
  // Includes p = 3 mod 4 (7, 11, 19, 23) where condition (2) alone rules out e.g. x^4 + 4.
  for (std::uint64_t p : {3ULL, 5ULL, 7ULL, 11ULL, 13ULL, 17ULL, 19ULL, 23ULL, 29ULL, 31ULL}) {
    for (unsigned n = 2; n <= (p < 20 ? 6u : 5u); ++n) {
      for (std::uint64_t a = 1; a < p; ++a) {
        ASSERT_EQ(binomial_is_irreducible(p, n, a), !binomial_has_factor_brute_force(p, n, a))
            << "p=" << p << " n=" << n << " a=" << a;
      }
    }
  }
  EXPECT_FALSE(binomial_is_irreducible(7, 4, 3));  // x^4 + 4 = (x^2 + 2x + 2)(x^2 - 2x + 2)
}

TEST(Irreducibility, BabyBearXFourMinusElevenIsIrreducible) {
  EXPECT_TRUE(binomial_is_irreducible(babybear::modulus, 4, 11));
  EXPECT_NE(babybear::from_canonical(11).pow((babybear::modulus - 1) / 2), babybear::one());  // non-square
}

TEST(Irreducibility, BabyBearXFiveMinusTwoIsIrreducibleAndTwoIsTheSmallestSuchW) {
  EXPECT_EQ(babybear5::w_value, 2u);
  EXPECT_TRUE(binomial_is_irreducible(babybear::modulus, 5, 2));
  EXPECT_NE(babybear::from_canonical(2).pow((babybear::modulus - 1) / 5), babybear::one());  // not a 5th power
  EXPECT_FALSE(binomial_is_irreducible(babybear::modulus, 5, 1));
}

TEST(Irreducibility, GoldilocksXTwoMinusSevenIsIrreducible) {
  EXPECT_TRUE(binomial_is_irreducible(goldilocks::modulus, 2, 7));
  EXPECT_NE(goldilocks::from_canonical(7).pow((goldilocks::modulus - 1) / 2), goldilocks::one());
}

TEST(Irreducibility, Babybear5HasMoreThan150Bits) {
  // |E| = p^5 > (2^30)^5 = 2^150 because p > 2^30.
  EXPECT_GT(babybear::modulus, 1u << 30);
}

// ---------------------------------------------------------------------------------------------
// Arithmetic against a naive reference on canonical integers.

template <class E>
using base_of = typename E::base_type;

template <class E>
E random_element(ciro::test::seeded_rng& rng) {
  std::array<base_of<E>, E::degree> cs{};
  for (auto& c : cs) {
    // a quarter of the coefficients are 0 or p - 1, to hit edge cases
    const std::uint64_t r = rng.next();
    if (r % 8 == 0)
      c = base_of<E>::zero();
    else if (r % 8 == 1)
      c = -base_of<E>::one();
    else
      c = base_of<E>::from_u64(rng.next());
  }
  return E::from_coeffs(cs);
}

template <class E>
std::vector<std::uint64_t> canonical(const E& a) {
  std::vector<std::uint64_t> v;
  for (unsigned i = 0; i < E::degree; ++i) v.push_back(a.coeff(i).to_canonical());
  return v;
}

/// The product of a and b as polynomials with integer coefficients mod p, then reduced modulo
/// x^D - W by long division (x^k = W x^(k-D) for k = 2D-2 down to D).
template <class E>
std::vector<std::uint64_t> naive_product(const E& a, const E& b) {
  const std::uint64_t p = base_of<E>::modulus;
  const unsigned d = E::degree;
  const auto x = canonical(a), y = canonical(b);
  std::vector<std::uint64_t> c(2 * d - 1, 0);
  for (unsigned i = 0; i < d; ++i)
    for (unsigned j = 0; j < d; ++j) c[i + j] = static_cast<std::uint64_t>((c[i + j] + u128{x[i]} * y[j]) % p);
  for (unsigned k = 2 * d - 2; k >= d; --k) {
    c[k - d] = static_cast<std::uint64_t>((c[k - d] + u128{E::w_value} * c[k]) % p);
    c[k] = 0;
  }
  c.resize(d);
  return c;
}

template <class E>
class Extension : public ::testing::Test {};
using extension_fields = ::testing::Types<babybear4, babybear5, goldilocks2>;
TYPED_TEST_SUITE(Extension, extension_fields);

TYPED_TEST(Extension, MultiplicationMatchesNaivePolynomialProductReducedModTheBinomial) {
  using E = TypeParam;
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 20000; ++i) {
    const E a = random_element<E>(rng), b = random_element<E>(rng);
    ASSERT_EQ(canonical(a * b), naive_product(a, b));
    ASSERT_EQ(canonical(a.square()), naive_product(a, a));
  }
}

TYPED_TEST(Extension, AdditionAndSubtractionAreCoefficientwise) {
  using E = TypeParam;
  using F = base_of<E>;
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 2000; ++i) {
    const E a = random_element<E>(rng), b = random_element<E>(rng);
    for (unsigned k = 0; k < E::degree; ++k) {
      ASSERT_EQ((a + b).coeff(k), a.coeff(k) + b.coeff(k));
      ASSERT_EQ((a - b).coeff(k), a.coeff(k) - b.coeff(k));
      ASSERT_EQ((-a).coeff(k), F::zero() - a.coeff(k));
    }
    ASSERT_EQ(a - a, E::zero());
    ASSERT_TRUE((a - a).is_zero());
  }
}

TYPED_TEST(Extension, MultiplicationIsAssociativeCommutativeAndDistributive) {
  using E = TypeParam;
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 2000; ++i) {
    const E a = random_element<E>(rng), b = random_element<E>(rng), c = random_element<E>(rng);
    ASSERT_EQ((a * b) * c, a * (b * c));
    ASSERT_EQ(a * b, b * a);
    ASSERT_EQ(a * (b + c), a * b + a * c);
    ASSERT_EQ(a * E::one(), a);
  }
}

TYPED_TEST(Extension, BaseScalarMultiplicationMatchesMultiplyingByTheEmbeddedScalar) {
  using E = TypeParam;
  using F = base_of<E>;
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 2000; ++i) {
    const E a = random_element<E>(rng);
    const F s = F::from_u64(rng.next());
    ASSERT_EQ(a * s, a * E::from_base(s));
    ASSERT_EQ(s * a, a * E::from_base(s));
    ASSERT_EQ(E::from_base(s).coeff(0), s);
  }
}

TYPED_TEST(Extension, FromCoeffsByArrayAndByPointerAgreeWithCoeff) {
  using E = TypeParam;
  ciro::test::seeded_rng rng;
  const E a = random_element<E>(rng);
  const auto cs = a.coeffs();
  EXPECT_EQ(E::from_coeffs(cs), a);
  EXPECT_EQ(E::from_coeffs(cs.data()), a);
  for (unsigned i = 0; i < E::degree; ++i) EXPECT_EQ(cs[i], a.coeff(i));
}

TYPED_TEST(Extension, InverseTimesElementIsOne) {
  using E = TypeParam;
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 2000; ++i) {
    const E a = random_element<E>(rng);
    if (a.is_zero()) continue;
    ASSERT_EQ(a * a.inverse(), E::one());
  }
  // Elements with a single non-zero coefficient, e.g. x itself: x^-1 = x^(D-1) / W.
  std::array<base_of<E>, E::degree> x{};
  x[1] = base_of<E>::one();
  const E xe = E::from_coeffs(x);
  EXPECT_EQ(xe * xe.inverse(), E::one());
  EXPECT_EQ(xe.pow(E::degree), E::from_base(E::w()));
  EXPECT_EQ(E::zero().inverse(), E::zero());
}

TYPED_TEST(Extension, FrobeniusIsThePthPowerAndHasOrderD) {
  using E = TypeParam;
  using F = base_of<E>;
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 200; ++i) {
    const E a = random_element<E>(rng);
    ASSERT_EQ(a.frobenius(), a.pow(F::modulus));
    ASSERT_EQ(a.frobenius(2), a.frobenius().frobenius());
    ASSERT_EQ(a.frobenius(E::degree), a);
    ASSERT_EQ(a.frobenius(0), a);
  }
}

TYPED_TEST(Extension, NormIsMultiplicativeAndFixesTheBaseField) {
  using E = TypeParam;
  using F = base_of<E>;
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 500; ++i) {
    const E a = random_element<E>(rng), b = random_element<E>(rng);
    ASSERT_EQ((a * b).norm(), a.norm() * b.norm());
    // N(a) = prod of all conjugates, computed the long way.
    E prod = a;
    for (unsigned k = 1; k < E::degree; ++k) prod *= a.frobenius(k);
    ASSERT_EQ(prod, E::from_base(a.norm()));
    const F s = F::from_u64(rng.next());
    ASSERT_EQ(E::from_base(s).norm(), s.pow(E::degree));
  }
}

TYPED_TEST(Extension, PowMatchesRepeatedMultiplication) {
  using E = TypeParam;
  ciro::test::seeded_rng rng;
  const E a = random_element<E>(rng);
  E acc = E::one();
  for (std::uint64_t e = 0; e < 100; ++e) {
    ASSERT_EQ(a.pow(e), acc) << "e=" << e;
    acc *= a;
  }
}

TYPED_TEST(Extension, MultiplicativeGroupHasOrderPToTheDMinusOne) {
  // a^(p^D - 1) = 1 for a != 0 (E is a field of p^D elements), computed as
  // a^(p^D - 1) = (a^(1 + p + ... + p^(D-1)))^(p - 1) = N(a)^(p - 1) by Frobenius.
  using E = TypeParam;
  using F = base_of<E>;
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 100; ++i) {
    const E a = random_element<E>(rng);
    if (a.is_zero()) continue;
    E acc = a;  // a^(p^k) accumulated through repeated pow(p), independent of frobenius()
    E prod = a;
    for (unsigned k = 1; k < E::degree; ++k) {
      acc = acc.pow(F::modulus);
      prod *= acc;
    }
    ASSERT_EQ(prod.pow(F::modulus - 1), E::one());
  }
}

}  // namespace
