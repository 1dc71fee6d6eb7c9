#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "zkml/integer_inference.hpp"
#include "zkml/model.hpp"
#include "zkml/quantization.hpp"
#include "zkml/tensor.hpp"

/// The lowering of a quantized model to integer steps (docs/zkml.md, "Proving"): the computation
/// the integer inference makes, written as a program over a flat array of values, each value at an
/// address, with three kinds of steps that the tables of zkml/model_tables.hpp check:
///   affine    y = floor((mul (bias + sum_k w_k x_k) + add) / div), |y| <= bound
///             (Gemm, MatMul and Conv with constant weights, BatchNormalization, Add, Sub, Sum,
///             AveragePool, GlobalAveragePool, and every rescaling);
///   dot       y = floor((mul sum_k a_k b_k + add) / div), |y| <= bound, a and b values (Mul of
///             two activations, MatMul and Gemm of two activations, as attention computes them);
///   select    y = max(a, b) or min(a, b), b a value or a constant (Relu, MaxPool, Max, Min);
///   function  y = T[x], T a table over [-limit, limit] (Sigmoid, Tanh, Exp, Erf, Log, Sqrt,
///             HardSigmoid, HardSwish, LeakyRelu, Pow with a constant exponent);
///   divide    y = div_round(a 2^shift, d), a and d values, 1 <= d <= divisor limit (Div of two
///             activations, Softmax's normalization);
///   trees     s_k = base_k + the sum over the trees of an ensemble of the weight_k of the leaf
///             that a walk from the tree's root reaches, reading one feature per branch
///             (TreeEnsembleClassifier's scores for one input row).
/// Data movement (Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Slice, Gather with constant
/// indices, Concat, Identity, Dropout) is wiring: its output's addresses are its input's.
///
/// The program depends on the model and on the fracs of its tensors (the quantization), never on
/// the input values: one program, one circuit, for every input. Evaluated on an input it gives
/// exactly the integer inference's values (lower() checks this on the run it is given).
namespace ciro::zkml {

/// An index into a program's values.
using address = std::uint32_t;

/// y = floor((mul (bias + sum_k w_k x_k) + add) / div) with |y| <= bound; the terms are
/// program::term_address / term_weight [first_term, first_term + num_terms).
struct affine_step {
  std::uint32_t first_term = 0, num_terms = 0;
  std::int64_t bias = 0, mul = 1, add = 0, div = 1, bound = 0;
  address out = 0;
};

/// y = floor((mul sum_k a_k b_k + add) / div) with |y| <= bound, a product of activations; the
/// pairs are program::pair_a / pair_b [first_pair, first_pair + num_pairs).
struct dot_step {
  std::uint32_t first_pair = 0, num_pairs = 0;
  std::int64_t mul = 1, add = 0, div = 1, bound = 0;
  address out = 0;
};

/// y = max(a, b) (is_max) or min(a, b); b = b_const when !b_is_value.
struct select_step {
  address a = 0, b = 0;
  bool b_is_value = true, is_max = true;
  std::int64_t b_const = 0;
  address out = 0;
};

/// y = function's table at x.
struct function_step {
  std::uint32_t function = 0;
  address in = 0, out = 0;
};

/// y = div_round(a 2^shift, d) = floor((2^(shift+1) a + d) / 2d) with 1 <= d <= d_max and
/// |y| <= bound (the lowering keeps 2^(shift+1) bound_a + 3 d_max + 2 d_max bound <= p - 1).
struct divide_step {
  address a = 0, d = 0;
  int shift = 0;
  std::int64_t d_max = 1, bound = 0;
  address out = 0;
};

/// A node of the program's tree ensembles (program::tree_nodes; ids are indexes there). A branch
/// goes to if_true when x_feature <= threshold, else to if_false (the ONNX modes and the thresholds
/// that decide a branch alone are folded in: threshold limit is always true, -limit - 1 never). A
/// leaf reads feature 0 with threshold limit and goes to itself from both sides.
struct tree_node_entry {
  std::uint32_t feature = 0;
  std::int64_t threshold = 0;
  std::uint32_t if_true = 0, if_false = 0;
  bool leaf = false;
  /// The leaf's weights per class at the score frac (program::tree_classes of them, 0 beyond its
  /// ensemble's classes and for a branch).
  std::vector<std::int64_t> weights;
};

/// A tree ensemble's scores for one input row: out_k = base_k + sum over the trees [first_tree,
/// first_tree + num_trees) of program::tree_roots / tree_depths of the weight_k of the leaf that
/// the walk from the tree's root reaches after depth steps (x_f at features[f]), |out_k| <= bound.
struct trees_step {
  std::uint32_t first_tree = 0, num_trees = 0;
  std::vector<address> features;
  std::vector<std::int64_t> base;
  std::vector<address> out;
  std::int64_t bound = 0;
};

/// A table over q in [-limit, limit]: values[q + limit], or nothing where it is not defined (the
/// function is not finite there, or its value leaves [-limit, limit]).
struct function_table {
  std::string op;  ///< the op type, for reports
  int in_frac = 0, out_frac = 0;
  std::vector<std::optional<std::int64_t>> values;
};

/// A graph input or output of the program: its values' addresses in row-major order.
struct program_tensor {
  std::string name;
  shape_t shape;
  int frac = 0;
  std::vector<address> addresses;
  /// An integer tensor (a classifier's labels; frac 0), not a fixed-point one.
  bool integer = false;
};

/// The lowered model.
struct program {
  /// The activation limit: every value satisfies |q| <= limit.
  std::int64_t limit = 0;
  std::uint32_t num_values = 0;
  std::vector<program_tensor> inputs, outputs;
  std::vector<address> term_address;
  std::vector<std::int64_t> term_weight;
  std::vector<address> pair_a, pair_b;
  std::vector<affine_step> affine;
  std::vector<dot_step> dot;
  std::vector<select_step> select;
  std::vector<function_step> function;
  std::vector<function_table> functions;
  std::vector<divide_step> divide;
  /// The tree ensembles' nodes (every ensemble's), the weights per node (the most classes of an
  /// ensemble), and each tree's root and depth (the most branches from its root to a leaf).
  std::vector<tree_node_entry> tree_nodes;
  std::size_t tree_classes = 0;
  std::vector<std::uint32_t> tree_roots, tree_depths;
  std::vector<trees_step> trees;
  /// The steps in evaluation order: (kind, index into its vector).
  enum class step_kind : std::uint8_t { affine, dot, select, function, divide, trees };
  std::vector<std::pair<step_kind, std::uint32_t>> order;
  /// Every fixed-point tensor of the graph that the program computes: its addresses (the
  /// integer inference's tensor of that name holds the values at them).
  std::map<std::string, std::vector<address>> tensors;
  /// The number of multiply-adds of the affine and dot steps (their terms and pairs).
  [[nodiscard]] std::size_t multiply_adds() const { return term_address.size() + pair_a.size(); }
};

/// Lowers `m` with the fracs of `run` (the integer inference's values of every tensor on some
/// input: run_integer's all_values, which fix each tensor's frac and shape), under `config`.
/// Refuses with a one-line reason naming the node: an op the lowering does not take yet
/// (run_error_code::unsupported_operator), an attribute or a case it does not (unsupported_attribute,
/// e.g. a weight operand computed from the input, a product of two activations), a rescaling the
/// tables cannot check (a divisor beyond 2^32).
[[nodiscard]] result<program, run_error_code> lower(const model& m, const int_value_map& run,
                                                     const quantization_config& config = {});

/// The values of every address for the graph inputs' integers (in program::inputs order, each
/// row-major). Refuses, naming the step, a value outside its bound or outside a function's table:
/// an input outside the calibrated range, as the integer inference refuses it.
[[nodiscard]] result<std::vector<std::int64_t>, run_error_code> evaluate(
    const program& p, const std::vector<std::vector<std::int64_t>>& inputs);

/// The op types lower() takes (default domain).
[[nodiscard]] const std::vector<std::string>& lowered_operators();

}  // namespace ciro::zkml
