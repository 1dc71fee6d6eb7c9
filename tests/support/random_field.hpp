#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "field/babybear.hpp"
#include "kernels/matrix.hpp"
#include "tests/support/seed.hpp"

namespace ciro::test {

/// A random BabyBear element: uniform, with zero and p - 1 (the largest Montgomery products)
/// over-represented, one draw in seven each.
inline field::babybear random_element(seeded_rng& rng) {
  const std::uint64_t r = rng.next();
  return r % 7 == 0   ? field::babybear::zero()
         : r % 7 == 1 ? -field::babybear::one()
                      : field::babybear::from_u64(r >> 3);
}

/// A random element of the extension E, coefficient by coefficient as random_element.
template <class E>
E random_ext(seeded_rng& rng) {
  std::array<field::babybear, E::degree> cs;
  for (auto& c : cs) c = random_element(rng);
  return E::from_coeffs(cs);
}

/// A rows x width matrix of random_element values.
inline kernels::row_major_matrix<field::babybear> random_matrix(seeded_rng& rng, std::size_t rows, std::size_t width) {
  kernels::row_major_matrix<field::babybear> m(rows, width);
  for (auto& v : m.values()) v = random_element(rng);
  return m;
}

}  // namespace ciro::test
