// The default (CPU) quotient evaluation of kernels::backend (see kernels/backend.hpp): a SIMD
// interpreter of the constraint program, one quotient point per vector lane.
//
// The points are taken in blocks of B = block_vectors * lanes consecutive points. For a block,
// the rows of the trace LDE at its points and at the `shift` points after it (x * w is `shift`
// quotient points further on) are transposed into one array per column of B + shift words, so
// that local(c) is that array and next(c) the same array from word `shift` on. Every value of
// the program then has a fixed offset in one scratch buffer (the columns, then the public
// values and constants broadcast to B words each, then the registers of B words each), and an
// instruction is `block_vectors` vector operations between offsets. The program is lowered to
// these offsets once per call, so the inner loop is a switch over a few opcodes and pointer
// arithmetic. An assert copies its value c_i into row i of a block of constraint values; at the
// end of the block, each of the four extension-field sums (all, first, last, transition) of
// alpha^(m-1-i) c_i over the constraints of its kind is formed as D base-field linear forms, and
// the four are combined per point with the selectors and 1/Z_H.
//
// The linear forms reduce lazily. Both factors of a product are Montgomery words below p; MulEven
// gives the exact 64-bit products of the even lanes (of the odd lanes after a shift), so four
// of them sum to s < 4 p^2 < 2^64. One Montgomery step folds s into a signed 64-bit accumulator:
// with q = s p^-1 mod 2^32, (s - q p) / 2^32 is exact, lies in (-p, 2^32) and is congruent to
// s 2^-32. The coefficients are passed as words of alpha R (R = 2^32), i.e. alpha R^2 mod p,
// so a folded product of c R and alpha R^2 is congruent to c alpha R^2; after at most m/4 + 1
// folds |acc| < 2^32 (m/4 + 1) < 2^20 p (for m < 2^20 constraints). A last step folds
// acc + 2^20 p (non-negative, < 2^21 p < 2^52): the result lies in (-p, 2^20), is congruent to
// c alpha R, the Montgomery word of the sum, and one conditional addition of p makes it canonical.

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "quotient_eval.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/check.hpp"
#include "field/babybear.hpp"
#include "field/packed_monty31-inl.h"
#include "hwy/aligned_allocator.h"
#include "hwy/highway.h"
#include "kernels/backend.hpp"

HWY_BEFORE_NAMESPACE();
namespace ciro::kernels::cpu::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using field::babybear;
using field::HWY_NAMESPACE::add_mod;
using field::HWY_NAMESPACE::mul_mod;
using field::HWY_NAMESPACE::sub_mod;
using opcode = constraint_program::opcode;

using tag = hn::ScalableTag<std::uint32_t>;
using vec = hn::Vec<tag>;

/// Vectors per block and instruction: enough to amortise the dispatch, few enough that a
/// block's columns stay in the L2 cache.
constexpr std::size_t block_vectors = 8;

/// An instruction with its operands as word offsets into the scratch buffer. For asserts, dst
/// is the offset of the constraint's row in the block of constraint values.
struct lowered {
  opcode op;
  std::uint32_t dst, a, b;
};

/// Copies the trace rows of quotient points k0 .. k0 + pitch - 1 (cyclically: q_mask = q_rows - 1)
/// into s column by column: column c of point k0 + t goes to s[c pitch + t]. Point k is the trace
/// row at word offset k row_words.
///
/// Tiles of N points x N columns (N = lanes; B is a multiple of N) are transposed in registers:
/// with the tile's rows r_0 .. r_{N-1} (one point each, lanes = columns), one round replaces them
/// by ConcatEven(r_{2i+1}, r_{2i}) (i < N/2) followed by ConcatOdd(r_{2i+1}, r_{2i}). It sends
/// the element at (row r, lane c) to (row (c_0 << (n-1)) | (r >> 1), lane (r_0 << (n-1)) | (c >> 1))
/// (n = log2 N, x_0 the low bit of x): both indices rotate right by one bit, exchanging the bit
/// that falls out. After n rounds row and lane have exchanged all their bits: the tile is
/// transposed. The columns past the last whole tile and the points past B go word by word.
inline void transpose_block(const std::uint32_t* trace, std::size_t row_words, std::size_t q_mask, std::size_t k0,
                            std::size_t width, std::size_t pitch, std::size_t B, std::uint32_t* HWY_RESTRICT s) {
  std::size_t tiled_columns = 0;
#if HWY_TARGET != HWY_SCALAR
  const tag d;
  constexpr std::size_t N = hn::MaxLanes(tag());
  tiled_columns = width / N * N;
  for (std::size_t t0 = 0; t0 < B; t0 += N) {
    const std::uint32_t* rows[N];
    for (std::size_t i = 0; i < N; ++i) rows[i] = trace + ((k0 + t0 + i) & q_mask) * row_words;
    for (std::size_t col0 = 0; col0 < tiled_columns; col0 += N) {
      vec tile[N], next[N];
      for (std::size_t i = 0; i < N; ++i) tile[i] = hn::LoadU(d, rows[i] + col0);
      for (std::size_t round = 1; round < N; round *= 2) {
        for (std::size_t i = 0; i < N / 2; ++i) {
          next[i] = hn::ConcatEven(d, tile[2 * i + 1], tile[2 * i]);
          next[N / 2 + i] = hn::ConcatOdd(d, tile[2 * i + 1], tile[2 * i]);
        }
        for (std::size_t i = 0; i < N; ++i) tile[i] = next[i];
      }
      for (std::size_t c = 0; c < N; ++c) hn::StoreU(tile[c], d, s + (col0 + c) * pitch + t0);
    }
  }
#endif
  for (std::size_t t = 0; t < pitch; ++t) {
    const std::uint32_t* src = trace + ((k0 + t) & q_mask) * row_words;
    for (std::size_t col = t < B ? tiled_columns : 0; col < width; ++col) s[col * pitch + t] = src[col];
  }
}

#if HWY_TARGET != HWY_SCALAR
using wide_tag = hn::RepartitionToWide<tag>;
using wide_vec = hn::Vec<wide_tag>;
using constants = field::HWY_NAMESPACE::monty31_vec_constants<vec>;

/// acc + (s - q p) / 2^32 with q = s p^-1 mod 2^32, in every 64-bit lane (see the file comment).
HWY_INLINE wide_vec fold(wide_vec acc, wide_vec s, const constants& c) {
  const tag d;
  const wide_vec q = hn::MulEven(hn::BitCast(d, s), c.p_inv);
  const wide_vec qp = hn::MulEven(hn::BitCast(d, q), c.p);
  return hn::Sub(hn::Add(acc, hn::ShiftRight<32>(s)), hn::ShiftRight<32>(qp));
}

/// The odd 32-bit lanes of v moved into the even lanes, where MulEven reads them.
HWY_INLINE vec odd_lanes(vec v) { return hn::BitCast(tag(), hn::ShiftRight<32>(hn::BitCast(wide_tag(), v))); }

/// out[e B + t] = the Montgomery word of sum_{i in rows} alpha_{i,e} c_i(t) for t < B, e < D,
/// where values + i B holds c_i at the B points and coefficients[i D + e] is the word of
/// alpha_{i,e} R (see the file comment).
template <unsigned D>
void linear_forms(const std::uint32_t* values, std::size_t B, const std::vector<std::uint32_t>& rows,
                  const std::uint32_t* coefficients, std::uint32_t* out) {
  const tag d;
  const wide_tag dw;
  const auto c = field::HWY_NAMESPACE::make_monty31_constants(d, babybear::modulus, babybear::modulus_inv);
  const wide_vec offset = hn::Set(dw, std::uint64_t{babybear::modulus} << 20);
  for (std::size_t j = 0; j < B; j += hn::Lanes(d)) {
    wide_vec acc_even[D], acc_odd[D];
    for (unsigned e = 0; e < D; ++e) acc_even[e] = acc_odd[e] = hn::Zero(dw);
    for (std::size_t k = 0; k < rows.size();) {
      wide_vec sum_even[D], sum_odd[D];
      for (unsigned e = 0; e < D; ++e) sum_even[e] = sum_odd[e] = hn::Zero(dw);
      for (const std::size_t end = std::min(k + 4, rows.size()); k < end; ++k) {
        const vec v = hn::Load(d, values + rows[k] * B + j), v_odd = odd_lanes(v);
        const std::uint32_t* a = coefficients + std::size_t{rows[k]} * D;
        for (unsigned e = 0; e < D; ++e) {
          const vec a_e = hn::Set(d, a[e]);
          sum_even[e] = hn::Add(sum_even[e], hn::MulEven(v, a_e));
          sum_odd[e] = hn::Add(sum_odd[e], hn::MulEven(v_odd, a_e));
        }
      }
      for (unsigned e = 0; e < D; ++e) {
        acc_even[e] = fold(acc_even[e], sum_even[e], c);
        acc_odd[e] = fold(acc_odd[e], sum_odd[e], c);
      }
    }
    for (unsigned e = 0; e < D; ++e) {
      // The last fold of acc + 2^20 p: in (-p, 2^20) as a 64-bit two's-complement value; its low
      // word r, or r + p when r wrapped around (r >= 2^32 - p), is the canonical word.
      const wide_vec even = fold(hn::Zero(dw), hn::Add(acc_even[e], offset), c);
      const wide_vec odd = fold(hn::Zero(dw), hn::Add(acc_odd[e], offset), c);
      const vec r = hn::OddEven(hn::BitCast(d, hn::ShiftLeft<32>(odd)), hn::BitCast(d, even));
      hn::Store(hn::Min(r, hn::Add(r, c.p)), d, out + e * B + j);
    }
  }
}
#else
/// See above; one point per vector, with scalar products (coefficients carry a factor R).
template <unsigned D>
void linear_forms(const std::uint32_t* values, std::size_t B, const std::vector<std::uint32_t>& rows,
                  const std::uint32_t* coefficients, std::uint32_t* out) {
  const babybear r_inv = babybear::from_u64(std::uint64_t{1} << 32).inverse();
  for (std::size_t t = 0; t < B; ++t) {
    for (unsigned e = 0; e < D; ++e) {
      babybear sum = babybear::zero();
      for (const std::uint32_t i : rows) {
        sum += babybear::from_monty(values[i * B + t]) * babybear::from_monty(coefficients[i * D + e]);
      }
      out[e * B + t] = (sum * r_inv).monty();
    }
  }
}
#endif

template <unsigned D>
void evaluate_quotient_impl(const constraint_program& program, const quotient_inputs& in, const babybear* alpha,
                            matrix_view<babybear> out) {
  const tag d;
  const auto c = field::HWY_NAMESPACE::make_monty31_constants(d, babybear::modulus, babybear::modulus_inv);
  const std::size_t lanes = hn::Lanes(d), B = block_vectors * lanes;
  const std::size_t width = program.width, shift = in.next_offset / in.stride, pitch = B + shift;
  const std::size_t broadcasts = program.num_public_values + program.constants.size();
  // Broadcasts and registers start on a vector boundary: instructions store with aligned stores.
  const std::size_t broadcast_base = (width * pitch + lanes - 1) / lanes * lanes,
                    register_base = broadcast_base + broadcasts * B;
  const std::size_t scratch_words = register_base + program.num_registers * B;

  std::vector<std::uint32_t> offset(program.num_values());
  for (std::size_t v = 0; v < program.num_values(); ++v) {
    if (v < width) {
      offset[v] = static_cast<std::uint32_t>(v * pitch);
    } else if (v < 2 * width) {
      offset[v] = static_cast<std::uint32_t>((v - width) * pitch + shift);
    } else if (v < program.first_register()) {
      offset[v] = static_cast<std::uint32_t>(broadcast_base + (v - 2 * width) * B);
    } else {
      offset[v] = static_cast<std::uint32_t>(register_base + (v - program.first_register()) * B);
    }
  }
  std::vector<lowered> code;
  code.reserve(program.code.size());
  std::vector<std::uint32_t> of_kind[4];  // the constraints of each kind, in order
  std::uint32_t constraint = 0;
  for (const auto& i : program.code) {
    if (i.op >= opcode::assert_zero) {
      of_kind[static_cast<unsigned>(i.op) - static_cast<unsigned>(opcode::assert_zero)].push_back(constraint);
      code.push_back({i.op, static_cast<std::uint32_t>(constraint++ * B), offset[i.a], 0});
    } else {
      code.push_back({i.op, offset[i.dst], offset[i.a], offset[i.b]});
    }
  }
  CIRO_CHECK(constraint < (1u << 20));  // the bound of the lazy reduction (see the file comment)
  // Coefficient j of alpha^(m-1-i), times R: see the file comment.
  const babybear r_mod_p = babybear::from_u64(std::uint64_t{1} << 32);
  std::vector<std::uint32_t> coefficients(std::size_t{constraint} * D);
  for (std::size_t k = 0; k < coefficients.size(); ++k) coefficients[k] = (alpha[k] * r_mod_p).monty();

  const auto* trace = reinterpret_cast<const std::uint32_t*>(in.trace_lde.data);
  const std::size_t q_mask = in.q_rows - 1, row_words = in.stride * in.trace_lde.width,
                    blocks = (in.q_rows + B - 1) / B;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, blocks, 4), [&](const tbb::blocked_range<std::size_t>& range) {
    auto scratch = hwy::AllocateAligned<std::uint32_t>(scratch_words);
    auto values = hwy::AllocateAligned<std::uint32_t>(std::max<std::size_t>(constraint, 1) * B);
    auto acc = hwy::AllocateAligned<std::uint32_t>(4 * D * B);   // the four sums, D coordinates each
    auto selector = hwy::AllocateAligned<std::uint32_t>(4 * B);  // first, last, transition, 1/Z_H
    std::uint32_t* s = scratch.get();
    for (std::size_t v = 0; v < broadcasts; ++v) {
      const babybear x =
          v < program.num_public_values ? in.public_values[v] : program.constants[v - program.num_public_values];
      std::fill_n(s + broadcast_base + v * B, B, x.monty());
    }
    for (std::size_t block = range.begin(); block < range.end(); ++block) {
      const std::size_t k0 = block * B;
      transpose_block(trace, row_words, q_mask, k0, width, pitch, B, s);
      for (const lowered& i : code) {
        std::uint32_t* dst = s + i.dst;
        const std::uint32_t* a = s + i.a;
        const std::uint32_t* b = s + i.b;
        switch (i.op) {
          case opcode::add:
            for (std::size_t j = 0; j < B; j += lanes) {
              hn::Store(add_mod(d, hn::LoadU(d, a + j), hn::LoadU(d, b + j), c), d, dst + j);
            }
            break;
          case opcode::sub:
            for (std::size_t j = 0; j < B; j += lanes) {
              hn::Store(sub_mod(d, hn::LoadU(d, a + j), hn::LoadU(d, b + j), c), d, dst + j);
            }
            break;
          case opcode::mul:
            for (std::size_t j = 0; j < B; j += lanes) {
              hn::Store(mul_mod(d, hn::LoadU(d, a + j), hn::LoadU(d, b + j), c), d, dst + j);
            }
            break;
          default:  // an assert: row dst of the constraint values
            for (std::size_t j = 0; j < B; j += lanes) hn::Store(hn::LoadU(d, a + j), d, values.get() + i.dst + j);
        }
      }
      for (unsigned kind = 0; kind < 4; ++kind) {
        linear_forms<D>(values.get(), B, of_kind[kind], coefficients.data(), acc.get() + kind * D * B);
      }
      // Q(x) = (all + first L_first(x) + last L_last(x) + transition T(x)) / Z_H(x).
      const std::size_t count = std::min(B, in.q_rows - k0);
      const babybear w_q_s = in.w_q.pow(in.segments), w_inv_s = in.w_inv.pow(in.segments);
      babybear x_s = (in.x0 * in.w_q.pow(k0)).pow(in.segments);  // x^S, for T(x) = x^S - w^-S
      for (std::size_t t = 0; t < B; ++t, x_s *= w_q_s) {
        const std::size_t k = (k0 + t) & q_mask, coset = k & (in.z_h.size() - 1);
        selector[t] = (in.z_h[coset] * in.inverses[2 * k]).monty();
        selector[B + t] = (in.z_h[coset] * in.inverses[2 * k + 1]).monty();
        selector[2 * B + t] = (x_s - w_inv_s).monty();
        selector[3 * B + t] = in.z_h_inv[coset].monty();
      }
      for (std::size_t j = 0; j < B; j += lanes) {
        const vec first = hn::Load(d, selector.get() + j), last = hn::Load(d, selector.get() + B + j);
        const vec transition = hn::Load(d, selector.get() + 2 * B + j);
        const vec z_h_inv = hn::Load(d, selector.get() + 3 * B + j);
        for (unsigned e = 0; e < D; ++e) {
          const std::uint32_t* sum = acc.get() + e * B + j;
          vec q = hn::Load(d, sum);
          q = add_mod(d, q, mul_mod(d, hn::Load(d, sum + D * B), first, c), c);
          q = add_mod(d, q, mul_mod(d, hn::Load(d, sum + 2 * D * B), last, c), c);
          q = add_mod(d, q, mul_mod(d, hn::Load(d, sum + 3 * D * B), transition, c), c);
          hn::Store(mul_mod(d, q, z_h_inv, c), d, acc.get() + e * B + j);  // all's slot is free now
        }
      }
      for (std::size_t t = 0; t < count; ++t) {
        for (unsigned e = 0; e < D; ++e) out.at(k0 + t, e) = babybear::from_monty(acc[e * B + t]);
      }
    }
  });
}

void evaluate_quotient_dispatch(const constraint_program& program, const quotient_inputs& in, const babybear* alpha,
                                matrix_view<babybear> out) {
  if (out.width == 4) {
    evaluate_quotient_impl<4>(program, in, alpha, out);
  } else {
    evaluate_quotient_impl<5>(program, in, alpha, out);
  }
}

}  // namespace ciro::kernels::cpu::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ciro::kernels {
namespace cpu {
HWY_EXPORT(evaluate_quotient_dispatch);
}  // namespace cpu

void backend::evaluate_quotient(const constraint_program& program, const quotient_inputs& in,
                                std::span<const field::babybear> alpha, matrix_view<field::babybear> out) {
  CIRO_CHECK(out.width == 4 || out.width == 5);
  CIRO_CHECK(program.validate().empty() && in.trace_lde.width == program.width &&
             in.public_values.size() == program.num_public_values);
  CIRO_CHECK(alpha.size() == program.num_constraints() * out.width && out.rows == in.q_rows);
  CIRO_CHECK(std::has_single_bit(in.q_rows) && std::has_single_bit(in.z_h.size()) && std::has_single_bit(in.segments) &&
             in.z_h_inv.size() == in.z_h.size());
  CIRO_CHECK(in.inverses.size() == 2 * in.q_rows && in.stride > 0 && in.next_offset % in.stride == 0);
  CIRO_CHECK(in.trace_lde.rows == in.q_rows * in.stride);
  HWY_DYNAMIC_DISPATCH(cpu::evaluate_quotient_dispatch)(program, in, alpha.data(), out);
}

}  // namespace ciro::kernels
#endif  // HWY_ONCE
