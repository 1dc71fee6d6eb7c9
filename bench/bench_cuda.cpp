// Google Benchmark: the CUDA backend's NTT and LDE over BabyBear, host matrices in and out.
// Each benchmark also reports where the time went, averaged per call: h2d_ms (host -> device
// copy), kernel_ms (all kernels) and d2h_ms (device -> host copy), from CUDA events.
// The /pinned variants page-lock the host matrices first (cuda_backend::pin), as a prover
// that keeps its traces in pinned memory would; the others copy from pageable memory.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "field/babybear.hpp"
#include "kernels/cuda/cuda_backend.hpp"

namespace {

using ciro::field::babybear;
using ciro::kernels::cuda_backend;
using ciro::kernels::row_major_matrix;

row_major_matrix<babybear> filled(std::size_t rows, std::size_t width) {
  row_major_matrix<babybear> m(rows, width);
  std::uint64_t i = 0;
  for (auto& x : m.values()) x = babybear::from_u64(++i * 0x9e3779b97f4a7c15ULL);
  return m;
}

/// The process-wide backend, or nullptr (with the reason in `why`) when there is no device.
cuda_backend* gpu(std::string& why) {
  static auto made = ciro::kernels::make_cuda_backend();
  if (!made) {
    why = made.error().message;
    return nullptr;
  }
  return made.value().get();
}

/// Adds the per-call averages of the backend's transfer/kernel split to the counters.
struct split {
  double h2d = 0, kernels = 0, d2h = 0;
  void add(const ciro::kernels::cuda_timings& t) { h2d += t.h2d_ms, kernels += t.kernels_ms, d2h += t.d2h_ms; }
  void report(benchmark::State& state) const {
    const auto avg = benchmark::Counter::kAvgIterations;
    state.counters["h2d_ms"] = benchmark::Counter(h2d, avg);
    state.counters["kernel_ms"] = benchmark::Counter(kernels, avg);
    state.counters["d2h_ms"] = benchmark::Counter(d2h, avg);
  }
};

/// Pins a host matrix for the life of a benchmark (when asked to).
class pinned_scope {
 public:
  pinned_scope(cuda_backend* backend, const row_major_matrix<babybear>& m, bool pin)
      : backend_(backend), data_(pin ? m.values().data() : nullptr) {
    if (data_ != nullptr && !backend_->pin(data_, m.values().size_bytes())) data_ = nullptr;
  }
  pinned_scope(const pinned_scope&) = delete;
  pinned_scope& operator=(const pinned_scope&) = delete;
  ~pinned_scope() {
    if (data_ != nullptr) (void)backend_->unpin(data_);
  }

 private:
  cuda_backend* backend_;
  const void* data_;
};

void bm_ntt(benchmark::State& state, std::size_t width, bool pinned) {
  std::string why;
  cuda_backend* backend = gpu(why);
  if (backend == nullptr) {
    state.SkipWithError(why.c_str());
    return;
  }
  const std::size_t rows = std::size_t{1} << state.range(0);
  auto m = filled(rows, width);
  const pinned_scope pin(backend, m, pinned);
  backend->ntt(m.view());  // twiddles and buffers are set up once, outside the timing
  split time;
  for (auto _ : state) {
    backend->ntt(m.view());
    benchmark::ClobberMemory();
    time.add(backend->last_timings());
  }
  time.report(state);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows * width));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * rows * width * sizeof(babybear)));
}

void bm_lde(benchmark::State& state, std::size_t width, bool pinned) {
  std::string why;
  cuda_backend* backend = gpu(why);
  if (backend == nullptr) {
    state.SkipWithError(why.c_str());
    return;
  }
  const std::size_t rows = std::size_t{1} << state.range(0);
  const auto in = filled(rows, width);
  row_major_matrix<babybear> out(rows * 2, width);
  const pinned_scope pin_in(backend, in, pinned), pin_out(backend, out, pinned);
  backend->lde(in.view(), out.view(), {.log_blowup = 1});
  split time;
  for (auto _ : state) {
    backend->lde(in.view(), out.view(), {.log_blowup = 1});
    benchmark::ClobberMemory();
    time.add(backend->last_timings());
  }
  time.report(state);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * out.values().size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.values().size() * sizeof(babybear)));
}

BENCHMARK_CAPTURE(bm_ntt, x1, 1, false)
    ->Name("BM_ntt/babybear/cuda/width:1")
    ->ArgName("log_n")
    ->DenseRange(16, 22, 2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(bm_ntt, x256, 256, false)
    ->Name("BM_ntt/babybear/cuda/width:256")
    ->ArgName("log_n")
    ->DenseRange(12, 18, 2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(bm_lde, x64, 64, false)
    ->Name("BM_lde/babybear/cuda/width:64/blowup:2")
    ->ArgName("log_n")
    ->DenseRange(16, 20, 2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(bm_ntt, x1_pinned, 1, true)
    ->Name("BM_ntt/babybear/cuda/width:1/pinned")
    ->ArgName("log_n")
    ->Arg(20)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(bm_ntt, x256_pinned, 256, true)
    ->Name("BM_ntt/babybear/cuda/width:256/pinned")
    ->ArgName("log_n")
    ->Arg(16)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(bm_lde, x64_pinned, 64, true)
    ->Name("BM_lde/babybear/cuda/width:64/blowup:2/pinned")
    ->ArgName("log_n")
    ->Arg(20)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
