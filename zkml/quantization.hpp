#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "zkml/model.hpp"
#include "zkml/reference.hpp"

namespace ciro::zkml {

/// The parameters of Ciro's fixed-point scheme (docs/zkml.md). A real tensor x is carried as
/// integers q with x ~ q * 2^-f, one f ("frac", the number of fractional bits, possibly negative)
/// per tensor.
struct quantization_config {
  /// Every fixed-point activation satisfies |q| <= 2^(activation_bits - 1) - 1: the proof
  /// range-checks it with the 2^16-row range table, and every non-linear function is a table over
  /// exactly this input range. 2..16.
  int activation_bits = 16;
  /// Weights (constant operands of Gemm, MatMul, Conv, Mul, BatchNormalization, ...) get
  /// |w_q| <= 2^(weight_bits - 1) - 1, and fewer where the accumulator bound requires it. 2..16.
  int weight_bits = 16;
  /// Calibration leaves this factor of room: a tensor whose calibrated values reach m gets the
  /// largest frac with headroom * m * 2^frac <= 2^(activation_bits - 1) - 1, so inputs up to
  /// headroom times larger than the calibration inputs still fit. >= 1.
  double headroom = 2.0;
  /// Bounds on any tensor's frac.
  int min_frac = -24;
  int max_frac = 24;
  /// A floating graph input that an op reads where it takes constants (weights, a bias, an operand
  /// quantized straight at the output's frac) is used by its exact values, like a constant. Proofs
  /// turn this off: a proof knows the input only by its quantized integers, so graph inputs are then
  /// activations like any other (and an op that needs constant weights refuses them).
  bool inputs_are_constants = true;
  /// Compute every fixed-point tensor's error bound (about three more float passes per node); off,
  /// the integer inference computes the witness only.
  bool error_bounds = true;

  /// 2^(activation_bits - 1) - 1.
  [[nodiscard]] std::int64_t activation_limit() const { return (std::int64_t{1} << (activation_bits - 1)) - 1; }
  /// 2^(weight_bits - 1) - 1.
  [[nodiscard]] std::int64_t weight_limit() const { return (std::int64_t{1} << (weight_bits - 1)) - 1; }
};

/// The calibration: for every floating tensor of the graph (inputs and every node output), the
/// largest |x| the float reference reached over the calibration inputs.
struct calibration {
  std::map<std::string, double> max_abs;
  /// Fracs given directly (a proof's quantization, which a verifier reproduces): they take the
  /// place of activation_frac(max_abs) for the tensors they name.
  std::map<std::string, int> fracs;
};

/// The frac of every tensor `cal` covers: its given frac, else activation_frac of its max |x|.
[[nodiscard]] std::map<std::string, int> tensor_fracs(const calibration& cal, const quantization_config& config);

/// Runs the float reference on each input set and records max |x| per floating tensor. Fails when
/// the reference refuses an input set, or when `input_sets` is empty.
[[nodiscard]] result<calibration, run_error_code> calibrate(const model& m, const std::vector<tensor_map>& input_sets);

/// The frac a calibrated tensor gets: the largest f in [min_frac, max_frac] with
/// headroom * max_abs * 2^f <= activation_limit() (max_frac when max_abs is 0).
[[nodiscard]] int activation_frac(double max_abs, const quantization_config& config);

}  // namespace ciro::zkml
