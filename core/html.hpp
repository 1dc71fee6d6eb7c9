#pragma once

#include <string>
#include <string_view>

namespace ciro {

/// Text for HTML (element content and quoted attribute values): &, <, > and " escaped.
inline std::string html_escape(std::string_view v) {
  std::string s;
  s.reserve(v.size());
  for (const char c : v) {
    switch (c) {
      case '&': s += "&amp;"; break;
      case '<': s += "&lt;"; break;
      case '>': s += "&gt;"; break;
      case '"': s += "&quot;"; break;
      default: s += c;
    }
  }
  return s;
}

}  // namespace ciro
