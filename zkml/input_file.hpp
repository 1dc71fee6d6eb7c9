#pragma once

// The input files of `ciro run`: a model's input tensors read from JSON, an ONNX TensorProto (.pb)
// or a NumPy array (.npy), each checked against the model's declared inputs.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "zkml/model.hpp"
#include "zkml/reference.hpp"

namespace ciro::zkml {

/// Why an input file was refused. Every message is one line; those about one input start with
/// "input '<name>': ", those about a place in a JSON text with "line L, column C: " (C counts bytes),
/// and load_input_file prefixes "<path>: ".
enum class input_error_code {
  io_error,          ///< the file could not be read, or is larger than max_input_file_bytes
  malformed,         ///< not JSON / .npy / a TensorProto, truncated, or past a bound (depth, values, header)
  unsupported_type,  ///< a .npy dtype or TensorProto element type Ciro does not read, big-endian or Fortran order
  unknown_input,     ///< a tensor named after no model input (or a .npy file for a model without inputs)
  missing_input,     ///< a model input that no file gives (or a .npy file for a model of several inputs)
  duplicate_input,   ///< an input given twice (a repeated JSON key, or in two files)
  type_mismatch,     ///< a .npy or TensorProto element type other than the model's declared type
  shape_mismatch,    ///< a shape other than the model's, or data that does not fill the shape
  bad_value,         ///< NaN or infinite, not an integer for an integer input, outside the input type's range
};

/// The most values parse_input_json reads (over all inputs of one file): 2^28.
inline constexpr std::size_t max_input_values = std::size_t{1} << 28;
/// The deepest nesting of JSON objects and arrays parse_input_json reads: 64.
inline constexpr std::size_t max_json_depth = 64;
/// The longest .npy header parse_input_npy reads, in bytes: 10000 (numpy's own default limit).
inline constexpr std::size_t max_npy_header_bytes = 10000;
/// The largest file load_input_file reads: 1 GiB.
inline constexpr std::uint64_t max_input_file_bytes = std::uint64_t{1} << 30;

/// Every tensor returned by the parsers below satisfies what run_reference asks of its inputs: the
/// element type of the model input it is named after (zkml::model::inputs), the declared shape (a
/// negative declared dimension is free: the file's shape fixes it), finite values. A FLOAT input's
/// values are rounded to float32 (what ONNX Runtime is given) and kept as doubles; DOUBLE values
/// are kept as read; integer values must lie in the type's range (BOOL: 0 or 1).

/// Parses a JSON object giving every model input, by name:
///   {"x": {"shape": [1, 3], "data": [0.5, 1, -2e-3]}, ...}
/// "data" is flat (row-major, num_elements(shape) values) or nested arrays; nested data must be
/// rectangular and then its nesting is the shape, which "shape" (if given) must equal. "shape" may
/// be omitted, and {"x": [[...]]} (or a bare number, a scalar) is short for {"x": {"data": [[...]]}}.
/// Values are JSON numbers (integer inputs: integers, or numbers with an exact integer value below
/// 2^53) and, for BOOL inputs, also true/false. Refused: anything but strict JSON (RFC 8259: no NaN
/// or Infinity, no comments, no trailing commas), a repeated key, a name that is not a model input,
/// a missing input, nesting deeper than max_json_depth, more than max_input_values values.
[[nodiscard]] result<tensor_map, input_error_code> parse_input_json(std::string_view text, const model& m);

/// Parses one serialized ONNX TensorProto (parse_tensor). Its name selects the model input; an
/// unnamed tensor is the input of a model that has exactly one. The result holds that one input (a
/// model of several inputs takes one file per input: see load_inputs).
[[nodiscard]] result<tensor_map, input_error_code> parse_input_pb(std::string_view bytes, const model& m);

/// Parses a NumPy .npy file (format versions 1.0, 2.0 and 3.0) holding the input of a model that has
/// exactly one. dtype: '<f4' (FLOAT), '<f8' (DOUBLE), '|i1', '|u1', '<i2', '<u2', '<i4', '<i8',
/// '|b1' (or with '=' for native order, little-endian on every host Ciro builds for), equal to the
/// model's declared type (save with .astype() to convert); C order only. The header, a Python dict
/// literal with exactly the keys 'descr', 'fortran_order' and 'shape', is parsed strictly and may
/// be at most max_npy_header_bytes long; the data must be exactly num_elements(shape) values.
[[nodiscard]] result<tensor_map, input_error_code> parse_input_npy(std::string_view bytes, const model& m);

/// Reads the file at `path` (at most max_input_file_bytes) and parses it by its extension (.json,
/// .pb, .npy; any case), else by its first bytes: "\x93NUMPY" is .npy, a first non-blank '{' JSON,
/// anything else a TensorProto. Error messages start with "<path>: ".
[[nodiscard]] result<tensor_map, input_error_code> load_input_file(const std::string& path, const model& m);

/// load_input_file for each path, merged: an input given by two files is refused, and so is a model
/// input that none gives; the result is then exactly the model's inputs.
[[nodiscard]] result<tensor_map, input_error_code> load_inputs(const std::vector<std::string>& paths, const model& m);

}  // namespace ciro::zkml
