#pragma once

#include <array>
#include <cstdint>
#include <span>

/// Ed25519 signatures (RFC 8032, pure Ed25519) through libsodium.
namespace ciro::consensus {

using public_key = std::array<std::uint8_t, 32>;
using signature = std::array<std::uint8_t, 64>;
/// RFC 8032's 32-byte secret key (the seed from which the scalar and the nonce key are hashed).
using secret_seed = std::array<std::uint8_t, 32>;

/// A signing key: the RFC 8032 secret (seed), its public key, and libsodium's expanded form
/// (seed || public key, 64 bytes) that crypto_sign_detached takes.
struct key_pair {
  secret_seed seed{};
  public_key public_key_bytes{};
  std::array<std::uint8_t, 64> expanded{};
};

/// The key pair of an RFC 8032 secret: A = [s]B with s the clamped first half of SHA-512(seed).
[[nodiscard]] key_pair key_pair_from_seed(const secret_seed& seed);

/// The deterministic Ed25519 signature (R, S) of `message` under `key` (RFC 8032 section 5.1.6).
[[nodiscard]] signature sign(const key_pair& key, std::span<const std::uint8_t> message);

/// Whether `sig` is a valid signature of `message` under `key` (RFC 8032 section 5.1.7, with
/// libsodium's checks: canonical S < L, no small-order A or R).
[[nodiscard]] bool verify(const public_key& key, std::span<const std::uint8_t> message, const signature& sig);

}  // namespace ciro::consensus
