#pragma once

// Internal to the float reference (zkml/reference.cpp and zkml/ops_*.cpp): the context one node runs
// in, and the table of operator implementations each op family adds to.

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "zkml/model.hpp"
#include "zkml/reference.hpp"
#include "zkml/tensor.hpp"

namespace ciro::zkml::ops {

/// Thrown by an op implementation only, turned into a result by run_reference.
struct run_failure {
  run_error_code code;
  std::string message;
};

/// One node being run: its inputs (nullptr where omitted) and helpers that refuse with its label.
struct op_context {
  const node& n;
  std::vector<const tensor*> in;

  [[noreturn]] void fail(run_error_code code, const std::string& why) const {
    throw run_failure{code, n.label() + ": " + why};
  }
  [[noreturn]] void invalid(const std::string& why) const { fail(run_error_code::invalid_node, why); }
  [[noreturn]] void unsupported_type(element_type t) const {
    fail(run_error_code::unsupported_type, std::string("element type ") + element_type_name(t) + " is not supported");
  }

  [[nodiscard]] const tensor* optional(std::size_t i) const { return i < in.size() ? in[i] : nullptr; }
  [[nodiscard]] const tensor& input(std::size_t i) const {
    const tensor* t = optional(i);
    if (!t) invalid("input " + std::to_string(i) + " is required");
    return *t;
  }
  /// Input i, which must be FLOAT or DOUBLE.
  [[nodiscard]] const tensor& floating(std::size_t i) const {
    const tensor& t = input(i);
    if (t.is_integer()) {
      fail(run_error_code::unsupported_type,
           "input " + std::to_string(i) + " of element type " + element_type_name(t.type) + " is not supported");
    }
    return t;
  }
  /// True when output i is requested (present and named).
  [[nodiscard]] bool wants_output(std::size_t i) const { return i < n.outputs.size() && !n.outputs[i].empty(); }

  [[nodiscard]] const attribute* attr(std::string_view name, attribute::kind kind) const {
    const attribute* a = n.find(name);
    if (a && a->type != kind) invalid("attribute '" + std::string(name) + "' has the wrong type");
    return a;
  }
  [[nodiscard]] std::int64_t attr_int(std::string_view name, std::int64_t fallback) const {
    const attribute* a = attr(name, attribute::kind::int_);
    return a ? a->i : fallback;
  }
  [[nodiscard]] double attr_float(std::string_view name, double fallback) const {
    const attribute* a = attr(name, attribute::kind::float_);
    return a ? a->f : fallback;
  }
  [[nodiscard]] std::vector<std::int64_t> attr_ints(std::string_view name, std::vector<std::int64_t> fallback) const {
    const attribute* a = attr(name, attribute::kind::ints);
    return a ? a->ints : fallback;
  }
  [[nodiscard]] std::string attr_string(std::string_view name, std::string fallback) const {
    const attribute* a = attr(name, attribute::kind::string);
    return a ? a->s : fallback;
  }
  /// An axis attribute or input in [-rank, rank) (or [-rank, rank] when `inclusive`), made non-negative.
  [[nodiscard]] std::int64_t axis(std::int64_t a, std::size_t rank, bool inclusive = false) const {
    const auto r = static_cast<std::int64_t>(rank);
    if (a < -r || a > (inclusive ? r : r - 1))
      invalid("axis " + std::to_string(a) + " out of range for rank " + std::to_string(r));
    return a < 0 ? a + r : a;
  }
  /// Like axis(), but a negative axis is refused before opset 11 (which introduced them).
  [[nodiscard]] std::int64_t versioned_axis(std::int64_t a, std::size_t rank, bool inclusive = false) const {
    if (a < 0 && n.opset < 11) invalid("negative axis " + std::to_string(a) + " needs opset 11");
    return axis(a, rank, inclusive);
  }
  /// A 1-D INT64 (or, with `int32_too`, INT32) input read as integers.
  [[nodiscard]] std::vector<std::int64_t> int_list(std::size_t i, bool int32_too = false) const {
    const tensor& t = input(i);
    if (t.shape.size() != 1 || !(t.type == element_type::int64 || (int32_too && t.type == element_type::int32)))
      invalid("input " + std::to_string(i) + " must be a 1-D INT64" + (int32_too ? " or INT32" : "") + " tensor");
    return t.ints;
  }
};

using op_fn = std::function<std::vector<tensor>(const op_context&)>;
/// Operators by op_key(domain, op_type).
using op_table = std::unordered_map<std::string, op_fn>;

/// The key of an operator in an op_table: op_type for the default domain ("" or "ai.onnx"),
/// "<domain>.<op_type>" for another domain ("ai.onnx.ml.Scaler"), as node::label() names it.
inline std::string op_key(std::string_view domain, std::string_view op_type) {
  if (domain.empty() || domain == "ai.onnx") return std::string(op_type);
  return std::string(domain) + "." + std::string(op_type);
}

/// prod_{begin <= i < end} s[i].
inline std::int64_t product(const shape_t& s, std::size_t begin, std::size_t end) {
  std::int64_t p = 1;
  for (std::size_t i = begin; i < end; ++i) p *= s[i];
  return p;
}

/// Two's complement wrap of an unsigned 64-bit result.
inline std::int64_t wrapping(std::uint64_t v) { return static_cast<std::int64_t>(v); }

/// x with another shape (same values).
inline tensor with_shape(const tensor& x, shape_t shape) {
  tensor y = x;
  y.shape = std::move(shape);
  return y;
}

/// f applied to every value of input 0, which must be floating.
template <class F>
tensor unary_float(const op_context& c, F f) {
  const tensor& x = c.floating(0);
  tensor y = tensor::floats(x.shape, std::vector<double>(x.data.size()), x.type);
  for (std::size_t i = 0; i < x.data.size(); ++i) y.data[i] = f(x.data[i]);
  return y;
}

/// Distinct axes (a list attribute or input) made non-negative for the given rank; duplicates and
/// out-of-range axes are invalid, negative ones too before opset 11.
std::vector<std::int64_t> normalize_axes(const op_context& c, const std::vector<std::int64_t>& axes, std::size_t rank);

/// The window geometry of Conv / MaxPool / AveragePool along each spatial dimension.
struct window {
  std::size_t rank = 0;                     // spatial rank, 1..3
  std::array<std::int64_t, 3> in{1, 1, 1};  // input extent
  std::array<std::int64_t, 3> kernel{1, 1, 1};
  std::array<std::int64_t, 3> stride{1, 1, 1};
  std::array<std::int64_t, 3> dilation{1, 1, 1};
  std::array<std::int64_t, 3> pad_begin{0, 0, 0};
  std::array<std::int64_t, 3> pad_end{0, 0, 0};
  std::array<std::int64_t, 3> out{1, 1, 1};
};

/// Reads kernel_shape (or `kernel`), strides, dilations (when `has_dilations`), pads and auto_pad,
/// and computes the output extents (zkml/reference.cpp).
window make_window(const op_context& c, const shape_t& x_shape, const shape_t& kernel, bool ceil_mode,
                   bool has_dilations);
/// [batch, channels, out...] of a window.
shape_t window_output_shape(const window& w, std::int64_t batch, std::int64_t channels);

/// Each op family adds its operators to the table.
void add_elementwise_ops(op_table& t);  // zkml/ops_elementwise.cpp
void add_reduce_ops(op_table& t);       // zkml/ops_reduce.cpp
void add_shape_ops(op_table& t);        // zkml/ops_shape.cpp
void add_quantized_ops(op_table& t);    // zkml/ops_quantized.cpp
void add_ml_ops(op_table& t);           // zkml/ops_ml.cpp (domain ai.onnx.ml)

}  // namespace ciro::zkml::ops
