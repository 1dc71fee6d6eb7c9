#include "runtime/node_service.hpp"

#include <algorithm>
#include <thread>

#include "field/packed.hpp"
#include "kernels/cuda/cuda_backend.hpp"
#include "kernels/cuda/cuda_self_test.hpp"
#include "stark/proof_check.hpp"
#include "zkml/model_proof.hpp"

namespace ciro::runtime {

namespace {

net::job_answer answer(const std::string& id, net::job_status status, std::string reason = {}) {
  net::job_answer a;
  a.id = id;
  a.status = status;
  a.reason = std::move(reason);
  return a;
}

/// The GPUs this node found (each self-tested against the CPU) and what it says about them, found
/// once: the node proves on its CPU cores either way, as GPU workers are not built yet.
struct gpu_survey {
  std::vector<net::gpu_health> gpus;
  std::string note;
};
const gpu_survey& gpus_found() {
  static const gpu_survey survey = [] {
    gpu_survey s;
    const auto inventory = kernels::cuda_devices();
    for (const auto& d : inventory.devices) s.gpus.push_back({d.name, d.memory_bytes, kernels::cuda_self_test(d.ordinal)});
    s.note = s.gpus.empty() ? inventory.note : "this node proves on its CPU cores: GPU workers are not built yet";
    return s;
  }();
  return survey;
}

}  // namespace

net::job_answer node_service::submit(const net::job_submission& job, std::function<void(net::job_answer)> on_result) {
  nlohmann::json j = nlohmann::json::parse(job.job_json, nullptr, false);
  if (!j.is_object()) return answer("", net::job_status::failed, "a job is a JSON object");
  const std::string id = j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>() : "";
  if (!valid_job_id(id)) return answer(id.substr(0, 128), net::job_status::failed, "\"id\" must be 1 to 128 characters of [A-Za-z0-9._-]");
  const bool model = !job.model_bytes.empty() || !job.input_bytes.empty();
  if (model) {
    if (j.contains("model") || j.contains("input")) return answer(id, net::job_status::failed, "a model job sends the files, not paths");
    j["model"] = "blobs/" + id + ".onnx";
    j["input"] = "blobs/" + id + ".input";
  }
  const std::string text = json_text(j);
  const auto spec = parse_job(text);
  if (!spec) return answer(id, net::job_status::failed, spec.error().message);

  std::lock_guard lock(s_.mutex);
  // One id, one result: a job already here answers for this one.
  switch (s_.dir.locate(id)) {
    case spool::place::out:
    case spool::place::failed: {
      const auto stored = s_.dir.result_of(id, true);
      if (stored) return answer_of_result(id, stored->text, stored->proof);
      break;
    }
    case spool::place::in:
    case spool::place::work:
      s_.listeners.emplace(id, std::move(on_result));
      return answer(id, s_.running_ids.count(id) ? net::job_status::running : net::job_status::queued);
    case spool::place::none:
      break;
  }
  const auto [kind, units] = throughput_model::work_of(spec.value());
  const placement where = place(s_, kind, units);
  const std::optional<double> predicted = where.predicted_s > 0 ? std::optional(where.predicted_s) : std::nullopt;
  if (s_.intake_stopped.load()) {
    auto a = answer(id, net::job_status::busy, "the node is stopping");
    a.retry_after_ms = 1000;
    return a;
  }
  const std::size_t room = s_.config.queue_limit + s_.workers;
  const std::size_t used = s_.dir.waiting() + s_.queued.load() + s_.running.load();
  if (used >= room) {
    // A place frees when a job ends: about one job's time per worker for each job over the limit.
    const double per_job = predicted.value_or(0.05);
    const double wait_s = per_job * static_cast<double>(used - room + 1) / static_cast<double>(s_.workers);
    auto a = answer(id, net::job_status::busy, "the node's queue is full (" + std::to_string(used) + " jobs)");
    a.retry_after_ms = static_cast<std::uint32_t>(std::clamp(wait_s * 1000, 5.0, 30000.0));
    a.predicted_s = predicted;
    return a;
  }
  if (model && (!write_file_atomically(s_.dir.blobs() / (id + ".onnx"), job.model_bytes) ||
                !write_file_atomically(s_.dir.blobs() / (id + ".input"), job.input_bytes))) {
    s_.dir.remove_blobs(id);
    return answer(id, net::job_status::failed, "the node cannot store the model and input (disk full?)");
  }
  if (!s_.dir.add(id, text)) {
    s_.dir.remove_blobs(id);
    return answer(id, net::job_status::failed, "the node cannot write its spool (disk full?)");
  }
  s_.listeners.emplace(id, std::move(on_result));
  caf::anon_send(s_.intake, wake_atom::value);
  auto a = answer(id, net::job_status::queued);
  a.predicted_s = predicted;
  return a;
}

net::job_answer node_service::status(const std::string& id, bool with_proof) {
  if (!valid_job_id(id)) return answer(id.substr(0, 128), net::job_status::unknown, "not a job id");
  std::lock_guard lock(s_.mutex);
  switch (s_.dir.locate(id)) {
    case spool::place::out:
    case spool::place::failed: {
      const auto stored = s_.dir.result_of(id, with_proof);
      if (stored) return answer_of_result(id, stored->text, stored->proof);
      return answer(id, net::job_status::unknown);
    }
    case spool::place::in: return answer(id, net::job_status::queued);
    case spool::place::work: return answer(id, s_.running_ids.count(id) ? net::job_status::running : net::job_status::queued);
    case spool::place::none: break;
  }
  return answer(id, net::job_status::unknown);
}

void node_service::cancel(const std::string& id, std::function<void(net::job_answer)> on_done) {
  if (!valid_job_id(id)) return on_done(answer(id.substr(0, 128), net::job_status::unknown, "not a job id"));
  std::unique_lock lock(s_.mutex);
  switch (s_.dir.locate(id)) {
    case spool::place::out:
    case spool::place::failed: {
      const auto stored = s_.dir.result_of(id, false);
      lock.unlock();
      return on_done(stored ? answer_of_result(id, stored->text, "") : answer(id, net::job_status::unknown));
    }
    case spool::place::in:
      if (s_.dir.take_one(id)) {  // not taken by the intake yet: cancelled here
        s_.cancel_waiters.emplace(id, std::move(on_done));
        lock.unlock();
        fail_now(s_, id, "cancelled before it ran", "cancelled", std::nullopt, true);
        return;
      }
      break;  // the intake took it meanwhile: ask the scheduler
    case spool::place::work:
      if (s_.running_ids.count(id)) {
        lock.unlock();
        return on_done(answer(id, net::job_status::running, "running: a proof in progress is not interrupted"));
      }
      break;
    case spool::place::none:
      lock.unlock();
      return on_done(answer(id, net::job_status::unknown));
  }
  s_.cancel_waiters.emplace(id, std::move(on_done));
  caf::anon_send(s_.scheduler, cancel_atom::value, id);
}

net::verdict node_service::verify(const std::string& proof, unsigned min_security_bits) {
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(proof.data()), proof.size());
  if (zkml::is_model_proof(bytes)) {
    const auto r = zkml::verify_model(bytes);
    if (!r) return {false, "invalid: " + r.error().message};
    if (r.value().security_bits < min_security_bits) {
      return {false, "invalid: the proof gives " + std::to_string(r.value().security_bits) + "-bit security, below the minimum of " +
                         std::to_string(min_security_bits)};
    }
    const auto& st = r.value().statement;
    return {true, "valid: a model proof of model " + st.model_hash.to_hex() + " on input " + st.input_commitment.to_hex() + ", " +
                      std::to_string(st.outputs.size()) + " output(s), " + std::to_string(r.value().security_bits) +
                      "-bit security (model and input not checked: `ciro verify --model --input` checks them)"};
  }
  const auto c = stark::check_proof_file(bytes, min_security_bits);
  return {c.outcome == stark::proof_check::valid, c.message};
}

node_metrics::gauges node_service::gauges() {
  node_metrics::gauges g;
  if (s_.results) g.cache = s_.results->stats();
  std::lock_guard lock(s_.mutex);
  g.waiting = s_.dir.waiting();
  g.queued = s_.queued.load();
  g.running = s_.running.load();
  g.workers = s_.workers;
  g.model = s_.model;
  return g;
}

net::node_health node_service::health() {
  net::node_health h;
  h.version = CIRO_VERSION;
  h.cores = std::thread::hardware_concurrency();
  h.simd_target = field::packed::simd_target();
  h.gpus = gpus_found().gpus;
  h.gpu_note = gpus_found().note;
  const auto g = gauges();
  h.waiting = g.waiting;
  h.queued = g.queued;
  h.running = g.running;
  h.workers = g.workers;
  return h;
}

std::string node_service::prometheus_metrics() { return s_.metrics.prometheus(gauges()); }

std::string node_service::status_page() { return s_.metrics.status_page(gauges(), health()); }

}  // namespace ciro::runtime
