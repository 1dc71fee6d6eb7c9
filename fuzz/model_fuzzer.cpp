// libFuzzer target for the ONNX loader, the float reference inference and the input-file parsers
// of `ciro run`. Each input is read as a serialized ModelProto (zkml::parse_model); a model that
// loads and is small (at most max_nodes nodes, every input and initializer at most max_elements
// values) is run by zkml::run_reference on zero inputs of its declared types and shapes. Bytes that
// are not a model are read as a TensorProto (parse_tensor, parse_input_pb), a JSON input file
// (parse_input_json) and a .npy file (parse_input_npy), against fixed models built here. Any crash,
// sanitizer report, leak or timeout is a bug; a refusal is the expected outcome for most inputs.
// Build and run: scripts/fuzz.sh (clang, -DCIRO_FUZZ=ON); seed corpus: fuzz/corpus/model/.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "zkml/input_file.hpp"
#include "zkml/model.hpp"
#include "zkml/reference.hpp"

namespace {

using namespace ciro::zkml;

constexpr std::size_t max_nodes = 64;
constexpr std::int64_t max_elements = 1'000'000;

/// The model every JSON and TensorProto input is read against: inputs of several element types,
/// fixed and free dimensions, a scalar.
const model& inputs_model() {
  static const model m = [] {
    model r;
    r.inputs = {{"x", element_type::float32, {-1, 3}},  {"d", element_type::float64, {2}},
                {"n", element_type::int8, {2, 2}},      {"u", element_type::uint16, {-1}},
                {"i", element_type::int64, {1, -1, 2}}, {"b", element_type::boolean, {}}};
    return r;
  }();
  return m;
}

/// One single-input model per element type (a .npy file holds one tensor), of any 2-D shape.
const std::vector<model>& single_input_models() {
  static const std::vector<model> models = [] {
    std::vector<model> r;
    for (element_type t :
         {element_type::float32, element_type::float64, element_type::int8, element_type::uint8, element_type::int16,
          element_type::uint16, element_type::int32, element_type::int64, element_type::boolean}) {
      model m;
      m.inputs = {{"x", t, {-1, -1}}};
      r.push_back(std::move(m));
    }
    return r;
  }();
  return models;
}

/// True when every dimension is >= 0 and the product is at most max_elements.
bool small_shape(const shape_t& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) {
    if (d < 0) return false;
    if (d == 0) return true;
  }
  for (std::int64_t d : shape) {
    if (d > max_elements / n) return false;
    n *= d;
  }
  return true;
}

void run_small_model(const model& m) {
  if (m.nodes.size() > max_nodes) return;
  for (const auto& [name, t] : m.initializers) {
    if (!small_shape(t.shape)) return;
  }
  tensor_map inputs;
  for (const auto& v : m.inputs) {
    if (!small_shape(v.shape)) return;
    inputs.emplace(v.name, tensor::zeros(v.shape, v.type));
  }
  (void)run_reference(m, inputs);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto m = parse_model(bytes)) {
    run_small_model(m.value());
    return 0;
  }
  (void)parse_tensor(bytes);
  (void)parse_input_pb(bytes, inputs_model());
  (void)parse_input_json(bytes, inputs_model());
  for (const model& m : single_input_models()) {
    (void)parse_input_npy(bytes, m);
    (void)parse_input_pb(bytes, m);
  }
  return 0;
}
