#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "field/babybear.hpp"
#include "hash/merkle_hasher.hpp"
#include "kernels/constraint_program.hpp"
#include "kernels/matrix.hpp"
#include "kernels/quotient_inputs.hpp"

namespace ciro::kernels {

/// Order of the rows of an evaluation or coefficient vector: natural (row k holds index k) or
/// bit-reversed (row k holds index bitrev_{log n}(k)).
enum class row_order : std::uint8_t { natural, bit_reversed };

/// Options of a forward or inverse NTT, applied to every column of a matrix at once.
struct ntt_config {
  row_order input = row_order::natural;
  row_order output = row_order::natural;
  /// The coset shift s: the forward NTT evaluates on s * H, the inverse interpolates from s * H,
  /// where H = <w> is the subgroup of order n (w = two_adic_generator(log n)).
  field::babybear shift = field::babybear::one();
};

/// Options of a low-degree extension.
struct lde_config {
  /// The extended domain has n * 2^log_blowup rows.
  unsigned log_blowup = 1;
  /// Evaluate on the coset shift * H' (H' of order n * 2^log_blowup). The default is the
  /// field's multiplicative generator (31 for BabyBear), as Plonky3's PCS uses.
  field::babybear shift = field::babybear::generator();
  row_order output = row_order::natural;
};

/// The compute backend the prover is written against: batch-first operations on row-major
/// matrices of BabyBear elements (one column per polynomial). The CPU backend is the reference;
/// every other backend (CUDA) must give byte-equal output on the same inputs.
///
/// Conventions (Plonky3's): for a column of n = 2^k values, the forward NTT computes
///   out[j] = sum_{i < n} in[i] * (s * w^j)^i,  w = two_adic_generator(k),
/// and the inverse NTT is its inverse (coefficients from evaluations on s * H).
/// Preconditions for every call: rows is a power of two with log2(rows) <= 27.
class backend {
 public:
  virtual ~backend() = default;

  /// The backend's name, e.g. "cpu" or "cuda:0".
  [[nodiscard]] virtual const char* name() const = 0;

  /// Forward NTT of every column, in place: coefficients -> evaluations on shift * H.
  virtual void ntt(matrix_view<field::babybear> m, const ntt_config& config = {}) = 0;

  /// Inverse NTT of every column, in place: evaluations on shift * H -> coefficients.
  virtual void intt(matrix_view<field::babybear> m, const ntt_config& config = {}) = 0;

  /// Low-degree extension of every column: `in` holds the evaluations of polynomials of degree
  /// < n on H (natural order, n rows); `out` (n * 2^log_blowup rows, same width) receives their
  /// evaluations on shift * H'. Precondition: out.rows == in.rows << config.log_blowup, out and
  /// in do not overlap.
  virtual void lde(matrix_view<const field::babybear> in, matrix_view<field::babybear> out,
                   const lde_config& config = {}) = 0;

  /// One binary FRI fold of every pair of a layer (the folding step of fri/fri.hpp). The layer
  /// holds 2^log_size values of the extension field E = BabyBear^D (D = layer.width = 4 or 5),
  /// one per row as D base coordinates, in bit-reversed order on the coset shift * H: row p is
  /// F(shift * w^bitrev(p)), w = two_adic_generator(log_size). Rows 2j and 2j+1 are F(x_j) and
  /// F(-x_j), x_j = shift * w^bitrev_{log_size-1}(j), and
  ///     out row j = (u + v) / 2 + beta * (u - v) / (2 x_j),   u = row 2j, v = row 2j+1,
  /// which is F'(x_j^2) for F = F_e(x^2) + x F_o(x^2), F' = F_e + beta F_o: a layer of half the
  /// size on the coset shift^2 * H^2, again bit-reversed. beta holds D coefficients.
  /// Preconditions: layer.rows = 2 out.rows, both widths D in {4, 5}, beta.size() == D. The
  /// default is the CPU implementation (TBB); a backend with its own kernels overrides it.
  virtual void fri_fold(matrix_view<const field::babybear> layer, std::span<const field::babybear> beta,
                        field::babybear shift, matrix_view<field::babybear> out);

  /// The prover's quotient Q(x_k) = C(x_k) / Z_H(x_k) at every point x_k of the quotient domain
  /// `in` describes, with
  ///     C(x) = sum_i alpha^(m-1-i) s_i(x) c_i(x),
  /// c_0 .. c_{m-1} the constraints of `program` in assert order, evaluated on the trace LDE rows
  /// at x and x * w, and s_i the selector of c_i's kind: 1, L_first(x) = Z_H(x) / (x - 1),
  /// L_last(x) = Z_H(x) / (x - w^-1) or T(x) = x - w^-1 (see stark/folders.hpp). Row k of `out`
  /// receives the D base coordinates of Q(x_k) in E = BabyBear^D, D = out.width; `alpha` holds
  /// alpha^(m-1-i) as D coordinates per constraint (all products are E x base, so the backend
  /// needs no extension arithmetic). Preconditions: program.validate() is empty, D in {4, 5},
  /// alpha.size() == m * D, out.rows == in.q_rows, in.trace_lde.rows == in.q_rows * in.stride.
  /// The default is the CPU implementation (a SIMD interpreter of the program, TBB over blocks
  /// of points); a backend with its own kernels overrides it.
  virtual void evaluate_quotient(const constraint_program& program, const quotient_inputs& in,
                                 std::span<const field::babybear> alpha, matrix_view<field::babybear> out);

  /// The Merkle hot loops (leaf hashing, layer compression) of this backend, through which
  /// hash::merkle_tree commits. The default is the CPU implementation (TBB + packed Poseidon2);
  /// a backend with its own hashing kernels overrides it. Thread-safe.
  virtual hash::merkle_hasher& merkle() { return cpu_merkle_; }

 private:
  hash::cpu_merkle_hasher cpu_merkle_;
};

/// The CPU backend: TBB across columns and row blocks, Highway SIMD butterflies (dispatched at
/// run time), twiddles precomputed once per size and shared.
std::unique_ptr<backend> make_cpu_backend();

}  // namespace ciro::kernels
