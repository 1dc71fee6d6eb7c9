#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/job.hpp"

/// What a node has measured of its own speed (docs/runtime.md, "Scheduling"): per kind of work, a
/// fixed overhead and a rate, so that a job of u units is predicted to take
///     t(u) = overhead + u / rate   seconds.
/// Kinds and units: an AIR statement "air:<name>" in rows (instances x 2^log_rows); a model
/// "model:<path>" in jobs (one circuit per model: every job of it is alike).
namespace ciro::runtime {

class throughput_model {
 public:
  struct rate {
    double overhead_s = 0, units_per_s = 0;
    std::uint64_t samples = 0;
  };

  /// The kind and units of a job.
  static std::pair<std::string, double> work_of(const job_spec& job);

  /// The predicted seconds of `units` of `kind`; nothing for a kind never measured.
  [[nodiscard]] std::optional<double> predict(const std::string& kind, double units) const;

  /// Learns from a finished job: the first sample of a kind sets its rate (with no overhead), later
  /// ones move it by a quarter of the way (an exponentially weighted mean of units / (t - overhead)).
  void observe(const std::string& kind, double units, double seconds);

  /// Sets a kind from two measured points (u1, t1), (u2, t2) with u1 < u2: the line through them.
  void seed(const std::string& kind, double u1, double t1, double u2, double t2);

  [[nodiscard]] const std::map<std::string, rate>& rates() const { return rates_; }
  [[nodiscard]] nlohmann::json to_json() const;
  /// Reads what to_json wrote; nothing for anything else.
  static std::optional<throughput_model> from_json(const nlohmann::json& j);

 private:
  std::map<std::string, rate> rates_;
};

/// The model of a node whose spool is `dir`: DIR/throughput.json when it is there and readable,
/// else a calibration (two small proofs of each example statement on all cores, one to two seconds
/// on two), saved there.
throughput_model load_or_calibrate(const std::filesystem::path& dir);

}  // namespace ciro::runtime
