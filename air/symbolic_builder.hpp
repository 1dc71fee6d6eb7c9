#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <vector>

#include "air/air.hpp"
#include "core/check.hpp"
#include "field/babybear.hpp"

namespace ciro::air {

/// Where a constraint applies: every row, the first row, the last row, or every row but the
/// last (the rows whose next() is a real successor). This is also the selector the prover
/// multiplies the constraint by.
enum class constraint_kind { all, first, last, transition };

/// "all", "first", "last" or "transition".
constexpr std::string_view to_string(constraint_kind k) {
  switch (k) {
    case constraint_kind::all:
      return "all";
    case constraint_kind::first:
      return "first";
    case constraint_kind::last:
      return "last";
    case constraint_kind::transition:
      return "transition";
  }
  return "?";
}

/// A symbolic value that tracks only its degree as a polynomial in the trace columns:
/// columns have degree 1, public values and constants degree 0; deg(a ± b) = max(deg a, deg b)
/// and deg(a * b) = deg a + deg b (an upper bound: cancellation is not detected).
struct symbolic_expr {
  unsigned degree = 0;

  friend constexpr symbolic_expr operator+(symbolic_expr a, symbolic_expr b) { return {std::max(a.degree, b.degree)}; }
  friend constexpr symbolic_expr operator-(symbolic_expr a, symbolic_expr b) { return {std::max(a.degree, b.degree)}; }
  friend constexpr symbolic_expr operator*(symbolic_expr a, symbolic_expr b) { return {a.degree + b.degree}; }
  friend constexpr bool operator==(symbolic_expr, symbolic_expr) = default;
};

/// One constraint as the symbolic builder saw it.
struct constraint_degree {
  constraint_kind kind = constraint_kind::all;
  /// The degree of the asserted expression itself.
  unsigned expr_degree = 0;
  /// The degree the prover sees: expr_degree for `all`, expr_degree + 1 for first/last/
  /// transition (the selector polynomial counts as degree 1, as in Plonky3's uni-stark).
  unsigned degree = 0;
};

/// A builder that evaluates eval() on symbolic_expr to find the number of constraints and their
/// degrees. local/next/public_value check their index against the AIR's width and number of
/// public values (CIRO_CHECK), so analysing an AIR also catches out-of-range reads.
class symbolic_builder {
 public:
  using expr = symbolic_expr;

  /// A builder for an AIR of `width` columns and `num_public_values` public values.
  symbolic_builder(std::size_t width, std::size_t num_public_values)
      : width_(width), num_public_values_(num_public_values) {}

  /// Column c of the current row: degree 1. Precondition: c < width.
  expr local(std::size_t c) const {
    CIRO_CHECK(c < width_);
    return {1};
  }
  /// Column c of the next row: degree 1. Precondition: c < width.
  expr next(std::size_t c) const {
    CIRO_CHECK(c < width_);
    return {1};
  }
  /// Public value i: degree 0. Precondition: i < num_public_values.
  expr public_value(std::size_t i) const {
    CIRO_CHECK(i < num_public_values_);
    return {0};
  }
  /// A constant: degree 0.
  expr constant(field::babybear) const { return {0}; }

  /// Records a constraint on every row (degree deg e).
  void assert_zero(const expr& e) { record(constraint_kind::all, e, 0); }
  /// Records a first-row constraint (degree deg e + 1).
  void assert_zero_first(const expr& e) { record(constraint_kind::first, e, 1); }
  /// Records a last-row constraint (degree deg e + 1).
  void assert_zero_last(const expr& e) { record(constraint_kind::last, e, 1); }
  /// Records a transition constraint (degree deg e + 1).
  void assert_zero_transition(const expr& e) { record(constraint_kind::transition, e, 1); }

  /// The constraints recorded so far, in eval() order.
  const std::vector<constraint_degree>& constraints() const { return constraints_; }

 private:
  void record(constraint_kind k, const expr& e, unsigned selector_degree) {
    constraints_.push_back({k, e.degree, e.degree + selector_degree});
  }

  std::size_t width_;
  std::size_t num_public_values_;
  std::vector<constraint_degree> constraints_;
};
static_assert(builder<symbolic_builder>);

/// What analyse() learns about an AIR's constraints.
struct constraint_info {
  /// One entry per constraint, in eval() order.
  std::vector<constraint_degree> constraints;
  /// max over constraints of constraint_degree::degree (selectors included); 0 when there are
  /// no constraints.
  unsigned max_degree = 0;

  /// The number of constraints.
  std::size_t num_constraints() const { return constraints.size(); }
};

/// Runs a.eval() on a symbolic_builder and collects the constraint degrees. Cost: one eval().
template <air A>
constraint_info analyse(const A& a) {
  symbolic_builder b(a.width(), a.num_public_values());
  a.eval(b);
  constraint_info info;
  info.constraints = b.constraints();
  for (const constraint_degree& c : info.constraints) info.max_degree = std::max(info.max_degree, c.degree);
  return info;
}

/// log2 of the number of degree-n chunks the quotient is split into, for constraints of degree at
/// most max_degree (selectors included) over a trace of n rows: the quotient
/// C(x) / Z_H(x) has degree < (d - 1) n with d = max(max_degree, 2), so it is padded to
/// 2^ceil(log2(d - 1)) chunks. Equals Plonky3's get_log_quotient_degree (without zk):
/// 0 for d <= 2, 1 for d = 3, 2 for d in 4..5, 3 for d in 6..9.
constexpr unsigned log_quotient_degree(unsigned max_degree) {
  const unsigned d = std::max(max_degree, 2u);
  unsigned log = 0;
  while ((1u << log) < d - 1) ++log;
  return log;
}

}  // namespace ciro::air
