#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/cpu/twiddles.hpp"

/// The vectorised building blocks of the CPU NTT over BabyBear (Highway, dispatched at run
/// time). They work on raw Montgomery words of a row-major matrix; cpu_backend.cpp composes
/// them into the backend's NTT, inverse NTT and LDE.
namespace ciro::kernels::cpu {

/// Radix-2 decimation-in-frequency NTT of every column of the n x width matrix x
/// (n = 2^tw.log_n), natural order in, bit-reversed order out, without scaling:
///   out[bitrev(j)] = sum_i x[i] * w^(i j), w the root of unity tw was built for.
/// Levels are grouped into cache-sized passes; TBB runs the independent pieces of each pass
/// in parallel. Any width >= 1 works; widths 2..lanes-1 are transposed to columns first by
/// the caller for speed.
void dif_matrix(std::uint32_t* x, std::size_t width, const twiddle_table& tw);

/// Multiplies row r of the n x width matrix x by first * ratio^r (Montgomery words).
void scale_rows_by_powers(std::uint32_t* x, std::size_t n, std::size_t width, std::uint32_t first, std::uint32_t ratio);

/// Permutes the rows of the 2^log_n x width matrix x into bit-reversed order (an involution).
void bit_reverse_rows(std::uint32_t* x, unsigned log_n, std::size_t width);

/// The number of 32-bit lanes of the dispatched SIMD target.
std::size_t simd_lanes();

}  // namespace ciro::kernels::cpu
