// Parity with ONNX Runtime: the models of tests/zkml/models (an MLP, a LeNet-class CNN, a
// MobileNet-style block, a transformer-style block, a tree ensemble, a linear classifier; written by
// scripts/make_models.py) run on their 8 committed input sets through Ciro's float64 reference and
// are compared with ONNX Runtime's outputs on the same inputs. Those are written into the build
// folder by the ctest fixture ort_reference_outputs (node tests/ort/run_ort.mjs, onnxruntime-node
// 1.30.0 on the CPU with graph optimizations disabled); without them every case skips and says why.
//
// ONNX Runtime computes in float32, the reference in float64, so the bound is 1e-5 absolute plus
// 1e-4 relative; the arg-max of the class scores must agree on every input set and integer labels
// must be equal.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "tests/zkml/ort_parity.hpp"
#include "zkml/integer_inference.hpp"
#include "zkml/model.hpp"
#include "zkml/reference.hpp"

namespace {

namespace fs = std::filesystem;
using namespace ciro::zkml;
using namespace ciro::zkml::test::ort;

constexpr tolerance float_reference_tolerance{1e-4, 1e-5};

struct model_case {
  std::string name;
  std::set<std::string> class_scores;  ///< outputs whose arg-max over the last axis is the class
};

void PrintTo(const model_case& c, std::ostream* os) { *os << c.name; }

const std::vector<model_case>& model_cases() {
  static const std::vector<model_case> cases = {
      {"mlp", {"logits"}},
      {"lenet", {"logits"}},
      {"mobilenet_block", {"logits"}},
      {"transformer_block", {"logits"}},
      {"tree_ensemble", {"probabilities"}},
      {"linear_classifier", {"probabilities"}},
  };
  return cases;
}

std::map<std::string, element_type> types_of(const std::vector<value_info>& values) {
  std::map<std::string, element_type> types;
  for (const value_info& v : values) types[v.name] = v.type;
  return types;
}

class OrtParity : public ::testing::TestWithParam<model_case> {};

TEST_P(OrtParity, FloatReferenceAgreesWithOnnxRuntime) {
  const model_case& c = GetParam();
  const fs::path ort_path = fs::path(CIRO_ORT_OUTPUTS_DIR) / (c.name + ".json");
  if (!fs::exists(ort_path)) {
    GTEST_SKIP() << "no ONNX Runtime outputs at " << ort_path << ": "
                 << (CIRO_ORT_FIXTURE ? "the ctest fixture ort_reference_outputs writes them (run through ctest) "
                                        "when onnxruntime-node is installed in tests/ort/node_modules "
                                        "(scripts/setup.sh installs it with npm)"
                                      : "node was not found when the build was configured, so the ctest fixture "
                                        "ort_reference_outputs that writes them is not registered");
  }
  const fs::path models(CIRO_ZKML_MODELS_DIR);
  auto m = load_model((models / (c.name + ".onnx")).string());
  ASSERT_TRUE(m) << m.error().message;
  auto inputs = read_tensor_sets((models / (c.name + ".inputs.json")).string(), "inputs", types_of(m.value().inputs));
  ASSERT_TRUE(inputs) << inputs.error().message;
  auto ort = read_tensor_sets(ort_path.string(), "runs", types_of(m.value().outputs));
  ASSERT_TRUE(ort) << ort.error().message;
  ASSERT_EQ(inputs.value().sets.size(), ort.value().sets.size()) << "stale ONNX Runtime outputs at " << ort_path;
  ASSERT_FALSE(inputs.value().sets.empty());

  std::vector<tensor_map> reference;
  for (std::size_t i = 0; i < inputs.value().sets.size(); ++i) {
    auto y = run_reference(m.value(), inputs.value().sets[i]);
    ASSERT_TRUE(y) << c.name << ", input set " << i << ": " << y.error().message;
    reference.push_back(std::move(y).value());
  }
  const auto errors = compare_with_ort(c.name + ": float reference", reference, ort.value().sets, c.class_scores,
                                       float_reference_tolerance, ort.value().runtime);
  expect_parity(c.name, errors);
}

/// The integer inference, calibrated on all the model's input sets, against ONNX Runtime: every
/// arg-max agrees, integer outputs (labels) are exact, and every float element lies within the bound
/// the scheme states for it (docs/zkml.md) plus the float reference's own distance to ONNX Runtime
/// (float_reference_tolerance).
TEST_P(OrtParity, IntegerInferenceAgreesWithOnnxRuntimeWithinItsBound) {
  const model_case& c = GetParam();
  const fs::path ort_path = fs::path(CIRO_ORT_OUTPUTS_DIR) / (c.name + ".json");
  if (!fs::exists(ort_path)) GTEST_SKIP() << "no ONNX Runtime outputs at " << ort_path << " (see the test above)";
  const fs::path models(CIRO_ZKML_MODELS_DIR);
  auto m = load_model((models / (c.name + ".onnx")).string());
  ASSERT_TRUE(m) << m.error().message;
  auto inputs = read_tensor_sets((models / (c.name + ".inputs.json")).string(), "inputs", types_of(m.value().inputs));
  ASSERT_TRUE(inputs) << inputs.error().message;
  auto ort = read_tensor_sets(ort_path.string(), "runs", types_of(m.value().outputs));
  ASSERT_TRUE(ort) << ort.error().message;
  ASSERT_EQ(inputs.value().sets.size(), ort.value().sets.size()) << "stale ONNX Runtime outputs at " << ort_path;
  auto cal = calibrate(m.value(), inputs.value().sets);
  ASSERT_TRUE(cal) << cal.error().message;

  std::vector<tensor_map> integer;
  double widest = 0;
  for (std::size_t i = 0; i < inputs.value().sets.size(); ++i) {
    auto y = run_integer(m.value(), inputs.value().sets[i], cal.value());
    ASSERT_TRUE(y) << c.name << ", input set " << i << ": " << y.error().message;
    tensor_map outs;
    for (const auto& [name, v] : y.value()) {
      outs[name] = v.dequantized();
      if (!v.is_fixed()) continue;
      const tensor& want = ort.value().sets[i].at(name);
      for (std::size_t k = 0; k < want.size(); ++k) {
        const double allowed =
            v.error[k] + float_reference_tolerance.abs + float_reference_tolerance.rel * std::abs(want.data[k]);
        EXPECT_LE(std::abs(outs[name].data[k] - want.data[k]), allowed)
            << c.name << ", input set " << i << ", output '" << name << "' at " << k;
      }
      widest = std::max(widest, v.max_error());
    }
    integer.push_back(std::move(outs));
  }
  std::cout << c.name << ": widest stated bound " << widest << "\n";
  // The table and the arg-max and label checks; the bound column is against the widest bound.
  const tolerance shown{float_reference_tolerance.rel, widest + float_reference_tolerance.abs};
  const auto errors = compare_with_ort(c.name + ": integer inference", integer, ort.value().sets, c.class_scores, shown,
                                       ort.value().runtime);
  expect_parity(c.name, errors);
}

INSTANTIATE_TEST_SUITE_P(ort, OrtParity, ::testing::ValuesIn(model_cases()),
                         [](const ::testing::TestParamInfo<model_case>& info) { return info.param.name; });

}  // namespace
