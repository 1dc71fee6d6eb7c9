#include "air/poseidon2_air.hpp"

#include "core/check.hpp"

namespace ciro::air {

using field::babybear;
using cols = poseidon2_columns;
using state = std::array<babybear, cols::state_width>;

state fill_poseidon2_row(std::span<babybear> row, const state& input) {
  CIRO_CHECK(row.size() == cols::count);
  const hash::poseidon2_constants<16>& rc = hash::poseidon2_default_constants<16>;
  state s = input;
  for (std::size_t i = 0; i < cols::state_width; ++i) row[cols::input + i] = s[i];

  auto full_round = [&](const babybear* c, std::size_t r) {
    for (std::size_t i = 0; i < cols::state_width; ++i) {
      const babybear x = s[i] + c[i];
      const babybear cube = x * x * x;
      row[cols::full_cube(r, i)] = cube;
      s[i] = cube * cube * x;
    }
    hash::poseidon2_external_layer<16>(s.data());
    for (std::size_t i = 0; i < cols::state_width; ++i) row[cols::full_post(r, i)] = s[i];
  };

  hash::poseidon2_external_layer<16>(s.data());
  for (std::size_t r = 0; r < cols::half_full_rounds; ++r) full_round(rc.external_initial[r], r);
  for (std::size_t r = 0; r < cols::partial_rounds; ++r) {
    const babybear x = s[0] + rc.internal[r];
    const babybear cube = x * x * x;
    row[cols::partial_cube(r)] = cube;
    s[0] = cube * cube * x;
    row[cols::partial_post(r)] = s[0];
    hash::poseidon2_internal_layer<16>(s.data(), rc.diagonal);
  }
  for (std::size_t r = 0; r < cols::half_full_rounds; ++r) {
    full_round(rc.external_final[r], cols::half_full_rounds + r);
  }
  return s;
}

witness generate_poseidon2_trace(unsigned log_rows, const state& input) {
  CIRO_CHECK(log_rows <= 27);
  const std::size_t n = std::size_t{1} << log_rows;
  witness w{kernels::row_major_matrix<babybear>(n, cols::count), {}};

  // One sequential pass: row r's input is P^r(input), the output of row r - 1. Filling a row
  // costs about 1.1 times a bare permutation, so computing the chain first and filling the rows
  // in parallel would only pay off on many cores (and is slower on few): the chain is the cost.
  state s = input;
  for (std::size_t r = 0; r < n; ++r) s = fill_poseidon2_row(w.trace.row(r), s);

  w.public_values.reserve(2 * cols::state_width);
  w.public_values.insert(w.public_values.end(), input.begin(), input.end());
  w.public_values.insert(w.public_values.end(), s.begin(), s.end());
  return w;
}

}  // namespace ciro::air
