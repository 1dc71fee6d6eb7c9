#pragma once

// A Merkle commitment to several BabyBear matrices of different heights at once: the structure of
// Plonky3's MerkleTreeMmcs (merkle-tree/src/merkle_tree.rs and mmcs/) with arity 2 and cap height
// 0, hashed with PaddingFreeSponge<Poseidon2BabyBear<16>, 16, 8, 8> (H below) and compressed with
// TruncatedPermutation<Poseidon2BabyBear<16>, 2, 8, 16> (C below), as sponge.hpp defines them.
//
// ## The tree (what another implementation must reproduce bit for bit)
//
// Input: matrices M_0, ..., M_{t-1} (t >= 1), matrix j of height h_j and width w_j. Every h_j
// must be a power of two (1 is allowed); width 0 is allowed. Let H = max_j h_j = 2^L. Row i of
// M_j always means its logical row (matrix_ref::row(i)): a matrix committed with bit_reversed_rows
// is committed exactly as its row-bit-reversed copy (logical row i is stored row
// bitrev_{log2 h_j}(i)), so the layers, the root and every opening (open() returns logical rows)
// equal those of committing that copy without the flag, and nothing is copied. The flag is the
// prover's storage detail: verify_batch sees only the logical matrices and does not depend on it.
//
// 1. Order the matrices by height, tallest first, keeping the caller's order among equal heights
//    (a stable sort, as Plonky3's `sorted_by_key(Reverse(height))`). For a height h, the group
//    G(h) is the list of matrices of height h in that order, and for a node index i,
//    rows_h(i) = M_a[i] || M_b[i] || ... over G(h) (row i of each, concatenated; a matrix of
//    width 0 contributes nothing).
// 2. Layer 0 (the leaves) has H digests: D_0[i] = H(rows_H(i)). (A leaf of total width 0 is the
//    zero digest, since the padding-free sponge of nothing is the zero state.)
// 3. Layer k = 1..L has H / 2^k digests:
//        D_k[i] = C(D_{k-1}[2i], D_{k-1}[2i+1])                       if G(H / 2^k) is empty,
//        D_k[i] = C(C(D_{k-1}[2i], D_{k-1}[2i+1]), H(rows_{H/2^k}(i)))   otherwise,
//    i.e. a matrix of height h enters the tree at the layer of h nodes (Plonky3's
//    compress_and_inject with arity 2: the compressed pair is the left input, the row hash the
//    right input).
// 4. The root is D_L[0]. With H = 1 (every matrix a single row) the root is H(rows_1(0)).
//
// Query index q < H opens row q >> (L - log2 h_j) of matrix j: the row whose node is an ancestor
// (or the leaf) of leaf q.
//
// ## Batch openings
//
// open(indices) takes strictly increasing leaf indices q_0 < q_1 < ... < q_{n-1} < H and returns
//  - rows[a][j]: the opened row of matrix j (caller order) for query a;
//  - siblings: every digest the verifier cannot compute, each sent once, in this canonical order:
//    let K_0 = {q_a}; for k = 0, ..., L-1, walk K_k in ascending order, and for each node i whose
//    sibling i ^ 1 is not in K_k, append D_k[i ^ 1]; then K_{k+1} = {i >> 1 : i in K_k}.
//    So siblings are grouped by layer (leaves first) and ascending by node index within a layer.
//
// verify_batch(root, dims, indices, opening) recomputes the root from the opening and accepts
// exactly the openings open() produces for that commitment. It rejects, naming the reason:
// malformed dimensions; indices that are not strictly increasing or out of range; a row count,
// matrix count or row width that disagrees with `dims`; a non-canonical element; two queries that
// share a row of a shorter matrix but open it differently; too few or too many siblings; and a
// root mismatch. Work and memory are O(size of the opening + n L) and it never reads past what
// the opening holds, so hostile openings cannot crash it or make it allocate.
//
// ## Differences from Plonky3
//
// - Heights must be powers of two (Plonky3 also accepts heights that round up compatibly and pads
//   layers with zero digests); for power-of-two heights both give the same root.
// - No Merkle cap (cap height 0) and arity 2 only.
// - The opening format is our own deduplicated one (Plonky3's `open_batch` sends a full path per
//   query; its pruned variant differs in layout). Duplicate or unsorted query indices are
//   rejected rather than merged: the caller sorts and deduplicates.

#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "core/buffer.hpp"
#include "core/result.hpp"
#include "field/babybear.hpp"
#include "hash/merkle_hasher.hpp"
#include "hash/sponge.hpp"

namespace ciro::hash {

/// Why a commitment's dimensions or an opening was rejected.
enum class merkle_error_code : std::uint8_t {
  no_matrices,              ///< the dimensions list is empty
  height_not_power_of_two,  ///< a matrix height is 0 or not a power of two
  wrong_query_count,        ///< the opening holds a different number of queries than indices
  indices_not_increasing,   ///< the indices are unsorted or repeat
  index_out_of_range,       ///< an index is >= the tallest height
  wrong_matrix_count,       ///< a query opens a different number of matrices than committed
  wrong_row_width,          ///< an opened row's length differs from its matrix's width
  non_canonical_element,    ///< an opened element or sibling holds a value >= p
  inconsistent_rows,        ///< two queries open the same row of a shorter matrix differently
  missing_sibling,          ///< the sibling list ended before the root was reached
  extra_siblings,           ///< siblings were left over after the root was reached
  root_mismatch,            ///< the recomputed root differs from the commitment
};

/// The enumerator's name, e.g. "root_mismatch".
const char* to_string(merkle_error_code code);

using merkle_error = ciro::error<merkle_error_code>;

/// An opening of several leaves of one tree (see the file comment for the layout).
struct batch_opening {
  /// rows[a][j] is the opened row of matrix j (in commit order) for the a-th query index.
  std::vector<std::vector<std::vector<babybear>>> rows;
  /// The deduplicated authentication digests, in the canonical order.
  std::vector<digest> siblings;
  friend bool operator==(const batch_opening&, const batch_opening&) = default;
};

/// Checks that `dims` is non-empty and every height is a power of two; returns log2 of the
/// tallest height.
ciro::result<unsigned, merkle_error_code> merkle_log_height(std::span<const matrix_dims> dims);

/// A Merkle tree over several matrices (the prover's side). It keeps every digest layer and
/// references (does not copy) the matrices: they must outlive the tree and not change.
class merkle_tree {
 public:
  /// Builds the tree of the file comment through `hasher` (leaf hashing and layer compression).
  /// Rejects with no_matrices or height_not_power_of_two. Cost: sum_j h_j ceil(w_j / 8) (about;
  /// rows of equal height share sponge blocks) + H - 1 + (number of injected rows) permutations;
  /// memory 2 H digests.
  static ciro::result<merkle_tree, merkle_error_code> commit(merkle_hasher& hasher, std::vector<matrix_ref> matrices);

  /// The commitment D_L[0].
  const digest& root() const { return layers_.back()[0]; }
  /// The matrices, in the caller's order.
  std::span<const matrix_ref> matrices() const { return matrices_; }
  /// The dimensions of the matrices, in the caller's order (what the verifier needs).
  std::vector<matrix_dims> dims() const;
  /// log2 of the tallest height (the number of compression layers).
  unsigned log_height() const { return log_height_; }
  /// Layer k (0 = leaves, log_height() = the root): 2^(log_height() - k) digests.
  std::span<const digest> layer(unsigned k) const { return layers_.at(k); }

  /// The batch opening of `indices` (the opened rows are logical rows, matrix_ref::row).
  /// Precondition (checked): indices strictly increasing, each < 2^log_height(). Cost: copies the
  /// opened rows and at most n log_height() digests.
  batch_opening open(std::span<const std::size_t> indices) const;

 private:
  merkle_tree() = default;
  std::vector<matrix_ref> matrices_;
  std::vector<buffer<digest>> layers_;  // every digest is written by commit()
  unsigned log_height_ = 0;
};

/// Verifies that `opening` opens `indices` of a commitment with root `root` to matrices of
/// dimensions `dims` (commit order). Accepts (an empty value) or names the first failure found;
/// checks are done in the order of merkle_error_code. An empty index list is accepted when the
/// opening is empty too.
ciro::result<std::monostate, merkle_error_code> verify_batch(const digest& root, std::span<const matrix_dims> dims,
                                                             std::span<const std::size_t> indices,
                                                             const batch_opening& opening);

}  // namespace ciro::hash
