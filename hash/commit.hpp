#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/check.hpp"
#include "field/felt252.hpp"
#include "field/monty31.hpp"
#include "hash/starknet_poseidon.hpp"

/// Commitments of byte strings and vectors to a single felt252 with Starknet's Poseidon.
///
/// Every commitment is poseidon_hash_many([tag, n, w_0, ..., w_{k-1}]) where
///  - tag is a per-kind domain separator, a Cairo short string (its ASCII bytes read as a
///    big-endian integer): "ciro.commit.bytes.v1", "ciro.commit.u32.v1", "ciro.commit.u31.v1"
///    or "ciro.commit.felt.v1", so inputs of different kinds never share a preimage;
///  - n is the input length in items (bytes, values or elements), as a felt;
///  - w_i are the packed words below. A short last word is not padded: n says how many items it
///    holds, so "ab" and "ab\0" (or any two inputs of different length) hash different inputs.
/// Packings (each word < 2^248 < p, so packing is injective):
///  - bytes: 31 bytes per word, big-endian: w_i = sum_j b_{31i+j} * 256^(m-1-j) over the m <= 31
///    bytes of chunk i (the Cairo ByteArray convention);
///  - u32: 7 values per word, first value lowest: w_i = sum_j v_{7i+j} * 2^(32 j) (224 bits);
///  - u31 (BabyBear / KoalaBear canonical values): 8 per word, w_i = sum_j v_{8i+j} * 2^(31 j)
///    (248 bits);
///  - felt: one element per word, w_i = x_i.
/// Cost: one permutation per two words, no allocation.
namespace ciro::hash {

using field::felt252;

/// The commitment of a byte string (31 bytes per word, big-endian).
felt252 commit_bytes(std::span<const std::uint8_t> data);

/// The commitment of 32-bit values (7 per word, first value in the low bits).
felt252 commit_u32(std::span<const std::uint32_t> values);

/// The commitment of 31-bit values (8 per word, first value in the low bits).
/// Precondition (checked): every value < 2^31.
felt252 commit_u31(std::span<const std::uint32_t> values);

/// The commitment of felt252 elements (one per word).
felt252 commit_felts(std::span<const felt252> values);

namespace commit_detail {

/// The domain tag of commit_u31 (also used by commit_monty31).
felt252 tag_u31();

/// commit_u31 over the values get(0), ..., get(n - 1), each < 2^31.
template <class Get>
felt252 commit_u31_with(std::size_t n, Get get) {
  starknet::poseidon_sponge sponge;
  sponge.absorb(tag_u31());
  sponge.absorb(felt252::from_u64(n));
  for (std::size_t i = 0; i < n; i += 8) {
    felt252::limbs w{};
    for (std::size_t j = 0; j < 8 && i + j < n; ++j) {
      const std::uint64_t v = get(i + j);
      CIRO_CHECK(v < (std::uint64_t{1} << 31));
      const std::size_t bit = 31 * j, limb = bit / 64, shift = bit % 64;
      w[limb] |= v << shift;
      if (shift > 64 - 31) w[limb + 1] |= v >> (64 - shift);
    }
    sponge.absorb(felt252::from_canonical(w));  // < 2^248 < p
  }
  return sponge.finalize();
}

}  // namespace commit_detail

/// The commitment of a vector over a 31-bit Montgomery field (BabyBear, KoalaBear): equal to
/// commit_u31 of the canonical values.
template <class Params>
felt252 commit_monty31(std::span<const field::monty31<Params>> values) {
  return commit_detail::commit_u31_with(values.size(), [&](std::size_t i) { return values[i].to_canonical(); });
}

}  // namespace ciro::hash
