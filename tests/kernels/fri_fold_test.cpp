#include <gtest/gtest.h>

#include <vector>

#include "field/extension.hpp"
#include "kernels/backend.hpp"
#include "tests/support/seed.hpp"

namespace {

using ciro::field::babybear;
using ciro::kernels::row_major_matrix;

std::size_t bit_reverse(std::size_t x, unsigned bits) {
  std::size_t r = 0;
  for (unsigned i = 0; i < bits; ++i) r |= ((x >> i) & 1) << (bits - 1 - i);
  return r;
}

template <class E>
E random_ext(ciro::test::seeded_rng& rng) {
  std::array<babybear, E::degree> c;
  for (auto& x : c) x = babybear::from_u64(rng.next());
  return E::from_coeffs(c);
}

template <class E>
E horner(const std::vector<E>& coeffs, E x) {
  E acc = E::zero();
  for (std::size_t i = coeffs.size(); i-- > 0;) acc = acc * x + coeffs[i];
  return acc;
}

template <class E>
class FriFold : public ::testing::Test {};
using extension_fields = ::testing::Types<ciro::field::babybear4, ciro::field::babybear5>;
TYPED_TEST_SUITE(FriFold, extension_fields);

/// Folding the evaluations of F = F_e(x^2) + x F_o(x^2) with beta gives the evaluations of
/// F' = F_e + beta F_o on the squared coset, in bit-reversed order: checked against direct
/// evaluation of F' (Horner), for polynomials of every degree below the layer size.
TYPED_TEST(FriFold, FoldsEvaluationsOfFIntoEvaluationsOfEvenPlusBetaOdd) {
  using E = TypeParam;
  ciro::test::seeded_rng rng;
  auto backend = ciro::kernels::make_cpu_backend();
  for (unsigned log_size : {1u, 2u, 5u, 10u}) {
    const std::size_t n = std::size_t{1} << log_size;
    const babybear shift = babybear::generator().pow(1 + rng.below(1000));
    const babybear w = babybear::two_adic_generator(log_size);
    std::vector<E> coeffs(n);
    for (auto& c : coeffs) c = random_ext<E>(rng);
    row_major_matrix<babybear> layer(n, E::degree);
    for (std::size_t p = 0; p < n; ++p) {
      const E value = horner(coeffs, E::from_base(shift * w.pow(bit_reverse(p, log_size))));
      for (unsigned c = 0; c < E::degree; ++c) layer.at(p, c) = value.coeff(c);
    }
    const E beta = random_ext<E>(rng);
    std::array<babybear, E::degree> beta_coeffs;
    for (unsigned c = 0; c < E::degree; ++c) beta_coeffs[c] = beta.coeff(c);
    row_major_matrix<babybear> out(n / 2, E::degree);
    backend->fri_fold(layer.view(), beta_coeffs, shift, out.view());

    std::vector<E> folded_coeffs(n / 2);
    for (std::size_t i = 0; i < n / 2; ++i) folded_coeffs[i] = coeffs[2 * i] + beta * coeffs[2 * i + 1];
    const babybear shift2 = shift.square(), w2 = w.square();
    for (std::size_t j = 0; j < n / 2; ++j) {
      const E expected = horner(folded_coeffs, E::from_base(shift2 * w2.pow(bit_reverse(j, log_size - 1))));
      for (unsigned c = 0; c < E::degree; ++c) {
        ASSERT_EQ(out.at(j, c), expected.coeff(c)) << "log_size=" << log_size << " j=" << j;
      }
    }
  }
}

}  // namespace
