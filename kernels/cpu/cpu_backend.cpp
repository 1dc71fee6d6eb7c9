#include <tbb/parallel_for.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <vector>

#include "core/check.hpp"
#include "kernels/backend.hpp"
#include "kernels/cpu/ntt_kernels.hpp"
#include "kernels/cpu/twiddles.hpp"

namespace ciro::kernels {
namespace {

using field::babybear;

std::uint32_t* words(matrix_view<babybear> m) { return reinterpret_cast<std::uint32_t*>(m.data); }

unsigned checked_log2(std::size_t rows) {
  CIRO_CHECK(std::has_single_bit(rows));
  const auto log_n = static_cast<unsigned>(std::countr_zero(rows));
  CIRO_CHECK(log_n <= babybear::two_adicity);
  return log_n;
}

/// Runs a DIF or DIT over every column. Matrices narrower than a SIMD vector but wider than one
/// column are transposed so that each column is transformed on its own, with vectors running
/// down the column.
template <class Transform>
void by_columns(std::uint32_t* x, std::size_t rows, std::size_t width, Transform transform) {
  if (width == 1 || width >= cpu::simd_lanes()) {
    transform(x, width);
    return;
  }
  buffer<std::uint32_t> columns(rows * width, uninitialized);
  tbb::parallel_for(std::size_t{0}, rows, [&](std::size_t r) {
    for (std::size_t c = 0; c < width; ++c) columns[c * rows + r] = x[r * width + c];
  });
  for (std::size_t c = 0; c < width; ++c) transform(columns.data() + c * rows, 1);
  tbb::parallel_for(std::size_t{0}, rows, [&](std::size_t r) {
    for (std::size_t c = 0; c < width; ++c) x[r * width + c] = columns[c * rows + r];
  });
}

void dif(std::uint32_t* x, std::size_t rows, std::size_t width, const cpu::twiddle_table& tw) {
  by_columns(x, rows, width, [&](std::uint32_t* y, std::size_t w) { cpu::dif_matrix(y, w, tw); });
}
void dit(std::uint32_t* x, std::size_t rows, std::size_t width, const cpu::twiddle_table& tw,
         unsigned first_level = 0) {
  by_columns(x, rows, width, [&](std::uint32_t* y, std::size_t w) { cpu::dit_matrix(y, w, tw, first_level); });
}

/// factors[q] = first * ratio^bitrev(q) for q < 2^log_n, from two tables of powers (the low
/// and the high half of the exponent's bits): two multiplications per entry.
std::vector<std::uint32_t> bit_reversed_powers(unsigned log_n, babybear first, babybear ratio) {
  const unsigned low_bits = log_n / 2;
  std::vector<babybear> low(std::size_t{1} << low_bits), high(std::size_t{1} << (log_n - low_bits));
  babybear x = first;
  for (auto& v : low) v = x, x *= ratio;
  const babybear step = ratio.pow(std::uint64_t{1} << low_bits);
  x = babybear::one();
  for (auto& v : high) v = x, x *= step;
  std::vector<std::uint32_t> factors(std::size_t{1} << log_n);
  const std::size_t low_mask = low.size() - 1;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, factors.size(), 4096),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t q = range.begin(); q < range.end(); ++q) {
                        const std::size_t e = cpu::reverse_bits(q, log_n);
                        factors[q] = (low[e & low_mask] * high[e >> low_bits]).monty();
                      }
                    });
  return factors;
}

class cpu_backend final : public backend {
 public:
  const char* name() const override { return "cpu"; }

  void ntt(matrix_view<babybear> m, const ntt_config& config) override {
    const unsigned log_n = checked_log2(m.rows);
    if (m.width == 0) return;
    std::uint32_t* x = words(m);
    const auto& tw = *cpu::twiddles(log_n, false);
    // Evaluating on s*H: sum_i a_i (s w^j)^i = sum_i (a_i s^i) w^(ij).
    const bool shifted = config.shift != babybear::one();
    if (config.input == row_order::natural) {
      if (shifted) cpu::scale_rows_by_powers(x, m.rows, m.width, babybear::one().monty(), config.shift.monty());
      dif(x, m.rows, m.width, tw);
      if (config.output == row_order::natural) cpu::bit_reverse_rows(x, log_n, m.width);
    } else {
      if (shifted) {
        const auto factors = bit_reversed_powers(log_n, babybear::one(), config.shift);
        cpu::scale_rows_by_factors(x, m.rows, m.width, factors.data());
      }
      dit(x, m.rows, m.width, tw);
      if (config.output == row_order::bit_reversed) cpu::bit_reverse_rows(x, log_n, m.width);
    }
  }

  void intt(matrix_view<babybear> m, const ntt_config& config) override {
    const unsigned log_n = checked_log2(m.rows);
    if (m.width == 0) return;
    std::uint32_t* x = words(m);
    const auto& tw = *cpu::twiddles(log_n, true);
    // The DFT with w^-1 gives n * a_i * s^i; row i then needs the factor s^-i / n.
    const babybear n_inv = babybear::from_u64(m.rows).inverse(), s_inv = config.shift.inverse();
    if (config.input == row_order::natural) {
      dif(x, m.rows, m.width, tw);  // bit-reversed output
      if (config.output == row_order::natural) {
        cpu::bit_reverse_rows(x, log_n, m.width);
        cpu::scale_rows_by_powers(x, m.rows, m.width, n_inv.monty(), s_inv.monty());
      } else {
        const auto factors = bit_reversed_powers(log_n, n_inv, s_inv);
        cpu::scale_rows_by_factors(x, m.rows, m.width, factors.data());
      }
    } else {
      dit(x, m.rows, m.width, tw);  // natural output
      cpu::scale_rows_by_powers(x, m.rows, m.width, n_inv.monty(), s_inv.monty());
      if (config.output == row_order::bit_reversed) cpu::bit_reverse_rows(x, log_n, m.width);
    }
  }

  void lde(matrix_view<const babybear> in, matrix_view<babybear> out, const lde_config& config) override {
    const unsigned log_n = checked_log2(in.rows);
    CIRO_CHECK(out.rows == in.rows << config.log_blowup && out.width == in.width);
    CIRO_CHECK(log_n + config.log_blowup <= babybear::two_adicity);
    CIRO_CHECK(in.data + in.size() <= out.data || out.data + out.size() <= in.data);
    if (in.width == 0) return;
    const unsigned log_big = log_n + config.log_blowup;
    std::uint32_t* x = words(out);
    // The coefficients, bit-reversed: an inverse DIF of a copy of the input, made in the first n
    // rows of `out` (no workspace: the LDE needs no memory beyond its output), gives
    // n * a_{bitrev(p)} in row p.
    std::memcpy(x, in.data, in.size() * sizeof(std::uint32_t));
    dif(x, in.rows, in.width, *cpu::twiddles(log_n, true));
    // c_i = a_i * s^i (evaluation on s * H') is wanted at row bitrev_N(i) = bitrev_n(i) * 2^k of
    // the zero-padded vector, in bit-reversed order, i.e. at row p * 2^k for p = bitrev_n(i).
    const babybear n_inv = babybear::from_u64(in.rows).inverse();
    const auto factors = bit_reversed_powers(log_n, n_inv, config.shift);
    if (config.output == row_order::natural) {
      // The first k DIT levels turn each group (c, 0, ..., 0) of 2^k rows into (c, c, ..., c):
      // write that directly, then run the remaining DIT levels (natural order out).
      cpu::expand_rows_in_place(x, in.rows, in.width, factors.data(), config.log_blowup);
      dit(x, out.rows, out.width, *cpu::twiddles(log_big, false), config.log_blowup);
    } else {
      // Natural-order coefficients, zero-padded, through a DIF (bit-reversed order out).
      cpu::scale_rows_by_factors(x, in.rows, in.width, factors.data());
      cpu::bit_reverse_rows(x, log_n, in.width);
      std::memset(x + in.size(), 0, (out.size() - in.size()) * sizeof(std::uint32_t));
      dif(x, out.rows, out.width, *cpu::twiddles(log_big, false));
    }
  }
};

}  // namespace

std::unique_ptr<backend> make_cpu_backend() { return std::make_unique<cpu_backend>(); }

}  // namespace ciro::kernels
