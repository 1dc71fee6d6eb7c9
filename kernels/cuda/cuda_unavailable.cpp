// The CUDA entry points of a CPU-only build (CIRO_HAVE_CUDA off): every one reports that the
// binary was built without CUDA, so callers compile and behave the same way on every build.
#include "kernels/cuda/cuda_backend.hpp"

namespace ciro::kernels {

result<std::unique_ptr<cuda_backend>, cuda_error_code> make_cuda_backend(int /*device*/) {
  return cuda_error{cuda_error_code::built_without_cuda, "built without CUDA (configure with -DCIRO_CUDA=ON)"};
}

bool cuda_device_available() { return false; }

cuda_inventory cuda_devices() { return {{}, "", "built without CUDA (configure with -DCIRO_CUDA=ON)"}; }

std::string cuda_device_name(int /*device*/) { return "built without CUDA"; }

}  // namespace ciro::kernels
