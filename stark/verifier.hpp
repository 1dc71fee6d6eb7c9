#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "air/air.hpp"
#include "air/symbolic_builder.hpp"
#include "core/result.hpp"
#include "field/batch_inverse.hpp"
#include "fri/fri.hpp"
#include "hash/merkle_tree.hpp"
#include "stark/folders.hpp"
#include "stark/proof.hpp"
#include "stark/quotient_deep.hpp"
#include "stark/transcript.hpp"

namespace ciro::stark {

/// Why a proof was rejected.
enum class verify_error_code : std::uint8_t {
  wrong_air,            ///< the proof is for another AIR
  weak_parameters,      ///< the parameters give less security than the verifier's minimum
  invalid_parameters,   ///< parameters this AIR or trace length cannot use
  wrong_shape,          ///< a count in the proof disagrees with the AIR or the parameters
  constraint_mismatch,  ///< C(zeta) != Z_H(zeta) Q(zeta): the trace does not satisfy the AIR
  trace_opening,        ///< the trace rows do not open against the trace commitment
  quotient_opening,     ///< the quotient rows do not open against the quotient commitment
  fri,                  ///< FRI rejected (low-degree test, proof of work, or its openings)
};
const char* to_string(verify_error_code code);
using verify_error = ciro::error<verify_error_code>;

/// What the verifier accepts.
struct verifier_policy {
  /// The least conjectured security (bits) a proof's parameters must give.
  std::uint32_t min_security_bits = 100;
};

/// Verifies `p` against `air` (docs/protocol.md). Every length, index and count taken from the
/// proof is checked against the AIR and the parameters before use; work is bounded by the
/// parameters (num_queries, trace width, log_rows <= 27). Returns the conjectured security in
/// bits on success.
template <class E, air::air A>
ciro::result<std::uint32_t, verify_error_code> verify(const A& air, const proof<E>& p,
                                                      const verifier_policy& policy = {}) {
  using field::babybear;
  auto reject = [](verify_error_code code, std::string message) { return verify_error{code, std::move(message)}; };
  const stark_params& params = p.params;
  const statement& stmt = p.stmt;
  if (stmt.air_name != air.name())
    return reject(verify_error_code::wrong_air, "the proof is for AIR '" + stmt.air_name + "'");
  if (params.extension_degree != E::degree)
    return reject(verify_error_code::invalid_parameters, "extension degree mismatch");
  const unsigned log_n = stmt.log_rows, b = params.log_blowup;
  const std::uint32_t bits = conjectured_security_bits(params, log_n);
  if (bits < policy.min_security_bits) {
    return reject(verify_error_code::weak_parameters, "the parameters give " + std::to_string(bits) +
                                                          "-bit security, below the minimum of " +
                                                          std::to_string(policy.min_security_bits));
  }
  const air::constraint_info info = air::analyse(air);
  const unsigned log_qd = air::log_quotient_degree(info.max_degree);
  const fri::fri_params fp{params.log_blowup, params.log_arity, params.log_final_poly_len, params.num_queries,
                           params.pow_bits};
  const unsigned log_lde = log_n + b;
  if (log_qd > b || log_lde > babybear::two_adicity || !fri::validate(fp, log_lde)) {
    return reject(verify_error_code::invalid_parameters, "parameters unusable for this AIR and trace length");
  }
  const std::size_t width = air.width(), q_cols = std::size_t{E::degree} << log_qd;
  if (stmt.public_values.size() != air.num_public_values() || p.trace_local.size() != width ||
      p.trace_next.size() != width || p.quotient_at_zeta.size() != q_cols) {
    return reject(verify_error_code::wrong_shape, "public values or opened values do not match the AIR's shape");
  }

  // Replay the transcript.
  hash::challenger ch = start_transcript(params, stmt, width);
  ch.observe(p.trace_root);
  const E alpha = ch.template sample_ext_as<E>();
  ch.observe(p.quotient_root);
  const E zeta = ch.template sample_ext_as<E>();
  for (const auto& v : p.trace_local) ch.template observe_ext_as<E>(v);
  for (const auto& v : p.trace_next) ch.template observe_ext_as<E>(v);
  for (const auto& v : p.quotient_at_zeta) ch.template observe_ext_as<E>(v);
  const E beta = ch.template sample_ext_as<E>();

  // The constraint identity at zeta: C(zeta) = Z_H(zeta) * sum_j zeta^(j n) Q_j(zeta), where
  // Q_j(zeta) = sum_c X^c * (opened base column j D + c), X the extension's generator.
  const selectors<E> s = selectors_at(zeta, log_n);
  verifier_folder<E> folder(p.trace_local, p.trace_next, stmt.public_values, alpha, s);
  air.eval(folder);
  E z_h = zeta;
  for (unsigned i = 0; i < log_n; ++i) z_h = z_h.square();
  const E zeta_n = z_h;
  z_h = z_h - E::one();
  std::array<babybear, E::degree> x_coeffs{};
  x_coeffs[1] = babybear::one();
  const E x_gen = E::from_coeffs(x_coeffs);
  E q_at_zeta = E::zero(), zeta_jn = E::one();
  for (std::size_t j = 0; j < (std::size_t{1} << log_qd); ++j) {
    E chunk = E::zero(), basis = E::one();
    for (unsigned c = 0; c < E::degree; ++c, basis *= x_gen) chunk += basis * p.quotient_at_zeta[j * E::degree + c];
    q_at_zeta += zeta_jn * chunk;
    zeta_jn *= zeta_n;
  }
  if (folder.result() != z_h * q_at_zeta) {
    return reject(verify_error_code::constraint_mismatch,
                  "the constraints do not vanish on the trace domain (C(zeta) != Z_H(zeta) Q(zeta))");
  }

  // FRI: replay its commit phase, then check its queries against F_0 computed from our openings.
  auto challenges = fri::replay<E>(fp, p.fri, ch, log_lde);
  if (!challenges) return reject(verify_error_code::fri, std::string("FRI: ") + challenges.error().message);
  const auto& queries = challenges.value().query_indices;
  const auto rows = opened_rows(queries, log_lde);
  const std::size_t lde_rows = std::size_t{1} << log_lde;
  const std::vector<hash::matrix_dims> trace_dims{{lde_rows, width}}, quotient_dims{{lde_rows, q_cols}};
  if (auto ok = hash::verify_batch(p.trace_root, trace_dims, rows, p.trace_opening); !ok) {
    return reject(verify_error_code::trace_opening, std::string("trace opening: ") + hash::to_string(ok.error().code));
  }
  if (auto ok = hash::verify_batch(p.quotient_root, quotient_dims, rows, p.quotient_opening); !ok) {
    return reject(verify_error_code::quotient_opening,
                  std::string("quotient opening: ") + hash::to_string(ok.error().code));
  }
  // F_0 at each query from the opened rows: the DEEP formula of the prover.
  std::vector<E> beta_powers(std::max(width, q_cols));
  {
    E power = E::one();
    for (auto& bp : beta_powers) bp = power, power *= beta;
  }
  const E beta_w = beta.pow(width), beta_2w = beta_w * beta_w;
  const E zeta_next = zeta * babybear::two_adic_generator(log_n);
  E a_sum = E::zero(), b_sum = E::zero(), c_sum = E::zero();
  for (std::size_t i = 0; i < width; ++i)
    a_sum += beta_powers[i] * p.trace_local[i], b_sum += beta_powers[i] * p.trace_next[i];
  for (std::size_t j = 0; j < q_cols; ++j) c_sum += beta_powers[j] * p.quotient_at_zeta[j];
  std::vector<E> denominators(2 * queries.size()), inverses(2 * queries.size());
  for (std::size_t k = 0; k < queries.size(); ++k) {
    const E x = E::from_base(fri::fri_domain_point(log_lde, log_lde, queries[k]));
    denominators[2 * k] = x - zeta;
    denominators[2 * k + 1] = x - zeta_next;
  }
  field::batch_inverse<E>(denominators, inverses);
  // R_T and R_Q of every opened row at once, as E::degree base-field linear forms (SIMD); the
  // row shapes were checked by verify_batch.
  const auto linear_forms = [&](const hash::batch_opening& opening, std::size_t cols) {
    std::vector<E> out(rows.size(), E::zero());
    if (cols == 0 || rows.empty()) return out;
    std::vector<babybear> coeffs(E::degree * cols), matrix(rows.size() * cols), forms(rows.size() * E::degree);
    for (unsigned j = 0; j < E::degree; ++j) {
      for (std::size_t i = 0; i < cols; ++i) coeffs[j * cols + i] = beta_powers[i].coeff(j);
    }
    for (std::size_t r = 0; r < rows.size(); ++r) {
      std::copy(opening.rows[r][0].begin(), opening.rows[r][0].end(), matrix.begin() + r * cols);
    }
    row_linear_forms(matrix.data(), rows.size(), cols, coeffs.data(), E::degree, forms.data());
    for (std::size_t r = 0; r < rows.size(); ++r) out[r] = E::from_coeffs(forms.data() + r * E::degree);
    return out;
  };
  const std::vector<E> rt_rows = linear_forms(p.trace_opening, width);
  const std::vector<E> rq_rows = linear_forms(p.quotient_opening, q_cols);
  std::vector<E> f0(queries.size());
  for (std::size_t k = 0; k < queries.size(); ++k) {
    std::size_t one = 0;  // the row of query k: its index bit-reversed, as opened_rows computes it
    for (unsigned i = 0; i < log_lde; ++i) one |= ((queries[k] >> i) & 1) << (log_lde - 1 - i);
    const std::size_t slot = static_cast<std::size_t>(std::lower_bound(rows.begin(), rows.end(), one) - rows.begin());
    const E& rt = rt_rows[slot];
    const E& rq = rq_rows[slot];
    f0[k] = (rt - a_sum + beta_2w * (rq - c_sum)) * inverses[2 * k] + beta_w * (rt - b_sum) * inverses[2 * k + 1];
  }
  if (auto ok = fri::check_queries<E>(fp, p.fri, challenges.value(), f0, log_lde); !ok) {
    return reject(verify_error_code::fri, std::string("FRI: ") + ok.error().message);
  }
  return bits;
}

}  // namespace ciro::stark
