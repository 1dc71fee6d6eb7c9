#include "runtime/job.hpp"

#include <set>

namespace ciro::runtime {

bool valid_job_id(std::string_view id) {
  if (id.empty() || id.size() > 128 || id.front() == '.') return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

result<job_spec, int> parse_job(std::string_view text) {
  using err = error<int>;
  if (text.size() > max_job_file_bytes) return err{0, "a job file is larger than 64 KiB"};
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return err{0, "a job is a JSON object"};
  static const std::set<std::string> keys = {"id",      "air",     "log_rows",    "instances", "model",
                                             "input",   "profile", "deadline_ms", "priority"};
  for (const auto& [k, v] : j.items()) {
    if (!keys.count(k)) return err{0, "unknown key '" + k.substr(0, 64) + "'"};
  }
  job_spec s;
  const auto string_of = [&](const char* k) -> std::optional<std::string> {
    if (!j.contains(k)) return std::nullopt;
    if (!j[k].is_string()) return std::string{};
    return j[k].get<std::string>();
  };
  const auto uint_of = [&](const char* k, std::uint64_t lo, std::uint64_t hi) -> std::optional<std::uint64_t> {
    if (!j.contains(k) || !j[k].is_number_unsigned()) return std::nullopt;
    const auto v = j[k].get<std::uint64_t>();
    if (v < lo || v > hi) return std::nullopt;
    return v;
  };
  const auto id = string_of("id");
  if (!id || !valid_job_id(*id)) return err{0, "\"id\" must be 1 to 128 characters of [A-Za-z0-9._-]"};
  s.id = *id;
  const bool air = j.contains("air"), model = j.contains("model");
  if (air == model) return err{0, "a job names either \"air\" or \"model\""};
  if (air) {
    const auto name = string_of("air");
    if (!name || name->empty() || name->size() > 64) return err{0, "\"air\" must name a statement"};
    const auto log_rows = uint_of("log_rows", 1, 30);
    if (!log_rows) return err{0, "\"log_rows\" must be an integer from 1 to 30"};
    s.air = *name;
    s.log_rows = static_cast<unsigned>(*log_rows);
    if (j.contains("instances")) {
      const auto n = uint_of("instances", 1, 4096);
      if (!n) return err{0, "\"instances\" must be an integer from 1 to 4096"};
      s.instances = static_cast<unsigned>(*n);
    }
    if (j.contains("input")) return err{0, "an AIR job takes no \"input\""};
  } else {
    s.what = job_spec::kind::model;
    const auto m = string_of("model"), in = string_of("input");
    if (!m || m->empty() || m->size() > 4096) return err{0, "\"model\" must be a path"};
    if (!in || in->empty() || in->size() > 4096) return err{0, "a model job needs \"input\", a path"};
    if (j.contains("log_rows") || j.contains("instances")) return err{0, "a model job takes no \"log_rows\""};
    s.model = *m;
    s.input = *in;
  }
  if (j.contains("profile")) {
    const auto p = string_of("profile");
    if (!p || (*p != "fast" && *p != "secure")) return err{0, "\"profile\" must be \"fast\" or \"secure\""};
    s.profile = *p;
  }
  if (j.contains("deadline_ms")) {
    const auto d = uint_of("deadline_ms", 1, std::uint64_t{1} << 40);
    if (!d) return err{0, "\"deadline_ms\" must be a positive integer"};
    s.deadline_ms = *d;
  }
  if (j.contains("priority")) {
    if (!j["priority"].is_number_integer()) return err{0, "\"priority\" must be an integer from -1000 to 1000"};
    const auto p = j["priority"].is_number_unsigned() && j["priority"].get<std::uint64_t>() > 1000
                       ? std::int64_t{1001}
                       : j["priority"].get<std::int64_t>();
    if (p < -1000 || p > 1000) return err{0, "\"priority\" must be an integer from -1000 to 1000"};
    s.priority = static_cast<int>(p);
  }
  return s;
}

std::string json_text(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

nlohmann::json result_json(const job_result& r) {
  nlohmann::json j;
  j["id"] = r.id;
  j["status"] = r.ok ? "done" : "failed";
  if (!r.ok) j["reason"] = r.reason;
  if (!r.details.is_null()) j["result"] = r.details;
  j["predicted_s"] = r.predicted_s ? nlohmann::json(*r.predicted_s) : nlohmann::json(nullptr);
  j["cost"] = {{"wall_s", r.cost.wall_s},
               {"cpu_s", r.cost.cpu_s},
               {"peak_rss_bytes", r.cost.peak_rss_bytes},
               {"device", r.cost.device},
               {"cores", r.cost.cores},
               {"price", r.cost.price}};
  return j;
}

}  // namespace ciro::runtime
