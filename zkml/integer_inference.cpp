#include "zkml/integer_inference.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "zkml/detail.hpp"
#include "zkml/fixed_point.hpp"
#include "zkml/int_ops.hpp"

namespace ciro::zkml {

double int_value::max_error() const {
  double m = 0;
  for (double e : error) m = std::isnan(e) ? std::numeric_limits<double>::infinity() : std::max(m, e);
  return m;
}

tensor int_value::dequantized() const {
  if (!frac) return t;
  tensor y = tensor::floats(t.shape, std::vector<double>(t.ints.size()));
  for (std::size_t i = 0; i < t.ints.size(); ++i) y.data[i] = fixed::dequantize(t.ints[i], *frac);
  return y;
}

namespace int_ops {

const int_value& int_context::input(std::size_t i) const {
  const int_value* v = optional(i);
  if (!v) invalid("input " + std::to_string(i) + " is required");
  return *v;
}

const int_value& int_context::fixed_input(std::size_t i) const {
  const int_value& v = input(i);
  if (!v.is_fixed()) {
    fail(run_error_code::unsupported_type,
         "input " + std::to_string(i) + " of element type " + element_type_name(v.t.type) + " is not supported");
  }
  return v;
}

tensor int_context::real(std::size_t i) const {
  if (i < original.size() && original[i]) return *original[i];
  const int_value& v = input(i);
  return v.dequantized();
}

tensor int_context::errors(std::size_t i) const {
  const int_value& v = input(i);
  const tensor shape_of = i < original.size() && original[i] ? *original[i] : v.t;
  tensor e = tensor::zeros(shape_of.shape, element_type::float32);
  if (!(i < original.size() && original[i]) && v.is_fixed() && v.error.size() == e.data.size()) e.data = v.error;
  return e;
}

tensor int_context::reference_on_reals(std::size_t output, const node* other) const {
  std::vector<tensor> storage(in.size());
  std::vector<const tensor*> ptrs(in.size(), nullptr);
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (!in[i]) continue;
    storage[i] = real(i);
    ptrs[i] = &storage[i];
  }
  return reference(ptrs, other).at(output);
}

std::vector<tensor> int_context::reference(const std::vector<const tensor*>& inputs, const node* other) const {
  auto r = run_reference_node(other ? *other : n, inputs);
  if (!r) throw run_failure{r.error().code, r.error().message};
  return std::move(r).value();
}

void int_context::check_range(const int_value& v, std::size_t output) const {
  for (std::size_t i = 0; i < v.t.ints.size(); ++i) {
    const std::int64_t q = v.t.ints[i];
    if (q > limit() || q < -limit()) {
      fail(run_error_code::bad_input,
           "output '" + detail::printable(output < n.outputs.size() ? n.outputs[output] : "") + "' reaches " +
               std::to_string(fixed::dequantize(q, *v.frac)) + " at index " + std::to_string(i) +
               ", outside its calibrated range (|q| <= " + std::to_string(limit()) + " at frac " +
               std::to_string(*v.frac) + "): calibrate with inputs like this one");
    }
  }
}

void int_context::check_accumulator(std::int64_t v) const {
  if (v > fixed::field_half || v < -fixed::field_half)
    fail(run_error_code::bad_input, "accumulator " + std::to_string(v) + " exceeds the field's range (p - 1) / 2");
}

tensor as_float(const int_value& v) {
  tensor t = tensor::floats(v.t.shape, std::vector<double>(v.t.ints.size()));
  for (std::size_t i = 0; i < v.t.ints.size(); ++i) t.data[i] = static_cast<double>(v.t.ints[i]);
  return t;
}

std::vector<std::int64_t> as_integers(const int_context& c, const tensor& t) {
  if (t.is_integer()) return t.ints;
  std::vector<std::int64_t> q(t.data.size());
  for (std::size_t i = 0; i < q.size(); ++i) {
    const double v = t.data[i];
    if (!(std::fabs(v) < 0x1p53) || v != std::floor(v)) c.invalid("internal: a non-integer in an exact computation");
    q[i] = static_cast<std::int64_t>(v);
  }
  return q;
}

int_value fixed_tensor(shape_t shape, std::vector<std::int64_t> q, int frac) {
  return int_value{tensor::integers(std::move(shape), std::move(q)), frac, {}};
}

std::int64_t max_abs(const std::vector<std::int64_t>& q) {
  std::int64_t m = 0;
  for (std::int64_t v : q) m = std::max(m, v < 0 ? -v : v);
  return m;
}

int_value rescale(const int_value& v, int to) {
  const int shift = *v.frac - to;
  int_value r = fixed_tensor(v.t.shape, v.t.ints, to);
  if (shift != 0) {
    for (auto& q : r.t.ints) q = fixed::round_shift(q, shift);
  }
  return r;
}

int_value requantize_channels(const int_context& c, const shape_t& shape, const std::vector<std::int64_t>& acc,
                              const std::vector<int>& fracs, std::int64_t inner, int to, std::size_t output) {
  std::vector<std::int64_t> q(acc.size());
  for (std::size_t k = 0; k < acc.size(); ++k) {
    c.check_accumulator(acc[k]);
    const int from = fracs[static_cast<std::size_t>(static_cast<std::int64_t>(k) / inner) % fracs.size()];
    if (from - to > 62) {
      q[k] = 0;  // below half a unit of the output: rounds to zero
    } else if (from - to < -40) {
      if (acc[k] != 0) c.invalid("internal: rescale by 2^" + std::to_string(to - from));
      q[k] = 0;
    } else {
      q[k] = fixed::round_shift(acc[k], from - to);
    }
  }
  int_value v = fixed_tensor(shape, std::move(q), to);
  c.check_range(v, output);
  return v;
}

int_value requantize(const int_context& c, const shape_t& shape, const std::vector<std::int64_t>& acc, int acc_frac,
                     int to, std::size_t output) {
  return requantize_channels(c, shape, acc, {acc_frac}, 1, to, output);
}

void set_error(const int_context& c, int_value& y, const tensor& f, const tensor& sensitivity) {
  if (!c.bounds()) return;
  if (f.size() != y.t.ints.size() || (sensitivity.size() != 0 && sensitivity.size() != f.size()))
    c.invalid("internal: error bound of the wrong size");
  y.error.resize(f.size());
  for (std::size_t i = 0; i < f.size(); ++i) {
    // The float op's own rounding (relative 2^-52 per operation) is covered by the 1e-12 slack.
    const double own = std::fabs(fixed::dequantize(y.t.ints[i], *y.frac) - f.value(i));
    const double s = sensitivity.size() ? sensitivity.value(i) : 0.0;
    y.error[i] = (own + s) * (1 + 1e-12) + 1e-12 * std::fabs(f.value(i));
  }
}

tensor abs_of(const tensor& t) {
  tensor r = t;
  for (auto& v : r.data) v = std::fabs(v);
  return r;
}

quantized_weights quantize_weights(const int_context& c, const std::vector<double>& w, std::size_t channels,
                                   const std::function<std::size_t(std::size_t)>& channel_of,
                                   const std::vector<double>& bias, int input_frac) {
  std::vector<double> max_w(channels, 0), l1(channels, 0), count(channels, 0);
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (!std::isfinite(w[i])) c.invalid("a weight is NaN or infinite");
    const std::size_t ch = channel_of(i);
    max_w[ch] = std::max(max_w[ch], std::fabs(w[i]));
    l1[ch] += std::fabs(w[i]);
    count[ch] += 1;
  }
  const auto wl = static_cast<double>(c.config.weight_limit());
  const auto al = static_cast<double>(c.limit());
  const auto half = static_cast<double>(fixed::field_half);
  quantized_weights r;
  r.frac.resize(channels);
  for (std::size_t ch = 0; ch < channels; ++ch) {
    const double b = ch < bias.size() ? std::fabs(bias[ch]) : 0.0;
    // The largest frac with max|w| 2^f <= weight_limit and (sum|w| 2^f + K/2) A + |b| 2^(f + input_frac)
    // + 1/2 <= field_half: each rounded weight is at most half a unit larger.
    int f = fixed::frac_for(max_w[ch], wl, c.config.min_frac, c.config.max_frac);
    while (f > c.config.min_frac &&
           (std::ldexp(l1[ch], f) + count[ch] / 2) * al + std::ldexp(b, f + input_frac) + 0.5 > half) {
      --f;
    }
    r.frac[ch] = f;
  }
  for (std::size_t ch = 0; ch < channels; ++ch) {
    if (std::ldexp(max_w[ch], r.frac[ch]) > wl + 0.5)
      c.unsupported("the weights of channel " + std::to_string(ch) + " are too large for the fixed-point range");
  }
  r.q.resize(w.size());
  std::vector<double> l1_q(channels, 0);
  for (std::size_t i = 0; i < w.size(); ++i) {
    const std::size_t ch = channel_of(i);
    r.q[i] = fixed::quantize(w[i], r.frac[ch]);
    l1_q[ch] += static_cast<double>(r.q[i] < 0 ? -r.q[i] : r.q[i]);
  }
  for (std::size_t ch = 0; ch < channels; ++ch) {
    if (l1_q[ch] * al > half)
      c.unsupported("the weights of channel " + std::to_string(ch) + " cannot be quantized within the field");
  }
  return r;
}

result<int_value, run_error_code> quantize_constant(const std::string& name, const tensor& t,
                                                   const quantization_config& config) {
  if (t.is_integer()) return int_value{t, std::nullopt, {}};
  double mx = 0;
  for (double x : t.data) mx = std::max(mx, std::fabs(x));
  quantization_config exact_fit = config;
  exact_fit.headroom = 1.0;
  const int f = activation_frac(mx, exact_fit);
  std::vector<std::int64_t> q(t.data.size());
  if (std::ldexp(mx, f) > static_cast<double>(config.activation_limit()) + 0.5)
    return error<run_error_code>{run_error_code::unsupported_attribute,
                                 "constant '" + detail::printable(name) + "' is too large for the fixed-point range"};
  for (std::size_t i = 0; i < q.size(); ++i) q[i] = fixed::quantize(t.data[i], f);
  return fixed_tensor(t.shape, std::move(q), f);
}

std::pair<int, int> product_shifts(const int_context& c, std::int64_t k, int frac_a, int frac_b) {
  auto bound = [&](int s) { return s == 0 ? c.limit() : (c.limit() + (std::int64_t{1} << (s - 1))) >> s; };
  int sa = 0, sb = 0;
  while (static_cast<double>(k) * static_cast<double>(bound(sa)) * static_cast<double>(bound(sb)) >
         static_cast<double>(fixed::field_half)) {
    if (frac_a - sa >= frac_b - sb) {
      ++sa;
    } else {
      ++sb;
    }
  }
  return {sa, sb};
}

namespace {

/// A node whose inputs are all exact integer tensors and whose outputs are all integers runs as the
/// reference runs it (integer arithmetic is exact, wrapped to its type as ONNX Runtime wraps it);
/// empty when an output is floating (DequantizeLinear, Cast to a float), which the op family handles.
std::vector<int_value> exact_node(const int_context& c) {
  std::vector<const tensor*> ins;
  for (const int_value* v : c.in) ins.push_back(v ? &v->t : nullptr);
  auto r = run_reference_node(c.n, ins);
  if (!r) return {};  // the op family gives its own refusal
  std::vector<int_value> out;
  for (auto& t : r.value()) {
    if (!t.is_integer()) return {};
    out.push_back(int_value{std::move(t), std::nullopt, {}});
  }
  return out;
}

const int_op_table& operator_table() {
  static const int_op_table table = [] {
    int_op_table t;
    add_linear_ops(t);
    add_nonlinear_ops(t);
    add_exact_ops(t);
    add_classifier_ops(t);
    return t;
  }();
  return table;
}

}  // namespace

}  // namespace int_ops

const std::vector<std::string>& integer_operators() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [name, fn] : int_ops::operator_table()) v.push_back(name);
    std::sort(v.begin(), v.end());
    return v;
  }();
  return names;
}

bool integer_supports(std::string_view domain, std::string_view op_type) {
  return int_ops::operator_table().count(ops::op_key(domain, op_type)) != 0;
}

result<int_value_map, run_error_code> run_integer(const model& m, const tensor_map& inputs, const calibration& cal,
                                                  const quantization_config& config, int_value_map* all_values) {
  using err = error<run_error_code>;
  using namespace int_ops;
  if (config.activation_bits < 2 || config.activation_bits > 16 || config.weight_bits < 2 || config.weight_bits > 16 ||
      !(config.headroom >= 1)) {
    return err{run_error_code::bad_input, "quantization parameters out of range"};
  }
  if (auto failure = check_model_inputs(m, inputs)) return *failure;
  auto frac_of = [&](const std::string& name) -> std::optional<int> {
    if (auto f = cal.fracs.find(name); f != cal.fracs.end()) return f->second;
    auto it = cal.max_abs.find(name);
    if (it == cal.max_abs.end()) return std::nullopt;
    return activation_frac(it->second, config);
  };
  int_value_map values;
  std::map<std::string, const tensor*> originals;
  // Graph inputs: floating ones quantized at their calibrated frac, integer ones exact.
  for (const auto& v : m.inputs) {
    const tensor& x = inputs.at(v.name);
    originals[v.name] = &x;
    if (x.is_integer()) {
      values[v.name] = int_value{x, std::nullopt, {}};
      continue;
    }
    const auto f = frac_of(v.name);
    if (!f) return err{run_error_code::bad_input, "input '" + detail::printable(v.name) + "' is not calibrated"};
    std::vector<std::int64_t> q(x.data.size());
    std::vector<double> e(q.size());
    for (std::size_t i = 0; i < q.size(); ++i) {
      q[i] = fixed::quantize(x.data[i], *f);
      if (q[i] > config.activation_limit() || q[i] < -config.activation_limit()) {
        return err{run_error_code::bad_input, "input '" + detail::printable(v.name) + "' value " +
                                                  std::to_string(x.data[i]) + " at index " + std::to_string(i) +
                                                  " is outside its calibrated range"};
      }
      e[i] = std::fabs(fixed::dequantize(q[i], *f) - x.data[i]);
    }
    values[v.name] = fixed_tensor(x.shape, std::move(q), *f);
    if (config.error_bounds) values[v.name].error = std::move(e);
  }
  // Initializers: integer ones exact; floating ones quantized at activation precision when a node
  // reads them as an ordinary operand (ops that treat them as weights quantize them themselves).
  int_value_map constants;
  for (const auto& [name, t] : m.initializers) {
    if (values.count(name)) continue;
    originals[name] = &t;
    auto q = quantize_constant(name, t, config);
    if (!q) return q.error();
    constants[name] = std::move(q.value());
  }
  try {
    for (const node& n : m.nodes) {
      const auto& table = operator_table();
      const auto fn = table.find(ops::op_key(n.domain, n.op_type));
      if (fn == table.end())
        throw run_failure{run_error_code::unsupported_operator, n.label() + ": not supported by the integer inference"};
      int_context c{n, {}, {}, {}, config, {}};
      bool all_exact = true;
      for (const auto& name : n.inputs) {
        const int_value* v = nullptr;
        const tensor* orig = nullptr;
        if (!name.empty()) {
          if (auto it = values.find(name); it != values.end()) {
            v = &it->second;
          } else if (auto k = constants.find(name); k != constants.end()) {
            v = &k->second;
          } else {
            c.invalid("input '" + detail::printable(name) + "' is not defined");
          }
          if (auto o = originals.find(name); o != originals.end()) orig = o->second;
        }
        c.in.push_back(v);
        c.original.push_back(orig);
        c.from_input.push_back(!name.empty() && values.count(name) && !constants.count(name) &&
                               std::any_of(m.inputs.begin(), m.inputs.end(),
                                           [&](const value_info& v) { return v.name == name; }));
        all_exact = all_exact && (!v || !v->is_fixed());
      }
      for (const auto& out : n.outputs) c.out_frac_hint.push_back(frac_of(out).value_or(0));
      std::vector<int_value> outs = all_exact ? exact_node(c) : std::vector<int_value>{};
      if (outs.empty()) outs = fn->second(c);
      // An integer result of a computed fixed-point input may differ from the reference's, and so may
      // everything computed from an inexact input.
      bool inexact = false, computed_fixed = false;
      for (std::size_t i = 0; i < c.in.size(); ++i) {
        if (!c.in[i]) continue;
        inexact = inexact || c.in[i]->inexact;
        computed_fixed = computed_fixed || (c.in[i]->is_fixed() && !c.original[i]);
      }
      for (auto& o : outs) {
        if (o.is_fixed() && inexact) {
          for (auto& e : o.error) e = std::numeric_limits<double>::infinity();
        } else if (!o.is_fixed()) {
          o.inexact = o.inexact || inexact || (computed_fixed && n.op_type != "Shape");
        }
      }
      if (outs.size() < n.outputs.size())
        c.invalid("has " + std::to_string(outs.size()) + " outputs, not " + std::to_string(n.outputs.size()));
      for (std::size_t i = 0; i < n.outputs.size(); ++i) {
        if (!n.outputs[i].empty()) values[n.outputs[i]] = std::move(outs[i]);
      }
    }
  } catch (const run_failure& f) {
    return err{f.code, f.message};
  }
  int_value_map out;
  for (const auto& v : m.outputs) {
    auto it = values.find(v.name);
    if (it == values.end()) {
      auto k = constants.find(v.name);
      if (k == constants.end())
        return err{run_error_code::invalid_node, "output '" + detail::printable(v.name) + "' was not computed"};
      int_value c = k->second;
      if (c.is_fixed() && config.error_bounds) {  // a constant output: its quantization is its error
        const tensor& exact = m.initializers.at(v.name);
        c.error.resize(exact.data.size());
        for (std::size_t i = 0; i < exact.data.size(); ++i)
          c.error[i] = std::fabs(fixed::dequantize(c.t.ints[i], *c.frac) - exact.data[i]);
      }
      out[v.name] = std::move(c);
      continue;
    }
    out[v.name] = it->second;
  }
  if (all_values) *all_values = std::move(values);
  return out;
}

}  // namespace ciro::zkml
