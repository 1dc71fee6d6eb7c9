#include "zkml/model.hpp"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "zkml/detail.hpp"
#include "zkml/little_endian.hpp"

namespace ciro::zkml {

namespace {

/// Internal: thrown inside this file only, turned into a result at the public entry points.
struct load_failure {
  load_error_code code;
  std::string message;
};

[[noreturn]] void fail(load_error_code code, std::string message) { throw load_failure{code, std::move(message)}; }

/// The ai.onnx.ml opsets Ciro reads (its classical-ML operators, zkml/ops_ml.cpp): 1 to 3.
constexpr std::int64_t min_ml_opset = 1;
constexpr std::int64_t max_ml_opset = 3;

std::string type_name(int data_type) {
  if (onnx::TensorProto_DataType_IsValid(data_type)) {
    return onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(data_type));
  }
  return "data type " + std::to_string(data_type);
}

/// The element type of an ONNX data type, or nullopt for those Ciro does not read.
std::optional<element_type> to_element_type(int data_type) {
  switch (data_type) {
    case onnx::TensorProto_DataType_FLOAT:
      return element_type::float32;
    case onnx::TensorProto_DataType_DOUBLE:
      return element_type::float64;
    case onnx::TensorProto_DataType_INT8:
      return element_type::int8;
    case onnx::TensorProto_DataType_UINT8:
      return element_type::uint8;
    case onnx::TensorProto_DataType_INT16:
      return element_type::int16;
    case onnx::TensorProto_DataType_UINT16:
      return element_type::uint16;
    case onnx::TensorProto_DataType_INT32:
      return element_type::int32;
    case onnx::TensorProto_DataType_INT64:
      return element_type::int64;
    case onnx::TensorProto_DataType_BOOL:
      return element_type::boolean;
    default:
      return std::nullopt;
  }
}

std::size_t element_bytes(element_type t) {
  switch (t) {
    case element_type::float32:
      return 4;
    case element_type::float64:
      return 8;
    case element_type::int8:
    case element_type::uint8:
    case element_type::boolean:
      return 1;
    case element_type::int16:
    case element_type::uint16:
      return 2;
    case element_type::int32:
      return 4;
    case element_type::int64:
      return 8;
  }
  return 1;
}

/// Converts a TensorProto; `what` names it in messages ("initializer 'w'", "node '...' (...)").
tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& what) {
  if (proto.data_location() == onnx::TensorProto_DataLocation_EXTERNAL || proto.external_data_size() > 0) {
    fail(load_error_code::external_data, what + ": tensor data stored externally is not supported");
  }
  if (proto.has_segment()) fail(load_error_code::unsupported_type, what + ": segmented tensors are not supported");
  const auto type = to_element_type(proto.data_type());
  if (!type) {
    fail(load_error_code::unsupported_type,
         what + ": element type " + type_name(proto.data_type()) + " is not supported");
  }
  tensor t;
  t.type = *type;
  for (std::int64_t d : proto.dims()) {
    if (d < 0) fail(load_error_code::malformed, what + ": negative dimension " + std::to_string(d));
    t.shape.push_back(d);
  }
  // The product of the nonzero dimensions is refused past 2^32 before it can overflow, so that no
  // partial product of the shape overflows later either.
  std::int64_t n = 1;
  for (std::int64_t d : t.shape) {
    if (d > (std::int64_t{1} << 32) / n) fail(load_error_code::malformed, what + ": too many elements");
    n *= d == 0 ? 1 : d;
  }
  if (std::find(t.shape.begin(), t.shape.end(), 0) != t.shape.end()) n = 0;
  const auto count = static_cast<std::size_t>(n);
  std::size_t have = 0;
  if (proto.has_raw_data()) {
    const std::string& raw = proto.raw_data();
    const std::size_t width = element_bytes(t.type);
    have = raw.size() / width;
    if (raw.size() % width != 0 || have != count) {
      fail(load_error_code::invalid_shape, what + ": raw_data holds " + std::to_string(raw.size()) +
                                               " bytes for shape " + shape_string(t.shape) + " of " +
                                               element_type_name(t.type));
    }
    little_endian::decode(t, raw.data(), count, width);
    if (t.type == element_type::boolean) {
      for (auto& v : t.ints) v = v != 0;
    }
    return t;
  }
  switch (t.type) {
    case element_type::float32:
      t.data.assign(proto.float_data().begin(), proto.float_data().end());
      break;
    case element_type::float64:
      t.data.assign(proto.double_data().begin(), proto.double_data().end());
      break;
    case element_type::int64:
      t.ints.assign(proto.int64_data().begin(), proto.int64_data().end());
      break;
    default:  // INT8, UINT8, INT16, UINT16, INT32, BOOL: int32_data
      for (std::int32_t v : proto.int32_data()) t.ints.push_back(wrap_to(t.type, v));
      break;
  }
  have = t.size();
  if (have != count) {
    fail(load_error_code::invalid_shape, what + ": holds " + std::to_string(have) + " values for shape " +
                                             shape_string(t.shape) + " (" + std::to_string(count) + " expected)");
  }
  return t;
}

attribute attribute_from_proto(const onnx::AttributeProto& proto, const std::string& what) {
  attribute a;
  a.name = proto.name();
  const std::string where = what + ": attribute '" + detail::printable(a.name) + "'";
  switch (proto.type()) {
    case onnx::AttributeProto_AttributeType_INT:
      a.type = attribute::kind::int_;
      a.i = proto.i();
      break;
    case onnx::AttributeProto_AttributeType_FLOAT:
      a.type = attribute::kind::float_;
      a.f = proto.f();
      break;
    case onnx::AttributeProto_AttributeType_INTS:
      a.type = attribute::kind::ints;
      a.ints.assign(proto.ints().begin(), proto.ints().end());
      break;
    case onnx::AttributeProto_AttributeType_FLOATS:
      a.type = attribute::kind::floats;
      a.floats.assign(proto.floats().begin(), proto.floats().end());
      break;
    case onnx::AttributeProto_AttributeType_STRING:
      a.type = attribute::kind::string;
      a.s = proto.s();
      break;
    case onnx::AttributeProto_AttributeType_STRINGS:
      a.type = attribute::kind::strings;
      a.strings.assign(proto.strings().begin(), proto.strings().end());
      break;
    case onnx::AttributeProto_AttributeType_TENSOR:
      a.type = attribute::kind::tensor;
      a.t = tensor_from_proto(proto.t(), where);
      break;
    default:
      fail(load_error_code::unsupported_type,
           where + " of type " + onnx::AttributeProto_AttributeType_Name(proto.type()) + " is not supported");
  }
  return a;
}

/// The value of a Constant node as a tensor.
tensor constant_value(const node& n) {
  if (n.attributes.size() != 1) {
    fail(load_error_code::malformed, n.label() + ": needs exactly one value attribute");
  }
  const attribute& a = n.attributes[0];
  if (a.name == "value" && a.type == attribute::kind::tensor) return a.t;
  if (a.name == "value_float" && a.type == attribute::kind::float_) return tensor::floats({}, {a.f});
  if (a.name == "value_floats" && a.type == attribute::kind::floats) {
    return tensor::floats({static_cast<std::int64_t>(a.floats.size())}, a.floats);
  }
  if (a.name == "value_int" && a.type == attribute::kind::int_) return tensor::integers({}, {a.i});
  if (a.name == "value_ints" && a.type == attribute::kind::ints) {
    return tensor::integers({static_cast<std::int64_t>(a.ints.size())}, a.ints);
  }
  fail(load_error_code::unsupported_type, n.label() + ": attribute '" + detail::printable(a.name) +
                                              "' is not supported (value, value_float(s), value_int(s))");
}

value_info value_info_from_proto(const onnx::ValueInfoProto& proto, bool is_input,
                                 const std::map<std::string, shape_t>& input_shapes, dynamic_inputs dynamic_dims) {
  value_info v;
  v.name = proto.name();
  const std::string what = std::string(is_input ? "input '" : "output '") + detail::printable(v.name) + "'";
  if (proto.has_type() && !proto.type().has_tensor_type()) {
    fail(load_error_code::unsupported_type, what + ": only tensor types are supported");
  }
  const auto& tt = proto.type().tensor_type();
  if (tt.has_elem_type()) {
    const auto type = to_element_type(tt.elem_type());
    if (!type) {
      fail(load_error_code::unsupported_type,
           what + ": element type " + type_name(tt.elem_type()) + " is not supported");
    }
    v.type = *type;
  } else if (is_input) {
    fail(load_error_code::malformed, what + ": no element type");
  }
  bool dynamic = !tt.has_shape();
  std::string dynamic_reason = "no shape";
  if (tt.has_shape()) {
    for (int i = 0; i < tt.shape().dim_size(); ++i) {
      const auto& d = tt.shape().dim(i);
      if (d.has_dim_value() && d.dim_value() >= 0) {
        v.shape.push_back(d.dim_value());
      } else {
        v.shape.push_back(-1);
        if (!dynamic) {
          dynamic_reason = "dimension " + std::to_string(i) + " is " +
                           (d.has_dim_param() ? "'" + detail::printable(d.dim_param()) + "'" : std::string("unknown"));
        }
        dynamic = true;
      }
    }
  }
  if (!is_input) return v;
  const auto given = input_shapes.find(v.name);
  if (given != input_shapes.end()) {
    if (tt.has_shape() && given->second.size() != v.shape.size()) {
      fail(load_error_code::invalid_shape, what + ": given shape " + shape_string(given->second) +
                                               " does not have the model's rank " + std::to_string(v.shape.size()));
    }
    for (std::size_t i = 0; i < given->second.size(); ++i) {
      if (given->second[i] < 0 || (tt.has_shape() && v.shape[i] >= 0 && v.shape[i] != given->second[i])) {
        fail(load_error_code::invalid_shape, what + ": given shape " + shape_string(given->second) +
                                                 " contradicts the model's " + shape_string(v.shape));
      }
    }
    v.shape = given->second;
  } else if (!tt.has_shape() && dynamic_dims == dynamic_inputs::keep) {
    fail(load_error_code::dynamic_shape, what + ": no shape; the model must declare the input's rank");
  } else if (dynamic && dynamic_dims == dynamic_inputs::refuse) {
    fail(load_error_code::dynamic_shape, what + ": " + dynamic_reason + "; give the input's shape");
  }
  return v;
}

model convert(const onnx::ModelProto& proto, const std::map<std::string, shape_t>& input_shapes,
              dynamic_inputs dynamic_dims) {
  if (!proto.has_graph()) fail(load_error_code::malformed, "malformed ONNX model: no graph");
  model m;
  m.ir_version = proto.ir_version();
  for (const auto& op : proto.opset_import()) {
    const std::string domain = op.domain() == "ai.onnx" ? "" : op.domain();
    m.opsets[domain] = op.version();
  }
  if (!m.opsets.count(""))
    fail(load_error_code::malformed, "malformed ONNX model: no opset_import for the default domain");
  const onnx::GraphProto& g = proto.graph();

  for (const auto& init : g.initializer()) {
    if (m.initializers.count(init.name())) {
      fail(load_error_code::malformed, "initializer '" + detail::printable(init.name()) + "' is defined twice");
    }
    m.initializers[init.name()] = tensor_from_proto(init, "initializer '" + detail::printable(init.name()) + "'");
  }
  if (g.sparse_initializer_size() > 0) fail(load_error_code::unsupported_type, "sparse initializers are not supported");
  std::unordered_set<std::string> defined;  // graph inputs, initializers, node outputs
  for (const auto& [name, t] : m.initializers) defined.insert(name);
  for (const auto& in : g.input()) {
    if (m.initializers.count(in.name())) continue;  // an initializer listed as input (IR < 4): a constant
    if (!defined.insert(in.name()).second) {
      fail(load_error_code::malformed, "input '" + detail::printable(in.name()) + "' is defined twice");
    }
    m.inputs.push_back(value_info_from_proto(in, true, input_shapes, dynamic_dims));
  }

  // Nodes: convert, fold Constant nodes into the initializers, record producers.
  std::vector<node> nodes;
  std::unordered_map<std::string, std::size_t> producer;
  for (int k = 0; k < g.node_size(); ++k) {
    const onnx::NodeProto& np = g.node(k);
    node n;
    n.op_type = np.op_type();
    n.domain = np.domain() == "ai.onnx" ? "" : np.domain();
    n.inputs.assign(np.input().begin(), np.input().end());
    n.outputs.assign(np.output().begin(), np.output().end());
    n.name = !np.name().empty() ? np.name() : (n.outputs.empty() ? "#" + std::to_string(k) : n.outputs[0]);
    const auto opset = m.opsets.find(n.domain);
    if (opset == m.opsets.end()) {
      fail(load_error_code::unsupported_opset,
           n.label() + ": domain '" + detail::printable(n.domain) + "' is not imported by the model");
    }
    n.opset = opset->second;
    if (n.domain.empty() && (n.opset < min_opset || n.opset > max_opset)) {
      fail(load_error_code::unsupported_opset, n.label() + ": unsupported opset (Ciro reads opsets " +
                                                   std::to_string(min_opset) + " to " + std::to_string(max_opset) +
                                                   " of the default domain)");
    }
    if (n.domain == "ai.onnx.ml" && (n.opset < min_ml_opset || n.opset > max_ml_opset)) {
      fail(load_error_code::unsupported_opset, n.label() + ": unsupported opset (Ciro reads opsets " +
                                                   std::to_string(min_ml_opset) + " to " +
                                                   std::to_string(max_ml_opset) + " of the ai.onnx.ml domain)");
    }
    if (n.outputs.empty()) fail(load_error_code::malformed, n.label() + ": no outputs");
    for (const auto& a : np.attribute()) n.attributes.push_back(attribute_from_proto(a, n.label()));
    for (const auto& out : n.outputs) {
      if (out.empty()) continue;  // an omitted optional output
      if (!defined.insert(out).second) {
        fail(load_error_code::malformed, n.label() + ": output '" + detail::printable(out) + "' is already defined");
      }
    }
    if (n.domain.empty() && n.op_type == "Constant") {
      if (n.outputs.size() != 1 || !n.inputs.empty()) {
        fail(load_error_code::malformed, n.label() + ": needs no inputs and one output");
      }
      m.initializers[n.outputs[0]] = constant_value(n);
      continue;
    }
    for (const auto& out : n.outputs) {
      if (!out.empty()) producer[out] = nodes.size();
    }
    nodes.push_back(std::move(n));
  }
  for (const auto& n : nodes) {
    for (const auto& in : n.inputs) {
      if (!in.empty() && !defined.count(in)) {
        fail(load_error_code::undefined_tensor, n.label() + ": reads undefined tensor '" + detail::printable(in) + "'");
      }
    }
  }
  for (const auto& out : g.output()) {
    if (!defined.count(out.name())) {
      fail(load_error_code::undefined_tensor, "output '" + detail::printable(out.name()) + "' is not defined");
    }
    m.outputs.push_back(value_info_from_proto(out, false, input_shapes, dynamic_dims));
  }

  // Kahn's algorithm: a node is ready when every node producing one of its inputs is placed; ready
  // nodes are placed in file order.
  const std::size_t count = nodes.size();
  std::vector<std::vector<std::size_t>> consumers(count);
  std::vector<std::size_t> pending(count, 0);
  for (std::size_t j = 0; j < count; ++j) {
    std::set<std::size_t> sources;
    for (const auto& in : nodes[j].inputs) {
      const auto p = producer.find(in);
      if (p != producer.end()) sources.insert(p->second);
    }
    pending[j] = sources.size();
    for (std::size_t s : sources) consumers[s].push_back(j);
  }
  std::set<std::size_t> ready;
  for (std::size_t j = 0; j < count; ++j) {
    if (pending[j] == 0) ready.insert(j);
  }
  std::vector<std::size_t> order;
  while (!ready.empty()) {
    const std::size_t j = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(j);
    for (std::size_t c : consumers[j]) {
      if (--pending[c] == 0) ready.insert(c);
    }
  }
  if (order.size() != count) {
    // Walk back from an unplaced node through unplaced producers until a node repeats: it lies on a cycle.
    std::size_t j = 0;
    while (pending[j] == 0) ++j;
    std::vector<bool> seen(count, false);
    while (!seen[j]) {
      seen[j] = true;
      for (const auto& in : nodes[j].inputs) {
        const auto p = producer.find(in);
        if (p != producer.end() && pending[p->second] != 0) {
          j = p->second;
          break;
        }
      }
    }
    fail(load_error_code::cycle, nodes[j].label() + ": the graph has a cycle through this node");
  }
  m.nodes.reserve(count);
  for (std::size_t j : order) m.nodes.push_back(std::move(nodes[j]));
  return m;
}

}  // namespace

std::string node::label() const {
  const std::string op = domain.empty() ? op_type : domain + "." + op_type;
  return "node '" + detail::printable(name) + "' (" + detail::printable(op) + ", opset " + std::to_string(opset) + ")";
}

result<model, load_error_code> parse_model(std::string_view bytes, const std::map<std::string, shape_t>& input_shapes,
                                           dynamic_inputs dynamic) {
  onnx::ModelProto proto;
  if (bytes.size() > static_cast<std::size_t>(INT_MAX) ||
      !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return error<load_error_code>{load_error_code::malformed, "malformed or truncated ONNX model (not a ModelProto)"};
  }
  try {
    return convert(proto, input_shapes, dynamic);
  } catch (const load_failure& f) {
    return error<load_error_code>{f.code, f.message};
  }
}

result<model, load_error_code> load_model(const std::string& path, const std::map<std::string, shape_t>& input_shapes,
                                          dynamic_inputs dynamic) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return error<load_error_code>{load_error_code::io_error, "cannot open '" + detail::printable(path) + "'"};
  std::ostringstream buffer;
  buffer << file.rdbuf();
  if (file.bad())
    return error<load_error_code>{load_error_code::io_error, "cannot read '" + detail::printable(path) + "'"};
  return parse_model(buffer.str(), input_shapes, dynamic);
}

result<tensor, load_error_code> parse_tensor(std::string_view bytes) {
  onnx::TensorProto proto;
  if (bytes.size() > static_cast<std::size_t>(INT_MAX) ||
      !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return error<load_error_code>{load_error_code::malformed, "malformed or truncated tensor (not a TensorProto)"};
  }
  try {
    return tensor_from_proto(proto, "tensor '" + detail::printable(proto.name()) + "'");
  } catch (const load_failure& f) {
    return error<load_error_code>{f.code, f.message};
  }
}

}  // namespace ciro::zkml
