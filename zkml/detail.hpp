#pragma once

#include <string>
#include <string_view>

namespace ciro::zkml::detail {

/// s with every control character (and DEL) replaced by '?', so that a name read from a file cannot
/// break a one-line message.
inline std::string printable(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

}  // namespace ciro::zkml::detail
