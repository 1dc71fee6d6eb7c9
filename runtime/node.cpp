#include "runtime/node.hpp"

#include <caf/all.hpp>

#include <cmath>
#include <map>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

#include "net/server.hpp"
#include "runtime/actors.hpp"
#include "runtime/kafka_bridge.hpp"
#include "runtime/node_service.hpp"

namespace ciro::runtime {

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
  {
    caf::actor_system_config cfg;
    caf::actor_system system{cfg};
    if (config.redis) {
      s.results = std::make_unique<result_cache>(*config.redis, [&s](const std::string& line) { s.alert(line); });
      s.log("result cache at redis " + config.redis->address.host + ":" + std::to_string(config.redis->address.port));
    }
    const publisher_actor pub = system.spawn(publisher, &s);
    const scheduler_actor sched = system.spawn(scheduler, &s);
    std::vector<worker_actor> workers;
    for (unsigned i = 0; i < s.workers; ++i) {
      workers.push_back(system.spawn<caf::detached>(worker, &s, pub, sched));
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
    while (!s.drained.load() || s.running.load() > 0 || s.publishing.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
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
