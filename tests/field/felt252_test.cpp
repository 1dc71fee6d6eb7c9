#include "field/felt252.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>

#include "field/concepts.hpp"
#include "tests/support/seed.hpp"

namespace {

using ciro::field::felt252;
using limbs = felt252::limbs;
__extension__ using u128 = unsigned __int128;

static_assert(ciro::field::two_adic_field<felt252>);
static_assert(sizeof(felt252) == 32 && std::is_trivially_copyable_v<felt252>);
// constexpr arithmetic: 3 * 5 - 7 = 8 and 7 * 7^-1 = 1, evaluated by the compiler.
static_assert((felt252::from_u64(3) * felt252::from_u64(5) - felt252::from_u64(7)).to_limbs() == limbs{8, 0, 0, 0});
static_assert(felt252::from_u64(7).inverse() * felt252::from_u64(7) == felt252::one());
static_assert(felt252::from_hex("0x1f").has_value() && !felt252::from_hex("0x").has_value());

// ---- Slow reference: schoolbook integers, reduction mod p by binary long division. ----

constexpr limbs p = {1, 0, 0, 0x0800000000000011ULL};

bool ge(const limbs& a, const limbs& b) {
  for (int i = 3; i >= 0; --i) {
    if (a[i] != b[i]) return a[i] > b[i];
  }
  return true;
}
limbs sub_raw(const limbs& a, const limbs& b) {
  limbs r{};
  std::uint64_t borrow = 0;
  for (int i = 0; i < 4; ++i) {
    const u128 d = static_cast<u128>(a[i]) - b[i] - borrow;
    r[i] = static_cast<std::uint64_t>(d);
    borrow = static_cast<std::uint64_t>(d >> 64) & 1;
  }
  return r;
}
// x mod p for a 512-bit x (8 limbs), one bit at a time: r <- 2r + bit, minus p when r >= p.
limbs ref_mod(const std::array<std::uint64_t, 8>& x) {
  limbs r{};
  for (int bit = 511; bit >= 0; --bit) {
    for (int i = 3; i > 0; --i) r[i] = (r[i] << 1) | (r[i - 1] >> 63);  // r < p < 2^252: no overflow
    r[0] = (r[0] << 1) | ((x[bit / 64] >> (bit % 64)) & 1);
    if (ge(r, p)) r = sub_raw(r, p);
  }
  return r;
}
limbs ref_add(const limbs& a, const limbs& b) {
  std::array<std::uint64_t, 8> s{};
  u128 c = 0;
  for (int i = 0; i < 4; ++i) {
    c = static_cast<u128>(a[i]) + b[i] + (c >> 64);
    s[i] = static_cast<std::uint64_t>(c);
  }
  s[4] = static_cast<std::uint64_t>(c >> 64);
  return ref_mod(s);
}
limbs ref_sub(const limbs& a, const limbs& b) { return ref_add(a, sub_raw(p, b)); }  // b < p
limbs ref_mul(const limbs& a, const limbs& b) {
  std::array<std::uint64_t, 8> t{};
  for (int i = 0; i < 4; ++i) {
    u128 c = 0;
    for (int j = 0; j < 4; ++j) {
      c = static_cast<u128>(a[i]) * b[j] + t[i + j] + (c >> 64);
      t[i + j] = static_cast<std::uint64_t>(c);
    }
    t[i + 4] = static_cast<std::uint64_t>(c >> 64);
  }
  return ref_mod(t);
}
std::string ref_hex(const limbs& x) {
  std::string s;
  for (int i = 3; i >= 0; --i) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(x[i]));
    s += buf;
  }
  const auto nz = s.find_first_not_of('0');
  return "0x" + (nz == std::string::npos ? std::string("0") : s.substr(nz));
}

// Uniform in [0, p) for half the draws, edge values (0, 1, p-1, p-2, limb boundaries) otherwise.
limbs draw(ciro::test::seeded_rng& rng) {
  static const limbs edges[] = {{0, 0, 0, 0},
                                {1, 0, 0, 0},
                                {0, 0, 0, 0x0800000000000011ULL},              // p - 1
                                {~0ULL, ~0ULL, ~0ULL, 0x0800000000000010ULL},  // p - 2
                                {~0ULL, 0, 0, 0},
                                {0, 0, 1, 0},
                                {~0ULL, ~0ULL, ~0ULL, 0x07ffffffffffffffULL}};
  if (rng.next() % 2 == 0) return edges[rng.below(std::size(edges))];
  for (;;) {
    limbs x{rng.next(), rng.next(), rng.next(), rng.next() >> 4};  // < 2^252
    if (!ge(x, p)) return x;
  }
}

TEST(Felt252, ArithmeticMatchesSchoolbookReferenceOnRandomInputs) {
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 3000; ++i) {
    const limbs x = draw(rng), y = draw(rng);
    const felt252 a = felt252::from_canonical(x), b = felt252::from_canonical(y);
    ASSERT_EQ(a.to_limbs(), x);
    ASSERT_EQ((a + b).to_limbs(), ref_add(x, y)) << ref_hex(x) << " + " << ref_hex(y);
    ASSERT_EQ((a - b).to_limbs(), ref_sub(x, y)) << ref_hex(x) << " - " << ref_hex(y);
    ASSERT_EQ((a * b).to_limbs(), ref_mul(x, y)) << ref_hex(x) << " * " << ref_hex(y);
    ASSERT_EQ(a.square().to_limbs(), ref_mul(x, x));
    ASSERT_EQ((-a).to_limbs(), ref_sub({0, 0, 0, 0}, x));
    ASSERT_EQ(a.is_zero(), x == limbs{});
  }
}

// A lazily reduced operand in [0, 4p) (the lazy Montgomery products accept these): a draw plus
// 0 to 3 times p, so edge values such as 4p - 1 and p itself occur.
limbs draw_lazy(ciro::test::seeded_rng& rng) {
  limbs x = draw(rng);
  const std::uint64_t k = rng.below(4);
  u128 c = 0;
  for (int i = 0; i < 4; ++i) {
    c = static_cast<u128>(x[i]) + k * p[i] + (c >> 64);
    x[i] = static_cast<std::uint64_t>(c);
  }
  return x;
}

limbs as_limbs(const std::uint64_t* r) { return {r[0], r[1], r[2], r[3]}; }

TEST(Felt252, MontgomeryMultiplicationMatchesPortablePath) {
  // Every fast path (the dispatched one, and on x86-64 both assembly paths) gives the portable
  // definition's limbs, canonical and lazy.
  namespace d = ciro::field::felt252_detail;
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 10000; ++i) {
    const limbs x = draw(rng), y = draw(rng);
    std::uint64_t r1[4], r2[4], r3[4];
    d::mont_mul(x.data(), y.data(), r1);
    d::mont_mul_portable(x.data(), y.data(), r2);
    ASSERT_EQ(as_limbs(r1), as_limbs(r2));
    d::mont_sqr(x.data(), r1);
    d::mont_mul_portable(x.data(), x.data(), r3);
    ASSERT_EQ(as_limbs(r1), as_limbs(r3));
  }
}

TEST(Felt252, LazyMontgomeryProductsMatchPortablePathBelowFourP) {
  // For a, b < 4p the lazy product is bit-identical on every path, below 2p, and congruent to
  // a * b * 2^-256.
  namespace d = ciro::field::felt252_detail;
  const limbs two_p = {2, 0, 0, 2 * 0x0800000000000011ULL};
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 10000; ++i) {
    const limbs x = draw_lazy(rng), y = draw_lazy(rng);
    std::uint64_t want[4], got[4];
    d::mont_mul_lazy_portable(x.data(), y.data(), want);
    ASSERT_FALSE(ge(as_limbs(want), two_p)) << ref_hex(x) << " * " << ref_hex(y);
    // (x mod p) (y mod p) R^-1: the canonical product of the reduced operands agrees mod p.
    std::uint64_t canon[4];
    d::mont_mul_portable(ref_mod({x[0], x[1], x[2], x[3], 0, 0, 0, 0}).data(),
                         ref_mod({y[0], y[1], y[2], y[3], 0, 0, 0, 0}).data(), canon);
    ASSERT_EQ(ref_mod({want[0], want[1], want[2], want[3], 0, 0, 0, 0}), as_limbs(canon));
    d::mont_mul_lazy(x.data(), y.data(), got);
    ASSERT_EQ(as_limbs(got), as_limbs(want)) << ref_hex(x) << " * " << ref_hex(y);
    d::mont_mul_lazy_portable(x.data(), x.data(), want);
    d::mont_sqr_lazy(x.data(), got);
    ASSERT_EQ(as_limbs(got), as_limbs(want)) << ref_hex(x) << "^2";
#ifdef CIRO_FELT252_ASM
    d::mont_mul_lazy_mulq(x.data(), y.data(), got);
    d::mont_mul_lazy_portable(x.data(), y.data(), want);
    ASSERT_EQ(as_limbs(got), as_limbs(want)) << "mulq: " << ref_hex(x) << " * " << ref_hex(y);
    if (d::has_bmi2_adx) {
      d::mont_mul_lazy_adx(x.data(), y.data(), got);
      ASSERT_EQ(as_limbs(got), as_limbs(want)) << "adx: " << ref_hex(x) << " * " << ref_hex(y);
      d::mont_sqr_lazy_adx(x.data(), got);
      d::mont_mul_lazy_portable(x.data(), x.data(), want);
      ASSERT_EQ(as_limbs(got), as_limbs(want)) << "adx: " << ref_hex(x) << "^2";
    }
#endif
  }
#ifdef CIRO_FELT252_ASM
  if (!d::has_bmi2_adx) GTEST_SKIP() << "no BMI2/ADX on this CPU: only the baseline assembly was checked";
#endif
}

TEST(Felt252, LazyProductsOfExtremeOperandsMatchPortablePath) {
  // Operands at the ends of [0, 4p): 0, 1, p - 1, p, 2p - 1, 2p - 3, 4p - 1, limb boundaries.
  namespace d = ciro::field::felt252_detail;
  const std::uint64_t c = 0x0800000000000011ULL;
  const limbs xs[] = {{0, 0, 0, 0},         {1, 0, 0, 0},
                      {0, 0, 0, c},         {1, 0, 0, c},
                      {1, 0, 0, 2 * c},     {~0ULL, ~0ULL, ~0ULL, 2 * c - 1},
                      {3, 0, 0, 4 * c},     {~0ULL, 0, 0, 0},
                      {0, ~0ULL, ~0ULL, 0}, {~0ULL, ~0ULL, ~0ULL, 0x07ffffffffffffffULL}};
  for (const limbs& x : xs) {
    for (const limbs& y : xs) {
      std::uint64_t want[4], got[4];
      d::mont_mul_lazy_portable(x.data(), y.data(), want);
      d::mont_mul_lazy(x.data(), y.data(), got);
      ASSERT_EQ(as_limbs(got), as_limbs(want)) << ref_hex(x) << " * " << ref_hex(y);
#ifdef CIRO_FELT252_ASM
      d::mont_mul_lazy_mulq(x.data(), y.data(), got);
      ASSERT_EQ(as_limbs(got), as_limbs(want)) << ref_hex(x) << " * " << ref_hex(y);
#endif
    }
    std::uint64_t want[4], got[4];
    d::mont_mul_lazy_portable(x.data(), x.data(), want);
    d::mont_sqr_lazy(x.data(), got);
    ASSERT_EQ(as_limbs(got), as_limbs(want)) << ref_hex(x) << "^2";
  }
}

TEST(Felt252, InverseTimesValueIsOneAndZeroMapsToZero) {
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 200; ++i) {
    const felt252 a = felt252::from_canonical(draw(rng));
    if (a.is_zero()) continue;
    ASSERT_EQ(a * a.inverse(), felt252::one()) << a;
  }
  EXPECT_EQ(felt252::zero().inverse(), felt252::zero());
}

TEST(Felt252, PowMatchesRepeatedMultiplicationAndFermat) {
  ciro::test::seeded_rng rng;
  const felt252 a = felt252::from_canonical(draw(rng)) + felt252::one();
  felt252 acc = felt252::one();
  for (std::uint64_t e = 0; e < 100; ++e) {
    ASSERT_EQ(a.pow(e), acc) << "e=" << e;
    acc *= a;
  }
  EXPECT_EQ(a.pow(limbs{0, 0, 0, 0x0800000000000011ULL}), felt252::one());  // a^(p-1)
}

TEST(Felt252, TwoAdicGeneratorHasExactOrder) {
  const felt252 g = felt252::two_adic_generator(192);
  felt252 x = g;
  for (int i = 0; i < 191; ++i) x = x.square();
  EXPECT_EQ(x, -felt252::one());  // g^(2^191) = -1, so g has order exactly 2^192
  EXPECT_EQ(felt252::two_adic_generator(1), -felt252::one());
  EXPECT_EQ(felt252::two_adic_generator(0), felt252::one());
}

TEST(Felt252, HexAndDecimalRoundTrip) {
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 500; ++i) {
    const limbs x = draw(rng);
    const felt252 a = felt252::from_canonical(x);
    const std::string hex = a.to_hex();
    ASSERT_EQ(hex, ref_hex(x));
    ASSERT_EQ(felt252::from_hex(hex), a) << hex;
    ASSERT_EQ(felt252::from_dec(a.to_dec()), a) << a.to_dec();
  }
}

TEST(Felt252, PrintsKnownValues) {
  EXPECT_EQ(felt252::zero().to_hex(), "0x0");
  EXPECT_EQ(felt252::zero().to_dec(), "0");
  EXPECT_EQ(felt252::from_u64(255).to_hex(), "0xff");
  EXPECT_EQ(felt252::from_u64(10'000'000'000'000'000'000ULL).to_dec(), "10000000000000000000");
  // p - 1 (Python: 2**251 + 17 * 2**192).
  EXPECT_EQ((-felt252::one()).to_dec(), "3618502788666131213697322783095070105623107215331596699973092056135872020480");
  EXPECT_EQ((-felt252::one()).to_hex(), "0x800000000000011000000000000000000000000000000000000000000000000");
}

TEST(Felt252, ParsingAcceptsPrefixesCaseAndLeadingZeros) {
  EXPECT_EQ(felt252::from_hex("0x0"), felt252::zero());
  EXPECT_EQ(felt252::from_hex("0"), felt252::zero());
  EXPECT_EQ(felt252::from_hex("0X1F"), felt252::from_u64(31));
  EXPECT_EQ(felt252::from_hex("1f"), felt252::from_u64(31));
  EXPECT_EQ(felt252::from_hex("0x" + std::string(63, '0') + "1"), felt252::one());
  EXPECT_EQ(felt252::from_dec("007"), felt252::from_u64(7));
  EXPECT_EQ(felt252::from_hex("0x800000000000011000000000000000000000000000000000000000000000000"), -felt252::one());
  EXPECT_EQ(felt252::from_dec("3618502788666131213697322783095070105623107215331596699973092056135872020480"),
            -felt252::one());
}

TEST(Felt252, ParsingRejectsGarbageOverlongAndOutOfRange) {
  for (const char* s : {"", "0x", "0X", "x1", "-1", "+1", " 1", "1 ", "0xg", "0x1_0", "0x0x1", "1.0"}) {
    EXPECT_FALSE(felt252::from_hex(s).has_value()) << '"' << s << '"';
  }
  for (const char* s : {"", "-1", "+1", " 1", "1 ", "0x1", "1e3", "12a"}) {
    EXPECT_FALSE(felt252::from_dec(s).has_value()) << '"' << s << '"';
  }
  EXPECT_FALSE(felt252::from_hex("0x" + std::string(64, '0') + "1").has_value());  // 65 digits
  EXPECT_FALSE(felt252::from_dec(std::string(78, '0') + "1").has_value());         // 79 digits
  // p, p + 1 and 2^256 - 1 are not canonical.
  EXPECT_FALSE(felt252::from_hex("0x800000000000011000000000000000000000000000000000000000000000001").has_value());
  EXPECT_FALSE(felt252::from_hex("0x800000000000011000000000000000000000000000000000000000000000002").has_value());
  EXPECT_FALSE(felt252::from_hex("0x" + std::string(64, 'f')).has_value());
  EXPECT_FALSE(
      felt252::from_dec("3618502788666131213697322783095070105623107215331596699973092056135872020481").has_value());
  EXPECT_FALSE(felt252::from_dec(std::string(78, '9')).has_value());
}

TEST(Felt252, CanonicalLimbsAndBytesRejectValuesAtOrAboveP) {
  EXPECT_TRUE(felt252::try_from_canonical({0, 0, 0, 0x0800000000000011ULL}).has_value());
  EXPECT_FALSE(felt252::try_from_canonical(p).has_value());
  EXPECT_FALSE(felt252::try_from_canonical({~0ULL, ~0ULL, ~0ULL, ~0ULL}).has_value());
  std::array<std::uint8_t, 32> bytes{};
  bytes[0] = 0x08;
  bytes[1] = 0x00;
  bytes[2] = 0x00;
  bytes[7] = 0x11;
  bytes[31] = 0x01;  // p, big-endian
  EXPECT_FALSE(felt252::try_from_bytes_be(bytes).has_value());
  bytes[31] = 0x00;  // p - 1
  EXPECT_EQ(felt252::try_from_bytes_be(bytes), -felt252::one());
  bytes.fill(0xff);
  EXPECT_FALSE(felt252::try_from_bytes_be(bytes).has_value());
}

TEST(Felt252, BytesRoundTripAndAreBigEndian) {
  ciro::test::seeded_rng rng;
  for (int i = 0; i < 500; ++i) {
    const felt252 a = felt252::from_canonical(draw(rng));
    ASSERT_EQ(felt252::try_from_bytes_be(a.to_bytes_be()), a);
  }
  const auto b = felt252::from_u64(0x0102).to_bytes_be();
  EXPECT_EQ(b[30], 0x01);
  EXPECT_EQ(b[31], 0x02);
  EXPECT_EQ(b[0], 0x00);
}

TEST(Felt252, FromLimbsModPReduces) {
  EXPECT_EQ(felt252::from_limbs_mod_p(p), felt252::zero());
  EXPECT_EQ(felt252::from_limbs_mod_p({~0ULL, ~0ULL, ~0ULL, ~0ULL}).to_limbs(),
            ref_mod({~0ULL, ~0ULL, ~0ULL, ~0ULL, 0, 0, 0, 0}));
}

}  // namespace
