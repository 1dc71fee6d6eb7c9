#include "hash/commit.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "field/babybear.hpp"
#include "tests/support/seed.hpp"

namespace {

using ciro::field::felt252;
using namespace ciro::hash;

std::vector<std::uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

felt252 short_string(const std::string& s) {
  felt252 x = felt252::zero();
  for (const char c : s) x = x * felt252::from_u64(256) + felt252::from_u64(static_cast<std::uint8_t>(c));
  return x;
}

TEST(Commit, BytesFollowTheDocumentedPacking) {
  // 40 bytes: one full 31-byte word and a 9-byte word, each read big-endian.
  std::vector<std::uint8_t> data;
  for (int i = 0; i < 40; ++i) data.push_back(static_cast<std::uint8_t>(i * 5 + 3));
  auto word = [&](std::size_t from, std::size_t to) {
    felt252 x = felt252::zero();
    for (std::size_t i = from; i < to; ++i) x = x * felt252::from_u64(256) + felt252::from_u64(data[i]);
    return x;
  };
  const felt252 felts[] = {short_string("ciro.commit.bytes.v1"), felt252::from_u64(40), word(0, 31), word(31, 40)};
  EXPECT_EQ(commit_bytes(data), starknet::poseidon_hash_many(felts));
  const felt252 empty[] = {short_string("ciro.commit.bytes.v1"), felt252::zero()};
  EXPECT_EQ(commit_bytes({}), starknet::poseidon_hash_many(empty));
}

TEST(Commit, IsDeterministicAndLengthSeparated) {
  EXPECT_EQ(commit_bytes(bytes("hello")), commit_bytes(bytes("hello")));
  EXPECT_NE(commit_bytes(bytes("ab")), commit_bytes(bytes(std::string("ab\0", 3))));
  EXPECT_NE(commit_bytes(bytes("")), commit_bytes(bytes(std::string("\0", 1))));
  EXPECT_NE(commit_bytes(bytes("ab")), commit_bytes(bytes("ba")));
  // Every prefix of a 100-byte zero string (0..100 bytes, crossing word boundaries) is distinct.
  std::set<std::string> seen;
  const std::vector<std::uint8_t> zeros(100, 0);
  for (std::size_t n = 0; n <= zeros.size(); ++n) {
    ASSERT_TRUE(seen.insert(commit_bytes(std::span(zeros).first(n)).to_hex()).second) << "n=" << n;
  }
}

TEST(Commit, U32AndU31PackingsFollowTheDocumentation) {
  const std::uint32_t v[] = {0xffffffffu, 1, 2, 3, 4, 5, 6, 7, 8};
  // u32: 7 per word, first in the low bits.
  const felt252 w0 = felt252::from_canonical({0x00000001ffffffffULL, 0x0000000300000002ULL, 0x0000000500000004ULL, 6});
  const felt252 w1 = felt252::from_canonical({0x0000000800000007ULL, 0, 0, 0});
  const felt252 felts32[] = {short_string("ciro.commit.u32.v1"), felt252::from_u64(9), w0, w1};
  EXPECT_EQ(commit_u32(v), starknet::poseidon_hash_many(felts32));
  // u31: 8 per word at 31-bit offsets.
  const std::uint32_t u[] = {0x7fffffffu, 1, 2, 3, 4, 5, 6, 7, 9};
  felt252 x = felt252::zero();
  for (int j = 7; j >= 0; --j) x = x * felt252::from_u64(1ULL << 31) + felt252::from_u64(u[j]);
  const felt252 felts31[] = {short_string("ciro.commit.u31.v1"), felt252::from_u64(9), x, felt252::from_u64(9)};
  EXPECT_EQ(commit_u31(u), starknet::poseidon_hash_many(felts31));
}

TEST(Commit, KindsAreDomainSeparated) {
  const std::uint32_t v[] = {1, 2, 3};
  const felt252 f[] = {felt252::from_u64(1), felt252::from_u64(2), felt252::from_u64(3)};
  const std::uint8_t b[] = {1, 2, 3};
  std::set<std::string> seen = {commit_u32(v).to_hex(), commit_u31(v).to_hex(), commit_felts(f).to_hex(),
                                commit_bytes(b).to_hex()};
  EXPECT_EQ(seen.size(), 4u);
}

TEST(Commit, BabyBearVectorsCommitAsTheirCanonicalValues) {
  using ciro::field::babybear;
  ciro::test::seeded_rng rng;
  std::vector<babybear> xs;
  std::vector<std::uint32_t> canon;
  for (int i = 0; i < 21; ++i) {
    xs.push_back(babybear::from_u64(rng.next()));
    canon.push_back(xs.back().to_canonical());
  }
  EXPECT_EQ(commit_monty31<babybear::params>(xs), commit_u31(canon));
  std::vector<std::uint32_t> shorter(canon.begin(), canon.end() - 1);
  EXPECT_NE(commit_u31(shorter), commit_u31(canon));
  canon.push_back(0);
  EXPECT_NE(commit_u31(shorter), commit_u31(canon));
}

}  // namespace
