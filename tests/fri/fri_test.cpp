#include "fri/fri.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
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

}  // namespace
