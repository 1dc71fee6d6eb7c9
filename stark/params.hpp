#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ciro::stark {

/// The parameters of a proof: everything the verifier needs besides the statement.
struct stark_params {
  /// log2 of the LDE blowup (rate 2^-log_blowup). Must be >= every table's log quotient degree.
  std::uint32_t log_blowup = 1;
  std::uint32_t num_queries = 84;
  std::uint32_t pow_bits = 16;
  /// FRI folding arity 2^log_arity (1, 2 or 3).
  std::uint32_t log_arity = 3;
  /// FRI stops when the polynomial has fewer than 2^log_final_poly_len coefficients.
  std::uint32_t log_final_poly_len = 3;
  /// Degree of the challenge field over BabyBear: 4 (BabyBear^4) or 5 (BabyBear^5).
  std::uint32_t extension_degree = 4;

  friend bool operator==(const stark_params&, const stark_params&) = default;
};

/// floor(log2 |E|) = floor(D log2 p) for the supported extension degrees: log2 p = 30.907, so
/// 123 for BabyBear^4 and 154 for BabyBear^5.
constexpr std::uint32_t extension_bits(std::uint32_t degree) { return degree == 5 ? 154 : 123; }

/// ceil(log2 x) for x >= 1 (0 for x <= 1).
constexpr std::uint32_t ceil_log2(std::uint64_t x) {
  std::uint32_t k = 0;
  while (k < 64 && (std::uint64_t{1} << k) < x) ++k;
  return k;
}

/// What the security estimate needs to know of a statement (all tables of one proof).
struct statement_size {
  /// sum over tables of (2^log_qd + 1) n_t: a bound on the degree of the identity
  /// C_t - Z_H_t Q_t that the out-of-domain point checks (degree below (d_t - 1) n_t + n_t for
  /// constraints of degree d_t <= 2^log_qd + 1), union-bounded over the tables.
  std::uint64_t ood_degree = 0;
  /// sum over tables of their constraint count (the alpha-folding step, union-bounded).
  std::uint64_t constraints = 0;
  /// sum over tables of n_t * (number of interactions): the fractions the LogUp sum adds up,
  /// plus the longest tuple (the gamma fingerprint); 0 without lookups.
  std::uint64_t lookup_terms = 0;
};

/// The conjectured security of a proof, in bits (ethSTARK's "proximity gaps" conjecture for the
/// FRI term; docs/protocol.md derives each term):
///   min( log_blowup * num_queries + pow_bits,                         FRI queries and grinding
///        bits(E) - ceil(log2 ood_degree) - 1,                         DEEP: out-of-domain point,
///                                                                     two points batched by mu
///        bits(E) - ceil(log2 constraints),                            constraints folded by alpha
///        bits(E) - ceil(log2 lookup_terms) )                          LogUp (with lookups only)
/// with bits(E) = extension_bits(D). The DEEP polynomials are batched with independent
/// coefficients, so their number costs nothing. Like ethSTARK and Plonky3, the estimate is the
/// weakest term, not the sum of the error probabilities (at most 2 bits more optimistic).
constexpr std::uint32_t conjectured_security_bits(const stark_params& params, const statement_size& size) {
  const std::uint32_t field_bits = extension_bits(params.extension_degree);
  const auto field_term = [&](std::uint32_t cost) { return field_bits > cost ? field_bits - cost : 0u; };
  std::uint32_t bits = params.log_blowup * params.num_queries + params.pow_bits;
  bits = std::min(bits, field_term(ceil_log2(size.ood_degree) + 1));
  bits = std::min(bits, field_term(ceil_log2(size.constraints)));
  if (size.lookup_terms > 0) bits = std::min(bits, field_term(ceil_log2(size.lookup_terms)));
  return bits;
}

/// `fast` (the default, >= 100 bits): BabyBear^4, blowup 2, 84 queries, 16 bits of grinding.
constexpr stark_params fast_profile() { return {1, 84, 16, 3, 3, 4}; }
/// `secure` (>= 128 bits): BabyBear^5, blowup 4, 56 queries, 16 bits of grinding.
constexpr stark_params secure_profile() { return {2, 56, 16, 3, 3, 5}; }

/// `params` adapted to tables of 2^min_log_rows to 2^max_log_rows rows: FRI rolls every table's
/// codeword in at its height, so the final polynomial has at most 2^min_log_rows coefficients,
/// and fewer than 2^max_log_rows (at least one folding round). Security is unchanged (it does not
/// depend on log_final_poly_len). Precondition: max_log_rows >= 1.
constexpr stark_params fitted(stark_params params, std::uint32_t min_log_rows, std::uint32_t max_log_rows) {
  params.log_final_poly_len =
      std::min({params.log_final_poly_len, min_log_rows, max_log_rows > 0 ? max_log_rows - 1 : 0u});
  return params;
}

/// The profile named `fast` or `secure`.
inline std::optional<stark_params> profile(std::string_view name) {
  if (name == "fast") return fast_profile();
  if (name == "secure") return secure_profile();
  return std::nullopt;
}

}  // namespace ciro::stark
