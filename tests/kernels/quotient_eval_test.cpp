#include <gtest/gtest.h>

#include <vector>

#include "field/extension.hpp"
#include "kernels/backend.hpp"
#include "tests/support/random_field.hpp"
#include "tests/support/seed.hpp"
#include "tests/support/simd_targets.hpp"

namespace {

using ciro::field::babybear;
using ciro::kernels::constraint_program;
using ciro::kernels::quotient_inputs;
using ciro::kernels::row_major_matrix;
using ciro::test::random_element;
using opcode = constraint_program::opcode;

/// A random valid program: random operations on the values readable so far (inputs, constants,
/// registers already written), writing random registers (so registers are overwritten and an
/// instruction may write its own operand), and random asserts in between.
constraint_program random_program(ciro::test::seeded_rng& rng) {
  constraint_program p;
  p.width = 1 + rng.below(40);
  p.num_public_values = rng.below(5);
  for (std::size_t i = rng.below(5); i > 0; --i) p.constants.push_back(random_element(rng));
  p.num_registers = 1 + rng.below(12);
  std::vector<std::uint32_t> readable;
  for (std::size_t v = 0; v < p.first_register(); ++v) readable.push_back(static_cast<std::uint32_t>(v));
  const auto any = [&] { return readable[rng.below(readable.size())]; };
  const std::size_t length = 1 + rng.below(300);
  for (std::size_t k = 0; k < length || p.num_constraints() == 0; ++k) {
    const std::uint64_t r = rng.below(10);
    if (r < 3) {
      p.code.push_back({static_cast<opcode>(static_cast<int>(opcode::assert_zero) + rng.below(4)), 0, any(), 0});
    } else {
      const auto op = static_cast<opcode>(rng.below(3));
      const auto dst = static_cast<std::uint32_t>(p.first_register() + rng.below(p.num_registers));
      p.code.push_back({op, dst, any(), any()});
      if (std::find(readable.begin(), readable.end(), dst) == readable.end()) readable.push_back(dst);
    }
  }
  EXPECT_EQ(p.validate(), "");
  return p;
}

/// Q(x_k) point by point from the reference semantics (evaluate_constraints), in E.
template <class E>
row_major_matrix<babybear> reference_quotient(const constraint_program& program, const quotient_inputs& in,
                                              const std::vector<babybear>& alpha) {
  row_major_matrix<babybear> out(in.q_rows, E::degree);
  const std::size_t lde_rows = in.trace_lde.rows;
  for (std::size_t k = 0; k < in.q_rows; ++k) {
    const babybear x = in.x0 * in.w_q.pow(k);
    const std::size_t row = k * in.stride, coset = k & (in.z_h.size() - 1);
    const auto c = ciro::kernels::evaluate_constraints(
        program, in.trace_lde.row(row), in.trace_lde.row((row + in.next_offset) % lde_rows), in.public_values);
    const babybear selector[4] = {babybear::one(), in.z_h[coset] * in.inverses[2 * k],
                                  in.z_h[coset] * in.inverses[2 * k + 1],
                                  x.pow(in.segments) - in.w_inv.pow(in.segments)};
    E sum = E::zero();
    std::size_t i = 0;
    for (const auto& instruction : program.code) {
      if (instruction.op < opcode::assert_zero) continue;
      const int kind = static_cast<int>(instruction.op) - static_cast<int>(opcode::assert_zero);
      sum += E::from_coeffs(alpha.data() + i * E::degree) * (selector[kind] * c[i]);
      ++i;
    }
    const E q = sum * in.z_h_inv[coset];
    for (unsigned j = 0; j < E::degree; ++j) out.at(k, j) = q.coeff(j);
  }
  return out;
}

template <class E>
class QuotientEval : public ::testing::Test {};
using extension_fields = ::testing::Types<ciro::field::babybear4, ciro::field::babybear5>;
TYPED_TEST_SUITE(QuotientEval, extension_fields);

/// The SIMD interpreter against the point-by-point reference, for random programs and domains:
/// quotient domains smaller and larger than a block, strides (blowup over quotient degree) 1 to
/// 4, next rows 1 to 4 points ahead, 1 to 4 cosets of Z_H values, 1 to 32 stacked instances
/// (the transition selector x^S - w^-S); on every SIMD target.
TYPED_TEST(QuotientEval, MatchesPointByPointReferenceOnRandomPrograms) {
  using E = TypeParam;
  ciro::test::seeded_rng rng;
  auto backend = ciro::kernels::make_cpu_backend();
  for (int trial = 0; trial < 24; ++trial) {
    const constraint_program program = random_program(rng);
    const std::size_t q_rows = std::size_t{1} << rng.below(11), stride = std::size_t{1} << rng.below(3);
    const std::size_t next_offset = stride << rng.below(3), cosets = std::min(q_rows, std::size_t{1} << rng.below(3));
    row_major_matrix<babybear> lde(q_rows * stride, program.width);
    for (auto& v : lde.values()) v = random_element(rng);
    std::vector<babybear> publics(program.num_public_values), inverses(2 * q_rows), z_h(cosets), z_h_inv(cosets);
    for (auto* values : {&publics, &inverses, &z_h, &z_h_inv}) {
      for (auto& v : *values) v = random_element(rng);
    }
    std::vector<babybear> alpha(program.num_constraints() * E::degree);
    for (auto& a : alpha) a = random_element(rng);
    const quotient_inputs in{lde.view(),
                             q_rows,
                             stride,
                             next_offset,
                             publics,
                             inverses,
                             z_h,
                             z_h_inv,
                             babybear::generator(),
                             babybear::two_adic_generator(20),
                             random_element(rng),
                             std::size_t{1} << rng.below(6)};  // 1 to 32 stacked instances
    const auto expected = reference_quotient<E>(program, in, alpha);
    ciro::test::for_each_simd_target([&] {
      row_major_matrix<babybear> got(q_rows, E::degree);
      backend->evaluate_quotient(program, in, alpha, got.view());
      EXPECT_TRUE(got == expected) << "trial " << trial << ": q_rows=" << q_rows << " stride=" << stride
                                   << " next_offset=" << next_offset << " cosets=" << cosets
                                   << " segments=" << in.segments << ", " << program.code.size() << " instructions";
    });
  }
}

/// The lazy reduction under load: 2^16 constraints (thousands of folds per sum), every value and
/// coefficient the largest Montgomery word p - 1 or a random one.
TYPED_TEST(QuotientEval, SumsOfManyConstraintsWithExtremeValuesStayExact) {
  using E = TypeParam;
  ciro::test::seeded_rng rng;
  constraint_program program;
  program.width = 3;
  for (std::uint32_t i = 0; i < (1u << 16); ++i) {
    program.code.push_back({static_cast<opcode>(static_cast<int>(opcode::assert_zero) + i % 4), 0, i % 6, 0});
  }
  ASSERT_EQ(program.validate(), "");
  const std::size_t q_rows = 16;
  const babybear largest = babybear::from_monty(babybear::modulus - 1);
  row_major_matrix<babybear> lde(q_rows, program.width);
  for (auto& v : lde.values()) v = rng.below(4) == 0 ? random_element(rng) : largest;
  std::vector<babybear> inverses(2 * q_rows, largest), z_h{largest}, z_h_inv{largest};
  std::vector<babybear> alpha(program.num_constraints() * E::degree);
  for (auto& a : alpha) a = rng.below(4) == 0 ? random_element(rng) : largest;
  const quotient_inputs in{
      lde.view(), q_rows, 1, 1, {}, inverses, z_h, z_h_inv, babybear::generator(), babybear::two_adic_generator(6),
      largest};
  const auto expected = reference_quotient<E>(program, in, alpha);
  auto backend = ciro::kernels::make_cpu_backend();
  ciro::test::for_each_simd_target([&] {
    row_major_matrix<babybear> got(q_rows, E::degree);
    backend->evaluate_quotient(program, in, alpha, got.view());
    EXPECT_TRUE(got == expected);
  });
}

}  // namespace
