// The classical machine-learning operators of ONNX-ML (domain ai.onnx.ml, opsets 1 to 3), as
// scikit-learn (skl2onnx), XGBoost and LightGBM (onnxmltools) export them: LinearClassifier,
// LinearRegressor, TreeEnsembleClassifier, TreeEnsembleRegressor, Normalizer, Scaler.
//
// Sources: ONNX's specification (onnx/onnx docs/Operators-ml.md) and, where it is silent, ONNX
// Runtime's CPU kernels (onnxruntime/core/providers/cpu/ml/: ml_common.h, linearclassifier.cc,
// linearregressor.cc, normalizer.cc, scaler.cc, tree_ensemble_common.h, tree_ensemble_aggregator.h),
// whose results these reproduce, computed in float64; the rules below were checked against ONNX
// Runtime 1.30 (onnxruntime-node) on models of every case. Outputs are "ZipMap-free": a
// classifier gives its INT64 labels [N] and its scores [N, C] as tensors; string class labels are
// refused (Ciro's tensors hold numbers only). X is [N, F] or [F] (one row), of FLOAT, DOUBLE,
// INT32 or INT64 (read as float64); every score output is FLOAT.
//
// Exactly what is implemented:
//  - post_transform of a score row s (ml_common.h): NONE; LOGISTIC 1 / (1 + e^-s_k); SOFTMAX;
//    SOFTMAX_ZERO, a softmax in which entries with |s_k| <= 1e-7 (float) become s_k e^-max(s)
//    and are left out of the sum; PROBIT sqrt(2) erfinv(2 s_k - 1) with the approximation both
//    ONNX Runtime and ONNX's Python reference use (Winitzki's, a = 0.147, pi as 3.14159), so
//    within 0.2% of the exact normal quantile. A row of one score (a one-target regressor) takes
//    PROBIT only: the other transforms leave it as it is, as in ONNX Runtime.
//  - LinearClassifier: s = X coefficients^T + intercepts, C = |intercepts| (or |coefficients| / F
//    without them) classes; classlabels_ints must hold C labels (2 when C = 1); multi_class is
//    ignored (as in ONNX Runtime). C >= 2: label = classlabels_ints[first argmax of s], Z =
//    post_transform(s). C = 1: label = classlabels_ints[s > 0], Z = [1 - q, q] with q = logistic(s)
//    under LOGISTIC and q = s under NONE, SOFTMAX and SOFTMAX_ZERO (ONNX Runtime's binary case;
//    PROBIT is refused there, as ONNX Runtime leaves half of Z unwritten).
//  - LinearRegressor: Y = post_transform(X coefficients^T + intercepts), `targets` columns.
//  - Normalizer (per row): MAX x / max(x), L1 x / sum |x|, L2 x / sqrt(sum x^2) (the sign kept, as
//    ONNX Runtime keeps it where the specification writes sqrt(x^2 / sum x^2)); a row whose divisor
//    is 0 is copied.
//  - Scaler: y = (x - offset) * scale, offset and scale of the same length, 1 or F (the last
//    dimension of [N, F] or [F]).
//  - Tree ensembles: nodes_* and the leaf weights (class_* / target_*) are lists of equal lengths;
//    the *_as_tensor variants (opset 3) replace the float lists. A tree is the nodes of one tree id,
//    listed together, its first listed node the root. A branch goes to its true child when
//    x[feature] <= / < / >= / > / == / != value (BRANCH_LEQ ... BRANCH_NEQ), or when x[feature] is
//    NaN and nodes_missing_value_tracks_true is 1. Refused: duplicate (tree, node) ids, children
//    that do not exist, a tree whose root is another node's child, cycles, a leaf without weights
//    or with two for one output, ids of outputs out of range, features the input lacks. Weights on
//    branch nodes are ignored (ONNX Runtime ignores them for models of old converters). Every walk
//    is bounded by the node count.
//  - TreeEnsembleRegressor: per target k, the weights of the leaves reached are aggregated by
//    SUM, AVERAGE (the sum / number of trees), MIN or MAX, plus base_values[k] (none, or n_targets
//    of them); then post_transform. A target no leaf reached weighs is 0, without its base value
//    (ONNX Runtime reads a score never set as 0). n_targets may not exceed the number of target
//    weights or base values (which bounds the output by the node's size).
//  - TreeEnsembleClassifier (C = |classlabels_int64s| >= 2 classes): s_k = the sum of the class-k
//    weights of the leaves reached, 0 for a class none weighs. C >= 3: s_k += base_values[k] (none,
//    or C of them); label = the first class of largest s_k among those with a weight or base value;
//    Z = post_transform(s). C = 2 takes ONNX Runtime's binary case, which needs the weights to name
//    one class w only (skl2onnx, XGBoost and LightGBM put the positive score on class 0): the
//    positive score p is s_0 + base_values[0] (when given) for w = 0, s_1 for w = 1; label =
//    classlabels[1] when p > 0.5 if every weight is >= 0, when p > 0 otherwise. For w = 0 with 0 or
//    1 base values Z = [logistic(-p), logistic(p)] under LOGISTIC, else [1 - p, p] if every weight
//    is >= 0 and [-p, p] if not. Otherwise (w = 1, or two base values) Z = post_transform of
//    [p, 0] (w = 0) or [0, p] (w = 1): the class without weights reads 0 whatever its base value.
//    Refused: weights on both classes of a two-class model (ONNX Runtime then labels 0 or 1 by the
//    sign of s_1, not by classlabels), PROBIT with a single positive score (half of Z unwritten),
//    and w = 1 with two base values (where ONNX Runtime drops the trees' scores).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "zkml/detail.hpp"
#include "zkml/ops_ml.hpp"

namespace ciro::zkml::ops {

namespace ml {

constexpr const char* ml_domain = "ai.onnx.ml";

// ---------------------------------------------------------------------------------------------
// Attributes and the input

std::vector<double> attr_floats(const op_context& c, std::string_view name) {
  const attribute* a = c.attr(name, attribute::kind::floats);
  return a ? a->floats : std::vector<double>{};
}

std::vector<std::string> attr_strings(const op_context& c, std::string_view name) {
  const attribute* a = c.attr(name, attribute::kind::strings);
  return a ? a->strings : std::vector<std::string>{};
}

/// The float list `name`, or its DOUBLE / FLOAT tensor variant `name`_as_tensor (opset 3), not both.
std::vector<double> floats_or_tensor(const op_context& c, const std::string& name) {
  const std::string tensor_name = name + "_as_tensor";
  const attribute* t = c.attr(tensor_name, attribute::kind::tensor);
  if (!t) return attr_floats(c, name);
  if (c.n.opset < 3) c.invalid("attribute '" + tensor_name + "' needs ai.onnx.ml opset 3");
  if (c.n.find(name)) c.invalid("attributes '" + name + "' and '" + tensor_name + "' are both given");
  if (t->t.is_integer()) c.invalid("attribute '" + tensor_name + "' must be a FLOAT or DOUBLE tensor");
  return t->t.data;
}

/// The INT64 class labels of a classifier (attribute `ints_name`); string labels are refused.
std::vector<std::int64_t> class_labels(const op_context& c, const char* ints_name) {
  if (c.n.find("classlabels_strings")) {
    c.fail(run_error_code::unsupported_type,
           "string class labels (classlabels_strings) are not supported: Ciro's tensors hold numbers only");
  }
  const attribute* a = c.attr(ints_name, attribute::kind::ints);
  if (!a) c.invalid(std::string("attribute '") + ints_name + "' is required");
  return a->ints;
}

/// X as N rows of F float64 features: [N, F], or [F] as one row.
struct feature_rows {
  std::int64_t n = 0, f = 0;
  std::vector<double> x;  // row-major, N * F
  [[nodiscard]] const double* row(std::int64_t i) const { return x.data() + static_cast<std::size_t>(i * f); }
};

feature_rows features(const op_context& c) {
  const tensor& t = c.input(0);
  if (t.type != element_type::float32 && t.type != element_type::float64 && t.type != element_type::int32 &&
      t.type != element_type::int64)
    c.unsupported_type(t.type);
  if (t.shape.empty() || t.shape.size() > 2) c.invalid("X must be [N, F] or [F], not " + shape_string(t.shape));
  feature_rows r;
  r.n = t.shape.size() == 1 ? 1 : t.shape[0];
  r.f = t.shape.back();
  r.x.resize(t.size());
  for (std::size_t i = 0; i < r.x.size(); ++i) r.x[i] = t.value(i);
  return r;
}

// ---------------------------------------------------------------------------------------------
// post_transform (ONNX Runtime ml_common.h; ONNX onnx/reference/ops/aionnxml/_common_classifier.py)


transform read_transform(const op_context& c) {
  const std::string s = c.attr_string("post_transform", "NONE");
  if (s == "NONE") return transform::none;
  if (s == "LOGISTIC") return transform::logistic;
  if (s == "SOFTMAX") return transform::softmax;
  if (s == "SOFTMAX_ZERO") return transform::softmax_zero;
  if (s == "PROBIT") return transform::probit;
  c.invalid("post_transform '" + detail::printable(s) +
            "' is not one of NONE, LOGISTIC, SOFTMAX, SOFTMAX_ZERO, PROBIT");
}

double logistic(double v) {
  if (v >= 0) return 1.0 / (1.0 + std::exp(-v));
  const double e = std::exp(v);
  return e / (1.0 + e);
}

/// sqrt(2) erfinv(2 v - 1) with erfinv(y) ~ sgn(y) sqrt(sqrt(t^2 - ln(1 - y^2) / a) - t),
/// t = 2 / (pi a) + ln(1 - y^2) / 2, a = 0.147, and ONNX Runtime's constants.
double probit(double v) {
  const double y = 2 * v - 1;
  const double sign = y < 0 ? -1.0 : 1.0;
  const double l = std::log((1 - y) * (1 + y));
  const double t = 2 / (3.14159 * 0.147) + 0.5 * l;
  return 1.41421356 * sign * std::sqrt(-t + std::sqrt(t * t - l / 0.147));
}

/// Applies the transform to one row of scores in place (a single score takes PROBIT only).
void apply(transform tr, double* s, std::size_t n) {
  if (tr == transform::probit) {
    for (std::size_t k = 0; k < n; ++k) s[k] = probit(s[k]);
    return;
  }
  if (n < 2 || tr == transform::none) return;
  if (tr == transform::logistic) {
    for (std::size_t k = 0; k < n; ++k) s[k] = logistic(s[k]);
    return;
  }
  const double mx = *std::max_element(s, s + n);
  double sum = 0;
  if (tr == transform::softmax) {
    for (std::size_t k = 0; k < n; ++k) sum += (s[k] = std::exp(s[k] - mx));
  } else {  // SOFTMAX_ZERO: ONNX Runtime's threshold is the float 1e-7
    const double eps = static_cast<double>(1e-7f);
    for (std::size_t k = 0; k < n; ++k) {
      if (s[k] > eps || s[k] < -eps) {
        sum += (s[k] = std::exp(s[k] - mx));
      } else {
        s[k] *= std::exp(-mx);
      }
    }
  }
  for (std::size_t k = 0; k < n; ++k) s[k] /= sum;
}

/// N x K scores as a FLOAT tensor.
tensor score_tensor(std::int64_t n, std::int64_t k, std::vector<double> v) {
  return tensor::floats({n, k}, std::move(v), element_type::float32);
}

// ---------------------------------------------------------------------------------------------
// Linear models


linear_model read_linear(const op_context& c, std::int64_t f, std::int64_t k) {
  linear_model m;
  m.w = attr_floats(c, "coefficients");
  m.b = attr_floats(c, "intercepts");
  if (m.w.empty()) c.invalid("attribute 'coefficients' is required");
  if (k < 0) {
    if (!m.b.empty()) {
      k = static_cast<std::int64_t>(m.b.size());
    } else {
      if (f == 0 || m.w.size() % static_cast<std::size_t>(f) != 0)
        c.invalid(std::to_string(m.w.size()) + " coefficients do not fill rows of " + std::to_string(f) + " features");
      k = static_cast<std::int64_t>(m.w.size()) / f;
    }
  }
  if (k > static_cast<std::int64_t>(m.w.size()) || static_cast<std::int64_t>(m.w.size()) != k * f) {
    c.invalid("has " + std::to_string(m.w.size()) + " coefficients, not " + std::to_string(k) + " x " +
              std::to_string(f) + " (outputs x features)");
  }
  if (!m.b.empty() && static_cast<std::int64_t>(m.b.size()) != k)
    c.invalid("has " + std::to_string(m.b.size()) + " intercepts for " + std::to_string(k) + " outputs");
  m.k = k;
  return m;
}

/// s = X W^T + b, N x K.
std::vector<double> linear_scores(const feature_rows& x, const linear_model& m) {
  std::vector<double> s(static_cast<std::size_t>(x.n * m.k));
  for (std::int64_t i = 0; i < x.n; ++i) {
    for (std::int64_t j = 0; j < m.k; ++j) {
      double v = m.b.empty() ? 0.0 : m.b[static_cast<std::size_t>(j)];
      for (std::int64_t q = 0; q < x.f; ++q) v += x.row(i)[q] * m.w[static_cast<std::size_t>(j * x.f + q)];
      s[static_cast<std::size_t>(i * m.k + j)] = v;
    }
  }
  return s;
}

std::vector<tensor> op_linear_classifier(const op_context& c) {
  const feature_rows x = features(c);
  const std::vector<std::int64_t> labels = class_labels(c, "classlabels_ints");
  const transform tr = read_transform(c);
  const linear_model m = read_linear(c, x.f, -1);
  if (m.k == 1 && labels.size() != 2)
    c.invalid("one score column needs 2 class labels, not " + std::to_string(labels.size()));
  if (m.k > 1 && static_cast<std::int64_t>(labels.size()) != m.k)
    c.invalid(std::to_string(m.k) + " classes need as many class labels, not " + std::to_string(labels.size()));
  if (m.k == 1 && tr == transform::probit)
    c.fail(run_error_code::unsupported_attribute, "post_transform PROBIT of a single score column is not supported");
  const std::vector<double> s = linear_scores(x, m);
  const std::int64_t cols = m.k == 1 ? 2 : m.k;
  tensor y = tensor::zeros({x.n}, element_type::int64);
  std::vector<double> z(static_cast<std::size_t>(x.n * cols));
  for (std::int64_t i = 0; i < x.n; ++i) {
    const double* row = s.data() + i * m.k;
    double* out = z.data() + i * cols;
    if (m.k == 1) {
      y.ints[static_cast<std::size_t>(i)] = labels[row[0] > 0 ? 1 : 0];
      out[1] = tr == transform::logistic ? logistic(row[0]) : row[0];
      out[0] = 1 - out[1];
      continue;
    }
    std::int64_t best = 0;
    for (std::int64_t j = 1; j < m.k; ++j) {
      if (row[j] > row[best]) best = j;
    }
    y.ints[static_cast<std::size_t>(i)] = labels[static_cast<std::size_t>(best)];
    std::copy(row, row + m.k, out);
    apply(tr, out, static_cast<std::size_t>(m.k));
  }
  return {y, score_tensor(x.n, cols, std::move(z))};
}

std::vector<tensor> op_linear_regressor(const op_context& c) {
  const feature_rows x = features(c);
  const transform tr = read_transform(c);
  const std::int64_t targets = c.attr_int("targets", 1);
  if (targets < 1) c.invalid("targets must be >= 1, not " + std::to_string(targets));
  const linear_model m = read_linear(c, x.f, targets);
  std::vector<double> s = linear_scores(x, m);
  for (std::int64_t i = 0; i < x.n; ++i) apply(tr, s.data() + i * m.k, static_cast<std::size_t>(m.k));
  return {score_tensor(x.n, m.k, std::move(s))};
}

// ---------------------------------------------------------------------------------------------
// Normalizer and Scaler

std::vector<tensor> op_normalizer(const op_context& c) {
  const feature_rows x = features(c);
  const std::string norm = c.attr_string("norm", "MAX");
  if (norm != "MAX" && norm != "L1" && norm != "L2")
    c.invalid("norm '" + detail::printable(norm) + "' is not one of MAX, L1, L2");
  std::vector<double> y = x.x;
  for (std::int64_t i = 0; i < x.n; ++i) {
    double* row = y.data() + i * x.f;
    const auto f = static_cast<std::size_t>(x.f);
    double d = 0;
    if (norm == "MAX") {
      d = -std::numeric_limits<double>::max();
      for (std::size_t k = 0; k < f; ++k) d = std::max(d, row[k]);
    } else {
      for (std::size_t k = 0; k < f; ++k) d += norm == "L1" ? std::abs(row[k]) : row[k] * row[k];
      if (norm == "L2") d = std::sqrt(d);
    }
    if (d == 0) continue;
    for (std::size_t k = 0; k < f; ++k) row[k] /= d;
  }
  return {tensor::floats(c.input(0).shape, std::move(y), element_type::float32)};
}

std::vector<tensor> op_scaler(const op_context& c) {
  const feature_rows x = features(c);
  const std::vector<double> scale = attr_floats(c, "scale"), offset = attr_floats(c, "offset");
  if (scale.empty()) c.invalid("attribute 'scale' is required");
  if (offset.size() != scale.size())
    c.invalid("offset has " + std::to_string(offset.size()) + " values, scale " + std::to_string(scale.size()));
  if (scale.size() != 1 && static_cast<std::int64_t>(scale.size()) != x.f)
    c.invalid("scale and offset must have 1 or " + std::to_string(x.f) + " values, not " +
              std::to_string(scale.size()));
  std::vector<double> y = x.x;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const std::size_t k = scale.size() == 1 ? 0 : i % static_cast<std::size_t>(x.f);
    y[i] = (y[i] - offset[k]) * scale[k];
  }
  return {tensor::floats(c.input(0).shape, std::move(y), element_type::float32)};
}

// ---------------------------------------------------------------------------------------------
// Tree ensembles




std::string where(const tree_node& t) { return "tree " + std::to_string(t.tree) + " node " + std::to_string(t.id); }

node_mode parse_mode(const op_context& c, const std::string& s, const tree_node& t) {
  static const std::pair<const char*, node_mode> modes[] = {
      {"BRANCH_LEQ", node_mode::leq}, {"BRANCH_LT", node_mode::lt}, {"BRANCH_GTE", node_mode::gte},
      {"BRANCH_GT", node_mode::gt},   {"BRANCH_EQ", node_mode::eq}, {"BRANCH_NEQ", node_mode::neq},
      {"LEAF", node_mode::leaf}};
  for (const auto& [name, m] : modes) {
    if (s == name) return m;
  }
  c.invalid(where(t) + ": mode '" + detail::printable(s) + "' is not a BRANCH_* mode or LEAF");
}

/// Reads and checks the nodes and the leaf weights `prefix`_treeids/_nodeids/_ids/_weights for
/// `outputs` outputs (classes or targets).
ensemble read_ensemble(const op_context& c, const std::string& prefix, std::int64_t outputs) {
  const auto tree_ids = c.attr_ints("nodes_treeids", {});
  const auto node_ids = c.attr_ints("nodes_nodeids", {});
  const auto features = c.attr_ints("nodes_featureids", {});
  const auto true_ids = c.attr_ints("nodes_truenodeids", {});
  const auto false_ids = c.attr_ints("nodes_falsenodeids", {});
  const auto missing = c.attr_ints("nodes_missing_value_tracks_true", {});
  const auto modes = attr_strings(c, "nodes_modes");
  const auto values = floats_or_tensor(c, "nodes_values");
  const std::size_t n = tree_ids.size();
  if (n == 0) c.invalid("has no tree nodes (nodes_treeids is empty)");
  auto same_length = [&](const char* name, std::size_t len, bool optional) {
    if (len != n && !(optional && len == 0))
      c.invalid(std::string("attribute '") + name + "' has " + std::to_string(len) + " entries, nodes_treeids " +
                std::to_string(n));
  };
  same_length("nodes_nodeids", node_ids.size(), false);
  same_length("nodes_featureids", features.size(), false);
  same_length("nodes_truenodeids", true_ids.size(), false);
  same_length("nodes_falsenodeids", false_ids.size(), false);
  same_length("nodes_modes", modes.size(), false);
  same_length("nodes_values", values.size(), false);
  same_length("nodes_missing_value_tracks_true", missing.size(), true);

  ensemble e;
  e.nodes.resize(n);
  std::map<std::pair<std::int64_t, std::int64_t>, std::size_t> index;  // (tree, node id) -> node
  std::set<std::int64_t> trees_seen;
  for (std::size_t i = 0; i < n; ++i) {
    tree_node& t = e.nodes[i];
    t.tree = tree_ids[i];
    t.id = node_ids[i];
    t.mode = parse_mode(c, modes[i], t);
    t.feature = features[i];
    t.value = values[i];
    if (!missing.empty() && missing[i] != 0 && missing[i] != 1)
      c.invalid(where(t) + ": nodes_missing_value_tracks_true must be 0 or 1, not " + std::to_string(missing[i]));
    t.missing_true = !missing.empty() && missing[i] == 1;
    if (!index.emplace(std::pair{t.tree, t.id}, i).second) c.invalid(where(t) + " is defined twice");
    if (i == 0 || tree_ids[i - 1] != t.tree) {
      if (!trees_seen.insert(t.tree).second)
        c.invalid("the nodes of tree " + std::to_string(t.tree) + " are not listed together");
      e.roots.push_back(i);
    }
    if (t.mode != node_mode::leaf && t.feature < 0)
      c.invalid(where(t) + ": feature " + std::to_string(t.feature) + " is negative");
  }
  std::size_t root = 0;
  for (std::size_t i = 0; i < n; ++i) {
    tree_node& t = e.nodes[i];
    if (i == 0 || tree_ids[i - 1] != t.tree) root = i;
    if (t.mode == node_mode::leaf) continue;
    auto child = [&](std::int64_t id, const char* which) {
      const auto it = index.find({t.tree, id});
      if (it == index.end()) c.invalid(where(t) + ": " + which + " child " + std::to_string(id) + " does not exist");
      if (it->second == root) {
        c.invalid(where(t) + ": " + which + " child " + std::to_string(id) +
                  " is the tree's first listed node, which must be its root");
      }
      return it->second;
    };
    t.true_child = child(true_ids[i], "true");
    t.false_child = child(false_ids[i], "false");
  }

  // Every tree must be acyclic: a depth-first search from its root that meets a node still on its
  // path has found a cycle. (Unreachable nodes are never walked.)
  std::vector<std::uint8_t> state(n, 0);  // 0 unvisited, 1 on the current path, 2 done
  for (const std::size_t r : e.roots) {
    std::vector<std::pair<std::size_t, int>> stack{{r, 0}};  // node, children visited
    state[r] = 1;
    while (!stack.empty()) {
      auto& [i, visited] = stack.back();
      const tree_node& t = e.nodes[i];
      if (t.mode == node_mode::leaf || visited == 2) {
        state[i] = 2;
        stack.pop_back();
        continue;
      }
      const std::size_t next = visited++ == 0 ? t.true_child : t.false_child;
      if (state[next] == 1)
        c.invalid(where(e.nodes[next]) + " is on a cycle (reached again from node " + std::to_string(t.id) + ")");
      if (state[next] == 0) {
        state[next] = 1;
        stack.emplace_back(next, 0);
      }
    }
  }

  // Leaf weights.
  const auto w_tree = c.attr_ints(prefix + "_treeids", {});
  const auto w_node = c.attr_ints(prefix + "_nodeids", {});
  e.weight_ids = c.attr_ints(prefix + "_ids", {});
  e.weight_values = floats_or_tensor(c, prefix + "_weights");
  const std::size_t m = e.weight_ids.size();
  if (w_tree.size() != m || w_node.size() != m || e.weight_values.size() != m) {
    c.invalid("attributes " + prefix + "_ids, _treeids, _nodeids and _weights have " + std::to_string(m) + ", " +
              std::to_string(w_tree.size()) + ", " + std::to_string(w_node.size()) + " and " +
              std::to_string(e.weight_values.size()) + " entries");
  }
  for (std::size_t k = 0; k < m; ++k) {
    const auto it = index.find({w_tree[k], w_node[k]});
    if (it == index.end()) {
      c.invalid(prefix + " weight " + std::to_string(k) + " is for node " + std::to_string(w_node[k]) + " of tree " +
                std::to_string(w_tree[k]) + ", which does not exist");
    }
    tree_node& t = e.nodes[it->second];
    const std::int64_t out = e.weight_ids[k];
    if (out < 0 || out >= outputs) {
      c.invalid(where(t) + ": " + prefix + " id " + std::to_string(out) + " is outside [0, " + std::to_string(outputs) +
                ")");
    }
    if (t.mode != node_mode::leaf) continue;
    for (const auto& [o, w] : t.weights) {
      if (o == out) c.invalid(where(t) + " has two weights for " + prefix + " " + std::to_string(out));
    }
    t.weights.emplace_back(out, e.weight_values[k]);
  }
  for (const tree_node& t : e.nodes) {
    if (t.mode == node_mode::leaf && t.weights.empty())
      c.invalid(where(t) + " is a leaf without " + prefix + " weights");
  }
  return e;
}

/// Refuses a branch that reads a feature the input (f features) does not have.
void check_features(const op_context& c, const ensemble& e, std::int64_t f) {
  for (const tree_node& t : e.nodes) {
    if (t.mode != node_mode::leaf && t.feature >= f)
      c.invalid(where(t) + " reads feature " + std::to_string(t.feature) + " of an input with " + std::to_string(f));
  }
}

/// The leaf that row x reaches from the root r. The walk takes at most as many steps as there are
/// nodes (read_ensemble has ruled out cycles).
const tree_node& leaf_of(const op_context& c, const ensemble& e, std::size_t r, const double* x) {
  std::size_t i = r;
  for (std::size_t step = 0; step <= e.nodes.size(); ++step) {
    const tree_node& t = e.nodes[i];
    if (t.mode == node_mode::leaf) return t;
    const double v = x[t.feature];
    bool go_true = false;
    switch (t.mode) {
      case node_mode::leq:
        go_true = v <= t.value;
        break;
      case node_mode::lt:
        go_true = v < t.value;
        break;
      case node_mode::gte:
        go_true = v >= t.value;
        break;
      case node_mode::gt:
        go_true = v > t.value;
        break;
      case node_mode::eq:
        go_true = v == t.value;
        break;
      default:  // node_mode::neq
        go_true = v != t.value;
        break;
    }
    if (t.missing_true && std::isnan(v)) go_true = true;
    i = go_true ? t.true_child : t.false_child;
  }
  c.invalid("the walk of tree " + std::to_string(e.nodes[r].tree) + " exceeds its node count");
}

std::vector<tensor> op_tree_regressor(const op_context& c) {
  const feature_rows x = features(c);
  const transform tr = read_transform(c);
  const std::int64_t targets = c.attr_int("n_targets", 0);
  if (targets < 1) c.invalid("n_targets must be >= 1, not " + std::to_string(targets));
  const std::string agg = c.attr_string("aggregate_function", "SUM");
  if (agg != "SUM" && agg != "AVERAGE" && agg != "MIN" && agg != "MAX")
    c.invalid("aggregate_function '" + detail::printable(agg) + "' is not one of SUM, AVERAGE, MIN, MAX");
  const std::vector<double> base = floats_or_tensor(c, "base_values");
  if (!base.empty() && static_cast<std::int64_t>(base.size()) != targets)
    c.invalid("has " + std::to_string(base.size()) + " base_values for " + std::to_string(targets) + " targets");
  const ensemble e = read_ensemble(c, "target", targets);
  check_features(c, e, x.f);
  // Every target is named by a weight or a base value (which bounds the output's size by the node's).
  if (targets > static_cast<std::int64_t>(std::max(e.weight_ids.size(), base.size()))) {
    c.invalid("n_targets " + std::to_string(targets) + " exceeds the " + std::to_string(e.weight_ids.size()) +
              " target weights");
  }
  const auto k = static_cast<std::size_t>(targets);
  std::vector<double> y(static_cast<std::size_t>(x.n) * k);
  for (std::int64_t i = 0; i < x.n; ++i) {
    double* s = y.data() + static_cast<std::size_t>(i) * k;
    std::vector<bool> has(k, false);
    for (const std::size_t r : e.roots) {
      for (const auto& [o, w] : leaf_of(c, e, r, x.row(i)).weights) {
        const auto j = static_cast<std::size_t>(o);
        if (agg == "SUM" || agg == "AVERAGE") {
          s[j] += w;
        } else if (!has[j] || (agg == "MIN" ? w < s[j] : w > s[j])) {
          s[j] = w;
        }
        has[j] = true;
      }
    }
    for (std::size_t j = 0; j < k; ++j) {
      if (!has[j]) continue;  // read as 0, base value or not (one target always has a weight)
      if (agg == "AVERAGE") s[j] /= static_cast<double>(e.roots.size());
      if (!base.empty()) s[j] += base[j];
    }
    apply(tr, s, k);
  }
  return {score_tensor(x.n, targets, std::move(y))};
}

std::vector<tensor> op_tree_classifier(const op_context& c) {
  const feature_rows x = features(c);
  const std::vector<std::int64_t> labels = class_labels(c, "classlabels_int64s");
  const transform tr = read_transform(c);
  const auto classes = static_cast<std::int64_t>(labels.size());
  if (classes < 2) c.invalid("needs at least 2 class labels, not " + std::to_string(classes));
  const std::vector<double> base = floats_or_tensor(c, "base_values");
  if (!base.empty() && static_cast<std::int64_t>(base.size()) != classes && !(classes == 2 && base.size() == 1))
    c.invalid("has " + std::to_string(base.size()) + " base_values for " + std::to_string(classes) + " classes");
  const ensemble e = read_ensemble(c, "class", classes);
  check_features(c, e, x.f);
  const auto k = static_cast<std::size_t>(classes);

  // ONNX Runtime's binary case (tree_ensemble_common.h, tree_ensemble_aggregator.h).
  const std::set<std::int64_t> weighted(e.weight_ids.begin(), e.weight_ids.end());
  const bool all_positive =
      std::all_of(e.weight_values.begin(), e.weight_values.end(), [](double w) { return w >= 0; });
  const std::int64_t w_class = *weighted.begin();
  if (classes == 2) {
    if (weighted.size() != 1) {
      c.fail(run_error_code::unsupported_attribute,
             "two classes with weights for both are not supported (ONNX Runtime labels them 0 or 1 by the sign "
             "of the class-1 score)");
    }
    if (w_class == 1 && base.size() == 2) {
      c.fail(run_error_code::unsupported_attribute,
             "two base_values with weights for class 1 only are not supported (ONNX Runtime drops the trees' "
             "scores there)");
    }
  }
  const bool single = classes == 2 && w_class == 0 && base.size() != 2;  // one score, expanded to two
  if (single && tr == transform::probit)
    c.fail(run_error_code::unsupported_attribute, "post_transform PROBIT of a single binary score is not supported");

  tensor y = tensor::zeros({x.n}, element_type::int64);
  std::vector<double> z(static_cast<std::size_t>(x.n) * k);
  for (std::int64_t i = 0; i < x.n; ++i) {
    double* s = z.data() + static_cast<std::size_t>(i) * k;
    std::vector<bool> has(k, false);
    for (const std::size_t r : e.roots) {
      for (const auto& [o, w] : leaf_of(c, e, r, x.row(i)).weights) {
        s[o] += w;
        has[static_cast<std::size_t>(o)] = true;
      }
    }
    std::int64_t& label = y.ints[static_cast<std::size_t>(i)];
    if (classes > 2) {
      for (std::size_t j = 0; j < base.size(); ++j) {
        s[j] += base[j];
        has[j] = true;
      }
      std::size_t best = k;
      for (std::size_t j = 0; j < k; ++j) {
        if (has[j] && (best == k || s[j] > s[best])) best = j;
      }
      label = labels[best];  // best < k: every leaf reached carries a weight
      apply(tr, s, k);
      continue;
    }
    // The class without weights reads as 0 whatever base value it was given.
    if (has[0] && !base.empty()) s[0] += base[0];
    const double p = s[w_class];
    const bool positive = all_positive ? p > 0.5 : p > 0;
    label = labels[positive ? 1 : 0];
    if (!single) {
      apply(tr, s, 2);
    } else if (tr == transform::logistic) {
      s[0] = logistic(-p);
      s[1] = logistic(p);
    } else {
      s[0] = all_positive ? 1 - p : -p;
      s[1] = p;
    }
  }
  return {y, score_tensor(x.n, classes, std::move(z))};
}

}  // namespace ml

void add_ml_ops(op_table& t) {
  using namespace ml;
  t.emplace(op_key(ml_domain, "LinearClassifier"), op_linear_classifier);
  t.emplace(op_key(ml_domain, "LinearRegressor"), op_linear_regressor);
  t.emplace(op_key(ml_domain, "Normalizer"), op_normalizer);
  t.emplace(op_key(ml_domain, "Scaler"), op_scaler);
  t.emplace(op_key(ml_domain, "TreeEnsembleClassifier"), op_tree_classifier);
  t.emplace(op_key(ml_domain, "TreeEnsembleRegressor"), op_tree_regressor);
}

}  // namespace ciro::zkml::ops
