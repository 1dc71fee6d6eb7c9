#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>

namespace ciro::test {

/// The seed for random test inputs: CIRO_TEST_SEED from the environment when set, else a fixed
/// default, so runs are reproducible and a failing seed can be replayed.
inline std::uint64_t seed() {
  if (const char* env = std::getenv("CIRO_TEST_SEED")) return std::strtoull(env, nullptr, 0);
  return 0x5eed'c120ULL;
}

/// A 64-bit Mersenne Twister seeded with seed(); also records the seed in the test's trace so
/// that every failure message prints it (replay with CIRO_TEST_SEED=<seed>).
class seeded_rng {
 public:
  seeded_rng() : engine_(seed()), trace_(__FILE__, __LINE__, "CIRO_TEST_SEED=" + std::to_string(seed())) {}
  std::uint64_t next() { return engine_(); }
  /// Uniform in [0, bound).
  std::uint64_t below(std::uint64_t bound) {
    return std::uniform_int_distribution<std::uint64_t>(0, bound - 1)(engine_);
  }
  std::mt19937_64& engine() { return engine_; }

 private:
  std::mt19937_64 engine_;
  ::testing::ScopedTrace trace_;
};

/// Path of a known-answer vector file under tests/vectors (copies of ../shared/vectors); the
/// CIRO_VECTORS_DIR environment variable overrides the folder.
inline std::string vectors_path(const std::string& name) {
  if (const char* env = std::getenv("CIRO_VECTORS_DIR")) return std::string(env) + "/" + name;
  return std::string(CIRO_VECTORS_DIR) + "/" + name;
}

}  // namespace ciro::test
