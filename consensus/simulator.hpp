#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "consensus/certificate.hpp"
#include "consensus/checker.hpp"
#include "consensus/replica.hpp"
#include "consensus/validator_set.hpp"

/// A deterministic simulation of N replicas under a seeded schedule (docs/consensus.md).
namespace ciro::consensus {

/// What a Byzantine replica does (chosen per replica from the schedule's seed, or `collude`).
enum class byzantine_behaviour : std::uint8_t {
  silent,         ///< sends nothing
  equivocate,     ///< as primary, different pre-prepares to different replicas; conflicting votes
  invalid_votes,  ///< accepts every verdict; as primary, proposes "valid" for proofs that fail
  forge,          ///< also sends copies under other validators' names, forged or unsigned
  replay,         ///< also re-sends old messages it received to random replicas
  collude,        ///< with the other Byzantine replicas, splits the honest ones between two batches
};

[[nodiscard]] const char* behaviour_name(byzantine_behaviour b);

/// A simulation: the fixed parts; the schedule (requests, delays, loss, duplication, partitions,
/// crashes, behaviours) is drawn from the seed.
struct simulation_config {
  std::size_t replicas = 4;
  std::size_t byzantine = 1;  ///< replicas 0 .. byzantine-1 (so the first primary is one of them)
  /// Every Byzantine replica behaves so (collude: the split attack); none: drawn per replica from
  /// the seed among the first five behaviours.
  std::optional<byzantine_behaviour> behaviour;
  bool faults = true;                   ///< loss, partitions and crashes until the heal step
  std::size_t requests = 0;             ///< 0: 2 to 5 drawn from the seed
  std::size_t verdicts_per_batch = 0;   ///< 0: 1 to 4 drawn from the seed
  std::uint64_t max_delay = 0;          ///< 0: 1 to 4 steps drawn from the seed; deliveries take 1 .. max_delay steps
  bool random_delays = true;            ///< false: every message arrives the next step, none lost or copied
  std::uint64_t liveness_bound = 3000;  ///< steps after the heal step by which every request commits
  std::uint64_t request_timeout = 40;
  std::uint64_t checkpoint_interval = 8;
  std::uint64_t window = 32;
  /// One signature cache for all replicas (each distinct message verified once in the whole
  /// simulation: fast tests) or one per replica (each replica verifies what it receives, as
  /// deployed validators do: what the benchmarks measure).
  bool shared_verification = true;
};

/// One schedule's outcome.
struct simulation_result {
  std::uint64_t seed = 0;
  std::uint64_t steps = 0;
  std::uint64_t heal_step = 0;
  std::size_t requests = 0;
  std::size_t batches_committed = 0;  ///< distinct sequences decided with a batch (honest replicas)
  std::uint64_t view_changes = 0;     ///< the highest view an honest replica reached
  std::size_t slashes = 0;            ///< slash events of the simulation's ledger
  std::uint64_t messages = 0;         ///< messages delivered
  drop_counters drops;                ///< summed over honest replicas
  std::vector<violation> violations;
  std::optional<quorum_certificate> first_certificate;  ///< the first batch an honest replica decided
};

/// The simulation's validator set: N validators of equal stake (1000 units), full reputation and
/// uptime, keys from SHA-256("ciro.simulator.validator" || i).
[[nodiscard]] validator_set simulation_validators(std::size_t replicas);
[[nodiscard]] key_pair simulation_key(std::size_t replica);

/// The proof oracle of the simulation: a proof verifies when the first byte of its digest is not
/// a multiple of 4; a verdict is right when its `valid` says so.
[[nodiscard]] bool simulation_oracle(const verdict& v);

/// Runs the schedule of `seed`. Checks safety and validity after every step (validity only while
/// honest weight is above two thirds), that no honest validator is slashed on the evidence the
/// honest replicas find, and, with at most f Byzantine replicas and no collusion, liveness:
/// every request committed within liveness_bound steps of the heal step. The run stops at the
/// first violation. The same config and seed give the same result.
[[nodiscard]] simulation_result simulate(const simulation_config& config, std::uint64_t seed);

/// Totals over schedules seed, seed + 1, ..., seed + schedules - 1 (a failing schedule is replayed
/// alone by its seed).
struct simulation_summary {
  std::size_t schedules = 0;
  std::size_t batches_committed = 0;
  std::uint64_t view_changes = 0;
  std::size_t slashes = 0;
  std::uint64_t messages = 0;
  drop_counters drops;
  std::vector<violation> violations;
  std::optional<quorum_certificate> first_certificate;
};
[[nodiscard]] simulation_summary simulate_many(const simulation_config& config, std::uint64_t seed,
                                               std::size_t schedules);

}  // namespace ciro::consensus
