// The consensus workloads of `ciro bench`: batches committed per second by simulated pBFT
// clusters (every message signed and verified, no network delay), and Ed25519 signatures and
// verifications per second (libsodium, one core).

#include <memory>
#include <string>
#include <vector>

#include "bench/workload.hpp"
#include "consensus/ed25519.hpp"
#include "consensus/message.hpp"
#include "consensus/simulator.hpp"
#include "core/check.hpp"

namespace ciro::bench {
namespace {

constexpr std::size_t batches = 64, verdicts_per_batch = 64;

/// N replicas, no Byzantine, no faults, every message delivered the next step: `batches` requests of
/// `verdicts_per_batch` verdicts each, all submitted at once; each replica verifies every message it
/// receives with its own signature cache. One thread runs all replicas.
workload commit_workload(std::size_t replicas) {
  return {"consensus.commit." + std::to_string(replicas), "batches/s",
          std::to_string(replicas) + " pBFT replicas in simulation, no delay: " + std::to_string(batches) +
              " batches of " + std::to_string(verdicts_per_batch) +
              " verdicts committed, every message signed and verified (one core for all replicas)",
          [replicas] {
            consensus::simulation_config config;
            config.replicas = replicas;
            config.byzantine = 0;
            config.faults = false;
            config.random_delays = false;
            config.requests = batches;
            config.verdicts_per_batch = verdicts_per_batch;
            config.checkpoint_interval = 16;
            config.window = 64;
            config.shared_verification = false;
            return [config] {
              const consensus::simulation_result r = consensus::simulate(config, 1);
              CIRO_CHECK(r.violations.empty() && r.batches_committed == batches);
              return run_output{
                  static_cast<double>(r.batches_committed),
                  {{"messages_per_batch", static_cast<double>(r.messages) / static_cast<double>(batches)}}};
            };
          }};
}

/// The signing bytes of a commit message (98 bytes), as every vote signs.
std::vector<std::uint8_t> commit_bytes(std::uint64_t sequence) {
  consensus::message m;
  m.kind = consensus::message_kind::commit;
  m.sequence = sequence;
  m.value[0] = static_cast<std::uint8_t>(sequence);
  return consensus::signing_bytes(m);
}

workload sign_workload() {
  return {"consensus.ed25519.sign", "sign/s", "Ed25519 signatures of 98-byte commit messages (libsodium, one core)",
          [] {
            constexpr int count = 2000;
            const auto key =
                std::make_shared<consensus::key_pair>(consensus::key_pair_from_seed(consensus::secret_seed{7}));
            return [key] {
              std::uint8_t acc = 0;
              for (int i = 0; i < count; ++i)
                acc ^= consensus::sign(*key, commit_bytes(static_cast<std::uint64_t>(i)))[0];
              return run_output{static_cast<double>(count), {{"checksum", static_cast<double>(acc)}}};
            };
          }};
}

workload verify_workload() {
  return {"consensus.ed25519.verify", "verify/s",
          "Ed25519 verifications of 98-byte commit messages (libsodium, one core)", [] {
            constexpr int count = 1000;
            const consensus::key_pair key = consensus::key_pair_from_seed(consensus::secret_seed{7});
            auto signed_messages =
                std::make_shared<std::vector<std::pair<std::vector<std::uint8_t>, consensus::signature>>>();
            for (int i = 0; i < count; ++i) {
              auto bytes = commit_bytes(static_cast<std::uint64_t>(i));
              const consensus::signature sig = consensus::sign(key, bytes);
              signed_messages->emplace_back(std::move(bytes), sig);
            }
            return [signed_messages, public_key = key.public_key_bytes] {
              for (const auto& [bytes, sig] : *signed_messages) CIRO_CHECK(consensus::verify(public_key, bytes, sig));
              return run_output{static_cast<double>(signed_messages->size()), {}};
            };
          }};
}

}  // namespace

std::vector<workload> consensus_workloads() {
  return {commit_workload(4), commit_workload(7), sign_workload(), verify_workload()};
}

}  // namespace ciro::bench
