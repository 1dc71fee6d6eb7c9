// The GPU workloads of `ciro bench`, listed only when a CUDA device is present: the CUDA
// backend's NTT and LDE on device 0 (each call copies its matrix in and out; the extras split the
// call into its copies and its kernels, from CUDA events). The Merkle and whole-proof GPU
// workloads need device kernels that are not built yet.

#include <memory>
#include <string>
#include <vector>

#include "bench/workload.hpp"
#include "core/check.hpp"
#include "kernels/cuda/cuda_backend.hpp"

namespace ciro::bench {
namespace {

using field::babybear;
using kernels::row_major_matrix;

std::shared_ptr<kernels::cuda_backend> device_zero() {
  auto b = kernels::make_cuda_backend(0);
  CIRO_CHECK(b.has_value());
  return std::shared_ptr<kernels::cuda_backend>(std::move(b.value()));
}

/// The copies and kernels of the last call, as extras.
std::vector<std::pair<std::string, double>> split(const kernels::cuda_timings& t) {
  return {{"h2d_us", t.h2d_ms * 1e3}, {"kernels_us", t.kernels_ms * 1e3}, {"d2h_us", t.d2h_ms * 1e3}};
}

workload gpu_ntt_workload(unsigned log_n, std::size_t width) {
  return {"gpu.ntt.babybear.2^" + std::to_string(log_n) + "x" + std::to_string(width), "elements/s",
          "forward NTT of " + std::to_string(width) + " column(s) of 2^" + std::to_string(log_n) +
              " rows on CUDA device 0, host matrix copied in and out",
          [log_n, width] {
            auto gpu = device_zero();
            auto m = random_babybear_matrix(std::size_t{1} << log_n, width);
            return [gpu, m] {
              CIRO_CHECK(gpu->try_ntt(m->view(), {}).has_value());
              return run_output{static_cast<double>(m->values().size()), split(gpu->last_timings())};
            };
          }};
}

workload gpu_lde_workload(unsigned log_n, std::size_t width, unsigned log_blowup) {
  return {"gpu.lde.babybear.2^" + std::to_string(log_n) + "x" + std::to_string(width) + ".b" + std::to_string(1u << log_blowup),
          "elements/s",
          "coset low-degree extension of " + std::to_string(width) + " columns of 2^" + std::to_string(log_n) + " rows, blowup " +
              std::to_string(1u << log_blowup) + ", on CUDA device 0, host matrices copied in and out",
          [log_n, width, log_blowup] {
            auto gpu = device_zero();
            auto in = random_babybear_matrix(std::size_t{1} << log_n, width);
            auto out = std::make_shared<row_major_matrix<babybear>>(std::size_t{1} << (log_n + log_blowup), width);
            return [gpu, in, out, log_blowup] {
              CIRO_CHECK(gpu->try_lde(in->view(), out->view(), {.log_blowup = log_blowup}).has_value());
              return run_output{static_cast<double>(out->values().size()), split(gpu->last_timings())};
            };
          }};
}

}  // namespace

std::vector<workload> gpu_workloads() {
  if (!kernels::cuda_device_available()) return {};
  return {gpu_ntt_workload(22, 1), gpu_lde_workload(20, 64, 1)};
}

}  // namespace ciro::bench
