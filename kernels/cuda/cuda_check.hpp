#pragma once

#include <cuda_runtime_api.h>

#include <string>

#include "kernels/cuda/cuda_backend.hpp"

namespace ciro::kernels::cuda {

/// The ciro error for a failed CUDA runtime call: out_of_memory for cudaErrorMemoryAllocation,
/// no_device for a missing device or driver, runtime otherwise. The message carries the
/// expression, the file and line, and the runtime's name and description of the error.
inline cuda_error make_cuda_error(cudaError_t status, const char* expr, const char* file, int line) {
  cuda_error_code code = cuda_error_code::runtime;
  if (status == cudaErrorMemoryAllocation) code = cuda_error_code::out_of_memory;
  if (status == cudaErrorNoDevice || status == cudaErrorInsufficientDriver) code = cuda_error_code::no_device;
  if (status == cudaErrorInvalidDevice) code = cuda_error_code::invalid_device;
  return cuda_error{code, std::string(expr) + " failed at " + file + ":" + std::to_string(line) + ": " +
                              cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")"};
}

}  // namespace ciro::kernels::cuda

/// CIRO_CUDA_TRY(expr): evaluates the cudaError_t expression `expr` once; on failure returns
/// (from the enclosing function, whose return type must accept a ciro::kernels::cuda_error,
/// e.g. any result<T, cuda_error_code>) the error with the expression, file and line. This is
/// the one place a cudaError_t becomes a ciro error.
#define CIRO_CUDA_TRY(expr)                                                                        \
  do {                                                                                             \
    const cudaError_t ciro_cuda_status_ = (expr);                                                  \
    if (ciro_cuda_status_ != cudaSuccess) [[unlikely]]                                             \
      return ::ciro::kernels::cuda::make_cuda_error(ciro_cuda_status_, #expr, __FILE__, __LINE__); \
  } while (0)

/// CIRO_CUDA_TRY_LAUNCH(): CIRO_CUDA_TRY on cudaGetLastError(), right after a kernel launch.
#define CIRO_CUDA_TRY_LAUNCH() CIRO_CUDA_TRY(cudaGetLastError())
