#include "runtime/throughput.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>

#include "runtime/job_runner.hpp"
#include "runtime/spool.hpp"

namespace ciro::runtime {

std::pair<std::string, double> throughput_model::work_of(const job_spec& job) {
  if (job.what == job_spec::kind::model) return {"model:" + job.model + ":" + job.profile, 1.0};
  return {"air:" + job.air + ":" + job.profile, static_cast<double>(job.instances) * std::ldexp(1.0, static_cast<int>(job.log_rows))};
}

std::optional<double> throughput_model::predict(const std::string& kind, double units) const {
  const auto it = rates_.find(kind);
  if (it == rates_.end() || !(it->second.units_per_s > 0)) return std::nullopt;
  return it->second.overhead_s + units / it->second.units_per_s;
}

void throughput_model::observe(const std::string& kind, double units, double seconds) {
  if (!(units > 0) || !(seconds > 0)) return;
  rate& r = rates_[kind];
  const double work_s = std::max(seconds - r.overhead_s, 0.1 * seconds);
  const double measured = units / work_s;
  r.units_per_s = r.samples == 0 ? measured : 0.75 * r.units_per_s + 0.25 * measured;
  ++r.samples;
}

void throughput_model::seed(const std::string& kind, double u1, double t1, double u2, double t2) {
  rate& r = rates_[kind];
  const double slope = (t2 - t1) / (u2 - u1);  // seconds per unit
  if (slope > 0) {
    r.units_per_s = 1.0 / slope;
    r.overhead_s = std::max(0.0, t1 - u1 * slope);
  } else {
    r.units_per_s = u2 / t2;
    r.overhead_s = 0;
  }
  r.samples = 2;
}

nlohmann::json throughput_model::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [kind, r] : rates_)
    j[kind] = {{"overhead_s", r.overhead_s}, {"units_per_s", r.units_per_s}, {"samples", r.samples}};
  return j;
}

std::optional<throughput_model> throughput_model::from_json(const nlohmann::json& j) {
  if (!j.is_object() || j.size() > 4096) return std::nullopt;
  throughput_model m;
  for (const auto& [kind, v] : j.items()) {
    if (!v.is_object() || !v.contains("overhead_s") || !v.contains("units_per_s") || !v.contains("samples") ||
        !v["overhead_s"].is_number() || !v["units_per_s"].is_number() || !v["samples"].is_number_unsigned())
      return std::nullopt;
    rate r{v["overhead_s"].get<double>(), v["units_per_s"].get<double>(), v["samples"].get<std::uint64_t>()};
    if (!(r.overhead_s >= 0) || !(r.units_per_s > 0)) return std::nullopt;
    m.rates_[kind] = r;
  }
  return m;
}

throughput_model load_or_calibrate(const std::filesystem::path& dir) {
  const auto path = dir / "throughput.json";
  {
    std::ifstream in(path);
    if (in) {
      const auto j = nlohmann::json::parse(in, nullptr, false);
      if (auto m = throughput_model::from_json(j)) return *m;
    }
  }
  throughput_model m;
  // Two sizes of each example statement, proven as jobs are (the fast profile).
  const std::pair<const char*, std::pair<unsigned, unsigned>> examples[] = {
      {"fibonacci", {10, 13}}, {"poseidon2", {7, 10}}, {"range-check", {12, 15}}, {"permutation", {10, 13}}};
  std::vector<std::uint8_t> proof;
  compile_cache compiled;  // compiled before each timed proof, as the node's compiler does
  for (const auto& [air, sizes] : examples) {
    job_spec job;
    job.id = "calibration";
    job.air = air;
    double t[2] = {0, 0}, u[2] = {0, 0};
    for (int i = 0; i < 2; ++i) {
      job.log_rows = i == 0 ? sizes.first : sizes.second;
      if (!compiled.compile(job, dir)) break;
      const job_result r = run_job(job, dir, {}, compiled, proof);
      if (!r.ok) break;
      t[i] = r.cost.wall_s;
      u[i] = throughput_model::work_of(job).second;
    }
    if (t[0] > 0 && t[1] > 0) m.seed(throughput_model::work_of(job).first, u[0], t[0], u[1], t[1]);
  }
  write_file_atomically(path, json_text(m.to_json()));
  return m;
}

}  // namespace ciro::runtime
