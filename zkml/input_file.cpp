#include "zkml/input_file.hpp"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <system_error>

#include "zkml/detail.hpp"
#include "zkml/little_endian.hpp"

namespace ciro::zkml {

namespace {

static_assert(std::endian::native == std::endian::little, "the .npy reader assumes a little-endian host");

/// Internal: thrown inside this file only, turned into a result at the public entry points.
struct input_failure {
  input_error_code code;
  std::string message;
};

[[noreturn]] void fail(input_error_code code, std::string message) { throw input_failure{code, std::move(message)}; }

std::string input_label(std::string_view name) { return "input '" + detail::printable(name) + "'"; }

const value_info* find_input(const model& m, std::string_view name) {
  for (const auto& v : m.inputs) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

/// "'x', 'y'" (or "none"), for messages.
std::string input_names(const model& m) {
  std::string s;
  for (const auto& v : m.inputs) s += (s.empty() ? "'" : ", '") + detail::printable(v.name) + "'";
  return s.empty() ? "none" : s;
}

/// A declared shape with '?' for its free (negative) dimensions.
std::string declared_shape_string(const shape_t& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    s += i ? ", " : "";
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return s + "]";
}

/// prod_i shape[i], or nullopt when it exceeds `bound`. Precondition: every dimension is >= 0.
std::optional<std::uint64_t> bounded_elements(const shape_t& shape, std::uint64_t bound) {
  std::uint64_t n = 1;
  for (std::int64_t d : shape) {
    if (d == 0) return 0;
  }
  for (std::int64_t d : shape) {
    if (static_cast<std::uint64_t>(d) > bound / n) return std::nullopt;
    n *= static_cast<std::uint64_t>(d);
  }
  return n;
}

/// Checks the element type, the shape (a negative declared dimension takes any size) and the
/// values (finite; integers inside the type's range) of a tensor read for the input `v`.
void check_input(const value_info& v, const tensor& t) {
  const std::string what = input_label(v.name);
  if (t.type != v.type) {
    fail(input_error_code::type_mismatch, what + ": element type " + element_type_name(t.type) +
                                              " does not match the model's " + element_type_name(v.type));
  }
  bool fits = t.shape.size() == v.shape.size();
  for (std::size_t i = 0; fits && i < t.shape.size(); ++i) fits = v.shape[i] < 0 || v.shape[i] == t.shape[i];
  if (!fits) {
    fail(input_error_code::shape_mismatch,
         what + ": shape " + shape_string(t.shape) + " does not match the model's " + declared_shape_string(v.shape));
  }
  for (std::size_t i = 0; i < t.data.size(); ++i) {
    if (!std::isfinite(t.data[i])) {
      fail(input_error_code::bad_value, what + ": NaN or infinite value at index " + std::to_string(i));
    }
  }
  if (t.is_integer()) {
    const auto [lo, hi] = integer_range(t.type);
    for (std::size_t i = 0; i < t.ints.size(); ++i) {
      if (t.ints[i] < lo || t.ints[i] > hi) {
        fail(input_error_code::bad_value, what + ": value " + std::to_string(t.ints[i]) + " at index " +
                                              std::to_string(i) + " is outside " + element_type_name(t.type) +
                                              "'s range");
      }
    }
  }
}

/// v rounded to float32 as a C++ cast rounds it (to nearest, ties to even), or nullopt when that is
/// infinite. The largest float32 is (2^24 - 1) 2^104; values below it plus half its ulp (2^103)
/// round to it, the halfway value itself to infinity (ties to even: its significand is odd).
std::optional<double> to_float32(double v) {
  constexpr double largest = std::numeric_limits<float>::max();
  if (!(std::fabs(v) < largest + 0x1p103)) return std::nullopt;
  if (std::fabs(v) > largest) return std::copysign(largest, v);
  return static_cast<double>(static_cast<float>(v));
}

// ---------------------------------------------------------------------------------------------
// JSON

/// A recursive-descent reader of the strict JSON grammar (RFC 8259) specialised to the input
/// document: the values of each input are converted to its element type as they are read, so no
/// document tree is built.
class json_reader {
 public:
  json_reader(std::string_view text, const model& m) : text_(text), model_(m) {}

  tensor_map read() {
    skip_ws();
    if (peek() != '{') fail_here(input_error_code::malformed, "expected '{' (an object of inputs by name)");
    ++pos_;
    tensor_map out;
    skip_ws();
    if (peek() == '}') {
      ++pos_;
    } else {
      while (true) {
        skip_ws();
        if (peek() != '"') fail_here(input_error_code::malformed, "expected '\"' (an input name)");
        const std::size_t key_at = pos_;
        const std::string name = read_string();
        if (out.count(name)) fail_at(key_at, input_error_code::duplicate_input, input_label(name) + " is given twice");
        const value_info* v = find_input(model_, name);
        if (!v) {
          fail_at(key_at, input_error_code::unknown_input,
                  "'" + detail::printable(name) + "' is not an input of the model (its inputs: " + input_names(model_) +
                      ")");
        }
        skip_ws();
        expect(':');
        skip_ws();
        out.emplace(name, read_input(*v));
        skip_ws();
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        if (peek() == '}') {
          ++pos_;
          break;
        }
        fail_here(input_error_code::malformed, "expected ',' or '}'");
      }
    }
    skip_ws();
    if (pos_ != text_.size()) fail_here(input_error_code::malformed, "unexpected text after the object");
    for (const auto& v : model_.inputs) {
      if (!out.count(v.name)) fail(input_error_code::missing_input, input_label(v.name) + " is not given");
    }
    return out;
  }

 private:
  /// The values of one input as they are read, and the shape of their nesting: dims[l] is the
  /// length of every array at level l (-1 until the first one closes), rank the level of the
  /// numbers (unknown until the first one, and for nested empty arrays).
  struct values {
    const value_info& v;
    std::vector<double> data;
    std::vector<std::int64_t> ints;
    shape_t dims;
    std::optional<std::size_t> rank;
  };

  /// Position `at` as "line L, column C: ".
  [[nodiscard]] std::string location(std::size_t at) const {
    const std::string_view before = text_.substr(0, at);
    const std::size_t line = 1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
    const std::size_t newline = before.rfind('\n');
    const std::size_t column = newline == std::string_view::npos ? at + 1 : at - newline;
    return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": ";
  }
  [[noreturn]] void fail_at(std::size_t at, input_error_code code, const std::string& why) const {
    fail(code, location(at) + why);
  }
  [[noreturn]] void fail_here(input_error_code code, const std::string& why) const {
    if (pos_ >= text_.size()) fail_at(pos_, input_error_code::malformed, "unexpected end of text");
    fail_at(pos_, code, why);
  }

  /// The next byte, or -1 at the end.
  [[nodiscard]] int peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? static_cast<unsigned char>(text_[pos_ + ahead]) : -1;
  }
  void skip_ws() {
    while (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r') ++pos_;
  }
  void expect(char c) {
    if (peek() != static_cast<unsigned char>(c))
      fail_here(input_error_code::malformed, std::string("expected '") + c + "'");
    ++pos_;
  }
  void enter(std::size_t depth) const {
    if (depth > max_json_depth) {
      fail_here(input_error_code::malformed, "nesting deeper than " + std::to_string(max_json_depth) + " levels");
    }
  }

  static void put_utf8(std::string& s, std::uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xc0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xe0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      s += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      s += static_cast<char>(0xf0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      s += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }
  std::uint32_t read_hex4() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const int c = peek();
      const int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
      if (d < 0) fail_here(input_error_code::malformed, "expected 4 hex digits after \\u");
      v = v * 16 + static_cast<std::uint32_t>(d);
      ++pos_;
    }
    return v;
  }
  /// A string; precondition: peek() == '"'.
  std::string read_string() {
    ++pos_;
    std::string s;
    while (true) {
      const int c = peek();
      if (c < 0) fail_here(input_error_code::malformed, "unterminated string");
      if (c == '"') {
        ++pos_;
        return s;
      }
      if (c < 0x20) fail_here(input_error_code::malformed, "control character in a string");
      if (c != '\\') {
        s += static_cast<char>(c);
        ++pos_;
        continue;
      }
      ++pos_;
      const int e = peek();
      ++pos_;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          s += static_cast<char>(e);
          break;
        case 'b':
          s += '\b';
          break;
        case 'f':
          s += '\f';
          break;
        case 'n':
          s += '\n';
          break;
        case 'r':
          s += '\r';
          break;
        case 't':
          s += '\t';
          break;
        case 'u': {
          std::uint32_t cp = read_hex4();
          if (cp >= 0xdc00 && cp <= 0xdfff) fail_here(input_error_code::malformed, "lone low surrogate in \\u escape");
          if (cp >= 0xd800 && cp <= 0xdbff) {
            if (peek() != '\\' || peek(1) != 'u')
              fail_here(input_error_code::malformed, "lone high surrogate in \\u escape");
            pos_ += 2;
            const std::uint32_t low = read_hex4();
            if (low < 0xdc00 || low > 0xdfff)
              fail_here(input_error_code::malformed, "lone high surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          }
          put_utf8(s, cp);
          break;
        }
        default:
          --pos_;
          fail_here(input_error_code::malformed, "invalid escape in a string");
      }
    }
  }

  /// The text of a number (RFC 8259 grammar) at pos_, which it passes; `integral` tells whether it
  /// has neither fraction nor exponent.
  std::string_view read_number_token(bool& integral) {
    const std::size_t start = pos_;
    auto digits = [&] {
      if (!std::isdigit(peek())) fail_here(input_error_code::malformed, "expected a digit");
      while (std::isdigit(peek())) ++pos_;
    };
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else {
      digits();
    }
    integral = true;
    if (peek() == '.') {
      ++pos_;
      digits();
      integral = false;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      digits();
      integral = false;
    }
    if (std::isalnum(peek()) || peek() == '.' || peek() == '+' || peek() == '-') {
      fail_at(start, input_error_code::malformed, "malformed number");
    }
    return text_.substr(start, pos_ - start);
  }

  /// The double nearest to a number token (±0 when it underflows); nullopt when it overflows.
  static std::optional<double> to_double(std::string_view token) {
    double d = 0;
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), d);
    if (ec == std::errc()) return d;
    // Out of range: decide between overflow and underflow by the decimal exponent of the first
    // nonzero digit (the token is a valid number, so from_chars read all of it).
    const bool negative = token.front() == '-';
    std::int64_t exponent = 0;
    const std::size_t e = token.find_first_of("eE");
    if (e != std::string_view::npos) {
      std::string_view digits = token.substr(e + 1);
      if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
      if (std::from_chars(digits.data(), digits.data() + digits.size(), exponent).ec != std::errc()) {
        exponent = digits.front() == '-' ? INT64_MIN / 2 : INT64_MAX / 2;
      }
    }
    const std::string_view mantissa =
        token.substr(negative ? 1 : 0, (e == std::string_view::npos ? token.size() : e) - (negative ? 1 : 0));
    const std::size_t dot = mantissa.find('.');
    const std::string_view whole = mantissa.substr(0, dot);
    const std::size_t first = whole.find_first_not_of('0');
    std::int64_t position = 0;  // the number is about 10^(exponent + position)
    if (first != std::string_view::npos) {
      position = static_cast<std::int64_t>(whole.size() - first);
    } else if (dot != std::string_view::npos) {
      const std::size_t nonzero = mantissa.find_first_not_of('0', dot + 1);
      position = -static_cast<std::int64_t>(nonzero == std::string_view::npos ? 0 : nonzero - dot - 1);
    }
    if (exponent + position > 0) return std::nullopt;
    return negative ? -0.0 : 0.0;
  }

  /// Reads one number (or true/false for a BOOL input) and appends it in the input's type.
  void read_value(values& out) {
    const value_info& v = out.v;
    const std::size_t at = pos_;
    if (++values_read_ > max_input_values) {
      fail_here(input_error_code::malformed, "more than " + std::to_string(max_input_values) + " values");
    }
    const int c = peek();
    if (std::isalpha(c) || (c == '-' && std::isalpha(peek(1)))) {
      const std::size_t start = pos_;
      if (c == '-') ++pos_;
      while (std::isalnum(peek())) ++pos_;
      const std::string word(text_.substr(start, pos_ - start));
      if (word == "true" || word == "false") {
        if (v.type != element_type::boolean) {
          fail_at(
              at, input_error_code::bad_value,
              input_label(v.name) + ": " + word + " is not a number (the input is " + element_type_name(v.type) + ")");
        }
        out.ints.push_back(word == "true" ? 1 : 0);
        return;
      }
      std::string bare = word.substr(word[0] == '-' ? 1 : 0);
      for (char& ch : bare) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (bare == "nan" || bare == "infinity" || bare == "inf") {
        fail_at(at, input_error_code::bad_value,
                input_label(v.name) + ": '" + detail::printable(word) +
                    "' is refused (NaN and infinities are not JSON numbers)");
      }
      fail_at(at, input_error_code::malformed, "unexpected '" + detail::printable(word) + "' (expected a number)");
    }
    bool integral = false;
    const std::string_view token = read_number_token(integral);
    auto refuse = [&](const std::string& why) {
      fail_at(at, input_error_code::bad_value, input_label(v.name) + ": " + std::string(token) + why);
    };
    auto outside = [&] { refuse(std::string(" is outside ") + element_type_name(v.type) + "'s range"); };
    if (!is_integer_type(v.type)) {
      std::optional<double> d = to_double(token);
      if (d && v.type == element_type::float32) d = to_float32(*d);
      if (!d) outside();
      out.data.push_back(*d);
      return;
    }
    std::int64_t i = 0;
    if (integral) {
      if (std::from_chars(token.data(), token.data() + token.size(), i).ec != std::errc()) outside();
    } else {
      double d = 0;  // an underflow to 0 is not an integer either
      if (std::from_chars(token.data(), token.data() + token.size(), d).ec != std::errc() || d != std::trunc(d) ||
          std::fabs(d) > 0x1p53) {
        refuse(std::string(" is not an integer (the input is ") + element_type_name(v.type) +
               "; write integers beyond 2^53 without fraction or exponent)");
      }
      i = static_cast<std::int64_t>(d);
    }
    const auto [lo, hi] = integer_range(v.type);
    if (i < lo || i > hi) {
      refuse(std::string(" is outside ") + element_type_name(v.type) + "'s range [" + std::to_string(lo) + ", " +
             std::to_string(hi) + "]");
    }
    out.ints.push_back(i);
  }

  [[noreturn]] void not_rectangular(std::size_t at, const values& out, const std::string& why) const {
    fail_at(at, input_error_code::shape_mismatch, input_label(out.v.name) + ": " + why + " (not rectangular)");
  }

  /// Reads a number or a nested array at `level` of the data (at `depth` in the document), keeping
  /// the nesting rectangular.
  void read_nested(values& out, std::size_t level, std::size_t depth) {
    if (peek() != '[') {
      const int c = peek();
      if (c != '-' && !std::isalnum(c)) fail_here(input_error_code::malformed, "expected a number or '['");
      if (out.rank ? *out.rank != level : out.dims.size() > level) {
        not_rectangular(pos_, out, "a number where the other rows have arrays");
      }
      out.rank = level;
      read_value(out);
      return;
    }
    enter(depth);
    if (out.rank && level >= *out.rank) not_rectangular(pos_, out, "an array where the other rows have numbers");
    ++pos_;
    std::int64_t count = 0;
    skip_ws();
    if (peek() == ']') {
      ++pos_;
    } else {
      while (true) {
        skip_ws();
        read_nested(out, level + 1, depth + 1);
        ++count;
        skip_ws();
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        if (peek() == ']') {
          ++pos_;
          break;
        }
        fail_here(input_error_code::malformed, "expected ',' or ']'");
      }
    }
    if (out.dims.size() <= level) out.dims.resize(level + 1, -1);
    if (out.dims[level] < 0) {
      out.dims[level] = count;
    } else if (out.dims[level] != count) {
      not_rectangular(pos_ - 1, out,
                      "an array of " + std::to_string(count) + " where the first at its level has " +
                          std::to_string(out.dims[level]));
    }
  }

  /// Reads a 'shape' array of non-negative integers.
  shape_t read_shape(const value_info& v) {
    const std::string what = input_label(v.name) + ": 'shape' ";
    if (peek() != '[') fail_here(input_error_code::malformed, what + "must be an array of integers");
    ++pos_;
    shape_t shape;
    skip_ws();
    if (peek() == ']') {
      ++pos_;
      return shape;
    }
    while (true) {
      skip_ws();
      const std::size_t at = pos_;
      if (!std::isdigit(peek()) && peek() != '-')
        fail_here(input_error_code::malformed, what + "must be an array of integers");
      bool integral = false;
      const std::string_view token = read_number_token(integral);
      std::int64_t d = 0;
      if (!integral || std::from_chars(token.data(), token.data() + token.size(), d).ec != std::errc() || d < 0) {
        fail_at(at, input_error_code::shape_mismatch, what + "has the invalid dimension " + std::string(token));
      }
      if (shape.size() == max_json_depth) {
        fail_at(at, input_error_code::malformed,
                what + "has more than " + std::to_string(max_json_depth) + " dimensions");
      }
      shape.push_back(d);
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        break;
      }
      fail_here(input_error_code::malformed, "expected ',' or ']'");
    }
    if (!bounded_elements(shape, max_input_values)) {
      fail(input_error_code::malformed, input_label(v.name) + ": shape " + shape_string(shape) + " has more than " +
                                            std::to_string(max_input_values) + " elements");
    }
    return shape;
  }

  /// One input's value: {"shape": [...], "data": ...} (either key first, "shape" optional), or the
  /// data alone.
  tensor read_input(const value_info& v) {
    const std::string what = input_label(v.name);
    values vals{v, {}, {}, {}, std::nullopt};
    std::optional<shape_t> shape;
    if (peek() != '{') {
      read_nested(vals, 0, 2);
    } else {
      enter(2);
      ++pos_;
      bool have_data = false;
      skip_ws();
      if (peek() == '}') fail_here(input_error_code::malformed, what + ": expected \"data\"");
      while (true) {
        skip_ws();
        if (peek() != '"') fail_here(input_error_code::malformed, "expected '\"' (\"shape\" or \"data\")");
        const std::size_t key_at = pos_;
        const std::string key = read_string();
        skip_ws();
        expect(':');
        skip_ws();
        if (key == "shape" && !shape) {
          shape = read_shape(v);
        } else if (key == "data" && !have_data) {
          read_nested(vals, 0, 3);
          have_data = true;
        } else if (key == "shape" || key == "data") {
          fail_at(key_at, input_error_code::malformed, what + ": \"" + key + "\" is given twice");
        } else {
          fail_at(key_at, input_error_code::malformed,
                  what + ": unexpected key \"" + detail::printable(key) + "\" (expected \"shape\" or \"data\")");
        }
        skip_ws();
        if (peek() == ',') {
          ++pos_;
          continue;
        }
        if (peek() == '}') {
          ++pos_;
          break;
        }
        fail_here(input_error_code::malformed, "expected ',' or '}'");
      }
      if (!have_data) fail(input_error_code::malformed, what + ": no \"data\"");
    }
    // The nesting's shape; without numbers (only empty arrays) its rank is its depth.
    const std::size_t rank = vals.rank ? *vals.rank : vals.dims.size();
    shape_t nested(vals.dims.begin(), vals.dims.begin() + static_cast<std::ptrdiff_t>(rank));
    tensor t;
    t.type = v.type;
    t.data = std::move(vals.data);
    t.ints = std::move(vals.ints);
    if (!shape) {
      t.shape = std::move(nested);
    } else if (rank == 1) {  // flat row-major data
      const std::uint64_t need = *bounded_elements(*shape, max_input_values);
      if (t.size() != need) {
        fail(input_error_code::shape_mismatch, what + ": \"data\" holds " + std::to_string(t.size()) +
                                                   " values, shape " + shape_string(*shape) + " needs " +
                                                   std::to_string(need));
      }
      t.shape = std::move(*shape);
    } else {
      if (nested != *shape) {
        fail(input_error_code::shape_mismatch,
             what + ": \"data\" is nested as " + shape_string(nested) + ", not as \"shape\" " + shape_string(*shape));
      }
      t.shape = std::move(*shape);
    }
    check_input(v, t);
    return t;
  }

  const std::string_view text_;
  const model& model_;
  std::size_t pos_ = 0;
  std::size_t values_read_ = 0;
};

// ---------------------------------------------------------------------------------------------
// .npy

/// The element type and width of a .npy dtype string ('<f4', '|u1', ...).
struct npy_dtype {
  element_type type;
  std::size_t width;
};

npy_dtype parse_npy_dtype(const std::string& descr) {
  static const char* const supported = "<f4 <f8 |i1 |u1 <i2 <u2 <i4 <i8 |b1";
  const std::string shown = "dtype '" + detail::printable(descr) + "'";
  if (descr.size() != 3) {
    fail(input_error_code::unsupported_type, shown + " is not supported (Ciro reads " + supported + ")");
  }
  const char order = descr[0];
  const std::string kind = descr.substr(1);
  struct entry {
    const char* kind;
    element_type type;
    std::size_t width;
  };
  static constexpr entry table[] = {
      {"f4", element_type::float32, 4}, {"f8", element_type::float64, 8}, {"i1", element_type::int8, 1},
      {"u1", element_type::uint8, 1},   {"i2", element_type::int16, 2},   {"u2", element_type::uint16, 2},
      {"i4", element_type::int32, 4},   {"i8", element_type::int64, 8},   {"b1", element_type::boolean, 1},
  };
  for (const auto& e : table) {
    if (kind != e.kind) continue;
    if (order == '>' && e.width > 1)
      fail(input_error_code::unsupported_type, shown + ": big-endian data is not supported");
    if (order == '<' || order == '=' || (order == '|' && e.width == 1) || (order == '>' && e.width == 1)) {
      return {e.type, e.width};
    }
  }
  fail(input_error_code::unsupported_type, shown + " is not supported (Ciro reads " + supported + ")");
}

/// The header of a .npy file: a Python dict literal {'descr': '<f4', 'fortran_order': False,
/// 'shape': (2, 3), } with exactly these keys, in any order, then blanks.
class npy_header_reader {
 public:
  explicit npy_header_reader(std::string_view text) : text_(text) {}

  std::string descr;
  bool fortran_order = false;
  shape_t shape;

  void read() {
    bool have_descr = false, have_order = false, have_shape = false;
    skip_ws();
    expect('{');
    skip_ws();
    while (peek() != '}') {
      const std::string key = read_string();
      skip_ws();
      expect(':');
      skip_ws();
      if (key == "descr" && !have_descr) {
        if (peek() != '\'' && peek() != '"') bad("'descr' is not a simple dtype string");
        descr = read_string();
        have_descr = true;
      } else if (key == "fortran_order" && !have_order) {
        fortran_order = read_bool();
        have_order = true;
      } else if (key == "shape" && !have_shape) {
        read_shape();
        have_shape = true;
      } else if (key == "descr" || key == "fortran_order" || key == "shape") {
        bad("'" + key + "' is given twice");
      } else {
        bad("unexpected key '" + detail::printable(key) + "'");
      }
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        skip_ws();
      } else if (peek() != '}') {
        bad("expected ',' or '}'");
      }
    }
    ++pos_;
    skip_ws();
    if (pos_ != text_.size()) bad("unexpected text after the dict");
    if (!have_descr) bad("no 'descr'");
    if (!have_order) bad("no 'fortran_order'");
    if (!have_shape) bad("no 'shape'");
  }

 private:
  [[noreturn]] void bad(const std::string& why) const {
    fail(input_error_code::malformed, "malformed .npy header: " + why + " (at byte " + std::to_string(pos_) + ")");
  }
  [[nodiscard]] int peek() const { return pos_ < text_.size() ? static_cast<unsigned char>(text_[pos_]) : -1; }
  void skip_ws() {
    while (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r') ++pos_;
  }
  void expect(char c) {
    if (peek() != static_cast<unsigned char>(c)) bad(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string read_string() {
    const int quote = peek();
    if (quote != '\'' && quote != '"') bad("expected a quoted key");
    ++pos_;
    std::string s;
    while (peek() != quote) {
      if (peek() < 0x20 || peek() > 0x7e || peek() == '\\') bad("unexpected character in a string");
      s += static_cast<char>(peek());
      ++pos_;
    }
    ++pos_;
    return s;
  }
  bool read_bool() {
    for (const auto& [word, value] : {std::pair<std::string_view, bool>{"True", true}, {"False", false}}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        if (std::isalnum(peek()) || peek() == '_') break;
        return value;
      }
    }
    bad("'fortran_order' is not True or False");
  }
  /// A tuple of non-negative integers: (), (n,), (n, m), (n, m,), ...
  void read_shape() {
    expect('(');
    skip_ws();
    std::size_t commas = 0;
    while (peek() != ')') {
      if (!std::isdigit(peek())) bad("'shape' is not a tuple of integers");
      const std::size_t start = pos_;
      while (std::isdigit(peek())) ++pos_;
      std::int64_t d = 0;
      if (std::from_chars(text_.data() + start, text_.data() + pos_, d).ec != std::errc()) bad("dimension too large");
      shape.push_back(d);
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        ++commas;
        skip_ws();
      } else if (peek() != ')') {
        bad("expected ',' or ')' in 'shape'");
      }
    }
    if (shape.size() == 1 && commas == 0) bad("'shape' (n) is not a tuple; write (n,)");
    ++pos_;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

tensor_map read_npy(std::string_view bytes, const model& m) {
  if (m.inputs.size() != 1) {
    fail(m.inputs.empty() ? input_error_code::unknown_input : input_error_code::missing_input,
         "a .npy file holds one tensor; the model has " + std::to_string(m.inputs.size()) + " inputs");
  }
  const value_info& v = m.inputs[0];
  constexpr std::string_view magic("\x93NUMPY", 6);
  if (bytes.substr(0, magic.size()) != magic)
    fail(input_error_code::malformed, "not a .npy file (no \\x93NUMPY magic)");
  if (bytes.size() < 8) fail(input_error_code::malformed, "truncated .npy file (no format version)");
  const int major = static_cast<unsigned char>(bytes[6]), minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0) {
    fail(input_error_code::unsupported_type, ".npy format version " + std::to_string(major) + "." +
                                                 std::to_string(minor) + " is not supported (1.0 to 3.0)");
  }
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + length_bytes) fail(input_error_code::malformed, "truncated .npy file (no header length)");
  const std::size_t header_length = major == 1 ? little_endian::read<std::uint16_t>(bytes.data() + 8)
                                               : little_endian::read<std::uint32_t>(bytes.data() + 8);
  if (header_length > max_npy_header_bytes) {
    fail(input_error_code::malformed, ".npy header of " + std::to_string(header_length) + " bytes (the limit is " +
                                          std::to_string(max_npy_header_bytes) + ")");
  }
  const std::size_t start = 8 + length_bytes;
  if (bytes.size() - start < header_length) {
    fail(input_error_code::malformed, "truncated .npy header (" + std::to_string(bytes.size() - start) + " of " +
                                          std::to_string(header_length) + " bytes)");
  }
  npy_header_reader header(bytes.substr(start, header_length));
  header.read();
  const npy_dtype dtype = parse_npy_dtype(header.descr);
  if (header.fortran_order) {
    fail(input_error_code::unsupported_type, "Fortran-order arrays are not supported (save np.ascontiguousarray(a))");
  }
  const std::string_view data = bytes.substr(start + header_length);
  const std::string what = input_label(v.name);
  const auto count = bounded_elements(header.shape, data.size() / dtype.width + 1);
  if (!count || *count * dtype.width != data.size()) {
    fail(input_error_code::malformed, "the .npy data holds " + std::to_string(data.size()) + " bytes, not shape " +
                                          shape_string(header.shape) + " of '" + header.descr + "'");
  }
  if (dtype.type != v.type) {
    fail(input_error_code::type_mismatch, what + ": the .npy dtype '" + header.descr + "' (" +
                                              element_type_name(dtype.type) + ") does not match the model's " +
                                              element_type_name(v.type) + " (convert with .astype())");
  }
  tensor t;
  t.type = dtype.type;
  t.shape = header.shape;
  const std::size_t n = static_cast<std::size_t>(*count);
  little_endian::decode(t, data.data(), n, dtype.width);  // BOOL bytes other than 0 or 1: check_input refuses
  check_input(v, t);
  tensor_map out;
  out.emplace(v.name, std::move(t));
  return out;
}

// ---------------------------------------------------------------------------------------------
// TensorProto

tensor_map read_pb(std::string_view bytes, const model& m) {
  std::string name;
  {
    onnx::TensorProto proto;
    if (bytes.size() > static_cast<std::size_t>(INT_MAX) ||
        !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      fail(input_error_code::malformed, "malformed or truncated tensor (not a TensorProto)");
    }
    name = proto.name();
  }
  const value_info* v = nullptr;
  if (name.empty()) {
    if (m.inputs.size() != 1) {
      fail(input_error_code::unknown_input, "the tensor has no name and the model has " +
                                                std::to_string(m.inputs.size()) +
                                                " inputs (name it after one: " + input_names(m) + ")");
    }
    v = &m.inputs[0];
  } else {
    v = find_input(m, name);
    if (!v) {
      fail(input_error_code::unknown_input, "tensor '" + detail::printable(name) +
                                                "' is not an input of the model (its inputs: " + input_names(m) + ")");
    }
  }
  auto t = parse_tensor(bytes);
  if (!t) {
    const load_error_code code = t.error().code;
    fail(code == load_error_code::unsupported_type || code == load_error_code::external_data
             ? input_error_code::unsupported_type
             : input_error_code::malformed,
         t.error().message);
  }
  check_input(*v, t.value());
  tensor_map out;
  out.emplace(v->name, std::move(t).value());
  return out;
}

template <class F>
result<tensor_map, input_error_code> guarded(F&& f) {
  try {
    return f();
  } catch (const input_failure& e) {
    return error<input_error_code>{e.code, e.message};
  }
}

}  // namespace

result<tensor_map, input_error_code> parse_input_json(std::string_view text, const model& m) {
  return guarded([&] { return json_reader(text, m).read(); });
}

result<tensor_map, input_error_code> parse_input_pb(std::string_view bytes, const model& m) {
  return guarded([&] { return read_pb(bytes, m); });
}

result<tensor_map, input_error_code> parse_input_npy(std::string_view bytes, const model& m) {
  return guarded([&] { return read_npy(bytes, m); });
}

result<tensor_map, input_error_code> load_input_file(const std::string& path, const model& m) {
  using err = error<input_error_code>;
  const std::string shown = detail::printable(path);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return err{input_error_code::io_error, "'" + shown + "' is a directory"};
  const std::string too_large = "'" + shown + "' is larger than " + std::to_string(max_input_file_bytes >> 20) + " MiB";
  // A regular file is measured before it is read; anything else (a pipe) is bounded as it is read.
  if (std::filesystem::is_regular_file(path, ec) && std::filesystem::file_size(path, ec) > max_input_file_bytes) {
    if (!ec) return err{input_error_code::io_error, too_large};
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return err{input_error_code::io_error, "cannot open '" + shown + "'"};
  std::string bytes;
  std::vector<char> chunk(std::size_t{1} << 20);
  while (file) {
    file.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto got = static_cast<std::size_t>(file.gcount());
    if (bytes.size() + got > max_input_file_bytes) return err{input_error_code::io_error, too_large};
    bytes.append(chunk.data(), got);
  }
  if (file.bad()) return err{input_error_code::io_error, "cannot read '" + shown + "'"};

  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext != ".json" && ext != ".npy" && ext != ".pb") {
    const std::size_t first = bytes.find_first_not_of(" \t\r\n");
    ext = bytes.starts_with(std::string_view("\x93NUMPY", 6)) ? ".npy"
          : first != std::string::npos && bytes[first] == '{' ? ".json"
                                                              : ".pb";
  }
  auto r = ext == ".json"  ? parse_input_json(bytes, m)
           : ext == ".npy" ? parse_input_npy(bytes, m)
                           : parse_input_pb(bytes, m);
  if (!r) return err{r.error().code, shown + ": " + r.error().message};
  return r;
}

result<tensor_map, input_error_code> load_inputs(const std::vector<std::string>& paths, const model& m) {
  using err = error<input_error_code>;
  tensor_map all;
  std::map<std::string, std::string> source;
  for (const auto& path : paths) {
    auto r = load_input_file(path, m);
    if (!r) return r;
    for (auto& [name, t] : r.value()) {
      const auto [it, fresh] = source.emplace(name, path);
      if (!fresh) {
        return err{input_error_code::duplicate_input, input_label(name) + " is given by both '" +
                                                          detail::printable(it->second) + "' and '" +
                                                          detail::printable(path) + "'"};
      }
      all.emplace(name, std::move(t));
    }
  }
  for (const auto& v : m.inputs) {
    if (!all.count(v.name)) return err{input_error_code::missing_input, input_label(v.name) + " is not given"};
  }
  return all;
}

}  // namespace ciro::zkml
