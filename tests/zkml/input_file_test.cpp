#include "zkml/input_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "tests/support/seed.hpp"
#include "tests/zkml/onnx_builder.hpp"
#include "zkml/reference.hpp"

namespace {

using namespace ciro::zkml;
using ciro::zkml::test::model_builder;

constexpr element_type all_types[] = {element_type::float32, element_type::float64, element_type::int8,
                                      element_type::uint8,   element_type::int16,   element_type::uint16,
                                      element_type::int32,   element_type::int64,   element_type::boolean};

/// A model that only declares inputs (all the parsers read).
model inputs_model(std::vector<value_info> inputs) {
  model m;
  m.inputs = std::move(inputs);
  return m;
}

model one_input(element_type type, shape_t shape, const std::string& name = "x") {
  return inputs_model({{name, type, std::move(shape)}});
}

template <class Result>
void expect_refusal(const Result& r, input_error_code code, const std::string& fragment) {
  ASSERT_FALSE(r) << "accepted; expected: " << fragment;
  EXPECT_EQ(r.error().code, code) << r.error().message;
  EXPECT_NE(r.error().message.find(fragment), std::string::npos)
      << "message: " << r.error().message << "\nexpected fragment: " << fragment;
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << r.error().message;
}

// ---------------------------------------------------------------------------------------------
// Writers of the three formats, for round trips

/// The .npy dtype string of a type ('<f4', '|u1', ...).
std::string npy_descr(element_type t) {
  switch (t) {
    case element_type::float32:
      return "<f4";
    case element_type::float64:
      return "<f8";
    case element_type::int8:
      return "|i1";
    case element_type::uint8:
      return "|u1";
    case element_type::int16:
      return "<i2";
    case element_type::uint16:
      return "<u2";
    case element_type::int32:
      return "<i4";
    case element_type::int64:
      return "<i8";
    case element_type::boolean:
      return "|b1";
  }
  return "?";
}

/// The raw little-endian bytes of a tensor's values (the layout of .npy data and TensorProto raw_data).
std::string raw_bytes(const tensor& t) { return test::to_proto(t, "", true).raw_data(); }

/// "(2, 3)", "(4,)", "()": a shape as numpy writes it.
std::string python_tuple(const shape_t& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

/// A .npy file as numpy writes it: magic, version, header length, the dict padded with blanks and a
/// newline to a multiple of 64 bytes, the data.
std::string npy_file(const std::string& dict, const std::string& data, int major = 1) {
  const std::size_t prefix = major == 1 ? 10 : 12;
  std::string header = dict;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  const auto len = static_cast<std::uint32_t>(header.size());
  for (std::size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((len >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string npy_dict(const std::string& descr, const shape_t& shape, const std::string& fortran = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + python_tuple(shape) + ", }";
}

std::string npy_of(const tensor& t, int major = 1) {
  return npy_file(npy_dict(npy_descr(t.type), t.shape), raw_bytes(t), major);
}

/// The shortest decimal that reads back as v.
std::string number(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string value_text(const tensor& t, std::size_t i) {
  return t.is_integer() ? std::to_string(t.ints[i]) : number(t.data[i]);
}

/// t's values as JSON nested arrays (a bare number for a scalar), with `gap` after every comma.
std::string nested_json(const tensor& t, std::size_t dim = 0, std::size_t offset = 0, const std::string& gap = "") {
  if (dim == t.shape.size()) return value_text(t, offset);
  const std::int64_t stride =
      num_elements(shape_t(t.shape.begin() + static_cast<std::ptrdiff_t>(dim) + 1, t.shape.end()));
  std::string s = "[";
  for (std::int64_t i = 0; i < t.shape[dim]; ++i) {
    s += (i ? "," + gap : "") + nested_json(t, dim + 1, offset + static_cast<std::size_t>(i * stride), gap);
  }
  return s + "]";
}

std::string flat_json(const tensor& t, const std::string& gap = "") {
  std::string s = "{\"shape\":" + gap + "[";
  for (std::size_t i = 0; i < t.shape.size(); ++i) s += (i ? "," + gap : "") + std::to_string(t.shape[i]);
  s += "]," + gap + "\"data\":" + gap + "[";
  for (std::size_t i = 0; i < t.size(); ++i) s += (i ? "," + gap : "") + value_text(t, i);
  return s + "]}";
}

void expect_same(const tensor& got, const tensor& want) {
  EXPECT_EQ(got.type, want.type);
  EXPECT_EQ(got.shape, want.shape);
  EXPECT_EQ(got.ints, want.ints);
  EXPECT_EQ(got.data, want.data);
}

/// A tensor of the given type and shape with random values spanning the type's range (FLOAT values
/// rounded to float32).
tensor random_tensor(ciro::test::seeded_rng& rng, element_type type, const shape_t& shape) {
  const auto n = static_cast<std::size_t>(num_elements(shape));
  if (is_integer_type(type)) {
    const auto [lo, hi] = integer_range(type);
    std::vector<std::int64_t> v(n);
    for (auto& x : v) {
      const auto span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
      const std::uint64_t r = span == UINT64_MAX ? rng.next() : rng.below(span + 1);
      x = static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + r);
    }
    return tensor::integers(shape, std::move(v), type);
  }
  std::vector<double> v(n);
  for (auto& x : v) {
    const double mantissa = static_cast<double>(rng.below(1u << 30)) / (1u << 29) - 1.0;
    x = std::ldexp(mantissa, static_cast<int>(rng.below(80)) - 40);
    if (type == element_type::float32) x = static_cast<float>(x);
  }
  return tensor::floats(shape, std::move(v), type);
}

// ---------------------------------------------------------------------------------------------
// JSON

TEST(InputJson, ReadsFlatDataWithAShape) {
  const model m = one_input(element_type::float64, {2, 3});
  auto r = parse_input_json(R"({"x": {"shape": [2, 3], "data": [1, -2.5, 3e2, 0.125, -0, 1E-3]}})", m);
  ASSERT_TRUE(r) << r.error().message;
  expect_same(r.value().at("x"), tensor::floats({2, 3}, {1, -2.5, 300, 0.125, 0, 0.001}, element_type::float64));
}

TEST(InputJson, ReadsNestedDataWithOrWithoutAShapeAndTheShorthands) {
  const model m = one_input(element_type::float64, {2, 2});
  const tensor want = tensor::floats({2, 2}, {1, 2, 3, 4}, element_type::float64);
  for (const char* text : {R"({"x": {"shape": [2, 2], "data": [[1, 2], [3, 4]]}})",
                           R"({"x": {"data": [[1, 2], [3, 4]], "shape": [2, 2]}})",  // either key first
                           R"({"x": {"data": [[1, 2], [3, 4]]}})", R"({"x": [[1, 2], [3, 4]]})",
                           " \r\n\t{ \"x\" : [ [ 1 , 2 ] ,\n [ 3 , 4 ] ] } \n"}) {
    SCOPED_TRACE(text);
    auto r = parse_input_json(text, m);
    ASSERT_TRUE(r) << r.error().message;
    expect_same(r.value().at("x"), want);
  }
  auto scalar = parse_input_json(R"({"s": 2.5})", one_input(element_type::float64, {}, "s"));
  ASSERT_TRUE(scalar) << scalar.error().message;
  expect_same(scalar.value().at("s"), tensor::floats({}, {2.5}, element_type::float64));
  auto flat_scalar =
      parse_input_json(R"({"s": {"shape": [], "data": [2.5]}})", one_input(element_type::float64, {}, "s"));
  ASSERT_TRUE(flat_scalar) << flat_scalar.error().message;
  expect_same(flat_scalar.value().at("s"), tensor::floats({}, {2.5}, element_type::float64));
}

TEST(InputJson, RoundsFloatInputsToFloat32AndKeepsDoubleInputs) {
  auto f =
      parse_input_json(R"({"x": [0.1, 3.4028235e38, -3.4028235e38, 1e-50]})", one_input(element_type::float32, {4}));
  ASSERT_TRUE(f) << f.error().message;
  const double largest = std::numeric_limits<float>::max();
  EXPECT_EQ(f.value().at("x").data, (std::vector<double>{static_cast<float>(0.1), largest, -largest, 0.0}));
  auto d = parse_input_json(R"({"x": [0.1, 1e300, 1e-400, 4.9e-324]})", one_input(element_type::float64, {4}));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d.value().at("x").data, (std::vector<double>{0.1, 1e300, 0.0, 4.9e-324}));
}

TEST(InputJson, ReadsEveryIntegerTypeToTheEdgesOfItsRange) {
  const model m = inputs_model({{"a", element_type::int8, {2}},
                                {"b", element_type::uint8, {2}},
                                {"c", element_type::int16, {2}},
                                {"d", element_type::uint16, {2}},
                                {"e", element_type::int32, {2}},
                                {"f", element_type::int64, {3}},
                                {"g", element_type::boolean, {4}}});
  auto r = parse_input_json(R"({"a": [-128, 127], "b": [0, 255], "c": [-32768, 32767], "d": [0, 65535],
                                "e": [-2147483648, 2147483647],
                                "f": [-9223372036854775808, 9223372036854775807, 1e2],
                                "g": [true, false, 1, 0]})",
                            m);
  ASSERT_TRUE(r) << r.error().message;
  const auto& t = r.value();
  expect_same(t.at("a"), tensor::integers({2}, {-128, 127}, element_type::int8));
  expect_same(t.at("b"), tensor::integers({2}, {0, 255}, element_type::uint8));
  expect_same(t.at("c"), tensor::integers({2}, {-32768, 32767}, element_type::int16));
  expect_same(t.at("d"), tensor::integers({2}, {0, 65535}, element_type::uint16));
  expect_same(t.at("e"), tensor::integers({2}, {INT32_MIN, INT32_MAX}, element_type::int32));
  expect_same(t.at("f"), tensor::integers({3}, {INT64_MIN, INT64_MAX, 100}, element_type::int64));
  expect_same(t.at("g"), tensor::integers({4}, {1, 0, 1, 0}, element_type::boolean));
}

TEST(InputJson, ReadsEmptyTensorsEscapedNamesAndFreeDimensions) {
  auto empty =
      parse_input_json(R"({"x": {"shape": [2, 0], "data": []}, "y": [[], []]})",
                       inputs_model({{"x", element_type::float32, {2, 0}}, {"y", element_type::int64, {2, 0}}}));
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_EQ(empty.value().at("x").shape, (shape_t{2, 0}));
  EXPECT_EQ(empty.value().at("y").shape, (shape_t{2, 0}));
  auto escaped = parse_input_json(R"({"in\"\u00e9\ud83d\ude00/\n": [1]})",
                                  one_input(element_type::int64, {1}, "in\"\xc3\xa9\xf0\x9f\x98\x80/\n"));
  ASSERT_TRUE(escaped) << escaped.error().message;
  auto free = parse_input_json(R"({"x": [[1, 2, 3], [4, 5, 6]]})", one_input(element_type::float32, {-1, 3}));
  ASSERT_TRUE(free) << free.error().message;
  EXPECT_EQ(free.value().at("x").shape, (shape_t{2, 3}));
  auto none = parse_input_json("{}", model{});
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_TRUE(none.value().empty());
}

TEST(InputJson, RefusesMalformedJsonNamingLineAndColumn) {
  const model m = one_input(element_type::float32, {2});
  const std::pair<const char*, const char*> cases[] = {
      {"", "line 1, column 1: unexpected end of text"},
      {"[1, 2]", "line 1, column 1: expected '{' (an object of inputs by name)"},
      {"{\n  \"x\": [1, 2]\n  \"y\": [3]\n}", "line 3, column 3: expected ',' or '}'"},
      {R"({"x": [1 2]})", "line 1, column 10: expected ',' or ']'"},
      {R"({"x": [1, 2],})", "line 1, column 14: expected '\"' (an input name)"},
      {R"({"x": [1, 2,]})", "line 1, column 13: expected a number or '['"},
      {R"({"x": [1, 2]} x)", "line 1, column 15: unexpected text after the object"},
      {R"({"x" [1, 2]})", "line 1, column 6: expected ':'"},
      {R"({x: [1, 2]})", "expected '\"' (an input name)"},
      {R"({'x': [1, 2]})", "expected '\"' (an input name)"},
      {R"({"x": [1, null]})", "unexpected 'null' (expected a number)"},
      {R"({"x": [1, "2"]})", "expected a number or '['"},
      {R"({"x": [1, 01]})", "line 1, column 11: malformed number"},
      {R"({"x": [1, +1]})", "expected a number or '['"},
      {R"({"x": [1, .5]})", "expected a number or '['"},
      {R"({"x": [1, 1.]})", "expected a digit"},
      {R"({"x": [1, 1e]})", "expected a digit"},
      {R"({"x": [1, -]})", "expected a digit"},
      {R"({"x": [1, 2] /* c */})", "expected ',' or '}'"},
      {"{\"x\t\": [1, 2]}", "control character in a string"},
      {R"({"\q": [1, 2]})", "invalid escape in a string"},
      {R"({"\u12": [1, 2]})", "expected 4 hex digits after \\u"},
      {R"({"\ud800": [1, 2]})", "lone high surrogate"},
      {R"({"\udc00": [1, 2]})", "lone low surrogate"},
      {R"({"x": {"shape": [2]}})", "input 'x': no \"data\""},
      {R"({"x": {}})", "input 'x': expected \"data\""},
      {R"({"x": {"data": [1, 2], "dtype": "float32"}})",
       "input 'x': unexpected key \"dtype\" (expected \"shape\" or \"data\")"},
      {R"({"x": {"data": [1, 2], "data": [1, 2]}})", "input 'x': \"data\" is given twice"},
      {R"({"x": {"shape": 2, "data": [1, 2]}})", "input 'x': 'shape' must be an array of integers"},
  };
  for (const auto& [text, fragment] : cases) {
    SCOPED_TRACE(text);
    expect_refusal(parse_input_json(text, m), input_error_code::malformed, fragment);
  }
}

TEST(InputJson, RefusesEveryTruncation) {
  const model m = inputs_model({{"x", element_type::float32, {2, 2}}, {"n", element_type::int8, {}}});
  const std::string text = R"({"x": {"shape": [2, 2], "data": [[1.5, -2], [3e1, 4]]}, "n": -7})";
  ASSERT_TRUE(parse_input_json(text, m));
  for (std::size_t cut = 0; cut < text.size(); ++cut) {
    auto r = parse_input_json(text.substr(0, cut), m);
    ASSERT_FALSE(r) << "accepted the first " << cut << " bytes";
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
  }
}

TEST(InputJson, RefusesUnknownMissingAndRepeatedInputs) {
  const model m = inputs_model({{"x", element_type::float32, {1}}, {"y", element_type::float32, {1}}});
  expect_refusal(parse_input_json(R"({"x": [1], "y": [2], "z": [3]})", m), input_error_code::unknown_input,
                 "line 1, column 22: 'z' is not an input of the model (its inputs: 'x', 'y')");
  expect_refusal(parse_input_json(R"({"x": [1]})", m), input_error_code::missing_input, "input 'y' is not given");
  expect_refusal(parse_input_json(R"({"x": [1], "y": [2], "x": [3]})", m), input_error_code::duplicate_input,
                 "line 1, column 22: input 'x' is given twice");
}

TEST(InputJson, RefusesNanInfinityAndValuesOutsideTheType) {
  const model f = one_input(element_type::float32, {1});
  for (const char* word : {"NaN", "nan", "Infinity", "-Infinity", "inf", "-inf"}) {
    expect_refusal(parse_input_json(std::string(R"({"x": [)") + word + "]}", f), input_error_code::bad_value,
                   "line 1, column 8: input 'x': '" + std::string(word) +
                       "' is refused (NaN and infinities are not JSON numbers)");
  }
  expect_refusal(parse_input_json(R"({"x": [3.5e38]})", f), input_error_code::bad_value,
                 "input 'x': 3.5e38 is outside FLOAT's range");
  expect_refusal(parse_input_json(R"({"x": [true]})", f), input_error_code::bad_value,
                 "input 'x': true is not a number (the input is FLOAT)");
  expect_refusal(parse_input_json(R"({"x": [-1e400]})", one_input(element_type::float64, {1})),
                 input_error_code::bad_value, "input 'x': -1e400 is outside DOUBLE's range");
  const std::tuple<element_type, const char*, const char*> ints[] = {
      {element_type::int8, "128", "128 is outside INT8's range [-128, 127]"},
      {element_type::int8, "-129", "-129 is outside INT8's range [-128, 127]"},
      {element_type::uint8, "-1", "-1 is outside UINT8's range [0, 255]"},
      {element_type::int16, "32768", "32768 is outside INT16's range"},
      {element_type::uint16, "65536", "65536 is outside UINT16's range"},
      {element_type::int32, "2147483648", "2147483648 is outside INT32's range"},
      {element_type::int64, "9223372036854775808", "9223372036854775808 is outside INT64's range"},
      {element_type::int64, "-9223372036854775809", "-9223372036854775809 is outside INT64's range"},
      {element_type::boolean, "2", "2 is outside BOOL's range [0, 1]"},
      {element_type::int32, "1.5", "1.5 is not an integer (the input is INT32"},
      {element_type::int64, "1e300", "1e300 is not an integer"},
      {element_type::int64, "1e-400", "1e-400 is not an integer"},
      {element_type::int32, "1e10", "1e10 is outside INT32's range"},
  };
  for (const auto& [type, text, fragment] : ints) {
    SCOPED_TRACE(text);
    expect_refusal(parse_input_json(std::string(R"({"x": [)") + text + "]}", one_input(type, {1})),
                   input_error_code::bad_value, fragment);
  }
}

TEST(InputJson, RefusesShapesOtherThanTheModels) {
  expect_refusal(
      parse_input_json(R"({"x": {"shape": [1, 3], "data": [1, 2, 3]}})", one_input(element_type::float32, {1, 784})),
      input_error_code::shape_mismatch, "input 'x': shape [1, 3] does not match the model's [1, 784]");
  expect_refusal(parse_input_json(R"({"x": [[1, 2, 3]]})", one_input(element_type::float32, {-1, 4})),
                 input_error_code::shape_mismatch, "input 'x': shape [1, 3] does not match the model's [?, 4]");
  expect_refusal(parse_input_json(R"({"x": [1, 2, 3]})", one_input(element_type::float32, {1, 3})),
                 input_error_code::shape_mismatch, "input 'x': shape [3] does not match the model's [1, 3]");
  const model m = one_input(element_type::float32, {2, 3});
  expect_refusal(parse_input_json(R"({"x": {"shape": [2, 3], "data": [1, 2, 3, 4, 5]}})", m),
                 input_error_code::shape_mismatch, "input 'x': \"data\" holds 5 values, shape [2, 3] needs 6");
  expect_refusal(parse_input_json(R"({"x": {"shape": [2, 3], "data": [[1, 2], [3, 4], [5, 6]]}})", m),
                 input_error_code::shape_mismatch, "input 'x': \"data\" is nested as [3, 2], not as \"shape\" [2, 3]");
  expect_refusal(parse_input_json(R"({"x": {"shape": [2, -3], "data": []}})", m), input_error_code::shape_mismatch,
                 "'shape' has the invalid dimension -3");
  expect_refusal(parse_input_json(R"({"x": {"shape": [2, 3.0], "data": []}})", m), input_error_code::shape_mismatch,
                 "'shape' has the invalid dimension 3.0");
  expect_refusal(parse_input_json(R"({"x": {"shape": [65536, 65536, 65536], "data": []}})", m),
                 input_error_code::malformed,
                 "input 'x': shape [65536, 65536, 65536] has more than 268435456 elements");
  std::string many = R"({"x": {"shape": [)";
  for (int i = 0; i < 65; ++i) many += i ? ",1" : "1";
  expect_refusal(parse_input_json(many + "], \"data\": [1]}}", m), input_error_code::malformed,
                 "'shape' has more than 64 dimensions");
}

TEST(InputJson, RefusesNonRectangularNesting) {
  const model m = one_input(element_type::float32, {-1, -1});
  expect_refusal(parse_input_json(R"({"x": [[1, 2], [3]]})", m), input_error_code::shape_mismatch,
                 "line 1, column 18: input 'x': an array of 1 where the first at its level has 2 (not rectangular)");
  expect_refusal(parse_input_json(R"({"x": [[1, 2], 3]})", m), input_error_code::shape_mismatch,
                 "input 'x': a number where the other rows have arrays (not rectangular)");
  expect_refusal(parse_input_json(R"({"x": [1, [2, 3]]})", m), input_error_code::shape_mismatch,
                 "input 'x': an array where the other rows have numbers (not rectangular)");
  expect_refusal(parse_input_json(R"({"x": [[[]], [1]]})", m), input_error_code::shape_mismatch,
                 "input 'x': a number where the other rows have arrays (not rectangular)");
  expect_refusal(parse_input_json(R"({"x": [[], [[1]]]})", m), input_error_code::shape_mismatch,
                 "input 'x': an array of 1 where the first at its level has 0 (not rectangular)");
}

TEST(InputJson, BoundsTheNestingDepth) {
  // 64 levels in all: the document, the input's object, 62 arrays.
  const model m = one_input(element_type::float32, shape_t(62, 1));
  const std::string deepest = R"({"x": {"data": )" + std::string(62, '[') + "1" + std::string(62, ']') + "}}";
  EXPECT_TRUE(parse_input_json(deepest, m));
  const std::string deeper = R"({"x": {"data": )" + std::string(63, '[') + "1" + std::string(63, ']') + "}}";
  expect_refusal(parse_input_json(deeper, m), input_error_code::malformed,
                 "line 1, column 78: nesting deeper than 64 levels");
  // A hostile depth is refused without recursing into it.
  expect_refusal(parse_input_json(R"({"x": )" + std::string(1 << 20, '['), m), input_error_code::malformed,
                 "nesting deeper than 64 levels");
}

// ---------------------------------------------------------------------------------------------
// .npy

TEST(InputNpy, ReadsEveryDtypeAndFormatVersion) {
  ciro::test::seeded_rng rng;
  for (element_type type : all_types) {
    for (int major : {1, 2, 3}) {
      SCOPED_TRACE(std::string(element_type_name(type)) + " v" + std::to_string(major));
      const tensor t = random_tensor(rng, type, {2, 3});
      auto r = parse_input_npy(npy_of(t, major), one_input(type, {2, 3}));
      ASSERT_TRUE(r) << r.error().message;
      expect_same(r.value().at("x"), t);
    }
  }
}

TEST(InputNpy, ReadsNativeOrderScalarsAndAnyKeyOrder) {
  const tensor t = tensor::integers({3}, {-5, 0, 70000}, element_type::int32);
  auto native = parse_input_npy(npy_file(npy_dict("=i4", {3}), raw_bytes(t)), one_input(element_type::int32, {3}));
  ASSERT_TRUE(native) << native.error().message;
  expect_same(native.value().at("x"), t);
  const tensor s = tensor::floats({}, {0.25}, element_type::float64);
  auto scalar = parse_input_npy(npy_file(npy_dict("<f8", {}), raw_bytes(s)), one_input(element_type::float64, {}));
  ASSERT_TRUE(scalar) << scalar.error().message;
  expect_same(scalar.value().at("x"), s);
  auto reordered = parse_input_npy(npy_file(R"({"shape": (3,), "fortran_order": False, "descr": "<i4"})", raw_bytes(t)),
                                   one_input(element_type::int32, {3}));
  ASSERT_TRUE(reordered) << reordered.error().message;
  expect_same(reordered.value().at("x"), t);
}

TEST(InputNpy, RefusesBadMagicVersionAndEveryTruncation) {
  const model m = one_input(element_type::float32, {2, 2});
  const std::string good = npy_of(tensor::floats({2, 2}, {1, 2, 3, 4}));
  ASSERT_TRUE(parse_input_npy(good, m));
  std::string magic = good;
  magic[1] = 'M';
  expect_refusal(parse_input_npy(magic, m), input_error_code::malformed, "not a .npy file (no \\x93NUMPY magic)");
  expect_refusal(parse_input_npy("{\"x\": [1]}", m), input_error_code::malformed, "no \\x93NUMPY magic");
  std::string version = good;
  version[6] = 4;
  expect_refusal(parse_input_npy(version, m), input_error_code::unsupported_type,
                 ".npy format version 4.0 is not supported (1.0 to 3.0)");
  version[6] = 1;
  version[7] = 1;
  expect_refusal(parse_input_npy(version, m), input_error_code::unsupported_type, ".npy format version 1.1");
  for (std::size_t cut = 0; cut < good.size(); ++cut) {
    auto r = parse_input_npy(good.substr(0, cut), m);
    ASSERT_FALSE(r) << "accepted the first " << cut << " bytes";
    EXPECT_EQ(r.error().code, input_error_code::malformed) << r.error().message;
  }
  expect_refusal(parse_input_npy(good.substr(0, 7), m), input_error_code::malformed,
                 "truncated .npy file (no format version)");
  expect_refusal(parse_input_npy(good.substr(0, 9), m), input_error_code::malformed,
                 "truncated .npy file (no header length)");
  expect_refusal(parse_input_npy(good.substr(0, 40), m), input_error_code::malformed,
                 "truncated .npy header (30 of 118 bytes)");
  expect_refusal(parse_input_npy(good.substr(0, good.size() - 1), m), input_error_code::malformed,
                 "the .npy data holds 15 bytes, not shape [2, 2] of '<f4'");
  expect_refusal(parse_input_npy(good + "x", m), input_error_code::malformed,
                 "the .npy data holds 17 bytes, not shape [2, 2] of '<f4'");
}

TEST(InputNpy, RefusesMalformedHeaders) {
  const model m = one_input(element_type::float32, {2});
  const std::string data = raw_bytes(tensor::floats({2}, {1, 2}));
  const std::pair<std::string, std::string> cases[] = {
      {"{'descr': '<f4', 'fortran_order': False}", "no 'shape'"},
      {"{'descr': '<f4', 'shape': (2,)}", "no 'fortran_order'"},
      {"{'fortran_order': False, 'shape': (2,)}", "no 'descr'"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", "'descr' is given twice"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", "unexpected key 'extra'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", "'shape' (n) is not a tuple; write (n,)"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", "expected '('"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", "'shape' is not a tuple of integers"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2 2)}", "expected ',' or ')' in 'shape'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", "dimension too large"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", "'fortran_order' is not True or False"},
      {"{'descr': '<f4', 'fortran_order': Falsey, 'shape': (2,)}", "'fortran_order' is not True or False"},
      {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}", "'descr' is not a simple dtype string"},
      {"{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}", "expected ',' or '}'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", "unexpected text after the dict"},
      {"{'descr': '<f\\4', 'fortran_order': False, 'shape': (2,)}", "unexpected character in a string"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", "expected ',' or '}'"},
      {"{descr: '<f4'}", "expected a quoted key"},
      {"", "expected '{'"},
  };
  for (const auto& [dict, fragment] : cases) {
    SCOPED_TRACE(dict);
    expect_refusal(parse_input_npy(npy_file(dict, data), m), input_error_code::malformed,
                   "malformed .npy header: " + fragment);
  }
  // A header longer than the bound is refused before it is read.
  std::string huge("\x93NUMPY\x02\x00", 8);
  huge += std::string("\x11\x27\x00\x00", 4);  // 10001
  expect_refusal(parse_input_npy(huge + std::string(10001, ' '), m), input_error_code::malformed,
                 ".npy header of 10001 bytes (the limit is 10000)");
}

TEST(InputNpy, RefusesUnsupportedDtypesFortranOrderAndMismatches) {
  const model m = one_input(element_type::float32, {2});
  const std::string data = raw_bytes(tensor::floats({2}, {1, 2}));
  expect_refusal(parse_input_npy(npy_file(npy_dict(">f4", {2}), data), m), input_error_code::unsupported_type,
                 "dtype '>f4': big-endian data is not supported");
  for (const char* descr : {"<u4", "<f2", "<c8", "|S4", "<f4x", "|f4", "O"}) {
    expect_refusal(
        parse_input_npy(npy_file(npy_dict(descr, {2}), data), m), input_error_code::unsupported_type,
        "dtype '" + std::string(descr) + "' is not supported (Ciro reads <f4 <f8 |i1 |u1 <i2 <u2 <i4 <i8 |b1)");
  }
  expect_refusal(parse_input_npy(npy_file(npy_dict("<f4", {2}, "True"), data), m), input_error_code::unsupported_type,
                 "Fortran-order arrays are not supported");
  expect_refusal(parse_input_npy(npy_of(tensor::floats({2}, {1, 2}, element_type::float64)), m),
                 input_error_code::type_mismatch,
                 "input 'x': the .npy dtype '<f8' (DOUBLE) does not match the model's FLOAT (convert with .astype())");
  expect_refusal(parse_input_npy(npy_of(tensor::floats({1, 2}, {1, 2})), m), input_error_code::shape_mismatch,
                 "input 'x': shape [1, 2] does not match the model's [2]");
  expect_refusal(parse_input_npy(npy_of(tensor::floats({2}, {1, std::nan("")})), m), input_error_code::bad_value,
                 "input 'x': NaN or infinite value at index 1");
  expect_refusal(parse_input_npy(npy_of(tensor::floats({2}, {-INFINITY, 0})), m), input_error_code::bad_value,
                 "input 'x': NaN or infinite value at index 0");
  expect_refusal(parse_input_npy(npy_file(npy_dict("|b1", {2}), std::string("\x01\x02", 2)),
                                 one_input(element_type::boolean, {2})),
                 input_error_code::bad_value, "input 'x': value 2 at index 1 is outside BOOL's range");
}

TEST(InputNpy, RefusesModelsWithoutExactlyOneInput) {
  const std::string file = npy_of(tensor::floats({2}, {1, 2}));
  expect_refusal(
      parse_input_npy(file, inputs_model({{"x", element_type::float32, {2}}, {"y", element_type::float32, {2}}})),
      input_error_code::missing_input, "a .npy file holds one tensor; the model has 2 inputs");
  expect_refusal(parse_input_npy(file, model{}), input_error_code::unknown_input,
                 "a .npy file holds one tensor; the model has 0 inputs");
}

// ---------------------------------------------------------------------------------------------
// TensorProto

TEST(InputPb, ReadsEveryTypeFromRawAndTypedFields) {
  ciro::test::seeded_rng rng;
  for (element_type type : all_types) {
    for (bool raw : {true, false}) {
      SCOPED_TRACE(std::string(element_type_name(type)) + (raw ? " raw" : " typed"));
      const tensor t = random_tensor(rng, type, {3, 2});
      auto r = parse_input_pb(test::to_proto(t, "x", raw).SerializeAsString(), one_input(type, {3, 2}));
      ASSERT_TRUE(r) << r.error().message;
      expect_same(r.value().at("x"), t);
    }
  }
}

TEST(InputPb, SelectsTheInputByNameOrTheOnlyInput) {
  const model two = inputs_model({{"x", element_type::float32, {2}}, {"y", element_type::int64, {1}}});
  auto y = parse_input_pb(test::to_proto(tensor::integers({1}, {7}), "y", true).SerializeAsString(), two);
  ASSERT_TRUE(y) << y.error().message;
  ASSERT_EQ(y.value().size(), 1u);
  EXPECT_EQ(y.value().at("y").ints, (std::vector<std::int64_t>{7}));
  const tensor t = tensor::floats({2}, {1, 2});
  auto unnamed = parse_input_pb(test::to_proto(t, "", true).SerializeAsString(), one_input(element_type::float32, {2}));
  ASSERT_TRUE(unnamed) << unnamed.error().message;
  expect_same(unnamed.value().at("x"), t);
  expect_refusal(parse_input_pb(test::to_proto(t, "", true).SerializeAsString(), two), input_error_code::unknown_input,
                 "the tensor has no name and the model has 2 inputs (name it after one: 'x', 'y')");
  expect_refusal(parse_input_pb(test::to_proto(t, "z", true).SerializeAsString(), two), input_error_code::unknown_input,
                 "tensor 'z' is not an input of the model (its inputs: 'x', 'y')");
}

TEST(InputPb, RefusesMalformedTensorsAndMismatches) {
  const model m = one_input(element_type::float32, {2});
  const std::string good = test::to_proto(tensor::floats({2}, {1, 2}), "x", true).SerializeAsString();
  expect_refusal(parse_input_pb(good.substr(0, good.size() - 1), m), input_error_code::malformed,
                 "malformed or truncated tensor (not a TensorProto)");
  expect_refusal(parse_input_pb("\xff\xff\xff", m), input_error_code::malformed, "not a TensorProto");
  auto short_raw = test::to_proto(tensor::floats({2}, {1, 2}), "x", true);
  short_raw.add_dims(2);
  expect_refusal(parse_input_pb(short_raw.SerializeAsString(), m), input_error_code::malformed,
                 "tensor 'x': raw_data holds 8 bytes for shape [2, 2] of FLOAT");
  auto external = test::to_proto(tensor::floats({2}, {1, 2}), "x", true);
  external.set_data_location(onnx::TensorProto_DataLocation_EXTERNAL);
  expect_refusal(parse_input_pb(external.SerializeAsString(), m), input_error_code::unsupported_type,
                 "tensor data stored externally is not supported");
  auto half = test::to_proto(tensor::floats({2}, {1, 2}), "x", true);
  half.set_data_type(onnx::TensorProto_DataType_FLOAT16);
  expect_refusal(parse_input_pb(half.SerializeAsString(), m), input_error_code::unsupported_type,
                 "tensor 'x': element type FLOAT16 is not supported");
  expect_refusal(
      parse_input_pb(test::to_proto(tensor::floats({2}, {1, 2}, element_type::float64), "x", true).SerializeAsString(),
                     m),
      input_error_code::type_mismatch, "input 'x': element type DOUBLE does not match the model's FLOAT");
  expect_refusal(parse_input_pb(test::to_proto(tensor::floats({1, 2}, {1, 2}), "x", false).SerializeAsString(), m),
                 input_error_code::shape_mismatch, "input 'x': shape [1, 2] does not match the model's [2]");
  expect_refusal(parse_input_pb(test::to_proto(tensor::floats({2}, {1, INFINITY}), "x", false).SerializeAsString(), m),
                 input_error_code::bad_value, "input 'x': NaN or infinite value at index 1");
}

// ---------------------------------------------------------------------------------------------
// Files

class InputFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("ciro_input_file_test_" + std::to_string(::getpid()) + "_" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(InputFiles, DispatchOnTheExtensionElseOnTheContent) {
  const model m = one_input(element_type::float32, {2});
  const tensor t = tensor::floats({2}, {0.5, -1});
  const std::string json = R"({"x": [0.5, -1]})";
  const std::string npy = npy_of(t);
  const std::string pb = test::to_proto(t, "x", true).SerializeAsString();
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{{"in.json", json},
                                                                                    {"in.JSON", json},
                                                                                    {"in.npy", npy},
                                                                                    {"in.Npy", npy},
                                                                                    {"in.pb", pb},
                                                                                    {"json.bin", "\n  " + json},
                                                                                    {"npy.bin", npy},
                                                                                    {"pb.bin", pb},
                                                                                    {"pb", pb}}) {
    SCOPED_TRACE(name);
    auto r = load_input_file(write(name, bytes), m);
    ASSERT_TRUE(r) << r.error().message;
    expect_same(r.value().at("x"), t);
  }
  // The extension wins over the content, and every message names the file.
  const std::string wrong = write("in.npy", json);
  expect_refusal(load_input_file(wrong, m), input_error_code::malformed, wrong + ": not a .npy file");
  const std::string bad = write("bad.json", "{\"x\": [0.5,\n NaN]}");
  expect_refusal(load_input_file(bad, m), input_error_code::bad_value,
                 bad + ": line 2, column 2: input 'x': 'NaN' is refused");
}

TEST_F(InputFiles, RefusesMissingFilesAndDirectories) {
  const model m = one_input(element_type::float32, {2});
  const std::string missing = (dir_ / "absent.json").string();
  expect_refusal(load_input_file(missing, m), input_error_code::io_error, "cannot open '" + missing + "'");
  const std::string dir = dir_.string();
  expect_refusal(load_input_file(dir, m), input_error_code::io_error,
                 std::string("'").append(dir) + "' is a directory");
}

TEST_F(InputFiles, RefusesFilesLargerThanTheBoundBeforeReadingThem) {
  const std::string big = write("big.json", "{}");
  std::filesystem::resize_file(big, max_input_file_bytes + 1);  // sparse: nothing is written
  expect_refusal(load_input_file(big, model{}), input_error_code::io_error, "'" + big + "' is larger than 1024 MiB");
}

TEST_F(InputFiles, MergeOneTensorPerFileAndRefuseRepeatsAndGaps) {
  const model m = inputs_model({{"x", element_type::float32, {2}}, {"y", element_type::int64, {1}}});
  const std::string x = write("x.pb", test::to_proto(tensor::floats({2}, {1, 2}), "x", true).SerializeAsString());
  const std::string y = write("y.pb", test::to_proto(tensor::integers({1}, {3}), "y", false).SerializeAsString());
  auto both = load_inputs({x, y}, m);
  ASSERT_TRUE(both) << both.error().message;
  EXPECT_EQ(both.value().size(), 2u);
  EXPECT_EQ(both.value().at("y").ints, (std::vector<std::int64_t>{3}));
  const std::string x2 = write("x2.pb", test::to_proto(tensor::floats({2}, {3, 4}), "x", true).SerializeAsString());
  expect_refusal(load_inputs({x, y, x2}, m), input_error_code::duplicate_input,
                 "input 'x' is given by both '" + x + "' and '" + x2 + "'");
  expect_refusal(load_inputs({x}, m), input_error_code::missing_input, "input 'y' is not given");
  const std::string all = write("all.json", R"({"x": [1, 2], "y": [3]})");
  EXPECT_TRUE(load_inputs({all}, m));
}

// ---------------------------------------------------------------------------------------------
// Random round trips through every format, into the reference inference

TEST(InputFile, RandomRoundTripsThroughEveryFormatIntoTheReference) {
  ciro::test::seeded_rng rng;
  for (int trial = 0; trial < 200; ++trial) {
    const element_type type = all_types[rng.below(std::size(all_types))];
    shape_t shape(rng.below(5));
    for (auto& d : shape) d = static_cast<std::int64_t>(rng.below(5));
    const tensor t = random_tensor(rng, type, shape);
    SCOPED_TRACE("trial " + std::to_string(trial) + ": " + element_type_name(type) + " " + shape_string(shape));
    // A one-node model (Identity) with this input, loaded through ONNX.
    model_builder b;
    b.input("in", shape, type).output("out", type);
    b.node("Identity", {"in"}, {"out"});
    auto m = parse_model(b.bytes());
    ASSERT_TRUE(m) << m.error().message;
    const std::string gap = rng.below(2) ? " " : "";
    std::vector<std::pair<std::string, ciro::result<tensor_map, input_error_code>>> parsed;
    parsed.emplace_back("flat json", parse_input_json("{\"in\":" + gap + flat_json(t, gap) + "}", m.value()));
    // Nested arrays spell a shape only up to its first 0 (then the arrays are empty).
    const auto first_zero = std::find(shape.begin(), shape.end(), 0);
    if (first_zero == shape.end() || first_zero + 1 == shape.end()) {
      parsed.emplace_back("nested json", parse_input_json("{\"in\": " + nested_json(t, 0, 0, gap) + "}", m.value()));
    }
    parsed.emplace_back("npy", parse_input_npy(npy_of(t, 1 + static_cast<int>(rng.below(3))), m.value()));
    parsed.emplace_back(
        "pb", parse_input_pb(test::to_proto(t, rng.below(2) ? "in" : "", rng.below(2)).SerializeAsString(), m.value()));
    for (const auto& [format, r] : parsed) {
      SCOPED_TRACE(format);
      ASSERT_TRUE(r) << r.error().message;
      expect_same(r.value().at("in"), t);
      auto y = run_reference(m.value(), r.value());
      ASSERT_TRUE(y) << y.error().message;
      expect_same(y.value().at("out"), t);
    }
  }
}

}  // namespace
