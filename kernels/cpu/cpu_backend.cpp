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

/// DIF of every column (natural in, bit-reversed out). Matrices narrower than a SIMD vector but
/// wider than one column are transposed so that each column is transformed on its own, with
/// vectors running down the column.
void dif_columns(std::uint32_t* x, std::size_t rows, std::size_t width, const cpu::twiddle_table& tw) {
  if (width == 1 || width >= cpu::simd_lanes()) {
    cpu::dif_matrix(x, width, tw);
    return;
  }
  std::vector<std::uint32_t> columns(rows * width);
  tbb::parallel_for(std::size_t{0}, rows, [&](std::size_t r) {
    for (std::size_t c = 0; c < width; ++c) columns[c * rows + r] = x[r * width + c];
  });
  for (std::size_t c = 0; c < width; ++c) cpu::dif_matrix(columns.data() + c * rows, 1, tw);
  tbb::parallel_for(std::size_t{0}, rows, [&](std::size_t r) {
    for (std::size_t c = 0; c < width; ++c) x[r * width + c] = columns[c * rows + r];
  });
}

class cpu_backend final : public backend {
 public:
  const char* name() const override { return "cpu"; }

  void ntt(matrix_view<babybear> m, const ntt_config& config) override {
    const unsigned log_n = checked_log2(m.rows);
    if (m.width == 0) return;
    std::uint32_t* x = words(m);
    if (config.input == row_order::bit_reversed) cpu::bit_reverse_rows(x, log_n, m.width);
    // Evaluating on s*H: sum_i a_i (s w^j)^i = sum_i (a_i s^i) w^(ij).
    if (config.shift != babybear::one()) {
      cpu::scale_rows_by_powers(x, m.rows, m.width, babybear::one().monty(), config.shift.monty());
    }
    dif_columns(x, m.rows, m.width, *cpu::twiddles(log_n, false));
    if (config.output == row_order::natural) cpu::bit_reverse_rows(x, log_n, m.width);
  }

  void intt(matrix_view<babybear> m, const ntt_config& config) override {
    const unsigned log_n = checked_log2(m.rows);
    if (m.width == 0) return;
    std::uint32_t* x = words(m);
    if (config.input == row_order::bit_reversed) cpu::bit_reverse_rows(x, log_n, m.width);
    // The DFT with w^-1 gives n * a_i * s^i at bit-reversed position i.
    dif_columns(x, m.rows, m.width, *cpu::twiddles(log_n, true));
    cpu::bit_reverse_rows(x, log_n, m.width);
    const babybear n_inv = babybear::from_u64(m.rows).inverse();
    cpu::scale_rows_by_powers(x, m.rows, m.width, n_inv.monty(), config.shift.inverse().monty());
    if (config.output == row_order::bit_reversed) cpu::bit_reverse_rows(x, log_n, m.width);
  }

  void lde(matrix_view<const babybear> in, matrix_view<babybear> out, const lde_config& config) override {
    const unsigned log_n = checked_log2(in.rows);
    CIRO_CHECK(out.rows == in.rows << config.log_blowup && out.width == in.width);
    CIRO_CHECK(log_n + config.log_blowup <= babybear::two_adicity);
    CIRO_CHECK(in.data + in.size() <= out.data || out.data + out.size() <= in.data);
    if (in.width == 0) return;
    std::uint32_t* x = words(out);
    const std::size_t top = in.size();
    std::memcpy(x, in.data, top * sizeof(std::uint32_t));
    // Coefficients: inverse DFT (without the 1/n) of the first n rows, back to natural order,
    // then a_i * s^i / n, so that the forward DFT below evaluates on s * H'.
    dif_columns(x, in.rows, in.width, *cpu::twiddles(log_n, true));
    cpu::bit_reverse_rows(x, log_n, in.width);
    const babybear n_inv = babybear::from_u64(in.rows).inverse();
    cpu::scale_rows_by_powers(x, in.rows, in.width, n_inv.monty(), config.shift.monty());
    std::memset(x + top, 0, (out.size() - top) * sizeof(std::uint32_t));
    const unsigned log_big = log_n + config.log_blowup;
    dif_columns(x, out.rows, out.width, *cpu::twiddles(log_big, false));
    if (config.output == row_order::natural) cpu::bit_reverse_rows(x, log_big, out.width);
  }
};

}  // namespace

std::unique_ptr<backend> make_cpu_backend() { return std::make_unique<cpu_backend>(); }

}  // namespace ciro::kernels
