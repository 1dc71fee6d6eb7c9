// SIMD quotient evaluation (see stark/quotient.hpp), as a Highway -inl header: include it from
// a translation unit that drives hwy/foreach_target.h (one per AIR, e.g. quotient_poseidon2.cpp).
//
// Each vector lane is one quotient point: a batch of `lanes` consecutive points x_k0 .. is
// transposed from the row-major trace LDE into one vector per column (plus the rows at x * w,
// which are the same points shifted by next_offset / stride), the AIR's eval() runs once on
// packed values, and the four folded sums (all, first, last, transition) are accumulated in the
// extension field as E::degree vectors of base coefficients. The per-point combination with the
// selectors and 1/Z_H is scalar (a handful of products per point).
//
// GCC note: eval() is a template defined outside the per-target pragma region, so it carries no
// target attributes; it is instantiated here with packed_expr and forced inline (HWY_FLATTEN)
// into a function of this region. For that, the packed operators and folder methods must be
// plain `inline` (not HWY_INLINE: GCC refuses always_inline callees with a wider target inside
// eval's own out-of-line body) and non-friend (friend definitions lose the region's target).

#if defined(CIRO_STARK_QUOTIENT_KERNEL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CIRO_STARK_QUOTIENT_KERNEL_INL_H_
#undef CIRO_STARK_QUOTIENT_KERNEL_INL_H_
#else
#define CIRO_STARK_QUOTIENT_KERNEL_INL_H_
#endif

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cstdint>
#include <vector>

#include "field/babybear.hpp"
#include "field/packed_monty31-inl.h"
#include "hwy/aligned_allocator.h"
#include "hwy/highway.h"
#include "stark/quotient.hpp"

HWY_BEFORE_NAMESPACE();
namespace ciro::stark::HWY_NAMESPACE {
namespace quotient_simd {
namespace hn = hwy::HWY_NAMESPACE;
using field::babybear;

using tag = hn::ScalableTag<std::uint32_t>;
using vec = hn::Vec<tag>;

inline auto constants() {
  return field::HWY_NAMESPACE::make_monty31_constants(tag(), babybear::modulus, babybear::modulus_inv);
}

/// One BabyBear element per lane (Montgomery form): the builder's expr.
struct packed_expr {
  vec v;
};
inline packed_expr operator+(const packed_expr& a, const packed_expr& b) {
  return {field::HWY_NAMESPACE::add_mod(tag(), a.v, b.v, constants())};
}
inline packed_expr operator-(const packed_expr& a, const packed_expr& b) {
  return {field::HWY_NAMESPACE::sub_mod(tag(), a.v, b.v, constants())};
}
inline packed_expr operator*(const packed_expr& a, const packed_expr& b) {
  return {field::HWY_NAMESPACE::mul_mod(tag(), a.v, b.v, constants())};
}

/// prover_folder on packed values: column c of the batch is the vector at local + c * pitch.
/// alpha holds alpha^(m-1-i) as D Montgomery words per constraint.
template <unsigned D>
class packed_folder {
 public:
  using expr = packed_expr;

  packed_folder(const std::uint32_t* alpha, const babybear* public_values)
      : alpha_(alpha), public_values_(public_values) {}

  void reset(const std::uint32_t* local, const std::uint32_t* next, std::size_t pitch) {
    local_ = local;
    next_ = next;
    pitch_ = pitch;
    index_ = 0;
    for (unsigned j = 0; j < D; ++j) all_[j] = first_[j] = last_[j] = transition_[j] = hn::Zero(tag());
  }

  expr local(std::size_t c) const { return {hn::LoadU(tag(), local_ + c * pitch_)}; }
  expr next(std::size_t c) const { return {hn::LoadU(tag(), next_ + c * pitch_)}; }
  expr public_value(std::size_t i) const { return {hn::Set(tag(), public_values_[i].monty())}; }
  expr constant(babybear x) const { return {hn::Set(tag(), x.monty())}; }
  void assert_zero(const expr& e) { accumulate(all_, e); }
  void assert_zero_first(const expr& e) { accumulate(first_, e); }
  void assert_zero_last(const expr& e) { accumulate(last_, e); }
  void assert_zero_transition(const expr& e) { accumulate(transition_, e); }

  /// Stores the four sums: sums[(s * D + j) * lanes + lane] is coefficient j of sum s.
  void store(std::uint32_t* sums) const {
    const tag d;
    const std::size_t lanes = hn::Lanes(d);
    for (unsigned j = 0; j < D; ++j) {
      hn::Store(all_[j], d, sums + (0 * D + j) * lanes);
      hn::Store(first_[j], d, sums + (1 * D + j) * lanes);
      hn::Store(last_[j], d, sums + (2 * D + j) * lanes);
      hn::Store(transition_[j], d, sums + (3 * D + j) * lanes);
    }
  }

 private:
  void accumulate(vec* acc, const expr& e) {
    const tag d;
    const auto c = constants();
    const std::uint32_t* a = alpha_ + D * index_++;
    for (unsigned j = 0; j < D; ++j) {
      acc[j] = field::HWY_NAMESPACE::add_mod(d, acc[j], field::HWY_NAMESPACE::mul_mod(d, e.v, hn::Set(d, a[j]), c), c);
    }
  }

  const std::uint32_t* alpha_;
  const babybear* public_values_;
  const std::uint32_t* local_ = nullptr;
  const std::uint32_t* next_ = nullptr;
  std::size_t pitch_ = 0;
  std::size_t index_ = 0;
  vec all_[D], first_[D], last_[D], transition_[D];
};

/// eval() on one batch, everything inlined into this target's code.
template <unsigned D, class A>
HWY_FLATTEN void eval_batch(const A& air, packed_folder<D>& folder) {
  air.eval(folder);
}

/// The whole quotient (see evaluate_quotient_scalar for the contract).
template <class E, class A>
void evaluate(const A& air, const quotient_inputs& in, std::span<const E> alpha_powers,
              kernels::matrix_view<babybear> out) {
  constexpr unsigned D = E::degree;
  const tag d;
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t width = in.trace_lde.width, q_mask = in.q_rows - 1;
  const std::size_t shift = in.next_offset / in.stride;  // points between x and x * w
  const std::size_t pitch = lanes + shift;
  std::vector<std::uint32_t> alpha(alpha_powers.size() * D);
  for (std::size_t i = 0; i < alpha_powers.size(); ++i) {
    for (unsigned j = 0; j < D; ++j) alpha[i * D + j] = alpha_powers[i].coeff(j).monty();
  }
  const auto* trace = reinterpret_cast<const std::uint32_t*>(in.trace_lde.data);
  const std::size_t batches = (in.q_rows + lanes - 1) / lanes;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, batches, 16), [&](const tbb::blocked_range<std::size_t>& range) {
    auto columns = hwy::AllocateAligned<std::uint32_t>(width * pitch);
    auto sums = hwy::AllocateAligned<std::uint32_t>(4 * D * lanes);
    packed_folder<D> folder(alpha.data(), in.public_values.data());
    for (std::size_t batch = range.begin(); batch < range.end(); ++batch) {
      const std::size_t k0 = batch * lanes;
      // Transpose the points k0 .. k0 + pitch - 1 (cyclically): column c at columns + c * pitch.
      for (std::size_t t = 0; t < pitch; ++t) {
        const std::uint32_t* src = trace + ((k0 + t) & q_mask) * in.stride * width;
        std::uint32_t* dst = columns.get() + t;
        for (std::size_t c = 0; c < width; ++c) dst[c * pitch] = src[c];
      }
      folder.reset(columns.get(), columns.get() + shift, pitch);
      eval_batch(air, folder);
      folder.store(sums.get());
      const std::size_t count = std::min(lanes, in.q_rows - k0);
      babybear x = in.x0 * in.w_q.pow(k0);
      for (std::size_t t = 0; t < count; ++t, x *= in.w_q) {
        E s[4];
        for (unsigned u = 0; u < 4; ++u) {
          babybear coeffs[D];
          for (unsigned j = 0; j < D; ++j) coeffs[j] = babybear::from_monty(sums[(u * D + j) * lanes + t]);
          s[u] = E::from_coeffs(coeffs);
        }
        const std::size_t k = k0 + t;
        const selectors<babybear> sel = quotient_selectors(in, k, x);
        const E q =
            (s[0] + s[1] * sel.first + s[2] * sel.last + s[3] * sel.transition) * in.z_h_inv[k & (in.z_h.size() - 1)];
        for (unsigned j = 0; j < D; ++j) out.at(k, j) = q.coeff(j);
      }
    }
  });
}

}  // namespace quotient_simd
}  // namespace ciro::stark::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // include guard
