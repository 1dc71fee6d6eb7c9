#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "zkml/model.hpp"
#include "zkml/quantization.hpp"
#include "zkml/reference.hpp"
#include "zkml/tensor.hpp"

namespace ciro::zkml {

/// A tensor of the integer inference. Either exact (`frac` empty: an ONNX integer tensor, the
/// same values the float reference computes, e.g. indices, shapes, the uint8 tensors of a
/// quantized graph) or fixed point (`frac` = f: `t` holds INT64 integers q standing for the reals
/// q * 2^-f). For a fixed-point tensor `error` holds, per element, the bound the scheme of
/// docs/zkml.md promises for |q_i 2^-f - x_i|, x the float reference's tensor (empty when the
/// bounds were not computed: quantization_config::error_bounds).
struct int_value {
  tensor t;
  std::optional<int> frac;
  std::vector<double> error;
  /// An integer tensor computed from fixed-point reals (a Cast to an integer type, QuantizeLinear or
  /// ArgMax of a computed tensor): its integers may differ from the reference's, so every bound that
  /// depends on it is infinite.
  bool inexact = false;

  [[nodiscard]] bool is_fixed() const { return frac.has_value(); }
  /// The largest of the element bounds (0 for an exact tensor or without bounds).
  [[nodiscard]] double max_error() const;
  /// The reals a fixed-point tensor stands for, as a FLOAT tensor (an exact tensor as it is).
  [[nodiscard]] tensor dequantized() const;
};

/// The values of the integer inference by tensor name.
using int_value_map = std::map<std::string, int_value>;

/// The integer inference: the computation a proof of the model attests (docs/zkml.md). Floating
/// graph inputs are quantized at the frac their calibrated range gives (activation_frac); every
/// node then runs on integers only: exact integer accumulation (never wrapping modulo BabyBear's
/// p: weights are quantized so that the accumulator bound holds for every range-checked input,
/// and operands of activation-by-activation products are shifted down first), rescaling by
/// rounding shifts and divisions, non-linear functions as tables over the 2^activation_bits
/// possible inputs. Deterministic; every value it relies on is checked: an activation outside
/// the calibrated range, a division by zero or an input outside a function's domain is a
/// refusal naming the node, never a silent wrap.
/// Returns the graph outputs by name; with `all_values`, every tensor it computed too.
/// Preconditions (checked): the inputs are the model's (see check_model_inputs), and the
/// calibration covers every floating tensor (calibrate() on the same model).
[[nodiscard]] result<int_value_map, run_error_code> run_integer(const model& m, const tensor_map& inputs,
                                                                const calibration& cal,
                                                                const quantization_config& config = {},
                                                                int_value_map* all_values = nullptr);

/// The operators run_integer implements (a subset of reference_operators()).
[[nodiscard]] const std::vector<std::string>& integer_operators();

/// True when run_integer implements `op_type` of `domain`.
[[nodiscard]] bool integer_supports(std::string_view domain, std::string_view op_type);

}  // namespace ciro::zkml
