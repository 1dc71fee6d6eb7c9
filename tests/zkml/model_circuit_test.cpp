// The tables of a model's circuit (zkml/model_circuit.hpp, zkml/model_tables.hpp) on their own:
// tree ensembles proven by walks (random ensembles of every branch mode and shape, against the
// integer inference), affine steps that read the same values summed M at a time and rounded apart,
// and tampered witnesses of both (a wrong branch, a jump, a wrong sum, a wrong rounding) refused by
// the prover's check and, proven without it, rejected by the verifier; the tables' names read back.

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "kernels/backend.hpp"
#include "stark/circuit.hpp"
#include "stark/prover.hpp"
#include "stark/verifier.hpp"
#include "tests/support/seed.hpp"
#include "zkml/integer_inference.hpp"
#include "zkml/lowering.hpp"
#include "zkml/model_circuit.hpp"
#include "zkml/model_proof.hpp"
#include "zkml/model_tables.hpp"

namespace ciro::zkml {
namespace {

using field::babybear;
using E = field::babybear4;

/// An ONNX node's attributes by name, each created with its name and type on first use.
struct attribute_map {
  std::map<std::string, attribute> all;
  attribute& get(const char* n, attribute::kind k) {
    attribute& a = all[n];
    a.name = n;
    a.type = k;
    return a;
  }
  std::vector<std::int64_t>& ints(const char* n) { return get(n, attribute::kind::ints).ints; }
  std::vector<double>& floats(const char* n) { return get(n, attribute::kind::floats).floats; }
  std::vector<std::string>& strings(const char* n) { return get(n, attribute::kind::strings).strings; }
};

/// A TreeEnsembleClassifier of the node and weight attributes `a` (labels 10, 11, ..., base values
/// drawn from a fixed seed, `post`) over `features` features for `rows` input rows.
model classifier_model(attribute_map a, std::int64_t features, std::int64_t classes, std::int64_t rows,
                       const std::string& post) {
  std::mt19937_64 rng(classes);
  std::normal_distribution<double> normal(0.0, 0.1);
  for (std::int64_t k = 0; k < classes; ++k) {
    a.ints("classlabels_int64s").push_back(10 + k);
    a.floats("base_values").push_back(normal(rng));
  }
  a.get("post_transform", attribute::kind::string).s = post;
  model m;
  node n;
  n.op_type = "TreeEnsembleClassifier";
  n.domain = "ai.onnx.ml";
  n.opset = 3;
  n.name = "trees";
  n.inputs = {"x"};
  n.outputs = {"label", "probabilities"};
  for (auto& [name, attr] : a.all) n.attributes.push_back(std::move(attr));
  m.nodes.push_back(std::move(n));
  m.opsets[""] = 13;
  m.opsets["ai.onnx.ml"] = 3;
  m.inputs = {{"x", element_type::float32, {rows, features}}};
  m.outputs = {{"label", element_type::int64, {rows}}, {"probabilities", element_type::float32, {rows, classes}}};
  return m;
}

/// `trees` random trees over `features` features, of depth at most `max_depth` (a node is a leaf
/// with probability 1/4 before that depth, so the trees are unbalanced), branch modes drawn from
/// LEQ, LT, GTE and GT, a few thresholds far outside the input's range (branches decided alone),
/// into `a`. Each leaf weighs, under `prefix` ("class" or "target"), one or two of the `outputs`
/// outputs, or every one when `every_output`.
void random_trees(attribute_map& a, std::mt19937_64& rng, std::int64_t features, std::int64_t outputs, std::int64_t trees,
                  int max_depth, const std::string& prefix, bool every_output) {
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<std::int64_t> feature(0, features - 1), output(0, outputs - 1);
  std::uniform_int_distribution<int> four(0, 3), hundred(0, 99);
  const char* modes[] = {"BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT"};
  const std::string tree_ids = prefix + "_treeids", node_ids = prefix + "_nodeids", ids = prefix + "_ids",
                    weights = prefix + "_weights";
  for (std::int64_t t = 0; t < trees; ++t) {
    // Nodes in creation order: (id, depth); children get the next ids.
    std::vector<std::pair<std::int64_t, int>> open{{0, 0}};
    std::int64_t next_id = 1;
    while (!open.empty()) {
      const auto [id, depth] = open.back();
      open.pop_back();
      const bool branch = depth < max_depth && (depth == 0 || four(rng) != 0);
      a.ints("nodes_treeids").push_back(t);
      a.ints("nodes_nodeids").push_back(id);
      a.ints("nodes_featureids").push_back(branch ? feature(rng) : 0);
      const int far = hundred(rng);
      a.floats("nodes_values").push_back(!branch ? 0.0 : far < 4 ? 1e3 : far < 8 ? -1e3 : 0.8 * normal(rng));
      a.strings("nodes_modes").push_back(branch ? modes[four(rng)] : "LEAF");
      a.ints("nodes_truenodeids").push_back(branch ? next_id : 0);
      a.ints("nodes_falsenodeids").push_back(branch ? next_id + 1 : 0);
      if (branch) {
        open.emplace_back(next_id, depth + 1);
        open.emplace_back(next_id + 1, depth + 1);
        next_id += 2;
        continue;
      }
      const std::int64_t first = output(rng);
      const std::int64_t count = every_output ? outputs : std::min<std::int64_t>(outputs, 1 + four(rng) / 3);
      for (std::int64_t w = 0; w < count; ++w) {
        a.ints(tree_ids.c_str()).push_back(t);
        a.ints(node_ids.c_str()).push_back(id);
        a.ints(ids.c_str()).push_back((first + w) % outputs);
        a.floats(weights.c_str()).push_back(0.3 * normal(rng));
      }
    }
  }
}

/// A TreeEnsembleClassifier of random_trees over `features` features and `classes` classes for
/// `rows` input rows, leaves weighing one or two classes, and `post` (NONE or SOFTMAX).
model random_ensemble(std::mt19937_64& rng, std::int64_t features, std::int64_t classes, std::int64_t rows,
                      std::int64_t trees, int max_depth, const std::string& post) {
  attribute_map a;
  random_trees(a, rng, features, classes, trees, max_depth, "class", false);
  return classifier_model(std::move(a), features, classes, rows, post);
}

/// A two-class TreeEnsembleClassifier in ONNX Runtime's binary form, as XGBoost and scikit-learn
/// export boosted trees: random_trees whose leaves weigh class 0 only (every weight >= 0 when
/// `positive`), `base_count` (0 or 1) base values, labels 10 and 11, and `post`.
model random_binary(std::mt19937_64& rng, std::int64_t features, std::int64_t rows, std::int64_t trees, int max_depth,
                    const std::string& post, bool positive, std::size_t base_count) {
  attribute_map a;
  random_trees(a, rng, features, 1, trees, max_depth, "class", true);
  if (positive)
    for (double& w : a.floats("class_weights")) w = std::fabs(w) / static_cast<double>(trees);
  model m = classifier_model(std::move(a), features, 2, rows, post);
  for (auto& attr : m.nodes[0].attributes)
    if (attr.name == "base_values") attr.floats.resize(base_count);
  return m;
}

/// A TreeEnsembleRegressor of random_trees over `features` features and `targets` targets for
/// `rows` input rows, every leaf weighing every target, base values, `aggregate` and `post`.
model random_regressor(std::mt19937_64& rng, std::int64_t features, std::int64_t targets, std::int64_t rows,
                       std::int64_t trees, int max_depth, const std::string& aggregate, const std::string& post = "NONE") {
  attribute_map a;
  random_trees(a, rng, features, targets, trees, max_depth, "target", true);
  std::normal_distribution<double> normal(0.0, 0.5);
  for (std::int64_t k = 0; k < targets; ++k) a.floats("base_values").push_back(normal(rng));
  a.get("n_targets", attribute::kind::int_).i = targets;
  a.get("aggregate_function", attribute::kind::string).s = aggregate;
  a.get("post_transform", attribute::kind::string).s = post;
  model m;
  node n;
  n.op_type = "TreeEnsembleRegressor";
  n.domain = "ai.onnx.ml";
  n.opset = 3;
  n.name = "regressor";
  n.inputs = {"x"};
  n.outputs = {"y"};
  for (auto& [name, attr] : a.all) n.attributes.push_back(std::move(attr));
  m.nodes.push_back(std::move(n));
  m.opsets[""] = 13;
  m.opsets["ai.onnx.ml"] = 3;
  m.inputs = {{"x", element_type::float32, {rows, features}}};
  m.outputs = {{"y", element_type::float32, {rows, targets}}};
  return m;
}

tensor_map random_input(std::mt19937_64& rng, std::int64_t rows, std::int64_t features) {
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> x(static_cast<std::size_t>(rows * features));
  for (auto& v : x) v = static_cast<float>(normal(rng));
  return {{"x", tensor::floats({rows, features}, std::move(x))}};
}

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// Proves `m` on each of `inputs` (one quantization, calibrated on all of them) and checks every
/// proof: it verifies against the model and its input (the certificate recomputed, its error within
/// its bound), its outputs are the integer inference's, and one more in any output is rejected.
/// Returns the proofs' results.
std::vector<prove_model_result> prove_and_check_each(const model& m, const std::vector<tensor_map>& inputs,
                                                     const std::string& name) {
  prove_model_options options;
  options.calibration = inputs;
  std::vector<prove_model_result> out;
  for (const tensor_map& in : inputs) {
    auto p = prove_model(bytes_of(name), m, in, options);
    if (!p) {
      ADD_FAILURE() << name << ": " << p.error().message;
      continue;
    }
    auto v = verify_model(p.value().bytes, bytes_of(name), &m, &in);
    EXPECT_TRUE(v && v.value().parity_checked) << name << ": " << (v ? "" : v.error().message);
    const auto& parity = p.value().file.statement.parity;
    EXPECT_LE(parity.max_abs_error, parity.bound) << name;
    calibration cal;
    cal.fracs = p.value().file.statement.fracs;
    quantization_config config;
    config.inputs_are_constants = false;
    auto run = run_integer(m, in, cal, config);
    EXPECT_TRUE(run) << name << ": " << (run ? "" : run.error().message);
    for (std::size_t o = 0; run && o < p.value().file.statement.outputs.size(); ++o) {
      const proven_tensor& t = p.value().file.statement.outputs[o];
      EXPECT_EQ(t.q, run.value().at(t.name).t.ints) << name << ": " << t.name;
      model_proof_file f = p.value().file;
      f.statement.outputs[o].q.back() += 1;
      EXPECT_FALSE(verify_model(encode(f))) << name << ": " << t.name;
    }
    out.push_back(std::move(p.value()));
  }
  return out;
}

TEST(TreeWalk, RandomEnsemblesOfEveryModeAndShapeAreProvenAsTheIntegerInferenceRunsThem) {
  test::seeded_rng rng;
  struct shape {
    std::int64_t features, classes, rows, trees;
    int depth;
    const char* post;
  };
  const shape shapes[] = {{6, 3, 1, 12, 4, "SOFTMAX"}, {9, 5, 3, 7, 6, "NONE"}, {4, 4, 2, 20, 3, "SOFTMAX"}};
  for (std::size_t i = 0; i < std::size(shapes); ++i) {
    const shape& s = shapes[i];
    SCOPED_TRACE("ensemble " + std::to_string(i));
    const model m = random_ensemble(rng.engine(), s.features, s.classes, s.rows, s.trees, s.depth, s.post);
    const std::string name = "tree walk " + std::to_string(i) + " " + std::to_string(rng.next());
    std::vector<tensor_map> inputs;
    for (int j = 0; j < 3; ++j) inputs.push_back(random_input(rng.engine(), s.rows, s.features));
    EXPECT_EQ(prove_and_check_each(m, inputs, name).size(), inputs.size());
  }
}

TEST(TreeWalk, BinaryEnsemblesInOnnxRuntimesFormAreProvenAsTheIntegerInferenceRunsThem) {
  test::seeded_rng rng;
  struct shape {
    std::int64_t features, rows, trees;
    int depth;
    const char* post;
    bool positive;
    std::size_t base_count;
  };
  const shape shapes[] = {{6, 2, 20, 4, "LOGISTIC", false, 1}, {5, 1, 10, 5, "NONE", true, 0},
                          {7, 3, 15, 3, "NONE", false, 1}, {4, 2, 8, 4, "LOGISTIC", true, 0}};
  for (std::size_t i = 0; i < std::size(shapes); ++i) {
    const shape& s = shapes[i];
    SCOPED_TRACE("binary ensemble " + std::to_string(i));
    const model m = random_binary(rng.engine(), s.features, s.rows, s.trees, s.depth, s.post, s.positive, s.base_count);
    const std::string name = "binary trees " + std::to_string(i) + " " + std::to_string(rng.next());
    std::vector<tensor_map> inputs;
    for (int j = 0; j < 3; ++j) inputs.push_back(random_input(rng.engine(), s.rows, s.features));
    for (const prove_model_result& r : prove_and_check_each(m, inputs, name)) {
      for (const std::int64_t l : r.file.statement.outputs.at(0).q) EXPECT_TRUE(l == 10 || l == 11) << l;
    }
  }
}

TEST(TreeWalk, RegressorsSummingOrAveragingTheirTreesAreProvenAsTheIntegerInferenceRunsThem) {
  test::seeded_rng rng;
  struct shape {
    std::int64_t features, targets, rows, trees;
    int depth;
    const char* aggregate;
  };
  const shape shapes[] = {{6, 1, 1, 30, 5, "SUM"}, {5, 3, 2, 12, 4, "AVERAGE"}, {8, 2, 1, 50, 6, "AVERAGE"}};
  for (std::size_t i = 0; i < std::size(shapes); ++i) {
    const shape& s = shapes[i];
    SCOPED_TRACE("regressor " + std::to_string(i));
    const model m = random_regressor(rng.engine(), s.features, s.targets, s.rows, s.trees, s.depth, s.aggregate);
    const std::string name = "tree regressor " + std::to_string(i) + " " + std::to_string(rng.next());
    std::vector<tensor_map> inputs;
    for (int j = 0; j < 2; ++j) inputs.push_back(random_input(rng.engine(), s.rows, s.features));
    // The float reference is within 0.01 of every output.
    for (const prove_model_result& r : prove_and_check_each(m, inputs, name)) {
      EXPECT_LT(r.file.statement.parity.max_abs_error, 0.01);
    }
  }
  // MAX and a post_transform are not proven: refused in one line naming the node (trees of a single
  // leaf, whose output does not depend on the input, so that the calibration always holds).
  const tensor_map in = random_input(rng.engine(), 1, 4);
  for (const auto& [aggregate, post] : {std::pair{"MAX", "NONE"}, std::pair{"SUM", "LOGISTIC"}}) {
    auto refused = prove_model(bytes_of(std::string("refused ") + aggregate + post),
                               random_regressor(rng.engine(), 4, 1, 1, 3, 0, aggregate, post), in);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("node 'regressor'"), std::string::npos) << refused.error().message;
    EXPECT_NE(refused.error().message.find("only SUM or AVERAGE"), std::string::npos) << refused.error().message;
  }
}

/// A scikit-learn style pipeline: Scaler (per-feature or one scale and offset) then LinearRegressor
/// of `targets` targets, or a TreeEnsembleRegressor when `trees` > 0, over [rows, features].
model scaled_regression(std::mt19937_64& rng, std::int64_t features, std::int64_t targets, std::int64_t rows,
                        bool one_scale, std::int64_t trees, const std::string& post = "NONE") {
  std::normal_distribution<double> normal(0.0, 1.0);
  attribute_map scaler;
  for (std::int64_t j = 0; j < (one_scale ? 1 : features); ++j) {
    scaler.floats("scale").push_back(0.5 + std::fabs(normal(rng)));
    scaler.floats("offset").push_back(0.3 * normal(rng));
  }
  model m = trees > 0 ? random_regressor(rng, features, targets, rows, trees, 4, "SUM", post) : model{};
  if (trees == 0) {
    attribute_map a;
    for (std::int64_t j = 0; j < targets * features; ++j) a.floats("coefficients").push_back(0.5 * normal(rng));
    for (std::int64_t t = 0; t < targets; ++t) a.floats("intercepts").push_back(normal(rng));
    a.get("targets", attribute::kind::int_).i = targets;
    a.get("post_transform", attribute::kind::string).s = post;
    node r;
    r.op_type = "LinearRegressor";
    r.domain = "ai.onnx.ml";
    r.opset = 1;
    r.name = "regressor";
    r.outputs = {"y"};
    for (auto& [name, attr] : a.all) r.attributes.push_back(std::move(attr));
    m.nodes.push_back(std::move(r));
    m.opsets[""] = 13;
    m.opsets["ai.onnx.ml"] = 3;
    m.inputs = {{"x", element_type::float32, {rows, features}}};
    m.outputs = {{"y", element_type::float32, {rows, targets}}};
  }
  m.nodes[0].inputs = {"scaled"};
  node sc;
  sc.op_type = "Scaler";
  sc.domain = "ai.onnx.ml";
  sc.opset = 1;
  sc.name = "scaler";
  sc.inputs = {"x"};
  sc.outputs = {"scaled"};
  for (auto& [name, attr] : scaler.all) sc.attributes.push_back(std::move(attr));
  m.nodes.insert(m.nodes.begin(), std::move(sc));
  return m;
}

TEST(MlLinear, ScaledInputsAndLinearOrTreeRegressorsAreProvenAsTheIntegerInferenceRunsThem) {
  test::seeded_rng rng;
  struct shape {
    std::int64_t features, targets, rows;
    bool one_scale;
    std::int64_t trees;
  };
  const shape shapes[] = {{8, 1, 1, false, 0}, {5, 3, 2, true, 0}, {6, 2, 3, false, 0}, {6, 1, 2, false, 20}};
  for (std::size_t i = 0; i < std::size(shapes); ++i) {
    const shape& s = shapes[i];
    SCOPED_TRACE("pipeline " + std::to_string(i));
    const model m = scaled_regression(rng.engine(), s.features, s.targets, s.rows, s.one_scale, s.trees);
    const std::string name = "pipeline " + std::to_string(i) + " " + std::to_string(rng.next());
    std::vector<tensor_map> inputs;
    for (int j = 0; j < 2; ++j) inputs.push_back(random_input(rng.engine(), s.rows, s.features));
    for (const prove_model_result& r : prove_and_check_each(m, inputs, name)) {
      // A linear pipeline is continuous: close to the float reference.
      if (s.trees == 0) {
        EXPECT_LT(r.file.statement.parity.max_abs_error, 0.01);
      }
    }
  }
  // A post_transform is not proven: refused in one line naming the node.
  const tensor_map in = random_input(rng.engine(), 1, 4);
  auto refused = prove_model(bytes_of("logistic regression"), scaled_regression(rng.engine(), 4, 1, 1, false, 0, "LOGISTIC"), in);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("node 'regressor'"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("LinearRegressor with post_transform NONE"), std::string::npos) << refused.error().message;
}

/// A binary logistic regression as scikit-learn exports it: a Scaler, then a LinearClassifier of
/// one coefficient row and labels {3, 7}, with `post`.
model binary_linear(std::mt19937_64& rng, std::int64_t features, std::int64_t rows, const std::string& post) {
  std::normal_distribution<double> normal(0.0, 1.0);
  model m = scaled_regression(rng, features, 1, rows, false, 0);
  attribute_map a;
  for (std::int64_t j = 0; j < features; ++j) a.floats("coefficients").push_back(normal(rng));
  a.floats("intercepts").push_back(0.2 * normal(rng));
  a.ints("classlabels_ints") = {3, 7};
  a.get("post_transform", attribute::kind::string).s = post;
  node& c = m.nodes[1];
  c.op_type = "LinearClassifier";
  c.name = "classifier";
  c.outputs = {"label", "probabilities"};
  c.attributes.clear();
  for (auto& [name, attr] : a.all) c.attributes.push_back(std::move(attr));
  m.outputs = {{"label", element_type::int64, {rows}}, {"probabilities", element_type::float32, {rows, 2}}};
  return m;
}

TEST(MlLinear, BinaryLogisticRegressionsAreProvenAsTheIntegerInferenceRunsThem) {
  test::seeded_rng rng;
  for (const char* post : {"LOGISTIC", "NONE", "SOFTMAX"}) {
    SCOPED_TRACE(post);
    const model m = binary_linear(rng.engine(), 6, 3, post);
    const std::string name = std::string("binary linear ") + post + " " + std::to_string(rng.next());
    std::vector<tensor_map> inputs;
    for (int j = 0; j < 2; ++j) inputs.push_back(random_input(rng.engine(), 3, 6));
    for (const prove_model_result& r : prove_and_check_each(m, inputs, name)) {
      const auto& out = r.file.statement.outputs;
      for (const std::int64_t l : out.at(0).q) EXPECT_TRUE(l == 3 || l == 7) << l;
      // Class 0 is 1 - class 1, exactly at the output's frac.
      const std::int64_t one = std::int64_t{1} << out.at(1).frac;
      for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(out[1].q[2 * i] + out[1].q[2 * i + 1], one);
      EXPECT_LT(r.file.statement.parity.max_abs_error, 0.01);
    }
  }
}

/// One tree of `branches` branches in a chain whose two children are both the next node (2^branches
/// paths through `branches` + 1 nodes), ending at a leaf weighing each class in turn.
model chain_model(std::int64_t branches, std::int64_t classes) {
  attribute_map a;
  for (std::int64_t i = 0; i <= branches; ++i) {
    const bool branch = i < branches;
    a.ints("nodes_treeids").push_back(0);
    a.ints("nodes_nodeids").push_back(i);
    a.ints("nodes_featureids").push_back(branch ? i % 3 : 0);
    a.floats("nodes_values").push_back(0.1 * static_cast<double>(i % 5));
    a.strings("nodes_modes").push_back(branch ? "BRANCH_LEQ" : "LEAF");
    a.ints("nodes_truenodeids").push_back(branch ? i + 1 : 0);
    a.ints("nodes_falsenodeids").push_back(branch ? i + 1 : 0);
  }
  for (std::int64_t k = 0; k < classes; ++k) {
    a.ints("class_treeids").push_back(0);
    a.ints("class_nodeids").push_back(branches);
    a.ints("class_ids").push_back(k);
    a.floats("class_weights").push_back(0.25 * static_cast<double>(k % 3) - 0.2);
  }
  return classifier_model(std::move(a), 3, classes, 1, "NONE");
}

TEST(TreeWalk, NodesSharedByManyPathsAreWalkedOnceAndClassesBeyondTheTablesAreRefused) {
  // 2^60 paths, 61 nodes: the depth is found per node, not per path.
  const model m = chain_model(60, 3);
  test::seeded_rng rng;
  const tensor_map in = random_input(rng.engine(), 1, 3);
  const std::string name = "a chain of shared children";
  auto p = prove_model(bytes_of(name), m, in);
  ASSERT_TRUE(p) << p.error().message;
  auto v = verify_model(p.value().bytes, bytes_of(name), &m, &in);
  ASSERT_TRUE(v) << v.error().message;
  // 65 classes: more weights per node than the walk and node tables take, refused in one line.
  auto refused = prove_model(bytes_of("65 classes"), chain_model(2, 65), in);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("a tree ensemble of more than 64 classes"), std::string::npos)
      << refused.error().message;
}

/// A model's circuit and an honest witness of one input, to tamper with.
struct circuit_fixture {
  std::shared_ptr<const program> shared;
  std::unique_ptr<model_circuit<E>> circuit;
  std::shared_ptr<const stark::proving_key<E>> pk;
  std::vector<air::witness> witnesses;
  std::vector<stark::public_lookup> lookups;
  /// The index of the table whose name starts with `prefix`.
  std::size_t table(std::string_view prefix) const {
    for (std::size_t t = 0; t < circuit->tables().size(); ++t)
      if (circuit->tables()[t].kind->name().starts_with(prefix)) return t;
    ADD_FAILURE() << "no table " << prefix;
    return 0;
  }
};

circuit_fixture make_fixture(const model& m, const tensor_map& in) {
  circuit_fixture f;
  auto cal = calibrate(m, {in});
  EXPECT_TRUE(cal) << cal.error().message;
  quantization_config config;
  config.inputs_are_constants = false;
  calibration fixed_cal;
  fixed_cal.fracs = tensor_fracs(cal.value(), config);
  int_value_map all;
  auto run = run_integer(m, in, fixed_cal, config, &all);
  EXPECT_TRUE(run) << run.error().message;
  auto p = lower(m, all, config);
  EXPECT_TRUE(p) << p.error().message;
  f.shared = std::make_shared<const program>(p.value());
  f.circuit = std::make_unique<model_circuit<E>>(f.shared);
  auto backend = kernels::make_cpu_backend();
  auto pk = stark::setup<E>(f.circuit->tables(), stark::fast_profile(), *backend, backend->merkle());
  EXPECT_TRUE(pk) << pk.error().message;
  f.pk = pk.value();
  const std::vector<std::vector<std::int64_t>> inputs{all.at(m.inputs.at(0).name).t.ints};
  auto values = evaluate(*f.shared, inputs);
  EXPECT_TRUE(values) << values.error().message;
  std::vector<std::vector<std::int64_t>> outputs;
  for (const auto& t : f.shared->outputs) {
    outputs.emplace_back();
    for (address a : t.addresses) outputs.back().push_back(values.value()[a]);
  }
  f.witnesses = f.circuit->witnesses(values.value(), std::vector<babybear>(statement_digest_size, babybear::zero()));
  f.lookups = io_lookups(inputs, outputs);
  return f;
}

/// Proves the fixture's witnesses with or without the prover's check: the proof's verdict, or the
/// prover's refusal.
struct outcome {
  bool proved = false, verified = false;
  std::string message;
};
outcome prove_and_verify(const circuit_fixture& f, bool check) {
  auto backend = kernels::make_cpu_backend();
  stark::prove_options po;
  po.check_constraints = check;
  po.public_lookups = f.lookups;
  auto proof = stark::prove<E>(*f.pk, f.witnesses, *backend, backend->merkle(), nullptr, po);
  if (!proof) return {false, false, proof.error().message};
  auto v = stark::verify<E>(f.pk->vk, proof.value(), {}, f.lookups);
  return {true, v.has_value(), v ? "" : v.error().message};
}

TEST(TreeWalk, AWrongBranchOrAJumpIsRefusedAndItsProofRejected) {
  test::seeded_rng rng;
  circuit_fixture f = make_fixture(random_ensemble(rng.engine(), 5, 3, 1, 6, 4, "NONE"), random_input(rng.engine(), 1, 5));
  const std::size_t walk_table = f.table("zkml-tree-walk-3");
  const outcome honest = prove_and_verify(f, true);
  ASSERT_TRUE(honest.proved && honest.verified) << honest.message;

  const tree_walk_air walk(3);
  const air::witness original = f.witnesses[walk_table];
  // The first row of the first walk sits at the root, a branch (depth >= 1: the generator's roots
  // are branches).
  const auto& nodes = f.shared->tree_nodes;
  const std::uint32_t root = f.shared->tree_roots.at(0);
  ASSERT_FALSE(nodes[root].leaf);
  const std::size_t features = f.table("zkml-tree-features"), node_table = f.table("zkml-tree-nodes-");
  const auto signed_value = [](babybear v) {
    const auto c = static_cast<std::int64_t>(v.to_canonical());
    return c > static_cast<std::int64_t>(babybear::modulus / 2) ? c - static_cast<std::int64_t>(babybear::modulus) : c;
  };
  const auto count = [&](std::size_t table, std::size_t row, std::size_t col, int delta) {
    babybear& m = f.witnesses[table].trace.at(row, col);
    m = delta > 0 ? m + babybear::one() : m - babybear::one();
  };
  {
    // The other branch at the root, with the d that branch would need, and the rest of the walk
    // taken honestly from the other child to its leaf, every count and sum carried along: only
    // the root's comparison is false, and its d is outside [0, 2^16).
    air::witness& w = f.witnesses[walk_table];
    const std::size_t lanes = f.witnesses[node_table].trace.width();
    const tree_node_entry& e = nodes[root];
    const bool b = w.trace.at(0, walk.col_b()) == babybear::one();
    const babybear x0 = w.trace.at(0, walk.col_x()), t0 = to_field(e.threshold);
    w.trace.at(0, walk.col_b()) = b ? babybear::zero() : babybear::one();
    w.trace.at(0, walk.col_d()) = b ? x0 - t0 - babybear::one() : t0 - x0;
    EXPECT_GE(w.trace.at(0, walk.col_d()).to_canonical(), 1u << 16);
    std::uint32_t node = b ? e.if_false : e.if_true;
    w.trace.at(0, walk.col_child()) = babybear::from_u64(node);
    for (std::uint32_t j = 1; j <= f.shared->tree_depths.at(0); ++j) {
      const auto old = static_cast<std::uint32_t>(w.trace.at(j, 0).to_canonical());
      count(node_table, old / lanes, old % lanes, -1);
      count(features, nodes[old].feature, 1, -1);
      const tree_node_entry& n = nodes[node];
      count(node_table, node / lanes, node % lanes, +1);
      count(features, n.feature, 1, +1);
      const std::int64_t x = signed_value(f.witnesses[features].trace.at(n.feature, 0));
      const bool bit = x <= n.threshold;
      w.trace.at(j, 0) = babybear::from_u64(node);
      w.trace.at(j, 1) = babybear::from_u64(n.feature);
      w.trace.at(j, 2) = to_field(n.threshold);
      w.trace.at(j, 3) = babybear::from_u64(n.if_true);
      w.trace.at(j, 4) = babybear::from_u64(n.if_false);
      w.trace.at(j, 5) = n.leaf ? babybear::one() : babybear::zero();
      for (std::size_t k = 0; k < 3; ++k) w.trace.at(j, walk.col_weight(k)) = to_field(n.weights[k]);
      w.trace.at(j, walk.col_x()) = to_field(x);
      w.trace.at(j, walk.col_b()) = bit ? babybear::one() : babybear::zero();
      w.trace.at(j, walk.col_d()) = to_field(bit ? n.threshold - x : x - n.threshold - 1);
      node = bit ? n.if_true : n.if_false;
      w.trace.at(j, walk.col_child()) = babybear::from_u64(node);
    }
    // The step's sums again: every walk's leaf added on its last row.
    std::size_t r = 0;
    std::vector<babybear> acc(3, babybear::zero());
    for (std::size_t t = 0; t < f.shared->tree_roots.size(); ++t) {
      for (std::uint32_t j = 0; j <= f.shared->tree_depths[t]; ++j, ++r) {
        for (std::size_t k = 0; k < 3; ++k) {
          if (j == f.shared->tree_depths[t]) acc[k] += w.trace.at(r, walk.col_weight(k));
          w.trace.at(r, walk.col_acc(k)) = acc[k];
        }
      }
    }
    const outcome o = prove_and_verify(f, true);
    EXPECT_FALSE(o.proved);
    EXPECT_NE(o.message.find("is unbalanced"), std::string::npos) << o.message;  // every constraint holds
    EXPECT_FALSE(prove_and_verify(f, false).verified);
  }
  f.witnesses[walk_table] = original;
  {
    // A jump: the second row at another node than the first row's child.
    air::witness& w = f.witnesses[walk_table];
    const std::uint32_t child = static_cast<std::uint32_t>(w.trace.at(0, walk.col_child()).to_canonical());
    const std::uint32_t other = child == nodes[root].if_true ? nodes[root].if_false : nodes[root].if_true;
    w.trace.at(1, 0) = babybear::from_u64(other);
    const outcome o = prove_and_verify(f, true);
    EXPECT_FALSE(o.proved);
    EXPECT_NE(o.message.find("'zkml-tree-walk-3') violates its AIR: constraint 5 (transition) fails on row 0"),
              std::string::npos)
        << o.message;
    EXPECT_FALSE(prove_and_verify(f, false).verified);
  }
}

/// y = W x (MatMul of x [1, k] by a constant [k, n]) or a 3x3 Conv of x [1, c, h, w] by a constant
/// [n, c, 3, 3] with pads 1: every output channel (column) at a position reads the same values.
model linear_model(std::mt19937_64& rng, const std::string& op, const shape_t& x_shape, std::int64_t n) {
  std::normal_distribution<double> normal(0.0, 1.0);
  const bool conv = op == "Conv";
  const shape_t w_shape = conv ? shape_t{n, x_shape[1], 3, 3} : shape_t{x_shape[1], n};
  std::vector<double> w(static_cast<std::size_t>(num_elements(w_shape)));
  for (auto& v : w) v = static_cast<float>(0.3 * normal(rng));
  model m;
  m.opsets[""] = 14;
  m.inputs = {{"x", element_type::float32, x_shape}};
  m.initializers["w"] = tensor::floats(w_shape, std::move(w));
  node nd;
  nd.op_type = op;
  nd.opset = 14;
  nd.name = "the_" + op;
  nd.inputs = {"x", "w"};
  nd.outputs = {"y"};
  if (conv) {
    attribute pads;
    pads.name = "pads";
    pads.type = attribute::kind::ints;
    pads.ints = {1, 1, 1, 1};
    nd.attributes = {pads};
  }
  m.nodes = {nd};
  m.outputs = {{"y", element_type::float32, conv ? shape_t{1, n, x_shape[2], x_shape[3]} : shape_t{1, n}}};
  return m;
}

tensor_map normal_input(std::mt19937_64& rng, const shape_t& shape) {
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> x(static_cast<std::size_t>(num_elements(shape)));
  for (auto& v : x) v = static_cast<float>(normal(rng));
  return {{"x", tensor::floats(shape, std::move(x))}};
}

std::vector<std::string> table_names(const circuit_fixture& f) {
  std::vector<std::string> out;
  for (const auto& t : f.circuit->tables()) out.emplace_back(t.kind->name());
  return out;
}

/// Moves one count of the range table from value `from` to value `to` (range_table_air's layout).
void move_range_count(circuit_fixture& f, std::uint32_t from, std::uint32_t to) {
  air::witness& w = f.witnesses[f.table("range16-table")];
  const std::size_t rows = w.trace.rows();
  w.trace.at(from % rows, from / rows) -= babybear::one();
  w.trace.at(to % rows, to / rows) += babybear::one();
}

TEST(MultiplyAccumulate, ConvolutionChannelsShareTheirReadsAndAWrongSumOrRoundingIsRefused) {
  test::seeded_rng rng;
  circuit_fixture f = make_fixture(linear_model(rng.engine(), "Conv", {1, 2, 6, 6}, 8), normal_input(rng.engine(), {1, 2, 6, 6}));
  // The 8 channels at each position read their values once: every convolution step is in the
  // multiply-accumulate table, 4 sums per row (a small circuit), none in the affine table.
  const std::vector<std::string> names = table_names(f);
  EXPECT_NE(std::find(names.begin(), names.end(), "zkml-mac-16x4"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "zkml-round-4"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "zkml-affine-16"), names.end());
  const outcome honest = prove_and_verify(f, true);
  ASSERT_TRUE(honest.proved && honest.verified) << honest.message;

  const std::size_t mac = f.table("zkml-mac-"), round = f.table("zkml-round-");
  const mac_air shape(mac_lanes, narrow_mac_sums);
  // A sum one more on row 1, the last row of a group (the corner's group reads 8 values on row 0,
  // the next position's 12 values on row 1): the transition into that row no longer holds.
  const air::witness mac_original = f.witnesses[mac];
  f.witnesses[mac].trace.at(1, shape.width() - 1) += babybear::one();
  {
    const outcome o = prove_and_verify(f, true);
    EXPECT_FALSE(o.proved);
    EXPECT_NE(o.message.find("('zkml-mac-16x4') violates its AIR"), std::string::npos) << o.message;
    EXPECT_FALSE(prove_and_verify(f, false).verified);
  }
  f.witnesses[mac] = mac_original;
  {
    // The first rounding's sum one more and its remainder with it (when the remainder has room):
    // the rounding holds, its range checks are recounted, and only the accumulator bus, which ties
    // the sum to the multiply-accumulate table's, is unbalanced.
    air::witness& w = f.witnesses[round];
    const babybear one = babybear::one();
    const kernels::row_major_matrix<babybear> fixed =
        f.circuit->tables()[round].kind->fixed_trace(f.circuit->tables()[round].log_rows);
    const auto at = [&](std::size_t row, std::size_t lane, std::size_t j) {
      return static_cast<std::uint32_t>(fixed.at(row, round_air::fixed_per_lane * lane + j).to_canonical());
    };
    // A rounding by a shift (mul 1, an active lane) whose remainder r has room for r + 1 < div.
    std::size_t row = 0, lane = 0;
    bool found = false;
    for (row = 0; row < w.trace.rows() && !found; ++row)
      for (lane = 0; lane < round_lanes && !found; ++lane)
        found = at(row, lane, 0) == 1 && at(row, lane, 1) == 1 &&
                w.trace.at(row, round_air::main_per_lane * lane + 2).to_canonical() + 1 < at(row, lane, 3);
    ASSERT_TRUE(found);
    --row, --lane;
    const std::size_t c = round_air::main_per_lane * lane;
    const auto r = static_cast<std::uint32_t>(w.trace.at(row, c + 2).to_canonical());
    const std::uint32_t k_lo = at(row, lane, 5);
    w.trace.at(row, c) += one;
    w.trace.at(row, c + 2) += one;
    move_range_count(f, r, r + 1);
    move_range_count(f, r + k_lo, r + 1 + k_lo);
    const outcome o = prove_and_verify(f, true);
    EXPECT_FALSE(o.proved);
    EXPECT_NE(o.message.find("bus 'accumulator' is unbalanced"), std::string::npos) << o.message;
    EXPECT_FALSE(prove_and_verify(f, false).verified);
  }
}

TEST(MultiplyAccumulate, AMillionMultiplyAddsTakeEightSumsPerRow) {
  test::seeded_rng rng;
  const model m = linear_model(rng.engine(), "MatMul", {1, 1024}, 1024);
  const tensor_map in = normal_input(rng.engine(), {1, 1024});
  const circuit_fixture f = make_fixture(m, in);
  const std::vector<std::string> names = table_names(f);
  EXPECT_NE(std::find(names.begin(), names.end(), "zkml-mac-16x8"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "zkml-mac-16x4"), names.end());
  const std::string name = "a million multiply-adds";
  auto p = prove_model(bytes_of(name), m, in);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p.value().multiply_adds, std::size_t{1} << 20);
  auto v = verify_model(p.value().bytes, bytes_of(name), &m, &in);
  ASSERT_TRUE(v) << v.error().message;
  calibration cal;
  cal.fracs = p.value().file.statement.fracs;
  quantization_config config;
  config.inputs_are_constants = false;
  auto run = run_integer(m, in, cal, config);
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(p.value().file.statement.outputs.at(0).q, run.value().at("y").t.ints);
  model_proof_file tampered = p.value().file;
  tampered.statement.outputs[0].q[517] += 1;
  EXPECT_FALSE(verify_model(encode(tampered)));
}

TEST(ModelCircuit, TableNamesAreReadBackOnlyInTheirOneSpelling) {
  for (const char* name : {"zkml-mac-16x4", "zkml-mac-16x8", "zkml-round-4", "zkml-tree-walk-3", "zkml-tree-walk-64", "zkml-tree-nodes-3", "zkml-tree-nodes-10-x4", "zkml-tree-nodes-1-x2",
                           "zkml-tree-features", "range16-table", "range16-table-x2", "range16-table-x64",
                           "zkml-functions-2", "zkml-functions-2-x16", "zkml-functions-64-x64"}) {
    const auto t = model_table_by_name<E>(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->name(), name);
  }
  for (const char* name : {"zkml-mac-16x2", "zkml-mac-8x8", "zkml-round-2", "zkml-tree-walk-0", "zkml-tree-walk-65", "zkml-tree-walk-03", "zkml-tree-walk-3-x2",
                           "zkml-tree-nodes-3-x1", "zkml-tree-nodes-3-x3", "zkml-tree-nodes-3-x8", "zkml-tree-nodes-3-x",
                           "zkml-tree-nodes-0-x1", "range16-table-x1", "range16-table-x3", "range16-table-x128",
                           "range16-table-", "range16-tablex2", "zkml-functions-2-x1", "zkml-functions-2-x", "zkml-functions-2-",
                           "zkml-functions-2-x06", "zkml-functions-0-x2"}) {
    EXPECT_EQ(model_table_by_name<E>(name), nullptr) << name;
  }
}

TEST(ModelCircuit, LookupTablesAreNoTallerThanTheOtherTables) {
  EXPECT_EQ(lookup_table_lanes(16), 1u);
  EXPECT_EQ(lookup_table_lanes(20), 1u);
  EXPECT_EQ(lookup_table_lanes(15), 2u);
  EXPECT_EQ(lookup_table_lanes(13), 8u);
  EXPECT_EQ(lookup_table_lanes(12), max_lookup_lanes);
  EXPECT_EQ(lookup_table_lanes(3), max_lookup_lanes);
}

}  // namespace
}  // namespace ciro::zkml
