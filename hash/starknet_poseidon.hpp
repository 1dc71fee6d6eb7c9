#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "field/felt252.hpp"
#include "hash/sha256.hpp"

/// Starknet's Poseidon hash over the Stark field (felt252), bit-compatible with cairo-lang
/// (src/starkware/cairo/common/poseidon_hash.py, poseidon_utils.py) and starknet-crypto
/// (xJonathanLEI/starknet-rs, starknet-crypto/src/poseidon_hash.rs).
///
/// The permutation is Hades over F_p^3 (rate 2, capacity 1): 4 full rounds, 83 partial rounds,
/// 4 full rounds. Each round adds the round's three constants to the three lanes, applies the
/// S-box x -> x^3 to every lane (full round) or to the last lane only (partial round), then
/// multiplies the state by the MDS matrix
///     [[3, 1, 1],
///      [1,-1, 1],
///      [1, 1,-2]].
namespace ciro::hash::starknet {

using field::felt252;

/// The state width (rate 2 + capacity 1).
inline constexpr std::size_t poseidon_width = 3;
/// Full rounds in total (half before, half after the partial rounds).
inline constexpr std::size_t poseidon_full_rounds = 8;
/// Partial rounds (S-box on the last lane only).
inline constexpr std::size_t poseidon_partial_rounds = 83;
/// All rounds, each with its own 3 round constants.
inline constexpr std::size_t poseidon_rounds = poseidon_full_rounds + poseidon_partial_rounds;

/// The permutation state.
using poseidon_state = std::array<felt252, poseidon_width>;
/// One round's constants, one per lane.
using poseidon_round_keys = std::array<felt252, poseidon_width>;

/// The round constant with flat index i (round i / 3, lane i % 3), derived as in cairo-lang's
/// poseidon_utils.generate_round_constant: int(sha256(b"Hades" + str(i)).hexdigest(), 16) mod p,
/// i.e. the SHA-256 digest of the ASCII string "Hades" followed by i in decimal, read as a
/// big-endian 256-bit integer and reduced mod p. constexpr; i < 10^9.
constexpr felt252 poseidon_round_constant(std::uint32_t i) {
  char text[16] = {'H', 'a', 'd', 'e', 's'};
  std::size_t len = 5;
  char digits[10] = {};
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + i % 10);
    i /= 10;
  } while (i != 0);
  while (n != 0) text[len++] = digits[--n];
  const sha256::digest_type d = sha256::digest(std::string_view(text, len));
  felt252::limbs x{};
  for (int k = 0; k < 32; ++k) x[k / 8] |= static_cast<std::uint64_t>(d[31 - k]) << (8 * (k % 8));
  return felt252::from_limbs_mod_p(x);
}

/// The 91 x 3 round constants, computed at compile time by poseidon_round_constant.
const std::array<poseidon_round_keys, poseidon_rounds>& poseidon_round_constants();

/// The Hades permutation, in place. No allocation; about 215 field multiplications.
void hades_permutation(poseidon_state& state);

/// Starknet's poseidon_hash(x, y) = hades([x, y, 2])[0] (two elements, capacity lane set to 2).
felt252 poseidon_hash(const felt252& x, const felt252& y);

/// Starknet's poseidon_hash_single(x) = hades([x, 0, 1])[0].
felt252 poseidon_hash_single(const felt252& x);

/// Starknet's poseidon_hash_many(xs): from state [0, 0, 0], absorb the elements two at a time
/// (s0 += x_2k, s1 += x_2k+1, permute); then pad: with one element x left, s0 += x, s1 += 1;
/// with none left, s0 += 1; permute once more and output s0. An empty input therefore hashes
/// to hades([1, 0, 0])[0]. Equal to poseidon_sponge fed the same elements.
felt252 poseidon_hash_many(std::span<const felt252> xs);

/// An incremental poseidon_hash_many: absorbing x_0, ..., x_{n-1} one at a time (or in spans)
/// and then calling finalize() gives poseidon_hash_many({x_0, ..., x_{n-1}}), without storing
/// the input. Trivially copyable, so a common prefix can be absorbed once and copied.
class poseidon_sponge {
 public:
  /// Appends one element.
  void absorb(const felt252& x);
  /// Appends the elements in order.
  void absorb(std::span<const felt252> xs);
  /// The hash of everything absorbed so far (the sponge itself is left unchanged).
  felt252 finalize() const;

 private:
  poseidon_state state_{};
  felt252 pending_{};
  bool has_pending_ = false;
};

}  // namespace ciro::hash::starknet
