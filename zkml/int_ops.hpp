#pragma once

// Internal to the integer inference (zkml/integer_inference.cpp and zkml/int_ops_*.cpp): the
// context one node runs in, the helpers every op family shares, and the table of implementations.
//
// Error bounds (docs/zkml.md). A node computes y^ = its integer result from inputs whose reals x^
// are within e (per element) of the float reference's x. For every node
//   |y^ - f(x)| <= |y^ - f(x^)| + |f(x^) - f(x)|,
// the first term computed exactly (the reference op run on x^: the node's own rounding, weight
// quantization and table error), the second bounded by the op's sensitivity to input errors (for
// a linear op, the op with |weights| applied to e; for a selection, the selection of e; for a
// table, f's variation over [x^ - e, x^ + e]). Graph inputs and constants enter f exactly (e = 0),
// so the input's quantization shows in the first node's own term.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "zkml/integer_inference.hpp"
#include "zkml/ops.hpp"
#include "zkml/ops_ml.hpp"

namespace ciro::zkml::int_ops {

using ops::run_failure;

/// One node being run by the integer inference.
struct int_context {
  const node& n;
  std::vector<const int_value*> in;     ///< nullptr where omitted
  std::vector<const tensor*> original;  ///< the exact float tensor of a graph input or initializer, else nullptr
  std::vector<int> out_frac_hint;       ///< the calibrated frac of each output (0 for non-floating ones)
  const quantization_config& config;
  std::vector<bool> from_input;         ///< whether input i is a graph input

  [[noreturn]] void fail(run_error_code code, const std::string& why) const {
    throw run_failure{code, n.label() + ": " + why};
  }
  [[noreturn]] void invalid(const std::string& why) const { fail(run_error_code::invalid_node, why); }
  [[noreturn]] void unsupported(const std::string& why) const { fail(run_error_code::unsupported_attribute, why); }

  [[nodiscard]] const int_value* optional(std::size_t i) const { return i < in.size() ? in[i] : nullptr; }
  [[nodiscard]] const int_value& input(std::size_t i) const;
  /// Input i, which must be fixed point.
  [[nodiscard]] const int_value& fixed_input(std::size_t i) const;
  /// Input i's exact float values when they are known before the run (a constant of the model or,
  /// unless config.inputs_are_constants is off, a graph input), else nullptr: such an input is
  /// quantized as weights where an op has weights.
  [[nodiscard]] const tensor* constant(std::size_t i) const {
    if (i < from_input.size() && from_input[i] && !config.inputs_are_constants) return nullptr;
    return i < original.size() && original[i] && !original[i]->is_integer() ? original[i] : nullptr;
  }
  /// Input i as the float op sees it for the error bound: a graph input or constant exactly, a
  /// computed fixed-point tensor by its reals, an exact tensor as it is.
  [[nodiscard]] tensor real(std::size_t i) const;
  /// Input i's element error bounds as a FLOAT tensor of its shape (zeros where real(i) is exact).
  [[nodiscard]] tensor errors(std::size_t i) const;
  /// The calibrated frac of output i.
  [[nodiscard]] int out_frac(std::size_t i = 0) const { return out_frac_hint.at(i); }
  [[nodiscard]] std::int64_t limit() const { return config.activation_limit(); }
  [[nodiscard]] bool bounds() const { return config.error_bounds; }

  /// The reference implementation of this node (or of `other`, a modified copy) run on the given
  /// inputs; its refusal becomes this node's.
  [[nodiscard]] std::vector<tensor> reference(const std::vector<const tensor*>& inputs,
                                              const node* other = nullptr) const;
  /// The reference's output `output` on real(i) for every input: f(x^).
  [[nodiscard]] tensor reference_on_reals(std::size_t output = 0, const node* other = nullptr) const;
  /// Refuses unless every q satisfies |q| <= limit(): an activation outside the calibrated range.
  void check_range(const int_value& v, std::size_t output = 0) const;
  /// Refuses unless |v| <= field_half: an accumulator that would wrap modulo p.
  void check_accumulator(std::int64_t v) const;
};

using int_op_fn = std::function<std::vector<int_value>(const int_context&)>;
using int_op_table = std::unordered_map<std::string, int_op_fn>;

/// The integers of a fixed-point tensor as a FLOAT tensor (exact below 2^53), so that the
/// reference's shape, selection and summation code can run on them.
tensor as_float(const int_value& v);
/// The FLOAT result of the reference on integer-valued inputs back as integers. Refuses (an
/// internal error) when a value is not an integer.
std::vector<std::int64_t> as_integers(const int_context& c, const tensor& t);

/// A fixed-point tensor without error bounds yet.
int_value fixed_tensor(shape_t shape, std::vector<std::int64_t> q, int frac);

/// The largest magnitude of q.
std::int64_t max_abs(const std::vector<std::int64_t>& q);

/// v at frac `to` (a rounding shift when its frac is larger, exact otherwise); the integers only.
int_value rescale(const int_value& v, int to);

/// Accumulators at frac acc_frac rounded to frac `to` and range-checked as output `output`.
int_value requantize(const int_context& c, const shape_t& shape, const std::vector<std::int64_t>& acc, int acc_frac,
                     int to, std::size_t output = 0);

/// Like requantize, with one accumulator frac per channel: element k is in channel
/// (k / inner) % fracs.size().
int_value requantize_channels(const int_context& c, const shape_t& shape, const std::vector<std::int64_t>& acc,
                              const std::vector<int>& fracs, std::int64_t inner, int to, std::size_t output = 0);

/// Sets y's error bounds: |y^_i - f_i| + sensitivity_i, f = f(x^) the float op on the inputs' reals
/// and `sensitivity` (same size, or empty for 0) the bound of |f(x^) - f(x)|. A no-op without
/// error bounds.
void set_error(const int_context& c, int_value& y, const tensor& f, const tensor& sensitivity);

/// |t| element-wise.
tensor abs_of(const tensor& t);

/// Weights quantized for an accumulation: one frac per channel, each the largest with
/// |w_q| <= config.weight_limit() and sum_k |w_q| * activation_limit + |bias_q| <= field_half for
/// the channel's weights (bias_q at frac input_frac + weight frac), so that no accumulator can wrap
/// whatever the range-checked input. `channel_of(i)` maps a weight index to its channel.
struct quantized_weights {
  std::vector<std::int64_t> q;
  std::vector<int> frac;  ///< per channel
};
quantized_weights quantize_weights(const int_context& c, const std::vector<double>& w, std::size_t channels,
                                   const std::function<std::size_t(std::size_t)>& channel_of,
                                   const std::vector<double>& bias, int input_frac);

/// A floating initializer as an ordinary operand: quantized at activation precision with no
/// headroom (an exact integer tensor as it is). Refuses a constant too large for the range.
result<int_value, run_error_code> quantize_constant(const std::string& name, const tensor& t,
                                                   const quantization_config& config);

/// A constant operand quantized as the multiplier of one product (K = 1, one frac): the frac is
/// that of the largest |k| alone (as one weight), and every k is quantized at it; `at_least` raises
/// the magnitude the frac must hold (PRelu's implicit 1).
quantized_weights multiplier(const int_context& c, const tensor& k, int other_frac, double at_least = 0);

/// The largest s >= 0 with 2^(s+1) n limit + 5 n <= (p - 1) / 2 (0 when none): a rounded mean of n
/// values of magnitude <= limit scaled up by 2^s, floor((2^(s+1) sum + n) / 2n), then keeps its
/// numerator and its checked remainder (below 2n) inside the field, which its proof needs.
int mean_shift_limit(std::int64_t n, std::int64_t limit);

/// The largest divisor a proven division of activations takes: round_shift(limit, 1), the bound of
/// a divisor rescaled down by one bit (the integer inference rescales every divisor so).
std::int64_t divisor_limit(std::int64_t limit);

/// The largest s >= 0 with 2^(s+1) limit + 3 d + 2 d limit <= p - 1, d = divisor_limit(limit): a
/// rounded division y = div_round(a 2^s, d) of activations (|a|, |y| <= limit, 1 <= d) is then
/// checked exactly by 2^(s+1) a + d = 2 d y + r, 0 <= r < 2d, modulo p (zkml-divide).
int division_shift_limit(std::int64_t limit);

/// The rows Softmax works on: element (o, j, k) at (o count + j) inner + k, the row over j.
struct softmax_rows {
  std::int64_t outer = 1, count = 1, inner = 1;
  [[nodiscard]] std::int64_t at(std::int64_t o, std::int64_t j, std::int64_t k) const {
    return (o * count + j) * inner + k;
  }
};
/// Softmax's axis: before opset 13 the input is coerced to 2-D at `axis` (default 1), from 13 it is
/// one axis (default -1).
softmax_rows softmax_rows_of(const node& n, const shape_t& shape);

/// How Softmax over a row of `count` values computes, in steps its proof checks one by one:
///   m = max_j q_j;  h_j = round_shift(q_j - m, 1) in [-limit, 0] (frac f_in - 1);
///   e_j = round(exp(h_j 2^(1 - f_in)) 2^exp_frac) in [0, 2^exp_frac]  (a table);
///   s = round_shift(sum_j e_j, sum_shift) in [1, divisor_limit];
///   y_j = div_round(round_shift(e_j, e_down) 2^shift, s) 2^up  at frac f_out.
struct softmax_plan {
  int exp_frac = 0, sum_shift = 0, e_down = 0, shift = 0, up = 0;
};
/// The plan for rows of `count` values and output frac `out_frac`; nothing when the row is too
/// long (sum_shift would exceed exp_frac).
std::optional<softmax_plan> plan_softmax(std::int64_t count, int out_frac, const quantization_config& config);

/// Softmax of one row of integers at frac in_frac, by the steps of `plan`; rows have at least one
/// element.
std::vector<std::int64_t> softmax_row(const int_context& c, const std::vector<std::int64_t>& row, int in_frac,
                                      const softmax_plan& plan);

/// LogSoftmax of one row by Softmax's steps up to the rescaled sum s (s >= 1: the maximum's own
/// term is 2^exp_frac), then
///   L = round(log(s 2^-(exp_frac - sum_shift)) 2^f_out)   (a table over the activations);
///   y_j = round_shift(q_j - m, f_in - f_out) - L  (or (q_j - m) 2^(f_out - f_in) - L when f_out > f_in).
/// Refuses a row whose L is outside the activation range.
std::vector<std::int64_t> log_softmax_row(const int_context& c, const std::vector<std::int64_t>& row, int in_frac,
                                          int out_frac, const softmax_plan& plan);

/// The classical-ML ops (ai.onnx.ml) on the reals of their fixed-point input, quantized once at
/// the output (zkml/int_ops_exact.cpp): the cases the integer classifiers do not take.
std::vector<int_value> op_on_reals(const int_context& c);

/// The shift that keeps a sum of n activations inside the field: the smallest s with
/// n * bound(s) <= (p - 1) / 2, bound(s) the largest |q| after a rounding shift by s.
int sum_shift(const int_context& c, std::int64_t n);

/// The shifts (s_a, s_b) to apply to two activations before a product summed over k terms, the
/// smallest total with k * bound(s_a) * bound(s_b) <= field_half, where bound(s) is the largest
/// |q| after a rounding shift by s; the operand with more fractional bits is shifted first.
std::pair<int, int> product_shifts(const int_context& c, std::int64_t k, int frac_a, int frac_b);

/// The real function f of an element-wise op that the integer inference runs as a table
/// (T[q] = round(f(q 2^-f_in) 2^f_out)): Sigmoid, Tanh, Exp, Erf, Log, Sqrt, HardSigmoid, HardSwish,
/// LeakyRelu, Pow with a constant exponent; nothing for other ops. Refuses (as the op would) an
/// attribute or exponent the integer inference does not take.
std::optional<std::function<double(double)>> table_function(const int_context& c);

/// A classifier the integer inference runs on integers and its proof checks step by step:
/// LinearClassifier with C >= 2 classes, or TreeEnsembleClassifier with C >= 3 classes and a base
/// value per class; post_transform NONE, SOFTMAX or LOGISTIC; an input X of [N, F] or [F].
///   scores   linear: s_k = round((sum_f w_kf x_f + b_k) 2^(score_frac - acc_frac_k)), the weights
///            quantized per class (quantize_weights); trees: s_k = base_k + the weights of the
///            leaves reached, each quantized at score_frac, the branch x_f <= t taken when
///            q_f <= threshold (comparison::compare), or always / never;
///   label    labels[the first k of largest s_k];
///   scores'  NONE: s rescaled to the output's frac; SOFTMAX: softmax_row; LOGISTIC: a table.
/// A binary classifier (`binary`, classes = 1 in the plan) has one score S: a LinearClassifier with
/// one coefficient row and 2 labels, or a two-class TreeEnsembleClassifier in ONNX Runtime's binary
/// form (every leaf weighs class 0 and no leaf class 1, at most one base value; post_transform NONE
/// or LOGISTIC, as XGBoost, LightGBM and scikit-learn export binary boosted trees), S = base_0 + the
/// class-0 weights of the leaves reached:
///   label    labels[1] when S > positive_above (trees whose weights are all >= 0: 0.5 at
///            score_frac; else 0), else labels[0];
///   scores'  class 1: y = T(S) under LOGISTIC (the logistic table), else S rescaled to the output's
///            frac f; class 0 (`zero`): 2^f - y (complement), -y (negation) or T(-S) (negated_score),
///            as ONNX Runtime writes them.
/// score_frac is the largest frac at which every score is within the activation limit for every
/// input within it.
struct classifier_plan {
  enum class comparison : std::uint8_t { compare, always, never };
  bool trees = false;
  std::vector<std::int64_t> labels;
  ops::ml::transform transform = ops::ml::transform::none;
  std::int64_t rows = 1, features = 0, classes = 0;
  int input_frac = 0, score_frac = 0;
  // linear
  quantized_weights weights;
  std::vector<std::int64_t> bias;  ///< per class, at input_frac + weights.frac[k]
  // trees
  ops::ml::ensemble ensemble;
  std::vector<comparison> kind;              ///< per node of the ensemble (branches)
  std::vector<std::int64_t> threshold;       ///< per node: the branch's test is q <= threshold
  std::vector<bool> swapped;                 ///< per node: the true child is taken when the test fails
  std::vector<std::vector<std::int64_t>> leaf_weights;  ///< per node: its weights' q at score_frac
  std::vector<std::int64_t> base;            ///< per class, at score_frac
  // binary classifiers
  enum class class_zero : std::uint8_t { complement, negation, negated_score };
  bool binary = false;
  std::int64_t positive_above = 0;
  class_zero zero = class_zero::complement;
  /// Whether node i's true child is taken for the input integer q.
  [[nodiscard]] bool goes_true(std::size_t i, std::int64_t q) const {
    const bool test = kind[i] == comparison::always || (kind[i] == comparison::compare && q <= threshold[i]);
    return test != swapped[i];
  }
};
/// The plan of a classifier node, or nothing for a case the integer inference runs on the reals
/// (op_on_reals; the lowering refuses those).
std::optional<classifier_plan> plan_classifier(const int_context& c);

/// A TreeEnsembleRegressor the integer inference takes: aggregate SUM or AVERAGE of n trees,
/// post_transform NONE, every leaf weighing every target. `trees` plans the ensemble over the
/// targets as over a classifier's classes: per target the sum S_t = base'_t + the weights of the
/// leaves reached, at score_frac, with base'_t the base value times n for AVERAGE (times 1 for
/// SUM); then y_t = floor((mul S_t + add) / div) at the output's frac f_y, the rounded
/// S_t 2^(f_y - score_frac) / n (n = 1 for SUM).
struct tree_regressor_plan {
  classifier_plan trees;
  std::int64_t mul = 1, add = 0, div = 1;
};
/// ONNX-ML's Scaler and LinearRegressor (post_transform NONE) on the integers of X ([N, F] or [F]):
/// per output o = (row i, channel k) of [N, K] the affine map
///     y_o = round((bias_k + sum_j q_kj x_(i, term j)) 2^(f_y - f_x - frac_k)),
/// the weights quantized per channel (quantize_weights). Scaler: y = (x - offset) scale, K = F, one
/// term per output (x_ik, weight scale_k or the single scale, bias -offset_k scale_k); LinearRegressor:
/// K targets, F terms (x_if, weight w_kf, bias the intercept).
struct ml_linear_plan {
  std::int64_t rows = 1, features = 0, outputs = 0;  ///< N, F, K
  bool elementwise = false;                          ///< Scaler: output (i, k) reads x_ik only
  std::vector<double> weights;                       ///< the real weights, [K][F] (or K, or 1)
  quantized_weights q;                               ///< their integers, per channel
  std::vector<std::int64_t> bias;                    ///< per channel, at f_x + frac_k
  /// The channel of output column k (a single scale: channel 0).
  [[nodiscard]] std::size_t channel(std::size_t k) const { return q.frac.size() == 1 ? 0 : k; }
};
/// The plan of a Scaler or LinearRegressor node, or nothing for a case run on the reals (another
/// post_transform, a non-FLOAT fixed-point input).
std::optional<ml_linear_plan> plan_ml_linear(const int_context& c);

/// The plan of a TreeEnsembleRegressor node, or nothing for a case run on the reals (MIN, MAX,
/// another post_transform, a leaf without a weight for some target).
std::optional<tree_regressor_plan> plan_tree_regressor(const int_context& c);

/// Each op family adds its operators.
void add_linear_ops(int_op_table& t);     // zkml/int_ops_linear.cpp
void add_nonlinear_ops(int_op_table& t);  // zkml/int_ops_nonlinear.cpp
void add_exact_ops(int_op_table& t);      // zkml/int_ops_exact.cpp
void add_classifier_ops(int_op_table& t); // zkml/int_ops_classifiers.cpp

}  // namespace ciro::zkml::int_ops
