#include "consensus/digest.hpp"

#include "consensus/sodium.hpp"

namespace ciro::consensus {

digest sha256(std::span<const std::uint8_t> bytes) {
  ensure_sodium();
  digest out{};
  crypto_hash_sha256(out.data(), bytes.data(), bytes.size());
  return out;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const std::uint8_t b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

}  // namespace ciro::consensus
