// The integer inference's non-linear operators. Every element-wise function (Sigmoid, Tanh, Exp,
// Erf, Log, Sqrt, HardSigmoid, HardSwish, LeakyRelu, Pow with a constant exponent) is a table over the
// 2^activation_bits possible inputs: T[q] = round(f(q 2^-f_in) 2^f_out), which the proof looks
// up. Softmax and LogSoftmax use an exp table over the halved differences to the row's maximum, a
// sum rescaled into the activation range, and a rounded division (Softmax) or a log table over that
// sum (LogSoftmax).

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "zkml/fixed_point.hpp"
#include "zkml/int_ops.hpp"

namespace ciro::zkml::int_ops {

namespace {

/// A real function of one variable as a table, with what bounds its sensitivity: it is monotone
/// between consecutive `critical` points (its extrema and kinks), so that the largest change over
/// [x - E, x + E] is reached at an end of the interval or at a critical point inside it.
struct unary_function {
  std::function<double(double)> f;
  std::vector<double> critical;
};

/// The largest |f(t) - f(x)| for t in [x - e, x + e].
double sensitivity(const unary_function& u, double x, double e) {
  const double fx = u.f(x);
  double d = std::max(std::fabs(u.f(x - e) - fx), std::fabs(u.f(x + e) - fx));
  for (double c : u.critical) {
    if (c > x - e && c < x + e) d = std::max(d, std::fabs(u.f(c) - fx));
  }
  return std::isfinite(d) ? d : std::numeric_limits<double>::infinity();
}

/// Applies the table of u to every element: y = round(f(q 2^-f_in) 2^f_out). Error bound: the
/// table's rounding against f on the input's reals, plus f's variation over [x^ - e, x^ + e].
std::vector<int_value> table_op(const int_context& c, const unary_function& u) {
  const int_value& x = c.fixed_input(0);
  const int fo = c.out_frac();
  std::vector<std::int64_t> q(x.t.ints.size());
  for (std::size_t i = 0; i < q.size(); ++i) {
    const double xv = fixed::dequantize(x.t.ints[i], *x.frac);
    const double y = u.f(xv);
    if (!std::isfinite(y) || std::fabs(std::ldexp(y, fo)) > static_cast<double>(fixed::field_half)) {
      c.fail(run_error_code::bad_input, "input " + std::to_string(xv) + " at index " + std::to_string(i) +
                                            " is outside the function's table (its value " + std::to_string(y) +
                                            " is not representable at frac " + std::to_string(fo) + ")");
    }
    q[i] = fixed::quantize(y, fo);
  }
  int_value v = fixed_tensor(x.t.shape, std::move(q), fo);
  c.check_range(v);
  if (c.bounds()) {
    const tensor r = c.real(0), e = c.errors(0);
    tensor f = r, sens = e;
    for (std::size_t i = 0; i < f.data.size(); ++i) {
      f.data[i] = u.f(r.data[i]);
      sens.data[i] = sensitivity(u, r.data[i], e.data[i]);
    }
    set_error(c, v, f, sens);
  }
  return {v};
}

double attr_float(const int_context& c, const char* name, double fallback) {
  const attribute* a = c.n.find(name);
  return a && a->type == attribute::kind::float_ ? a->f : fallback;
}

unary_function leaky_relu(const int_context& c) {
  const double alpha = attr_float(c, "alpha", 0.01);
  return {[alpha](double v) { return v >= 0 ? v : alpha * v; }, {0.0}};
}

unary_function hard_sigmoid(const int_context& c) {
  const double alpha = attr_float(c, "alpha", 0.2), beta = attr_float(c, "beta", 0.5);
  return {[alpha, beta](double v) { return std::max(0.0, std::min(1.0, alpha * v + beta)); }, {}};
}

unary_function hard_swish() {
  // x max(0, min(1, x / 6 + 1/2)): kinks at -3 and 3, minimum at -3/2.
  return {[](double v) { return v * std::max(0.0, std::min(1.0, v / 6.0 + 0.5)); }, {-3.0, -1.5, 3.0}};
}

/// Pow with a constant scalar exponent: x^p (refused where the table would need x^p of a negative x
/// with a non-integer p).
unary_function power(const int_context& c) {
  const tensor* p = c.constant(1);
  if (!p && c.original.size() > 1) p = c.original[1];
  if (!p || p->size() != 1) c.unsupported("only a constant scalar exponent is supported by the integer inference");
  const double e = p->value(0);
  return {[e](double v) { return std::pow(v, e); }, {0.0}};
}

/// Softmax (log == false) or LogSoftmax.
std::vector<int_value> op_softmax(const int_context& c, bool log) {
  const int_value& x = c.fixed_input(0);
  const int fi = *x.frac, fo = c.out_frac();
  const softmax_rows r = softmax_rows_of(c.n, x.t.shape);
  std::vector<std::int64_t> q(x.t.ints.size());
  const auto plan = plan_softmax(r.count, fo, c.config);
  if (!plan) c.unsupported(std::string(log ? "LogSoftmax" : "Softmax") + " over too many elements");
  std::vector<std::int64_t> row(static_cast<std::size_t>(r.count));
  for (std::int64_t o = 0; o < r.outer; ++o) {
    for (std::int64_t k = 0; k < r.inner; ++k) {
      for (std::int64_t j = 0; j < r.count; ++j) row[static_cast<std::size_t>(j)] = x.t.ints[static_cast<std::size_t>(r.at(o, j, k))];
      const std::vector<std::int64_t> y = log ? log_softmax_row(c, row, fi, fo, *plan) : softmax_row(c, row, fi, *plan);
      for (std::int64_t j = 0; j < r.count; ++j) q[static_cast<std::size_t>(r.at(o, j, k))] = y[static_cast<std::size_t>(j)];
    }
  }
  int_value v = fixed_tensor(x.t.shape, std::move(q), fo);
  c.check_range(v);
  if (c.bounds()) {
    // Inputs within e of the reference change each exponent x_j - x_i by at most e_i + E_row: a
    // probability by a factor within e^(+-(e_i + E_row)), a log-probability by at most that.
    const tensor f = c.reference_on_reals();
    tensor sens = c.errors(0);
    const tensor e = sens;
    for (std::int64_t o = 0; o < r.outer; ++o) {
      for (std::int64_t k = 0; k < r.inner; ++k) {
        double row_error = 0;
        for (std::int64_t j = 0; j < r.count; ++j) row_error = std::max(row_error, e.data[static_cast<std::size_t>(r.at(o, j, k))]);
        for (std::int64_t j = 0; j < r.count; ++j) {
          const auto at = static_cast<std::size_t>(r.at(o, j, k));
          sens.data[at] = log ? e.data[at] + row_error : std::fabs(f.data[at]) * std::expm1(e.data[at] + row_error);
        }
      }
    }
    set_error(c, v, f, sens);
  }
  return {v};
}

}  // namespace

softmax_rows softmax_rows_of(const node& n, const shape_t& shape) {
  const auto rank = static_cast<std::int64_t>(shape.size());
  const attribute* a = n.find("axis");
  std::int64_t axis = a ? a->i : (n.opset < 13 ? 1 : -1);
  if (axis < -rank || axis >= std::max<std::int64_t>(rank, 1))
    throw run_failure{run_error_code::invalid_node, n.label() + ": axis out of range"};
  if (axis < 0) axis += rank;
  const auto ax = static_cast<std::size_t>(axis);
  softmax_rows r;
  r.outer = ops::product(shape, 0, ax);
  if (n.opset < 13) {
    r.count = ops::product(shape, ax, shape.size());
  } else {
    r.count = shape.empty() ? 1 : shape[ax];
    r.inner = ops::product(shape, ax + 1, shape.size());
  }
  return r;
}

namespace {

/// Softmax's first steps on one row: the maximum m, e_j = T_exp[round_shift(q_j - m, 1)] and the
/// rescaled sum s = round_shift(sum_j e_j, sum_shift) (s >= 1: the maximum's own term is 2^exp_frac).
struct softmax_sum {
  std::int64_t max = 0, sum = 0;
  std::vector<std::int64_t> e;
};

softmax_sum sum_of_exponentials(const int_context& c, const std::vector<std::int64_t>& row, int in_frac,
                                const softmax_plan& plan) {
  softmax_sum out;
  out.max = *std::max_element(row.begin(), row.end());
  const std::int64_t exp_one = std::int64_t{1} << plan.exp_frac;
  out.e.resize(row.size());
  std::int64_t sum = 0;
  for (std::size_t j = 0; j < row.size(); ++j) {
    const std::int64_t h = fixed::round_shift(row[j] - out.max, 1);
    out.e[j] = std::min(exp_one, fixed::quantize(std::exp(fixed::dequantize(h, in_frac - 1)), plan.exp_frac));
    sum += out.e[j];
  }
  c.check_accumulator(sum);
  out.sum = fixed::round_shift(sum, plan.sum_shift);
  return out;
}

}  // namespace

std::vector<std::int64_t> softmax_row(const int_context& c, const std::vector<std::int64_t>& row, int in_frac,
                                      const softmax_plan& plan) {
  softmax_sum s = sum_of_exponentials(c, row, in_frac, plan);
  std::vector<std::int64_t>& e = s.e;
  for (std::size_t j = 0; j < row.size(); ++j)
    e[j] = fixed::div_round(fixed::round_shift(e[j], plan.e_down) << plan.shift, s.sum) << plan.up;
  return e;
}

std::vector<std::int64_t> log_softmax_row(const int_context& c, const std::vector<std::int64_t>& row, int in_frac,
                                          int out_frac, const softmax_plan& plan) {
  const softmax_sum s = sum_of_exponentials(c, row, in_frac, plan);
  // In [0, log(row size)]: the sum is at least the maximum's own term, 1.
  const double log_sum = std::log(fixed::dequantize(s.sum, plan.exp_frac - plan.sum_shift));
  const std::int64_t log_q = fixed::quantize(log_sum, out_frac);
  if (log_q > c.limit())
    c.unsupported("LogSoftmax's log of the row's sum is outside the activation range at frac " + std::to_string(out_frac));
  std::vector<std::int64_t> y(row.size());
  for (std::size_t j = 0; j < row.size(); ++j) {
    const std::int64_t d = row[j] - s.max;
    y[j] = (in_frac >= out_frac ? fixed::round_shift(d, in_frac - out_frac) : d * (std::int64_t{1} << (out_frac - in_frac))) - log_q;
  }
  return y;
}

std::optional<softmax_plan> plan_softmax(std::int64_t count, int out_frac, const quantization_config& config) {
  softmax_plan p;
  const std::int64_t d_max = divisor_limit(config.activation_limit());
  p.exp_frac = config.activation_bits - 2;
  const std::int64_t e_max = std::int64_t{1} << p.exp_frac;
  if (count < 1 || static_cast<double>(count) * static_cast<double>(e_max) > static_cast<double>(fixed::field_half) / 2)
    return std::nullopt;
  while (fixed::round_shift(count * e_max, p.sum_shift) > d_max) ++p.sum_shift;
  if (p.sum_shift > p.exp_frac) return std::nullopt;
  // e / s is at frac sum_shift: the numerator shifts by out_frac - sum_shift.
  const int s = out_frac - p.sum_shift, s_max = division_shift_limit(config.activation_limit());
  p.e_down = std::max(0, -s);
  p.shift = std::clamp(s, 0, s_max);
  p.up = std::max(0, s - s_max);
  return p;
}

namespace {

double sigmoid(double v) { return v >= 0 ? 1.0 / (1.0 + std::exp(-v)) : std::exp(v) / (1.0 + std::exp(v)); }

/// The element-wise functions that are tables, by op type.
const std::map<std::string, std::function<unary_function(const int_context&)>>& table_functions() {
  static const std::map<std::string, std::function<unary_function(const int_context&)>> fns = {
      {"Sigmoid", [](const int_context&) { return unary_function{sigmoid, {}}; }},
      {"Tanh", [](const int_context&) { return unary_function{[](double v) { return std::tanh(v); }, {}}; }},
      {"Exp", [](const int_context&) { return unary_function{[](double v) { return std::exp(v); }, {}}; }},
      {"Erf", [](const int_context&) { return unary_function{[](double v) { return std::erf(v); }, {}}; }},
      // Log's table is refused where an input is not positive (log is not finite there).
      {"Log", [](const int_context&) { return unary_function{[](double v) { return std::log(v); }, {}}; }},
      // Sqrt's table holds sqrt(max(x, 0)): an input rounded below zero reads 0.
      {"Sqrt",
       [](const int_context&) { return unary_function{[](double v) { return std::sqrt(std::max(v, 0.0)); }, {}}; }},
      {"HardSigmoid", hard_sigmoid},
      {"HardSwish", [](const int_context&) { return hard_swish(); }},
      {"LeakyRelu", leaky_relu},
      {"Pow", power},
  };
  return fns;
}

}  // namespace

std::optional<std::function<double(double)>> table_function(const int_context& c) {
  const auto it = table_functions().find(c.n.op_type);
  if (!c.n.domain.empty() || it == table_functions().end()) return std::nullopt;
  return it->second(c).f;
}

void add_nonlinear_ops(int_op_table& t) {
  for (const auto& [name, fn] : table_functions()) {
    t.emplace(name, [make = fn](const int_context& c) { return table_op(c, make(c)); });
  }
  t.emplace("Softmax", [](const int_context& c) { return op_softmax(c, false); });
  t.emplace("LogSoftmax", [](const int_context& c) { return op_softmax(c, true); });
}

}  // namespace ciro::zkml::int_ops
