// Runs ONNX's own node tests (Debian libonnx-testdata: <data>/node/test_*/model.onnx with
// test_data_set_*/input_*.pb and output_*.pb) through the float reference, for every test whose
// ops are all supported, and prints per op how many exist, ran, passed, and why the rest were
// skipped. Float outputs must match within 1e-5 relative (plus 1e-6 absolute, for values near 0);
// integer outputs exactly.

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cctype>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "zkml/model.hpp"
#include "zkml/reference.hpp"

namespace {

namespace fs = std::filesystem;
using namespace ciro::zkml;

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

struct op_counts {
  int exist = 0, ran = 0, passed = 0;
  std::vector<std::string> skipped;  // "test: reason"
  std::vector<std::string> failed;   // "test: what differs"
};

/// "" when every output matches, else what differs.
std::string compare(const tensor& got, const tensor& want) {
  if (got.shape != want.shape) return "shape " + shape_string(got.shape) + " != " + shape_string(want.shape);
  if (got.is_integer() != want.is_integer()) return "element type differs";
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double g = got.value(i), w = want.value(i);
    const bool ok = want.is_integer() ? got.ints[i] == want.ints[i] : std::abs(g - w) <= 1e-5 * std::abs(w) + 1e-6;
    if (!ok) return "element " + std::to_string(i) + ": " + std::to_string(g) + " != " + std::to_string(w);
  }
  return "";
}

TEST(OnnxNodeTests, EverySupportedOperatorsTestsMatchTheFloatReference) {
  const fs::path root = fs::path(CIRO_ONNX_TESTDATA_DIR) / "node";
  if (!fs::is_directory(root)) GTEST_SKIP() << "no ONNX test data at " << root << " (apt-get install libonnx-testdata)";
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory() && fs::exists(e.path() / "model.onnx")) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  std::map<std::string, op_counts> per_op;  // supported ops only (tests using others are not counted)
  int total_ran = 0, total_passed = 0;
  for (const fs::path& dir : dirs) {
    const std::string test = dir.filename().string();
    const std::string bytes = read_file(dir / "model.onnx");
    // The test's op: a supported op of the graph whose name the test is named after (test_maxpool_*,
    // test_batchnorm_*), else the graph's first supported op; tests without one are not ours.
    onnx::ModelProto proto;
    if (!proto.ParseFromString(bytes)) continue;
    std::set<std::string> unsupported;
    std::string op, named;
    for (const auto& n : proto.graph().node()) {
      if (n.op_type() == "Constant" && (n.domain().empty() || n.domain() == "ai.onnx")) continue;
      const std::string domain = n.domain() == "ai.onnx" ? "" : n.domain();
      if (!reference_supports(domain, n.op_type())) {
        unsupported.insert(n.op_type());
        continue;
      }
      if (op.empty()) op = n.op_type();
      std::string lower;
      for (char ch : n.op_type()) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (lower == "batchnormalization") lower = "batchnorm";
      if (test.rfind("test_" + lower, 0) == 0 || test.rfind("test_basic_" + lower, 0) == 0) named = n.op_type();
    }
    if (!named.empty()) op = named;
    if (op.empty()) continue;
    op_counts& c = per_op[op];
    ++c.exist;
    if (!unsupported.empty()) {
      std::string list;
      for (const auto& u : unsupported) list += (list.empty() ? "" : ", ") + u;
      c.skipped.push_back(test + ": also uses " + list);
      continue;
    }
    auto m = parse_model(bytes);
    if (!m) {
      c.skipped.push_back(test + ": refused at load: " + m.error().message);
      continue;
    }
    bool ran = false, ok = true;
    std::string why;
    for (int set = 0; fs::is_directory(dir / ("test_data_set_" + std::to_string(set))); ++set) {
      const fs::path data = dir / ("test_data_set_" + std::to_string(set));
      tensor_map inputs;
      bool bad = false;
      for (std::size_t i = 0; i < m.value().inputs.size(); ++i) {
        auto t = parse_tensor(read_file(data / ("input_" + std::to_string(i) + ".pb")));
        if (!t) {
          why = "input " + std::to_string(i) + ": " + t.error().message;
          bad = true;
          break;
        }
        inputs[m.value().inputs[i].name] = std::move(t).value();
      }
      if (bad) break;
      auto y = run_reference(m.value(), inputs);
      if (!y) {
        if (y.error().code == run_error_code::unsupported_attribute ||
            y.error().code == run_error_code::unsupported_type) {
          why = "refused: " + y.error().message;
          bad = true;
          break;
        }
        ran = true;
        ok = false;
        why = y.error().message;
        break;
      }
      ran = true;
      for (std::size_t i = 0; i < m.value().outputs.size() && ok; ++i) {
        auto want = parse_tensor(read_file(data / ("output_" + std::to_string(i) + ".pb")));
        if (!want) {
          ok = false;
          why = "output " + std::to_string(i) + ": " + want.error().message;
          break;
        }
        const std::string diff = compare(y.value().at(m.value().outputs[i].name), want.value());
        if (!diff.empty()) {
          ok = false;
          why = "output '" + m.value().outputs[i].name + "' " + diff;
        }
      }
      if (!ok) break;
    }
    if (!ran) {
      c.skipped.push_back(test + ": " + why);
      continue;
    }
    ++c.ran, ++total_ran;
    if (ok) {
      ++c.passed, ++total_passed;
    } else {
      c.failed.push_back(test + ": " + why);
    }
  }
  std::cout << "ONNX node tests of the supported operators (float reference, 1e-5 relative + 1e-6 absolute):\n";
  for (const auto& [op, c] : per_op) {
    std::cout << "  " << op << ": " << c.exist << " tests, " << c.ran << " ran, " << c.passed << " passed\n";
    for (const auto& s : c.skipped) std::cout << "    skipped " << s << "\n";
    for (const auto& f : c.failed) std::cout << "    FAILED " << f << "\n";
    for (const auto& f : c.failed) ADD_FAILURE() << f;
  }
  std::cout << "  total: " << total_ran << " ran, " << total_passed << " passed\n";
  EXPECT_GT(total_ran, 0);
  EXPECT_EQ(total_ran, total_passed);
}

}  // namespace
