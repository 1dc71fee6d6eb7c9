// Proofs of model inference: the generated models of tests/zkml/models proven and verified end to
// end, and every kind of tampering rejected (an output, the statement, a byte of the proof, the
// model, the input).

#include "zkml/model_proof.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <iterator>
#include <random>
#include <sstream>

#include "field/extension.hpp"
#include "stark/proof.hpp"
#include "tests/support/seed.hpp"
#include "tests/zkml/ort_parity.hpp"
#include "zkml/integer_inference.hpp"
#include "zkml/model.hpp"
#include "zkml/reference.hpp"

namespace ciro::zkml {
namespace {

std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

struct loaded {
  std::vector<std::uint8_t> bytes;
  model m;
  std::vector<tensor_map> inputs;
};

const loaded& load(const std::string& name) {
  static std::map<std::string, loaded> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  loaded l;
  const std::string base = std::string(CIRO_ZKML_MODELS_DIR) + "/" + name;
  l.bytes = read_bytes(base + ".onnx");
  auto m = parse_model(std::string_view(reinterpret_cast<const char*>(l.bytes.data()), l.bytes.size()));
  EXPECT_TRUE(m) << m.error().message;
  l.m = m.value();
  std::map<std::string, element_type> types;
  for (const auto& v : l.m.inputs) types[v.name] = v.type;
  auto sets = test::ort::read_tensor_sets(base + ".inputs.json", "inputs", types);
  EXPECT_TRUE(sets) << sets.error().message;
  l.inputs = sets.value().sets;
  return cache.emplace(name, std::move(l)).first->second;
}

/// One proof of the MLP on its first input, shared by the tampering tests.
const prove_model_result& mlp_proof() {
  static const prove_model_result r = [] {
    const loaded& l = load("mlp");
    auto p = prove_model(l.bytes, l.m, l.inputs.at(0));
    EXPECT_TRUE(p) << p.error().message;
    return p.value();
  }();
  return r;
}

class ModelProof : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelProof, ProvesVerifiesAndMatchesTheIntegerInference) {
  const loaded& l = load(GetParam());
  // Calibrated on all the model's test inputs, so both proofs share one quantization and one circuit.
  prove_model_options options;
  options.calibration = l.inputs;
  for (std::size_t i = 0; i < 2; ++i) {
    auto p = prove_model(l.bytes, l.m, l.inputs.at(i), options);
    ASSERT_TRUE(p) << GetParam() << ": " << p.error().message;
    EXPECT_EQ(p.value().circuit_cached, i > 0) << "the second input reuses the compiled circuit";
    EXPECT_GE(p.value().security_bits, 100u);
    // The proven outputs are the integer inference's, and the certificate holds.
    calibration cal;
    cal.fracs = p.value().file.statement.fracs;
    quantization_config config;
    config.inputs_are_constants = false;
    auto run = run_integer(l.m, l.inputs.at(i), cal, config);
    ASSERT_TRUE(run) << run.error().message;
    for (const auto& o : p.value().file.statement.outputs) EXPECT_EQ(o.q, run.value().at(o.name).t.ints) << o.name;
    const auto& parity = p.value().file.statement.parity;
    EXPECT_LE(parity.max_abs_error, parity.bound);
    // Verified alone, and against the model and the input (which recomputes the certificate).
    auto alone = verify_model(p.value().bytes);
    ASSERT_TRUE(alone) << alone.error().message;
    EXPECT_FALSE(alone.value().model_checked);
    auto full = verify_model(p.value().bytes, l.bytes, &l.m, &l.inputs.at(i));
    ASSERT_TRUE(full) << full.error().message;
    EXPECT_TRUE(full.value().model_checked && full.value().input_checked && full.value().parity_checked);
    // Every output, a classifier's label included, is bound: another value is rejected.
    for (std::size_t o = 0; o < p.value().file.statement.outputs.size(); ++o) {
      model_proof_file f = p.value().file;
      f.statement.outputs[o].q[0] += 1;
      EXPECT_FALSE(verify_model(encode(f))) << f.statement.outputs[o].name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ModelProof, ::testing::Values("mlp", "lenet", "mobilenet_block", "transformer_block",
                                                                  "tree_ensemble", "linear_classifier"));

TEST(ModelProofTamper, AnAlteredOutputIsRejected) {
  const auto& r = mlp_proof();
  model_proof_file f = r.file;
  f.statement.outputs[0].q[3] += 1;
  auto v = verify_model(encode(f));
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, model_proof_error_code::invalid) << v.error().message;
}

TEST(ModelProofTamper, AnAlteredOutputWithItsDigestIsRejected) {
  // The attacker also rewrites the io table's public values to the new statement's digest: the
  // transcript changes and the io bus no longer balances.
  const auto& r = mlp_proof();
  model_proof_file f = r.file;
  f.statement.outputs[0].q[3] += 1;
  auto p = stark::decode<field::babybear4>(f.stark_proof);
  ASSERT_TRUE(p);
  const hash::digest d = statement_digest(f.statement);
  p.value().stmt.tables[0].public_values.assign(d.begin(), d.end());
  f.stark_proof = stark::encode(p.value());
  auto v = verify_model(encode(f));
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, model_proof_error_code::invalid) << v.error().message;
}

TEST(ModelProofTamper, AlteredStatementFieldsAreRejected) {
  const auto& r = mlp_proof();
  {
    model_proof_file f = r.file;
    f.statement.inputs[0].q[100] += 1;  // the input (its commitment no longer matches)
    EXPECT_FALSE(verify_model(encode(f)));
  }
  {
    model_proof_file f = r.file;
    f.statement.inputs[0].q[100] += 1;
    f.statement.input_commitment = input_commitment(f.statement.inputs);
    EXPECT_FALSE(verify_model(encode(f)));
  }
  {
    model_proof_file f = r.file;
    f.statement.parity.max_abs_error = 0;  // the certificate is part of the statement
    EXPECT_FALSE(verify_model(encode(f)));
  }
  {
    model_proof_file f = r.file;
    f.statement.fixed_root[0] = f.statement.fixed_root[0] + field::babybear::one();  // another circuit
    EXPECT_FALSE(verify_model(encode(f)));
  }
  {
    model_proof_file f = r.file;
    f.statement.circuit[3] = f.statement.circuit[3] + field::babybear::one();
    EXPECT_FALSE(verify_model(encode(f)));
  }
  {
    // A frac beyond the quantization's range is refused when the statement is read, before any
    // integer inference could shift by it.
    model_proof_file f = r.file;
    f.statement.fracs.begin()->second = 100;
    auto v = verify_model(encode(f));
    ASSERT_FALSE(v);
    EXPECT_NE(v.error().message.find("a frac outside [-24, 24]"), std::string::npos) << v.error().message;
  }
  {
    // A version 1 file (its statement has no circuit digest) is refused as such.
    std::vector<std::uint8_t> b = r.bytes;
    b[8] = 1;
    auto v = verify_model(b);
    ASSERT_FALSE(v);
    EXPECT_NE(v.error().message.find("unsupported model proof version 1"), std::string::npos) << v.error().message;
  }
}

TEST(ModelProofTamper, TablesInAnotherOrderThanTheStatedCircuitAreRejected) {
  // The same fixed columns read as other tables (their names or order changed) keep the fixed
  // root; the circuit digest tells them apart, and a verifier without the model checks it.
  const auto& r = mlp_proof();
  auto p = stark::decode<field::babybear4>(r.file.stark_proof);
  ASSERT_TRUE(p);
  ASSERT_GE(p.value().stmt.tables.size(), 3u);
  std::swap(p.value().stmt.tables[1], p.value().stmt.tables[2]);
  model_proof_file f = r.file;
  f.stark_proof = stark::encode(p.value());
  auto v = verify_model(encode(f));
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("the proof's tables are not the stated circuit's"), std::string::npos)
      << v.error().message;
}

TEST(ModelProofTamper, EveryAlteredByteIsRejected) {
  const auto& r = mlp_proof();
  const std::uint64_t seed = ciro::test::seed();
  std::mt19937_64 rng(seed);
  const std::size_t n = r.bytes.size();
  for (int i = 0; i < 64; ++i) {
    std::vector<std::uint8_t> b = r.bytes;
    const std::size_t at = i < 8 ? static_cast<std::size_t>(i) : rng() % n;
    b[at] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    EXPECT_FALSE(verify_model(b)) << "byte " << at << " of " << n << " (seed " << seed << ")";
  }
  std::vector<std::uint8_t> truncated(r.bytes.begin(), r.bytes.end() - 1);
  EXPECT_FALSE(verify_model(truncated));
}

TEST(ModelProofTamper, AnotherModelOrInputIsRejected) {
  const auto& r = mlp_proof();
  const loaded& mlp = load("mlp");
  // A different weight: one byte of the model file changed.
  std::vector<std::uint8_t> other = mlp.bytes;
  other[other.size() / 2] ^= 0x01;
  auto m = parse_model(std::string_view(reinterpret_cast<const char*>(other.data()), other.size()));
  ASSERT_TRUE(m);
  auto v = verify_model(r.bytes, other, &m.value(), nullptr);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, model_proof_error_code::model_mismatch) << v.error().message;
  auto w = verify_model(r.bytes, mlp.bytes, &mlp.m, &mlp.inputs.at(1));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, model_proof_error_code::input_mismatch) << w.error().message;
  const loaded& lenet = load("lenet");
  auto x = verify_model(r.bytes, lenet.bytes, &lenet.m, nullptr);
  ASSERT_FALSE(x);
  EXPECT_EQ(x.error().code, model_proof_error_code::model_mismatch);
}

/// A one-node model y = op(x[, w]) over float inputs, `w` a constant initializer when given.
struct one_op {
  std::string op;
  shape_t x_shape;
  std::optional<tensor> w;
  std::vector<attribute> attributes;
  bool two_inputs = false;  ///< a second graph input "z" of x's shape instead of w
  bool positive_z = false;  ///< z drawn from [0.25, 4) (a divisor)
};

attribute int_attribute(const std::string& name, std::int64_t v) {
  attribute a;
  a.name = name;
  a.type = attribute::kind::int_;
  a.i = v;
  return a;
}

attribute string_attribute(const std::string& name, const std::string& v) {
  attribute a;
  a.name = name;
  a.type = attribute::kind::string;
  a.s = v;
  return a;
}

attribute ints_attribute(const std::string& name, std::vector<std::int64_t> v) {
  attribute a;
  a.name = name;
  a.type = attribute::kind::ints;
  a.ints = std::move(v);
  return a;
}

model one_op_model(const one_op& o, const shape_t& y_shape) {
  model m;
  m.opsets[""] = 14;
  m.inputs = {{"x", element_type::float32, o.x_shape}};
  node n;
  n.op_type = o.op;
  n.opset = 14;
  n.inputs = {"x"};
  if (o.two_inputs) {
    m.inputs.push_back({"z", element_type::float32, o.x_shape});
    n.inputs.push_back("z");
  }
  if (o.w) {
    m.initializers["w"] = *o.w;
    n.inputs.push_back("w");
  }
  n.outputs = {"y"};
  n.name = "the_" + o.op;
  n.attributes = o.attributes;
  m.nodes = {n};
  m.outputs = {{"y", element_type::float32, y_shape}};
  return m;
}

TEST(ModelProof, EveryLoweredOpIsProvenOnRandomInputs) {
  ciro::test::seeded_rng rng;
  std::normal_distribution<double> normal(0.0, 1.0);
  const auto random = [&](const shape_t& shape) {
    std::vector<double> v(static_cast<std::size_t>(num_elements(shape)));
    for (auto& x : v) x = static_cast<float>(normal(rng.engine()));
    return tensor::floats(shape, std::move(v));
  };
  const std::vector<one_op> ops = {
      {"Relu", {2, 8}, std::nullopt, {}},
      {"PRelu", {2, 8}, random({8}), {}},
      {"PRelu", {1, 3, 4, 4}, tensor::floats({3, 1, 1}, {0.25, -0.5, 1.5}), {}},
      {"Sigmoid", {2, 8}, std::nullopt, {}},
      {"Tanh", {2, 8}, std::nullopt, {}},
      {"HardSwish", {2, 8}, std::nullopt, {}},
      {"Exp", {2, 8}, std::nullopt, {}},
      {"Add", {2, 8}, random({8}), {}},
      {"Sub", {2, 8}, std::nullopt, {}, true},
      {"Mul", {2, 8}, std::nullopt, {}, true},
      {"Mul", {2, 8}, random({2, 8}), {}},
      {"Div", {2, 8}, tensor::floats({1}, {3.0}), {}},
      {"Div", {2, 8}, std::nullopt, {}, true, true},
      {"Softmax", {3, 10}, std::nullopt, {}},
      {"ArgMax", {3, 6}, std::nullopt, {int_attribute("axis", 1)}},
      {"ArgMax", {4, 3}, std::nullopt, {int_attribute("axis", 0), int_attribute("keepdims", 0)}},
      {"Softmax", {2, 3, 4}, std::nullopt, {int_attribute("axis", 1)}},
      {"LogSoftmax", {3, 10}, std::nullopt, {}},
      {"LogSoftmax", {2, 3, 4}, std::nullopt, {int_attribute("axis", 1)}},
      {"Neg", {2, 8}, std::nullopt, {}},
      {"Max", {2, 8}, std::nullopt, {}, true},
      {"Min", {2, 8}, std::nullopt, {}, true},
      {"MatMul", {3, 16}, random({16, 5}), {}},
      {"Gemm", {3, 16}, random({16, 5}), {}},
      {"Conv", {1, 2, 6, 6}, random({3, 2, 3, 3}), {ints_attribute("pads", {1, 1, 1, 1})}},
      {"MaxPool", {1, 2, 6, 6}, std::nullopt, {ints_attribute("kernel_shape", {2, 2}), ints_attribute("strides", {2, 2})}},
      {"AveragePool", {1, 2, 6, 6}, std::nullopt, {ints_attribute("kernel_shape", {3, 3})}},
      {"GlobalAveragePool", {1, 3, 4, 4}, std::nullopt, {}},
      {"ReduceMean", {2, 3, 4}, std::nullopt, {ints_attribute("axes", {1})}},
      {"ReduceMax", {2, 3, 4}, std::nullopt, {ints_attribute("axes", {2})}},
      {"Transpose", {2, 3, 4}, std::nullopt, {ints_attribute("perm", {2, 0, 1})}},
      {"Flatten", {2, 3, 4}, std::nullopt, {}},
      {"Pad", {1, 2, 3, 3}, tensor::integers({8}, {0, 0, 1, 2, 0, 0, 1, 0}), {}},
      {"Pad", {2, 5}, tensor::integers({4}, {1, 2, 1, 0}), {string_attribute("mode", "reflect")}},
      {"Pad", {2, 5}, tensor::integers({4}, {0, 3, 0, 2}), {string_attribute("mode", "edge")}},
  };
  for (std::size_t index = 0; index < ops.size(); ++index) {
    const one_op& o = ops[index];
    SCOPED_TRACE(o.op + " " + shape_string(o.x_shape) + " (case " + std::to_string(index) + ")");
    // The output's shape from the float reference on a first input.
    tensor_map inputs{{"x", random(o.x_shape)}};
    if (o.two_inputs) inputs["z"] = random(o.x_shape);
    if (o.positive_z) {
      std::uniform_real_distribution<double> u(-2.0, 2.0);
      for (auto& v : inputs["z"].data) v = static_cast<float>(std::exp2(u(rng.engine())));
    }
    const model probe = one_op_model(o, {});
    auto ref = run_reference(probe, inputs);
    ASSERT_TRUE(ref) << ref.error().message;
    const model m = one_op_model(o, ref.value().at("y").shape);
    // The model's stand-in bytes key the circuit cache: one per case (two cases may share an op and shape).
    const std::string bytes_text = "case " + std::to_string(index) + " " + o.op;
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(bytes_text.data()), bytes_text.size());
    auto p = prove_model(bytes, m, inputs);
    ASSERT_TRUE(p) << p.error().message;
    auto v = verify_model(p.value().bytes, bytes, &m, &inputs);
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_TRUE(v.value().parity_checked);
    // The proven output is the integer inference's.
    quantization_config config;
    config.inputs_are_constants = false;
    calibration cal;
    cal.fracs = p.value().file.statement.fracs;
    auto run = run_integer(m, inputs, cal, config);
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ(p.value().file.statement.outputs.at(0).q, run.value().at("y").t.ints);
    // A different output value is rejected.
    model_proof_file f = p.value().file;
    f.statement.outputs[0].q[0] += 1;
    EXPECT_FALSE(verify_model(encode(f)));
  }
}

TEST(ModelProof, PadWithAConstantValueReadsItFromOneAddress) {
  one_op o{"Pad", {1, 2, 3, 3}, tensor::integers({8}, {0, 0, 1, 1, 0, 0, 1, 1}), {}};
  model m = one_op_model(o, {1, 2, 5, 5});
  m.initializers["v"] = tensor::floats({}, {-0.75});
  m.nodes[0].inputs.push_back("v");
  const std::string text = "PadWithValue";
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  std::vector<double> x(18);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.1 * static_cast<double>(i) - 0.8;
  const tensor_map inputs{{"x", tensor::floats({1, 2, 3, 3}, x)}};
  auto p = prove_model(bytes, m, inputs);
  ASSERT_TRUE(p) << p.error().message;
  auto v = verify_model(p.value().bytes, bytes, &m, &inputs);
  ASSERT_TRUE(v) << v.error().message;
  const tensor y = v.value().statement.outputs.at(0).dequantized();
  EXPECT_EQ(y.data[0], -0.75);                    // a padded corner
  EXPECT_NEAR(y.data[6], -0.8, 1e-3);             // x[0] at (1, 1)
  EXPECT_EQ(y.data[24], -0.75);                   // the last element of the first channel
}

TEST(ModelProof, PadWithAValueOfTheGraphReadsItsRescaledAddress) {
  one_op o{"Pad", {1, 2, 3, 3}, tensor::integers({8}, {0, 0, 1, 1, 0, 0, 1, 1}), {}};
  model m = one_op_model(o, {1, 2, 5, 5});
  m.inputs.push_back({"v", element_type::float32, {}});  // the pad value is an input of the graph
  m.nodes[0].inputs.push_back("v");
  const std::string text = "PadWithAnInputValue";
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  std::vector<double> x(18);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.1 * static_cast<double>(i) - 0.8;
  for (const double pad : {-0.75, 0.3125}) {
    SCOPED_TRACE(pad);
    const tensor_map inputs{{"x", tensor::floats({1, 2, 3, 3}, x)}, {"v", tensor::floats({}, {pad})}};
    auto p = prove_model(bytes, m, inputs);
    ASSERT_TRUE(p) << p.error().message;
    auto v = verify_model(p.value().bytes, bytes, &m, &inputs);
    ASSERT_TRUE(v) << v.error().message;
    const tensor y = v.value().statement.outputs.at(0).dequantized();
    EXPECT_NEAR(y.data[0], pad, 1e-3);   // a padded corner
    EXPECT_NEAR(y.data[24], pad, 1e-3);  // the last element of the first channel
    EXPECT_NEAR(y.data[6], -0.8, 1e-3);  // x[0] at (1, 1)
    // A different pad value in the statement is refused.
    model_proof_file f = p.value().file;
    f.statement.outputs[0].q[0] += 1;
    EXPECT_FALSE(verify_model(encode(f)));
  }
  // A value beyond X's range (calibrated on |x| < 1) cannot pad it: refused with its reason.
  const tensor_map beyond{{"x", tensor::floats({1, 2, 3, 3}, x)}, {"v", tensor::floats({}, {2.5})}};
  auto refused = prove_model(bytes, m, beyond);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("outside X's range"), std::string::npos) << refused.error().message;
}

TEST(ModelProof, UnprovenOpsAreRefusedWithTheirNode) {
  const one_op o{"Cast", {2, 4}, std::nullopt, {int_attribute("to", 1)}};
  const model m = one_op_model(o, {2, 4});
  const std::string text = "Cast";
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  const tensor x = tensor::floats({2, 4}, {0.5, -1, 2, 0.25, 1, 1, -0.5, 0});
  auto p = prove_model(bytes, m, {{"x", x}});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, model_proof_error_code::bad_input);
  EXPECT_NE(p.error().message.find("Cast"), std::string::npos) << p.error().message;
  EXPECT_NE(p.error().message.find("not proven yet"), std::string::npos) << p.error().message;
}

}  // namespace
}  // namespace ciro::zkml
