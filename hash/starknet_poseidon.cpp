#include "hash/starknet_poseidon.hpp"

#include <cstdint>

#ifdef CIRO_FELT252_ASM
#include <immintrin.h>
#endif

namespace ciro::hash::starknet {
namespace {

// All 273 round constants, derived by the compiler from SHA-256 (see poseidon_round_constant)
// and held in Montgomery form, as the arithmetic uses them.
constexpr std::array<poseidon_round_keys, poseidon_rounds> round_constants = [] {
  std::array<poseidon_round_keys, poseidon_rounds> rc{};
  for (std::size_t r = 0; r < poseidon_rounds; ++r) {
    for (std::size_t j = 0; j < poseidon_width; ++j) {
      rc[r][j] = poseidon_round_constant(static_cast<std::uint32_t>(poseidon_width * r + j));
    }
  }
  return rc;
}();

// The permutation runs on Montgomery representations (x R mod p, R = 2^256) held as plain
// 256-bit integers and reduced lazily: every lane stays below 2p between rounds and is made
// canonical only at the end. This is sound because x -> xR mod p commutes with addition and
// with multiplication by small integers, and the Montgomery product accepts inputs < 4p
// (field/felt252.hpp, mont_mul_lazy). Since p < 2^252, sums of up to 16p fit in 256 bits.
using u64 = std::uint64_t;
namespace fd = field::felt252_detail;

/// A 256-bit unsigned integer, four little-endian limbs.
struct wide {
  u64 w[4];
};

constexpr wide to_wide(const felt252& x) {
  const felt252::limbs m = x.monty();
  return {{m[0], m[1], m[2], m[3]}};
}

#ifdef CIRO_FELT252_ASM
// g++ compiles the unsigned __int128 carry helpers into long setc/movzx sequences; the
// add-with-carry intrinsics become plain adc/sbb chains.
inline u64 addc(u64 a, u64 b, unsigned char& c) {
  unsigned long long r;
  c = _addcarry_u64(c, a, b, &r);
  return r;
}
inline u64 subb(u64 a, u64 b, unsigned char& c) {
  unsigned long long r;
  c = _subborrow_u64(c, a, b, &r);
  return r;
}
#else
inline u64 addc(u64 a, u64 b, unsigned char& c) {
  u64 carry = c;
  const u64 r = fd::adc(a, b, carry);
  c = static_cast<unsigned char>(carry);
  return r;
}
inline u64 subb(u64 a, u64 b, unsigned char& c) {
  u64 borrow = c;
  const u64 r = fd::sbb(a, b, borrow);
  c = static_cast<unsigned char>(borrow);
  return r;
}
#endif

/// a + b. Precondition: a + b < 2^256 (guaranteed by the bounds noted at each use).
CIRO_HD_INLINE wide add(const wide& a, const wide& b) {
  unsigned char c = 0;
  wide r;
  r.w[0] = addc(a.w[0], b.w[0], c);
  r.w[1] = addc(a.w[1], b.w[1], c);
  r.w[2] = addc(a.w[2], b.w[2], c);
  r.w[3] = addc(a.w[3], b.w[3], c);
  return r;
}
/// a - b. Precondition: a >= b.
CIRO_HD_INLINE wide sub(const wide& a, const wide& b) {
  unsigned char c = 0;
  wide r;
  r.w[0] = subb(a.w[0], b.w[0], c);
  r.w[1] = subb(a.w[1], b.w[1], c);
  r.w[2] = subb(a.w[2], b.w[2], c);
  r.w[3] = subb(a.w[3], b.w[3], c);
  return r;
}
/// a + b at compile time (a + b < 2^256).
constexpr wide add_const(const wide& a, const wide& b) {
  u64 c = 0;
  return {
      {fd::adc(a.w[0], b.w[0], c), fd::adc(a.w[1], b.w[1], c), fd::adc(a.w[2], b.w[2], c), fd::adc(a.w[3], b.w[3], c)}};
}
/// k * p for small k, as a wide integer: k * (1 + c 2^192).
constexpr wide multiple_of_p(u64 k) { return {{k, 0, 0, k * felt252::modulus_top}}; }

/// A value congruent to x mod p and in (0, 2p), for x < 16p: x + (1 - q) p with
/// q = floor(x / 2^251). Since q p = q 2^251 + q (17 2^192 + 1) and q <= 31, x - q p lies in
/// (-p, 2^251) and x + (1 - q) p in (0, 2p). (1 - q) p is added as a two's-complement 256-bit
/// integer: limbs (e, s, s, s + e c) with e = 1 - q and s its sign extension.
CIRO_HD_INLINE wide reduce_lazy(const wide& x) {
  const u64 e = 1 - (x.w[3] >> 59);
  const u64 s = static_cast<u64>(static_cast<std::int64_t>(e) >> 63);
  const u64 top = s + e * felt252::modulus_top;
  unsigned char c = 0;
  wide r;
  r.w[0] = addc(x.w[0], e, c);
  r.w[1] = addc(x.w[1], s, c);
  r.w[2] = addc(x.w[2], s, c);
  r.w[3] = addc(x.w[3], top, c);
  return r;
}

/// x^3 R^-2 in Montgomery form (the S-box), for x < 4p; the result is < 2p.
CIRO_HD_INLINE wide cube(const wide& x) {
  wide sq, r;
  fd::mont_sqr_lazy(x.w, sq.w);
  fd::mont_mul_lazy(sq.w, x.w, r.w);
  return r;
}

/// One round's constants as the linear layer adds them: (k0, k1 + 2p, k2 + 4p), so that the
/// subtractions below cannot go negative.
using round_keys_wide = std::array<wide, 3>;

/// The MDS layer M = [[3,1,1],[1,-1,1],[1,1,-2]] followed by the next round's constants, on
/// inputs a_i < 2p, outputs in (0, 2p):
///     s0 = 3 a0 + a1 + a2 + k0           < 11p,
///     s1 = a0 + a2 + (k1 + 2p) - a1      < 7p   (a1 < 2p),
///     s2 = a0 + a1 + (k2 + 4p) - 2 a2    < 9p   (2 a2 < 4p),
/// each reduced once by reduce_lazy (which needs < 16p). Only add/sub carry chains, no shifts,
/// so that g++ keeps each chain in the carry flag. In a partial round only a2 is new, so s2
/// costs two subtractions and one reduction after the S-box.
CIRO_HD_INLINE void mix(wide* s, const wide& a0, const wide& a1, const wide& a2, const round_keys_wide& k) {
  const wide u = add(a0, a1);
  const wide x0 = add(add(add(u, a0), add(a0, a2)), k[0]);
  const wide x1 = sub(add(add(a0, a2), k[1]), a1);
  const wide x2 = sub(sub(add(u, k[2]), a2), a2);
  const wide s0 = reduce_lazy(x0), s1 = reduce_lazy(x1), s2 = reduce_lazy(x2);
  for (int i = 0; i < 4; ++i) {
    s[0].w[i] = s0.w[i];
    s[1].w[i] = s1.w[i];
    s[2].w[i] = s2.w[i];
  }
}

/// A full round, its constants already added: S-box on every lane, then mix.
CIRO_HD_INLINE void full_round(wide* s, const round_keys_wide& k_next) {
  const wide x0 = cube(s[0]);
  const wide x1 = cube(s[1]);
  const wide x2 = cube(s[2]);
  mix(s, x0, x1, x2, k_next);
}

/// A partial round, its constants already added: S-box on the last lane, then mix.
CIRO_HD_INLINE void partial_round(wide* s, const round_keys_wide& k_next) {
  const wide x2 = cube(s[2]);
  mix(s, s[0], s[1], x2, k_next);
}

/// Row r + 1 holds what round r adds after its MDS layer, in the form mix expects (row 0 is
/// unused; the last row adds only the offsets 2p and 4p).
constexpr std::array<round_keys_wide, poseidon_rounds + 1> wide_constants = [] {
  std::array<round_keys_wide, poseidon_rounds + 1> w{};
  for (std::size_t r = 1; r <= poseidon_rounds; ++r) {
    const bool last = r == poseidon_rounds;
    const wide k0 = last ? wide{} : to_wide(round_constants[r][0]);
    const wide k1 = last ? wide{} : to_wide(round_constants[r][1]);
    const wide k2 = last ? wide{} : to_wide(round_constants[r][2]);
    w[r] = {k0, add_const(k1, multiple_of_p(2)), add_const(k2, multiple_of_p(4))};  // < 5p
  }
  return w;
}();

}  // namespace

const std::array<poseidon_round_keys, poseidon_rounds>& poseidon_round_constants() { return round_constants; }

// g++'s SLP vectorizer would pack the four limbs of each new lane into SSE registers
// (movq + punpcklqdq) before storing them, which lies on the round's critical path.
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-slp-vectorize")))
#endif
void hades_permutation(poseidon_state& state) {
  constexpr std::size_t half = poseidon_full_rounds / 2;
  const auto& k = round_constants;
  // Invariant: before round r, s holds the state with round r's constants added, each lane
  // < 2p (the inputs and constants are < p, so the first additions need no reduction).
  wide s[3] = {add(to_wide(state[0]), to_wide(k[0][0])), add(to_wide(state[1]), to_wide(k[0][1])),
               add(to_wide(state[2]), to_wide(k[0][2]))};
  std::size_t r = 0;
  for (; r < half; ++r) full_round(s, wide_constants[r + 1]);
  for (; r < half + poseidon_partial_rounds; ++r) partial_round(s, wide_constants[r + 1]);
  for (; r < poseidon_rounds; ++r) full_round(s, wide_constants[r + 1]);
  for (std::size_t j = 0; j < poseidon_width; ++j) {
    u64 m[4];
    fd::cond_sub_p(s[j].w, m);  // < 2p to canonical
    state[j] = felt252::from_monty({m[0], m[1], m[2], m[3]});
  }
}

felt252 poseidon_hash(const felt252& x, const felt252& y) {
  poseidon_state s{x, y, felt252::two()};
  hades_permutation(s);
  return s[0];
}

felt252 poseidon_hash_single(const felt252& x) {
  poseidon_state s{x, felt252::zero(), felt252::one()};
  hades_permutation(s);
  return s[0];
}

felt252 poseidon_hash_many(std::span<const felt252> xs) {
  poseidon_sponge sponge;
  sponge.absorb(xs);
  return sponge.finalize();
}

void poseidon_sponge::absorb(const felt252& x) {
  if (!has_pending_) {
    pending_ = x;
    has_pending_ = true;
    return;
  }
  state_[0] += pending_;
  state_[1] += x;
  hades_permutation(state_);
  has_pending_ = false;
}

void poseidon_sponge::absorb(std::span<const felt252> xs) {
  for (const felt252& x : xs) absorb(x);
}

felt252 poseidon_sponge::finalize() const {
  poseidon_state s = state_;
  if (has_pending_) {
    s[0] += pending_;
    s[1] += felt252::one();
  } else {
    s[0] += felt252::one();
  }
  hades_permutation(s);
  return s[0];
}

}  // namespace ciro::hash::starknet
