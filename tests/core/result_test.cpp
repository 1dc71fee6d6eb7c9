#include "core/result.hpp"

#include <gtest/gtest.h>

namespace {

enum class parse_code { empty, too_long };

ciro::result<int, parse_code> parse_length(const std::string& s) {
  if (s.empty()) return ciro::error<parse_code>{parse_code::empty, "empty input"};
  if (s.size() > 3) return ciro::error<parse_code>{parse_code::too_long, "at most 3 characters"};
  return static_cast<int>(s.size());
}

TEST(Result, CarriesTheValueOnSuccess) {
  auto r = parse_length("ab");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r.value(), 2);
}

TEST(Result, CarriesTheTypedErrorOnFailure) {
  auto r = parse_length("abcd");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, parse_code::too_long);
  EXPECT_EQ(r.error().message, "at most 3 characters");
}

TEST(ResultDeathTest, AbortsWhenTheWrongSideIsRead) {
  auto r = parse_length("");
  EXPECT_DEATH((void)r.value(), "CIRO_CHECK failed");
}

}  // namespace
