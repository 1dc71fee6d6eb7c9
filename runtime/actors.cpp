#include "runtime/actors.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace ciro::runtime {

namespace {

struct queued_job {
  std::string id, text;
  placement where;
  std::vector<std::string> members;  ///< the jobs' ids: its own, or a batch's jobs
};

struct scheduler_state {
  /// (-priority, arrival): the queue's order.
  std::map<std::pair<int, std::uint64_t>, queued_job> queue;
  std::vector<worker_actor> idle;
  /// Running jobs: their predicted seconds, start and cores.
  struct running_job {
    double predicted_s;
    std::chrono::steady_clock::time_point start;
    unsigned cores;
    std::vector<std::string> members;
  };
  std::map<std::string, running_job> running;
  unsigned busy_cores = 0;
  std::uint64_t arrivals = 0;
  bool draining = false;
};

}  // namespace

void save_model_and_metrics(shared_state& s) {
  s.last_saved = std::chrono::steady_clock::now();
  write_file_atomically(s.dir.dir() / "throughput.json", json_text(s.model.to_json()));
  nlohmann::json j = {{"done", s.summary.done},
                      {"failed", s.summary.failed},
                      {"refused", s.summary.refused},
                      {"recovered", s.summary.recovered},
                      {"predictions", s.predictions},
                      {"mean_abs_error_s", s.predictions ? s.abs_error_s / static_cast<double>(s.predictions) : 0.0},
                      {"mean_rel_error", s.predictions ? s.rel_error / static_cast<double>(s.predictions) : 0.0},
                      {"throughput", s.model.to_json()}};
  write_file_atomically(s.dir.dir() / "metrics.json", json_text(j));
}

namespace {

/// A result waiting for the publisher's next write.
struct publication {
  std::string id;
  bool ok = false;
  std::string result_text, proof, kind;
  double units = 0;
  std::string label;
  double wall_s = 0, cpu_s = 0, price = 0, predicted_s = 0;
};

/// After its result is on the disk: its blobs go, whoever waits for it is told, the metrics and
/// the throughput model learn it. Under s->mutex.
void published(shared_state* s, const publication& p) {
  s->dir.remove_blobs(p.id);
  s->metrics.finished(p.label, p.ok, p.wall_s, p.cpu_s, p.price, p.predicted_s);
  if (const auto it = s->content_of.find(p.id); it != s->content_of.end()) {
    if (p.ok && s->results) s->results->store(p.id, it->second, {p.result_text, p.proof});
    s->content_of.erase(it);
  }
  s->notify(answer_of_result(p.id, p.result_text, p.proof));
  ++(p.ok ? s->summary.done : s->summary.failed);
  if (p.ok) {
    if (p.predicted_s > 0) {
      ++s->predictions;
      s->abs_error_s += std::fabs(p.predicted_s - p.wall_s);
      s->rel_error += std::fabs(p.predicted_s - p.wall_s) / p.wall_s;
    }
    s->model.observe(p.kind, p.units, p.wall_s);
  }
}

}  // namespace

publisher_actor::behavior_type publisher(publisher_actor::pointer self, shared_state* s) {
  // The results of a batch arrive together: they are written together, with two syncs of the
  // spool's file system instead of two fsyncs each.
  auto pending = std::make_shared<std::vector<publication>>();
  return {
      [=](publish_atom, const std::string& id, bool ok, const std::string& result_text, const std::string& proof,
          const std::string& kind, double units, const std::string& label, double wall_s, double cpu_s, double price,
          double predicted_s) {
        pending->push_back({id, ok, result_text, proof, kind, units, label, wall_s, cpu_s, price, predicted_s});
        if (pending->size() == 1) self->send(self, write_atom::value);
      },
      [=](write_atom) {
        std::vector<publication> batch;
        batch.swap(*pending);
        std::vector<spool::finishing> files;
        for (const auto& p : batch) files.push_back({p.id, p.ok, p.result_text, p.proof});
        std::lock_guard lock(s->mutex);
        const std::vector<bool> written = s->dir.finish_many(files);
        for (std::size_t k = 0; k < batch.size(); ++k) {
          --s->publishing;
          if (!written[k]) {  // left in work/: the next start runs it again
            s->log("job " + batch[k].id + ": its result cannot be written; left in work/");
            continue;
          }
          published(s, batch[k]);
        }
        // At most once a second (two fsyncs each): a node killed in between loses a second of learning.
        if (std::chrono::steady_clock::now() - s->last_saved >= std::chrono::seconds(1)) save_model_and_metrics(*s);
      }};
}

namespace {

/// A worker's batch: proven as one proof, then each job's result published with it. The throughput
/// model learns the batch once (its jobs are published with no units of their own).
void prove_batch(worker_actor::pointer self, shared_state* s, const publisher_actor& publisher, const job_batch& b,
                 double predicted_s, unsigned cores, const std::string& kind) {
  {
    std::lock_guard lock(s->mutex);
    std::vector<std::string> ids;
    for (const auto& job : b.jobs) ids.push_back(job.id);
    s->dir.begin_attempts(ids);
  }
  s->log("batch " + b.id + " proving " + std::to_string(b.jobs.size()) + " jobs");
  std::vector<std::uint8_t> proof;
  batch_outcome out;
  try {
    out = run_batch(b, s->config.price, s->compiled, proof, cores);
  } catch (const std::exception& e) {  // run_batch catches the prover's; this is for the rest
    out = batch_outcome{};
    proof.clear();
    for (const auto& job : b.jobs) {
      job_result r;
      r.id = job.id;
      r.reason = "batch " + b.id + ": node error: " + e.what();
      out.jobs.push_back(std::move(r));
    }
  }
  const job_result& whole = out.whole;
  s->log("batch " + b.id + (whole.ok ? " done in " + std::to_string(whole.cost.wall_s) + " s" : " failed: " + whole.reason));
  if (whole.ok) {
    job_spec all = b.jobs[0];
    all.instances = first_instances(b).back();
    std::lock_guard lock(s->mutex);
    s->model.observe(kind, throughput_model::work_of(all).second, whole.cost.wall_s);
  }
  const std::string proof_bytes(reinterpret_cast<const char*>(proof.data()), proof.size());
  for (std::size_t k = 0; k < b.jobs.size(); ++k) {
    job_result& r = out.jobs[k];
    r.cost.cores = cores;
    if (predicted_s > 0) r.predicted_s = predicted_s;
    ++s->publishing;
    self->send(publisher, publish_atom::value, r.id, r.ok, json_text(result_json(r)), r.ok ? proof_bytes : std::string(),
               kind, 0.0, metrics_kind(b.jobs[k]), r.cost.wall_s, r.cost.cpu_s, r.cost.price, predicted_s);
  }
}

}  // namespace

worker_actor::behavior_type worker(worker_actor::pointer self, shared_state* s, publisher_actor publisher,
                                   scheduler_actor scheduler) {
  return {[=](run_atom, const std::string& id, const std::string& text, double predicted_s, unsigned cores,
              const std::string& kind) {
    if (auto batch = parse_batch(text)) {
      prove_batch(self, s, publisher, *batch, predicted_s, cores, kind);
      self->send(scheduler, idle_atom::value, caf::actor_cast<worker_actor>(self), id);
      return;
    }
    auto spec = parse_job(text);
    std::vector<std::uint8_t> proof;
    job_result r;
    std::pair<std::string, double> work{"", 0.0};
    std::string label = "invalid";
    if (!spec) {
      r.id = id;
      r.reason = spec.error().message;
    } else {
      work = throughput_model::work_of(spec.value());
      work.first = kind;  // the placement's: learned per cores used
      label = metrics_kind(spec.value());
      unsigned attempt = 0;
      {
        std::lock_guard lock(s->mutex);
        attempt = s->dir.begin_attempt(id);
      }
      s->log("job " + id + " proving" + (attempt > 1 ? " (attempt " + std::to_string(attempt) + ")" : std::string()));
      try {
        r = run_job(spec.value(), s->dir.dir(), s->config.price, s->compiled, proof, cores);
        r.cost.cores = cores;
      } catch (const std::exception& e) {  // run_job catches the prover's; this is for the rest
        r = job_result{};
        r.id = id;
        r.reason = std::string("node error: ") + e.what();
        proof.clear();
      }
      s->log("job " + id + (r.ok ? " done in " + std::to_string(r.cost.wall_s) + " s" : " failed: " + r.reason));
    }
    if (predicted_s > 0) r.predicted_s = predicted_s;
    ++s->publishing;
    self->send(publisher, publish_atom::value, id, r.ok, json_text(result_json(r)),
               std::string(reinterpret_cast<const char*>(proof.data()), proof.size()), work.first, work.second, label,
               r.cost.wall_s, r.cost.cpu_s, r.cost.price, predicted_s);
    self->send(scheduler, idle_atom::value, caf::actor_cast<worker_actor>(self), id);
  }};
}

scheduler_actor::behavior_type scheduler(scheduler_actor::pointer self, shared_state* s) {
  // The queue lives with the behavior (CAF 0.17's stateful_actor state is not reliable here).
  auto state = std::make_shared<scheduler_state>();
  // `queued` counts jobs the intake took and the scheduler has not started (its mailbox
  // included): the intake adds, the scheduler subtracts. `running` is the scheduler's alone.
  auto publish_counts = [state, s] {
    s->running = state->running.size();
    std::lock_guard lock(s->mutex);
    s->running_ids.clear();
    for (const auto& [id, r] : state->running) s->running_ids.insert(r.members.begin(), r.members.end());
  };
  auto dispatch = [self, state, s, publish_counts] {
    auto& st = *state;
    // The first job of the queue runs when a worker is idle and its cores are free (a large job
    // waits for all of them; the jobs behind it wait too, so it is not starved).
    while (!st.draining && !st.queue.empty() && !st.idle.empty()) {
      auto it = st.queue.begin();
      const placement& where = it->second.where;
      const bool fixed = s->config.threads_per_worker > 0;
      if (!fixed && st.busy_cores + where.cores > s->cores) break;
      worker_actor w = st.idle.back();
      st.idle.pop_back();
      self->send(w, run_atom::value, it->second.id, it->second.text, where.predicted_s, where.cores, where.kind);
      const unsigned counted = fixed ? 0 : where.cores;
      st.running[it->second.id] = {where.predicted_s, std::chrono::steady_clock::now(), counted, it->second.members};
      st.busy_cores += counted;
      s->queued -= it->second.members.size();
      st.queue.erase(it);
    }
    publish_counts();
  };
  return {
      [state, s, dispatch, publish_counts](submit_atom, const std::string& id, const std::string& text) {
        if (auto batch = parse_batch(text)) {  // from the aggregator, which weighed the deadlines
          std::vector<std::string> members;
          int priority = batch->jobs[0].priority;
          for (const auto& job : batch->jobs) {
            members.push_back(job.id);
            priority = std::max(priority, job.priority);
          }
          if (state->draining) {
            std::lock_guard lock(s->mutex);
            for (const auto& m : members) s->dir.put_back(m);
            s->summary.put_back += members.size();
            s->queued -= members.size();
            return;
          }
          job_spec whole = batch->jobs[0];
          whole.instances = first_instances(*batch).back();
          const auto [kind, units] = throughput_model::work_of(whole);
          placement where;
          {
            std::lock_guard lock(s->mutex);
            where = place(*s, kind, units);
          }
          state->queue[{-priority, state->arrivals++}] = {id, text, where, std::move(members)};
          dispatch();
          return;
        }
        const auto spec = parse_job(text);  // parsed by the intake already
        if (!spec || state->draining) {
          std::lock_guard lock(s->mutex);
          s->dir.put_back(id);
          ++s->summary.put_back;
          --s->queued;
          return;
        }
        const auto [kind, units] = throughput_model::work_of(spec.value());
        placement where;
        {
          std::lock_guard lock(s->mutex);
          where = place(*s, kind, units);
        }
        const double own = where.predicted_s;  // 0: never measured
        const std::pair<int, std::uint64_t> key{-spec.value().priority, state->arrivals++};
        if (spec.value().deadline_ms && own > 0) {
          double ahead = 0;
          for (const auto& [k, q] : state->queue)
            if (k < key) ahead += q.where.predicted_s;
          const auto now = std::chrono::steady_clock::now();
          for (const auto& [rid, r] : state->running)
            ahead += std::max(0.0, r.predicted_s - std::chrono::duration<double>(now - r.start).count());
          const double workers = static_cast<double>(s->workers);
          const double total = ahead / workers + own;
          if (total * 1000 > static_cast<double>(*spec.value().deadline_ms)) {
            {
              std::lock_guard lock(s->mutex);
              ++s->summary.refused;
            }
            s->metrics.refused();
            --s->queued;
            fail_now(*s, id,
                     "refused: the deadline of " + std::to_string(*spec.value().deadline_ms) + " ms cannot be met (predicted " +
                         std::to_string(static_cast<long long>(total * 1000)) + " ms)",
                     metrics_kind(spec.value()), total);
            publish_counts();
            return;
          }
        }
        state->queue[key] = {id, text, where, {id}};
        dispatch();
      },
      [state, dispatch](idle_atom, const worker_actor& w, const std::string& finished) {
        // A worker's first idle is its announcement (finished empty), later ones end a job.
        state->idle.push_back(w);
        if (const auto it = state->running.find(finished); it != state->running.end()) {
          state->busy_cores -= it->second.cores;
          state->running.erase(it);
        }
        dispatch();
      },
      [state, s, publish_counts](cancel_atom, const std::string& id) {
        // A job still queued is cancelled; the cancel's waiters hear where it is either way.
        bool in_batch = false;  // queued or running in a batch: proven with the others
        for (const auto& [key, q] : state->queue) in_batch = in_batch || (q.members.size() > 1 && std::count(q.members.begin(), q.members.end(), id));
        for (const auto& [rid, r] : state->running) in_batch = in_batch || (r.members.size() > 1 && std::count(r.members.begin(), r.members.end(), id));
        for (auto it = state->queue.begin(); it != state->queue.end() && !in_batch; ++it) {
          if (it->second.id != id) continue;
          state->queue.erase(it);
          --s->queued;
          const auto spec = parse_job(it->second.text);
          fail_now(*s, id, "cancelled before it ran", spec ? metrics_kind(spec.value()) : "invalid", std::nullopt, true);
          publish_counts();
          return;
        }
        std::lock_guard lock(s->mutex);
        const auto range = s->cancel_waiters.equal_range(id);
        if (range.first == range.second) return;
        net::job_answer a;
        a.id = id;
        a.status = state->running.count(id) || in_batch ? net::job_status::running : net::job_status::unknown;
        if (const auto stored = s->dir.result_of(id, false)) a = answer_of_result(id, stored->text, "");
        if (a.status == net::job_status::running) {
          a.reason = in_batch ? "in a batch: proven with the batch's other jobs, not cancelled"
                              : "running: a proof in progress is not interrupted";
        }
        std::vector<std::function<void(net::job_answer)>> waiters;
        for (auto it = range.first; it != range.second; ++it) waiters.push_back(std::move(it->second));
        s->cancel_waiters.erase(range.first, range.second);
        for (auto& w : waiters) w(a);
      },
      [state, s, publish_counts](drain_atom) {
        auto& st = *state;
        st.draining = true;
        {
          std::lock_guard lock(s->mutex);
          for (const auto& [key, job] : st.queue) {
            for (const auto& m : job.members) s->dir.put_back(m);
            s->summary.put_back += job.members.size();
            s->queued -= job.members.size();
          }
        }
        st.queue.clear();
        publish_counts();
        s->drained = true;
      },
  };
}

compiler_actor::behavior_type compiler(compiler_actor::pointer self, shared_state* s, scheduler_actor sched,
                                       aggregator_actor agg) {
  return {
      [self, s, sched, agg](compile_atom, const std::string& id, const std::string& text) {
        const auto spec = parse_job(text);  // parsed by the intake already
        if (spec && !s->intake_stopped.load()) {
          try {
            // A result proven before, here or by another node of the farm, is answered at once.
            std::optional<std::string> content;
            if (s->results) {
              if (auto key = content_key(spec.value(), s->dir.dir())) content = std::move(key.value());
              if (content) {
                if (const auto hit = s->results->lookup(id, *content)) {
                  --s->queued;
                  answer_from_cache(*s, id, *hit, metrics_kind(spec.value()));
                  return;
                }
              }
            }
            if (agg && batchable(spec.value())) {  // its batch's key is made by the worker that proves it
              if (content) {
                std::lock_guard lock(s->mutex);
                s->content_of[id] = std::move(*content);
              }
              self->send(agg, aggregate_atom::value, id, text);
              return;
            }
            const auto compiled = s->compiled.compile(spec.value(), s->dir.dir());
            if (!compiled) {
              --s->queued;
              fail_now(*s, id, compiled.error().message, metrics_kind(spec.value()));
              return;
            }
            s->metrics.compiled(compiled.value().cached, compiled.value().seconds);
            if (content) {  // for the publisher's write to the cache
              std::lock_guard lock(s->mutex);
              s->content_of[id] = std::move(*content);
            }
          } catch (const std::exception& e) {  // out of memory, say: the worker tries again
            s->log("job " + id + ": compile error: " + e.what());
          }
        }
        // A draining node's scheduler puts it back into in/, unparsed or not.
        self->send(sched, submit_atom::value, id, text);
      },
      [self, sched, agg](drain_atom) {
        if (agg) {
          self->send(agg, drain_atom::value);
        } else {
          self->send(sched, drain_atom::value);
        }
      },
  };
}

aggregator_actor::behavior_type aggregator(aggregator_actor::pointer self, shared_state* s, scheduler_actor sched) {
  struct open_batch {
    std::vector<std::string> ids, texts;
    unsigned instances = 0;
    std::uint64_t generation = 0;
  };
  struct aggregator_state {
    std::map<std::string, open_batch> open;  // by batch_key
    std::uint64_t generations = 0, batches = 0;
  };
  auto state = std::make_shared<aggregator_state>();
  const batch_config& config = s->config.batch;
  // Sends the open batch of `key` to the scheduler (a batch of one as the job alone).
  auto close = [self, state, sched](const std::string& key) {
    const auto it = state->open.find(key);
    if (it == state->open.end()) return;
    open_batch& b = it->second;
    if (b.ids.size() == 1) {
      self->send(sched, submit_atom::value, b.ids[0], b.texts[0]);
    } else {
      job_batch batch;
      batch.id = "batch-" + b.ids[0] + "-" + std::to_string(++state->batches);
      batch.texts = std::move(b.texts);
      self->send(sched, submit_atom::value, batch.id, batch_text(batch));
    }
    state->open.erase(it);
  };
  return {
      [self, s, sched, state, close, &config](aggregate_atom, const std::string& id, const std::string& text) {
        const auto spec = parse_job(text);  // parsed by the intake already
        if (!spec) {
          self->send(sched, submit_atom::value, id, text);
          return;
        }
        const auto [kind, units] = throughput_model::work_of(spec.value());
        if (spec.value().deadline_ms) {
          // Alone unless the window and a full batch's predicted time leave the deadline met.
          std::optional<double> batch_s;
          {
            std::lock_guard lock(s->mutex);
            batch_s = s->model.predict(kind, units * static_cast<double>(config.max_jobs));
          }
          const double window_s = std::chrono::duration<double>(config.window).count();
          if (!batch_s || (window_s + *batch_s) * 1000 > static_cast<double>(*spec.value().deadline_ms)) {
            self->send(sched, submit_atom::value, id, text);
            return;
          }
        }
        const std::string key = batch_key(spec.value());
        if (const auto it = state->open.find(key);
            it != state->open.end() && it->second.instances + spec.value().instances > max_batch_instances) {
          close(key);
        }
        open_batch& b = state->open[key];
        if (b.ids.empty()) {
          b.generation = ++state->generations;
          self->delayed_send(self, config.window, flush_atom::value, key, b.generation);
        }
        b.ids.push_back(id);
        b.texts.push_back(text);
        b.instances += spec.value().instances;
        if (b.ids.size() >= config.max_jobs) close(key);
      },
      [state, close](flush_atom, const std::string& key, std::uint64_t generation) {
        const auto it = state->open.find(key);
        if (it != state->open.end() && it->second.generation == generation) close(key);
      },
      [self, s, sched, state](drain_atom) {
        {
          std::lock_guard lock(s->mutex);
          for (const auto& [key, b] : state->open) {
            for (const auto& id : b.ids) s->dir.put_back(id);
            s->summary.put_back += b.ids.size();
            s->queued -= b.ids.size();
          }
        }
        state->open.clear();
        self->send(sched, drain_atom::value);
      },
  };
}

intake_actor::behavior_type intake(intake_actor::pointer self, shared_state* s, compiler_actor comp) {
  self->send(self, tick_atom::value);
  // Takes as many job files from in/ as the queue has room for and sends them to the compiler.
  const auto take_jobs = [self, s, comp] {
        if (s->intake_stopped.load()) return;
        // (room for two batches at least, so a batch can fill while the one before it is proven)
        const std::size_t room = std::max(s->config.queue_limit, 2 * s->config.batch.max_jobs) + s->workers;
        std::vector<spool::taken_job> taken;
        {
          std::lock_guard lock(s->mutex);
          const std::size_t used = s->queued.load() + s->running.load();
          if (used < room) taken = s->dir.take(room - used);
          s->queued += taken.size();  // with the take, so no check sees them nowhere
        }
        for (auto& t : taken) {
          try {
            auto spec = parse_job(t.text);
            std::string reason;
            if (!spec) {
              reason = spec.error().message;
            } else if (spec.value().id != t.id) {
              reason = "the job's \"id\" is not its file's name";
            }
            if (!reason.empty()) {
              --s->queued;
              s->metrics.received("invalid");
              fail_now(*s, t.id, reason, "invalid");
              continue;
            }
            s->metrics.received(metrics_kind(spec.value()));
            self->send(comp, compile_atom::value, t.id, t.text);
          } catch (const std::exception& e) {
            --s->queued;
            s->log("job " + t.id + " left in work/: " + e.what());
          }
        }
  };
  return {
      [=](tick_atom) {
        take_jobs();
        if (!s->intake_stopped.load()) self->delayed_send(self, s->config.poll, tick_atom::value);
      },
      [=](wake_atom) { take_jobs(); },  // a job just added (RPC): no wait for the next poll
      [=](drain_atom) {
        // Passed on from here, so the compiler and then the scheduler see it after every job this
        // intake sent.
        s->intake_stopped = true;
        self->send(comp, drain_atom::value);
      },
  };
}

}  // namespace ciro::runtime
