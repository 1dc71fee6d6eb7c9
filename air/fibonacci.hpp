#pragma once

#include <cstddef>
#include <string_view>

#include "air/air.hpp"
#include "field/babybear.hpp"

namespace ciro::air {

/// The Fibonacci AIR (Plonky3's example): 2 columns (a, b), row i+1 = (b_i, a_i + b_i), so
/// b_i is the (i+1)-th term of the sequence that starts a_0, b_0.
///
/// Public values: [a_0, b_0, b_{n-1}] (the starting pair and the last row's b).
/// Constraints, in order (degrees with the selector in parentheses):
///   0  first:       a - pub[0]            1 (2)
///   1  first:       b - pub[1]            1 (2)
///   2  transition:  a' - b                1 (2)
///   3  transition:  b' - (a + b)          1 (2)
///   4  last:        b - pub[2]            1 (2)
struct fibonacci_air {
  static constexpr std::size_t col_a = 0;
  static constexpr std::size_t col_b = 1;

  /// "fibonacci".
  std::string_view name() const { return "fibonacci"; }
  /// 2 columns: a, b.
  std::size_t width() const { return 2; }
  /// 3 public values: a_0, b_0, b_{n-1}.
  std::size_t num_public_values() const { return 3; }

  /// The five constraints above.
  template <class B>
  void eval(B& b) const {
    const auto a = b.local(col_a);
    const auto bb = b.local(col_b);
    b.assert_zero_first(a - b.public_value(0));
    b.assert_zero_first(bb - b.public_value(1));
    b.assert_zero_transition(b.next(col_a) - bb);
    b.assert_zero_transition(b.next(col_b) - (a + bb));
    b.assert_zero_last(bb - b.public_value(2));
  }
};
static_assert(air<fibonacci_air>);

/// The trace of 2^log_rows rows starting at (a0, b0), and the public values [a0, b0, b_{n-1}].
/// Precondition: log_rows <= 27 (CIRO_CHECK). Cost: O(2^log_rows).
witness generate_fibonacci_trace(unsigned log_rows, field::babybear a0, field::babybear b0);

}  // namespace ciro::air
