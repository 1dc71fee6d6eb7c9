#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "consensus/certificate.hpp"
#include "consensus/verdict.hpp"

/// The properties the simulator checks after every step.
namespace ciro::consensus {

/// A property that failed: which, where, and the seed that replays the run.
struct violation {
  std::string property;  ///< "safety", "validity", "liveness" or "slashing" (an honest validator slashed)
  std::uint64_t seed = 0;
  std::uint64_t step = 0;
  std::uint64_t sequence = 0;
  std::string detail;
};

/// Safety (no two honest replicas commit different batches at one sequence number) and validity
/// (no honest replica commits a verdict that the oracle contradicts), over the decisions of
/// honest replicas as they happen.
class decision_checker {
 public:
  /// `check_validity`: whether validity is a property of this run (honest weight above 2/3).
  decision_checker(verdict_checker oracle, bool check_validity)
      : oracle_(std::move(oracle)), check_validity_(check_validity) {}

  /// Records honest `replica`'s decision; returns the first property it breaks.
  [[nodiscard]] std::optional<violation> record(std::uint32_t replica, const quorum_certificate& cert,
                                                std::uint64_t step);

  /// Distinct sequence numbers decided with a non-empty batch.
  [[nodiscard]] std::size_t batches_committed() const { return nonempty_; }
  /// Whether an honest replica decided the batch of this digest.
  [[nodiscard]] bool decided(const digest& d) const { return decided_.count(d) != 0; }

 private:
  verdict_checker oracle_;
  bool check_validity_;
  std::map<std::uint64_t, std::pair<digest, std::uint32_t>> by_sequence_;
  std::set<digest> decided_;
  std::size_t nonempty_ = 0;
};

}  // namespace ciro::consensus
