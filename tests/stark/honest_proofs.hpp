#pragma once

// The honest proofs that the stark, tamper, golden-file and fuzz-corpus tests start from, and
// small lookup AIRs that exercise buses and fixed columns. Witnesses are fixed (or drawn from a
// given seed), so the same proof comes out on every run (the prover is deterministic: TBB
// reductions combine in a fixed order and grinding returns the smallest passing witness).

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "air/fibonacci.hpp"
#include "air/lookup.hpp"
#include "air/poseidon2_air.hpp"
#include "field/extension.hpp"
#include "hash/merkle_hasher.hpp"
#include "kernels/backend.hpp"
#include "stark/circuit.hpp"
#include "stark/prover.hpp"
#include "stark/table.hpp"
#include "stark/verifier.hpp"

namespace ciro::test {

using field::babybear;

/// The Fibonacci witness of 2^log_rows rows starting from (a0, 1), as `ciro prove` builds it.
inline air::witness fibonacci_witness(unsigned log_rows, std::uint64_t a0 = 0) {
  return air::generate_fibonacci_trace(log_rows, babybear::from_u64(a0), babybear::one());
}

/// The Poseidon2 chain witness of 2^log_rows rows starting from the state (0, 1, ..., 15), as
/// `ciro prove` builds it.
inline air::witness poseidon2_witness(unsigned log_rows) {
  std::array<babybear, 16> input;
  for (std::size_t i = 0; i < input.size(); ++i) input[i] = babybear::from_u64(i);
  return air::generate_poseidon2_trace(log_rows, input);
}

/// The bus of the toy lookup AIRs.
inline constexpr air::bus toy_bus{7, "toy"};

/// Sends (a, b) with multiplicity 1 on every row; constrains b = a^2 (so the table has a
/// constraint of its own). Columns: a, b.
struct toy_sender_air {
  std::string_view name() const { return "toy-sender"; }
  std::size_t width() const { return 2; }
  std::size_t num_public_values() const { return 0; }
  template <class B>
  void eval(B& b) const {
    const auto a = b.local(0), sq = b.local(1);
    b.assert_zero(sq - a * a);
    b.send(toy_bus, {a, sq}, b.constant(babybear::one()));
  }
};

/// Receives (a, b) with multiplicity m. Columns: a, b, m.
struct toy_receiver_air {
  std::string_view name() const { return "toy-receiver"; }
  std::size_t width() const { return 3; }
  std::size_t num_public_values() const { return 0; }
  template <class B>
  void eval(B& b) const {
    b.receive(toy_bus, {b.local(0), b.local(1)}, b.local(2));
  }
};

/// A table of squares as a fixed column pair (i, i^2), i < 2^log_rows, receiving each with the
/// multiplicity in its main column; and two sends per row so that batching is exercised:
/// the table also sends and receives (m, m) on a bus of its own (a bus used by one table).
inline constexpr air::bus toy_self_bus{8, "toy-self"};
struct toy_squares_air {
  std::string_view name() const { return "toy-squares"; }
  std::size_t width() const { return 1; }
  std::size_t num_public_values() const { return 0; }
  std::size_t num_fixed_columns() const { return 2; }
  kernels::row_major_matrix<babybear> fixed_trace(unsigned log_rows) const {
    kernels::row_major_matrix<babybear> f(std::size_t{1} << log_rows, 2);
    for (std::size_t i = 0; i < f.rows(); ++i) f.at(i, 0) = babybear::from_u64(i), f.at(i, 1) = f.at(i, 0) * f.at(i, 0);
    return f;
  }
  template <class B>
  void eval(B& b) const {
    b.receive(toy_bus, {b.fixed(0), b.fixed(1)}, b.local(0));
    b.send(toy_self_bus, {b.local(0), b.fixed(0)}, b.fixed(1));
    b.receive(toy_self_bus, {b.local(0), b.fixed(0)}, b.fixed(1));
  }
};

/// A witness for toy_sender_air: 2^log_rows values a < 2^log_table (drawn from seed) and their
/// squares; and the multiplicity column of toy_squares_air on 2^log_table rows.
inline std::pair<air::witness, air::witness> toy_squares_witness(unsigned log_rows, unsigned log_table,
                                                                 std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  air::witness sender{kernels::row_major_matrix<babybear>(std::size_t{1} << log_rows, 2), {}};
  air::witness table{kernels::row_major_matrix<babybear>(std::size_t{1} << log_table, 1), {}};
  for (std::size_t i = 0; i < sender.trace.rows(); ++i) {
    const std::uint64_t a = rng() & ((std::uint64_t{1} << log_table) - 1);
    sender.trace.at(i, 0) = babybear::from_u64(a);
    sender.trace.at(i, 1) = babybear::from_u64(a * a);
    table.trace.at(a, 0) += babybear::one();
  }
  return {std::move(sender), std::move(table)};
}

/// Prover options with the debug checks off (to force proofs of false statements through).
inline stark::prove_options unchecked() {
  stark::prove_options options;
  options.check_constraints = false;
  return options;
}

/// A proving key and a proof.
template <class E>
struct proved {
  std::shared_ptr<const stark::proving_key<E>> pk;
  stark::proof<E> proof;
};

/// One table of a statement to prove: its kind, and its witness.
template <class E>
struct table_witness {
  std::shared_ptr<const stark::table<E>> kind;
  air::witness witness;
};

/// Sets up the circuit of `tables` and proves it; fails the test (and returns an empty proof)
/// if setup or the prover refuses.
template <class E>
proved<E> prove_tables(const std::vector<table_witness<E>>& tables, const stark::stark_params& params,
                       stark::prove_options options = {}) {
  auto backend = kernels::make_cpu_backend();
  hash::cpu_merkle_hasher hasher;
  std::vector<stark::table_instance<E>> instances;
  std::vector<air::witness> witnesses;
  for (const auto& t : tables) {
    instances.push_back({t.kind, static_cast<unsigned>(std::countr_zero(t.witness.trace.rows()))});
    witnesses.push_back(t.witness);
  }
  auto pk = stark::setup<E>(instances, params, *backend, hasher);
  EXPECT_TRUE(pk.has_value()) << (pk ? "" : pk.error().message);
  if (!pk) return {};
  auto p = stark::prove<E>(*pk.value(), witnesses, *backend, hasher, nullptr, options);
  EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().message);
  return {pk.value(), p ? std::move(p).value() : stark::proof<E>{}};
}

/// A single-table proof of `air` on `w`.
template <class E, class A>
proved<E> prove_single(const A& air, const air::witness& w, const stark::stark_params& params) {
  return prove_tables<E>({{stark::make_table<E>(air), w}}, params);
}

}  // namespace ciro::test
