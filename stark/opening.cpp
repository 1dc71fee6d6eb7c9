#include "stark/opening.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <bit>
#include <span>

#include "core/buffer.hpp"
#include "field/batch_inverse.hpp"
#include "field/extension.hpp"
#include "stark/linear_inverse.hpp"
#include "stark/quotient_deep.hpp"

namespace ciro::stark {
namespace {

using field::babybear;

/// Rows per parallel task of the weight computations.
constexpr std::size_t chunk = 4096;

/// sums[j * width + c] = sum_r weights[r * forms + j] m[r][c], in parallel over row blocks.
std::vector<babybear> column_sums(kernels::matrix_view<const babybear> m, const babybear* weights, unsigned forms) {
  constexpr std::size_t block = 2048;
  const std::size_t blocks = (m.rows + block - 1) / block;
  std::vector<std::vector<babybear>> partial(blocks, std::vector<babybear>(forms * m.width));
  tbb::parallel_for(std::size_t{0}, blocks, [&](std::size_t b) {
    const std::size_t lo = b * block, count = std::min(m.rows, lo + block) - lo;
    column_linear_forms(m.data + lo * m.width, count, m.width, weights + lo * forms, forms, partial[b].data());
  });
  std::vector<babybear> sums(forms * m.width, babybear::zero());
  for (const auto& p : partial) {
    for (std::size_t i = 0; i < sums.size(); ++i) sums[i] += p[i];
  }
  return sums;
}

}  // namespace

template <class E>
trace_openings<E> open_trace(kernels::matrix_view<const babybear> trace, E z) {
  constexpr unsigned D = E::degree;
  const std::size_t n = trace.rows, width = trace.width, chunks = (n + chunk - 1) / chunk;
  const babybear w = babybear::two_adic_generator(static_cast<unsigned>(std::countr_zero(n))), w_inv = w.inverse();
  const linear_inverse<E> inv(z);
  buffer<babybear> norms(n, uninitialized), norm_inverses(n, uninitialized);  // N(w^i) and 1/N(w^i)
  tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t c) {
    const std::size_t lo = c * chunk, count = std::min(n, lo + chunk) - lo;
    babybear x = w.pow(lo);
    for (std::size_t i = lo; i < lo + count; ++i, x *= w) norms[i] = inv.denominator(x);
    field::batch_inverse(std::span<const babybear>(norms).subspan(lo, count),
                         std::span<babybear>(norm_inverses).subspan(lo, count));
  });
  // Row i: x^(k+1)/N(x) for x = w^i, then for x = w^(i-1) (the weights of z w).
  buffer<babybear> weights(n * 2 * D, uninitialized);  // every entry written below
  tbb::parallel_for(std::size_t{0}, chunks, [&](std::size_t c) {
    const std::size_t lo = c * chunk, hi = std::min(n, lo + chunk);
    babybear x = w.pow(lo), x_prev = x * w_inv;
    for (std::size_t i = lo; i < hi; ++i) {
      babybear y = x * norm_inverses[i], y_prev = x_prev * norm_inverses[i == 0 ? n - 1 : i - 1];
      for (unsigned k = 0; k < D; ++k, y *= x, y_prev *= x_prev) {
        weights[i * 2 * D + k] = y;
        weights[i * 2 * D + D + k] = y_prev;
      }
      x_prev = x, x *= w;
    }
  });
  const auto sums = column_sums(trace, weights.data(), 2 * D);
  // t(z) = (z^n - 1)/n * sum_i t(w^i) w^i/(z - w^i) = -(z^n - 1)/n * sum_k Q_k sums_k.
  const E scale = (z.pow(n) - E::one()) * babybear::from_u64(n).inverse();
  std::array<E, D> factors;
  for (unsigned k = 0; k < D; ++k) factors[k] = -(scale * inv.numerator()[k]);
  trace_openings<E> out{std::vector<E>(width), std::vector<E>(width)};
  for (std::size_t c = 0; c < width; ++c) {
    E local = E::zero(), next = E::zero();
    for (unsigned k = 0; k < D; ++k) {
      local += factors[k] * sums[k * width + c];
      next += factors[k] * sums[(D + k) * width + c];
    }
    out.local[c] = local, out.next[c] = next;
  }
  return out;
}

template <class E>
std::vector<E> evaluate_polynomials_at(kernels::matrix_view<const babybear> coefficients, E z) {
  constexpr unsigned D = E::degree;
  static_assert(sizeof(E) == D * sizeof(babybear), "E must be its D packed coefficients");
  const std::size_t n = coefficients.rows, width = coefficients.width;
  std::vector<E> powers(n);
  tbb::parallel_for(std::size_t{0}, (n + chunk - 1) / chunk, [&](std::size_t c) {
    E power = z.pow(c * chunk);
    for (std::size_t i = c * chunk; i < std::min(n, (c + 1) * chunk); ++i, power *= z) powers[i] = power;
  });
  const auto sums = column_sums(coefficients, reinterpret_cast<const babybear*>(powers.data()), D);
  std::vector<E> out(width);
  for (std::size_t c = 0; c < width; ++c) {
    std::array<babybear, D> cs;
    for (unsigned j = 0; j < D; ++j) cs[j] = sums[j * width + c];
    out[c] = E::from_coeffs(cs);
  }
  return out;
}

template trace_openings<field::babybear4> open_trace(kernels::matrix_view<const babybear>, field::babybear4);
template trace_openings<field::babybear5> open_trace(kernels::matrix_view<const babybear>, field::babybear5);
template std::vector<field::babybear4> evaluate_polynomials_at(kernels::matrix_view<const babybear>, field::babybear4);
template std::vector<field::babybear5> evaluate_polynomials_at(kernels::matrix_view<const babybear>, field::babybear5);

}  // namespace ciro::stark
