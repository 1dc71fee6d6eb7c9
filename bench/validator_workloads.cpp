// The validator workloads of `ciro bench`: batches committed per second by pBFT validators talking
// over loopback Cap'n Proto RPC between processes (runtime::replica_host, net::peer_network):
// validator 0 in this process, the others in child processes.

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bench/workload.hpp"
#include "core/check.hpp"
#include "runtime/job.hpp"
#include "runtime/job_runner.hpp"
#include "runtime/replica_host.hpp"
#include "net/free_port.hpp"

namespace ciro::bench {
namespace {

constexpr std::size_t batches = 64, verdicts_per_batch = 64;

/// The keys of the bench validators: SHA-256("ciro.bench.validator" || i) as seeds.
consensus::key_pair bench_key(std::size_t i) {
  const std::string name = "ciro.bench.validator" + std::to_string(i);
  return consensus::key_pair_from_seed(consensus::sha256({reinterpret_cast<const std::uint8_t*>(name.data()), name.size()}));
}

/// N validators over loopback RPC; validator 0 (the primary of view 0) is this process's.
class rpc_cluster {
 public:
  explicit rpc_cluster(std::size_t n) {
    std::vector<consensus::validator> vs;
    for (std::size_t i = 0; i < n; ++i) vs.push_back({bench_key(i).public_key_bytes, 1000, 100, 1000});
    config_.validators = consensus::validator_set::make(vs).value();
    for (const auto port : net::free_loopback_ports(n)) config_.addresses.push_back("127.0.0.1:" + std::to_string(port));
    for (std::size_t i = 1; i < n; ++i) {
      const pid_t pid = ::fork();
      CIRO_CHECK(pid >= 0);
      if (pid == 0) run_child(i);  // never returns
      children_.push_back(pid);
    }
    // One small real proof that every verdict names: each validator verifies it once.
    runtime::compile_cache compiled;
    std::vector<std::uint8_t> proof;
    const auto job = runtime::parse_job(R"({"id": "bench", "air": "fibonacci", "log_rows": 6})");
    CIRO_CHECK(run_job(job.value(), ".", runtime::prices{}, compiled, proof).ok);
    store_ = std::make_shared<runtime::proof_verdicts>();
    store_->add(std::string(proof.begin(), proof.end()));
    base_ = runtime::verdict_of("", proof);
    config_.key = bench_key(0);
    runtime::replica_host::callbacks on;
    on.on_decision = [this](const consensus::quorum_certificate&) {
      std::lock_guard lock(mutex_);
      ++decided_;
      changed_.notify_all();
    };
    auto host = runtime::replica_host::start(config_, store_, on);
    CIRO_CHECK(host.has_value());
    host_ = std::move(host.value());
    // Warm up: every link connected, the proof at every validator.
    commit(1, 1);
  }
  rpc_cluster(const rpc_cluster&) = delete;
  rpc_cluster& operator=(const rpc_cluster&) = delete;

  ~rpc_cluster() {
    host_.reset();
    for (const pid_t pid : children_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }

  /// Submits `count` batches of `per_batch` verdicts and waits until this validator has executed
  /// them all.
  void commit(std::size_t count, std::size_t per_batch) {
    std::uint64_t target = 0;
    {
      std::lock_guard lock(mutex_);
      target = decided_ + count;
    }
    for (std::size_t b = 0; b < count; ++b) {
      consensus::batch batch;
      batch.time_s = 1;
      for (std::size_t v = 0; v < per_batch; ++v) {
        consensus::verdict verdict = base_;
        verdict.job_id = "job" + std::to_string(next_job_++);
        batch.verdicts.push_back(std::move(verdict));
      }
      host_->submit(std::move(batch));
    }
    std::unique_lock lock(mutex_);
    CIRO_CHECK(changed_.wait_for(lock, std::chrono::seconds(120), [&] { return decided_ >= target; }));
  }

  [[nodiscard]] runtime::replica_host_stats stats() const { return host_->stats(); }

 private:
  /// A child: validator i until killed (or until its parent dies).
  [[noreturn]] void run_child(std::size_t i) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    runtime::replica_host_config c = config_;
    c.key = bench_key(i);
    auto host = runtime::replica_host::start(c, std::make_shared<runtime::proof_verdicts>(), {});
    if (!host) ::_exit(1);
    for (;;) ::pause();
  }

  runtime::replica_host_config config_;
  std::vector<pid_t> children_;
  std::shared_ptr<runtime::proof_verdicts> store_;
  consensus::verdict base_;
  std::unique_ptr<runtime::replica_host> host_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t decided_ = 0, next_job_ = 0;
};

workload rpc_commit_workload(std::size_t replicas) {
  return {"consensus.commit." + std::to_string(replicas) + ".rpc", "batches/s",
          std::to_string(replicas) + " pBFT validators in " + std::to_string(replicas) +
              " processes over loopback Cap'n Proto RPC: " + std::to_string(batches) + " batches of " +
              std::to_string(verdicts_per_batch) + " verdicts committed, every message signed and verified",
          [replicas] {
            auto cluster = std::make_shared<rpc_cluster>(replicas);
            return [cluster] {
              const auto before = cluster->stats().network.frames_sent;
              cluster->commit(batches, verdicts_per_batch);
              const auto sent = cluster->stats().network.frames_sent - before;
              return run_output{static_cast<double>(batches),
                                {{"frames_sent_per_batch_by_validator_0", static_cast<double>(sent) / batches}}};
            };
          }};
}

}  // namespace

std::vector<workload> validator_workloads() { return {rpc_commit_workload(4), rpc_commit_workload(7)}; }

}  // namespace ciro::bench
