#include "consensus/signature_cache.hpp"

namespace ciro::consensus {

bool signature_cache::signed_by_sender(const message& m, const validator_set& validators) {
  if (m.sender >= validators.size()) return false;
  const public_key& key = validators[m.sender].key;
  std::vector<std::uint8_t> bytes = signing_bytes(m);
  if (const auto it = verified_.find(m.sig);
      it != verified_.end() && it->second.key == key && it->second.bytes == bytes) {
    return true;
  }
  ++verifications_;
  if (!verify(key, bytes, m.sig)) return false;
  if (verified_.size() >= capacity_) verified_.clear();
  verified_[m.sig] = signed_bytes{key, std::move(bytes)};
  return true;
}

}  // namespace ciro::consensus
