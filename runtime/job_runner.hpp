#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

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

}  // namespace ciro::runtime
