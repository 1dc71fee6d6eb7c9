#pragma once

#include <tbb/parallel_for.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "air/air.hpp"
#include "air/constraint_compiler.hpp"
#include "air/debug_checker.hpp"
#include "air/symbolic_builder.hpp"
#include "core/result.hpp"
#include "field/batch_inverse.hpp"
#include "fri/fri.hpp"
#include "hash/merkle_hasher.hpp"
#include "hash/merkle_tree.hpp"
#include "kernels/backend.hpp"
#include "stark/folders.hpp"
#include "stark/proof.hpp"
#include "stark/deep.hpp"
#include "stark/opening.hpp"
#include "stark/transcript.hpp"

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
  invalid_trace,   ///< the trace's shape does not fit the AIR, or it is not a power of two
  unsatisfied,     ///< the trace violates a constraint (the message names it)
  invalid_params,  ///< the parameters cannot prove this AIR (e.g. blowup below the quotient degree)
};
using prove_error = ciro::error<prove_error_code>;

struct prove_options {
  /// Run the debug checker first and refuse a trace that violates a constraint. Tests turn this
  /// off to build proofs of false statements and watch the verifier reject them.
  bool check_constraints = true;
  /// Called at the start of each phase with its name (progress reporting).
  std::function<void(const std::string&)> on_phase;
};

namespace detail {

/// out[i] = 1 / in[i] for a large array, in parallel chunks of batch inversions.
template <class F>
void parallel_batch_inverse(std::span<const F> in, std::span<F> out) {
  constexpr std::size_t chunk = 4096;
  tbb::parallel_for(std::size_t{0}, (in.size() + chunk - 1) / chunk, [&](std::size_t c) {
    const std::size_t lo = c * chunk, n = std::min(chunk, in.size() - lo);
    field::batch_inverse(in.subspan(lo, n), out.subspan(lo, n));
  });
}

}  // namespace detail

/// An upper estimate of the prover's peak memory, in bytes, for `air` on 2^log_rows rows: the
/// trace, the trace and quotient LDEs, their Merkle trees
/// (2 digests of 32 bytes per LDE row each), the DEEP evaluations with their inverted
/// denominators, and the FRI layers and trees. Lets a caller refuse a job that cannot fit.
template <air::air A>
std::uint64_t estimated_prover_bytes(const A& air, unsigned log_rows, const stark_params& params) {
  const std::uint64_t n = std::uint64_t{1} << log_rows, big = n << params.log_blowup, d = params.extension_degree;
  const std::uint64_t w = air.width();
  const std::uint64_t q_cols = d << air::log_quotient_degree(air::analyse(air).max_degree);
  const std::uint64_t words = n * w + big * w + n * q_cols + big * q_cols + 5 * big * d + 2 * big * d;
  const std::uint64_t digests = 2 * big * 2 + big / 2;
  return 4 * words + 32 * digests;
}

/// Proves that `witness.trace` satisfies `air` with `witness.public_values`, following
/// docs/protocol.md, over the challenge field E (BabyBear^4 or ^5, as params.extension_degree
/// says). The hot loops go through `backend` (LDE, NTT) and `hasher` (Merkle).
template <class E, air::air A>
ciro::result<proof<E>, prove_error_code> prove(const A& air, const air::witness& witness, const stark_params& params,
                                               kernels::backend& backend, hash::merkle_hasher& hasher,
                                               prover_timings* timings = nullptr, const prove_options& options = {}) {
  using field::babybear;
  using clock = std::chrono::steady_clock;
  auto phase_start = clock::now();
  std::string phase_name;
  auto phase = [&](std::string name) {
    const auto now = clock::now();
    if (timings && !phase_name.empty()) {
      timings->phases.emplace_back(phase_name, std::chrono::duration<double>(now - phase_start).count());
    }
    phase_start = now;
    phase_name = std::move(name);
    if (options.on_phase && !phase_name.empty()) options.on_phase(phase_name);
  };

  const auto& trace = witness.trace;
  const std::size_t n = trace.rows(), width = air.width();
  if (n == 0 || (n & (n - 1)) != 0 || trace.width() != width ||
      witness.public_values.size() != air.num_public_values()) {
    return prove_error{prove_error_code::invalid_trace, "the trace must have a power-of-two number of rows, " +
                                                            std::to_string(width) + " columns and " +
                                                            std::to_string(air.num_public_values()) + " public values"};
  }
  const unsigned log_n = static_cast<unsigned>(std::countr_zero(n));
  const air::constraint_info info = air::analyse(air);
  const unsigned log_qd = air::log_quotient_degree(info.max_degree);
  const unsigned b = params.log_blowup;
  if (params.extension_degree != E::degree || log_qd > b || log_n + b > babybear::two_adicity) {
    return prove_error{prove_error_code::invalid_params,
                       "log_blowup " + std::to_string(b) + " is below the AIR's log quotient degree " +
                           std::to_string(log_qd) + ", or the extension degree does not match"};
  }
  const fri::fri_params fp{params.log_blowup, params.log_arity, params.log_final_poly_len, params.num_queries,
                           params.pow_bits};
  const unsigned log_lde = log_n + b;
  if (!fri::validate(fp, log_lde)) {
    return prove_error{prove_error_code::invalid_params,
                       "the FRI parameters do not fit a trace of 2^" + std::to_string(log_n) + " rows"};
  }
  if (options.check_constraints) {
    phase("check constraints");
    const auto report = air::check_trace(air, trace, witness.public_values, 1);
    if (!report.ok()) {
      return prove_error{prove_error_code::unsatisfied,
                         "the trace violates the AIR: " + air::to_string(report.violations.front())};
    }
  }

  proof<E> out;
  out.params = params;
  out.stmt = {std::string(air.name()), log_n, witness.public_values};
  hash::challenger ch = start_transcript(params, out.stmt, width);

  // 1. Trace: LDE on g * H_N (natural order) and its Merkle commitment.
  phase("trace LDE");
  const std::size_t lde_rows = n << b;
  kernels::row_major_matrix<babybear> trace_lde(lde_rows, width, ciro::uninitialized);  // the LDE writes every row
  backend.lde(trace.view(), trace_lde.view(), {.log_blowup = b});
  phase("trace commit");
  auto trace_tree = hash::merkle_tree::commit(hasher, {{trace_lde.values().data(), lde_rows, width}}).value();
  out.trace_root = trace_tree.root();
  ch.observe(out.trace_root);

  // 2. Quotient Q = C / Z_H on the quotient domain g * H_{n 2^log_qd}, a subset of the LDE domain.
  phase("quotient");
  const E alpha = ch.template sample_ext_as<E>();
  const kernels::constraint_program program = air::compile_constraints(air);
  const std::size_t m = program.num_constraints();
  std::vector<babybear> alpha_powers(m * E::degree);  // alpha^(m-1-i) as E::degree coordinates
  {
    E power = E::one();
    for (std::size_t i = m; i-- > 0; power *= alpha) {
      for (unsigned j = 0; j < E::degree; ++j) alpha_powers[i * E::degree + j] = power.coeff(j);
    }
  }
  const std::size_t q_rows = n << log_qd, stride = std::size_t{1} << (b - log_qd), next_offset = std::size_t{1} << b;
  const babybear g = babybear::generator(), w_q = babybear::two_adic_generator(log_n + log_qd);
  const babybear w_inv = babybear::two_adic_generator(log_n).inverse();
  // 1/(x - 1) and 1/(x - w^-1) at every quotient point; 1/Z_H takes 2^log_qd values.
  ciro::buffer<babybear> denominators(2 * q_rows), inverses(2 * q_rows);
  tbb::parallel_for(std::size_t{0}, (q_rows + 4095) / 4096, [&](std::size_t c) {
    babybear x = g * w_q.pow(c * 4096);
    for (std::size_t k = c * 4096; k < std::min(q_rows, (c + 1) * 4096); ++k, x *= w_q) {
      denominators[2 * k] = x - babybear::one();
      denominators[2 * k + 1] = x - w_inv;
    }
  });
  detail::parallel_batch_inverse<babybear>(denominators, inverses);
  std::vector<babybear> z_h(std::size_t{1} << log_qd), z_h_inv(z_h.size());
  for (std::size_t j = 0; j < z_h.size(); ++j) {
    z_h[j] = g.pow(n) * babybear::two_adic_generator(log_qd).pow(j) - babybear::one();
    z_h_inv[j] = z_h[j].inverse();
  }
  kernels::row_major_matrix<babybear> quotient(q_rows, E::degree);
  const kernels::quotient_inputs q_in{
      trace_lde.view(), q_rows, stride, next_offset, witness.public_values, inverses, z_h, z_h_inv, g, w_q, w_inv};
  backend.evaluate_quotient(program, q_in, alpha_powers, quotient.view());
  // Coefficients of Q, split into 2^log_qd chunks of n: Q(x) = sum_j x^(j n) Q_j(x). Chunk j's
  // coordinates are columns j D .. j D + D - 1 of the quotient matrix, evaluated on g * H_N.
  backend.intt(quotient.view(), {.shift = g});
  const std::size_t q_cols = E::degree << log_qd;
  kernels::row_major_matrix<babybear> quotient_lde(lde_rows, q_cols);
  for (std::size_t j = 0; j < (std::size_t{1} << log_qd); ++j) {
    for (std::size_t i = 0; i < n; ++i) {
      for (unsigned c = 0; c < E::degree; ++c) quotient_lde.at(i, j * E::degree + c) = quotient.at(j * n + i, c);
    }
  }
  phase("quotient commit");
  // Keep the chunk coefficients (the first n rows) for the out-of-domain evaluation below.
  kernels::row_major_matrix<babybear> chunk_coefficients(n, q_cols);
  std::copy_n(quotient_lde.values().begin(), n * q_cols, chunk_coefficients.values().begin());
  backend.ntt(quotient_lde.view(), {.shift = g});
  auto quotient_tree = hash::merkle_tree::commit(hasher, {{quotient_lde.values().data(), lde_rows, q_cols}}).value();
  out.quotient_root = quotient_tree.root();
  ch.observe(out.quotient_root);

  // 3. Out-of-domain openings at zeta and zeta * w.
  phase("open");
  const E zeta = ch.template sample_ext_as<E>();
  const E zeta_next = zeta * babybear::two_adic_generator(log_n);
  auto trace_openings = open_trace(trace.view(), zeta);
  out.trace_local = std::move(trace_openings.local);
  out.trace_next = std::move(trace_openings.next);
  out.quotient_at_zeta = evaluate_polynomials_at(chunk_coefficients.view(), zeta);
  for (const auto& v : out.trace_local) ch.template observe_ext_as<E>(v);
  for (const auto& v : out.trace_next) ch.template observe_ext_as<E>(v);
  for (const auto& v : out.quotient_at_zeta) ch.template observe_ext_as<E>(v);

  // 4. DEEP composition F on the LDE domain, bit-reversed for FRI:
  //    F(x) = (R_T(x) - A + beta^(2w) (R_Q(x) - Cq)) / (x - zeta) + beta^w (R_T(x) - B) / (x - zeta w)
  //    with R_T = sum_i beta^i t_i, R_Q = sum_j beta^j q_j, A, B, Cq the same sums of the openings.
  phase("DEEP composition");
  const E beta = ch.template sample_ext_as<E>();
  const ciro::buffer<E> deep = deep_composition<E>({trace_lde.view(), quotient_lde.view(), g, zeta, zeta_next,
                                                    out.trace_local, out.trace_next, out.quotient_at_zeta},
                                                   beta);

  // 5. FRI on F, then the trace and quotient rows its queries need.
  phase("FRI");
  auto fri_out = fri::prove<E>(fp, deep, ch, backend, hasher);
  out.fri = std::move(fri_out.proof);
  phase("query openings");
  const auto rows = opened_rows(fri_out.query_indices, log_lde);
  out.trace_opening = trace_tree.open(rows);
  out.quotient_opening = quotient_tree.open(rows);
  phase("");
  return out;
}

}  // namespace ciro::stark
