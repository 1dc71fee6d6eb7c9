#pragma once

#include <map>
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
/// LeakyRelu, LogSoftmax, MatMul, MatMulInteger, Max, MaxPool, Min, Mul, Neg, Pad, Pow, PRelu,
/// QLinearConv, QLinearMatMul, QuantizeLinear, ReduceMean, ReduceSum, Relu, Reshape, Shape,
/// Sigmoid, Slice, Softmax, Sqrt, Squeeze, Sub, Sum, Tanh, Transpose, Unsqueeze.
/// (Constant nodes are folded at load.)
/// Implementations: zkml/reference.cpp (linear algebra, convolution, pooling, BatchNormalization,
/// Add/Sub/Mul/Div, Relu/Sigmoid/Tanh/Clip, Reshape/Flatten/Transpose/Identity),
/// zkml/ops_elementwise.cpp, zkml/ops_reduce.cpp, zkml/ops_shape.cpp, zkml/ops_quantized.cpp (the
/// quantized ops compute in float32 and int32 exactly as ONNX Runtime does; see that file).
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
[[nodiscard]] result<tensor_map, run_error_code> run_reference(const model& m, const tensor_map& inputs);

}  // namespace ciro::zkml
