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
// arithmetic. Asserts accumulate alpha^(m-1-i) c_i into one of four extension-field sums (all,
// first, last, transition) held as D vectors of base coefficients, combined per point with the
// selectors and 1/Z_H at the end of the block.

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
/// is the offset of the accumulator (kind * D * B) and b the constraint's index.
struct lowered {
  opcode op;
  std::uint32_t dst, a, b;
};

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
  std::uint32_t constraint = 0;
  for (const auto& i : program.code) {
    if (i.op >= opcode::assert_zero) {
      const auto kind = static_cast<std::uint32_t>(i.op) - static_cast<std::uint32_t>(opcode::assert_zero);
      code.push_back({i.op, static_cast<std::uint32_t>(kind * D * B), offset[i.a], constraint++});
    } else {
      code.push_back({i.op, offset[i.dst], offset[i.a], offset[i.b]});
    }
  }

  const auto* trace = reinterpret_cast<const std::uint32_t*>(in.trace_lde.data);
  const std::size_t q_mask = in.q_rows - 1, trace_width = in.trace_lde.width, blocks = (in.q_rows + B - 1) / B;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, blocks, 4), [&](const tbb::blocked_range<std::size_t>& range) {
    auto scratch = hwy::AllocateAligned<std::uint32_t>(scratch_words);
    auto acc = hwy::AllocateAligned<std::uint32_t>(4 * D * B);
    auto selector = hwy::AllocateAligned<std::uint32_t>(4 * B);  // first, last, transition, 1/Z_H
    std::uint32_t* s = scratch.get();
    for (std::size_t v = 0; v < broadcasts; ++v) {
      const babybear x =
          v < program.num_public_values ? in.public_values[v] : program.constants[v - program.num_public_values];
      std::fill_n(s + broadcast_base + v * B, B, x.monty());
    }
    for (std::size_t block = range.begin(); block < range.end(); ++block) {
      const std::size_t k0 = block * B;
      for (std::size_t t = 0; t < pitch; ++t) {
        const std::uint32_t* src = trace + ((k0 + t) & q_mask) * in.stride * trace_width;
        for (std::size_t col = 0; col < width; ++col) s[col * pitch + t] = src[col];
      }
      std::fill_n(acc.get(), 4 * D * B, 0u);
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
          default: {  // an assert: acc[kind] += alpha^(m-1-i) * a, coefficient by coefficient
            std::uint32_t* sum = acc.get() + i.dst;
            const std::uint32_t* alpha_i = reinterpret_cast<const std::uint32_t*>(alpha) + std::size_t{i.b} * D;
            for (std::size_t j = 0; j < B; j += lanes) {
              const vec value = hn::LoadU(d, a + j);
              for (unsigned e = 0; e < D; ++e) {
                std::uint32_t* p = sum + e * B + j;
                hn::Store(add_mod(d, hn::Load(d, p), mul_mod(d, value, hn::Set(d, alpha_i[e]), c), c), d, p);
              }
            }
          }
        }
      }
      // Q(x) = (all + first L_first(x) + last L_last(x) + transition T(x)) / Z_H(x).
      const std::size_t count = std::min(B, in.q_rows - k0);
      babybear x = in.x0 * in.w_q.pow(k0);
      for (std::size_t t = 0; t < B; ++t, x *= in.w_q) {
        const std::size_t k = (k0 + t) & q_mask, coset = k & (in.z_h.size() - 1);
        selector[t] = (in.z_h[coset] * in.inverses[2 * k]).monty();
        selector[B + t] = (in.z_h[coset] * in.inverses[2 * k + 1]).monty();
        selector[2 * B + t] = (x - in.w_inv).monty();
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
  CIRO_CHECK(std::has_single_bit(in.q_rows) && std::has_single_bit(in.z_h.size()) &&
             in.z_h_inv.size() == in.z_h.size());
  CIRO_CHECK(in.inverses.size() == 2 * in.q_rows && in.stride > 0 && in.next_offset % in.stride == 0);
  CIRO_CHECK(in.trace_lde.rows == in.q_rows * in.stride);
  HWY_DYNAMIC_DISPATCH(cpu::evaluate_quotient_dispatch)(program, in, alpha.data(), out);
}

}  // namespace ciro::kernels
#endif  // HWY_ONCE
