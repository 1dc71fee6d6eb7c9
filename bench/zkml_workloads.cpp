// The zkml workloads of `ciro bench`: the integer inference (zkml::run_integer, the witness a proof
// of the model attests) and the proofs of model inference (zkml::prove_model, verify_model) of an
// MNIST-class MLP and CNNs of 0.4M to 9.9M multiply-adds, built in code from a fixed seed.

#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <random>

#include "bench/workload.hpp"
#include "core/check.hpp"
#include "zkml/integer_inference.hpp"
#include "zkml/model_proof.hpp"

namespace ciro::bench {
namespace {

using zkml::attribute;
using zkml::model;
using zkml::node;
using zkml::shape_t;
using zkml::tensor;

/// A model under construction: He-initialized weights from a fixed seed.
struct builder {
  model m;
  std::mt19937_64 rng{20261205};
  int next = 0;

  std::string name(const char* prefix) {
    std::string n = prefix;
    n += std::to_string(next++);
    return n;
  }
  std::string weights(const shape_t& shape, std::int64_t fan_in) {
    std::normal_distribution<double> dist(0.0, std::sqrt(2.0 / static_cast<double>(fan_in)));
    std::vector<double> v(static_cast<std::size_t>(zkml::num_elements(shape)));
    for (auto& x : v) x = static_cast<float>(dist(rng));
    const std::string n = name("w");
    m.initializers[n] = tensor::floats(shape, std::move(v));
    return n;
  }
  std::string op(const std::string& type, std::vector<std::string> inputs, std::vector<attribute> attrs = {}) {
    node n;
    n.op_type = type;
    n.opset = 13;
    n.inputs = std::move(inputs);
    n.outputs = {name("t")};
    n.name = n.outputs[0];
    n.attributes = std::move(attrs);
    m.nodes.push_back(n);
    return n.outputs[0];
  }
  std::string dense(const std::string& x, std::int64_t in, std::int64_t out) {
    const std::string w = weights({in, out}, in), b = weights({out}, in);
    return op("Add", {op("MatMul", {x, w}), b});
  }
  /// A k x k convolution (k odd) padded to keep the size.
  std::string conv(const std::string& x, std::int64_t in, std::int64_t out, std::int64_t k = 3) {
    attribute pads;
    pads.name = "pads";
    pads.type = attribute::kind::ints;
    pads.ints = {k / 2, k / 2, k / 2, k / 2};
    return op("Conv", {x, weights({out, in, k, k}, in * k * k), weights({out}, in * k * k)}, {pads});
  }
  /// A k x k convolution without padding.
  std::string conv_valid(const std::string& x, std::int64_t in, std::int64_t out, std::int64_t k) {
    return op("Conv", {x, weights({out, in, k, k}, in * k * k), weights({out}, in * k * k)});
  }
  std::string flatten(const std::string& x) {
    attribute axis;
    axis.name = "axis";
    axis.i = 1;
    return op("Flatten", {x}, {axis});
  }
  std::string max_pool(const std::string& x) {
    attribute k, s;
    k.name = "kernel_shape";
    s.name = "strides";
    k.type = s.type = attribute::kind::ints;
    k.ints = s.ints = {2, 2};
    return op("MaxPool", {x}, {k, s});
  }
  void finish(const shape_t& in_shape, const std::string& out) {
    m.opsets[""] = 13;
    m.inputs = {{"x", zkml::element_type::float32, in_shape}};
    m.outputs = {{out, zkml::element_type::float32, {}}};
  }
};

/// 784-128-64-10 with ReLU: 109k multiply-adds.
model mlp() {
  builder b;
  std::string h = b.op("Relu", {b.dense("x", 784, 128)});
  h = b.op("Relu", {b.dense(h, 128, 64)});
  b.finish({1, 784}, b.dense(h, 64, 10));
  return std::move(b.m);
}

/// 1x28x28 -> conv 16 -> pool -> conv 32 -> pool -> conv 64 -> flatten -> 128 -> 10 (3x3 convs,
/// ReLU): 2.3M multiply-adds.
model cnn() {
  builder b;
  std::string h = b.max_pool(b.op("Relu", {b.conv("x", 1, 16)}));
  h = b.max_pool(b.op("Relu", {b.conv(h, 16, 32)}));
  h = b.op("Relu", {b.conv(h, 32, 64)});
  attribute axis;
  axis.name = "axis";
  axis.i = 1;
  h = b.op("Flatten", {h}, {axis});
  h = b.op("Relu", {b.dense(h, 64 * 7 * 7, 128)});
  b.finish({1, 1, 28, 28}, b.dense(h, 128, 10));
  return std::move(b.m);
}

/// LeNet-5 class: 1x28x28 -> conv 6@5x5 (pad 2) -> pool -> conv 16@5x5 -> pool -> 400-120-84-10
/// (ReLU): 416k multiply-adds.
model lenet() {
  builder b;
  std::string h = b.max_pool(b.op("Relu", {b.conv("x", 1, 6, 5)}));
  h = b.max_pool(b.op("Relu", {b.conv_valid(h, 6, 16, 5)}));
  h = b.flatten(h);
  h = b.op("Relu", {b.dense(h, 400, 120)});
  h = b.op("Relu", {b.dense(h, 120, 84)});
  b.finish({1, 1, 28, 28}, b.dense(h, 84, 10));
  return std::move(b.m);
}

/// 3x32x32 -> conv 16 -> conv 32 -> pool -> conv 64 -> pool -> 4096-10 (3x3 convs, ReLU): 9.9M
/// multiply-adds, a MobileNet-class amount of work.
model cnn10m() {
  builder b;
  std::string h = b.op("Relu", {b.conv("x", 3, 16)});
  h = b.max_pool(b.op("Relu", {b.conv(h, 16, 32)}));
  h = b.max_pool(b.op("Relu", {b.conv(h, 32, 64)}));
  b.finish({1, 3, 32, 32}, b.dense(b.flatten(h), 64 * 8 * 8, 10));
  return std::move(b.m);
}

/// An ONNX-ML node's attributes by name, each created with its name and type on first use.
struct attribute_map {
  std::map<std::string, attribute> all;
  attribute& get(const char* n, attribute::kind k) {
    attribute& a = all[n];
    a.name = n;
    a.type = k;
    return a;
  }
  std::vector<std::int64_t>& ints(const std::string& n) { return get(n.c_str(), attribute::kind::ints).ints; }
  std::vector<double>& floats(const std::string& n) { return get(n.c_str(), attribute::kind::floats).floats; }
};

/// `n_trees` full trees of depth `depth` (2^depth - 1 BRANCH_LEQ nodes, 2^depth leaves each) over
/// `features` features, thresholds about 0.5, from a fixed seed; each leaf weighs output
/// `output_of(tree)` under `prefix` ("class" or "target") with a weight of about `scale`.
void full_trees(attribute_map& a, std::int64_t features, std::int64_t n_trees, int depth, const std::string& prefix,
                const std::function<std::int64_t(std::int64_t)>& output_of, double scale) {
  const std::int64_t internal = (std::int64_t{1} << depth) - 1, total = (std::int64_t{2} << depth) - 1;
  std::mt19937_64 rng(20261205);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<std::int64_t> feature(0, features - 1);
  attribute& modes = a.get("nodes_modes", attribute::kind::strings);
  for (std::int64_t t = 0; t < n_trees; ++t) {
    for (std::int64_t n = 0; n < total; ++n) {
      const bool branch = n < internal;
      a.ints("nodes_treeids").push_back(t);
      a.ints("nodes_nodeids").push_back(n);
      a.ints("nodes_featureids").push_back(branch ? feature(rng) : 0);
      a.floats("nodes_values").push_back(branch ? static_cast<float>(0.5 + 0.3 * normal(rng)) : 0.0);
      modes.strings.push_back(branch ? "BRANCH_LEQ" : "LEAF");
      a.ints("nodes_truenodeids").push_back(branch ? 2 * n + 1 : 0);
      a.ints("nodes_falsenodeids").push_back(branch ? 2 * n + 2 : 0);
      if (branch) continue;
      a.ints(prefix + "_treeids").push_back(t);
      a.ints(prefix + "_nodeids").push_back(n);
      a.ints(prefix + "_ids").push_back(output_of(t));
      a.floats(prefix + "_weights").push_back(static_cast<float>(scale * normal(rng)));
    }
  }
}

/// A one-node ONNX-ML model op_type(x [1, features]) with `outputs` ((name, type, shape)).
model ml_model(const char* op_type, attribute_map a, std::int64_t features,
               std::vector<zkml::value_info> outputs) {
  model m;
  node n;
  n.op_type = op_type;
  n.domain = "ai.onnx.ml";
  n.opset = 3;
  n.name = "model";
  n.inputs = {"x"};
  for (const auto& o : outputs) n.outputs.push_back(o.name);
  for (auto& [name, attr] : a.all) n.attributes.push_back(std::move(attr));
  m.nodes.push_back(std::move(n));
  m.opsets[""] = 13;
  m.opsets["ai.onnx.ml"] = 3;
  m.inputs = {{"x", zkml::element_type::float32, {1, features}}};
  m.outputs = std::move(outputs);
  return m;
}

/// A gradient-boosted classifier as XGBoost and scikit-learn export it: 100 full trees of depth 6
/// (63 BRANCH_LEQ nodes, 64 leaves each) over 20 features, tree t adding to class t mod 3, base
/// values, SOFTMAX; outputs the label and the probabilities.
model trees() {
  constexpr std::int64_t features = 20, classes = 3;
  attribute_map a;
  full_trees(a, features, 100, 6, "class", [](std::int64_t t) { return t % classes; }, 0.1);
  a.ints("classlabels_int64s") = {0, 1, 2};
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (std::int64_t k = 0; k < classes; ++k) a.floats("base_values").push_back(static_cast<float>(0.1 * normal(rng)));
  a.get("post_transform", attribute::kind::string).s = "SOFTMAX";
  return ml_model("TreeEnsembleClassifier", std::move(a), features,
                  {{"label", zkml::element_type::int64, {1}}, {"probabilities", zkml::element_type::float32, {1, classes}}});
}

/// A binary gradient-boosted classifier as XGBoost exports it: 100 full trees of depth 6 over 20
/// features, every leaf weighing class 0 (the positive score), base value 0, LOGISTIC.
model xgboost_binary() {
  constexpr std::int64_t features = 20;
  attribute_map a;
  full_trees(a, features, 100, 6, "class", [](std::int64_t) { return 0; }, 0.1);
  a.ints("classlabels_int64s") = {0, 1};
  a.floats("base_values") = {0.0};
  a.get("post_transform", attribute::kind::string).s = "LOGISTIC";
  return ml_model("TreeEnsembleClassifier", std::move(a), features,
                  {{"label", zkml::element_type::int64, {1}}, {"probabilities", zkml::element_type::float32, {1, 2}}});
}

/// A random forest regressor as scikit-learn exports it: 100 full trees of depth 6 over 20 features,
/// one target, aggregate AVERAGE.
model forest_regressor() {
  constexpr std::int64_t features = 20;
  attribute_map a;
  full_trees(a, features, 100, 6, "target", [](std::int64_t) { return 0; }, 1.0);
  a.get("n_targets", attribute::kind::int_).i = 1;
  a.get("aggregate_function", attribute::kind::string).s = "AVERAGE";
  return ml_model("TreeEnsembleRegressor", std::move(a), features, {{"y", zkml::element_type::float32, {1, 1}}});
}

/// A binary logistic regression as scikit-learn exports it: one coefficient row over 30 features,
/// an intercept, labels {0, 1}, LOGISTIC.
model logistic_regression() {
  constexpr std::int64_t features = 30;
  std::mt19937_64 rng(20261207);
  std::normal_distribution<double> normal(0.0, 1.0);
  attribute_map a;
  for (std::int64_t j = 0; j < features; ++j) a.floats("coefficients").push_back(static_cast<float>(0.5 * normal(rng)));
  a.floats("intercepts") = {-0.25};
  a.ints("classlabels_ints") = {0, 1};
  a.get("post_transform", attribute::kind::string).s = "LOGISTIC";
  return ml_model("LinearClassifier", std::move(a), features,
                  {{"label", zkml::element_type::int64, {1}}, {"probabilities", zkml::element_type::float32, {1, 2}}});
}

/// A random input in [0, 1) of `shape` for the model input "x".
zkml::tensor_map random_input(const shape_t& shape) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> x(static_cast<std::size_t>(zkml::num_elements(shape)));
  for (auto& v : x) v = static_cast<float>(u(rng));
  return {{"x", tensor::floats(shape, std::move(x))}};
}

/// The bytes a built model is named by (its model hash): its name.
std::span<const std::uint8_t> name_bytes(const std::string& name) {
  return {reinterpret_cast<const std::uint8_t*>(name.data()), name.size()};
}

/// A proof of `make()` on a random input (the circuit compiled while preparing, as a service
/// compiles each model once). Extras: the proof's size, the multiply-adds, the prover's estimated
/// peak memory, the time of the first proof (with the compilation).
workload prove_workload(std::string name, std::string description, model (*make)(), shape_t input_shape,
                        std::string profile = "fast") {
  return {name, "proofs/s", std::move(description), [name, make, input_shape, profile] {
            auto m = std::make_shared<model>(make());
            auto inputs = std::make_shared<zkml::tensor_map>(random_input(input_shape));
            auto options = std::make_shared<zkml::prove_model_options>();
            options->profile = profile;
            const auto start = std::chrono::steady_clock::now();
            auto first = zkml::prove_model(name_bytes(name), *m, *inputs, *options);
            CIRO_CHECK(first.has_value());
            const double compile_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            const double bytes = static_cast<double>(first.value().bytes.size());
            const double macs = static_cast<double>(first.value().multiply_adds);
            const double memory = static_cast<double>(first.value().estimated_memory);
            return [name, m, inputs, options, compile_s, bytes, macs, memory] {
              auto p = zkml::prove_model(name_bytes(name), *m, *inputs, *options);
              CIRO_CHECK(p.has_value() && p.value().circuit_cached);
              return run_output{1.0, {{"proof_bytes", bytes},
                                      {"multiply_adds", macs},
                                      {"estimated_memory_bytes", memory},
                                      {"first_proof_with_compile_s", compile_s}}};
            };
          }};
}

/// Verification of the MLP's proof, without the model (the proof's statement and fixed root).
workload verify_mlp() {
  return {"zkml.verify.mlp", "verifications/s", "verify a proof of the 784-128-64-10 MLP", [] {
            const std::string name = "zkml.prove.mlp";
            const model m = mlp();
            auto p = zkml::prove_model(name_bytes(name), m, random_input({1, 784}));
            CIRO_CHECK(p.has_value());
            auto bytes = std::make_shared<std::vector<std::uint8_t>>(p.value().bytes);
            return [bytes] {
              CIRO_CHECK(zkml::verify_model(*bytes).has_value());
              return run_output{1.0, {{"proof_bytes", static_cast<double>(bytes->size())}}};
            };
          }};
}

struct prepared {
  model m;
  zkml::tensor_map inputs;
  zkml::calibration cal;
};

/// The integer inference of `make()` on an input in [0, 1) (calibrated on it), witness only; the
/// time with error bounds is reported beside it.
workload infer_workload(std::string name, std::string description, model (*make)(), shape_t input_shape) {
  return {std::move(name), "inferences/s", std::move(description), [make, input_shape] {
            auto p = std::make_shared<prepared>();
            p->m = make();
            std::mt19937_64 rng(7);
            std::uniform_real_distribution<double> u(0.0, 1.0);
            std::vector<double> x(static_cast<std::size_t>(zkml::num_elements(input_shape)));
            for (auto& v : x) v = static_cast<float>(u(rng));
            p->inputs["x"] = tensor::floats(input_shape, std::move(x));
            p->cal = zkml::calibrate(p->m, {p->inputs}).value();
            zkml::quantization_config with_bounds;
            const auto start = std::chrono::steady_clock::now();
            CIRO_CHECK(zkml::run_integer(p->m, p->inputs, p->cal, with_bounds).has_value());
            const double bounds_ms =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
            return [p, bounds_ms] {
              zkml::quantization_config witness_only;
              witness_only.error_bounds = false;
              CIRO_CHECK(zkml::run_integer(p->m, p->inputs, p->cal, witness_only).has_value());
              return run_output{1.0, {{"with_error_bounds_ms", bounds_ms}}};
            };
          }};
}

}  // namespace

std::vector<workload> zkml_workloads() {
  return {
      infer_workload("zkml.infer.mlp", "integer inference of a 784-128-64-10 MLP (109k multiply-adds), witness only",
                     mlp, {1, 784}),
      infer_workload("zkml.infer.cnn", "integer inference of a 3-conv CNN on 28x28 (2.3M multiply-adds), witness only",
                     cnn, {1, 1, 28, 28}),
      prove_workload("zkml.prove.mlp", "prove the inference of a 784-128-64-10 MLP (109k multiply-adds)", mlp,
                     {1, 784}),
      verify_mlp(),
      prove_workload("zkml.prove.cnn", "prove the inference of a LeNet-5-class CNN (416k multiply-adds)", lenet,
                     {1, 1, 28, 28}),
      prove_workload("zkml.prove.trees",
                     "prove a tree ensemble classifier: 100 trees of depth 6 over 20 features, 3 classes, SOFTMAX",
                     trees, {1, 20}),
      prove_workload("zkml.prove.xgboost",
                     "prove a binary gradient-boosted classifier: 100 trees of depth 6 over 20 features, LOGISTIC",
                     xgboost_binary, {1, 20}),
      prove_workload("zkml.prove.forest",
                     "prove a random forest regressor: 100 trees of depth 6 over 20 features, AVERAGE", forest_regressor,
                     {1, 20}),
      prove_workload("zkml.prove.logreg", "prove a binary logistic regression over 30 features", logistic_regression,
                     {1, 30}),
      prove_workload("zkml.prove.cnn2m", "prove the inference of the 3-conv CNN of zkml.infer.cnn (2.3M multiply-adds)",
                     cnn, {1, 1, 28, 28}),
      prove_workload("zkml.prove.cnn10m", "prove the inference of a 3-conv CNN on 3x32x32 (9.3M multiply-adds)", cnn10m,
                     {1, 3, 32, 32}),
      prove_workload("zkml.prove.cnn10m.secure",
                     "prove the inference of the CNN of zkml.prove.cnn10m with the secure profile (128 bits)", cnn10m,
                     {1, 3, 32, 32}, "secure"),
  };
}

}  // namespace ciro::bench
