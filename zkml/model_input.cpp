#include "zkml/model_input.hpp"

#include <algorithm>
#include <fstream>
#include <map>

#include "zkml/input_file.hpp"

namespace ciro::zkml {

result<std::vector<std::uint8_t>, int> read_file(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return error<int>{0, "cannot read " + path};
  std::vector<std::uint8_t> bytes;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    bytes.insert(bytes.end(), buffer, buffer + in.gcount());
    if (bytes.size() > max_bytes)
      return error<int>{0, path + " is larger than " + std::to_string(max_bytes >> 20) + " MiB"};
  }
  if (in.bad()) return error<int>{0, "cannot read " + path};
  return bytes;
}

result<model_and_input, int> load_model_and_input(const std::string& model_path, const std::string& input_path) {
  auto m = load_model(model_path, {}, dynamic_inputs::keep);
  if (!m) return error<int>{0, model_path + ": " + m.error().message};
  auto inputs = load_input_file(input_path, m.value());
  if (!inputs) return error<int>{0, inputs.error().message};
  const auto& declared = m.value().inputs;
  if (std::any_of(declared.begin(), declared.end(), [](const value_info& v) {
        return std::any_of(v.shape.begin(), v.shape.end(), [](std::int64_t d) { return d < 0; });
      })) {
    std::map<std::string, shape_t> shapes;
    for (const auto& [name, t] : inputs.value()) shapes[name] = t.shape;
    m = load_model(model_path, shapes);
    if (!m) return error<int>{0, model_path + ": " + m.error().message};
  }
  auto bytes = read_file(model_path, std::size_t{1} << 30);
  if (!bytes) return bytes.error();
  return model_and_input{std::move(bytes.value()), std::move(m.value()), std::move(inputs.value())};
}

}  // namespace ciro::zkml
