#include "hash/challenger.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <vector>

#include "hash/poseidon2.hpp"
#include "tests/support/seed.hpp"

namespace {

using ciro::field::babybear;
using ciro::field::babybear4;
using ciro::hash::challenger;
using ciro::hash::digest;

babybear random_element(ciro::test::seeded_rng& rng) { return babybear::from_u64(rng.next()); }

/// A transcript written out by hand from the format in challenger.hpp, one duplexing at a time.
struct model {
  std::array<babybear, 16> s{};
  std::vector<babybear> in, out;
  void duplex() {
    for (std::size_t i = 0; i < in.size(); ++i) s[i] = in[i];
    if (!in.empty()) {
      for (std::size_t i = in.size(); i < 8; ++i) s[i] = babybear::zero();
      s[8] += babybear::from_canonical(static_cast<std::uint32_t>(in.size()));
    }
    ciro::hash::poseidon2_permute(s);
    in.clear();
    out.assign(s.begin(), s.begin() + 8);
  }
  void observe(babybear x) {
    out.clear();
    in.push_back(x);
    if (in.size() == 8) duplex();
  }
  babybear sample() {
    if (!in.empty() || out.empty()) duplex();
    const babybear x = out.back();
    out.pop_back();
    return x;
  }
};

TEST(Challenger, MatchesTheDocumentedTranscriptOnRandomOperationSequences) {
  ciro::test::seeded_rng rng;
  for (int trial = 0; trial < 50; ++trial) {
    challenger c;
    model m;
    for (int op = 0; op < 60; ++op) {
      if (rng.below(3) != 0) {
        const babybear x = random_element(rng);
        c.observe(x);
        m.observe(x);
      } else {
        ASSERT_EQ(c.sample(), m.sample()) << "trial " << trial << " op " << op;
      }
    }
  }
}

TEST(Challenger, FirstSampleOfTheEmptyTranscriptIsTheLastRateElementOfPermutedZero) {
  challenger c;
  const auto s = ciro::hash::poseidon2_16({});
  EXPECT_EQ(c.sample(), s[7]);
  EXPECT_EQ(c.sample(), s[6]);
}

TEST(Challenger, AbsorbIsLengthBinding) {
  // Observing x and observing (x, 0) must differ: the absorbed length enters the capacity.
  challenger a, b;
  a.observe(babybear::from_canonical(5));
  b.observe(babybear::from_canonical(5));
  b.observe(babybear::zero());
  EXPECT_NE(a.sample(), b.sample());
}

TEST(Challenger, IsDeterministicAndCopiesFork) {
  ciro::test::seeded_rng rng;
  challenger a, b;
  for (int i = 0; i < 13; ++i) {
    const babybear x = random_element(rng);
    a.observe(x);
    b.observe(x);
  }
  challenger fork = a;
  EXPECT_EQ(a, b);
  for (int i = 0; i < 20; ++i) {
    const babybear x = a.sample();
    EXPECT_EQ(x, b.sample());
    EXPECT_EQ(x, fork.sample());
  }
}

TEST(Challenger, ObservationOrderMatters) {
  const babybear x = babybear::from_canonical(1), y = babybear::from_canonical(2);
  challenger a, b;
  a.observe(x);
  a.observe(y);
  b.observe(y);
  b.observe(x);
  EXPECT_NE(a.sample(), b.sample());
}

TEST(Challenger, DigestsAndExtensionElementsAreObservedCoefficientByCoefficient) {
  ciro::test::seeded_rng rng;
  digest d;
  for (auto& x : d) x = random_element(rng);
  const babybear4 e =
      babybear4::from_coeffs({random_element(rng), random_element(rng), random_element(rng), random_element(rng)});
  challenger a, b;
  a.observe(d);
  a.observe_ext(e);
  for (const babybear x : d) b.observe(x);
  for (unsigned i = 0; i < 4; ++i) b.observe(e.coeff(i));
  EXPECT_EQ(a, b);
  challenger c = a;
  const babybear4 s = a.sample_ext();
  for (unsigned i = 0; i < 4; ++i) EXPECT_EQ(s.coeff(i), c.sample()) << i;
}

TEST(Challenger, SampleBitsStaysInRangeAndUsesTheLowBits) {
  challenger c;
  for (unsigned bits = 0; bits <= challenger::max_bits; ++bits) {
    for (int i = 0; i < 20; ++i) {
      challenger copy = c;
      const std::uint32_t v = c.sample_bits(bits);
      EXPECT_LT(std::uint64_t{v}, std::uint64_t{1} << bits);
      EXPECT_EQ(v, copy.sample().to_canonical() & ((std::uint32_t{1} << bits) - 1));
    }
  }
  // 4-bit samples hit every value.
  std::set<std::uint32_t> seen;
  for (int i = 0; i < 400; ++i) seen.insert(c.sample_bits(4));
  EXPECT_EQ(seen.size(), 16u);
}

TEST(Challenger, GrindingFindsTheSmallestWitnessThatCheckWitnessAccepts) {
  ciro::test::seeded_rng rng;
  for (const unsigned bits : {1u, 4u, 8u, 12u}) {
    for (const int prefix : {0, 3, 7, 8, 11}) {
      challenger prover;
      for (int i = 0; i < prefix; ++i) prover.observe(random_element(rng));
      if (prefix == 11) (void)prover.sample();
      challenger verifier = prover;
      const challenger before = prover;
      const babybear w = prover.grind(bits);
      EXPECT_TRUE(verifier.check_witness(bits, w)) << bits << " " << prefix;
      // The prover's transcript advanced exactly as the verifier's did.
      EXPECT_EQ(prover, verifier);
      // No smaller witness passes.
      for (std::uint32_t smaller = 0; smaller < w.to_canonical(); ++smaller) {
        challenger v = before;
        ASSERT_FALSE(v.check_witness(bits, babybear::from_canonical(smaller))) << bits << " " << smaller;
      }
    }
  }
}

TEST(Challenger, WrongWitnessesAreRejected) {
  challenger c;
  c.observe(babybear::from_canonical(42));
  challenger search = c;
  const babybear w = search.grind(12);
  int rejected = 0;
  for (std::uint32_t k = 1; k <= 64; ++k) {
    challenger v = c;
    rejected += v.check_witness(12, w + babybear::from_canonical(k)) ? 0 : 1;
  }
  EXPECT_GE(rejected, 60);  // each passes with probability 2^-12
  challenger replay = c;
  EXPECT_TRUE(replay.check_witness(12, w));
}

TEST(Challenger, ZeroBitGrindingIsFreeAndLeavesTheTranscript) {
  challenger c;
  c.observe(babybear::one());
  const challenger before = c;
  EXPECT_EQ(c.grind(0), babybear::zero());
  EXPECT_EQ(c, before);
  EXPECT_TRUE(c.check_witness(0, babybear::from_canonical(123)));
  EXPECT_EQ(c, before);
}

}  // namespace
