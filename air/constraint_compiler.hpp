#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "air/air.hpp"
#include "core/check.hpp"
#include "field/babybear.hpp"
#include "kernels/constraint_program.hpp"

/// Compiles an AIR's eval() into a kernels::constraint_program, the form in which a backend
/// evaluates constraints over the whole quotient domain (SIMD on the CPU, threads on a GPU).
///
/// eval() runs once with a recording builder whose values are symbols. On the way the recorder
///   - folds operations on constants and drops x + 0, x - 0, x * 1; x * 0 becomes 0;
///   - shares common subexpressions (the same operation on the same operands, + and * up to
///     operand order);
/// then the compiler drops operations no constraint depends on and assigns registers by a linear
/// scan, reusing a register once the last instruction that reads it has run (an instruction may
/// write the register its operand frees). Constraint order is eval()'s assert order.
namespace ciro::air {

namespace detail {

/// The symbols of one recording: the program's inputs (local, next, public values), constants,
/// and the results of operations, in creation order.
class constraint_recorder {
 public:
  using opcode = kernels::constraint_program::opcode;

  constraint_recorder(std::size_t width, std::size_t num_public_values)
      : width_(width), num_public_values_(num_public_values), symbols_(2 * width + num_public_values) {}

  std::uint32_t input(std::size_t value_index) const { return static_cast<std::uint32_t>(value_index); }
  std::uint32_t constant(field::babybear x) {
    const auto [it, inserted] = constant_symbols_.try_emplace(x.monty(), static_cast<std::uint32_t>(symbols_.size()));
    if (inserted) symbols_.push_back({kind::constant, opcode::add, 0, 0, x});
    return it->second;
  }
  std::uint32_t operation(opcode op, std::uint32_t a, std::uint32_t b);
  void assert_op(opcode op, std::uint32_t a) { asserts_.push_back({op, a}); }

  /// The finished program (see the namespace comment).
  kernels::constraint_program finish() const;

 private:
  enum class kind : std::uint8_t { input, constant, operation };
  struct symbol {
    kind k = kind::input;
    opcode op = opcode::add;
    std::uint32_t a = 0, b = 0;
    field::babybear value;  ///< for constants
  };
  bool is_constant(std::uint32_t s, field::babybear x) const {
    return symbols_[s].k == kind::constant && symbols_[s].value == x;
  }

  std::size_t width_, num_public_values_;
  std::vector<symbol> symbols_;
  std::map<std::uint32_t, std::uint32_t> constant_symbols_;  // Montgomery word -> symbol
  std::map<std::tuple<opcode, std::uint32_t, std::uint32_t>, std::uint32_t> operation_symbols_;
  std::vector<std::pair<opcode, std::uint32_t>> asserts_;
};

/// The recording builder's value: a symbol of its recorder.
struct recorded_expr {
  constraint_recorder* recorder = nullptr;
  std::uint32_t symbol = 0;

  friend recorded_expr operator+(const recorded_expr& x, const recorded_expr& y) {
    return combine(constraint_recorder::opcode::add, x, y);
  }
  friend recorded_expr operator-(const recorded_expr& x, const recorded_expr& y) {
    return combine(constraint_recorder::opcode::sub, x, y);
  }
  friend recorded_expr operator*(const recorded_expr& x, const recorded_expr& y) {
    return combine(constraint_recorder::opcode::mul, x, y);
  }

 private:
  static recorded_expr combine(constraint_recorder::opcode op, const recorded_expr& x, const recorded_expr& y) {
    CIRO_CHECK(x.recorder != nullptr && x.recorder == y.recorder);  // no default-constructed operands
    return {x.recorder, x.recorder->operation(op, x.symbol, y.symbol)};
  }
};

/// The builder eval() runs with while compiling (bounds-checked like the symbolic builder).
class recording_builder {
 public:
  using expr = recorded_expr;
  using opcode = constraint_recorder::opcode;

  recording_builder(std::size_t width, std::size_t num_public_values)
      : width_(width), num_public_values_(num_public_values), recorder_(width, num_public_values) {}

  expr local(std::size_t c) {
    CIRO_CHECK(c < width_);
    return {&recorder_, recorder_.input(c)};
  }
  expr next(std::size_t c) {
    CIRO_CHECK(c < width_);
    return {&recorder_, recorder_.input(width_ + c)};
  }
  expr public_value(std::size_t i) {
    CIRO_CHECK(i < num_public_values_);
    return {&recorder_, recorder_.input(2 * width_ + i)};
  }
  expr constant(field::babybear x) { return {&recorder_, recorder_.constant(x)}; }
  void assert_zero(const expr& e) { recorder_.assert_op(opcode::assert_zero, e.symbol); }
  void assert_zero_first(const expr& e) { recorder_.assert_op(opcode::assert_first, e.symbol); }
  void assert_zero_last(const expr& e) { recorder_.assert_op(opcode::assert_last, e.symbol); }
  void assert_zero_transition(const expr& e) { recorder_.assert_op(opcode::assert_transition, e.symbol); }

  kernels::constraint_program finish() const { return recorder_.finish(); }

 private:
  std::size_t width_, num_public_values_;
  constraint_recorder recorder_;
};

}  // namespace detail

/// `air`'s constraints as a validated constraint program (see the namespace comment).
template <air A>
kernels::constraint_program compile_constraints(const A& air) {
  detail::recording_builder builder(air.width(), air.num_public_values());
  air.eval(builder);
  kernels::constraint_program program = builder.finish();
  CIRO_CHECK(program.validate().empty());
  return program;
}

}  // namespace ciro::air
