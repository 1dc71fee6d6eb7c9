#pragma once

// Device building blocks of the CUDA NTT over BabyBear (internal to kernels/cuda). They work on
// raw Montgomery words in device memory, with the columns of a matrix stored one after another
// (column-major: column c of a batch starts at c * stride). cuda_backend.cu composes them into
// the backend's NTT, inverse NTT and LDE. Every launcher enqueues on `stream` and returns the
// launch status (cudaGetLastError), never synchronising.

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace ciro::kernels::cuda {

/// Multiplication of row i of each column by first * ratio^e, e = i (natural) or
/// e = bitrev_{log_n}(i) (bit_reversed), from two device tables of powers:
///   low[j] = first * ratio^j (j < 2^low_bits),  high[j] = ratio^(j * 2^low_bits),
/// so the factor is low[e mod 2^low_bits] * high[e >> low_bits]. low == nullptr: no scaling.
struct row_factors {
  const std::uint32_t* low = nullptr;
  const std::uint32_t* high = nullptr;
  unsigned low_bits = 0;
  bool bit_reversed = false;
};

/// Fills d_out[j] = first * ratio^(j * 2^log_step) for j < count (Montgomery words).
cudaError_t fill_powers(std::uint32_t* d_out, std::size_t count, std::uint32_t first, std::uint32_t ratio,
                        unsigned log_step, cudaStream_t stream);

/// Fills the twiddle table of a radix-2 NTT of size 2^log_n with root w (Montgomery word,
/// a primitive 2^log_n-th root of unity), in the CPU layout: d_tw[h - 1 + i] = w_{2h}^i for
/// every level h = 1, 2, ..., 2^(log_n - 1) and i < h, where w_{2h} = w^(n / 2h).
/// d_tw holds 2^log_n - 1 words. Precondition: log_n >= 1.
cudaError_t fill_twiddles(std::uint32_t* d_tw, unsigned log_n, std::uint32_t w, cudaStream_t stream);

/// Which radix-2 network run_ntt runs: decimation in frequency (natural order in, bit-reversed
/// out, levels from h = n/2 down) or decimation in time (bit-reversed in, natural out, levels
/// from h = 2^first_level up).
enum class network : std::uint8_t { dif, dit };

/// One batched NTT over `batch` columns of n = 2^log_n words, without any final scaling:
///   DIF: out[bitrev(j)] = sum_i x[i] w^(ij);   DIT: out[j] = sum_i x[bitrev(i)] w^(ij)
/// (w the root d_tw was built for), skipping the DIT levels below first_level (their work
/// must already be done, e.g. rows repeated in groups of 2^first_level; first_level = 0 for DIF).
/// Column c is read from d_in + c * in_stride, row i of it from row i >> in_shift (in_shift > 0
/// expands a short column into repeated rows, as an LDE needs), scaled by `pre`; the result is
/// scaled by `post` and written to d_out + c * out_stride. d_in may equal d_out (in place, with
/// in_shift = 0 and equal strides). Levels run in passes of up to 13 levels in shared memory.
cudaError_t run_ntt(network kind, const std::uint32_t* d_in, std::size_t in_stride, unsigned in_shift,
                    std::uint32_t* d_out, std::size_t out_stride, unsigned log_n, std::size_t batch,
                    const std::uint32_t* d_tw, unsigned first_level, row_factors pre, row_factors post,
                    cudaStream_t stream);

/// d_dst[c * dst_stride + bitrev_{log_n}(i)] = d_src[c * src_stride + i] for every i < 2^log_n
/// and c < batch. The two ranges must not overlap.
cudaError_t bit_reverse(const std::uint32_t* d_src, std::size_t src_stride, std::uint32_t* d_dst,
                        std::size_t dst_stride, unsigned log_n, std::size_t batch, cudaStream_t stream);

/// Transposes the row-major rows x cols matrix d_src into the row-major cols x rows matrix
/// d_dst (so a row-major matrix becomes column-major, and back). No overlap.
/// Precondition: rows * cols < 2^41.
cudaError_t transpose(const std::uint32_t* d_src, std::uint32_t* d_dst, std::size_t rows, std::size_t cols,
                      cudaStream_t stream);

}  // namespace ciro::kernels::cuda
