// CUDA kernels of the BabyBear NTT: twiddle tables, shared-memory multi-level butterfly passes,
// bit-reversal and transposition. The arithmetic is field/babybear.hpp itself (CIRO_HD).
#include <algorithm>

#include "field/babybear.hpp"
#include "kernels/cuda/ntt.cuh"

namespace ciro::kernels::cuda {
namespace {

using field::babybear;

/// log2 of the words of one shared-memory tile (32 KiB): up to 13 levels per pass.
constexpr unsigned tile_log_max = 13;
/// A strided tile reads runs of at least 2^3 consecutive words (one 32-byte sector).
constexpr unsigned min_run_log = 3;
constexpr unsigned max_threads = 512;

__device__ __forceinline__ std::uint32_t mul(std::uint32_t a, std::uint32_t b) {
  return (babybear::from_monty(a) * babybear::from_monty(b)).monty();
}

/// The low `bits` bits of v reversed (bits <= 32).
__device__ __forceinline__ std::uint32_t reverse_bits(std::uint32_t v, unsigned bits) {
  return bits == 0 ? 0u : __brev(v) >> (32 - bits);
}

__device__ __forceinline__ std::uint32_t factor_at(const row_factors& f, std::uint32_t i, unsigned log_n) {
  const std::uint32_t e = f.bit_reversed ? reverse_bits(i, log_n) : i;
  return mul(f.low[e & ((1u << f.low_bits) - 1)], f.high[e >> f.low_bits]);
}

__global__ void fill_powers_kernel(std::uint32_t* out, std::size_t count, std::uint32_t first, std::uint32_t ratio,
                                   unsigned log_step) {
  for (std::size_t j = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; j < count;
       j += std::size_t{gridDim.x} * blockDim.x) {
    out[j] = (babybear::from_monty(first) * babybear::from_monty(ratio).pow(std::uint64_t{j} << log_step)).monty();
  }
}

/// Level h = 2^(log_n-1) (the top level) holds w^i; every lower level h holds w_{2h}^i =
/// w^(i * n / 2h), an entry of the top level.
__global__ void fill_twiddles_kernel(std::uint32_t* tw, unsigned log_n, std::uint32_t w) {
  const std::uint32_t top = 1u << (log_n - 1);
  for (std::uint32_t q = blockIdx.x * blockDim.x + threadIdx.x; q < 2 * top - 1; q += gridDim.x * blockDim.x) {
    const unsigned log_h = 31 - __clz(q + 1);
    const std::uint32_t i = q + 1 - (1u << log_h);
    tw[q] = babybear::from_monty(w).pow(std::uint64_t{i} << (log_n - 1 - log_h)).monty();
  }
}

/// One pass of `k` butterfly levels, the level half-sizes h = 2^a ... 2^(a+k-1) rows, in shared
/// memory. A column is viewed as [hi][g][lo] with g < 2^k (the butterfly index of this pass)
/// and lo < 2^a; a tile is 2^th hi values x all g x 2^tl consecutive lo values, so every load
/// and store reads runs of 2^tl >= 8 consecutive words (or the whole tile is contiguous).
struct pass_args {
  const std::uint32_t* in;
  std::size_t in_stride;
  unsigned in_shift;
  std::uint32_t* out;
  std::size_t out_stride;
  const std::uint32_t* tw;
  row_factors pre, post;
  unsigned log_n, a, k, tl, th;
  unsigned log_tiles;  // log2(tiles per column)
};

template <network Kind>
__global__ void __launch_bounds__(max_threads) ntt_pass(pass_args p) {
  __shared__ std::uint32_t s[1u << tile_log_max];
  const unsigned tile_log = p.th + p.k + p.tl;
  const std::uint32_t tile_words = 1u << tile_log;
  const std::size_t column = blockIdx.x >> p.log_tiles;
  const std::uint32_t tile = blockIdx.x & ((1u << p.log_tiles) - 1);
  const unsigned lo_chunks_log = p.a - p.tl;
  const std::uint32_t lo0 = (tile & ((1u << lo_chunks_log) - 1)) << p.tl;
  const std::uint32_t hi0 = (tile >> lo_chunks_log) << p.th;
  const std::uint32_t tl_mask = (1u << p.tl) - 1, g_mask = (1u << p.k) - 1;

  auto row_of = [&](std::uint32_t e) {
    const std::uint32_t t_l = e & tl_mask, g = (e >> p.tl) & g_mask, t_h = e >> (p.tl + p.k);
    return ((hi0 + t_h) << (p.a + p.k)) | (g << p.a) | (lo0 + t_l);
  };

  const std::uint32_t* in = p.in + column * p.in_stride;
  for (std::uint32_t e = threadIdx.x; e < tile_words; e += blockDim.x) {
    const std::uint32_t i = row_of(e);
    std::uint32_t v = in[i >> p.in_shift];
    if (p.pre.low != nullptr) v = mul(v, factor_at(p.pre, i, p.log_n));
    s[e] = v;
  }
  __syncthreads();

  const std::uint32_t butterflies = tile_words / 2;
  for (unsigned step = 0; step < p.k; ++step) {
    const unsigned j = Kind == network::dif ? p.k - 1 - step : step;  // level h = 2^(a + j)
    const std::uint32_t* tw = p.tw + (1u << (p.a + j)) - 1;
    const std::uint32_t jl_mask = (1u << j) - 1;
    for (std::uint32_t b = threadIdx.x; b < butterflies; b += blockDim.x) {
      const std::uint32_t t_l = b & tl_mask, gp = (b >> p.tl) & (g_mask >> 1), t_h = b >> (p.tl + p.k - 1);
      const std::uint32_t g_lo = gp & jl_mask, g0 = ((gp >> j) << (j + 1)) | g_lo;
      const std::uint32_t e0 = (t_h << (p.tl + p.k)) | (g0 << p.tl) | t_l, e1 = e0 + (1u << (j + p.tl));
      const babybear w = babybear::from_monty(tw[(g_lo << p.a) | (lo0 + t_l)]);
      const babybear u = babybear::from_monty(s[e0]), v = babybear::from_monty(s[e1]);
      if constexpr (Kind == network::dif) {
        s[e0] = (u + v).monty();
        s[e1] = ((u - v) * w).monty();
      } else {
        const babybear t = v * w;
        s[e0] = (u + t).monty();
        s[e1] = (u - t).monty();
      }
    }
    __syncthreads();
  }

  std::uint32_t* out = p.out + column * p.out_stride;
  for (std::uint32_t e = threadIdx.x; e < tile_words; e += blockDim.x) {
    const std::uint32_t i = row_of(e);
    std::uint32_t v = s[e];
    if (p.post.low != nullptr) v = mul(v, factor_at(p.post, i, p.log_n));
    out[i] = v;
  }
}

/// Bit reversal of columns of at least 2^10 rows: the row index is split into 5 high bits a,
/// middle bits m and 5 low bits b; a block moves the 32 x 32 words (a, m, b) for one m, reading
/// runs over b and writing runs over rev(a), through a padded shared tile.
__global__ void bit_reverse_tiled(const std::uint32_t* src, std::size_t src_stride, std::uint32_t* dst,
                                  std::size_t dst_stride, unsigned log_n) {
  __shared__ std::uint32_t s[32][33];
  const unsigned mid_bits = log_n - 10;
  const std::size_t column = blockIdx.x >> mid_bits;
  const std::uint32_t m = blockIdx.x & ((1u << mid_bits) - 1);
  const std::uint32_t* in = src + column * src_stride;
  std::uint32_t* out = dst + column * dst_stride;
  const std::uint32_t mid_in = m << 5, mid_out = reverse_bits(m, mid_bits) << 5;
  for (unsigned a = threadIdx.y; a < 32; a += blockDim.y) {
    s[a][threadIdx.x] = in[(a << (log_n - 5)) | mid_in | threadIdx.x];
  }
  __syncthreads();
  // Destination row (rev(b), rev(m), rev(a)): thread x writes rev(a) = x.
  const unsigned a = reverse_bits(threadIdx.x, 5);
  for (unsigned rb = threadIdx.y; rb < 32; rb += blockDim.y) {
    out[(rb << (log_n - 5)) | mid_out | threadIdx.x] = s[a][reverse_bits(rb, 5)];
  }
}

__global__ void bit_reverse_small(const std::uint32_t* src, std::size_t src_stride, std::uint32_t* dst,
                                  std::size_t dst_stride, unsigned log_n, std::size_t batch) {
  const std::size_t total = batch << log_n;
  for (std::size_t q = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; q < total;
       q += std::size_t{gridDim.x} * blockDim.x) {
    const std::size_t column = q >> log_n;
    const std::uint32_t i = static_cast<std::uint32_t>(q & ((std::size_t{1} << log_n) - 1));
    dst[column * dst_stride + reverse_bits(i, log_n)] = src[column * src_stride + i];
  }
}

/// 32 x 32 tiles through padded shared memory; block b moves row tile b % row_tiles of column
/// tile b / row_tiles.
__global__ void transpose_kernel(const std::uint32_t* src, std::uint32_t* dst, std::size_t rows, std::size_t cols,
                                 unsigned row_tiles) {
  __shared__ std::uint32_t s[32][33];
  const std::size_t r0 = std::size_t{blockIdx.x % row_tiles} * 32, c0 = std::size_t{blockIdx.x / row_tiles} * 32;
  for (unsigned y = threadIdx.y; y < 32; y += blockDim.y) {
    const std::size_t r = r0 + y, c = c0 + threadIdx.x;
    if (r < rows && c < cols) s[y][threadIdx.x] = src[r * cols + c];
  }
  __syncthreads();
  for (unsigned y = threadIdx.y; y < 32; y += blockDim.y) {
    const std::size_t c = c0 + y, r = r0 + threadIdx.x;
    if (r < rows && c < cols) dst[c * rows + r] = s[threadIdx.x][y];
  }
}

unsigned grid_for(std::size_t work, unsigned threads) {
  return static_cast<unsigned>(std::clamp<std::size_t>((work + threads - 1) / threads, 1, std::size_t{1} << 20));
}

}  // namespace

cudaError_t fill_powers(std::uint32_t* d_out, std::size_t count, std::uint32_t first, std::uint32_t ratio,
                        unsigned log_step, cudaStream_t stream) {
  fill_powers_kernel<<<grid_for(count, 256), 256, 0, stream>>>(d_out, count, first, ratio, log_step);
  return cudaGetLastError();
}

cudaError_t fill_twiddles(std::uint32_t* d_tw, unsigned log_n, std::uint32_t w, cudaStream_t stream) {
  fill_twiddles_kernel<<<grid_for(std::size_t{1} << log_n, 256), 256, 0, stream>>>(d_tw, log_n, w);
  return cudaGetLastError();
}

cudaError_t run_ntt(network kind, const std::uint32_t* d_in, std::size_t in_stride, unsigned in_shift,
                    std::uint32_t* d_out, std::size_t out_stride, unsigned log_n, std::size_t batch,
                    const std::uint32_t* d_tw, unsigned first_level, row_factors pre, row_factors post,
                    cudaStream_t stream) {
  if (batch == 0) return cudaSuccess;
  // Plan passes from the lowest level up: the pass starting at level a takes as many levels as
  // a tile holds while keeping runs of >= 8 words (fewer when a < 3: then tiles are contiguous).
  const unsigned tile_log = std::min(tile_log_max, log_n);
  struct level_range {
    unsigned a, k;
  };
  level_range passes[32];
  unsigned count = 0;
  for (unsigned a = first_level; a < log_n;) {
    const unsigned k = std::min(log_n - a, tile_log - std::min(a, min_run_log));
    passes[count++] = {a, k};
    a += k;
  }
  const bool copies = d_in != d_out || in_shift != 0 || in_stride != out_stride;
  if (count == 0) {
    if (!copies && pre.low == nullptr && post.low == nullptr) return cudaSuccess;
    passes[count++] = {std::min(first_level, log_n), 0};  // a scaling/copying pass, no levels
  }
  if (kind == network::dif) std::reverse(passes, passes + count);

  for (unsigned q = 0; q < count; ++q) {
    pass_args p{};
    p.in = q == 0 ? d_in : d_out;
    p.in_stride = q == 0 ? in_stride : out_stride;
    p.in_shift = q == 0 ? in_shift : 0;
    p.out = d_out;
    p.out_stride = out_stride;
    p.tw = d_tw;
    if (q == 0) p.pre = pre;
    if (q + 1 == count) p.post = post;
    p.log_n = log_n;
    p.a = passes[q].a;
    p.k = passes[q].k;
    p.tl = std::min(p.a, tile_log - p.k);
    p.th = tile_log - p.k - p.tl;
    p.log_tiles = log_n - tile_log;
    const unsigned threads = static_cast<unsigned>(std::clamp(1u << tile_log >> 1, 32u, max_threads));
    const std::size_t blocks = batch << p.log_tiles;
    if (blocks >= (std::size_t{1} << 31)) return cudaErrorInvalidConfiguration;
    if (kind == network::dif) {
      ntt_pass<network::dif><<<static_cast<unsigned>(blocks), threads, 0, stream>>>(p);
    } else {
      ntt_pass<network::dit><<<static_cast<unsigned>(blocks), threads, 0, stream>>>(p);
    }
    if (const cudaError_t status = cudaGetLastError(); status != cudaSuccess) return status;
  }
  return cudaSuccess;
}

cudaError_t bit_reverse(const std::uint32_t* d_src, std::size_t src_stride, std::uint32_t* d_dst,
                        std::size_t dst_stride, unsigned log_n, std::size_t batch, cudaStream_t stream) {
  if (batch == 0) return cudaSuccess;
  if (log_n >= 10) {
    const std::size_t blocks = batch << (log_n - 10);
    if (blocks >= (std::size_t{1} << 31)) return cudaErrorInvalidConfiguration;
    bit_reverse_tiled<<<static_cast<unsigned>(blocks), dim3(32, 8), 0, stream>>>(d_src, src_stride, d_dst, dst_stride,
                                                                                 log_n);
  } else {
    bit_reverse_small<<<grid_for(batch << log_n, 256), 256, 0, stream>>>(d_src, src_stride, d_dst, dst_stride, log_n,
                                                                         batch);
  }
  return cudaGetLastError();
}

cudaError_t transpose(const std::uint32_t* d_src, std::uint32_t* d_dst, std::size_t rows, std::size_t cols,
                      cudaStream_t stream) {
  if (rows == 0 || cols == 0) return cudaSuccess;
  const std::size_t row_tiles = (rows + 31) / 32, col_tiles = (cols + 31) / 32;
  if (row_tiles * col_tiles >= (std::size_t{1} << 31)) return cudaErrorInvalidConfiguration;
  transpose_kernel<<<static_cast<unsigned>(row_tiles * col_tiles), dim3(32, 8), 0, stream>>>(
      d_src, d_dst, rows, cols, static_cast<unsigned>(row_tiles));
  return cudaGetLastError();
}

}  // namespace ciro::kernels::cuda
