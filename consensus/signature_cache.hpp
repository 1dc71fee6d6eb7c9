#pragma once

#include <cstddef>
#include <unordered_map>
#include <vector>

#include "consensus/message.hpp"
#include "consensus/validator_set.hpp"

namespace ciro::consensus {

/// Remembers which (key, message, signature) triples verified, so that a message received again
/// (a retransmission, a copy nested in a view change) costs a comparison of its bytes instead of
/// an Ed25519 verification: entries are keyed by signature and hold the key and the signed bytes,
/// which must match exactly. Failed checks are not remembered. Not thread-safe: one per replica, or one per
/// single-threaded simulation.
class signature_cache {
 public:
  /// At most `capacity` entries; the cache is emptied when full.
  explicit signature_cache(std::size_t capacity = 1 << 16) : capacity_(capacity) {}

  /// Whether m.sig is m.sender's signature of signing_bytes(m) under `validators` (false when
  /// the sender is not a validator).
  [[nodiscard]] bool signed_by_sender(const message& m, const validator_set& validators);

  [[nodiscard]] std::size_t verifications() const { return verifications_; }

 private:
  struct signature_hash {
    std::size_t operator()(const signature& s) const {
      std::size_t h = 0;
      for (int i = 0; i < 8; ++i) h = (h << 8) | s[static_cast<std::size_t>(i)];
      return h;
    }
  };
  struct signed_bytes {
    public_key key{};
    std::vector<std::uint8_t> bytes;
  };
  std::size_t capacity_;
  std::size_t verifications_ = 0;
  std::unordered_map<signature, signed_bytes, signature_hash> verified_;
};

}  // namespace ciro::consensus
