#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "air/air.hpp"
#include "field/babybear.hpp"
#include "hash/poseidon2.hpp"

namespace ciro::air {

/// The column layout of poseidon2_air: one Poseidon2-BabyBear-16 permutation per row (the
/// layout of Plonky3's p3-poseidon2-air for BabyBear with one S-box register, without its
/// `export` column). 298 columns:
///
///   columns    what                                              count
///   [0, 16)    input state s                                     16
///   [16, 144)  full rounds 0..3, 32 columns each:                4 x 32
///                +0..15   cube_i = x_i^3, x_i = s_i + rc_i
///                +16..31  post_i = (M_E y)_i, y_i = cube_i^2 x_i = x_i^7
///   [144, 170) partial rounds 0..12, 2 columns each:             13 x 2
///                +0       cube = x^3, x = s_0 + rc
///                +1       post = cube^2 x = x^7 (the new s_0, before M_I)
///   [170, 298) full rounds 4..7, as rounds 0..3                  4 x 32
///
/// The output of the permutation is the post of full round 7, columns [282, 298).
///
/// Why this keeps degree 3: the state entering each round is a linear form in the columns (the
/// input, or the previous full round's post columns, with partial rounds applying only the
/// linear M_I and replacing s_0 by a column). So x is linear, cube - x^3 has degree 3 and
/// post - M_E(cube^2 x) has degree 3; partial rounds need no state columns, only the two S-box
/// columns.
struct poseidon2_columns {
  /// The permutation's state width.
  static constexpr std::size_t state_width = 16;
  /// Full rounds before (and after) the partial rounds.
  static constexpr std::size_t half_full_rounds = hash::poseidon2_constants<16>::half_full_rounds;
  /// Partial rounds.
  static constexpr std::size_t partial_rounds = hash::poseidon2_constants<16>::partial_rounds;
  /// Columns per full round: 16 cubes then 16 post-round state elements.
  static constexpr std::size_t full_round_width = 2 * state_width;

  /// First column of the input state.
  static constexpr std::size_t input = 0;
  /// First column of full round 0.
  static constexpr std::size_t initial_full_rounds = input + state_width;
  /// First column of partial round 0.
  static constexpr std::size_t partial = initial_full_rounds + half_full_rounds * full_round_width;
  /// First column of full round half_full_rounds (the first of the final full rounds).
  static constexpr std::size_t final_full_rounds = partial + 2 * partial_rounds;
  /// The total number of columns (298).
  static constexpr std::size_t count = final_full_rounds + half_full_rounds * full_round_width;

  /// First column of full round r. Precondition: r < 2 half_full_rounds.
  static constexpr std::size_t full_round(std::size_t r) {
    return r < half_full_rounds ? initial_full_rounds + r * full_round_width
                                : final_full_rounds + (r - half_full_rounds) * full_round_width;
  }
  /// x_lane^3 in full round r.
  static constexpr std::size_t full_cube(std::size_t r, std::size_t lane) { return full_round(r) + lane; }
  /// Lane `lane` of the state after full round r (S-boxes and M_E).
  static constexpr std::size_t full_post(std::size_t r, std::size_t lane) { return full_round(r) + state_width + lane; }
  /// x^3 in partial round r. Precondition: r < partial_rounds.
  static constexpr std::size_t partial_cube(std::size_t r) { return partial + 2 * r; }
  /// x^7 (the new lane 0, before M_I) in partial round r.
  static constexpr std::size_t partial_post(std::size_t r) { return partial + 2 * r + 1; }
  /// Lane `lane` of the permutation's output.
  static constexpr std::size_t output(std::size_t lane) { return full_post(2 * half_full_rounds - 1, lane); }
};
static_assert(poseidon2_columns::count == 298);
static_assert(poseidon2_columns::output(0) == 282);

/// A hash chain of Poseidon2-BabyBear-16 permutations (Plonky3's default constants), one per
/// row: with P the permutation and n rows, row r's input is P^r(pub[0..16)) and the last row's
/// output is P^n(pub[0..16)) = pub[16..32). Layout: poseidon2_columns (298 columns).
///
/// Public values (32): [0, 16) the first row's input, [16, 32) the last row's output.
///
/// Constraints, in order (330; degrees with selectors in parentheses):
///   per full round r = 0..3:    16 x  cube_i - x_i^3                     3
///                               16 x  post_i - (M_E y)_i                 3
///   per partial round r = 0..12:      cube - x^3, post - cube^2 x        3, 3
///   per full round r = 4..7:    as rounds 0..3                           3
///   16 first:       input_i - pub[i]                                     1 (2)
///   16 transition:  next.input_i - output_i                              1 (2)
///   16 last:        output_i - pub[16 + i]                               1 (2)
/// Maximum degree 3, so log_quotient_degree = 1.
struct poseidon2_air {
  /// "poseidon2_babybear_16_chain".
  std::string_view name() const { return "poseidon2_babybear_16_chain"; }
  /// poseidon2_columns::count (298).
  std::size_t width() const { return poseidon2_columns::count; }
  /// 32: the chain's input and output states.
  std::size_t num_public_values() const { return 2 * poseidon2_columns::state_width; }

  /// The constraints above. Branch-free and allocation-free: the state is a std::array of
  /// builder values, rebuilt from columns at each full round.
  template <class B>
  void eval(B& b) const {
    using cols = poseidon2_columns;
    using expr = typename B::expr;
    constexpr std::size_t w = cols::state_width;
    const hash::poseidon2_constants<16>& rc = hash::poseidon2_default_constants<16>;

    std::array<expr, w> s;
    for (std::size_t i = 0; i < w; ++i) s[i] = b.local(cols::input + i);
    external_layer(s);
    for (std::size_t r = 0; r < cols::half_full_rounds; ++r) full_round(b, s, rc.external_initial[r], r);
    for (std::size_t r = 0; r < cols::partial_rounds; ++r) {
      const expr x = s[0] + b.constant(rc.internal[r]);
      const expr cube = b.local(cols::partial_cube(r));
      b.assert_zero(cube - x * x * x);
      const expr post = b.local(cols::partial_post(r));
      b.assert_zero(post - cube * cube * x);
      s[0] = post;
      internal_layer(b, s, rc.diagonal);
    }
    for (std::size_t r = 0; r < cols::half_full_rounds; ++r) {
      full_round(b, s, rc.external_final[r], cols::half_full_rounds + r);
    }
    // s now holds the output columns.
    for (std::size_t i = 0; i < w; ++i) b.assert_zero_first(b.local(cols::input + i) - b.public_value(i));
    for (std::size_t i = 0; i < w; ++i) b.assert_zero_transition(b.next(cols::input + i) - s[i]);
    for (std::size_t i = 0; i < w; ++i) b.assert_zero_last(s[i] - b.public_value(w + i));
  }

 private:
  /// x <- M4 x on 4 values (the additions of hash::poseidon2_m4).
  template <class E>
  static void m4(E* x) {
    const E t01 = x[0] + x[1];
    const E t23 = x[2] + x[3];
    const E t0123 = t01 + t23;
    const E t01123 = t0123 + x[1];
    const E t01233 = t0123 + x[3];
    x[3] = t01233 + (x[0] + x[0]);
    x[1] = t01123 + (x[2] + x[2]);
    x[0] = t01123 + t01;
    x[2] = t01233 + t23;
  }
  /// s <- M_E s (hash::poseidon2_external_layer on builder values).
  template <class E>
  static void external_layer(std::array<E, poseidon2_columns::state_width>& s) {
    constexpr std::size_t w = poseidon2_columns::state_width;
    for (std::size_t j = 0; j < w; j += 4) m4(s.data() + j);
    std::array<E, 4> sums = {s[0], s[1], s[2], s[3]};
    for (std::size_t j = 4; j < w; j += 4) {
      for (std::size_t k = 0; k < 4; ++k) sums[k] = sums[k] + s[j + k];
    }
    for (std::size_t i = 0; i < w; ++i) s[i] = s[i] + sums[i % 4];
  }
  /// s <- (1 + diag(V)) s, i.e. s_i <- V_i s_i + sum_j s_j.
  template <class B>
  static void internal_layer(B& b, std::array<typename B::expr, poseidon2_columns::state_width>& s,
                             const field::babybear* diagonal) {
    constexpr std::size_t w = poseidon2_columns::state_width;
    typename B::expr sum = s[0];
    for (std::size_t i = 1; i < w; ++i) sum = sum + s[i];
    for (std::size_t i = 0; i < w; ++i) s[i] = s[i] * b.constant(diagonal[i]) + sum;
  }
  /// Full round r with round constants rc: asserts the cube and post columns, then s <- post.
  template <class B>
  static void full_round(B& b, std::array<typename B::expr, poseidon2_columns::state_width>& s,
                         const field::babybear* rc, std::size_t r) {
    using cols = poseidon2_columns;
    using expr = typename B::expr;
    constexpr std::size_t w = cols::state_width;
    for (std::size_t i = 0; i < w; ++i) {
      const expr x = s[i] + b.constant(rc[i]);
      const expr cube = b.local(cols::full_cube(r, i));
      b.assert_zero(cube - x * x * x);
      s[i] = cube * cube * x;
    }
    external_layer(s);
    for (std::size_t i = 0; i < w; ++i) {
      const expr post = b.local(cols::full_post(r, i));
      b.assert_zero(post - s[i]);
      s[i] = post;
    }
  }
};
static_assert(air<poseidon2_air>);

/// Writes one row of poseidon2_air for the permutation of `input`: the input, and every cube and
/// post column, computed as hash::poseidon2_permute does. Returns the permutation's output (equal
/// to hash::poseidon2_16(input)). Precondition: row.size() == poseidon2_columns::count.
std::array<field::babybear, 16> fill_poseidon2_row(std::span<field::babybear> row,
                                                   const std::array<field::babybear, 16>& input);

/// The trace of a chain of 2^log_rows permutations starting at `input`, and its 32 public values
/// (input, then P^(2^log_rows)(input)). Row r's input is P^r(input): the chain of row inputs is
/// computed sequentially (with the packed permutation, whose latency is the shortest), and the
/// rows' columns are filled in parallel (TBB, blocks of 256 rows), each block as soon as its
/// inputs are known. The result is byte-identical to filling the rows one after the other with
/// fill_poseidon2_row, each from the previous row's output (which is what a single thread does).
/// Cost (AVX-512): about 1.2 us per row on the chain's thread, plus 2 us per row of filling
/// spread over the other cores; the time tends to the chain's with 3 cores or more (a single
/// thread fills the rows directly, 2 us per row). Precondition: log_rows <= 27.
witness generate_poseidon2_trace(unsigned log_rows, const std::array<field::babybear, 16>& input);

/// One trace per chain: element i is generate_poseidon2_trace(log_rows, inputs[i]). The chains
/// are independent, so they advance together (up to poseidon2_lanes() chains per packed
/// permutation, groups of chains in parallel) and all rows of all instances are filled in
/// parallel. Precondition: log_rows <= 27. Memory: inputs.size() traces of 1192 x 2^log_rows
/// bytes, plus 64 x 2^log_rows bytes per chain while they are filled.
std::vector<witness> generate_poseidon2_traces(unsigned log_rows,
                                               std::span<const std::array<field::babybear, 16>> inputs);

}  // namespace ciro::air
