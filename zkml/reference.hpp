#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "zkml/model.hpp"
#include "zkml/tensor.hpp"

namespace ciro::zkml {

/// Why run_reference refused. Every message is one line; those about a node start with
/// "node '<name>' (<op_type>, opset <n>): ".
enum class run_error_code {
  missing_input,          ///< a model input was not given
  bad_input,              ///< an input of the wrong type or shape, NaN or infinite, or not a model input
  unsupported_operator,   ///< an op (or domain) the reference does not implement
  unsupported_attribute,  ///< an attribute value (or optional output) the reference does not implement
  unsupported_type,       ///< an element type the op does not take
  invalid_node,           ///< the node breaks the op's specification (shapes, attributes, missing inputs)
};

/// Tensors by name.
using tensor_map = std::map<std::string, tensor>;

/// The operators run_reference implements (default domain, opsets 9 to 17): Add, ArgMax,
/// AveragePool, BatchNormalization, Cast, Clip, Concat, Conv, ConvInteger, DequantizeLinear, Div,
/// Dropout, Erf, Exp, Flatten, Gather, Gemm, GlobalAveragePool, HardSigmoid, HardSwish, Identity,
/// LeakyRelu, Log, LogSoftmax, MatMul, MatMulInteger, Max, MaxPool, Min, Mul, Neg, Pad, Pow, PRelu,
/// QLinearConv, QLinearMatMul, QuantizeLinear, ReduceMax, ReduceMean, ReduceSum, Relu, Reshape, Shape,
/// Sigmoid, Slice, Softmax, Sqrt, Squeeze, Sub, Sum, Tanh, Transpose, Unsqueeze; and of the
/// ai.onnx.ml domain (opsets 1 to 3), listed as "ai.onnx.ml.<op>": LinearClassifier,
/// LinearRegressor, Normalizer, Scaler, TreeEnsembleClassifier, TreeEnsembleRegressor (INT64 class
/// labels only; the labels and the scores come out as tensors, without ZipMap).
/// (Constant nodes are folded at load.)
/// Implementations: zkml/reference.cpp (linear algebra, convolution, pooling, BatchNormalization,
/// Add/Sub/Mul/Div, Relu/Sigmoid/Tanh/Clip, Reshape/Flatten/Transpose/Identity),
/// zkml/ops_elementwise.cpp, zkml/ops_reduce.cpp, zkml/ops_shape.cpp, zkml/ops_quantized.cpp (the
/// quantized ops compute in float32 and int32 exactly as ONNX Runtime does; see that file),
/// zkml/ops_ml.cpp (the ai.onnx.ml ops, with ONNX Runtime's binary-classification rules).
[[nodiscard]] const std::vector<std::string>& reference_operators();

/// True when run_reference implements `op_type` of `domain` ("" is the default domain).
[[nodiscard]] bool reference_supports(std::string_view domain, std::string_view op_type);

/// The float64 reference inference: runs the model's nodes in order with ONNX's semantics
/// (attributes and their defaults, numpy broadcasting, the opset's version of each op) and returns
/// the graph outputs by name. Floating tensors are computed in float64 whatever their declared type
/// (FLOAT results are not rounded to float32); integer tensors exactly in int64, wrapped to their
/// type as ONNX Runtime's C++ arithmetic wraps, and integer Div truncates toward zero.
/// Preconditions on `inputs` (checked, refused with bad_input / missing_input): exactly the model's
/// inputs, each of the declared element type and shape, with finite values.
/// With `all_tensors`, every tensor the nodes computed (not the inputs or initializers) is stored
/// there too, by name (the quantization's calibration reads the intermediate ranges from it).
[[nodiscard]] result<tensor_map, run_error_code> run_reference(const model& m, const tensor_map& inputs,
                                                               tensor_map* all_tensors = nullptr);

/// The checks run_reference makes of its inputs (exactly the model's inputs, of the declared type
/// and shape, finite): nullopt when they hold, else the refusal.
[[nodiscard]] std::optional<error<run_error_code>> check_model_inputs(const model& m, const tensor_map& inputs);

/// One node run by the reference (inputs in the node's order, nullptr where omitted): its outputs,
/// at least as many as the node names, or the refusal naming the node. The integer inference runs
/// the shape ops and the exact integer parts of the linear ops through this.
[[nodiscard]] result<std::vector<tensor>, run_error_code> run_reference_node(const node& n,
                                                                             const std::vector<const tensor*>& inputs);

}  // namespace ciro::zkml
