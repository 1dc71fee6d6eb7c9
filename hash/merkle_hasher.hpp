#pragma once

// The hot loops of a Merkle commitment (hashing rows into leaf digests, compressing one layer
// into the next), behind an abstract interface so that a backend (the CPU one here, a CUDA one in
// kernels/cuda) can supply its own. merkle_tree.hpp builds the tree layer by layer through it.
//
// Every implementation must give exactly the digests of the scalar reference (sponge.hpp):
//   H(x_0, ..., x_{n-1}) = hash_elements(x)      (padding-free sponge, Poseidon2-16, rate 8)
//   C(a, b)              = compress(a, b)         (truncated Poseidon2-16)

#include <bit>
#include <cstddef>
#include <span>

#include "field/babybear.hpp"
#include "hash/poseidon2_packed.hpp"
#include "hash/sponge.hpp"

namespace ciro::hash {

/// The shape of a committed matrix: `height` rows of `width` elements.
struct matrix_dims {
  std::size_t height = 0;
  std::size_t width = 0;
  friend bool operator==(const matrix_dims&, const matrix_dims&) = default;
};

/// A read-only, densely packed row-major matrix: stored row s is data[s * width .. (s + 1) * width),
/// and logical row r (the row that row(), hashing and openings see) is stored row stored_row(r).
/// `data` may be null when height * width == 0.
struct matrix_ref {
  const babybear* data = nullptr;
  std::size_t height = 0;
  std::size_t width = 0;
  /// When true, logical row r of the matrix is stored row bitrev_k(r), k = log2(height) (the k low
  /// bits of r reversed; height must be a power of two; bitrev_0(0) = 0): a matrix stored in
  /// natural order is read, hashed and opened as its row-bit-reversed copy, without copying it.
  /// When false (the default), logical row r is stored row r.
  bool bit_reversed_rows = false;

  /// The stored row holding logical row r. Precondition: r < height.
  std::size_t stored_row(std::size_t r) const {
    return bit_reversed_rows ? static_cast<std::size_t>(bitrev(r, static_cast<unsigned>(std::countr_zero(height)))) : r;
  }
  /// Logical row r. Precondition: r < height.
  std::span<const babybear> row(std::size_t r) const { return {data + stored_row(r) * width, width}; }
  matrix_dims dims() const { return {height, width}; }
};

/// The two Merkle hot loops, batched over a whole layer. Implementations may run in parallel
/// internally but must be deterministic and equal to the scalar reference.
///
/// Notation: for matrices m_0, ..., m_{k-1} of equal height, rows(i) = m_0[i] || ... || m_{k-1}[i]
/// (logical row i of each, m.row(i), so honouring bit_reversed_rows, concatenated in the order
/// given; a matrix of width 0 contributes nothing).
class merkle_hasher {
 public:
  virtual ~merkle_hasher() = default;

  /// out[i] = H(rows(i)) for i < out.size(): the leaf layer of a Merkle tree.
  /// Preconditions: matrices is non-empty; every matrix has height out.size().
  /// Cost: out.size() * ceil(total width / 8) permutations.
  virtual void hash_leaves(std::span<const matrix_ref> matrices, std::span<digest> out) = 0;

  /// out[i] = C(in[2i], in[2i+1]) for i < out.size(): the parents of a layer.
  /// Preconditions: in.size() == 2 * out.size(); in and out do not overlap.
  /// Cost: out.size() permutations.
  virtual void compress_layer(std::span<const digest> in, std::span<digest> out) = 0;

  /// out[i] = C(C(in[2i], in[2i+1]), H(rows(i))): the parents of a layer into which shorter
  /// matrices enter (Plonky3's MMCS injection rule).
  /// Preconditions: in.size() == 2 * out.size(); no overlap; matrices non-empty, each of height
  /// out.size(). Cost: out.size() * (2 + ceil(total width / 8)) permutations.
  virtual void compress_and_inject(std::span<const digest> in, std::span<const matrix_ref> matrices,
                                   std::span<digest> out) = 0;
};

/// The CPU implementation: TBB across blocks of rows (or of nodes), packed Poseidon2
/// (poseidon2_packed.hpp, one permutation per SIMD lane) within a block. Stateless and
/// thread-safe.
class cpu_merkle_hasher final : public merkle_hasher {
 public:
  void hash_leaves(std::span<const matrix_ref> matrices, std::span<digest> out) override;
  void compress_layer(std::span<const digest> in, std::span<digest> out) override;
  void compress_and_inject(std::span<const digest> in, std::span<const matrix_ref> matrices,
                           std::span<digest> out) override;
};

}  // namespace ciro::hash
