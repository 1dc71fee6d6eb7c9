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
/// the caller for speed (they would run on scalar code).
void dif_matrix(std::uint32_t* x, std::size_t width, const twiddle_table& tw);

/// Radix-2 decimation-in-time NTT of every column, bit-reversed order in, natural order out,
/// without scaling, skipping the levels below first_level: the input must already have been
/// through the DIT levels h < 2^first_level (e.g. rows repeated in groups of 2^first_level,
/// which is what those levels make of a zero-padded vector). With first_level = 0 this is the
/// whole transform: out[j] = sum_i x[bitrev(i)] * w^(i j).
void dit_matrix(std::uint32_t* x, std::size_t width, const twiddle_table& tw, unsigned first_level);

/// Multiplies row r of the n x width matrix x by first * ratio^r (Montgomery words).
void scale_rows_by_powers(std::uint32_t* x, std::size_t n, std::size_t width, std::uint32_t first, std::uint32_t ratio);

/// Multiplies row r of the n x width matrix x by factors[r] (Montgomery words).
void scale_rows_by_factors(std::uint32_t* x, std::size_t n, std::size_t width, const std::uint32_t* factors);

/// In place on the n * 2^log_copies x width matrix x: for every r < n, rows r * 2^log_copies ...
/// (r + 1) * 2^log_copies - 1 all receive (the old) row r times factors[r]. Rows are expanded
/// from the top down in rounds r in [n/2, n), [n/4, n/2), ..., [0, 1): round [L, 2L) writes rows
/// [L 2^k, 2L 2^k), which hold only rows already read, so the rows of a round run in parallel.
void expand_rows_in_place(std::uint32_t* x, std::size_t n, std::size_t width, const std::uint32_t* factors,
                          unsigned log_copies);

/// The low `bits` bits of v in reverse order.
std::size_t reverse_bits(std::size_t v, unsigned bits);

/// Permutes the rows of the 2^log_n x width matrix x into bit-reversed order (an involution).
void bit_reverse_rows(std::uint32_t* x, unsigned log_n, std::size_t width);

/// The number of 32-bit lanes of the dispatched SIMD target.
std::size_t simd_lanes();

}  // namespace ciro::kernels::cpu
