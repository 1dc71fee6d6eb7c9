#include "runtime/batch.hpp"

#include <nlohmann/json.hpp>

#include "stark/examples.hpp"
#include "stark/proof.hpp"

namespace ciro::runtime {

bool batchable(const job_spec& job) { return job.what == job_spec::kind::air && stark::example_batches(job.air); }

std::string batch_key(const job_spec& job) { return job.air + "/" + std::to_string(job.log_rows) + "/" + job.profile; }

std::string batch_text(const job_batch& b) { return nlohmann::json{{"batch", b.id}, {"jobs", b.texts}}.dump(); }

std::optional<job_batch> parse_batch(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.size() != 2 || !j.contains("batch") || !j["batch"].is_string() ||
      !j.contains("jobs") || !j["jobs"].is_array() || j["jobs"].empty()) {
    return std::nullopt;
  }
  job_batch b;
  b.id = j["batch"].get<std::string>();
  for (const auto& t : j["jobs"]) {
    if (!t.is_string()) return std::nullopt;
    auto spec = parse_job(t.get<std::string>());
    if (!spec || !batchable(spec.value()) || (!b.jobs.empty() && batch_key(spec.value()) != batch_key(b.jobs[0]))) {
      return std::nullopt;
    }
    b.texts.push_back(t.get<std::string>());
    b.jobs.push_back(std::move(spec.value()));
  }
  return b;
}

std::vector<unsigned> first_instances(const job_batch& b) {
  std::vector<unsigned> first{0};
  for (const auto& job : b.jobs) first.push_back(first.back() + job.instances);
  return first;
}

}  // namespace ciro::runtime
