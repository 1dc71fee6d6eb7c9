#pragma once

// A tiny lookup builder for the tests of the lookup AIRs (range_check_test, permutation_test):
// it records an AIR's eval() as expression trees (constraints and bus interactions), and
// evaluates the recorded interactions row by row on a witness with a value builder, to add up
// what each bus sends and receives.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "air/lookup.hpp"
#include "core/check.hpp"
#include "field/babybear.hpp"
#include "kernels/matrix.hpp"

namespace ciro::air::lookup_test {

/// An expression over one row pair: a tree of shared nodes.
struct sym_node;
/// The recording builder's value type: a handle to an expression tree (null: the default value,
/// which no AIR reads).
struct sym {
  std::shared_ptr<const sym_node> node;
};

/// What a node computes.
enum class sym_op { local, next, fixed, fixed_next, public_value, constant, add, sub, mul };

struct sym_node {
  sym_op op;
  std::size_t index = 0;    // column or public value (leaves)
  field::babybear value{};  // constant
  sym a, b;                 // operands (add, sub, mul)
};

inline sym make_leaf(sym_op op, std::size_t index) {
  return {std::make_shared<const sym_node>(sym_node{op, index, {}, {}, {}})};
}
inline sym make_op(sym_op op, const sym& a, const sym& b) {
  CIRO_CHECK(a.node && b.node);
  return {std::make_shared<const sym_node>(sym_node{op, 0, {}, a, b})};
}
inline sym operator+(const sym& a, const sym& b) { return make_op(sym_op::add, a, b); }
inline sym operator-(const sym& a, const sym& b) { return make_op(sym_op::sub, a, b); }
inline sym operator*(const sym& a, const sym& b) { return make_op(sym_op::mul, a, b); }

/// The degree of an expression in the row's columns (main and fixed).
inline unsigned degree(const sym& e) {
  switch (e.node->op) {
    case sym_op::local:
    case sym_op::next:
    case sym_op::fixed:
    case sym_op::fixed_next:
      return 1;
    case sym_op::public_value:
    case sym_op::constant:
      return 0;
    case sym_op::add:
    case sym_op::sub:
      return std::max(degree(e.node->a), degree(e.node->b));
    case sym_op::mul:
      return degree(e.node->a) + degree(e.node->b);
  }
  return 0;
}

/// One send or receive as eval() issued it.
struct recorded_interaction {
  bus bus_;
  bool is_send = true;
  std::vector<sym> tuple;
  sym multiplicity;
};

/// A lookup_builder that records eval(): constraints by kind, interactions in order. Reads of
/// columns and public values outside the AIR's declared shape fail a CIRO_CHECK.
class recording_builder {
 public:
  using expr = sym;

  recording_builder(std::size_t width, std::size_t num_fixed, std::size_t num_public)
      : width_(width), num_fixed_(num_fixed), num_public_(num_public) {}

  expr local(std::size_t c) const {
    CIRO_CHECK(c < width_);
    return make_leaf(sym_op::local, c);
  }
  expr next(std::size_t c) const {
    CIRO_CHECK(c < width_);
    return make_leaf(sym_op::next, c);
  }
  expr fixed(std::size_t c) const {
    CIRO_CHECK(c < num_fixed_);
    return make_leaf(sym_op::fixed, c);
  }
  expr fixed_next(std::size_t c) const {
    CIRO_CHECK(c < num_fixed_);
    return make_leaf(sym_op::fixed_next, c);
  }
  expr public_value(std::size_t i) const {
    CIRO_CHECK(i < num_public_);
    return make_leaf(sym_op::public_value, i);
  }
  expr constant(field::babybear x) const {
    return {std::make_shared<const sym_node>(sym_node{sym_op::constant, 0, x, {}, {}})};
  }
  void assert_zero(const expr& e) { constraints.push_back(e); }
  void assert_zero_first(const expr& e) { constraints.push_back(e); }
  void assert_zero_last(const expr& e) { constraints.push_back(e); }
  void assert_zero_transition(const expr& e) { constraints.push_back(e); }
  void send(const bus& b, std::initializer_list<expr> tuple, const expr& m) {
    interactions.push_back({b, true, tuple, m});
  }
  void receive(const bus& b, std::initializer_list<expr> tuple, const expr& m) {
    interactions.push_back({b, false, tuple, m});
  }

  std::vector<sym> constraints;
  std::vector<recorded_interaction> interactions;

 private:
  std::size_t width_, num_fixed_, num_public_;
};
static_assert(lookup_builder<recording_builder>);

/// A builder of plain values on row r of a main trace and a fixed trace (next() reads row
/// r + 1, cyclically), to evaluate recorded expressions with.
class value_builder {
 public:
  using expr = field::babybear;

  value_builder(const kernels::row_major_matrix<field::babybear>& main,
                const kernels::row_major_matrix<field::babybear>* fixed, std::span<const field::babybear> public_values)
      : main_(main), fixed_(fixed), public_values_(public_values) {}
  void set_row(std::size_t r) { row_ = r, next_row_ = (r + 1) % main_.rows(); }

  expr local(std::size_t c) const { return main_.at(row_, c); }
  expr next(std::size_t c) const { return main_.at(next_row_, c); }
  expr fixed(std::size_t c) const { return fixed_->at(row_, c); }
  expr fixed_next(std::size_t c) const { return fixed_->at(next_row_, c); }
  expr public_value(std::size_t i) const { return public_values_[i]; }
  expr constant(field::babybear x) const { return x; }

 private:
  const kernels::row_major_matrix<field::babybear>& main_;
  const kernels::row_major_matrix<field::babybear>* fixed_;
  std::span<const field::babybear> public_values_;
  std::size_t row_ = 0, next_row_ = 0;
};

/// The value of a recorded expression on the value builder's current row.
inline field::babybear evaluate(const sym& e, const value_builder& v) {
  const sym_node& n = *e.node;
  switch (n.op) {
    case sym_op::local:
      return v.local(n.index);
    case sym_op::next:
      return v.next(n.index);
    case sym_op::fixed:
      return v.fixed(n.index);
    case sym_op::fixed_next:
      return v.fixed_next(n.index);
    case sym_op::public_value:
      return v.public_value(n.index);
    case sym_op::constant:
      return v.constant(n.value);
    case sym_op::add:
      return evaluate(n.a, v) + evaluate(n.b, v);
    case sym_op::sub:
      return evaluate(n.a, v) - evaluate(n.b, v);
    case sym_op::mul:
      return evaluate(n.a, v) * evaluate(n.b, v);
  }
  return {};
}

/// A tuple on a bus: the bus id and the canonical values of the entries.
using bus_tuple = std::pair<std::uint32_t, std::vector<std::uint32_t>>;
/// A multiset of tuples: tuple -> total multiplicity (canonical multiplicities added as
/// integers; tuples of total multiplicity 0 are absent).
using bus_multiset = std::map<bus_tuple, std::uint64_t>;

/// What a set of tables sends and receives over all their rows.
struct bus_traffic {
  bus_multiset sent, received;
};

/// Adds what `a` sends and receives on the witness (main trace, fixed trace or null, public
/// values) to `traffic`: eval() is recorded once, and its interactions evaluated on every row.
template <class A>
void add_traffic(const A& a, const kernels::row_major_matrix<field::babybear>& main,
                 const kernels::row_major_matrix<field::babybear>* fixed,
                 std::span<const field::babybear> public_values, bus_traffic& traffic) {
  recording_builder rec(a.width(), num_fixed_columns(a), a.num_public_values());
  a.eval(rec);
  value_builder v(main, fixed, public_values);
  for (std::size_t r = 0; r < main.rows(); ++r) {
    v.set_row(r);
    for (const recorded_interaction& it : rec.interactions) {
      const std::uint64_t m = evaluate(it.multiplicity, v).to_canonical();
      if (m == 0) continue;
      bus_tuple t{it.bus_.id, {}};
      for (const sym& e : it.tuple) t.second.push_back(evaluate(e, v).to_canonical());
      (it.is_send ? traffic.sent : traffic.received)[t] += m;
    }
  }
}

/// The tuples of `traffic` on one bus: {tuple values -> multiplicity}.
inline std::map<std::vector<std::uint32_t>, std::uint64_t> on_bus(const bus_multiset& s, std::uint32_t bus_id) {
  std::map<std::vector<std::uint32_t>, std::uint64_t> out;
  for (const auto& [t, m] : s) {
    if (t.first == bus_id) out[t.second] = m;
  }
  return out;
}

}  // namespace ciro::air::lookup_test
