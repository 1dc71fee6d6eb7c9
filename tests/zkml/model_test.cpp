#include "zkml/model.hpp"

#include <gtest/gtest.h>

#include "tests/support/seed.hpp"
#include "tests/zkml/onnx_builder.hpp"
#include "zkml/reference.hpp"

namespace {

using namespace ciro::zkml;
using ciro::zkml::test::model_builder;

/// x[2,3] -> Relu -> r -> Add(r, b) -> y, with b an initializer; nodes listed consumer first.
model_builder two_node_model(std::int64_t opset = 13) {
  model_builder b(opset);
  b.input("x", {2, 3}).output("y").initializer("b", tensor::floats({3}, {1, 2, 3}));
  b.node("Add", {"r", "b"}, {"y"}, "add");
  b.node("Relu", {"x"}, {"r"}, "relu");
  return b;
}

TEST(Model, ParsesInputsOutputsInitializersAndOpsets) {
  auto m = parse_model(two_node_model().bytes());
  ASSERT_TRUE(m) << m.error().message;
  const model& md = m.value();
  ASSERT_EQ(md.inputs.size(), 1u);
  EXPECT_EQ(md.inputs[0].name, "x");
  EXPECT_EQ(md.inputs[0].shape, (shape_t{2, 3}));
  EXPECT_EQ(md.inputs[0].type, element_type::float32);
  ASSERT_EQ(md.outputs.size(), 1u);
  EXPECT_EQ(md.outputs[0].name, "y");
  EXPECT_EQ(md.opsets.at(""), 13);
  ASSERT_EQ(md.initializers.count("b"), 1u);
  EXPECT_EQ(md.initializers.at("b").data, (std::vector<double>{1, 2, 3}));
}

TEST(Model, OrdersNodesTopologically) {
  auto m = parse_model(two_node_model().bytes());
  ASSERT_TRUE(m) << m.error().message;
  ASSERT_EQ(m.value().nodes.size(), 2u);
  EXPECT_EQ(m.value().nodes[0].name, "relu");
  EXPECT_EQ(m.value().nodes[1].name, "add");
  EXPECT_EQ(m.value().nodes[1].opset, 13);
}

TEST(Model, ReadsEveryAttributeKind) {
  model_builder b;
  b.input("x", {1}).output("y");
  auto& n = b.node("Identity", {"x"}, {"y"});
  test::set_int(n, "i", -7);
  test::set_float(n, "f", 0.5f);
  test::set_ints(n, "is", {1, -2, 3});
  test::set_floats(n, "fs", {0.25f, -1.5f});
  test::set_string(n, "s", "SAME_UPPER");
  test::set_tensor(n, "t", tensor::integers({2}, {4, 5}, element_type::int32));
  auto m = parse_model(b.bytes());
  ASSERT_TRUE(m) << m.error().message;
  const node& nd = m.value().nodes.at(0);
  EXPECT_EQ(nd.name, "y");  // unnamed nodes are named after their first output
  EXPECT_EQ(nd.find("i")->i, -7);
  EXPECT_EQ(nd.find("f")->f, 0.5);
  EXPECT_EQ(nd.find("is")->ints, (std::vector<std::int64_t>{1, -2, 3}));
  EXPECT_EQ(nd.find("fs")->floats, (std::vector<double>{0.25, -1.5}));
  EXPECT_EQ(nd.find("s")->s, "SAME_UPPER");
  EXPECT_EQ(nd.find("t")->t.type, element_type::int32);
  EXPECT_EQ(nd.find("t")->t.ints, (std::vector<std::int64_t>{4, 5}));
  EXPECT_EQ(nd.find("missing"), nullptr);
}

TEST(Model, ReadsIntegerAndFloatTensorsFromRawAndTypedFields) {
  const std::vector<tensor> cases{
      tensor::integers({2, 2}, {-128, 127, 0, -1}, element_type::int8),
      tensor::integers({3}, {0, 255, 17}, element_type::uint8),
      tensor::integers({2}, {INT32_MIN, INT32_MAX}, element_type::int32),
      tensor::integers({2}, {INT64_MIN, INT64_MAX}, element_type::int64),
      tensor::floats({2}, {-0.125, 3.5}, element_type::float32),
      tensor::floats({}, {1e-300}, element_type::float64),
  };
  for (bool raw : {true, false}) {
    for (const tensor& t : cases) {
      auto back = parse_tensor(test::to_proto(t, "t", raw).SerializeAsString());
      ASSERT_TRUE(back) << back.error().message;
      EXPECT_EQ(back.value().type, t.type);
      EXPECT_EQ(back.value().shape, t.shape);
      EXPECT_EQ(back.value().ints, t.ints);
      EXPECT_EQ(back.value().data, t.data);
    }
  }
}

TEST(Model, FoldsConstantNodesIntoInitializers) {
  model_builder b;
  b.input("x", {2}).output("y");
  test::set_tensor(b.node("Constant", {}, {"c"}), "value", tensor::floats({2}, {3, 4}));
  test::set_floats(b.node("Constant", {}, {"cf"}), "value_floats", {1.5f});
  test::set_int(b.node("Constant", {}, {"ci"}), "value_int", 9);
  b.node("Add", {"x", "c"}, {"y"});
  auto m = parse_model(b.bytes());
  ASSERT_TRUE(m) << m.error().message;
  ASSERT_EQ(m.value().nodes.size(), 1u);
  EXPECT_EQ(m.value().initializers.at("c").data, (std::vector<double>{3, 4}));
  EXPECT_EQ(m.value().initializers.at("cf").shape, (shape_t{1}));
  EXPECT_EQ(m.value().initializers.at("ci").ints, (std::vector<std::int64_t>{9}));
  EXPECT_EQ(m.value().initializers.at("ci").shape, shape_t{});
  auto y = run_reference(m.value(), {{"x", tensor::floats({2}, {1, 2})}});
  ASSERT_TRUE(y) << y.error().message;
  EXPECT_EQ(y.value().at("y").data, (std::vector<double>{4, 6}));
}

void expect_refusal(std::string_view bytes, load_error_code code, const std::string& message,
                    const std::map<std::string, shape_t>& shapes = {}) {
  auto m = parse_model(bytes, shapes);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, code);
  EXPECT_EQ(m.error().message, message);
}

TEST(Model, RefusesTruncatedBytesAtEveryCutPoint) {
  model_builder b = two_node_model();
  b.initializer("w", tensor::floats({4, 4}, std::vector<double>(16, 0.5)));
  const std::string bytes = b.bytes();
  // The top-level fields are serialized in field order: ir_version (1), graph (7), opset_import (8).
  // A cut between them leaves a valid but incomplete ModelProto; a cut inside one fails to parse.
  onnx::ModelProto ir_only;
  ir_only.set_ir_version(8);
  const std::size_t after_ir = ir_only.SerializeAsString().size();
  onnx::ModelProto no_opset = b.proto();
  no_opset.clear_opset_import();
  const std::size_t after_graph = no_opset.SerializeAsString().size();
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut) + " of " + std::to_string(bytes.size()));
    const std::string_view prefix(bytes.data(), cut);
    if (cut == 0 || cut == after_ir) {
      expect_refusal(prefix, load_error_code::malformed, "malformed ONNX model: no graph");
    } else if (cut == after_graph) {
      expect_refusal(prefix, load_error_code::malformed,
                     "malformed ONNX model: no opset_import for the default domain");
    } else {
      expect_refusal(prefix, load_error_code::malformed, "malformed or truncated ONNX model (not a ModelProto)");
    }
  }
  EXPECT_TRUE(parse_model(bytes));
}

TEST(Model, RefusesGarbageBytes) {
  expect_refusal("this is not an ONNX model\n", load_error_code::malformed,
                 "malformed or truncated ONNX model (not a ModelProto)");
  ciro::test::seeded_rng rng;
  for (int trial = 0; trial < 200; ++trial) {
    std::string junk(1 + rng.below(300), '\0');
    for (char& c : junk) c = static_cast<char>(rng.below(256));
    auto m = parse_model(junk);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, load_error_code::malformed);
    EXPECT_EQ(m.error().message.find('\n'), std::string::npos);
  }
}

// Found by fuzz/model_fuzzer: the element count of huge dimensions overflowed int64 before it was
// compared with the bound; and a zero dimension must not let huge ones through to later products.
TEST(Model, RefusesTensorsWithTooManyElementsWithoutOverflow) {
  for (const shape_t& dims : {shape_t{std::int64_t{1} << 62, 4},
                              shape_t{std::int64_t{1} << 40, std::int64_t{1} << 40, 0}, shape_t{65536, 65537}}) {
    onnx::TensorProto p;
    p.set_name("t");
    p.set_data_type(onnx::TensorProto_DataType_FLOAT);
    for (auto d : dims) p.add_dims(d);
    auto t = parse_tensor(p.SerializeAsString());
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, load_error_code::malformed);
    EXPECT_EQ(t.error().message, "tensor 't': too many elements");
  }
  onnx::TensorProto empty;
  empty.set_data_type(onnx::TensorProto_DataType_FLOAT);
  for (auto d : {65536, 0, 65536}) empty.add_dims(d);
  auto t = parse_tensor(empty.SerializeAsString());
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t.value().shape, (shape_t{65536, 0, 65536}));
  EXPECT_EQ(t.value().size(), 0u);
}

TEST(Model, RefusesACycleNamingANodeOnIt) {
  model_builder b;
  b.input("x", {2}).output("y");
  b.node("Relu", {"x"}, {"a"}, "entry");
  b.node("Add", {"a", "c"}, {"b"}, "first");
  b.node("Relu", {"b"}, {"c"}, "second");
  b.node("Identity", {"c"}, {"y"}, "exit");
  expect_refusal(b.bytes(), load_error_code::cycle,
                 "node 'first' (Add, opset 13): the graph has a cycle through this node");
}

TEST(Model, RefusesANodeReadingAnUndefinedTensor) {
  model_builder b;
  b.input("x", {2}).output("y");
  b.node("Add", {"x", "ghost"}, {"y"}, "add");
  expect_refusal(b.bytes(), load_error_code::undefined_tensor,
                 "node 'add' (Add, opset 13): reads undefined tensor 'ghost'");
  model_builder c;
  c.input("x", {2}).output("z");
  c.node("Relu", {"x"}, {"y"}, "relu");
  expect_refusal(c.bytes(), load_error_code::undefined_tensor, "output 'z' is not defined");
}

TEST(Model, RefusesOpsetsOutsideNineToSeventeen) {
  expect_refusal(two_node_model(8).bytes(), load_error_code::unsupported_opset,
                 "node 'add' (Add, opset 8): unsupported opset (Ciro reads opsets 9 to 17 of the default domain)");
  expect_refusal(two_node_model(18).bytes(), load_error_code::unsupported_opset,
                 "node 'add' (Add, opset 18): unsupported opset (Ciro reads opsets 9 to 17 of the default domain)");
  EXPECT_TRUE(parse_model(two_node_model(9).bytes()));
  EXPECT_TRUE(parse_model(two_node_model(17).bytes()));
}

TEST(Model, RefusesADomainTheModelDoesNotImport) {
  model_builder b;
  b.input("x", {2}).output("y");
  b.node("Scaler", {"x"}, {"y"}, "scale").set_domain("ai.onnx.ml");
  expect_refusal(b.bytes(), load_error_code::unsupported_opset,
                 "node 'scale' (ai.onnx.ml.Scaler, opset 0): domain 'ai.onnx.ml' is not imported by the model");
}

TEST(Model, UnknownOperatorsLoadButTheReferenceRefusesThem) {
  model_builder b;
  b.input("x", {2}).output("y");
  b.node("Frobnicate", {"x"}, {"y"}, "frob");
  auto m = parse_model(b.bytes());
  ASSERT_TRUE(m) << m.error().message;
  auto y = run_reference(m.value(), {{"x", tensor::floats({2}, {1, 2})}});
  ASSERT_FALSE(y);
  EXPECT_EQ(y.error().code, run_error_code::unsupported_operator);
  EXPECT_EQ(y.error().message, "node 'frob' (Frobnicate, opset 13): unsupported operator");
}

TEST(Model, RefusesADynamicDimensionUnlessTheShapeIsGiven) {
  model_builder b;
  b.input("x", {-1, 3}).output("y");
  b.node("Relu", {"x"}, {"y"}, "relu");
  expect_refusal(b.bytes(), load_error_code::dynamic_shape, "input 'x': dimension 0 is 'N'; give the input's shape");
  auto m = parse_model(b.bytes(), {{"x", {5, 3}}});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m.value().inputs[0].shape, (shape_t{5, 3}));
  expect_refusal(b.bytes(), load_error_code::invalid_shape,
                 "input 'x': given shape [5, 4] contradicts the model's [-1, 3]", {{"x", {5, 4}}});
  expect_refusal(b.bytes(), load_error_code::invalid_shape,
                 "input 'x': given shape [5] does not have the model's rank 2", {{"x", {5}}});
}

TEST(Model, KeepsDynamicDimensionsAsMinusOneOnlyWhenAsked) {
  model_builder b;
  b.input("x", {-1, 3, 4}).output("y");
  b.graph().mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(2)->clear_dim_value();
  b.node("Relu", {"x"}, {"y"}, "relu");
  auto kept = parse_model(b.bytes(), {}, dynamic_inputs::keep);
  ASSERT_TRUE(kept) << kept.error().message;
  EXPECT_EQ(kept.value().inputs[0].shape, (shape_t{-1, 3, -1}));  // symbolic 'N' and unknown alike
  // The default stays strict; a given shape still wins, and is still checked.
  expect_refusal(b.bytes(), load_error_code::dynamic_shape, "input 'x': dimension 0 is 'N'; give the input's shape");
  auto given = parse_model(b.bytes(), {{"x", {2, 3, 4}}}, dynamic_inputs::keep);
  ASSERT_TRUE(given) << given.error().message;
  EXPECT_EQ(given.value().inputs[0].shape, (shape_t{2, 3, 4}));
  auto contradicted = parse_model(b.bytes(), {{"x", {2, 5, 4}}}, dynamic_inputs::keep);
  ASSERT_FALSE(contradicted);
  EXPECT_EQ(contradicted.error().code, load_error_code::invalid_shape);
  // Without any shape the rank is unknown: refused either way.
  b.graph().mutable_input(0)->mutable_type()->mutable_tensor_type()->clear_shape();
  auto shapeless = parse_model(b.bytes(), {}, dynamic_inputs::keep);
  ASSERT_FALSE(shapeless);
  EXPECT_EQ(shapeless.error().code, load_error_code::dynamic_shape);
  EXPECT_EQ(shapeless.error().message, "input 'x': no shape; the model must declare the input's rank");
  expect_refusal(b.bytes(), load_error_code::dynamic_shape, "input 'x': no shape; give the input's shape");
}

TEST(Model, RefusesExternalData) {
  model_builder b = two_node_model();
  auto* w = b.graph().add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto_DataType_FLOAT);
  w->add_dims(4);
  w->set_data_location(onnx::TensorProto_DataLocation_EXTERNAL);
  auto* e = w->add_external_data();
  e->set_key("location");
  e->set_value("weights.bin");
  expect_refusal(b.bytes(), load_error_code::external_data,
                 "initializer 'w': tensor data stored externally is not supported");
}

TEST(Model, RefusesTensorsWhoseDataDoesNotFitTheirShape) {
  model_builder b = two_node_model();
  onnx::TensorProto w = test::to_proto(tensor::floats({3}, {1, 2, 3}), "w", true);
  w.add_dims(2);  // shape [3, 2] with 3 values
  *b.graph().add_initializer() = w;
  expect_refusal(b.bytes(), load_error_code::invalid_shape,
                 "initializer 'w': raw_data holds 12 bytes for shape [3, 2] of FLOAT");
}

TEST(Model, RefusesUnsupportedElementTypes) {
  model_builder b = two_node_model();
  onnx::TensorProto w;
  w.set_name("h");
  w.set_data_type(onnx::TensorProto_DataType_FLOAT16);
  w.add_dims(1);
  w.set_raw_data(std::string(2, '\0'));
  *b.graph().add_initializer() = w;
  expect_refusal(b.bytes(), load_error_code::unsupported_type,
                 "initializer 'h': element type FLOAT16 is not supported");
}

TEST(Model, ReportsAMissingFile) {
  auto m = load_model("/nonexistent/model.onnx");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, load_error_code::io_error);
  EXPECT_EQ(m.error().message, "cannot open '/nonexistent/model.onnx'");
}

TEST(Model, ReferenceChecksItsInputs) {
  auto m = parse_model(two_node_model().bytes());
  ASSERT_TRUE(m);
  auto run = [&](const tensor_map& in) { return run_reference(m.value(), in); };
  EXPECT_EQ(run({}).error().message, "input 'x' is missing");
  EXPECT_EQ(run({{"x", tensor::floats({3, 2}, std::vector<double>(6))}}).error().message,
            "input 'x' has shape [3, 2], the model expects [2, 3]");
  EXPECT_EQ(run({{"x", tensor::integers({2, 3}, std::vector<std::int64_t>(6))}}).error().message,
            "input 'x' has element type INT64, the model expects FLOAT");
  EXPECT_EQ(run({{"x", tensor::floats({2, 3}, {0, 1, 2, NAN, 4, 5})}}).error().message,
            "input 'x' holds a NaN or infinite value at index 3");
  EXPECT_EQ(
      run({{"x", tensor::floats({2, 3}, std::vector<double>(6))}, {"q", tensor::floats({}, {1})}}).error().message,
      "'q' is not an input of the model");
  auto y = run({{"x", tensor::floats({2, 3}, {-1, 0, 1, 2, -3, 4})}});
  ASSERT_TRUE(y) << y.error().message;
  EXPECT_EQ(y.value().at("y").data, (std::vector<double>{1, 2, 4, 3, 2, 7}));
}

}  // namespace
