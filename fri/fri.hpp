#pragma once

// FRI: the low-degree test of the STARK, over an extension field E of BabyBear (babybear4 and
// babybear5 are instantiated), with folding arity 2, 4 or 8 and a final polynomial sent in clear.
//
// ## Notation
//
// p = 15 * 2^27 + 1 (BabyBear), g = 31 = babybear::generator(), w_k = two_adic_generator(k) (a
// generator of the subgroup H_{2^k} of order 2^k; w_{k-1} = w_k^2). bitrev_k(j) reverses the low k
// bits of j (bitrev_0(0) = 0). D = E::degree; an element of E is flattened to its D base-field
// coefficients, lowest degree first. Hashes, Merkle trees and the transcript are those of
// hash/sponge.hpp, hash/merkle_tree.hpp and hash/challenger.hpp; observe_ext / sample_ext below
// mean challenger::observe_ext_as<E> / sample_ext_as<E> (D elements, constant coefficient first).
//
// ## Inputs, parameters and shape (fri_params, input log sizes)
//
// FRI tests t >= 1 inputs at once, one per distinct height (a multi-table STARK gives it one per
// distinct LDE height), as Plonky3's two-adic PCS does: fold, then roll in the shorter inputs at
// their height. Input j is F^j, a vector of 2^{L^j} elements of E in bit-reversed order on the coset
// g * H_{2^{L^j}}: position p holds F^j(g * w_{L^j}^bitrev_{L^j}(p)) (fri_domain_point(L^j, L^j,
// p)), with deg F^j < 2^{L^j - log_blowup}. The input log sizes are strictly decreasing, L^0 > L^1
// > ... > L^{t-1} (input_log_sizes). The single-input functions taking log_n are the case t = 1,
// L^0 = log_n, and give the same proofs and transcripts as t = 1.
//
// Accepted (validate()) when: 1 <= log_arity <= 3; log_blowup >= 1; 1 <= num_queries <=
// fri_max_queries; pow_bits <= 27; 1 <= t <= fri_max_inputs; L^0 <= 27; L^0 > log_final_poly_len +
// log_blowup; L^{j-1} > L^j for 0 < j < t; and L^{t-1} >= log_final_poly_len + log_blowup.
// Let N = 2^{L^0} and L_f = log_final_poly_len + log_blowup. The layers have log sizes
// L_0 = L^0 > L_1 > ... > L_r = L_f, where round i folds by a_i = min(log_arity, L_i - s_i), s_i
// being the largest input log size below L_i (L_f if there is none), and L_{i+1} = L_i - a_i. So
// every input log size is a layer log size, and between two consecutive stops (input log sizes,
// then L_f) every round folds by the full arity except possibly the last, which folds by the
// remainder. For t = 1: r = ceil((L^0 - L_f) / log_arity). Example: log_arity 3, L_f = 1, sizes
// (12, 7, 2): arities 3, 2 (to 7), 3, 2 (to 2), 1 (to L_f). round_log_arities() lists the a_i.
//
// Layer i is a vector of 2^{L_i} elements of E in bit-reversed order on the coset
// s_i * H_{2^{L_i}}, s_i = g^(2^(L^0 - L_i)): position j holds F_i(x_i(j)) with
//     x_i(j) = s_i * w_{L_i}^bitrev_{L_i}(j)        (fri_domain_point(L^0, L_i, j)).
// Since w_{L}^(2^(L-1)) = -1, positions 2j and 2j+1 hold F_i(x) and F_i(-x), x = x_i(2j).
// Input 0 is layer 0 (s_0 = g). An input j >= 1 is rolled into the layer m with L_m = L^j, but it
// lives on g * H_{2^{L^j}}, not on that layer's coset s_m * H_{2^{L^j}}. This does not matter: the
// roll-in adds values position by position, and for an honest prover both summands, as functions
// of y = w_{L^j}^bitrev_{L^j}(p) at position p, are polynomials of degree < 2^{L^j - log_blowup}
// (P(c y) has the degree of P), so their sum is low-degree on the layer's coset as well.
//
// ## Prover (prove)
//
// Input: the t inputs as above, and the caller's challenger (the transcript so far). Layer 0 = F^0.
// Commit phase, for round i = 0 .. r-1 (a = a_i):
//  1. Commit layer i as ONE matrix M_i of 2^{L_i - a} rows and 2^a * D columns whose row j is the
//     group j = layer positions [j 2^a, (j+1) 2^a), each element flattened: a Merkle tree
//     (merkle_tree::commit) of the single matrix M_i. Observe its root (8 elements).
//  2. beta_i = sample_ext().
//  3. Fold each group by a successive binary folds with beta_i, beta_i^2, beta_i^4, ...: the binary
//     fold of a layer of log size L (coset s, bit-reversed) with challenge b maps the pair
//     (u, v) = (positions 2j, 2j+1) = (F(x), F(-x)), x = s * w_L^bitrev_{L-1}(j), to position j:
//         F'(x^2) = (u + v) / 2 + b * (u - v) / (2x),
//     giving a layer of log size L - 1, again bit-reversed, on the coset s^2 * H_{2^(L-1)}. The a
//     folds of group j only involve group j, and its result is position j of layer i+1.
//  4. Roll-in: if an input j >= 1 has L^j = L_{i+1}, then for every position p of layer i+1,
//         layer_{i+1}[p] += gamma_i * F^j[p],        gamma_i = beta_i^(2^a_i).
//     (Writing F_i(x) = sum_{c < 2^a} x^c C_c(x^(2^a)), the round's folds give sum_c beta_i^c
//     C_c: the powers beta_i^0 .. beta_i^(2^a - 1) are taken, and gamma_i is the first free one.
//     A smaller power, such as beta_i^2 for a >= 2, would let a far F^j cancel a far component
//     C_2 of a far F^0: F^0 = P + x^2 R(x^(2^a)) and F^j = -R on layer i+1 would pass. For a = 1,
//     gamma_i = beta_i^2, as in Plonky3's arity-2 FRI.)
// Final polynomial: layer r (with its roll-in when L^{t-1} = L_f) has 2^{L_f} values; interpolate
// each of the D coordinates on the coset s_r * H_{2^{L_f}} (bit-reversed input) into 2^{L_f}
// coefficients c_0, c_1, ... in E. An honest prover's coefficients c_k for k >= 2^log_final_poly_len
// are zero (checked, abort otherwise); the proof carries final_poly = (c_0, ...,
// c_{2^log_final_poly_len - 1}). Observe them in order (observe_ext each).
// Proof of work: pow_witness = challenger.grind(pow_bits) (nothing observed when pow_bits = 0).
// Query phase: q_k = sample_bits(L^0) for k = 0 .. num_queries-1 (duplicates possible). At layer
// i, query k sits at position p_{i,k} = q_k >> (L^0 - L_i), in group p_{i,k} >> a_i (which is
// p_{i+1,k}) at offset p_{i,k} mod 2^a_i. layer_openings[i] = merkle_tree::open of the SORTED,
// DEDUPLICATED group indices {p_{i,k} >> a_i} of that layer (one row per unique group).
// The caller (the STARK prover) opens its own commitments at the same q_k, returned as
// query_indices: input j at position q_k >> (L^0 - L^j).
//
// ## Verifier
//
// replay(params, proof, challenger, input_log_sizes), on the transcript state the prover started
// from:
//  validate the params for the sizes; check layer_roots.size() == layer_openings.size() == r,
//  final_poly.size() == 2^log_final_poly_len, and that every opening holds at most num_queries
//  rows and at most num_queries * (L_i - a_i) siblings; then for each round observe the root and
//  sample beta_i; observe final_poly; check_witness(pow_bits, pow_witness); sample the q_k
//  (sample_bits(L^0)). Returns the betas and the q_k.
// check_queries(params, proof, challenges, input_values, input_log_sizes), where input_values
// has t rows of num_queries values and input_values[j][k] is F^j at position
// q_k >> (L^0 - L^j), i.e. at fri_domain_point(L^j, L^j, q_k >> (L^0 - L^j)), as the caller
// computed it from its own openings:
//  check the shapes (r rounds and betas, t rows of num_queries values, q_k < 2^{L^0}); each
//  query's current value starts as input_values[0][k]. For each round i: verify_batch(
//  layer_roots[i], {2^{L_i - a_i} x 2^{a_i} D}, sorted unique groups, layer_openings[i]); for
//  each query k (in order), the element at offset p_{i,k} mod 2^a_i of its opened group row must
//  equal its current value; then the group is folded with beta_i as above, and the result, plus
//  gamma_i * input_values[j][k] when an input j has L^j = L_{i+1} (the roll-in, step 4), is its
//  current value at layer i+1. At the end, each query's value must equal sum_k final_poly[k] * x^k
//  at x = fri_domain_point(L^0, L_f, p_{r,k}) (Horner).
//
// ## Encoding (fri_proof::encode / decode)
//
// All integers and field elements are u32 little-endian, field elements canonical (< p):
//   r roots (8 elements each);
//   for each round i: u32 n_rows (1 <= n_rows <= num_queries), n_rows rows of 2^a_i * D elements,
//                     u32 n_siblings (<= num_queries * (L_i - a_i)), n_siblings digests;
//   2^log_final_poly_len final coefficients (D elements each); pow_witness (1 element).
// The round structure (r, a_i, L_i) comes from the params and the input log sizes, which the
// encoding does not carry: decode takes them.
// decode rejects truncated input, counts out of bounds, non-canonical elements and trailing bytes.

#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "field/babybear.hpp"
#include "field/extension.hpp"
#include "hash/challenger.hpp"
#include "hash/merkle_hasher.hpp"
#include "hash/merkle_tree.hpp"
#include "hash/sponge.hpp"
#include "kernels/backend.hpp"

namespace ciro::fri {

using field::babybear;

/// The largest num_queries accepted (bounds the verifier's and decoder's work and memory).
inline constexpr unsigned fri_max_queries = 1024;

/// The largest number of inputs (distinct heights) accepted.
inline constexpr unsigned fri_max_inputs = 28;

/// FRI parameters (see the file comment for their meaning and validity rules).
struct fri_params {
  /// The code rate is 2^-log_blowup: deg F_0 < N / 2^log_blowup. At least 1.
  unsigned log_blowup = 1;
  /// The folding arity is 2^log_arity (1, 2 or 3: arity 2, 4 or 8).
  unsigned log_arity = 3;
  /// The final polynomial has 2^log_final_poly_len coefficients.
  unsigned log_final_poly_len = 0;
  /// Number of query indices sampled (1 .. fri_max_queries).
  unsigned num_queries = 100;
  /// Proof-of-work bits ground after the final polynomial (0 .. 27).
  unsigned pow_bits = 16;
  friend bool operator==(const fri_params&, const fri_params&) = default;
};

/// Why FRI parameters or a proof were rejected; the message carries the context (layer, query).
enum class fri_error_code : std::uint8_t {
  invalid_params,       ///< the parameters fail validate() for these input log sizes
  wrong_shape,          ///< a count in the proof or the challenges disagrees with the params
  malformed_encoding,   ///< decode: truncated, out-of-bounds count, non-canonical or trailing bytes
  pow_failure,          ///< the proof-of-work witness does not pass check_witness
  merkle_failure,       ///< a layer's batch opening fails verify_batch (message: layer, reason)
  folding_mismatch,     ///< a query's value differs from its opened group (layer 0: input 0)
  final_poly_mismatch,  ///< a query's last folded value differs from the final polynomial
};

/// The enumerator's name, e.g. "folding_mismatch".
const char* to_string(fri_error_code code);

using fri_error = ciro::error<fri_error_code>;

/// Accepts `params` for inputs of the given log sizes L^0 > L^1 > ... (at least one, at most
/// fri_max_inputs, strictly decreasing, all >= log_final_poly_len + log_blowup, the first above
/// it and at most 27), or says why not (invalid_params).
ciro::result<std::monostate, fri_error_code> validate(const fri_params& params,
                                                      std::span<const unsigned> input_log_sizes);

/// validate(params, {log_n}): one input of 2^log_n values.
ciro::result<std::monostate, fri_error_code> validate(const fri_params& params, unsigned log_n);

/// The folding arity log a_i of each round i (their count is the number of rounds r), for inputs of
/// the given log sizes: every input log size is a layer log size (file comment).
/// Precondition (checked): validate(params, input_log_sizes) accepts.
std::vector<unsigned> round_log_arities(const fri_params& params, std::span<const unsigned> input_log_sizes);

/// round_log_arities(params, {log_n}).
std::vector<unsigned> round_log_arities(const fri_params& params, unsigned log_n);

/// x_L(pos) = g^(2^(log_n - log_size)) * w_{log_size}^bitrev_{log_size}(pos): the point that
/// position `pos` of the bit-reversed layer of log size `log_size` stands for, when the tallest
/// input has log size log_n = L^0. fri_domain_point(L^j, L^j, pos) is the point of position pos of
/// input j (where the caller evaluates F^j; pos = q_k >> (L^0 - L^j) for query k).
/// Preconditions (checked): log_size <= log_n <= 27, pos < 2^log_size. Cost: O(log_n) products.
babybear fri_domain_point(unsigned log_n, unsigned log_size, std::size_t pos);

/// A FRI proof (see the file comment).
template <class E>
struct fri_proof {
  /// The Merkle root of each committed layer, round 0 first.
  std::vector<hash::digest> layer_roots;
  /// One batch opening per round (one matrix; rows = the sorted unique opened groups).
  std::vector<hash::batch_opening> layer_openings;
  /// The 2^log_final_poly_len coefficients of the final polynomial, lowest degree first.
  std::vector<E> final_poly;
  /// The proof-of-work witness.
  babybear pow_witness = babybear::zero();

  /// Appends the canonical encoding (file comment) to `out`. Cost: linear in the proof size.
  void encode(std::vector<std::uint8_t>& out) const;
  /// Decodes a proof for (params, input_log_sizes), rejecting invalid params, any truncation,
  /// count out of its params bound, non-canonical element or trailing byte. Allocation is bounded
  /// by the params.
  static ciro::result<fri_proof, fri_error_code> decode(std::span<const std::uint8_t> in, const fri_params& params,
                                                        std::span<const unsigned> input_log_sizes);
  /// decode(in, params, {log_n}).
  static ciro::result<fri_proof, fri_error_code> decode(std::span<const std::uint8_t> in, const fri_params& params,
                                                        unsigned log_n);

  friend bool operator==(const fri_proof&, const fri_proof&) = default;
};

/// What the prover returns: the proof and the sampled query indices (in transcript order, with
/// duplicates), at which the caller opens its own commitments.
template <class E>
struct fri_prover_output {
  fri_proof<E> proof;
  std::vector<std::size_t> query_indices;
};

/// The verifier's challenges, replayed from the transcript.
template <class E>
struct fri_challenges {
  /// beta_i for each round.
  std::vector<E> betas;
  /// q_k for k < num_queries, in transcript order, each < 2^{L^0}.
  std::vector<std::size_t> query_indices;
};

/// Prover knobs. For tests only: check_final_degree = false makes a prover for a too-high-degree
/// input truncate the final polynomial instead of aborting (a cheating prover).
struct fri_prover_options {
  bool check_final_degree = true;
};

/// The FRI prover of the file comment. inputs[j] holds F^j on g * H_{2^{L^j}} in bit-reversed
/// order (L^j = log2 inputs[j].size()); `challenger` is advanced exactly as replay() advances it.
/// Preconditions (checked): every size is a power of two, validate(params, {L^0, L^1, ...})
/// accepts, and (unless options say otherwise) the final polynomial has degree <
/// 2^log_final_poly_len, as it has when deg F^j < 2^(L^j - log_blowup) for all j. Cost: r Merkle
/// commitments of 2^{L_i} D elements, O(N) extension products for folding and rolling in (TBB),
/// one 2^L_f-point iNTT, grinding (about 2^pow_bits permutations).
template <class E>
fri_prover_output<E> prove(const fri_params& params, std::span<const std::span<const E>> inputs,
                           hash::challenger& challenger, kernels::backend& backend, hash::merkle_hasher& hasher,
                           const fri_prover_options& options = {});

/// prove() of one input: `evals` holds F_0 on g * H_N in bit-reversed order (N = 2^log_n).
template <class E>
fri_prover_output<E> prove(const fri_params& params, std::span<const E> evals, hash::challenger& challenger,
                           kernels::backend& backend, hash::merkle_hasher& hasher,
                           const fri_prover_options& options = {});

/// Verifier part 1: checks the proof's shape against the params and input log sizes, replays the
/// transcript (roots, betas, final polynomial, proof of work, query indices) on `challenger`.
/// Errors: invalid_params, wrong_shape, pow_failure. Cost: O(r + final poly + num_queries)
/// permutations.
template <class E>
ciro::result<fri_challenges<E>, fri_error_code> replay(const fri_params& params, const fri_proof<E>& proof,
                                                       hash::challenger& challenger,
                                                       std::span<const unsigned> input_log_sizes);

/// replay(params, proof, challenger, {log_n}).
template <class E>
ciro::result<fri_challenges<E>, fri_error_code> replay(const fri_params& params, const fri_proof<E>& proof,
                                                       hash::challenger& challenger, unsigned log_n);

/// Verifier part 2: checks every layer opening, fold and roll-in for the replayed `challenges`,
/// with input_values[j][k] = F^j at position q_k >> (L^0 - L^j) (one row per input, one value per
/// query, in query order). Errors: invalid_params, wrong_shape, merkle_failure, folding_mismatch,
/// final_poly_mismatch. Cost: O(num_queries * (2^log_arity r + t + 2^log_final_poly_len)) field
/// operations plus the Merkle verifications.
template <class E>
ciro::result<std::monostate, fri_error_code> check_queries(const fri_params& params, const fri_proof<E>& proof,
                                                           const fri_challenges<E>& challenges,
                                                           std::span<const std::span<const E>> input_values,
                                                           std::span<const unsigned> input_log_sizes);

/// check_queries(params, proof, challenges, {f0_values}, {log_n}): f0_values[k] = F_0 at query
/// k's point fri_domain_point(log_n, log_n, q_k).
template <class E>
ciro::result<std::monostate, fri_error_code> check_queries(const fri_params& params, const fri_proof<E>& proof,
                                                           const fri_challenges<E>& challenges,
                                                           std::span<const E> f0_values, unsigned log_n);

}  // namespace ciro::fri
