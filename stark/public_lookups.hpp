#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "field/babybear.hpp"
#include "field/batch_inverse.hpp"

/// Public lookups: bus interactions that belong to the statement instead of a table. A statement
/// whose public data is large (a model's input and output tensors) puts it on a bus this way: the
/// verifier computes their LogUp fractions itself, from the statement, and the tables' totals must
/// cancel them: sum over tables of total + sum over public lookups of m / (z - phi) = 0, with phi
/// the fingerprint of air/logup.hpp (bus id + sum_j gamma^j v_j). A table that receives such a
/// tuple therefore proves that the public value is the one its trace used.
///
/// Public lookups are not part of the proof's encoding: the caller (the verifier of a model proof)
/// rebuilds them from the public data it checks, and they enter the transcript after the
/// statement's tables (stark/transcript.hpp), so a proof made for other public data fails.
namespace ciro::stark {

/// One public interaction: `multiplicity` copies of `tuple` sent on the bus `bus_id` (a receive
/// is a send with multiplicity -m).
struct public_lookup {
  std::uint32_t bus_id = 0;
  std::vector<field::babybear> tuple;
  field::babybear multiplicity = field::babybear::one();
  friend bool operator==(const public_lookup&, const public_lookup&) = default;
};

/// Limits the verifier enforces on public lookups (they bound its work).
inline constexpr std::size_t max_public_lookups = std::size_t{1} << 22;
inline constexpr std::size_t max_public_lookup_tuple = 16;

/// sum_k m_k / (z - phi_k) over the public lookups, with gamma_powers = gamma^1 .. gamma^T (T at
/// least the longest tuple). One batched inversion. Returns nothing when a denominator is zero
/// (probability about n / |E| for a random z): the caller rejects.
template <class E>
std::optional<E> public_lookup_sum(std::span<const public_lookup> lookups, E z, std::span<const E> gamma_powers) {
  std::vector<E> denominators;
  denominators.reserve(lookups.size());
  for (const auto& l : lookups) {
    E phi = E::from_base(field::babybear::from_u64(l.bus_id));
    for (std::size_t j = 0; j < l.tuple.size(); ++j) phi += gamma_powers[j] * l.tuple[j];
    denominators.push_back(z - phi);
    if (denominators.back().is_zero()) return std::nullopt;
  }
  field::batch_inverse(std::span<E>(denominators));
  E sum = E::zero();
  for (std::size_t i = 0; i < lookups.size(); ++i) sum += denominators[i] * lookups[i].multiplicity;
  return sum;
}

}  // namespace ciro::stark
