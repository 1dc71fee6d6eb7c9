#include "stark/deep.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <vector>

#include "core/check.hpp"
#include "field/batch_inverse.hpp"
#include "field/extension.hpp"
#include "stark/linear_inverse.hpp"
#include "stark/quotient_deep.hpp"

namespace ciro::stark {
namespace {

using field::babybear;

/// The low `bits` bits of v in reverse order. Precondition: bits <= 32.
std::size_t reverse_bits(std::size_t v, unsigned bits) {
  static constexpr auto byte_reversed = [] {
    std::array<std::uint8_t, 256> t{};
    for (unsigned i = 0; i < 256; ++i) {
      for (unsigned b = 0; b < 8; ++b) t[i] |= static_cast<std::uint8_t>(((i >> b) & 1) << (7 - b));
    }
    return t;
  }();
  const auto x = static_cast<std::uint32_t>(v);
  const std::uint32_t r = std::uint32_t{byte_reversed[x & 255]} << 24 |
                          std::uint32_t{byte_reversed[(x >> 8) & 255]} << 16 |
                          std::uint32_t{byte_reversed[(x >> 16) & 255]} << 8 | byte_reversed[x >> 24];
  return bits == 0 ? 0 : r >> (32 - bits);
}

}  // namespace

template <class E>
ciro::buffer<E> deep_composition(std::span<const deep_matrix<E>> matrices, babybear shift, E zeta, E zeta_next, E mu) {
  constexpr unsigned D = E::degree;
  CIRO_CHECK(!matrices.empty());
  const std::size_t rows = matrices[0].lde.rows;
  bool any_two_point = false;
  E k_sum = E::zero(), b_sum = E::zero();
  // Per matrix: D base-field coefficient vectors for the SIMD row forms.
  std::vector<std::vector<babybear>> coeffs(matrices.size());
  for (std::size_t m = 0; m < matrices.size(); ++m) {
    const deep_matrix<E>& mat = matrices[m];
    const std::size_t width = mat.lde.width;
    CIRO_CHECK(mat.lde.rows == rows && mat.coefficients.size() == width && mat.at_zeta.size() == width &&
               (mat.at_next.empty() || mat.at_next.size() == width));
    for (std::size_t i = 0; i < width; ++i) k_sum += mat.coefficients[i] * mat.at_zeta[i];
    if (!mat.at_next.empty()) {
      any_two_point = any_two_point || width > 0;
      for (std::size_t i = 0; i < width; ++i) b_sum += mat.coefficients[i] * mat.at_next[i];
    }
    coeffs[m].resize(D * width);
    for (unsigned j = 0; j < D; ++j) {
      for (std::size_t i = 0; i < width; ++i) coeffs[m][j * width + i] = mat.coefficients[i].coeff(j);
    }
  }
  const auto log_rows = static_cast<unsigned>(std::countr_zero(rows));
  const linear_inverse<E> at_zeta(zeta), at_next(zeta_next, mu);
  const babybear w = babybear::two_adic_generator(log_rows);
  ciro::buffer<E> deep(rows);
  constexpr std::size_t chunk = 1024;
  tbb::parallel_for(std::size_t{0}, (rows + chunk - 1) / chunk, [&](std::size_t c) {
    const std::size_t lo = c * chunk, count = std::min(rows, lo + chunk) - lo;
    std::vector<babybear> xs(count), norms(2 * count), inverses(2 * count), forms(D * count);
    std::vector<E> r_all(count, E::zero()), r_two(count, E::zero());
    babybear x = shift * w.pow(lo);
    for (std::size_t t = 0; t < count; ++t, x *= w) {
      xs[t] = x;
      norms[2 * t] = at_zeta.denominator(x);
      norms[2 * t + 1] = any_two_point ? at_next.denominator(x) : babybear::one();
    }
    field::batch_inverse<babybear>(norms, inverses);
    for (std::size_t m = 0; m < matrices.size(); ++m) {
      const deep_matrix<E>& mat = matrices[m];
      const std::size_t width = mat.lde.width;
      if (width == 0) continue;
      row_linear_forms(mat.lde.data + lo * width, count, width, coeffs[m].data(), D, forms.data());
      for (std::size_t t = 0; t < count; ++t) {
        const E form = E::from_coeffs(forms.data() + t * D);
        r_all[t] += form;
        if (!mat.at_next.empty()) r_two[t] += form;
      }
    }
    for (std::size_t t = 0; t < count; ++t) {
      E value = (r_all[t] - k_sum) * at_zeta.numerator_times(xs[t], inverses[2 * t]);
      if (any_two_point) value += (r_two[t] - b_sum) * at_next.numerator_times(xs[t], inverses[2 * t + 1]);
      deep[reverse_bits(lo + t, log_rows)] = value;
    }
  });
  return deep;
}

#define CIRO_INSTANTIATE_DEEP(E) \
  template ciro::buffer<E> deep_composition(std::span<const deep_matrix<E>>, babybear, E, E, E);
CIRO_INSTANTIATE_DEEP(field::babybear4)
CIRO_INSTANTIATE_DEEP(field::babybear5)
#undef CIRO_INSTANTIATE_DEEP

}  // namespace ciro::stark
