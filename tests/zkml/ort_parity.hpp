#pragma once

// The comparison of Ciro's inference with ONNX Runtime on the models of tests/zkml/models (see its
// README): a reader for the JSON tensor files (the models' test inputs, ONNX Runtime's outputs) and
// compare_with_ort, which measures, prints and returns the errors of one engine's outputs.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "zkml/reference.hpp"
#include "zkml/tensor.hpp"

namespace ciro::zkml::test::ort {

/// Why a tensor file was refused.
enum class tensor_file_error { io_error, malformed };

/// The tensor sets of a file and the runtime that wrote it ("runtime", absent from input files).
struct tensor_sets {
  std::vector<tensor_map> sets;
  std::string runtime;
};

inline constexpr std::size_t max_rank = 8;
inline constexpr std::int64_t max_elements = std::int64_t{1} << 24;

/// Reads {"<key>": [{"<name>": {"shape": [...], "data": [...]}}, ...]}, the format of
/// <model>.inputs.json (key "inputs") and of tests/ort/run_ort.mjs's outputs (key "runs"). Every
/// name must be in `types`, which gives its element type: FLOAT values are rounded to float32 (the
/// value ONNX Runtime reads), integer values must be integers inside the type's range. Shapes have
/// at most max_rank dimensions and max_elements values, and `data` holds exactly that many.
inline result<tensor_sets, tensor_file_error> read_tensor_sets(const std::string& path, const std::string& key,
                                                               const std::map<std::string, element_type>& types) {
  using json = nlohmann::json;
  auto fail = [&](const std::string& why) {
    return error<tensor_file_error>{tensor_file_error::malformed, path + ": " + why};
  };
  std::ifstream f(path, std::ios::binary);
  if (!f) return error<tensor_file_error>{tensor_file_error::io_error, path + ": cannot be read"};
  std::ostringstream text;
  text << f.rdbuf();
  const json doc = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return fail("not a JSON object");
  tensor_sets out;
  if (doc.contains("runtime") && doc["runtime"].is_string()) out.runtime = doc["runtime"].get<std::string>();
  if (!doc.contains(key) || !doc[key].is_array()) return fail("no array \"" + key + "\"");
  for (const json& set : doc[key]) {
    if (!set.is_object()) return fail("a set is not an object");
    tensor_map tensors;
    for (const auto& [name, value] : set.items()) {
      const auto type = types.find(name);
      if (type == types.end()) return fail("unexpected tensor '" + name + "'");
      if (!value.is_object() || !value.contains("shape") || !value.contains("data") || !value["shape"].is_array() ||
          !value["data"].is_array()) {
        return fail("'" + name + "' needs arrays \"shape\" and \"data\"");
      }
      if (value["shape"].size() > max_rank) return fail("'" + name + "' has too many dimensions");
      shape_t shape;
      std::int64_t n = 1;
      for (const json& d : value["shape"]) {
        if (!d.is_number_integer() || d.get<std::int64_t>() < 0 || d.get<std::int64_t>() > max_elements) {
          return fail("'" + name + "' has a bad dimension");
        }
        shape.push_back(d.get<std::int64_t>());
        n *= shape.back();
        if (n > max_elements) return fail("'" + name + "' is too large");
      }
      const json& data = value["data"];
      if (static_cast<std::int64_t>(data.size()) != n) return fail("'" + name + "' data does not match its shape");
      tensor t = tensor::zeros(shape, type->second);
      for (std::size_t i = 0; i < data.size(); ++i) {
        if (!data[i].is_number()) return fail("'" + name + "' holds a value that is not a number");
        const double v = data[i].get<double>();
        if (t.is_integer()) {
          const auto [lo, hi] = integer_range(t.type);
          if (v != std::floor(v) || v < static_cast<double>(lo) || v > static_cast<double>(hi)) {
            return fail("'" + name + "' holds a value outside " + element_type_name(t.type));
          }
          t.ints[i] = data[i].is_number_integer() ? data[i].get<std::int64_t>() : static_cast<std::int64_t>(v);
        } else if (t.type == element_type::float32) {
          if (std::abs(v) > FLT_MAX) return fail("'" + name + "' holds a value outside FLOAT");
          t.data[i] = static_cast<double>(static_cast<float>(v));
        } else {
          t.data[i] = v;
        }
      }
      tensors[name] = std::move(t);
    }
    out.sets.push_back(std::move(tensors));
  }
  return out;
}

/// Allowed difference between an engine's float output c and ONNX Runtime's o, elementwise:
/// |c - o| <= abs + rel * |o|.
struct tolerance {
  double rel = 0;
  double abs = 0;
};

/// The errors of one output over every input set.
struct output_errors {
  std::string output;
  shape_t shape;
  bool integer = false;
  double max_abs = 0;          ///< max |c - o| (float outputs)
  double max_rel = 0;          ///< max |c - o| / |o| over the elements with o != 0 (float outputs)
  double bound_use = 0;        ///< max |c - o| / (abs + rel |o|): the output is inside the bound iff <= 1
  std::size_t mismatches = 0;  ///< integer outputs: elements that differ
  std::size_t argmax_rows = 0, argmax_agree = 0;  ///< class-score outputs: rows (last axis) compared, agreeing
  std::string problem;                            ///< a missing output, or a shape or type that differs

  [[nodiscard]] bool passes() const {
    return problem.empty() && (integer ? mismatches == 0 : bound_use <= 1) && argmax_agree == argmax_rows;
  }
};

/// The index of the largest of t's elements begin .. begin + n - 1 relative to begin, the first one
/// on ties (as ONNX's ArgMax).
inline std::size_t argmax(const tensor& t, std::size_t begin, std::size_t n) {
  std::size_t best = begin;
  for (std::size_t i = begin + 1; i < begin + n; ++i) {
    if (t.value(i) > t.value(best)) best = i;
  }
  return best - begin;
}

/// Compares an engine's outputs (one tensor_map per input set) with ONNX Runtime's on the same
/// inputs, for every output ONNX Runtime gave: float outputs by their largest absolute and
/// relative errors and the share of `tol` used, integer outputs (labels) exactly; for the outputs in
/// `class_scores` (logits, probabilities) also whether the arg-max over the last axis agrees, row
/// by row. Prints the figures as a table titled `name` and returns them.
inline std::vector<output_errors> compare_with_ort(const std::string& name, const std::vector<tensor_map>& ciro,
                                                   const std::vector<tensor_map>& ort,
                                                   const std::set<std::string>& class_scores, tolerance tol,
                                                   const std::string& runtime = "ONNX Runtime") {
  std::vector<output_errors> errors;
  if (!ort.empty()) {
    for (const auto& [output, t] : ort.front()) {
      output_errors e;
      e.output = output;
      e.shape = t.shape;
      e.integer = t.is_integer();
      errors.push_back(e);
    }
  }
  for (output_errors& e : errors) {
    if (ciro.size() != ort.size()) {
      e.problem = std::to_string(ciro.size()) + " input sets run, " + std::to_string(ort.size()) + " expected";
    }
    for (std::size_t run = 0; run < ort.size() && e.problem.empty(); ++run) {
      const auto want = ort[run].find(e.output);
      const auto got = ciro[run].find(e.output);
      if (got == ciro[run].end() || want == ort[run].end()) {
        e.problem = "missing in input set " + std::to_string(run);
        break;
      }
      const tensor &c = got->second, &o = want->second;
      if (c.shape != o.shape || c.is_integer() != o.is_integer()) {
        e.problem = "shape or type differs: " + shape_string(c.shape) + " vs " + shape_string(o.shape);
        break;
      }
      for (std::size_t i = 0; i < o.size(); ++i) {
        if (e.integer) {
          e.mismatches += c.ints[i] != o.ints[i];
          continue;
        }
        double d = std::abs(c.data[i] - o.data[i]);
        if (std::isnan(d)) d = HUGE_VAL;  // a NaN on either side fails (std::max would skip it)
        e.max_abs = std::max(e.max_abs, d);
        if (o.data[i] != 0) e.max_rel = std::max(e.max_rel, d / std::abs(o.data[i]));
        e.bound_use = std::max(e.bound_use, d / (tol.abs + tol.rel * std::abs(o.data[i])));
      }
      if (class_scores.count(e.output) && !o.shape.empty() && o.shape.back() > 0) {
        const auto width = static_cast<std::size_t>(o.shape.back());
        for (std::size_t row = 0; row < o.size(); row += width) {
          ++e.argmax_rows;
          e.argmax_agree += argmax(c, row, width) == argmax(o, row, width);
        }
      }
    }
  }
  char line[256];
  std::cout << name << " vs " << runtime << " (" << ort.size() << " input sets; bound |ciro - ort| <= " << tol.abs
            << " + " << tol.rel << " |ort|)\n";
  std::snprintf(line, sizeof line, "  %-16s %-12s %-10s %-10s %-10s %s\n", "output", "shape", "max abs", "max rel",
                "bound use", "arg-max agrees");
  std::cout << line;
  for (const output_errors& e : errors) {
    const std::string argmax_text =
        e.argmax_rows ? std::to_string(e.argmax_agree) + "/" + std::to_string(e.argmax_rows) : "-";
    if (!e.problem.empty()) {
      std::snprintf(line, sizeof line, "  %-16s %s\n", e.output.c_str(), e.problem.c_str());
    } else if (e.integer) {
      const std::string exact = e.mismatches ? std::to_string(e.mismatches) + " differ" : "exact";
      std::snprintf(line, sizeof line, "  %-16s %-12s %-10s %-10s %-10s %s\n", e.output.c_str(),
                    shape_string(e.shape).c_str(), exact.c_str(), "-", "-", argmax_text.c_str());
    } else {
      std::snprintf(line, sizeof line, "  %-16s %-12s %-10.3g %-10.3g %-10.3g %s\n", e.output.c_str(),
                    shape_string(e.shape).c_str(), e.max_abs, e.max_rel, e.bound_use, argmax_text.c_str());
    }
    std::cout << line;
  }
  return errors;
}

/// Fails the current test for every output outside its bound, with an integer output that differs,
/// with an arg-max that disagrees, or with a problem; and when there is no output at all.
inline void expect_parity(const std::string& name, const std::vector<output_errors>& errors) {
  EXPECT_FALSE(errors.empty()) << name << ": no outputs to compare";
  for (const output_errors& e : errors) {
    if (e.passes()) continue;
    std::ostringstream why;
    if (!e.problem.empty()) {
      why << e.problem;
    } else if (e.integer && e.mismatches) {
      why << e.mismatches << " elements differ";
    } else if (!e.integer && e.bound_use > 1) {
      why << "max error " << e.max_abs << " is " << e.bound_use << " times the bound";
    }
    if (e.argmax_agree != e.argmax_rows) {
      why << (why.tellp() > 0 ? "; " : "") << "arg-max agrees on " << e.argmax_agree << " of " << e.argmax_rows
          << " rows";
    }
    ADD_FAILURE() << name << ", output '" << e.output << "': " << why.str();
  }
}

}  // namespace ciro::zkml::test::ort
