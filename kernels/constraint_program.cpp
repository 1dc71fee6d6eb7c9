#include "kernels/constraint_program.hpp"

#include <algorithm>

#include "core/check.hpp"

namespace ciro::kernels {

namespace {

bool is_assert(constraint_program::opcode op) { return op >= constraint_program::opcode::assert_zero; }

}  // namespace

std::size_t constraint_program::num_constraints() const {
  return static_cast<std::size_t>(
      std::count_if(code.begin(), code.end(), [](const instruction& i) { return is_assert(i.op); }));
}

std::string constraint_program::validate() const {
  const std::size_t registers = first_register(), end = num_values();
  std::vector<bool> written(num_registers, false);
  const auto readable = [&](std::uint32_t v) { return v < registers || (v < end && written[v - registers]); };
  for (std::size_t k = 0; k < code.size(); ++k) {
    const instruction& in = code[k];
    const std::string where = "instruction " + std::to_string(k) + ": ";
    if (in.op > opcode::assert_transition) return where + "unknown opcode";
    if (!readable(in.a)) return where + "operand a reads an unwritten or out-of-range value";
    if (is_assert(in.op)) continue;
    if (!readable(in.b)) return where + "operand b reads an unwritten or out-of-range value";
    if (in.dst < registers || in.dst >= end) return where + "dst is not a register";
    written[in.dst - registers] = true;
  }
  return {};
}

std::vector<field::babybear> evaluate_constraints(const constraint_program& program,
                                                  std::span<const field::babybear> local,
                                                  std::span<const field::babybear> next,
                                                  std::span<const field::babybear> public_values) {
  using field::babybear;
  using opcode = constraint_program::opcode;
  CIRO_CHECK(local.size() == program.width && next.size() == program.width &&
             public_values.size() == program.num_public_values);
  std::vector<babybear> values(program.num_values(), babybear::zero());
  std::copy(local.begin(), local.end(), values.begin());
  std::copy(next.begin(), next.end(), values.begin() + static_cast<std::ptrdiff_t>(program.width));
  std::copy(public_values.begin(), public_values.end(),
            values.begin() + static_cast<std::ptrdiff_t>(program.first_public()));
  std::copy(program.constants.begin(), program.constants.end(),
            values.begin() + static_cast<std::ptrdiff_t>(program.first_constant()));
  std::vector<babybear> constraints;
  for (const auto& in : program.code) {
    switch (in.op) {
      case opcode::add:
        values[in.dst] = values[in.a] + values[in.b];
        break;
      case opcode::sub:
        values[in.dst] = values[in.a] - values[in.b];
        break;
      case opcode::mul:
        values[in.dst] = values[in.a] * values[in.b];
        break;
      case opcode::assert_zero:
      case opcode::assert_first:
      case opcode::assert_last:
      case opcode::assert_transition:
        constraints.push_back(values[in.a]);
        break;
    }
  }
  return constraints;
}

}  // namespace ciro::kernels
