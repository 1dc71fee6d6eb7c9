#include "hash/merkle_hasher.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <bit>
#include <vector>

#include "core/check.hpp"
#include "hash/poseidon2_packed.hpp"

namespace ciro::hash {
namespace {

static_assert(sizeof(digest) == digest_elems * sizeof(babybear), "digests must be packed arrays of elements");

babybear* elems(digest* d) { return d->data(); }
const babybear* elems(const digest* d) { return d->data(); }

/// About this many permutations per TBB task: large enough to amortise scheduling and the
/// lane-major gathers, small enough to balance two to a few dozen cores.
constexpr std::size_t perms_per_task = 2048;

/// Rows per task when each row costs `perms_per_row` permutations: a multiple of 16 (the widest
/// SIMD group) so that only the last task has a partial group.
std::size_t grain_rows(std::size_t perms_per_row) {
  const std::size_t rows = perms_per_task / std::max<std::size_t>(perms_per_row, 1);
  return std::max<std::size_t>(16, rows / 16 * 16);
}

std::size_t total_width(std::span<const matrix_ref> matrices) {
  std::size_t w = 0;
  for (const matrix_ref& m : matrices) w += m.width;
  return w;
}

/// Views of logical rows [begin, ...) of every matrix, in `views` (same length as matrices). A
/// bit-reversed matrix is viewed whole, from stored row 0, with its logical rows counted from
/// `begin`: the packed sponge gathers each lane's row from its stored position.
void views_from(std::span<const matrix_ref> matrices, std::size_t begin, std::span<row_major_view> views) {
  for (std::size_t k = 0; k < matrices.size(); ++k) {
    const matrix_ref& m = matrices[k];
    if (m.bit_reversed_rows && m.width != 0) {
      views[k] = {m.data, m.width, m.width, true, static_cast<unsigned>(std::countr_zero(m.height)), begin};
    } else {
      views[k] = {m.width == 0 ? m.data : m.data + begin * m.width, m.width, m.width};
    }
  }
}

template <class Body>
void for_blocks(std::size_t n, std::size_t grain, Body body) {
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, grain),
                    [&](const tbb::blocked_range<std::size_t>& r) { body(r.begin(), r.end() - r.begin()); });
}

void check_heights(std::span<const matrix_ref> matrices, std::size_t height) {
  CIRO_CHECK(!matrices.empty());
  for (const matrix_ref& m : matrices) CIRO_CHECK(m.height == height);
}

}  // namespace

void cpu_merkle_hasher::hash_leaves(std::span<const matrix_ref> matrices, std::span<digest> out) {
  check_heights(matrices, out.size());
  const std::size_t perms = (total_width(matrices) + sponge_rate - 1) / sponge_rate;
  for_blocks(out.size(), grain_rows(perms), [&](std::size_t begin, std::size_t count) {
    std::vector<row_major_view> views(matrices.size());
    views_from(matrices, begin, views);
    hash_rows(views, count, elems(out.data() + begin));
  });
}

void cpu_merkle_hasher::compress_layer(std::span<const digest> in, std::span<digest> out) {
  CIRO_CHECK(in.size() == 2 * out.size());
  for_blocks(out.size(), grain_rows(1), [&](std::size_t begin, std::size_t count) {
    compress_pairs(elems(in.data() + 2 * begin), count, elems(out.data() + begin));
  });
}

void cpu_merkle_hasher::compress_and_inject(std::span<const digest> in, std::span<const matrix_ref> matrices,
                                            std::span<digest> out) {
  CIRO_CHECK(in.size() == 2 * out.size());
  check_heights(matrices, out.size());
  const std::size_t perms = 2 + (total_width(matrices) + sponge_rate - 1) / sponge_rate;
  for_blocks(out.size(), grain_rows(perms), [&](std::size_t begin, std::size_t count) {
    std::vector<row_major_view> views(matrices.size());
    views_from(matrices, begin, views);
    std::vector<digest> row_digests(count);
    hash_rows(views, count, elems(row_digests.data()));
    babybear* dst = elems(out.data() + begin);
    compress_pairs(elems(in.data() + 2 * begin), count, dst);
    compress(dst, elems(row_digests.data()), count, dst);  // in place: out equals left
  });
}

}  // namespace ciro::hash
