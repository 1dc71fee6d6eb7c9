#include "hash/merkle_tree.hpp"

#include <algorithm>
#include <bit>
#include <string>
#include <utility>

#include "core/check.hpp"
#include "hash/poseidon2_packed.hpp"

namespace ciro::hash {
namespace {

using std::to_string;

merkle_error fail(merkle_error_code code, std::string message) { return {code, std::move(message)}; }

/// Matrix indices in commit order, sorted by height descending, stable (Plonky3's order).
template <class GetHeight>
std::vector<std::size_t> tallest_first(std::size_t count, GetHeight height) {
  std::vector<std::size_t> order(count);
  for (std::size_t j = 0; j < count; ++j) order[j] = j;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return height(a) > height(b); });
  return order;
}

/// groups[s] = the matrices (commit order indices, stable) of height 2^(L - s), for s = 0..L.
template <class GetHeight>
std::vector<std::vector<std::size_t>> groups_by_layer(std::size_t count, unsigned log_height, GetHeight height) {
  std::vector<std::vector<std::size_t>> groups(log_height + 1);
  for (const std::size_t j : tallest_first(count, height)) {
    groups[log_height - static_cast<unsigned>(std::countr_zero(height(j)))].push_back(j);
  }
  return groups;
}

bool canonical(babybear x) { return x.monty() < babybear::modulus; }

}  // namespace

const char* to_string(merkle_error_code code) {
  switch (code) {
    case merkle_error_code::no_matrices:
      return "no_matrices";
    case merkle_error_code::height_not_power_of_two:
      return "height_not_power_of_two";
    case merkle_error_code::wrong_query_count:
      return "wrong_query_count";
    case merkle_error_code::indices_not_increasing:
      return "indices_not_increasing";
    case merkle_error_code::index_out_of_range:
      return "index_out_of_range";
    case merkle_error_code::wrong_matrix_count:
      return "wrong_matrix_count";
    case merkle_error_code::wrong_row_width:
      return "wrong_row_width";
    case merkle_error_code::non_canonical_element:
      return "non_canonical_element";
    case merkle_error_code::inconsistent_rows:
      return "inconsistent_rows";
    case merkle_error_code::missing_sibling:
      return "missing_sibling";
    case merkle_error_code::extra_siblings:
      return "extra_siblings";
    case merkle_error_code::root_mismatch:
      return "root_mismatch";
  }
  return "unknown";
}

ciro::result<unsigned, merkle_error_code> merkle_log_height(std::span<const matrix_dims> dims) {
  if (dims.empty()) return fail(merkle_error_code::no_matrices, "a commitment needs at least one matrix");
  std::size_t max_height = 0;
  for (std::size_t j = 0; j < dims.size(); ++j) {
    if (!std::has_single_bit(dims[j].height)) {
      return fail(merkle_error_code::height_not_power_of_two,
                  "matrix " + to_string(j) + " has height " + to_string(dims[j].height) + ", not a power of two");
    }
    max_height = std::max(max_height, dims[j].height);
  }
  return static_cast<unsigned>(std::countr_zero(max_height));
}

ciro::result<merkle_tree, merkle_error_code> merkle_tree::commit(merkle_hasher& hasher,
                                                                 std::vector<matrix_ref> matrices) {
  std::vector<matrix_dims> dims(matrices.size());
  for (std::size_t j = 0; j < matrices.size(); ++j) dims[j] = matrices[j].dims();
  auto log_height = merkle_log_height(dims);
  if (!log_height) return log_height.error();
  const unsigned L = log_height.value();

  merkle_tree tree;
  tree.log_height_ = L;
  tree.matrices_ = std::move(matrices);
  const auto groups =
      groups_by_layer(tree.matrices_.size(), L, [&](std::size_t j) { return tree.matrices_[j].height; });
  const auto refs_of = [&](const std::vector<std::size_t>& group) {
    std::vector<matrix_ref> refs;
    refs.reserve(group.size());
    for (const std::size_t j : group) refs.push_back(tree.matrices_[j]);
    return refs;
  };

  tree.layers_.resize(L + 1);
  tree.layers_[0] = buffer<digest>(std::size_t{1} << L, uninitialized);
  hasher.hash_leaves(refs_of(groups[0]), tree.layers_[0]);
  for (unsigned k = 1; k <= L; ++k) {
    tree.layers_[k] = buffer<digest>(std::size_t{1} << (L - k), uninitialized);
    if (groups[k].empty()) {
      hasher.compress_layer(tree.layers_[k - 1], tree.layers_[k]);
    } else {
      hasher.compress_and_inject(tree.layers_[k - 1], refs_of(groups[k]), tree.layers_[k]);
    }
  }
  return tree;
}

std::vector<matrix_dims> merkle_tree::dims() const {
  std::vector<matrix_dims> d(matrices_.size());
  for (std::size_t j = 0; j < matrices_.size(); ++j) d[j] = matrices_[j].dims();
  return d;
}

batch_opening merkle_tree::open(std::span<const std::size_t> indices) const {
  const std::size_t height = std::size_t{1} << log_height_;
  for (std::size_t a = 0; a < indices.size(); ++a) {
    CIRO_CHECK(indices[a] < height);
    CIRO_CHECK(a == 0 || indices[a - 1] < indices[a]);
  }
  batch_opening opening;
  opening.rows.resize(indices.size());
  for (std::size_t a = 0; a < indices.size(); ++a) {
    opening.rows[a].reserve(matrices_.size());
    for (const matrix_ref& m : matrices_) {
      const unsigned shift = log_height_ - static_cast<unsigned>(std::countr_zero(m.height));
      const auto row = m.row(indices[a] >> shift);  // the logical row (bit_reversed_rows honoured)
      opening.rows[a].emplace_back(row.begin(), row.end());
    }
  }
  std::vector<std::size_t> known(indices.begin(), indices.end());
  for (unsigned k = 0; k < log_height_; ++k) {
    std::size_t parents = 0;
    for (std::size_t a = 0; a < known.size();) {
      const std::size_t node = known[a];
      if (node % 2 == 0 && a + 1 < known.size() && known[a + 1] == node + 1) {
        a += 2;
      } else {
        opening.siblings.push_back(layers_[k][node ^ 1]);
        a += 1;
      }
      known[parents++] = node >> 1;
    }
    known.resize(parents);
  }
  return opening;
}

ciro::result<std::monostate, merkle_error_code> verify_batch(const digest& root, std::span<const matrix_dims> dims,
                                                             std::span<const std::size_t> indices,
                                                             const batch_opening& opening) {
  using code = merkle_error_code;
  auto log_height = merkle_log_height(dims);
  if (!log_height) return log_height.error();
  const unsigned L = log_height.value();
  const std::size_t height = std::size_t{1} << L;
  const std::size_t n = indices.size();

  if (opening.rows.size() != n) {
    return fail(code::wrong_query_count,
                "the opening holds " + to_string(opening.rows.size()) + " queries, expected " + to_string(n));
  }
  for (std::size_t a = 0; a < n; ++a) {
    if (a > 0 && indices[a - 1] >= indices[a]) {
      return fail(code::indices_not_increasing, "index " + to_string(a) + " (" + to_string(indices[a]) +
                                                    ") does not exceed the previous (" + to_string(indices[a - 1]) +
                                                    ")");
    }
    if (indices[a] >= height) {
      return fail(code::index_out_of_range,
                  "index " + to_string(indices[a]) + " >= tallest height " + to_string(height));
    }
  }
  for (std::size_t a = 0; a < n; ++a) {
    if (opening.rows[a].size() != dims.size()) {
      return fail(code::wrong_matrix_count, "query " + to_string(a) + " opens " + to_string(opening.rows[a].size()) +
                                                " matrices, expected " + to_string(dims.size()));
    }
  }
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t j = 0; j < dims.size(); ++j) {
      if (opening.rows[a][j].size() != dims[j].width) {
        return fail(code::wrong_row_width, "query " + to_string(a) + ", matrix " + to_string(j) + ": row of " +
                                               to_string(opening.rows[a][j].size()) + " elements, expected " +
                                               to_string(dims[j].width));
      }
    }
  }
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t j = 0; j < dims.size(); ++j) {
      for (const babybear x : opening.rows[a][j]) {
        if (!canonical(x)) {
          return fail(code::non_canonical_element,
                      "query " + to_string(a) + ", matrix " + to_string(j) + " holds a value >= p");
        }
      }
    }
  }
  for (std::size_t s = 0; s < opening.siblings.size(); ++s) {
    for (const babybear x : opening.siblings[s]) {
      if (!canonical(x)) return fail(code::non_canonical_element, "sibling " + to_string(s) + " holds a value >= p");
    }
  }
  // Queries a - 1 and a share the row of matrix j exactly when their indices agree above the
  // shift; since the indices are sorted, all queries sharing a row are consecutive.
  for (std::size_t j = 0; j < dims.size(); ++j) {
    const unsigned shift = L - static_cast<unsigned>(std::countr_zero(dims[j].height));
    for (std::size_t a = 1; a < n; ++a) {
      if ((indices[a - 1] >> shift) == (indices[a] >> shift) && opening.rows[a - 1][j] != opening.rows[a][j]) {
        return fail(code::inconsistent_rows, "queries " + to_string(a - 1) + " and " + to_string(a) + " open row " +
                                                 to_string(indices[a] >> shift) + " of matrix " + to_string(j) +
                                                 " differently");
      }
    }
  }
  if (n == 0) {
    if (!opening.siblings.empty()) {
      return fail(code::extra_siblings, to_string(opening.siblings.size()) + " siblings for an empty query set");
    }
    return std::monostate{};
  }

  const auto groups = groups_by_layer(dims.size(), L, [&](std::size_t j) { return dims[j].height; });
  // Every node of a layer is recomputed at once with the packed (SIMD) sponge and compression:
  // the opened rows of a group are gathered into one small row-major matrix (O(size of the
  // opening) memory) and hashed by one hash_rows call, and each layer's pairs by one compress.
  std::vector<babybear> scratch;
  // out[r] = H(rows_s(queries[r])): the digest of the rows of group `s` opened by each query.
  const auto hash_group = [&](std::size_t s, std::span<const std::size_t> queries, digest* out) {
    std::size_t width = 0;
    for (const std::size_t j : groups[s]) width += dims[j].width;  // row widths checked above
    if (width == 0) {
      std::fill(out, out + queries.size(), digest{});
      return;
    }
    scratch.resize(queries.size() * width);
    babybear* dst = scratch.data();
    for (const std::size_t a : queries) {
      for (const std::size_t j : groups[s]) dst = std::copy(opening.rows[a][j].begin(), opening.rows[a][j].end(), dst);
    }
    hash_rows(scratch.data(), queries.size(), width, out->data());
  };

  // The known nodes of the current layer: node index, digest, and the first query below it.
  std::vector<std::size_t> index(indices.begin(), indices.end()), query(n);
  for (std::size_t a = 0; a < n; ++a) query[a] = a;
  std::vector<digest> values(n), left(n), right(n), injected;
  hash_group(0, query, values.data());

  std::size_t next_sibling = 0;
  for (unsigned k = 1; k <= L; ++k) {
    const std::size_t count = index.size();
    std::size_t parents = 0;
    for (std::size_t a = 0; a < count;) {
      const std::size_t current = index[a];
      const bool paired = current % 2 == 0 && a + 1 < count && index[a + 1] == current + 1;
      if (paired) {
        left[parents] = values[a];
        right[parents] = values[a + 1];
      } else {
        if (next_sibling == opening.siblings.size()) {
          return fail(code::missing_sibling,
                      "the siblings ran out at layer " + to_string(k - 1) + ", node " + to_string(current ^ 1));
        }
        const digest& sibling = opening.siblings[next_sibling++];
        left[parents] = current % 2 == 0 ? values[a] : sibling;
        right[parents] = current % 2 == 0 ? sibling : values[a];
      }
      index[parents] = current >> 1;
      query[parents] = query[a];
      ++parents;
      a += paired ? 2 : 1;
    }
    index.resize(parents);
    query.resize(parents);
    values.resize(parents);
    compress(left.data()->data(), right.data()->data(), parents, values.data()->data());
    if (!groups[k].empty()) {
      injected.resize(parents);
      hash_group(k, query, injected.data());
      compress(values.data()->data(), injected.data()->data(), parents, values.data()->data());  // in place
    }
  }
  if (next_sibling != opening.siblings.size()) {
    return fail(code::extra_siblings, to_string(opening.siblings.size() - next_sibling) + " siblings left over");
  }
  if (values.front() != root) return fail(code::root_mismatch, "the recomputed root differs from the commitment");
  return std::monostate{};
}

}  // namespace ciro::hash
