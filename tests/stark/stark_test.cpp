#include <gtest/gtest.h>

#include "air/fibonacci.hpp"
#include "air/poseidon2_air.hpp"
#include "field/extension.hpp"
#include "hash/merkle_hasher.hpp"
#include "kernels/backend.hpp"
#include "stark/prover.hpp"
#include "stark/verifier.hpp"
#include "tests/support/seed.hpp"

namespace {

using ciro::field::babybear;
using ciro::field::babybear4;
using ciro::field::babybear5;
using namespace ciro::stark;

struct fixture {
  std::unique_ptr<ciro::kernels::backend> backend = ciro::kernels::make_cpu_backend();
  ciro::hash::cpu_merkle_hasher hasher;
};

template <class E, class A>
proof<E> prove_ok(const A& air, const ciro::air::witness& w, const stark_params& params) {
  fixture f;
  auto p =
      prove<E>(air, w, fitted(params, w.trace.rows() > 1 ? std::countr_zero(w.trace.rows()) : 0), *f.backend, f.hasher);
  EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().message);
  return std::move(p).value();
}

TEST(Stark, HonestFibonacciProofsVerifyForSeveralSizes) {
  const ciro::air::fibonacci_air air;
  for (unsigned log_rows : {3u, 6u, 10u}) {
    const auto w = ciro::air::generate_fibonacci_trace(log_rows, babybear::one(), babybear::one());
    const auto p = prove_ok<babybear4>(air, w, fast_profile());
    const auto r = verify(air, p);
    ASSERT_TRUE(r.has_value()) << "log_rows=" << log_rows << ": " << r.error().message;
    EXPECT_GE(r.value(), 100u);
  }
}

TEST(Stark, HonestPoseidon2ProofsVerifyInBothProfiles) {
  ciro::test::seeded_rng rng;
  const ciro::air::poseidon2_air air;
  std::array<babybear, 16> input;
  for (auto& x : input) x = babybear::from_u64(rng.next());
  const auto w = ciro::air::generate_poseidon2_trace(4, input);
  const auto fast = prove_ok<babybear4>(air, w, fast_profile());
  auto r = verify(air, fast);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const auto secure = prove_ok<babybear5>(air, w, secure_profile());
  r = verify(air, secure);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_GE(r.value(), 128u);
}

TEST(Stark, ProofsSurviveTheirEncoding) {
  const ciro::air::fibonacci_air air;
  const auto w = ciro::air::generate_fibonacci_trace(5, babybear::from_u64(2), babybear::from_u64(7));
  const auto p = prove_ok<babybear4>(air, w, fast_profile());
  const auto bytes = encode(p);
  auto back = decode<babybear4>(bytes);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(encode(back.value()), bytes);
  EXPECT_TRUE(verify(air, back.value()).has_value());
}

TEST(Stark, ATraceThatBreaksAConstraintIsRefusedAndAForcedProofRejected) {
  const ciro::air::fibonacci_air air;
  auto w = ciro::air::generate_fibonacci_trace(6, babybear::one(), babybear::one());
  w.trace.at(17, 1) += babybear::one();
  fixture f;
  auto refused = prove<babybear4>(air, w, fast_profile(), *f.backend, f.hasher);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, prove_error_code::unsatisfied);
  EXPECT_NE(refused.error().message.find("row"), std::string::npos) << refused.error().message;
  auto forced = prove<babybear4>(air, w, fast_profile(), *f.backend, f.hasher, nullptr,
                                 {.check_constraints = false, .on_phase = {}});
  ASSERT_TRUE(forced.has_value());
  EXPECT_FALSE(verify(air, forced.value()).has_value());
}

TEST(Stark, WrongPublicValuesAreRejected) {
  const ciro::air::fibonacci_air air;
  const auto w = ciro::air::generate_fibonacci_trace(6, babybear::one(), babybear::one());
  auto p = prove_ok<babybear4>(air, w, fast_profile());
  p.stmt.public_values[2] += babybear::one();
  const auto r = verify(air, p);
  ASSERT_FALSE(r.has_value());
}

TEST(Stark, WeakParametersAreRefusedByTheVerifier) {
  const ciro::air::fibonacci_air air;
  const auto w = ciro::air::generate_fibonacci_trace(6, babybear::one(), babybear::one());
  stark_params weak = fast_profile();
  weak.num_queries = 20;
  const auto p = prove_ok<babybear4>(air, w, weak);
  const auto r = verify(air, p);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, verify_error_code::weak_parameters);
  EXPECT_TRUE(verify(air, p, {.min_security_bits = 30}).has_value());
}

TEST(Stark, EverySampledSingleByteChangeAndEveryTruncationIsRejected) {
  ciro::test::seeded_rng rng;
  const ciro::air::fibonacci_air air;
  const auto w = ciro::air::generate_fibonacci_trace(5, babybear::one(), babybear::from_u64(3));
  const auto bytes = encode(prove_ok<babybear4>(air, w, fast_profile()));
  auto accepts = [&](std::span<const std::uint8_t> b) {
    auto p = decode<babybear4>(b);
    return p.has_value() && verify(air, p.value()).has_value();
  };
  ASSERT_TRUE(accepts(bytes));
  std::vector<std::size_t> positions;
  for (std::size_t i = 0; i < std::min<std::size_t>(bytes.size(), 256); ++i) positions.push_back(i);
  for (int i = 0; i < 300; ++i) positions.push_back(rng.below(bytes.size()));
  for (const std::size_t pos : positions) {
    auto tampered = bytes;
    tampered[pos] ^= static_cast<std::uint8_t>(1 + rng.below(255));
    ASSERT_FALSE(accepts(tampered)) << "byte " << pos << " of " << bytes.size();
  }
  for (std::size_t len = 0; len < bytes.size(); len += 1 + len / 8) {
    ASSERT_FALSE(accepts(std::span(bytes).first(len))) << "truncated to " << len;
  }
}

}  // namespace
