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
ciro::buffer<E> deep_composition(const deep_inputs<E>& in, E beta) {
  constexpr unsigned D = E::degree;
  const std::size_t rows = in.trace_lde.rows, width = in.trace_lde.width, q_cols = in.quotient_lde.width;
  CIRO_CHECK(in.quotient_lde.rows == rows && in.trace_local.size() == width && in.trace_next.size() == width &&
             in.quotient_at_zeta.size() == q_cols);
  const auto log_rows = static_cast<unsigned>(std::countr_zero(rows));
  std::vector<E> beta_powers(std::max(width, q_cols));
  {
    E power = E::one();
    for (auto& bp : beta_powers) bp = power, power *= beta;
  }
  const E beta_w = beta.pow(width), beta_2w = beta_w * beta_w;
  E a_sum = E::zero(), b_sum = E::zero(), c_sum = E::zero();
  for (std::size_t i = 0; i < width; ++i) {
    a_sum += beta_powers[i] * in.trace_local[i], b_sum += beta_powers[i] * in.trace_next[i];
  }
  for (std::size_t j = 0; j < q_cols; ++j) c_sum += beta_powers[j] * in.quotient_at_zeta[j];
  const E k_sum = a_sum + beta_2w * c_sum;
  // R_T and R_Q' as D base-field row forms each: coefficient j of beta^i and of beta^(2w+i).
  std::vector<babybear> trace_coeffs(D * width), quotient_coeffs(D * q_cols);
  for (unsigned j = 0; j < D; ++j) {
    for (std::size_t i = 0; i < width; ++i) trace_coeffs[j * width + i] = beta_powers[i].coeff(j);
    for (std::size_t i = 0; i < q_cols; ++i) quotient_coeffs[j * q_cols + i] = (beta_2w * beta_powers[i]).coeff(j);
  }
  const linear_inverse<E> at_zeta(in.zeta), at_next(in.zeta_next, beta_w);
  const babybear w = babybear::two_adic_generator(log_rows);
  ciro::buffer<E> deep(rows);
  constexpr std::size_t chunk = 1024;
  tbb::parallel_for(std::size_t{0}, (rows + chunk - 1) / chunk, [&](std::size_t c) {
    const std::size_t lo = c * chunk, count = std::min(rows, lo + chunk) - lo;
    std::vector<babybear> xs(count), norms(2 * count), inverses(2 * count), rt(D * count), rq(D * count);
    babybear x = in.shift * w.pow(lo);
    for (std::size_t t = 0; t < count; ++t, x *= w) {
      xs[t] = x;
      norms[2 * t] = at_zeta.denominator(x);
      norms[2 * t + 1] = at_next.denominator(x);
    }
    field::batch_inverse<babybear>(norms, inverses);
    row_linear_forms(in.trace_lde.data + lo * width, count, width, trace_coeffs.data(), D, rt.data());
    row_linear_forms(in.quotient_lde.data + lo * q_cols, count, q_cols, quotient_coeffs.data(), D, rq.data());
    for (std::size_t t = 0; t < count; ++t) {
      const E r_t = E::from_coeffs(rt.data() + t * D), r_q = E::from_coeffs(rq.data() + t * D);
      deep[reverse_bits(lo + t, log_rows)] = (r_t + r_q - k_sum) * at_zeta.numerator_times(xs[t], inverses[2 * t]) +
                                             (r_t - b_sum) * at_next.numerator_times(xs[t], inverses[2 * t + 1]);
    }
  });
  return deep;
}

template ciro::buffer<field::babybear4> deep_composition(const deep_inputs<field::babybear4>&, field::babybear4);
template ciro::buffer<field::babybear5> deep_composition(const deep_inputs<field::babybear5>&, field::babybear5);

}  // namespace ciro::stark
