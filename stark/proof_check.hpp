#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "field/babybear.hpp"
#include "stark/proof.hpp"

/// Checking a proof file of the example AIRs as `ciro verify` does (without the model-proof case):
/// the circuit rebuilt from the tables the proof names, the proof verified, its statement and
/// public values compared with what the caller expects; and the one-line descriptions of a
/// statement that `ciro prove` and `ciro verify` print.
namespace ciro::stark {

/// The most fixed-column rows a check commits to when it rebuilds a verifying key: a hostile file
/// cannot make it do more.
inline constexpr std::uint64_t max_fixed_rows = std::uint64_t{1} << 22;

/// The statement `ciro verify --air NAME --log-rows K [--instances N]` requires a proof to be of.
/// With `batch_first`, the proof is a batch's (`ciro serve --batch-jobs`): its tables are all of
/// this AIR and height, and its instances batch_first .. batch_first + instances - 1 must carry
/// the public values of the statement proven alone; the batch's other instances are other jobs'.
struct expected_statement {
  std::string air;
  unsigned log_rows = 0;
  unsigned instances = 1;
  std::optional<unsigned> batch_first;
};

/// A check's outcome and its one line: "valid: ..." or "invalid: ..." (or, for `usage`, why the
/// expected statement itself is not one Ciro knows).
struct proof_check {
  enum outcome_t : std::uint8_t { valid, invalid, usage } outcome = invalid;
  std::string message;
};

/// Decodes `bytes` as a proof (BabyBear^4 or ^5 challenges, read from the proof), rebuilds its
/// circuit from the known tables, verifies it at `min_bits` of security or more, and checks its
/// statement against `statement` and its public values against `expected` when given.
[[nodiscard]] proof_check check_proof_file(std::span<const std::uint8_t> bytes, std::uint32_t min_bits,
                                           const std::optional<std::vector<field::babybear>>& expected = std::nullopt,
                                           const std::optional<expected_statement>& statement = std::nullopt);

/// The statement's public values, all tables in order.
[[nodiscard]] std::vector<field::babybear> public_values_of(const statement& stmt);
/// "[1, 2, 3]" for at most 16 values, else "N values, digest 0x...": the hash of the values.
[[nodiscard]] std::string describe_public_values(std::span<const field::babybear> values);
/// "poseidon2 x 32" or "range-check, range16-table": the statement's tables, runs of instances of
/// the same AIR counted (stacked or not).
[[nodiscard]] std::string describe_tables(const statement& stmt);
/// The number of instances of a statement (stacked ones counted one by one).
[[nodiscard]] std::size_t count_instances(const statement& stmt);
/// "2^12 rows" when every table has the same height, else "2^16 to 2^20 rows".
[[nodiscard]] std::string describe_heights(const statement& stmt);

}  // namespace ciro::stark
