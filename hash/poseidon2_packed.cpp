// Batched Poseidon2 over BabyBear with Highway: one permutation per vector lane, the state of
// Width permutations held as Width vectors (see hash/poseidon2_packed.hpp).
//
// The round structure is the scalar reference's (hash/poseidon2.hpp); two changes make it fast:
// - the internal layer multiplies by V_i = +-{1, 2, 3, 4, 1/2^k} with additions and shifts only
//   (mul_2exp_neg below), never with a Montgomery product;
// - the external layer is M4 additions only (as in the reference).
// Inputs are gathered from memory into lane-major buffers and the outputs scattered back; the
// unused lanes of a last, partial group compute on stale but valid field elements and are dropped.

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "poseidon2_packed.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "hwy/highway.h"
#include "field/packed_monty31-inl.h"
#include "hash/poseidon2.hpp"
#include "hash/poseidon2_packed.hpp"

HWY_BEFORE_NAMESPACE();
namespace ciro::hash::HWY_NAMESPACE {
namespace {

namespace hn = hwy::HWY_NAMESPACE;
namespace fp = ciro::field::HWY_NAMESPACE;

using D = hn::ScalableTag<std::uint32_t>;
using V = hn::Vec<D>;
constexpr std::size_t max_lanes = HWY_MAX_BYTES / sizeof(std::uint32_t);

static_assert(babybear::modulus == 15u * (1u << 27) + 1u, "mul_2exp_neg relies on p = 15 * 2^27 + 1");

/// Field operations on vectors of Montgomery words in [0, p).
struct vec_field {
  D d;
  fp::monty31_vec_constants<V> c;

  HWY_INLINE vec_field() : c(fp::make_monty31_constants(d, babybear::modulus, babybear::modulus_inv)) {}

  HWY_INLINE V add(V a, V b) const { return fp::add_mod(d, a, b, c); }
  HWY_INLINE V sub(V a, V b) const { return fp::sub_mod(d, a, b, c); }
  HWY_INLINE V mul(V a, V b) const { return fp::mul_mod(d, a, b, c); }
  HWY_INLINE V set(babybear x) const { return hn::Set(d, x.monty()); }
};

/// x * 2^-K for 1 <= K <= 27. With x = hi 2^K + lo (lo < 2^K): x 2^-K = hi + lo 2^-K, and
/// 2^-K = -15 * 2^(27-K) mod p since 2^K * 15 * 2^(27-K) = p - 1. Both hi < 2^(31-K) and
/// lo * 15 * 2^(27-K) < 15 * 2^27 < p are reduced, so one modular subtraction finishes. Multiplying
/// by a constant commutes with the Montgomery map, so this acts on Montgomery words unchanged.
template <int K>
HWY_INLINE V mul_2exp_neg(const vec_field& f, V x) {
  static_assert(1 <= K && K <= 27);
  const V hi = hn::ShiftRight<K>(x);
  const V lo = hn::And(x, hn::Set(f.d, (1u << K) - 1u));
  const V lo15 = hn::Sub(hn::ShiftLeft<4>(lo), lo);
  return f.sub(hi, hn::ShiftLeft<27 - K>(lo15));
}

#if HWY_TARGET != HWY_SCALAR
/// Signed Montgomery product without the final correction: for a, b in (-p, p) (two's-complement
/// words) returns r = a b 2^-32 mod p with r in (-p, p). With t = a b (|t| < p^2 < 2^62) and
/// q = lo32(t) p^-1 taken as a signed 32-bit value, t - q p is divisible by 2^32 and
/// r = hi(t) - hi(q p), where |hi(t)| < p^2 / 2^32 < p / 2 and |hi(q p)| <= p / 2.
HWY_INLINE V mul_signed(const vec_field& f, V a, V b) {
  const hn::Repartition<std::int32_t, D> di;
  const hn::RepartitionToWide<D> du64;
  const auto odd = [&](V x) { return hn::BitCast(di, hn::ShiftRight<32>(hn::BitCast(du64, x))); };
  const auto prod_evn = hn::MulEven(hn::BitCast(di, a), hn::BitCast(di, b));
  const auto prod_odd = hn::MulEven(odd(a), odd(b));
  const auto q_evn = hn::MulEven(hn::BitCast(f.d, prod_evn), f.c.p_inv);
  const auto q_odd = hn::MulEven(hn::BitCast(f.d, prod_odd), f.c.p_inv);
  const auto p_i = hn::BitCast(di, f.c.p);
  const auto qp_evn = hn::MulEven(hn::BitCast(di, q_evn), p_i);
  const auto qp_odd = hn::MulEven(hn::BitCast(di, q_odd), p_i);
  const V prod_hi =
      hn::OddEven(hn::BitCast(f.d, prod_odd), hn::BitCast(f.d, hn::ShiftRight<32>(hn::BitCast(du64, prod_evn))));
  const V qp_hi =
      hn::OddEven(hn::BitCast(f.d, qp_odd), hn::BitCast(f.d, hn::ShiftRight<32>(hn::BitCast(du64, qp_evn))));
  return hn::Sub(prod_hi, qp_hi);
}

/// x^7 for x in [0, p): four signed products whose intermediate results stay in (-p, p); only the
/// last is brought back to [0, p) (r < 0 wraps to >= 2^32 - p, so min(r, r + p) picks r + p).
HWY_INLINE V sbox(const vec_field& f, V x) {
  const V x2 = mul_signed(f, x, x);
  const V x3 = mul_signed(f, x2, x);
  const V x4 = mul_signed(f, x2, x2);
  const V r = mul_signed(f, x3, x4);
  return hn::Min(r, hn::Add(r, f.c.p));
}
#else
/// x^7, four Montgomery products.
HWY_INLINE V sbox(const vec_field& f, V x) {
  const V x2 = f.mul(x, x);
  const V x3 = f.mul(x2, x);
  const V x4 = f.mul(x2, x2);
  return f.mul(x3, x4);
}
#endif

/// M4 on four vectors (the scalar poseidon2_m4, lane by lane).
HWY_INLINE void m4(const vec_field& f, V& x0, V& x1, V& x2, V& x3) {
  const V t01 = f.add(x0, x1);
  const V t23 = f.add(x2, x3);
  const V t0123 = f.add(t01, t23);
  const V t01123 = f.add(t0123, x1);
  const V t01233 = f.add(t0123, x3);
  x3 = f.add(t01233, f.add(x0, x0));
  x1 = f.add(t01123, f.add(x2, x2));
  x0 = f.add(t01123, t01);
  x2 = f.add(t01233, t23);
}

template <std::size_t Width>
HWY_INLINE void external_layer(const vec_field& f, V* s) {
#pragma GCC unroll 8
  for (std::size_t j = 0; j < Width; j += 4) m4(f, s[j], s[j + 1], s[j + 2], s[j + 3]);
  V sums[4] = {s[0], s[1], s[2], s[3]};
#pragma GCC unroll 8
  for (std::size_t j = 4; j < Width; j += 4) {
#pragma GCC unroll 4
    for (std::size_t k = 0; k < 4; ++k) sums[k] = f.add(sums[k], s[j + k]);
  }
#pragma GCC unroll 24
  for (std::size_t i = 0; i < Width; ++i) s[i] = f.add(s[i], sums[i % 4]);
}

/// s_I <- V_I s_I + sum for I >= 1, with V_I from the constants table, using no product.
template <std::size_t Width, std::size_t I>
HWY_INLINE void diagonal_term(const vec_field& f, V& x, V sum) {
  constexpr poseidon2_diag_entry e = poseidon2_babybear_params<Width>::internal_diagonal[I];
  static_assert(e.sign == 1 || e.sign == -1);
  V y = x;
  if constexpr (e.log2 < 0) {
    static_assert(e.mult == 1);
    y = mul_2exp_neg<-e.log2>(f, x);
  } else {
    static_assert(e.mult == 1 || e.mult == 3);
    if constexpr (e.mult == 3) y = f.add(f.add(x, x), x);
    for (int k = 0; k < e.log2; ++k) y = f.add(y, y);
  }
  x = e.sign > 0 ? f.add(sum, y) : f.sub(sum, y);
}

/// s <- (1 + diag(V)) s. V_0 = -2, so s_0 <- sum - 2 s_0 = (sum of s_1..) - s_0.
template <std::size_t Width, std::size_t... I>
HWY_INLINE void internal_layer(const vec_field& f, V* s, std::index_sequence<I...>) {
  constexpr poseidon2_diag_entry e0 = poseidon2_babybear_params<Width>::internal_diagonal[0];
  static_assert(e0.sign == -1 && e0.mult == 1 && e0.log2 == 1);
  V part = s[1];
#pragma GCC unroll 24
  for (std::size_t i = 2; i < Width; ++i) part = f.add(part, s[i]);
  const V sum = f.add(part, s[0]);
  s[0] = f.sub(part, s[0]);
  (diagonal_term<Width, I + 1>(f, s[I + 1], sum), ...);
}

template <std::size_t Width>
HWY_INLINE void full_round(const vec_field& f, V* s, const babybear* rc) {
#pragma GCC unroll 24
  for (std::size_t i = 0; i < Width; ++i) s[i] = sbox(f, f.add(s[i], f.set(rc[i])));
  external_layer<Width>(f, s);
}

/// The permutation on Width vectors (lane l of s[0..Width) is one state).
template <std::size_t Width>
HWY_INLINE void permute(const vec_field& f, V* s) {
  const poseidon2_constants<Width>& c = poseidon2_default_constants<Width>;
  external_layer<Width>(f, s);
  for (std::size_t r = 0; r < c.half_full_rounds; ++r) full_round<Width>(f, s, c.external_initial[r]);
  for (std::size_t r = 0; r < c.partial_rounds; ++r) {
    s[0] = sbox(f, f.add(s[0], f.set(c.internal[r])));
    internal_layer<Width>(f, s, std::make_index_sequence<Width - 1>());
  }
  for (std::size_t r = 0; r < c.half_full_rounds; ++r) full_round<Width>(f, s, c.external_final[r]);
}

template <std::size_t Width>
void permute_many(std::uint32_t* states, std::size_t count) {
  const vec_field f;
  const std::size_t lanes = hn::Lanes(f.d);
  HWY_ALIGN std::uint32_t buf[Width * max_lanes] = {};
  V s[Width];
  for (std::size_t base = 0; base < count; base += lanes) {
    const std::size_t n = std::min(lanes, count - base);
    for (std::size_t l = 0; l < n; ++l) {
      const std::uint32_t* src = states + (base + l) * Width;
      for (std::size_t j = 0; j < Width; ++j) buf[j * lanes + l] = src[j];
    }
#pragma GCC unroll 24
    for (std::size_t j = 0; j < Width; ++j) s[j] = hn::Load(f.d, buf + j * lanes);
    permute<Width>(f, s);
#pragma GCC unroll 24
    for (std::size_t j = 0; j < Width; ++j) hn::Store(s[j], f.d, buf + j * lanes);
    for (std::size_t l = 0; l < n; ++l) {
      std::uint32_t* dst = states + (base + l) * Width;
      for (std::size_t j = 0; j < Width; ++j) dst[j] = buf[j * lanes + l];
    }
  }
}

const std::uint32_t* words(const babybear* p) { return reinterpret_cast<const std::uint32_t*>(p); }

}  // namespace

void permute16_words(std::uint32_t* states, std::size_t count) { permute_many<16>(states, count); }
void permute24_words(std::uint32_t* states, std::size_t count) { permute_many<24>(states, count); }

/// The padding-free sponge (rate 8) over the concatenated rows of `matrices`, `lanes` rows at once.
/// The rate part lives in `rate` (lane-major) between permutations, so that a partial last block
/// keeps the previous output in its unwritten positions, as the scalar sponge does.
void hash_rows_words(const row_major_view* matrices, std::size_t num_matrices, std::size_t rows,
                     std::uint32_t* digests) {
  const vec_field f;
  const std::size_t lanes = hn::Lanes(f.d);
  HWY_ALIGN std::uint32_t rate[sponge_rate * max_lanes];
  V s[sponge_width];
  for (std::size_t base = 0; base < rows; base += lanes) {
    const std::size_t n = std::min(lanes, rows - base);
    std::fill(rate, rate + sponge_rate * lanes, 0u);
#pragma GCC unroll 16
    for (std::size_t j = 0; j < sponge_width; ++j) s[j] = hn::Zero(f.d);
    std::size_t pos = 0;
    const auto absorb_block = [&] {
#pragma GCC unroll 8
      for (std::size_t j = 0; j < sponge_rate; ++j) s[j] = hn::Load(f.d, rate + j * lanes);
      permute<sponge_width>(f, s);
#pragma GCC unroll 8
      for (std::size_t j = 0; j < sponge_rate; ++j) hn::Store(s[j], f.d, rate + j * lanes);
      pos = 0;
    };
    for (std::size_t m = 0; m < num_matrices; ++m) {
      const row_major_view& mat = matrices[m];
      const std::uint32_t* data = words(mat.data);
      for (std::size_t k = 0; k < mat.width;) {
        // Copy the next run of columns that fits in the current block, lane by lane.
        const std::size_t run = std::min(sponge_rate - pos, mat.width - k);
        for (std::size_t l = 0; l < n; ++l) {
          const std::uint32_t* src = data + (base + l) * mat.row_stride + k;
          for (std::size_t j = 0; j < run; ++j) rate[(pos + j) * lanes + l] = src[j];
        }
        k += run;
        pos += run;
        if (pos == sponge_rate) absorb_block();
      }
    }
    if (pos != 0) absorb_block();
    // The digest is state[0..8), which absorb_block left in `rate`; with no permutation at all
    // (empty rows) `rate` still holds the zero state, the digest Plonky3 returns.
    static_assert(digest_elems <= sponge_rate);
    for (std::size_t l = 0; l < n; ++l) {
      std::uint32_t* dst = digests + (base + l) * digest_elems;
      for (std::size_t j = 0; j < digest_elems; ++j) dst[j] = rate[j * lanes + l];
    }
  }
}

/// out_i = first 8 elements of Poseidon2-16(left_i || right_i), lanes pairs at once; every input
/// of a group is read before any output of that group is written.
void compress_words(const std::uint32_t* left, std::size_t left_stride, const std::uint32_t* right,
                    std::size_t right_stride, std::size_t count, std::uint32_t* out) {
  const vec_field f;
  const std::size_t lanes = hn::Lanes(f.d);
  HWY_ALIGN std::uint32_t buf[sponge_width * max_lanes] = {};
  V s[sponge_width];
  for (std::size_t base = 0; base < count; base += lanes) {
    const std::size_t n = std::min(lanes, count - base);
    for (std::size_t l = 0; l < n; ++l) {
      const std::uint32_t* lsrc = left + (base + l) * left_stride;
      const std::uint32_t* rsrc = right + (base + l) * right_stride;
      for (std::size_t j = 0; j < digest_elems; ++j) {
        buf[j * lanes + l] = lsrc[j];
        buf[(digest_elems + j) * lanes + l] = rsrc[j];
      }
    }
#pragma GCC unroll 16
    for (std::size_t j = 0; j < sponge_width; ++j) s[j] = hn::Load(f.d, buf + j * lanes);
    permute<sponge_width>(f, s);
#pragma GCC unroll 8
    for (std::size_t j = 0; j < digest_elems; ++j) hn::Store(s[j], f.d, buf + j * lanes);
    for (std::size_t l = 0; l < n; ++l) {
      std::uint32_t* dst = out + (base + l) * digest_elems;
      for (std::size_t j = 0; j < digest_elems; ++j) dst[j] = buf[j * lanes + l];
    }
  }
}

std::size_t lanes_impl() { return hn::Lanes(D()); }
const char* simd_target_impl() { return hwy::TargetName(HWY_TARGET); }

}  // namespace ciro::hash::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ciro::hash {

HWY_EXPORT(permute16_words);
HWY_EXPORT(permute24_words);
HWY_EXPORT(hash_rows_words);
HWY_EXPORT(compress_words);
HWY_EXPORT(lanes_impl);
HWY_EXPORT(simd_target_impl);

namespace {
static_assert(sizeof(babybear) == sizeof(std::uint32_t) && std::is_trivially_copyable_v<babybear>);
std::uint32_t* words(babybear* p) { return reinterpret_cast<std::uint32_t*>(p); }
const std::uint32_t* words(const babybear* p) { return reinterpret_cast<const std::uint32_t*>(p); }
}  // namespace

void poseidon2_permute_many(std::span<std::array<babybear, 16>> states) {
  HWY_DYNAMIC_DISPATCH(permute16_words)(words(states.data()->data()), states.size());
}
void poseidon2_permute_many(std::span<std::array<babybear, 24>> states) {
  HWY_DYNAMIC_DISPATCH(permute24_words)(words(states.data()->data()), states.size());
}

void hash_rows(const babybear* matrix, std::size_t rows, std::size_t width, babybear* digests_out) {
  const row_major_view view{matrix, width, width};
  HWY_DYNAMIC_DISPATCH(hash_rows_words)(&view, 1, rows, words(digests_out));
}
void hash_rows(std::span<const row_major_view> matrices, std::size_t rows, babybear* digests_out) {
  HWY_DYNAMIC_DISPATCH(hash_rows_words)(matrices.data(), matrices.size(), rows, words(digests_out));
}

void compress(const babybear* left, const babybear* right, std::size_t count, babybear* out) {
  HWY_DYNAMIC_DISPATCH(compress_words)(words(left), digest_elems, words(right), digest_elems, count, words(out));
}
void compress_pairs(const babybear* pairs, std::size_t count, babybear* out) {
  HWY_DYNAMIC_DISPATCH(compress_words)
  (words(pairs), 2 * digest_elems, words(pairs + digest_elems), 2 * digest_elems, count, words(out));
}

const char* poseidon2_simd_target() { return HWY_DYNAMIC_DISPATCH(simd_target_impl)(); }
std::size_t poseidon2_lanes() { return HWY_DYNAMIC_DISPATCH(lanes_impl)(); }

}  // namespace ciro::hash
#endif  // HWY_ONCE
