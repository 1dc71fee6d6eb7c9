#pragma once

#include <array>

#include "core/check.hpp"
#include "field/babybear.hpp"

namespace ciro::stark {

/// The function x -> c / (x - z) on base-field points x, for fixed extension-field elements z
/// and c, evaluated without extension-field inversions. With z_k = frob^k(z) (k < D) the
/// conjugates of z,
///   N(X) = prod_{k < D} (X - z_k)      monic of degree D with base-field coefficients (for
///                                      base-field x, N(x) is the norm of x - z),
///   Q(X) = prod_{0 < k < D} (X - z_k)  = N(X) / (X - z), monic of degree D - 1 over E,
/// so c / (x - z) = P(x) / N(x) with P = c Q: one base-field inversion of N(x) (batched by the
/// caller) and D E x base products. N(x) = 0 exactly when x = z (z in the base field); taking
/// 1/N(x) = 0 there gives 0, as field::batch_inverse gives for 1/(x - z).
template <class E>
class linear_inverse {
 public:
  static constexpr unsigned degree = E::degree;

  /// x -> c / (x - z).
  explicit linear_inverse(E z, E c = E::one()) {
    std::array<E, degree + 1> q{};  // Q, then N = Q (X - z), lowest degree first
    q[0] = E::one();
    for (unsigned k = 1; k < degree; ++k) multiply_by_root(q, k, z.frobenius(k));
    for (unsigned i = 0; i < degree; ++i) numerator_[i] = c * q[i];
    multiply_by_root(q, degree, z);
    for (unsigned i = 0; i <= degree; ++i) {
      for (unsigned j = 1; j < degree; ++j) CIRO_DCHECK(q[i].coeff(j).is_zero());
      norm_[i] = q[i].coeff(0);
    }
  }

  /// N(x), by Horner's rule (D base-field multiplications).
  field::babybear denominator(field::babybear x) const {
    field::babybear acc = norm_[degree];
    for (unsigned i = degree; i-- > 0;) acc = acc * x + norm_[i];
    return acc;
  }

  /// P(x) * s; with s = 1/N(x) this is c / (x - z). Cost: D - 1 base and D E x base products.
  E numerator_times(field::babybear x, field::babybear s) const {
    E acc = numerator_[0] * s;
    for (unsigned i = 1; i < degree; ++i) s *= x, acc += numerator_[i] * s;
    return acc;
  }

  /// P's coefficients, lowest degree first.
  const std::array<E, degree>& numerator() const { return numerator_; }

 private:
  /// poly (of degree below `len`) *= (X - root).
  static void multiply_by_root(std::array<E, degree + 1>& poly, unsigned len, E root) {
    for (unsigned i = len + 1; i-- > 0;)
      poly[i] = (i > 0 ? poly[i - 1] : E::zero()) - (i < len ? root * poly[i] : E::zero());
  }

  std::array<E, degree> numerator_{};
  std::array<field::babybear, degree + 1> norm_{};
};

}  // namespace ciro::stark
