// SIMD row and column linear forms (see stark/quotient_deep.hpp). A vector holds consecutive
// columns of one row. Widths that are not a multiple of the vector length end with one vector
// that overlaps the previous one; its already-counted lanes get zero coefficients (row forms)
// or are left out of the result (column forms). Rows narrower than a vector are read through
// zero-padded copies.
//
// Products are reduced lazily. MulEven gives the exact 64-bit products of the even lanes (of the
// odd lanes after a shift); both factors are Montgomery words below p, so four products sum to
// s < 4 p^2 < 2^64. One Montgomery step folds s into a signed 64-bit accumulator:
// (s - q p) / 2^32 with q = s p^-1 mod 2^32 is exact, lies in (-p, 2^32) and is congruent to
// s 2^-32, so the accumulated sum of (a R)(b R) 2^-32 is congruent to the Montgomery word of
// sum a b; it is reduced to [0, p) once at the end.

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "quotient_deep.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <algorithm>
#include <cstdint>

#include "field/babybear.hpp"
#include "field/packed_monty31-inl.h"
#include "hwy/aligned_allocator.h"
#include "hwy/cache_control.h"
#include "hwy/highway.h"
#include "stark/quotient_deep.hpp"

HWY_BEFORE_NAMESPACE();
namespace ciro::stark::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using field::babybear;

using tag = hn::ScalableTag<std::uint32_t>;

inline const std::uint32_t* words(const babybear* p) { return reinterpret_cast<const std::uint32_t*>(p); }

/// The element whose Montgomery word is congruent to v mod p.
inline babybear from_accumulator(std::int64_t v) {
  const std::int64_t r = v % static_cast<std::int64_t>(babybear::modulus);
  return babybear::from_monty(static_cast<std::uint32_t>(r < 0 ? r + babybear::modulus : r));
}

void row_forms_scalar(const babybear* m, std::size_t rows, std::size_t width, const babybear* coeffs, unsigned D,
                      babybear* out) {
  for (std::size_t r = 0; r < rows; ++r) {
    for (unsigned j = 0; j < D; ++j) {
      babybear s = babybear::zero();
      for (std::size_t col = 0; col < width; ++col) s += m[r * width + col] * coeffs[j * width + col];
      out[r * D + j] = s;
    }
  }
}

void column_forms_scalar(const babybear* m, std::size_t rows, std::size_t width, const babybear* weights,
                         unsigned forms, babybear* out) {
  for (std::size_t r = 0; r < rows; ++r) {
    for (unsigned j = 0; j < forms; ++j) {
      for (std::size_t col = 0; col < width; ++col) out[j * width + col] += weights[r * forms + j] * m[r * width + col];
    }
  }
}

#if HWY_TARGET != HWY_SCALAR
using wide = hn::RepartitionToWide<tag>;
using wvec = hn::Vec<wide>;
using constants = field::HWY_NAMESPACE::monty31_vec_constants<hn::Vec<tag>>;

/// acc + (s - q p) / 2^32 with q = s p^-1 mod 2^32, in every 64-bit lane (see the file comment).
HWY_INLINE wvec fold(wvec acc, wvec s, const constants& c) {
  const tag d;
  const wvec q = hn::MulEven(hn::BitCast(d, s), c.p_inv);
  const wvec qp = hn::MulEven(hn::BitCast(d, q), c.p);
  return hn::Sub(hn::Add(acc, hn::ShiftRight<32>(s)), hn::ShiftRight<32>(qp));
}

/// The odd 32-bit lanes of v moved into the even lanes, where MulEven reads them.
HWY_INLINE hn::Vec<tag> odd_lanes(hn::Vec<tag> v) {
  return hn::BitCast(tag(), hn::ShiftRight<32>(hn::BitCast(wide(), v)));
}

/// The sum of the 64-bit lanes of an accumulator, as a signed integer.
HWY_INLINE std::int64_t lane_total(wvec v) {
  HWY_ALIGN std::uint64_t lanes[HWY_MAX_BYTES / 8];
  hn::Store(v, wide(), lanes);
  std::uint64_t s = 0;
  for (std::size_t i = 0; i < hn::Lanes(wide()); ++i) s += lanes[i];
  return static_cast<std::int64_t>(s);
}

/// Row forms for width >= lanes. Chunk k covers columns col0(k) .. col0(k) + lanes - 1; its
/// coefficients are stored twice, as they are (even lanes) and moved by odd_lanes (odd lanes).
template <unsigned D>
void row_forms_lazy(const babybear* m, std::size_t rows, std::size_t width, const babybear* coeffs, babybear* out) {
  const tag d;
  const auto c = field::HWY_NAMESPACE::make_monty31_constants(d, babybear::modulus, babybear::modulus_inv);
  const std::size_t lanes = hn::Lanes(d), full = width / lanes, chunks = (width + lanes - 1) / lanes;
  auto even = hwy::AllocateAligned<std::uint32_t>(chunks * D * lanes);
  auto odd = hwy::AllocateAligned<std::uint32_t>(chunks * D * lanes);
  for (std::size_t k = 0; k < chunks; ++k) {
    const std::size_t col0 = k < full ? k * lanes : width - lanes;
    for (unsigned j = 0; j < D; ++j) {
      std::uint32_t* e = even.get() + (k * D + j) * lanes;
      for (std::size_t p = 0; p < lanes; ++p) {
        const std::size_t col = col0 + p;
        e[p] = k < full || col >= full * lanes ? coeffs[j * width + col].monty() : 0;
      }
      hn::Store(odd_lanes(hn::Load(d, e)), d, odd.get() + (k * D + j) * lanes);
    }
  }
  for (std::size_t r = 0; r < rows; ++r) {
    const std::uint32_t* row = words(m) + r * width;
    wvec acc[D], sum[D];
    for (unsigned j = 0; j < D; ++j) acc[j] = sum[j] = hn::Zero(wide());
    for (std::size_t k = 0; k < chunks; ++k) {
      const auto v = hn::LoadU(d, row + (k < full ? k * lanes : width - lanes));
      const auto v_odd = odd_lanes(v);
      for (unsigned j = 0; j < D; ++j) {
        const std::size_t at = (k * D + j) * lanes;
        sum[j] = hn::Add(sum[j], hn::Add(hn::MulEven(v, hn::Load(d, even.get() + at)),
                                         hn::MulEven(v_odd, hn::Load(d, odd.get() + at))));
      }
      if ((k & 1) != 0 || k + 1 == chunks) {  // two chunks: four products per 64-bit lane
        for (unsigned j = 0; j < D; ++j) acc[j] = fold(acc[j], sum[j], c), sum[j] = hn::Zero(wide());
      }
    }
    for (unsigned j = 0; j < D; ++j) out[r * D + j] = from_accumulator(lane_total(acc[j]));
  }
}

/// Row forms for width < lanes: each row is copied into one zero-padded vector, and the two
/// products per 64-bit lane are folded at once.
template <unsigned D>
void row_forms_narrow(const babybear* m, std::size_t rows, std::size_t width, const babybear* coeffs, babybear* out) {
  const tag d;
  const auto c = field::HWY_NAMESPACE::make_monty31_constants(d, babybear::modulus, babybear::modulus_inv);
  const std::size_t lanes = hn::Lanes(d);
  HWY_ALIGN std::uint32_t row[HWY_MAX_BYTES / 4] = {};
  hn::Vec<tag> even[D], odd[D];
  for (unsigned j = 0; j < D; ++j) {
    for (std::size_t p = 0; p < lanes; ++p) row[p] = p < width ? coeffs[j * width + p].monty() : 0;
    even[j] = hn::Load(d, row);
    odd[j] = odd_lanes(even[j]);
  }
  std::fill_n(row, lanes, 0u);
  for (std::size_t r = 0; r < rows; ++r) {
    std::copy_n(words(m) + r * width, width, row);
    const auto v = hn::Load(d, row);
    const auto v_odd = odd_lanes(v);
    for (unsigned j = 0; j < D; ++j) {
      const wvec s = hn::Add(hn::MulEven(v, even[j]), hn::MulEven(v_odd, odd[j]));
      out[r * D + j] = from_accumulator(lane_total(fold(hn::Zero(wide()), s, c)));
    }
  }
}

/// Adds G rows (src, src + stride, ...; weights w[t * K + j]) of one chunk to the even- and
/// odd-lane accumulators of the K forms. Precondition: G <= 4 (see the file comment).
template <unsigned K, unsigned G>
HWY_INLINE void accumulate_rows(const std::uint32_t* src, std::size_t stride, const std::uint32_t* w, wvec* even,
                                wvec* odd, const constants& c) {
  const tag d;
  hn::Vec<tag> v[G], v_odd[G];
  for (unsigned t = 0; t < G; ++t) v[t] = hn::LoadU(d, src + t * stride), v_odd[t] = odd_lanes(v[t]);
  for (unsigned j = 0; j < K; ++j) {
    wvec s_even = hn::Zero(wide()), s_odd = hn::Zero(wide());
    for (unsigned t = 0; t < G; ++t) {
      const auto weight = hn::Set(d, w[t * K + j]);
      s_even = hn::Add(s_even, hn::MulEven(v[t], weight));
      s_odd = hn::Add(s_odd, hn::MulEven(v_odd[t], weight));
    }
    even[j] = fold(even[j], s_even, c);
    odd[j] = fold(odd[j], s_odd, c);
  }
}

/// Column forms, K at a time. Blocks of 32 rows stay in cache while every chunk of columns
/// passes over them with its 2K accumulators in registers (the next block is prefetched
/// meanwhile); the per-chunk totals (64-bit lanes, even and odd columns apart) live in `total`.
/// A matrix narrower than a vector is read through a zero-padded copy of each block.
template <unsigned K>
void column_forms_lazy(const babybear* m, std::size_t rows, std::size_t width, const babybear* weights, babybear* out) {
  const tag d;
  const wide dw;
  const auto c = field::HWY_NAMESPACE::make_monty31_constants(d, babybear::modulus, babybear::modulus_inv);
  const std::size_t lanes = hn::Lanes(d), half = lanes / 2;
  const bool narrow = width < lanes;
  const std::size_t full = narrow ? 1 : width / lanes, chunks = narrow ? 1 : (width + lanes - 1) / lanes;
  const std::size_t stride = narrow ? lanes : width;  // of the rows the chunks read
  auto total = hwy::AllocateAligned<std::uint64_t>(chunks * K * lanes);
  std::fill_n(total.get(), chunks * K * lanes, std::uint64_t{0});
  const std::uint32_t* w = words(weights);
  constexpr std::size_t block = 32;
  auto padded = hwy::AllocateAligned<std::uint32_t>(narrow ? block * lanes : 1);
  if (narrow) std::fill_n(padded.get(), block * lanes, 0u);
  for (std::size_t r0 = 0; r0 < rows; r0 += block) {
    const std::size_t count = std::min(rows - r0, block);
    const std::uint32_t* block_rows = words(m) + r0 * width;
    if (narrow) {
      for (std::size_t t = 0; t < count; ++t) std::copy_n(block_rows + t * width, width, padded.get() + t * lanes);
      block_rows = padded.get();
    } else {
      for (std::size_t at = (r0 + count) * width; at < std::min(rows, r0 + count + block) * width; at += 16) {
        hwy::Prefetch(words(m) + at);  // 16 words: one 64-byte line
      }
    }
    for (std::size_t k = 0; k < chunks; ++k) {
      const std::uint32_t* src = block_rows + (k < full ? k * lanes : width - lanes);
      const std::uint32_t* block_weights = w + r0 * K;
      wvec even[K], odd[K];
      for (unsigned j = 0; j < K; ++j) even[j] = odd[j] = hn::Zero(dw);
      std::size_t r = 0;
      for (; r + 4 <= count; r += 4)
        accumulate_rows<K, 4>(src + r * stride, stride, block_weights + r * K, even, odd, c);
      for (; r < count; ++r) accumulate_rows<K, 1>(src + r * stride, stride, block_weights + r * K, even, odd, c);
      std::uint64_t* t = total.get() + k * K * lanes;
      for (unsigned j = 0; j < K; ++j) {
        hn::Store(hn::Add(hn::Load(dw, t + 2 * j * half), even[j]), dw, t + 2 * j * half);
        hn::Store(hn::Add(hn::Load(dw, t + (2 * j + 1) * half), odd[j]), dw, t + (2 * j + 1) * half);
      }
    }
  }
  for (std::size_t k = 0; k < chunks; ++k) {
    const std::size_t col0 = k < full ? k * lanes : width - lanes,
                      first = full * lanes > col0 ? full * lanes - col0 : 0;
    for (unsigned j = 0; j < K; ++j) {
      const std::uint64_t* t = total.get() + (k * K + j) * lanes;
      for (std::size_t p = k < full ? 0 : first; p < std::min(lanes, width - col0); ++p) {
        out[j * width + col0 + p] += from_accumulator(static_cast<std::int64_t>(t[(p & 1) * half + p / 2]));
      }
    }
  }
}
#endif  // HWY_TARGET != HWY_SCALAR

void row_linear_forms_impl(const babybear* m, std::size_t rows, std::size_t width, const babybear* coeffs, unsigned D,
                           babybear* out) {
#if HWY_TARGET != HWY_SCALAR
  const bool narrow = width < hn::Lanes(tag());
  switch (D) {
    case 1:
      return narrow ? row_forms_narrow<1>(m, rows, width, coeffs, out) : row_forms_lazy<1>(m, rows, width, coeffs, out);
    case 2:
      return narrow ? row_forms_narrow<2>(m, rows, width, coeffs, out) : row_forms_lazy<2>(m, rows, width, coeffs, out);
    case 3:
      return narrow ? row_forms_narrow<3>(m, rows, width, coeffs, out) : row_forms_lazy<3>(m, rows, width, coeffs, out);
    case 4:
      return narrow ? row_forms_narrow<4>(m, rows, width, coeffs, out) : row_forms_lazy<4>(m, rows, width, coeffs, out);
    case 5:
      return narrow ? row_forms_narrow<5>(m, rows, width, coeffs, out) : row_forms_lazy<5>(m, rows, width, coeffs, out);
    default:
      break;
  }
#endif
  row_forms_scalar(m, rows, width, coeffs, D, out);
}

void column_linear_forms_impl(const babybear* m, std::size_t rows, std::size_t width, const babybear* weights,
                              unsigned forms, babybear* out) {
#if HWY_TARGET != HWY_SCALAR
  switch (forms) {
    case 1:
      return column_forms_lazy<1>(m, rows, width, weights, out);
    case 2:
      return column_forms_lazy<2>(m, rows, width, weights, out);
    case 3:
      return column_forms_lazy<3>(m, rows, width, weights, out);
    case 4:
      return column_forms_lazy<4>(m, rows, width, weights, out);
    case 5:
      return column_forms_lazy<5>(m, rows, width, weights, out);
    case 6:
      return column_forms_lazy<6>(m, rows, width, weights, out);
    case 7:
      return column_forms_lazy<7>(m, rows, width, weights, out);
    case 8:
      return column_forms_lazy<8>(m, rows, width, weights, out);
    case 9:
      return column_forms_lazy<9>(m, rows, width, weights, out);
    case 10:
      return column_forms_lazy<10>(m, rows, width, weights, out);
    default:
      break;
  }
#endif
  column_forms_scalar(m, rows, width, weights, forms, out);
}

}  // namespace ciro::stark::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ciro::stark {

HWY_EXPORT(row_linear_forms_impl);
HWY_EXPORT(column_linear_forms_impl);

void row_linear_forms(const field::babybear* m, std::size_t rows, std::size_t width, const field::babybear* coeffs,
                      unsigned D, field::babybear* out) {
  HWY_DYNAMIC_DISPATCH(row_linear_forms_impl)(m, rows, width, coeffs, D, out);
}
void column_linear_forms(const field::babybear* m, std::size_t rows, std::size_t width, const field::babybear* weights,
                         unsigned forms, field::babybear* out) {
  HWY_DYNAMIC_DISPATCH(column_linear_forms_impl)(m, rows, width, weights, forms, out);
}

}  // namespace ciro::stark
#endif  // HWY_ONCE
