#pragma once

// The hash and compression functions of Plonky3's BabyBear Merkle trees, built on the width-16
// Poseidon2 permutation (scalar reference; the batched SIMD versions are in poseidon2_packed.hpp):
//
// - PaddingFreeSponge<Poseidon2BabyBear<16>, 16, 8, 8>: rate 8, capacity 8, digest 8 elements;
// - TruncatedPermutation<Poseidon2BabyBear<16>, 2, 8, 16>: 2-to-1 compression.

#include <array>
#include <cstddef>
#include <span>

#include "hash/poseidon2.hpp"

namespace ciro::hash {

/// Elements per digest (and per compression input half).
inline constexpr std::size_t digest_elems = 8;
/// Elements absorbed per permutation by the sponge.
inline constexpr std::size_t sponge_rate = 8;
/// Width of the permutation behind the sponge and the compression.
inline constexpr std::size_t sponge_width = 16;

/// A Merkle digest: 8 BabyBear elements (about 248 bits).
using digest = std::array<babybear, digest_elems>;

/// Plonky3's PaddingFreeSponge over Poseidon2-16, fed one element at a time.
///
/// The state starts at zero. Elements overwrite (not add to) state[0], state[1], ...; after the
/// 8th the state is permuted and the position resets. finish() permutes once more if a partial
/// block is pending (its unwritten rate positions keep the previous permutation's output) and
/// returns state[0..8). So n elements cost ceil(n / 8) permutations, and the empty input hashes
/// to the zero digest without any permutation. Padding-free: only safe where the input length is
/// fixed by the protocol (Merkle leaves, trace rows).
class padding_free_sponge {
 public:
  /// Absorbs one element.
  constexpr void absorb(babybear x) {
    state_[pos_++] = x;
    if (pos_ == sponge_rate) {
      poseidon2_permute(state_);
      pos_ = 0;
    }
  }
  /// Absorbs the elements of `xs` in order.
  constexpr void absorb(std::span<const babybear> xs) {
    for (const babybear x : xs) absorb(x);
  }
  /// The digest of everything absorbed so far. The sponge must not be used afterwards.
  constexpr digest finish() {
    if (pos_ != 0) poseidon2_permute(state_);
    pos_ = 0;
    digest d;
    for (std::size_t i = 0; i < digest_elems; ++i) d[i] = state_[i];
    return d;
  }

 private:
  std::array<babybear, sponge_width> state_{};
  std::size_t pos_ = 0;
};

/// The padding-free sponge digest of `xs` (Plonky3's PaddingFreeSponge::hash_slice).
constexpr digest hash_elements(std::span<const babybear> xs) {
  padding_free_sponge sponge;
  sponge.absorb(xs);
  return sponge.finish();
}

/// TruncatedPermutation: the first 8 elements of Poseidon2-16 applied to (left || right).
constexpr digest compress(const digest& left, const digest& right) {
  std::array<babybear, sponge_width> state;
  for (std::size_t i = 0; i < digest_elems; ++i) {
    state[i] = left[i];
    state[digest_elems + i] = right[i];
  }
  poseidon2_permute(state);
  digest d;
  for (std::size_t i = 0; i < digest_elems; ++i) d[i] = state[i];
  return d;
}

}  // namespace ciro::hash
