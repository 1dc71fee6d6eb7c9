#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

/// Byte strings of the consensus layer: SHA-256 digests and their hex form.
namespace ciro::consensus {

/// A SHA-256 digest (32 bytes).
using digest = std::array<std::uint8_t, 32>;

/// SHA-256 of `bytes` (FIPS 180-4, libsodium's crypto_hash_sha256).
[[nodiscard]] digest sha256(std::span<const std::uint8_t> bytes);

/// Lower-case hex of `bytes` (two characters a byte).
[[nodiscard]] std::string to_hex(std::span<const std::uint8_t> bytes);

/// The N bytes that 2N hex characters (either case) spell; nothing for any other length or a
/// character outside [0-9a-fA-F].
template <std::size_t N>
[[nodiscard]] std::optional<std::array<std::uint8_t, N>> from_hex(std::string_view hex) {
  if (hex.size() != 2 * N) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::array<std::uint8_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

}  // namespace ciro::consensus
