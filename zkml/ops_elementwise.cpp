// Elementwise operators of the float reference: the variadic Sum, Max and Min, Neg, Pow, and the
// activations LeakyRelu, PRelu, HardSigmoid, HardSwish, Exp, Log, Erf, Sqrt.

#include <algorithm>
#include <cmath>
#include <limits>

#include "zkml/ops.hpp"

namespace ciro::zkml::ops {

namespace {

/// Sum, Max or Min of one or more inputs with multidirectional broadcasting (opset 8 on). Sum takes
/// floating inputs only; Max and Min take integers from opset 12.
tensor variadic(const op_context& c, char op) {
  if (c.in.empty()) c.invalid("needs at least one input");
  const tensor& first = c.input(0);
  shape_t shape = first.shape;
  for (std::size_t i = 0; i < c.in.size(); ++i) {
    const tensor& t = c.input(i);
    if (t.type != first.type) {
      c.invalid(std::string("inputs have different element types ") + element_type_name(first.type) + " and " +
                element_type_name(t.type));
    }
    const auto b = broadcast_shapes(shape, t.shape);
    if (!b) c.invalid("shapes " + shape_string(shape) + " and " + shape_string(t.shape) + " do not broadcast");
    shape = *b;
  }
  if (first.is_integer() && (op == '+' || c.n.opset < 12 || first.type == element_type::boolean))
    c.unsupported_type(first.type);
  tensor y = tensor::zeros(shape, first.type);
  for (std::size_t i = 0; i < c.in.size(); ++i) {
    const tensor& t = *c.in[i];
    const auto map = broadcast_map(t.shape, shape);
    for (std::size_t o = 0; o < map.size(); ++o) {
      const auto at = static_cast<std::size_t>(map[o]);
      if (t.is_integer()) {
        const std::int64_t v = t.ints[at];
        y.ints[o] = i == 0 ? v : op == '>' ? std::max(y.ints[o], v) : std::min(y.ints[o], v);
      } else {
        const double v = t.data[at];
        y.data[o] = i == 0      ? v
                    : op == '+' ? y.data[o] + v
                    : op == '>' ? std::max(y.data[o], v)
                                : std::min(y.data[o], v);
      }
    }
  }
  return y;
}

std::vector<tensor> op_neg(const op_context& c) {
  const tensor& x = c.input(0);
  if (!x.is_integer()) return {unary_float(c, [](double v) { return -v; })};
  if (x.type == element_type::uint8 || x.type == element_type::uint16 || x.type == element_type::boolean)
    c.unsupported_type(x.type);
  tensor y = x;
  for (auto& v : y.ints) v = wrap_to(x.type, wrapping(0 - static_cast<std::uint64_t>(v)));  // -INT_MIN wraps
  return {y};
}

std::vector<tensor> op_prelu(const op_context& c) {
  const tensor& x = c.input(0);
  const tensor& slope = c.input(1);
  if (slope.type != x.type) c.invalid("X and slope have different element types");
  if (x.is_integer() &&
      (c.n.opset < 9 || x.type == element_type::int8 || x.type == element_type::int16 ||
       x.type == element_type::uint8 || x.type == element_type::uint16 || x.type == element_type::boolean))
    c.unsupported_type(x.type);
  if (!broadcasts_to(slope.shape, x.shape))
    c.invalid("slope of shape " + shape_string(slope.shape) + " does not broadcast to " + shape_string(x.shape));
  const auto map = broadcast_map(slope.shape, x.shape);
  tensor y = x;
  for (std::size_t i = 0; i < map.size(); ++i) {
    const auto s = static_cast<std::size_t>(map[i]);
    if (x.is_integer()) {
      if (x.ints[i] < 0) {
        y.ints[i] = wrap_to(
            x.type, wrapping(static_cast<std::uint64_t>(x.ints[i]) * static_cast<std::uint64_t>(slope.ints[s])));
      }
    } else if (x.data[i] < 0) {
      y.data[i] = x.data[i] * slope.data[s];
    }
  }
  return {y};
}

/// base^exponent for integers, as ONNX Runtime's int Pow gives it: exact (wrapping to the type) for
/// exponents >= 0; for negative exponents 1/base^-e truncated toward zero.
std::int64_t integer_pow(const op_context& c, std::int64_t base, std::int64_t e, element_type t) {
  if (e < 0) {
    if (base == 0) c.invalid("integer 0 raised to a negative power");
    if (base == 1) return 1;
    if (base == -1) return (e % 2 == 0) ? 1 : -1;
    return 0;
  }
  std::uint64_t r = 1, b = static_cast<std::uint64_t>(base);
  for (auto k = static_cast<std::uint64_t>(e); k; k >>= 1, b *= b) {
    if (k & 1) r *= b;
  }
  return wrap_to(t, wrapping(r));
}

/// Pow with multidirectional broadcasting. Before opset 12 both inputs are the same floating type;
/// from 12 the base is INT32, INT64, FLOAT or DOUBLE and the exponent any numeric type, and the
/// result has the base's type. An integer base with a floating exponent gives pow in float64
/// truncated toward zero (a C cast), refused where that does not fit the type.
std::vector<tensor> op_pow(const op_context& c) {
  const tensor& a = c.input(0);
  const tensor& b = c.input(1);
  if (c.n.opset < 12) {
    if (a.is_integer()) c.unsupported_type(a.type);
    if (b.type != a.type) c.invalid("inputs have different element types before opset 12");
  }
  if (a.is_integer() && a.type != element_type::int32 && a.type != element_type::int64) c.unsupported_type(a.type);
  if (b.type == element_type::boolean) c.unsupported_type(b.type);
  const auto shape = broadcast_shapes(a.shape, b.shape);
  if (!shape) c.invalid("shapes " + shape_string(a.shape) + " and " + shape_string(b.shape) + " do not broadcast");
  const auto ia = broadcast_map(a.shape, *shape), ib = broadcast_map(b.shape, *shape);
  tensor y = tensor::zeros(*shape, a.type);
  for (std::size_t o = 0; o < ia.size(); ++o) {
    const auto i = static_cast<std::size_t>(ia[o]), j = static_cast<std::size_t>(ib[o]);
    if (!a.is_integer()) {
      y.data[o] = std::pow(a.data[i], b.value(j));
    } else if (b.is_integer()) {
      y.ints[o] = integer_pow(c, a.ints[i], b.ints[j], a.type);
    } else {
      const double r = std::trunc(std::pow(static_cast<double>(a.ints[i]), b.data[j]));
      const std::int64_t lo = integer_range(a.type).first;
      if (!(r >= static_cast<double>(lo) && r < -static_cast<double>(lo)))  // INT32, INT64: [lo, hi]
        c.invalid("result " + std::to_string(r) + " does not fit " + element_type_name(a.type));
      y.ints[o] = static_cast<std::int64_t>(r);
    }
  }
  return {y};
}

std::vector<tensor> op_leaky_relu(const op_context& c) {
  const double alpha = c.attr_float("alpha", 0.01);
  return {unary_float(c, [alpha](double v) { return v >= 0 ? v : alpha * v; })};
}

std::vector<tensor> op_hard_sigmoid(const op_context& c) {
  const double alpha = c.attr_float("alpha", 0.2), beta = c.attr_float("beta", 0.5);
  return {unary_float(c, [=](double v) { return std::max(0.0, std::min(1.0, alpha * v + beta)); })};
}

std::vector<tensor> op_hard_swish(const op_context& c) {
  if (c.n.opset < 14) c.fail(run_error_code::unsupported_operator, "HardSwish does not exist before opset 14");
  return {unary_float(c, [](double v) { return v * std::max(0.0, std::min(1.0, v / 6.0 + 0.5)); })};
}

template <double (*F)(double)>
std::vector<tensor> unary(const op_context& c) {
  return {unary_float(c, F)};
}

double exp_(double v) { return std::exp(v); }
double log_(double v) { return std::log(v); }  // -inf at 0, NaN below, as ONNX Runtime's float log
double erf_(double v) { return std::erf(v); }
double sqrt_(double v) { return std::sqrt(v); }

}  // namespace

void add_elementwise_ops(op_table& t) {
  t.emplace("Sum", [](const op_context& c) { return std::vector<tensor>{variadic(c, '+')}; });
  t.emplace("Max", [](const op_context& c) { return std::vector<tensor>{variadic(c, '>')}; });
  t.emplace("Min", [](const op_context& c) { return std::vector<tensor>{variadic(c, '<')}; });
  t.emplace("Neg", op_neg);
  t.emplace("Pow", op_pow);
  t.emplace("PRelu", op_prelu);
  t.emplace("LeakyRelu", op_leaky_relu);
  t.emplace("HardSigmoid", op_hard_sigmoid);
  t.emplace("HardSwish", op_hard_swish);
  t.emplace("Exp", unary<exp_>);
  t.emplace("Log", unary<log_>);
  t.emplace("Erf", unary<erf_>);
  t.emplace("Sqrt", unary<sqrt_>);
}

}  // namespace ciro::zkml::ops
