#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "zkml/tensor.hpp"

namespace ciro::zkml {

/// Why a model (or a tensor file) was refused. The error's message is one line naming what was
/// refused: the node, its op and opset where a node is at fault.
enum class load_error_code {
  io_error,           ///< the file could not be read
  malformed,          ///< not a protobuf ModelProto / TensorProto, truncated, or missing a required part
  unsupported_opset,  ///< default-domain opset outside [min_opset, max_opset], or a domain not imported
  unsupported_type,   ///< an element type or attribute type Ciro does not read
  external_data,      ///< a tensor stored outside the file (data_location = EXTERNAL)
  cycle,              ///< the graph is not acyclic
  undefined_tensor,   ///< a node or graph output reads a tensor nothing defines
  dynamic_shape,      ///< an input has a dimension that is not a fixed number and no shape was given
  invalid_shape,      ///< a given input shape contradicts the model's, or a tensor's data has the wrong size
};

/// The default-domain ("" or "ai.onnx") opsets Ciro reads: 9 to 17 inclusive.
inline constexpr std::int64_t min_opset = 9;
inline constexpr std::int64_t max_opset = 17;

/// A node attribute (ONNX AttributeProto), the kinds Ciro reads.
struct attribute {
  enum class kind : std::uint8_t { int_, float_, ints, floats, string, strings, tensor };
  std::string name;
  kind type = kind::int_;
  std::int64_t i = 0;
  double f = 0;
  std::vector<std::int64_t> ints;
  std::vector<double> floats;
  std::string s;
  std::vector<std::string> strings;
  zkml::tensor t;
};

/// One operator application. `inputs` may hold "" for an omitted optional input. `opset` is the
/// version the model imports for the node's domain. A node without a name in the file is named
/// after its first output.
struct node {
  std::string name;
  std::string op_type;
  std::string domain;  ///< "" for the default domain ("ai.onnx" is normalised to "")
  std::int64_t opset = 0;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<attribute> attributes;

  /// The attribute called `name`, or nullptr.
  [[nodiscard]] const attribute* find(std::string_view attr_name) const {
    for (const auto& a : attributes) {
      if (a.name == attr_name) return &a;
    }
    return nullptr;
  }
  /// "node 'name' (op_type, opset n)", the prefix of every message about this node.
  [[nodiscard]] std::string label() const;
};

/// A graph input or output: name, element type and shape (-1 for a dimension that is not fixed,
/// which only outputs keep after loading, and inputs when loaded with dynamic_inputs::keep).
struct value_info {
  std::string name;
  element_type type = element_type::float32;
  shape_t shape;
};

/// An ONNX model in memory: the graph's inputs (those that are not initializers), outputs, the
/// constant tensors (initializers and the values of Constant nodes, which are folded away), and
/// the remaining nodes in a topological order (every node after the producers of its inputs;
/// among ready nodes, file order).
struct model {
  std::int64_t ir_version = 0;
  std::map<std::string, std::int64_t> opsets;  ///< domain ("" = default) -> imported version
  std::vector<value_info> inputs;
  std::vector<value_info> outputs;
  std::map<std::string, tensor> initializers;
  std::vector<node> nodes;
};

/// What parse_model does with an input dimension that is not a fixed number (symbolic, like a
/// batch dimension "N", or unknown) when `input_shapes` does not give the input's shape.
enum class dynamic_inputs : std::uint8_t {
  refuse,  ///< the model is refused (load_error_code::dynamic_shape)
  /// the dimension is kept as -1, which the input-file parsers (zkml/input_file.hpp) take as free.
  /// Such a model is only for reading input files: run_reference, calibrate and run_integer need
  /// fixed shapes, so parse it again with the shapes of the inputs read. An input without any
  /// shape (its rank unknown) is refused either way.
  keep,
};

/// Parses a serialized ModelProto and checks it (see load_error_code). `input_shapes` gives the
/// shape of inputs whose declared shape has symbolic or missing dimensions (by input name); a
/// given shape must have the declared rank and agree with every fixed dimension. Dimensions that
/// stay undetermined are refused, or kept as -1 (`dynamic`).
[[nodiscard]] result<model, load_error_code> parse_model(std::string_view bytes,
                                                         const std::map<std::string, shape_t>& input_shapes = {},
                                                         dynamic_inputs dynamic = dynamic_inputs::refuse);

/// Reads the file at `path` and parses it with parse_model.
[[nodiscard]] result<model, load_error_code> load_model(const std::string& path,
                                                        const std::map<std::string, shape_t>& input_shapes = {},
                                                        dynamic_inputs dynamic = dynamic_inputs::refuse);

/// Parses a serialized TensorProto (the format of ONNX's test data input_*.pb / output_*.pb).
[[nodiscard]] result<tensor, load_error_code> parse_tensor(std::string_view bytes);

}  // namespace ciro::zkml
