#include "runtime/node_state.hpp"

#include <vector>

namespace ciro::runtime {

void shared_state::notify(const net::job_answer& answer) {
  std::vector<std::function<void(net::job_answer)>> waiting;
  for (auto* callbacks : {&listeners, &cancel_waiters}) {
    const auto range = callbacks->equal_range(answer.id);
    for (auto it = range.first; it != range.second; ++it) waiting.push_back(std::move(it->second));
    callbacks->erase(range.first, range.second);
  }
  for (auto& w : waiting) w(answer);
}

net::job_answer answer_of_result(const std::string& id, const std::string& result_text, std::string proof) {
  net::job_answer a;
  a.id = id;
  a.result_json = result_text;
  const nlohmann::json j = nlohmann::json::parse(result_text, nullptr, false);
  const std::string status = j.is_object() && j.contains("status") && j["status"].is_string() ? j["status"].get<std::string>() : "";
  a.status = status == "done"        ? net::job_status::done
             : status == "cancelled" ? net::job_status::cancelled
                                     : net::job_status::failed;
  if (a.status != net::job_status::done && j.is_object() && j.contains("reason") && j["reason"].is_string()) {
    a.reason = j["reason"].get<std::string>();
  }
  if (j.is_object() && j.contains("predicted_s") && j["predicted_s"].is_number()) a.predicted_s = j["predicted_s"].get<double>();
  if (a.status == net::job_status::done) a.proof = std::move(proof);
  return a;
}

void fail_now(shared_state& s, const std::string& id, const std::string& reason, const std::string& kind,
              std::optional<double> predicted, bool cancelled) {
  job_result r;
  r.id = id;
  r.reason = reason;
  r.predicted_s = predicted;
  nlohmann::json j = result_json(r);
  if (cancelled) j["status"] = "cancelled";
  const std::string text = json_text(j);
  std::lock_guard lock(s.mutex);
  if (!s.dir.finish(id, false, text, "")) {
    s.log("job " + id + ": its result cannot be written; left in work/");
    return;
  }
  s.dir.remove_blobs(id);
  s.metrics.finished(kind, false, 0, 0, 0, 0);
  s.notify(answer_of_result(id, text, ""));
  ++s.summary.failed;
  s.log("job " + id + (cancelled ? " cancelled" : " failed: " + reason));
}

void answer_from_cache(shared_state& s, const std::string& id, const cached_result& hit, const std::string& kind) {
  nlohmann::json j = nlohmann::json::parse(hit.result_text, nullptr, false);
  if (!j.is_object()) j = nlohmann::json::object();
  j["id"] = id;
  j["from_cache"] = true;
  // This job used nothing but a lookup; what the proof cost its first job stays beside it.
  if (j.contains("cost")) j["cost_of_proof"] = j["cost"];
  j["cost"] = {{"wall_s", 0.0}, {"cpu_s", 0.0}, {"peak_rss_bytes", 0}, {"device", "cache"}, {"cores", 0}, {"price", 0.0}};
  const std::string text = json_text(j);
  std::lock_guard lock(s.mutex);
  if (!s.dir.finish(id, true, text, hit.proof)) {
    s.log("job " + id + ": its result cannot be written; left in work/");
    return;
  }
  s.dir.remove_blobs(id);
  s.metrics.answered_from_cache(kind);
  s.notify(answer_of_result(id, text, hit.proof));
  ++s.summary.done;
  s.log("job " + id + " answered from the result cache");
}

placement place(const shared_state& s, const std::string& kind, double units) {
  if (s.config.threads_per_worker > 0) {  // the operator fixed each job's cores
    return {s.config.threads_per_worker, kind, s.model.predict(kind, units).value_or(0.0)};
  }
  const std::optional<double> all = s.model.predict(kind, units);
  if (s.cores > 1 && all && *all < small_job_s) {
    const std::string one = kind + ":1core";
    // Until measured on one core, assume the all-core time times the cores (perfect scaling).
    return {1, one, s.model.predict(one, units).value_or(*all * s.cores)};
  }
  return {s.cores, kind, all.value_or(0.0)};
}

std::string metrics_kind(const job_spec& job) { return job.what == job_spec::kind::air ? job.air : "model"; }

}  // namespace ciro::runtime
