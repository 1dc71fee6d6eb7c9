#pragma once

/// CIRO_HD marks a function callable from both host and device code: `__host__ __device__`
/// when compiled by nvcc, nothing otherwise. One definition of the field arithmetic thus serves
/// the CPU backend, the CUDA kernels and the tests.
#if defined(__CUDACC__)
#define CIRO_HD __host__ __device__
#define CIRO_HD_INLINE __host__ __device__ __forceinline__
#else
#define CIRO_HD
#define CIRO_HD_INLINE inline __attribute__((always_inline))
#endif
