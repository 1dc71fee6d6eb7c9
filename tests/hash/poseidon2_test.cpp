#include "hash/poseidon2.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <charconv>
#include <fstream>
#include <string>
#include <vector>

#include "hash/sponge.hpp"
#include "tests/support/seed.hpp"

namespace {

using ciro::field::babybear;
using namespace ciro::hash;

nlohmann::json load_vectors() {
  std::ifstream in(ciro::test::vectors_path("poseidon2_babybear.json"));
  EXPECT_TRUE(in.good()) << "missing poseidon2_babybear.json";
  return nlohmann::json::parse(in);
}

template <std::size_t N>
std::array<babybear, N> from_canonical(const std::array<std::uint32_t, N>& xs) {
  std::array<babybear, N> out;
  for (std::size_t i = 0; i < N; ++i) out[i] = babybear::from_canonical(xs[i]);
  return out;
}

template <std::size_t N>
std::array<std::uint32_t, N> to_canonical(const std::array<babybear, N>& xs) {
  std::array<std::uint32_t, N> out;
  for (std::size_t i = 0; i < N; ++i) out[i] = xs[i].to_canonical();
  return out;
}

template <std::size_t N>
std::array<babybear, N> random_state(ciro::test::seeded_rng& rng) {
  std::array<babybear, N> s;
  for (auto& x : s) {
    const std::uint64_t r = rng.next();
    x = r % 9 == 0 ? babybear::zero() : r % 9 == 1 ? -babybear::one() : babybear::from_u64(r >> 4);
  }
  return s;
}

// Known answer from tests/vectors/poseidon2_babybear.json (kat_w16), which is Plonky3's
// test_default_babybear_poseidon2_width_16 (baby-bear/src/poseidon2.rs, commit 5dc50e51).
TEST(Poseidon2, Width16MatchesPlonky3KnownAnswer) {
  const auto v = load_vectors();
  const auto input = v["kat_w16"]["input"].get<std::array<std::uint32_t, 16>>();
  const auto expected = v["kat_w16"]["output"].get<std::array<std::uint32_t, 16>>();
  auto state = from_canonical(input);
  poseidon2_permute(state);
  EXPECT_EQ(to_canonical(state), expected);
}

// Known answer from Plonky3's test_default_babybear_poseidon2_width_24 (baby-bear/src/poseidon2.rs,
// commit 5dc50e51436a811c62443e336f766015fecc9217); the json has no width-24 answer.
TEST(Poseidon2, Width24MatchesPlonky3KnownAnswer) {
  const std::array<std::uint32_t, 24> input = {886409618,  1327899896, 1902407911, 591953491, 648428576,  1844789031,
                                               1198336108, 355597330,  1799586834, 59617783,  790334801,  1968791836,
                                               559272107,  31054313,   1042221543, 474748436, 135686258,  263665994,
                                               1962340735, 1741539604, 2026927696, 449439011, 1131357108, 50869465};
  const std::array<std::uint32_t, 24> expected = {882297297, 1264077610, 512812497,  782602970, 867738552,  1251075457,
                                                  309180082, 340784773,  524041877,  351272188, 404451680,  15001466,
                                                  322926653, 1773004150, 1718440818, 674682955, 1154713225, 1719133502,
                                                  324232301, 1005243141, 443371079,  268735940, 770060019,  718377682};
  auto state = from_canonical(input);
  poseidon2_permute(state);
  EXPECT_EQ(to_canonical(state), expected);
}

TEST(Poseidon2, IsEvaluatedAtCompileTime) {
  constexpr std::array<babybear, 16> out = poseidon2_16({});
  std::array<babybear, 16> zero{};
  poseidon2_permute(zero);
  EXPECT_EQ(out, zero);
}

template <std::size_t W>
void expect_tables_match_json(const nlohmann::json& c) {
  using params = poseidon2_babybear_params<W>;
  const bool w16 = W == 16;
  const auto& initial = c[w16 ? "w16_external_initial" : "w24_external_initial"];
  const auto& final_ = c[w16 ? "w16_external_final" : "w24_external_final"];
  const auto& internal = c[w16 ? "w16_internal" : "w24_internal"];
  ASSERT_EQ(initial.size(), params::half_full_rounds);
  ASSERT_EQ(final_.size(), params::half_full_rounds);
  ASSERT_EQ(internal.size(), params::partial_rounds);
  for (std::size_t r = 0; r < params::half_full_rounds; ++r) {
    ASSERT_EQ(initial[r].size(), W);
    for (std::size_t i = 0; i < W; ++i) {
      EXPECT_EQ(params::external_initial[r][i], initial[r][i].get<std::uint32_t>());
      EXPECT_EQ(params::external_final[r][i], final_[r][i].get<std::uint32_t>());
    }
  }
  for (std::size_t r = 0; r < params::partial_rounds; ++r) {
    EXPECT_EQ(params::internal[r], internal[r].get<std::uint32_t>());
  }
}

TEST(Poseidon2, ConstantTablesEqualTheVectorsFile) {
  const auto v = load_vectors();
  expect_tables_match_json<16>(v["constants"]);
  expect_tables_match_json<24>(v["constants"]);
}

/// Parses the json's "V = [-2, 1, 1/2^8, -1/16, ...]" into field elements: each entry is
/// [-]n or [-]1/d or [-]1/2^k.
std::vector<babybear> parse_diagonal(const std::string& text) {
  std::vector<babybear> out;
  const char* p = text.c_str() + text.find('[') + 1;
  const char* const end = text.c_str() + text.find(']');
  const auto number = [&] {
    std::uint64_t v = 0;
    const auto r = std::from_chars(p, end, v);
    p = r.ptr;
    return v;
  };
  while (p < end) {
    while (*p == ' ' || *p == ',') ++p;
    const bool neg = *p == '-';
    if (neg) ++p;
    babybear value = babybear::from_u64(number());
    if (*p == '/') {
      ++p;
      std::uint64_t den = number();
      if (*p == '^') {
        ++p;
        den = std::uint64_t{1} << number();
      }
      value *= babybear::from_u64(den).inverse();
    }
    out.push_back(neg ? -value : value);
  }
  return out;
}

TEST(Poseidon2, InternalDiagonalsEqualTheVectorsFile) {
  const auto v = load_vectors();
  const auto d16 = parse_diagonal(v["internal_diagonal_w16"].get<std::string>());
  const auto d24 = parse_diagonal(v["internal_diagonal_w24"].get<std::string>());
  ASSERT_EQ(d16.size(), 16u);
  ASSERT_EQ(d24.size(), 24u);
  for (std::size_t i = 0; i < 16; ++i) EXPECT_EQ(poseidon2_default_constants<16>.diagonal[i], d16[i]) << i;
  for (std::size_t i = 0; i < 24; ++i) EXPECT_EQ(poseidon2_default_constants<24>.diagonal[i], d24[i]) << i;
}

/// y = M x for a dense matrix of small integers.
template <std::size_t W>
std::array<babybear, W> mat_vec(const std::array<std::array<std::int64_t, W>, W>& m, const std::array<babybear, W>& x) {
  std::array<babybear, W> y{};
  for (std::size_t i = 0; i < W; ++i) {
    for (std::size_t j = 0; j < W; ++j) {
      const babybear c = babybear::from_u64(static_cast<std::uint64_t>(m[i][j]));
      y[i] += c * x[j];
    }
  }
  return y;
}

template <std::size_t W>
void expect_external_layer_is_the_circulant_matrix() {
  constexpr std::int64_t m4[4][4] = {{2, 3, 1, 1}, {1, 2, 3, 1}, {1, 1, 2, 3}, {3, 1, 1, 2}};
  std::array<std::array<std::int64_t, W>, W> m{};
  for (std::size_t i = 0; i < W; ++i) {
    for (std::size_t j = 0; j < W; ++j) m[i][j] = m4[i % 4][j % 4] * (i / 4 == j / 4 ? 2 : 1);
  }
  ciro::test::seeded_rng rng;
  for (int t = 0; t < 20; ++t) {
    auto x = random_state<W>(rng);
    const auto expected = mat_vec(m, x);
    poseidon2_external_layer<W>(x.data());
    EXPECT_EQ(x, expected);
  }
}

TEST(Poseidon2, ExternalLayerIsCirculantOfTwoM4AndM4) {
  expect_external_layer_is_the_circulant_matrix<16>();
  expect_external_layer_is_the_circulant_matrix<24>();
}

template <std::size_t W>
void expect_internal_layer_is_one_plus_diagonal() {
  ciro::test::seeded_rng rng;
  const auto& diag = poseidon2_default_constants<W>.diagonal;
  for (int t = 0; t < 20; ++t) {
    auto x = random_state<W>(rng);
    std::array<babybear, W> expected{};
    for (std::size_t i = 0; i < W; ++i) {
      for (std::size_t j = 0; j < W; ++j) expected[i] += (i == j ? babybear::one() + diag[i] : babybear::one()) * x[j];
    }
    poseidon2_internal_layer<W>(x.data(), diag);
    EXPECT_EQ(x, expected);
  }
}

TEST(Poseidon2, InternalLayerIsOnePlusDiagonal) {
  expect_internal_layer_is_one_plus_diagonal<16>();
  expect_internal_layer_is_one_plus_diagonal<24>();
}

TEST(Poseidon2, SboxIsSeventhPower) {
  ciro::test::seeded_rng rng;
  for (int t = 0; t < 100; ++t) {
    const babybear x = babybear::from_u64(rng.next());
    EXPECT_EQ(poseidon2_sbox(x), x.pow(7));
  }
}

// The sponge is PaddingFreeSponge<Poseidon2BabyBear<16>, 16, 8, 8> (Plonky3 symmetric/src/sponge.rs):
// overwrite mode, a permutation after each full block and after a final partial block only.
TEST(Poseidon2Sponge, EmptyInputHashesToZeroWithoutPermuting) { EXPECT_EQ(hash_elements({}), digest{}); }

TEST(Poseidon2Sponge, OverwritesTheRateAndPermutesPerBlock) {
  ciro::test::seeded_rng rng;
  const auto state24 = random_state<24>(rng);  // 24 inputs: blocks of 8, 8, 8
  const std::vector<babybear> xs(state24.begin(), state24.end());
  for (std::size_t n : {1u, 7u, 8u, 9u, 16u, 19u, 24u}) {
    std::array<babybear, 16> state{};
    for (std::size_t start = 0; start < n; start += 8) {
      for (std::size_t j = start; j < std::min(n, start + 8); ++j) state[j - start] = xs[j];
      poseidon2_permute(state);
    }
    digest expected;
    std::copy(state.begin(), state.begin() + 8, expected.begin());
    EXPECT_EQ(hash_elements(std::span(xs.data(), n)), expected) << "n=" << n;
  }
}

TEST(Poseidon2Sponge, StreamingEqualsOneShot) {
  ciro::test::seeded_rng rng;
  const auto xs = random_state<24>(rng);
  padding_free_sponge sponge;
  sponge.absorb(std::span(xs.data(), 5));
  for (std::size_t i = 5; i < 21; ++i) sponge.absorb(xs[i]);
  EXPECT_EQ(sponge.finish(), hash_elements(std::span(xs.data(), 21)));
}

TEST(Poseidon2Sponge, CompressionIsTruncatedPermutation) {
  ciro::test::seeded_rng rng;
  const auto s = random_state<16>(rng);
  digest left, right;
  std::copy(s.begin(), s.begin() + 8, left.begin());
  std::copy(s.begin() + 8, s.end(), right.begin());
  const auto permuted = poseidon2_16(s);
  const digest d = compress(left, right);
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(d[i], permuted[i]);
  EXPECT_NE(compress(left, right), compress(right, left));
}

}  // namespace
