#include "air/fibonacci.hpp"

#include "core/check.hpp"

namespace ciro::air {

witness generate_fibonacci_trace(unsigned log_rows, field::babybear a0, field::babybear b0) {
  CIRO_CHECK(log_rows <= 27);
  const std::size_t n = std::size_t{1} << log_rows;
  witness w{kernels::row_major_matrix<field::babybear>(n, 2), {}};
  field::babybear a = a0, b = b0;
  for (std::size_t i = 0; i < n; ++i) {
    w.trace.at(i, fibonacci_air::col_a) = a;
    w.trace.at(i, fibonacci_air::col_b) = b;
    const field::babybear next_b = a + b;
    a = b;
    b = next_b;
  }
  w.public_values = {a0, b0, w.trace.at(n - 1, fibonacci_air::col_b)};
  return w;
}

}  // namespace ciro::air
