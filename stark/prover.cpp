#include "stark/prover.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <bit>
#include <chrono>

#include "air/symbolic_builder.hpp"
#include "field/batch_inverse.hpp"
#include "field/extension.hpp"
#include "fri/fri.hpp"
#include "hash/merkle_tree.hpp"
#include "stark/deep.hpp"
#include "stark/logup_trace.hpp"
#include "stark/opening.hpp"
#include "stark/public_columns.hpp"
#include "stark/transcript.hpp"

namespace ciro::stark {
namespace {

using field::babybear;
using matrix = kernels::row_major_matrix<babybear>;

/// out[i] = 1 / in[i] for a large array, in parallel chunks of batch inversions.
void parallel_batch_inverse(std::span<const babybear> in, std::span<babybear> out) {
  constexpr std::size_t chunk = 4096;
  tbb::parallel_for(std::size_t{0}, (in.size() + chunk - 1) / chunk, [&](std::size_t c) {
    const std::size_t lo = c * chunk, n = std::min(chunk, in.size() - lo);
    field::batch_inverse(in.subspan(lo, n), out.subspan(lo, n));
  });
}

/// Wall-clock phases with progress callbacks.
class phase_clock {
 public:
  phase_clock(prover_timings* timings, const prove_options& options) : timings_(timings), options_(options) {}
  void operator()(std::string name) {
    const auto now = std::chrono::steady_clock::now();
    if (timings_ && !name_.empty()) {
      timings_->phases.emplace_back(name_, std::chrono::duration<double>(now - start_).count());
    }
    start_ = now;
    name_ = std::move(name);
    if (options_.on_phase && !name_.empty()) options_.on_phase(name_);
  }

 private:
  prover_timings* timings_;
  const prove_options& options_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::string name_;
};

/// A table's quotient: its chunks' LDE (N x D 2^log_qd, natural order on g H_N) and their
/// coefficients (the first n rows before the forward NTT), for the out-of-domain opening.
struct quotient_parts {
  matrix lde, coefficients;
};

/// Q = C / Z_H on the table's quotient domain g H_{n 2^log_qd}, split into 2^log_qd chunks of
/// degree < n (see docs/protocol.md). `trace_lde` is the table's [main | fixed | aux | public
/// columns] LDE; log_n the log of the
/// trace's height, `segments` its stacked instances (selectors of kernels::quotient_inputs).
template <class E>
quotient_parts compute_quotient(const table<E>& kind, bool stacked, kernels::matrix_view<const babybear> trace_lde,
                                unsigned log_n, std::size_t segments, unsigned log_blowup,
                                std::span<const babybear> public_values, std::span<const babybear> alpha_powers,
                                kernels::backend& backend) {
  const std::size_t n = std::size_t{1} << log_n;
  const unsigned b = log_blowup, log_qd = air::log_quotient_degree(kind.constraints(stacked).max_degree);
  const std::size_t q_rows = n << log_qd, stride = std::size_t{1} << (b - log_qd), next_offset = std::size_t{1} << b;
  const std::size_t lde_rows = n << b;
  const babybear g = babybear::generator(), w_q = babybear::two_adic_generator(log_n + log_qd);
  const babybear w_inv = babybear::two_adic_generator(log_n).inverse(), w_inv_s = w_inv.pow(segments);
  // 1/(x^S - 1) and 1/(x^S - w^-S) at every quotient point (S = segments).
  ciro::buffer<babybear> denominators(2 * q_rows), inverses(2 * q_rows);
  tbb::parallel_for(std::size_t{0}, (q_rows + 4095) / 4096, [&](std::size_t c) {
    const babybear step = w_q.pow(segments);
    babybear x_s = (g * w_q.pow(c * 4096)).pow(segments);
    for (std::size_t k = c * 4096; k < std::min(q_rows, (c + 1) * 4096); ++k, x_s *= step) {
      denominators[2 * k] = x_s - babybear::one();
      denominators[2 * k + 1] = x_s - w_inv_s;
    }
  });
  parallel_batch_inverse(denominators, inverses);
  std::vector<babybear> z_h(std::size_t{1} << log_qd), z_h_inv(z_h.size());
  for (std::size_t j = 0; j < z_h.size(); ++j) {
    z_h[j] = g.pow(n) * babybear::two_adic_generator(log_qd).pow(j) - babybear::one();
    z_h_inv[j] = z_h[j].inverse();
  }
  matrix quotient(q_rows, E::degree);
  const kernels::quotient_inputs in{trace_lde, q_rows,  stride, next_offset, public_values, inverses,
                                    z_h,       z_h_inv, g,      w_q,         w_inv,         segments};
  backend.evaluate_quotient(kind.program(stacked), in, alpha_powers, quotient.view());
  // Coefficients of Q, split into 2^log_qd chunks of n: Q(x) = sum_j x^(j n) Q_j(x). Chunk j's
  // coordinates are columns j D .. j D + D - 1, evaluated on g H_N.
  backend.intt(quotient.view(), {.shift = g});
  const std::size_t q_cols = E::degree << log_qd;
  quotient_parts out{matrix(lde_rows, q_cols), matrix(n, q_cols)};
  for (std::size_t j = 0; j < (std::size_t{1} << log_qd); ++j) {
    for (std::size_t i = 0; i < n; ++i) {
      for (unsigned c = 0; c < E::degree; ++c) out.lde.at(i, j * E::degree + c) = quotient.at(j * n + i, c);
    }
  }
  std::copy_n(out.lde.values().begin(), n * q_cols, out.coefficients.values().begin());
  backend.ntt(out.lde.view(), {.shift = g});
  return out;
}

/// [a | b | c] row by row (the columns a table's constraints read), for tables with fixed or aux
/// columns; the main LDE alone otherwise.
matrix concatenate_columns(std::span<const kernels::matrix_view<const babybear>> parts) {
  std::size_t width = 0;
  for (const auto& p : parts) width += p.width;
  const std::size_t rows = parts[0].rows;
  matrix out(rows, width, ciro::uninitialized);
  tbb::parallel_for(std::size_t{0}, (rows + 1023) / 1024, [&](std::size_t c) {
    for (std::size_t r = c * 1024; r < std::min(rows, (c + 1) * 1024); ++r) {
      babybear* dst = out.row(r).data();
      for (const auto& p : parts) dst = std::copy_n(p.data + r * p.width, p.width, dst);
    }
  });
  return out;
}

hash::merkle_tree commit_ldes(hash::merkle_hasher& hasher, const std::vector<const matrix*>& ldes) {
  std::vector<hash::matrix_ref> refs;
  for (const matrix* m : ldes) refs.push_back({m->values().data(), m->rows(), m->width(), true});
  return hash::merkle_tree::commit(hasher, refs).value();
}

}  // namespace

template <class E>
std::uint64_t estimated_prover_bytes(const verifying_key<E>& vk) {
  const std::uint64_t d = E::degree, b = vk.params.log_blowup;
  std::uint64_t words = 0, digests = 0, max_lde = 0;
  for (std::size_t t = 0; t < vk.tables.size(); ++t) {
    const auto& inst = vk.tables[t];
    const std::uint64_t n = std::uint64_t{1} << inst.log_height(), big = n << b;
    const std::uint64_t w = inst.kind->main_width() + inst.kind->aux_width();
    const std::uint64_t q_cols = d << vk.log_quotient_degree(t);
    words += n * w + big * w + n * q_cols + big * q_cols;
    if (inst.kind->num_fixed() > 0 || inst.kind->aux_width() > 0) words += big * (w + inst.kind->num_fixed());
    digests += 2 * big * 3;
    max_lde = std::max(max_lde, big);
  }
  words += 7 * max_lde * d;
  return 4 * words + 32 * digests;
}

template <class E>
ciro::result<proof<E>, prove_error_code> prove(const proving_key<E>& pk, std::span<const air::witness> witnesses,
                                               kernels::backend& backend, hash::merkle_hasher& hasher,
                                               prover_timings* timings, const prove_options& options) {
  constexpr unsigned D = E::degree;
  const verifying_key<E>& vk = pk.vk;
  const stark_params& params = vk.params;
  const unsigned b = params.log_blowup;
  const std::size_t num_tables = vk.tables.size();
  phase_clock phase(timings, options);

  if (witnesses.size() != vk.num_instances()) {
    return prove_error{prove_error_code::invalid_trace, "the circuit has " + std::to_string(vk.num_instances()) +
                                                            " instances but " + std::to_string(witnesses.size()) +
                                                            " witnesses were given"};
  }
  // Table t's instances are witnesses[first_witness[t] ..][.. instances).
  std::vector<std::size_t> first_witness(num_tables + 1, 0);
  for (std::size_t t = 0; t < num_tables; ++t) first_witness[t + 1] = first_witness[t] + vk.tables[t].instances;
  for (std::size_t t = 0; t < num_tables; ++t) {
    const table<E>& kind = *vk.tables[t].kind;
    for (std::size_t i = first_witness[t]; i < first_witness[t + 1]; ++i) {
      const auto& w = witnesses[i];
      if (w.trace.rows() != (std::size_t{1} << vk.tables[t].log_rows) || w.trace.width() != kind.main_width() ||
          w.public_values.size() != kind.num_public_values()) {
        return prove_error{prove_error_code::invalid_trace,
                           "witness " + std::to_string(i) + " (table " + std::to_string(t) + ", '" +
                               std::string(kind.name()) + "') needs 2^" + std::to_string(vk.tables[t].log_rows) +
                               " rows of " + std::to_string(kind.main_width()) + " columns and " +
                               std::to_string(kind.num_public_values()) + " public values"};
      }
    }
  }
  const std::uint32_t bits = conjectured_security_bits(params, vk.size(options.public_lookups.size()));
  if (bits < options.min_security_bits) {
    return prove_error{prove_error_code::weak_parameters,
                       "the parameters give " + std::to_string(bits) + "-bit security for this circuit, below the " +
                           std::to_string(options.min_security_bits) + "-bit minimum"};
  }
  const std::vector<std::size_t> with_fixed = vk.tables_with_fixed(), with_lookups = vk.tables_with_lookups();
  std::vector<std::ptrdiff_t> fixed_index(num_tables, -1), lookup_index(num_tables, -1);
  for (std::size_t i = 0; i < with_fixed.size(); ++i) fixed_index[with_fixed[i]] = static_cast<std::ptrdiff_t>(i);
  for (std::size_t i = 0; i < with_lookups.size(); ++i) lookup_index[with_lookups[i]] = static_cast<std::ptrdiff_t>(i);
  // Table t's fixed trace (all instances), and the rows of instance j of a table.
  const auto fixed_view = [&](std::size_t t) -> kernels::matrix_view<const babybear> {
    if (fixed_index[t] < 0) return {nullptr, std::size_t{1} << vk.tables[t].log_height(), 0};
    return pk.fixed_traces[fixed_index[t]].view();
  };
  const auto instance_rows = [&](kernels::matrix_view<const babybear> m, std::size_t t, std::size_t j) {
    const std::size_t n = std::size_t{1} << vk.tables[t].log_rows;
    return kernels::matrix_view<const babybear>{m.width ? m.data + j * n * m.width : nullptr, n, m.width};
  };

  if (options.check_constraints) {
    phase("check constraints");
    std::vector<const table<E>*> kinds;
    std::vector<table_rows> rows;
    for (std::size_t t = 0; t < num_tables; ++t) {
      const table<E>& kind = *vk.tables[t].kind;
      for (std::size_t j = 0; j < vk.tables[t].instances; ++j) {
        const auto& w = witnesses[first_witness[t] + j];
        const kernels::matrix_view<const babybear> parts[] = {w.trace.view(), instance_rows(fixed_view(t), t, j)};
        const matrix checked = kind.num_fixed() > 0 ? concatenate_columns(parts) : matrix();
        if (auto failure = kind.check(kind.num_fixed() > 0 ? checked : w.trace, w.public_values)) {
          return prove_error{prove_error_code::unsatisfied,
                             "table " + std::to_string(t) + " ('" + std::string(kind.name()) + "')" +
                                 (vk.tables[t].stacked() ? ", instance " + std::to_string(j) + "," : "") +
                                 " violates its AIR: " + *failure};
        }
        kinds.push_back(&kind);
        rows.push_back({w.trace.view(), parts[1], w.public_values});
      }
    }
    if (auto failure = check_buses<E>(kinds, rows, options.public_lookups)) return prove_error{prove_error_code::unsatisfied, *failure};
  }

  proof<E> out;
  out.params = params;
  out.vk_digest = vk.digest;
  // Each table's trace: the witness itself, or its instances stacked.
  std::vector<matrix> stacked_traces(num_tables);
  std::vector<kernels::matrix_view<const babybear>> traces(num_tables);
  for (std::size_t t = 0; t < num_tables; ++t) {
    const table_instance<E>& inst = vk.tables[t];
    table_statement ts{std::string(inst.kind->name()), inst.log_rows, {}, inst.instances};
    for (std::size_t j = 0; j < inst.instances; ++j) {
      const auto& pv = witnesses[first_witness[t] + j].public_values;
      ts.public_values.insert(ts.public_values.end(), pv.begin(), pv.end());
    }
    out.stmt.tables.push_back(std::move(ts));
    if (!inst.stacked()) {
      traces[t] = witnesses[first_witness[t]].trace.view();
      continue;
    }
    const std::size_t n = std::size_t{1} << inst.log_rows, w = inst.kind->main_width();
    stacked_traces[t] = matrix(n * inst.instances, w, ciro::uninitialized);
    tbb::parallel_for(std::size_t{0}, std::size_t{inst.instances}, [&](std::size_t j) {
      const auto& src = witnesses[first_witness[t] + j].trace.values();
      std::copy(src.begin(), src.end(), stacked_traces[t].values().begin() + j * n * w);
    });
    traces[t] = stacked_traces[t].view();
  }
  hash::challenger ch = start_transcript(params, vk.digest, out.stmt, options.public_lookups);

  // 1. Main traces: LDE on g H_N of every table, one commitment.
  phase("trace LDE");
  std::vector<matrix> main_ldes(num_tables);
  for (std::size_t t = 0; t < num_tables; ++t) {
    main_ldes[t] = matrix(traces[t].rows << b, traces[t].width, ciro::uninitialized);  // the LDE writes every row
    backend.lde(traces[t], main_ldes[t].view(), {.log_blowup = b});
  }
  phase("trace commit");
  std::vector<const matrix*> refs;
  for (const auto& m : main_ldes) refs.push_back(&m);
  const hash::merkle_tree main_tree = commit_ldes(hasher, refs);
  out.main_root = main_tree.root();
  ch.observe(out.main_root);

  // 2. LogUp: challenges z and gamma, the aux traces (one running sum per instance), their
  // commitment and totals.
  const E z = ch.template sample_ext_as<E>();
  const E gamma = ch.template sample_ext_as<E>();
  std::size_t max_tuple = 0;
  for (const auto& inst : vk.tables) max_tuple = std::max(max_tuple, inst.kind->lookups().max_tuple_length);
  std::vector<E> gamma_powers(max_tuple);
  for (std::size_t j = 0; j < max_tuple; ++j) gamma_powers[j] = j == 0 ? gamma : gamma_powers[j - 1] * gamma;
  std::vector<matrix> aux_traces(with_lookups.size()), aux_ldes(with_lookups.size());
  std::vector<std::vector<E>> totals(num_tables);
  std::optional<hash::merkle_tree> aux_tree;
  if (!with_lookups.empty()) {
    phase("lookups");
    for (std::size_t i = 0; i < with_lookups.size(); ++i) {
      const std::size_t t = with_lookups[i];
      const table_instance<E>& inst = vk.tables[t];
      const std::size_t n = std::size_t{1} << inst.log_rows;
      for (std::size_t j = 0; j < inst.instances; ++j) {
        auto aux = build_aux_trace<E>(*inst.kind, instance_rows(traces[t], t, j), instance_rows(fixed_view(t), t, j),
                                      witnesses[first_witness[t] + j].public_values, z, gamma_powers);
        if (j == 0) aux_traces[i] = matrix(n * inst.instances, aux.trace.width(), ciro::uninitialized);
        std::copy(aux.trace.values().begin(), aux.trace.values().end(),
                  aux_traces[i].values().begin() + j * aux.trace.values().size());
        totals[t].push_back(aux.total);
        out.lookup_totals.push_back(aux.total);
      }
      aux_ldes[i] = matrix(aux_traces[i].rows() << b, aux_traces[i].width(), ciro::uninitialized);
      backend.lde(aux_traces[i].view(), aux_ldes[i].view(), {.log_blowup = b});
    }
    refs.clear();
    for (const auto& m : aux_ldes) refs.push_back(&m);
    aux_tree = commit_ldes(hasher, refs);
    out.aux_root = aux_tree->root();
  }
  ch.observe(out.aux_root);
  for (const E& total : out.lookup_totals) ch.template observe_ext_as<E>(total);

  // 3. Quotients Q_t = C_t / Z_H_t, one commitment.
  phase("quotient");
  const E alpha = ch.template sample_ext_as<E>();
  std::vector<quotient_parts> quotients(num_tables);
  for (std::size_t t = 0; t < num_tables; ++t) {
    const table_instance<E>& inst = vk.tables[t];
    const table<E>& kind = *inst.kind;
    const bool stacked = inst.stacked();
    const std::vector<babybear> publics = augmented_public_values<E>(
        kind, stacked ? std::span<const babybear>() : std::span<const babybear>(out.stmt.tables[t].public_values), z,
        gamma_powers, totals[t].empty() ? E::zero() : totals[t][0], stacked);
    const std::size_t m = kind.program(stacked).num_constraints();
    std::vector<babybear> alpha_powers(m * D);  // alpha^(m-1-i) as D coordinates
    E power = E::one();
    for (std::size_t i = m; i-- > 0; power *= alpha) {
      for (unsigned j = 0; j < D; ++j) alpha_powers[i * D + j] = power.coeff(j);
    }
    matrix combined, public_lde;
    kernels::matrix_view<const babybear> lde = main_ldes[t].view();
    if (stacked)
      public_lde = public_columns_lde(stacked_public_values<E>(kind, out.stmt.tables[t], totals[t]).view(),
                                      inst.log_rows, b, backend);
    if (kind.num_fixed() > 0 || lookup_index[t] >= 0 || stacked) {
      std::vector<kernels::matrix_view<const babybear>> parts{main_ldes[t].view()};
      if (fixed_index[t] >= 0) parts.push_back(pk.fixed_ldes[fixed_index[t]].view());
      if (lookup_index[t] >= 0) parts.push_back(aux_ldes[lookup_index[t]].view());
      if (stacked) parts.push_back(public_lde.view());
      combined = concatenate_columns(parts);
      lde = combined.view();
    }
    quotients[t] =
        compute_quotient<E>(kind, stacked, lde, inst.log_height(), inst.instances, b, publics, alpha_powers, backend);
  }
  phase("quotient commit");
  refs.clear();
  for (const auto& q : quotients) refs.push_back(&q.lde);
  const hash::merkle_tree quotient_tree = commit_ldes(hasher, refs);
  out.quotient_root = quotient_tree.root();
  ch.observe(out.quotient_root);

  // 4. Out-of-domain openings at zeta and zeta w_t.
  phase("open");
  unsigned max_log_rows = 0;
  for (const auto& inst : vk.tables) max_log_rows = std::max(max_log_rows, inst.log_height());
  const E zeta = sample_zeta<E>(ch, max_log_rows, max_log_rows + b);
  out.openings.resize(num_tables);
  tbb::parallel_for(std::size_t{0}, num_tables, [&](std::size_t t) {
    table_openings<E>& o = out.openings[t];
    auto append = [&](kernels::matrix_view<const babybear> m) {
      if (m.width == 0) return;
      auto opened = open_trace(m, zeta);
      o.local.insert(o.local.end(), opened.local.begin(), opened.local.end());
      o.next.insert(o.next.end(), opened.next.begin(), opened.next.end());
    };
    append(traces[t]);
    append(fixed_view(t));
    if (lookup_index[t] >= 0) append(aux_traces[lookup_index[t]].view());
    o.quotient = evaluate_polynomials_at(quotients[t].coefficients.view(), zeta);
  });
  for (const auto& o : out.openings) {
    for (const auto& v : o.local) ch.template observe_ext_as<E>(v);
    for (const auto& v : o.next) ch.template observe_ext_as<E>(v);
    for (const auto& v : o.quotient) ch.template observe_ext_as<E>(v);
  }

  // 5. DEEP: one function per LDE height, independent coefficients for every column.
  phase("DEEP composition");
  hash::digest seed;
  for (auto& x : seed) x = ch.sample();
  const E mu = ch.template sample_ext_as<E>();
  std::vector<std::size_t> coefficient_offset(num_tables + 1, 0);
  for (std::size_t t = 0; t < num_tables; ++t) {
    coefficient_offset[t + 1] = coefficient_offset[t] + out.openings[t].local.size() + out.openings[t].quotient.size();
  }
  const std::vector<E> coefficients = batching_coefficients<E>(seed, coefficient_offset.back());
  const std::vector<unsigned> heights = lde_log_heights(out.stmt, b);
  std::vector<ciro::buffer<E>> deep(heights.size());
  for (std::size_t h = 0; h < heights.size(); ++h) {
    std::vector<deep_matrix<E>> group;
    for (std::size_t t = 0; t < num_tables; ++t) {
      if (vk.tables[t].log_height() + b != heights[h]) continue;
      const table_openings<E>& o = out.openings[t];
      std::size_t col = 0;
      const std::span<const E> a(coefficients.data() + coefficient_offset[t], o.local.size() + o.quotient.size());
      auto add = [&](kernels::matrix_view<const babybear> lde, bool two_point, std::span<const E> at_zeta,
                     std::span<const E> at_next) {
        const std::size_t w = lde.width;
        group.push_back({lde, a.subspan(col, w), at_zeta.subspan(0, w), two_point ? at_next.subspan(0, w) : at_next});
        col += w;
      };
      const std::span<const E> local(o.local), next(o.next);
      add(main_ldes[t].view(), true, local, next);
      if (fixed_index[t] >= 0) add(pk.fixed_ldes[fixed_index[t]].view(), true, local.subspan(col), next.subspan(col));
      if (lookup_index[t] >= 0) add(aux_ldes[lookup_index[t]].view(), true, local.subspan(col), next.subspan(col));
      add(quotients[t].lde.view(), false, std::span<const E>(o.quotient), {});
    }
    const E zeta_next = zeta * babybear::two_adic_generator(heights[h] - b);
    deep[h] = deep_composition<E>(group, babybear::generator(), zeta, zeta_next, mu);
  }

  // 6. FRI over the DEEP functions of every height, then the rows its queries open.
  phase("FRI");
  const fri::fri_params fp{params.log_blowup, params.log_arity, params.log_final_poly_len, params.num_queries,
                           params.pow_bits};
  std::vector<std::span<const E>> inputs;
  for (const auto& d : deep) inputs.emplace_back(d.data(), d.size());
  auto fri_out = fri::prove<E>(fp, std::span<const std::span<const E>>(inputs), ch, backend, hasher);
  out.fri = std::move(fri_out.proof);
  phase("query openings");
  const unsigned log_max = heights.front();
  const auto& queries = fri_out.query_indices;
  out.main_opening = main_tree.open(opened_leaves(queries, log_max, main_tree.log_height()));
  out.quotient_opening = quotient_tree.open(opened_leaves(queries, log_max, quotient_tree.log_height()));
  if (aux_tree) out.aux_opening = aux_tree->open(opened_leaves(queries, log_max, aux_tree->log_height()));
  if (pk.fixed_tree)
    out.fixed_opening = pk.fixed_tree->open(opened_leaves(queries, log_max, pk.fixed_tree->log_height()));
  phase("");
  return out;
}

#define CIRO_INSTANTIATE_PROVER(E)                                                                                  \
  template std::uint64_t estimated_prover_bytes(const verifying_key<E>&);                                           \
  template ciro::result<proof<E>, prove_error_code> prove(const proving_key<E>&, std::span<const air::witness>,     \
                                                          kernels::backend&, hash::merkle_hasher&, prover_timings*, \
                                                          const prove_options&);
CIRO_INSTANTIATE_PROVER(field::babybear4)
CIRO_INSTANTIATE_PROVER(field::babybear5)
#undef CIRO_INSTANTIATE_PROVER

}  // namespace ciro::stark
