// Vectorised radix-2 NTT passes over BabyBear (see kernels/cpu/ntt_kernels.hpp).
//
// Two butterflies, both with w = w_{2h}^(r mod h) for the pair of rows (r, r + h), r mod 2h < h:
//   DIF (decimation in frequency): (a, b) <- (a + b, (a - b) * w), levels h = n/2 ... 1,
//       natural order in, bit-reversed order out;
//   DIT (decimation in time):      (a, b) <- (a + w * b, a - w * b), levels h = 1 ... n/2,
//       bit-reversed order in, natural order out.
// Levels are grouped into passes whose working set fits in L2 (pass_plan below). A pass over
// the levels [lo, hi) (h = 2^lo ... 2^(hi-1)) with lo > 0 is "strided": for each offset
// j < M = 2^lo it touches only the 2^(hi-lo) rows j + t*M of a block of 2^hi rows, and these
// independent sub-problems are what TBB distributes; they are copied to a contiguous scratch
// buffer first, since rows a power of two apart would all fall into the same cache sets. The
// pass with lo = 0 works in place on contiguous blocks.
// Vectorisation: for width >= lanes a vector holds consecutive columns of one row and the
// twiddle is broadcast; for width 1 a vector holds consecutive rows and the twiddles are a
// contiguous load from the level's table, except for levels h < lanes, done inside the
// register with a lane permutation.

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ntt_kernels.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <tbb/parallel_for.h>

#include <algorithm>
#include <vector>

#include "field/babybear.hpp"
#include "kernels/cpu/ntt_kernels.hpp"
#include "hwy/aligned_allocator.h"
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
template <bool kDit>
inline void butterfly_scalar(std::uint32_t& a, std::uint32_t& b, std::uint32_t w) {
  const babybear x = babybear::from_monty(a), y = babybear::from_monty(b), t = babybear::from_monty(w);
  if constexpr (kDit) {
    const babybear wy = y * t;
    a = (x + wy).monty();
    b = (x - wy).monty();
  } else {
    a = (x + y).monty();
    b = ((x - y) * t).monty();
  }
}

/// The vector butterfly on the rows at pa and pb (one vector each) with twiddle vector wv.
template <bool kDit, class D, class V, class C>
HWY_INLINE void butterfly(D d, std::uint32_t* pa, std::uint32_t* pb, V wv, const C& c) {
  const V a = hn::LoadU(d, pa), b = hn::LoadU(d, pb);
  if constexpr (kDit) {
    const V wb = mul_mod(d, b, wv, c);
    hn::StoreU(add_mod(d, a, wb, c), d, pa);
    hn::StoreU(sub_mod(d, a, wb, c), d, pb);
  } else {
    hn::StoreU(add_mod(d, a, b, c), d, pa);
    hn::StoreU(mul_mod(d, sub_mod(d, a, b, c), wv, c), d, pb);
  }
}

/// The order in which a pass visits its levels m = 0 .. k-1 (h = M * 2^m): downwards for DIF,
/// upwards for DIT.
template <bool kDit, class Body>
HWY_INLINE void for_each_level(unsigned k, Body body) {
  for (unsigned i = 0; i < k; ++i) body(kDit ? i : k - 1 - i);
}

// ---- strided passes, run on a contiguous copy ------------------------------------------------

/// Levels h = M*2^m (m < k) of one strided sub-problem held in scratch (2^k rows of `span`
/// words). Column mode (width 1): scratch word (t, s) is element j + s + t*M of the column, so
/// consecutive words have consecutive twiddles (a vector load). Row mode (width >= lanes):
/// scratch word (t, s) is column c0 + s of row j + t*M, and a scratch row shares one twiddle.
template <bool kColumnMode, bool kDit>
void levels_in_scratch(std::uint32_t* buf, std::size_t span, std::size_t j, std::size_t m_stride, unsigned k,
                       const twiddle_table& tw) {
  const tag d;
  const auto c = constants(d);
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t count = std::size_t{1} << k;
  for_each_level<kDit>(k, [&](unsigned m) {
    const std::size_t h = m_stride << m;
    const std::uint32_t* twl = tw.level(h);
    const std::size_t half = std::size_t{1} << m;
    for (std::size_t t0 = 0; t0 < count; t0 += 2 * half) {
      for (std::size_t t = t0; t < t0 + half; ++t) {
        // (j + t*M) mod h; in column mode word s adds s without wrapping, as j + span <= M <= h.
        const std::size_t tw_index = (j + t * m_stride) & (h - 1);
        std::uint32_t* pa = buf + t * span;
        std::uint32_t* pb = pa + half * span;
        std::size_t s = 0;
        if constexpr (kColumnMode) {
          for (; s + lanes <= span; s += lanes) butterfly<kDit>(d, pa + s, pb + s, hn::LoadU(d, twl + tw_index + s), c);
        } else {
          const auto wv = hn::Set(d, twl[tw_index]);
          for (; s + lanes <= span; s += lanes) butterfly<kDit>(d, pa + s, pb + s, wv, c);
          for (; s < span; ++s) butterfly_scalar<kDit>(pa[s], pb[s], twl[tw_index]);
        }
      }
    }
  });
}

/// dst[0, n) = src[0, n) with full vectors (inlined; a memmove call per short row costs more).
inline void copy_words(const std::uint32_t* src, std::uint32_t* dst, std::size_t n) {
  const tag d;
  const std::size_t lanes = hn::Lanes(d);
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(hn::LoadU(d, src + i), d, dst + i);
  for (; i < n; ++i) dst[i] = src[i];
}

/// Per-thread scratch for the strided passes, grown on demand and aligned for full vectors.
std::uint32_t* scratch(std::size_t words) {
  thread_local hwy::AlignedFreeUniquePtr<std::uint32_t[]> buffer;
  thread_local std::size_t capacity = 0;
  if (capacity < words) {
    buffer = hwy::AllocateAligned<std::uint32_t>(words);
    capacity = words;
  }
  return buffer.get();
}

/// One strided pass over the levels [lo, hi) of the n x width matrix x. Column mode (width 1):
/// a sub-problem covers `span` consecutive offsets j. Row mode: one j and a strip of `span`
/// columns.
template <bool kColumnMode, bool kDit>
void strided_pass(std::uint32_t* x, unsigned log_n, std::size_t width, unsigned lo, unsigned hi, std::size_t span,
                  const twiddle_table& tw) {
  const unsigned k = hi - lo;
  const std::size_t m_stride = std::size_t{1} << lo;
  const std::size_t blocks = std::size_t{1} << (log_n - hi);
  const std::size_t count = std::size_t{1} << k;
  const std::size_t j_groups = kColumnMode ? m_stride / span : m_stride;
  const std::size_t strips = kColumnMode ? 1 : (width + span - 1) / span;
  tbb::parallel_for(std::size_t{0}, blocks * j_groups * strips, [&](std::size_t u) {
    const std::size_t strip = u % strips, rest = u / strips;
    const std::size_t block = rest / j_groups;
    const std::size_t j = kColumnMode ? (rest % j_groups) * span : rest % j_groups;
    const std::size_t c0 = strip * span, cols = kColumnMode ? span : std::min(span, width - c0);
    std::uint32_t* base = x + (block << hi) * width;
    std::uint32_t* buf = scratch(count * cols);
    auto source = [&](std::size_t t) { return base + (j + t * m_stride) * width + c0; };
    for (std::size_t t = 0; t < count; ++t) copy_words(source(t), buf + t * cols, cols);
    levels_in_scratch<kColumnMode, kDit>(buf, cols, j, m_stride, k, tw);
    for (std::size_t t = 0; t < count; ++t) copy_words(buf + t * cols, source(t), cols);
  });
}

// ---- contiguous blocks ---------------------------------------------------------------------------

/// Levels h = 2^lo ... 2^(hi-1) of a contiguous block of 2^hi rows of any width, in place.
template <bool kDit>
void rows_block(std::uint32_t* x, std::size_t width, unsigned lo, unsigned hi, const twiddle_table& tw) {
  const tag d;
  const auto c = constants(d);
  const std::size_t lanes = hn::Lanes(d);
  for_each_level<kDit>(hi - lo, [&](unsigned m) {
    const std::size_t h = std::size_t{1} << (lo + m);
    const std::uint32_t* twl = tw.level(h);
    for (std::size_t r0 = 0; r0 < (std::size_t{1} << hi); r0 += 2 * h) {
      for (std::size_t r = 0; r < h; ++r) {
        const std::uint32_t w = twl[r];
        const auto wv = hn::Set(d, w);
        std::uint32_t* pa = x + (r0 + r) * width;
        std::uint32_t* pb = pa + h * width;
        std::size_t col = 0;
        for (; col + lanes <= width; col += lanes) butterfly<kDit>(d, pa + col, pb + col, wv, c);
        for (; col < width; ++col) butterfly_scalar<kDit>(pa[col], pb[col], w);
      }
    }
  });
}

/// Levels h = 2^lo ... 2^(hi-1) of a contiguous block of one column (2^hi >= 2 * lanes):
/// vector pairs for h >= lanes, lane permutations for h < lanes.
template <bool kDit>
void column_block(std::uint32_t* x, unsigned lo, unsigned hi, const twiddle_table& tw) {
  const tag d;
  const auto c = constants(d);
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t size = std::size_t{1} << hi;
  unsigned log_lanes = 0;
  while ((std::size_t{1} << log_lanes) < lanes) ++log_lanes;
  const unsigned vector_lo = std::max(lo, log_lanes);
  auto vector_levels = [&] {
    for_each_level<kDit>(hi > vector_lo ? hi - vector_lo : 0, [&](unsigned m) {
      const std::size_t h = std::size_t{1} << (vector_lo + m);
      const std::uint32_t* twl = tw.level(h);
      for (std::size_t r0 = 0; r0 < size; r0 += 2 * h) {
        for (std::size_t r = 0; r < h; r += lanes)
          butterfly<kDit>(d, x + r0 + r, x + r0 + r + h, hn::LoadU(d, twl + r), c);
      }
    });
  };
  if constexpr (!kDit) vector_levels();
#if HWY_TARGET != HWY_SCALAR
  if (lo < log_lanes) {
    // Levels h < lanes inside each vector: lane i pairs with lane i ^ h and the pair's twiddle
    // is w_{2h}^(i mod h). Lanes with bit h clear hold a, the others b; t is the partner lane.
    //   DIF: a' = a + b = v + t,            b' = (a - b) w = (t - v) w;
    //   DIT: a' = a + w b = v + w t,        b' = a - w b = t - w v.
    const hn::RebindToSigned<tag> di;
    const auto iota = hn::Iota(di, 0);
    constexpr std::size_t max_levels = 8;
    hn::Vec<tag> level_twiddles[max_levels];
    hn::Mask<tag> level_upper[max_levels];
    decltype(hn::IndicesFromVec(d, iota)) level_partner[max_levels];
    std::size_t levels = 0;
    for_each_level<kDit>(log_lanes - lo, [&](unsigned m) {
      const std::size_t h = std::size_t{1} << (lo + m);
      HWY_ALIGN std::uint32_t w[HWY_MAX_BYTES / 4] = {};
      for (std::size_t i = 0; i < lanes; ++i) w[i] = tw.level(h)[i & (h - 1)];
      level_twiddles[levels] = hn::Load(d, w);
      level_upper[levels] =
          hn::RebindMask(d, hn::Ne(hn::And(iota, hn::Set(di, static_cast<std::int32_t>(h))), hn::Zero(di)));
      level_partner[levels] = hn::IndicesFromVec(d, hn::Xor(iota, hn::Set(di, static_cast<std::int32_t>(h))));
      ++levels;
    });
    for (std::size_t r = 0; r < size; r += lanes) {
      auto v = hn::LoadU(d, x + r);
      for (std::size_t l = 0; l < levels; ++l) {
        const auto t = hn::TableLookupLanes(v, level_partner[l]);
        if constexpr (kDit) {
          const auto p = mul_mod(d, hn::IfThenElse(level_upper[l], v, t), level_twiddles[l], c);
          v = hn::IfThenElse(level_upper[l], sub_mod(d, t, p, c), add_mod(d, v, p, c));
        } else {
          v = hn::IfThenElse(level_upper[l], mul_mod(d, sub_mod(d, t, v, c), level_twiddles[l], c),
                             add_mod(d, v, t, c));
        }
      }
      hn::StoreU(v, d, x + r);
    }
  }
#endif
  if constexpr (kDit) vector_levels();
}

// ---- pass planning -------------------------------------------------------------------------------

/// The number of levels whose rows (of `row_bytes` each) fit the pass budget, at least 1.
unsigned levels_fitting(std::size_t row_bytes, unsigned log_n) {
  unsigned k = 1;
  while (k < log_n && (std::size_t{2} << k) * row_bytes <= pass_bytes) ++k;
  return k;
}

/// Runs the levels [first_level, log n) of the transform of every column of x (n = 2^tw.log_n
/// rows of `width` words), as one contiguous-block pass over the low levels and strided passes
/// over the high ones, in the order the butterfly needs.
template <bool kDit>
void transform(std::uint32_t* x, std::size_t width, const twiddle_table& tw, unsigned first_level) {
  const unsigned log_n = tw.log_n;
  const std::size_t lanes = hn::Lanes(tag());
  unsigned log_lanes = 0;
  while ((std::size_t{1} << log_lanes) < lanes) ++log_lanes;
  const bool column_mode = width == 1 && log_n > log_lanes;
  // Column mode: 64 KiB blocks, then sub-problems of 64 consecutive offsets (256-byte scratch
  // rows). Row mode: blocks of whole rows, then strips of up to 64 columns.
  const std::size_t span = column_mode ? 64 : std::min<std::size_t>(width, 64);
  const unsigned block_bits = column_mode ? std::min(log_n, 14u) : std::min(log_n, levels_fitting(width * 4, log_n));
  const unsigned max_k = levels_fitting(span * 4, log_n);
  std::vector<std::pair<unsigned, unsigned>> passes;  // [lo, hi), from the bottom up
  const unsigned bottom_hi = std::max(block_bits, first_level);
  if (first_level < bottom_hi) passes.emplace_back(first_level, bottom_hi);
  for (unsigned lo = bottom_hi; lo < log_n;) {
    const unsigned hi = std::min(log_n, lo + max_k);
    passes.emplace_back(lo, hi);
    lo = hi;
  }
  if constexpr (!kDit) std::reverse(passes.begin(), passes.end());
  for (const auto& [lo, hi] : passes) {
    if (lo == first_level && hi == bottom_hi) {  // the contiguous pass
      tbb::parallel_for(std::size_t{0}, std::size_t{1} << (log_n - hi), [&, lo = lo, hi = hi](std::size_t block) {
        std::uint32_t* b = x + (block << hi) * width;
        if (column_mode) {
          column_block<kDit>(b, lo, hi, tw);
        } else {
          rows_block<kDit>(b, width, lo, hi, tw);
        }
      });
    } else if (column_mode) {
      strided_pass<true, kDit>(x, log_n, width, lo, hi, span, tw);
    } else {
      strided_pass<false, kDit>(x, log_n, width, lo, hi, span, tw);
    }
  }
}

void dif_matrix_impl(std::uint32_t* x, std::size_t width, const twiddle_table& tw) {
  transform<false>(x, width, tw, 0);
}
void dit_matrix_impl(std::uint32_t* x, std::size_t width, const twiddle_table& tw, unsigned first_level) {
  transform<true>(x, width, tw, first_level);
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

void scale_rows_by_factors_impl(std::uint32_t* x, std::size_t n, std::size_t width, const std::uint32_t* factors) {
  const tag d;
  const auto c = constants(d);
  const std::size_t lanes = hn::Lanes(d);
  constexpr std::size_t chunk_rows = 1024;
  tbb::parallel_for(std::size_t{0}, (n + chunk_rows - 1) / chunk_rows, [&](std::size_t chunk) {
    const std::size_t r0 = chunk * chunk_rows, r1 = std::min(n, r0 + chunk_rows);
    if (width == 1) {
      std::size_t r = r0;
      for (; r + lanes <= r1; r += lanes) {
        hn::StoreU(mul_mod(d, hn::LoadU(d, x + r), hn::LoadU(d, factors + r), c), d, x + r);
      }
      for (; r < r1; ++r) x[r] = (babybear::from_monty(x[r]) * babybear::from_monty(factors[r])).monty();
      return;
    }
    for (std::size_t r = r0; r < r1; ++r) {
      std::uint32_t* row = x + r * width;
      const auto fv = hn::Set(d, factors[r]);
      std::size_t col = 0;
      for (; col + lanes <= width; col += lanes) hn::StoreU(mul_mod(d, hn::LoadU(d, row + col), fv, c), d, row + col);
      for (; col < width; ++col) row[col] = (babybear::from_monty(row[col]) * babybear::from_monty(factors[r])).monty();
    }
  });
}

void expand_rows_impl(std::uint32_t* x, std::size_t n, std::size_t width, const std::uint32_t* factors,
                      unsigned log_copies) {
  const tag d;
  const auto c = constants(d);
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t copies = std::size_t{1} << log_copies;
  // Row r is read before any of its copies is written (for r = 0 the first copy is row 0 itself).
  const auto expand_row = [&](std::size_t r) {
    const std::uint32_t* in = x + r * width;
    std::uint32_t* out = x + (r << log_copies) * width;
    const auto fv = hn::Set(d, factors[r]);
    std::size_t col = 0;
    for (; col + lanes <= width; col += lanes) {
      const auto v = mul_mod(d, hn::LoadU(d, in + col), fv, c);
      for (std::size_t t = 0; t < copies; ++t) hn::StoreU(v, d, out + t * width + col);
    }
    for (; col < width; ++col) {
      const std::uint32_t v = (babybear::from_monty(in[col]) * babybear::from_monty(factors[r])).monty();
      for (std::size_t t = 0; t < copies; ++t) out[t * width + col] = v;
    }
  };
  for (std::size_t hi = n; hi > 1; hi /= 2) {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(hi / 2, hi, 256),
                      [&](const tbb::blocked_range<std::size_t>& range) {
                        for (std::size_t r = range.begin(); r < range.end(); ++r) expand_row(r);
                      });
  }
  expand_row(0);
}

std::size_t simd_lanes_impl() { return hn::Lanes(tag()); }

}  // namespace ciro::kernels::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/cpu/ntt_kernels.hpp"

namespace ciro::kernels::cpu {

HWY_EXPORT(dif_matrix_impl);
HWY_EXPORT(dit_matrix_impl);
HWY_EXPORT(scale_rows_impl);
HWY_EXPORT(simd_lanes_impl);
HWY_EXPORT(scale_rows_by_factors_impl);
HWY_EXPORT(expand_rows_impl);

void dif_matrix(std::uint32_t* x, std::size_t width, const twiddle_table& tw) {
  HWY_DYNAMIC_DISPATCH(dif_matrix_impl)(x, width, tw);
}
void dit_matrix(std::uint32_t* x, std::size_t width, const twiddle_table& tw, unsigned first_level) {
  HWY_DYNAMIC_DISPATCH(dit_matrix_impl)(x, width, tw, first_level);
}
void scale_rows_by_powers(std::uint32_t* x, std::size_t n, std::size_t width, std::uint32_t first,
                          std::uint32_t ratio) {
  HWY_DYNAMIC_DISPATCH(scale_rows_impl)(x, n, width, first, ratio);
}
std::size_t simd_lanes() { return HWY_DYNAMIC_DISPATCH(simd_lanes_impl)(); }
void scale_rows_by_factors(std::uint32_t* x, std::size_t n, std::size_t width, const std::uint32_t* factors) {
  HWY_DYNAMIC_DISPATCH(scale_rows_by_factors_impl)(x, n, width, factors);
}
void expand_rows_in_place(std::uint32_t* x, std::size_t n, std::size_t width, const std::uint32_t* factors,
                          unsigned log_copies) {
  HWY_DYNAMIC_DISPATCH(expand_rows_impl)(x, n, width, factors, log_copies);
}

std::size_t reverse_bits(std::size_t v, unsigned bits) {
  if (bits == 0) return 0;
  std::uint64_t r = v;
  r = ((r >> 1) & 0x5555555555555555ULL) | ((r & 0x5555555555555555ULL) << 1);
  r = ((r >> 2) & 0x3333333333333333ULL) | ((r & 0x3333333333333333ULL) << 2);
  r = ((r >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((r & 0x0F0F0F0F0F0F0F0FULL) << 4);
  return static_cast<std::size_t>(__builtin_bswap64(r) >> (64 - bits));
}

void bit_reverse_rows(std::uint32_t* x, unsigned log_n, std::size_t width) {
  if (log_n == 0) return;
  const std::size_t n = std::size_t{1} << log_n;
  // Wide rows, or too few rows for tiles: swap whole rows.
  constexpr unsigned tile_bits = 4;
  if (width >= 16 || log_n < 2 * tile_bits) {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 1024), [&](const tbb::blocked_range<std::size_t>& range) {
      for (std::size_t r = range.begin(); r < range.end(); ++r) {
        const std::size_t rev = reverse_bits(r, log_n);
        if (r < rev) std::swap_ranges(x + r * width, x + (r + 1) * width, x + rev * width);
      }
    });
    return;
  }
  // Narrow rows: split an index into (a, m, b) with a and b of tile_bits bits each. Then
  // rev(a, m, b) = (rev b, rev m, rev a), so the 16 x 16 tile of rows {(a, m, b)} maps onto the
  // tile of middle index rev(m), transposed with both coordinates reversed. Each tile row is 16
  // consecutive rows of the matrix: whole cache lines are read and written.
  const unsigned mid_bits = log_n - 2 * tile_bits;
  constexpr std::size_t side = std::size_t{1} << tile_bits;
  constexpr std::size_t rev4[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
  const std::size_t a_rows = std::size_t{1} << (log_n - tile_bits);  // rows between tile rows
  tbb::parallel_for(std::size_t{0}, std::size_t{1} << mid_bits, [&](std::size_t m) {
    const std::size_t m_rev = reverse_bits(m, mid_bits);
    if (m > m_rev) return;                                            // the pair is handled from its smaller index
    std::uint32_t first[side * side * 15], second[side * side * 15];  // width < 16
    auto gather = [&](std::size_t mid, std::uint32_t* tile) {
      for (std::size_t a = 0; a < side; ++a) {
        const std::uint32_t* src = x + (a * a_rows + (mid << tile_bits)) * width;
        for (std::size_t i = 0; i < side * width; ++i) tile[a * side * width + i] = src[i];
      }
    };
    // Writes tile[a][b] to row (rev b, mid, rev a).
    auto scatter = [&](std::size_t mid, const std::uint32_t* tile) {
      for (std::size_t b = 0; b < side; ++b) {
        std::uint32_t* dst = x + (rev4[b] * a_rows + (mid << tile_bits)) * width;
        for (std::size_t a = 0; a < side; ++a) {
          const std::uint32_t* src = tile + (a * side + b) * width;
          for (std::size_t w = 0; w < width; ++w) dst[rev4[a] * width + w] = src[w];
        }
      }
    };
    gather(m, first);
    if (m_rev != m) gather(m_rev, second);
    scatter(m_rev, first);
    if (m_rev != m) scatter(m, second);
  });
}

}  // namespace ciro::kernels::cpu
#endif  // HWY_ONCE
