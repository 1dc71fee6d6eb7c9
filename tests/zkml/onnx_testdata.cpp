#include "tests/zkml/onnx_testdata.hpp"

#include "zkml/integer_inference.hpp"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "zkml/detail.hpp"

namespace ciro::zkml::testdata {

namespace fs = std::filesystem;

namespace {

/// The bytes of a file, or nullopt when it cannot be read (or is larger than protobuf parses).
std::optional<std::string> read_bytes(const fs::path& p) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  if (ec || size > static_cast<std::uintmax_t>(INT_MAX)) return std::nullopt;
  std::ifstream f(p, std::ios::binary);
  if (!f) return std::nullopt;
  std::ostringstream s;
  s << f.rdbuf();
  if (f.bad()) return std::nullopt;
  return s.str();
}

/// The number k of a name "<prefix><k>" (k of at most 6 digits), or -1.
long numbered(const std::string& name, std::string_view prefix) {
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return -1;
  const std::string digits = name.substr(prefix.size());
  if (digits.size() > 6 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return -1;
  return std::stol(digits);
}

/// The files <dir>/<prefix><k>.pb for k = 0, 1, ... while they exist.
std::vector<fs::path> numbered_files(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> out;
  for (int k = 0; fs::is_regular_file(dir / (prefix + std::to_string(k) + ".pb")); ++k)
    out.push_back(dir / (prefix + std::to_string(k) + ".pb"));
  return out;
}

/// msg with every node label's "node '<name>' " removed, leaving "(Op, opset n): ...".
std::string without_node_names(std::string msg) {
  for (std::size_t at = msg.find("node '"); at != std::string::npos; at = msg.find("node '", at)) {
    const std::size_t end = msg.find("' (", at + 6);
    if (end == std::string::npos) break;
    msg.erase(at, end + 2 - at);
  }
  return msg;
}

/// "1.5e-07" (printf %.9g): short, and exact enough to tell float32 values apart.
std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

/// "" when `got` matches `want` (shape, element type, values within the bound), else what differs.
/// Adds to max_abs the largest floating difference seen.
/// `extra`, when given, widens the bound of each floating element by its own amount.
std::string compare(const tensor& got, const tensor& want, const tolerance& bound, const std::vector<double>* extra,
                    double& max_abs) {
  if (got.shape != want.shape) return "shape " + shape_string(got.shape) + ", expected " + shape_string(want.shape);
  if (got.type != want.type)
    return std::string("element type ") + element_type_name(got.type) + ", expected " + element_type_name(want.type);
  if (got.size() != want.size()) return "holds " + std::to_string(got.size()) + " values";
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want.is_integer()) {
      if (got.ints[i] != want.ints[i]) {
        return "element " + std::to_string(i) + " is " + std::to_string(got.ints[i]) + ", expected " +
               std::to_string(want.ints[i]);
      }
      continue;
    }
    const double g = got.data[i], w = want.data[i];
    if (std::isfinite(g) && std::isfinite(w)) max_abs = std::max(max_abs, std::abs(g - w));
    const tolerance widened{bound.relative, bound.absolute + (extra && i < extra->size() ? (*extra)[i] : 0.0)};
    if (!widened.accepts(g, w)) {
      return "element " + std::to_string(i) + " is " + number(g) + ", expected " + number(w) +
             (extra ? " (stated bound " + number(i < extra->size() ? (*extra)[i] : 0.0) + ")" : "");
    }
  }
  return "";
}

/// Why a model was refused at load, for the record: an opset outside Ciro's range is named once for
/// the model (not per node).
std::string load_refusal(const error<load_error_code>& e, const onnx::ModelProto& proto) {
  if (e.code == load_error_code::unsupported_opset) {
    for (const auto& o : proto.opset_import()) {
      if ((o.domain().empty() || o.domain() == "ai.onnx") && (o.version() < min_opset || o.version() > max_opset)) {
        return "model refused at load: opset " + std::to_string(o.version()) + " (Ciro reads opsets " +
               std::to_string(min_opset) + " to " + std::to_string(max_opset) + ")";
      }
    }
  }
  return "model refused at load: " + e.message;
}

/// A tensor file's refusal without the tensor's name ("tensor 'x': element type ..." -> "element type ...").
std::string tensor_refusal(const std::string& message) {
  const std::size_t at = message.rfind("tensor '", 0) == 0 ? message.find("': ") : std::string::npos;
  return at == std::string::npos ? message : message.substr(at + 3);
}

test_record skip(test_record r, std::string why) {
  r.result = status::skip;
  r.reason = without_node_names(std::move(why));
  return r;
}

test_record failure(test_record r, std::string why) {
  r.result = status::fail;
  r.reason = without_node_names(std::move(why));
  return r;
}

}  // namespace

bool tolerance::accepts(double got, double want) const {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  return std::abs(got - want) <= absolute + relative * std::abs(want);
}

std::string tolerance::describe() const { return number(relative) + " relative + " + number(absolute) + " absolute"; }

const char* status_name(status s) {
  switch (s) {
    case status::pass:
      return "pass";
    case status::fail:
      return "fail";
    case status::skip:
      return "skip";
  }
  return "?";
}

std::vector<test_case> find_tests(const fs::path& root) {
  std::vector<test_case> out;
  for (const std::string_view suite : suites) {
    const fs::path dir = root / suite;
    if (!fs::is_directory(dir)) continue;
    std::vector<test_case> found;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (!e.is_directory()) continue;
      test_case t{std::string(suite), e.path().filename().string(), e.path(), {}};
      std::vector<std::pair<long, fs::path>> sets;
      for (const auto& d : fs::directory_iterator(e.path())) {
        const long k = numbered(d.path().filename().string(), "test_data_set_");
        if (d.is_directory() && k >= 0) sets.emplace_back(k, d.path());
      }
      std::sort(sets.begin(), sets.end());
      for (auto& [k, p] : sets) t.data_sets.push_back(std::move(p));
      found.push_back(std::move(t));
    }
    std::sort(found.begin(), found.end(), [](const test_case& a, const test_case& b) { return a.name < b.name; });
    for (auto& t : found) out.push_back(std::move(t));
  }
  return out;
}

std::vector<std::string> download_stubs(const fs::path& suite_dir) {
  std::vector<std::string> out;
  if (!fs::is_directory(suite_dir)) return out;
  for (const auto& e : fs::directory_iterator(suite_dir)) {
    if (e.is_directory() && !fs::exists(e.path() / "model.onnx") && fs::is_regular_file(e.path() / "data.json"))
      out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inference_under_test float_reference() {
  inference_under_test r;
  r.name = "float reference (run_reference, float64)";
  r.supports = [](std::string_view domain, std::string_view op) { return reference_supports(domain, op); };
  r.run = [](const model& m, const tensor_map& inputs) -> result<inference_output, refusal> {
    for (const auto& [name, t] : inputs) {
      if (!std::all_of(t.data.begin(), t.data.end(), [](double v) { return std::isfinite(v); })) {
        return error<refusal>{
            refusal::unsupported,
            "input '" + detail::printable(name) + "' holds NaN or an infinity (the reference takes finite inputs)"};
      }
    }
    auto y = run_reference(m, inputs);
    if (y) return inference_output{std::move(y).value(), {}};
    const run_error_code code = y.error().code;
    const bool unsupported = code == run_error_code::unsupported_operator ||
                             code == run_error_code::unsupported_attribute || code == run_error_code::unsupported_type;
    return error<refusal>{unsupported ? refusal::unsupported : refusal::failed, y.error().message};
  };
  r.bound = {1e-5, 1e-6};
  return r;
}

inference_under_test integer_inference() {
  inference_under_test r;
  r.name = "integer inference";
  r.supports = [](std::string_view domain, std::string_view op) { return integer_supports(domain, op); };
  r.run = [](const model& m, const tensor_map& inputs) -> result<inference_output, refusal> {
    for (const auto& [name, t] : inputs) {
      if (!std::all_of(t.data.begin(), t.data.end(), [](double v) { return std::isfinite(v); })) {
        return error<refusal>{refusal::unsupported, "input '" + detail::printable(name) +
                                                        "' holds NaN or an infinity (the scheme takes finite inputs)"};
      }
    }
    auto refused = [](const error<run_error_code>& e) {
      return error<refusal>{e.code == run_error_code::invalid_node ? refusal::failed : refusal::unsupported, e.message};
    };
    auto cal = calibrate(m, {inputs});
    if (!cal) return refused(cal.error());
    auto y = run_integer(m, inputs, cal.value());
    if (!y) return refused(y.error());
    inference_output out;
    for (const auto& v : m.outputs) {
      const int_value& iv = y.value().at(v.name);
      tensor t = iv.dequantized();
      if (iv.is_fixed()) {
        t.type = v.type;  // the declared floating type (FLOAT or DOUBLE)
        out.bounds[v.name] = iv.error;
      }
      out.outputs[v.name] = std::move(t);
    }
    return out;
  };
  r.bound = {1e-5, 1e-6};
  return r;
}

test_record grade(const test_case& t, const inference_under_test& inference) {
  test_record r{t.suite, t.name, {}, status::skip, "", 0, 0};
  const fs::path model_path = t.dir / "model.onnx";
  if (!fs::is_regular_file(model_path)) return skip(r, "no model.onnx");
  const auto bytes = read_bytes(model_path);
  onnx::ModelProto proto;
  if (!bytes || !proto.ParseFromString(*bytes)) return skip(r, "model refused at load: not a readable ModelProto");

  // The ops, and those the inference does not run.
  std::vector<std::string> unsupported;
  for (const auto& n : proto.graph().node()) {
    const std::string domain = n.domain() == "ai.onnx" ? "" : n.domain();
    const std::string op = domain.empty() ? n.op_type() : domain + "." + n.op_type();
    if (std::find(r.ops.begin(), r.ops.end(), op) != r.ops.end()) continue;
    r.ops.push_back(op);
    const bool folded = domain.empty() && n.op_type() == "Constant";
    if (!folded && !inference.supports(domain, n.op_type())) unsupported.push_back(op);
  }
  if (!unsupported.empty()) {
    std::sort(unsupported.begin(), unsupported.end());
    std::string list;
    for (const auto& u : unsupported) list += (list.empty() ? "" : ", ") + u;
    return skip(r, (unsupported.size() == 1 ? "unsupported op " : "unsupported ops ") + list);
  }
  if (t.data_sets.empty()) return skip(r, "no test data set");
  // Refusals that do not depend on the data set's shapes come first (an input that is not a tensor
  // would otherwise be misread as one).
  if (auto m = parse_model(*bytes); !m && m.error().code != load_error_code::dynamic_shape)
    return skip(r, load_refusal(m.error(), proto));

  // The graph inputs that are not initializers, in order: input_<i>.pb feeds the i-th.
  std::set<std::string> initializers;
  for (const auto& init : proto.graph().initializer()) initializers.insert(init.name());
  std::vector<std::string> input_names;
  for (const auto& in : proto.graph().input()) {
    if (!initializers.count(in.name())) input_names.push_back(in.name());
  }

  for (const fs::path& set : t.data_sets) {
    const std::string where = set.filename().string() + ": ";
    const auto input_files = numbered_files(set, "input_");
    const auto output_files = numbered_files(set, "output_");
    if (input_files.size() != input_names.size()) {
      return failure(r, where + std::to_string(input_files.size()) + " input files for " +
                            std::to_string(input_names.size()) + " graph inputs");
    }
    tensor_map inputs;
    std::map<std::string, shape_t> shapes;
    for (std::size_t i = 0; i < input_files.size(); ++i) {
      const auto data = read_bytes(input_files[i]);
      if (!data) return failure(r, where + "cannot read input_" + std::to_string(i) + ".pb");
      auto x = parse_tensor(*data);
      if (!x) return skip(r, "input " + std::to_string(i) + ": " + tensor_refusal(x.error().message));
      shapes[input_names[i]] = x.value().shape;
      inputs[input_names[i]] = std::move(x).value();
    }
    auto m = parse_model(*bytes, shapes);
    if (!m) return skip(r, load_refusal(m.error(), proto));
    if (output_files.size() != m.value().outputs.size()) {
      return failure(r, where + std::to_string(output_files.size()) + " output files for " +
                            std::to_string(m.value().outputs.size()) + " graph outputs");
    }
    std::vector<tensor> expected;
    for (std::size_t i = 0; i < output_files.size(); ++i) {
      const auto data = read_bytes(output_files[i]);
      if (!data) return failure(r, where + "cannot read output_" + std::to_string(i) + ".pb");
      auto y = parse_tensor(*data);
      if (!y) return skip(r, "expected output " + std::to_string(i) + ": " + tensor_refusal(y.error().message));
      expected.push_back(std::move(y).value());
    }
    const auto start = std::chrono::steady_clock::now();
    auto got = inference.run(m.value(), inputs);
    r.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!got) {
      if (got.error().code == refusal::unsupported) return skip(r, "refused: " + got.error().message);
      return failure(r, where + got.error().message);
    }
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const std::string& name = m.value().outputs[i].name;
      const auto it = got.value().outputs.find(name);
      if (it == got.value().outputs.end())
        return failure(r, where + "output '" + detail::printable(name) + "' is missing");
      const auto bound = got.value().bounds.find(name);
      const std::string diff = compare(it->second, expected[i], inference.bound,
                                       bound == got.value().bounds.end() ? nullptr : &bound->second, r.max_abs_error);
      if (!diff.empty()) return failure(r, where + "output '" + detail::printable(name) + "': " + diff);
    }
  }
  r.result = status::pass;
  return r;
}

std::vector<test_record> grade_all(const fs::path& root, const inference_under_test& inference) {
  std::vector<test_record> out;
  for (const test_case& t : find_tests(root)) out.push_back(grade(t, inference));
  return out;
}

}  // namespace ciro::zkml::testdata
