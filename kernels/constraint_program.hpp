#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "field/babybear.hpp"

/// An AIR's constraints as data: a straight-line program over BabyBear that a backend runs at
/// every point of the quotient domain (see backend::evaluate_quotient). air/constraint_compiler.hpp
/// records it from an AIR's eval(); the kernels layer needs no knowledge of AIRs.
namespace ciro::kernels {

/// The program reads and writes numbered values. Value v is, in this order:
///   [0, width)                      column v of the current row (local);
///   [width, 2 width)                column v - width of the next row (next);
///   [2 width, + num_public_values)  a public value of the statement;
///   [.., + constants.size())        a constant;
///   [.., + num_registers)           a register (a temporary, reused once its value is dead).
/// Every instruction reads values written before it (or inputs) and writes a register.
struct constraint_program {
  enum class opcode : std::uint8_t {
    add,                ///< dst = a + b
    sub,                ///< dst = a - b
    mul,                ///< dst = a * b
    assert_zero,        ///< the next constraint is a, on every row
    assert_first,       ///< the next constraint is a, on the first row
    assert_last,        ///< the next constraint is a, on the last row
    assert_transition,  ///< the next constraint is a, on every row but the last
  };
  struct instruction {
    opcode op = opcode::add;
    std::uint32_t dst = 0;  ///< a register's value index (unused by the assert ops)
    std::uint32_t a = 0;
    std::uint32_t b = 0;  ///< unused by the assert ops
  };

  std::size_t width = 0;
  std::size_t num_public_values = 0;
  std::vector<field::babybear> constants;
  std::size_t num_registers = 0;
  std::vector<instruction> code;

  std::size_t first_public() const { return 2 * width; }
  std::size_t first_constant() const { return first_public() + num_public_values; }
  std::size_t first_register() const { return first_constant() + constants.size(); }
  std::size_t num_values() const { return first_register() + num_registers; }
  /// The number of assert instructions: constraint i is the i-th of them.
  std::size_t num_constraints() const;

  /// Empty if the program is well formed (every operand a valid value index read after it was
  /// written, every dst a register, no opcode out of range); else the first problem. Backends
  /// run only validated programs.
  std::string validate() const;
};

/// The reference semantics: the constraint values c_0 .. c_{m-1} of `program` at one point,
/// given the trace rows at x and at x * w and the public values. Slow and obviously right; the
/// SIMD and GPU interpreters are tested against it. Precondition: validate() is empty and the
/// spans have the program's sizes.
std::vector<field::babybear> evaluate_constraints(const constraint_program& program,
                                                  std::span<const field::babybear> local,
                                                  std::span<const field::babybear> next,
                                                  std::span<const field::babybear> public_values);

}  // namespace ciro::kernels
