#pragma once

#include <cstdint>
#include <string>

#include "core/result.hpp"
#include "stark/circuit.hpp"
#include "stark/proof.hpp"
#include "stark/public_lookups.hpp"

namespace ciro::stark {

/// Why a proof was rejected.
enum class verify_error_code : std::uint8_t {
  wrong_circuit,        ///< the proof is for another verifying key, other tables or other heights
  weak_parameters,      ///< the parameters give less security than the verifier's minimum
  invalid_parameters,   ///< the proof's parameters are not the verifying key's
  wrong_shape,          ///< a count in the proof disagrees with the circuit or the parameters
  unbalanced_lookups,   ///< the tables' LogUp totals do not add up to zero
  constraint_mismatch,  ///< C(zeta) != Z_H(zeta) Q(zeta) for a table: its trace does not satisfy it
  main_opening,         ///< the main rows do not open against the main commitment
  aux_opening,          ///< the aux rows do not open against the aux commitment
  quotient_opening,     ///< the quotient rows do not open against the quotient commitment
  fixed_opening,        ///< the fixed rows do not open against the verifying key's commitment
  fri,                  ///< FRI rejected (low-degree test, proof of work, or its openings)
};
const char* to_string(verify_error_code code);
using verify_error = ciro::error<verify_error_code>;

/// What the verifier accepts.
struct verifier_policy {
  /// The least conjectured security (bits) a proof's parameters must give.
  std::uint32_t min_security_bits = 100;
};

/// Verifies `p` against the verifying key `vk` (docs/protocol.md). Every length, index and
/// count taken from the proof is checked against the key and the parameters before use; work
/// grows with the number of tables, their widths and the number of queries, not with the
/// tables' heights. Returns the conjectured security in bits on success. `public_lookups` are the
/// statement's public lookups (stark/public_lookups.hpp), rebuilt by the caller from the public
/// data it checks; they must be the prover's.
template <class E>
ciro::result<std::uint32_t, verify_error_code> verify(const verifying_key<E>& vk, const proof<E>& p,
                                                      const verifier_policy& policy = {},
                                                      std::span<const public_lookup> public_lookups = {});

}  // namespace ciro::stark
