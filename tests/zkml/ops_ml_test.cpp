// The reference's ai.onnx.ml operators (zkml/ops_ml.cpp) against direct implementations on seeded
// random inputs: random trees (depth up to 6) walked node by node, every node mode, NaN features,
// every post_transform and aggregate function, binary and multi-class classifiers, base values,
// the *_as_tensor attributes; and the refusals of string labels and malformed trees.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/seed.hpp"
#include "tests/zkml/onnx_builder.hpp"
#include "tests/zkml/reference_helpers.hpp"

namespace {

using namespace ciro::zkml;
using namespace ciro::zkml::test::helpers;
using ciro::test::seeded_rng;
using ciro::zkml::test::model_builder;
using ciro::zkml::test::set_floats;
using ciro::zkml::test::set_int;
using ciro::zkml::test::set_ints;
using ciro::zkml::test::set_string;
using ciro::zkml::test::set_strings;
using ciro::zkml::test::set_tensor;

using i64 = std::int64_t;
constexpr element_type f32 = element_type::float32, f64 = element_type::float64, i32 = element_type::int32,
                       s64 = element_type::int64;
const std::vector<std::string> transforms = {"NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO", "PROBIT"};
const std::vector<std::string> branch_modes = {"BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE",
                                               "BRANCH_GT",  "BRANCH_EQ", "BRANCH_NEQ"};
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// A model importing the default domain (opset 13) and ai.onnx.ml at `ml_opset`.
model_builder ml_model(i64 ml_opset = 3) {
  model_builder b(13);
  auto* o = b.proto().add_opset_import();
  o->set_domain("ai.onnx.ml");
  o->set_version(ml_opset);
  return b;
}
onnx::NodeProto& ml_node(model_builder& b, const std::string& op, const std::vector<std::string>& in,
                         const std::vector<std::string>& out, const std::string& name = "ml") {
  onnx::NodeProto& n = b.node(op, in, out, name);
  n.set_domain("ai.onnx.ml");
  return n;
}

std::size_t pick(seeded_rng& rng, std::size_t n) { return static_cast<std::size_t>(rng.below(n)); }
/// A float32 value uniform in [lo, hi).
double uniform(seeded_rng& rng, double lo, double hi) {
  return static_cast<float>(lo + (hi - lo) * static_cast<double>(rng.below(1u << 20)) / (1u << 20));
}
std::vector<float> as_floats(const std::vector<double>& v) { return {v.begin(), v.end()}; }

/// X of the given type: multiples of 0.5 in [-1, 3] (integers for the integer types), so that
/// BRANCH_EQ / BRANCH_NEQ thresholds are met exactly.
tensor random_x(seeded_rng& rng, const shape_t& s, element_type t) {
  const auto n = static_cast<std::size_t>(num_elements(s));
  if (t == i32 || t == s64) {
    std::vector<i64> v(n);
    for (auto& x : v) x = static_cast<i64>(rng.below(5)) - 1;
    return tensor::integers(s, v, t);
  }
  std::vector<double> v(n);
  for (auto& x : v) x = 0.5 * static_cast<double>(rng.below(9)) - 1;
  return tensor::floats(s, v, t);
}

/// NaN-aware comparison of a FLOAT output with the direct values.
void expect_scores(const tensor& got, const shape_t& shape, const std::vector<double>& want, double tol = 1e-9) {
  ASSERT_EQ(got.type, f32);
  ASSERT_EQ(got.shape, shape);
  ASSERT_EQ(got.data.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i]) || got.data[i] == want[i]) {
      EXPECT_EQ(std::isnan(got.data[i]), std::isnan(want[i])) << "at " << i;
      continue;
    }
    ASSERT_NEAR(got.data[i], want[i], tol * (1 + std::abs(want[i]))) << "at " << i;
  }
}

// ---------------------------------------------------------------------------------------------
// Direct post_transform (ONNX Runtime ml_common.h; a single score takes PROBIT only)

double sigmoid(double v) { return 1 / (1 + std::exp(-v)); }
double probit_direct(double v) {  // sqrt(2) erfinv(2v - 1), Winitzki's approximation as ONNX Runtime has it
  const double y = 2 * v - 1, a = 0.147, pi = 3.14159;
  const double l = std::log(1 - y * y), t = 2 / (pi * a) + l / 2;
  return 1.41421356 * (y < 0 ? -1 : 1) * std::sqrt(std::sqrt(t * t - l / a) - t);
}
std::vector<double> transform_direct(const std::string& tr, std::vector<double> s) {
  if (tr == "PROBIT") {
    for (auto& v : s) v = probit_direct(v);
    return s;
  }
  if (s.size() < 2 || tr == "NONE") return s;
  if (tr == "LOGISTIC") {
    for (auto& v : s) v = sigmoid(v);
    return s;
  }
  const double mx = *std::max_element(s.begin(), s.end());
  const double eps = 1e-7f;
  const bool zero_mode = tr == "SOFTMAX_ZERO";
  double sum = 0;
  for (double v : s) {
    if (!zero_mode || std::abs(v) > eps) sum += std::exp(v - mx);
  }
  for (auto& v : s) v = (!zero_mode || std::abs(v) > eps) ? std::exp(v - mx) / sum : v * std::exp(-mx) / sum;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Random trees, walked explicitly

struct gnode {
  bool leaf = true;
  std::string mode;
  i64 feature = 0;
  double value = 0;
  bool missing_true = false;
  std::unique_ptr<gnode> yes, no;
  std::vector<std::pair<i64, double>> weights;  // (output, weight)
};

/// A random tree of depth <= max_depth over f features whose leaves weigh a random nonempty set of
/// the `outputs` outputs (exactly `only` when only >= 0), weights drawn by `weight`.
template <class W>
std::unique_ptr<gnode> random_tree(seeded_rng& rng, int depth, int max_depth, i64 f, i64 outputs, i64 only, W weight) {
  auto g = std::make_unique<gnode>();
  if (depth == max_depth || (depth > 0 && rng.below(3) == 0)) {
    for (i64 o = 0; o < outputs; ++o) {
      const bool take = only >= 0 ? o == only : rng.below(2) == 0;
      if (take) g->weights.emplace_back(o, weight());
    }
    if (g->weights.empty())
      g->weights.emplace_back(static_cast<i64>(rng.below(static_cast<std::uint64_t>(outputs))), weight());
    return g;
  }
  g->leaf = false;
  g->mode = branch_modes[pick(rng, branch_modes.size())];
  g->feature = static_cast<i64>(rng.below(static_cast<std::uint64_t>(f)));
  g->value = 0.5 * static_cast<double>(rng.below(9)) - 1;
  g->missing_true = rng.below(2) == 0;
  g->yes = random_tree(rng, depth + 1, max_depth, f, outputs, only, weight);
  g->no = random_tree(rng, depth + 1, max_depth, f, outputs, only, weight);
  return g;
}

void clear_missing(gnode& g) {
  g.missing_true = false;
  if (g.leaf) return;
  clear_missing(*g.yes);
  clear_missing(*g.no);
}

/// The leaf the row x reaches: the comparison named by the mode, or NaN with missing_value_tracks_true.
const gnode& walk(const gnode& root, const std::vector<double>& x) {
  const gnode* g = &root;
  while (!g->leaf) {
    const double v = x[static_cast<std::size_t>(g->feature)], t = g->value;
    bool yes = false;
    if (g->mode == "BRANCH_LEQ") yes = v <= t;
    if (g->mode == "BRANCH_LT") yes = v < t;
    if (g->mode == "BRANCH_GTE") yes = v >= t;
    if (g->mode == "BRANCH_GT") yes = v > t;
    if (g->mode == "BRANCH_EQ") yes = v == t;
    if (g->mode == "BRANCH_NEQ") yes = v != t;
    if (std::isnan(v) && g->missing_true) yes = true;
    g = yes ? g->yes.get() : g->no.get();
  }
  return *g;
}

/// The attribute lists of an ensemble: per tree the root first, the other nodes in random order
/// with random distinct node ids; the leaf weights shuffled over all trees.
struct flat_ensemble {
  std::vector<i64> tree_ids, node_ids, features, true_ids, false_ids, missing;
  std::vector<std::string> modes;
  std::vector<double> values;
  std::vector<i64> w_tree, w_node, w_id;
  std::vector<double> w_value;
};

flat_ensemble flatten(seeded_rng& rng, const std::vector<std::unique_ptr<gnode>>& trees,
                      const std::vector<i64>& tree_ids) {
  flat_ensemble e;
  struct weight {
    i64 tree, node, id;
    double value;
  };
  std::vector<weight> weights;
  for (std::size_t t = 0; t < trees.size(); ++t) {
    std::vector<const gnode*> nodes{trees[t].get()};
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (!nodes[i]->leaf) {
        nodes.push_back(nodes[i]->yes.get());
        nodes.push_back(nodes[i]->no.get());
      }
    }
    std::vector<i64> ids(nodes.size());
    std::iota(ids.begin(), ids.end(), static_cast<i64>(rng.below(4)));
    std::shuffle(ids.begin(), ids.end(), rng.engine());
    auto id_of = [&](const gnode* g) {
      return ids[static_cast<std::size_t>(std::find(nodes.begin(), nodes.end(), g) - nodes.begin())];
    };
    std::vector<std::size_t> order(nodes.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin() + 1, order.end(), rng.engine());
    for (const std::size_t i : order) {
      const gnode& g = *nodes[i];
      e.tree_ids.push_back(tree_ids[t]);
      e.node_ids.push_back(ids[i]);
      e.features.push_back(g.feature);
      e.modes.push_back(g.leaf ? "LEAF" : g.mode);
      e.values.push_back(g.value);
      e.true_ids.push_back(g.leaf ? 0 : id_of(g.yes.get()));
      e.false_ids.push_back(g.leaf ? 0 : id_of(g.no.get()));
      e.missing.push_back(g.missing_true ? 1 : 0);
      for (const auto& [o, w] : g.weights) weights.push_back({tree_ids[t], ids[i], o, w});
    }
  }
  std::shuffle(weights.begin(), weights.end(), rng.engine());
  for (const auto& w : weights) {
    e.w_tree.push_back(w.tree);
    e.w_node.push_back(w.node);
    e.w_id.push_back(w.id);
    e.w_value.push_back(w.value);
  }
  return e;
}

/// A float list attribute or, with `as_tensor`, its DOUBLE tensor variant.
void set_values(onnx::NodeProto& n, const std::string& name, const std::vector<double>& v, bool as_tensor) {
  if (as_tensor) {
    set_tensor(n, name + "_as_tensor", tensor::floats({static_cast<i64>(v.size())}, v, f64));
  } else {
    set_floats(n, name, as_floats(v));
  }
}

/// Writes the ensemble's attributes; `prefix` is "class" or "target".
void set_ensemble(onnx::NodeProto& n, const flat_ensemble& e, const std::string& prefix, bool as_tensor,
                  bool with_missing) {
  set_ints(n, "nodes_treeids", e.tree_ids);
  set_ints(n, "nodes_nodeids", e.node_ids);
  set_ints(n, "nodes_featureids", e.features);
  set_ints(n, "nodes_truenodeids", e.true_ids);
  set_ints(n, "nodes_falsenodeids", e.false_ids);
  set_strings(n, "nodes_modes", e.modes);
  set_values(n, "nodes_values", e.values, as_tensor);
  if (with_missing) set_ints(n, "nodes_missing_value_tracks_true", e.missing);
  set_ints(n, prefix + "_treeids", e.w_tree);
  set_ints(n, prefix + "_nodeids", e.w_node);
  set_ints(n, prefix + "_ids", e.w_id);
  set_values(n, prefix + "_weights", e.w_value, as_tensor);
}

/// One random ensemble scenario: trees, the input (perhaps with NaN features added in the graph).
struct scenario {
  i64 n = 1, f = 1, ml_opset = 3;
  element_type type = f32;
  bool as_tensor = false, with_missing = true, with_nan = false;
  std::vector<std::unique_ptr<gnode>> trees;
  flat_ensemble flat;
  tensor x, mask;                         // the input, and the values Add puts on it
  std::vector<std::vector<double>> rows;  // x + mask, row by row
};

template <class W>
scenario random_scenario(seeded_rng& rng, i64 outputs, i64 only, W weight) {
  scenario s;
  s.n = 1 + static_cast<i64>(rng.below(6));
  s.f = 1 + static_cast<i64>(rng.below(5));
  s.type = std::vector<element_type>{f32, f64, i32, s64}[pick(rng, 4)];
  s.as_tensor = rng.below(3) == 0;
  s.ml_opset = s.as_tensor ? 3 : 1 + static_cast<i64>(rng.below(3));
  s.with_missing = rng.below(4) != 0;
  s.with_nan = !is_integer_type(s.type) && rng.below(2) == 0;
  const std::size_t count = 1 + pick(rng, 5);
  std::vector<i64> tree_ids(count);
  std::iota(tree_ids.begin(), tree_ids.end(), static_cast<i64>(rng.below(3)) * 10);
  std::shuffle(tree_ids.begin(), tree_ids.end(), rng.engine());
  for (std::size_t t = 0; t < count; ++t) {
    s.trees.push_back(random_tree(rng, 0, 1 + static_cast<int>(rng.below(6)), s.f, outputs, only, weight));
    if (!s.with_missing) clear_missing(*s.trees.back());  // without the attribute no node tracks NaN
  }
  s.flat = flatten(rng, s.trees, tree_ids);
  const shape_t shape = rng.below(4) == 0 && s.n == 1 ? shape_t{s.f} : shape_t{s.n, s.f};
  s.x = random_x(rng, shape, s.type);
  std::vector<double> mask(s.x.size(), 0.0);
  if (s.with_nan) {
    for (auto& v : mask) v = rng.below(4) == 0 ? nan : 0.0;
  }
  s.mask = tensor::floats(shape, mask, s.type);
  for (i64 i = 0; i < s.n; ++i) {
    std::vector<double> row(static_cast<std::size_t>(s.f));
    for (i64 k = 0; k < s.f; ++k)
      row[static_cast<std::size_t>(k)] =
          s.x.value(static_cast<std::size_t>(i * s.f + k)) + mask[static_cast<std::size_t>(i * s.f + k)];
    s.rows.push_back(row);
  }
  return s;
}

/// The model around one tree-ensemble node reading X (+ the NaN mask).
model_builder scenario_model(const scenario& s, const std::string& op, const std::vector<std::string>& outputs,
                             const std::vector<element_type>& types, onnx::NodeProto** node) {
  model_builder b = ml_model(s.ml_opset);
  b.input("x", s.x.shape, s.type);
  std::string in = "x";
  if (s.with_nan) {
    b.initializer("mask", s.mask);
    b.node("Add", {"x", "mask"}, {"xm"}, "nan");
    in = "xm";
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) b.output(outputs[i], types[i]);
  *node = &ml_node(b, op, {in}, outputs, "trees");
  return b;
}

// ---------------------------------------------------------------------------------------------
// Linear models, Normalizer, Scaler

TEST(ReferenceMl, LinearRegressorIsXTimesCoefficientsPlusInterceptsThenTheTransform) {
  seeded_rng rng;
  for (int trial = 0; trial < 60; ++trial) {
    const i64 n = 1 + static_cast<i64>(rng.below(4)), f = 1 + static_cast<i64>(rng.below(5));
    const i64 targets = 1 + static_cast<i64>(rng.below(4));
    const std::string tr = transforms[pick(rng, transforms.size())];
    const element_type type = std::vector<element_type>{f32, f64, i32, s64}[pick(rng, 4)];
    const bool intercepts = rng.below(3) != 0;
    std::vector<double> w(static_cast<std::size_t>(targets * f)), b(static_cast<std::size_t>(targets), 0.0);
    for (auto& v : w) v = uniform(rng, -0.04, 0.04);  // scores stay inside (0, 1) for PROBIT
    for (auto& v : b) v = intercepts ? uniform(rng, 0.3, 0.7) : 0.0;
    const tensor x = random_x(rng, {n, f}, type);
    model_builder m = ml_model(1);
    m.input("x", {n, f}, type).output("y");
    onnx::NodeProto& node = ml_node(m, "LinearRegressor", {"x"}, {"y"});
    set_floats(node, "coefficients", as_floats(w));
    if (intercepts) set_floats(node, "intercepts", as_floats(b));
    set_int(node, "targets", targets);
    set_string(node, "post_transform", tr);
    std::vector<double> want;
    for (i64 i = 0; i < n; ++i) {
      std::vector<double> s(static_cast<std::size_t>(targets));
      for (i64 j = 0; j < targets; ++j) {
        s[static_cast<std::size_t>(j)] = b[static_cast<std::size_t>(j)];
        for (i64 k = 0; k < f; ++k)
          s[static_cast<std::size_t>(j)] +=
              x.value(static_cast<std::size_t>(i * f + k)) * w[static_cast<std::size_t>(j * f + k)];
      }
      for (double v : transform_direct(tr, s)) want.push_back(v);
    }
    expect_scores(run(m, {{"x", x}})["y"], {n, targets}, want);
  }
}

TEST(ReferenceMl, LinearClassifierLabelsByTheTopScoreAndExpandsOneColumnToTwo) {
  seeded_rng rng;
  for (int trial = 0; trial < 60; ++trial) {
    const i64 n = 1 + static_cast<i64>(rng.below(4)), f = 1 + static_cast<i64>(rng.below(5));
    const i64 c = 1 + static_cast<i64>(rng.below(4));
    std::string tr = transforms[pick(rng, transforms.size())];
    if (c == 1 && tr == "PROBIT") tr = "NONE";
    const element_type type = std::vector<element_type>{f32, f64, i32, s64}[pick(rng, 4)];
    std::vector<double> w(static_cast<std::size_t>(c * f)), b(static_cast<std::size_t>(c));
    for (auto& v : w) v = uniform(rng, -0.04, 0.04);
    for (auto& v : b) v = uniform(rng, c == 1 ? -0.1 : 0.3, c == 1 ? 0.1 : 0.7);
    std::vector<i64> labels(static_cast<std::size_t>(c == 1 ? 2 : c));
    for (std::size_t k = 0; k < labels.size(); ++k) labels[k] = 40 - 7 * static_cast<i64>(k);
    std::shuffle(labels.begin(), labels.end(), rng.engine());
    const shape_t xs = n == 1 && rng.below(2) ? shape_t{f} : shape_t{n, f};
    const tensor x = random_x(rng, xs, type);
    model_builder m = ml_model(1 + static_cast<i64>(rng.below(3)));
    m.input("x", xs, type).output("label", s64).output("scores");
    onnx::NodeProto& node = ml_node(m, "LinearClassifier", {"x"}, {"label", "scores"});
    set_floats(node, "coefficients", as_floats(w));
    set_floats(node, "intercepts", as_floats(b));
    set_ints(node, "classlabels_ints", labels);
    set_string(node, "post_transform", tr);
    set_int(node, "multi_class", static_cast<i64>(rng.below(2)));
    std::vector<i64> want_labels;
    std::vector<double> want;
    for (i64 i = 0; i < n; ++i) {
      std::vector<double> s(static_cast<std::size_t>(c));
      for (i64 j = 0; j < c; ++j) {
        s[static_cast<std::size_t>(j)] = b[static_cast<std::size_t>(j)];
        for (i64 k = 0; k < f; ++k)
          s[static_cast<std::size_t>(j)] +=
              x.value(static_cast<std::size_t>(i * f + k)) * w[static_cast<std::size_t>(j * f + k)];
      }
      if (c == 1) {  // ONNX Runtime's binary case: [1 - q, q], q = s or, under LOGISTIC, sigmoid(s)
        const double q = tr == "LOGISTIC" ? sigmoid(s[0]) : s[0];
        want_labels.push_back(labels[s[0] > 0 ? 1 : 0]);
        want.push_back(1 - q);
        want.push_back(q);
        continue;
      }
      want_labels.push_back(labels[static_cast<std::size_t>(std::max_element(s.begin(), s.end()) - s.begin())]);
      for (double v : transform_direct(tr, s)) want.push_back(v);
    }
    auto y = run(m, {{"x", x}});
    EXPECT_EQ(y["label"].type, s64);
    EXPECT_EQ(y["label"].shape, (shape_t{n}));
    EXPECT_EQ(y["label"].ints, want_labels);
    expect_scores(y["scores"], {n, c == 1 ? 2 : c}, want);
  }
}

TEST(ReferenceMl, NormalizerDividesEachRowByItsMaxL1OrL2Norm) {
  seeded_rng rng;
  for (int trial = 0; trial < 45; ++trial) {
    const std::string norm = std::vector<std::string>{"MAX", "L1", "L2"}[trial % 3];
    const i64 n = 1 + static_cast<i64>(rng.below(4)), f = 1 + static_cast<i64>(rng.below(5));
    const element_type type = std::vector<element_type>{f32, f64, i32, s64}[pick(rng, 4)];
    const shape_t xs = n == 1 && rng.below(2) ? shape_t{f} : shape_t{n, f};
    tensor x = random_x(rng, xs, type);
    if (rng.below(3) == 0) {  // a zero row: copied
      for (i64 k = 0; k < f; ++k) {
        if (x.is_integer())
          x.ints[static_cast<std::size_t>(k)] = 0;
        else
          x.data[static_cast<std::size_t>(k)] = 0;
      }
    }
    model_builder m = ml_model(1);
    m.input("x", xs, type).output("y");
    onnx::NodeProto& node = ml_node(m, "Normalizer", {"x"}, {"y"});
    if (norm != "MAX" || rng.below(2)) set_string(node, "norm", norm);
    std::vector<double> want;
    for (i64 i = 0; i < n; ++i) {
      double d = norm == "MAX" ? -1e300 : 0;
      for (i64 k = 0; k < f; ++k) {
        const double v = x.value(static_cast<std::size_t>(i * f + k));
        d = norm == "MAX" ? std::max(d, v) : d + (norm == "L1" ? std::abs(v) : v * v);
      }
      if (norm == "L2") d = std::sqrt(d);
      for (i64 k = 0; k < f; ++k) {
        const double v = x.value(static_cast<std::size_t>(i * f + k));
        want.push_back(d == 0 ? v : v / d);
      }
    }
    expect_scores(run(m, {{"x", x}})["y"], xs, want);
  }
}

TEST(ReferenceMl, ScalerSubtractsOffsetAndMultipliesByScalePerFeatureOrBroadcast) {
  seeded_rng rng;
  for (int trial = 0; trial < 40; ++trial) {
    const i64 n = 1 + static_cast<i64>(rng.below(4)), f = 1 + static_cast<i64>(rng.below(5));
    const element_type type = std::vector<element_type>{f32, f64, i32, s64}[pick(rng, 4)];
    const shape_t xs = n == 1 && rng.below(2) ? shape_t{f} : shape_t{n, f};
    const tensor x = random_x(rng, xs, type);
    const std::size_t len = rng.below(2) ? 1 : static_cast<std::size_t>(f);
    std::vector<double> scale(len), offset(len);
    for (auto& v : scale) v = uniform(rng, -2, 2);
    for (auto& v : offset) v = uniform(rng, -2, 2);
    model_builder m = ml_model(1);
    m.input("x", xs, type).output("y");
    onnx::NodeProto& node = ml_node(m, "Scaler", {"x"}, {"y"});
    set_floats(node, "scale", as_floats(scale));
    set_floats(node, "offset", as_floats(offset));
    std::vector<double> want;
    for (i64 i = 0; i < n; ++i) {
      for (i64 k = 0; k < f; ++k) {
        const std::size_t p = len == 1 ? 0 : static_cast<std::size_t>(k);
        want.push_back((x.value(static_cast<std::size_t>(i * f + k)) - offset[p]) * scale[p]);
      }
    }
    expect_scores(run(m, {{"x", x}})["y"], xs, want);
  }
}

// ---------------------------------------------------------------------------------------------
// Tree ensembles

TEST(ReferenceMl, TreeEnsembleRegressorMatchesExplicitWalksForEveryModeAggregateAndTransform) {
  seeded_rng rng;
  const std::vector<std::string> aggregates = {"SUM", "AVERAGE", "MIN", "MAX"};
  int nan_trials = 0;
  for (int trial = 0; trial < 160; ++trial) {
    const i64 targets = 1 + static_cast<i64>(rng.below(3));
    const std::string tr = transforms[pick(rng, transforms.size())];
    const std::string agg = aggregates[static_cast<std::size_t>(trial) % aggregates.size()];
    // PROBIT needs scores inside (0, 1): small positive weights then.
    const bool small = tr == "PROBIT";
    auto weight = [&] { return small ? uniform(rng, 0.01, 0.15) : uniform(rng, -2, 2); };
    const scenario s = random_scenario(rng, targets, -1, weight);
    nan_trials += s.with_nan;
    std::vector<double> base;
    // n_targets may not exceed the target weights unless base values name every target.
    if (rng.below(2) || static_cast<i64>(s.flat.w_id.size()) < targets) {
      for (i64 k = 0; k < targets; ++k) base.push_back(small ? uniform(rng, 0, 0.05) : uniform(rng, -1, 1));
    }
    onnx::NodeProto* node = nullptr;
    model_builder m = scenario_model(s, "TreeEnsembleRegressor", {"y"}, {f32}, &node);
    set_ensemble(*node, s.flat, "target", s.as_tensor, s.with_missing);
    set_int(*node, "n_targets", targets);
    if (agg != "SUM" || rng.below(2)) set_string(*node, "aggregate_function", agg);
    if (tr != "NONE" || rng.below(2)) set_string(*node, "post_transform", tr);
    if (!base.empty()) set_values(*node, "base_values", base, s.as_tensor);

    std::vector<double> want;
    for (const auto& row : s.rows) {
      std::vector<std::vector<double>> reached(static_cast<std::size_t>(targets));
      for (const auto& tree : s.trees) {
        for (const auto& [o, w] : walk(*tree, row).weights) reached[static_cast<std::size_t>(o)].push_back(w);
      }
      std::vector<double> y(static_cast<std::size_t>(targets), 0.0);
      for (std::size_t k = 0; k < y.size(); ++k) {
        const auto& r = reached[k];
        if (r.empty()) continue;  // a target no leaf weighs is 0, base value or not
        if (agg == "SUM" || agg == "AVERAGE") y[k] = std::accumulate(r.begin(), r.end(), 0.0);
        if (agg == "AVERAGE") y[k] /= static_cast<double>(s.trees.size());
        if (agg == "MIN" && !r.empty()) y[k] = *std::min_element(r.begin(), r.end());
        if (agg == "MAX" && !r.empty()) y[k] = *std::max_element(r.begin(), r.end());
        if (!base.empty()) y[k] += base[k];
      }
      for (double v : transform_direct(tr, y)) want.push_back(v);
    }
    expect_scores(run(m, {{"x", s.x}})["y"], {s.n, targets}, want);
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_GT(nan_trials, 20);
}

TEST(ReferenceMl, TreeEnsembleClassifierMultiClassSumsClassWeightsAndLabelsTheTopWeightedClass) {
  seeded_rng rng;
  for (int trial = 0; trial < 120; ++trial) {
    const i64 classes = 3 + static_cast<i64>(rng.below(3));
    const std::string tr = transforms[pick(rng, transforms.size())];
    const bool small = tr == "PROBIT";
    auto weight = [&] { return small ? uniform(rng, 0.01, 0.1) : uniform(rng, -1, 1); };
    const scenario s = random_scenario(rng, classes, -1, weight);
    std::vector<i64> labels(static_cast<std::size_t>(classes));
    for (std::size_t k = 0; k < labels.size(); ++k) labels[k] = 3 * static_cast<i64>(k) - 5;
    std::shuffle(labels.begin(), labels.end(), rng.engine());
    std::vector<double> base;
    if (rng.below(2)) {
      for (i64 k = 0; k < classes; ++k) base.push_back(small ? uniform(rng, 0, 0.1) : uniform(rng, -1, 1));
    }
    onnx::NodeProto* node = nullptr;
    model_builder m = scenario_model(s, "TreeEnsembleClassifier", {"label", "scores"}, {s64, f32}, &node);
    set_ensemble(*node, s.flat, "class", s.as_tensor, s.with_missing);
    set_ints(*node, "classlabels_int64s", labels);
    set_string(*node, "post_transform", tr);
    if (!base.empty()) set_values(*node, "base_values", base, s.as_tensor);

    std::vector<i64> want_labels;
    std::vector<double> want;
    for (const auto& row : s.rows) {
      std::vector<double> score(static_cast<std::size_t>(classes), 0.0);
      std::vector<bool> has(score.size(), false);
      for (const auto& tree : s.trees) {
        for (const auto& [o, w] : walk(*tree, row).weights) {
          score[static_cast<std::size_t>(o)] += w;
          has[static_cast<std::size_t>(o)] = true;
        }
      }
      for (std::size_t k = 0; k < base.size(); ++k) {
        score[k] += base[k];
        has[k] = true;
      }
      std::size_t best = score.size();
      for (std::size_t k = 0; k < score.size(); ++k) {
        if (has[k] && (best == score.size() || score[k] > score[best])) best = k;
      }
      want_labels.push_back(labels[best]);
      for (double v : transform_direct(tr, score)) want.push_back(v);
    }
    auto y = run(m, {{"x", s.x}});
    EXPECT_EQ(y["label"].ints, want_labels);
    expect_scores(y["scores"], {s.n, classes}, want);
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(ReferenceMl, TreeEnsembleClassifierBinaryFollowsOnnxRuntimesPositiveScoreRules) {
  seeded_rng rng;
  for (int trial = 0; trial < 160; ++trial) {
    // 0: skl2onnx (class 0 carries P(class 1), weights >= 0); 1: XGBoost / LightGBM (class 0, signed
    // margins, 0 or 1 base value); 2: class 1 only (0 or 1 base value); 3: class 0 and two base values.
    const int style = trial % 4;
    std::string tr = transforms[pick(rng, transforms.size())];
    if (style < 2 && tr == "PROBIT") tr = style == 0 ? "NONE" : "LOGISTIC";
    const bool small = tr == "PROBIT";
    auto weight = [&] {
      if (small) return uniform(rng, 0.01, 0.1);
      return style == 0 ? uniform(rng, 0, 0.5) : uniform(rng, -1, 1);
    };
    const i64 w_class = style == 2 ? 1 : 0;
    const scenario s = random_scenario(rng, 2, w_class, weight);
    std::vector<i64> labels = {7, -3};
    std::shuffle(labels.begin(), labels.end(), rng.engine());
    std::vector<double> base;
    const std::size_t base_count = style == 3 ? 2 : style == 0 ? 0 : pick(rng, 2);
    for (std::size_t k = 0; k < base_count; ++k) base.push_back(small ? uniform(rng, 0.1, 0.3) : uniform(rng, -1, 1));
    onnx::NodeProto* node = nullptr;
    model_builder m = scenario_model(s, "TreeEnsembleClassifier", {"label", "scores"}, {s64, f32}, &node);
    set_ensemble(*node, s.flat, "class", s.as_tensor, s.with_missing);
    set_ints(*node, "classlabels_int64s", labels);
    set_string(*node, "post_transform", tr);
    if (!base.empty()) set_values(*node, "base_values", base, s.as_tensor);

    const bool all_positive =
        std::all_of(s.flat.w_value.begin(), s.flat.w_value.end(), [](double w) { return w >= 0; });
    std::vector<i64> want_labels;
    std::vector<double> want;
    for (const auto& row : s.rows) {
      double s0 = 0, s1 = 0;
      for (const auto& tree : s.trees) {
        for (const auto& [o, w] : walk(*tree, row).weights) (o == 0 ? s0 : s1) += w;
      }
      const double p = w_class == 0 ? s0 + (base.empty() ? 0.0 : base[0]) : s1;
      want_labels.push_back(labels[(all_positive ? p > 0.5 : p > 0) ? 1 : 0]);
      std::vector<double> z;
      if (w_class == 0 && base.size() != 2) {  // one positive score, expanded to two
        if (tr == "LOGISTIC") {
          z = {sigmoid(-p), sigmoid(p)};
        } else if (all_positive) {
          z = {1 - p, p};
        } else {
          z = {-p, p};
        }
      } else {  // the class without weights reads 0, whatever its base value
        z = transform_direct(tr, w_class == 0 ? std::vector<double>{p, 0} : std::vector<double>{0, p});
      }
      want.insert(want.end(), z.begin(), z.end());
    }
    auto y = run(m, {{"x", s.x}});
    EXPECT_EQ(y["label"].ints, want_labels);
    expect_scores(y["scores"], {s.n, 2}, want);
    if (::testing::Test::HasFailure()) return;
  }
}

/// One tree of two leaves on feature 0 (BRANCH_LEQ value), each leaf's weight for class (or target) 0.
void stump(onnx::NodeProto& n, const std::string& prefix, i64 tree, double value, double yes, double no,
           i64 feature = 0) {
  set_ints(n, "nodes_treeids", {tree, tree, tree});
  set_ints(n, "nodes_nodeids", {0, 1, 2});
  set_ints(n, "nodes_featureids", {feature, 0, 0});
  set_ints(n, "nodes_truenodeids", {1, 0, 0});
  set_ints(n, "nodes_falsenodeids", {2, 0, 0});
  set_strings(n, "nodes_modes", {"BRANCH_LEQ", "LEAF", "LEAF"});
  set_floats(n, "nodes_values", {static_cast<float>(value), 0, 0});
  set_ints(n, prefix + "_treeids", {tree, tree});
  set_ints(n, prefix + "_nodeids", {1, 2});
  set_ints(n, prefix + "_ids", {0, 0});
  set_floats(n, prefix + "_weights", {static_cast<float>(yes), static_cast<float>(no)});
}

TEST(ReferenceMl, HandComputedBinaryModels) {
  // An XGBoost-style binary classifier: one stump (x <= 0.5: -0.4, else 0.6), base_values [0.1],
  // LOGISTIC: p = -0.3 gives label 0 and [sigmoid(0.3), sigmoid(-0.3)].
  model_builder m = ml_model(3);
  m.input("x", {2, 1}).output("label", s64).output("scores");
  onnx::NodeProto& n = ml_node(m, "TreeEnsembleClassifier", {"x"}, {"label", "scores"});
  stump(n, "class", 0, 0.5, -0.4, 0.6);
  set_ints(n, "classlabels_int64s", {0, 1});
  set_floats(n, "base_values", {0.1f});
  set_string(n, "post_transform", "LOGISTIC");
  auto y = run(m, {{"x", tensor::floats({2, 1}, {0.2, 0.9})}});
  EXPECT_EQ(y["label"].ints, (std::vector<i64>{0, 1}));
  expect_scores(y["scores"], {2, 2}, {0.574442516811659, 0.425557483188341, 0.331812227831834, 0.668187772168166},
                1e-7);

  // A scikit-learn-style random forest of two stumps whose class-0 weights are P(class 1) / 2.
  model_builder r = ml_model(1);
  r.input("x", {2, 2}).output("label", s64).output("scores");
  onnx::NodeProto& rn = ml_node(r, "TreeEnsembleClassifier", {"x"}, {"label", "scores"});
  set_ints(rn, "nodes_treeids", {0, 0, 0, 1, 1, 1});
  set_ints(rn, "nodes_nodeids", {0, 1, 2, 0, 1, 2});
  set_ints(rn, "nodes_featureids", {0, 0, 0, 1, 0, 0});
  set_ints(rn, "nodes_truenodeids", {1, 0, 0, 1, 0, 0});
  set_ints(rn, "nodes_falsenodeids", {2, 0, 0, 2, 0, 0});
  set_strings(rn, "nodes_modes", {"BRANCH_LEQ", "LEAF", "LEAF", "BRANCH_LEQ", "LEAF", "LEAF"});
  set_floats(rn, "nodes_values", {1.5f, 0, 0, 0, 0, 0});
  set_ints(rn, "class_treeids", {0, 0, 1, 1});
  set_ints(rn, "class_nodeids", {1, 2, 1, 2});
  set_ints(rn, "class_ids", {0, 0, 0, 0});
  set_floats(rn, "class_weights", {0.375f, 0.125f, 0.375f, 0.0625f});
  set_ints(rn, "classlabels_int64s", {10, 20});
  auto z = run(r, {{"x", tensor::floats({2, 2}, {1, -1, 2, 1})}});
  EXPECT_EQ(z["label"].ints, (std::vector<i64>{20, 10}));
  expect_scores(z["scores"], {2, 2}, {0.25, 0.75, 0.8125, 0.1875});
}

/// The standard normal quantile by bisection of 0.5 erfc(-x / sqrt 2).
double normal_quantile(double p) {
  double lo = -10, hi = 10;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

TEST(ReferenceMl, ProbitIsWithinTwoPerMilleOfTheNormalQuantile) {
  const std::vector<double> p = {0.001, 0.025, 0.1, 0.3, 0.5, 0.6, 0.8413, 0.975, 0.999};
  model_builder m = ml_model(1);
  m.input("x", {1, 1}).output("y");
  onnx::NodeProto& n = ml_node(m, "LinearRegressor", {"x"}, {"y"});
  set_floats(n, "coefficients", std::vector<float>(p.size(), 0.0f));
  set_floats(n, "intercepts", as_floats(p));
  set_int(n, "targets", static_cast<i64>(p.size()));
  set_string(n, "post_transform", "PROBIT");
  const tensor y = run(m, {{"x", tensor::floats({1, 1}, {1})}})["y"];
  ASSERT_EQ(y.data.size(), p.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double exact = normal_quantile(static_cast<float>(p[i]));
    EXPECT_NEAR(y.data[i], exact, 2e-3 * std::max(1.0, std::abs(exact))) << "p = " << p[i];
  }
  EXPECT_NEAR(y.data[7], 1.9590482301908543, 1e-6);  // ONNX Runtime's value at 0.975, not 1.959964
}

TEST(ReferenceMl, DeepTreesAreWalkedWithoutRecursion) {
  // A chain of 5000 branches (x > 100 leaves the chain), then a leaf of weight 7.
  const i64 depth = 5000;
  std::vector<i64> tree, ids, features, yes, no, w_tree, w_node, w_ids;
  std::vector<std::string> modes;
  std::vector<float> values, weights;
  for (i64 i = 0; i <= depth; ++i) {
    tree.push_back(0);
    ids.push_back(i);
    features.push_back(0);
    modes.push_back(i < depth ? "BRANCH_GT" : "LEAF");
    values.push_back(100);
    yes.push_back(i < depth ? depth + 1 + i : 0);
    no.push_back(i < depth ? i + 1 : 0);
  }
  for (i64 i = 0; i < depth; ++i) {  // the side leaves
    tree.push_back(0);
    ids.push_back(depth + 1 + i);
    features.push_back(0);
    modes.push_back("LEAF");
    values.push_back(0);
    yes.push_back(0);
    no.push_back(0);
  }
  for (i64 i = depth; i < 2 * depth + 1; ++i) {
    w_tree.push_back(0);
    w_node.push_back(i);
    w_ids.push_back(0);
    weights.push_back(i == depth ? 7.0f : 1.0f);
  }
  model_builder m = ml_model(3);
  m.input("x", {1, 1}).output("y");
  onnx::NodeProto& n = ml_node(m, "TreeEnsembleRegressor", {"x"}, {"y"});
  set_ints(n, "nodes_treeids", tree);
  set_ints(n, "nodes_nodeids", ids);
  set_ints(n, "nodes_featureids", features);
  set_ints(n, "nodes_truenodeids", yes);
  set_ints(n, "nodes_falsenodeids", no);
  set_strings(n, "nodes_modes", modes);
  set_floats(n, "nodes_values", values);
  set_ints(n, "target_treeids", w_tree);
  set_ints(n, "target_nodeids", w_node);
  set_ints(n, "target_ids", w_ids);
  set_floats(n, "target_weights", weights);
  set_int(n, "n_targets", 1);
  expect_scores(run(m, {{"x", tensor::floats({1, 1}, {0})}})["y"], {1, 1}, {7});
}

// ---------------------------------------------------------------------------------------------
// Refusals

/// The attribute lists of a small regressor (node 0: x0 <= 0.5 ? node 1 : node 2), to be broken.
struct small_tree {
  std::vector<i64> tree{0, 0, 0}, ids{0, 1, 2}, features{0, 0, 0}, yes{1, 0, 0}, no{2, 0, 0}, missing{};
  std::vector<std::string> modes{"BRANCH_LEQ", "LEAF", "LEAF"};
  std::vector<float> values{0.5f, 0, 0};
  std::vector<i64> w_tree{0, 0}, w_node{1, 2}, w_ids{0, 0};
  std::vector<float> weights{1, 2};
};

model_builder small_tree_model(const small_tree& t, i64 ml_opset = 3) {
  model_builder m = ml_model(ml_opset);
  m.input("x", {1, 2}).output("y");
  onnx::NodeProto& n = ml_node(m, "TreeEnsembleRegressor", {"x"}, {"y"}, "trees");
  set_ints(n, "nodes_treeids", t.tree);
  set_ints(n, "nodes_nodeids", t.ids);
  set_ints(n, "nodes_featureids", t.features);
  set_ints(n, "nodes_truenodeids", t.yes);
  set_ints(n, "nodes_falsenodeids", t.no);
  if (!t.missing.empty()) set_ints(n, "nodes_missing_value_tracks_true", t.missing);
  set_strings(n, "nodes_modes", t.modes);
  set_floats(n, "nodes_values", t.values);
  set_ints(n, "target_treeids", t.w_tree);
  set_ints(n, "target_nodeids", t.w_node);
  set_ints(n, "target_ids", t.w_ids);
  set_floats(n, "target_weights", t.weights);
  set_int(n, "n_targets", 1);
  return m;
}

/// Runs the model on x = [[0, 0]] and expects a one-line refusal of the given code that ends with `why`.
void expect_refused(const model_builder& m, run_error_code code, const std::string& why,
                    const std::string& node = "node 'trees' (ai.onnx.ml.TreeEnsembleRegressor, opset 3): ") {
  auto parsed = parse_model(m.bytes());
  ASSERT_TRUE(parsed) << parsed.error().message;
  tensor_map in;
  for (const auto& v : parsed.value().inputs) in[v.name] = tensor::zeros(v.shape, v.type);
  auto y = run_reference(parsed.value(), in);
  ASSERT_FALSE(y);
  EXPECT_EQ(y.error().code, code) << y.error().message;
  EXPECT_EQ(y.error().message, node + why);
  EXPECT_EQ(y.error().message.find('\n'), std::string::npos);
}

TEST(ReferenceMl, MalformedTreesAreRefusedNamingTheNode) {
  const auto invalid = run_error_code::invalid_node;
  {
    small_tree t;
    EXPECT_EQ(run(small_tree_model(t), {{"x", tensor::floats({1, 2}, {0, 0})}})["y"].data, std::vector<double>{1});
  }
  {
    small_tree t;
    t.yes[0] = 7;
    expect_refused(small_tree_model(t), invalid, "tree 0 node 0: true child 7 does not exist");
  }
  {
    small_tree t;  // 0 -> (1, 2), 1 -> (3, 2), 3 -> (1, 2): the cycle 1 -> 3 -> 1
    t = {{0, 0, 0, 0},
         {0, 1, 2, 3},
         {0, 0, 0, 0},
         {1, 3, 0, 1},
         {2, 2, 0, 2},
         {},
         {"BRANCH_LEQ", "BRANCH_LEQ", "LEAF", "BRANCH_LEQ"},
         {0.5f, 0.5f, 0, 0.5f},
         {0},
         {2},
         {0},
         {1}};
    expect_refused(small_tree_model(t), invalid, "tree 0 node 1 is on a cycle (reached again from node 3)");
  }
  {
    small_tree t;  // node 1 is its own true child
    t.modes[1] = "BRANCH_LT";
    t.yes[1] = 1;
    t.no[1] = 2;
    t.w_node = {2};
    t.w_tree = {0};
    t.w_ids = {0};
    t.weights = {2};
    expect_refused(small_tree_model(t), invalid, "tree 0 node 1 is on a cycle (reached again from node 1)");
  }
  {
    small_tree t;  // node 2 points back at the root
    t.modes[2] = "BRANCH_GT";
    t.yes[2] = 0;
    t.no[2] = 1;
    expect_refused(small_tree_model(t), invalid,
                   "tree 0 node 2: true child 0 is the tree's first listed node, which must be its root");
  }
  {
    small_tree t;
    t.modes.pop_back();
    expect_refused(small_tree_model(t), invalid, "attribute 'nodes_modes' has 2 entries, nodes_treeids 3");
  }
  {
    small_tree t;
    t.missing = {0, 1};
    expect_refused(small_tree_model(t), invalid,
                   "attribute 'nodes_missing_value_tracks_true' has 2 entries, nodes_treeids 3");
  }
  {
    small_tree t;
    t.weights.pop_back();
    expect_refused(small_tree_model(t), invalid,
                   "attributes target_ids, _treeids, _nodeids and _weights have 2, 2, 2 and 1 entries");
  }
  {
    small_tree t;
    t.ids[2] = 1;
    expect_refused(small_tree_model(t), invalid, "tree 0 node 1 is defined twice");
  }
  {
    small_tree t;
    t.w_node = {1, 1};
    expect_refused(small_tree_model(t), invalid, "tree 0 node 1 has two weights for target 0");
  }
  {
    small_tree t;
    t.w_node = {1, 9};
    expect_refused(small_tree_model(t), invalid, "target weight 1 is for node 9 of tree 0, which does not exist");
  }
  {
    small_tree t;
    t.w_node = {1};
    t.w_tree = {0};
    t.w_ids = {0};
    t.weights = {1};
    expect_refused(small_tree_model(t), invalid, "tree 0 node 2 is a leaf without target weights");
  }
  {
    small_tree t;
    t.w_ids[1] = 1;
    expect_refused(small_tree_model(t), invalid, "tree 0 node 2: target id 1 is outside [0, 1)");
  }
  {
    small_tree t;  // tree 0, tree 1, tree 0 again
    t.tree = {0, 1, 0};
    expect_refused(small_tree_model(t), invalid, "the nodes of tree 0 are not listed together");
  }
  {
    small_tree t;
    t.modes[0] = "BRANCH_SOMETIMES";
    expect_refused(small_tree_model(t), invalid,
                   "tree 0 node 0: mode 'BRANCH_SOMETIMES' is not a BRANCH_* mode or LEAF");
  }
  {
    small_tree t;
    t.missing = {2, 0, 0};
    expect_refused(small_tree_model(t), invalid,
                   "tree 0 node 0: nodes_missing_value_tracks_true must be 0 or 1, not 2");
  }
  {
    small_tree t;
    t.features[0] = 2;
    expect_refused(small_tree_model(t), invalid, "tree 0 node 0 reads feature 2 of an input with 2");
  }
  {
    small_tree t;
    model_builder m = small_tree_model(t);
    for (auto& a : *m.graph().mutable_node(0)->mutable_attribute()) {
      if (a.name() == "n_targets") a.set_i(1000000);
    }
    expect_refused(m, invalid, "n_targets 1000000 exceeds the 2 target weights");
  }
  {
    small_tree t;
    model_builder m = small_tree_model(t, 1);
    set_tensor(*m.graph().mutable_node(0), "base_values_as_tensor", tensor::floats({1}, {1}, f64));
    expect_refused(m, invalid, "attribute 'base_values_as_tensor' needs ai.onnx.ml opset 3",
                   "node 'trees' (ai.onnx.ml.TreeEnsembleRegressor, opset 1): ");
  }
  {
    small_tree t;
    model_builder m = small_tree_model(t);
    set_tensor(*m.graph().mutable_node(0), "nodes_values_as_tensor", tensor::floats({3}, {0.5, 0, 0}, f64));
    expect_refused(m, invalid, "attributes 'nodes_values' and 'nodes_values_as_tensor' are both given");
  }
}

TEST(ReferenceMl, StringLabelsAndOnnxRuntimesUndefinedBinaryCasesAreRefused) {
  const std::string strings =
      "string class labels (classlabels_strings) are not supported: Ciro's tensors hold "
      "numbers only";
  {
    model_builder m = ml_model(1);
    m.input("x", {1, 2}).output("scores");
    onnx::NodeProto& n = ml_node(m, "LinearClassifier", {"x"}, {"label", "scores"}, "lin");
    set_floats(n, "coefficients", {1, 2, 3, 4});
    set_floats(n, "intercepts", {0, 0});
    set_strings(n, "classlabels_strings", {"cat", "dog"});
    expect_refused(m, run_error_code::unsupported_type, strings, "node 'lin' (ai.onnx.ml.LinearClassifier, opset 1): ");
  }
  const std::string tree = "node 'trees' (ai.onnx.ml.TreeEnsembleClassifier, opset 3): ";
  auto classifier = [](const std::vector<i64>& class_ids, const std::string& transform, std::vector<float> base) {
    model_builder m = ml_model(3);
    m.input("x", {1, 1}).output("scores");
    onnx::NodeProto& n = ml_node(m, "TreeEnsembleClassifier", {"x"}, {"label", "scores"}, "trees");
    stump(n, "class", 0, 0.5, 0.25, 0.75);
    for (auto& a : *n.mutable_attribute()) {
      if (a.name() != "class_ids") continue;
      a.clear_ints();
      for (i64 c : class_ids) a.add_ints(c);
    }
    set_ints(n, "classlabels_int64s", {0, 1});
    set_string(n, "post_transform", transform);
    if (!base.empty()) set_floats(n, "base_values", base);
    return m;
  };
  {
    model_builder m = classifier({0, 0}, "NONE", {});
    auto& n = *m.graph().mutable_node(0);
    n.mutable_attribute()->RemoveLast();  // classlabels_int64s ...
    n.mutable_attribute()->RemoveLast();  // ... and post_transform, replaced by string labels
    set_strings(n, "classlabels_strings", {"no", "yes"});
    expect_refused(m, run_error_code::unsupported_type, strings, tree);
  }
  EXPECT_TRUE(run(classifier({0, 0}, "LOGISTIC", {}), {{"x", tensor::floats({1, 1}, {0})}}).count("scores"));
  expect_refused(classifier({0, 0}, "PROBIT", {}), run_error_code::unsupported_attribute,
                 "post_transform PROBIT of a single binary score is not supported", tree);
  expect_refused(classifier({0, 1}, "NONE", {}), run_error_code::unsupported_attribute,
                 "two classes with weights for both are not supported (ONNX Runtime labels them 0 or 1 by the sign "
                 "of the class-1 score)",
                 tree);
  expect_refused(classifier({1, 1}, "NONE", {0.5f, 0.5f}), run_error_code::unsupported_attribute,
                 "two base_values with weights for class 1 only are not supported (ONNX Runtime drops the trees' "
                 "scores there)",
                 tree);
  {
    model_builder m = ml_model(1);
    m.input("x", {1, 2}).output("scores");
    onnx::NodeProto& n = ml_node(m, "LinearClassifier", {"x"}, {"label", "scores"}, "lin");
    set_floats(n, "coefficients", {1, 2});
    set_floats(n, "intercepts", {0});
    set_ints(n, "classlabels_ints", {0, 1});
    set_string(n, "post_transform", "PROBIT");
    expect_refused(m, run_error_code::unsupported_attribute,
                   "post_transform PROBIT of a single score column is not supported",
                   "node 'lin' (ai.onnx.ml.LinearClassifier, opset 1): ");
  }
}

TEST(ReferenceMl, TheMlDomainIsKeyedByDomainAndReadAtOpsetsOneToThree) {
  EXPECT_TRUE(reference_supports("ai.onnx.ml", "TreeEnsembleClassifier"));
  EXPECT_TRUE(reference_supports("ai.onnx.ml", "Scaler"));
  EXPECT_FALSE(reference_supports("", "Scaler"));
  EXPECT_FALSE(reference_supports("ai.onnx.ml", "Add"));
  EXPECT_FALSE(reference_supports("ai.onnx.ml", "SVMClassifier"));
  const auto& ops = reference_operators();
  EXPECT_NE(std::find(ops.begin(), ops.end(), "ai.onnx.ml.LinearRegressor"), ops.end());
  EXPECT_NE(std::find(ops.begin(), ops.end(), "Add"), ops.end());

  auto scaler = [](i64 ml_opset, const std::string& op = "Scaler") {
    model_builder m = ml_model(ml_opset);
    m.input("x", {1, 2}).output("y");
    onnx::NodeProto& n = ml_node(m, op, {"x"}, {"y"});
    set_floats(n, "scale", {2});
    set_floats(n, "offset", {1});
    return m;
  };
  for (i64 v : {0, 4}) {
    auto refused = parse_model(scaler(v).bytes());
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, load_error_code::unsupported_opset);
    EXPECT_EQ(refused.error().message, "node 'ml' (ai.onnx.ml.Scaler, opset " + std::to_string(v) +
                                           "): unsupported opset (Ciro reads opsets 1 to 3 of the ai.onnx.ml domain)");
  }
  for (i64 v : {1, 2, 3}) {
    expect_scores(run(scaler(v), {{"x", tensor::floats({1, 2}, {3, 4})}})["y"], {1, 2}, {4, 6});
  }
  expect_refused(scaler(3, "SVMClassifier"), run_error_code::unsupported_operator, "unsupported operator",
                 "node 'ml' (ai.onnx.ml.SVMClassifier, opset 3): ");
}

}  // namespace
