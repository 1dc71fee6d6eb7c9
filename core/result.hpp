#pragma once

#include <string>
#include <utility>
#include <variant>

#include "core/check.hpp"

namespace ciro {

/// An error: a typed code from the module that produced it and a human-readable message that
/// carries the context (what was read, what was expected). Modules define their own enum class
/// for `Code`; `error<Code>` is then what crosses the module boundary instead of an exception.
template <class Code>
struct error {
  Code code;
  std::string message;
};

/// result<T, Code>: either a value of T or an error<Code> (C++20 has no std::expected).
/// Precondition for value(): has_value(); for error(): !has_value(). Both are checked.
template <class T, class Code>
class result {
 public:
  result(T value) : state_(std::move(value)) {}                        // NOLINT: implicit by design
  result(::ciro::error<Code> failure) : state_(std::move(failure)) {}  // NOLINT: implicit by design

  [[nodiscard]] bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  [[nodiscard]] const T& value() const& {
    CIRO_CHECK(has_value());
    return std::get<0>(state_);
  }
  [[nodiscard]] T& value() & {
    CIRO_CHECK(has_value());
    return std::get<0>(state_);
  }
  [[nodiscard]] T&& value() && {
    CIRO_CHECK(has_value());
    return std::get<0>(std::move(state_));
  }
  [[nodiscard]] const ::ciro::error<Code>& error() const {
    CIRO_CHECK(!has_value());
    return std::get<1>(state_);
  }

 private:
  std::variant<T, ciro::error<Code>> state_;
};

}  // namespace ciro
