#include "runtime/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/html.hpp"

namespace ciro::runtime {

namespace {

std::int64_t minute_now() {
  return std::chrono::duration_cast<std::chrono::minutes>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// A Prometheus label value: backslash, quote and newline escaped.
std::string label(const std::string& v) {
  std::string s;
  for (const char c : v) {
    if (c == '\\' || c == '"') s += '\\';
    if (c == '\n') {
      s += "\\n";
      continue;
    }
    s += c;
  }
  return s;
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

void node_metrics::received(const std::string& kind) {
  std::lock_guard lock(mutex_);
  ++kinds_[kind].received;
}

void node_metrics::finished(const std::string& kind, bool ok, double wall_s, double cpu_s, double price, double predicted_s) {
  std::lock_guard lock(mutex_);
  auto& k = kinds_[kind];
  if (!ok) {
    ++k.failed;
    return;
  }
  ++k.done;
  std::size_t b = 0;
  while (b < std::size(bucket_bounds) && wall_s > bucket_bounds[b]) ++b;
  ++buckets_[b];
  proving_s_ += wall_s;
  cpu_s_ += cpu_s;
  price_ += price;
  if (predicted_s > 0 && wall_s > 0) {
    ++predictions_;
    abs_error_s_ += std::fabs(predicted_s - wall_s);
    rel_error_ += std::fabs(predicted_s - wall_s) / wall_s;
  }
  const std::int64_t m = minute_now();
  if (minutes_.empty() || minutes_.back().first != m) minutes_.emplace_back(m, 0);
  ++minutes_.back().second;
  while (!minutes_.empty() && minutes_.front().first <= m - 60) minutes_.erase(minutes_.begin());
}

void node_metrics::compiled(bool cached, double seconds) {
  std::lock_guard lock(mutex_);
  ++(cached ? compile_hits_ : compiles_);
  compile_s_ += seconds;
}

void node_metrics::answered_from_cache(const std::string& kind) {
  std::lock_guard lock(mutex_);
  ++kinds_[kind].done;
  ++from_cache_;
}

void node_metrics::refused() {
  std::lock_guard lock(mutex_);
  ++refused_;
}

std::vector<std::uint64_t> node_metrics::done_per_minute() const {
  std::lock_guard lock(mutex_);
  std::vector<std::uint64_t> v(60, 0);
  const std::int64_t m = minute_now();
  for (const auto& [minute, n] : minutes_) {
    if (minute > m - 60 && minute <= m) v[static_cast<std::size_t>(59 - (m - minute))] = n;
  }
  return v;
}

std::string node_metrics::prometheus(const gauges& g) const {
  std::lock_guard lock(mutex_);
  std::ostringstream o;
  const auto family = [&](const char* name, const char* type, const char* help) {
    o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  };
  family("ciro_jobs_received_total", "counter", "Jobs taken by the node, by kind.");
  for (const auto& [k, v] : kinds_) o << "ciro_jobs_received_total{kind=\"" << label(k) << "\"} " << v.received << '\n';
  family("ciro_jobs_done_total", "counter", "Jobs proven, by kind.");
  for (const auto& [k, v] : kinds_) o << "ciro_jobs_done_total{kind=\"" << label(k) << "\"} " << v.done << '\n';
  family("ciro_jobs_failed_total", "counter", "Jobs that failed (refused and cancelled included), by kind.");
  for (const auto& [k, v] : kinds_) o << "ciro_jobs_failed_total{kind=\"" << label(k) << "\"} " << v.failed << '\n';
  family("ciro_jobs_refused_total", "counter", "Jobs refused at intake: a deadline the node predicted it would miss.");
  o << "ciro_jobs_refused_total " << refused_ << '\n';
  family("ciro_compiles_total", "counter", "Jobs compiled before their queue, by whether the compiler's cache held them.");
  o << "ciro_compiles_total{cached=\"true\"} " << compile_hits_ << "\nciro_compiles_total{cached=\"false\"} "
    << compiles_ << '\n';
  family("ciro_compile_seconds_total", "counter", "Wall time spent compiling (proving keys, model parses and circuits).");
  o << "ciro_compile_seconds_total " << compile_s_ << '\n';
  family("ciro_jobs_from_cache_total", "counter", "Jobs answered from the Redis result cache without proving (counted as done).");
  o << "ciro_jobs_from_cache_total " << from_cache_ << '\n';
  if (g.cache) {
    family("ciro_redis_up", "gauge", "1 while the Redis result cache answers, 0 during an outage.");
    o << "ciro_redis_up " << (g.cache->up ? 1 : 0) << '\n';
    family("ciro_redis_outages_total", "counter", "Times Redis was found down (unreachable at start included).");
    o << "ciro_redis_outages_total " << g.cache->outages << '\n';
    family("ciro_cache_lookups_total", "counter", "Result cache lookups, by whether they found a result.");
    o << "ciro_cache_lookups_total{found=\"true\"} " << g.cache->hits << "\nciro_cache_lookups_total{found=\"false\"} "
      << g.cache->misses << '\n';
    family("ciro_cache_writes_total", "counter", "Results written to the cache, and writes dropped while Redis was down.");
    o << "ciro_cache_writes_total{outcome=\"stored\"} " << g.cache->stored << "\nciro_cache_writes_total{outcome=\"dropped\"} "
      << g.cache->dropped << '\n';
  }
  family("ciro_queue_depth", "gauge", "Jobs waiting in the spool, queued in the scheduler, and running.");
  o << "ciro_queue_depth{queue=\"waiting\"} " << g.waiting << "\nciro_queue_depth{queue=\"queued\"} " << g.queued
    << "\nciro_queue_depth{queue=\"running\"} " << g.running << '\n';
  family("ciro_workers", "gauge", "Prover workers of the node.");
  o << "ciro_workers " << g.workers << '\n';
  family("ciro_proving_seconds", "histogram", "Wall time of each proven job.");
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b < std::size(bucket_bounds); ++b) {
    cumulative += buckets_[b];
    o << "ciro_proving_seconds_bucket{le=\"" << number(bucket_bounds[b]) << "\"} " << cumulative << '\n';
  }
  cumulative += buckets_[std::size(bucket_bounds)];
  o << "ciro_proving_seconds_bucket{le=\"+Inf\"} " << cumulative << "\nciro_proving_seconds_sum " << number(proving_s_)
    << "\nciro_proving_seconds_count " << cumulative << '\n';
  family("ciro_device_throughput_units_per_second", "gauge",
         "The throughput model's rate per device and kind of work (rows/s for AIRs, jobs/s for models).");
  for (const auto& [kind, r] : g.model.rates()) {
    o << "ciro_device_throughput_units_per_second{device=\"cpu\",kind=\"" << label(kind) << "\"} " << number(r.units_per_s) << '\n';
  }
  family("ciro_cpu_seconds_total", "counter", "CPU seconds of the proven jobs.");
  o << "ciro_cpu_seconds_total " << number(cpu_s_) << '\n';
  family("ciro_cost_total", "counter", "The proven jobs' cost at the operator's prices.");
  o << "ciro_cost_total " << number(price_) << '\n';
  family("ciro_predictions_total", "counter", "Proven jobs whose time was predicted.");
  o << "ciro_predictions_total " << predictions_ << '\n';
  family("ciro_prediction_error_seconds", "gauge", "Mean absolute error of the predicted proving time.");
  o << "ciro_prediction_error_seconds " << number(predictions_ ? abs_error_s_ / static_cast<double>(predictions_) : 0) << '\n';
  family("ciro_prediction_relative_error", "gauge", "Mean of |predicted - actual| / actual.");
  o << "ciro_prediction_relative_error " << number(predictions_ ? rel_error_ / static_cast<double>(predictions_) : 0) << '\n';
  return o.str();
}

std::string node_metrics::status_page(const gauges& g, const net::node_health& h) const {
  const std::vector<std::uint64_t> per_minute = done_per_minute();
  std::uint64_t received = 0, done = 0, failed = 0;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [k, v] : kinds_) {
      received += v.received;
      done += v.done;
      failed += v.failed;
    }
  }
  const std::uint64_t top = std::max<std::uint64_t>(1, *std::max_element(per_minute.begin(), per_minute.end()));
  // The chart: one bar per minute, 600 x 160 user units, the newest minute on the right.
  std::ostringstream svg;
  svg << "<svg id=\"throughput\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 640 190\" width=\"640\" height=\"190\" "
         "role=\"img\" aria-label=\"jobs done per minute, last hour\">"
      << "<line x1=\"30\" y1=\"170\" x2=\"630\" y2=\"170\" stroke=\"#444\"/>"
      << "<text x=\"0\" y=\"14\" font-size=\"11\">" << top << "</text><text x=\"0\" y=\"172\" font-size=\"11\">0</text>"
      << "<text x=\"30\" y=\"186\" font-size=\"11\">-60 min</text><text x=\"590\" y=\"186\" font-size=\"11\">now</text>";
  for (std::size_t i = 0; i < per_minute.size(); ++i) {
    const double height = 160.0 * static_cast<double>(per_minute[i]) / static_cast<double>(top);
    svg << "<rect class=\"bar\" x=\"" << 30 + 10 * i << "\" y=\"" << number(170 - height) << "\" width=\"8\" height=\""
        << number(height) << "\" fill=\"#3b6ea8\"><title>" << per_minute[i] << " jobs</title></rect>";
  }
  svg << "</svg>";
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ciro node</title>"
    << "<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 12px;text-align:left}</style></head><body>"
    << "<h1>ciro node</h1><table>"
    << "<tr><th>version</th><td>" << html_escape(h.version) << "</td></tr>"
    << "<tr><th>cores</th><td>" << h.cores << " (SIMD " << html_escape(h.simd_target) << ")</td></tr>"
    << "<tr><th>GPUs</th><td>" << (h.gpus.empty() ? html_escape(h.gpu_note.empty() ? "none" : h.gpu_note) : std::to_string(h.gpus.size()))
    << "</td></tr>"
    << "<tr><th>workers</th><td>" << g.workers << "</td></tr>"
    << "<tr><th>waiting / queued / running</th><td id=\"depths\">" << g.waiting << " / " << g.queued << " / " << g.running
    << "</td></tr>"
    << "<tr><th>received / done / failed</th><td id=\"counts\">" << received << " / " << done << " / " << failed << "</td></tr>"
    << "</table><h2>Jobs done per minute, last hour</h2>" << svg.str()
    << "<p><a href=\"/metrics\">/metrics</a> &middot; <a href=\"/health\">/health</a></p></body></html>\n";
  return o.str();
}

}  // namespace ciro::runtime
