// Run-time dispatched array kernels for Goldilocks (see field/packed.hpp).

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "packed_goldilocks.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <algorithm>

#include "hwy/highway.h"
#include "field/packed_goldilocks-inl.h"

HWY_BEFORE_NAMESPACE();
namespace ciro::field::HWY_NAMESPACE {
namespace {

/// Applies `op(d, a_vec, b_vec, c_vec, constants)` to full vectors (b and c may be the same
/// array for binary ops); the tail (fewer than one vector of elements) goes through zero-padded
/// stack copies, so any length works without reading or writing past the end. Each vector is
/// loaded before the result is stored, so `out` may alias any input.
template <class Op>
void kernel(const std::uint64_t* a, const std::uint64_t* b, const std::uint64_t* c_in, std::uint64_t* out,
            std::size_t n, Op op) {
  const hn::ScalableTag<std::uint64_t> d;
  const auto c = make_goldilocks_constants(d);
  const std::size_t lanes = hn::Lanes(d);
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(op(d, hn::LoadU(d, a + i), hn::LoadU(d, b + i), hn::LoadU(d, c_in + i), c), d, out + i);
  }
  if (i < n) {
    HWY_ALIGN std::uint64_t ta[HWY_MAX_BYTES / 8] = {}, tb[HWY_MAX_BYTES / 8] = {}, tc[HWY_MAX_BYTES / 8] = {};
    std::copy(a + i, a + n, ta);
    std::copy(b + i, b + n, tb);
    std::copy(c_in + i, c_in + n, tc);
    hn::Store(op(d, hn::Load(d, ta), hn::Load(d, tb), hn::Load(d, tc), c), d, ta);
    std::copy(ta, ta + (n - i), out + i);
  }
}

struct add_op {
  template <class D, class V>
  V operator()(D d, V a, V b, V, const goldilocks_vec_constants<V>& c) const {
    return goldilocks_add(d, a, b, c);
  }
};
struct sub_op {
  template <class D, class V>
  V operator()(D d, V a, V b, V, const goldilocks_vec_constants<V>& c) const {
    return goldilocks_sub(d, a, b, c);
  }
};
struct mul_op {
  template <class D, class V>
  V operator()(D d, V a, V b, V, const goldilocks_vec_constants<V>& c) const {
    return goldilocks_mul(d, a, b, c);
  }
};
struct mul_add_op {
  template <class D, class V>
  V operator()(D d, V a, V b, V addend, const goldilocks_vec_constants<V>& c) const {
    return goldilocks_add(d, goldilocks_mul(d, a, b, c), addend, c);
  }
};

}  // namespace

void goldilocks_add_words(const std::uint64_t* a, const std::uint64_t* b, std::uint64_t* out, std::size_t n) {
  kernel(a, b, b, out, n, add_op{});
}
void goldilocks_sub_words(const std::uint64_t* a, const std::uint64_t* b, std::uint64_t* out, std::size_t n) {
  kernel(a, b, b, out, n, sub_op{});
}
void goldilocks_mul_words(const std::uint64_t* a, const std::uint64_t* b, std::uint64_t* out, std::size_t n) {
  kernel(a, b, b, out, n, mul_op{});
}
void goldilocks_mul_add_words(const std::uint64_t* a, const std::uint64_t* b, const std::uint64_t* c,
                              std::uint64_t* out, std::size_t n) {
  kernel(a, b, c, out, n, mul_add_op{});
}

}  // namespace ciro::field::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "field/packed.hpp"

namespace ciro::field::packed {

HWY_EXPORT(goldilocks_add_words);
HWY_EXPORT(goldilocks_sub_words);
HWY_EXPORT(goldilocks_mul_words);
HWY_EXPORT(goldilocks_mul_add_words);

namespace detail {
void goldilocks_add(const std::uint64_t* a, const std::uint64_t* b, std::uint64_t* out, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(goldilocks_add_words)(a, b, out, n);
}
void goldilocks_sub(const std::uint64_t* a, const std::uint64_t* b, std::uint64_t* out, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(goldilocks_sub_words)(a, b, out, n);
}
void goldilocks_mul(const std::uint64_t* a, const std::uint64_t* b, std::uint64_t* out, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(goldilocks_mul_words)(a, b, out, n);
}
void goldilocks_mul_add(const std::uint64_t* a, const std::uint64_t* b, const std::uint64_t* c, std::uint64_t* out,
                        std::size_t n) {
  HWY_DYNAMIC_DISPATCH(goldilocks_mul_add_words)(a, b, c, out, n);
}
}  // namespace detail

}  // namespace ciro::field::packed
#endif  // HWY_ONCE
