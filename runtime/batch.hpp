#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/job.hpp"

/// Batches: jobs of one example AIR, height and profile proven together as one proof
/// (docs/farm.md, "Aggregation"). Job k's instances are the batch's instances from its
/// `first_instance`, made as when the job is proven alone, so its statement can be checked in the
/// batch's proof alone (`ciro verify --batch-first`).
namespace ciro::runtime {

/// When the aggregator closes a batch: at `max_jobs` jobs or `window` after its first job,
/// whichever comes first. max_jobs 0: no batches (every job proven alone).
struct batch_config {
  std::size_t max_jobs = 0;
  std::chrono::milliseconds window{100};
};

/// A batch as it travels from the aggregator through the scheduler to a worker.
struct job_batch {
  std::string id;                  ///< "batch-<first job's id>-<n>": unique within a node's run
  std::vector<std::string> texts;  ///< the jobs' files, in the batch's order
  std::vector<job_spec> jobs;      ///< the same, parsed
};

/// Whether `job` can join a batch: an AIR job whose statement keeps each instance's public values
/// together (fibonacci, poseidon2).
[[nodiscard]] bool batchable(const job_spec& job);

/// The jobs one batch may gather: those with the same key (AIR, log_rows, profile).
[[nodiscard]] std::string batch_key(const job_spec& job);

/// The most instances a batch holds (a statement's limit, stark::make_example).
inline constexpr unsigned max_batch_instances = 4096;

/// The batch's text: {"batch": id, "jobs": [each job's file text]}.
[[nodiscard]] std::string batch_text(const job_batch& b);

/// Parses batch_text(); nothing for any other text (a job's file), or a batch whose jobs do not
/// parse or do not share one key.
[[nodiscard]] std::optional<job_batch> parse_batch(std::string_view text);

/// The first instance of each job of `b` in the batch's proof, and after them the total.
[[nodiscard]] std::vector<unsigned> first_instances(const job_batch& b);

}  // namespace ciro::runtime
