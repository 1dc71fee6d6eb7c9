#include "kernels/cuda/cuda_self_test.hpp"

#include <cstdint>

#include "kernels/backend.hpp"
#include "kernels/cuda/cuda_backend.hpp"
#include "kernels/matrix.hpp"

namespace ciro::kernels {

namespace {

/// 2^12 x 4 values of SplitMix64 from a fixed seed: the same matrix on every machine.
row_major_matrix<field::babybear> test_matrix() {
  row_major_matrix<field::babybear> m(std::size_t{1} << 12, 4);
  std::uint64_t state = 0x5e1f'7e57;
  for (auto& x : m.values()) {
    state += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    x = field::babybear::from_u64(z ^ (z >> 31));
  }
  return m;
}

/// "" when equal, else the first difference.
std::string compare(const char* what, const row_major_matrix<field::babybear>& cpu, const row_major_matrix<field::babybear>& gpu) {
  for (std::size_t r = 0; r < cpu.rows(); ++r) {
    for (std::size_t c = 0; c < cpu.width(); ++c) {
      if (cpu.at(r, c) != gpu.at(r, c)) {
        return std::string(what) + " differs from the CPU's at row " + std::to_string(r) + ", column " + std::to_string(c);
      }
    }
  }
  return "";
}

}  // namespace

std::string cuda_self_test(int device) {
  auto cuda = make_cuda_backend(device);
  if (!cuda) return cuda.error().message.substr(0, cuda.error().message.find('\n'));
  const auto cpu = make_cpu_backend();
  const auto input = test_matrix();
  auto on_cpu = input, on_gpu = input;
  cpu->ntt(on_cpu.view());
  if (auto s = cuda.value()->try_ntt(on_gpu.view(), {}); !s) return "NTT: " + s.error().message.substr(0, s.error().message.find('\n'));
  if (const std::string why = compare("the NTT", on_cpu, on_gpu); !why.empty()) return why;
  row_major_matrix<field::babybear> lde_cpu(input.rows() * 2, input.width()), lde_gpu(input.rows() * 2, input.width());
  lde_config config;
  config.log_blowup = 1;
  cpu->lde(input.view(), lde_cpu.view(), config);
  if (auto s = cuda.value()->try_lde(input.view(), lde_gpu.view(), config); !s) return "LDE: " + s.error().message.substr(0, s.error().message.find('\n'));
  if (const std::string why = compare("the LDE", lde_cpu, lde_gpu); !why.empty()) return why;
  return "ok";
}

}  // namespace ciro::kernels
