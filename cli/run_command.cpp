// `ciro run`: the integer inference of an ONNX model on one input, beside the float reference.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "zkml/model_input.hpp"
#include "zkml/input_file.hpp"
#include "zkml/integer_inference.hpp"
#include "zkml/model.hpp"
#include "zkml/quantization.hpp"

namespace ciro::cli {
namespace {

using zkml::tensor;

/// The row-wise arg-max along the last axis (one index per row).
std::vector<std::size_t> row_argmax(const tensor& t) {
  const std::size_t n = t.size();
  const std::size_t row = t.shape.empty() || t.shape.back() <= 0 ? 1 : static_cast<std::size_t>(t.shape.back());
  std::vector<std::size_t> out;
  for (std::size_t r = 0; r + row <= n; r += row) {
    std::size_t best = r;
    for (std::size_t i = r; i < r + row; ++i) {
      if (t.value(i) > t.value(best)) best = i;
    }
    out.push_back(best - r);
  }
  return out;
}

nlohmann::json tensor_json(const tensor& t) {
  nlohmann::json data = nlohmann::json::array();
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t.is_integer()) {
      data.push_back(t.ints[i]);
    } else {
      data.push_back(t.data[i]);
    }
  }
  return {{"shape", t.shape}, {"data", data}};
}

std::string values_line(const tensor& t, std::size_t limit) {
  std::string s = "[";
  char buf[32];
  for (std::size_t i = 0; i < t.size() && i < limit; ++i) {
    if (t.is_integer()) {
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(t.ints[i]));
    } else {
      std::snprintf(buf, sizeof buf, "%.6g", t.data[i]);
    }
    s += (i ? ", " : "") + std::string(buf);
  }
  if (t.size() > limit) s += ", ... (" + std::to_string(t.size() - limit) + " more; --json for all)";
  return s + "]";
}

struct options {
  std::string model, input, json;
  std::vector<std::string> calibration;
  int bits = 16;
  bool trace = false;
};

}  // namespace

int run_command(const std::vector<std::string>& args) {  // NOLINT(readability-function-size)
  options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string* { return i + 1 < args.size() ? &args[++i] : nullptr; };
    if (a == "--model" || a == "--input" || a == "--json" || a == "--calibrate" || a == "--bits") {
      const std::string* v = value();
      if (!v) return usage_error("run: " + a + " needs a value");
      if (a == "--model") o.model = *v;
      if (a == "--input") o.input = *v;
      if (a == "--json") o.json = *v;
      if (a == "--calibrate") o.calibration.push_back(*v);
      if (a == "--bits") {
        if (v->empty() || v->size() > 2 || v->find_first_not_of("0123456789") != std::string::npos ||
            std::stoi(*v) < 4 || std::stoi(*v) > 16)
          return usage_error("run: --bits needs a whole number from 4 to 16, not '" + *v + "'");
        o.bits = std::stoi(*v);
      }
    } else if (a == "--trace") {
      o.trace = true;
    } else {
      return usage_error("run: unknown option '" + a + "'");
    }
  }
  if (o.model.empty() || o.input.empty()) return usage_error("run: --model M.onnx and --input IN are required");

  auto loaded = zkml::load_model_and_input(o.model, o.input);
  if (!loaded) return usage_error("run: " + loaded.error().message);
  const auto m = std::move(loaded.value().m);
  const auto inputs = std::move(loaded.value().input);
  std::vector<zkml::tensor_map> sets{inputs};
  for (const auto& path : o.calibration) {
    auto extra = zkml::load_input_file(path, m);
    if (!extra) return usage_error("run: " + extra.error().message);
    sets.push_back(std::move(extra).value());
  }
  auto reference = zkml::run_reference(m, inputs);
  if (!reference) return usage_error("run: " + reference.error().message);
  auto cal = zkml::calibrate(m, sets);
  if (!cal) return usage_error("run: calibration: " + cal.error().message);
  zkml::quantization_config config;
  config.activation_bits = o.bits;
  config.weight_bits = o.bits;
  zkml::int_value_map all;
  auto integer = zkml::run_integer(m, inputs, cal.value(), config, &all);
  if (!integer) return usage_error("run: " + integer.error().message);
  if (o.trace) {
    // Each computed tensor in node order: its frac, largest |value| and error bound.
    std::printf("%-32s %-18s %6s %12s %12s\n", "tensor", "node", "frac", "max |x|", "error bound");
    for (const auto& n : m.nodes) {
      for (const auto& name : n.outputs) {
        auto it = all.find(name);
        if (it == all.end() || !it->second.is_fixed()) continue;
        const tensor d = it->second.dequantized();
        double mx = 0;
        for (double x : d.data) mx = std::max(mx, std::fabs(x));
        std::printf("%-32s %-18s %6d %12.4g %12.4g\n", name.c_str(), n.op_type.c_str(), *it->second.frac, mx,
                    it->second.max_error());
      }
    }
  }

  double max_error = 0;
  bool argmax_agrees = true;
  nlohmann::json outputs = nlohmann::json::object(), refs = nlohmann::json::object(), bounds = nlohmann::json::object();
  std::printf("model %s: %zu nodes, %d-bit activations, calibrated on %zu input set(s)\n", o.model.c_str(),
              m.nodes.size(), o.bits, sets.size());
  for (const auto& out : m.outputs) {
    const zkml::int_value& v = integer.value().at(out.name);
    const tensor got = v.dequantized();
    const tensor& want = reference.value().at(out.name);
    double err = 0;
    for (std::size_t i = 0; i < got.size() && i < want.size(); ++i)
      err = std::max(err, std::fabs(got.value(i) - want.value(i)));
    max_error = std::max(max_error, err);
    const bool agrees = row_argmax(got) == row_argmax(want);
    argmax_agrees = argmax_agrees && agrees;
    std::printf("output '%s' %s\n  integer   %s\n  reference %s\n", out.name.c_str(),
                zkml::shape_string(got.shape).c_str(), values_line(got, 16).c_str(), values_line(want, 16).c_str());
    if (v.is_fixed()) {
      std::printf("  max |error| %.3g, bound %.3g (frac %d); arg-max %s\n", err, v.max_error(), *v.frac,
                  agrees ? "agrees" : "DIFFERS");
    } else {
      std::printf("  exact integers: %s\n", err == 0 ? "equal" : "DIFFER");
    }
    outputs[out.name] = tensor_json(got);
    refs[out.name] = tensor_json(want);
    bounds[out.name] = v.max_error();
  }
  std::printf("max |error| %.3g, arg-max %s\n", max_error, argmax_agrees ? "agrees" : "differs");
  if (!o.json.empty()) {
    const nlohmann::json doc{{"outputs", outputs},         {"reference", refs},
                             {"max_abs_error", max_error}, {"argmax_agrees", argmax_agrees},
                             {"error_bound", bounds},      {"activation_bits", o.bits}};
    std::ofstream f(o.json);
    f << doc.dump(2) << '\n';
    if (!f) return usage_error("run: cannot write " + o.json);
  }
  return exit_ok;
}

}  // namespace ciro::cli
