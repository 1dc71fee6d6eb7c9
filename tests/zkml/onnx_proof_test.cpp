// ONNX's own backend tests (Debian libonnx-testdata, node/) proven: every test whose ops the
// lowering takes is proven with zkml::prove_model and verified with zkml::verify_model (against its
// model and input, which rechecks the parity certificate); the verified outputs must match the
// test's expected outputs within the bound the quantization states. Label slow: one proof per data
// set.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/zkml/onnx_testdata.hpp"
#include "zkml/lowering.hpp"
#include "zkml/model_proof.hpp"

namespace {

namespace fs = std::filesystem;
using namespace ciro::zkml;
using namespace ciro::zkml::testdata;

/// Tests of node/ proven and verified (Debian's libonnx-testdata 1.12.0): fewer is a regression.
constexpr int expected_proven = 165;

/// A stand-in for the model file's bytes (the loader does not keep them), which name the model in its
/// proof and key the circuit cache: the graph written out in full.
std::string describe(const model& m) {
  std::ostringstream s;
  s.precision(17);
  for (const auto& v : m.inputs) s << "in " << v.name << " " << static_cast<int>(v.type) << " " << shape_string(v.shape) << "\n";
  for (const auto& v : m.outputs) s << "out " << v.name << "\n";
  for (const auto& [name, t] : m.initializers) {
    s << "init " << name << " " << shape_string(t.shape);
    for (double x : t.data) s << " " << x;
    for (auto x : t.ints) s << " " << x;
    s << "\n";
  }
  for (const auto& n : m.nodes) {
    s << "node " << n.domain << " " << n.op_type << " " << n.opset;
    for (const auto& i : n.inputs) s << " i:" << i;
    for (const auto& o : n.outputs) s << " o:" << o;
    for (const auto& a : n.attributes) {
      s << " a:" << a.name << "=" << a.i << "," << a.f << "," << a.s;
      for (auto x : a.ints) s << "," << x;
      for (auto x : a.floats) s << "," << x;
    }
    s << "\n";
  }
  return s.str();
}

/// Proves and verifies; the outputs are the verified statement's, dequantized, each element held to
/// the certificate's bound.
inference_under_test proven_inference() {
  inference_under_test t;
  t.name = "proof";
  t.supports = [](std::string_view domain, std::string_view op) {
    const auto& ops = lowered_operators();
    return domain.empty() && std::find(ops.begin(), ops.end(), op) != ops.end();
  };
  t.run = [](const model& m, const tensor_map& inputs) -> ciro::result<inference_output, refusal> {
    const std::string name = describe(m);
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(name.data()), name.size());
    auto p = prove_model(bytes, m, inputs);
    if (!p) return ciro::error<refusal>{refusal::unsupported, p.error().message};
    auto v = verify_model(p.value().bytes, bytes, &m, &inputs);
    if (!v) return ciro::error<refusal>{refusal::failed, "verification: " + v.error().message};
    if (!v.value().parity_checked) return ciro::error<refusal>{refusal::failed, "the certificate was not checked"};
    inference_output out;
    for (const auto& o : v.value().statement.outputs) {
      out.outputs[o.name] = o.dequantized();
      for (const auto& declared : m.outputs)  // at the declared floating type
        if (declared.name == o.name && !is_integer_type(declared.type)) out.outputs[o.name].type = declared.type;
      out.bounds[o.name] = std::vector<double>(o.q.size(), v.value().statement.parity.bound);
    }
    return out;
  };
  t.bound = {1e-5, 1e-6};
  return t;
}

TEST(OnnxBackendProofs, EveryTestOfALoweredOpIsProvenAndVerified) {
  const fs::path root(CIRO_ONNX_TESTDATA_DIR);
  if (!fs::is_directory(root / "node")) GTEST_SKIP() << "no ONNX test data at " << root << " (libonnx-testdata)";
  const inference_under_test inference = proven_inference();
  int ran = 0, passed = 0;
  std::map<std::string, int> per_op, reasons;
  for (const test_case& t : find_tests(root)) {
    if (t.suite != "node") continue;
    const test_record r = grade(t, inference);
    if (r.result == status::skip) {
      ++reasons[r.reason];
      continue;
    }
    ++ran;
    if (r.result == status::pass) {
      ++passed;
      for (const auto& op : r.ops) ++per_op[op];
    } else {
      ADD_FAILURE() << r.test << ": " << r.reason;
    }
  }
  std::cout << "proven: " << ran << " node tests run, " << passed << " proven and verified\n";
  for (const auto& [op, n] : per_op) std::cout << "  " << op << ": " << n << "\n";
  if (std::getenv("CIRO_PRINT_SKIPS")) {
    for (const auto& [why, count] : reasons) std::cout << "  skip x" << count << ": " << why << "\n";
  }
  EXPECT_GE(passed, expected_proven);
}

}  // namespace
