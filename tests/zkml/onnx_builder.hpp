#pragma once

// Builds small ONNX models in tests with the protobuf API (onnx::ModelProto), and converts between
// zkml tensors and TensorProto.

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "zkml/model.hpp"
#include "zkml/reference.hpp"
#include "zkml/tensor.hpp"

namespace ciro::zkml::test {

inline int onnx_type(element_type t) {
  switch (t) {
    case element_type::float32:
      return onnx::TensorProto_DataType_FLOAT;
    case element_type::float64:
      return onnx::TensorProto_DataType_DOUBLE;
    case element_type::int8:
      return onnx::TensorProto_DataType_INT8;
    case element_type::uint8:
      return onnx::TensorProto_DataType_UINT8;
    case element_type::int16:
      return onnx::TensorProto_DataType_INT16;
    case element_type::uint16:
      return onnx::TensorProto_DataType_UINT16;
    case element_type::int32:
      return onnx::TensorProto_DataType_INT32;
    case element_type::int64:
      return onnx::TensorProto_DataType_INT64;
    case element_type::boolean:
      return onnx::TensorProto_DataType_BOOL;
  }
  return 0;
}

/// A TensorProto holding t, in raw_data (little-endian) or in the typed repeated field.
inline onnx::TensorProto to_proto(const tensor& t, const std::string& name, bool raw) {
  onnx::TensorProto p;
  p.set_name(name);
  p.set_data_type(onnx_type(t.type));
  for (auto d : t.shape) p.add_dims(d);
  if (raw) {
    std::string bytes;
    auto put = [&](const auto v) { bytes.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
    for (std::size_t i = 0; i < t.size(); ++i) {
      switch (t.type) {
        case element_type::float32:
          put(static_cast<float>(t.data[i]));
          break;
        case element_type::float64:
          put(t.data[i]);
          break;
        case element_type::int8:
          put(static_cast<std::int8_t>(t.ints[i]));
          break;
        case element_type::uint8:
        case element_type::boolean:
          put(static_cast<std::uint8_t>(t.ints[i]));
          break;
        case element_type::int16:
          put(static_cast<std::int16_t>(t.ints[i]));
          break;
        case element_type::uint16:
          put(static_cast<std::uint16_t>(t.ints[i]));
          break;
        case element_type::int32:
          put(static_cast<std::int32_t>(t.ints[i]));
          break;
        case element_type::int64:
          put(t.ints[i]);
          break;
      }
    }
    p.set_raw_data(bytes);
    return p;
  }
  for (std::size_t i = 0; i < t.size(); ++i) {
    switch (t.type) {
      case element_type::float32:
        p.add_float_data(static_cast<float>(t.data[i]));
        break;
      case element_type::float64:
        p.add_double_data(t.data[i]);
        break;
      case element_type::int64:
        p.add_int64_data(t.ints[i]);
        break;
      default:
        p.add_int32_data(static_cast<std::int32_t>(t.ints[i]));
        break;
    }
  }
  return p;
}

/// A one-graph model under construction.
class model_builder {
 public:
  explicit model_builder(std::int64_t opset = 13) {
    proto_.set_ir_version(8);
    auto* o = proto_.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
    proto_.mutable_graph()->set_name("test");
  }
  onnx::GraphProto& graph() { return *proto_.mutable_graph(); }
  onnx::ModelProto& proto() { return proto_; }

  /// A graph input; a dimension -1 becomes the symbolic dimension "N".
  model_builder& input(const std::string& name, const shape_t& shape, element_type type = element_type::float32) {
    value(graph().add_input(), name, shape, type);
    return *this;
  }
  model_builder& output(const std::string& name, element_type type = element_type::float32) {
    auto* v = graph().add_output();
    v->set_name(name);
    v->mutable_type()->mutable_tensor_type()->set_elem_type(onnx_type(type));
    return *this;
  }
  model_builder& initializer(const std::string& name, const tensor& t, bool raw = true) {
    *graph().add_initializer() = to_proto(t, name, raw);
    return *this;
  }
  onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& name = "") {
    auto* n = graph().add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return *n;
  }
  [[nodiscard]] std::string bytes() const { return proto_.SerializeAsString(); }

 private:
  static void value(onnx::ValueInfoProto* v, const std::string& name, const shape_t& shape, element_type type) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx_type(type));
    auto* s = tt->mutable_shape();
    for (auto d : shape) {
      if (d < 0) {
        s->add_dim()->set_dim_param("N");
      } else {
        s->add_dim()->set_dim_value(d);
      }
    }
  }
  onnx::ModelProto proto_;
};

inline void set_int(onnx::NodeProto& n, const std::string& name, std::int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto_AttributeType_INT);
  a->set_i(v);
}
inline void set_float(onnx::NodeProto& n, const std::string& name, float v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto_AttributeType_FLOAT);
  a->set_f(v);
}
inline void set_ints(onnx::NodeProto& n, const std::string& name, const std::vector<std::int64_t>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto_AttributeType_INTS);
  for (auto x : v) a->add_ints(x);
}
inline void set_floats(onnx::NodeProto& n, const std::string& name, const std::vector<float>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto_AttributeType_FLOATS);
  for (auto x : v) a->add_floats(x);
}
inline void set_string(onnx::NodeProto& n, const std::string& name, const std::string& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto_AttributeType_STRING);
  a->set_s(v);
}
inline void set_strings(onnx::NodeProto& n, const std::string& name, const std::vector<std::string>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto_AttributeType_STRINGS);
  for (const auto& x : v) a->add_strings(x);
}
inline void set_tensor(onnx::NodeProto& n, const std::string& name, const tensor& t) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto_AttributeType_TENSOR);
  *a->mutable_t() = to_proto(t, "", true);
}

/// A FLOAT tensor of the given shape with values uniform in [lo, hi), each rounded to float32 (so
/// that it survives the trip through a TensorProto exactly).
inline tensor random_tensor(std::mt19937_64& rng, const shape_t& shape, double lo = -2.0, double hi = 2.0) {
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(static_cast<std::size_t>(num_elements(shape)));
  for (auto& x : v) x = static_cast<float>(dist(rng));
  return tensor::floats(shape, std::move(v));
}

}  // namespace ciro::zkml::test
