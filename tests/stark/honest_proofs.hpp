#pragma once

// The honest proofs that the tamper, golden-file and fuzz-corpus tests start from: fixed
// witnesses (no randomness), so the same proof comes out on every run (the prover is
// deterministic: TBB reductions combine in a fixed order and grinding returns the smallest
// passing witness).

#include <array>
#include <bit>
#include <memory>
#include <string>

#include "air/fibonacci.hpp"
#include "air/poseidon2_air.hpp"
#include "field/extension.hpp"
#include "hash/merkle_hasher.hpp"
#include "kernels/backend.hpp"
#include "stark/prover.hpp"

namespace ciro::test {

/// The Fibonacci witness of 2^log_rows rows starting from (0, 1), as `ciro prove` builds it.
inline air::witness fibonacci_witness(unsigned log_rows) {
  return air::generate_fibonacci_trace(log_rows, field::babybear::zero(), field::babybear::one());
}

/// The Poseidon2 chain witness of 2^log_rows rows starting from the state (0, 1, ..., 15), as
/// `ciro prove` builds it.
inline air::witness poseidon2_witness(unsigned log_rows) {
  std::array<field::babybear, 16> input;
  for (std::size_t i = 0; i < input.size(); ++i) input[i] = field::babybear::from_u64(i);
  return air::generate_poseidon2_trace(log_rows, input);
}

/// Proves `w` with `params` fitted to its size (stark::fitted); fails the test (and returns an
/// empty proof) if the prover refuses.
template <class E, class A>
stark::proof<E> prove_honest(const A& air, const air::witness& w, const stark::stark_params& params) {
  auto backend = kernels::make_cpu_backend();
  hash::cpu_merkle_hasher hasher;
  const auto log_rows = static_cast<std::uint32_t>(std::countr_zero(w.trace.rows()));
  auto p = stark::prove<E>(air, w, stark::fitted(params, log_rows), *backend, hasher);
  EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().message);
  return p ? std::move(p).value() : stark::proof<E>{};
}

}  // namespace ciro::test
