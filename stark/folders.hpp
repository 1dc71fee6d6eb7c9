#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "air/air.hpp"
#include "field/babybear.hpp"

/// The two builders that fold an AIR's constraints into one value with powers of a random
/// challenge alpha: the prover's, at the points of the quotient domain (base-field trace
/// values), and the verifier's, at the out-of-domain point zeta (extension-field openings).
///
/// Both compute, for constraints c_0, ..., c_{m-1} in eval() order with selectors s_i,
///     C = sum_i alpha^(m-1-i) * s_i * c_i,
/// where s_i is 1 (assert_zero), L_first, L_last or T (assert_zero_first/last/transition):
///     Z_H(x) = x^n - 1,  L_first(x) = Z_H(x) / (x - 1),  L_last(x) = Z_H(x) / (x - w^-1),
///     T(x) = x - w^-1     (w the generator of the trace domain H, |H| = n),
/// or, for a trace that stacks S instances, the same with x^S and w^-S (selectors_at).
/// (L_first and L_last are n times the Lagrange selectors; the factor changes nothing.) The
/// constraints hold on the trace iff C vanishes on H, i.e. iff Z_H divides C.
namespace ciro::stark {

/// The selector values at one point x of the quotient domain.
template <class F>
struct selectors {
  F first;       ///< L_first(x)
  F last;        ///< L_last(x)
  F transition;  ///< T(x)
};

/// Prover side: expr = babybear (the trace's values at one point x and at x * w). Constraints
/// are accumulated per selector kind with precomputed powers of alpha (one E-by-base product
/// each), and combined once per point by result().
template <class E>
class prover_folder {
 public:
  using expr = field::babybear;

  /// `alpha_powers[i]` = alpha^(m-1-i). local/next: the trace row at x and at x * w.
  prover_folder(std::span<const E> alpha_powers, std::span<const field::babybear> public_values)
      : alpha_powers_(alpha_powers), public_values_(public_values) {}

  /// Points the folder at a new row pair and clears the accumulators.
  void reset(const field::babybear* local, const field::babybear* next) {
    local_ = local;
    next_ = next;
    index_ = 0;
    all_ = first_ = last_ = transition_ = E::zero();
  }

  expr local(std::size_t c) const { return local_[c]; }
  expr next(std::size_t c) const { return next_[c]; }
  expr public_value(std::size_t i) const { return public_values_[i]; }
  expr constant(field::babybear x) const { return x; }
  void assert_zero(const expr& e) { all_ += alpha_powers_[index_++] * e; }
  void assert_zero_first(const expr& e) { first_ += alpha_powers_[index_++] * e; }
  void assert_zero_last(const expr& e) { last_ += alpha_powers_[index_++] * e; }
  void assert_zero_transition(const expr& e) { transition_ += alpha_powers_[index_++] * e; }

  /// C(x) for the row pair given to reset(), with the selectors at x.
  E result(const selectors<field::babybear>& s) const {
    return all_ + first_ * s.first + last_ * s.last + transition_ * s.transition;
  }
  std::size_t constraints_seen() const { return index_; }

 private:
  std::span<const E> alpha_powers_;
  std::span<const field::babybear> public_values_;
  const field::babybear* local_ = nullptr;
  const field::babybear* next_ = nullptr;
  std::size_t index_ = 0;
  E all_, first_, last_, transition_;
};

/// Verifier side: expr = E, the opened values of the trace columns at zeta and zeta * w;
/// accumulates C(zeta) by Horner's rule (acc = acc * alpha + s_i * c_i).
template <class E>
class verifier_folder {
 public:
  using expr = E;

  verifier_folder(std::span<const E> local, std::span<const E> next, std::span<const field::babybear> public_values,
                  E alpha, const selectors<E>& s)
      : local_(local), next_(next), public_values_(public_values), alpha_(alpha), selectors_(s) {}

  expr local(std::size_t c) const { return local_[c]; }
  expr next(std::size_t c) const { return next_[c]; }
  expr public_value(std::size_t i) const { return E::from_base(public_values_[i]); }
  expr constant(field::babybear x) const { return E::from_base(x); }
  void assert_zero(const expr& e) { accumulate(e); }
  void assert_zero_first(const expr& e) { accumulate(selectors_.first * e); }
  void assert_zero_last(const expr& e) { accumulate(selectors_.last * e); }
  void assert_zero_transition(const expr& e) { accumulate(selectors_.transition * e); }

  /// C(zeta).
  E result() const { return acc_; }
  std::size_t constraints_seen() const { return count_; }

 private:
  void accumulate(const E& e) {
    acc_ = acc_ * alpha_ + e;
    ++count_;
  }
  std::span<const E> local_, next_;
  std::span<const field::babybear> public_values_;
  E alpha_;
  selectors<E> selectors_;
  E acc_ = E::zero();
  std::size_t count_ = 0;
};

/// The selectors at x for a trace domain of 2^log_n rows (x outside H) that stacks 2^log_segments
/// instances (kernels::quotient_inputs): with S = 2^log_segments,
///     L_first = Z_H / (x^S - 1),  L_last = Z_H / (x^S - w^-S),  T = x^S - w^-S,
/// which for S = 1 are the selectors above. Needs two inversions; the prover batches them.
template <class F>
selectors<F> selectors_at(F x, unsigned log_n, unsigned log_segments = 0) {
  field::babybear w_inv_s = field::babybear::two_adic_generator(log_n).inverse();
  F z_h = x, x_s = x;
  for (unsigned i = 0; i < log_n; ++i) z_h = z_h.square();
  for (unsigned i = 0; i < log_segments; ++i) x_s = x_s.square(), w_inv_s = w_inv_s.square();
  z_h = z_h - F::one();
  const F w = F::from_base(w_inv_s);
  return {z_h * (x_s - F::one()).inverse(), z_h * (x_s - w).inverse(), x_s - w};
}

}  // namespace ciro::stark
