#include <memory>
#include <string>
#include <vector>

#include "bench/workload.hpp"
#include "field/babybear.hpp"
#include "kernels/backend.hpp"

namespace ciro::bench {

std::shared_ptr<kernels::row_major_matrix<field::babybear>> random_babybear_matrix(std::size_t rows, std::size_t width) {
  auto m = std::make_shared<kernels::row_major_matrix<field::babybear>>(rows, width);
  std::uint64_t state = 0x243f6a8885a308d3ULL;
  for (auto& x : m->values()) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    x = field::babybear::from_u64(state >> 17);
  }
  return m;
}

namespace {

using field::babybear;
using kernels::row_major_matrix;

/// Forward NTT (natural order in and out) of a 2^log_n x width matrix; throughput in elements/s.
workload ntt_workload(unsigned log_n, std::size_t width) {
  std::string name = "ntt.babybear.2^" + std::to_string(log_n) + "x" + std::to_string(width);
  return {
      name, "elements/s",
      "forward NTT of " + std::to_string(width) + " column(s) of 2^" + std::to_string(log_n) + " rows, natural order",
      [log_n, width] {
        auto backend = std::shared_ptr<kernels::backend>(kernels::make_cpu_backend());
        auto m = random_babybear_matrix(std::size_t{1} << log_n, width);
        return [backend, m] {
          backend->ntt(m->view());
          return run_output{static_cast<double>(m->values().size()), {}};
        };
      }};
}

/// Coset LDE (shift 31, natural order) of a 2^log_n x width matrix by 2^log_blowup;
/// throughput in output elements/s.
workload lde_workload(unsigned log_n, std::size_t width, unsigned log_blowup) {
  std::string name =
      "lde.babybear.2^" + std::to_string(log_n) + "x" + std::to_string(width) + ".b" + std::to_string(1u << log_blowup);
  return {name, "elements/s",
          "coset low-degree extension of " + std::to_string(width) + " columns of 2^" + std::to_string(log_n) +
              " rows, blowup " + std::to_string(1u << log_blowup),
          [log_n, width, log_blowup] {
            auto backend = std::shared_ptr<kernels::backend>(kernels::make_cpu_backend());
            auto in = random_babybear_matrix(std::size_t{1} << log_n, width);
            auto out = std::make_shared<row_major_matrix<babybear>>(std::size_t{1} << (log_n + log_blowup), width);
            return [backend, in, out, log_blowup] {
              backend->lde(in->view(), out->view(), {.log_blowup = log_blowup});
              return run_output{static_cast<double>(out->values().size()), {}};
            };
          }};
}

}  // namespace

std::vector<workload> ntt_workloads() { return {ntt_workload(20, 1), ntt_workload(16, 256), lde_workload(20, 64, 1)}; }

}  // namespace ciro::bench
