#pragma once

#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "field/extension.hpp"
#include "runtime/job.hpp"
#include "stark/circuit.hpp"
#include "zkml/model.hpp"
#include "zkml/reference.hpp"

/// The compiler's cache (docs/runtime.md, "Compiler"): what a job needs before its proof, made once
/// per content and kept for the jobs after it.
///   - An AIR statement (air, log_rows, instances, profile): its proving key (stark::setup).
///   - A model: the model file parsed for the input's shapes, keyed by the SHA-256 of the file's
///     bytes and those shapes, so a model file replaced in place is parsed again. Its circuit
///     (lowering and keys, per quantization) is compiled into zkml's own cache by
///     zkml::compile_model, where prove_model finds it.
/// The entries are kept in least-recently-used order, at most `capacity` of each kind. Thread-safe;
/// a compile runs outside the lock, so two threads may compile the same entry at once (both get a
/// correct one; the cache keeps the last).
namespace ciro::runtime {

/// A model file, read and parsed for one set of input shapes.
struct parsed_model {
  std::vector<std::uint8_t> bytes;
  zkml::model m;
};

/// A model job's model (shared with the cache) and its input, read for this job.
struct model_job_input {
  std::shared_ptr<const parsed_model> model;
  zkml::tensor_map input;
};

/// What compiling a job did.
struct compile_outcome {
  bool cached = false;  ///< everything was in the cache already
  double seconds = 0;   ///< wall time of the compile
};

class compile_cache {
 public:
  /// At most `capacity` (>= 1) entries of each kind.
  explicit compile_cache(std::size_t capacity = 16) : capacity_(capacity) {}

  /// Compiles `job` (its paths relative to `base`): sets up an AIR's proving key, or parses a
  /// model and compiles its circuit for the job's input. Fails with a one-line reason for a job
  /// that cannot be proven (unknown AIR or size, unreadable or unsupported model, bad input).
  result<compile_outcome, int> compile(const job_spec& job, const std::filesystem::path& base);

  /// The proving key of an AIR job, from the cache or set up now (then *made, when given, is set).
  /// E must be the job's profile's extension.
  template <class E>
  result<std::shared_ptr<const stark::proving_key<E>>, int> air_key(const job_spec& job, bool* made = nullptr);

  /// A model job's model, from the cache or parsed now (then *made, when given, is set), and its
  /// input read now.
  result<model_job_input, int> model_input(const job_spec& job, const std::filesystem::path& base,
                                           bool* made = nullptr);

  /// Lookups answered from the cache, and compiles made, since construction.
  [[nodiscard]] std::pair<std::uint64_t, std::uint64_t> hits_and_misses() const;

 private:
  template <class V>
  using lru = std::list<std::pair<std::string, std::shared_ptr<const V>>>;
  template <class V>
  std::shared_ptr<const V> find(lru<V>& entries, const std::string& key);
  template <class V>
  void put(lru<V>& entries, const std::string& key, std::shared_ptr<const V> value);

  std::size_t capacity_;
  mutable std::mutex mutex_;
  lru<stark::proving_key<field::babybear4>> keys4_;
  lru<stark::proving_key<field::babybear5>> keys5_;
  lru<parsed_model> models_;
  std::uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace ciro::runtime
