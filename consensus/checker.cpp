#include "consensus/checker.hpp"

namespace ciro::consensus {

std::optional<violation> decision_checker::record(std::uint32_t replica, const quorum_certificate& cert,
                                                  std::uint64_t step) {
  const digest d = batch_digest(cert.committed);
  const auto [it, first] = by_sequence_.emplace(cert.sequence, std::pair(d, replica));
  if (first) {
    decided_.insert(d);
    if (!cert.committed.verdicts.empty()) ++nonempty_;
  } else if (it->second.first != d) {
    violation v;
    v.property = "safety";
    v.step = step;
    v.sequence = cert.sequence;
    v.detail = "replicas " + std::to_string(it->second.second) + " and " + std::to_string(replica) +
               " committed different batches (" + to_hex(it->second.first).substr(0, 16) + ", " +
               to_hex(d).substr(0, 16) + ")";
    return v;
  }
  if (check_validity_) {
    for (std::size_t i = 0; i < cert.committed.verdicts.size(); ++i) {
      if (oracle_(cert.committed.verdicts[i])) continue;
      violation v;
      v.property = "validity";
      v.step = step;
      v.sequence = cert.sequence;
      v.detail = "replica " + std::to_string(replica) + " committed verdict " + std::to_string(i) +
                 " that its proof contradicts";
      return v;
    }
  }
  return std::nullopt;
}

}  // namespace ciro::consensus
