// The integer inference of the ONNX-ML ops its proof takes (int_ops::classifier_plan,
// tree_regressor_plan, ml_linear_plan): LinearClassifier, TreeEnsembleClassifier,
// TreeEnsembleRegressor, Scaler and LinearRegressor on the
// integers of their input, with the same reading of the attributes as the float reference
// (zkml/ops_ml.cpp). Other cases, and the other ONNX-ML ops, run on the reals (op_on_reals).

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>

#include "zkml/fixed_point.hpp"
#include "zkml/int_ops.hpp"

namespace ciro::zkml::int_ops {

namespace {

using ops::ml::node_mode;
using ops::ml::transform;

/// The largest frac in [min_frac, max_frac] at which integers of magnitude `sum_at(f)` stay within
/// the limit; nothing when none does.
std::optional<int> largest_frac(const quantization_config& config, const std::function<double(int)>& sum_at) {
  for (int f = config.max_frac; f >= config.min_frac; --f)
    if (sum_at(f) <= static_cast<double>(config.activation_limit())) return f;
  return std::nullopt;
}

/// The linear classifier's weights and score frac.
bool plan_linear(const int_context& c, const ops::op_context& oc, classifier_plan& p) {
  const ops::ml::linear_model m = ops::ml::read_linear(oc, p.features, -1);
  // One score column with 2 labels is the binary form: label 1 when S > 0, class 0 as 1 - class 1.
  p.binary = m.k == 1 && p.labels.size() == 2;
  if (!p.binary && (m.k < 2 || static_cast<std::int64_t>(p.labels.size()) != m.k)) return false;
  p.classes = m.k;
  const auto f = static_cast<std::size_t>(p.features);
  std::vector<double> bias_abs(static_cast<std::size_t>(m.k), 0.0);
  for (std::size_t k = 0; k < bias_abs.size() && k < m.b.size(); ++k) bias_abs[k] = std::fabs(m.b[k]);
  p.weights = quantize_weights(c, m.w, static_cast<std::size_t>(m.k), [f](std::size_t i) { return i / f; }, bias_abs,
                               p.input_frac);
  // The largest score for any input within the limit: sum_f |w_kf| limit 2^-f_x + |b_k|.
  const double x_max = std::ldexp(static_cast<double>(c.limit()), -p.input_frac);
  double reach = 0;
  for (std::int64_t k = 0; k < m.k; ++k) {
    double r = bias_abs[static_cast<std::size_t>(k)];
    for (std::size_t j = 0; j < f; ++j) r += std::fabs(m.w[static_cast<std::size_t>(k) * f + j]) * x_max;
    reach = std::max(reach, r);
  }
  const auto fs = largest_frac(c.config, [&](int s) { return std::ldexp(reach, s) + 1; });
  if (!fs) return false;
  p.score_frac = *fs;
  for (std::int64_t k = 0; k < m.k; ++k) {
    const int acc = p.input_frac + p.weights.frac[static_cast<std::size_t>(k)];
    p.bias.push_back(m.b.empty() ? 0 : fixed::quantize(m.b[static_cast<std::size_t>(k)], acc));
  }
  return true;
}

/// The ensemble's branch tests as integer comparisons: x <= v is q <= floor(v 2^f); x < v is
/// q <= ceil(v 2^f) - 1; >= and > are their negations (swapped); a threshold beyond the limit
/// decides the branch alone. False for BRANCH_EQ and BRANCH_NEQ, or a threshold out of scale.
bool plan_branches(const int_context& c, classifier_plan& p) {
  const auto& nodes = p.ensemble.nodes;
  const std::int64_t limit = c.limit();
  p.kind.assign(nodes.size(), classifier_plan::comparison::never);
  p.threshold.assign(nodes.size(), 0);
  p.swapped.assign(nodes.size(), false);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const ops::ml::tree_node& t = nodes[i];
    if (t.mode == node_mode::leaf) continue;
    if (t.mode == node_mode::eq || t.mode == node_mode::neq) return false;
    const double scaled = std::ldexp(t.value, p.input_frac);
    if (!std::isfinite(scaled) || std::fabs(scaled) > 1e15) return false;
    const bool strict = t.mode == node_mode::lt || t.mode == node_mode::gte;
    const auto th = static_cast<std::int64_t>(strict ? std::ceil(scaled) - 1 : std::floor(scaled));
    p.swapped[i] = t.mode == node_mode::gte || t.mode == node_mode::gt;
    p.threshold[i] = th;
    p.kind[i] = th >= limit   ? classifier_plan::comparison::always
                : th < -limit ? classifier_plan::comparison::never
                              : classifier_plan::comparison::compare;
  }
  return true;
}

/// The score frac: the largest at which, for every output, |base| + the sum over trees of the
/// largest |weight| of the tree's leaves fits the limit; then `base` (per output) and the leaf
/// weights quantized there.
bool plan_leaves(const int_context& c, classifier_plan& p, const std::vector<double>& base) {
  const auto& nodes = p.ensemble.nodes;
  const auto k = static_cast<std::size_t>(p.classes);
  std::map<std::int64_t, std::size_t> tree_index;
  for (std::size_t r = 0; r < p.ensemble.roots.size(); ++r) tree_index[nodes[p.ensemble.roots[r]].tree] = r;
  const auto reach_at = [&](int f) {
    std::vector<std::vector<double>> largest(p.ensemble.roots.size(), std::vector<double>(k, 0.0));
    for (const auto& t : nodes) {
      if (t.mode != node_mode::leaf) continue;
      for (const auto& [o, w] : t.weights) {
        double& l = largest[tree_index.at(t.tree)][static_cast<std::size_t>(o)];
        l = std::max(l, std::fabs(static_cast<double>(fixed::quantize(w, f))));
      }
    }
    double worst = 0;
    for (std::size_t j = 0; j < k; ++j) {
      double s = std::fabs(static_cast<double>(fixed::quantize(base[j], f)));
      for (const auto& tree : largest) s += tree[j];
      worst = std::max(worst, s);
    }
    return worst;
  };
  const auto fs = largest_frac(c.config, reach_at);
  if (!fs) return false;
  p.score_frac = *fs;
  for (double b : base) p.base.push_back(fixed::quantize(b, p.score_frac));
  p.leaf_weights.resize(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i)
    for (const auto& [o, w] : nodes[i].weights) p.leaf_weights[i].push_back(fixed::quantize(w, p.score_frac));
  return true;
}

/// A two-class ensemble in ONNX Runtime's binary form (classifier_plan::binary): one score.
bool plan_binary_trees(const int_context& c, const ops::op_context& oc, classifier_plan& p, std::vector<double> base) {
  if (base.size() > 1 || (p.transform != transform::none && p.transform != transform::logistic)) return false;
  p.ensemble = ops::ml::read_ensemble(oc, "class", 2);
  ops::ml::check_features(oc, p.ensemble, p.features);
  // Every leaf weighs class 0 (so the reference always adds the base value) and none class 1.
  for (const auto& t : p.ensemble.nodes) {
    if (t.mode != node_mode::leaf) continue;
    if (t.weights.empty()) return false;
    for (const auto& [o, w] : t.weights)
      if (o != 0) return false;
  }
  p.binary = true;
  p.classes = 1;
  const bool all_positive =
      std::all_of(p.ensemble.weight_values.begin(), p.ensemble.weight_values.end(), [](double w) { return w >= 0; });
  base.resize(1, 0.0);
  if (!plan_branches(c, p) || !plan_leaves(c, p, base)) return false;
  // p > 0.5 is S > 2^(f - 1) for f >= 1, S > 0 for f <= 0; a threshold at the limit or beyond
  // is the limit (no S exceeds it).
  const int f = p.score_frac;
  p.positive_above = !all_positive || f <= 0 ? 0 : f > 30 ? c.limit() : std::min(c.limit(), std::int64_t{1} << (f - 1));
  using zero = classifier_plan::class_zero;
  p.zero = p.transform == transform::logistic ? zero::negated_score : all_positive ? zero::complement : zero::negation;
  return true;
}

/// The ensemble's integer thresholds, quantized leaf weights and score frac.
bool plan_trees(const int_context& c, const ops::op_context& oc, classifier_plan& p) {
  p.classes = static_cast<std::int64_t>(p.labels.size());
  std::vector<double> base = ops::ml::floats_or_tensor(oc, "base_values");
  if (p.classes == 2) return plan_binary_trees(c, oc, p, std::move(base));
  if (p.classes < 3 || static_cast<std::int64_t>(base.size()) != p.classes) return false;
  p.ensemble = ops::ml::read_ensemble(oc, "class", p.classes);
  ops::ml::check_features(oc, p.ensemble, p.features);
  return plan_branches(c, p) && plan_leaves(c, p, base);
}

/// A score |s| <= limit at frac `from` rounded to frac `to` (a quantization's fracs may be far
/// apart: below half a unit it is 0, and a scale-up beyond 2^40 is refused).
std::int64_t rescale_score(const int_context& c, std::int64_t s, int from, int to) {
  if (from - to > 62) return 0;
  if (from - to < -40) c.unsupported("a score scaled up by more than 2^40");
  return fixed::round_shift(s, from - to);
}

/// The scores of row i (score_frac).
std::vector<std::int64_t> scores(const int_context& c, const classifier_plan& p, const std::vector<std::int64_t>& x,
                                 std::int64_t i) {
  const auto k = static_cast<std::size_t>(p.classes);
  const std::int64_t* row = x.data() + i * p.features;
  std::vector<std::int64_t> s(k, 0);
  if (!p.trees) {
    for (std::size_t j = 0; j < k; ++j) {
      std::int64_t acc = p.bias[j];
      for (std::int64_t f = 0; f < p.features; ++f)
        acc += p.weights.q[j * static_cast<std::size_t>(p.features) + static_cast<std::size_t>(f)] * row[f];
      c.check_accumulator(acc);
      s[j] = fixed::round_shift(acc, p.input_frac + p.weights.frac[j] - p.score_frac);
    }
    return s;
  }
  s = p.base;
  const auto& nodes = p.ensemble.nodes;
  for (const std::size_t r : p.ensemble.roots) {
    std::size_t n = r;
    for (std::size_t step = 0; step <= nodes.size() && nodes[n].mode != node_mode::leaf; ++step)
      n = p.goes_true(n, row[nodes[n].feature]) ? nodes[n].true_child : nodes[n].false_child;
    for (std::size_t w = 0; w < nodes[n].weights.size(); ++w)
      s[static_cast<std::size_t>(nodes[n].weights[w].first)] += p.leaf_weights[n][w];
  }
  return s;
}

std::vector<int_value> op_classifier(const int_context& c) {
  const auto plan = plan_classifier(c);
  if (!plan) return op_on_reals(c);
  const classifier_plan& p = *plan;
  const int_value& x = c.fixed_input(0);
  const auto k = static_cast<std::size_t>(p.classes);
  tensor labels = tensor::zeros({p.rows}, element_type::int64);
  const int fo = c.out_frac(1);
  std::optional<softmax_plan> sp;
  if (p.transform == transform::softmax && !p.binary) {
    sp = plan_softmax(p.classes, fo, c.config);
    if (!sp) c.unsupported("Softmax over too many classes");
  }
  const std::size_t outputs = p.binary ? 2 : k;
  std::vector<std::int64_t> z(static_cast<std::size_t>(p.rows) * outputs);
  for (std::int64_t i = 0; i < p.rows; ++i) {
    const std::vector<std::int64_t> s = scores(c, p, x.t.ints, i);
    for (std::size_t j = 0; j < k; ++j) {
      if (s[j] > c.limit() || s[j] < -c.limit()) c.invalid("a score outside the activation range");
    }
    if (p.binary) {
      const std::int64_t score = s[0];
      labels.ints[static_cast<std::size_t>(i)] = p.labels[score > p.positive_above ? 1 : 0];
      std::int64_t* out = z.data() + static_cast<std::size_t>(i) * 2;
      const auto logistic_at = [&](std::int64_t q) {
        return fixed::quantize(ops::ml::logistic(fixed::dequantize(q, p.score_frac)), fo);
      };
      out[1] = p.transform == transform::logistic ? logistic_at(score) : rescale_score(c, score, p.score_frac, fo);
      using zero = classifier_plan::class_zero;
      out[0] = p.zero == zero::negated_score ? logistic_at(-score)
               : p.zero == zero::complement  ? fixed::quantize(1.0, fo) - out[1]
                                             : -out[1];
      continue;
    }
    const auto best = static_cast<std::size_t>(std::max_element(s.begin(), s.end()) - s.begin());  // the first
    labels.ints[static_cast<std::size_t>(i)] = p.labels[best];
    std::int64_t* out = z.data() + static_cast<std::size_t>(i) * k;
    if (p.transform == transform::softmax) {
      const std::vector<std::int64_t> y = softmax_row(c, s, p.score_frac, *sp);
      std::copy(y.begin(), y.end(), out);
    } else if (p.transform == transform::logistic) {
      for (std::size_t j = 0; j < k; ++j) {
        out[j] = fixed::quantize(ops::ml::logistic(fixed::dequantize(s[j], p.score_frac)), fo);
      }
    } else {
      for (std::size_t j = 0; j < k; ++j) out[j] = rescale_score(c, s[j], p.score_frac, fo);
    }
  }
  int_value probabilities = fixed_tensor({p.rows, static_cast<std::int64_t>(outputs)}, std::move(z), fo);
  c.check_range(probabilities, 1);
  if (c.bounds()) {
    // Exact for an exact input (a graph input); a tree's output is not continuous, and a linear
    // classifier's label is not either: an input carrying an error gives an infinite bound.
    bool exact = true;
    for (double e : c.errors(0).data) exact = exact && e == 0;
    tensor sens = c.reference_on_reals(1);
    for (auto& v : sens.data) v = exact ? 0.0 : std::numeric_limits<double>::infinity();
    set_error(c, probabilities, c.reference_on_reals(1), sens);
  }
  return {int_value{std::move(labels), std::nullopt, {}}, std::move(probabilities)};
}

/// TreeEnsembleRegressor on the integers (tree_regressor_plan), or on the reals for the cases it
/// does not take.
std::vector<int_value> op_tree_regressor(const int_context& c) {
  const auto plan = plan_tree_regressor(c);
  if (!plan) return op_on_reals(c);
  const classifier_plan& p = plan->trees;
  const int_value& x = c.fixed_input(0);
  const auto k = static_cast<std::size_t>(p.classes);
  std::vector<std::int64_t> y(static_cast<std::size_t>(p.rows) * k);
  for (std::int64_t i = 0; i < p.rows; ++i) {
    const std::vector<std::int64_t> s = scores(c, p, x.t.ints, i);
    for (std::size_t j = 0; j < k; ++j) {
      if (s[j] > c.limit() || s[j] < -c.limit()) c.invalid("a sum outside the activation range");
      y[static_cast<std::size_t>(i) * k + j] = fixed::floor_div(plan->mul * s[j] + plan->add, plan->div);
    }
  }
  int_value out = fixed_tensor({p.rows, p.classes}, std::move(y), c.out_frac(0));
  c.check_range(out, 0);
  if (c.bounds()) {
    // Exact for an exact input; a tree's output is not continuous in its input.
    bool exact = true;
    for (double e : c.errors(0).data) exact = exact && e == 0;
    tensor sens = c.reference_on_reals(0);
    for (auto& v : sens.data) v = exact ? 0.0 : std::numeric_limits<double>::infinity();
    set_error(c, out, c.reference_on_reals(0), sens);
  }
  return {std::move(out)};
}

/// Scaler and LinearRegressor on the integers (ml_linear_plan), or on the reals for the cases it
/// does not take.
std::vector<int_value> op_ml_linear(const int_context& c) {
  const auto plan = plan_ml_linear(c);
  if (!plan) return op_on_reals(c);
  const ml_linear_plan& p = *plan;
  const int_value& x = c.fixed_input(0);
  const auto n = static_cast<std::size_t>(p.rows), f = static_cast<std::size_t>(p.features),
             k = static_cast<std::size_t>(p.outputs);
  std::vector<std::int64_t> acc(n * k);
  tensor sens = tensor::floats({p.rows, p.outputs}, std::vector<double>(n * k, 0.0));
  const tensor e = c.bounds() ? c.errors(0) : tensor{};
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t o = 0; o < k; ++o) {
      const std::size_t ch = p.channel(o);
      std::int64_t a = p.bias[ch];
      if (p.elementwise) {
        a += p.q.q[ch] * x.t.ints[i * f + o];
        if (c.bounds()) sens.data[i * k + o] = std::fabs(p.weights[ch]) * e.data[i * f + o];
      } else {
        for (std::size_t j = 0; j < f; ++j) {
          a += p.q.q[o * f + j] * x.t.ints[i * f + j];
          if (c.bounds()) sens.data[i * k + o] += std::fabs(p.weights[o * f + j]) * e.data[i * f + j];
        }
      }
      c.check_accumulator(a);
      acc[i * k + o] = a;
    }
  }
  std::vector<int> fracs(p.q.frac.size());
  for (std::size_t ch = 0; ch < fracs.size(); ++ch) fracs[ch] = *x.frac + p.q.frac[ch];
  const shape_t shape = p.elementwise ? x.t.shape : shape_t{p.rows, p.outputs};
  int_value r = requantize_channels(c, shape, acc, fracs, 1, c.out_frac());
  if (c.bounds()) {
    sens.shape = shape;
    set_error(c, r, c.reference_on_reals(), sens);
  }
  return {r};
}

}  // namespace

std::optional<ml_linear_plan> plan_ml_linear(const int_context& c) {
  const bool scaler = c.n.op_type == "Scaler";
  if (c.n.domain != "ai.onnx.ml" || (!scaler && c.n.op_type != "LinearRegressor")) return std::nullopt;
  if (c.n.outputs.size() != 1 || !c.in.at(0) || !c.in[0]->is_fixed()) return std::nullopt;
  const int_value& x = *c.in[0];
  if (x.t.shape.empty() || x.t.shape.size() > 2) return std::nullopt;
  ml_linear_plan p;
  p.rows = x.t.shape.size() == 1 ? 1 : x.t.shape[0];
  p.features = x.t.shape.back();
  const tensor xs = tensor::floats(x.t.shape, std::vector<double>(x.t.ints.size(), 0.0));
  const ops::op_context oc{c.n, {&xs}};
  std::vector<double> bias;
  if (scaler) {
    // As the reference reads them: the float attributes (no *_as_tensor forms).
    const attribute* scale_attr = oc.attr("scale", attribute::kind::floats);
    const attribute* offset_attr = oc.attr("offset", attribute::kind::floats);
    const std::vector<double> scale = scale_attr ? scale_attr->floats : std::vector<double>{};
    const std::vector<double> offset = offset_attr ? offset_attr->floats : std::vector<double>{};
    if (scale.empty() || offset.size() != scale.size() ||
        (scale.size() != 1 && static_cast<std::int64_t>(scale.size()) != p.features))
      return std::nullopt;
    p.elementwise = true;
    p.outputs = p.features;
    p.weights = scale;
    for (std::size_t j = 0; j < scale.size(); ++j) bias.push_back(-offset[j] * scale[j]);
  } else {
    if (ops::ml::read_transform(oc) != transform::none || oc.attr_int("targets", 1) < 1) return std::nullopt;
    const ops::ml::linear_model m = ops::ml::read_linear(oc, p.features, oc.attr_int("targets", 1));
    p.outputs = m.k;
    p.weights = m.w;
    bias = m.b.empty() ? std::vector<double>(static_cast<std::size_t>(m.k), 0.0) : m.b;
  }
  const std::size_t channels = p.elementwise ? p.weights.size() : static_cast<std::size_t>(p.outputs);
  const auto f = static_cast<std::size_t>(p.features);
  std::vector<double> bias_abs(bias.size());
  for (std::size_t j = 0; j < bias.size(); ++j) bias_abs[j] = std::fabs(bias[j]);
  p.q = quantize_weights(
      c, p.weights, channels, [&](std::size_t i) { return p.elementwise ? i : i / f; }, bias_abs, *x.frac);
  for (std::size_t ch = 0; ch < channels; ++ch) p.bias.push_back(fixed::quantize(bias[ch], *x.frac + p.q.frac[ch]));
  return p;
}

std::optional<tree_regressor_plan> plan_tree_regressor(const int_context& c) {
  if (c.n.domain != "ai.onnx.ml" || c.n.op_type != "TreeEnsembleRegressor") return std::nullopt;
  if (c.n.outputs.size() != 1 || !c.in.at(0) || !c.in[0]->is_fixed()) return std::nullopt;
  const int_value& x = *c.in[0];
  if (x.t.shape.empty() || x.t.shape.size() > 2) return std::nullopt;
  tree_regressor_plan plan;
  classifier_plan& p = plan.trees;
  p.trees = true;
  p.rows = x.t.shape.size() == 1 ? 1 : x.t.shape[0];
  p.features = x.t.shape.back();
  p.input_frac = *x.frac;
  const tensor xs = tensor::floats(x.t.shape, std::vector<double>(x.t.ints.size(), 0.0));
  const ops::op_context oc{c.n, {&xs}};
  if (ops::ml::read_transform(oc) != transform::none) return std::nullopt;
  p.classes = oc.attr_int("n_targets", 0);
  const std::string aggregate = oc.attr_string("aggregate_function", "SUM");
  if (p.classes < 1 || p.classes > 64 || (aggregate != "SUM" && aggregate != "AVERAGE")) return std::nullopt;
  std::vector<double> base = ops::ml::floats_or_tensor(oc, "base_values");
  if (base.empty()) base.assign(static_cast<std::size_t>(p.classes), 0.0);
  if (static_cast<std::int64_t>(base.size()) != p.classes) return std::nullopt;
  p.ensemble = ops::ml::read_ensemble(oc, "target", p.classes);
  ops::ml::check_features(oc, p.ensemble, p.features);
  // Every leaf weighs every target, so every target's sum is read (the reference reads a target
  // no leaf reached weighs as 0, without its base value).
  for (const auto& t : p.ensemble.nodes) {
    if (t.mode != node_mode::leaf) continue;
    std::vector<bool> named(static_cast<std::size_t>(p.classes), false);
    for (const auto& [o, w] : t.weights) named[static_cast<std::size_t>(o)] = true;
    if (std::find(named.begin(), named.end(), false) != named.end()) return std::nullopt;
  }
  const auto n = aggregate == "AVERAGE" ? static_cast<std::int64_t>(p.ensemble.roots.size()) : std::int64_t{1};
  for (double& b : base) b *= static_cast<double>(n);
  if (!plan_branches(c, p) || !plan_leaves(c, p, base)) return std::nullopt;
  // y = round(S 2^(f_y - f_s) / n) = floor((mul S + add) / div), with div <= 2^32 (the largest
  // divisor a rounding's remainder checks take) and mul <= 2^21.
  const int shift = p.score_frac - c.out_frac(0);
  if (shift > 31 || shift < -20 || n > (std::int64_t{1} << 31) >> std::max(shift, 0)) return std::nullopt;
  const std::int64_t down = shift > 0 ? std::int64_t{1} << shift : 1, up = shift < 0 ? std::int64_t{1} << -shift : 1;
  plan.mul = 2 * up;
  plan.add = n * down;
  plan.div = 2 * n * down;
  return plan;
}

std::optional<classifier_plan> plan_classifier(const int_context& c) {
  const bool trees = c.n.op_type == "TreeEnsembleClassifier";
  if (c.n.domain != "ai.onnx.ml" || (!trees && c.n.op_type != "LinearClassifier")) return std::nullopt;
  if (c.n.outputs.size() != 2 || !c.in.at(0) || !c.in[0]->is_fixed()) return std::nullopt;
  const int_value& x = *c.in[0];
  if (x.t.shape.empty() || x.t.shape.size() > 2) return std::nullopt;
  classifier_plan p;
  p.trees = trees;
  p.rows = x.t.shape.size() == 1 ? 1 : x.t.shape[0];
  p.features = x.t.shape.back();
  p.input_frac = *x.frac;
  const tensor xs = tensor::floats(x.t.shape, std::vector<double>(x.t.ints.size(), 0.0));
  const ops::op_context oc{c.n, {&xs}};
  p.labels = ops::ml::class_labels(oc, trees ? "classlabels_int64s" : "classlabels_ints");
  p.transform = ops::ml::read_transform(oc);
  if (p.transform != transform::none && p.transform != transform::softmax && p.transform != transform::logistic)
    return std::nullopt;
  if (!(trees ? plan_trees(c, oc, p) : plan_linear(c, oc, p))) return std::nullopt;
  return p;
}

void add_classifier_ops(int_op_table& t) {
  t[ops::op_key("ai.onnx.ml", "LinearClassifier")] = op_classifier;
  t[ops::op_key("ai.onnx.ml", "TreeEnsembleClassifier")] = op_classifier;
  t[ops::op_key("ai.onnx.ml", "TreeEnsembleRegressor")] = op_tree_regressor;
  t[ops::op_key("ai.onnx.ml", "Scaler")] = op_ml_linear;
  t[ops::op_key("ai.onnx.ml", "LinearRegressor")] = op_ml_linear;
}

}  // namespace ciro::zkml::int_ops
