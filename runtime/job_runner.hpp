#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "runtime/batch.hpp"
#include "runtime/compile_cache.hpp"
#include "runtime/job.hpp"

/// Running one job on this machine's CPU cores, with what it used measured.
namespace ciro::runtime {

/// The operator's prices (docs/runtime.md, "Cost").
struct prices {
  double core_hour = 0;  ///< per CPU core-hour (per CPU-second / 3600)
};

/// Proves `job` (its paths relative to `base`), at most `threads` cores (0: all), with what
/// `compiled` holds for it (an AIR's proving key, a model's parse and circuit; compiled now where
/// it holds none). Returns its result (a failure with its reason when the statement, the model or
/// the input is bad, or the prover fails) and, in `proof`, the proof file's bytes. Never throws for
/// a bad job.
job_result run_job(const job_spec& job, const std::filesystem::path& base, const prices& p, compile_cache& compiled,
                   std::vector<std::uint8_t>& proof, unsigned threads = 0);

/// A batch's outcome: the whole proof's result (its cost in full) and each job's, whose details
/// name the batch ({"batch": {"id", "index", "jobs", "first_instance", "instances",
/// "cost_share"}}) and whose CPU time and price are its share (its instances over the batch's);
/// its wall time and peak memory are the batch's.
struct batch_outcome {
  job_result whole;
  std::vector<job_result> jobs;
};

/// Proves the jobs of `b` as one proof (written to `proof`, the same for every job), as run_job
/// proves one. A failure fails every job of the batch with the reason.
batch_outcome run_batch(const job_batch& b, const prices& p, compile_cache& compiled, std::vector<std::uint8_t>& proof,
                        unsigned threads = 0);

}  // namespace ciro::runtime
