#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "air/air.hpp"
#include "core/result.hpp"
#include "stark/circuit.hpp"
#include "stark/table.hpp"

/// The example statements Ciro ships, as `ciro prove --air NAME` and `ciro bench` prove them:
///   fibonacci     a Fibonacci table from (a0, 1), instance i starting at a0 = i;
///   poseidon2     a chain of Poseidon2 permutations, instance i from the state (16 i, ..., 16 i + 15);
///   range-check   2^K values below 2^16 (16 per row) looked up in the fixed range table 0 .. 2^16 - 1;
///   permutation   2^K values and their sorted copy on one bus, sortedness by range lookups of the
///                 steps.
/// Defined for E = BabyBear^4 and BabyBear^5.
namespace ciro::stark {

/// The names above.
std::span<const std::string_view> example_names();

/// An example's circuit (tables and heights) and, when asked for, its witnesses.
template <class E>
struct example_statement {
  std::vector<table_instance<E>> tables;
  std::vector<air::witness> witnesses;
};

/// The example `name` at size K = log_rows (rows of each instance; values for range-check and
/// permutation) with `instances` independent instances in one proof, stacked in tables of 2^j
/// instances each (the binary expansion of `instances`).
/// Witnesses are generated in parallel when with_witnesses. Fails with a one-line message for an
/// unknown name or a size the example does not take.
template <class E>
ciro::result<example_statement<E>, int> make_example(std::string_view name, unsigned log_rows, unsigned instances,
                                                     bool with_witnesses = true);

/// The same with the instance at position k made as instance `seeds[k]` of the list above (from
/// a0 = seeds[k], from the state 16 seeds[k] + j, ...): a batch of jobs proven together, each
/// job's instances numbered from 0 as when it is proven alone. make_example(name, K, n) is this with
/// the seeds 0 .. n - 1.
template <class E>
ciro::result<example_statement<E>, int> make_example(std::string_view name, unsigned log_rows,
                                                     std::span<const unsigned> seeds, bool with_witnesses = true);

/// Whether the example `name` keeps each instance's public values together, in instance order,
/// in one kind of table (fibonacci, poseidon2): what a batch of jobs needs so that one job's
/// statement can be checked in the batch's proof.
bool example_batches(std::string_view name);

/// The table kind of the known AIR called `air_name` (as proofs name their tables), shared by
/// every caller; null for an unknown name. Lets a verifier rebuild any combination of the
/// known tables from a proof's statement.
template <class E>
std::shared_ptr<const table<E>> table_by_name(std::string_view air_name);

}  // namespace ciro::stark
