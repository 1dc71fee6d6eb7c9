#pragma once

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "field/babybear.hpp"
#include "kernels/matrix.hpp"

/// Algebraic intermediate representations (AIRs): a trace of `width` columns over BabyBear
/// whose rows satisfy polynomial constraints between the current row and the next one.
///
/// An AIR states its constraints once, as a member template
///
///     template <class Builder> void eval(Builder& b) const;
///
/// and every consumer evaluates them by passing its own builder: the symbolic builder (degrees,
/// to size the quotient), the debug checker (which constraint fails on which row), the prover
/// (values on the LDE domain) and the verifier (values at the out-of-domain point).
namespace ciro::air {

/// What eval() may use of a builder. `B::expr` is the builder's value type: a semiregular type
/// (default-constructible and copyable, so an AIR may keep a std::array of them) that supports
/// +, - and * with itself, and b.constant() lifts a base-field constant into it.
///
///   local(c), next(c)      column c of the current row and of the next row (the next row of the
///                          last row is the first: the trace is read cyclically);
///   public_value(i)        the i-th public value of the statement;
///   constant(x)            the constant x;
///   assert_zero(e)         e = 0 on every row;
///   assert_zero_first(e)   e = 0 on the first row;
///   assert_zero_last(e)    e = 0 on the last row;
///   assert_zero_transition(e)  e = 0 on every row but the last (the constraints that involve
///                          next()).
///
/// Constraint i is the i-th assert_* call of eval(): the order is part of the protocol, since
/// the prover and the verifier combine the constraints with powers of a random challenge in
/// that order.
template <class B>
concept builder = std::semiregular<typename B::expr> &&
    requires(B& b, const typename B::expr& e, std::size_t i, field::babybear x) {
  { e + e } -> std::convertible_to<typename B::expr>;
  { e - e } -> std::convertible_to<typename B::expr>;
  { e* e } -> std::convertible_to<typename B::expr>;
  { b.local(i) } -> std::convertible_to<typename B::expr>;
  { b.next(i) } -> std::convertible_to<typename B::expr>;
  { b.public_value(i) } -> std::convertible_to<typename B::expr>;
  { b.constant(x) } -> std::convertible_to<typename B::expr>;
  b.assert_zero(e);
  b.assert_zero_first(e);
  b.assert_zero_last(e);
  b.assert_zero_transition(e);
};

namespace detail {

/// A builder with nothing but the declarations `builder` asks for (never defined, only used in
/// unevaluated operands): the `air` concept checks that eval() accepts some builder without
/// tying air.hpp to a concrete one.
struct archetype_expr {
  friend archetype_expr operator+(const archetype_expr&, const archetype_expr&);
  friend archetype_expr operator-(const archetype_expr&, const archetype_expr&);
  friend archetype_expr operator*(const archetype_expr&, const archetype_expr&);
};
/// See archetype_expr.
struct archetype_builder {
  using expr = archetype_expr;
  expr local(std::size_t) const;
  expr next(std::size_t) const;
  expr public_value(std::size_t) const;
  expr constant(field::babybear) const;
  void assert_zero(const expr&);
  void assert_zero_first(const expr&);
  void assert_zero_last(const expr&);
  void assert_zero_transition(const expr&);
  // Lookup AIRs (air/lookup.hpp) also read fixed columns and use buses; declaring these here
  // lets the `air` concept accept them. Plain builders need not provide them.
  expr fixed(std::size_t) const;
  expr fixed_next(std::size_t) const;
  template <class Bus, class Tuple>
  void send(const Bus&, const Tuple&, const expr&);
  template <class Bus>
  void send(const Bus&, std::initializer_list<expr>, const expr&);
  template <class Bus, class Tuple>
  void receive(const Bus&, const Tuple&, const expr&);
  template <class Bus>
  void receive(const Bus&, std::initializer_list<expr>, const expr&);
};
static_assert(builder<archetype_builder>);

}  // namespace detail

/// An AIR: a named statement about a trace of width() columns and num_public_values() public
/// values, whose constraints eval() states to any builder (see `builder`).
///
///   name()                a short stable identifier (used in reports and proof metadata);
///   width()               the number of trace columns: eval() reads local(c)/next(c) only for
///                         c < width();
///   num_public_values()   eval() reads public_value(i) only for i < num_public_values();
///   eval(b)               issues the constraints, in protocol order, as b.assert_*() calls.
///
/// eval() must issue the same sequence of constraints for every builder (no data-dependent
/// control flow: the builder's values may be symbolic) and, because the prover calls it once
/// per row group on packed values, it should be branch-free and allocation-free.
template <class A>
concept air = requires(const A& a, detail::archetype_builder& b) {
  { a.name() } -> std::convertible_to<std::string_view>;
  { a.width() } -> std::convertible_to<std::size_t>;
  { a.num_public_values() } -> std::convertible_to<std::size_t>;
  a.eval(b);
};

/// One instance of an AIR's statement with its witness: the trace (rows x width, row-major) and
/// the public values, as the trace generators return them and check_trace / the prover take them.
struct witness {
  kernels::row_major_matrix<field::babybear> trace;
  std::vector<field::babybear> public_values;
};

}  // namespace ciro::air
