#pragma once

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

#include "hash/challenger.hpp"
#include "hash/poseidon2_packed.hpp"
#include "stark/params.hpp"
#include "stark/proof.hpp"
#include "stark/public_lookups.hpp"

namespace ciro::stark {

/// Starts a proof's Fiat-Shamir transcript: binds the protocol version, the parameters, the
/// verifying key and the statement, so that no challenge can be reused across statements,
/// circuits or parameter sets. Observes, in this order: the domain tag "ciro-stark" (one element
/// per byte), proof_format_version, extension_degree, log_blowup, num_queries, pow_bits,
/// log_arity, log_final_poly_len, the verifying key's digest (8 elements), the number of tables,
/// and per table: its AIR name's length and bytes, log_rows, the number of instances, the number
/// of public values and the values; then, only when there are public lookups
/// (stark/public_lookups.hpp), their number and per lookup its bus id, tuple length, tuple and
/// multiplicity (statements without them keep the transcript they always had).
inline hash::challenger start_transcript(const stark_params& params, const hash::digest& vk_digest,
                                         const statement& stmt,
                                         std::span<const public_lookup> lookups = {}) {
  hash::challenger ch;
  auto observe_u32 = [&](std::uint64_t v) { ch.observe(field::babybear::from_u64(v)); };
  for (const char c : std::string_view("ciro-stark")) observe_u32(static_cast<unsigned char>(c));
  for (const std::uint64_t v :
       {std::uint64_t{proof_format_version}, std::uint64_t{params.extension_degree}, std::uint64_t{params.log_blowup},
        std::uint64_t{params.num_queries}, std::uint64_t{params.pow_bits}, std::uint64_t{params.log_arity},
        std::uint64_t{params.log_final_poly_len}}) {
    observe_u32(v);
  }
  ch.observe(vk_digest);
  observe_u32(stmt.tables.size());
  for (const table_statement& t : stmt.tables) {
    observe_u32(t.air_name.size());
    for (const char c : t.air_name) observe_u32(static_cast<unsigned char>(c));
    observe_u32(t.log_rows);
    observe_u32(t.instances);
    observe_u32(t.public_values.size());
    ch.observe(std::span<const field::babybear>(t.public_values));
  }
  if (!lookups.empty()) {
    observe_u32(lookups.size());
    for (const public_lookup& l : lookups) {
      observe_u32(l.bus_id);
      observe_u32(l.tuple.size());
      ch.observe(std::span<const field::babybear>(l.tuple));
      ch.observe(l.multiplicity);
    }
  }
  return ch;
}

/// The out-of-domain point zeta is the first sample_ext that lies neither in the largest trace
/// domain H (zeta^n_max != 1, so Z_H(zeta) != 0 for every table) nor in the largest LDE coset
/// g H' ((zeta / g)^N_max != 1, so no DEEP denominator x - zeta vanishes): usable_zeta tells.
/// Both sides draw again on a hit; the probability of one is about N_max / |E|.
template <class E>
bool usable_zeta(const E& zeta, unsigned max_log_rows, unsigned max_log_lde) {
  E a = zeta, b = zeta * E::from_base(field::babybear::generator().inverse());
  for (unsigned i = 0; i < max_log_rows; ++i) a = a.square();
  for (unsigned i = 0; i < max_log_lde; ++i) b = b.square();
  return a != E::one() && b != E::one();
}

/// See usable_zeta.
template <class E>
E sample_zeta(hash::challenger& ch, unsigned max_log_rows, unsigned max_log_lde) {
  for (;;) {
    const E zeta = ch.template sample_ext_as<E>();
    if (usable_zeta(zeta, max_log_rows, max_log_lde)) return zeta;
  }
}

/// The DEEP batching coefficients a_0, a_1, ...: independent elements of E derived from a seed
/// of 8 transcript samples by Poseidon2-16 in counter mode: block b is the permutation of
/// (seed_0 .. seed_7, b, 0, ..., 0), and its 16 output elements give floor(16 / D) coefficients
/// (D consecutive elements each, constant coefficient first). Cost: count / floor(16 / D)
/// packed permutations.
template <class E>
std::vector<E> batching_coefficients(const hash::digest& seed, std::size_t count) {
  constexpr std::size_t per_block = 16 / E::degree;
  std::vector<std::array<field::babybear, 16>> states((count + per_block - 1) / per_block);
  for (std::size_t b = 0; b < states.size(); ++b) {
    states[b].fill(field::babybear::zero());
    std::copy(seed.begin(), seed.end(), states[b].begin());
    states[b][8] = field::babybear::from_u64(b);
  }
  hash::poseidon2_permute_many(states);
  std::vector<E> out(count);
  for (std::size_t k = 0; k < count; ++k)
    out[k] = E::from_coeffs(states[k / per_block].data() + E::degree * (k % per_block));
  return out;
}

/// The leaves that FRI's queries open in a commitment whose tallest matrix has 2^log_tree rows.
/// Every LDE is committed with bit-reversed rows (hash::matrix_ref::bit_reversed_rows), so leaf
/// i of a matrix of 2^L rows is the point g w_L^bitrev(i), exactly what FRI's position i of a
/// codeword of 2^L values stands for: query q (a position of the tallest codeword, 2^log_max)
/// opens leaf q >> (log_max - log_tree). Sorted and without repeats (the batch-opening order).
inline std::vector<std::size_t> opened_leaves(std::span<const std::size_t> query_indices, unsigned log_max,
                                              unsigned log_tree) {
  std::vector<std::size_t> leaves;
  for (const std::size_t q : query_indices) leaves.push_back(q >> (log_max - log_tree));
  std::sort(leaves.begin(), leaves.end());
  leaves.erase(std::unique(leaves.begin(), leaves.end()), leaves.end());
  return leaves;
}

}  // namespace ciro::stark
