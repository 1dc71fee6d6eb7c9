// The default (CPU) FRI fold of kernels::backend (see kernels/backend.hpp).
#include <tbb/parallel_for.h>

#include <bit>

#include "core/check.hpp"
#include "field/extension.hpp"
#include "kernels/backend.hpp"
#include "kernels/cpu/ntt_kernels.hpp"

namespace ciro::kernels {
namespace {

using field::babybear;

/// inv[j] = 1 / (2 x_j), x_j = shift * w^bitrev_{log_half}(j): one inversion, then powers of w^-1
/// permuted into bit-reversed order.
std::vector<babybear> inverse_two_x(babybear shift, unsigned log_size) {
  const std::size_t half = std::size_t{1} << (log_size - 1);
  const babybear base = shift.double_().inverse();
  const babybear w_inv = babybear::two_adic_generator(log_size).inverse();
  std::vector<babybear> powers(half), inv(half);
  constexpr std::size_t chunk = 4096;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, half, chunk), [&](const tbb::blocked_range<std::size_t>& r) {
    babybear acc = base * w_inv.pow(r.begin());
    for (std::size_t j = r.begin(); j < r.end(); ++j, acc *= w_inv) powers[j] = acc;
  });
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, half, chunk), [&](const tbb::blocked_range<std::size_t>& r) {
    for (std::size_t j = r.begin(); j < r.end(); ++j) inv[j] = powers[cpu::reverse_bits(j, log_size - 1)];
  });
  return inv;
}

template <class E>
void fold(matrix_view<const babybear> layer, std::span<const babybear> beta_coeffs, babybear shift,
          matrix_view<babybear> out) {
  const unsigned log_size = static_cast<unsigned>(std::countr_zero(layer.rows));
  const auto inv = inverse_two_x(shift, log_size);
  const E beta = E::from_coeffs(beta_coeffs.data());
  const babybear half = babybear::two().inverse();
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, out.rows, 2048), [&](const tbb::blocked_range<std::size_t>& r) {
    for (std::size_t j = r.begin(); j < r.end(); ++j) {
      const E u = E::from_coeffs(layer.data + 2 * j * E::degree),
              v = E::from_coeffs(layer.data + (2 * j + 1) * E::degree);
      const E folded = (u + v) * half + beta * ((u - v) * inv[j]);
      for (unsigned c = 0; c < E::degree; ++c) out.at(j, c) = folded.coeff(c);
    }
  });
}

}  // namespace

void backend::fri_fold(matrix_view<const babybear> layer, std::span<const babybear> beta, babybear shift,
                       matrix_view<babybear> out) {
  CIRO_CHECK(layer.rows >= 2 && std::has_single_bit(layer.rows) && out.rows * 2 == layer.rows);
  CIRO_CHECK(layer.width == out.width && beta.size() == layer.width);
  if (layer.width == 4) {
    fold<field::babybear4>(layer, beta, shift, out);
  } else {
    CIRO_CHECK(layer.width == 5);
    fold<field::babybear5>(layer, beta, shift, out);
  }
}

}  // namespace ciro::kernels
