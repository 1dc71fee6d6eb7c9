#include "fri/fri.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "field/extension.hpp"
#include "hash/challenger.hpp"
#include "hash/merkle_hasher.hpp"
#include "kernels/backend.hpp"
#include "tests/support/seed.hpp"

namespace {

using ciro::field::babybear;
using ciro::field::babybear4;
using ciro::field::babybear5;
namespace fri = ciro::fri;
namespace hash = ciro::hash;
namespace kernels = ciro::kernels;

template <class E>
E random_ext(ciro::test::seeded_rng& rng) {
  std::array<babybear, E::degree> cs;
  for (auto& c : cs) c = babybear::from_u64(rng.below(babybear::modulus));
  return E::from_coeffs(cs);
}

/// The coefficients (lowest first) of a random polynomial of degree < degree_bound, padded to 2^log_n.
template <class E>
std::vector<E> random_poly(ciro::test::seeded_rng& rng, unsigned log_n, std::size_t degree_bound) {
  std::vector<E> coeffs(std::size_t{1} << log_n, E::zero());
  for (std::size_t i = 0; i < degree_bound; ++i) coeffs[i] = random_ext<E>(rng);
  return coeffs;
}

/// Evaluations of the polynomial on g * H_N in bit-reversed order, through the CPU backend's NTT.
template <class E>
std::vector<E> evaluate(kernels::backend& backend, const std::vector<E>& coeffs) {
  constexpr unsigned d = E::degree;
  const std::size_t n = coeffs.size();
  std::vector<babybear> flat(n * d);
  for (std::size_t i = 0; i < n; ++i)
    for (unsigned c = 0; c < d; ++c) flat[i * d + c] = coeffs[i].coeff(c);
  backend.ntt(kernels::matrix_view<babybear>{flat.data(), n, d},
              {kernels::row_order::natural, kernels::row_order::bit_reversed, babybear::generator()});
  std::vector<E> evals(n);
  for (std::size_t i = 0; i < n; ++i) evals[i] = E::from_coeffs(flat.data() + i * d);
  return evals;
}

template <class E>
E horner(const std::vector<E>& coeffs, babybear x) {
  E acc = E::zero();
  for (std::size_t i = coeffs.size(); i-- > 0;) acc = acc * x + coeffs[i];
  return acc;
}

hash::challenger seeded_challenger(std::uint64_t salt) {
  hash::challenger ch;
  ch.observe(babybear::from_u64(salt));
  return ch;
}

/// A complete verification: replay, then check_queries with F_0 read from the honest evaluations.
template <class E>
ciro::result<std::monostate, fri::fri_error_code> verify(const fri::fri_params& params, const fri::fri_proof<E>& proof,
                                                         hash::challenger challenger, unsigned log_n,
                                                         const std::vector<E>& evals,
                                                         fri::fri_challenges<E>* out_challenges = nullptr) {
  auto ch = fri::replay(params, proof, challenger, log_n);
  if (!ch) return ch.error();
  std::vector<E> f0;
  for (const std::size_t q : ch.value().query_indices) f0.push_back(evals[q]);
  if (out_challenges) *out_challenges = ch.value();
  return fri::check_queries<E>(params, proof, ch.value(), f0, log_n);
}

struct fixture {
  std::unique_ptr<kernels::backend> backend = kernels::make_cpu_backend();
  hash::cpu_merkle_hasher hasher;
};

template <class E>
void expect_honest_proof_verifies(fixture& fx, ciro::test::seeded_rng& rng, const fri::fri_params& params,
                                  unsigned log_n) {
  SCOPED_TRACE("log_n " + std::to_string(log_n) + ", log_blowup " + std::to_string(params.log_blowup) + ", log_arity " +
               std::to_string(params.log_arity) + ", log_final_poly_len " + std::to_string(params.log_final_poly_len) +
               ", degree " + std::to_string(E::degree));
  const auto coeffs = random_poly<E>(rng, log_n, std::size_t{1} << (log_n - params.log_blowup));
  const auto evals = evaluate(*fx.backend, coeffs);
  hash::challenger prover_ch = seeded_challenger(log_n);
  const auto out = fri::prove<E>(params, evals, prover_ch, *fx.backend, fx.hasher);
  EXPECT_EQ(out.proof.layer_roots.size(), fri::round_log_arities(params, log_n).size());
  hash::challenger verifier_ch = seeded_challenger(log_n);
  auto ch = fri::replay(params, out.proof, verifier_ch, log_n);
  ASSERT_TRUE(ch.has_value()) << ch.error().message;
  EXPECT_EQ(ch.value().query_indices, out.query_indices);
  EXPECT_EQ(verifier_ch, prover_ch) << "prover and verifier transcripts diverge";
  std::vector<E> f0;
  for (const std::size_t q : out.query_indices) f0.push_back(evals[q]);
  const auto ok = fri::check_queries<E>(params, out.proof, ch.value(), f0, log_n);
  EXPECT_TRUE(ok.has_value()) << (ok ? "" : ok.error().message);

  std::vector<std::uint8_t> bytes;
  out.proof.encode(bytes);
  const auto decoded = fri::fri_proof<E>::decode(bytes, params, log_n);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_EQ(decoded.value(), out.proof);
}

TEST(Fri, ChallengerExtensionTemplatesMatchTheQuarticOnes) {
  hash::challenger a = seeded_challenger(3), b = seeded_challenger(3);
  const babybear4 x = babybear4::from_coeffs(
      {babybear::from_u64(1), babybear::from_u64(2), babybear::from_u64(3), babybear::from_u64(4)});
  a.observe_ext(x);
  b.observe_ext_as(x);
  EXPECT_EQ(a.sample_ext(), b.sample_ext_as<babybear4>());
  EXPECT_EQ(a, b);
}

TEST(Fri, DomainPointsMatchTheBitReversedCosetNtt) {
  ciro::test::seeded_rng rng;
  fixture fx;
  const unsigned log_n = 7;
  const auto coeffs = random_poly<babybear4>(rng, log_n, 1u << log_n);
  const auto evals = evaluate(*fx.backend, coeffs);
  for (std::size_t p = 0; p < evals.size(); ++p) {
    EXPECT_EQ(evals[p], horner(coeffs, fri::fri_domain_point(log_n, log_n, p))) << "position " << p;
  }
  // Positions 2i and 2i+1 are x and -x; folding squares the points into the next layer's.
  for (std::size_t i = 0; i < evals.size() / 2; ++i) {
    const babybear x = fri::fri_domain_point(log_n, log_n, 2 * i);
    EXPECT_EQ(fri::fri_domain_point(log_n, log_n, 2 * i + 1), -x);
    EXPECT_EQ(fri::fri_domain_point(log_n, log_n - 1, i), x.square());
  }
}

TEST(Fri, ValidateRejectsBadParamsAndRoundsFoldTheRemainderLast) {
  fri::fri_params p{.log_blowup = 1, .log_arity = 3, .log_final_poly_len = 0, .num_queries = 10, .pow_bits = 0};
  EXPECT_TRUE(fri::validate(p, 10).has_value());
  EXPECT_EQ(fri::round_log_arities(p, 10), (std::vector<unsigned>{3, 3, 3}));
  EXPECT_EQ(fri::round_log_arities(p, 11), (std::vector<unsigned>{3, 3, 3, 1}));
  EXPECT_EQ(fri::round_log_arities(p, 12), (std::vector<unsigned>{3, 3, 3, 2}));
  EXPECT_FALSE(fri::validate(p, 1).has_value());  // log_n must exceed log_final_poly_len + log_blowup
  EXPECT_FALSE(fri::validate(p, 28).has_value());
  for (const auto& bad :
       {fri::fri_params{1, 0, 0, 10, 0}, fri::fri_params{1, 4, 0, 10, 0}, fri::fri_params{0, 3, 0, 10, 0},
        fri::fri_params{1, 3, 0, 0, 0}, fri::fri_params{1, 3, 0, fri::fri_max_queries + 1, 0},
        fri::fri_params{1, 3, 0, 10, 28}, fri::fri_params{1, 3, 9, 10, 0}, fri::fri_params{0xffffffffu, 3, 2, 10, 0}}) {
    const auto r = fri::validate(bad, 10);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, fri::fri_error_code::invalid_params);
  }
}

TEST(Fri, HonestProofsVerifyForArities248SeveralSizesAndBlowups) {
  ciro::test::seeded_rng rng;
  fixture fx;
  struct shape {
    unsigned log_n, log_blowup, log_final_poly_len;
  };
  for (const unsigned log_arity : {1u, 2u, 3u}) {
    for (const shape s : {shape{3, 1, 0}, shape{6, 1, 0}, shape{10, 2, 1}, shape{12, 1, 2}, shape{9, 3, 0},
                          shape{11, 1, 3}, shape{13, 2, 4}}) {
      const fri::fri_params params{s.log_blowup, log_arity, s.log_final_poly_len, 24, 3};
      expect_honest_proof_verifies<babybear4>(fx, rng, params, s.log_n);
    }
  }
}

TEST(Fri, HonestProofsVerifyOverBabyBear5) {
  ciro::test::seeded_rng rng;
  fixture fx;
  for (const unsigned log_arity : {1u, 2u, 3u}) {
    expect_honest_proof_verifies<babybear5>(fx, rng, {1, log_arity, 1, 20, 2}, 11);
  }
}

TEST(Fri, TooHighDegreeIsRejected) {
  ciro::test::seeded_rng rng;
  fixture fx;
  const unsigned log_n = 12;
  for (const unsigned log_arity : {1u, 2u, 3u}) {
    const fri::fri_params params{2, log_arity, 1, 30, 0};
    // Degree exactly at the bound, and a full-degree polynomial.
    for (const std::size_t bound : {(std::size_t{1} << (log_n - 2)) + 1, std::size_t{1} << log_n}) {
      auto coeffs = random_poly<babybear4>(rng, log_n, bound);
      if (coeffs[bound - 1].is_zero()) coeffs[bound - 1] = babybear4::one();
      const auto evals = evaluate(*fx.backend, coeffs);
      hash::challenger prover_ch = seeded_challenger(1);
      const auto out = fri::prove<babybear4>(params, evals, prover_ch, *fx.backend, fx.hasher,
                                             fri::fri_prover_options{.check_final_degree = false});
      const auto r = verify(params, out.proof, seeded_challenger(1), log_n, evals);
      ASSERT_FALSE(r.has_value()) << "arity " << (1u << log_arity) << ", degree bound " << bound;
      EXPECT_EQ(r.error().code, fri::fri_error_code::final_poly_mismatch) << r.error().message;
    }
  }
}

class FriTamper : public ::testing::Test {
 protected:
  void SetUp() override {
    ciro::test::seeded_rng rng;
    evals_ = evaluate(*fx_.backend, random_poly<babybear4>(rng, log_n_, std::size_t{1} << (log_n_ - 1)));
    hash::challenger ch = seeded_challenger(7);
    out_ = fri::prove<babybear4>(params_, evals_, ch, *fx_.backend, fx_.hasher);
    ASSERT_TRUE(verify(params_, out_.proof, seeded_challenger(7), log_n_, evals_).has_value());
  }
  void expect_rejected(const fri::fri_proof<babybear4>& proof, fri::fri_error_code code) {
    const auto r = verify(params_, proof, seeded_challenger(7), log_n_, evals_);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, code) << fri::to_string(r.error().code) << ": " << r.error().message;
  }

  const unsigned log_n_ = 11;
  const fri::fri_params params_{1, 3, 1, 16, 6};
  fixture fx_;
  std::vector<babybear4> evals_;
  fri::fri_prover_output<babybear4> out_;
};

TEST_F(FriTamper, EveryLayerRootIsBound) {
  for (std::size_t i = 0; i < out_.proof.layer_roots.size(); ++i) {
    auto proof = out_.proof;
    proof.layer_roots[i][3] += babybear::one();
    // The transcript changes, so either the witness or the openings no longer fit.
    const auto r = verify(params_, proof, seeded_challenger(7), log_n_, evals_);
    ASSERT_FALSE(r.has_value()) << "layer " << i;
  }
}

TEST_F(FriTamper, OpenedValuesAndSiblingsAreBound) {
  for (std::size_t i = 0; i < out_.proof.layer_openings.size(); ++i) {
    auto proof = out_.proof;
    proof.layer_openings[i].rows[0][0][1] += babybear::one();
    expect_rejected(proof, fri::fri_error_code::merkle_failure);
    if (!out_.proof.layer_openings[i].siblings.empty()) {
      proof = out_.proof;
      proof.layer_openings[i].siblings.back()[0] += babybear::one();
      expect_rejected(proof, fri::fri_error_code::merkle_failure);
    }
  }
}

TEST_F(FriTamper, FinalPolynomialAndPowWitnessAreBound) {
  auto proof = out_.proof;
  proof.final_poly[1] += babybear4::one();
  EXPECT_FALSE(verify(params_, proof, seeded_challenger(7), log_n_, evals_).has_value());
  proof = out_.proof;
  proof.pow_witness += babybear::one();
  expect_rejected(proof, fri::fri_error_code::pow_failure);
  // Without proof of work the queries are unchanged, so the final-polynomial check catches it.
  fri::fri_params no_pow = params_;
  no_pow.pow_bits = 0;
  hash::challenger ch = seeded_challenger(7);
  auto out = fri::prove<babybear4>(no_pow, evals_, ch, *fx_.backend, fx_.hasher);
  hash::challenger verifier_ch = seeded_challenger(7);
  auto challenges = fri::replay(no_pow, out.proof, verifier_ch, log_n_);
  ASSERT_TRUE(challenges.has_value());
  std::vector<babybear4> f0;
  for (const std::size_t q : challenges.value().query_indices) f0.push_back(evals_[q]);
  out.proof.final_poly[0] += babybear4::one();
  const auto r = fri::check_queries<babybear4>(no_pow, out.proof, challenges.value(), f0, log_n_);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, fri::fri_error_code::final_poly_mismatch);
}

TEST_F(FriTamper, WrongF0ValuesAndWrongBetasAreFoldingMismatches) {
  hash::challenger ch = seeded_challenger(7);
  auto challenges = fri::replay(params_, out_.proof, ch, log_n_);
  ASSERT_TRUE(challenges.has_value());
  std::vector<babybear4> f0;
  for (const std::size_t q : challenges.value().query_indices) f0.push_back(evals_[q]);
  for (std::size_t k = 0; k < f0.size(); ++k) {
    auto bad = f0;
    bad[k] += babybear4::one();
    const auto r = fri::check_queries<babybear4>(params_, out_.proof, challenges.value(), bad, log_n_);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, fri::fri_error_code::folding_mismatch);
    EXPECT_NE(r.error().message.find("layer 0, query " + std::to_string(k)), std::string::npos) << r.error().message;
  }
  // A wrong beta at round 0 makes the folded value disagree with layer 1's opening.
  auto wrong = challenges.value();
  wrong.betas[0] += babybear4::one();
  const auto r = fri::check_queries<babybear4>(params_, out_.proof, wrong, f0, log_n_);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, fri::fri_error_code::folding_mismatch);
  EXPECT_NE(r.error().message.find("layer 1"), std::string::npos) << r.error().message;
}

TEST_F(FriTamper, WrongShapesAreRejectedBeforeAnyWork) {
  auto proof = out_.proof;
  proof.layer_roots.pop_back();
  expect_rejected(proof, fri::fri_error_code::wrong_shape);
  proof = out_.proof;
  proof.layer_openings.push_back(proof.layer_openings.back());
  expect_rejected(proof, fri::fri_error_code::wrong_shape);
  proof = out_.proof;
  proof.final_poly.push_back(babybear4::zero());
  expect_rejected(proof, fri::fri_error_code::wrong_shape);
  proof = out_.proof;
  proof.layer_openings[0].rows.resize(params_.num_queries + 1, proof.layer_openings[0].rows[0]);
  expect_rejected(proof, fri::fri_error_code::wrong_shape);
  proof = out_.proof;
  proof.layer_openings[1].siblings.resize(10000);
  expect_rejected(proof, fri::fri_error_code::wrong_shape);
  // A row of the wrong width reaches verify_batch, which names it.
  proof = out_.proof;
  proof.layer_openings[0].rows[0][0].pop_back();
  expect_rejected(proof, fri::fri_error_code::merkle_failure);
  // check_queries with the wrong number of f0 values.
  hash::challenger ch = seeded_challenger(7);
  auto challenges = fri::replay(params_, out_.proof, ch, log_n_);
  ASSERT_TRUE(challenges.has_value());
  const std::vector<babybear4> short_f0(params_.num_queries - 1);
  const auto r = fri::check_queries<babybear4>(params_, out_.proof, challenges.value(), short_f0, log_n_);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, fri::fri_error_code::wrong_shape);
}

TEST_F(FriTamper, ProvingIsDeterministicGivenTheChallengerState) {
  hash::challenger a = seeded_challenger(7), b = seeded_challenger(7);
  const auto x = fri::prove<babybear4>(params_, evals_, a, *fx_.backend, fx_.hasher);
  const auto y = fri::prove<babybear4>(params_, evals_, b, *fx_.backend, fx_.hasher);
  EXPECT_EQ(x.proof, y.proof);
  EXPECT_EQ(x.query_indices, y.query_indices);
  EXPECT_EQ(a, b);
  std::vector<std::uint8_t> bx, by;
  x.proof.encode(bx);
  y.proof.encode(by);
  EXPECT_EQ(bx, by);
  // A different transcript gives different challenges.
  hash::challenger c = seeded_challenger(8);
  EXPECT_NE(fri::prove<babybear4>(params_, evals_, c, *fx_.backend, fx_.hasher).query_indices, x.query_indices);
}

TEST_F(FriTamper, DecodeRejectsTruncationTrailingBytesNonCanonicalAndHugeCounts) {
  std::vector<std::uint8_t> bytes;
  out_.proof.encode(bytes);
  ASSERT_TRUE((fri::fri_proof<babybear4>::decode(bytes, params_, log_n_).has_value()));
  for (std::size_t len = 0; len < bytes.size(); len += 1 + len / 7) {
    const auto r = fri::fri_proof<babybear4>::decode(std::span(bytes).first(len), params_, log_n_);
    ASSERT_FALSE(r.has_value()) << "prefix " << len;
    EXPECT_EQ(r.error().code, fri::fri_error_code::malformed_encoding);
  }
  auto longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE((fri::fri_proof<babybear4>::decode(longer, params_, log_n_).has_value()));
  // Root element 0 set to p (non-canonical).
  auto noncanon = bytes;
  const std::uint32_t p = babybear::modulus;
  for (unsigned i = 0; i < 4; ++i) noncanon[i] = static_cast<std::uint8_t>(p >> (8 * i));
  EXPECT_FALSE((fri::fri_proof<babybear4>::decode(noncanon, params_, log_n_).has_value()));
  // The first row count (after the roots) set to 2^32 - 1.
  auto huge = bytes;
  const std::size_t count_at = out_.proof.layer_roots.size() * 8 * 4;
  for (unsigned i = 0; i < 4; ++i) huge[count_at + i] = 0xff;
  EXPECT_FALSE((fri::fri_proof<babybear4>::decode(huge, params_, log_n_).has_value()));
  // Decoding for other params fails cleanly.
  EXPECT_FALSE((fri::fri_proof<babybear4>::decode(bytes, params_, log_n_ + 1).has_value()));
  EXPECT_FALSE((fri::fri_proof<babybear5>::decode(bytes, params_, log_n_).has_value()));
}

TEST_F(FriTamper, RandomByteFlipsNeverCrashAndAreRejected) {
  ciro::test::seeded_rng rng;
  std::vector<std::uint8_t> bytes;
  out_.proof.encode(bytes);
  for (int trial = 0; trial < 300; ++trial) {
    auto mutated = bytes;
    const std::size_t at = rng.below(mutated.size());
    mutated[at] ^= static_cast<std::uint8_t>(1 + rng.below(255));
    const auto decoded = fri::fri_proof<babybear4>::decode(mutated, params_, log_n_);
    if (!decoded) continue;
    EXPECT_FALSE(verify(params_, decoded.value(), seeded_challenger(7), log_n_, evals_).has_value())
        << "flip at byte " << at;
  }
}

// ---------------------------------------------------------------------------------------------
// Several input heights: fold, then roll in the shorter inputs at their height.

/// The inputs of a multi-height FRI: evals[j] holds F^j (2^sizes[j] values, bit-reversed on g * H).
template <class E>
struct multi_input {
  std::vector<unsigned> sizes;
  std::vector<std::vector<E>> evals;

  std::vector<std::span<const E>> spans() const { return {evals.begin(), evals.end()}; }
  /// values[j][k] = F^j at position q_k >> (L^0 - L^j), as a caller reads them from its openings.
  std::vector<std::vector<E>> values_at(std::span<const std::size_t> queries) const {
    std::vector<std::vector<E>> values(evals.size());
    for (std::size_t j = 0; j < evals.size(); ++j)
      for (const std::size_t q : queries) values[j].push_back(evals[j][q >> (sizes[0] - sizes[j])]);
    return values;
  }
};

template <class E>
std::vector<std::span<const E>> as_spans(const std::vector<std::vector<E>>& rows) {
  return {rows.begin(), rows.end()};
}

/// Honest inputs: F^j random of degree < 2^(sizes[j] - log_blowup).
template <class E>
multi_input<E> random_inputs(fixture& fx, ciro::test::seeded_rng& rng, const fri::fri_params& params,
                             std::vector<unsigned> sizes) {
  multi_input<E> in{std::move(sizes), {}};
  for (const unsigned l : in.sizes) {
    in.evals.push_back(evaluate(*fx.backend, random_poly<E>(rng, l, std::size_t{1} << (l - params.log_blowup))));
  }
  return in;
}

/// replay, then check_queries with the input values read from `in` at the replayed queries.
template <class E>
ciro::result<std::monostate, fri::fri_error_code> verify_multi(const fri::fri_params& params,
                                                               const fri::fri_proof<E>& proof,
                                                               hash::challenger challenger,
                                                               std::span<const unsigned> sizes,
                                                               const multi_input<E>& in) {
  auto ch = fri::replay<E>(params, proof, challenger, sizes);
  if (!ch) return ch.error();
  const auto values = in.values_at(ch.value().query_indices);
  return fri::check_queries<E>(params, proof, ch.value(), as_spans(values), sizes);
}

std::string describe(const fri::fri_params& p, std::span<const unsigned> sizes) {
  std::string s = "log_blowup " + std::to_string(p.log_blowup) + ", log_arity " + std::to_string(p.log_arity) +
                  ", log_final_poly_len " + std::to_string(p.log_final_poly_len) + ", sizes";
  for (const unsigned l : sizes) {
    s += ' ';
    s += std::to_string(l);
  }
  return s;
}

/// The log size of every layer, L_0 .. L_r.
std::vector<unsigned> layer_log_sizes(const fri::fri_params& params, std::span<const unsigned> sizes) {
  std::vector<unsigned> layers{sizes[0]};
  for (const unsigned a : fri::round_log_arities(params, sizes)) layers.push_back(layers.back() - a);
  return layers;
}

TEST(Fri, MultiHeightScheduleStopsAtEveryInputHeight) {
  const fri::fri_params p{.log_blowup = 1, .log_arity = 3, .log_final_poly_len = 0, .num_queries = 10, .pow_bits = 0};
  using v = std::vector<unsigned>;
  EXPECT_EQ(fri::round_log_arities(p, v{12, 7, 2}), (v{3, 2, 3, 2, 1}));
  EXPECT_EQ(fri::round_log_arities(p, v{12, 9}), (v{3, 3, 3, 2}));
  EXPECT_EQ(fri::round_log_arities(p, v{12, 1}), (v{3, 3, 3, 2}));  // an input at L_f
  EXPECT_EQ(fri::round_log_arities(p, v{11, 10, 9}), (v{1, 1, 3, 3, 2}));
  EXPECT_EQ(fri::round_log_arities(p, v{12, 9, 4}), (v{3, 3, 2, 3}));
  for (const unsigned log_n : {2u, 10u, 11u, 12u, 27u}) {
    EXPECT_EQ(fri::round_log_arities(p, v{log_n}), fri::round_log_arities(p, log_n));
  }
  // 27 inputs, one per log size from 27 down to L_f = 1: every round folds by 2.
  v all;
  for (unsigned l = 27; l >= 1; --l) all.push_back(l);
  ASSERT_TRUE(fri::validate(p, all).has_value());
  EXPECT_EQ(fri::round_log_arities(p, all), v(26, 1));

  // Random lists: every input log size is a layer, rounds fold by at most the arity and by the
  // full arity unless an input or L_f is nearer.
  ciro::test::seeded_rng rng;
  for (int trial = 0; trial < 200; ++trial) {
    const fri::fri_params q{1 + static_cast<unsigned>(rng.below(3)), 1 + static_cast<unsigned>(rng.below(3)),
                            static_cast<unsigned>(rng.below(3)), 10, 0};
    const unsigned final_log = q.log_blowup + q.log_final_poly_len;
    v sizes{final_log + 1 + static_cast<unsigned>(rng.below(27 - final_log))};
    while (sizes.back() > final_log && rng.below(3) != 0) {
      sizes.push_back(sizes.back() - 1 - static_cast<unsigned>(rng.below(std::min(5u, sizes.back() - final_log))));
    }
    SCOPED_TRACE(describe(q, sizes));
    ASSERT_TRUE(fri::validate(q, sizes).has_value());
    const v layers = layer_log_sizes(q, sizes);
    EXPECT_EQ(layers.back(), final_log);
    for (const unsigned l : sizes) EXPECT_NE(std::find(layers.begin(), layers.end(), l), layers.end()) << l;
    const v arities = fri::round_log_arities(q, sizes);
    for (std::size_t i = 0; i < arities.size(); ++i) {
      unsigned stop = final_log;
      for (const unsigned l : sizes)
        if (l < layers[i]) stop = std::max(stop, l);
      EXPECT_EQ(arities[i], std::min(q.log_arity, layers[i] - stop)) << "round " << i;
    }
  }

  // validate: at least one size, strictly decreasing, none below L_f, the tallest as for one input.
  for (const v& bad : {v{}, v{10, 10}, v{9, 10}, v{10, 8, 9}, v{10, 0}, v{1}, v{28, 10}, v{1, 0}}) {
    const auto r = fri::validate(p, bad);
    ASSERT_FALSE(r.has_value()) << ::testing::PrintToString(bad);
    EXPECT_EQ(r.error().code, fri::fri_error_code::invalid_params);
  }
  v too_many(fri::fri_max_inputs + 1, 5);
  EXPECT_FALSE(fri::validate(p, too_many).has_value());
  EXPECT_FALSE(fri::validate(fri::fri_params{1, 4, 0, 10, 0}, v{10, 5}).has_value());
  EXPECT_TRUE(fri::validate(p, v{10, 5, 1}).has_value());
  for (const unsigned log_n : {0u, 1u, 2u, 27u, 28u}) {
    EXPECT_EQ(fri::validate(p, log_n).has_value(), fri::validate(p, v{log_n}).has_value()) << log_n;
  }
}

template <class E>
void expect_multi_height_proof_verifies(fixture& fx, ciro::test::seeded_rng& rng, const fri::fri_params& params,
                                        const std::vector<unsigned>& sizes) {
  SCOPED_TRACE(describe(params, sizes) + ", degree " + std::to_string(E::degree));
  const auto in = random_inputs<E>(fx, rng, params, sizes);
  const auto inputs = in.spans();
  hash::challenger prover_ch = seeded_challenger(sizes.size());
  const auto out = fri::prove<E>(params, inputs, prover_ch, *fx.backend, fx.hasher);
  EXPECT_EQ(out.proof.layer_roots.size(), fri::round_log_arities(params, sizes).size());
  for (const std::size_t q : out.query_indices) EXPECT_LT(q, std::size_t{1} << sizes[0]);

  hash::challenger verifier_ch = seeded_challenger(sizes.size());
  auto ch = fri::replay<E>(params, out.proof, verifier_ch, sizes);
  ASSERT_TRUE(ch.has_value()) << ch.error().message;
  EXPECT_EQ(ch.value().query_indices, out.query_indices);
  EXPECT_EQ(verifier_ch, prover_ch) << "prover and verifier transcripts diverge";
  const auto values = in.values_at(out.query_indices);
  const auto ok = fri::check_queries<E>(params, out.proof, ch.value(), as_spans(values), sizes);
  EXPECT_TRUE(ok.has_value()) << (ok ? "" : ok.error().message);

  std::vector<std::uint8_t> bytes;
  out.proof.encode(bytes);
  const auto decoded = fri::fri_proof<E>::decode(bytes, params, sizes);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_EQ(decoded.value(), out.proof);
  for (std::size_t len = 0; len < bytes.size(); len += 1 + len / 5) {
    const auto r = fri::fri_proof<E>::decode(std::span(bytes).first(len), params, sizes);
    ASSERT_FALSE(r.has_value()) << "prefix " << len;
    EXPECT_EQ(r.error().code, fri::fri_error_code::malformed_encoding);
  }
  EXPECT_FALSE(fri::fri_proof<E>::decode(std::span(bytes).first(bytes.size() - 1), params, sizes).has_value());
  bytes.push_back(0);
  EXPECT_FALSE(fri::fri_proof<E>::decode(bytes, params, sizes).has_value());
}

TEST(Fri, MultiHeightHonestProofVerifies) {
  ciro::test::seeded_rng rng;
  fixture fx;
  struct shape {
    unsigned log_blowup, log_final_poly_len;
    std::vector<unsigned> sizes;
  };
  // Gaps of 1, 3, 4, 5 and 7 (not all multiples of the arity); the last input of some shapes has
  // log size L_f = log_final_poly_len + log_blowup.
  const std::vector<shape> shapes{{1, 0, {10, 5}},    {1, 0, {12, 11}},   {2, 1, {11, 7, 3}},   {1, 2, {9, 8, 4}},
                                  {1, 0, {12, 9, 1}}, {3, 0, {13, 6, 5}}, {1, 1, {11, 4, 3, 2}}};
  for (const unsigned log_arity : {1u, 2u, 3u}) {
    for (const shape& s : shapes) {
      const fri::fri_params params{s.log_blowup, log_arity, s.log_final_poly_len, 20, 2};
      expect_multi_height_proof_verifies<babybear4>(fx, rng, params, s.sizes);
    }
    expect_multi_height_proof_verifies<babybear5>(fx, rng, {1, log_arity, 1, 16, 1}, {11, 7, 2});
    expect_multi_height_proof_verifies<babybear5>(fx, rng, {2, log_arity, 0, 16, 1}, {10, 9});
  }
}

TEST(Fri, MultiHeightSingleInputEqualsTheOldApi) {
  ciro::test::seeded_rng rng;
  fixture fx;
  const unsigned log_n = 12;
  for (const unsigned log_arity : {1u, 2u, 3u}) {
    const fri::fri_params params{1, log_arity, 1, 20, 3};
    SCOPED_TRACE("log_arity " + std::to_string(log_arity));
    const auto in = random_inputs<babybear4>(fx, rng, params, {log_n});
    hash::challenger a = seeded_challenger(5), b = seeded_challenger(5);
    const auto old_out = fri::prove<babybear4>(params, in.evals[0], a, *fx.backend, fx.hasher);
    const auto new_out = fri::prove<babybear4>(params, in.spans(), b, *fx.backend, fx.hasher);
    EXPECT_EQ(old_out.proof, new_out.proof);
    EXPECT_EQ(old_out.query_indices, new_out.query_indices);
    EXPECT_EQ(a, b);
    std::vector<std::uint8_t> old_bytes, new_bytes;
    old_out.proof.encode(old_bytes);
    new_out.proof.encode(new_bytes);
    EXPECT_EQ(old_bytes, new_bytes);

    hash::challenger c = seeded_challenger(5), d = seeded_challenger(5);
    const auto old_ch = fri::replay(params, old_out.proof, c, log_n);
    const auto new_ch = fri::replay<babybear4>(params, old_out.proof, d, in.sizes);
    ASSERT_TRUE(old_ch.has_value() && new_ch.has_value());
    EXPECT_EQ(old_ch.value().betas, new_ch.value().betas);
    EXPECT_EQ(old_ch.value().query_indices, new_ch.value().query_indices);
    EXPECT_EQ(c, d);
    const auto values = in.values_at(old_ch.value().query_indices);
    EXPECT_TRUE((fri::check_queries<babybear4>(params, old_out.proof, old_ch.value(), values[0], log_n).has_value()));
    EXPECT_TRUE(
        fri::check_queries<babybear4>(params, old_out.proof, new_ch.value(), as_spans(values), in.sizes).has_value());
    EXPECT_EQ(fri::fri_proof<babybear4>::decode(old_bytes, params, log_n).value(),
              fri::fri_proof<babybear4>::decode(old_bytes, params, in.sizes).value());

    // Rolling in a zero input at a height the single-input schedule already has changes nothing.
    const unsigned zero_log = log_n - (log_arity == 1 ? 5 : 2 * log_arity);
    ASSERT_EQ(fri::round_log_arities(params, std::vector<unsigned>{log_n, zero_log}),
              fri::round_log_arities(params, log_n));
    multi_input<babybear4> with_zero = in;
    with_zero.sizes.push_back(zero_log);
    with_zero.evals.emplace_back(std::size_t{1} << zero_log, babybear4::zero());
    hash::challenger e = seeded_challenger(5);
    const auto zero_out = fri::prove<babybear4>(params, with_zero.spans(), e, *fx.backend, fx.hasher);
    EXPECT_EQ(zero_out.proof, old_out.proof);
    EXPECT_TRUE(verify_multi<babybear4>(params, zero_out.proof, seeded_challenger(5), with_zero.sizes, with_zero));
  }
}

/// A proof over three heights (the last at L_f), arity 4 or 8, for the negative tests.
class FriMultiTamper : public ::testing::TestWithParam<unsigned> {
 protected:
  void SetUp() override {
    params_.log_arity = GetParam();
    ciro::test::seeded_rng rng;
    in_ = random_inputs<babybear4>(fx_, rng, params_, {11, 8, 2});
    hash::challenger ch = seeded_challenger(9);
    out_ = fri::prove<babybear4>(params_, in_.spans(), ch, *fx_.backend, fx_.hasher);
    hash::challenger verifier_ch = seeded_challenger(9);
    auto challenges = fri::replay<babybear4>(params_, out_.proof, verifier_ch, in_.sizes);
    ASSERT_TRUE(challenges.has_value()) << challenges.error().message;
    challenges_ = challenges.value();
    values_ = in_.values_at(challenges_.query_indices);
    ASSERT_TRUE(check(values_, in_.sizes).has_value());
  }
  ciro::result<std::monostate, fri::fri_error_code> check(const std::vector<std::vector<babybear4>>& values,
                                                          std::span<const unsigned> sizes) const {
    return fri::check_queries<babybear4>(params_, out_.proof, challenges_, as_spans(values), sizes);
  }
  /// The index of the layer of log size `log_size`.
  std::size_t layer_of(unsigned log_size) const {
    const auto layers = layer_log_sizes(params_, in_.sizes);
    return static_cast<std::size_t>(std::find(layers.begin(), layers.end(), log_size) - layers.begin());
  }

  fri::fri_params params_{1, 2, 1, 24, 4};  // L_f = 2
  fixture fx_;
  multi_input<babybear4> in_;
  fri::fri_prover_output<babybear4> out_;
  fri::fri_challenges<babybear4> challenges_;
  std::vector<std::vector<babybear4>> values_;
};

TEST_P(FriMultiTamper, TamperedInputValueAtOneQueryIsRejected) {
  for (std::size_t j = 0; j < in_.sizes.size(); ++j) {
    for (const std::size_t k :
         {std::size_t{0}, std::size_t{params_.num_queries / 2}, std::size_t{params_.num_queries - 1}}) {
      SCOPED_TRACE("input " + std::to_string(j) + ", query " + std::to_string(k));
      auto values = values_;
      values[j][k] += babybear4::one();
      const auto r = check(values, in_.sizes);
      ASSERT_FALSE(r.has_value());
      if (j + 1 < in_.sizes.size()) {
        // Caught where the value enters: layer 0 for input 0, its roll-in layer otherwise.
        EXPECT_EQ(r.error().code, fri::fri_error_code::folding_mismatch) << r.error().message;
        const std::string at = "layer " + std::to_string(layer_of(in_.sizes[j])) + ", query " + std::to_string(k);
        EXPECT_NE(r.error().message.find(at), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find("input " + std::to_string(j)), std::string::npos) << r.error().message;
      } else {
        // Rolled into the last layer: only the final polynomial sees it.
        EXPECT_EQ(r.error().code, fri::fri_error_code::final_poly_mismatch) << r.error().message;
        EXPECT_NE(r.error().message.find("query " + std::to_string(k)), std::string::npos) << r.error().message;
      }
    }
  }
}

TEST_P(FriMultiTamper, WrongInputSizeListIsRejected) {
  using v = std::vector<unsigned>;
  const auto expect_code = [&](const v& sizes, std::optional<fri::fri_error_code> code) {
    SCOPED_TRACE("sizes " + ::testing::PrintToString(sizes));
    // The verifier reads each input at q >> (L^0 - L^j) of its own evaluations; for a size the
    // prover did not use, reuse the input of the nearest height (any values will do).
    multi_input<babybear4> claimed{sizes, {}};
    for (const unsigned l : sizes) {
      std::vector<babybear4> e(std::size_t{1} << std::min(l, 27u), babybear4::zero());
      for (std::size_t j = 0; j < in_.sizes.size(); ++j) {
        if (in_.sizes[j] == l) e = in_.evals[j];
      }
      claimed.evals.push_back(std::move(e));
    }
    const auto r = verify_multi<babybear4>(params_, out_.proof, seeded_challenger(9), sizes, claimed);
    ASSERT_FALSE(r.has_value());
    if (code) {
      EXPECT_EQ(r.error().code, *code) << fri::to_string(r.error().code) << ": " << r.error().message;
    }
  };
  // Not a valid list.
  expect_code({8, 11, 2}, fri::fri_error_code::invalid_params);
  expect_code({11, 8, 8, 2}, fri::fri_error_code::invalid_params);
  expect_code({11, 8, 1}, fri::fri_error_code::invalid_params);  // below L_f
  expect_code({}, fri::fri_error_code::invalid_params);
  // Another schedule: another number of rounds, or other group widths at some layer.
  for (const v& sizes : {v{12, 8, 2}, v{11, 7, 2}, v{11, 9, 2}, v{11, 8, 3}, v{11, 2}, v{11}, v{11, 8}, v{11, 5, 2}}) {
    const bool same_rounds =
        fri::round_log_arities(params_, sizes).size() == fri::round_log_arities(params_, in_.sizes).size();
    expect_code(sizes, same_rounds ? std::nullopt : std::optional(fri::fri_error_code::wrong_shape));
  }
  // Decoding for another schedule fails (or gives a proof that then fails, as above).
  std::vector<std::uint8_t> bytes;
  out_.proof.encode(bytes);
  EXPECT_TRUE((fri::fri_proof<babybear4>::decode(bytes, params_, in_.sizes).has_value()));
  EXPECT_FALSE((fri::fri_proof<babybear4>::decode(bytes, params_, v{12, 8, 2}).has_value()));
  EXPECT_FALSE((fri::fri_proof<babybear4>::decode(bytes, params_, v{11, 7, 2}).has_value()));
  // input_values that disagree with the size list in count or length.
  auto r = check({values_[0], values_[1]}, in_.sizes);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, fri::fri_error_code::wrong_shape);
  auto shorter = values_;
  shorter[2].pop_back();
  r = check(shorter, in_.sizes);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, fri::fri_error_code::wrong_shape);
}

TEST_P(FriMultiTamper, WrongInputSizeListWithTheSameScheduleIsAFoldingMismatch) {
  // Dropping input 1, moving it to another layer height or adding an input at a layer height can
  // keep every round's shape; then replay passes and a roll-in layer's opening disagrees with the
  // verifier's value.
  const auto layers = layer_log_sizes(params_, in_.sizes);
  std::vector<std::vector<unsigned>> lists{{11, 2}};
  for (const unsigned l : layers) {
    if (l == 11 || l == 8 || l == 2) continue;
    lists.push_back({11, l, 2});
    lists.push_back(l > 8 ? std::vector<unsigned>{11, l, 8, 2} : std::vector<unsigned>{11, 8, l, 2});
  }
  std::size_t tried = 0;
  for (const auto& sizes : lists) {
    if (fri::round_log_arities(params_, sizes) != fri::round_log_arities(params_, in_.sizes)) continue;
    ++tried;
    SCOPED_TRACE("sizes " + ::testing::PrintToString(sizes));
    std::vector<std::vector<babybear4>> values;
    for (const unsigned l : sizes) values.push_back(l == 11 ? values_[0] : l == 2 ? values_[2] : values_[1]);
    const auto r = check(values, sizes);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, fri::fri_error_code::folding_mismatch) << r.error().message;
  }
  EXPECT_GE(tried, 2u);
}

TEST_P(FriMultiTamper, ShorterInputOfTooHighDegreeIsRejected) {
  ciro::test::seeded_rng rng;
  for (std::size_t j = 1; j < in_.sizes.size(); ++j) {
    const unsigned l = in_.sizes[j];
    // Degree exactly at the bound 2^(l - log_blowup), and full degree.
    for (const std::size_t bound : {(std::size_t{1} << (l - params_.log_blowup)) + 1, std::size_t{1} << l}) {
      SCOPED_TRACE("input " + std::to_string(j) + ", degree bound " + std::to_string(bound));
      auto coeffs = random_poly<babybear4>(rng, l, bound);
      if (coeffs[bound - 1].is_zero()) coeffs[bound - 1] = babybear4::one();
      multi_input<babybear4> bad = in_;
      bad.evals[j] = evaluate(*fx_.backend, coeffs);
      hash::challenger ch = seeded_challenger(9);
      const auto out = fri::prove<babybear4>(params_, bad.spans(), ch, *fx_.backend, fx_.hasher,
                                             fri::fri_prover_options{.check_final_degree = false});
      const auto r = verify_multi<babybear4>(params_, out.proof, seeded_challenger(9), bad.sizes, bad);
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().code, fri::fri_error_code::final_poly_mismatch) << r.error().message;
    }
  }
}

TEST_P(FriMultiTamper, RollInCannotCancelAFarComponentOfTheFold) {
  // With arity 2^a >= 4, a round's folds weight the components C_c of F(x) = sum_c x^c C_c(x^2^a)
  // by beta^c, beta^2 among them. F^0 = P + x^2 R(x^2^a) (P low-degree, R of degree up to
  // 2^(L^1)) folds to P' + beta^2 R on layer 1: an input F^1 = -R there would cancel R if it were
  // rolled in with beta^2. Neither input is low-degree; with gamma = beta^(2^a) FRI rejects.
  const unsigned a = params_.log_arity;
  const unsigned l0 = 11, l1 = l0 - a;
  const std::vector<unsigned> sizes{l0, l1};
  ciro::test::seeded_rng rng;
  const auto p = random_poly<babybear4>(rng, l0, std::size_t{1} << (l0 - params_.log_blowup));
  const auto r_coeffs = random_poly<babybear4>(rng, l1, std::size_t{1} << l1);
  auto f0 = p;
  for (std::size_t m = 0; m < r_coeffs.size(); ++m) f0[(m << a) + 2] += r_coeffs[m];
  multi_input<babybear4> cheat{sizes, {evaluate(*fx_.backend, f0), {}}};
  for (std::size_t pos = 0; pos < (std::size_t{1} << l1); ++pos) {
    cheat.evals[1].push_back(-horner(r_coeffs, fri::fri_domain_point(l0, l1, pos)));
  }
  hash::challenger ch = seeded_challenger(9);
  const auto out = fri::prove<babybear4>(params_, cheat.spans(), ch, *fx_.backend, fx_.hasher,
                                         fri::fri_prover_options{.check_final_degree = false});
  const auto r = verify_multi<babybear4>(params_, out.proof, seeded_challenger(9), sizes, cheat);
  ASSERT_FALSE(r.has_value()) << "a far F^0 and F^1 cancelled in the roll-in";
  EXPECT_EQ(r.error().code, fri::fri_error_code::final_poly_mismatch) << r.error().message;
}

TEST_P(FriMultiTamper, DecodeRejectsTruncationAndByteFlipsAreRejected) {
  std::vector<std::uint8_t> bytes;
  out_.proof.encode(bytes);
  const auto decoded = fri::fri_proof<babybear4>::decode(bytes, params_, in_.sizes);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_EQ(decoded.value(), out_.proof);
  for (std::size_t len = 0; len < bytes.size(); len += 1 + len / 11) {
    const auto r = fri::fri_proof<babybear4>::decode(std::span(bytes).first(len), params_, in_.sizes);
    ASSERT_FALSE(r.has_value()) << "prefix " << len;
    EXPECT_EQ(r.error().code, fri::fri_error_code::malformed_encoding);
  }
  ciro::test::seeded_rng rng;
  for (int trial = 0; trial < 150; ++trial) {
    auto mutated = bytes;
    const std::size_t at = rng.below(mutated.size());
    mutated[at] ^= static_cast<std::uint8_t>(1 + rng.below(255));
    const auto proof = fri::fri_proof<babybear4>::decode(mutated, params_, in_.sizes);
    if (!proof) continue;
    EXPECT_FALSE(verify_multi<babybear4>(params_, proof.value(), seeded_challenger(9), in_.sizes, in_).has_value())
        << "flip at byte " << at;
  }
}

INSTANTIATE_TEST_SUITE_P(Arity, FriMultiTamper, ::testing::Values(2u, 3u),
                         [](const ::testing::TestParamInfo<unsigned>& info) {
                           return "arity" + std::to_string(1u << info.param);
                         });

}  // namespace
