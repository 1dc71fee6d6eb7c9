// Run-time dispatched array kernels for 31-bit Montgomery fields (see field/packed.hpp).

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "packed_monty31.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <algorithm>

#include "hwy/highway.h"
#include "field/packed_monty31-inl.h"

HWY_BEFORE_NAMESPACE();
namespace ciro::field::HWY_NAMESPACE {
namespace {

/// Applies `op(d, a_vec, b_vec, constants)` to full vectors; the tail (fewer than one vector
/// of elements) goes through a zero-padded stack copy, so any length works without reading or
/// writing past the end.
template <class Op>
void binary_kernel(const std::uint32_t* a, const std::uint32_t* b, std::uint32_t* out, std::size_t n, std::uint32_t p,
                   std::uint32_t p_inv, Op op) {
  const hn::ScalableTag<std::uint32_t> d;
  const auto c = make_monty31_constants(d, p, p_inv);
  const std::size_t lanes = hn::Lanes(d);
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(op(d, hn::LoadU(d, a + i), hn::LoadU(d, b + i), c), d, out + i);
  }
  if (i < n) {
    HWY_ALIGN std::uint32_t ta[HWY_MAX_BYTES / 4] = {}, tb[HWY_MAX_BYTES / 4] = {};
    std::copy(a + i, a + n, ta);
    std::copy(b + i, b + n, tb);
    hn::Store(op(d, hn::Load(d, ta), hn::Load(d, tb), c), d, ta);
    std::copy(ta, ta + (n - i), out + i);
  }
}

struct add_op {
  template <class D, class V>
  V operator()(D d, V a, V b, const monty31_vec_constants<V>& c) const {
    return add_mod(d, a, b, c);
  }
};
struct sub_op {
  template <class D, class V>
  V operator()(D d, V a, V b, const monty31_vec_constants<V>& c) const {
    return sub_mod(d, a, b, c);
  }
};
struct mul_op {
  template <class D, class V>
  V operator()(D d, V a, V b, const monty31_vec_constants<V>& c) const {
    return mul_mod(d, a, b, c);
  }
};

}  // namespace

void add_words(const std::uint32_t* a, const std::uint32_t* b, std::uint32_t* out, std::size_t n, std::uint32_t p,
               std::uint32_t p_inv) {
  binary_kernel(a, b, out, n, p, p_inv, add_op{});
}
void sub_words(const std::uint32_t* a, const std::uint32_t* b, std::uint32_t* out, std::size_t n, std::uint32_t p,
               std::uint32_t p_inv) {
  binary_kernel(a, b, out, n, p, p_inv, sub_op{});
}
void mul_words(const std::uint32_t* a, const std::uint32_t* b, std::uint32_t* out, std::size_t n, std::uint32_t p,
               std::uint32_t p_inv) {
  binary_kernel(a, b, out, n, p, p_inv, mul_op{});
}
void mul_add_words(const std::uint32_t* a, const std::uint32_t* b, const std::uint32_t* c_in, std::uint32_t* out,
                   std::size_t n, std::uint32_t p, std::uint32_t p_inv) {
  // Block by block (in L1): t = a * b, then out = t + c; t is separate so out may alias c.
  constexpr std::size_t block = 1024;
  HWY_ALIGN std::uint32_t t[block];
  for (std::size_t i = 0; i < n; i += block) {
    const std::size_t m = std::min(block, n - i);
    binary_kernel(a + i, b + i, t, m, p, p_inv, mul_op{});
    binary_kernel(t, c_in + i, out + i, m, p, p_inv, add_op{});
  }
}
std::size_t lanes_u32_impl() { return hn::Lanes(hn::ScalableTag<std::uint32_t>()); }
const char* simd_target_impl() { return hwy::TargetName(HWY_TARGET); }

}  // namespace ciro::field::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "field/packed.hpp"

namespace ciro::field::packed {

HWY_EXPORT(add_words);
HWY_EXPORT(sub_words);
HWY_EXPORT(mul_words);
HWY_EXPORT(mul_add_words);
HWY_EXPORT(lanes_u32_impl);
HWY_EXPORT(simd_target_impl);

namespace detail {
void add(const std::uint32_t* a, const std::uint32_t* b, std::uint32_t* out, std::size_t n, std::uint32_t p,
         std::uint32_t p_inv) {
  HWY_DYNAMIC_DISPATCH(add_words)(a, b, out, n, p, p_inv);
}
void sub(const std::uint32_t* a, const std::uint32_t* b, std::uint32_t* out, std::size_t n, std::uint32_t p,
         std::uint32_t p_inv) {
  HWY_DYNAMIC_DISPATCH(sub_words)(a, b, out, n, p, p_inv);
}
void mul(const std::uint32_t* a, const std::uint32_t* b, std::uint32_t* out, std::size_t n, std::uint32_t p,
         std::uint32_t p_inv) {
  HWY_DYNAMIC_DISPATCH(mul_words)(a, b, out, n, p, p_inv);
}
void mul_add(const std::uint32_t* a, const std::uint32_t* b, const std::uint32_t* c, std::uint32_t* out, std::size_t n,
             std::uint32_t p, std::uint32_t p_inv) {
  HWY_DYNAMIC_DISPATCH(mul_add_words)(a, b, c, out, n, p, p_inv);
}
}  // namespace detail

const char* simd_target() { return HWY_DYNAMIC_DISPATCH(simd_target_impl)(); }
std::size_t lanes_u32() { return HWY_DYNAMIC_DISPATCH(lanes_u32_impl)(); }

}  // namespace ciro::field::packed
#endif  // HWY_ONCE
