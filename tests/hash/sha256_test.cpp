#include "hash/sha256.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using ciro::hash::sha256;

std::string hex(const sha256::digest_type& d) {
  std::string s;
  for (const std::uint8_t b : d) {
    s.push_back("0123456789abcdef"[b >> 4]);
    s.push_back("0123456789abcdef"[b & 15]);
  }
  return s;
}

// FIPS 180-4 examples (NIST CSRC "SHA256.pdf" example values).
static_assert(sha256::digest("abc")[0] == 0xba && sha256::digest("abc")[31] == 0xad);

TEST(Sha256, MatchesFips180Examples) {
  EXPECT_EQ(hex(sha256::digest("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(sha256::digest("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(sha256::digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, MillionAsInChunksMatchesFips180Example) {
  sha256 h;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.update(chunk);
  EXPECT_EQ(hex(h.finalize()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalEqualsOneShotAcrossBlockBoundaries) {
  std::string msg;
  for (int i = 0; i < 200; ++i) msg.push_back(static_cast<char>(i * 7 + 1));
  for (std::size_t n : {0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 200}) {
    const std::string m = msg.substr(0, n);
    sha256 h;
    h.update(std::string_view(m).substr(0, n / 3));
    h.update(std::string_view(m).substr(n / 3));
    ASSERT_EQ(h.finalize(), sha256::digest(m)) << "n=" << n;
  }
}

}  // namespace
