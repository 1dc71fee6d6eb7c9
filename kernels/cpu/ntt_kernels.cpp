// Vectorised radix-2 DIF NTT passes over BabyBear (see kernels/cpu/ntt_kernels.hpp).
//
// Layout of the work. A DIF level with half-size h pairs rows r and r + h (r mod 2h < h):
//   (x_r, x_{r+h}) <- (x_r + x_{r+h}, (x_r - x_{r+h}) * w_{2h}^(r mod h)).
// The levels h = n/2 ... 1 are split into passes of at most k levels whose working set fits in
// L2. A pass over levels h = M*2^(k-1) ... M touches, for each offset j < M, only the 2^k rows
// j + t*M (t < 2^k): these independent "strided sub-problems" are what TBB distributes. The last
// pass (M = 1) works on contiguous blocks.
// Vectorisation: for width >= lanes, a vector holds consecutive columns of one row and the
// twiddle is broadcast; for width 1, a vector holds consecutive rows and the twiddles are a
// contiguous load from the level's table, except for the levels h < lanes, which are done
// inside the register with a lane permutation.

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ntt_kernels.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <tbb/parallel_for.h>

#include <algorithm>
#include <vector>

#include "field/babybear.hpp"
#include "kernels/cpu/ntt_kernels.hpp"
#include "hwy/highway.h"
#include "field/packed_monty31-inl.h"

HWY_BEFORE_NAMESPACE();
namespace ciro::kernels::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using field::babybear;
using field::HWY_NAMESPACE::add_mod;
using field::HWY_NAMESPACE::make_monty31_constants;
using field::HWY_NAMESPACE::mul_mod;
using field::HWY_NAMESPACE::sub_mod;

using tag = hn::ScalableTag<std::uint32_t>;

/// Working-set budget of one sub-problem, in bytes (half of a 1 MiB L2).
constexpr std::size_t pass_bytes = 512 * 1024;

inline auto constants(tag d) { return make_monty31_constants(d, babybear::modulus, babybear::modulus_inv); }

/// One scalar butterfly, for the columns past the last full vector.
inline void butterfly_scalar(std::uint32_t& a, std::uint32_t& b, std::uint32_t w) {
  const babybear x = babybear::from_monty(a), y = babybear::from_monty(b);
  a = (x + y).monty();
  b = ((x - y) * babybear::from_monty(w)).monty();
}

// ---- width >= lanes: vectors across columns, broadcast twiddles -------------------------------

/// Levels h = M*2^(k-1) ... M on rows j + t*M (t < 2^k) of x, columns [c0, c1).
void dif_rows_strided(std::uint32_t* x, std::size_t width, std::size_t c0, std::size_t c1, std::size_t j,
                      std::size_t m_stride, unsigned k, const twiddle_table& tw) {
  const tag d;
  const auto c = constants(d);
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t count = std::size_t{1} << k;
  for (unsigned m = k; m-- > 0;) {
    const std::size_t h = m_stride << m;
    const std::uint32_t* twl = tw.level(h);
    const std::size_t half = std::size_t{1} << m;
    for (std::size_t t0 = 0; t0 < count; t0 += 2 * half) {
      for (std::size_t t = t0; t < t0 + half; ++t) {
        const std::size_t r = j + t * m_stride;
        const std::uint32_t w = twl[r & (h - 1)];
        const auto wv = hn::Set(d, w);
        std::uint32_t* pa = x + r * width;
        std::uint32_t* pb = pa + h * width;
        std::size_t col = c0;
        for (; col + lanes <= c1; col += lanes) {
          const auto a = hn::LoadU(d, pa + col), b = hn::LoadU(d, pb + col);
          hn::StoreU(add_mod(d, a, b, c), d, pa + col);
          hn::StoreU(mul_mod(d, sub_mod(d, a, b, c), wv, c), d, pb + col);
        }
        for (; col < c1; ++col) butterfly_scalar(pa[col], pb[col], w);
      }
    }
  }
}

void dif_rows(std::uint32_t* x, std::size_t width, const twiddle_table& tw) {
  const unsigned log_n = tw.log_n;
  const std::size_t lanes = hn::Lanes(tag());
  // Column strips of up to 64 columns (a whole row when narrower); the last strip keeps the
  // columns past the final multiple of the strip width.
  const std::size_t strip = std::min<std::size_t>(width, 64);
  const std::size_t strips = std::max<std::size_t>(1, width / strip);
  unsigned max_k = 1;
  while ((std::size_t{2} << max_k) * strip * 4 <= pass_bytes && max_k < log_n) ++max_k;
  (void)lanes;
  for (unsigned remaining = log_n; remaining > 0;) {
    const unsigned k = std::min(remaining, max_k);
    const std::size_t m_stride = std::size_t{1} << (remaining - k);
    const std::size_t blocks = std::size_t{1} << (log_n - remaining);  // blocks of 2^remaining rows
    const std::size_t units = blocks * m_stride * strips;
    tbb::parallel_for(std::size_t{0}, units, [&](std::size_t u) {
      const std::size_t s = u % strips, rest = u / strips;
      const std::size_t j = rest % m_stride, block = rest / m_stride;
      const std::size_t c0 = s * strip, c1 = s + 1 == strips ? width : c0 + strip;
      dif_rows_strided(x + (block << remaining) * width, width, c0, c1, j, m_stride, k, tw);
    });
    remaining -= k;
  }
}

// ---- width 1: vectors across rows, twiddle vectors ---------------------------------------------

/// Levels h = M*2^(k-1) ... M (M >= lanes) on rows j..j+lanes-1 + t*M of the column x.
void dif_column_strided(std::uint32_t* x, std::size_t j, std::size_t m_stride, unsigned k, const twiddle_table& tw) {
  const tag d;
  const auto c = constants(d);
  const std::size_t count = std::size_t{1} << k;
  for (unsigned m = k; m-- > 0;) {
    const std::size_t h = m_stride << m;
    const std::uint32_t* twl = tw.level(h);
    const std::size_t half = std::size_t{1} << m;
    for (std::size_t t0 = 0; t0 < count; t0 += 2 * half) {
      for (std::size_t t = t0; t < t0 + half; ++t) {
        const std::size_t r = j + t * m_stride;
        const auto wv = hn::LoadU(d, twl + (r & (h - 1)));
        const auto a = hn::LoadU(d, x + r), b = hn::LoadU(d, x + r + h);
        hn::StoreU(add_mod(d, a, b, c), d, x + r);
        hn::StoreU(mul_mod(d, sub_mod(d, a, b, c), wv, c), d, x + r + h);
      }
    }
  }
}

/// All levels h = 2^(b-1) ... 1 on the contiguous block x[0, 2^b), 2^b >= lanes.
void dif_column_block(std::uint32_t* x, unsigned b, const twiddle_table& tw) {
  const tag d;
  const auto c = constants(d);
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t size = std::size_t{1} << b;
  for (std::size_t h = size / 2; h >= lanes; h /= 2) {
    const std::uint32_t* twl = tw.level(h);
    for (std::size_t r0 = 0; r0 < size; r0 += 2 * h) {
      for (std::size_t r = 0; r < h; r += lanes) {
        const auto wv = hn::LoadU(d, twl + r);
        const auto a = hn::LoadU(d, x + r0 + r), b_vec = hn::LoadU(d, x + r0 + r + h);
        hn::StoreU(add_mod(d, a, b_vec, c), d, x + r0 + r);
        hn::StoreU(mul_mod(d, sub_mod(d, a, b_vec, c), wv, c), d, x + r0 + r + h);
      }
    }
  }
#if HWY_TARGET != HWY_SCALAR
  // Levels h < lanes inside each vector: lane i pairs with lane i ^ h. Lanes with bit h clear
  // take v + t (t the partner), the others (t - v) * w_{2h}^(i mod h).
  const hn::RebindToSigned<tag> di;
  const auto iota = hn::Iota(di, 0);
  constexpr std::size_t max_levels = 8;
  hn::Vec<tag> level_twiddles[max_levels];
  hn::Mask<tag> level_upper[max_levels];
  decltype(hn::IndicesFromVec(d, iota)) level_partner[max_levels];
  std::size_t levels = 0;
  for (std::size_t h = lanes / 2; h >= 1; h /= 2, ++levels) {
    HWY_ALIGN std::uint32_t w[HWY_MAX_BYTES / 4] = {};
    for (std::size_t i = 0; i < lanes; ++i) w[i] = (i & h) ? tw.level(h)[i & (h - 1)] : babybear::one().monty();
    level_twiddles[levels] = hn::Load(d, w);
    level_upper[levels] =
        hn::RebindMask(d, hn::Ne(hn::And(iota, hn::Set(di, static_cast<std::int32_t>(h))), hn::Zero(di)));
    level_partner[levels] = hn::IndicesFromVec(d, hn::Xor(iota, hn::Set(di, static_cast<std::int32_t>(h))));
  }
  for (std::size_t r = 0; r < size; r += lanes) {
    auto v = hn::LoadU(d, x + r);
    for (std::size_t l = 0; l < levels; ++l) {
      const auto t = hn::TableLookupLanes(v, level_partner[l]);
      v = hn::IfThenElse(level_upper[l], mul_mod(d, sub_mod(d, t, v, c), level_twiddles[l], c), add_mod(d, v, t, c));
    }
    hn::StoreU(v, d, x + r);
  }
#endif
}

void dif_column(std::uint32_t* x, const twiddle_table& tw) {
  const unsigned log_n = tw.log_n;
  const std::size_t lanes = hn::Lanes(tag());
  unsigned log_lanes = 0;
  while ((std::size_t{1} << log_lanes) < lanes) ++log_lanes;
  if (log_n < log_lanes + 1) {  // too short to vectorise: use the width >= 1 scalar-tail path
    dif_rows_strided(x, 1, 0, 1, 0, 1, log_n, tw);
    return;
  }
  // A strided sub-problem covers lanes consecutive rows: 2^k * lanes * 4 bytes.
  unsigned max_k = 1;
  while ((std::size_t{2} << max_k) * lanes * 4 <= pass_bytes && max_k < log_n) ++max_k;
  unsigned remaining = log_n;
  const unsigned block_bits = std::min(log_n, 15u);  // 128 KiB contiguous blocks
  while (remaining > block_bits) {
    const unsigned k = std::min(remaining - block_bits, max_k);
    const std::size_t m_stride = std::size_t{1} << (remaining - k);
    const std::size_t blocks = std::size_t{1} << (log_n - remaining);
    const std::size_t per_block = m_stride / lanes;
    tbb::parallel_for(std::size_t{0}, blocks * per_block, [&](std::size_t u) {
      const std::size_t block = u / per_block, j = (u % per_block) * lanes;
      dif_column_strided(x + (block << remaining), j, m_stride, k, tw);
    });
    remaining -= k;
  }
  tbb::parallel_for(std::size_t{0}, std::size_t{1} << (log_n - remaining),
                    [&](std::size_t block) { dif_column_block(x + (block << remaining), remaining, tw); });
}

void dif_matrix_impl(std::uint32_t* x, std::size_t width, const twiddle_table& tw) {
  if (tw.log_n == 0) return;
  if (width == 1) {
    dif_column(x, tw);
  } else {
    dif_rows(x, width, tw);
  }
}

void scale_rows_impl(std::uint32_t* x, std::size_t n, std::size_t width, std::uint32_t first, std::uint32_t ratio) {
  const tag d;
  const auto c = constants(d);
  const std::size_t lanes = hn::Lanes(d);
  constexpr std::size_t chunk_rows = 1024;
  const babybear q = babybear::from_monty(ratio);
  tbb::parallel_for(std::size_t{0}, (n + chunk_rows - 1) / chunk_rows, [&](std::size_t chunk) {
    const std::size_t r0 = chunk * chunk_rows, r1 = std::min(n, r0 + chunk_rows);
    babybear f = babybear::from_monty(first) * q.pow(r0);
    if (width == 1 && r1 - r0 >= lanes) {
      // Vector of f * q^i for i < lanes, advanced by q^lanes.
      HWY_ALIGN std::uint32_t powers[HWY_MAX_BYTES / 4] = {};
      babybear g = f;
      for (std::size_t i = 0; i < lanes; ++i, g *= q) powers[i] = g.monty();
      auto pv = hn::Load(d, powers);
      const auto step = hn::Set(d, q.pow(lanes).monty());
      std::size_t r = r0;
      for (; r + lanes <= r1; r += lanes) {
        hn::StoreU(mul_mod(d, hn::LoadU(d, x + r), pv, c), d, x + r);
        pv = mul_mod(d, pv, step, c);
      }
      f = babybear::from_monty(first) * q.pow(r);
      for (; r < r1; ++r, f *= q) x[r] = (babybear::from_monty(x[r]) * f).monty();
      return;
    }
    for (std::size_t r = r0; r < r1; ++r, f *= q) {
      std::uint32_t* row = x + r * width;
      const auto fv = hn::Set(d, f.monty());
      std::size_t col = 0;
      for (; col + lanes <= width; col += lanes) hn::StoreU(mul_mod(d, hn::LoadU(d, row + col), fv, c), d, row + col);
      for (; col < width; ++col) row[col] = (babybear::from_monty(row[col]) * f).monty();
    }
  });
}

std::size_t simd_lanes_impl() { return hn::Lanes(tag()); }

}  // namespace ciro::kernels::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/cpu/ntt_kernels.hpp"

namespace ciro::kernels::cpu {

HWY_EXPORT(dif_matrix_impl);
HWY_EXPORT(scale_rows_impl);
HWY_EXPORT(simd_lanes_impl);

void dif_matrix(std::uint32_t* x, std::size_t width, const twiddle_table& tw) {
  HWY_DYNAMIC_DISPATCH(dif_matrix_impl)(x, width, tw);
}
void scale_rows_by_powers(std::uint32_t* x, std::size_t n, std::size_t width, std::uint32_t first,
                          std::uint32_t ratio) {
  HWY_DYNAMIC_DISPATCH(scale_rows_impl)(x, n, width, first, ratio);
}
std::size_t simd_lanes() { return HWY_DYNAMIC_DISPATCH(simd_lanes_impl)(); }

void bit_reverse_rows(std::uint32_t* x, unsigned log_n, std::size_t width) {
  if (log_n == 0) return;
  const std::size_t n = std::size_t{1} << log_n;
  const unsigned shift = 64 - log_n;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 4096), [&](const tbb::blocked_range<std::size_t>& range) {
    for (std::size_t r = range.begin(); r < range.end(); ++r) {
      std::uint64_t v = r;  // reverse the low log_n bits
      v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
      v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
      v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
      v = __builtin_bswap64(v);
      const std::size_t rev = static_cast<std::size_t>(v >> shift);
      if (r < rev) std::swap_ranges(x + r * width, x + (r + 1) * width, x + rev * width);
    }
  });
}

}  // namespace ciro::kernels::cpu
#endif  // HWY_ONCE
