#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <vector>

#include "field/babybear.hpp"
#include "kernels/backend.hpp"
#include "tests/support/seed.hpp"
#include "tests/support/simd_targets.hpp"

namespace {

using ciro::field::babybear;
using ciro::kernels::lde_config;
using ciro::kernels::ntt_config;
using ciro::kernels::row_major_matrix;
using ciro::kernels::row_order;

row_major_matrix<babybear> random_matrix(ciro::test::seeded_rng& rng, std::size_t rows, std::size_t width) {
  row_major_matrix<babybear> m(rows, width);
  for (auto& x : m.values()) x = babybear::from_u64(rng.next());
  return m;
}

/// The slow reference: column c's value at output row j is sum_i a[i][c] * (s * w^j)^i,
/// Horner's rule, O(n) per output value.
babybear dft_at(const row_major_matrix<babybear>& coeffs, std::size_t c, babybear point) {
  babybear acc = babybear::zero();
  for (std::size_t i = coeffs.rows(); i-- > 0;) acc = acc * point + coeffs.at(i, c);
  return acc;
}

std::size_t bit_reverse(std::size_t x, unsigned bits) {
  std::size_t r = 0;
  for (unsigned i = 0; i < bits; ++i) r |= ((x >> i) & 1) << (bits - 1 - i);
  return r;
}

/// Output rows to compare against the O(n) reference: all of them for small n, else a random
/// sample (always including the first and last).
std::vector<std::size_t> rows_to_check(ciro::test::seeded_rng& rng, std::size_t n) {
  std::vector<std::size_t> rows;
  if (n <= 256) {
    for (std::size_t j = 0; j < n; ++j) rows.push_back(j);
  } else {
    rows = {0, n - 1};
    for (int i = 0; i < 24; ++i) rows.push_back(rng.below(n));
  }
  return rows;
}

TEST(Ntt, ForwardMatchesTheDirectDftForAllSizesUpTo4096AndWidthsUpTo17) {
  ciro::test::seeded_rng rng;
  auto backend = ciro::kernels::make_cpu_backend();
  ciro::test::for_each_simd_target([&] {
    for (unsigned log_n = 0; log_n <= 12; ++log_n) {
      const std::size_t n = std::size_t{1} << log_n;
      const babybear w = babybear::two_adic_generator(log_n);
      for (std::size_t width = 1; width <= 17; ++width) {
        const auto coeffs = random_matrix(rng, n, width);
        auto values = coeffs;
        backend->ntt(values.view());
        for (const std::size_t j : rows_to_check(rng, n)) {
          for (std::size_t c = 0; c < width; ++c) {
            ASSERT_EQ(values.at(j, c), dft_at(coeffs, c, w.pow(j)))
                << "log_n=" << log_n << " width=" << width << " row=" << j << " col=" << c;
          }
        }
      }
    }
  });
}

TEST(Ntt, MultiPassSizesMatchTheDirectDftAtSampledRows) {
  // Sizes beyond one cache-sized pass (2^15 rows for one column, 2^10 for wide rows).
  ciro::test::seeded_rng rng;
  auto backend = ciro::kernels::make_cpu_backend();
  for (unsigned log_n : {16u, 19u}) {
    for (std::size_t width : {1u, 3u, 64u}) {
      if (log_n == 19 && width == 64) continue;
      const std::size_t n = std::size_t{1} << log_n;
      const auto coeffs = random_matrix(rng, n, width);
      const babybear w = babybear::two_adic_generator(log_n);
      // Natural input runs the DIF passes; bit-reversed input the DIT passes.
      for (const auto in_order : {row_order::natural, row_order::bit_reversed}) {
        row_major_matrix<babybear> values(n, width);
        for (std::size_t i = 0; i < n; ++i) {
          const std::size_t src = in_order == row_order::natural ? i : bit_reverse(i, log_n);
          std::copy(coeffs.row(src).begin(), coeffs.row(src).end(), values.row(i).begin());
        }
        backend->ntt(values.view(), ntt_config{.input = in_order});
        for (const std::size_t j : rows_to_check(rng, n)) {
          for (std::size_t c = 0; c < std::min<std::size_t>(width, 4); ++c) {
            ASSERT_EQ(values.at(j, c), dft_at(coeffs, c, w.pow(j)))
                << "log_n=" << log_n << " width=" << width << " row=" << j;
          }
        }
      }
    }
  }
}

TEST(Ntt, CosetAndBitReversedVariantsMatchTheDirectDft) {
  ciro::test::seeded_rng rng;
  auto backend = ciro::kernels::make_cpu_backend();
  const babybear shift = babybear::generator();
  ciro::test::for_each_simd_target([&] {
    for (unsigned log_n : {0u, 1u, 3u, 5u, 9u, 13u}) {
      const std::size_t n = std::size_t{1} << log_n;
      const babybear w = babybear::two_adic_generator(log_n);
      for (std::size_t width : {1u, 3u, 16u, 19u}) {
        for (const auto in_order : {row_order::natural, row_order::bit_reversed}) {
          for (const auto out_order : {row_order::natural, row_order::bit_reversed}) {
            const auto coeffs = random_matrix(rng, n, width);
            row_major_matrix<babybear> values(n, width);
            for (std::size_t i = 0; i < n; ++i) {
              const std::size_t src = in_order == row_order::natural ? i : bit_reverse(i, log_n);
              std::copy(coeffs.row(src).begin(), coeffs.row(src).end(), values.row(i).begin());
            }
            backend->ntt(values.view(), ntt_config{in_order, out_order, shift});
            for (const std::size_t j : rows_to_check(rng, n)) {
              const std::size_t k = out_order == row_order::natural ? j : bit_reverse(j, log_n);
              for (std::size_t c = 0; c < width; ++c) {
                ASSERT_EQ(values.at(j, c), dft_at(coeffs, c, shift * w.pow(k)))
                    << "log_n=" << log_n << " width=" << width << " row=" << j;
              }
            }
          }
        }
      }
    }
  });
}

TEST(Ntt, MatchesPlonky3KnownAnswers) {
  std::ifstream in(ciro::test::vectors_path("fields.json"));
  ASSERT_TRUE(in);
  const auto kat = nlohmann::json::parse(in)["babybear"]["ntt_kat"];
  auto backend = ciro::kernels::make_cpu_backend();
  const auto input = kat["input"].get<std::vector<std::uint32_t>>();
  auto check = [&](const char* key, babybear shift) {
    row_major_matrix<babybear> m(input.size(), 1);
    for (std::size_t i = 0; i < input.size(); ++i) m.at(i, 0) = babybear::from_canonical(input[i]);
    backend->ntt(m.view(), ntt_config{.shift = shift});
    const auto expected = kat[key].get<std::vector<std::uint32_t>>();
    for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(m.at(i, 0).to_canonical(), expected[i]) << key << i;
  };
  check("dft", babybear::one());
  check("coset_dft_shift_31", babybear::from_canonical(31));
}

TEST(Ntt, InverseUndoesForwardUpTo2To22) {
  ciro::test::seeded_rng rng;
  auto backend = ciro::kernels::make_cpu_backend();
  for (unsigned log_n : {1u, 4u, 10u, 16u, 20u, 22u}) {
    for (std::size_t width : {1u, 2u, 16u, 33u}) {
      if ((std::size_t{1} << log_n) * width > (std::size_t{1} << 22)) continue;
      for (const babybear shift : {babybear::one(), babybear::generator()}) {
        const auto original = random_matrix(rng, std::size_t{1} << log_n, width);
        auto m = original;
        backend->ntt(m.view(), ntt_config{.shift = shift});
        ASSERT_NE(m, original);
        backend->intt(m.view(), ntt_config{.shift = shift});
        ASSERT_EQ(m, original) << "log_n=" << log_n << " width=" << width;
      }
    }
  }
}

TEST(Ntt, InverseHandlesBitReversedOrders) {
  ciro::test::seeded_rng rng;
  auto backend = ciro::kernels::make_cpu_backend();
  const auto original = random_matrix(rng, 1024, 5);
  auto m = original;
  backend->ntt(m.view(), ntt_config{.output = row_order::bit_reversed, .shift = babybear::generator()});
  backend->intt(
      m.view(),
      ntt_config{.input = row_order::bit_reversed, .output = row_order::bit_reversed, .shift = babybear::generator()});
  for (std::size_t i = 0; i < 1024; ++i)
    ASSERT_TRUE(std::equal(m.row(i).begin(), m.row(i).end(), original.row(bit_reverse(i, 10)).begin()));
}

TEST(Lde, CosetExtensionAgreesWithDirectEvaluationOnTheExtendedDomain) {
  ciro::test::seeded_rng rng;
  auto backend = ciro::kernels::make_cpu_backend();
  ciro::test::for_each_simd_target([&] {
    for (unsigned log_n : {0u, 2u, 6u, 11u, 14u}) {
      for (unsigned log_blowup : {0u, 1u, 2u, 3u}) {
        for (std::size_t width : {1u, 4u, 16u, 21u}) {
          for (const auto order : {row_order::natural, row_order::bit_reversed}) {
            const std::size_t n = std::size_t{1} << log_n, big = n << log_blowup;
            const auto coeffs = random_matrix(rng, n, width);  // a polynomial of degree < n per column
            auto evals = coeffs;
            backend->ntt(evals.view());  // its values on H
            // The output starts as garbage: the LDE must write every row (it works in place there).
            auto extended = random_matrix(rng, big, width);
            const lde_config config{.log_blowup = log_blowup, .output = order};
            backend->lde(evals.view(), extended.view(), config);
            const babybear w = babybear::two_adic_generator(log_n + log_blowup);
            for (const std::size_t j : rows_to_check(rng, big)) {
              const std::size_t k = order == row_order::natural ? j : bit_reverse(j, log_n + log_blowup);
              for (std::size_t c = 0; c < width; ++c) {
                ASSERT_EQ(extended.at(j, c), dft_at(coeffs, c, config.shift * w.pow(k)))
                    << "log_n=" << log_n << " blowup=" << log_blowup << " width=" << width << " row=" << j;
              }
            }
          }
        }
      }
    }
  });
}

}  // namespace
