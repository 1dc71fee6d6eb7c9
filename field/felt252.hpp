#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/hd.hpp"

#if defined(__x86_64__) && !defined(__CUDA_ARCH__)
#include <cpuid.h>
/// Defined where the x86-64 assembly paths (host code only) replace the portable arithmetic.
#define CIRO_FELT252_ASM 1
#endif

namespace ciro::field {

namespace felt252_detail {

__extension__ using u128 = unsigned __int128;
using limbs = std::array<std::uint64_t, 4>;

/// c in p = 1 + c * 2^192.
inline constexpr std::uint64_t modulus_top = 0x0800000000000011ULL;

/// s = a + b + carry; carry <- the carry out (0 or 1 when carry was 0 or 1).
CIRO_HD_INLINE constexpr std::uint64_t adc(std::uint64_t a, std::uint64_t b, std::uint64_t& carry) {
  const u128 s = static_cast<u128>(a) + b + carry;
  carry = static_cast<std::uint64_t>(s >> 64);
  return static_cast<std::uint64_t>(s);
}

/// d = a - b - borrow; borrow <- 1 when it wrapped. Precondition: borrow is 0 or 1.
CIRO_HD_INLINE constexpr std::uint64_t sbb(std::uint64_t a, std::uint64_t b, std::uint64_t& borrow) {
  const u128 d = static_cast<u128>(a) - b - borrow;
  borrow = static_cast<std::uint64_t>(d >> 64) & 1;
  return static_cast<std::uint64_t>(d);
}

/// lo = a * b + c + carry; carry <- the high word ((2^64-1)^2 + 2 (2^64-1) < 2^128: no overflow).
CIRO_HD_INLINE constexpr std::uint64_t mac(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t& carry) {
  const u128 s = static_cast<u128>(a) * b + c + carry;
  carry = static_cast<std::uint64_t>(s >> 64);
  return static_cast<std::uint64_t>(s);
}

#ifdef CIRO_FELT252_ASM
/// cond_sub_p in x86-64 assembly: one sub/sbb chain and four cmov (g++ turns the portable
/// version into about 40 dependent instructions).
inline __attribute__((always_inline)) void cond_sub_p_x86(const std::uint64_t* x, std::uint64_t* r) {
  std::uint64_t d0 = x[0], d1 = x[1], d2 = x[2], d3 = x[3];
  const std::uint64_t x0 = d0, x1 = d1, x2 = d2, x3 = d3;
  __asm__(
      "subq $1, %[d0]\n\t"
      "sbbq $0, %[d1]\n\t"
      "sbbq $0, %[d2]\n\t"
      "sbbq %[c], %[d3]\n\t"
      "cmovcq %[x0], %[d0]\n\t"
      "cmovcq %[x1], %[d1]\n\t"
      "cmovcq %[x2], %[d2]\n\t"
      "cmovcq %[x3], %[d3]\n\t"
      : [d0] "+&r"(d0), [d1] "+&r"(d1), [d2] "+&r"(d2), [d3] "+&r"(d3)
      : [x0] "r"(x0), [x1] "r"(x1), [x2] "r"(x2), [x3] "r"(x3), [c] "r"(modulus_top)
      : "cc");
  r[0] = d0;
  r[1] = d1;
  r[2] = d2;
  r[3] = d3;
}
#endif

/// r = x mod p for x < 2p, branch-free: compute x - p and keep x when that borrowed.
CIRO_HD_INLINE constexpr void cond_sub_p(const std::uint64_t* x, std::uint64_t* r) {
#ifdef CIRO_FELT252_ASM
  if (!std::is_constant_evaluated()) {
    cond_sub_p_x86(x, r);
    return;
  }
#endif
  std::uint64_t borrow = 0;
  const std::uint64_t d0 = sbb(x[0], 1, borrow);
  const std::uint64_t d1 = sbb(x[1], 0, borrow);
  const std::uint64_t d2 = sbb(x[2], 0, borrow);
  const std::uint64_t d3 = sbb(x[3], modulus_top, borrow);
  const std::uint64_t keep = 0 - borrow;  // all ones when x < p
  r[0] = (x[0] & keep) | (d0 & ~keep);
  r[1] = (x[1] & keep) | (d1 & ~keep);
  r[2] = (x[2] & keep) | (d2 & ~keep);
  r[3] = (x[3] & keep) | (d3 & ~keep);
}

/// Lazy Montgomery multiplication, the portable definition: r = (a*b + M*p) / 2^256 with the
/// unique M in [0, 2^256) that makes the division exact, so r = a * b * 2^-256 (mod p). For
/// a, b < 4p the result is < 2p: a*b < 16 p^2 and 16 p < 2^256, so r < p + M p / 2^256 < 2p.
/// r may alias a or b.
///
/// The 512-bit product t = a*b is reduced limb by limb: with m = -t_i mod 2^64, adding
/// m * p * 2^(64 i) clears limb i (p = 1 mod 2^64, so -p^-1 = -1 mod 2^64); since
/// m * p = m + m*c*2^192, a step is one 64x64 product plus carries (t_i + m is 2^64 exactly
/// unless t_i = 0). The steps together add M * p with M = sum m_i 2^(64 i) < 2^256.
CIRO_HD_INLINE constexpr void mont_mul_lazy_portable(const std::uint64_t* a, const std::uint64_t* b, std::uint64_t* r) {
  std::uint64_t t0, t1, t2, t3, t4, t5, t6, t7, c;
  // Schoolbook product, row by row.
  c = 0;
  t0 = mac(a[0], b[0], 0, c);
  t1 = mac(a[0], b[1], 0, c);
  t2 = mac(a[0], b[2], 0, c);
  t3 = mac(a[0], b[3], 0, c);
  t4 = c;
  c = 0;
  t1 = mac(a[1], b[0], t1, c);
  t2 = mac(a[1], b[1], t2, c);
  t3 = mac(a[1], b[2], t3, c);
  t4 = mac(a[1], b[3], t4, c);
  t5 = c;
  c = 0;
  t2 = mac(a[2], b[0], t2, c);
  t3 = mac(a[2], b[1], t3, c);
  t4 = mac(a[2], b[2], t4, c);
  t5 = mac(a[2], b[3], t5, c);
  t6 = c;
  c = 0;
  t3 = mac(a[3], b[0], t3, c);
  t4 = mac(a[3], b[1], t4, c);
  t5 = mac(a[3], b[2], t5, c);
  t6 = mac(a[3], b[3], t6, c);
  t7 = c;
  // Reduction. `top` holds the carry out of limb i + 4, added at step i + 1 (never past t7,
  // since t + M p < 16 p^2 + 2^256 p < 2^512).
  std::uint64_t top = 0;
  auto step = [&c, &top](std::uint64_t ti, std::uint64_t& t1_, std::uint64_t& t2_, std::uint64_t& t3_,
                         std::uint64_t& t4_) {
    c = ti != 0;
    t1_ = adc(t1_, 0, c);
    t2_ = adc(t2_, 0, c);
    t3_ = mac(0 - ti, modulus_top, t3_, c);  // c <- high word of m*c + t3 + carry, < 2^60 + 2
    t4_ = adc(t4_, c, top);
  };
  step(t0, t1, t2, t3, t4);
  step(t1, t2, t3, t4, t5);
  step(t2, t3, t4, t5, t6);
  step(t3, t4, t5, t6, t7);
  r[0] = t4;
  r[1] = t5;
  r[2] = t6;
  r[3] = t7;
}

/// Montgomery multiplication r = a * b * 2^-256 mod p, canonical, for a, b < p (portable): the
/// lazy product (< 2p) and one conditional subtraction. r may alias a or b.
CIRO_HD_INLINE constexpr void mont_mul_portable(const std::uint64_t* a, const std::uint64_t* b, std::uint64_t* r) {
  std::uint64_t hi[4];
  mont_mul_lazy_portable(a, b, hi);
  cond_sub_p(hi, r);
}

#ifdef CIRO_FELT252_ASM
/// mont_mul_lazy_portable in x86-64 assembly (baseline mul/adc, no BMI2/ADX, so it runs on every
/// x86-64): g++ keeps unsigned __int128 carry chains in memory, which costs about 2x.
inline __attribute__((always_inline)) void mont_mul_lazy_mulq(const std::uint64_t* a, const std::uint64_t* b,
                                                              std::uint64_t* r) {
  std::uint64_t t0, t1, t2, t3, t4, t5, t6, t7, k, rax, rdx;
  const std::uint64_t* ap = a;
  const std::uint64_t* bp = b;
  // Rows 1-3: t[i..i+4] += a_i * b, with k carrying the high word along the row.
#define CIRO_FELT252_ROW(I, TI, T1, T2, T3, T4) \
  "movq " #I                                    \
  "*8(%[a]), %%rax\n\t"                         \
  "mulq 0(%[b])\n\t"                            \
  "addq %%rax, %[" #TI                          \
  "]\n\t"                                       \
  "adcq $0, %%rdx\n\t"                          \
  "movq %%rdx, %[k]\n\t"                        \
  "movq " #I                                    \
  "*8(%[a]), %%rax\n\t"                         \
  "mulq 8(%[b])\n\t"                            \
  "addq %[k], %%rax\n\t"                        \
  "adcq $0, %%rdx\n\t"                          \
  "addq %%rax, %[" #T1                          \
  "]\n\t"                                       \
  "adcq $0, %%rdx\n\t"                          \
  "movq %%rdx, %[k]\n\t"                        \
  "movq " #I                                    \
  "*8(%[a]), %%rax\n\t"                         \
  "mulq 16(%[b])\n\t"                           \
  "addq %[k], %%rax\n\t"                        \
  "adcq $0, %%rdx\n\t"                          \
  "addq %%rax, %[" #T2                          \
  "]\n\t"                                       \
  "adcq $0, %%rdx\n\t"                          \
  "movq %%rdx, %[k]\n\t"                        \
  "movq " #I                                    \
  "*8(%[a]), %%rax\n\t"                         \
  "mulq 24(%[b])\n\t"                           \
  "addq %[k], %%rax\n\t"                        \
  "adcq $0, %%rdx\n\t"                          \
  "addq %%rax, %[" #T3                          \
  "]\n\t"                                       \
  "adcq $0, %%rdx\n\t"                          \
  "movq %%rdx, %[" #T4 "]\n\t"
  // Reduction step: m = -t_i, t += m * p * 2^(64 i) = m * 2^(64 i) + m*c * 2^(64 (i+3)).
  // neg t_i sets CF = (t_i != 0), the carry of t_i + m; the carry then ripples to t7.
#define CIRO_FELT252_REDUCE(TI, T1, T2, T3, T4) \
  "movq %[" #TI                                 \
  "], %%rax\n\t"                                \
  "negq %%rax\n\t"                              \
  "mulq %[b]\n\t"                               \
  "negq %[" #TI                                 \
  "]\n\t"                                       \
  "adcq $0, %[" #T1                             \
  "]\n\t"                                       \
  "adcq $0, %[" #T2                             \
  "]\n\t"                                       \
  "adcq %%rax, %[" #T3                          \
  "]\n\t"                                       \
  "adcq %%rdx, %[" #T4 "]\n\t"
  __asm__(
      // Row 0: t[0..4] = a_0 * b.
      "movq 0(%[a]), %%rax\n\t"
      "mulq 0(%[b])\n\t"
      "movq %%rax, %[t0]\n\t"
      "movq %%rdx, %[t1]\n\t"
      "movq 0(%[a]), %%rax\n\t"
      "mulq 8(%[b])\n\t"
      "addq %%rax, %[t1]\n\t"
      "adcq $0, %%rdx\n\t"
      "movq %%rdx, %[t2]\n\t"
      "movq 0(%[a]), %%rax\n\t"
      "mulq 16(%[b])\n\t"
      "addq %%rax, %[t2]\n\t"
      "adcq $0, %%rdx\n\t"
      "movq %%rdx, %[t3]\n\t"
      "movq 0(%[a]), %%rax\n\t"
      "mulq 24(%[b])\n\t"
      "addq %%rax, %[t3]\n\t"
      "adcq $0, %%rdx\n\t"
      "movq %%rdx, %[t4]\n\t"
      CIRO_FELT252_ROW(1, t1, t2, t3, t4, t5)
      CIRO_FELT252_ROW(2, t2, t3, t4, t5, t6)
      CIRO_FELT252_ROW(3, t3, t4, t5, t6, t7)
      // b is no longer needed: it holds c for the reduction's multiplications.
      "movabsq $0x0800000000000011, %[b]\n\t"
      CIRO_FELT252_REDUCE(t0, t1, t2, t3, t4)
      "adcq $0, %[t5]\n\t"
      "adcq $0, %[t6]\n\t"
      "adcq $0, %[t7]\n\t"
      CIRO_FELT252_REDUCE(t1, t2, t3, t4, t5)
      "adcq $0, %[t6]\n\t"
      "adcq $0, %[t7]\n\t"
      CIRO_FELT252_REDUCE(t2, t3, t4, t5, t6)
      "adcq $0, %[t7]\n\t"
      CIRO_FELT252_REDUCE(t3, t4, t5, t6, t7)
      : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5),
        [t6] "=&r"(t6), [t7] "=&r"(t7), [k] "=&r"(k), "=&a"(rax), "=&d"(rdx), [a] "+r"(ap), [b] "+r"(bp)
      // The limbs read through a and b, declared so that no "memory" clobber is needed.
      : "m"(*reinterpret_cast<const std::uint64_t(*)[4]>(a)), "m"(*reinterpret_cast<const std::uint64_t(*)[4]>(b))
      : "cc");
#undef CIRO_FELT252_ROW
#undef CIRO_FELT252_REDUCE
  (void)t0, (void)t1, (void)t2, (void)t3, (void)k, (void)rax, (void)rdx;
  r[0] = t4;
  r[1] = t5;
  r[2] = t6;
  r[3] = t7;
}

/// The Montgomery reduction of the 512-bit t0..t7 (rdx and the flags are clobbered), shared by
/// the BMI2/ADX product and square, in one block instead of four dependent limb steps.
///
/// With Y = (t mod 2^256) + L * 2^192 mod 2^256 and L = (c * (-t0)) mod 2^64, the multiplier
/// M = -Y mod 2^256 satisfies t + M p = 0 mod 2^256 (p = 1 + c 2^192: the low 256 bits of M p
/// are M + L 2^192, since c M = c (-t0) mod 2^64). It is the same M as the limb-by-limb steps
/// (both are the unique one in [0, 2^256)), so the results are bit-identical. Then
///     (t + M p) / 2^256 = t_hi + floor(c M / 2^64) + e + [Y != 0],
/// e being the carry out of t3 + L: the low half t_lo + L 2^192 + M is (e + [Y != 0]) 2^256.
/// c M costs four mulx (the first also yields L); M is -Y as ~Y + 1, whose last carry is
/// [Y == 0]. e and [Y != 0] are added to hi(c M_0) < 2^60, which cannot overflow.
#define CIRO_FELT252_REDC_ADX                       \
  "movabsq $0x0800000000000011, %%rdx\n\t"          \
  "negq %[t0]\n\t"                /* M0 = -t0 */    \
  "mulxq %[t0], %[lo], %[hi]\n\t" /* L, hi(c M0) */ \
  "addq %[lo], %[t3]\n\t"         /* Y3, CF = e */  \
  "adcq $0, %[hi]\n\t"                              \
  "cmpq $1, %[t0]\n\t" /* CF = [t0 == 0] */         \
  "notq %[t1]\n\t"                                  \
  "adcq $0, %[t1]\n\t" /* M1 */                     \
  "notq %[t2]\n\t"                                  \
  "adcq $0, %[t2]\n\t" /* M2 */                     \
  "notq %[t3]\n\t"                                  \
  "adcq $0, %[t3]\n\t" /* M3, CF = [Y==0] */        \
  "cmc\n\t"                                         \
  "adcq $0, %[hi]\n\t"                              \
  "xorl %k[z], %k[z]\n\t" /* z = 0, CF = OF = 0 */  \
  "adcxq %[hi], %[t4]\n\t"                          \
  "mulxq %[t1], %[lo], %[hi]\n\t"                   \
  "adoxq %[lo], %[t4]\n\t"                          \
  "adcxq %[hi], %[t5]\n\t"                          \
  "mulxq %[t2], %[lo], %[hi]\n\t"                   \
  "adoxq %[lo], %[t5]\n\t"                          \
  "adcxq %[hi], %[t6]\n\t"                          \
  "mulxq %[t3], %[lo], %[hi]\n\t"                   \
  "adoxq %[lo], %[t6]\n\t"                          \
  "adcxq %[hi], %[t7]\n\t"                          \
  "adoxq %[z], %[t7]\n\t"

/// mont_mul_lazy_portable with BMI2/ADX (mulx, and adcx/adox for two independent carry chains):
/// the product row by row, then CIRO_FELT252_REDC_ADX. Precondition: the CPU has BMI2 and ADX.
inline __attribute__((always_inline)) void mont_mul_lazy_adx(const std::uint64_t* a, const std::uint64_t* b,
                                                             std::uint64_t* r) {
  std::uint64_t t0, t1, t2, t3, t4, t5, t6, t7, lo, hi, z, rdx;
  using arr = const std::uint64_t(*)[4];
  // Row i >= 1: t[i..i+4] += a_i * b; low words on the OF chain, high words on the CF chain.
#define CIRO_FELT252_ROW_ADX(I, T0, T1, T2, T3, T4) \
  "movq 8*" #I                                      \
  "(%[ap]), %%rdx\n\t"                              \
  "xorl %k[z], %k[z]\n\t"                           \
  "mulxq 0(%[bp]), %[lo], %[hi]\n\t"                \
  "adoxq %[lo], %[" #T0                             \
  "]\n\t"                                           \
  "adcxq %[hi], %[" #T1                             \
  "]\n\t"                                           \
  "mulxq 8(%[bp]), %[lo], %[hi]\n\t"                \
  "adoxq %[lo], %[" #T1                             \
  "]\n\t"                                           \
  "adcxq %[hi], %[" #T2                             \
  "]\n\t"                                           \
  "mulxq 16(%[bp]), %[lo], %[hi]\n\t"               \
  "adoxq %[lo], %[" #T2                             \
  "]\n\t"                                           \
  "adcxq %[hi], %[" #T3                             \
  "]\n\t"                                           \
  "mulxq 24(%[bp]), %[lo], %[" #T4                  \
  "]\n\t"                                           \
  "adoxq %[lo], %[" #T3                             \
  "]\n\t"                                           \
  "adcxq %[z], %[" #T4                              \
  "]\n\t"                                           \
  "adoxq %[z], %[" #T4 "]\n\t"
  __asm__(
      // Row 0: t[0..4] = a_0 * b.
      "movq 0(%[ap]), %%rdx\n\t"
      "mulxq 0(%[bp]), %[t0], %[t1]\n\t"
      "mulxq 8(%[bp]), %[lo], %[t2]\n\t"
      "addq %[lo], %[t1]\n\t"
      "mulxq 16(%[bp]), %[lo], %[t3]\n\t"
      "adcq %[lo], %[t2]\n\t"
      "mulxq 24(%[bp]), %[lo], %[t4]\n\t"
      "adcq %[lo], %[t3]\n\t"
      "adcq $0, %[t4]\n\t" CIRO_FELT252_ROW_ADX(1, t1, t2, t3, t4, t5) CIRO_FELT252_ROW_ADX(2, t2, t3, t4, t5, t6)
          CIRO_FELT252_ROW_ADX(3, t3, t4, t5, t6, t7) CIRO_FELT252_REDC_ADX
      : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5), [t6] "=&r"(t6),
        [t7] "=&r"(t7), [lo] "=&r"(lo), [hi] "=&r"(hi), [z] "=&r"(z), "=&d"(rdx)
      : [ap] "r"(a), [bp] "r"(b), "m"(*reinterpret_cast<arr>(a)), "m"(*reinterpret_cast<arr>(b))
      : "cc");
#undef CIRO_FELT252_ROW_ADX
  (void)t0, (void)t1, (void)t2, (void)t3, (void)lo, (void)hi, (void)z, (void)rdx;
  r[0] = t4;
  r[1] = t5;
  r[2] = t6;
  r[3] = t7;
}

/// mont_mul_lazy_portable(a, a) with BMI2/ADX and a dedicated squaring: the six cross products
/// a_i a_j (i < j), doubled, plus the four squares a_i^2 (10 mulx instead of 16), then
/// CIRO_FELT252_REDC_ADX. Precondition: the CPU has BMI2 and ADX.
inline __attribute__((always_inline)) void mont_sqr_lazy_adx(const std::uint64_t* a, std::uint64_t* r) {
  std::uint64_t t0, t1, t2, t3, t4, t5, t6, t7, lo, hi, z, rdx;
  using arr = const std::uint64_t(*)[4];
  __asm__(
      // Cross products into t1..t6: a0 (a1, a2, a3), then a1 (a2, a3), then a2 a3.
      "movq 0(%[ap]), %%rdx\n\t"
      "mulxq 8(%[ap]), %[t1], %[t2]\n\t"
      "mulxq 16(%[ap]), %[lo], %[t3]\n\t"
      "addq %[lo], %[t2]\n\t"
      "mulxq 24(%[ap]), %[lo], %[t4]\n\t"
      "adcq %[lo], %[t3]\n\t"
      "adcq $0, %[t4]\n\t"
      "movq 8(%[ap]), %%rdx\n\t"
      "xorl %k[z], %k[z]\n\t"
      "mulxq 16(%[ap]), %[lo], %[hi]\n\t"
      "adoxq %[lo], %[t3]\n\t"
      "adcxq %[hi], %[t4]\n\t"
      "mulxq 24(%[ap]), %[lo], %[t5]\n\t"
      "adoxq %[lo], %[t4]\n\t"
      "adcxq %[z], %[t5]\n\t"
      "adoxq %[z], %[t5]\n\t"
      "movq 16(%[ap]), %%rdx\n\t"
      "mulxq 24(%[ap]), %[lo], %[t6]\n\t"
      "addq %[lo], %[t5]\n\t"
      "adcq $0, %[t6]\n\t"
      // t = 2 t + sum a_i^2 2^(128 i): doubling on the CF chain, squares on the OF chain.
      "xorl %k[z], %k[z]\n\t"
      "movq 0(%[ap]), %%rdx\n\t"
      "mulxq %%rdx, %[t0], %[hi]\n\t"
      "adcxq %[t1], %[t1]\n\t"
      "adoxq %[hi], %[t1]\n\t"
      "movq 8(%[ap]), %%rdx\n\t"
      "mulxq %%rdx, %[lo], %[hi]\n\t"
      "adcxq %[t2], %[t2]\n\t"
      "adoxq %[lo], %[t2]\n\t"
      "adcxq %[t3], %[t3]\n\t"
      "adoxq %[hi], %[t3]\n\t"
      "movq 16(%[ap]), %%rdx\n\t"
      "mulxq %%rdx, %[lo], %[hi]\n\t"
      "adcxq %[t4], %[t4]\n\t"
      "adoxq %[lo], %[t4]\n\t"
      "adcxq %[t5], %[t5]\n\t"
      "adoxq %[hi], %[t5]\n\t"
      "movq 24(%[ap]), %%rdx\n\t"
      "mulxq %%rdx, %[lo], %[t7]\n\t"
      "adcxq %[t6], %[t6]\n\t"
      "adoxq %[lo], %[t6]\n\t"
      "adcxq %[z], %[t7]\n\t"
      "adoxq %[z], %[t7]\n\t" CIRO_FELT252_REDC_ADX
      : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5), [t6] "=&r"(t6),
        [t7] "=&r"(t7), [lo] "=&r"(lo), [hi] "=&r"(hi), [z] "=&r"(z), "=&d"(rdx)
      : [ap] "r"(a), "m"(*reinterpret_cast<arr>(a))
      : "cc");
  (void)t0, (void)t1, (void)t2, (void)t3, (void)lo, (void)hi, (void)z, (void)rdx;
  r[0] = t4;
  r[1] = t5;
  r[2] = t6;
  r[3] = t7;
}
#undef CIRO_FELT252_REDC_ADX

/// Whether this CPU has BMI2 and ADX (CPUID leaf 7: EBX bits 8 and 19), read once at start-up.
/// Before its initialiser has run (another static initialiser) it reads false, which only
/// selects the baseline path.
inline bool detect_bmi2_adx() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return false;
  return ((ebx >> 8) & 1) != 0 && ((ebx >> 19) & 1) != 0;
}
inline const bool has_bmi2_adx = detect_bmi2_adx();
#endif

/// Lazy Montgomery product r = a * b * 2^-256 (mod p), r < 2p, for a, b < 4p (r may alias a or
/// b): BMI2/ADX or baseline assembly on x86-64 hosts, mont_mul_lazy_portable elsewhere and at
/// compile time; all three give identical limbs.
CIRO_HD_INLINE constexpr void mont_mul_lazy(const std::uint64_t* a, const std::uint64_t* b, std::uint64_t* r) {
#ifdef CIRO_FELT252_ASM
  if (!std::is_constant_evaluated()) {
    if (has_bmi2_adx) {
      mont_mul_lazy_adx(a, b, r);
    } else {
      mont_mul_lazy_mulq(a, b, r);
    }
    return;
  }
#endif
  mont_mul_lazy_portable(a, b, r);
}

/// Lazy Montgomery square r = a^2 * 2^-256 (mod p), r < 2p, for a < 4p (r may alias a); equal to
/// mont_mul_lazy(a, a, r).
CIRO_HD_INLINE constexpr void mont_sqr_lazy(const std::uint64_t* a, std::uint64_t* r) {
#ifdef CIRO_FELT252_ASM
  if (!std::is_constant_evaluated() && has_bmi2_adx) {
    mont_sqr_lazy_adx(a, r);
    return;
  }
#endif
  mont_mul_lazy(a, a, r);
}

/// Montgomery multiplication r = a * b * 2^-256 mod p, canonical, for a, b < p (r may alias a
/// or b): mont_mul_lazy and one conditional subtraction.
CIRO_HD_INLINE constexpr void mont_mul(const std::uint64_t* a, const std::uint64_t* b, std::uint64_t* r) {
  std::uint64_t hi[4];
  mont_mul_lazy(a, b, hi);
  cond_sub_p(hi, r);
}

/// Montgomery square r = a^2 * 2^-256 mod p, canonical, for a < p (r may alias a).
CIRO_HD_INLINE constexpr void mont_sqr(const std::uint64_t* a, std::uint64_t* r) {
  std::uint64_t hi[4];
  mont_sqr_lazy(a, hi);
  cond_sub_p(hi, r);
}

/// x < p for a 256-bit x.
CIRO_HD constexpr bool less_than_p(const limbs& x) {
  if (x[3] != modulus_top) return x[3] < modulus_top;
  if ((x[2] | x[1]) != 0) return false;
  return x[0] < 1;
}

/// x -= p, for x >= p.
CIRO_HD constexpr void sub_p(limbs& x) {
  // p = 1 + c*2^192: subtract 1 from the low 192 bits, c (and the borrow) from limb 3.
  const std::uint64_t b0 = x[0] == 0;
  x[0] -= 1;
  const std::uint64_t b1 = x[1] < b0;
  x[1] -= b0;
  const std::uint64_t b2 = x[2] < b1;
  x[2] -= b1;
  x[3] -= modulus_top + b2;
}

/// 2^(256 k) mod p as canonical limbs, by 256 k doublings of 1.
constexpr limbs pow2_256_mod_p(int k) {
  limbs x{1, 0, 0, 0};
  for (int n = 0; n < 256 * k; ++n) {
    u128 s = 0;
    for (int i = 0; i < 4; ++i) {
      s = (static_cast<u128>(x[i]) << 1) + (s >> 64);
      x[i] = static_cast<std::uint64_t>(s);
    }
    if (!less_than_p(x)) sub_p(x);  // 2x < 2p < 2^256
  }
  return x;
}

/// R = 2^256 mod p and R^2 mod p (canonical).
inline constexpr limbs r_mod_p = pow2_256_mod_p(1);
inline constexpr limbs r2_mod_p = pow2_256_mod_p(2);

}  // namespace felt252_detail

/// The Stark field F_p, p = 2^251 + 17 * 2^192 + 1 (the field of Cairo and Starknet's felt252).
///
/// An element is held in Montgomery form x * R mod p with R = 2^256, as four little-endian
/// 64-bit limbs, always fully reduced to [0, p). Multiplication is a 4x4-limb schoolbook product
/// followed by a Montgomery reduction (REDC) specialised to the shape of p: p = 1 + c * 2^192
/// with c = 2^59 + 17, so -p^-1 mod 2^64 = -1 and each reduction step costs one 64x64 product.
/// On x86-64 hosts the product runs in assembly (mulx/adcx/adox with a one-block reduction when
/// the CPU has BMI2 and ADX, chosen at start-up; baseline mul/adc otherwise), bit-identical to
/// the portable definition, and squaring has its own 10-multiplication routine.
///
/// Everything is constexpr (the arithmetic uses unsigned __int128, which g++ and nvcc evaluate
/// at compile time) and callable from host and device code; the type is trivially copyable,
/// 32 bytes, with no padding.
class felt252 {
  using u128 = felt252_detail::u128;

 public:
  /// A 256-bit unsigned integer as four 64-bit limbs, least significant first.
  using limbs = std::array<std::uint64_t, 4>;

  /// p = 2^251 + 17 * 2^192 + 1 as limbs.
  static constexpr limbs modulus = {1, 0, 0, 0x0800000000000011ULL};
  /// c in p = 1 + c * 2^192.
  static constexpr std::uint64_t modulus_top = 0x0800000000000011ULL;
  /// The canonical encoding size in bytes.
  static constexpr std::uint32_t byte_size = 32;
  /// p - 1 = 2^192 * (2^59 + 17), so the two-adic subgroups have orders up to 2^192.
  static constexpr unsigned two_adicity = 192;
  /// The most hex digits from_hex accepts (after an optional 0x prefix).
  static constexpr std::size_t max_hex_digits = 64;
  /// The most decimal digits from_dec accepts (2^256 has 78 decimal digits).
  static constexpr std::size_t max_dec_digits = 78;

  constexpr felt252() = default;

  CIRO_HD static constexpr felt252 zero() { return felt252(); }
  CIRO_HD static constexpr felt252 one() { return from_monty(r_mod_p); }
  CIRO_HD static constexpr felt252 two() { return one() + one(); }
  /// 3 generates the multiplicative group F_p^* (checked against the factorisation
  /// p - 1 = 2^192 * 5 * 7 * 98714381 * 166848103).
  CIRO_HD static constexpr felt252 generator() { return from_u64(3); }

  /// A generator of the subgroup of order 2^bits: generator^((p-1)/2^192) squared (192 - bits)
  /// times. Precondition: bits <= 192.
  CIRO_HD static constexpr felt252 two_adic_generator(unsigned bits) {
    felt252 g = generator().pow(modulus_top);  // (p - 1) / 2^192 = c
    for (unsigned i = bits; i < two_adicity; ++i) g = g.square();
    return g;
  }

  /// The element x (any 64-bit x is < p).
  CIRO_HD static constexpr felt252 from_u64(std::uint64_t x) { return from_canonical(limbs{x, 0, 0, 0}); }

  /// The element with canonical value x. Precondition: x < p (use try_from_canonical to check).
  CIRO_HD static constexpr felt252 from_canonical(const limbs& x) {
    felt252 r;
    mont_mul(x.data(), r2_mod_p.data(), r.v_);  // x * R^2 / R = x * R
    return r;
  }

  /// The element with canonical value x, or nothing when x >= p (a non-canonical value).
  static constexpr std::optional<felt252> try_from_canonical(const limbs& x) {
    if (!less_than_p(x)) return std::nullopt;
    return from_canonical(x);
  }

  /// x mod p for any 256-bit x (at most 31 subtractions of p, since 2^256 / p < 32).
  CIRO_HD static constexpr felt252 from_limbs_mod_p(limbs x) {
    while (!less_than_p(x)) sub_p(x);
    return from_canonical(x);
  }

  /// The element whose Montgomery representation is m = x * 2^256 mod p. Precondition: m < p.
  CIRO_HD static constexpr felt252 from_monty(const limbs& m) {
    felt252 r;
    for (int i = 0; i < 4; ++i) r.v_[i] = m[i];
    return r;
  }

  /// The canonical value in [0, p), as limbs.
  CIRO_HD constexpr limbs to_limbs() const {
    limbs out{};
    const std::uint64_t one_limbs[4] = {1, 0, 0, 0};
    std::uint64_t r[4];
    mont_mul(v_, one_limbs, r);  // x * R * 1 / R = x
    for (int i = 0; i < 4; ++i) out[i] = r[i];
    return out;
  }
  /// The Montgomery representation x * 2^256 mod p, as limbs.
  CIRO_HD constexpr limbs monty() const { return {v_[0], v_[1], v_[2], v_[3]}; }

  CIRO_HD constexpr bool is_zero() const { return (v_[0] | v_[1] | v_[2] | v_[3]) == 0; }
  CIRO_HD friend constexpr bool operator==(const felt252& a, const felt252& b) {
    return a.v_[0] == b.v_[0] && a.v_[1] == b.v_[1] && a.v_[2] == b.v_[2] && a.v_[3] == b.v_[3];
  }

  /// a + b: a 256-bit add (no overflow, since a + b < 2p < 2^253), then one conditional
  /// subtraction of p.
  CIRO_HD_INLINE friend constexpr felt252 operator+(const felt252& a, const felt252& b) {
    using felt252_detail::adc;
    std::uint64_t c = 0;
    const std::uint64_t s[4] = {adc(a.v_[0], b.v_[0], c), adc(a.v_[1], b.v_[1], c), adc(a.v_[2], b.v_[2], c),
                                adc(a.v_[3], b.v_[3], c)};
    felt252 r;
    felt252_detail::cond_sub_p(s, r.v_);
    return r;
  }
  /// a - b: a 256-bit subtract, adding p back when it borrowed (branch-free).
  CIRO_HD_INLINE friend constexpr felt252 operator-(const felt252& a, const felt252& b) {
    using felt252_detail::adc;
    using felt252_detail::sbb;
    std::uint64_t borrow = 0;
    const std::uint64_t d0 = sbb(a.v_[0], b.v_[0], borrow);
    const std::uint64_t d1 = sbb(a.v_[1], b.v_[1], borrow);
    const std::uint64_t d2 = sbb(a.v_[2], b.v_[2], borrow);
    const std::uint64_t d3 = sbb(a.v_[3], b.v_[3], borrow);
    // On a borrow d = a - b + 2^256; adding p wraps back to a - b + p in [0, p).
    const std::uint64_t mask = 0 - borrow;
    std::uint64_t c = 0;
    felt252 r;
    r.v_[0] = adc(d0, mask & 1, c);
    r.v_[1] = adc(d1, 0, c);
    r.v_[2] = adc(d2, 0, c);
    r.v_[3] = adc(d3, mask & modulus_top, c);
    return r;
  }
  CIRO_HD friend constexpr felt252 operator-(const felt252& a) { return zero() - a; }
  /// a * b by Montgomery multiplication: (aR)(bR)/R = abR.
  CIRO_HD_INLINE friend constexpr felt252 operator*(const felt252& a, const felt252& b) {
    felt252 r;
    mont_mul(a.v_, b.v_, r.v_);
    return r;
  }
  CIRO_HD_INLINE constexpr felt252& operator+=(const felt252& b) { return *this = *this + b; }
  CIRO_HD_INLINE constexpr felt252& operator-=(const felt252& b) { return *this = *this - b; }
  CIRO_HD_INLINE constexpr felt252& operator*=(const felt252& b) { return *this = *this * b; }

  /// this^2, by the dedicated Montgomery squaring (equal to *this * *this).
  CIRO_HD_INLINE constexpr felt252 square() const {
    felt252 r;
    felt252_detail::mont_sqr(v_, r.v_);
    return r;
  }
  CIRO_HD constexpr felt252 double_() const { return *this + *this; }

  /// this^e by left-to-right square-and-multiply over the 64-bit exponent e.
  CIRO_HD constexpr felt252 pow(std::uint64_t e) const { return pow(limbs{e, 0, 0, 0}); }

  /// this^e for a 256-bit exponent e, by left-to-right square-and-multiply (<= 256 squarings).
  CIRO_HD constexpr felt252 pow(const limbs& e) const {
    felt252 acc = one();
    for (int i = 255; i >= 0; --i) {
      acc = acc.square();
      if ((e[i / 64] >> (i % 64)) & 1) acc *= *this;
    }
    return acc;
  }

  /// this^-1 = this^(p-2) (Fermat; p - 2 = (c - 1) * 2^192 + 2^192 - 1). Precondition: this != 0; the inverse of 0 is
  /// returned as 0.
  CIRO_HD constexpr felt252 inverse() const {
    return pow(limbs{0xffffffffffffffffULL, 0xffffffffffffffffULL, 0xffffffffffffffffULL, modulus_top - 1});
  }

  /// The canonical value as 32 bytes, most significant first (Starknet's felt encoding).
  constexpr std::array<std::uint8_t, 32> to_bytes_be() const {
    const limbs x = to_limbs();
    std::array<std::uint8_t, 32> out{};
    for (int i = 0; i < 32; ++i) out[31 - i] = static_cast<std::uint8_t>(x[i / 8] >> (8 * (i % 8)));
    return out;
  }
  /// The element encoded by 32 big-endian bytes, or nothing when the value is >= p (every
  /// element has exactly one accepted encoding).
  static constexpr std::optional<felt252> try_from_bytes_be(std::span<const std::uint8_t, 32> bytes) {
    limbs x{};
    for (int i = 0; i < 32; ++i) x[i / 8] |= static_cast<std::uint64_t>(bytes[31 - i]) << (8 * (i % 8));
    return try_from_canonical(x);
  }

  /// Parses a hexadecimal value: an optional "0x"/"0X" prefix, then 1 to 64 hex digits (either
  /// case, leading zeros allowed within the 64). Returns nothing for an empty string, any other
  /// character (signs, spaces, underscores), more than 64 digits, or a value >= p.
  static constexpr std::optional<felt252> from_hex(std::string_view s) {
    if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
    if (s.empty() || s.size() > max_hex_digits) return std::nullopt;
    limbs x{};
    for (const char ch : s) {
      int d;
      if (ch >= '0' && ch <= '9') {
        d = ch - '0';
      } else if (ch >= 'a' && ch <= 'f') {
        d = ch - 'a' + 10;
      } else if (ch >= 'A' && ch <= 'F') {
        d = ch - 'A' + 10;
      } else {
        return std::nullopt;
      }
      mul_add_small(x, 16, static_cast<std::uint64_t>(d));  // x < p, so 16x + 15 < 2^256
      if (!less_than_p(x)) return std::nullopt;
    }
    return from_canonical(x);
  }

  /// Parses a decimal value: 1 to 78 digits 0-9 and nothing else (no sign, prefix or spaces),
  /// leading zeros allowed within the 78. Returns nothing for garbage or a value >= p.
  static constexpr std::optional<felt252> from_dec(std::string_view s) {
    if (s.empty() || s.size() > max_dec_digits) return std::nullopt;
    limbs x{};
    for (const char ch : s) {
      if (ch < '0' || ch > '9') return std::nullopt;
      mul_add_small(x, 10, static_cast<std::uint64_t>(ch - '0'));  // x < p, so 10x + 9 < 2^256
      if (!less_than_p(x)) return std::nullopt;
    }
    return from_canonical(x);
  }

  /// "0x" followed by the canonical value in lower-case hex without leading zeros ("0x0" for 0).
  std::string to_hex() const {
    const limbs x = to_limbs();
    std::string out = "0x";
    bool started = false;
    for (int i = 63; i >= 0; --i) {
      const unsigned d = static_cast<unsigned>(x[i / 16] >> (4 * (i % 16))) & 0xf;
      if (d == 0 && !started && i != 0) continue;
      started = true;
      out.push_back("0123456789abcdef"[d]);
    }
    return out;
  }

  /// The canonical value in decimal without leading zeros ("0" for 0).
  std::string to_dec() const {
    limbs x = to_limbs();
    // Peel off base-10^19 chunks, least significant first; all but the leading one are
    // zero-padded to 19 digits.
    std::uint64_t chunks[5] = {};  // p < 10^76 < 10^95
    int n = 0;
    do {
      chunks[n++] = div_small(x, 10'000'000'000'000'000'000ULL);
    } while ((x[0] | x[1] | x[2] | x[3]) != 0);
    std::string out = std::to_string(chunks[n - 1]);
    for (int i = n - 2; i >= 0; --i) {
      const std::string part = std::to_string(chunks[i]);
      out.append(19 - part.size(), '0');
      out += part;
    }
    return out;
  }

  /// Prints to_hex() (also what GoogleTest shows for a failed comparison).
  friend std::ostream& operator<<(std::ostream& os, const felt252& a) { return os << a.to_hex(); }

  /// x < p for a 256-bit x.
  CIRO_HD static constexpr bool less_than_p(const limbs& x) { return felt252_detail::less_than_p(x); }

  /// Montgomery multiplication r = a * b * 2^-256 mod p on raw limbs, for a, b < p.
  CIRO_HD_INLINE static constexpr void mont_mul(const std::uint64_t* a, const std::uint64_t* b, std::uint64_t* r) {
    felt252_detail::mont_mul(a, b, r);
  }

 private:
  /// x = x * k + d. Precondition: no overflow past 2^256.
  static constexpr void mul_add_small(limbs& x, std::uint64_t k, std::uint64_t d) {
    std::uint64_t carry = d;
    for (int i = 0; i < 4; ++i) {
      const u128 s = static_cast<u128>(x[i]) * k + carry;
      x[i] = static_cast<std::uint64_t>(s);
      carry = static_cast<std::uint64_t>(s >> 64);
    }
  }

  /// x = x / k, returning x mod k. Precondition: k != 0.
  static constexpr std::uint64_t div_small(limbs& x, std::uint64_t k) {
    u128 rem = 0;
    for (int i = 3; i >= 0; --i) {
      const u128 cur = (rem << 64) | x[i];
      x[i] = static_cast<std::uint64_t>(cur / k);
      rem = cur % k;
    }
    return static_cast<std::uint64_t>(rem);
  }

  static constexpr limbs r_mod_p = felt252_detail::r_mod_p;
  static constexpr limbs r2_mod_p = felt252_detail::r2_mod_p;
  static constexpr void sub_p(limbs& x) { felt252_detail::sub_p(x); }

  std::uint64_t v_[4] = {0, 0, 0, 0};
};

}  // namespace ciro::field
