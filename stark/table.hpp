#pragma once

#include <tbb/parallel_for.h>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "air/air.hpp"
#include "air/constraint_compiler.hpp"
#include "air/debug_checker.hpp"
#include "air/logup.hpp"
#include "air/lookup.hpp"
#include "air/symbolic_builder.hpp"
#include "field/babybear.hpp"
#include "kernels/constraint_program.hpp"
#include "kernels/matrix.hpp"
#include "stark/folders.hpp"

namespace ciro::stark {

/// One kind of table of a multi-table statement: an AIR with its lookups and fixed columns,
/// behind a virtual interface so that tables of different AIRs sit in one proof. E is the
/// challenge field. Built by make_table(); immutable and shared between instances.
///
/// The table is proven as air::logup_air (its own constraints, then the LogUp constraints over
/// the aux columns): "augmented" below means that AIR, whose columns are [main | fixed | aux]
/// and whose public values are the table's own followed by the challenge slots.
template <class E>
class table {
 public:
  virtual ~table() = default;

  /// The AIR's name.
  virtual std::string_view name() const = 0;
  /// Main (witness) columns, fixed columns, and the table's own public values.
  virtual std::size_t main_width() const = 0;
  virtual std::size_t num_fixed() const = 0;
  virtual std::size_t num_public_values() const = 0;
  /// The interactions and their batching into aux columns.
  virtual const air::logup_layout& lookups() const = 0;
  /// Aux base columns: E::degree per helper and accumulator column.
  std::size_t aux_width() const { return E::degree * lookups().num_ext_columns(); }
  /// Whether several instances can be stacked in one trace with the same meaning as separate
  /// traces (detail::stackable_air: public values only in first- and last-row constraints, the
  /// next row of a main column only in transition constraints).
  virtual bool stackable() const = 0;
  /// The public columns of the stacked augmented AIR: the own public values, then the LogUp
  /// total's D coordinates (with lookups); 0 when not stacked.
  std::size_t public_columns(bool stacked) const {
    return stacked ? num_public_values() + (lookups().empty() ? 0 : E::degree) : 0;
  }
  /// Public values of the augmented AIR: own (unless stacked) + challenge slots.
  std::size_t augmented_public_values(bool stacked) const {
    const std::size_t challenges = lookups().empty() ? 0 : E::degree * (lookups().max_tuple_length + (stacked ? 1 : 2));
    return (stacked ? 0 : num_public_values()) + challenges;
  }
  /// The augmented AIR's constraint count and largest degree (selectors included), single or
  /// stacked (the same constraints; public values read from columns count as degree 1).
  virtual const air::constraint_info& constraints(bool stacked = false) const = 0;
  /// The augmented AIR's constraints as a program for backend::evaluate_quotient.
  virtual const kernels::constraint_program& program(bool stacked = false) const = 0;
  /// The fixed columns on 2^log_rows rows (rows x num_fixed()).
  virtual kernels::row_major_matrix<field::babybear> fixed_trace(unsigned log_rows) const = 0;
  /// Whether the AIR can have 2^log_rows rows (a range table has exactly 2^16; most AIRs any).
  virtual bool accepts_log_rows(unsigned log_rows) const = 0;

  /// The verifier's fold of the augmented constraints at an out-of-domain point:
  /// sum_i alpha^(m-1-i) s_i c_i from the [main | fixed | aux (| public columns when stacked)]
  /// values at zeta and zeta w.
  virtual E constraints_at(std::span<const E> local, std::span<const E> next,
                           std::span<const field::babybear> augmented_public_values, E alpha, const selectors<E>& s,
                           bool stacked = false) const = 0;

  /// The debug check of the table's own constraints on [main | fixed]: the first violation as
  /// a message ("constraint 3 (transition) fails on row 7: value 12"), or nothing.
  virtual std::optional<std::string> check(const kernels::row_major_matrix<field::babybear>& main_and_fixed,
                                           std::span<const field::babybear> public_values) const = 0;

  /// The interaction values of rows [begin, end) of a table with `main` and `fixed` traces (the
  /// next row of the last is the first): for row r, multiplicities[(r - begin) K + k] = m_k and
  /// tuples[(r - begin) T + ...] the tuple entries of k = 0 .. K-1 in order (T = sum of tuple
  /// lengths). Precondition: the spans have (end - begin) K and (end - begin) T elements.
  virtual void interactions_on_rows(kernels::matrix_view<const field::babybear> main,
                                    kernels::matrix_view<const field::babybear> fixed,
                                    std::span<const field::babybear> public_values, std::size_t begin, std::size_t end,
                                    std::span<field::babybear> multiplicities,
                                    std::span<field::babybear> tuples) const = 0;
};

namespace detail {

/// A value that records whether it depends on a public value and on the next row of a main
/// column.
struct row_use {
  bool public_value = false;
  bool next_main = false;
  friend row_use combine(row_use a, row_use b) {
    return {a.public_value || b.public_value, a.next_main || b.next_main};
  }
  friend row_use operator+(row_use a, row_use b) { return combine(a, b); }
  friend row_use operator-(row_use a, row_use b) { return combine(a, b); }
  friend row_use operator*(row_use a, row_use b) { return combine(a, b); }
};

/// The builder that finds what keeps an AIR from being stacked (see stackable_air): a public
/// value read outside first- and last-row constraints, or the next row of a main column read
/// outside transition constraints. Columns at or past `main_width` are fixed columns (the
/// interaction_collector maps fixed(c) there): every stacked instance has the same fixed trace,
/// so their next row is the same inside an instance and across the boundary.
class row_use_builder {
 public:
  using expr = row_use;
  explicit row_use_builder(std::size_t main_width) : main_width_(main_width) {}
  expr local(std::size_t) const { return {}; }
  expr next(std::size_t c) const { return {false, c < main_width_}; }
  expr public_value(std::size_t) const { return {true, false}; }
  expr constant(field::babybear) const { return {}; }
  void assert_zero(const expr& e) { note(e.public_value || e.next_main); }
  void assert_zero_first(const expr& e) { note(e.next_main); }
  void assert_zero_last(const expr& e) { note(e.next_main); }
  void assert_zero_transition(const expr& e) { note(e.public_value); }
  /// Records a use that rules stacking out.
  void note(bool blocks) { blocks_ = blocks_ || blocks; }
  bool blocks() const { return blocks_; }

 private:
  std::size_t main_width_;
  bool blocks_ = false;
};

/// Whether instances of `a` can be stacked in one trace with the same meaning as separate
/// traces: its public values are read in first- and last-row constraints only (a stacked table
/// reads them from public columns that equal each instance's values on its first and last rows,
/// not in between), and the next row of a main column is read in transition constraints only
/// (which stop at every instance's last row; elsewhere next() of an instance's last row would
/// read the following instance's first row, where a single trace wraps around to its own).
/// Bus tuples and multiplicities, evaluated on every row, may read neither.
template <air::air A>
bool stackable_air(const A& a) {
  row_use_builder b(a.width());
  air::interaction_collector<row_use_builder> c(b, a.width(), air::num_fixed_columns(a), true);
  a.eval(c);
  for (const auto& r : c.interactions()) {
    b.note(r.multiplicity.public_value || r.multiplicity.next_main);
    for (std::size_t j = 0; j < r.tuple_length; ++j) {
      b.note(c.tuple_entry(r, j).public_value || c.tuple_entry(r, j).next_main);
    }
  }
  return !b.blocks();
}

template <air::air A, class E>
class air_table final : public table<E> {
 public:
  explicit air_table(A a)
      : air_(std::move(a)),
        checked_(air_, {}, false),
        augmented_(air_, air::analyse_lookups(air_, std::max(3u, air::analyse(checked_).max_degree)), true),
        stacked_(air_, augmented_.layout(), true, true),
        info_(air::analyse(augmented_)),
        stacked_info_(air::analyse(stacked_)),
        program_(air::compile_constraints(augmented_)),
        stacked_program_(air::compile_constraints(stacked_)),
        stackable_(stackable_air(air_)) {}

  std::string_view name() const override { return air_.name(); }
  std::size_t main_width() const override { return air_.width(); }
  std::size_t num_fixed() const override { return air::num_fixed_columns(air_); }
  std::size_t num_public_values() const override { return air_.num_public_values(); }
  const air::logup_layout& lookups() const override { return augmented_.layout(); }
  bool stackable() const override { return stackable_; }
  const air::constraint_info& constraints(bool stacked) const override { return stacked ? stacked_info_ : info_; }
  const kernels::constraint_program& program(bool stacked) const override {
    return stacked ? stacked_program_ : program_;
  }
  kernels::row_major_matrix<field::babybear> fixed_trace(unsigned log_rows) const override {
    if constexpr (air::has_fixed_columns<A>) {
      return air_.fixed_trace(log_rows);
    } else {
      return kernels::row_major_matrix<field::babybear>(std::size_t{1} << log_rows, 0);
    }
  }

  bool accepts_log_rows(unsigned log_rows) const override {
    if constexpr (requires { air_.accepts_log_rows(log_rows); }) {
      return air_.accepts_log_rows(log_rows);
    } else {
      return true;
    }
  }

  E constraints_at(std::span<const E> local, std::span<const E> next, std::span<const field::babybear> pub, E alpha,
                   const selectors<E>& s, bool stacked) const override {
    verifier_folder<E> folder(local, next, pub, alpha, s);
    if (stacked) {
      stacked_.eval(folder);
    } else {
      augmented_.eval(folder);
    }
    return folder.result();
  }

  std::optional<std::string> check(const kernels::row_major_matrix<field::babybear>& main_and_fixed,
                                   std::span<const field::babybear> public_values) const override {
    const air::check_report report = air::check_trace(checked_, main_and_fixed, public_values, 1);
    if (report.ok()) return std::nullopt;
    return air::to_string(report.violations.front());
  }

  void interactions_on_rows(kernels::matrix_view<const field::babybear> main,
                            kernels::matrix_view<const field::babybear> fixed,
                            std::span<const field::babybear> public_values, std::size_t begin, std::size_t end,
                            std::span<field::babybear> multiplicities,
                            std::span<field::babybear> tuples) const override {
    const std::size_t n = main.rows, w = main.width, f = fixed.width;
    air::row_value_builder values(w, public_values);
    air::interaction_collector<air::row_value_builder> collector(values, w, f, false);
    std::size_t m_at = 0, t_at = 0;
    for (std::size_t r = begin; r < end; ++r) {
      const std::size_t r_next = r + 1 == n ? 0 : r + 1;
      values.set_row(main.data + r * w, main.data + r_next * w, f ? fixed.data + r * f : nullptr,
                     f ? fixed.data + r_next * f : nullptr);
      collector.clear();
      air_.eval(collector);
      for (const auto& rec : collector.interactions()) {
        multiplicities[m_at++] = rec.multiplicity;
        for (std::size_t j = 0; j < rec.tuple_length; ++j) tuples[t_at++] = collector.tuple_entry(rec, j);
      }
    }
  }

 private:
  A air_;
  air::logup_air<A, E> checked_;
  air::logup_air<A, E> augmented_;
  air::logup_air<A, E> stacked_;
  air::constraint_info info_, stacked_info_;
  kernels::constraint_program program_, stacked_program_;
  bool stackable_;
};

}  // namespace detail

/// The table of AIR `a` over the challenge field E. Cost: a few symbolic passes and the
/// compilation of its constraints (milliseconds for the Poseidon2 AIR): build it once per
/// circuit and share it between instances.
template <class E, air::air A>
std::shared_ptr<const table<E>> make_table(A a) {
  return std::make_shared<detail::air_table<A, E>>(std::move(a));
}

}  // namespace ciro::stark
