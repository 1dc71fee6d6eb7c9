#include "stark/verifier.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "air/symbolic_builder.hpp"
#include "field/batch_inverse.hpp"
#include "field/extension.hpp"
#include "fri/fri.hpp"
#include "hash/merkle_tree.hpp"
#include "stark/folders.hpp"
#include "stark/logup_trace.hpp"
#include "stark/public_columns.hpp"
#include "stark/quotient_deep.hpp"
#include "stark/transcript.hpp"

namespace ciro::stark {

const char* to_string(verify_error_code code) {
  switch (code) {
    case verify_error_code::wrong_circuit:
      return "wrong_circuit";
    case verify_error_code::weak_parameters:
      return "weak_parameters";
    case verify_error_code::invalid_parameters:
      return "invalid_parameters";
    case verify_error_code::wrong_shape:
      return "wrong_shape";
    case verify_error_code::unbalanced_lookups:
      return "unbalanced_lookups";
    case verify_error_code::constraint_mismatch:
      return "constraint_mismatch";
    case verify_error_code::main_opening:
      return "main_opening";
    case verify_error_code::aux_opening:
      return "aux_opening";
    case verify_error_code::quotient_opening:
      return "quotient_opening";
    case verify_error_code::fixed_opening:
      return "fixed_opening";
    case verify_error_code::fri:
      return "fri";
  }
  return "unknown";
}

namespace {

using field::babybear;

/// One commitment as the verifier sees it: which table each of its matrices belongs to, their
/// dimensions, the leaves the queries open and, per matrix, the batching forms of those rows.
struct commitment_view {
  std::vector<std::size_t> table_of;  // matrix j belongs to table table_of[j]
  std::vector<hash::matrix_dims> dims;
  unsigned log_height = 0;
  std::vector<std::size_t> leaves;
};

}  // namespace

template <class E>
ciro::result<std::uint32_t, verify_error_code> verify(const verifying_key<E>& vk, const proof<E>& p,
                                                      const verifier_policy& policy,
                                                      std::span<const public_lookup> public_lookups) {
  constexpr unsigned D = E::degree;
  auto reject = [](verify_error_code code, std::string message) { return verify_error{code, std::move(message)}; };
  const stark_params& params = vk.params;
  const unsigned b = params.log_blowup;
  const std::size_t num_tables = vk.tables.size();
  if (p.params != params) {
    return reject(verify_error_code::invalid_parameters, "the proof's parameters differ from the verifying key's");
  }
  if (p.vk_digest != vk.digest) {
    return reject(verify_error_code::wrong_circuit, "the proof was made for another verifying key");
  }
  if (p.stmt.tables.size() != num_tables || p.openings.size() != num_tables) {
    return reject(verify_error_code::wrong_circuit, "the proof has " + std::to_string(p.stmt.tables.size()) +
                                                        " tables, the circuit " + std::to_string(num_tables));
  }
  for (std::size_t t = 0; t < num_tables; ++t) {
    const table_statement& ts = p.stmt.tables[t];
    if (ts.air_name != vk.tables[t].kind->name() || ts.log_rows != vk.tables[t].log_rows ||
        ts.instances != vk.tables[t].instances) {
      return reject(verify_error_code::wrong_circuit,
                    "table " + std::to_string(t) + " is '" + ts.air_name + "' of " + std::to_string(ts.instances) +
                        " x 2^" + std::to_string(ts.log_rows) + " rows, the circuit has '" +
                        std::string(vk.tables[t].kind->name()) + "' of " + std::to_string(vk.tables[t].instances) +
                        " x 2^" + std::to_string(vk.tables[t].log_rows));
    }
  }
  if (public_lookups.size() > max_public_lookups) {
    return reject(verify_error_code::wrong_shape, "the statement has too many public lookups");
  }
  std::size_t max_tuple = 0;
  for (const auto& inst : vk.tables) max_tuple = std::max(max_tuple, inst.kind->lookups().max_tuple_length);
  for (const public_lookup& l : public_lookups) {
    if (l.tuple.size() > max_public_lookup_tuple) {
      return reject(verify_error_code::wrong_shape, "a public lookup's tuple is too long");
    }
    max_tuple = std::max(max_tuple, l.tuple.size());
  }
  if (!public_lookups.empty() && vk.tables_with_lookups().empty()) {
    return reject(verify_error_code::unbalanced_lookups, "the statement has public lookups but no table has lookups");
  }
  const std::uint32_t bits = conjectured_security_bits(params, vk.size(public_lookups.size()));
  if (bits < policy.min_security_bits) {
    return reject(verify_error_code::weak_parameters, "the parameters give " + std::to_string(bits) +
                                                          "-bit security, below the minimum of " +
                                                          std::to_string(policy.min_security_bits));
  }
  const std::vector<std::size_t> with_lookups = vk.tables_with_lookups();
  std::vector<bool> has_lookups(num_tables, false);
  std::size_t num_totals = 0;
  for (const std::size_t t : with_lookups) has_lookups[t] = true, num_totals += vk.tables[t].instances;
  for (std::size_t t = 0; t < num_tables; ++t) {
    const table<E>& kind = *vk.tables[t].kind;
    const table_openings<E>& o = p.openings[t];
    const std::size_t width = kind.main_width() + kind.num_fixed() + kind.aux_width();
    if (p.stmt.tables[t].public_values.size() != kind.num_public_values() * vk.tables[t].instances ||
        o.local.size() != width || o.next.size() != width ||
        o.quotient.size() != (std::size_t{D} << vk.log_quotient_degree(t))) {
      return reject(verify_error_code::wrong_shape,
                    "table " + std::to_string(t) + ": public values or opened values do not match its shape");
    }
  }
  if (p.lookup_totals.size() != num_totals) {
    return reject(verify_error_code::wrong_shape, "the proof has " + std::to_string(p.lookup_totals.size()) +
                                                      " lookup totals, the circuit " + std::to_string(num_totals) +
                                                      " instances with lookups");
  }
  if (with_lookups.empty() && p.aux_root != hash::digest{}) {
    return reject(verify_error_code::wrong_shape, "the circuit has no lookups but the proof has an aux commitment");
  }

  // Replay the transcript.
  hash::challenger ch = start_transcript(params, vk.digest, p.stmt, public_lookups);
  ch.observe(p.main_root);
  const E z = ch.template sample_ext_as<E>();
  const E gamma = ch.template sample_ext_as<E>();
  ch.observe(p.aux_root);
  for (const E& total : p.lookup_totals) ch.template observe_ext_as<E>(total);
  const E alpha = ch.template sample_ext_as<E>();
  ch.observe(p.quotient_root);
  unsigned max_log_rows = 0;
  for (const auto& inst : vk.tables) max_log_rows = std::max(max_log_rows, inst.log_height());
  const E zeta = sample_zeta<E>(ch, max_log_rows, max_log_rows + b);
  for (const auto& o : p.openings) {
    for (const auto& v : o.local) ch.template observe_ext_as<E>(v);
    for (const auto& v : o.next) ch.template observe_ext_as<E>(v);
    for (const auto& v : o.quotient) ch.template observe_ext_as<E>(v);
  }
  hash::digest seed;
  for (auto& x : seed) x = ch.sample();
  const E mu = ch.template sample_ext_as<E>();

  std::vector<E> gamma_powers(max_tuple);
  for (std::size_t j = 0; j < max_tuple; ++j) gamma_powers[j] = j == 0 ? gamma : gamma_powers[j - 1] * gamma;

  // The buses balance: the totals and the public lookups add up to zero.
  E sum = E::zero();
  for (const E& total : p.lookup_totals) sum += total;
  if (!public_lookups.empty()) {
    const std::optional<E> boundary = public_lookup_sum<E>(public_lookups, z, gamma_powers);
    if (!boundary) return reject(verify_error_code::unbalanced_lookups, "a public lookup's denominator is zero");
    sum += *boundary;
  }
  if (!sum.is_zero()) {
    return reject(verify_error_code::unbalanced_lookups,
                  public_lookups.empty() ? "the tables' lookup totals do not add up to zero"
                                         : "the tables' lookup totals do not cancel the public lookups");
  }

  // Each table's constraint identity at zeta: C(zeta) = Z_H(zeta) sum_j zeta^(j n) Q_j(zeta),
  // Q_j(zeta) = sum_c X^c (opened base column j D + c), X the extension's generator.
  std::array<babybear, D> x_coeffs{};
  x_coeffs[1] = babybear::one();
  const E x_gen = E::from_coeffs(x_coeffs);
  for (std::size_t t = 0, lookup = 0; t < num_tables; ++t) {
    const table_instance<E>& inst = vk.tables[t];
    const table<E>& kind = *inst.kind;
    const unsigned log_n = inst.log_height();
    const std::span<const E> totals(p.lookup_totals.data() + lookup, has_lookups[t] ? inst.instances : 0);
    lookup += totals.size();
    const std::vector<babybear> publics = augmented_public_values<E>(
        kind, p.stmt.tables[t].public_values, z, gamma_powers, totals.empty() ? E::zero() : totals[0], inst.stacked());
    std::vector<E> local = p.openings[t].local, next = p.openings[t].next;
    if (inst.stacked()) {
      // The public columns at zeta and zeta w, computed from the statement.
      const std::array<E, 2> points{zeta, zeta * babybear::two_adic_generator(log_n)};
      const auto values = stacked_public_values<E>(kind, p.stmt.tables[t], totals);
      const auto at = public_columns_at<E>(values.view(), inst.log_rows, points);
      local.insert(local.end(), at[0].begin(), at[0].end());
      next.insert(next.end(), at[1].begin(), at[1].end());
    }
    const E folded = kind.constraints_at(local, next, publics, alpha, selectors_at(zeta, log_n, inst.log_instances()),
                                         inst.stacked());
    E zeta_n = zeta;
    for (unsigned i = 0; i < log_n; ++i) zeta_n = zeta_n.square();
    E q_at_zeta = E::zero(), zeta_jn = E::one();
    const auto& q = p.openings[t].quotient;
    for (std::size_t j = 0; j < q.size() / D; ++j) {
      E chunk = E::zero(), basis = E::one();
      for (unsigned c = 0; c < D; ++c, basis *= x_gen) chunk += basis * q[j * D + c];
      q_at_zeta += zeta_jn * chunk;
      zeta_jn *= zeta_n;
    }
    if (folded != (zeta_n - E::one()) * q_at_zeta) {
      return reject(verify_error_code::constraint_mismatch,
                    "table " + std::to_string(t) + " ('" + std::string(kind.name()) +
                        "'): the constraints do not vanish on its trace domain (C(zeta) != Z_H(zeta) Q(zeta))");
    }
  }

  // FRI: replay its commit phase, then check its queries against the DEEP values computed from
  // our openings.
  const fri::fri_params fp{params.log_blowup, params.log_arity, params.log_final_poly_len, params.num_queries,
                           params.pow_bits};
  const std::vector<unsigned> heights = lde_log_heights(p.stmt, b);
  auto challenges = fri::replay<E>(fp, p.fri, ch, heights);
  if (!challenges) return reject(verify_error_code::fri, std::string("FRI: ") + challenges.error().message);
  const auto& queries = challenges.value().query_indices;
  const unsigned log_max = heights.front();

  // The four commitments: main and quotient hold every table, aux those with lookups, fixed
  // (the verifying key's) those with fixed columns.
  enum { main_c, aux_c, quotient_c, fixed_c };
  std::array<commitment_view, 4> views;
  for (std::size_t t = 0; t < num_tables; ++t) {
    const table<E>& kind = *vk.tables[t].kind;
    const std::size_t rows = std::size_t{1} << (vk.tables[t].log_height() + b);
    views[main_c].table_of.push_back(t);
    views[main_c].dims.push_back({rows, kind.main_width()});
    views[quotient_c].table_of.push_back(t);
    views[quotient_c].dims.push_back({rows, std::size_t{D} << vk.log_quotient_degree(t)});
    if (has_lookups[t]) views[aux_c].table_of.push_back(t), views[aux_c].dims.push_back({rows, kind.aux_width()});
    if (kind.num_fixed() > 0)
      views[fixed_c].table_of.push_back(t), views[fixed_c].dims.push_back({rows, kind.num_fixed()});
  }
  const std::array<const hash::batch_opening*, 4> openings{&p.main_opening, &p.aux_opening, &p.quotient_opening,
                                                           &p.fixed_opening};
  const std::array<const hash::digest*, 4> roots{&p.main_root, &p.aux_root, &p.quotient_root, &vk.fixed_root};
  const std::array<verify_error_code, 4> codes{verify_error_code::main_opening, verify_error_code::aux_opening,
                                               verify_error_code::quotient_opening, verify_error_code::fixed_opening};
  const std::array<const char*, 4> names{"main", "aux", "quotient", "fixed"};
  for (unsigned c = 0; c < 4; ++c) {
    commitment_view& v = views[c];
    if (v.dims.empty()) {
      if (!openings[c]->rows.empty() || !openings[c]->siblings.empty()) {
        return reject(codes[c], std::string(names[c]) + " opening: the circuit has no such commitment");
      }
      continue;
    }
    for (const auto& d : v.dims)
      v.log_height = std::max(v.log_height, static_cast<unsigned>(std::countr_zero(d.height)));
    v.leaves = opened_leaves(queries, log_max, v.log_height);
    if (auto ok = hash::verify_batch(*roots[c], v.dims, v.leaves, *openings[c]); !ok) {
      return reject(codes[c], std::string(names[c]) + " opening: " + hash::to_string(ok.error().code));
    }
  }

  // Batching coefficients: table t's columns [main | fixed | aux | quotient] take the slice at
  // coefficient_offset[t], as the prover assigns them.
  std::vector<std::size_t> coefficient_offset(num_tables + 1, 0);
  for (std::size_t t = 0; t < num_tables; ++t) {
    coefficient_offset[t + 1] = coefficient_offset[t] + p.openings[t].local.size() + p.openings[t].quotient.size();
  }
  const std::vector<E> coefficients = batching_coefficients<E>(seed, coefficient_offset.back());
  // Per commitment and matrix: the first column's index within its table's slice.
  auto column_start = [&](unsigned c, std::size_t t) -> std::size_t {
    const table<E>& kind = *vk.tables[t].kind;
    switch (c) {
      case main_c:
        return 0;
      case fixed_c:
        return kind.main_width();
      case aux_c:
        return kind.main_width() + kind.num_fixed();
      default:
        return kind.main_width() + kind.num_fixed() + kind.aux_width();
    }
  };
  // R (all columns) and R_2 (two-point columns) per table and opened leaf, and K, B per height.
  const std::size_t num_heights = heights.size();
  auto height_index = [&](std::size_t t) {
    return static_cast<std::size_t>(std::find(heights.begin(), heights.end(), vk.tables[t].log_height() + b) -
                                    heights.begin());
  };
  std::vector<E> k_sum(num_heights, E::zero()), b_sum(num_heights, E::zero());
  for (std::size_t t = 0; t < num_tables; ++t) {
    const table_openings<E>& o = p.openings[t];
    const E* a = coefficients.data() + coefficient_offset[t];
    const std::size_t h = height_index(t);
    for (std::size_t i = 0; i < o.local.size(); ++i) k_sum[h] += a[i] * o.local[i], b_sum[h] += a[i] * o.next[i];
    for (std::size_t i = 0; i < o.quotient.size(); ++i) k_sum[h] += a[o.local.size() + i] * o.quotient[i];
  }
  // forms[c][j][slot]: matrix j of commitment c, its opened row at leaf slot, combined.
  std::array<std::vector<std::vector<E>>, 4> forms;
  for (unsigned c = 0; c < 4; ++c) {
    const commitment_view& v = views[c];
    forms[c].resize(v.dims.size());
    for (std::size_t j = 0; j < v.dims.size(); ++j) {
      const std::size_t t = v.table_of[j], cols = v.dims[j].width, slots = v.leaves.size();
      forms[c][j].assign(slots, E::zero());
      if (cols == 0) continue;
      const E* a = coefficients.data() + coefficient_offset[t] + column_start(c, t);
      std::vector<babybear> coeffs(D * cols), m(slots * cols), out(slots * D);
      for (unsigned d = 0; d < D; ++d) {
        for (std::size_t i = 0; i < cols; ++i) coeffs[d * cols + i] = a[i].coeff(d);
      }
      for (std::size_t s = 0; s < slots; ++s) std::copy_n(openings[c]->rows[s][j].begin(), cols, m.begin() + s * cols);
      row_linear_forms(m.data(), slots, cols, coeffs.data(), D, out.data());
      for (std::size_t s = 0; s < slots; ++s) forms[c][j][s] = E::from_coeffs(out.data() + s * D);
    }
  }
  // The DEEP value of each height at each query.
  std::vector<std::vector<E>> r_all(num_heights, std::vector<E>(queries.size(), E::zero()));
  std::vector<std::vector<E>> r_two = r_all;
  for (unsigned c = 0; c < 4; ++c) {
    const commitment_view& v = views[c];
    for (std::size_t j = 0; j < v.dims.size(); ++j) {
      const std::size_t h = height_index(v.table_of[j]);
      for (std::size_t k = 0; k < queries.size(); ++k) {
        const std::size_t leaf = queries[k] >> (log_max - v.log_height);
        const auto slot =
            static_cast<std::size_t>(std::lower_bound(v.leaves.begin(), v.leaves.end(), leaf) - v.leaves.begin());
        r_all[h][k] += forms[c][j][slot];
        if (c != quotient_c) r_two[h][k] += forms[c][j][slot];
      }
    }
  }
  std::vector<E> denominators(2 * num_heights * queries.size()), inverses(denominators.size());
  for (std::size_t h = 0; h < num_heights; ++h) {
    const E zeta_next = zeta * babybear::two_adic_generator(heights[h] - b);
    for (std::size_t k = 0; k < queries.size(); ++k) {
      const std::size_t pos = queries[k] >> (log_max - heights[h]);
      const E x = E::from_base(fri::fri_domain_point(heights[h], heights[h], pos));
      denominators[2 * (h * queries.size() + k)] = x - zeta;
      denominators[2 * (h * queries.size() + k) + 1] = x - zeta_next;
    }
  }
  field::batch_inverse<E>(denominators, inverses);
  std::vector<std::vector<E>> input_values(num_heights, std::vector<E>(queries.size()));
  for (std::size_t h = 0; h < num_heights; ++h) {
    for (std::size_t k = 0; k < queries.size(); ++k) {
      const std::size_t i = h * queries.size() + k;
      input_values[h][k] =
          (r_all[h][k] - k_sum[h]) * inverses[2 * i] + mu * (r_two[h][k] - b_sum[h]) * inverses[2 * i + 1];
    }
  }
  std::vector<std::span<const E>> inputs(input_values.begin(), input_values.end());
  if (auto ok =
          fri::check_queries<E>(fp, p.fri, challenges.value(), std::span<const std::span<const E>>(inputs), heights);
      !ok) {
    return reject(verify_error_code::fri, std::string("FRI: ") + ok.error().message);
  }
  return bits;
}

template ciro::result<std::uint32_t, verify_error_code> verify(const verifying_key<field::babybear4>&,
                                                               const proof<field::babybear4>&, const verifier_policy&,
                                                               std::span<const public_lookup>);
template ciro::result<std::uint32_t, verify_error_code> verify(const verifying_key<field::babybear5>&,
                                                               const proof<field::babybear5>&, const verifier_policy&,
                                                               std::span<const public_lookup>);

}  // namespace ciro::stark
