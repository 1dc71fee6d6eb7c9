#include <gtest/gtest.h>

#include <vector>

#include "air/constraint_compiler.hpp"
#include "air/fibonacci.hpp"
#include "air/poseidon2_air.hpp"
#include "field/extension.hpp"
#include "kernels/backend.hpp"
#include "stark/quotient_deep.hpp"
#include "tests/stark/quotient_reference.hpp"
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
using namespace ciro::stark;

/// The backend's quotient (the AIR compiled to a constraint program, run by the SIMD interpreter)
/// and the reference (eval() run point by point) of `air` on a random LDE of 2^log_n rows, blowup 2^log_blowup,
/// quotient degree 2^log_qd, with random alpha powers and public values: must be equal.
template <class E, class A>
void expect_backend_matches_reference(const A& air, unsigned log_n, unsigned log_blowup, unsigned log_qd) {
  ciro::test::seeded_rng rng;
  const std::size_t n = std::size_t{1} << log_n, lde_rows = n << log_blowup, q_rows = n << log_qd;
  row_major_matrix<babybear> lde(lde_rows, air.width());
  for (auto& v : lde.values()) v = random_element(rng);
  std::vector<babybear> public_values(air.num_public_values()), inverses(2 * q_rows), z_h(std::size_t{1} << log_qd),
      z_h_inv(z_h.size());
  for (auto& v : public_values) v = random_element(rng);
  for (auto& v : inverses) v = random_element(rng);
  for (auto& v : z_h) v = random_element(rng);
  for (auto& v : z_h_inv) v = random_element(rng);
  std::vector<E> alpha_powers(400);
  for (auto& a : alpha_powers) a = random_ext<E>(rng);
  const ciro::kernels::quotient_inputs in{lde.view(),
                                          q_rows,
                                          std::size_t{1} << (log_blowup - log_qd),
                                          std::size_t{1} << log_blowup,
                                          public_values,
                                          inverses,
                                          z_h,
                                          z_h_inv,
                                          babybear::generator(),
                                          babybear::two_adic_generator(log_n + log_qd),
                                          babybear::two_adic_generator(log_n).inverse()};
  row_major_matrix<babybear> expected(q_rows, E::degree);
  ciro::test::evaluate_quotient_scalar<E>(air, in, alpha_powers, expected.view());
  const auto program = ciro::air::compile_constraints(air);
  std::vector<babybear> alpha(alpha_powers.size() * E::degree);
  for (std::size_t i = 0; i < alpha_powers.size(); ++i) {
    for (unsigned j = 0; j < E::degree; ++j) alpha[i * E::degree + j] = alpha_powers[i].coeff(j);
  }
  alpha.resize(program.num_constraints() * E::degree);
  auto backend = ciro::kernels::make_cpu_backend();
  ciro::test::for_each_simd_target([&] {
    row_major_matrix<babybear> got(q_rows, E::degree);
    backend->evaluate_quotient(program, in, alpha, got.view());
    EXPECT_TRUE(got == expected) << "log_n=" << log_n << " log_blowup=" << log_blowup << " log_qd=" << log_qd;
  });
}

TEST(Quotient, BackendMatchesReferenceForPoseidon2OnRandomTraces) {
  const ciro::air::poseidon2_air air;
  for (unsigned log_n : {1u, 3u, 5u, 7u}) {
    expect_backend_matches_reference<babybear4>(air, log_n, 1, 1);
    expect_backend_matches_reference<babybear5>(air, log_n, 2, 1);
  }
}

TEST(Quotient, BackendMatchesReferenceForFibonacciOnRandomTraces) {
  const ciro::air::fibonacci_air air;
  for (unsigned log_n : {1u, 2u, 4u, 6u, 9u}) {
    expect_backend_matches_reference<babybear4>(air, log_n, 1, 1);
    expect_backend_matches_reference<babybear5>(air, log_n, 2, 1);
    expect_backend_matches_reference<babybear4>(air, log_n, 3, 2);
  }
}

TEST(Quotient, LinearFormsMatchScalarSums) {
  ciro::test::seeded_rng rng;
  ciro::test::for_each_simd_target([&] {
    for (std::size_t width : {1u, 2u, 8u, 15u, 16u, 17u, 33u, 298u}) {
      for (unsigned D : {4u, 5u}) {
        const std::size_t rows = 37;
        std::vector<babybear> m(rows * width), coeffs(D * width), weights(rows * D);
        for (auto& v : m) v = random_element(rng);
        for (auto& v : coeffs) v = random_element(rng);
        for (auto& v : weights) v = random_element(rng);
        std::vector<babybear> row_forms(rows * D), col_forms(D * width);
        row_linear_forms(m.data(), rows, width, coeffs.data(), D, row_forms.data());
        column_linear_forms(m.data(), rows, width, weights.data(), D, col_forms.data());
        for (std::size_t r = 0; r < rows; ++r) {
          for (unsigned j = 0; j < D; ++j) {
            babybear s = babybear::zero();
            for (std::size_t c = 0; c < width; ++c) s += m[r * width + c] * coeffs[j * width + c];
            ASSERT_EQ(row_forms[r * D + j], s) << "width=" << width << " r=" << r;
          }
        }
        for (std::size_t c = 0; c < width; ++c) {
          for (unsigned j = 0; j < D; ++j) {
            babybear s = babybear::zero();
            for (std::size_t r = 0; r < rows; ++r) s += weights[r * D + j] * m[r * width + c];
            ASSERT_EQ(col_forms[j * width + c], s) << "width=" << width << " c=" << c;
          }
        }
      }
    }
  });
}

}  // namespace
