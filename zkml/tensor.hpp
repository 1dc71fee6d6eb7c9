#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ciro::zkml {

/// The element types a model's tensors may have (ONNX TensorProto.DataType, the subset Ciro reads).
enum class element_type : std::uint8_t { float32, float64, int8, uint8, int16, uint16, int32, int64, boolean };

/// ONNX's name of an element type ("FLOAT", "INT64", ...), for messages.
inline const char* element_type_name(element_type t) {
  switch (t) {
    case element_type::float32:
      return "FLOAT";
    case element_type::float64:
      return "DOUBLE";
    case element_type::int8:
      return "INT8";
    case element_type::uint8:
      return "UINT8";
    case element_type::int16:
      return "INT16";
    case element_type::uint16:
      return "UINT16";
    case element_type::int32:
      return "INT32";
    case element_type::int64:
      return "INT64";
    case element_type::boolean:
      return "BOOL";
  }
  return "?";
}

/// True for every type whose values are integers (stored in tensor::ints), false for FLOAT and DOUBLE.
constexpr bool is_integer_type(element_type t) { return t != element_type::float32 && t != element_type::float64; }

/// The smallest and largest value of an integer element type. Precondition: is_integer_type(t).
inline std::pair<std::int64_t, std::int64_t> integer_range(element_type t) {
  switch (t) {
    case element_type::int8:
      return {-128, 127};
    case element_type::uint8:
      return {0, 255};
    case element_type::int16:
      return {-32768, 32767};
    case element_type::uint16:
      return {0, 65535};
    case element_type::int32:
      return {INT32_MIN, INT32_MAX};
    case element_type::boolean:
      return {0, 1};
    default:
      return {INT64_MIN, INT64_MAX};
  }
}

/// v reduced into the range of the integer type t the way a C++ cast to that type reduces it (two's
/// complement wrap modulo 2^bits; BOOL maps nonzero to 1). INT64 is the identity.
inline std::int64_t wrap_to(element_type t, std::int64_t v) {
  switch (t) {
    case element_type::int8:
      return static_cast<std::int8_t>(v);
    case element_type::uint8:
      return static_cast<std::uint8_t>(v);
    case element_type::int16:
      return static_cast<std::int16_t>(v);
    case element_type::uint16:
      return static_cast<std::uint16_t>(v);
    case element_type::int32:
      return static_cast<std::int32_t>(v);
    case element_type::boolean:
      return v != 0 ? 1 : 0;
    default:
      return v;
  }
}

/// A tensor's dimensions, outermost first (a scalar has none).
using shape_t = std::vector<std::int64_t>;

/// prod_i shape[i] (1 for a scalar). Precondition: every dimension is >= 0.
inline std::int64_t num_elements(const shape_t& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

/// "[2, 3, 4]", for messages.
inline std::string shape_string(const shape_t& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Row-major strides: stride[i] = prod_{j > i} shape[j].
inline shape_t row_major_strides(const shape_t& shape) {
  shape_t strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

/// A small dense tensor in row-major order. Floating tensors (FLOAT, DOUBLE) keep their values in
/// `data` as float64 (the float reference computes in float64 whatever the declared type), integer
/// tensors (INT8 ... INT64, BOOL) in `ints`, exactly; the other vector is empty.
/// Invariant: the used vector holds num_elements(shape) values.
struct tensor {
  element_type type = element_type::float32;
  shape_t shape;
  std::vector<double> data;
  std::vector<std::int64_t> ints;

  /// A floating tensor. Precondition: values.size() == num_elements(shape), !is_integer_type(type).
  static tensor floats(shape_t shape, std::vector<double> values, element_type type = element_type::float32) {
    tensor t;
    t.type = type;
    t.shape = std::move(shape);
    t.data = std::move(values);
    return t;
  }
  /// An integer tensor. Precondition: values.size() == num_elements(shape), is_integer_type(type),
  /// every value inside integer_range(type).
  static tensor integers(shape_t shape, std::vector<std::int64_t> values, element_type type = element_type::int64) {
    tensor t;
    t.type = type;
    t.shape = std::move(shape);
    t.ints = std::move(values);
    return t;
  }
  /// A zero tensor of the given type and shape.
  static tensor zeros(shape_t shape, element_type type) {
    tensor t;
    t.type = type;
    t.shape = std::move(shape);
    if (is_integer_type(type)) {
      t.ints.assign(static_cast<std::size_t>(num_elements(t.shape)), 0);
    } else {
      t.data.assign(static_cast<std::size_t>(num_elements(t.shape)), 0.0);
    }
    return t;
  }

  [[nodiscard]] bool is_integer() const { return is_integer_type(type); }
  [[nodiscard]] std::size_t size() const { return is_integer() ? ints.size() : data.size(); }
  /// Element i as a double (integers converted). Precondition: i < size().
  [[nodiscard]] double value(std::size_t i) const { return is_integer() ? static_cast<double>(ints[i]) : data[i]; }
};

/// The multidirectional (numpy) broadcast of two shapes: align them at the right, and in each
/// position the dimensions must be equal or one of them 1 (the result takes the other). nullopt when
/// they are not broadcastable.
inline std::optional<shape_t> broadcast_shapes(const shape_t& a, const shape_t& b) {
  const std::size_t rank = a.size() > b.size() ? a.size() : b.size();
  shape_t out(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const std::int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

/// True when `in` broadcasts unidirectionally to `out` (ONNX's rule for Gemm's C, PRelu's slope):
/// broadcast_shapes(in, out) == out.
inline bool broadcasts_to(const shape_t& in, const shape_t& out) {
  auto b = broadcast_shapes(in, out);
  return b && *b == out;
}

/// For every row-major index o of the shape `out`, the row-major index into a tensor of shape `in`
/// that broadcasting reads there: dimensions of `in` equal to 1 (and missing leading ones) are
/// repeated. Precondition: broadcasts_to(in, out).
inline std::vector<std::int64_t> broadcast_map(const shape_t& in, const shape_t& out) {
  const std::size_t rank = out.size();
  shape_t in_strides(rank, 0);
  const shape_t s = row_major_strides(in);
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::size_t j = rank - in.size() + i;
    in_strides[j] = in[i] == 1 ? 0 : s[i];
  }
  const std::int64_t n = num_elements(out);
  std::vector<std::int64_t> map(static_cast<std::size_t>(n));
  shape_t index(rank, 0);
  std::int64_t offset = 0;
  for (std::int64_t o = 0; o < n; ++o) {
    map[static_cast<std::size_t>(o)] = offset;
    for (std::size_t d = rank; d-- > 0;) {  // odometer increment, last dimension fastest
      ++index[d];
      offset += in_strides[d];
      if (index[d] < out[d]) break;
      offset -= in_strides[d] * index[d];
      index[d] = 0;
    }
  }
  return map;
}

}  // namespace ciro::zkml
