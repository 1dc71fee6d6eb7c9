#include "stark/public_columns.hpp"

#include <bit>

#include "core/check.hpp"
#include "field/batch_inverse.hpp"
#include "field/extension.hpp"

namespace ciro::stark {
namespace {

using field::babybear;

/// a = 1 / (w^S - 1), b = 1 / (w^-S - 1), c = w^(1 - n) for S = 2^log_s instances of n = 2^log_n rows.
struct public_column_constants {
  babybear w_s, a, b, c;
  public_column_constants(unsigned log_n, unsigned log_s) {
    const babybear w = babybear::two_adic_generator(log_n + log_s);
    w_s = w.pow(std::size_t{1} << log_s);
    a = (w_s - babybear::one()).inverse();
    b = (w_s.inverse() - babybear::one()).inverse();
    c = w.pow((std::size_t{1} << (log_n + log_s)) + 1 - (std::size_t{1} << log_n));
  }
};

}  // namespace

kernels::row_major_matrix<babybear> public_columns_lde(kernels::matrix_view<const babybear> values, unsigned log_n,
                                                       unsigned log_blowup, kernels::backend& backend) {
  const std::size_t s = values.rows, k = values.width;
  CIRO_CHECK(std::has_single_bit(s) && s >= 2 && log_n >= 1);
  const auto log_s = static_cast<unsigned>(std::countr_zero(s));
  const public_column_constants pc(log_n, log_s);
  // Q's coefficients: the inverse NTT over H_S (w_S = w^n, values in natural order).
  kernels::row_major_matrix<babybear> q(s, k);
  std::copy_n(values.data, s * k, q.values().begin());
  backend.intt(q.view(), {});
  const std::size_t lde_rows = (s << log_n) << log_blowup;
  kernels::row_major_matrix<babybear> out(lde_rows, k);
  babybear c_power = babybear::one();
  for (std::size_t i = 0; i < s; ++i, c_power *= pc.c) {
    for (std::size_t col = 0; col < k; ++col) {
      const babybear qi = q.at(i, col), shifted = qi * c_power;
      out.at(i, col) = babybear::zero() - pc.a * qi - pc.b * shifted;
      out.at(i + s, col) = pc.a * pc.w_s * qi + pc.b * shifted;
    }
  }
  backend.ntt(out.view(), {.shift = babybear::generator()});
  return out;
}

template <class E>
std::vector<std::vector<E>> public_columns_at(kernels::matrix_view<const babybear> values, unsigned log_n,
                                              std::span<const E> points) {
  const std::size_t s = values.rows, k = values.width;
  CIRO_CHECK(std::has_single_bit(s) && s >= 2 && log_n >= 1);
  const auto log_s = static_cast<unsigned>(std::countr_zero(s));
  const public_column_constants pc(log_n, log_s);
  const babybear w_sub = babybear::two_adic_generator(log_s);  // w^n, generating H_S
  const babybear s_inv = babybear::from_u64(s).inverse();
  // Q(y) = (y^S - 1) / S * sum_j v_j w_S^j / (y - w_S^j).
  auto q_at = [&](const E& y) {
    std::vector<E> den(s), inv(s);
    babybear root = babybear::one();
    for (std::size_t j = 0; j < s; ++j, root *= w_sub) den[j] = y - E::from_base(root);
    field::batch_inverse<E>(den, inv);
    E y_s = y;
    for (unsigned i = 0; i < log_s; ++i) y_s = y_s.square();
    const E scale = (y_s - E::one()) * s_inv;
    std::vector<E> out(k, E::zero());
    root = babybear::one();
    for (std::size_t j = 0; j < s; ++j, root *= w_sub) {
      const E weight = inv[j] * root;
      for (std::size_t col = 0; col < k; ++col) out[col] += weight * values.at(j, col);
    }
    for (auto& v : out) v *= scale;
    return out;
  };
  std::vector<std::vector<E>> out;
  for (const E& x : points) {
    const std::vector<E> q_x = q_at(x), q_cx = q_at(x * pc.c);
    E x_s = x;
    for (unsigned i = 0; i < log_s; ++i) x_s = x_s.square();
    const E first = (x_s * pc.w_s - E::one()) * pc.a, last = (x_s - E::one()) * pc.b;
    std::vector<E> r(k);
    for (std::size_t col = 0; col < k; ++col) r[col] = q_x[col] * first + q_cx[col] * last;
    out.push_back(std::move(r));
  }
  return out;
}

template std::vector<std::vector<field::babybear4>> public_columns_at(kernels::matrix_view<const babybear>, unsigned,
                                                                      std::span<const field::babybear4>);
template std::vector<std::vector<field::babybear5>> public_columns_at(kernels::matrix_view<const babybear>, unsigned,
                                                                      std::span<const field::babybear5>);

}  // namespace ciro::stark
