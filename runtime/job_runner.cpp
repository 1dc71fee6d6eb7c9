#include "runtime/job_runner.hpp"

#include <sys/resource.h>
#include <ctime>
#include <tbb/global_control.h>
#include <tbb/task_arena.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <new>
#include <span>
#include <thread>

#include "field/extension.hpp"
#include "kernels/backend.hpp"
#include "stark/examples.hpp"
#include "stark/params.hpp"
#include "stark/proof.hpp"
#include "stark/prover.hpp"
#include "zkml/model_proof.hpp"

namespace ciro::runtime {

namespace {

/// User + system CPU seconds of the process so far.
/// CPU seconds of the calling thread (a one-core arena's work runs on it alone).
double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec); };
  return s(u.ru_utime) + s(u.ru_stime);
}

/// The process's resident set now (/proc/self/statm), in bytes; 0 where unreadable.
std::uint64_t resident_bytes() {
  std::ifstream f("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  if (!(f >> size >> resident)) return 0;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

/// Samples the resident set every 5 ms while alive; peak() is the largest sample.
class rss_sampler {
 public:
  rss_sampler() : peak_(resident_bytes()), thread_([this] {
    while (!stop_.load()) {
      const std::uint64_t r = resident_bytes();
      std::uint64_t p = peak_.load();
      while (r > p && !peak_.compare_exchange_weak(p, r)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }) {}
  ~rss_sampler() {
    stop_ = true;
    thread_.join();
  }
  std::uint64_t peak() const { return std::max(peak_.load(), resident_bytes()); }

 private:
  std::atomic<std::uint64_t> peak_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// Proves `job`'s statement with its instance k made as instance seeds[k] (a batch's instances;
/// 0 .. instances - 1 for a job alone).
template <class E>
result<nlohmann::json, int> prove_air(const job_spec& job, std::span<const unsigned> seeds, compile_cache& compiled,
                                      std::vector<std::uint8_t>& proof) {
  using err = error<int>;
  auto backend = kernels::make_cpu_backend();
  auto pk = compiled.air_key<E>(job);
  if (!pk) return pk.error();
  const std::uint32_t bits = stark::conjectured_security_bits(pk.value()->vk.params, pk.value()->vk.size());
  if (bits < 100) return err{0, "the profile gives " + std::to_string(bits) + "-bit security at this size, below 100"};
  auto example = stark::make_example<E>(job.air, job.log_rows, seeds, true);
  if (!example) return err{0, example.error().message};
  auto p = stark::prove<E>(*pk.value(), example.value().witnesses, *backend, backend->merkle(), nullptr,
                           {.check_constraints = false, .min_security_bits = 100, .on_phase = {}, .public_lookups = {}});
  if (!p) return err{0, p.error().message};
  proof = stark::encode(p.value());
  return nlohmann::json{{"kind", "air"},
                        {"air", job.air},
                        {"log_rows", job.log_rows},
                        {"instances", job.instances},
                        {"profile", job.profile},
                        {"proof_bytes", proof.size()},
                        {"security_bits", bits}};
}

result<nlohmann::json, int> prove_model(const job_spec& job, const std::filesystem::path& base, compile_cache& compiled,
                                        std::vector<std::uint8_t>& proof) {
  using err = error<int>;
  auto loaded = compiled.model_input(job, base);
  if (!loaded) return loaded.error();
  zkml::prove_model_options options;
  options.profile = job.profile;
  auto r = zkml::prove_model(loaded.value().model->bytes, loaded.value().model->m, loaded.value().input, options);
  if (!r) return err{0, r.error().message};
  proof = r.value().bytes;
  const auto& st = r.value().file.statement;
  nlohmann::json outputs = nlohmann::json::object();
  for (const auto& o : st.outputs) {
    const zkml::tensor t = o.dequantized();
    outputs[o.name] = {{"shape", t.shape}};
    if (t.is_integer()) {
      outputs[o.name]["data"] = t.ints;
    } else {
      outputs[o.name]["data"] = t.data;
    }
  }
  return nlohmann::json{{"kind", "model"},
                        {"model", job.model},
                        {"profile", job.profile},
                        {"model_hash", st.model_hash.to_hex()},
                        {"input_commitment", st.input_commitment.to_hex()},
                        {"outputs", outputs},
                        {"multiply_adds", r.value().multiply_adds},
                        {"proof_bytes", proof.size()},
                        {"security_bits", r.value().security_bits}};
}

/// Runs `prove` (which fills the result's details or fails) in a TBB arena of `threads` cores
/// (0: all), measuring its wall time, CPU time and peak memory; prover exceptions become failures.
template <class F>
job_result measured(const job_spec& job, const prices& p, unsigned threads, std::vector<std::uint8_t>& proof, F&& prove) {
  job_result r;
  r.id = job.id;
  proof.clear();
  // One core: the job's work runs on this thread only, whose clock is exact even beside other
  // jobs. More: the process's time (exact when the job runs alone, as placement arranges).
  const auto cpu_seconds = threads == 1 ? thread_cpu_seconds : process_cpu_seconds;
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  result<nlohmann::json, int> details = error<int>{0, "not run"};
  {
    rss_sampler rss;
    tbb::task_arena arena(threads == 0 ? tbb::task_arena::automatic : static_cast<int>(threads));
    try {
      arena.execute([&] {
        if (!stark::profile(job.profile)) {
          details = error<int>{0, "unknown profile"};
        } else {
          details = prove();
        }
      });
    } catch (const std::bad_alloc&) {
      details = error<int>{0, "out of memory"};
    } catch (const std::exception& e) {
      details = error<int>{0, std::string("prover error: ") + e.what()};
    }
    r.cost.peak_rss_bytes = rss.peak();
  }
  r.cost.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.cost.cpu_s = cpu_seconds() - cpu0;
  r.cost.price = r.cost.cpu_s / 3600.0 * p.core_hour;
  if (details) {
    r.ok = true;
    r.details = std::move(details.value());
  } else {
    r.reason = details.error().message;
    proof.clear();
  }
  return r;
}

/// prove_air over the extension of `job`'s profile.
result<nlohmann::json, int> prove_air_job(const job_spec& job, std::span<const unsigned> seeds, compile_cache& compiled,
                                          std::vector<std::uint8_t>& proof) {
  return stark::profile(job.profile)->extension_degree == 5 ? prove_air<field::babybear5>(job, seeds, compiled, proof)
                                                            : prove_air<field::babybear4>(job, seeds, compiled, proof);
}

}  // namespace

job_result run_job(const job_spec& job, const std::filesystem::path& base, const prices& p, compile_cache& compiled,
                   std::vector<std::uint8_t>& proof, unsigned threads) {
  return measured(job, p, threads, proof, [&]() -> result<nlohmann::json, int> {
    if (job.what == job_spec::kind::model) return prove_model(job, base, compiled, proof);
    std::vector<unsigned> seeds(job.instances);
    for (unsigned i = 0; i < job.instances; ++i) seeds[i] = i;
    return prove_air_job(job, seeds, compiled, proof);
  });
}

batch_outcome run_batch(const job_batch& b, const prices& p, compile_cache& compiled, std::vector<std::uint8_t>& proof,
                        unsigned threads) {
  const std::vector<unsigned> first = first_instances(b);
  // The batch as one statement: every job's instances, each numbered from 0 as when proven alone.
  job_spec whole = b.jobs[0];
  whole.id = b.id;
  whole.instances = first.back();
  std::vector<unsigned> seeds;
  for (const auto& job : b.jobs) {
    for (unsigned i = 0; i < job.instances; ++i) seeds.push_back(i);
  }
  batch_outcome out;
  out.whole = measured(whole, p, threads, proof, [&]() -> result<nlohmann::json, int> {
    if (whole.instances > max_batch_instances) return error<int>{0, "a batch holds at most 4096 instances"};
    return prove_air_job(whole, seeds, compiled, proof);
  });
  for (std::size_t k = 0; k < b.jobs.size(); ++k) {
    const job_spec& job = b.jobs[k];
    job_result r = out.whole;
    r.id = job.id;
    const double share = static_cast<double>(job.instances) / static_cast<double>(whole.instances);
    r.cost.cpu_s *= share;
    r.cost.price *= share;
    if (r.ok) {
      r.details["instances"] = job.instances;
      r.details["batch"] = {{"id", b.id}, {"index", k}, {"jobs", b.jobs.size()}, {"first_instance", first[k]},
                            {"instances", whole.instances}, {"cost_share", share}};
    } else {
      r.reason = "batch " + b.id + ": " + r.reason;
    }
    out.jobs.push_back(std::move(r));
  }
  return out;
}

}  // namespace ciro::runtime
