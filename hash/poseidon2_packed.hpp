#pragma once

// Batched Poseidon2 over BabyBear: many permutations at once, one per SIMD lane (16 on AVX-512),
// vectorised with Highway and dispatched at run time (AVX-512, AVX2, SSE4, SSSE3, scalar).
// Every function gives exactly the output of the scalar reference (poseidon2.hpp, sponge.hpp)
// and of Plonky3. All functions are single-threaded; callers parallelise over disjoint ranges.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "field/babybear.hpp"
#include "hash/sponge.hpp"

namespace ciro::hash {

/// Applies Plonky3's width-16 Poseidon2 to every state, in place. States are stored one after
/// another (state-major); they are transposed into SIMD lanes internally, in groups of lanes.
void poseidon2_permute_many(std::span<std::array<babybear, 16>> states);
/// Applies Plonky3's width-24 Poseidon2 to every state, in place.
void poseidon2_permute_many(std::span<std::array<babybear, 24>> states);

/// bitrev_k(r) for k = bits: the k low bits of r in reverse order (bitrev_0(0) = 0).
/// Precondition: r < 2^bits, bits <= 64.
constexpr std::uint64_t bitrev(std::uint64_t r, unsigned bits) {
  r = ((r >> 1) & 0x5555555555555555ULL) | ((r & 0x5555555555555555ULL) << 1);
  r = ((r >> 2) & 0x3333333333333333ULL) | ((r & 0x3333333333333333ULL) << 2);
  r = ((r >> 4) & 0x0f0f0f0f0f0f0f0fULL) | ((r & 0x0f0f0f0f0f0f0f0fULL) << 4);
  r = ((r >> 8) & 0x00ff00ff00ff00ffULL) | ((r & 0x00ff00ff00ff00ffULL) << 8);
  r = ((r >> 16) & 0x0000ffff0000ffffULL) | ((r & 0x0000ffff0000ffffULL) << 16);
  r = (r >> 32) | (r << 32);
  return bits == 0 ? 0 : r >> (64 - bits);
}

/// A read-only row-major matrix: row r is data[s * row_stride .. s * row_stride + width) with
/// s = r, or, when bit_reversed_rows, s = bitrev_{log_height}(first_row + r): then the view reads
/// rows first_row, first_row + 1, ... of a matrix of height 2^log_height whose row i is stored at
/// row bitrev(i) (data pointing at stored row 0).
/// Precondition: row_stride >= width (any stride when width == 0).
struct row_major_view {
  const babybear* data = nullptr;
  std::size_t width = 0;
  std::size_t row_stride = 0;
  /// Read the rows in bit-reversed order (see above); first_row and log_height only matter then.
  bool bit_reversed_rows = false;
  unsigned log_height = 0;
  std::size_t first_row = 0;
};

/// digests_out[8 r .. 8 r + 8) = hash_elements(row r) for r < rows: the padding-free sponge
/// (rate 8, Poseidon2-16) of each row of the row-major `rows` x `width` matrix, as Plonky3's
/// PaddingFreeSponge::hash_iter. A row of width 0 hashes to the zero digest.
/// Preconditions: `matrix` holds rows * width elements; `digests_out` holds 8 rows elements and
/// does not overlap the matrix. Cost: ceil(width / 8) permutations per row.
void hash_rows(const babybear* matrix, std::size_t rows, std::size_t width, babybear* digests_out);

/// Like hash_rows, but row r is the concatenation of row r of every matrix in `matrices`, in order
/// (how Plonky3's MerkleTree hashes the rows of several matrices of equal height into one leaf).
/// Preconditions: every matrix has at least `rows` rows; `digests_out` holds 8 rows elements.
void hash_rows(std::span<const row_major_view> matrices, std::size_t rows, babybear* digests_out);

/// out[8 i .. 8 i + 8) = compress(left_i, right_i) for i < count, where left_i =
/// left[8 i .. 8 i + 8) and right_i = right[8 i .. 8 i + 8): Plonky3's TruncatedPermutation
/// (the first 8 elements of Poseidon2-16 on left_i || right_i).
/// Precondition: `out` does not overlap `left` or `right` unless it equals `left` (in place).
void compress(const babybear* left, const babybear* right, std::size_t count, babybear* out);

/// One Merkle layer step: out[8 i .. 8 i + 8) = compress(pairs[16 i .. 16 i + 8),
/// pairs[16 i + 8 .. 16 i + 16)) for i < count, i.e. the parents of 2 count consecutive
/// digests. `out` may equal `pairs` (the layer is then reduced in place into its first half);
/// otherwise they must not overlap.
void compress_pairs(const babybear* pairs, std::size_t count, babybear* out);

/// The SIMD target the dispatcher chose for this CPU (e.g. "AVX3").
const char* poseidon2_simd_target();
/// Permutations computed side by side by that target (16 on AVX-512, 8 on AVX2, 4 on SSE4).
std::size_t poseidon2_lanes();

}  // namespace ciro::hash
