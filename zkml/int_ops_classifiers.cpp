// The integer inference of the ONNX-ML classifiers its proof takes (int_ops::classifier_plan):
// LinearClassifier and TreeEnsembleClassifier on the integers of their input, with the same
// reading of the attributes as the float reference (zkml/ops_ml.cpp). Other cases, and the other
// ONNX-ML ops, run on the reals (op_on_reals).

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
  if (m.k < 2 || static_cast<std::int64_t>(p.labels.size()) != m.k) return false;
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

/// The ensemble's integer thresholds, quantized leaf weights and score frac.
bool plan_trees(const int_context& c, const ops::op_context& oc, classifier_plan& p) {
  p.classes = static_cast<std::int64_t>(p.labels.size());
  const std::vector<double> base = ops::ml::floats_or_tensor(oc, "base_values");
  if (p.classes < 3 || static_cast<std::int64_t>(base.size()) != p.classes) return false;
  p.ensemble = ops::ml::read_ensemble(oc, "class", p.classes);
  ops::ml::check_features(oc, p.ensemble, p.features);
  const auto& nodes = p.ensemble.nodes;
  const std::int64_t limit = c.limit();
  p.kind.assign(nodes.size(), classifier_plan::comparison::never);
  p.threshold.assign(nodes.size(), 0);
  p.swapped.assign(nodes.size(), false);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const ops::ml::tree_node& t = nodes[i];
    if (t.mode == node_mode::leaf) continue;
    if (t.mode == node_mode::eq || t.mode == node_mode::neq) return false;
    // x <= v is q <= floor(v 2^f); x < v is q <= ceil(v 2^f) - 1; >= and > are their negations.
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
  // Per class: |base| + sum over trees of the largest |weight| of the tree's leaves.
  const auto k = static_cast<std::size_t>(p.classes);
  std::vector<std::int64_t> tree_of(nodes.size());
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
  if (p.transform == transform::softmax) {
    sp = plan_softmax(p.classes, fo, c.config);
    if (!sp) c.unsupported("Softmax over too many classes");
  }
  std::vector<std::int64_t> z(static_cast<std::size_t>(p.rows) * k);
  for (std::int64_t i = 0; i < p.rows; ++i) {
    const std::vector<std::int64_t> s = scores(c, p, x.t.ints, i);
    for (std::size_t j = 0; j < k; ++j) {
      if (s[j] > c.limit() || s[j] < -c.limit()) c.invalid("a score outside the activation range");
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
      for (std::size_t j = 0; j < k; ++j) out[j] = fixed::round_shift(s[j], p.score_frac - fo);
    }
  }
  int_value probabilities = fixed_tensor({p.rows, p.classes}, std::move(z), fo);
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

}  // namespace

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
}

}  // namespace ciro::zkml::int_ops
