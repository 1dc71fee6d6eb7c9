// SIMD row and column linear forms (see stark/quotient_deep.hpp). A vector holds consecutive
// columns of one row. Widths that are not a multiple of the vector length end with one vector
// that overlaps the previous one; its already-counted lanes get zero coefficients (row forms)
// or are masked off (column forms).

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "quotient_deep.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <algorithm>
#include <cstdint>

#include "field/babybear.hpp"
#include "field/packed_monty31-inl.h"
#include "hwy/aligned_allocator.h"
#include "hwy/highway.h"
#include "stark/quotient_deep.hpp"

HWY_BEFORE_NAMESPACE();
namespace ciro::stark::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using field::babybear;
using field::HWY_NAMESPACE::add_mod;
using field::HWY_NAMESPACE::mul_mod;

using tag = hn::ScalableTag<std::uint32_t>;
constexpr unsigned max_degree = 5;

inline const std::uint32_t* words(const babybear* p) { return reinterpret_cast<const std::uint32_t*>(p); }

/// The sum of the lanes of v, mod p.
inline babybear lane_sum(tag d, hn::Vec<tag> v) {
  HWY_ALIGN std::uint32_t lanes_out[HWY_MAX_BYTES / 4];
  hn::Store(v, d, lanes_out);
  babybear s = babybear::zero();
  for (std::size_t i = 0; i < hn::Lanes(d); ++i) s += babybear::from_monty(lanes_out[i]);
  return s;
}

void row_linear_forms_impl(const babybear* m, std::size_t rows, std::size_t width, const babybear* coeffs, unsigned D,
                           babybear* out) {
  const tag d;
  const auto c = field::HWY_NAMESPACE::make_monty31_constants(d, babybear::modulus, babybear::modulus_inv);
  const std::size_t lanes = hn::Lanes(d);
  if (width < lanes) {
    for (std::size_t r = 0; r < rows; ++r) {
      for (unsigned j = 0; j < D; ++j) {
        babybear s = babybear::zero();
        for (std::size_t col = 0; col < width; ++col) s += m[r * width + col] * coeffs[j * width + col];
        out[r * D + j] = s;
      }
    }
    return;
  }
  const std::size_t full = width / lanes * lanes;
  // The last vector starts at width - lanes; lanes below `full` were counted already.
  auto tail = hwy::AllocateAligned<std::uint32_t>(max_degree * lanes);
  for (unsigned j = 0; j < D; ++j) {
    for (std::size_t p = 0; p < lanes; ++p) {
      const std::size_t col = width - lanes + p;
      tail[j * lanes + p] = col >= full ? coeffs[j * width + col].monty() : 0;
    }
  }
  const std::uint32_t* cw = words(coeffs);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::uint32_t* row = words(m) + r * width;
    hn::Vec<tag> acc[max_degree];
    for (unsigned j = 0; j < D; ++j) acc[j] = hn::Zero(d);
    for (std::size_t col = 0; col < full; col += lanes) {
      const auto v = hn::LoadU(d, row + col);
      for (unsigned j = 0; j < D; ++j)
        acc[j] = add_mod(d, acc[j], mul_mod(d, v, hn::LoadU(d, cw + j * width + col), c), c);
    }
    if (full < width) {
      const auto v = hn::LoadU(d, row + width - lanes);
      for (unsigned j = 0; j < D; ++j)
        acc[j] = add_mod(d, acc[j], mul_mod(d, v, hn::Load(d, tail.get() + j * lanes), c), c);
    }
    for (unsigned j = 0; j < D; ++j) out[r * D + j] = lane_sum(d, acc[j]);
  }
}

void column_linear_forms_impl(const babybear* m, std::size_t rows, std::size_t width, const babybear* weights,
                              unsigned D, babybear* out) {
  const tag d;
  const auto c = field::HWY_NAMESPACE::make_monty31_constants(d, babybear::modulus, babybear::modulus_inv);
  const std::size_t lanes = hn::Lanes(d);
  if (width < lanes) {
    for (std::size_t r = 0; r < rows; ++r) {
      for (unsigned j = 0; j < D; ++j) {
        for (std::size_t col = 0; col < width; ++col) out[j * width + col] += weights[r * D + j] * m[r * width + col];
      }
    }
    return;
  }
  const std::size_t full = width / lanes * lanes, chunks = full / lanes + (full < width ? 1 : 0);
  auto acc = hwy::AllocateAligned<std::uint32_t>(chunks * max_degree * lanes);
  std::fill_n(acc.get(), chunks * max_degree * lanes, 0u);
  // The last, overlapping vector keeps only its lanes at columns >= full.
  const auto keep = hn::Not(hn::FirstN(d, lanes - (width - full)));
  for (std::size_t r = 0; r < rows; ++r) {
    const std::uint32_t* row = words(m) + r * width;
    hn::Vec<tag> w[max_degree];
    for (unsigned j = 0; j < D; ++j) w[j] = hn::Set(d, weights[r * D + j].monty());
    for (std::size_t k = 0; k < chunks; ++k) {
      const bool last = k * lanes >= full;
      const auto v = last ? hn::IfThenElseZero(keep, hn::LoadU(d, row + width - lanes)) : hn::LoadU(d, row + k * lanes);
      std::uint32_t* a = acc.get() + k * max_degree * lanes;
      for (unsigned j = 0; j < D; ++j) {
        hn::Store(add_mod(d, hn::Load(d, a + j * lanes), mul_mod(d, v, w[j], c), c), d, a + j * lanes);
      }
    }
  }
  HWY_ALIGN std::uint32_t lanes_out[HWY_MAX_BYTES / 4];
  for (std::size_t k = 0; k < chunks; ++k) {
    const std::size_t col0 = k * lanes >= full ? width - lanes : k * lanes;
    const std::size_t first = k * lanes >= full ? lanes - (width - full) : 0;
    for (unsigned j = 0; j < D; ++j) {
      hn::Store(hn::Load(d, acc.get() + (k * max_degree + j) * lanes), d, lanes_out);
      for (std::size_t p = first; p < lanes; ++p) out[j * width + col0 + p] += babybear::from_monty(lanes_out[p]);
    }
  }
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
                         unsigned D, field::babybear* out) {
  HWY_DYNAMIC_DISPATCH(column_linear_forms_impl)(m, rows, width, weights, D, out);
}

}  // namespace ciro::stark
#endif  // HWY_ONCE
