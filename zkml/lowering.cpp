// The lowering of the integer inference to affine, select and function steps (zkml/lowering.hpp).
// Each op is written as the steps that compute exactly what zkml/int_ops_*.cpp computes, with the
// same quantized weights (quantize_weights on the same context), the same rescalings and the same
// tables; lower() then evaluates the program on the run it was given and compares every tensor.

#include "zkml/lowering.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <set>

#include "zkml/detail.hpp"
#include "zkml/fixed_point.hpp"
#include "zkml/int_ops.hpp"
#include "zkml/reference.hpp"

namespace ciro::zkml {

namespace {

using int_ops::int_context;
using ops::run_failure;

/// (mul, add, div) of a rounding shift by `shift` (fixed::round_shift): ties up for shift > 0, a
/// multiplication by 2^-shift otherwise.
struct rescaling {
  std::int64_t mul = 1, add = 0, div = 1;
};

class lowerer {
 public:
  lowerer(const model& m, const int_value_map& run, const quantization_config& config)
      : m_(m), run_(run), config_(config) {
    p_.limit = config.activation_limit();
  }

  program lower() {
    for (const auto& v : m_.inputs) {
      const int_value& x = run_.at(v.name);
      if (!x.is_fixed()) {
        throw run_failure{run_error_code::unsupported_attribute,
                          "input '" + detail::printable(v.name) + "' is an integer tensor: integer inputs are not proven yet"};
      }
      program_tensor t{v.name, x.t.shape, *x.frac, fresh(x.t.ints.size())};
      p_.tensors[v.name] = t.addresses;
      p_.inputs.push_back(std::move(t));
    }
    for (const auto& [name, t] : m_.initializers) {
      if (p_.tensors.count(name)) continue;
      originals_[name] = &t;
      auto q = int_ops::quantize_constant(name, t, config_);
      if (!q) throw run_failure{q.error().code, q.error().message};
      constants_[name] = std::move(q.value());
    }
    for (const auto& v : m_.inputs) originals_[v.name] = nullptr;  // inputs are not constants here
    for (const node& n : m_.nodes) lower_node(n);
    for (const auto& v : m_.outputs) {
      const auto it = p_.tensors.find(v.name);
      const auto r = run_.find(v.name);
      const bool integer = integer_tensors_.count(v.name) != 0;
      if (it == p_.tensors.end() || r == run_.end() || (!r->second.is_fixed() && !integer)) {
        throw run_failure{run_error_code::unsupported_operator,
                          "output '" + detail::printable(v.name) +
                              "' is not computed from the input by the program (an integer output other than a "
                              "classifier's label is not proven yet)"};
      }
      p_.outputs.push_back({v.name, r->second.t.shape, integer ? 0 : *r->second.frac, it->second, integer});
    }
    for (auto& e : p_.tree_nodes) e.weights.resize(p_.tree_classes, 0);
    return std::move(p_);
  }

 private:
  const model& m_;
  const int_value_map& run_;
  const quantization_config& config_;
  program p_;
  std::map<std::string, const tensor*> originals_;
  int_value_map constants_;
  /// Exact (integer) tensors whose values depend on the input: they may not steer wiring.
  std::set<std::string> input_dependent_;
  /// The comparison table's id, once added.
  std::optional<std::uint32_t> comparison_id_;
  /// Integer tensors the program computes (labels).
  std::set<std::string> integer_tensors_;

  /// The bound every value is range-checked to (the activation limit, or less after a rescaling).
  std::vector<std::int64_t> bound_;

  std::vector<address> fresh(std::size_t n) {
    if (static_cast<std::uint64_t>(p_.num_values) + n >= (std::uint64_t{1} << 30))
      throw run_failure{run_error_code::unsupported_attribute, "the model has too many values to prove"};
    std::vector<address> a(n);
    for (auto& x : a) x = p_.num_values++;
    bound_.resize(p_.num_values, p_.limit);
    return a;
  }

  [[noreturn]] static void refuse(const node& n, run_error_code code, const std::string& why) {
    throw run_failure{code, n.label() + ": " + why};
  }

  const std::vector<address>& addresses(const node& n, const std::string& name) const {
    const auto it = p_.tensors.find(name);
    if (it == p_.tensors.end())
      refuse(n, run_error_code::unsupported_attribute,
             "input '" + detail::printable(name) + "' is not a fixed-point value of the program");
    return it->second;
  }

  static rescaling rescale_by(const node& n, int shift) {
    if (shift > 32) refuse(n, run_error_code::unsupported_attribute, "a rescaling by 2^-" + std::to_string(shift));
    if (shift < -30) refuse(n, run_error_code::unsupported_attribute, "a rescaling by 2^" + std::to_string(-shift));
    if (shift > 0) return {1, std::int64_t{1} << (shift - 1), std::int64_t{1} << shift};
    return {std::int64_t{1} << -shift, 0, 1};
  }

  /// The bound of a rounded value y = floor(N / div): the activation limit, or (p - 1) / 2 / div
  /// when smaller. With |N| + 2 div <= (p - 1) / 2 (checked for every step), the true y is within
  /// it, and every y' div + r' with |y'| <= bound, 0 <= r' < div differs from N by less than p, so
  /// only the true (y, r) satisfies the step's equation modulo p.
  std::int64_t bound_for(std::int64_t div) const { return std::min<std::int64_t>(p_.limit, fixed::field_half / div); }

  /// Refuses a step whose numerator N = mul s + add could reach (p - 1) / 2 - 2 div, s the sum
  /// bounded by `reach`.
  static void check_numerator(const node& n, double reach, rescaling r) {
    const double numerator = static_cast<double>(r.mul) * reach + static_cast<double>(r.add) + 2.0 * static_cast<double>(r.div);
    if (numerator > static_cast<double>(fixed::field_half))
      refuse(n, run_error_code::unsupported_attribute, "an accumulator could leave the field");
  }

  static void check_divisor(const node& n, std::int64_t div) {
    constexpr std::int64_t r16 = std::int64_t{1} << 16;
    if (!(div <= r16 || (div % r16 == 0 && div / r16 <= r16)))
      refuse(n, run_error_code::unsupported_attribute, "a divisor of " + std::to_string(div) + " is not checkable");
  }

  /// Adds the affine step y = floor((r.mul (bias + sum w x) + r.add) / r.div) writing `out`, with
  /// |y| <= min(limit, bound) (and the divisor's bound, bound_for). Refuses terms whose sum could
  /// leave (p - 1) / 2 for values within their bounds.
  void affine(const node& n, const std::vector<std::pair<address, std::int64_t>>& terms, std::int64_t bias,
              rescaling r, address out, std::int64_t bound = std::numeric_limits<std::int64_t>::max()) {
    check_divisor(n, r.div);
    // A multiplication by 2^t without rounding goes into the weights, so that the sum bounds it.
    const std::int64_t scale = r.div == 1 ? r.mul : 1;
    if (scale != 1) r.mul = 1;
    double reach = std::fabs(static_cast<double>(bias) * static_cast<double>(scale));
    for (const auto& [a, w] : terms)
      reach += std::fabs(static_cast<double>(w) * static_cast<double>(scale)) * static_cast<double>(bound_[a]);
    check_numerator(n, reach, r);
    affine_step s;
    s.first_term = static_cast<std::uint32_t>(p_.term_address.size());
    s.num_terms = static_cast<std::uint32_t>(terms.size());
    for (const auto& [a, w] : terms) {
      p_.term_address.push_back(a);
      p_.term_weight.push_back(w * scale);
    }
    bias *= scale;
    s.bias = bias;
    s.mul = r.mul;
    s.add = r.add;
    s.div = r.div;
    s.bound = std::min(bound_for(r.div), bound);
    s.out = out;
    bound_[out] = s.bound;
    p_.order.emplace_back(program::step_kind::affine, static_cast<std::uint32_t>(p_.affine.size()));
    p_.affine.push_back(s);
  }

  /// Adds the dot step y = floor((r.mul sum a b + r.add) / r.div) writing `out`.
  void dot(const node& n, const std::vector<std::pair<address, address>>& pairs, rescaling r, address out,
           std::int64_t bound = std::numeric_limits<std::int64_t>::max()) {
    check_divisor(n, r.div);
    double reach = 0;
    for (const auto& [a, b] : pairs) reach += static_cast<double>(bound_[a]) * static_cast<double>(bound_[b]);
    check_numerator(n, reach, r);
    dot_step s;
    s.first_pair = static_cast<std::uint32_t>(p_.pair_a.size());
    s.num_pairs = static_cast<std::uint32_t>(pairs.size());
    for (const auto& [a, b] : pairs) {
      p_.pair_a.push_back(a);
      p_.pair_b.push_back(b);
    }
    s.mul = r.mul;
    s.add = r.add;
    s.div = r.div;
    s.bound = std::min(bound_for(r.div), bound);
    s.out = out;
    bound_[out] = s.bound;
    p_.order.emplace_back(program::step_kind::dot, static_cast<std::uint32_t>(p_.dot.size()));
    p_.dot.push_back(s);
  }

  /// `in` rescaled from frac `from` to `to` (fixed::round_shift): the same addresses when equal. A
  /// rescaling down by s bounds the values by round_shift(limit, s).
  std::vector<address> rescaled(const node& n, const std::vector<address>& in, int from, int to) {
    if (from == to) return in;
    const rescaling r = rescale_by(n, from - to);
    const std::int64_t bound = from > to ? fixed::round_shift(p_.limit, from - to) : p_.limit;
    std::vector<address> out = fresh(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) affine(n, {{in[i], 1}}, 0, r, out[i], bound);
    return out;
  }

  void select(address a, std::optional<address> b, std::int64_t b_const, bool is_max, address out) {
    select_step s{a, b.value_or(0), b.has_value(), is_max, b ? 0 : b_const, out};
    p_.order.emplace_back(program::step_kind::select, static_cast<std::uint32_t>(p_.select.size()));
    p_.select.push_back(s);
  }

  /// Adds the divide step y = div_round(a 2^shift, d) writing `out`, d <= divisor_limit (its
  /// value's bound), |y| <= limit. Refuses a numerator that could break the check's exactness.
  void divide(const node& n, address a, address d, int shift, address out) {
    divide_step s{a, d, shift, int_ops::divisor_limit(p_.limit), p_.limit, out};
    if (bound_[d] > s.d_max) refuse(n, run_error_code::unsupported_attribute, "internal: an unbounded divisor");
    const double reach = std::ldexp(static_cast<double>(bound_[a]), shift + 1) + 3.0 * static_cast<double>(s.d_max) +
                         2.0 * static_cast<double>(s.d_max) * static_cast<double>(s.bound);
    if (shift > 30 || reach > static_cast<double>(fixed::field_modulus - 1))
      refuse(n, run_error_code::unsupported_attribute, "a division whose check could leave the field");
    bound_[out] = s.bound;
    p_.order.emplace_back(program::step_kind::divide, static_cast<std::uint32_t>(p_.divide.size()));
    p_.divide.push_back(s);
  }

  int_context context(const node& n) const {
    int_context c{n, {}, {}, {}, config_, {}};
    for (const auto& name : n.inputs) {
      const int_value* v = nullptr;
      const tensor* orig = nullptr;
      if (!name.empty()) {
        if (auto it = run_.find(name); it != run_.end()) {
          v = &it->second;
        } else if (auto k = constants_.find(name); k != constants_.end()) {
          v = &k->second;
        }
        if (auto o = originals_.find(name); o != originals_.end()) orig = o->second;
      }
      c.in.push_back(v);
      c.original.push_back(orig);
    }
    for (const auto& out : n.outputs) {
      const auto it = run_.find(out);
      c.out_frac_hint.push_back(it != run_.end() && it->second.is_fixed() ? *it->second.frac : 0);
    }
    return c;
  }

  const int_value& value(const node& n, const std::string& name) const {
    const auto it = run_.find(name);
    if (it == run_.end()) refuse(n, run_error_code::invalid_node, "'" + detail::printable(name) + "' was not computed");
    return it->second;
  }

  /// A weight operand: a floating initializer (never a tensor computed from the input, whose
  /// values would change the circuit).
  const tensor* weight(const node& n, std::size_t i,
                       const std::string& why = "products of two activations are not proven yet") const {
    if (i >= n.inputs.size() || n.inputs[i].empty()) return nullptr;
    const auto it = m_.initializers.find(n.inputs[i]);
    if (it == m_.initializers.end() || it->second.is_integer() || p_.tensors.count(n.inputs[i]))
      refuse(n, run_error_code::unsupported_attribute, "input " + std::to_string(i) + " must be a constant: " + why);
    return &it->second;
  }

  void define(const node& n, std::size_t output, std::vector<address> a) {
    const int_value& v = value(n, n.outputs.at(output));
    if (!v.is_fixed() || a.size() != v.t.ints.size())
      refuse(n, run_error_code::invalid_node, "internal: output " + std::to_string(output) + " does not match the run");
    p_.tensors[n.outputs[output]] = std::move(a);
  }

  /// An integer output (a classifier's labels): its addresses, listed among the integer tensors.
  void define_integer(const node& n, std::size_t output, std::vector<address> a) {
    const int_value& v = value(n, n.outputs.at(output));
    if (v.is_fixed() || a.size() != v.t.ints.size())
      refuse(n, run_error_code::invalid_node, "internal: output " + std::to_string(output) + " does not match the run");
    p_.tensors[n.outputs[output]] = std::move(a);
    integer_tensors_.insert(n.outputs[output]);
  }

  void lower_node(const node& n) {
    for (const auto& name : n.inputs) {
      if (integer_tensors_.count(name)) {
        refuse(n, run_error_code::unsupported_attribute,
               "reads '" + detail::printable(name) + "', an index or label computed from the input: not proven yet");
      }
    }
    if (n.domain.empty() && n.op_type == "ArgMax" && !n.inputs.empty() && p_.tensors.count(n.inputs[0])) return argmax(n);
    // Nodes on exact tensors only: evaluated when the circuit is built, nothing to prove, unless
    // their values depend on the input.
    bool any_fixed = false, any_dependent = false;
    for (const auto& name : n.inputs) {
      if (name.empty()) continue;
      any_fixed = any_fixed || p_.tensors.count(name) != 0;
      any_dependent = any_dependent || input_dependent_.count(name) != 0;
    }
    bool fixed_out = false;
    for (const auto& o : n.outputs) {
      const auto it = run_.find(o);
      fixed_out = fixed_out || (it != run_.end() && it->second.is_fixed());
    }
    if (!fixed_out) {
      if (any_dependent || (any_fixed && n.op_type != "Shape")) {
        for (const auto& o : n.outputs) input_dependent_.insert(o);
      }
      return;
    }
    if (n.domain == "ai.onnx.ml" && (n.op_type == "LinearClassifier" || n.op_type == "TreeEnsembleClassifier"))
      return classifier(n);
    if (n.domain == "ai.onnx.ml" && n.op_type == "TreeEnsembleRegressor") return tree_regressor(n);
    if (n.domain == "ai.onnx.ml" && (n.op_type == "Scaler" || n.op_type == "LinearRegressor")) return ml_linear(n);
    if (!n.domain.empty())
      refuse(n, run_error_code::unsupported_operator, "not proven yet (the " + n.domain + " domain)");
    const std::string& op = n.op_type;
    if (op == "Gemm") return gemm(n);
    if (op == "MatMul") return matmul(n);
    if (op == "Mul" || op == "Div") return mul_div(n);
    if (op == "Conv") return conv(n);
    if (op == "BatchNormalization") return batch_normalization(n);
    if (op == "Add" || op == "Sub" || op == "Sum") return sum(n);
    if (op == "Relu") return relu(n);
    if (op == "Neg") return negate(n);
    if (op == "PRelu") return prelu(n);
    if (op == "Clip") return clip(n);
    if (op == "ReduceMean" || op == "ReduceSum" || op == "ReduceMax") return reduce(n);
    if (op == "MaxPool") return max_pool(n);
    if (op == "Softmax" || op == "LogSoftmax") return softmax(n, op == "LogSoftmax");
    if (op == "Max" || op == "Min") return max_min(n);
    if (op == "AveragePool") return average_pool(n);
    if (op == "GlobalAveragePool") return global_average_pool(n);
    if (op == "Pad") return pad(n);
    if (is_wiring(op)) return wiring(n);
    if (auto f = int_ops::table_function(context(n))) return table(n, *f);
    refuse(n, run_error_code::unsupported_operator, "not proven yet");
  }

  static bool is_wiring(const std::string& op) {
    static const std::set<std::string> ops = {"Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Slice",
                                              "Gather",  "Concat",  "Identity",  "Dropout"};
    return ops.count(op) != 0;
  }

  /// Gemm with a constant B (int_ops op_gemm): per output element, sum_k A[i,k] B[k,j] + C at
  /// the column's accumulator frac, rounded to the output's.
  void gemm(const node& n) {
    const int_context c = context(n);
    const double alpha = n.find("alpha") ? n.find("alpha")->f : 1.0;
    const double beta = n.find("beta") ? n.find("beta")->f : 1.0;
    const bool trans_a = n.find("transA") && n.find("transA")->i != 0;
    const bool trans_b = n.find("transB") && n.find("transB")->i != 0;
    const int_value& a = value(n, n.inputs.at(0));
    const std::vector<address>& xa = addresses(n, n.inputs[0]);
    const tensor* b = weight(n, 1);
    if (a.t.shape.size() != 2 || b->shape.size() != 2) refuse(n, run_error_code::invalid_node, "A and B must be 2-D");
    const std::int64_t m = trans_a ? a.t.shape[1] : a.t.shape[0];
    const std::int64_t k = trans_a ? a.t.shape[0] : a.t.shape[1];
    const std::int64_t nn = trans_b ? b->shape[0] : b->shape[1];
    const auto un = static_cast<std::size_t>(nn), uk = static_cast<std::size_t>(k);
    std::vector<double> w(b->data.size());
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = alpha * b->data[i];
    const std::function<std::size_t(std::size_t)> channel_of = [&](std::size_t i) { return trans_b ? i / uk : i % un; };
    std::vector<double> bias(static_cast<std::size_t>(m * nn), 0.0), per_column(un, 0.0);
    if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
      const tensor* ct = weight(n, 2);
      const shape_t out{m, nn};
      if (!broadcasts_to(ct->shape, out)) refuse(n, run_error_code::invalid_node, "C does not broadcast to [M, N]");
      const auto map = broadcast_map(ct->shape, out);
      for (std::size_t o = 0; o < map.size(); ++o) {
        bias[o] = beta * ct->data[static_cast<std::size_t>(map[o])];
        per_column[o % un] = std::max(per_column[o % un], std::fabs(bias[o]));
      }
    }
    const int_ops::quantized_weights qw = int_ops::quantize_weights(c, w, un, channel_of, per_column, *a.frac);
    const int out_frac = *value(n, n.outputs.at(0)).frac;
    std::vector<address> y = fresh(static_cast<std::size_t>(m * nn));
    std::vector<std::pair<address, std::int64_t>> terms;
    for (std::int64_t i = 0; i < m; ++i) {
      for (std::int64_t j = 0; j < nn; ++j) {
        terms.clear();
        for (std::int64_t kk = 0; kk < k; ++kk) {
          const std::int64_t ai = trans_a ? kk * m + i : i * k + kk;
          const std::int64_t bi = trans_b ? j * k + kk : kk * nn + j;
          terms.emplace_back(xa[static_cast<std::size_t>(ai)], qw.q[static_cast<std::size_t>(bi)]);
        }
        const int acc_frac = *a.frac + qw.frac[static_cast<std::size_t>(j)];
        const std::int64_t qb = fixed::quantize(bias[static_cast<std::size_t>(i * nn + j)], acc_frac);
        affine(n, terms, qb, rescale_by(n, acc_frac - out_frac), y[static_cast<std::size_t>(i * nn + j)]);
      }
    }
    define(n, 0, std::move(y));
  }

  bool is_value(const node& n, std::size_t i) const { return i < n.inputs.size() && p_.tensors.count(n.inputs[i]); }

  /// Two activations shifted for a product summed over k terms (int_ops product_shifts): their
  /// addresses after the shifts and their fracs.
  struct shifted_pair {
    std::vector<address> a, b;
    int frac_a = 0, frac_b = 0;
  };
  shifted_pair shifted(const node& n, std::int64_t k) {
    const int_value& a = value(n, n.inputs.at(0));
    const int_value& b = value(n, n.inputs.at(1));
    const auto [sa, sb] = int_ops::product_shifts(context(n), k, *a.frac, *b.frac);
    shifted_pair s;
    s.frac_a = *a.frac - sa;
    s.frac_b = *b.frac - sb;
    s.a = rescaled(n, addresses(n, n.inputs[0]), *a.frac, s.frac_a);
    s.b = rescaled(n, addresses(n, n.inputs[1]), *b.frac, s.frac_b);
    return s;
  }

  /// Mul and Div (int_ops product, op_div): by a constant, a multiplier quantized as one weight
  /// (Div: the reciprocal); of two activations, both shifted into the field, then their product.
  void mul_div(const node& n) {
    const bool div = n.op_type == "Div";
    const int out_frac = *value(n, n.outputs.at(0)).frac;
    const shape_t& out_shape = value(n, n.outputs[0]).t.shape;
    const auto count = static_cast<std::size_t>(num_elements(out_shape));
    std::vector<address> y = fresh(count);
    if (is_value(n, 0) && is_value(n, 1)) {
      if (div) return divide_values(n, std::move(y));
      const shifted_pair s = shifted(n, 1);
      const auto ma = broadcast_map(value(n, n.inputs[0]).t.shape, out_shape);
      const auto mb = broadcast_map(value(n, n.inputs[1]).t.shape, out_shape);
      const rescaling r = rescale_by(n, s.frac_a + s.frac_b - out_frac);
      for (std::size_t o = 0; o < count; ++o)
        dot(n, {{s.a[static_cast<std::size_t>(ma[o])], s.b[static_cast<std::size_t>(mb[o])]}}, r, y[o]);
      return define(n, 0, std::move(y));
    }
    const std::size_t ia = is_value(n, 0) ? 0 : 1;
    if (div && ia != 0) refuse(n, run_error_code::unsupported_attribute, "a division of a constant by an activation");
    const tensor* k = weight(n, 1 - ia);
    tensor kk = *k;
    if (div) {
      for (auto& v : kk.data) {
        if (v == 0) refuse(n, run_error_code::invalid_node, "division by a zero constant");
        v = 1.0 / v;
      }
    }
    const int_value& a = value(n, n.inputs[ia]);
    const std::vector<address>& xa = addresses(n, n.inputs[ia]);
    const int_ops::quantized_weights w = int_ops::multiplier(context(n), kk, *a.frac);
    const auto ma = broadcast_map(a.t.shape, out_shape), mk = broadcast_map(kk.shape, out_shape);
    const rescaling r = rescale_by(n, *a.frac + w.frac[0] - out_frac);
    for (std::size_t o = 0; o < count; ++o)
      affine(n, {{xa[static_cast<std::size_t>(ma[o])], w.q[static_cast<std::size_t>(mk[o])]}}, 0, r, y[o]);
    define(n, 0, std::move(y));
  }

  /// Div of two activations (int_ops op_div): the divisor one bit down, the dividend down when
  /// the quotient's frac asks for it, a divide step per element, then the scale-up to the output's
  /// frac when the shift was limited.
  void divide_values(const node& n, std::vector<address> y) {
    const int_value& a = value(n, n.inputs[0]);
    const int_value& b = value(n, n.inputs[1]);
    const shape_t& out_shape = value(n, n.outputs[0]).t.shape;
    const int to = *value(n, n.outputs[0]).frac;
    const int fb = *b.frac - 1;
    const int s = to + fb - *a.frac;
    const int fa = s < 0 ? *a.frac + s : *a.frac;
    const int shift = std::clamp(s, 0, int_ops::division_shift_limit(p_.limit));
    const std::vector<address> xa = rescaled(n, addresses(n, n.inputs[0]), *a.frac, fa);
    const std::vector<address> xb = rescaled(n, addresses(n, n.inputs[1]), *b.frac, fb);
    const auto ma = broadcast_map(a.t.shape, out_shape), mb = broadcast_map(b.t.shape, out_shape);
    const int frac = fa - fb + shift;
    std::vector<address> q = frac == to ? std::move(y) : fresh(y.size());
    for (std::size_t o = 0; o < q.size(); ++o)
      divide(n, xa[static_cast<std::size_t>(ma[o])], xb[static_cast<std::size_t>(mb[o])], shift, q[o]);
    define(n, 0, rescaled(n, q, frac, to));
  }

  /// The comparison table C(t) = [t >= 0] over integers: with t = floor((b - a) / 2), which stays
  /// within the limit for |a|, |b| <= limit, C(t) = [a <= b].
  std::uint32_t comparison_table(const node& n) {
    if (!comparison_id_) comparison_id_ = function_id(n, "compare", 0, 0, [](double v) { return v >= 0 ? 1.0 : 0.0; });
    return *comparison_id_;
  }

  /// [a <= b] for a value a and a value or constant b (|b| <= limit): 1 or 0.
  address at_most(const node& n, address a, std::optional<address> b, std::int64_t b_const) {
    const address t = fresh(1)[0], c = fresh(1)[0];
    if (b) {
      affine(n, {{*b, 1}, {a, -1}}, 0, {1, 0, 2}, t);
    } else {
      affine(n, {{a, -1}}, b_const, {1, 0, 2}, t);
    }
    apply(comparison_table(n), t, c);
    bound_[c] = 1;
    return c;
  }

  /// The label of the first (last: the last) largest of `values`, labels[j] for values[j]: a
  /// chain of comparisons carrying the largest value so far and its label, the label updated as
  /// labels[j] + keep (label - labels[j]) with keep the comparison's 0 or 1.
  address arg_max(const node& n, const std::vector<address>& values, const std::vector<std::int64_t>& labels, bool last) {
    address best = values[0], label = fresh(1)[0];
    affine(n, {}, labels[0], {}, label);
    for (std::size_t j = 1; j < values.size(); ++j) {
      const address next_best = fresh(1)[0], kept = fresh(1)[0], next_label = fresh(1)[0];
      select(best, values[j], 0, true, next_best);
      if (!last) {  // keep while values[j] <= best
        const address keep = at_most(n, values[j], best, 0);
        dot(n, {{keep, label}}, {}, kept);
        affine(n, {{kept, 1}, {keep, -labels[j]}}, labels[j], {}, next_label);
      } else {  // take j when best <= values[j]
        const address take = at_most(n, best, values[j], 0);
        dot(n, {{take, label}}, {}, kept);
        affine(n, {{label, 1}, {kept, -1}, {take, labels[j]}}, 0, {}, next_label);
      }
      best = next_best;
      label = next_label;
    }
    return label;
  }

  /// ArgMax of a fixed-point value (the integer inference's selection on its integers): per
  /// position an arg_max chain over the axis, the indices as labels.
  void argmax(const node& n) {
    const int_value& x = value(n, n.inputs.at(0));
    const std::vector<address>& xa = addresses(n, n.inputs[0]);
    const auto rank = static_cast<std::int64_t>(x.t.shape.size());
    std::int64_t axis = n.find("axis") ? n.find("axis")->i : 0;
    if (axis < -rank || axis >= rank) refuse(n, run_error_code::invalid_node, "axis out of range");
    if (axis < 0) axis += rank;
    const bool last = n.opset >= 12 && n.find("select_last_index") && n.find("select_last_index")->i != 0;
    const auto ax = static_cast<std::size_t>(axis);
    const std::int64_t outer = ops::product(x.t.shape, 0, ax), dim = x.t.shape[ax],
                       inner = ops::product(x.t.shape, ax + 1, x.t.shape.size());
    if (dim < 1 || dim - 1 > p_.limit) refuse(n, run_error_code::unsupported_attribute, "an axis too long for the labels");
    std::vector<std::int64_t> indices(static_cast<std::size_t>(dim));
    for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<std::int64_t>(i);
    std::vector<address> y, row(static_cast<std::size_t>(dim));
    for (std::int64_t a = 0; a < outer; ++a) {
      for (std::int64_t b = 0; b < inner; ++b) {
        for (std::int64_t i = 0; i < dim; ++i) row[static_cast<std::size_t>(i)] = xa[static_cast<std::size_t>((a * dim + i) * inner + b)];
        y.push_back(arg_max(n, row, indices, last));
      }
    }
    define_integer(n, 0, std::move(y));
  }

  /// A classifier (int_ops classifier_plan): per row the scores, the label (the first largest
  /// score's, by a chain of comparisons), and the transformed scores.
  void classifier(const node& n) {
    const int_context c = context(n);
    const auto plan = int_ops::plan_classifier(c);
    if (!plan) {
      refuse(n, run_error_code::unsupported_operator,
             "not proven yet (proven: LinearClassifier with 2 or more classes or one score column, "
             "TreeEnsembleClassifier with 3 or more classes and base values, or 2 in ONNX Runtime's binary form with "
             "every leaf weighing class 0 only and at most one base value, "
             "BRANCH_LEQ/LT/GTE/GT, post_transform NONE, SOFTMAX or LOGISTIC)");
    }
    const int_ops::classifier_plan& p = *plan;
    for (const auto l : p.labels)
      if (l > p_.limit || l < -p_.limit) refuse(n, run_error_code::unsupported_attribute, "a class label beyond the activation range");
    const std::vector<address>& xa = addresses(n, n.inputs.at(0));
    const int fo = *value(n, n.outputs.at(1)).frac;
    const auto k = static_cast<std::size_t>(p.classes);
    std::optional<int_ops::softmax_plan> sp;
    if (p.transform == ops::ml::transform::softmax && !p.binary) {
      sp = int_ops::plan_softmax(p.classes, fo, config_);
      if (!sp) refuse(n, run_error_code::unsupported_attribute, "Softmax over too many classes");
    }
    // The transform's table (Softmax's exp, or the logistic function), one for every row.
    std::optional<std::uint32_t> table;
    if (sp) {
      table = softmax_exp_table(n, p.score_frac, *sp);
    } else if (p.transform == ops::ml::transform::logistic) {
      table = function_id(n, "Sigmoid", p.score_frac, fo, ops::ml::logistic);
    }
    std::vector<address> labels, probabilities;
    std::optional<std::pair<std::uint32_t, std::uint32_t>> trees;  // the ensemble's, once added
    for (std::int64_t i = 0; i < p.rows; ++i) {
      const std::vector<address> x(xa.begin() + i * p.features, xa.begin() + (i + 1) * p.features);
      const std::vector<address> s = p.trees ? tree_scores(n, p, x, trees) : linear_scores(n, p, x);
      if (p.binary) {
        // One score column: only LOGISTIC transforms it (ONNX Runtime leaves it as it is otherwise).
        const auto [label, out] =
            binary_outputs(n, p, s[0], fo, p.transform == ops::ml::transform::logistic ? table : std::nullopt);
        labels.push_back(label);
        probabilities.insert(probabilities.end(), out.begin(), out.end());
        continue;
      }
      labels.push_back(arg_max(n, s, p.labels, false));
      std::vector<address> out;
      if (sp) {
        out = softmax_row(n, s, fo, *sp, *table);
      } else if (table) {
        out = fresh(k);
        for (std::size_t j = 0; j < k; ++j) apply(*table, s[j], out[j]);
      } else {
        out = rescaled(n, s, p.score_frac, fo);
      }
      probabilities.insert(probabilities.end(), out.begin(), out.end());
    }
    define_integer(n, 0, std::move(labels));
    define(n, 1, std::move(probabilities));
  }

  /// A binary classifier's label and outputs for its score S (int_ops classifier_plan::binary):
  /// the label labels[1] + (labels[0] - labels[1]) [S <= positive_above]; class 1 T(S) (`table`,
  /// LOGISTIC) or S rescaled; class 0 as p.zero says.
  std::pair<address, std::vector<address>> binary_outputs(const node& n, const int_ops::classifier_plan& p, address score,
                                                          int fo, std::optional<std::uint32_t> table) {
    using zero = int_ops::classifier_plan::class_zero;
    const address not_positive = at_most(n, score, std::nullopt, p.positive_above), label = fresh(1)[0];
    affine(n, {{not_positive, p.labels[0] - p.labels[1]}}, p.labels[1], {}, label);
    std::vector<address> out(2);
    if (table) {
      out[1] = fresh(1)[0];
      apply(*table, score, out[1]);
    } else {
      out[1] = rescaled(n, {score}, p.score_frac, fo)[0];
    }
    out[0] = fresh(1)[0];
    if (p.zero == zero::negated_score) {
      const address negated = fresh(1)[0];
      affine(n, {{score, -1}}, 0, {}, negated);
      apply(*table, negated, out[0]);
    } else {
      affine(n, {{out[1], -1}}, p.zero == zero::complement ? fixed::quantize(1.0, fo) : 0, {}, out[0]);
    }
    return {label, out};
  }

  /// Scaler and LinearRegressor (int_ops ml_linear_plan): one affine step per output, its terms
  /// the value it scales (Scaler) or the row's features (LinearRegressor), rounded to the output's
  /// frac.
  void ml_linear(const node& n) {
    const auto plan = int_ops::plan_ml_linear(context(n));
    if (!plan) {
      refuse(n, run_error_code::unsupported_attribute,
             "not proven in this form (proven: an input of [N, F] or [F]; Scaler with one or F scales and offsets; "
             "LinearRegressor with post_transform NONE)");
    }
    const int_ops::ml_linear_plan& p = *plan;
    const std::vector<address>& xa = addresses(n, n.inputs.at(0));
    const int fx = *value(n, n.inputs[0]).frac, fo = *value(n, n.outputs.at(0)).frac;
    const auto f = static_cast<std::size_t>(p.features), k = static_cast<std::size_t>(p.outputs);
    std::vector<address> y = fresh(static_cast<std::size_t>(p.rows) * k);
    std::vector<std::pair<address, std::int64_t>> terms;
    for (std::size_t i = 0; i < static_cast<std::size_t>(p.rows); ++i) {
      for (std::size_t o = 0; o < k; ++o) {
        const std::size_t ch = p.channel(o);
        terms.clear();
        if (p.elementwise) {
          terms.emplace_back(xa[i * f + o], p.q.q[ch]);
        } else {
          for (std::size_t j = 0; j < f; ++j) terms.emplace_back(xa[i * f + j], p.q.q[o * f + j]);
        }
        const int acc_frac = fx + p.q.frac[ch];
        affine(n, terms, p.bias[ch], rescale_by(n, acc_frac - fo), y[i * k + o]);
      }
    }
    define(n, 0, std::move(y));
  }

  /// TreeEnsembleRegressor (int_ops tree_regressor_plan): per row the trees step's sums S_t, each
  /// rescaled to the output's frac by an affine step (AVERAGE's mean in its divisor).
  void tree_regressor(const node& n) {
    const auto plan = int_ops::plan_tree_regressor(context(n));
    if (!plan) {
      refuse(n, run_error_code::unsupported_attribute,
             "only SUM or AVERAGE with post_transform NONE, every leaf weighing every target and an output frac within "
             "2^31 of the sums', is proven");
    }
    const int_ops::classifier_plan& p = plan->trees;
    const std::vector<address>& xa = addresses(n, n.inputs.at(0));
    std::optional<std::pair<std::uint32_t, std::uint32_t>> trees;
    std::vector<address> y;
    for (std::int64_t i = 0; i < p.rows; ++i) {
      const std::vector<address> x(xa.begin() + i * p.features, xa.begin() + (i + 1) * p.features);
      for (const address s : tree_scores(n, p, x, trees)) {
        const address out = fresh(1)[0];
        affine(n, {{s, 1}}, 0, {plan->mul, plan->add, plan->div}, out);
        y.push_back(out);
      }
    }
    define(n, 0, std::move(y));
  }

  /// s_k = round((sum_f w_kf x_f + b_k) 2^(score_frac - acc_frac_k)).
  std::vector<address> linear_scores(const node& n, const int_ops::classifier_plan& p, const std::vector<address>& x) {
    std::vector<address> s = fresh(static_cast<std::size_t>(p.classes));
    std::vector<std::pair<address, std::int64_t>> terms;
    for (std::size_t k = 0; k < s.size(); ++k) {
      terms.clear();
      for (std::size_t f = 0; f < x.size(); ++f) terms.emplace_back(x[f], p.weights.q[k * x.size() + f]);
      affine(n, terms, p.bias[k], rescale_by(n, p.input_frac + p.weights.frac[k] - p.score_frac), s[k]);
    }
    return s;
  }

  /// s_k = base_k + the weight_k of the leaf each tree's walk reaches: a trees step over the
  /// ensemble's nodes, added to program::tree_nodes on the first row.
  std::vector<address> tree_scores(const node& n, const int_ops::classifier_plan& p, const std::vector<address>& x,
                                   std::optional<std::pair<std::uint32_t, std::uint32_t>>& trees) {
    if (!trees) trees = add_ensemble(n, p);
    trees_step s;
    s.first_tree = trees->first;
    s.num_trees = trees->second;
    s.features = x;
    s.base = p.base;
    s.out = fresh(static_cast<std::size_t>(p.classes));
    s.bound = p_.limit;
    p_.order.emplace_back(program::step_kind::trees, static_cast<std::uint32_t>(p_.trees.size()));
    p_.trees.push_back(s);
    return s.out;
  }

  /// Adds the nodes, roots and depths of p's ensemble to the program: (its first tree, its trees).
  std::pair<std::uint32_t, std::uint32_t> add_ensemble(const node& n, const int_ops::classifier_plan& p) {
    // A walk's comparison x <= t is checked on (t - x) or (x - t - 1), both below 2^16 for
    // |x| <= limit and -limit - 1 <= t <= limit.
    if (p_.limit > (std::int64_t{1} << 15) - 1)
      refuse(n, run_error_code::unsupported_attribute, "a tree ensemble needs an activation limit below 2^15");
    if (p.classes > 64) refuse(n, run_error_code::unsupported_attribute, "a tree ensemble of more than 64 classes");
    const auto& nodes = p.ensemble.nodes;
    const auto offset = static_cast<std::uint32_t>(p_.tree_nodes.size());
    if (nodes.size() >= (std::size_t{1} << 30) - offset) refuse(n, run_error_code::unsupported_attribute, "too many tree nodes");
    const auto id = [&](std::size_t i) { return offset + static_cast<std::uint32_t>(i); };
    p_.tree_classes = std::max(p_.tree_classes, static_cast<std::size_t>(p.classes));
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const ops::ml::tree_node& t = nodes[i];
      tree_node_entry e;
      e.weights.assign(static_cast<std::size_t>(p.classes), 0);
      if (t.mode == ops::ml::node_mode::leaf) {
        e.threshold = p_.limit;
        e.if_true = e.if_false = id(i);
        e.leaf = true;
        for (std::size_t w = 0; w < t.weights.size(); ++w)
          e.weights[static_cast<std::size_t>(t.weights[w].first)] += p.leaf_weights[i][w];
      } else {
        using comparison = int_ops::classifier_plan::comparison;
        e.feature = static_cast<std::uint32_t>(t.feature);
        e.threshold = p.kind[i] == comparison::compare  ? p.threshold[i]
                      : p.kind[i] == comparison::always ? p_.limit
                                                        : -p_.limit - 1;
        e.if_true = id(p.swapped[i] ? t.false_child : t.true_child);
        e.if_false = id(p.swapped[i] ? t.true_child : t.false_child);
      }
      p_.tree_nodes.push_back(std::move(e));
    }
    // The most branches on a path from each node to a leaf, children first (the ensemble has no
    // cycles; nodes may share children, so each node is computed once).
    constexpr std::uint32_t unknown = std::numeric_limits<std::uint32_t>::max();
    std::vector<std::uint32_t> depth(nodes.size(), unknown);
    for (const std::size_t r : p.ensemble.roots) {
      std::vector<std::size_t> stack{r};
      while (!stack.empty()) {
        const std::size_t i = stack.back();
        if (depth[i] != unknown) {
          stack.pop_back();
          continue;
        }
        if (nodes[i].mode == ops::ml::node_mode::leaf) {
          depth[i] = 0;
          stack.pop_back();
          continue;
        }
        const std::size_t a = nodes[i].true_child, b = nodes[i].false_child;
        if (depth[a] != unknown && depth[b] != unknown) {
          depth[i] = 1 + std::max(depth[a], depth[b]);
          stack.pop_back();
          continue;
        }
        if (depth[a] == unknown) stack.push_back(a);
        if (depth[b] == unknown) stack.push_back(b);
      }
    }
    const auto first = static_cast<std::uint32_t>(p_.tree_roots.size());
    for (const std::size_t r : p.ensemble.roots) {
      p_.tree_roots.push_back(id(r));
      p_.tree_depths.push_back(depth[r]);
    }
    return {first, static_cast<std::uint32_t>(p.ensemble.roots.size())};
  }

  /// Softmax or, when `log`, LogSoftmax (int_ops op_softmax, softmax_plan) row by row.
  void softmax(const node& n, bool log) {
    const int_value& x = value(n, n.inputs.at(0));
    const std::vector<address>& xa = addresses(n, n.inputs[0]);
    const int fo = *value(n, n.outputs.at(0)).frac;
    const int_ops::softmax_rows r = int_ops::softmax_rows_of(n, x.t.shape);
    const auto plan = int_ops::plan_softmax(r.count, fo, config_);
    if (!plan) refuse(n, run_error_code::unsupported_attribute, n.op_type + " over too many elements");
    const std::uint32_t exp_id = softmax_exp_table(n, *x.frac, *plan);
    // LogSoftmax's log table over the rescaled sums (frac exp_frac - sum_shift, never below 1).
    const std::uint32_t log_id = log ? function_id(n, "LogSoftmax", plan->exp_frac - plan->sum_shift, fo,
                                                   [](double v) { return std::log(v); })
                                     : 0;
    std::vector<address> y(xa.size()), row(static_cast<std::size_t>(r.count));
    for (std::int64_t o = 0; o < r.outer; ++o) {
      for (std::int64_t k = 0; k < r.inner; ++k) {
        for (std::int64_t j = 0; j < r.count; ++j) row[static_cast<std::size_t>(j)] = xa[static_cast<std::size_t>(r.at(o, j, k))];
        const std::vector<address> out =
            log ? log_softmax_row(n, row, *x.frac, fo, *plan, exp_id, log_id) : softmax_row(n, row, fo, *plan, exp_id);
        for (std::int64_t j = 0; j < r.count; ++j) y[static_cast<std::size_t>(r.at(o, j, k))] = out[static_cast<std::size_t>(j)];
      }
    }
    define(n, 0, std::move(y));
  }

  /// Softmax's exp table over the halved differences h <= 0 at frac in_frac - 1 (exp(0) = 1 where
  /// h > 0: never read, h is checked against the proven maximum).
  std::uint32_t softmax_exp_table(const node& n, int in_frac, const int_ops::softmax_plan& plan) {
    return function_id(n, "Softmax", in_frac - 1, plan.exp_frac, [](double v) { return std::exp(std::min(v, 0.0)); });
  }

  /// A row's maximum, its exponentials and their rescaled sum (int_ops sum_of_exponentials).
  struct row_exponentials {
    address max = 0, sum = 0;
    std::vector<address> e;
  };

  /// The maximum (a chain of selections), the halved differences to it, their exponentials (the
  /// table `exp_id`, softmax_exp_table's for this input frac and plan), and the rescaled sum.
  row_exponentials exponentials(const node& n, const std::vector<address>& row, const int_ops::softmax_plan& plan,
                                std::uint32_t exp_id) {
    row_exponentials x;
    x.max = row[0];
    for (std::size_t j = 1; j < row.size(); ++j) {
      const address next = fresh(1)[0];
      select(x.max, row[j], 0, true, next);
      x.max = next;
    }
    x.e = fresh(row.size());
    std::vector<std::pair<address, std::int64_t>> sum_terms;
    for (std::size_t j = 0; j < row.size(); ++j) {
      const address h = fresh(1)[0];
      affine(n, {{row[j], 1}, {x.max, -1}}, 0, rescale_by(n, 1), h);
      apply(exp_id, h, x.e[j]);
      bound_[x.e[j]] = std::int64_t{1} << plan.exp_frac;  // the table's largest value
      sum_terms.emplace_back(x.e[j], 1);
    }
    x.sum = fresh(1)[0];
    affine(n, sum_terms, 0, rescale_by(n, plan.sum_shift), x.sum, int_ops::divisor_limit(p_.limit));
    return x;
  }

  /// One row's softmax (int_ops softmax_row): its exponentials, a division per element, the
  /// scale-up when the plan has one.
  std::vector<address> softmax_row(const node& n, const std::vector<address>& row, int out_frac,
                                   const int_ops::softmax_plan& plan, std::uint32_t exp_id) {
    const row_exponentials x = exponentials(n, row, plan, exp_id);
    const std::vector<address> num = rescaled(n, x.e, plan.exp_frac, plan.exp_frac - plan.e_down);
    std::vector<address> q = fresh(row.size());
    for (std::size_t j = 0; j < row.size(); ++j) divide(n, num[j], x.sum, plan.shift, q[j]);
    return rescaled(n, q, out_frac - plan.up, out_frac);
  }

  /// One row's LogSoftmax (int_ops log_softmax_row): its exponentials, L = the log table `log_id` at
  /// the rescaled sum, then y_j = round_shift(q_j - m - L 2^(f_in - f_out), f_in - f_out), which is
  /// round_shift(q_j - m, f_in - f_out) - L exactly (or (q_j - m) 2^(f_out - f_in) - L).
  std::vector<address> log_softmax_row(const node& n, const std::vector<address>& row, int in_frac, int out_frac,
                                       const int_ops::softmax_plan& plan, std::uint32_t exp_id, std::uint32_t log_id) {
    const row_exponentials x = exponentials(n, row, plan, exp_id);
    const address log_sum = fresh(1)[0];
    apply(log_id, x.sum, log_sum);
    // The largest sum the sum's step allows gives the largest log: a tighter bound than the limit.
    const int sum_frac = plan.exp_frac - plan.sum_shift;
    const double largest = std::log(fixed::dequantize(int_ops::divisor_limit(p_.limit), sum_frac));
    bound_[log_sum] = std::min<std::int64_t>(p_.limit, fixed::quantize(std::max(largest, 0.0), out_frac) + 1);
    const int k = in_frac - out_frac;
    std::vector<address> y = fresh(row.size());
    for (std::size_t j = 0; j < row.size(); ++j) {
      if (k >= 0) {
        affine(n, {{row[j], 1}, {x.max, -1}, {log_sum, -(std::int64_t{1} << k)}}, 0, rescale_by(n, k), y[j]);
      } else {
        const std::int64_t up = std::int64_t{1} << -k;
        affine(n, {{row[j], up}, {x.max, -up}, {log_sum, -1}}, 0, rescale_by(n, 0), y[j]);
      }
    }
    return y;
  }

  /// MatMul of two activations (int_ops activation_product): both shifted so that the K-term sums
  /// stay in the field, then a dot step per output; batch dimensions broadcast as numpy's matmul.
  void matmul_values(const node& n) {
    const shape_t& sa = value(n, n.inputs.at(0)).t.shape;
    const shape_t& sb = value(n, n.inputs.at(1)).t.shape;
    if (sa.size() < 2 || sb.size() < 2)
      refuse(n, run_error_code::unsupported_attribute, "a MatMul of 1-D activations is not proven yet");
    const std::int64_t m = sa[sa.size() - 2], k = sa.back(), nn = sb.back();
    if (sb[sb.size() - 2] != k) refuse(n, run_error_code::invalid_node, "inner dimensions differ");
    const shifted_pair s = shifted(n, k);
    const shape_t& out_shape = value(n, n.outputs.at(0)).t.shape;
    const shape_t batch(out_shape.begin(), out_shape.end() - 2);
    const shape_t ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2);
    const auto map_a = broadcast_map(ba, batch), map_b = broadcast_map(bb, batch);
    const int out_frac = *value(n, n.outputs[0]).frac;
    const rescaling r = rescale_by(n, s.frac_a + s.frac_b - out_frac);
    std::vector<address> y = fresh(static_cast<std::size_t>(num_elements(out_shape)));
    std::vector<std::pair<address, address>> pairs;
    std::size_t o = 0;
    for (std::size_t bi = 0; bi < map_a.size(); ++bi) {
      const std::int64_t oa = map_a[bi] * m * k, ob = map_b[bi] * k * nn;
      for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t j = 0; j < nn; ++j, ++o) {
          pairs.clear();
          for (std::int64_t kk = 0; kk < k; ++kk)
            pairs.emplace_back(s.a[static_cast<std::size_t>(oa + i * k + kk)], s.b[static_cast<std::size_t>(ob + kk * nn + j)]);
          dot(n, pairs, r, y[o]);
        }
      }
    }
    define(n, 0, std::move(y));
  }

  /// MatMul of an activation by a constant 2-D matrix (int_ops op_matmul, per output column).
  void matmul(const node& n) {
    if (is_value(n, 0) && is_value(n, 1)) return matmul_values(n);
    const int_context c = context(n);
    const tensor* w = weight(n, 1);
    const int_value& a = value(n, n.inputs.at(0));
    const std::vector<address>& xa = addresses(n, n.inputs[0]);
    if (w->shape.size() != 2 || a.t.shape.empty())
      refuse(n, run_error_code::unsupported_attribute, "only an activation times a constant 2-D matrix is proven");
    const std::int64_t k = a.t.shape.back(), nn = w->shape[1];
    if (w->shape[0] != k) refuse(n, run_error_code::invalid_node, "inner dimensions differ");
    const auto un = static_cast<std::size_t>(nn);
    const std::function<std::size_t(std::size_t)> channel_of = [&](std::size_t i) { return i % un; };
    const int_ops::quantized_weights qw = int_ops::quantize_weights(c, w->data, un, channel_of, {}, *a.frac);
    const int out_frac = *value(n, n.outputs.at(0)).frac;
    const std::int64_t rows = static_cast<std::int64_t>(xa.size()) / k;
    std::vector<address> y = fresh(static_cast<std::size_t>(rows * nn));
    std::vector<std::pair<address, std::int64_t>> terms;
    for (std::int64_t i = 0; i < rows; ++i) {
      for (std::int64_t j = 0; j < nn; ++j) {
        terms.clear();
        for (std::int64_t kk = 0; kk < k; ++kk)
          terms.emplace_back(xa[static_cast<std::size_t>(i * k + kk)], qw.q[static_cast<std::size_t>(kk * nn + j)]);
        const int acc_frac = *a.frac + qw.frac[static_cast<std::size_t>(j)];
        affine(n, terms, 0, rescale_by(n, acc_frac - out_frac), y[static_cast<std::size_t>(i * nn + j)]);
      }
    }
    define(n, 0, std::move(y));
  }

  /// Conv with constant weights and bias (int_ops op_conv; the reference's window and groups).
  void conv(const node& n) {
    const int_context c = context(n);
    const int_value& x = value(n, n.inputs.at(0));
    const std::vector<address>& xa = addresses(n, n.inputs[0]);
    const tensor* wt = weight(n, 1);
    const tensor* bias_t = n.inputs.size() > 2 && !n.inputs[2].empty() ? weight(n, 2) : nullptr;
    if (wt->shape.size() != x.t.shape.size() || wt->shape.empty() || wt->shape[0] <= 0)
      refuse(n, run_error_code::invalid_node, "X and W must have the same rank");
    const auto channels = static_cast<std::size_t>(wt->shape[0]);
    const std::size_t per_channel = wt->data.size() / channels;
    const std::vector<double> bias = bias_t ? bias_t->data : std::vector<double>{};
    std::vector<double> bias_abs(bias.size());
    for (std::size_t i = 0; i < bias.size(); ++i) bias_abs[i] = std::fabs(bias[i]);
    const int_ops::quantized_weights qw = int_ops::quantize_weights(
        c, wt->data, channels, [&](std::size_t i) { return i / per_channel; }, bias_abs, *x.frac);
    const shape_t kernel(wt->shape.begin() + 2, wt->shape.end());
    const tensor fx = as_shape(x.t.shape);
    const ops::op_context oc{n, {&fx}};
    const ops::window w = ops::make_window(oc, x.t.shape, kernel, false, true);
    const std::int64_t group = n.find("group") ? n.find("group")->i : 1;
    const std::int64_t nb = x.t.shape[0], ch = x.t.shape[1], m = wt->shape[0];
    const std::int64_t cg = ch / group, mg = m / group;
    const int out_frac = *value(n, n.outputs.at(0)).frac;
    const auto& in = w.in;
    const auto& k = w.kernel;
    std::vector<address> y = fresh(static_cast<std::size_t>(nb * m * w.out[0] * w.out[1] * w.out[2]));
    std::vector<std::pair<address, std::int64_t>> terms;
    std::size_t o = 0;
    for (std::int64_t b = 0; b < nb; ++b) {
      for (std::int64_t f = 0; f < m; ++f) {
        const std::int64_t g = f / mg;
        const int acc_frac = *x.frac + qw.frac[static_cast<std::size_t>(f)];
        const std::int64_t qb = bias.empty() ? 0 : fixed::quantize(bias[static_cast<std::size_t>(f)], acc_frac);
        const rescaling r = rescale_by(n, acc_frac - out_frac);
        for (std::int64_t o0 = 0; o0 < w.out[0]; ++o0) {
          for (std::int64_t o1 = 0; o1 < w.out[1]; ++o1) {
            for (std::int64_t o2 = 0; o2 < w.out[2]; ++o2, ++o) {
              terms.clear();
              for (std::int64_t q = 0; q < cg; ++q) {
                const std::int64_t xc = ((b * ch) + g * cg + q) * in[0];
                const std::int64_t wc = ((f * cg) + q) * k[0];
                for (std::int64_t k0 = 0; k0 < k[0]; ++k0) {
                  const std::int64_t i0 = o0 * w.stride[0] - w.pad_begin[0] + k0 * w.dilation[0];
                  if (i0 < 0 || i0 >= in[0]) continue;
                  for (std::int64_t k1 = 0; k1 < k[1]; ++k1) {
                    const std::int64_t i1 = o1 * w.stride[1] - w.pad_begin[1] + k1 * w.dilation[1];
                    if (i1 < 0 || i1 >= in[1]) continue;
                    for (std::int64_t k2 = 0; k2 < k[2]; ++k2) {
                      const std::int64_t i2 = o2 * w.stride[2] - w.pad_begin[2] + k2 * w.dilation[2];
                      if (i2 < 0 || i2 >= in[2]) continue;
                      // Zero weights stay: every output channel at a position reads the same
                      // values, which the multiply-accumulate table reads once for all of them.
                      const std::int64_t wi = ((wc + k0) * k[1] + k1) * k[2] + k2;
                      terms.emplace_back(xa[static_cast<std::size_t>(((xc + i0) * in[1] + i1) * in[2] + i2)],
                                         qw.q[static_cast<std::size_t>(wi)]);
                    }
                  }
                }
              }
              affine(n, terms, qb, r, y[o]);
            }
          }
        }
      }
    }
    define(n, 0, std::move(y));
  }

  /// A FLOAT tensor of zeros of `shape` (what the window code reads of X: its shape).
  static tensor as_shape(const shape_t& shape) { return tensor::floats(shape, std::vector<double>(
                                                                               static_cast<std::size_t>(num_elements(shape)), 0.0)); }

  /// BatchNormalization (int_ops op_batch_normalization): y = a_c x + b_c per channel.
  void batch_normalization(const node& n) {
    const int_context c = context(n);
    if (n.outputs.size() > 1) refuse(n, run_error_code::unsupported_attribute, "training-mode outputs");
    const int_value& x = value(n, n.inputs.at(0));
    const std::vector<address>& xa = addresses(n, n.inputs[0]);
    std::array<const tensor*, 4> prm{};
    for (std::size_t i = 0; i < 4; ++i) prm[i] = weight(n, i + 1);
    const std::int64_t ch = x.t.shape.at(1);
    const double eps = n.find("epsilon") ? n.find("epsilon")->f : 1e-5;
    std::vector<double> a(static_cast<std::size_t>(ch)), b(a.size()), b_abs(a.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      a[i] = prm[0]->data[i] / std::sqrt(prm[3]->data[i] + eps);
      b[i] = prm[1]->data[i] - prm[2]->data[i] * a[i];
      b_abs[i] = std::fabs(b[i]);
    }
    const int_ops::quantized_weights qw = int_ops::quantize_weights(
        c, a, a.size(), [](std::size_t i) { return i; }, b_abs, *x.frac);
    const std::int64_t inner = ops::product(x.t.shape, 2, x.t.shape.size());
    const int out_frac = *value(n, n.outputs.at(0)).frac;
    std::vector<address> y = fresh(xa.size());
    for (std::size_t i = 0; i < xa.size(); ++i) {
      const auto chn = static_cast<std::size_t>((static_cast<std::int64_t>(i) / inner) % ch);
      const int acc_frac = *x.frac + qw.frac[chn];
      affine(n, {{xa[i], qw.q[chn]}}, fixed::quantize(b[chn], acc_frac), rescale_by(n, acc_frac - out_frac), y[i]);
    }
    define(n, 0, std::move(y));
  }

  /// Add, Sub, Sum (int_ops op_sum): every operand at the output's frac (a constant quantized
  /// there, a value rescaled), then the exact sum, broadcast.
  void sum(const node& n) {
    const int to = *value(n, n.outputs.at(0)).frac;
    const shape_t& out_shape = value(n, n.outputs[0]).t.shape;
    const auto count = static_cast<std::size_t>(num_elements(out_shape));
    std::vector<std::int64_t> bias(count, 0);
    std::vector<std::vector<std::pair<address, std::int64_t>>> terms(count);
    for (std::size_t i = 0; i < n.inputs.size(); ++i) {
      const std::int64_t sign = n.op_type == "Sub" && i == 1 ? -1 : 1;
      const std::string& name = n.inputs[i];
      if (p_.tensors.count(name)) {
        const int_value& v = value(n, name);
        // A rounding shift down is a step of its own; a multiplication up goes into the weight
        // (the integer inference range-checks only the sum).
        const int up = std::max(0, to - *v.frac);
        if (up > 30) refuse(n, run_error_code::unsupported_attribute, "an operand scaled by 2^" + std::to_string(up));
        const std::vector<address> a = rescaled(n, p_.tensors.at(name), *v.frac, std::min(to, *v.frac));
        const auto map = broadcast_map(v.t.shape, out_shape);
        for (std::size_t o = 0; o < count; ++o)
          terms[o].emplace_back(a[static_cast<std::size_t>(map[o])], sign * (std::int64_t{1} << up));
        continue;
      }
      const tensor* k = weight(n, i);
      const auto map = broadcast_map(k->shape, out_shape);
      for (std::size_t o = 0; o < count; ++o) {
        const double v = k->data[static_cast<std::size_t>(map[o])];
        if (std::fabs(std::ldexp(v, to)) > static_cast<double>(fixed::field_half))
          refuse(n, run_error_code::unsupported_attribute, "a constant too large for the output's frac");
        bias[o] += sign * fixed::quantize(v, to);
      }
    }
    std::vector<address> y = fresh(count);
    for (std::size_t o = 0; o < count; ++o) affine(n, terms[o], bias[o], {}, y[o]);
    define(n, 0, std::move(y));
  }

  /// Neg (int_ops op_neg): y = -x at the input's frac, an affine step of one term.
  void negate(const node& n) {
    const std::vector<address>& xa = addresses(n, n.inputs.at(0));
    std::vector<address> y = fresh(xa.size());
    for (std::size_t i = 0; i < xa.size(); ++i) affine(n, {{xa[i], -1}}, 0, rescale_by(n, 0), y[i]);
    define(n, 0, std::move(y));
  }

  void relu(const node& n) {
    const std::vector<address>& xa = addresses(n, n.inputs.at(0));
    std::vector<address> y = fresh(xa.size());
    for (std::size_t i = 0; i < xa.size(); ++i) select(xa[i], std::nullopt, 0, true, y[i]);
    define(n, 0, std::move(y));
  }

  /// PRelu with a constant slope s (int_ops op_prelu), whose integer inference rounds the
  /// accumulator x 2^F (x >= 0) or s_q x (x < 0) to the output's frac, s_q = s 2^F the slope
  /// quantized as a multiplier. Lowered as x+ = max(x, 0) and x- = min(x, 0) (two selections), each
  /// branch rounded alone, y+ = round(x+ 2^F) and y- = round(s_q x-), then y = y+ + y-: one of x+
  /// and x- is 0 and rounds to 0, so y is the inference's value, and no step's accumulator holds
  /// both branches at once.
  void prelu(const node& n) {
    const int_value& x = value(n, n.inputs.at(0));
    const tensor* slope = weight(n, 1, "a slope computed from the input is not proven yet");
    if (!slope) refuse(n, run_error_code::invalid_node, "PRelu needs a slope");
    const int_ops::quantized_weights w = int_ops::multiplier(context(n), *slope, *x.frac, 1.0);
    const auto map = broadcast_map(slope->shape, x.t.shape);
    const std::vector<address>& xa = addresses(n, n.inputs[0]);
    const rescaling r = rescale_by(n, *x.frac + w.frac[0] - *value(n, n.outputs.at(0)).frac);
    const std::int64_t one = std::int64_t{1} << w.frac[0];
    std::vector<address> y = fresh(xa.size());
    for (std::size_t i = 0; i < xa.size(); ++i) {
      const std::vector<address> v = fresh(4);  // x+, x-, y+, y-
      select(xa[i], std::nullopt, 0, true, v[0]);
      select(xa[i], std::nullopt, 0, false, v[1]);
      affine(n, {{v[0], one}}, 0, r, v[2]);
      affine(n, {{v[1], w.q[static_cast<std::size_t>(map[i])]}}, 0, r, v[3]);
      affine(n, {{v[2], 1}, {v[3], 1}}, 0, rescaling{}, y[i]);
    }
    define(n, 0, std::move(y));
  }

  /// Clip (int_ops op_clip): max with the lower bound, then min with the upper one, each bound
  /// quantized at the input's frac and clamped to limit + 1 (beyond the range a bound clamps
  /// nothing, and a selection never picks it).
  void clip(const node& n) {
    const int_value& x = value(n, n.inputs.at(0));
    const int f = *x.frac;
    const auto quantized_bound = [&](double v) {
      const double lim = std::ldexp(static_cast<double>(p_.limit) + 1, -f);
      return fixed::quantize(std::clamp(v, -lim, lim), f);
    };
    std::optional<std::int64_t> lo, hi;
    if (n.opset < 11) {
      if (const attribute* a = n.find("min")) lo = quantized_bound(a->f);
      if (const attribute* a = n.find("max")) hi = quantized_bound(a->f);
    } else {
      for (std::size_t i = 1; i < 3 && i < n.inputs.size(); ++i) {
        if (n.inputs[i].empty()) continue;
        const tensor* b = weight(n, i, "bounds computed from the input are not proven yet");
        if (b->size() != 1) refuse(n, run_error_code::invalid_node, "a bound must be one value");
        (i == 1 ? lo : hi) = quantized_bound(b->data[0]);
      }
    }
    if ((lo && *lo > p_.limit) || (hi && *hi < -p_.limit))
      refuse(n, run_error_code::unsupported_attribute, "a bound beyond the activation range");
    std::vector<address> y = addresses(n, n.inputs[0]);
    for (const auto& [bound, is_max] : {std::pair{lo, true}, std::pair{hi, false}}) {
      if (!bound) continue;
      std::vector<address> next = fresh(y.size());
      for (std::size_t i = 0; i < y.size(); ++i) select(y[i], std::nullopt, *bound, is_max, next[i]);
      y = std::move(next);
    }
    define(n, 0, std::move(y));
  }

  /// ReduceSum and ReduceMean (int_ops op_reduce): the input shifted down for a sum of all its
  /// elements, then per output the exact sum (rounded to the output's frac) or the rounded mean.
  /// ReduceMax: a chain of maxima per output.
  void reduce(const node& n) {
    const int_value& x0 = value(n, n.inputs.at(0));
    const int_value& y = value(n, n.outputs.at(0));
    const auto total = static_cast<std::int64_t>(x0.t.ints.size());
    const bool max = n.op_type == "ReduceMax";
    const int from = max ? *x0.frac : *x0.frac - int_ops::sum_shift(context(n), total);
    const std::vector<address> xa = rescaled(n, addresses(n, n.inputs[0]), *x0.frac, from);
    // The reduced axes: the attribute, or (ReduceSum from opset 13) the constant second input.
    const std::size_t rank = x0.t.shape.size();
    std::vector<std::int64_t> axes;
    if (const attribute* a = n.find("axes")) axes = a->ints;
    if (n.inputs.size() > 1 && !n.inputs[1].empty()) {
      const auto it = m_.initializers.find(n.inputs[1]);
      if (it == m_.initializers.end() || !it->second.is_integer())
        refuse(n, run_error_code::unsupported_attribute, "the axes must be a constant");
      axes = it->second.ints;
    }
    if (axes.empty() && n.find("noop_with_empty_axes") && n.find("noop_with_empty_axes")->i != 0)
      refuse(n, run_error_code::unsupported_attribute, "noop_with_empty_axes is not proven yet");
    std::vector<bool> reduced(rank, axes.empty());
    for (auto a : axes) {
      const std::int64_t r = a < 0 ? a + static_cast<std::int64_t>(rank) : a;
      if (r < 0 || r >= static_cast<std::int64_t>(rank)) refuse(n, run_error_code::invalid_node, "axis out of range");
      reduced[static_cast<std::size_t>(r)] = true;
    }
    // Each input element's output: its index with the reduced coordinates dropped.
    const std::size_t outputs = y.t.ints.size();
    std::vector<std::vector<address>> sums(outputs);
    const shape_t strides = row_major_strides(x0.t.shape);
    for (std::int64_t i = 0; i < total; ++i) {
      std::int64_t o = 0, rest = i;
      for (std::size_t d = 0; d < rank; ++d) {
        const std::int64_t c = rest / strides[d];
        rest %= strides[d];
        if (!reduced[d]) o = o * x0.t.shape[d] + c;
      }
      if (static_cast<std::size_t>(o) >= outputs) refuse(n, run_error_code::invalid_node, "internal: reduction shape");
      sums[static_cast<std::size_t>(o)].push_back(xa[static_cast<std::size_t>(i)]);
    }
    const int to = *y.frac;
    if (max) {
      std::vector<address> out;
      for (const auto& group : sums) {
        if (group.empty()) refuse(n, run_error_code::invalid_node, "a reduction over no elements");
        address acc = group[0];
        for (std::size_t j = 1; j < group.size(); ++j) {
          const address next = fresh(1)[0];
          select(acc, group[j], 0, true, next);
          acc = next;
        }
        out.push_back(acc);
      }
      return define(n, 0, std::move(out));
    }
    if (n.op_type == "ReduceMean") {
      const std::int64_t count = outputs ? total / static_cast<std::int64_t>(outputs) : 1;
      if (count == 0) refuse(n, run_error_code::invalid_node, "a reduction over no elements");
      return means(n, sums, {count}, from, to);
    }
    std::vector<address> out = fresh(outputs);
    std::vector<std::pair<address, std::int64_t>> terms;
    const rescaling r = rescale_by(n, from - to);
    for (std::size_t o = 0; o < outputs; ++o) {
      terms.clear();
      for (address a : sums[o]) terms.emplace_back(a, 1);
      affine(n, terms, 0, r, out[o]);
    }
    define(n, 0, std::move(out));
  }

  /// Max and Min of values (int_ops op_common_frac: every operand at the smallest frac).
  void max_min(const node& n) {
    const int to = *value(n, n.outputs.at(0)).frac;
    const shape_t& out_shape = value(n, n.outputs[0]).t.shape;
    const auto count = static_cast<std::size_t>(num_elements(out_shape));
    std::vector<address> acc;
    for (const auto& name : n.inputs) {
      const int_value& v = value(n, name);
      if (!p_.tensors.count(name)) refuse(n, run_error_code::unsupported_attribute, "constant operands are not proven yet");
      const std::vector<address> a = rescaled(n, p_.tensors.at(name), *v.frac, to);
      const auto map = broadcast_map(v.t.shape, out_shape);
      std::vector<address> b(count);
      for (std::size_t o = 0; o < count; ++o) b[o] = a[static_cast<std::size_t>(map[o])];
      if (acc.empty()) {
        acc = std::move(b);
        continue;
      }
      std::vector<address> y = fresh(count);
      for (std::size_t o = 0; o < count; ++o) select(acc[o], b[o], 0, n.op_type == "Max", y[o]);
      acc = std::move(y);
    }
    define(n, 0, std::move(acc));
  }

  /// The input positions of each output of a pooling window (inside the input; padding is never
  /// selected), in the reference's order.
  static std::vector<std::vector<std::int64_t>> windows(const ops::window& w, std::int64_t planes) {
    std::vector<std::vector<std::int64_t>> out;
    for (std::int64_t p = 0; p < planes; ++p) {
      for (std::int64_t o0 = 0; o0 < w.out[0]; ++o0) {
        for (std::int64_t o1 = 0; o1 < w.out[1]; ++o1) {
          for (std::int64_t o2 = 0; o2 < w.out[2]; ++o2) {
            std::vector<std::int64_t>& at = out.emplace_back();
            const std::array<std::int64_t, 3> start{o0 * w.stride[0] - w.pad_begin[0],
                                                    o1 * w.stride[1] - w.pad_begin[1],
                                                    o2 * w.stride[2] - w.pad_begin[2]};
            for (std::int64_t k0 = 0; k0 < w.kernel[0]; ++k0) {
              const std::int64_t i0 = start[0] + k0 * w.dilation[0];
              if (i0 < 0 || i0 >= w.in[0]) continue;
              for (std::int64_t k1 = 0; k1 < w.kernel[1]; ++k1) {
                const std::int64_t i1 = start[1] + k1 * w.dilation[1];
                if (i1 < 0 || i1 >= w.in[1]) continue;
                for (std::int64_t k2 = 0; k2 < w.kernel[2]; ++k2) {
                  const std::int64_t i2 = start[2] + k2 * w.dilation[2];
                  if (i2 < 0 || i2 >= w.in[2]) continue;
                  at.push_back(((p * w.in[0] + i0) * w.in[1] + i1) * w.in[2] + i2);
                }
              }
            }
          }
        }
      }
    }
    return out;
  }

  void max_pool(const node& n) {
    if (n.outputs.size() > 1 && !n.outputs[1].empty())
      refuse(n, run_error_code::unsupported_attribute, "the Indices output is not proven");
    const int_value& x = value(n, n.inputs.at(0));
    const std::vector<address>& xa = addresses(n, n.inputs[0]);
    const attribute* ks = n.find("kernel_shape");
    if (!ks) refuse(n, run_error_code::invalid_node, "kernel_shape is required");
    const tensor fx = as_shape(x.t.shape);
    const ops::op_context oc{n, {&fx}};
    const bool ceil_mode = n.opset >= 10 && n.find("ceil_mode") && n.find("ceil_mode")->i != 0;
    const ops::window w = ops::make_window(oc, x.t.shape, ks->ints, ceil_mode, n.opset >= 10);
    std::vector<address> y;
    for (const auto& win : windows(w, x.t.shape[0] * x.t.shape[1])) {
      if (win.empty()) refuse(n, run_error_code::unsupported_attribute, "a window inside the padding");
      address acc = xa[static_cast<std::size_t>(win[0])];
      for (std::size_t j = 1; j < win.size(); ++j) {
        const address next = fresh(1)[0];
        select(acc, xa[static_cast<std::size_t>(win[j])], 0, true, next);
        acc = next;
      }
      y.push_back(acc);
    }
    define(n, 0, std::move(y));
  }

  /// The rounded means of sums at frac `from` (int_ops mean_of_sums): one affine step per output
  /// when the mean lands at the output's frac, else a second rescaling step.
  void means(const node& n, const std::vector<std::vector<address>>& sums, const std::vector<std::int64_t>& counts,
             int from, int to) {
    std::int64_t n_max = 1;
    for (auto c : counts) n_max = std::max(n_max, c);
    const int s = std::min(to - from, int_ops::mean_shift_limit(n_max, p_.limit));
    std::vector<address> mean = fresh(sums.size());
    std::vector<std::pair<address, std::int64_t>> terms;
    for (std::size_t i = 0; i < sums.size(); ++i) {
      const std::int64_t cnt = counts[i % counts.size()];
      if (cnt <= 0) refuse(n, run_error_code::unsupported_attribute, "an empty window");
      terms.clear();
      for (address a : sums[i]) terms.emplace_back(a, 1);
      rescaling r;
      if (s >= 0) {
        r = {std::int64_t{2} << s, cnt, 2 * cnt};
      } else {
        if (-s > 20) refuse(n, run_error_code::unsupported_attribute, "a mean rescaled by 2^" + std::to_string(s));
        r = {2, cnt << -s, (2 * cnt) << -s};
      }
      affine(n, terms, 0, r, mean[i]);
    }
    define(n, 0, rescaled(n, mean, from + s, to));
  }

  void average_pool(const node& n) {
    const int_value& x0 = value(n, n.inputs.at(0));
    const attribute* ks = n.find("kernel_shape");
    if (!ks) refuse(n, run_error_code::invalid_node, "kernel_shape is required");
    std::int64_t window_size = 1;
    for (auto k : ks->ints) window_size *= std::max<std::int64_t>(k, 1);
    const int from = *x0.frac - int_ops::sum_shift(context(n), window_size);
    const std::vector<address> xa = rescaled(n, addresses(n, n.inputs[0]), *x0.frac, from);
    const tensor fx = as_shape(x0.t.shape);
    const ops::op_context oc{n, {&fx}};
    const bool ceil_mode = n.opset >= 10 && n.find("ceil_mode") && n.find("ceil_mode")->i != 0;
    const bool include_pad = n.find("count_include_pad") && n.find("count_include_pad")->i != 0;
    if (include_pad) refuse(n, run_error_code::unsupported_attribute, "count_include_pad is not proven yet");
    const ops::window w = ops::make_window(oc, x0.t.shape, ks->ints, ceil_mode, false);
    std::vector<std::vector<address>> sums;
    std::vector<std::int64_t> counts;
    for (const auto& win : windows(w, x0.t.shape[0] * x0.t.shape[1])) {
      std::vector<address>& s = sums.emplace_back();
      for (auto i : win) s.push_back(xa[static_cast<std::size_t>(i)]);
      counts.push_back(static_cast<std::int64_t>(win.size()));
    }
    means(n, sums, counts, from, *value(n, n.outputs.at(0)).frac);
  }

  void global_average_pool(const node& n) {
    const int_value& x0 = value(n, n.inputs.at(0));
    const std::int64_t inner = ops::product(x0.t.shape, 2, x0.t.shape.size());
    const int from = *x0.frac - int_ops::sum_shift(context(n), inner);
    const std::vector<address> xa = rescaled(n, addresses(n, n.inputs[0]), *x0.frac, from);
    std::vector<std::vector<address>> sums(xa.size() / static_cast<std::size_t>(inner));
    for (std::size_t i = 0; i < sums.size(); ++i)
      sums[i].assign(xa.begin() + static_cast<std::ptrdiff_t>(i * static_cast<std::size_t>(inner)),
                     xa.begin() + static_cast<std::ptrdiff_t>((i + 1) * static_cast<std::size_t>(inner)));
    means(n, sums, {inner}, from, *value(n, n.outputs.at(0)).frac);
  }

  /// Pad (int_ops op_pad): wiring. In constant mode the padded positions read one address that
  /// holds the pad value quantized at X's frac (a constant step: an affine step of no term), given
  /// to the reference run in place of the value; edge and reflect modes copy X's own addresses.
  void pad(const node& n) {
    const int f = *value(n, n.inputs.at(0)).frac;
    const attribute* mode = n.find("mode");
    if (mode && mode->s != "constant") return wiring(n);
    double v = 0;
    node m = n;
    std::map<std::size_t, tensor> given;
    std::vector<address> k;
    if (n.opset < 11) {
      if (const attribute* a = n.find("value")) v = a->f;
    } else if (is_value(n, 2)) {
      // A value of the graph: its address, rescaled to X's frac (int_ops op_pad).
      const std::vector<address>& va = addresses(n, n.inputs[2]);
      if (va.size() != 1) refuse(n, run_error_code::invalid_node, "constant_value must be one value");
      k = rescaled(n, va, *value(n, n.inputs[2]).frac, f);
    } else if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
      const tensor* c = weight(n, 2);
      if (c->size() != 1) refuse(n, run_error_code::invalid_node, "constant_value must be one value");
      v = c->data[0];
    }
    if (k.empty()) {
      k = fresh(1);
      affine(n, {}, fixed::quantize(v, f), rescaling{}, k[0]);
    }
    const double at = static_cast<double>(k[0]);
    if (n.opset < 11) {
      for (auto& a : m.attributes) {
        if (a.name == "value") a.f = at;
      }
      if (!m.find("value")) {
        attribute a;
        a.name = "value";
        a.type = attribute::kind::float_;
        a.f = at;
        m.attributes.push_back(a);
      }
    } else {
      if (m.inputs.size() < 3) m.inputs.resize(3);
      given[2] = tensor::floats({}, {at});
    }
    wiring(m, given);
  }

  /// Data movement: the reference run on the addresses (as FLOAT values, exact below 2^53) gives
  /// each output element's source. The data operands (input 0; every operand of Concat) are first
  /// rescaled to the output's frac (int_ops op_common_frac: Concat's is the smallest of theirs).
  void wiring(const node& n, const std::map<std::size_t, tensor>& given = {}) {
    std::vector<tensor> storage(n.inputs.size());
    std::vector<const tensor*> ins(n.inputs.size(), nullptr);
    const int out_frac = *value(n, n.outputs.at(0)).frac;
    for (std::size_t i = 0; i < n.inputs.size(); ++i) {
      const std::string& name = n.inputs[i];
      if (const auto g = given.find(i); g != given.end()) {
        storage[i] = g->second;
        ins[i] = &storage[i];
        continue;
      }
      if (name.empty()) continue;
      const bool data = i == 0 || n.op_type == "Concat";
      if (p_.tensors.count(name) && !data) {
        // Dropout's ratio: read by the reference, without effect on an inference-mode output.
        if (n.op_type != "Dropout")
          refuse(n, run_error_code::unsupported_attribute, "a fixed-point operand that steers the data movement");
        storage[i] = value(n, name).dequantized();
      } else if (p_.tensors.count(name)) {
        const int_value& v = value(n, name);
        const auto a = rescaled(n, p_.tensors.at(name), *v.frac, out_frac);
        storage[i] = tensor::floats(v.t.shape, std::vector<double>(a.begin(), a.end()));
      } else if (input_dependent_.count(name)) {
        refuse(n, run_error_code::unsupported_attribute,
               "input '" + detail::printable(name) + "' depends on the model's input: a data-dependent selection");
      } else if (auto it = run_.find(name); it != run_.end()) {
        storage[i] = it->second.t;
      } else if (auto k = m_.initializers.find(name); k != m_.initializers.end()) {
        if (!k->second.is_integer())
          refuse(n, run_error_code::unsupported_attribute, "constant data operands are not proven yet");
        storage[i] = k->second;
      } else {
        refuse(n, run_error_code::invalid_node, "input '" + detail::printable(name) + "' is not defined");
      }
      ins[i] = &storage[i];
    }
    auto out = run_reference_node(n, ins);
    if (!out) throw run_failure{out.error().code, out.error().message};
    for (std::size_t o = 0; o < n.outputs.size(); ++o) {
      if (n.outputs[o].empty() || o >= out.value().size()) continue;
      const tensor& t = out.value()[o];
      if (t.is_integer()) continue;  // e.g. Dropout's mask
      std::vector<address> a(t.data.size());
      for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<address>(t.data[i]);
      define(n, o, std::move(a));
    }
  }

  /// The id of the table T[q] = round(f(q 2^-in_frac) 2^out_frac) over [-limit, limit] (undefined
  /// where f is not finite or leaves the range), added unless the program has it already.
  std::uint32_t function_id(const node& n, const std::string& op, int in_frac, int out_frac,
                            const std::function<double(double)>& f) {
    function_table t{op, in_frac, out_frac, std::vector<std::optional<std::int64_t>>(2 * p_.limit + 1)};
    for (std::int64_t q = -p_.limit; q <= p_.limit; ++q) {
      const double y = f(fixed::dequantize(q, in_frac));
      if (!std::isfinite(y) || std::fabs(std::ldexp(y, out_frac)) > static_cast<double>(fixed::field_half)) continue;
      const std::int64_t v = fixed::quantize(y, out_frac);
      if (v < -p_.limit || v > p_.limit) continue;
      t.values[static_cast<std::size_t>(q + p_.limit)] = v;
    }
    std::uint32_t id = 0;
    while (id < p_.functions.size() && p_.functions[id].values != t.values) ++id;
    if (id == p_.functions.size()) {
      if (p_.functions.size() == 64) refuse(n, run_error_code::unsupported_attribute, "more than 64 function tables");
      p_.functions.push_back(std::move(t));
    }
    return id;
  }

  void apply(std::uint32_t function, address in, address out) {
    p_.order.emplace_back(program::step_kind::function, static_cast<std::uint32_t>(p_.function.size()));
    p_.function.push_back({function, in, out});
  }

  /// An element-wise function as a table (int_ops table_op).
  void table(const node& n, const std::function<double(double)>& f) {
    const int_value& x = value(n, n.inputs.at(0));
    const std::vector<address>& xa = addresses(n, n.inputs[0]);
    const std::uint32_t id = function_id(n, n.op_type, *x.frac, *value(n, n.outputs.at(0)).frac, f);
    std::vector<address> y = fresh(xa.size());
    for (std::size_t i = 0; i < xa.size(); ++i) apply(id, xa[i], y[i]);
    define(n, 0, std::move(y));
  }
};

}  // namespace

result<std::vector<std::int64_t>, run_error_code> evaluate(const program& p,
                                                           const std::vector<std::vector<std::int64_t>>& inputs) {
  using err = error<run_error_code>;
  if (inputs.size() != p.inputs.size()) return err{run_error_code::bad_input, "wrong number of inputs"};
  std::vector<std::int64_t> v(p.num_values, 0);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& t = p.inputs[i];
    if (inputs[i].size() != t.addresses.size())
      return err{run_error_code::bad_input, "input '" + detail::printable(t.name) + "' has the wrong size"};
    for (std::size_t j = 0; j < inputs[i].size(); ++j) {
      if (inputs[i][j] > p.limit || inputs[i][j] < -p.limit)
        return err{run_error_code::bad_input, "input '" + detail::printable(t.name) + "' is outside its range"};
      v[t.addresses[j]] = inputs[i][j];
    }
  }
  for (const auto& [kind, index] : p.order) {
    switch (kind) {
      case program::step_kind::affine: {
        const affine_step& s = p.affine[index];
        std::int64_t acc = s.bias;
        for (std::uint32_t k = s.first_term; k < s.first_term + s.num_terms; ++k)
          acc += p.term_weight[k] * v[p.term_address[k]];
        const std::int64_t y = fixed::floor_div(s.mul * acc + s.add, s.div);
        if (y > s.bound || y < -s.bound) {
          return err{run_error_code::bad_input, "value " + std::to_string(y) + " of step " + std::to_string(index) +
                                                    " is outside its bound " + std::to_string(s.bound)};
        }
        v[s.out] = y;
        break;
      }
      case program::step_kind::dot: {
        const dot_step& s = p.dot[index];
        std::int64_t acc = 0;
        for (std::uint32_t k = s.first_pair; k < s.first_pair + s.num_pairs; ++k) acc += v[p.pair_a[k]] * v[p.pair_b[k]];
        const std::int64_t y = fixed::floor_div(s.mul * acc + s.add, s.div);
        if (y > s.bound || y < -s.bound) {
          return err{run_error_code::bad_input, "value " + std::to_string(y) + " of product step " +
                                                    std::to_string(index) + " is outside its bound " +
                                                    std::to_string(s.bound)};
        }
        v[s.out] = y;
        break;
      }
      case program::step_kind::select: {
        const select_step& s = p.select[index];
        const std::int64_t a = v[s.a], b = s.b_is_value ? v[s.b] : s.b_const;
        v[s.out] = s.is_max ? std::max(a, b) : std::min(a, b);
        break;
      }
      case program::step_kind::divide: {
        const divide_step& s = p.divide[index];
        const std::int64_t d = v[s.d];
        if (d < 1 || d > s.d_max) {
          return err{run_error_code::bad_input, "divisor " + std::to_string(d) + " of division step " +
                                                    std::to_string(index) + " is outside [1, " +
                                                    std::to_string(s.d_max) + "] (a proof divides by positive values)"};
        }
        const std::int64_t y = fixed::div_round(v[s.a] * (std::int64_t{1} << s.shift), d);
        if (y > s.bound || y < -s.bound) {
          return err{run_error_code::bad_input, "value " + std::to_string(y) + " of division step " +
                                                    std::to_string(index) + " is outside its bound " +
                                                    std::to_string(s.bound)};
        }
        v[s.out] = y;
        break;
      }
      case program::step_kind::trees: {
        const trees_step& s = p.trees[index];
        std::vector<std::int64_t> score = s.base;
        for (std::uint32_t t = s.first_tree; t < s.first_tree + s.num_trees; ++t) {
          const tree_node_entry* e = &p.tree_nodes[p.tree_roots[t]];
          for (std::uint32_t d = 0; d < p.tree_depths[t]; ++d)
            e = &p.tree_nodes[v[s.features[e->feature]] <= e->threshold ? e->if_true : e->if_false];
          for (std::size_t k = 0; k < score.size(); ++k) score[k] += e->weights[k];
        }
        for (std::size_t k = 0; k < score.size(); ++k) {
          if (score[k] > s.bound || score[k] < -s.bound) {
            return err{run_error_code::bad_input, "score " + std::to_string(score[k]) + " of trees step " +
                                                      std::to_string(index) + " is outside its bound " +
                                                      std::to_string(s.bound)};
          }
          v[s.out[k]] = score[k];
        }
        break;
      }
      case program::step_kind::function: {
        const function_step& s = p.function[index];
        const std::int64_t x = v[s.in];
        const auto& t = p.functions[s.function];
        if (x < -p.limit || x > p.limit || !t.values[static_cast<std::size_t>(x + p.limit)])
          return err{run_error_code::bad_input, t.op + " is not defined at the input " + std::to_string(x)};
        v[s.out] = *t.values[static_cast<std::size_t>(x + p.limit)];
        break;
      }
    }
  }
  return v;
}

result<program, run_error_code> lower(const model& m, const int_value_map& run, const quantization_config& config) {
  using err = error<run_error_code>;
  program p;
  try {
    p = lowerer(m, run, config).lower();
  } catch (const run_failure& f) {
    return err{f.code, f.message};
  }
  // The program on the run's inputs must give the run's values, tensor by tensor.
  std::vector<std::vector<std::int64_t>> inputs;
  for (const auto& t : p.inputs) inputs.push_back(run.at(t.name).t.ints);
  auto values = evaluate(p, inputs);
  if (!values) return values.error();
  for (const auto& [name, addresses] : p.tensors) {
    const auto& q = run.at(name).t.ints;
    for (std::size_t i = 0; i < addresses.size(); ++i) {
      if (values.value()[addresses[i]] != q[i]) {
        return err{run_error_code::invalid_node, "internal: the lowering of '" + detail::printable(name) +
                                                     "' differs from the integer inference at element " +
                                                     std::to_string(i)};
      }
    }
  }
  return p;
}

const std::vector<std::string>& lowered_operators() {
  static const std::vector<std::string> ops = {
      "Add",       "ArgMax",      "AveragePool", "BatchNormalization", "Clip",    "Concat",  "Conv",     "Div",       "Dropout",
      "Erf",       "Exp",         "Flatten",            "Gather",  "Gemm",     "GlobalAveragePool",
      "HardSigmoid", "HardSwish", "Identity",           "LeakyRelu", "Log",    "LogSoftmax", "MatMul",    "Max",
      "MaxPool",   "Min",         "Mul",                "Neg",     "Pad",     "Pow",      "PRelu",    "ReduceMax", "ReduceMean", "ReduceSum", "Relu",     "Reshape",   "Sigmoid", "Softmax",
      "Slice",     "Sqrt",        "Squeeze",            "Sub",     "Sum",      "Tanh",      "Transpose",
      "Unsqueeze"};
  return ops;
}

}  // namespace ciro::zkml
