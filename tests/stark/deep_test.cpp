#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "field/extension.hpp"
#include "kernels/matrix.hpp"
#include "hash/poseidon2.hpp"
#include "stark/deep.hpp"
#include "stark/transcript.hpp"
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

/// 1 / x, or 0 for x = 0 (as the batch inversions take it).
template <class E>
E inverse_or_zero(const E& x) {
  return x.is_zero() ? E::zero() : x.inverse();
}

/// The low `bits` bits of r in reverse order, one bit at a time.
std::size_t bit_reversed(std::size_t r, unsigned bits) {
  std::size_t pos = 0;
  for (unsigned i = 0; i < bits; ++i) pos |= ((r >> i) & 1) << (bits - 1 - i);
  return pos;
}

/// The DEEP function of deep.hpp evaluated directly at every LDE point x_r = shift w_N^r:
///   F(x) = sum_i a_i (f_i(x) - f_i(zeta)) / (x - zeta)
///        + mu sum_{i two-point} a_i (f_i(x) - f_i(zeta_next)) / (x - zeta_next),
/// column by column, with an extension-field inversion for every term, written at bitrev(r).
template <class E>
std::vector<E> deep_reference(std::span<const deep_matrix<E>> matrices, babybear shift, E zeta, E zeta_next, E mu) {
  const std::size_t rows = matrices[0].lde.rows;
  const auto log_rows = static_cast<unsigned>(std::countr_zero(rows));
  std::vector<E> out(rows);
  babybear x = shift;
  for (std::size_t r = 0; r < rows; ++r, x *= babybear::two_adic_generator(log_rows)) {
    E value = E::zero();
    for (const deep_matrix<E>& m : matrices) {
      for (std::size_t i = 0; i < m.lde.width; ++i) {
        const E f = E::from_base(m.lde.at(r, i));
        value += m.coefficients[i] * (f - m.at_zeta[i]) * inverse_or_zero(E::from_base(x) - zeta);
        if (!m.at_next.empty()) {
          value += mu * m.coefficients[i] * (f - m.at_next[i]) * inverse_or_zero(E::from_base(x) - zeta_next);
        }
      }
    }
    out[bit_reversed(r, log_rows)] = value;
  }
  return out;
}

/// Random matrices of `widths` (the two-point ones where `two_point` says) and their random
/// coefficients and opened values, kept alive for the deep_matrix views into them.
template <class E>
struct random_deep_inputs {
  std::vector<row_major_matrix<babybear>> ldes;
  std::vector<std::vector<E>> coefficients, at_zeta, at_next;
  std::vector<deep_matrix<E>> matrices;

  random_deep_inputs(ciro::test::seeded_rng& rng, std::size_t rows, const std::vector<std::size_t>& widths,
                     const std::vector<bool>& two_point) {
    const std::size_t n = widths.size();
    for (std::size_t m = 0; m < n; ++m) {
      ldes.push_back(random_matrix(rng, rows, widths[m]));
      auto draw = [&](std::size_t count) {
        std::vector<E> v(count);
        for (auto& e : v) e = random_ext<E>(rng);
        return v;
      };
      coefficients.push_back(draw(widths[m]));
      at_zeta.push_back(draw(widths[m]));
      at_next.push_back(two_point[m] ? draw(widths[m]) : std::vector<E>{});
    }
    for (std::size_t m = 0; m < n; ++m) {
      matrices.push_back({ldes[m].view(), coefficients[m], at_zeta[m], at_next[m]});
    }
  }
};

template <class E>
void expect_deep_matches_reference(ciro::test::seeded_rng& rng, unsigned log_rows,
                                   const std::vector<std::size_t>& widths, const std::vector<bool>& two_point) {
  const std::size_t rows = std::size_t{1} << log_rows;
  const random_deep_inputs<E> in(rng, rows, widths, two_point);
  const E zeta = random_ext<E>(rng), mu = random_ext<E>(rng);
  const E zeta_next = zeta * babybear::two_adic_generator(log_rows > 2 ? log_rows - 2 : 0);
  const babybear shift = babybear::generator();
  const auto deep = deep_composition<E>(in.matrices, shift, zeta, zeta_next, mu);
  const auto expected = deep_reference<E>(in.matrices, shift, zeta, zeta_next, mu);
  ASSERT_EQ(deep.size(), rows);
  for (std::size_t i = 0; i < rows; ++i) {
    ASSERT_EQ(deep[i], expected[i]) << "D=" << E::degree << " log_rows=" << log_rows << " matrices=" << widths.size()
                                    << " i=" << i;
  }
}

/// The shapes the tests run: widths 0, 1, 7 and 33, alone and together, one-point and
/// two-point (the prover's tables give [main, fixed, aux] two-point matrices and a one-point
/// quotient matrix per table).
const std::vector<std::pair<std::vector<std::size_t>, std::vector<bool>>>& deep_shapes() {
  static const std::vector<std::pair<std::vector<std::size_t>, std::vector<bool>>> shapes{
      {{1}, {true}},
      {{7}, {false}},
      {{33}, {true}},
      {{0, 1}, {true, false}},
      {{7, 0, 33, 1}, {true, true, true, false}},
      {{1, 7, 33}, {false, false, false}},  // no two-point matrix: the mu term is absent
      {{33, 7, 1, 0, 7}, {true, false, true, false, true}},
  };
  return shapes;
}

TEST(Deep, CompositionMatchesTheFormulaOverBothFields) {
  ciro::test::seeded_rng rng;
  for (unsigned log_rows : {0u, 1u, 3u, 6u, 11u}) {
    for (const auto& [widths, two_point] : deep_shapes()) {
      expect_deep_matches_reference<babybear4>(rng, log_rows, widths, two_point);
      expect_deep_matches_reference<babybear5>(rng, log_rows, widths, two_point);
    }
  }
}

TEST(Deep, CompositionAcrossChunkBoundariesMatchesTheFormula) {
  // 2^12 rows: several of deep_composition's parallel chunks of 1024 rows.
  ciro::test::seeded_rng rng;
  expect_deep_matches_reference<babybear4>(rng, 12, {2, 0, 7}, {true, true, false});
  expect_deep_matches_reference<babybear5>(rng, 12, {1, 33}, {true, false});
}

template <class E>
void expect_zero_denominators_dropped(bool zeta_on_domain) {
  // zeta (or zeta_next) on the LDE domain: that row's terms of that point are dropped, as the
  // zero-to-zero batch inversion drops them.
  ciro::test::seeded_rng rng;
  const unsigned log_rows = 4;
  const random_deep_inputs<E> in(rng, 16, {3, 7, 1}, {true, false, true});
  const babybear shift = babybear::generator();
  const E on_domain = E::from_base(shift * babybear::two_adic_generator(log_rows).pow(5));
  const E off_domain = random_ext<E>(rng);
  const E zeta = zeta_on_domain ? on_domain : off_domain;
  const E zeta_next = zeta_on_domain ? off_domain : on_domain;
  const E mu = random_ext<E>(rng);
  const auto got = deep_composition<E>(in.matrices, shift, zeta, zeta_next, mu);
  const auto expected = deep_reference<E>(in.matrices, shift, zeta, zeta_next, mu);
  for (std::size_t i = 0; i < 16; ++i) {
    ASSERT_EQ(got[i], expected[i]) << "D=" << E::degree << " zeta on the domain: " << zeta_on_domain << " i=" << i;
  }
}

TEST(Deep, CompositionWithAPointOnTheDomainDropsThatTerm) {
  for (const bool zeta_on_domain : {true, false}) {
    expect_zero_denominators_dropped<babybear4>(zeta_on_domain);
    expect_zero_denominators_dropped<babybear5>(zeta_on_domain);
  }
}

TEST(Deep, CompositionIsLinearInTheCoefficients) {
  // Doubling every coefficient doubles F: a cheap check that every matrix contributes.
  ciro::test::seeded_rng rng;
  random_deep_inputs<babybear4> in(rng, 32, {7, 1, 33}, {true, false, true});
  const babybear4 zeta = random_ext<babybear4>(rng), zeta_next = random_ext<babybear4>(rng),
                  mu = random_ext<babybear4>(rng);
  const auto once = deep_composition<babybear4>(in.matrices, babybear::generator(), zeta, zeta_next, mu);
  for (auto& c : in.coefficients)
    for (auto& a : c) a += a;
  const auto twice = deep_composition<babybear4>(in.matrices, babybear::generator(), zeta, zeta_next, mu);
  for (std::size_t i = 0; i < once.size(); ++i) ASSERT_EQ(twice[i], once[i] + once[i]) << "i=" << i;
}

/// batching_coefficients by its definition: block b is the scalar Poseidon2-16 permutation of
/// (seed, b, 0, ..., 0), read as floor(16 / D) elements of D coordinates each.
template <class E>
std::vector<E> batching_reference(const ciro::hash::digest& seed, std::size_t count) {
  const std::size_t per_block = 16 / E::degree;
  std::vector<E> out;
  for (std::size_t b = 0; out.size() < count; ++b) {
    std::array<babybear, 16> state{};
    state.fill(babybear::zero());
    for (std::size_t i = 0; i < 8; ++i) state[i] = seed[i];
    state[8] = babybear::from_u64(b);
    ciro::hash::poseidon2_permute(state);
    for (std::size_t k = 0; k < per_block && out.size() < count; ++k) {
      out.push_back(E::from_coeffs(state.data() + E::degree * k));
    }
  }
  return out;
}

template <class E>
void expect_batching_coefficients_are_sound() {
  ciro::test::seeded_rng rng;
  ciro::hash::digest seed, other;
  for (auto& x : seed) x = random_element(rng);
  other = seed;
  other[7] += babybear::one();
  // The definition, for counts around the block size (4 per block for D = 4, 3 for D = 5).
  for (const std::size_t count : {0u, 1u, 2u, 3u, 4u, 5u, 7u, 8u, 9u, 16u, 33u, 100u}) {
    EXPECT_EQ(batching_coefficients<E>(seed, count), batching_reference<E>(seed, count)) << "count=" << count;
  }
  // Deterministic, and prefix-stable: the first k of n are the coefficients of count k.
  const auto n = batching_coefficients<E>(seed, 100);
  EXPECT_EQ(batching_coefficients<E>(seed, 100), n);
  for (std::size_t k = 0; k <= n.size(); ++k) {
    ASSERT_EQ(batching_coefficients<E>(seed, k), std::vector<E>(n.begin(), n.begin() + static_cast<std::ptrdiff_t>(k)))
        << "k=" << k;
  }
  // Distinct: within one seed, and between seeds differing in one element.
  const auto m = batching_coefficients<E>(other, 100);
  for (std::size_t i = 0; i < n.size(); ++i) {
    for (std::size_t j = 0; j < n.size(); ++j) {
      if (i != j) {
        ASSERT_NE(n[i], n[j]) << "coefficients " << i << " and " << j;
      }
      ASSERT_NE(n[i], m[j]) << "coefficient " << i << " of one seed and " << j << " of the other";
    }
  }
  // And none is zero or one (a degenerate coefficient would drop or fix a column).
  for (const E& a : n) {
    EXPECT_FALSE(a.is_zero());
    EXPECT_NE(a, E::one());
  }
}

TEST(Deep, BatchingCoefficientsFollowTheirDefinitionAndAreDistinctAndPrefixStable) {
  expect_batching_coefficients_are_sound<babybear4>();
  expect_batching_coefficients_are_sound<babybear5>();
}

}  // namespace
