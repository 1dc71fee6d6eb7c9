#include "air/permutation.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_sort.h>

#include <utility>
#include <vector>

#include "core/check.hpp"

namespace ciro::air {

using field::babybear;

kernels::row_major_matrix<babybear> permutation_right_air::fixed_trace(unsigned log_rows) const {
  CIRO_CHECK(log_rows <= 27);
  const std::size_t n = std::size_t{1} << log_rows;
  kernels::row_major_matrix<babybear> t(n, 1, uninitialized);
  for (std::size_t r = 0; r + 1 < n; ++r) t.at(r, fixed_not_last) = babybear::one();
  t.at(n - 1, fixed_not_last) = babybear::zero();
  return t;
}

namespace {

/// A 2^k x 1 trace holding `values` (as canonical field elements), filled in parallel.
witness column_witness(const std::vector<std::uint32_t>& values) {
  witness w{kernels::row_major_matrix<babybear>(values.size(), 1, uninitialized), {}};
  std::span<babybear> out = w.trace.values();
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, values.size(), std::size_t{1} << 16),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t i = range.begin(); i != range.end(); ++i)
                        out[i] = babybear::from_canonical(values[i]);
                    });
  return w;
}

}  // namespace

permutation_witness generate_permutation(unsigned log_rows, std::uint64_t seed) {
  CIRO_CHECK(log_rows <= 27);
  const std::size_t n = std::size_t{1} << log_rows;
  const std::vector<std::uint32_t> left = random_u16_values(n, seed);
  std::vector<std::uint32_t> right = left;
  tbb::parallel_sort(right.begin(), right.end());
  std::vector<std::uint32_t> steps(n - 1);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n - 1, std::size_t{1} << 16),
                    [&](const tbb::blocked_range<std::size_t>& range) {
                      for (std::size_t i = range.begin(); i != range.end(); ++i) steps[i] = right[i + 1] - right[i];
                    });
  return {column_witness(left), column_witness(right), range_table_witness(steps)};
}

}  // namespace ciro::air
