#pragma once

// ONNX's backend tests (Debian libonnx-testdata, <data>/<suite>/<test>/model.onnx with
// test_data_set_<k>/input_<i>.pb and output_<i>.pb) graded against an inference: the walker finds
// the tests, decides which an inference can run (every node's op supported), runs them data set by
// data set and compares the outputs, floats within a tolerance and integers exactly. It is shared by
// the ctest (tests/zkml/onnx_testdata_test.cpp) and the coverage report (onnx_coverage, which writes
// docs/onnx_coverage.md), and grades any inference given as a function (the float reference today).

#include <array>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "zkml/model.hpp"
#include "zkml/reference.hpp"

namespace ciro::zkml::testdata {

/// The graded suites of the test data, in report order.
inline constexpr std::array<std::string_view, 4> suites{"node", "pytorch-converted", "pytorch-operator", "simple"};

/// One test directory: <root>/<suite>/<name>, its data sets test_data_set_<k> in increasing k.
struct test_case {
  std::string suite;
  std::string name;
  std::filesystem::path dir;
  std::vector<std::filesystem::path> data_sets;
};

/// Every directory of the graded suites under `root` (suite order, then by name), whether or not it
/// holds a model. Suites that are absent contribute nothing.
[[nodiscard]] std::vector<test_case> find_tests(const std::filesystem::path& root);

/// The directories of `suite_dir` that hold no model.onnx but a data.json (a download stub: the URL
/// of a model archive the package does not ship), by name. Used to explain why real/ is not graded.
[[nodiscard]] std::vector<std::string> download_stubs(const std::filesystem::path& suite_dir);

/// How an inference under test refuses a run: `unsupported` when it does not implement something the
/// test uses (an attribute value, an element type, non-finite inputs): the test is skipped with the
/// message; `failed` for anything else: the test fails.
enum class refusal { unsupported, failed };

/// What an inference gives: the outputs by name and, for floating outputs it states them for, an
/// error bound per element that the comparison adds to the tolerance.
struct inference_output {
  tensor_map outputs;
  std::map<std::string, std::vector<double>> bounds;
};

/// An inference: the model's outputs for the given inputs, or a one-line refusal.
using inference_fn = std::function<result<inference_output, refusal>(const model&, const tensor_map&)>;

/// Whether an inference implements op `op_type` of `domain` ("" for the default domain).
using support_fn = std::function<bool(std::string_view domain, std::string_view op_type)>;

/// The error bound for floating outputs: |got - want| <= absolute + relative * |want|, where NaN
/// matches only NaN and an infinity only itself. Integer (and BOOL) outputs must be exact.
struct tolerance {
  double relative = 0;
  double absolute = 0;

  [[nodiscard]] bool accepts(double got, double want) const;
  /// "1e-05 relative + 1e-06 absolute".
  [[nodiscard]] std::string describe() const;
};

/// An inference under test: its name (for reports), the ops it runs, the run itself and the error
/// bound its floating outputs are held to. Constant nodes of the default domain count as supported
/// whatever `supports` says: the loader folds them into initializers.
struct inference_under_test {
  std::string name;
  support_fn supports;
  inference_fn run;
  tolerance bound;
};

/// The float64 reference (run_reference), held to 1e-5 relative + 1e-6 absolute. Its refusals for
/// unsupported ops, attributes and element types, and inputs holding NaN or an infinity (it takes
/// finite inputs only), are `unsupported`; every other refusal is `failed`.
[[nodiscard]] inference_under_test float_reference();

/// The integer inference (run_integer, 16-bit activations) calibrated on each data set's own inputs,
/// its outputs dequantized: floating outputs are held to the bound it states per element (docs/zkml.md)
/// plus the float reference's tolerance, integer and quantized outputs must be exact. Refusals for
/// unsupported ops, attributes and element types, non-finite inputs and values outside the scheme's
/// ranges are `unsupported`; every other refusal is `failed`.
[[nodiscard]] inference_under_test integer_inference();

enum class status { pass, fail, skip };

/// "pass", "fail", "skip".
[[nodiscard]] const char* status_name(status s);

/// The grade of one test. `ops`: the distinct ops of the model's graph in order of first use,
/// "Op" for the default domain, "domain.Op" for others (empty when the model cannot be parsed).
/// `reason`: one line for a skip or a failure, without node names (so that equal causes read
/// equal), empty for a pass. `max_abs_error`: the largest |got - want| over the floating outputs of
/// every data set run (0 without floating outputs). `seconds`: the wall time spent in the inference.
struct test_record {
  std::string suite;
  std::string test;
  std::vector<std::string> ops;
  status result = status::skip;
  std::string reason;
  double max_abs_error = 0;
  double seconds = 0;
};

/// Grades one test: skipped (with the reason) when it has no model, the model cannot be parsed, one
/// of its ops is not supported, it has no data set, an input cannot be read (an element type Ciro
/// does not read), the model is refused at load (inputs of symbolic shape are given the shapes of
/// the data set's inputs), or the inference refuses as `unsupported`; failed when the inference
/// refuses as `failed`, an output is missing or differs (shape, element type, a value beyond the
/// bound); passed when every data set's outputs match.
[[nodiscard]] test_record grade(const test_case& t, const inference_under_test& inference);

/// grade() of every test find_tests(root) finds, in its order.
[[nodiscard]] std::vector<test_record> grade_all(const std::filesystem::path& root,
                                                 const inference_under_test& inference);

}  // namespace ciro::zkml::testdata
