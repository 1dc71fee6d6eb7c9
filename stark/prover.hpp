#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "air/air.hpp"
#include "core/result.hpp"
#include "hash/merkle_hasher.hpp"
#include "kernels/backend.hpp"
#include "stark/circuit.hpp"
#include "stark/proof.hpp"
#include "stark/public_lookups.hpp"

namespace ciro::stark {

/// Wall time of each prover phase, in seconds.
struct prover_timings {
  std::vector<std::pair<std::string, double>> phases;
  double total() const {
    double t = 0;
    for (const auto& p : phases) t += p.second;
    return t;
  }
};

enum class prove_error_code : std::uint8_t {
  invalid_trace,    ///< a witness does not fit its table (count, rows, columns, public values)
  unsatisfied,      ///< a trace violates a constraint, or a bus does not balance (the message says which)
  weak_parameters,  ///< the parameters give less security than the minimum asked for
};
using prove_error = ciro::error<prove_error_code>;

struct prove_options {
  /// Run the debug checker (constraints of every table, then the buses) first and refuse a
  /// witness that fails. Tests turn this off to build proofs of false statements and watch the
  /// verifier reject them.
  bool check_constraints = true;
  /// Refuse parameters whose conjectured security for this circuit is below this (the
  /// verifier's default minimum), so that no proof is written that `ciro verify` would refuse.
  std::uint32_t min_security_bits = 100;
  /// Called at the start of each phase with its name (progress reporting).
  std::function<void(const std::string&)> on_phase;
  /// The statement's public lookups (stark/public_lookups.hpp): part of what is proven, so the
  /// verifier must be given the same ones.
  std::vector<public_lookup> public_lookups;
};

/// An upper estimate of the prover's peak memory, in bytes: per table its trace, LDE, aux trace
/// and LDE, quotient LDE, the Merkle trees (2 digests of 32 bytes per LDE row), and per height the
/// DEEP evaluations and FRI layers. Lets a caller refuse a job that cannot fit.
template <class E>
std::uint64_t estimated_prover_bytes(const verifying_key<E>& vk);

/// Proves that `witnesses` (one per table of the circuit, in order) satisfy their tables and
/// balance every bus, following docs/protocol.md. The hot loops go through `backend` (LDE, NTT,
/// quotient evaluation) and `hasher` (Merkle). Fixed columns come from the proving key and are
/// not recommitted.
template <class E>
ciro::result<proof<E>, prove_error_code> prove(const proving_key<E>& pk, std::span<const air::witness> witnesses,
                                               kernels::backend& backend, hash::merkle_hasher& hasher,
                                               prover_timings* timings = nullptr, const prove_options& options = {});

}  // namespace ciro::stark
