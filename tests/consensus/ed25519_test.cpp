// Ed25519 against RFC 8032 section 7.1 (TEST 1-3), and its refusals.
#include "consensus/digest.hpp"
#include "consensus/ed25519.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "tests/support/seed.hpp"

namespace ciro::consensus {
namespace {

std::vector<std::uint8_t> bytes_of(const std::string& hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  return out;
}

nlohmann::json rfc8032_vectors() {
  std::ifstream in(test::vectors_path("ed25519_rfc8032.json"));
  return nlohmann::json::parse(in)["vectors"];
}

TEST(Ed25519, Rfc8032VectorsGiveThePublicKeyAndTheExactSignature) {
  const auto vectors = rfc8032_vectors();
  ASSERT_EQ(vectors.size(), 3u);
  for (const auto& v : vectors) {
    const auto seed = from_hex<32>(v["secret"].get<std::string>());
    ASSERT_TRUE(seed.has_value());
    const key_pair key = key_pair_from_seed(*seed);
    EXPECT_EQ(to_hex(key.public_key_bytes), v["public"].get<std::string>());
    const auto message = bytes_of(v["message"].get<std::string>());
    const signature sig = sign(key, message);
    EXPECT_EQ(to_hex(sig), v["signature"].get<std::string>());
    EXPECT_TRUE(verify(key.public_key_bytes, message, sig));
  }
}

TEST(Ed25519, AFlippedBitInTheMessageSignatureOrKeyIsRejected) {
  for (const auto& v : rfc8032_vectors()) {
    const public_key key = *from_hex<32>(v["public"].get<std::string>());
    const signature sig = *from_hex<64>(v["signature"].get<std::string>());
    auto message = bytes_of(v["message"].get<std::string>());
    if (!message.empty()) {
      for (std::size_t bit = 0; bit < message.size() * 8; ++bit) {
        auto changed = message;
        changed[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        EXPECT_FALSE(verify(key, changed, sig)) << "message bit " << bit;
      }
    }
    auto longer = message;
    longer.push_back(0);
    EXPECT_FALSE(verify(key, longer, sig));
    for (std::size_t bit = 0; bit < 512; ++bit) {
      signature changed = sig;
      changed[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      EXPECT_FALSE(verify(key, message, changed)) << "signature bit " << bit;
    }
    for (std::size_t bit = 0; bit < 256; ++bit) {
      public_key changed = key;
      changed[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      EXPECT_FALSE(verify(changed, message, sig)) << "key bit " << bit;
    }
  }
}

TEST(Ed25519, SignaturesOfRandomMessagesVerifyOnlyUnderTheirKey) {
  test::seeded_rng rng;
  for (int i = 0; i < 20; ++i) {
    secret_seed seed{}, other{};
    for (auto& b : seed) b = static_cast<std::uint8_t>(rng.next());
    for (auto& b : other) b = static_cast<std::uint8_t>(rng.next());
    std::vector<std::uint8_t> message(rng.below(300));
    for (auto& b : message) b = static_cast<std::uint8_t>(rng.next());
    const key_pair key = key_pair_from_seed(seed);
    const signature sig = sign(key, message);
    EXPECT_EQ(sig, sign(key, message));  // deterministic
    EXPECT_TRUE(verify(key.public_key_bytes, message, sig));
    EXPECT_FALSE(verify(key_pair_from_seed(other).public_key_bytes, message, sig));
  }
}

TEST(Sha256, KnownAnswers) {
  // FIPS 180-4 examples: "" and "abc".
  EXPECT_EQ(to_hex(sha256({})), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::uint8_t abc[] = {'a', 'b', 'c'};
  EXPECT_EQ(to_hex(sha256(abc)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Hex, RoundTripsAndRefusesBadInput) {
  const auto d = from_hex<4>("00ff10Ab");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(to_hex(*d), "00ff10ab");
  EXPECT_FALSE(from_hex<4>("00ff10").has_value());
  EXPECT_FALSE(from_hex<4>("00ff10zz").has_value());
  EXPECT_FALSE(from_hex<4>("00ff10abcd").has_value());
}

}  // namespace
}  // namespace ciro::consensus
