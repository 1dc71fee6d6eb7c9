#include "air/range_check.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/parallel_for.h>

#include <bit>
#include <string>
#include <utility>
#include <vector>

#include "core/check.hpp"

namespace ciro::air {

using field::babybear;

range_table_air::range_table_air(std::size_t lanes)
    : lanes_(lanes),
      log_rows_(table_log_rows - static_cast<unsigned>(std::countr_zero(lanes))),
      name_(lanes == 1 ? "range16-table" : "range16-table-x" + std::to_string(lanes)) {
  CIRO_CHECK(std::has_single_bit(lanes) && lanes <= max_lanes);
}

kernels::row_major_matrix<babybear> range_table_air::fixed_trace(unsigned log_rows) const {
  CIRO_CHECK(log_rows == log_rows_);
  const std::size_t rows = std::size_t{1} << log_rows_;
  kernels::row_major_matrix<babybear> t(rows, lanes_, uninitialized);
  for (std::uint32_t v = 0; v < table_rows; ++v) t.at(v % rows, v / rows) = babybear::from_canonical(v);
  return t;
}

range_check_air::range_check_air(std::size_t values_per_row) : values_per_row_(values_per_row) {
  CIRO_CHECK(values_per_row >= 1);
}

witness range_table_witness(std::span<const std::uint32_t> values, std::size_t lanes) {
  CIRO_CHECK(values.size() < babybear::modulus);
  const std::size_t rows = std::size_t{1} << range_table_air(lanes).log_rows();
  constexpr std::uint32_t size = range_table_air::table_rows;
  using histogram = std::vector<std::uint32_t>;
  // One histogram per thread that takes part (256 KiB each), filled over blocks of values.
  tbb::enumerable_thread_specific<histogram> local([] { return histogram(size, 0); });
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, values.size(), std::size_t{1} << 14),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      histogram& h = local.local();
                      for (std::size_t i = range.begin(); i != range.end(); ++i) {
                        const std::uint32_t v = values[i];
                        CIRO_CHECK(v < size);
                        ++h[v];
                      }
                    });
  // The sum of the histograms, in parallel over blocks of the table's rows. The counts add up
  // to values.size() < p, so they are exact as field elements.
  witness w{kernels::row_major_matrix<babybear>(rows, lanes, uninitialized), {}};
  tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, size, 4096),
                    [&](const tbb::blocked_range<std::uint32_t>& range) {
                      for (std::uint32_t v = range.begin(); v != range.end(); ++v) {
                        std::uint32_t count = 0;
                        for (const histogram& h : local) count += h[v];
                        w.trace.at(v % rows, v / rows) = babybear::from_canonical(count);
                      }
                    });
  return w;
}

std::vector<std::uint32_t> random_u16_values(std::size_t count, std::uint64_t seed) {
  std::vector<std::uint32_t> values(count);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, count, std::size_t{1} << 14),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t i = range.begin(); i != range.end(); ++i) {
                        // SplitMix64: state_i = seed + (i + 1) gamma, then the output mix.
                        std::uint64_t z = seed + (i + 1) * 0x9e37'79b9'7f4a'7c15ULL;
                        z = (z ^ (z >> 30)) * 0xbf58'476d'1ce4'e5b9ULL;
                        z = (z ^ (z >> 27)) * 0x94d0'49bb'1331'11ebULL;
                        z ^= z >> 31;
                        values[i] = static_cast<std::uint32_t>(z >> 48);
                      }
                    });
  return values;
}

range_check_witness generate_range_check(unsigned log_values, std::uint64_t seed, unsigned values_per_row) {
  CIRO_CHECK(log_values <= 27);
  CIRO_CHECK(values_per_row >= 1);
  const std::size_t count = std::size_t{1} << log_values;
  const std::size_t rows = std::bit_ceil((count + values_per_row - 1) / values_per_row);
  std::vector<std::uint32_t> cells = random_u16_values(count, seed);
  cells.resize(rows * values_per_row, 0);  // the padding zeros

  witness values{kernels::row_major_matrix<babybear>(rows, values_per_row, uninitialized), {}};
  std::span<babybear> out = values.trace.values();
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, cells.size(), std::size_t{1} << 16),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t i = range.begin(); i != range.end(); ++i)
                        out[i] = babybear::from_canonical(cells[i]);
                    });
  return {std::move(values), range_table_witness(cells)};
}

}  // namespace ciro::air
