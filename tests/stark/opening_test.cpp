#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "field/extension.hpp"
#include "kernels/matrix.hpp"
#include "stark/opening.hpp"
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

/// The barycentric formula term by term, with one extension inversion per row.
template <class E>
std::vector<E> barycentric_reference(const row_major_matrix<babybear>& trace, E z) {
  const std::size_t n = trace.rows();
  const babybear w = babybear::two_adic_generator(static_cast<unsigned>(std::countr_zero(n)));
  const E scale = (z.pow(n) - E::one()) * babybear::from_u64(n).inverse();
  std::vector<E> out(trace.width(), E::zero());
  babybear x = babybear::one();
  for (std::size_t i = 0; i < n; ++i, x *= w) {
    const E weight = (z - E::from_base(x)).inverse() * x;
    for (std::size_t c = 0; c < trace.width(); ++c) out[c] += weight * trace.at(i, c);
  }
  for (auto& v : out) v = v * scale;
  return out;
}

TEST(Opening, ColumnLinearFormsMatchScalarSumsForEveryFormCount) {
  ciro::test::seeded_rng rng;
  ciro::test::for_each_simd_target([&] {
    for (std::size_t width : {1u, 7u, 16u, 17u, 33u, 298u}) {
      for (std::size_t rows : {1u, 6u, 70u}) {
        for (unsigned forms = 1; forms <= max_column_forms; ++forms) {
          const auto m = random_matrix(rng, rows, width);
          std::vector<babybear> weights(rows * forms), out(forms * width);
          for (auto& v : weights) v = random_element(rng);
          for (auto& v : out) v = random_element(rng);
          auto expected = out;
          column_linear_forms(m.values().data(), rows, width, weights.data(), forms, out.data());
          for (std::size_t r = 0; r < rows; ++r) {
            for (unsigned j = 0; j < forms; ++j) {
              for (std::size_t c = 0; c < width; ++c) expected[j * width + c] += weights[r * forms + j] * m.at(r, c);
            }
          }
          ASSERT_EQ(out, expected) << "width=" << width << " rows=" << rows << " forms=" << forms;
        }
      }
    }
  });
}

TEST(Opening, ColumnLinearFormsAtTheLargestProducts) {
  // Every product (p - 1)^2 in Montgomery words, the worst case for the lazy reduction.
  ciro::test::for_each_simd_target([&] {
    const std::size_t rows = 4099, width = 45;
    const babybear big = babybear::from_monty(babybear::modulus - 1);
    row_major_matrix<babybear> m(rows, width);
    for (auto& v : m.values()) v = big;
    const std::vector<babybear> weights(rows * max_column_forms, big);
    std::vector<babybear> out(max_column_forms * width, babybear::zero());
    column_linear_forms(m.values().data(), rows, width, weights.data(), max_column_forms, out.data());
    const babybear expected = big * big * babybear::from_u64(rows);
    for (const auto& v : out) ASSERT_EQ(v, expected);
  });
}

template <class E>
void expect_open_trace_matches_reference(unsigned log_n, std::size_t width) {
  ciro::test::seeded_rng rng;
  const auto trace = random_matrix(rng, std::size_t{1} << log_n, width);
  const E zeta = random_ext<E>(rng);
  const E zeta_next = zeta * babybear::two_adic_generator(log_n);
  const auto opened = open_trace(trace.view(), zeta);
  EXPECT_EQ(opened.local, barycentric_reference(trace, zeta)) << "log_n=" << log_n << " width=" << width;
  EXPECT_EQ(opened.next, barycentric_reference(trace, zeta_next)) << "log_n=" << log_n << " width=" << width;
}

TEST(Opening, OpenTraceMatchesTheBarycentricFormula) {
  for (unsigned log_n : {0u, 1u, 4u, 9u, 13u}) {
    for (std::size_t width : {1u, 5u, 19u}) {
      expect_open_trace_matches_reference<babybear4>(log_n, width);
      expect_open_trace_matches_reference<babybear5>(log_n, width);
    }
  }
}

TEST(Opening, OpenTraceOfALowDegreeTraceIsItsPolynomial) {
  // Column c is the evaluation on H of f_c(X) = c + X + X^2: the opening must equal f_c(zeta).
  ciro::test::seeded_rng rng;
  const unsigned log_n = 6;
  const std::size_t n = std::size_t{1} << log_n, width = 3;
  const babybear w = babybear::two_adic_generator(log_n);
  row_major_matrix<babybear> trace(n, width);
  babybear x = babybear::one();
  for (std::size_t i = 0; i < n; ++i, x *= w) {
    for (std::size_t c = 0; c < width; ++c) trace.at(i, c) = babybear::from_u64(c) + x + x * x;
  }
  const babybear4 zeta = random_ext<babybear4>(rng), zeta_next = zeta * w;
  const auto opened = open_trace(trace.view(), zeta);
  for (std::size_t c = 0; c < width; ++c) {
    EXPECT_EQ(opened.local[c], babybear4::from_base(babybear::from_u64(c)) + zeta + zeta * zeta);
    EXPECT_EQ(opened.next[c], babybear4::from_base(babybear::from_u64(c)) + zeta_next + zeta_next * zeta_next);
  }
}

template <class E>
void expect_polynomials_match_horner(std::size_t rows, std::size_t width) {
  ciro::test::seeded_rng rng;
  const auto coefficients = random_matrix(rng, rows, width);
  const E z = random_ext<E>(rng);
  const auto values = evaluate_polynomials_at(coefficients.view(), z);
  ASSERT_EQ(values.size(), width);
  for (std::size_t c = 0; c < width; ++c) {
    E acc = E::zero();
    for (std::size_t i = rows; i-- > 0;) acc = acc * z + E::from_base(coefficients.at(i, c));
    EXPECT_EQ(values[c], acc) << "rows=" << rows << " width=" << width << " c=" << c;
  }
}

TEST(Opening, EvaluatePolynomialsAtMatchesHorner) {
  for (std::size_t rows : {1u, 5u, 4097u, 9000u}) {
    for (std::size_t width : {1u, 8u, 20u}) {
      expect_polynomials_match_horner<babybear4>(rows, width);
      expect_polynomials_match_horner<babybear5>(rows, width);
    }
  }
}

}  // namespace
