#pragma once

#include <cstddef>

#include "field/babybear.hpp"

/// SIMD linear forms over the rows and the columns of a row-major BabyBear matrix, for the
/// prover's out-of-domain openings (columns combined with barycentric weights) and the DEEP
/// composition (each row combined with the batching coefficients). Extension-field coefficients are passed
/// as D separate base-field vectors: E x base products are coefficient-wise, so
/// sum_c (sum_j a_j x^j) t_c = sum_j (sum_c a_{c,j} t_c) x^j. Results are exact (identical to
/// the scalar sums in any order). Dispatched at run time to the CPU's best SIMD target.
namespace ciro::stark {

/// out[r * D + j] = sum_{c < width} m[r * width + c] * coeffs[j * width + c] for r < rows, j < D.
/// Precondition: D <= 5.
void row_linear_forms(const field::babybear* m, std::size_t rows, std::size_t width, const field::babybear* coeffs,
                      unsigned D, field::babybear* out);

/// The most forms column_linear_forms takes at once (two points of a degree-5 extension).
inline constexpr unsigned max_column_forms = 10;

/// out[j * width + c] += sum_{r < rows} weights[r * forms + j] * m[r * width + c] for c < width,
/// j < forms. Precondition: 1 <= forms <= max_column_forms.
void column_linear_forms(const field::babybear* m, std::size_t rows, std::size_t width, const field::babybear* weights,
                         unsigned forms, field::babybear* out);

}  // namespace ciro::stark
