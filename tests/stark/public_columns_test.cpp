// The public columns of stacked tables (stark/public_columns.hpp): R equals each instance's value
// on its first and last rows, and the prover's LDE and the verifier's point evaluation agree.
#include "stark/public_columns.hpp"

#include <gtest/gtest.h>

#include "field/extension.hpp"
#include "tests/support/random_field.hpp"
#include "tests/support/seed.hpp"

namespace {

using ciro::field::babybear;
using ciro::field::babybear4;
using ciro::kernels::row_major_matrix;

/// S x k random values.
row_major_matrix<babybear> random_values(ciro::test::seeded_rng& rng, std::size_t s, std::size_t k) {
  row_major_matrix<babybear> v(s, k);
  for (auto& x : v.values()) x = ciro::test::random_element(rng);
  return v;
}

/// The polynomial of an LDE column at x, by the barycentric formula over the LDE coset g H_m
/// (the slow, obviously right way). Precondition: x not in g H_m.
template <class F>
F lde_value_at(const row_major_matrix<babybear>& lde, std::size_t col, F x) {
  const std::size_t m = lde.rows();
  const auto log_m = static_cast<unsigned>(std::countr_zero(m));
  const babybear w = babybear::two_adic_generator(log_m);
  // f(x) = ((x/g)^m - 1) / m * sum_r f(g w^r) w^r / (x/g - w^r)
  const F y = x * F::from_base(babybear::generator().inverse());
  F sum = F::zero();
  babybear root = babybear::one();
  for (std::size_t r = 0; r < m; ++r, root *= w) sum += (y - F::from_base(root)).inverse() * (lde.at(r, col) * root);
  F y_m = y;
  for (unsigned i = 0; i < log_m; ++i) y_m = y_m.square();
  return (y_m - F::one()) * babybear::from_u64(m).inverse() * sum;
}

TEST(PublicColumns, EqualEachInstancesValueOnItsFirstAndLastRows) {
  ciro::test::seeded_rng rng;
  auto backend = ciro::kernels::make_cpu_backend();
  for (unsigned log_n : {1u, 2u, 4u}) {
    for (unsigned log_s : {1u, 3u}) {
      const std::size_t n = std::size_t{1} << log_n, s = std::size_t{1} << log_s;
      const auto values = random_values(rng, s, 3);
      const auto lde = ciro::stark::public_columns_lde(values.view(), log_n, 1, *backend);
      ASSERT_EQ(lde.rows(), n * s * 2);
      const babybear w = babybear::two_adic_generator(log_n + log_s);
      for (std::size_t j = 0; j < s; ++j) {
        for (const std::size_t row : {j * n, j * n + n - 1}) {
          for (std::size_t col = 0; col < 3; ++col) {
            EXPECT_EQ(lde_value_at(lde, col, babybear4::from_base(w.pow(row))), babybear4::from_base(values.at(j, col)))
                << "n=" << n << " S=" << s << " instance " << j << " row " << row << " column " << col;
          }
        }
      }
    }
  }
}

TEST(PublicColumns, TheVerifiersEvaluationMatchesTheProversLde) {
  ciro::test::seeded_rng rng;
  auto backend = ciro::kernels::make_cpu_backend();
  for (unsigned log_n : {1u, 3u}) {
    for (unsigned log_s : {1u, 2u, 5u}) {
      const auto values = random_values(rng, std::size_t{1} << log_s, 2);
      const auto lde = ciro::stark::public_columns_lde(values.view(), log_n, 2, *backend);
      // Out-of-domain points, as the verifier's zeta.
      for (int trial = 0; trial < 3; ++trial) {
        const std::array<babybear4, 1> points{ciro::test::random_ext<babybear4>(rng)};
        const auto at = ciro::stark::public_columns_at<babybear4>(values.view(), log_n, points);
        for (std::size_t col = 0; col < 2; ++col) {
          EXPECT_EQ(at[0][col], lde_value_at(lde, col, points[0])) << "log_n=" << log_n << " log_s=" << log_s;
        }
      }
    }
  }
}

}  // namespace
