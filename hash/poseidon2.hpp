#pragma once

// Poseidon2 over BabyBear (Plonky3's default instances, widths 16 and 24): the scalar reference.
//
// One permutation of a state s in F_p^Width (p = 2^31 - 2^27 + 1) is
//
//   s <- M_E s                                           (external linear layer)
//   4 full rounds:     s_i <- (s_i + c_i)^7 for all i;   s <- M_E s
//   R_P partial rounds: s_0 <- (s_0 + c)^7;              s <- M_I s
//   4 full rounds:     s_i <- (s_i + c_i)^7 for all i;   s <- M_E s
//
// with M_E = circ(2 M4, M4, ..., M4) (M4 = [[2,3,1,1],[1,2,3,1],[1,1,2,3],[3,1,1,2]]) and
// M_I = 1 + diag(V), i.e. s_i <- V_i s_i + sum_j s_j. Every function here is CIRO_HD and
// constexpr, so the CUDA kernels and constant-evaluated tests share this one definition; the
// packed (SIMD) version in poseidon2_packed.hpp is checked against it.

#include <array>
#include <cstddef>

#include "core/hd.hpp"
#include "field/babybear.hpp"
#include "hash/poseidon2_constants.hpp"

namespace ciro::hash {

using field::babybear;

/// The round constants and internal diagonal of Poseidon2 of width `Width` (16 or 24), as field
/// elements (Montgomery form), built from the canonical tables of poseidon2_babybear_params.
/// A plain aggregate: device code can hold a copy in constant memory and pass it to
/// poseidon2_permute.
template <std::size_t Width>
struct poseidon2_constants {
  using params = poseidon2_babybear_params<Width>;
  static constexpr std::size_t width = Width;
  static constexpr std::size_t half_full_rounds = params::half_full_rounds;
  static constexpr std::size_t partial_rounds = params::partial_rounds;

  babybear external_initial[half_full_rounds][Width];
  babybear external_final[half_full_rounds][Width];
  babybear internal[partial_rounds];
  /// V_i = sign * mult * 2^log2 as a field element.
  babybear diagonal[Width];

  /// Converts the canonical tables. Constant-evaluated for poseidon2_default_constants.
  static constexpr poseidon2_constants make() {
    poseidon2_constants c{};
    for (std::size_t r = 0; r < half_full_rounds; ++r) {
      for (std::size_t i = 0; i < Width; ++i) {
        c.external_initial[r][i] = babybear::from_canonical(params::external_initial[r][i]);
        c.external_final[r][i] = babybear::from_canonical(params::external_final[r][i]);
      }
    }
    for (std::size_t r = 0; r < partial_rounds; ++r) c.internal[r] = babybear::from_canonical(params::internal[r]);
    const babybear half = babybear::two().inverse();
    for (std::size_t i = 0; i < Width; ++i) {
      const poseidon2_diag_entry e = params::internal_diagonal[i];
      babybear v = babybear::from_canonical(e.mult);
      v *= e.log2 >= 0 ? babybear::two().pow(static_cast<unsigned>(e.log2)) : half.pow(static_cast<unsigned>(-e.log2));
      c.diagonal[i] = e.sign < 0 ? -v : v;
    }
    return c;
  }
};

/// Plonky3's default constants for width 16 or 24 (host memory; device code needs its own copy).
template <std::size_t Width>
inline constexpr poseidon2_constants<Width> poseidon2_default_constants = poseidon2_constants<Width>::make();

/// The S-box x -> x^7 (x^2, x^3 = x^2 x, x^4 = (x^2)^2, x^7 = x^3 x^4: four multiplications).
CIRO_HD constexpr babybear poseidon2_sbox(babybear x) {
  const babybear x2 = x * x;
  return (x2 * x) * (x2 * x2);
}

/// x <- M4 x with M4 = [[2,3,1,1],[1,2,3,1],[1,1,2,3],[3,1,1,2]], using 8 additions and two
/// doublings (Plonky3's apply_mat4). Precondition: x points to 4 elements.
CIRO_HD constexpr void poseidon2_m4(babybear* x) {
  const babybear t01 = x[0] + x[1];
  const babybear t23 = x[2] + x[3];
  const babybear t0123 = t01 + t23;
  const babybear t01123 = t0123 + x[1];
  const babybear t01233 = t0123 + x[3];
  x[3] = t01233 + x[0].double_();  // 3x0 + x1 + x2 + 2x3
  x[1] = t01123 + x[2].double_();  // x0 + 2x1 + 3x2 + x3
  x[0] = t01123 + t01;             // 2x0 + 3x1 + x2 + x3
  x[2] = t01233 + t23;             // x0 + x1 + 2x2 + 3x3
}

/// s <- M_E s, M_E = circ(2 M4, M4, ..., M4): M4 on each block of 4, then every s_i gains the sum
/// of the elements at its position (i mod 4) over all blocks. Width must be a multiple of 4.
template <std::size_t Width>
CIRO_HD constexpr void poseidon2_external_layer(babybear* s) {
  static_assert(Width % 4 == 0);
  for (std::size_t j = 0; j < Width; j += 4) poseidon2_m4(s + j);
  babybear sums[4] = {s[0], s[1], s[2], s[3]};
  for (std::size_t j = 4; j < Width; j += 4) {
    for (std::size_t k = 0; k < 4; ++k) sums[k] += s[j + k];
  }
  for (std::size_t i = 0; i < Width; ++i) s[i] += sums[i % 4];
}

/// s <- (1 + diag(V)) s, i.e. s_i <- V_i s_i + sum_j s_j, with V = `diagonal` (Width entries).
template <std::size_t Width>
CIRO_HD constexpr void poseidon2_internal_layer(babybear* s, const babybear* diagonal) {
  babybear sum = s[0];
  for (std::size_t i = 1; i < Width; ++i) sum += s[i];
  for (std::size_t i = 0; i < Width; ++i) s[i] = s[i] * diagonal[i] + sum;
}

/// The Poseidon2 permutation of width `Width` (16 or 24) in place, with the constants `c`
/// (pass poseidon2_default_constants<Width> for Plonky3's instance). Precondition: s points to
/// Width elements. Cost: (8 Width + R_P) S-boxes of 4 multiplications each, plus R_P Width
/// multiplications by the diagonal.
template <std::size_t Width>
CIRO_HD constexpr void poseidon2_permute(babybear* s, const poseidon2_constants<Width>& c) {
  constexpr std::size_t half = poseidon2_constants<Width>::half_full_rounds;
  auto full_round = [&](const babybear* rc) {
    for (std::size_t i = 0; i < Width; ++i) s[i] = poseidon2_sbox(s[i] + rc[i]);
    poseidon2_external_layer<Width>(s);
  };
  poseidon2_external_layer<Width>(s);
  for (std::size_t r = 0; r < half; ++r) full_round(c.external_initial[r]);
  for (std::size_t r = 0; r < poseidon2_constants<Width>::partial_rounds; ++r) {
    s[0] = poseidon2_sbox(s[0] + c.internal[r]);
    poseidon2_internal_layer<Width>(s, c.diagonal);
  }
  for (std::size_t r = 0; r < half; ++r) full_round(c.external_final[r]);
}

/// Plonky3's default_babybear_poseidon2_16 / _24 applied in place to `state` (host only: it
/// reads the host table poseidon2_default_constants<Width>).
template <std::size_t Width>
constexpr void poseidon2_permute(std::array<babybear, Width>& state) {
  poseidon2_permute<Width>(state.data(), poseidon2_default_constants<Width>);
}

/// The permutation of width 16 applied to a copy of `state`.
constexpr std::array<babybear, 16> poseidon2_16(std::array<babybear, 16> state) {
  poseidon2_permute(state);
  return state;
}
/// The permutation of width 24 applied to a copy of `state`.
constexpr std::array<babybear, 24> poseidon2_24(std::array<babybear, 24> state) {
  poseidon2_permute(state);
  return state;
}

}  // namespace ciro::hash
