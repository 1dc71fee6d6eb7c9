#pragma once

#include <tbb/parallel_for.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "air/air.hpp"
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
#include "stark/quotient.hpp"
#include "stark/quotient_deep.hpp"
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

/// x^(2^k).
template <class F>
F pow2k(F x, unsigned k) {
  for (unsigned i = 0; i < k; ++i) x = x.square();
  return x;
}

/// out[i] = 1 / in[i] for a large array, in parallel chunks of batch inversions.
template <class F>
void parallel_batch_inverse(std::span<const F> in, std::span<F> out) {
  constexpr std::size_t chunk = 4096;
  tbb::parallel_for(std::size_t{0}, (in.size() + chunk - 1) / chunk, [&](std::size_t c) {
    const std::size_t lo = c * chunk, n = std::min(chunk, in.size() - lo);
    field::batch_inverse(in.subspan(lo, n), out.subspan(lo, n));
  });
}

/// f(z) for every column f of the n x width matrix `values` (the evaluations on H, natural
/// order), by the barycentric formula f(z) = (z^n - 1)/n * sum_i f(w^i) w^i / (z - w^i).
template <class E>
std::vector<E> evaluate_columns_at(const kernels::row_major_matrix<field::babybear>& values, unsigned log_n, E z) {
  const std::size_t n = values.rows(), width = values.width();
  kernels::buffer<E> denominators(n), weights(n);
  const field::babybear w = field::babybear::two_adic_generator(log_n);
  tbb::parallel_for(std::size_t{0}, (n + 4095) / 4096, [&](std::size_t c) {
    field::babybear x = w.pow(c * 4096);
    for (std::size_t i = c * 4096; i < std::min(n, (c + 1) * 4096); ++i, x *= w) denominators[i] = z - E::from_base(x);
  });
  parallel_batch_inverse<E>(denominators, weights);
  tbb::parallel_for(std::size_t{0}, (n + 4095) / 4096, [&](std::size_t c) {
    field::babybear x = w.pow(c * 4096);
    for (std::size_t i = c * 4096; i < std::min(n, (c + 1) * 4096); ++i, x *= w) weights[i] = weights[i] * x;
  });
  // Column sums, parallel over row blocks (SIMD across columns), combined in block order.
  constexpr unsigned D = E::degree;
  static_assert(sizeof(E) == D * sizeof(field::babybear), "E must be its D packed coefficients");
  const auto* weight_words = reinterpret_cast<const field::babybear*>(weights.data());
  constexpr std::size_t block = 2048;
  const std::size_t blocks = (n + block - 1) / block;
  std::vector<std::vector<field::babybear>> partial(blocks, std::vector<field::babybear>(D * width));
  tbb::parallel_for(std::size_t{0}, blocks, [&](std::size_t b) {
    const std::size_t lo = b * block, count = std::min(n, lo + block) - lo;
    column_linear_forms(values.row(lo).data(), count, width, weight_words + lo * D, D, partial[b].data());
  });
  const E scale = (pow2k(z, log_n) - E::one()) * field::babybear::from_u64(n).inverse();
  std::vector<E> result(width, E::zero());
  for (const auto& acc : partial) {
    for (std::size_t c = 0; c < width; ++c) {
      field::babybear coeffs[D];
      for (unsigned j = 0; j < D; ++j) coeffs[j] = acc[j * width + c];
      result[c] += E::from_coeffs(coeffs);
    }
  }
  for (auto& r : result) r = r * scale;
  return result;
}

}  // namespace detail

/// An upper estimate of the prover's peak memory, in bytes, for `air` on 2^log_rows rows: the
/// trace and its copy in the LDE workspace, the trace and quotient LDEs, their Merkle trees
/// (2 digests of 32 bytes per LDE row each), the DEEP evaluations with their inverted
/// denominators, and the FRI layers and trees. Lets a caller refuse a job that cannot fit.
template <air::air A>
std::uint64_t estimated_prover_bytes(const A& air, unsigned log_rows, const stark_params& params) {
  const std::uint64_t n = std::uint64_t{1} << log_rows, big = n << params.log_blowup, d = params.extension_degree;
  const std::uint64_t w = air.width();
  const std::uint64_t q_cols = d << air::log_quotient_degree(air::analyse(air).max_degree);
  const std::uint64_t words = 2 * n * w + big * w + n * q_cols + big * q_cols + 5 * big * d + 2 * big * d;
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
  kernels::row_major_matrix<babybear> trace_lde(lde_rows, width);
  backend.lde(trace.view(), trace_lde.view(), {.log_blowup = b});
  phase("trace commit");
  auto trace_tree = hash::merkle_tree::commit(hasher, {{trace_lde.values().data(), lde_rows, width}}).value();
  out.trace_root = trace_tree.root();
  ch.observe(out.trace_root);

  // 2. Quotient Q = C / Z_H on the quotient domain g * H_{n 2^log_qd}, a subset of the LDE domain.
  phase("quotient");
  const E alpha = ch.template sample_ext_as<E>();
  const std::size_t m = info.constraints.size();
  std::vector<E> alpha_powers(m);
  {
    E power = E::one();
    for (std::size_t i = m; i-- > 0;) alpha_powers[i] = power, power *= alpha;
  }
  const std::size_t q_rows = n << log_qd, stride = std::size_t{1} << (b - log_qd), next_offset = std::size_t{1} << b;
  const babybear g = babybear::generator(), w_q = babybear::two_adic_generator(log_n + log_qd);
  const babybear w_inv = babybear::two_adic_generator(log_n).inverse();
  // 1/(x - 1) and 1/(x - w^-1) at every quotient point; 1/Z_H takes 2^log_qd values.
  kernels::buffer<babybear> denominators(2 * q_rows), inverses(2 * q_rows);
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
  const quotient_inputs q_in{trace_lde.view(), q_rows, stride, next_offset, witness.public_values, inverses, z_h,
                             z_h_inv,          g,      w_q,    w_inv};
  evaluate_quotient<E>(air, q_in, std::span<const E>(alpha_powers), quotient.view());
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
  out.trace_local = detail::evaluate_columns_at(trace, log_n, zeta);
  out.trace_next = detail::evaluate_columns_at(trace, log_n, zeta_next);
  out.quotient_at_zeta.assign(q_cols, E::zero());
  tbb::parallel_for(std::size_t{0}, q_cols, [&](std::size_t c) {
    E acc = E::zero();
    for (std::size_t i = n; i-- > 0;) acc = acc * zeta + E::from_base(chunk_coefficients.at(i, c));
    out.quotient_at_zeta[c] = acc;
  });
  for (const auto& v : out.trace_local) ch.template observe_ext_as<E>(v);
  for (const auto& v : out.trace_next) ch.template observe_ext_as<E>(v);
  for (const auto& v : out.quotient_at_zeta) ch.template observe_ext_as<E>(v);

  // 4. DEEP composition F on the LDE domain, bit-reversed for FRI:
  //    F(x) = (R_T(x) - A + beta^(2w) (R_Q(x) - Cq)) / (x - zeta) + beta^w (R_T(x) - B) / (x - zeta w)
  //    with R_T = sum_i beta^i t_i, R_Q = sum_j beta^j q_j, A, B, Cq the same sums of the openings.
  phase("DEEP composition");
  const E beta = ch.template sample_ext_as<E>();
  const std::size_t max_cols = std::max(width, q_cols);
  std::vector<E> beta_powers(max_cols);
  {
    E power = E::one();
    for (auto& bp : beta_powers) bp = power, power *= beta;
  }
  const E beta_w = beta.pow(width), beta_2w = beta_w * beta_w;
  E a_sum = E::zero(), b_sum = E::zero(), c_sum = E::zero();
  for (std::size_t i = 0; i < width; ++i)
    a_sum += beta_powers[i] * out.trace_local[i], b_sum += beta_powers[i] * out.trace_next[i];
  for (std::size_t j = 0; j < q_cols; ++j) c_sum += beta_powers[j] * out.quotient_at_zeta[j];
  kernels::buffer<E> deep(lde_rows), point_denominators(2 * lde_rows), point_inverses(2 * lde_rows);
  const babybear w_lde = babybear::two_adic_generator(log_lde);
  tbb::parallel_for(std::size_t{0}, (lde_rows + 4095) / 4096, [&](std::size_t c) {
    babybear x = g * w_lde.pow(c * 4096);
    for (std::size_t r = c * 4096; r < std::min(lde_rows, (c + 1) * 4096); ++r, x *= w_lde) {
      point_denominators[2 * r] = E::from_base(x) - zeta;
      point_denominators[2 * r + 1] = E::from_base(x) - zeta_next;
    }
  });
  detail::parallel_batch_inverse<E>(point_denominators, point_inverses);
  // R_T(x) = sum_i beta^i t_i(x) as E::degree base-field linear forms of each row (SIMD).
  std::vector<babybear> beta_coeffs(E::degree * width);
  for (unsigned j = 0; j < E::degree; ++j) {
    for (std::size_t i = 0; i < width; ++i) beta_coeffs[j * width + i] = beta_powers[i].coeff(j);
  }
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, lde_rows, 1024),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      std::vector<babybear> rt_coeffs(range.size() * E::degree);
                      row_linear_forms(trace_lde.row(range.begin()).data(), range.size(), width, beta_coeffs.data(),
                                       E::degree, rt_coeffs.data());
                      for (std::size_t r = range.begin(); r < range.end(); ++r) {
                        const auto q = quotient_lde.row(r);
                        const E rt = E::from_coeffs(rt_coeffs.data() + (r - range.begin()) * E::degree);
                        E rq = E::zero();
                        for (std::size_t j = 0; j < q_cols; ++j) rq += beta_powers[j] * q[j];
                        const E value = (rt - a_sum + beta_2w * (rq - c_sum)) * point_inverses[2 * r] +
                                        beta_w * (rt - b_sum) * point_inverses[2 * r + 1];
                        std::size_t pos = 0;  // FRI position of LDE row r: bitrev(r)
                        for (unsigned i = 0; i < log_lde; ++i) pos |= ((r >> i) & 1) << (log_lde - 1 - i);
                        deep[pos] = value;
                      }
                    });

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
