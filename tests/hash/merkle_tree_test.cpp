#include "hash/merkle_tree.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <functional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "hash/merkle_hasher.hpp"
#include "hash/sponge.hpp"
#include "tests/support/seed.hpp"
#include "tests/support/simd_targets.hpp"

namespace {

using ciro::field::babybear;
using namespace ciro::hash;
using code = merkle_error_code;

/// Owning matrices for a test, with refs into them.
struct matrices {
  std::vector<std::vector<babybear>> storage;
  std::vector<matrix_ref> refs;
  std::vector<matrix_dims> dims;
};

matrices random_matrices(ciro::test::seeded_rng& rng, const std::vector<matrix_dims>& shapes) {
  matrices m;
  m.storage.reserve(shapes.size());
  for (const matrix_dims& d : shapes) {
    std::vector<babybear> v(d.height * d.width);
    for (auto& x : v) x = babybear::from_u64(rng.next());
    m.storage.push_back(std::move(v));
    m.refs.push_back({m.storage.back().empty() ? nullptr : m.storage.back().data(), d.height, d.width});
    m.dims.push_back(d);
  }
  return m;
}

/// The slow reference: the definition of the file comment of merkle_tree.hpp, recursively, with
/// the scalar sponge and compression. node(k, i) is D_k[i].
struct reference_tree {
  const std::vector<matrix_ref>& ms;
  unsigned log_height;

  /// H(row i of every matrix of height h, tallest-first stable order = commit order here).
  std::optional<digest> rows_hash(std::size_t h, std::size_t i) const {
    padding_free_sponge sponge;
    bool any = false;
    for (const matrix_ref& m : ms) {
      if (m.height != h) continue;
      any = true;
      sponge.absorb(m.row(i));
    }
    if (!any) return std::nullopt;
    return sponge.finish();
  }
  digest node(unsigned k, std::size_t i) const {
    const std::size_t h = std::size_t{1} << (log_height - k);
    if (k == 0) return *rows_hash(h, i);
    digest d = compress(node(k - 1, 2 * i), node(k - 1, 2 * i + 1));
    if (const auto injected = rows_hash(h, i)) d = compress(d, *injected);
    return d;
  }
};

unsigned log_max_height(const std::vector<matrix_dims>& dims) {
  std::size_t h = 0;
  for (const auto& d : dims) h = std::max(h, d.height);
  return static_cast<unsigned>(std::countr_zero(h));
}

merkle_tree commit_ok(const matrices& m) {
  cpu_merkle_hasher hasher;
  auto tree = merkle_tree::commit(hasher, m.refs);
  EXPECT_TRUE(tree.has_value());
  return std::move(tree).value();
}

// Shapes: single matrices, several heights (the shorter ones injected), equal heights in an order
// that is not by width, width 0, a single row, heights given shortest first.
const std::vector<std::vector<matrix_dims>> shapes = {
    {{8, 3}},
    {{1, 5}},
    {{1, 0}},
    {{16, 8}},
    {{4, 0}},
    {{16, 8}, {4, 1}, {8, 0}},
    {{32, 9}, {32, 2}, {2, 17}},
    {{2, 17}, {8, 3}, {32, 2}, {8, 1}, {1, 4}},
    {{64, 1}, {1, 8}, {64, 16}},
    {{4, 3}, {4, 0}, {4, 5}},
};

TEST(MerkleTree, EveryLayerMatchesTheRecursiveReference) {
  ciro::test::seeded_rng rng;
  for (const auto& shape : shapes) {
    const matrices m = random_matrices(rng, shape);
    const merkle_tree tree = commit_ok(m);
    const unsigned L = log_max_height(shape);
    ASSERT_EQ(tree.log_height(), L);
    // The reference hashes equal-height matrices in commit order, which is Plonky3's stable order.
    const reference_tree ref{m.refs, L};
    for (unsigned k = 0; k <= L; ++k) {
      const auto layer = tree.layer(k);
      ASSERT_EQ(layer.size(), std::size_t{1} << (L - k));
      for (std::size_t i = 0; i < layer.size(); ++i) ASSERT_EQ(layer[i], ref.node(k, i)) << "k=" << k << " i=" << i;
    }
    EXPECT_EQ(tree.root(), ref.node(L, 0));
    EXPECT_EQ(tree.dims(), m.dims);
  }
}

TEST(MerkleTree, LargeTreesSpanningManyTasksMatchTheReference) {
  ciro::test::seeded_rng rng;
  const std::vector<matrix_dims> shape = {{1 << 11, 20}, {1 << 11, 3}, {1 << 9, 33}, {1 << 4, 2}};
  const matrices m = random_matrices(rng, shape);
  const merkle_tree tree = commit_ok(m);
  const reference_tree ref{m.refs, 11};
  for (unsigned k = 0; k <= 11; ++k) {
    const auto layer = tree.layer(k);
    for (std::size_t i = 0; i < layer.size(); i += 1 + i / 7) ASSERT_EQ(layer[i], ref.node(k, i)) << k << " " << i;
  }
  EXPECT_EQ(tree.root(), ref.node(11, 0));
}

TEST(MerkleTree, SingleRowOfOneMatrixIsItsRowHash) {
  ciro::test::seeded_rng rng;
  const matrices m = random_matrices(rng, {{1, 11}});
  EXPECT_EQ(commit_ok(m).root(), hash_elements(m.refs[0].row(0)));
}

TEST(MerkleTree, CommitRejectsBadHeights) {
  cpu_merkle_hasher hasher;
  const std::vector<babybear> data(12);
  EXPECT_EQ(merkle_tree::commit(hasher, {}).error().code, code::no_matrices);
  EXPECT_EQ(merkle_tree::commit(hasher, {{data.data(), 3, 4}}).error().code, code::height_not_power_of_two);
  EXPECT_EQ(merkle_tree::commit(hasher, {{data.data(), 4, 3}, {data.data(), 0, 0}}).error().code,
            code::height_not_power_of_two);
  EXPECT_EQ(merkle_tree::commit(hasher, {{data.data(), 4, 3}, {data.data(), 6, 2}}).error().code,
            code::height_not_power_of_two);
}

std::vector<std::size_t> random_subset(ciro::test::seeded_rng& rng, std::size_t height, std::size_t count) {
  std::set<std::size_t> s;
  while (s.size() < std::min(count, height)) s.insert(rng.below(height));
  return {s.begin(), s.end()};
}

TEST(MerkleTree, RandomBatchOpeningsVerify) {
  ciro::test::seeded_rng rng;
  for (const auto& shape : shapes) {
    const matrices m = random_matrices(rng, shape);
    const merkle_tree tree = commit_ok(m);
    const std::size_t height = std::size_t{1} << tree.log_height();
    for (const std::size_t count :
         {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{3}, height / 2, height}) {
      const auto indices = random_subset(rng, height, count);
      const batch_opening opening = tree.open(indices);
      const auto verdict = verify_batch(tree.root(), m.dims, indices, opening);
      ASSERT_TRUE(verdict.has_value()) << verdict.error().message;
      // The opened rows are the rows of each matrix at the scaled index.
      for (std::size_t a = 0; a < indices.size(); ++a) {
        for (std::size_t j = 0; j < m.refs.size(); ++j) {
          const std::size_t row = indices[a] / (height / m.refs[j].height);
          const auto expected = m.refs[j].row(row);
          ASSERT_TRUE(
              std::equal(expected.begin(), expected.end(), opening.rows[a][j].begin(), opening.rows[a][j].end()));
        }
      }
    }
  }
}

TEST(MerkleTree, OpeningSendsEachSiblingOnce) {
  ciro::test::seeded_rng rng;
  const matrices m = random_matrices(rng, {{16, 4}});
  const merkle_tree tree = commit_ok(m);
  // One query: a full path, leaves first.
  auto one = tree.open(std::vector<std::size_t>{5});
  ASSERT_EQ(one.siblings.size(), 4u);
  EXPECT_EQ(one.siblings[0], tree.layer(0)[4]);
  EXPECT_EQ(one.siblings[1], tree.layer(1)[3]);
  EXPECT_EQ(one.siblings[2], tree.layer(2)[0]);
  EXPECT_EQ(one.siblings[3], tree.layer(3)[1]);
  // Siblings of each other: the leaf layer needs nothing.
  EXPECT_EQ(tree.open(std::vector<std::size_t>{4, 5}).siblings.size(), 3u);
  // 0 and 3 share their path from layer 1 up: leaves 1, 2, then layer-2 node 1, layer-3 node 1.
  const auto shared = tree.open(std::vector<std::size_t>{0, 3});
  ASSERT_EQ(shared.siblings.size(), 4u);
  EXPECT_EQ(shared.siblings[0], tree.layer(0)[1]);
  EXPECT_EQ(shared.siblings[1], tree.layer(0)[2]);
  EXPECT_EQ(shared.siblings[2], tree.layer(2)[1]);
  EXPECT_EQ(shared.siblings[3], tree.layer(3)[1]);
  // Every leaf: nothing to send.
  std::vector<std::size_t> all(16);
  for (std::size_t i = 0; i < 16; ++i) all[i] = i;
  EXPECT_TRUE(tree.open(all).siblings.empty());
}

/// A tree with an injected matrix and an opening whose queries share rows of the short matrices.
struct fixture {
  ciro::test::seeded_rng rng;
  matrices m = random_matrices(rng, {{16, 5}, {4, 3}, {2, 0}, {16, 2}});
  merkle_tree tree = commit_ok(m);
  std::vector<std::size_t> indices = {1, 2, 3, 9, 14};
  batch_opening opening = tree.open(indices);

  code reject(const batch_opening& o) const { return reject(o, indices, m.dims); }
  code reject(const batch_opening& o, const std::vector<std::size_t>& idx, const std::vector<matrix_dims>& dims) const {
    const auto verdict = verify_batch(tree.root(), dims, idx, o);
    EXPECT_FALSE(verdict.has_value());
    if (verdict.has_value()) return code::no_matrices;
    EXPECT_FALSE(verdict.error().message.empty());
    return verdict.error().code;
  }
};

TEST(MerkleTree, EveryAlteredOpenedElementIsRejected) {
  fixture f;
  ASSERT_TRUE(verify_batch(f.tree.root(), f.m.dims, f.indices, f.opening).has_value());
  for (std::size_t a = 0; a < f.opening.rows.size(); ++a) {
    for (std::size_t j = 0; j < f.opening.rows[a].size(); ++j) {
      for (std::size_t c = 0; c < f.opening.rows[a][j].size(); ++c) {
        for (const std::uint32_t flip : {1u, 1u << 30}) {
          batch_opening bad = f.opening;
          auto& x = bad.rows[a][j][c];
          x = babybear::from_canonical((x.to_canonical() ^ flip) % babybear::modulus);
          const code why = f.reject(bad);
          // Rows 1, 2, 3 share row 0 of the 4-row matrix: altering one copy is inconsistent.
          EXPECT_TRUE(why == code::root_mismatch || why == code::inconsistent_rows) << ciro::hash::to_string(why);
        }
      }
    }
  }
}

TEST(MerkleTree, EveryAlteredSiblingIsRejected) {
  fixture f;
  ASSERT_FALSE(f.opening.siblings.empty());
  for (std::size_t s = 0; s < f.opening.siblings.size(); ++s) {
    for (std::size_t e = 0; e < digest_elems; ++e) {
      batch_opening bad = f.opening;
      bad.siblings[s][e] += babybear::one();
      EXPECT_EQ(f.reject(bad), code::root_mismatch) << s << " " << e;
    }
  }
  // Swapping two siblings.
  batch_opening swapped = f.opening;
  std::swap(swapped.siblings.front(), swapped.siblings.back());
  EXPECT_EQ(f.reject(swapped), code::root_mismatch);
}

TEST(MerkleTree, InconsistentCopiesOfAShortRowAreRejectedAndConsistentOnesReachTheRoot) {
  fixture f;
  // Queries 1, 2, 3 (positions 0, 1, 2) open row 0 of matrix 1 (height 4): change all copies.
  batch_opening bad = f.opening;
  for (std::size_t a = 0; a < 3; ++a) bad.rows[a][1][0] += babybear::one();
  EXPECT_EQ(f.reject(bad), code::root_mismatch);
  bad.rows[2][1][0] += babybear::one();
  EXPECT_EQ(f.reject(bad), code::inconsistent_rows);
}

TEST(MerkleTree, NonCanonicalElementsAreRejected) {
  fixture f;
  batch_opening bad = f.opening;
  bad.rows[0][0][0] = babybear::from_monty(babybear::modulus);
  EXPECT_EQ(f.reject(bad), code::non_canonical_element);
  bad = f.opening;
  bad.siblings[0][3] = babybear::from_monty(0xffffffffu);
  EXPECT_EQ(f.reject(bad), code::non_canonical_element);
}

TEST(MerkleTree, TruncatedOrExtendedOpeningsAreRejected) {
  fixture f;
  batch_opening bad = f.opening;
  bad.siblings.pop_back();
  EXPECT_EQ(f.reject(bad), code::missing_sibling);
  bad = f.opening;
  bad.siblings.clear();
  EXPECT_EQ(f.reject(bad), code::missing_sibling);
  bad = f.opening;
  bad.siblings.push_back(bad.siblings.front());
  EXPECT_EQ(f.reject(bad), code::extra_siblings);
  bad = f.opening;
  bad.rows.pop_back();
  EXPECT_EQ(f.reject(bad), code::wrong_query_count);
  bad = f.opening;
  bad.rows.push_back(bad.rows.back());
  EXPECT_EQ(f.reject(bad), code::wrong_query_count);
  bad = f.opening;
  bad.rows[2].pop_back();
  EXPECT_EQ(f.reject(bad), code::wrong_matrix_count);
  bad = f.opening;
  bad.rows[2].push_back({});
  EXPECT_EQ(f.reject(bad), code::wrong_matrix_count);
  for (std::size_t j = 0; j < 4; ++j) {
    bad = f.opening;
    bad.rows[4][j].push_back(babybear::one());
    EXPECT_EQ(f.reject(bad), code::wrong_row_width) << j;
    if (!f.opening.rows[4][j].empty()) {
      bad = f.opening;
      bad.rows[4][j].pop_back();
      EXPECT_EQ(f.reject(bad), code::wrong_row_width) << j;
    }
  }
  // An empty opening for a non-empty query set, and siblings for an empty one.
  EXPECT_EQ(f.reject(batch_opening{}), code::wrong_query_count);
  EXPECT_EQ(f.reject(batch_opening{{}, {f.opening.siblings[0]}}, {}, f.m.dims), code::extra_siblings);
  EXPECT_TRUE(verify_batch(f.tree.root(), f.m.dims, {}, batch_opening{}).has_value());
}

TEST(MerkleTree, BadIndicesAreRejected) {
  fixture f;
  EXPECT_EQ(f.reject(f.opening, {1, 2, 3, 9, 16}, f.m.dims), code::index_out_of_range);
  EXPECT_EQ(f.reject(f.opening, {1, 2, 3, 9, ~std::size_t{0}}, f.m.dims), code::index_out_of_range);
  EXPECT_EQ(f.reject(f.opening, {2, 1, 3, 9, 14}, f.m.dims), code::indices_not_increasing);
  EXPECT_EQ(f.reject(f.opening, {1, 2, 2, 9, 14}, f.m.dims), code::indices_not_increasing);
  // Valid indices other than the opened ones.
  EXPECT_EQ(f.reject(f.opening, {1, 2, 3, 9, 15}, f.m.dims), code::root_mismatch);
  EXPECT_EQ(f.reject(f.opening, {0, 2, 3, 9, 14}, f.m.dims), code::root_mismatch);
}

TEST(MerkleTree, WrongDimensionsAreRejected) {
  fixture f;
  auto dims = f.m.dims;
  EXPECT_EQ(f.reject(f.opening, f.indices, {}), code::no_matrices);
  dims[1].height = 3;
  EXPECT_EQ(f.reject(f.opening, f.indices, dims), code::height_not_power_of_two);
  dims = f.m.dims;
  dims[1].height = 0;
  EXPECT_EQ(f.reject(f.opening, f.indices, dims), code::height_not_power_of_two);
  dims = f.m.dims;
  dims[0].width += 1;
  EXPECT_EQ(f.reject(f.opening, f.indices, dims), code::wrong_row_width);
  dims = f.m.dims;
  dims.pop_back();
  EXPECT_EQ(f.reject(f.opening, f.indices, dims), code::wrong_matrix_count);
  // A different height for the injected matrix changes where it enters: the root differs.
  dims = f.m.dims;
  dims[1].height = 8;
  EXPECT_NE(f.reject(f.opening, f.indices, dims), code::no_matrices);
  // A tree twice as tall (every height doubled): the opening is a level short.
  dims = f.m.dims;
  for (auto& d : dims) d.height *= 2;
  EXPECT_EQ(f.reject(f.opening, f.indices, dims), code::missing_sibling);
}

TEST(MerkleTree, OpeningOfAnotherTreeIsRejected) {
  fixture f;
  ciro::test::seeded_rng rng2;
  rng2.next();
  const matrices other = random_matrices(rng2, f.m.dims);
  const merkle_tree tree2 = commit_ok(other);
  EXPECT_FALSE(verify_batch(tree2.root(), f.m.dims, f.indices, f.opening).has_value());
  EXPECT_TRUE(verify_batch(tree2.root(), f.m.dims, f.indices, tree2.open(f.indices)).has_value());
}

/// bitrev_k(r), written independently of the library (bit by bit).
std::size_t reversed(std::size_t r, std::size_t height) {
  const auto k = static_cast<unsigned>(std::countr_zero(height));
  std::size_t out = 0;
  for (unsigned b = 0; b < k; ++b) out |= ((r >> b) & 1) << (k - 1 - b);
  return out;
}

/// A matrix shape and whether it is committed with bit_reversed_rows.
struct flagged_shape {
  matrix_dims dims;
  bool bit_reversed = false;
};

/// Mixed heights (1, 2, 8, 64, 1024; injected and leaf matrices, equal heights with and without
/// the flag) and widths (0, 1, 7, 16, 37). The 1024 x 38 leaf group of the fourth set is hashed in
/// several TBB blocks, so the gather of a flagged matrix starts at rows other than 0.
const std::vector<std::vector<flagged_shape>> flagged_shapes = {
    {{{1024, 7}, true}},
    {{{1, 37}, true}},
    {{{1024, 16}, true}, {{64, 37}, true}, {{8, 1}, false}, {{2, 0}, true}, {{1, 7}, true}},
    {{{64, 16}, false}, {{1024, 1}, false}, {{1024, 37}, true}, {{8, 7}, true}, {{2, 16}, true}, {{1, 0}, false}},
    {{{8, 37}, true}, {{8, 0}, true}, {{8, 7}, false}, {{2, 1}, true}, {{1, 16}, true}},
    {{{64, 7}, true}, {{1024, 0}, true}, {{2, 37}, false}, {{1024, 16}, true}, {{64, 1}, true}},
};

/// Random matrices of `shape` with their flags set, and their explicit row-bit-reversed copies
/// (stored row r of the copy = stored row bitrev(r) of the original) without the flag; a matrix
/// without the flag is its own copy.
struct flagged_matrices {
  matrices flagged;
  matrices copies;
};

flagged_matrices random_flagged_matrices(ciro::test::seeded_rng& rng, const std::vector<flagged_shape>& shape) {
  std::vector<matrix_dims> dims;
  for (const flagged_shape& f : shape) dims.push_back(f.dims);
  flagged_matrices out{random_matrices(rng, dims), {}};
  out.copies.storage.reserve(shape.size());
  for (std::size_t j = 0; j < shape.size(); ++j) {
    const auto& [height, width] = shape[j].dims;
    const std::vector<babybear>& stored = out.flagged.storage[j];
    std::vector<babybear> copy(stored.size());
    for (std::size_t r = 0; r < height; ++r) {
      const std::size_t from = shape[j].bit_reversed ? reversed(r, height) : r;
      std::copy_n(stored.begin() + static_cast<std::ptrdiff_t>(from * width), width,
                  copy.begin() + static_cast<std::ptrdiff_t>(r * width));
    }
    out.copies.storage.push_back(std::move(copy));
    out.copies.refs.push_back(
        {out.copies.storage.back().empty() ? nullptr : out.copies.storage.back().data(), height, width});
    out.copies.dims.push_back(shape[j].dims);
    out.flagged.refs[j].bit_reversed_rows = shape[j].bit_reversed;
  }
  return out;
}

TEST(MerkleTree, MatrixRefRowReadsTheBitReversedStoredRow) {
  std::vector<babybear> data(16);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = babybear::from_u64(i);
  const matrix_ref m{data.data(), 8, 2, true};
  for (std::size_t r = 0; r < 8; ++r) {
    const std::size_t stored = reversed(r, 8);  // 0 4 2 6 1 5 3 7
    ASSERT_EQ(m.stored_row(r), stored);
    ASSERT_EQ(m.row(r).data(), data.data() + 2 * stored);
    ASSERT_EQ(m.row(r).size(), 2u);
  }
  EXPECT_EQ(m.stored_row(1), 4u);
  EXPECT_EQ(m.stored_row(6), 3u);
  // Height 1: bitrev_0(0) = 0.
  EXPECT_EQ((matrix_ref{data.data(), 1, 16, true}.row(0).data()), data.data());
  // Without the flag, logical rows are stored rows.
  EXPECT_EQ((matrix_ref{data.data(), 8, 2}.row(1).data()), data.data() + 2);
}

TEST(MerkleTree, BitReversedMatricesCommitAndOpenExactlyAsTheirBitReversedCopies) {
  ciro::test::seeded_rng rng;
  for (std::size_t set = 0; set < flagged_shapes.size(); ++set) {
    SCOPED_TRACE("shape set " + std::to_string(set));
    const flagged_matrices m = random_flagged_matrices(rng, flagged_shapes[set]);
    for (std::size_t j = 0; j < m.flagged.refs.size(); ++j) {
      for (std::size_t r = 0; r < m.flagged.refs[j].height; ++r) {
        const auto row = m.flagged.refs[j].row(r), expected = m.copies.refs[j].row(r);
        ASSERT_TRUE(std::equal(row.begin(), row.end(), expected.begin(), expected.end())) << j << " " << r;
      }
    }
    const merkle_tree copy_tree = commit_ok(m.copies);
    // The packed leaf gather and injection honour the flag on every SIMD target (partial last
    // groups included: heights 2 and 8 are below the lane count).
    ciro::test::for_each_simd_target([&] {
      const merkle_tree tree = commit_ok(m.flagged);
      ASSERT_EQ(tree.log_height(), copy_tree.log_height());
      for (unsigned k = 0; k <= tree.log_height(); ++k) {
        const auto layer = tree.layer(k), expected = copy_tree.layer(k);
        ASSERT_TRUE(std::equal(layer.begin(), layer.end(), expected.begin(), expected.end())) << "layer " << k;
      }
      EXPECT_EQ(tree.root(), copy_tree.root());
    });
    const merkle_tree tree = commit_ok(m.flagged);
    EXPECT_EQ(tree.dims(), m.copies.dims);
    const std::size_t height = std::size_t{1} << tree.log_height();
    for (const std::size_t count :
         {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{5}, height / 2, height}) {
      const auto indices = random_subset(rng, height, count);
      const batch_opening opening = tree.open(indices);
      ASSERT_EQ(opening, copy_tree.open(indices)) << "count " << count;
      const auto verdict = verify_batch(tree.root(), m.flagged.dims, indices, opening);
      ASSERT_TRUE(verdict.has_value()) << verdict.error().message;
    }
  }
}

TEST(MerkleTree, TamperedRowsOfABitReversedCommitmentAreRejected) {
  ciro::test::seeded_rng rng;
  for (std::size_t set = 0; set < flagged_shapes.size(); ++set) {
    SCOPED_TRACE("shape set " + std::to_string(set));
    const flagged_matrices m = random_flagged_matrices(rng, flagged_shapes[set]);
    const merkle_tree tree = commit_ok(m.flagged);
    const std::size_t height = std::size_t{1} << tree.log_height();
    const auto indices = random_subset(rng, height, 6);
    const batch_opening opening = tree.open(indices);
    ASSERT_TRUE(verify_batch(tree.root(), m.flagged.dims, indices, opening).has_value());
    for (std::size_t j = 0; j < m.flagged.refs.size(); ++j) {
      if (m.flagged.refs[j].width == 0) continue;
      batch_opening bad = opening;
      const std::size_t a = rng.below(indices.size());
      bad.rows[a][j][rng.below(m.flagged.refs[j].width)] += babybear::one();
      const auto verdict = verify_batch(tree.root(), m.flagged.dims, indices, bad);
      ASSERT_FALSE(verdict.has_value()) << "matrix " << j << ", query " << a;
      // A row shared by several queries (a shorter matrix) altered in one copy is inconsistent.
      EXPECT_TRUE(verdict.error().code == code::root_mismatch || verdict.error().code == code::inconsistent_rows)
          << ciro::hash::to_string(verdict.error().code);
    }
    // The natural-order rows (what a prover ignoring the flag would send) are rejected too.
    batch_opening natural = opening;
    bool differs = false;
    for (std::size_t a = 0; a < indices.size(); ++a) {
      for (std::size_t j = 0; j < m.flagged.refs.size(); ++j) {
        const matrix_ref& r = m.flagged.refs[j];
        const std::size_t row = indices[a] / (height / r.height);
        const auto stored = std::span<const babybear>(r.data + row * r.width, r.width);
        natural.rows[a][j].assign(stored.begin(), stored.end());
        differs = differs || natural.rows[a][j] != opening.rows[a][j];
      }
    }
    if (differs) {
      EXPECT_FALSE(verify_batch(tree.root(), m.flagged.dims, indices, natural).has_value());
    }
  }
}

TEST(MerkleTree, ErrorCodesHaveNames) {
  EXPECT_STREQ(ciro::hash::to_string(code::root_mismatch), "root_mismatch");
  EXPECT_STREQ(ciro::hash::to_string(code::missing_sibling), "missing_sibling");
}

}  // namespace
