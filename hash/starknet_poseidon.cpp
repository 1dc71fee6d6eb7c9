#include "hash/starknet_poseidon.hpp"

#include <cstdint>

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

// The linear layer runs on Montgomery representations as plain 256-bit integers (addition and
// multiplication by small integers commute with x -> xR mod p), reducing once per lane per
// round instead of after every addition; only the S-box input must be canonical.
using u64 = std::uint64_t;
using field::felt252_detail::adc;
using field::felt252_detail::sbb;

struct wide {
  u64 w[4];
};

constexpr wide to_wide(const felt252& x) {
  const felt252::limbs m = x.monty();
  return {{m[0], m[1], m[2], m[3]}};
}
inline felt252 to_felt(const wide& x) { return felt252::from_monty({x.w[0], x.w[1], x.w[2], x.w[3]}); }

// a + b. Precondition: no overflow past 2^256 (guaranteed by the bounds noted at each use).
inline wide add(const wide& a, const wide& b) {
  u64 c = 0;
  wide r;
  r.w[0] = adc(a.w[0], b.w[0], c);
  r.w[1] = adc(a.w[1], b.w[1], c);
  r.w[2] = adc(a.w[2], b.w[2], c);
  r.w[3] = adc(a.w[3], b.w[3], c);
  return r;
}
// a - b. Precondition: a >= b.
inline wide sub(const wide& a, const wide& b) {
  u64 c = 0;
  wide r;
  r.w[0] = sbb(a.w[0], b.w[0], c);
  r.w[1] = sbb(a.w[1], b.w[1], c);
  r.w[2] = sbb(a.w[2], b.w[2], c);
  r.w[3] = sbb(a.w[3], b.w[3], c);
  return r;
}
inline wide dbl(const wide& a) {
  return {
      {a.w[0] << 1, (a.w[1] << 1) | (a.w[0] >> 63), (a.w[2] << 1) | (a.w[1] >> 63), (a.w[3] << 1) | (a.w[2] >> 63)}};
}
// k * p for small k, as a wide integer: k * (1 + c 2^192).
constexpr wide multiple_of_p(u64 k) { return {{k, 0, 0, k * felt252::modulus_top}}; }

// x mod p for x < 16p (< 2^256). q = floor(x / 2^251) >= floor(x / p) and q p <= x (1 + 17 2^-59),
// so x - q p lies in (-p, p): subtract q p, then add p back if that borrowed.
inline wide reduce(const wide& x) {
  const u64 q = x.w[3] >> 59;
  u64 borrow = 0;
  wide r;
  r.w[0] = sbb(x.w[0], q, borrow);
  r.w[1] = sbb(x.w[1], 0, borrow);
  r.w[2] = sbb(x.w[2], 0, borrow);
  r.w[3] = sbb(x.w[3], q * felt252::modulus_top, borrow);
  const u64 mask = 0 - borrow;
  u64 c = 0;
  r.w[0] = adc(r.w[0], mask & 1, c);
  r.w[1] = adc(r.w[1], 0, c);
  r.w[2] = adc(r.w[2], 0, c);
  r.w[3] = adc(r.w[3], mask & felt252::modulus_top, c);
  return r;
}

inline felt252 cube(const felt252& x) { return x.square() * x; }

// The MDS layer M = [[3,1,1],[1,-1,1],[1,1,-2]] followed by the next round's constants k (zero
// after the last round), on inputs a_i < p, outputs canonical: t = a0 + a1 + a2 < 3p, then
// s0 = t + 2 a0 + k0 < 6p, s1 = t + 2p - 2 a1 + k1 < 6p, s2 = t + 3p - 3 a2 + k2 < 7p, each
// reduced once. Folding the constants in here takes a modular addition off the S-box path.
inline void mix_add(wide* s, const wide& a0, const wide& a1, const wide& a2, const wide* k) {
  constexpr wide p2 = multiple_of_p(2), p3 = multiple_of_p(3);
  const wide t = add(add(a0, a1), a2);
  s[0] = reduce(add(add(t, dbl(a0)), k[0]));
  s[1] = reduce(sub(add(add(t, p2), k[1]), dbl(a1)));
  s[2] = reduce(sub(add(add(t, p3), k[2]), add(dbl(a2), a2)));
}

// A full round, its constants already added: S-box on every lane, then mix_add.
inline void full_round(wide* s, const wide* k_next) {
  const felt252 x0 = cube(to_felt(s[0]));
  const felt252 x1 = cube(to_felt(s[1]));
  const felt252 x2 = cube(to_felt(s[2]));
  mix_add(s, to_wide(x0), to_wide(x1), to_wide(x2), k_next);
}

// A partial round, its constants already added: S-box on the last lane, then mix_add.
inline void partial_round(wide* s, const wide* k_next) {
  const felt252 x2 = cube(to_felt(s[2]));
  mix_add(s, s[0], s[1], to_wide(x2), k_next);
}

// The round constants as wide integers, plus a zero row: row r + 1 is what round r adds after
// its MDS layer.
constexpr std::array<std::array<wide, 3>, poseidon_rounds + 1> wide_constants = [] {
  std::array<std::array<wide, 3>, poseidon_rounds + 1> w{};
  for (std::size_t r = 0; r < poseidon_rounds; ++r) {
    for (std::size_t j = 0; j < poseidon_width; ++j) w[r][j] = to_wide(round_constants[r][j]);
  }
  return w;
}();

}  // namespace

const std::array<poseidon_round_keys, poseidon_rounds>& poseidon_round_constants() { return round_constants; }

void hades_permutation(poseidon_state& state) {
  constexpr std::size_t half = poseidon_full_rounds / 2;
  const auto& k = round_constants;
  // Invariant: before round r, s holds the state with round r's constants added, canonical.
  wide s[3] = {to_wide(state[0] + k[0][0]), to_wide(state[1] + k[0][1]), to_wide(state[2] + k[0][2])};
  std::size_t r = 0;
  for (; r < half; ++r) full_round(s, wide_constants[r + 1].data());
  for (; r < half + poseidon_partial_rounds; ++r) partial_round(s, wide_constants[r + 1].data());
  for (; r < poseidon_rounds; ++r) full_round(s, wide_constants[r + 1].data());
  for (std::size_t j = 0; j < poseidon_width; ++j) state[j] = to_felt(s[j]);
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
