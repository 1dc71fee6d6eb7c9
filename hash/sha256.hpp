#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ciro::hash {

/// SHA-256 (FIPS 180-4), incremental and constexpr, so that constants derived from SHA-256
/// (Starknet Poseidon's round constants) can be computed by the compiler.
///
/// Not tuned for throughput (no SHA-NI): it is used for constant derivation and small inputs.
/// Usage: `sha256 h; h.update(a); h.update(b); auto d = h.finalize();` — or sha256::digest(x).
class sha256 {
 public:
  /// A 32-byte digest.
  using digest_type = std::array<std::uint8_t, 32>;

  constexpr sha256() = default;

  /// Appends bytes to the message.
  constexpr void update(std::span<const std::uint8_t> data) {
    for (const std::uint8_t b : data) push(b);
  }
  /// Appends the bytes of a string (each char as its 8-bit code unit).
  constexpr void update(std::string_view data) {
    for (const char c : data) push(static_cast<std::uint8_t>(c));
  }

  /// Pads the message (0x80, zeros, 64-bit big-endian bit length) and returns the digest.
  /// The hasher must not be used afterwards.
  constexpr digest_type finalize() {
    const std::uint64_t bit_len = length_ * 8;
    push(0x80);
    while (fill_ != 56) push(0x00);
    for (int i = 7; i >= 0; --i) push(static_cast<std::uint8_t>(bit_len >> (8 * i)));
    digest_type out{};
    for (int i = 0; i < 8; ++i) {
      for (int k = 0; k < 4; ++k) out[4 * i + k] = static_cast<std::uint8_t>(h_[i] >> (24 - 8 * k));
    }
    return out;
  }

  /// SHA-256 of a byte string.
  static constexpr digest_type digest(std::span<const std::uint8_t> data) {
    sha256 h;
    h.update(data);
    return h.finalize();
  }
  /// SHA-256 of the bytes of a string.
  static constexpr digest_type digest(std::string_view data) {
    sha256 h;
    h.update(data);
    return h.finalize();
  }
  /// SHA-256 of a byte string as 64 lowercase hex digits.
  static std::string hex_digest(std::span<const std::uint8_t> data) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    for (const std::uint8_t b : digest(data)) {
      s += digits[b >> 4];
      s += digits[b & 15];
    }
    return s;
  }

 private:
  static constexpr std::uint32_t rotr(std::uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

  constexpr void push(std::uint8_t b) {
    block_[fill_++] = b;
    ++length_;
    if (fill_ == 64) {
      compress();
      fill_ = 0;
    }
  }

  /// The compression function on the buffered 64-byte block (FIPS 180-4 section 6.2.2).
  constexpr void compress() {
    constexpr std::uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
    std::uint32_t w[64] = {};
    for (int t = 0; t < 16; ++t) {
      w[t] = static_cast<std::uint32_t>(block_[4 * t]) << 24 | static_cast<std::uint32_t>(block_[4 * t + 1]) << 16 |
             static_cast<std::uint32_t>(block_[4 * t + 2]) << 8 | static_cast<std::uint32_t>(block_[4 * t + 3]);
    }
    for (int t = 16; t < 64; ++t) {
      const std::uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
      const std::uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
      w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    std::uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4], f = h_[5], g = h_[6], h = h_[7];
    for (int t = 0; t < 64; ++t) {
      const std::uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[t] + w[t];
      const std::uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h_[0] += a;
    h_[1] += b;
    h_[2] += c;
    h_[3] += d;
    h_[4] += e;
    h_[5] += f;
    h_[6] += g;
    h_[7] += h;
  }

  std::uint32_t h_[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::uint8_t block_[64] = {};
  std::size_t fill_ = 0;
  std::uint64_t length_ = 0;
};

}  // namespace ciro::hash
