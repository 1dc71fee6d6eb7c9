#include "air/constraint_compiler.hpp"

#include <algorithm>
#include <limits>

namespace ciro::air::detail {

using field::babybear;

std::uint32_t constraint_recorder::operation(opcode op, std::uint32_t a, std::uint32_t b) {
  const symbol& x = symbols_[a];
  const symbol& y = symbols_[b];
  if (x.k == kind::constant && y.k == kind::constant) {
    return constant(op == opcode::add ? x.value + y.value : op == opcode::sub ? x.value - y.value : x.value * y.value);
  }
  const babybear zero = babybear::zero(), one = babybear::one();
  switch (op) {
    case opcode::add:
      if (is_constant(a, zero)) return b;
      if (is_constant(b, zero)) return a;
      break;
    case opcode::sub:
      if (is_constant(b, zero)) return a;
      break;
    case opcode::mul:
      if (is_constant(a, zero) || is_constant(b, zero)) return constant(zero);
      if (is_constant(a, one)) return b;
      if (is_constant(b, one)) return a;
      break;
    default:
      CIRO_CHECK(false);
  }
  if (op != opcode::sub && a > b) std::swap(a, b);  // + and * commute: one symbol per operand pair
  const auto [it, inserted] =
      operation_symbols_.try_emplace(std::tuple(op, a, b), static_cast<std::uint32_t>(symbols_.size()));
  if (inserted) symbols_.push_back({kind::operation, op, a, b, zero});
  return it->second;
}

kernels::constraint_program constraint_recorder::finish() const {
  kernels::constraint_program program;
  program.width = width_;
  program.num_public_values = num_public_values_;

  // Liveness: the operations some constraint depends on (operands precede their users).
  std::vector<bool> live(symbols_.size(), false);
  for (const auto& [op, s] : asserts_) live[s] = true;
  for (std::size_t s = symbols_.size(); s-- > 0;) {
    if (live[s] && symbols_[s].k == kind::operation) live[symbols_[s].a] = live[symbols_[s].b] = true;
  }

  // Constants in order of symbol creation; their value indices follow the inputs.
  constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();
  std::vector<std::uint32_t> value_of(symbols_.size(), none);
  for (std::size_t s = 0; s < 2 * width_ + num_public_values_; ++s) value_of[s] = static_cast<std::uint32_t>(s);
  for (std::size_t s = 0; s < symbols_.size(); ++s) {
    if (live[s] && symbols_[s].k == kind::constant) {
      value_of[s] = static_cast<std::uint32_t>(program.first_constant() + program.constants.size());
      program.constants.push_back(symbols_[s].value);
    }
  }

  // Program order: live operations in creation order (operands first), then the asserts, each
  // placed right after the last operation it reads, in assert order. The asserts' order among
  // themselves is the protocol's; moving them earlier shortens registers' lifetimes.
  std::vector<std::vector<std::size_t>> asserts_after(symbols_.size() + 1);
  {
    std::size_t latest = 0;  // asserts keep their relative order: never place one before its predecessor
    for (std::size_t i = 0; i < asserts_.size(); ++i) {
      const std::uint32_t s = asserts_[i].second;
      const std::size_t at = symbols_[s].k == kind::operation ? s + 1 : 0;
      latest = std::max(latest, at);
      asserts_after[latest].push_back(i);
    }
  }
  // Last use of each operation's result, in program positions (asserts counted as reads).
  std::vector<std::size_t> last_use(symbols_.size(), 0);
  {
    std::size_t position = 0;
    for (std::size_t s = 0; s <= symbols_.size(); ++s) {
      for (const std::size_t i : asserts_after[s]) last_use[asserts_[i].second] = position++;
      if (s == symbols_.size() || !live[s] || symbols_[s].k != kind::operation) continue;
      last_use[symbols_[s].a] = last_use[symbols_[s].b] = position++;
    }
  }
  // Linear scan: free an operand's register at its last read, before allocating dst. Registers
  // are held as value indices (they follow the constants).
  const auto first_register = static_cast<std::uint32_t>(program.first_register());
  std::vector<std::uint32_t> free_registers;
  std::size_t registers = 0;
  std::vector<kernels::constraint_program::instruction> code;
  const auto release = [&](std::uint32_t s, std::size_t position) {
    if (symbols_[s].k == kind::operation && last_use[s] == position && value_of[s] != none) {
      free_registers.push_back(value_of[s]);
      value_of[s] = none;  // freed once, even when both operands are s
    }
  };
  std::size_t position = 0;
  for (std::size_t s = 0; s <= symbols_.size(); ++s) {
    for (const std::size_t i : asserts_after[s]) {
      const auto [op, operand] = asserts_[i];
      code.push_back({op, 0, value_of[operand], 0});
      release(operand, position++);
    }
    if (s == symbols_.size() || !live[s] || symbols_[s].k != kind::operation) continue;
    const symbol& sym = symbols_[s];
    kernels::constraint_program::instruction in{sym.op, 0, value_of[sym.a], value_of[sym.b]};
    release(sym.a, position);
    release(sym.b, position);
    ++position;
    if (free_registers.empty()) {
      in.dst = first_register + static_cast<std::uint32_t>(registers++);
    } else {
      in.dst = free_registers.back();
      free_registers.pop_back();
    }
    value_of[s] = in.dst;
    code.push_back(in);
  }
  program.num_registers = registers;
  program.code = std::move(code);
  return program;
}

}  // namespace ciro::air::detail
