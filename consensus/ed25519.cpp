#include "consensus/ed25519.hpp"

#include "consensus/sodium.hpp"
#include "core/check.hpp"

namespace ciro::consensus {

key_pair key_pair_from_seed(const secret_seed& seed) {
  ensure_sodium();
  key_pair key;
  key.seed = seed;
  CIRO_CHECK(crypto_sign_seed_keypair(key.public_key_bytes.data(), key.expanded.data(), seed.data()) == 0);
  return key;
}

signature sign(const key_pair& key, std::span<const std::uint8_t> message) {
  ensure_sodium();
  signature sig{};
  CIRO_CHECK(crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), key.expanded.data()) == 0);
  return sig;
}

bool verify(const public_key& key, std::span<const std::uint8_t> message, const signature& sig) {
  ensure_sodium();
  return crypto_sign_verify_detached(sig.data(), message.data(), message.size(), key.data()) == 0;
}

}  // namespace ciro::consensus
