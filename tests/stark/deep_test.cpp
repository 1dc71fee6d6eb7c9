#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "field/extension.hpp"
#include "kernels/matrix.hpp"
#include "stark/deep.hpp"
#include "stark/linear_inverse.hpp"
#include "stark/quotient_deep.hpp"
#include "tests/support/random_field.hpp"
#include "tests/support/seed.hpp"
#include "tests/support/simd_targets.hpp"

namespace {

using ciro::field::babybear;
using ciro::field::babybear4;
using ciro::field::babybear5;
using ciro::kernels::row_major_matrix;
using ciro::test::random_element;
using ciro::test::random_ext;
using ciro::test::random_matrix;
using namespace ciro::stark;

template <class E>
void expect_linear_inverse_matches_inverse() {
  ciro::test::seeded_rng rng;
  for (int trial = 0; trial < 50; ++trial) {
    const E z = random_ext<E>(rng), c = random_ext<E>(rng);
    const linear_inverse<E> f(z, c);
    for (int point = 0; point < 20; ++point) {
      const babybear x = random_element(rng);
      ASSERT_EQ(f.numerator_times(x, f.denominator(x).inverse()), c * (E::from_base(x) - z).inverse());
    }
  }
  // z in the base field: N(z) = 0, and the zero inverse gives 0 like batch_inverse.
  const babybear x = random_element(rng);
  const linear_inverse<E> f(E::from_base(x));
  EXPECT_TRUE(f.denominator(x).is_zero());
  EXPECT_EQ(f.numerator_times(x, babybear::zero()), E::zero());
  EXPECT_EQ(f.numerator_times(x + babybear::one(), f.denominator(x + babybear::one()).inverse()), E::one());
}

TEST(Deep, LinearInverseMatchesExtensionInverse) {
  expect_linear_inverse_matches_inverse<babybear4>();
  expect_linear_inverse_matches_inverse<babybear5>();
}

TEST(Deep, RowLinearFormsMatchScalarSums) {
  ciro::test::seeded_rng rng;
  ciro::test::for_each_simd_target([&] {
    for (std::size_t width : {1u, 8u, 16u, 31u, 32u, 33u, 47u, 298u}) {
      for (unsigned D = 1; D <= 5; ++D) {
        const std::size_t rows = 9;
        const auto m = random_matrix(rng, rows, width);
        std::vector<babybear> coeffs(D * width), out(rows * D);
        for (auto& v : coeffs) v = random_element(rng);
        row_linear_forms(m.values().data(), rows, width, coeffs.data(), D, out.data());
        for (std::size_t r = 0; r < rows; ++r) {
          for (unsigned j = 0; j < D; ++j) {
            babybear s = babybear::zero();
            for (std::size_t c = 0; c < width; ++c) s += m.at(r, c) * coeffs[j * width + c];
            ASSERT_EQ(out[r * D + j], s) << "width=" << width << " D=" << D << " r=" << r;
          }
        }
      }
    }
    // The largest products in Montgomery words, on a wide row.
    const std::size_t width = 4096;
    const babybear big = babybear::from_monty(babybear::modulus - 1);
    const std::vector<babybear> m(width, big), coeffs(5 * width, big);
    std::vector<babybear> out(5);
    row_linear_forms(m.data(), 1, width, coeffs.data(), 5, out.data());
    for (const auto& v : out) ASSERT_EQ(v, big * big * babybear::from_u64(width));
  });
}

/// The DEEP formula of deep.hpp term by term, with extension inversions and a bit-by-bit
/// reversal of the row index.
template <class E>
std::vector<E> deep_reference(const deep_inputs<E>& in, E beta) {
  const std::size_t rows = in.trace_lde.rows, width = in.trace_lde.width, q_cols = in.quotient_lde.width;
  const auto log_rows = static_cast<unsigned>(std::countr_zero(rows));
  const E beta_w = beta.pow(width), beta_2w = beta_w * beta_w;
  E a = E::zero(), b = E::zero(), c = E::zero(), power = E::one();
  for (std::size_t i = 0; i < width; ++i, power *= beta) a += power * in.trace_local[i], b += power * in.trace_next[i];
  power = E::one();
  for (std::size_t j = 0; j < q_cols; ++j, power *= beta) c += power * in.quotient_at_zeta[j];
  std::vector<E> out(rows);
  babybear x = in.shift;
  for (std::size_t r = 0; r < rows; ++r, x *= babybear::two_adic_generator(log_rows)) {
    E rt = E::zero(), rq = E::zero();
    power = E::one();
    for (std::size_t i = 0; i < width; ++i, power *= beta) rt += power * in.trace_lde.at(r, i);
    power = E::one();
    for (std::size_t j = 0; j < q_cols; ++j, power *= beta) rq += power * in.quotient_lde.at(r, j);
    std::size_t pos = 0;
    for (unsigned i = 0; i < log_rows; ++i) pos |= ((r >> i) & 1) << (log_rows - 1 - i);
    out[pos] = (rt - a + beta_2w * (rq - c)) * (E::from_base(x) - in.zeta).inverse() +
               beta_w * (rt - b) * (E::from_base(x) - in.zeta_next).inverse();
  }
  return out;
}

template <class E>
void expect_deep_matches_reference(unsigned log_rows, std::size_t width, std::size_t q_cols) {
  ciro::test::seeded_rng rng;
  const std::size_t rows = std::size_t{1} << log_rows;
  const auto trace_lde = random_matrix(rng, rows, width), quotient_lde = random_matrix(rng, rows, q_cols);
  std::vector<E> local(width), next(width), quotient_at_zeta(q_cols);
  for (auto& v : local) v = random_ext<E>(rng);
  for (auto& v : next) v = random_ext<E>(rng);
  for (auto& v : quotient_at_zeta) v = random_ext<E>(rng);
  const E zeta = random_ext<E>(rng), beta = random_ext<E>(rng);
  const deep_inputs<E> in{trace_lde.view(),
                          quotient_lde.view(),
                          babybear::generator(),
                          zeta,
                          zeta * babybear::two_adic_generator(log_rows > 2 ? log_rows - 2 : 0),
                          local,
                          next,
                          quotient_at_zeta};
  const auto deep = deep_composition(in, beta);
  const auto expected = deep_reference(in, beta);
  ASSERT_EQ(deep.size(), rows);
  for (std::size_t i = 0; i < rows; ++i) ASSERT_EQ(deep[i], expected[i]) << "log_rows=" << log_rows << " i=" << i;
}

TEST(Deep, CompositionMatchesTheFormula) {
  for (unsigned log_rows : {0u, 1u, 5u, 11u}) {
    for (const auto& [width, q_cols] : {std::pair{2u, 8u}, std::pair{17u, 4u}, std::pair{40u, 20u}}) {
      expect_deep_matches_reference<babybear4>(log_rows, width, q_cols);
      expect_deep_matches_reference<babybear5>(log_rows, width, 5 * q_cols / 4);
    }
  }
}

TEST(Deep, CompositionWithZetaOnTheDomain) {
  // zeta (and so N_1) vanishing at one LDE point: that row's first term is dropped, as the
  // zero-to-zero batch inversion drops it.
  ciro::test::seeded_rng rng;
  const unsigned log_rows = 4;
  const std::size_t rows = 16, width = 3, q_cols = 4;
  const auto trace_lde = random_matrix(rng, rows, width), quotient_lde = random_matrix(rng, rows, q_cols);
  const std::vector<babybear4> local(width, random_ext<babybear4>(rng)), next(width, random_ext<babybear4>(rng)),
      quotient_at_zeta(q_cols, random_ext<babybear4>(rng));
  const babybear shift = babybear::generator();
  const babybear4 zeta = babybear4::from_base(shift * babybear::two_adic_generator(log_rows).pow(5));
  const deep_inputs<babybear4> in{
      trace_lde.view(), quotient_lde.view(), shift, zeta, zeta * babybear::two_adic_generator(2), local, next,
      quotient_at_zeta};
  const babybear4 beta = random_ext<babybear4>(rng);
  const auto got = deep_composition(in, beta);
  const auto expected = deep_reference(in, beta);
  for (std::size_t i = 0; i < rows; ++i) ASSERT_EQ(got[i], expected[i]) << "i=" << i;
}

}  // namespace
