#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "zkml/model.hpp"
#include "zkml/reference.hpp"
#include "zkml/tensor.hpp"

namespace ciro::zkml {

/// A model file read with the shapes of an input file, and that input.
struct model_and_input {
  std::vector<std::uint8_t> model_bytes;
  model m;
  tensor_map input;
};

/// Reads `model_path` and `input_path` (load_input_file's formats). A dimension the model
/// leaves free (a batch "N") is fixed by the input file: the model is read keeping it free, then
/// read again with the input's shapes, so only fixed shapes run. Fails with a one-line message
/// naming the file.
result<model_and_input, int> load_model_and_input(const std::string& model_path, const std::string& input_path);

/// Reads a whole file (at most `max_bytes`); fails with a one-line message.
result<std::vector<std::uint8_t>, int> read_file(const std::string& path, std::size_t max_bytes);

}  // namespace ciro::zkml
