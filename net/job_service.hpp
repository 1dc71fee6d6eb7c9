#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

/// What the network front ends (the Cap'n Proto sidecar, the HTTP metrics endpoint) ask of a
/// proving node, in plain C++: net/ translates the wire to these calls and the runtime implements
/// them. The schema net/ciro.capnp documents every field.
namespace ciro::net {

/// Where a job is, or how it ended (wire::Status).
enum class job_status : std::uint8_t { queued, running, done, failed, busy, unknown, cancelled };

/// The name of a status: "queued", "running", ...
[[nodiscard]] const char* to_string(job_status s);

/// A node's answer about one job (wire::Result).
struct job_answer {
  std::string id;
  job_status status = job_status::unknown;
  std::string reason;                 ///< failed, busy, cancelled: one line
  std::uint32_t retry_after_ms = 0;   ///< busy: when a place should be free
  std::optional<double> predicted_s;  ///< the node's prediction of the proof's wall time
  std::string result_json;            ///< done and failed: the result file's text
  std::string proof;                  ///< done: the proof file's bytes (when asked for)
};

/// A job as a client sends it. `job_json` is a spool job file (docs/runtime.md) without "model"
/// and "input" for a model job: those come as the files' bytes.
struct job_submission {
  std::string job_json;
  std::string model_bytes, input_bytes;  ///< both empty for an AIR job
};

/// One GPU as health() reports it.
struct gpu_health {
  std::string name;
  std::uint64_t memory_bytes = 0;
  std::string self_test;  ///< "ok" or why it is not used
};

/// A node's health (wire::Health).
struct node_health {
  std::string version;
  unsigned cores = 0;
  std::string simd_target;
  std::vector<gpu_health> gpus;
  std::string gpu_note;  ///< why no GPU is used, when none is
  std::size_t waiting = 0, queued = 0, running = 0, workers = 0;
};

/// A verification's verdict: valid, and one line saying what was checked or why not.
struct verdict {
  bool valid = false;
  std::string message;
};

/// The node behind the front ends. Every call comes from the front end's event-loop thread and
/// returns soon (no proof runs on it); on_result may be called from any thread.
class job_service {
 public:
  virtual ~job_service() = default;

  /// Takes a job. The answer is final (done, failed, busy) or says it was accepted (queued,
  /// running): then `on_result` is called exactly once, later and from any thread, with its
  /// result, unless the node stops first.
  virtual job_answer submit(const job_submission& job, std::function<void(job_answer)> on_result) = 0;
  /// Where the job `id` is; the proof is read only when `with_proof`.
  virtual job_answer status(const std::string& id, bool with_proof) = 0;
  /// Cancels a job that has not started (then `on_done` gets `cancelled`); else `on_done` gets
  /// where it is. Called once, from any thread.
  virtual void cancel(const std::string& id, std::function<void(job_answer)> on_done) = 0;
  /// Verifies a proof file at `min_security_bits`. Runs on the calling thread: it takes
  /// milliseconds.
  virtual verdict verify(const std::string& proof, unsigned min_security_bits) = 0;
  virtual node_health health() = 0;
  /// The metrics in Prometheus' text format (version 0.0.4).
  virtual std::string prometheus_metrics() = 0;
  /// A small status page: plain HTML with an inline SVG chart, no external assets.
  virtual std::string status_page() = 0;
};

/// health() as JSON text (the /health endpoint).
[[nodiscard]] std::string health_json(const node_health& h);

}  // namespace ciro::net
