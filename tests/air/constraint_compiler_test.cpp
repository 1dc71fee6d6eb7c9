#include "air/constraint_compiler.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "air/fibonacci.hpp"
#include "air/poseidon2_air.hpp"
#include "air/symbolic_builder.hpp"
#include "tests/support/seed.hpp"

namespace ciro::air {
namespace {

using field::babybear;
using kernels::constraint_program;
using opcode = constraint_program::opcode;

/// The obvious builder: values are field elements, asserts append the value to a list.
class value_builder {
 public:
  using expr = babybear;
  value_builder(std::span<const babybear> local, std::span<const babybear> next, std::span<const babybear> publics)
      : local_(local), next_(next), publics_(publics) {}
  expr local(std::size_t c) const { return local_[c]; }
  expr next(std::size_t c) const { return next_[c]; }
  expr public_value(std::size_t i) const { return publics_[i]; }
  expr constant(babybear x) const { return x; }
  void assert_zero(const expr& e) { values.push_back(e); }
  void assert_zero_first(const expr& e) { values.push_back(e); }
  void assert_zero_last(const expr& e) { values.push_back(e); }
  void assert_zero_transition(const expr& e) { values.push_back(e); }
  std::vector<babybear> values;

 private:
  std::span<const babybear> local_, next_, publics_;
};

std::vector<babybear> random_values(test::seeded_rng& rng, std::size_t count) {
  std::vector<babybear> v(count);
  for (auto& x : v) x = babybear::from_u64(rng.next());
  return v;
}

/// The compiled program computes, at random points, the constraint values eval() gives directly.
template <class A>
void expect_program_matches_eval(const A& air, int points) {
  const constraint_program program = compile_constraints(air);
  ASSERT_EQ(program.validate(), "");
  ASSERT_EQ(program.num_constraints(), analyse(air).num_constraints());
  test::seeded_rng rng;
  for (int p = 0; p < points; ++p) {
    const auto local = random_values(rng, air.width()), next = random_values(rng, air.width()),
               publics = random_values(rng, air.num_public_values());
    value_builder direct(local, next, publics);
    air.eval(direct);
    EXPECT_EQ(kernels::evaluate_constraints(program, local, next, publics), direct.values) << "point " << p;
  }
}

TEST(ConstraintCompiler, FibonacciProgramMatchesDirectEvaluation) { expect_program_matches_eval(fibonacci_air{}, 50); }

TEST(ConstraintCompiler, Poseidon2ProgramMatchesDirectEvaluation) {
  expect_program_matches_eval(poseidon2_air{}, 20);
  const constraint_program program = compile_constraints(poseidon2_air{});
  // Registers are reused: far fewer than the instructions (a straight-line program of ~2,600).
  EXPECT_LT(program.num_registers, 64u) << program.code.size() << " instructions";
}

/// Exercises every simplification: constant folding, x + 0, x - 0, x * 1, x * 0, sharing of
/// x * y and y * x, and an unused value.
struct simplifiable_air {
  std::string_view name() const { return "simplifiable"; }
  std::size_t width() const { return 2; }
  std::size_t num_public_values() const { return 1; }
  template <class B>
  void eval(B& b) const {
    const auto x = b.local(0), y = b.next(1);
    const auto two = b.constant(babybear::one()) + b.constant(babybear::one());
    const auto unused = x * x * x;
    (void)unused;
    b.assert_zero((x + b.constant(babybear::zero())) * b.constant(babybear::one()) - b.constant(babybear::zero()));
    b.assert_zero_first(x * y - y * x * two);
    b.assert_zero_last(x * b.constant(babybear::zero()) + b.public_value(0));
  }
};

TEST(ConstraintCompiler, FoldsConstantsSharesSubexpressionsAndDropsDeadCode) {
  expect_program_matches_eval(simplifiable_air{}, 20);
  const constraint_program program = compile_constraints(simplifiable_air{});
  // x*y, (x*y)*2, the difference, and three asserts; the constant 2 only (1 and 0 fold away).
  EXPECT_EQ(program.code.size(), 6u);
  ASSERT_EQ(program.constants.size(), 1u);
  EXPECT_EQ(program.constants[0], babybear::two());
  EXPECT_EQ(program.code[0].op, opcode::assert_zero);
  EXPECT_EQ(program.code[0].a, 0u);  // the first constraint is local(0) itself
  EXPECT_EQ(program.code.back().op, opcode::assert_last);
  EXPECT_EQ(program.code.back().a, program.first_public());
}

TEST(ConstraintCompiler, AssertsKeepTheirOrderAndSitRightAfterTheirOperands) {
  const constraint_program program = compile_constraints(poseidon2_air{});
  std::vector<opcode> kinds;
  for (const auto& in : program.code) {
    if (in.op >= opcode::assert_zero) kinds.push_back(in.op);
  }
  const constraint_info info = analyse(poseidon2_air{});
  ASSERT_EQ(kinds.size(), info.num_constraints());
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    EXPECT_EQ(static_cast<int>(kinds[i]) - static_cast<int>(opcode::assert_zero),
              static_cast<int>(info.constraints[i].kind))
        << i;
  }
}

TEST(ConstraintProgram, ValidateNamesTheFirstProblem) {
  constraint_program program;
  program.width = 1;
  program.num_public_values = 0;
  program.constants = {babybear::two()};
  program.num_registers = 2;  // values: local 0, next 1, constant 2, registers 3 and 4
  program.code = {{opcode::mul, 3, 0, 2}, {opcode::add, 4, 3, 1}, {opcode::assert_zero, 0, 4, 0}};
  EXPECT_EQ(program.validate(), "");
  EXPECT_EQ(kernels::evaluate_constraints(program, std::vector{babybear::from_u64(5)},
                                          std::vector{babybear::from_u64(7)}, {}),
            std::vector{babybear::from_u64(17)});

  auto bad = program;
  bad.code[1].a = 4;  // reads register 4 before it is written
  EXPECT_EQ(bad.validate(), "instruction 1: operand a reads an unwritten or out-of-range value");
  bad = program;
  bad.code[2].a = 5;  // past the last value
  EXPECT_EQ(bad.validate(), "instruction 2: operand a reads an unwritten or out-of-range value");
  bad = program;
  bad.code[0].dst = 2;  // writes a constant
  EXPECT_EQ(bad.validate(), "instruction 0: dst is not a register");
  bad = program;
  bad.code[1].b = 99;
  EXPECT_EQ(bad.validate(), "instruction 1: operand b reads an unwritten or out-of-range value");
  bad = program;
  bad.code[0].op = static_cast<opcode>(42);
  EXPECT_EQ(bad.validate(), "instruction 0: unknown opcode");
}

}  // namespace
}  // namespace ciro::air
