#include "runtime/node.hpp"

#include <caf/all.hpp>

#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

#include "consensus/encoding.hpp"
#include "consensus/ledger.hpp"
#include "net/server.hpp"
#include "runtime/actors.hpp"
#include "runtime/kafka_bridge.hpp"
#include "runtime/node_service.hpp"

namespace ciro::runtime {

namespace {

/// How the replica's thread reaches the validator actor: set once it is spawned, cleared before
/// the actor system goes.
struct validator_link {
  std::mutex mutex;
  validator_actor actor;
};

}  // namespace

result<node_summary, int> run_node(const node_config& config, const std::atomic<bool>& stop) {
  auto dir = spool::open(config.spool);
  if (!dir) return dir.error();
  shared_state s(std::move(dir.value()), config);
  s.cores = config.cores ? config.cores : std::max(1u, std::thread::hardware_concurrency());
  s.workers = config.workers ? config.workers : s.cores;
  const auto recovery = s.dir.recover();
  s.summary.recovered = recovery.requeued;
  s.summary.failed += recovery.given_up.size();
  for (const auto& id : recovery.given_up) s.log("job " + id + " failed: it started " + std::to_string(spool::max_attempts) + " times without finishing");
  const bool measured = std::filesystem::exists(config.spool / "throughput.json");
  s.model = load_or_calibrate(config.spool);
  s.log(measured ? "throughput model read from throughput.json" : "throughput calibrated (throughput.json written)");
  if (s.summary.recovered) s.log(std::to_string(s.summary.recovered) + " jobs left running by a stopped node queued again");
  // The validator's parts outlive the actor system (they are declared before it): the replica's
  // thread calls the actor only through `link`, which is cleared before the actors go.
  validator_link link;
  std::optional<consensus::ledger> ledger;
  std::unique_ptr<replica_host> host;
  if (config.validator) {
    const validator_config& vc = *config.validator;
    s.proofs = std::make_shared<proof_verdicts>();
    const std::filesystem::path ledger_file = config.spool / "ledger.state";
    if (std::filesystem::exists(ledger_file)) {
      std::ifstream f(ledger_file, std::ios::binary);
      const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(f), {}};
      auto restored = consensus::ledger::restore(bytes, vc.validators);
      if (!restored) return error<int>{0, "the ledger state " + ledger_file.string() + " is not one of this validator set"};
      ledger.emplace(std::move(*restored));
    } else {
      if (std::filesystem::exists(config.spool / "replica.state"))
        s.log("warning: no " + ledger_file.string() + " beside the replica's state: the ledger starts afresh, without the batches already executed");
      ledger.emplace(vc.validators);
    }
    replica_host_config hc;
    hc.validators = vc.validators;
    hc.key = vc.key;
    hc.addresses = vc.addresses;
    hc.state_file = config.spool / "replica.state";
    hc.tick = vc.tick;
    replica_host::callbacks on;
    // Each committed batch in sequence order: the ledger first (slashes to the alerts topic), then
    // its verdicts to the validator actor.
    on.on_decision = [&link, &ledger, &s, &vc, ledger_file](const consensus::quorum_certificate& cert) {
      if (const auto gap = skipped_sequences(*ledger, cert)) {
        const std::string from = std::to_string(gap->first), to = std::to_string(gap->second);
        s.alert(R"({"alert": "ledger_gap", "from": )" + from + R"(, "to": )" + to + "}");
        s.log("warning: the ledger skipped sequences " + from + " to " + to +
              " (this validator caught up from a checkpoint): its uptime records and slashes may differ from the "
              "other validators' until an epoch restart starts every validator from one ledger state");
      }
      for (const auto& slash : apply_committed(*ledger, cert, vc.validators, *s.proofs)) s.alert(consensus::alert_json(slash));
      const std::vector<std::uint8_t> state = ledger->encode();
      if (!write_file_atomically(ledger_file, std::string_view(reinterpret_cast<const char*>(state.data()), state.size()))) {
        s.alert(R"({"alert": "ledger_not_written", "sequence": )" + std::to_string(cert.sequence) + "}");
        s.log("error: the ledger state could not be written after sequence " + std::to_string(cert.sequence) +
              " (disk full?): a restart now would start from an older ledger");
      }
      consensus::byte_writer w;
      consensus::encode(w, cert);
      std::lock_guard lock(link.mutex);
      if (link.actor) caf::anon_send(link.actor, decided_atom::value, std::string(w.data().begin(), w.data().end()));
    };
    auto started = replica_host::start(hc, s.proofs, std::move(on));
    if (!started) return started.error();
    host = std::move(started.value());
    s.consensus = host.get();
    s.log("validator " + std::to_string(host->self()) + " of " + std::to_string(vc.validators.size()) + " listening at " +
          host->listen_address());
  }
  {
    caf::actor_system_config cfg;
    // CAF's default work-stealing scheduler polls for work with 50 us sleeps when idle, which on a
    // small VM costs more CPU than the actors' own work (perf: a fifth of a busy farm's samples in
    // the wake-ups); the sharing scheduler waits on a condition variable instead.
    cfg.set("scheduler.policy", caf::atom("sharing"));
    caf::actor_system system{cfg};
    if (config.redis) {
      s.results = std::make_unique<result_cache>(*config.redis, [&s](const std::string& line) { s.alert(line); });
      s.log("result cache at redis " + config.redis->address.host + ":" + std::to_string(config.redis->address.port));
    }
    const publisher_actor pub = system.spawn(publisher, &s);
    const scheduler_actor sched = system.spawn(scheduler, &s);
    validator_actor val;
    if (config.validator) {
      val = system.spawn<caf::detached>(validator, &s, pub);
      std::lock_guard lock(link.mutex);
      link.actor = val;
    }
    const publisher_actor results = val ? publisher_actor(val) : pub;  // where the workers' results go
    std::vector<worker_actor> workers;
    for (unsigned i = 0; i < s.workers; ++i) {
      workers.push_back(system.spawn<caf::detached>(worker, &s, results, sched));
      caf::anon_send(sched, idle_atom::value, workers.back(), std::string());
    }
    aggregator_actor agg;
    if (config.batch.max_jobs > 0) agg = system.spawn(aggregator, &s, sched);
    const compiler_actor comp = system.spawn<caf::detached>(compiler, &s, sched, agg);
    const intake_actor in = system.spawn(intake, &s, comp);
    const auto stop_actors = [&] {
      for (const auto& a : workers) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(in, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(comp, caf::exit_reason::user_shutdown);
      if (agg) caf::anon_send_exit(agg, caf::exit_reason::user_shutdown);
      if (val) {
        {
          std::lock_guard lock(link.mutex);
          link.actor = validator_actor();
        }
        caf::anon_send_exit(val, caf::exit_reason::user_shutdown);
      }
      caf::anon_send_exit(sched, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(pub, caf::exit_reason::user_shutdown);
    };
    s.intake = in;
    s.scheduler = sched;
    node_service service(s);
    std::unique_ptr<net::server> front;
    std::unique_ptr<kafka_bridge> kafka;
    if (config.network) {
      auto started = net::server::start(*config.network, service);
      if (!started) {
        stop_actors();
        return started.error();
      }
      front = std::move(started.value());
      if (config.on_listening) config.on_listening(front->rpc_address(), front->metrics_address());
    }
    if (config.kafka) {
      auto bridge = kafka_bridge::start(*config.kafka, service, config.log);
      if (!bridge) {
        front.reset();
        stop_actors();
        return bridge.error();
      }
      kafka = std::move(bridge.value());
      {
        std::lock_guard lock(s.alert_mutex);
        s.alerts = [k = kafka.get()](const std::string& line) { k->alert(line); };
      }
      s.log("consuming " + config.kafka->jobs_topic + " in group " + config.kafka->group + " at " + config.kafka->brokers);
    }
    const auto idle = [&] {
      std::lock_guard lock(s.mutex);
      return s.dir.waiting() == 0 && s.queued.load() == 0 && s.running.load() == 0 && s.publishing.load() == 0;
    };
    for (;;) {
      std::this_thread::sleep_for(config.poll);
      if (stop.load()) break;
      // Idle twice, an intake poll apart: a job cannot be between in/ and the queue.
      if (config.once && idle()) {
        std::this_thread::sleep_for(config.poll * 2);
        if (idle()) break;
      }
    }
    // Drain: the intakes stop, queued jobs go back to in/, running ones finish.
    if (kafka) kafka->stop_intake();
    caf::anon_send(in, drain_atom::value);
    const auto drain_until = std::chrono::steady_clock::now() + (config.validator ? config.validator->drain_timeout : std::chrono::milliseconds(0));
    while (!s.drained.load() || s.running.load() > 0 || s.publishing.load() > 0) {
      // Results held for consensus wait at most the drain timeout: then they stay in work/.
      if (config.validator && s.drained.load() && s.running.load() == 0 && std::chrono::steady_clock::now() > drain_until) {
        s.log(std::to_string(s.publishing.load()) +
              " results still wait for their batch to commit: left in work/, proven again at the next start");
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    front.reset();  // after the running jobs' results went to their clients
    {
      std::lock_guard lock(s.mutex);
      save_model_and_metrics(s);
      s.listeners.clear();
      s.cancel_waiters.clear();
    }
    {
      std::lock_guard lock(s.alert_mutex);
      s.alerts = nullptr;
    }
    kafka.reset();  // results acknowledged, their offsets committed
    stop_actors();
  }
  return s.summary;
}

}  // namespace ciro::runtime
