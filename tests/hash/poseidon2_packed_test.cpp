#include "hash/poseidon2_packed.hpp"

#include <gtest/gtest.h>

#include <array>
#include <utility>
#include <vector>

#include "hash/poseidon2.hpp"
#include "hash/sponge.hpp"
#include "tests/support/seed.hpp"
#include "tests/support/simd_targets.hpp"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace {

using ciro::field::babybear;
using namespace ciro::hash;

/// Random elements, with the edge values 0 and p - 1 mixed in.
std::vector<babybear> random_elements(ciro::test::seeded_rng& rng, std::size_t n) {
  std::vector<babybear> v(n);
  for (auto& x : v) {
    const std::uint64_t r = rng.next();
    x = r % 7 == 0 ? babybear::zero() : r % 7 == 1 ? -babybear::one() : babybear::from_u64(r >> 3);
  }
  return v;
}

template <std::size_t W>
std::vector<std::array<babybear, W>> random_states(ciro::test::seeded_rng& rng, std::size_t n) {
  const auto flat = random_elements(rng, n * W);
  std::vector<std::array<babybear, W>> states(n);
  for (std::size_t i = 0; i < n; ++i) std::copy(flat.begin() + i * W, flat.begin() + (i + 1) * W, states[i].begin());
  return states;
}

// Counts around the lane widths (1, 4, 8, 16) exercise the partial last group.
constexpr std::size_t counts[] = {0, 1, 3, 4, 5, 8, 15, 16, 17, 33, 100};

template <std::size_t W>
void expect_permute_many_matches_scalar() {
  ciro::test::seeded_rng rng;
  ciro::test::for_each_simd_target([&] {
    for (const std::size_t n : counts) {
      auto states = random_states<W>(rng, n);
      auto expected = states;
      for (auto& s : expected) poseidon2_permute(s);
      poseidon2_permute_many(std::span(states));
      for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(states[i], expected[i]) << "W=" << W << " n=" << n << " i=" << i;
    }
  });
}

TEST(Poseidon2Packed, Width16EveryTargetMatchesScalar) { expect_permute_many_matches_scalar<16>(); }
TEST(Poseidon2Packed, Width24EveryTargetMatchesScalar) { expect_permute_many_matches_scalar<24>(); }

TEST(Poseidon2Packed, HashRowsEveryTargetMatchesScalarSponge) {
  ciro::test::seeded_rng rng;
  ciro::test::for_each_simd_target([&] {
    for (const std::size_t width : {0u, 1u, 7u, 8u, 9u, 16u, 17u, 100u, 256u}) {
      for (const std::size_t rows : {1u, 5u, 16u, 17u, 37u}) {
        const auto matrix = random_elements(rng, rows * width);
        std::vector<babybear> digests(rows * digest_elems);
        hash_rows(matrix.data(), rows, width, digests.data());
        for (std::size_t r = 0; r < rows; ++r) {
          const digest expected = hash_elements(std::span(matrix.data() + r * width, width));
          for (std::size_t j = 0; j < digest_elems; ++j) {
            ASSERT_EQ(digests[r * digest_elems + j], expected[j])
                << "width=" << width << " rows=" << rows << " r=" << r;
          }
        }
      }
    }
  });
}

/// Checks hash_rows(views, rows) on every SIMD target against the scalar sponge over the
/// concatenated rows.
void expect_hash_rows_of_views_matches_scalar(const std::vector<row_major_view>& views, std::size_t rows) {
  std::vector<digest> expected(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    padding_free_sponge sponge;
    for (const auto& v : views) sponge.absorb(std::span(v.data + r * v.row_stride, v.width));
    expected[r] = sponge.finish();
  }
  ciro::test::for_each_simd_target([&] {
    std::vector<babybear> digests(rows * digest_elems);
    hash_rows(views, rows, digests.data());
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t j = 0; j < digest_elems; ++j) {
        ASSERT_EQ(digests[r * digest_elems + j], expected[r][j]) << "rows=" << rows << " r=" << r;
      }
    }
  });
}

TEST(Poseidon2Packed, HashRowsOfSeveralMatricesHashesTheConcatenatedRows) {
  ciro::test::seeded_rng rng;
  // (width, row_stride): padded strides, an empty matrix, widths that straddle rate blocks; the
  // first set totals 27 columns (a partial last block), the second 32 (full blocks only).
  const std::vector<std::pair<std::size_t, std::size_t>> shape_sets[] = {
      {{3, 5}, {0, 0}, {10, 10}, {1, 4}, {13, 13}},
      {{5, 7}, {11, 11}, {16, 19}},
  };
  // Row counts around the lane widths (1, 4, 8, 16): partial last groups and several groups.
  for (const std::size_t rows : {1u, 4u, 16u, 21u, 40u}) {
    for (const auto& shapes : shape_sets) {
      std::vector<std::vector<babybear>> storage;
      std::vector<row_major_view> views;
      for (const auto& [width, stride] : shapes) {
        storage.push_back(random_elements(rng, rows * stride));
        views.push_back({storage.back().data(), width, stride});
      }
      expect_hash_rows_of_views_matches_scalar(views, rows);
    }
  }
}

#if defined(__linux__)
TEST(Poseidon2Packed, HashRowsReadsRowsOverTwoToTheThirtyOneWordsApart) {
  // 17 rows 2^28 words (1 GiB) apart: row 15 of a 16-row group lies 15 * 2^28 > 2^31 words past
  // the first, beyond the 32-bit gather indices on AVX-512 (the rows are then read one by one);
  // AVX2's 8-row groups still gather, with offsets up to 7 * 2^28 words. The mapping is reserved,
  // not committed: only the pages holding the 11 words of each row are touched.
  constexpr std::size_t rows = 17, width = 11, stride = std::size_t{1} << 28;
  const std::size_t bytes = ((rows - 1) * stride + width) * sizeof(babybear);
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mem == MAP_FAILED) GTEST_SKIP() << "cannot reserve " << bytes << " bytes of address space";
  auto* data = static_cast<babybear*>(mem);
  ciro::test::seeded_rng rng;
  for (std::size_t r = 0; r < rows; ++r) {
    const auto row = random_elements(rng, width);
    std::copy(row.begin(), row.end(), data + r * stride);
  }
  expect_hash_rows_of_views_matches_scalar({{data, width, stride}}, rows);
  munmap(mem, bytes);
}
#endif

TEST(Poseidon2Packed, CompressEveryTargetMatchesScalar) {
  ciro::test::seeded_rng rng;
  ciro::test::for_each_simd_target([&] {
    for (const std::size_t n : counts) {
      const auto left = random_elements(rng, n * digest_elems), right = random_elements(rng, n * digest_elems);
      std::vector<babybear> out(n * digest_elems);
      compress(left.data(), right.data(), n, out.data());
      for (std::size_t i = 0; i < n; ++i) {
        digest l, r;
        std::copy(left.begin() + i * 8, left.begin() + i * 8 + 8, l.begin());
        std::copy(right.begin() + i * 8, right.begin() + i * 8 + 8, r.begin());
        const digest expected = compress(l, r);
        for (std::size_t j = 0; j < digest_elems; ++j)
          ASSERT_EQ(out[i * 8 + j], expected[j]) << "n=" << n << " i=" << i;
      }
    }
  });
}

TEST(Poseidon2Packed, CompressPairsReducesALayerInPlace) {
  ciro::test::seeded_rng rng;
  ciro::test::for_each_simd_target([&] {
    for (const std::size_t n : counts) {
      auto layer = random_elements(rng, 2 * n * digest_elems);
      std::vector<babybear> expected(n * digest_elems);
      for (std::size_t i = 0; i < n; ++i) {
        digest l, r;
        std::copy(layer.begin() + i * 16, layer.begin() + i * 16 + 8, l.begin());
        std::copy(layer.begin() + i * 16 + 8, layer.begin() + i * 16 + 16, r.begin());
        const digest d = compress(l, r);
        std::copy(d.begin(), d.end(), expected.begin() + i * 8);
      }
      std::vector<babybear> out(n * digest_elems);
      compress_pairs(layer.data(), n, out.data());
      EXPECT_EQ(out, expected) << "n=" << n;
      compress_pairs(layer.data(), n, layer.data());
      layer.resize(n * digest_elems);
      EXPECT_EQ(layer, expected) << "in place, n=" << n;
    }
  });
}

TEST(Poseidon2Packed, ReportsTheChosenTarget) {
  EXPECT_STRNE(poseidon2_simd_target(), "");
  EXPECT_GE(poseidon2_lanes(), 1u);
}

}  // namespace
