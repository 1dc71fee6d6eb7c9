// onnx_coverage: grades ONNX's backend tests (Debian libonnx-testdata) against the float reference
// and writes the coverage table in Markdown (docs/onnx_coverage.md; scripts/onnx_coverage.sh runs
// it): per suite and per op, how many tests exist, run and pass, and the reason for every skip.
//
//   onnx_coverage [--data DIR] [--out FILE] [--date TEXT] [--commit TEXT] [--machine TEXT]
//                 [--package TEXT]
//
// Exit status: 0 when every test that runs passes, 1 when one fails (the table is written either
// way), 2 for usage errors and an absent data folder.

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/zkml/onnx_testdata.hpp"

namespace {

namespace fs = std::filesystem;
using namespace ciro::zkml::testdata;

/// The ops of the op list (section 2 of "Models in"), by their key in test_record::ops.
const std::set<std::string> in_scope = [] {
  std::set<std::string> ops;
  std::istringstream list(
      "Gemm MatMul Conv BatchNormalization Add Sub Mul Div Sum Max Min Neg ReduceMean ReduceSum GlobalAveragePool "
      "AveragePool Pad Relu LeakyRelu PRelu Clip Sigmoid HardSigmoid HardSwish Tanh Exp Erf Gelu Softmax LogSoftmax "
      "Sqrt Pow MaxPool ArgMax Reshape Flatten Transpose Squeeze Unsqueeze Concat Slice Gather Identity Dropout Cast "
      "Shape Constant QuantizeLinear DequantizeLinear QLinearMatMul QLinearConv MatMulInteger ConvInteger "
      "ai.onnx.ml.LinearClassifier ai.onnx.ml.LinearRegressor ai.onnx.ml.TreeEnsembleClassifier "
      "ai.onnx.ml.TreeEnsembleRegressor ai.onnx.ml.Normalizer ai.onnx.ml.Scaler");
  for (std::string op; list >> op;) ops.insert(op);
  return ops;
}();

/// Notes for in-scope ops the test data does not test.
const std::map<std::string, std::string> notes = {
    {"Gelu",
     "Gelu is an opset-20 op: newer than this test data (ONNX 1.12, opsets up to 17) and outside the "
     "opsets 9 to 17 Ciro reads, so the reference does not implement it"},
};

bool is_in_scope(const std::string& op) { return in_scope.count(op) != 0; }

/// s lower-cased without underscores.
std::string squash(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c != '_' && c != '-') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

/// The names a test may call an op by (besides the op's own name).
std::vector<std::string> aliases(const std::string& op) {
  if (op == "BatchNormalization") return {"batchnorm"};
  if (op == "AveragePool") return {"avgpool"};
  if (op == "ReduceMean") return {"reducedmean"};
  if (op == "ReduceSum") return {"reducedsum"};
  return {};
}

/// The ops a test is attributed to: the op of `ops` that the test's name (without test_ and
/// operator_, ignoring case and underscores) starts with, the longest one if several do; for an
/// "_expanded" test (an op's function body), those of its unexpanded twin; when the name names
/// none of its ops, every op of the graph but Constant (Constant alone when that is all there is).
std::vector<std::string> subjects(const test_record& r, const std::map<std::string, const test_record*>& by_name) {
  const std::string suffix = "_expanded";
  if (r.test.size() > suffix.size() && r.test.compare(r.test.size() - suffix.size(), suffix.size(), suffix) == 0) {
    const auto twin = by_name.find(r.suite + "/" + r.test.substr(0, r.test.size() - suffix.size()));
    if (twin != by_name.end()) return subjects(*twin->second, by_name);
  }
  std::string name = r.test;
  for (const std::string prefix : {"test_", "operator_"}) {
    if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  }
  name = squash(name);
  std::string best;
  std::size_t best_length = 0;
  for (const std::string& op : r.ops) {
    const std::string bare = op.substr(op.rfind('.') == std::string::npos ? 0 : op.rfind('.') + 1);
    std::vector<std::string> names = aliases(bare);
    names.push_back(squash(bare));
    for (const std::string& n : names) {
      if (name.rfind(n, 0) == 0 && n.size() > best_length) best = op, best_length = n.size();
    }
  }
  if (!best.empty()) return {best};
  std::vector<std::string> all;
  for (const std::string& op : r.ops) {
    if (op != "Constant") all.push_back(op);
  }
  if (all.empty() && !r.ops.empty()) all.push_back(r.ops.front());
  return all;
}

struct counts {
  int exist = 0, run = 0, pass = 0, fail = 0, skip = 0;
  double seconds = 0;

  void add(const test_record& r) {
    ++exist;
    seconds += r.seconds;
    if (r.result == status::skip) {
      ++skip;
      return;
    }
    ++run;
    if (r.result == status::pass) {
      ++pass;
    } else {
      ++fail;
    }
  }
};

struct op_row {
  counts own;                                                      // tests attributed to the op
  counts others;                                                   // other tests whose graph uses it
  std::map<std::string, std::vector<const test_record*>> reasons;  // skip and fail reasons of its own tests
};

/// s with '|' escaped, for a Markdown table cell.
std::string cell(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", s);
  return buf;
}

std::string display(const std::string& op) {
  const auto dot = op.rfind('.');
  if (dot == std::string::npos) return op;
  return op.substr(dot + 1) + " (" + op.substr(0, dot) + ")";
}

/// "reason (n)" for every reason of the row, most frequent first, joined by "; ".
std::string reason_summary(const op_row& row, bool with_names) {
  std::vector<std::pair<std::string, std::vector<const test_record*>>> list(row.reasons.begin(), row.reasons.end());
  std::stable_sort(list.begin(), list.end(),
                   [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  std::string out;
  for (const auto& [reason, tests] : list) {
    out += out.empty() ? "" : "; ";
    out += (tests.front()->result == status::fail ? "**FAIL** " : "") + reason + " (" + std::to_string(tests.size());
    if (with_names) {
      out += ": ";
      for (std::size_t i = 0; i < tests.size(); ++i)
        out += (i ? ", " : "") + std::string("`") + tests[i]->suite + "/" + tests[i]->test + "`";
    }
    out += ")";
  }
  return out;
}

int usage() {
  std::cerr << "usage: onnx_coverage [--data DIR] [--out FILE] [--date TEXT] [--commit TEXT] [--machine TEXT] "
               "[--package TEXT]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> opt{{"--data", CIRO_ONNX_TESTDATA_DIR},
                                         {"--out", "-"},
                                         {"--date", "?"},
                                         {"--commit", "?"},
                                         {"--machine", "?"},
                                         {"--package", "?"}};
  for (int i = 1; i < argc; i += 2) {
    if (!opt.count(argv[i]) || i + 1 >= argc) return usage();
    opt[argv[i]] = argv[i + 1];
  }
  const fs::path root(opt["--data"]);
  if (!fs::is_directory(root)) {
    std::cerr << "onnx_coverage: no ONNX test data at " << root << " (apt-get install libonnx-testdata)\n";
    return 2;
  }
  const inference_under_test inference = float_reference();
  const std::vector<test_record> records = grade_all(root, inference);

  std::map<std::string, const test_record*> by_name;
  for (const auto& r : records) by_name[r.suite + "/" + r.test] = &r;
  std::map<std::string, counts> per_suite;
  std::map<std::string, op_row> per_op;
  for (const std::string& op : in_scope) per_op[op];
  counts scope_total;
  std::map<std::string, std::set<std::string>> scope_reasons;  // reason -> in-scope ops of its tests
  std::map<std::string, int> scope_reason_tests;
  const test_record* slowest = records.empty() ? nullptr : &records.front();
  for (const auto& r : records) {
    if (r.seconds > slowest->seconds) slowest = &r;
    per_suite[r.suite].add(r);
    const auto subject = subjects(r, by_name);
    bool scoped = false;
    for (const std::string& op : subject) {
      op_row& row = per_op[op];
      row.own.add(r);
      if (r.result != status::pass) row.reasons[r.reason].push_back(&r);
      scoped = scoped || is_in_scope(op);
    }
    if (scoped) scope_total.add(r);
    if (scoped && r.result != status::pass) {
      ++scope_reason_tests[r.reason];
      for (const std::string& op : subject) {
        if (is_in_scope(op)) scope_reasons[r.reason].insert(display(op));
      }
    }
    for (const std::string& op : r.ops) {
      if (std::find(subject.begin(), subject.end(), op) == subject.end()) per_op[op].others.add(r);
    }
  }
  int failures = 0;
  for (const auto& [suite, c] : per_suite) failures += c.fail;

  std::ostringstream md;
  md << "# ONNX backend test coverage\n\n"
     << "ONNX's own backend tests, from Debian's libonnx-testdata (" << opt["--package"] << ", `" << root.string()
     << "`), graded against Ciro's " << inference.name << ". Generated " << opt["--date"] << " at commit "
     << opt["--commit"] << " on " << opt["--machine"] << " by `scripts/onnx_coverage.sh` (run it to regenerate this "
     << "file; the ctest `onnx_testdata_test` runs the same grading and fails on any failing test).\n\n"
     << "- A test **runs** when every op of its graph is supported by the reference (Constant nodes are folded at "
        "load); it is **skipped** otherwise, or when its model or data cannot be read or the reference refuses an "
        "attribute value or element type, with the reason given below.\n"
     << "- A test **passes** when the outputs of each of its data sets match: floating outputs within "
     << inference.bound.describe() << " (|got - want| <= " << inference.bound.absolute << " + "
     << inference.bound.relative << " |want|, NaN only for NaN, an infinity only for itself; the reference computes "
     << "in float64, most expected outputs were computed in float32), integer and quantized outputs exactly.\n"
     << "- Each test is counted for the op its name names (`test_conv_with_strides_padding` for Conv, an "
        "`_expanded` test for the op of its unexpanded twin); a test whose name names none of its ops counts for "
        "each op of its graph. \"Also in\" counts the other tests whose graph uses the op.\n"
     << "- **In scope**: the ops of the issue's op list (section 2 of \"Models in\").\n\n";

  md << "## Per suite\n\n| suite | tests | run | pass | fail | skipped | inference time (s) "
        "|\n|---|---|---|---|---|---|---|\n";
  counts all;
  for (const std::string_view s : suites) {
    const counts& c = per_suite[std::string(s)];
    md << "| " << s << " | " << c.exist << " | " << c.run << " | " << c.pass << " | " << c.fail << " | " << c.skip
       << " | " << seconds_text(c.seconds) << " |\n";
    all.exist += c.exist, all.run += c.run, all.pass += c.pass, all.fail += c.fail, all.skip += c.skip;
    all.seconds += c.seconds;
  }
  md << "| **all** | " << all.exist << " | " << all.run << " | " << all.pass << " | " << all.fail << " | " << all.skip
     << " | " << seconds_text(all.seconds) << " |\n\n";
  if (slowest) {
    md << "The inference takes " << seconds_text(all.seconds) << " s for all the tests that run (the slowest, `"
       << slowest->suite << "/" << slowest->test << "`, " << seconds_text(slowest->seconds)
       << " s), so no test is bounded or left out for time.\n\n";
  }

  // The integer inference on the same tests: per suite, and why tests the reference passes do not run.
  const inference_under_test integer = integer_inference();
  const std::vector<test_record> integer_records = grade_all(root, integer);
  std::map<std::string, counts> integer_suite;
  std::map<std::string, int> integer_gaps;  // reason -> tests the reference passes
  for (const auto& r : integer_records) {
    integer_suite[r.suite].add(r);
    const test_record* ref = by_name.at(r.suite + "/" + r.test);
    if (ref->result == status::pass && r.result != status::pass) ++integer_gaps[r.reason];
    failures += r.result == status::fail;
  }
  md << "## The integer inference\n\n"
     << "The same tests run through the integer inference (`run_integer`, 16-bit activations, calibrated on each "
        "data set's own inputs; `docs/zkml.md`), its outputs dequantized: a floating output passes when every "
        "element lies within the error bound the integer inference states for it plus "
     << integer.bound.describe() << ", integer and quantized outputs only when exact.\n\n"
     << "| suite | tests | run | pass | fail | skipped |\n|---|---|---|---|---|---|\n";
  for (const std::string_view sv : suites) {
    const counts& c = integer_suite[std::string(sv)];
    md << "| " << sv << " | " << c.exist << " | " << c.run << " | " << c.pass << " | " << c.fail << " | " << c.skip
       << " |\n";
  }
  md << "\nTests the float reference passes that the integer inference does not run, by reason:\n\n"
     << "| reason | tests |\n|---|---|\n";
  for (const auto& [reason, n] : integer_gaps) md << "| " << cell(reason) << " | " << n << " |\n";
  md << "\n";

  const auto stubs = download_stubs(root / "real");
  md << "`real/` is not graded: ";
  if (stubs.empty()) {
    md << "it is absent or holds no download stubs.\n\n";
  } else {
    md << "its " << stubs.size() << " directories (";
    for (std::size_t i = 0; i < stubs.size(); ++i) md << (i ? ", " : "") << "`" << stubs[i] << "`";
    md << ") hold only a `data.json` each: the URL of a model archive to download (with the tolerance to grade it "
          "at), no model and no data; the package ships none of them.\n\n";
  }

  md << "## In-scope tests that do not pass, by reason\n\n"
     << "Tests of in-scope ops: " << scope_total.exist << ", of which " << scope_total.run << " run and "
     << scope_total.pass << " pass. The others, by reason (each op's tests are listed under \"In-scope ops\"):\n\n"
     << "| reason | tests | ops |\n|---|---|---|\n";
  std::vector<std::pair<int, std::string>> by_count;
  for (const auto& [reason, n] : scope_reason_tests) by_count.emplace_back(-n, reason);
  std::sort(by_count.begin(), by_count.end());
  for (const auto& [n, reason] : by_count) {
    std::string ops;
    for (const std::string& op : scope_reasons[reason]) ops += (ops.empty() ? "" : ", ") + op;
    md << "| " << cell(reason) << " | " << -n << " | " << ops << " |\n";
  }
  md << "\n";
  auto any_reason = [&](const std::string& part) {
    return std::any_of(scope_reason_tests.begin(), scope_reason_tests.end(),
                       [&](const auto& e) { return e.first.find(part) != std::string::npos; });
  };
  if (any_reason("(Ciro reads opsets")) {
    md << "- **Opsets below 9.** The loader reads the default domain's opsets " << ciro::zkml::min_opset << " to "
       << ciro::zkml::max_opset << " (the issue's range). pytorch-converted and pytorch-operator were exported at "
       << "opset 6, and some node tests were generated at opsets 1 to 8 and never regenerated. "
       << "Several ops changed meaning since (Add-6 and Mul-6 broadcast only with a `broadcast` attribute, PRelu-6 "
       << "broadcasts its slope by another rule, BatchNormalization-6 has training attributes), so such models are "
       << "refused rather than read as opset 9.\n";
  }
  if (any_reason("element type")) {
    md << "- **Element types.** FLOAT16, BFLOAT16, STRING, UINT32 and UINT64 are not among the element types Ciro "
       << "reads (`zkml/tensor.hpp`: FLOAT, DOUBLE, INT8/16/32/64, UINT8/16, BOOL); a model or tensor of such a "
       << "type is refused at load.\n";
  }
  if (any_reason("only tensor types")) {
    md << "- **Non-tensor values.** Inputs of optional or sequence type are refused at load: Ciro's graphs carry "
       << "tensors only.\n";
  }
  if (any_reason("(random)")) {
    md << "- **Dropout in training mode.** With a ratio above 0 the output is random (the expected outputs come "
       << "from numpy's generator); the reference runs training mode only with ratio 0, where it is the "
       << "identity.\n";
  }
  if (any_reason("unsupported op")) {
    md << "- **Other ops.** The test's graph also uses an op outside the issue's list that the reference does not "
       << "implement.\n";
  }
  md << "\n";

  auto table = [&](bool scoped) {
    md << "| op | tests | run | pass | fail | skipped | reasons for not passing (count) | also in (run / pass) |\n"
       << "|---|---|---|---|---|---|---|---|\n";
    for (const auto& [op, row] : per_op) {
      if (is_in_scope(op) != scoped) continue;
      std::string reasons = reason_summary(row, scoped);
      if (row.own.exist == 0) {
        const auto note = notes.find(op);
        reasons = note != notes.end() ? note->second : "no test in this test data";
      }
      md << "| " << display(op) << " | " << row.own.exist << " | " << row.own.run << " | " << row.own.pass << " | "
         << row.own.fail << " | " << row.own.skip << " | " << cell(reasons) << " | " << row.others.exist << " ("
         << row.others.run << " / " << row.others.pass << ") |\n";
    }
    md << "\n";
  };
  md << "## In-scope ops\n\n";
  table(true);
  md << "## Other ops\n\n";
  table(false);

  if (failures > 0) {
    md << "## Failing tests\n\n";
    for (const auto& r : records) {
      if (r.result == status::fail) md << "- `" << r.suite << "/" << r.test << "`: " << r.reason << "\n";
    }
    md << "\n";
  }

  if (opt["--out"] == "-") {
    std::cout << md.str();
  } else {
    std::ofstream out(opt["--out"]);
    out << md.str();
    if (!out) {
      std::cerr << "onnx_coverage: cannot write " << opt["--out"] << "\n";
      return 2;
    }
  }
  std::cerr << "onnx_coverage: " << all.exist << " tests, " << all.run << " run, " << all.pass << " pass, " << all.fail
            << " fail, " << all.skip << " skipped\n";
  return failures > 0 ? 1 : 0;
}
