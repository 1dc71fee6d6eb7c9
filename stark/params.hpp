#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ciro::stark {

/// The parameters of a proof: everything the verifier needs besides the statement.
///
/// Conjectured security (ethSTARK, "Proximity gaps" conjecture), in bits:
///   security = min(log_blowup * num_queries + pow_bits, extension_bits - log_lde_size)
/// where extension_bits = floor(log2 |E|) (124 for BabyBear^4, 155 for BabyBear^5) bounds
/// the soundness of the random-combination and out-of-domain steps, whose error grows with the
/// degree of the polynomials (about the LDE size). FRI's query phase contributes log_blowup bits
/// per query, grinding pow_bits.
struct stark_params {
  /// log2 of the LDE blowup (rate 2^-log_blowup). Must be >= the AIR's log quotient degree.
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

/// floor(log2 |E|) for the supported extension degrees (p = 2^31 - 2^27 + 1 > 2^30.9).
constexpr std::uint32_t extension_bits(std::uint32_t degree) { return degree == 5 ? 155 : 124; }

/// The conjectured security of `params` for a trace of 2^log_rows rows, in bits (formula above).
constexpr std::uint32_t conjectured_security_bits(const stark_params& params, std::uint32_t log_rows) {
  const std::uint32_t query_bits = params.log_blowup * params.num_queries + params.pow_bits;
  const std::uint32_t log_lde = log_rows + params.log_blowup;
  const std::uint32_t field_bits = extension_bits(params.extension_degree);
  return std::min(query_bits, field_bits > log_lde ? field_bits - log_lde : 0u);
}

/// `fast` (the default, >= 100 bits): BabyBear^4, blowup 2, 84 queries, 16 bits of grinding.
constexpr stark_params fast_profile() { return {1, 84, 16, 3, 3, 4}; }
/// `secure` (>= 128 bits): BabyBear^5, blowup 4, 56 queries, 16 bits of grinding.
constexpr stark_params secure_profile() { return {2, 56, 16, 3, 3, 5}; }

/// `params` adapted to a trace of 2^log_rows rows: FRI needs at least one folding round, so the
/// final polynomial is shortened to fewer than 2^log_rows coefficients when the trace is tiny.
/// Security is unchanged (it does not depend on log_final_poly_len). Precondition: log_rows >= 1.
constexpr stark_params fitted(stark_params params, std::uint32_t log_rows) {
  params.log_final_poly_len = std::min(params.log_final_poly_len, log_rows > 0 ? log_rows - 1 : 0u);
  return params;
}

/// The profile named `fast` or `secure`.
inline std::optional<stark_params> profile(std::string_view name) {
  if (name == "fast") return fast_profile();
  if (name == "secure") return secure_profile();
  return std::nullopt;
}

}  // namespace ciro::stark
