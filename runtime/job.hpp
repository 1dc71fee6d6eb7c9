#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

/// Jobs and results of a proving node (docs/runtime.md): what a job file asks for, and what the
/// node writes back for it.
namespace ciro::runtime {

/// A job: an example AIR statement (`ciro prove --air`) or a model on an input (`ciro prove
/// --model`). Paths are relative to the spool directory unless absolute.
struct job_spec {
  enum class kind : std::uint8_t { air, model };
  std::string id;
  kind what = kind::air;
  std::string air;
  unsigned log_rows = 0, instances = 1;
  std::string model, input;
  std::string profile = "fast";
  std::optional<std::uint64_t> deadline_ms;
  int priority = 0;  ///< larger runs first
};

/// The largest job file parse_job takes.
inline constexpr std::size_t max_job_file_bytes = std::size_t{64} << 10;

/// A job id: 1 to 128 characters of [A-Za-z0-9._-], not starting with '.'.
[[nodiscard]] bool valid_job_id(std::string_view id);

/// Parses a job file: a JSON object with "id" and either "air" and "log_rows" (optional
/// "instances") or "model" and "input", optional "profile" ("fast" or "secure"), "deadline_ms"
/// and "priority" (-1000 .. 1000). Refuses, with a one-line reason, anything else: a text over
/// 64 KiB, unknown keys, wrong types, log_rows outside 1 .. 30, instances outside 1 .. 4096.
[[nodiscard]] result<job_spec, int> parse_job(std::string_view text);

/// What a job used, and what it cost at the operator's prices (docs/runtime.md, "Cost").
struct job_cost {
  double wall_s = 0;            ///< steady clock, from the start of the proof to its end
  double cpu_s = 0;             ///< user + system CPU time of the process over the job
  std::uint64_t peak_rss_bytes = 0;  ///< largest resident set sampled during the job
  std::string device = "cpu";
  unsigned cores = 0;           ///< cores of the job's TBB arena
  double price = 0;             ///< cpu_s / 3600 x the price of a core-hour
};

/// A job's outcome: its result, or its failure and the reason.
struct job_result {
  std::string id;
  bool ok = false;
  std::string reason;       ///< why it failed (one line)
  nlohmann::json details;   ///< the proof's statement: sizes, security, outputs, hashes
  job_cost cost;
  std::optional<double> predicted_s;  ///< the scheduler's prediction of wall_s, when it had one
};

/// `j` as the text of a file: indented, invalid UTF-8 replaced (never throws for a string).
[[nodiscard]] std::string json_text(const nlohmann::json& j);

/// The result file's JSON.
[[nodiscard]] nlohmann::json result_json(const job_result& r);

}  // namespace ciro::runtime
