#pragma once

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "air/air.hpp"
#include "air/symbolic_builder.hpp"
#include "core/check.hpp"
#include "field/babybear.hpp"
#include "kernels/matrix.hpp"

namespace ciro::air {

/// A constraint that does not hold: constraint `constraint` (its index in eval() order), of kind
/// `kind`, evaluates to `value` != 0 on row `row`.
struct violation {
  std::size_t constraint = 0;
  constraint_kind kind = constraint_kind::all;
  std::size_t row = 0;
  field::babybear value;

  friend bool operator==(const violation&, const violation&) = default;
};

/// "constraint <i> (<kind>) fails on row <r>: value <v>", for test and log messages.
inline std::string to_string(const violation& v) {
  return "constraint " + std::to_string(v.constraint) + " (" + std::string(to_string(v.kind)) + ") fails on row " +
         std::to_string(v.row) + ": value " + std::to_string(v.value.to_canonical());
}

/// The outcome of check_trace: the first violations found (row by row, then in constraint order
/// within a row), at most the cap given to check_trace, and the total count.
struct check_report {
  std::vector<violation> violations;
  /// Every violation found, including those beyond the cap.
  std::size_t total = 0;

  /// True when every constraint holds on every row it applies to.
  bool ok() const { return total == 0; }
  /// True when more violations exist than `violations` holds.
  bool truncated() const { return total > violations.size(); }
};

/// The builder check_trace drives: expr is a plain base-field element, local/next read the
/// current row and its cyclic successor, and each assert_* compares its value with zero on the
/// rows its kind applies to, appending a violation to the report.
class debug_builder {
 public:
  using expr = field::babybear;

  /// A builder over `trace` and `public_values` that writes to `report`, keeping at most
  /// max_violations entries. Precondition: trace has at least one row.
  debug_builder(kernels::matrix_view<const field::babybear> trace, std::span<const field::babybear> public_values,
                check_report& report, std::size_t max_violations)
      : trace_(trace), public_values_(public_values), report_(report), max_violations_(max_violations) {
    CIRO_CHECK(trace.rows >= 1);
  }

  /// Moves to row r (and resets the constraint counter). Precondition: r < rows.
  void set_row(std::size_t r) {
    CIRO_CHECK(r < trace_.rows);
    row_ = r;
    local_ = trace_.data + r * trace_.width;
    next_ = trace_.data + ((r + 1) % trace_.rows) * trace_.width;
    constraint_ = 0;
  }

  /// Trace cell (row, c). Precondition: c < width.
  expr local(std::size_t c) const {
    CIRO_CHECK(c < trace_.width);
    return local_[c];
  }
  /// Trace cell (row + 1 mod rows, c). Precondition: c < width.
  expr next(std::size_t c) const {
    CIRO_CHECK(c < trace_.width);
    return next_[c];
  }
  /// Public value i. Precondition: i < the number of public values.
  expr public_value(std::size_t i) const {
    CIRO_CHECK(i < public_values_.size());
    return public_values_[i];
  }
  /// x itself.
  expr constant(field::babybear x) const { return x; }

  /// Checks e = 0 (every row).
  void assert_zero(const expr& e) { check(constraint_kind::all, e, true); }
  /// Checks e = 0 when on the first row.
  void assert_zero_first(const expr& e) { check(constraint_kind::first, e, row_ == 0); }
  /// Checks e = 0 when on the last row.
  void assert_zero_last(const expr& e) { check(constraint_kind::last, e, row_ + 1 == trace_.rows); }
  /// Checks e = 0 when not on the last row.
  void assert_zero_transition(const expr& e) { check(constraint_kind::transition, e, row_ + 1 != trace_.rows); }

 private:
  void check(constraint_kind k, const expr& e, bool applies) {
    if (applies && !e.is_zero()) {
      ++report_.total;
      if (report_.violations.size() < max_violations_) report_.violations.push_back({constraint_, k, row_, e});
    }
    ++constraint_;
  }

  kernels::matrix_view<const field::babybear> trace_;
  std::span<const field::babybear> public_values_;
  check_report& report_;
  std::size_t max_violations_;
  std::size_t row_ = 0;
  std::size_t constraint_ = 0;
  const field::babybear* local_ = nullptr;
  const field::babybear* next_ = nullptr;
};
static_assert(builder<debug_builder>);

/// Evaluates every constraint of `a` on every row it applies to, in the base field, with the
/// trace read cyclically (the next row of the last row is the first), and reports the
/// violations: the first `max_violations` of them (row by row, then in constraint order) plus
/// the total count.
///
/// Preconditions (CIRO_CHECK): trace.width() == a.width(), public_values.size() ==
/// a.num_public_values(), trace.rows() >= 1. Cost: rows() evaluations of eval(), spread over the
/// TBB threads in blocks of rows; the report is the same as a row-by-row pass would give.
template <air A>
check_report check_trace(const A& a, const kernels::row_major_matrix<field::babybear>& trace,
                         std::span<const field::babybear> public_values, std::size_t max_violations = 100) {
  CIRO_CHECK(trace.width() == a.width());
  CIRO_CHECK(public_values.size() == a.num_public_values());
  constexpr std::size_t block = 1024;
  std::vector<check_report> blocks((trace.rows() + block - 1) / block);
  tbb::parallel_for(std::size_t{0}, blocks.size(), [&](std::size_t k) {
    debug_builder b(trace.view(), public_values, blocks[k], max_violations);
    for (std::size_t r = k * block; r < std::min(trace.rows(), (k + 1) * block); ++r) {
      b.set_row(r);
      a.eval(b);
    }
  });
  check_report report;
  for (const check_report& part : blocks) {
    report.total += part.total;
    for (const violation& v : part.violations) {
      if (report.violations.size() < max_violations) report.violations.push_back(v);
    }
  }
  return report;
}

}  // namespace ciro::air
