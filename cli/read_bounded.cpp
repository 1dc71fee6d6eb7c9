// Reading a file no further than a bound on its size, for the commands that parse files.

#include <fstream>

#include "cli/command.hpp"

namespace ciro::cli {

std::optional<std::string> read_bounded(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_bytes) return std::nullopt;
  }
  if (in.bad()) return std::nullopt;
  return text;
}

}  // namespace ciro::cli
