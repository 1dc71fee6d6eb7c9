// Batched Poseidon2 over BabyBear with Highway: one permutation per vector lane, the state of
// Width permutations held as Width vectors (see hash/poseidon2_packed.hpp).
//
// The round structure is the scalar reference's (hash/poseidon2.hpp); what makes it fast:
// - the S-box works on signed words: its input may be any value in [-p, p], so adding a round
//   constant (stored as rc - p) or forming the next partial round's input is one plain addition
//   or subtraction; its products are signed 64-bit and only partially reduced (into (-p, p)) until
//   the last, and the even and odd elements are kept in separate vectors throughout;
// - the internal layer multiplies by V_i = +-{1, 2, 3, 4, 1/2^k} with additions and shifts only
//   (halve, mul_neg_2exp_neg below), never with a Montgomery product, and sums the state as a
//   balanced tree, so the partial rounds are bounded by the S-box latency on s_0 alone;
// - the external layer is M4 additions only (as in the reference).
// Inputs are copied into lane-major buffers (the rows hashed by hash_rows are gathered straight
// into the state vectors) and the outputs copied back; the unused lanes of a last, partial group
// compute on stale or repeated but valid field elements and are dropped.

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "poseidon2_packed.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>

#include "hwy/cache_control.h"
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

static_assert(babybear::modulus == 15u * (1u << 27) + 1u, "halve and mul_neg_2exp_neg rely on p = 15 * 2^27 + 1");

/// Field operations on vectors of Montgomery words in [0, p). add and sub also accept one operand
/// equal to p (add: a + p < 2p still reduces with one subtraction; sub: a - p wraps and a - p + p =
/// a), which the internal layer's -x 2^-K (in [0, p]) relies on.
struct vec_field {
  D d;
  fp::monty31_vec_constants<V> c;

  HWY_INLINE vec_field() : c(fp::make_monty31_constants(d, babybear::modulus, babybear::modulus_inv)) {}

  HWY_INLINE V add(V a, V b) const { return fp::add_mod(d, a, b, c); }
  HWY_INLINE V sub(V a, V b) const { return fp::sub_mod(d, a, b, c); }
  HWY_INLINE V mul(V a, V b) const { return fp::mul_mod(d, a, b, c); }
  HWY_INLINE V set(babybear x) const { return hn::Set(d, x.monty()); }
};

/// x / 2 for x in [0, p): x >> 1 if x is even, else (x + p) / 2 = (x >> 1) + (p + 1) / 2 < p.
HWY_INLINE V halve(const vec_field& f, V x) {
  const V h = hn::ShiftRight<1>(x);
  return hn::IfThenElse(hn::TestBit(x, hn::Set(f.d, 1u)), hn::Add(h, hn::Set(f.d, (babybear::modulus + 1) / 2)), h);
}

/// -x 2^-K in [0, p] (p stands for 0) for x in [0, p) and 1 <= K <= 27. With x = hi 2^K + lo
/// (lo < 2^K): -x 2^-K = -hi - lo 2^-K, and 2^-K = -15 * 2^(27-K) mod p since
/// 2^K * 15 * 2^(27-K) = p - 1; so -x 2^-K = m - hi with m = lo * 15 * 2^(27-K) < 15 * 2^27 < p.
/// hi <= (p - 1) / 2^K = 15 * 2^(27-K), so for lo >= 1, hi <= m and m - hi lies in [0, p). For
/// lo = 0, m is replaced by p, giving p - hi in (0, p]. Multiplying by a constant commutes with the
/// Montgomery map, so this acts on Montgomery words unchanged.
template <int K>
HWY_INLINE V mul_neg_2exp_neg(const vec_field& f, V x) {
  static_assert(1 <= K && K <= 27);
  const V lo_bits = hn::Set(f.d, (1u << K) - 1u);
  const V hi = hn::ShiftRight<K>(x);
  const V lo = hn::And(x, lo_bits);
  const V m = hn::ShiftLeft<27 - K>(hn::Sub(hn::ShiftLeft<4>(lo), lo));
  return hn::Sub(hn::IfThenElse(hn::Ne(lo, hn::Zero(f.d)), m, f.c.p), hi);
}

#if HWY_TARGET != HWY_SCALAR
using DI = hn::Repartition<std::int32_t, D>;
using VI = hn::Vec<DI>;
using VW = hn::Vec<hn::RepartitionToWide<DI>>;

/// The S-box's signed Montgomery arithmetic works on the even 32-bit lanes of a vector, as signed
/// 64-bit products (MulEven); the odd elements go through the same steps after DupOdd moved them
/// into even positions. A product t = a b with |a|, |b| <= p has |t| <= p^2 < 2^31 p.
///
/// Partial Montgomery reduction of signed 64-bit t with |t| < 2^31 p: q = lo32(t) p^-1 mod 2^32,
/// read as a signed 32-bit value, makes t - q p divisible by 2^32, and |q p| <= 2^31 p, so
/// r = (t - q p) / 2^32 = t 2^-32 mod p lies in (-p, p). As lo32(t) = lo32(q p), r is the
/// difference of the high halves, and it is left in the odd 32-bit lanes.
HWY_INLINE VI reduce_to_odd(VI p, VI p_inv, VW t) {
  const DI di;
  const VW q = hn::MulEven(hn::BitCast(di, t), p_inv);
  return hn::Sub(hn::BitCast(di, t), hn::BitCast(di, hn::MulEven(hn::BitCast(di, q), p)));
}

/// a b 2^-32 mod p in (-p, p), in the even (and odd) 32-bit lanes, from a, b in the even lanes
/// with |a|, |b| <= p: the next product's operand.
HWY_INLINE VI mul_reduced(VI p, VI p_inv, VI a, VI b) { return hn::DupOdd(reduce_to_odd(p, p_inv, hn::MulEven(a, b))); }

/// x <- x^7 in [0, p) for N vectors x with every word in [-p, p] (signed). Each vector is split
/// into its even elements (x itself, MulEven reads the even lanes) and its odd elements (DupOdd x),
/// and the 2N independent chains x2 = x x, x3 = x2 x, x4 = x2 x2, x7 = x3 x4 (the scalar
/// reference's order, in the Montgomery domain) advance step by step side by side, so that the
/// long S-box latency overlaps. The final reductions land in the odd lanes; the even half's move
/// down into the even lanes and one blend joins the halves. The result r in (-p, p) is brought
/// into [0, p): r < 0 wraps to >= 2^32 - p as an unsigned word, so min(r, r + p) picks r + p.
template <std::size_t N>
HWY_INLINE void sbox_n(const vec_field& f, V* x) {
  const DI di;
  const VI p = hn::BitCast(di, f.c.p);
  const VI p_inv = hn::BitCast(di, f.c.p_inv);
  VI x1[2 * N], x2[2 * N], x3[2 * N], x4[2 * N];
  VW x7[2 * N];
#pragma GCC unroll 8
  for (std::size_t i = 0; i < N; ++i) {
    x1[2 * i] = hn::BitCast(di, x[i]);
    x1[2 * i + 1] = hn::DupOdd(x1[2 * i]);
  }
#pragma GCC unroll 8
  for (std::size_t i = 0; i < 2 * N; ++i) x2[i] = mul_reduced(p, p_inv, x1[i], x1[i]);
#pragma GCC unroll 8
  for (std::size_t i = 0; i < 2 * N; ++i) x3[i] = mul_reduced(p, p_inv, x2[i], x1[i]);
#pragma GCC unroll 8
  for (std::size_t i = 0; i < 2 * N; ++i) x4[i] = mul_reduced(p, p_inv, x2[i], x2[i]);
#pragma GCC unroll 8
  for (std::size_t i = 0; i < 2 * N; ++i) x7[i] = hn::MulEven(x3[i], x4[i]);
#pragma GCC unroll 8
  for (std::size_t i = 0; i < N; ++i) {
    const VI r_evn = reduce_to_odd(p, p_inv, x7[2 * i]);
    const VI r_odd = reduce_to_odd(p, p_inv, x7[2 * i + 1]);
    const V r = hn::BitCast(f.d, hn::OddEven(r_odd, hn::DupOdd(r_evn)));
    x[i] = hn::Min(r, hn::Add(r, f.c.p));
  }
}

/// S-box inputs need no reduction: for a, b in [0, p), a - b lies in (-p, p), and a + rc with the
/// round constant stored as rc - p (mod 2^32) lies in [-p, p).
HWY_INLINE V rc_vec(const vec_field& f, babybear rc) { return hn::Set(f.d, rc.monty() - babybear::modulus); }
HWY_INLINE V sbox_in_add(const vec_field&, V a, V rc) { return hn::Add(a, rc); }
HWY_INLINE V sbox_in_sub(const vec_field&, V a, V b) { return hn::Sub(a, b); }
#else
/// x <- x^7 for N vectors, four Montgomery products each.
template <std::size_t N>
HWY_INLINE void sbox_n(const vec_field& f, V* x) {
  for (std::size_t i = 0; i < N; ++i) {
    const V x2 = f.mul(x[i], x[i]);
    const V x3 = f.mul(x2, x[i]);
    const V x4 = f.mul(x2, x2);
    x[i] = f.mul(x3, x4);
  }
}
/// S-box inputs are canonical here.
HWY_INLINE V rc_vec(const vec_field& f, babybear rc) { return f.set(rc); }
HWY_INLINE V sbox_in_add(const vec_field& f, V a, V rc) { return f.add(a, rc); }
HWY_INLINE V sbox_in_sub(const vec_field& f, V a, V b) { return f.sub(a, b); }
#endif

/// x^7 of one vector (see sbox_n).
HWY_INLINE V sbox(const vec_field& f, V x) {
  sbox_n<1>(f, &x);
  return x;
}

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

/// x_0 + ... + x_{N-1} as a balanced tree: log2(N) additions deep instead of N - 1, which keeps
/// the internal layer's sum off the partial rounds' critical path (the S-box chain on s_0).
template <std::size_t N>
HWY_INLINE V tree_sum(const vec_field& f, const V* x) {
  if constexpr (N == 1) {
    return x[0];
  } else {
    return f.add(tree_sum<N / 2>(f, x), tree_sum<N - N / 2>(f, x + N / 2));
  }
}

/// s_I <- V_I s_I + sum for I >= 1, with V_I from the constants table, using no product.
template <std::size_t Width, std::size_t I>
HWY_INLINE void diagonal_term(const vec_field& f, V& x, V sum) {
  constexpr poseidon2_diag_entry e = poseidon2_babybear_params<Width>::internal_diagonal[I];
  static_assert(e.sign == 1 || e.sign == -1);
  if constexpr (e.log2 <= -2) {
    static_assert(e.mult == 1);
    // n = -x 2^-K in [0, p]: sum + V x is sum - n for V = 2^-K and sum + n for V = -2^-K.
    const V n = mul_neg_2exp_neg<-e.log2>(f, x);
    x = e.sign > 0 ? f.sub(sum, n) : f.add(sum, n);
  } else {
    V y = x;
    if constexpr (e.log2 == -1) {
      static_assert(e.mult == 1);
      y = halve(f, x);
    } else {
      static_assert(e.mult == 1 || e.mult == 3);
      if constexpr (e.mult == 3) y = f.add(f.add(x, x), x);
      for (int k = 0; k < e.log2; ++k) y = f.add(y, y);
    }
    x = e.sign > 0 ? f.add(sum, y) : f.sub(sum, y);
  }
}

/// The linear part of a partial round once s_0 has become x = S-box(s_0 + rc):
/// s <- (1 + diag(V)) s. With part = s_1 + ... + s_{Width-1} and sum = part + x, s_I <- sum + V_I s_I
/// for I >= 1, and V_0 = -2 gives s_0 <- sum - 2 x = part - x (left to the caller, which folds it
/// into the next round's S-box input). Returns part.
template <std::size_t Width, std::size_t... I>
HWY_INLINE V internal_linear(const vec_field& f, V* s, V x, std::index_sequence<I...>) {
  constexpr poseidon2_diag_entry e0 = poseidon2_babybear_params<Width>::internal_diagonal[0];
  static_assert(e0.sign == -1 && e0.mult == 1 && e0.log2 == 1);
  const V part = tree_sum<Width - 1>(f, s + 1);
  const V sum = f.add(part, x);
  (diagonal_term<Width, I + 1>(f, s[I + 1], sum), ...);
  return part;
}

template <std::size_t Width>
HWY_INLINE void full_round(const vec_field& f, V* s, const babybear* rc) {
#pragma GCC unroll 24
  for (std::size_t i = 0; i < Width; ++i) s[i] = sbox_in_add(f, s[i], rc_vec(f, rc[i]));
  // S-boxes in groups of four vectors (eight independent chains): enough to hide the S-box latency
  // without spilling (measured: two or eight per group are slower).
  constexpr std::size_t group = 4;
  static_assert(Width % group == 0);
#pragma GCC unroll 24
  for (std::size_t i = 0; i < Width; i += group) sbox_n<group>(f, s + i);
  external_layer<Width>(f, s);
}

/// The permutation on Width vectors (lane l of s[0..Width) is one state).
template <std::size_t Width>
HWY_INLINE void permute(const vec_field& f, V* s) {
  const poseidon2_constants<Width>& c = poseidon2_default_constants<Width>;
  constexpr auto diag = std::make_index_sequence<Width - 1>();
  external_layer<Width>(f, s);
  for (std::size_t r = 0; r < c.half_full_rounds; ++r) full_round<Width>(f, s, c.external_initial[r]);
  // Partial rounds. s_0 after round r is part - x; the next S-box input (part - x) + rc is computed
  // as (part + rc) - x, so that only one subtraction follows the S-box on the critical path.
  V in = sbox_in_add(f, s[0], rc_vec(f, c.internal[0]));
  for (std::size_t r = 0; r + 1 < c.partial_rounds; ++r) {
    const V x = sbox(f, in);
    const V part = internal_linear<Width>(f, s, x, diag);
    in = sbox_in_sub(f, f.add(part, f.set(c.internal[r + 1])), x);
  }
  const V x = sbox(f, in);
  s[0] = f.sub(internal_linear<Width>(f, s, x, diag), x);
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

/// Lane l of a group of `lanes` rows reads row min(l, n - 1) of the group, so that the unused lanes
/// of a partial last group (n < lanes) read the valid row n - 1 again (their results are dropped).
HWY_INLINE std::size_t lane_row(std::size_t l, std::size_t n) { return std::min(l, n - 1); }

/// Rows base .. base + n (n <= lanes) of a view, in row_major_view's row order: row i of the group
/// starts at p + off[i] (words; p is the lowest of these rows, one pointer computation per row).
/// column(c) is the vector whose lane l is p[off[lane_row(l, n)] + c]: one gather with the word
/// offsets idx[l] = off[lane_row(l, n)], which fit in int32 when every off[i] <= INT32_MAX
/// (`gather`); otherwise the words are read one by one (natural order: rows over 2^31 / 15 words
/// apart on AVX-512; bit-reversed order, whose rows spread over the whole matrix: a matrix of over
/// about 2^31 words).
struct row_group {
  using DI = hn::Repartition<std::int32_t, D>;
  const std::uint32_t* p;
  std::size_t n;
  bool gather;
  std::size_t off[max_lanes];
  hn::Vec<DI> idx;

  HWY_INLINE row_group(const D d, const row_major_view& view, std::size_t base, std::size_t n_) : n(n_) {
    std::size_t max_off;
    if (!view.bit_reversed_rows) {
      p = words(view.data) + base * view.row_stride;
      for (std::size_t i = 0; i < n; ++i) off[i] = i * view.row_stride;
      max_off = (n - 1) * view.row_stride;
    } else {
      // Logical rows first_row + base + i are stored at bitrev of it: one pointer per row.
      std::size_t lowest = ~std::size_t{0}, highest = 0;
      for (std::size_t i = 0; i < n; ++i) {
        off[i] = static_cast<std::size_t>(bitrev(view.first_row + base + i, view.log_height));
        lowest = std::min(lowest, off[i]);
        highest = std::max(highest, off[i]);
      }
      for (std::size_t i = 0; i < n; ++i) off[i] = (off[i] - lowest) * view.row_stride;
      p = words(view.data) + lowest * view.row_stride;
      max_off = (highest - lowest) * view.row_stride;
    }
    gather = max_off <= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());
    HWY_ALIGN std::int32_t offsets[max_lanes];
    for (std::size_t l = 0; l < hn::Lanes(d); ++l) {
      offsets[l] = gather ? static_cast<std::int32_t>(off[lane_row(l, n)]) : 0;
    }
    idx = hn::Load(DI(), offsets);
  }

  /// Prefetches word c of each row; the caller keeps c below the row's width.
  HWY_INLINE void prefetch(std::size_t c) const {
    for (std::size_t i = 0; i < n; ++i) hwy::Prefetch(p + off[i] + c);
  }

  HWY_INLINE V column(const D d, std::size_t c) const {
    if (gather) return hn::GatherIndex(d, p + c, idx);
    HWY_ALIGN std::uint32_t buf[max_lanes];
    for (std::size_t l = 0; l < hn::Lanes(d); ++l) buf[l] = p[off[lane_row(l, n)] + c];
    return hn::Load(d, buf);
  }
};

/// hash_rows prefetches the columns this many words ahead of the block it gathers: 16 rows are
/// read side by side, too many streams for the hardware prefetcher alone (measured on a 2^18 x 256
/// commitment: 16 words ahead beats none, 32 and 64).
constexpr std::size_t prefetch_ahead = 16;

/// out[l * digest_elems + j] = lane l of s[j] for l < n and j < digest_elems (lane-major to
/// row-major, through a buffer); the lanes l >= n are dropped.
HWY_INLINE void store_digests(const D d, const V* s, std::size_t n, std::uint32_t* out) {
  HWY_ALIGN std::uint32_t buf[digest_elems * max_lanes];
  const std::size_t lanes = hn::Lanes(d);
#pragma GCC unroll 8
  for (std::size_t j = 0; j < digest_elems; ++j) hn::Store(s[j], d, buf + j * lanes);
  for (std::size_t l = 0; l < n; ++l) {
    for (std::size_t j = 0; j < digest_elems; ++j) out[l * digest_elems + j] = buf[j * lanes + l];
  }
}

}  // namespace

void permute16_words(std::uint32_t* states, std::size_t count) { permute_many<16>(states, count); }
void permute24_words(std::uint32_t* states, std::size_t count) { permute_many<24>(states, count); }

/// The padding-free sponge (rate 8) over the concatenated rows of `matrices`, `lanes` rows at once:
/// lane l of s[j] is element j of row base + l's sponge state. Each block overwrites s[pos, pos +
/// run) with columns gathered straight from the matrices; a partial last block leaves s[j] for j
/// outside that range unchanged, i.e. the previous permutation's output, as the scalar sponge does.
void hash_rows_words(const row_major_view* matrices, std::size_t num_matrices, std::size_t rows,
                     std::uint32_t* digests) {
  const vec_field f;
  const std::size_t lanes = hn::Lanes(f.d);
  V s[sponge_width];
  for (std::size_t base = 0; base < rows; base += lanes) {
    const std::size_t n = std::min(lanes, rows - base);
#pragma GCC unroll 16
    for (std::size_t j = 0; j < sponge_width; ++j) s[j] = hn::Zero(f.d);
    std::size_t pos = 0;
    for (std::size_t m = 0; m < num_matrices; ++m) {
      const row_major_view& mat = matrices[m];
      if (mat.width == 0) continue;
      const row_group g(f.d, mat, base, n);
      for (std::size_t k = 0; k < mat.width;) {
        // Columns k .. k + run of the matrix fill rate positions pos .. pos + run.
        const std::size_t run = std::min(sponge_rate - pos, mat.width - k);
        if (k + prefetch_ahead < mat.width) g.prefetch(k + prefetch_ahead);
#pragma GCC unroll 8
        for (std::size_t j = 0; j < sponge_rate; ++j) {
          if (j >= pos && j < pos + run) s[j] = g.column(f.d, k + j - pos);
        }
        k += run;
        pos += run;
        if (pos == sponge_rate) {
          permute<sponge_width>(f, s);
          pos = 0;
        }
      }
    }
    if (pos != 0) permute<sponge_width>(f, s);
    // The digest is state[0..8); with no permutation at all (empty rows) it is the zero state, the
    // digest Plonky3 returns.
    static_assert(digest_elems <= sponge_rate);
    store_digests(f.d, s, n, digests + base * digest_elems);
  }
}

/// out_i = first 8 elements of Poseidon2-16(left_i || right_i), lanes pairs at once; every input
/// of a group is read before any output of that group is written. The inputs are copied word by
/// word into the lane-major `buf` (measured: as fast as gathering them, the copy overlaps the
/// previous group's permutation).
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
    store_digests(f.d, s, n, out + base * digest_elems);
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
