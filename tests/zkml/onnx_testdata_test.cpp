// Runs ONNX's own backend tests (Debian libonnx-testdata: node/, pytorch-converted/,
// pytorch-operator/, simple/) through the float reference: every test whose ops are all supported
// must pass, floating outputs within 1e-5 relative + 1e-6 absolute, integer outputs exactly, and at
// least as many must run as docs/onnx_coverage.md records (so that a test cannot start to skip
// unnoticed). Prints a summary per suite; docs/onnx_coverage.md (scripts/onnx_coverage.sh) gives
// every op's counts and the reason for every skip.

#include <gtest/gtest.h>

#include <cstdlib>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>

#include "tests/zkml/onnx_testdata.hpp"

namespace {

namespace fs = std::filesystem;
using namespace ciro::zkml::testdata;

/// The tests of each suite that run on the float reference, as docs/onnx_coverage.md records them
/// (Debian's libonnx-testdata 1.12.0): fewer is a regression. Raise them when more ops are supported.
const std::map<std::string_view, int> expected_runs{
    {"node", 305}, {"pytorch-converted", 2}, {"pytorch-operator", 0}, {"simple", 1}};

/// The same for the integer inference.
const std::map<std::string_view, int> expected_integer_runs{
    {"node", 294}, {"pytorch-converted", 2}, {"pytorch-operator", 0}, {"simple", 1}};

class OnnxBackendSuite : public ::testing::TestWithParam<std::string_view> {};

/// Grades every test of the suite with `inference`: a failure fails the test, and fewer tests run
/// than `expected` is a regression. Prints the suite's summary and the skip reasons by count.
void grade_suite(std::string_view suite, const inference_under_test& inference,
                 const std::map<std::string_view, int>& expected) {
  const fs::path root(CIRO_ONNX_TESTDATA_DIR);
  const fs::path dir = root / suite;
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no ONNX test data at " << dir << " (apt-get install libonnx-testdata)";
  int exist = 0, ran = 0, passed = 0, skipped = 0;
  double max_error = 0, seconds = 0, slowest = 0;
  std::string slowest_test;
  std::map<std::string, int> reasons;
  for (const test_case& t : find_tests(root)) {
    if (t.suite != suite) continue;
    const test_record r = grade(t, inference);
    ++exist;
    seconds += r.seconds;
    if (r.seconds > slowest) slowest = r.seconds, slowest_test = r.test;
    if (r.result == status::skip) {
      ++skipped;
      ++reasons[r.reason];
      continue;
    }
    ++ran;
    if (r.result == status::pass) {
      ++passed;
      max_error = std::max(max_error, r.max_abs_error);
    } else {
      ADD_FAILURE() << suite << "/" << r.test << ": " << r.reason;
    }
  }
  std::cout << inference.name << ", " << suite << ": " << exist << " tests, " << ran << " run, " << passed << " pass, "
            << ran - passed << " fail, " << skipped << " skipped\n"
            << "  bound " << inference.bound.describe() << ", largest |error| of the passing tests " << max_error
            << "; inference " << seconds << " s";
  if (!slowest_test.empty()) std::cout << ", slowest " << slowest_test << " (" << slowest << " s)";
  std::cout << "\n";
  if (std::getenv("CIRO_PRINT_SKIPS")) {
    for (const auto& [why, count] : reasons) std::cout << "  skip x" << count << ": " << why << "\n";
  }
  EXPECT_GE(ran, expected.at(suite)) << "fewer " << suite
                                     << " tests run than docs/onnx_coverage.md records: see its skip reasons";
}

TEST_P(OnnxBackendSuite, EveryRunnableTestMatchesTheFloatReference) {
  grade_suite(GetParam(), float_reference(), expected_runs);
}

TEST_P(OnnxBackendSuite, EveryRunnableTestMatchesTheIntegerInferenceWithinItsStatedBound) {
  grade_suite(GetParam(), integer_inference(), expected_integer_runs);
}

INSTANTIATE_TEST_SUITE_P(Suites, OnnxBackendSuite, ::testing::ValuesIn(suites),
                         [](const ::testing::TestParamInfo<std::string_view>& info) {
                           std::string name;
                           for (const char c : info.param) {
                             if (c != '-') name += c;
                           }
                           return name;
                         });

}  // namespace
