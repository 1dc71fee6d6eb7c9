#pragma once

#include <string>
#include <vector>

#include "consensus/simulator.hpp"

namespace ciro::consensus {

/// The violations, one line each with the seed and step that replay them (test failure messages).
inline std::string describe(const std::vector<violation>& vs) {
  std::string s;
  for (const violation& v : vs) {
    s += v.property + " at seed " + std::to_string(v.seed) + " step " + std::to_string(v.step) + ": " + v.detail + "\n";
  }
  return s;
}

}  // namespace ciro::consensus
