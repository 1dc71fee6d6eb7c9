#include "fri/fri.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <bit>
#include <optional>
#include <string>
#include <utility>

#include "core/buffer.hpp"
#include "core/check.hpp"
#include "field/batch_inverse.hpp"
#include "kernels/matrix.hpp"

namespace ciro::fri {

namespace {

using hash::digest;

constexpr unsigned max_log_n = 27;

std::size_t reverse_bits(std::size_t v, unsigned bits) {
  std::size_t r = 0;
  for (unsigned i = 0; i < bits; ++i, v >>= 1) r = (r << 1) | (v & 1);
  return r;
}

/// g^(2^(log_n - log_size)): the shift of the coset of the layer of log size `log_size`.
babybear coset_shift(unsigned log_n, unsigned log_size) {
  babybear s = babybear::generator();
  for (unsigned i = log_size; i < log_n; ++i) s = s.square();
  return s;
}

fri_error make_error(fri_error_code code, std::string message) { return fri_error{code, std::move(message)}; }

/// Sorted unique group indices of `positions` after shifting by `log_arity`.
std::vector<std::size_t> unique_groups(std::span<const std::size_t> positions, unsigned log_arity) {
  std::vector<std::size_t> groups(positions.size());
  for (std::size_t k = 0; k < positions.size(); ++k) groups[k] = positions[k] >> log_arity;
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  return groups;
}

/// (u + v) / 2 + b (u - v) / (2x), given inv_two_x = 1 / (2x).
template <class E>
inline E fold_pair(const E& u, const E& v, const E& b, babybear inv_two_x, babybear half) {
  return (u + v) * half + b * ((u - v) * inv_two_x);
}

template <class E>
void store(const E& x, babybear* out) {
  for (unsigned c = 0; c < E::degree; ++c) out[c] = x.coeff(c);
}

/// Reads u32 little-endian words from a byte span, failing (sticky) on truncation or non-canonical
/// field elements.
class reader {
 public:
  explicit reader(std::span<const std::uint8_t> in) : in_(in) {}
  std::optional<std::uint32_t> word() {
    if (in_.size() - pos_ < 4) return std::nullopt;
    std::uint32_t v = 0;
    for (unsigned i = 4; i-- > 0;) v = (v << 8) | in_[pos_ + i];
    pos_ += 4;
    return v;
  }
  std::optional<babybear> element() {
    const auto v = word();
    if (!v) return std::nullopt;
    return babybear::try_from_canonical(*v);
  }
  bool done() const { return pos_ == in_.size(); }
  std::size_t pos() const { return pos_; }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
};

/// For each round i, the input rolled into layer i+1 (its index j >= 1), or 0 when none is (input
/// 0 is layer 0). Precondition: `arities` is round_log_arities(params, input_log_sizes).
std::vector<std::size_t> roll_in_inputs(std::span<const unsigned> input_log_sizes, std::span<const unsigned> arities) {
  std::vector<std::size_t> rolled(arities.size(), 0);
  std::size_t next = 1;
  unsigned log_size = input_log_sizes[0];
  for (std::size_t i = 0; i < arities.size(); ++i) {
    log_size -= arities[i];
    if (next < input_log_sizes.size() && input_log_sizes[next] == log_size) rolled[i] = next++;
  }
  CIRO_CHECK(next == input_log_sizes.size());
  return rolled;
}

void put_word(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (unsigned i = 0; i < 4; ++i, v >>= 8) out.push_back(static_cast<std::uint8_t>(v));
}

}  // namespace

const char* to_string(fri_error_code code) {
  switch (code) {
    case fri_error_code::invalid_params:
      return "invalid_params";
    case fri_error_code::wrong_shape:
      return "wrong_shape";
    case fri_error_code::malformed_encoding:
      return "malformed_encoding";
    case fri_error_code::pow_failure:
      return "pow_failure";
    case fri_error_code::merkle_failure:
      return "merkle_failure";
    case fri_error_code::folding_mismatch:
      return "folding_mismatch";
    case fri_error_code::final_poly_mismatch:
      return "final_poly_mismatch";
  }
  return "unknown";
}

ciro::result<std::monostate, fri_error_code> validate(const fri_params& params,
                                                      std::span<const unsigned> input_log_sizes) {
  const auto fail = [&](const std::string& why) { return make_error(fri_error_code::invalid_params, why); };
  if (params.log_arity < 1 || params.log_arity > 3) return fail("log_arity must be 1, 2 or 3");
  if (params.log_blowup < 1) return fail("log_blowup must be at least 1");
  if (params.num_queries < 1 || params.num_queries > fri_max_queries) {
    return fail("num_queries must be in [1, " + std::to_string(fri_max_queries) + "]");
  }
  if (params.pow_bits > hash::challenger::max_bits) return fail("pow_bits must be at most 27");
  if (input_log_sizes.empty() || input_log_sizes.size() > fri_max_inputs) {
    return fail("need 1 to " + std::to_string(fri_max_inputs) + " inputs, got " +
                std::to_string(input_log_sizes.size()));
  }
  const unsigned log_n = input_log_sizes[0];
  if (log_n > max_log_n) return fail("log_n must be at most 27");
  if (params.log_blowup >= max_log_n || params.log_final_poly_len >= max_log_n ||
      log_n <= params.log_final_poly_len + params.log_blowup) {
    return fail("need log_n > log_final_poly_len + log_blowup (log_n " + std::to_string(log_n) + ")");
  }
  const unsigned final_log = params.log_final_poly_len + params.log_blowup;
  for (std::size_t j = 1; j < input_log_sizes.size(); ++j) {
    if (input_log_sizes[j] >= input_log_sizes[j - 1]) {
      return fail("input log sizes must be strictly decreasing (input " + std::to_string(j) + ")");
    }
    if (input_log_sizes[j] < final_log) {
      return fail("input " + std::to_string(j) + " has log size " + std::to_string(input_log_sizes[j]) +
                  " < log_final_poly_len + log_blowup");
    }
  }
  return std::monostate{};
}

ciro::result<std::monostate, fri_error_code> validate(const fri_params& params, unsigned log_n) {
  return validate(params, std::span<const unsigned>(&log_n, 1));
}

std::vector<unsigned> round_log_arities(const fri_params& params, std::span<const unsigned> input_log_sizes) {
  CIRO_CHECK(validate(params, input_log_sizes).has_value());
  const unsigned final_log = params.log_final_poly_len + params.log_blowup;
  std::vector<unsigned> arities;
  std::size_t next = 1;  // the next input to reach; its log size is the largest one below l
  for (unsigned l = input_log_sizes[0]; l > final_log;) {
    const unsigned stop = next < input_log_sizes.size() ? input_log_sizes[next] : final_log;
    const unsigned a = std::min(params.log_arity, l - stop);
    arities.push_back(a);
    l -= a;
    if (l == stop) ++next;
  }
  return arities;
}

std::vector<unsigned> round_log_arities(const fri_params& params, unsigned log_n) {
  return round_log_arities(params, std::span<const unsigned>(&log_n, 1));
}

babybear fri_domain_point(unsigned log_n, unsigned log_size, std::size_t pos) {
  CIRO_CHECK(log_size <= log_n && log_n <= max_log_n && pos < (std::size_t{1} << log_size));
  return coset_shift(log_n, log_size) * babybear::two_adic_generator(log_size).pow(reverse_bits(pos, log_size));
}

// ---------------------------------------------------------------------------------------------
// Prover

template <class E>
fri_prover_output<E> prove(const fri_params& params, std::span<const std::span<const E>> inputs,
                           hash::challenger& challenger, kernels::backend& backend, hash::merkle_hasher& hasher,
                           const fri_prover_options& options) {
  constexpr unsigned d = E::degree;
  CIRO_CHECK(!inputs.empty() && inputs.size() <= fri_max_inputs);
  std::vector<unsigned> sizes;
  for (const std::span<const E> input : inputs) {
    CIRO_CHECK(input.size() >= 1 && (input.size() & (input.size() - 1)) == 0);
    sizes.push_back(static_cast<unsigned>(std::countr_zero(input.size())));
  }
  CIRO_CHECK(validate(params, sizes).has_value());
  const std::vector<unsigned> arities = round_log_arities(params, sizes);
  const std::vector<std::size_t> rolled = roll_in_inputs(sizes, arities);
  const std::span<const E> evals = inputs[0];
  const std::size_t n = evals.size();
  const unsigned log_n = sizes[0];

  // layers[i]: layer i flattened (D base elements per value); the trees reference them.
  std::vector<buffer<babybear>> layers;
  layers.reserve(arities.size() + 1);
  layers.emplace_back(n * d, uninitialized);
  {
    buffer<babybear>& first = layers.back();
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 4096), [&](const tbb::blocked_range<std::size_t>& r) {
      for (std::size_t j = r.begin(); j < r.end(); ++j) store(evals[j], first.data() + j * d);
    });
  }

  fri_prover_output<E> out;
  std::vector<hash::merkle_tree> trees;
  trees.reserve(arities.size());
  unsigned log_size = log_n;
  for (std::size_t i = 0; i < arities.size(); ++i) {
    const unsigned a = arities[i];
    const std::size_t group = std::size_t{1} << a;
    const std::size_t groups = (std::size_t{1} << log_size) >> a;
    auto tree = hash::merkle_tree::commit(hasher, {{layers.back().data(), groups, group * d}});
    CIRO_CHECK(tree.has_value());
    trees.push_back(std::move(tree).value());
    out.proof.layer_roots.push_back(trees.back().root());
    challenger.observe(trees.back().root());
    const E beta = challenger.sample_ext_as<E>();

    // The round's a binary folds, each through the backend: fold t works on the layer of log
    // size log_size - t, on the coset coset_shift(log_n, log_size - t), with beta^(2^t). Folding
    // the whole layer pair by pair equals folding each group of 2^a on its own (groups are
    // contiguous in bit-reversed order).
    CIRO_CHECK(a >= 1);
    buffer<babybear> next;
    const babybear* source = layers.back().data();
    E beta_t = beta;
    for (unsigned t = 0; t < a; ++t) {
      const unsigned l = log_size - t;
      const std::size_t half_rows = std::size_t{1} << (l - 1);
      buffer<babybear> folded(half_rows * d, uninitialized);
      std::array<babybear, E::degree> beta_coeffs;
      for (unsigned c = 0; c < E::degree; ++c) beta_coeffs[c] = beta_t.coeff(c);
      backend.fri_fold({source, half_rows * 2, d}, beta_coeffs, coset_shift(log_n, l), {folded.data(), half_rows, d});
      next = std::move(folded);
      source = next.data();
      beta_t = beta_t.square();
    }
    log_size -= a;
    // Roll-in: beta_t is now gamma_i = beta^(2^a), the first power the folds left unused.
    if (rolled[i] != 0) {
      const std::span<const E> input = inputs[rolled[i]];
      CIRO_CHECK(input.size() == (std::size_t{1} << log_size));
      babybear* const layer = next.data();
      const E gamma = beta_t;
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, input.size(), 4096),
                        [&](const tbb::blocked_range<std::size_t>& r) {
                          for (std::size_t j = r.begin(); j < r.end(); ++j) {
                            store(E::from_coeffs(layer + j * d) + gamma * input[j], layer + j * d);
                          }
                        });
    }
    layers.push_back(std::move(next));
  }

  // Final polynomial: interpolate each coordinate on the last coset (bit-reversed input).
  {
    buffer<babybear> coeffs = layers.back();
    const std::size_t rows = std::size_t{1} << log_size;
    backend.intt(kernels::matrix_view<babybear>{coeffs.data(), rows, d},
                 {kernels::row_order::bit_reversed, kernels::row_order::natural, coset_shift(log_n, log_size)});
    const std::size_t kept = std::size_t{1} << params.log_final_poly_len;
    if (options.check_final_degree) {
      for (std::size_t i = kept * d; i < coeffs.size(); ++i) CIRO_CHECK(coeffs[i].is_zero());
    }
    for (std::size_t k = 0; k < kept; ++k) out.proof.final_poly.push_back(E::from_coeffs(coeffs.data() + k * d));
    for (const E& c : out.proof.final_poly) challenger.observe_ext_as(c);
  }

  out.proof.pow_witness = challenger.grind(params.pow_bits);

  out.query_indices.resize(params.num_queries);
  for (auto& q : out.query_indices) q = challenger.sample_bits(log_n);

  std::vector<std::size_t> positions = out.query_indices;
  for (std::size_t i = 0; i < arities.size(); ++i) {
    const std::vector<std::size_t> groups = unique_groups(positions, arities[i]);
    out.proof.layer_openings.push_back(trees[i].open(groups));
    for (auto& p : positions) p >>= arities[i];
  }
  return out;
}

template <class E>
fri_prover_output<E> prove(const fri_params& params, std::span<const E> evals, hash::challenger& challenger,
                           kernels::backend& backend, hash::merkle_hasher& hasher, const fri_prover_options& options) {
  const std::span<const E> inputs[1] = {evals};
  return prove<E>(params, std::span<const std::span<const E>>(inputs), challenger, backend, hasher, options);
}

// ---------------------------------------------------------------------------------------------
// Verifier

template <class E>
ciro::result<fri_challenges<E>, fri_error_code> replay(const fri_params& params, const fri_proof<E>& proof,
                                                       hash::challenger& challenger,
                                                       std::span<const unsigned> input_log_sizes) {
  if (auto ok = validate(params, input_log_sizes); !ok) return ok.error();
  const std::vector<unsigned> arities = round_log_arities(params, input_log_sizes);
  const unsigned log_n = input_log_sizes[0];
  const std::size_t rounds = arities.size();
  if (proof.layer_roots.size() != rounds || proof.layer_openings.size() != rounds) {
    return make_error(fri_error_code::wrong_shape, "expected " + std::to_string(rounds) + " layers, got " +
                                                       std::to_string(proof.layer_roots.size()) + " roots and " +
                                                       std::to_string(proof.layer_openings.size()) + " openings");
  }
  const std::size_t final_len = std::size_t{1} << params.log_final_poly_len;
  if (proof.final_poly.size() != final_len) {
    return make_error(fri_error_code::wrong_shape, "expected " + std::to_string(final_len) +
                                                       " final polynomial coefficients, got " +
                                                       std::to_string(proof.final_poly.size()));
  }
  unsigned log_size = log_n;
  for (std::size_t i = 0; i < rounds; ++i) {
    const hash::batch_opening& o = proof.layer_openings[i];
    const std::size_t max_siblings = std::size_t{params.num_queries} * (log_size - arities[i]);
    if (o.rows.empty() || o.rows.size() > params.num_queries || o.siblings.size() > max_siblings) {
      return make_error(fri_error_code::wrong_shape, "layer " + std::to_string(i) + ": opening of " +
                                                         std::to_string(o.rows.size()) + " rows and " +
                                                         std::to_string(o.siblings.size()) + " siblings");
    }
    log_size -= arities[i];
  }

  fri_challenges<E> ch;
  for (std::size_t i = 0; i < rounds; ++i) {
    challenger.observe(proof.layer_roots[i]);
    ch.betas.push_back(challenger.sample_ext_as<E>());
  }
  for (const E& c : proof.final_poly) challenger.observe_ext_as(c);
  if (!challenger.check_witness(params.pow_bits, proof.pow_witness)) {
    return make_error(fri_error_code::pow_failure,
                      "proof-of-work witness fails " + std::to_string(params.pow_bits) + " bits");
  }
  ch.query_indices.resize(params.num_queries);
  for (auto& q : ch.query_indices) q = challenger.sample_bits(log_n);
  return ch;
}

template <class E>
ciro::result<fri_challenges<E>, fri_error_code> replay(const fri_params& params, const fri_proof<E>& proof,
                                                       hash::challenger& challenger, unsigned log_n) {
  return replay(params, proof, challenger, std::span<const unsigned>(&log_n, 1));
}

template <class E>
ciro::result<std::monostate, fri_error_code> check_queries(const fri_params& params, const fri_proof<E>& proof,
                                                           const fri_challenges<E>& challenges,
                                                           std::span<const std::span<const E>> input_values,
                                                           std::span<const unsigned> input_log_sizes) {
  constexpr unsigned d = E::degree;
  if (auto ok = validate(params, input_log_sizes); !ok) return ok.error();
  const std::vector<unsigned> arities = round_log_arities(params, input_log_sizes);
  const std::vector<std::size_t> rolled = roll_in_inputs(input_log_sizes, arities);
  const unsigned log_n = input_log_sizes[0];
  const std::size_t rounds = arities.size();
  const std::size_t nq = params.num_queries;
  if (proof.layer_roots.size() != rounds || proof.layer_openings.size() != rounds ||
      challenges.betas.size() != rounds || proof.final_poly.size() != (std::size_t{1} << params.log_final_poly_len)) {
    return make_error(fri_error_code::wrong_shape, "layer count or final polynomial length disagrees with the params");
  }
  if (input_values.size() != input_log_sizes.size()) {
    return make_error(fri_error_code::wrong_shape, "expected values of " + std::to_string(input_log_sizes.size()) +
                                                       " inputs, got " + std::to_string(input_values.size()));
  }
  for (std::size_t j = 0; j < input_values.size(); ++j) {
    if (input_values[j].size() != nq) {
      return make_error(fri_error_code::wrong_shape, "expected " + std::to_string(nq) + " values of input " +
                                                         std::to_string(j) + ", got " +
                                                         std::to_string(input_values[j].size()));
    }
  }
  if (challenges.query_indices.size() != nq) {
    return make_error(fri_error_code::wrong_shape, "expected " + std::to_string(nq) + " query indices, got " +
                                                       std::to_string(challenges.query_indices.size()));
  }
  const std::span<const E> f0_values = input_values[0];
  for (const std::size_t q : challenges.query_indices) {
    if (q >= (std::size_t{1} << log_n)) return make_error(fri_error_code::wrong_shape, "query index out of range");
  }

  const babybear half = babybear::two().inverse();
  std::vector<std::size_t> positions(challenges.query_indices.begin(), challenges.query_indices.end());
  std::vector<E> values(f0_values.begin(), f0_values.end());
  unsigned log_size = log_n;
  for (std::size_t i = 0; i < rounds; ++i) {
    const unsigned a = arities[i];
    const std::size_t group = std::size_t{1} << a;
    const std::vector<std::size_t> groups = unique_groups(positions, a);
    const hash::matrix_dims dims{(std::size_t{1} << log_size) >> a, group * d};
    const hash::batch_opening& opening = proof.layer_openings[i];
    if (auto ok = hash::verify_batch(proof.layer_roots[i], std::span(&dims, 1), groups, opening); !ok) {
      return make_error(
          fri_error_code::merkle_failure,
          "layer " + std::to_string(i) + ": " + hash::to_string(ok.error().code) + ": " + ok.error().message);
    }
    // Binary fold t works on the layer of log size l = log_size - t, pairs = 2^(a - t - 1) pairs
    // per group. Pair j = g pairs + c of that layer stands for x = s_l w_l^bitrev_{l-1}(j), the
    // point of position 2j, and bitrev_{l-1}(j) = bitrev_{a-t-1}(c) 2^(log_size - a) +
    // bitrev_{log_size-a}(g). So 1 / (2x) = (1 / (2 s_l)) w_l^-bitrev_{log_size-a}(g)
    // w_l^-(bitrev_{a-t-1}(c) 2^(log_size - a)): no inversion per query, only products of
    // precomputed powers (inv_sq[t][b] = w_l^-(2^b); root[t][c] the last factor).
    const unsigned rest = log_size - a;
    std::array<E, 3> betas{};
    std::array<babybear, 3> inv_two_s{};
    std::array<std::array<babybear, max_log_n>, 3> inv_sq{};
    std::array<std::array<babybear, 4>, 3> root{};
    betas[0] = challenges.betas[i];
    for (unsigned t = 0; t < a; ++t) {
      if (t > 0) betas[t] = betas[t - 1].square();
      const unsigned l = log_size - t;
      inv_two_s[t] = coset_shift(log_n, l).double_().inverse();
      babybear w = babybear::two_adic_generator(l).inverse();
      for (unsigned bit = 0; bit < rest; ++bit, w = w.square()) inv_sq[t][bit] = w;
      const unsigned log_pairs = a - t - 1;
      for (std::size_t c = 0; c < (std::size_t{1} << log_pairs); ++c) {
        root[t][c] = w.pow(reverse_bits(c, log_pairs));  // w = w_l^-(2^rest) here
      }
    }

    std::array<E, 8> v;
    for (std::size_t k = 0; k < nq; ++k) {
      const std::size_t g = positions[k] >> a;
      const std::size_t u =
          static_cast<std::size_t>(std::lower_bound(groups.begin(), groups.end(), g) - groups.begin());
      const std::vector<babybear>& row = opening.rows[u][0];  // shape checked by verify_batch
      for (std::size_t c = 0; c < group; ++c) v[c] = E::from_coeffs(row.data() + c * d);
      if (!(v[positions[k] & (group - 1)] == values[k])) {
        return make_error(fri_error_code::folding_mismatch,
                          "layer " + std::to_string(i) + ", query " + std::to_string(k) +
                              (i == 0 ? ": opened value differs from input 0"
                               : rolled[i - 1] != 0
                                   ? ": opened value differs from the fold plus input " + std::to_string(rolled[i - 1])
                                   : ": opened value differs from the fold"));
      }
      const std::size_t rev_g = reverse_bits(g, rest);
      for (unsigned t = 0; t < a; ++t) {
        babybear base = inv_two_s[t];
        for (unsigned bit = 0; bit < rest; ++bit) {
          if ((rev_g >> bit) & 1) base *= inv_sq[t][bit];
        }
        const std::size_t pairs = group >> (t + 1);
        for (std::size_t c = 0; c < pairs; ++c)
          v[c] = fold_pair(v[2 * c], v[2 * c + 1], betas[t], base * root[t][c], half);
      }
      values[k] = v[0];
      positions[k] = g;
    }
    log_size -= a;
    if (rolled[i] != 0) {
      const E gamma = betas[a - 1].square();  // beta_i^(2^a)
      const std::span<const E> rolled_values = input_values[rolled[i]];
      for (std::size_t k = 0; k < nq; ++k) values[k] += gamma * rolled_values[k];
    }
  }

  for (std::size_t k = 0; k < nq; ++k) {
    const babybear x = fri_domain_point(log_n, log_size, positions[k]);
    E acc = E::zero();
    for (std::size_t c = proof.final_poly.size(); c-- > 0;) acc = acc * x + proof.final_poly[c];
    if (!(acc == values[k])) {
      return make_error(fri_error_code::final_poly_mismatch,
                        "query " + std::to_string(k) + ": folded value differs from the final polynomial");
    }
  }
  return std::monostate{};
}

template <class E>
ciro::result<std::monostate, fri_error_code> check_queries(const fri_params& params, const fri_proof<E>& proof,
                                                           const fri_challenges<E>& challenges,
                                                           std::span<const E> f0_values, unsigned log_n) {
  const std::span<const E> input_values[1] = {f0_values};
  return check_queries(params, proof, challenges, std::span<const std::span<const E>>(input_values),
                       std::span<const unsigned>(&log_n, 1));
}

// ---------------------------------------------------------------------------------------------
// Encoding

template <class E>
void fri_proof<E>::encode(std::vector<std::uint8_t>& out) const {
  for (const digest& r : layer_roots)
    for (const babybear x : r) put_word(out, x.to_canonical());
  for (const hash::batch_opening& o : layer_openings) {
    put_word(out, static_cast<std::uint32_t>(o.rows.size()));
    for (const auto& query : o.rows)
      for (const auto& row : query)
        for (const babybear x : row) put_word(out, x.to_canonical());
    put_word(out, static_cast<std::uint32_t>(o.siblings.size()));
    for (const digest& s : o.siblings)
      for (const babybear x : s) put_word(out, x.to_canonical());
  }
  for (const E& c : final_poly)
    for (unsigned i = 0; i < E::degree; ++i) put_word(out, c.coeff(i).to_canonical());
  put_word(out, pow_witness.to_canonical());
}

template <class E>
ciro::result<fri_proof<E>, fri_error_code> fri_proof<E>::decode(std::span<const std::uint8_t> in,
                                                                const fri_params& params,
                                                                std::span<const unsigned> input_log_sizes) {
  if (auto ok = validate(params, input_log_sizes); !ok) return ok.error();
  const std::vector<unsigned> arities = round_log_arities(params, input_log_sizes);
  const unsigned log_n = input_log_sizes[0];
  reader rd(in);
  const auto bad = [&](const std::string& what) {
    return make_error(fri_error_code::malformed_encoding, what + " at byte " + std::to_string(rd.pos()));
  };
  const auto read_digest = [&](digest& dg) {
    for (auto& x : dg) {
      const auto e = rd.element();
      if (!e) return false;
      x = *e;
    }
    return true;
  };

  fri_proof proof;
  proof.layer_roots.resize(arities.size());
  for (digest& r : proof.layer_roots)
    if (!read_digest(r)) return bad("truncated or non-canonical root");
  unsigned log_size = log_n;
  for (const unsigned a : arities) {
    hash::batch_opening o;
    const auto n_rows = rd.word();
    if (!n_rows || *n_rows < 1 || *n_rows > params.num_queries) return bad("missing or out-of-bounds row count");
    const std::size_t width = (std::size_t{1} << a) * E::degree;
    o.rows.resize(*n_rows);
    for (auto& query : o.rows) {
      query.emplace_back(width);
      for (babybear& x : query[0]) {
        const auto e = rd.element();
        if (!e) return bad("truncated or non-canonical opened value");
        x = *e;
      }
    }
    const auto n_siblings = rd.word();
    if (!n_siblings || *n_siblings > std::size_t{params.num_queries} * (log_size - a)) {
      return bad("missing or out-of-bounds sibling count");
    }
    o.siblings.resize(*n_siblings);
    for (digest& s : o.siblings)
      if (!read_digest(s)) return bad("truncated or non-canonical sibling");
    proof.layer_openings.push_back(std::move(o));
    log_size -= a;
  }
  proof.final_poly.resize(std::size_t{1} << params.log_final_poly_len);
  for (E& c : proof.final_poly) {
    std::array<babybear, E::degree> cs;
    for (auto& x : cs) {
      const auto e = rd.element();
      if (!e) return bad("truncated or non-canonical final polynomial coefficient");
      x = *e;
    }
    c = E::from_coeffs(cs);
  }
  const auto w = rd.element();
  if (!w) return bad("truncated or non-canonical proof-of-work witness");
  proof.pow_witness = *w;
  if (!rd.done()) return bad("trailing bytes");
  return proof;
}

template <class E>
ciro::result<fri_proof<E>, fri_error_code> fri_proof<E>::decode(std::span<const std::uint8_t> in,
                                                                const fri_params& params, unsigned log_n) {
  return decode(in, params, std::span<const unsigned>(&log_n, 1));
}

// ---------------------------------------------------------------------------------------------
// Instantiations

#define CIRO_FRI_INSTANTIATE(E)                                                                                       \
  template struct fri_proof<E>;                                                                                       \
  template fri_prover_output<E> prove<E>(const fri_params&, std::span<const std::span<const E>>, hash::challenger&,   \
                                         kernels::backend&, hash::merkle_hasher&, const fri_prover_options&);         \
  template fri_prover_output<E> prove<E>(const fri_params&, std::span<const E>, hash::challenger&, kernels::backend&, \
                                         hash::merkle_hasher&, const fri_prover_options&);                            \
  template ciro::result<fri_challenges<E>, fri_error_code> replay<E>(const fri_params&, const fri_proof<E>&,          \
                                                                     hash::challenger&, std::span<const unsigned>);   \
  template ciro::result<fri_challenges<E>, fri_error_code> replay<E>(const fri_params&, const fri_proof<E>&,          \
                                                                     hash::challenger&, unsigned);                    \
  template ciro::result<std::monostate, fri_error_code> check_queries<E>(                                             \
      const fri_params&, const fri_proof<E>&, const fri_challenges<E>&, std::span<const std::span<const E>>,          \
      std::span<const unsigned>);                                                                                     \
  template ciro::result<std::monostate, fri_error_code> check_queries<E>(                                             \
      const fri_params&, const fri_proof<E>&, const fri_challenges<E>&, std::span<const E>, unsigned);

CIRO_FRI_INSTANTIATE(field::babybear4)
CIRO_FRI_INSTANTIATE(field::babybear5)

#undef CIRO_FRI_INSTANTIATE

}  // namespace ciro::fri
