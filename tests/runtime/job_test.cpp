// Job files: what parses and, for every kind of bad file, the one-line reason it is refused with.

#include "runtime/job.hpp"

#include <gtest/gtest.h>

namespace ciro::runtime {
namespace {

TEST(Job, ParsesAirAndModelJobs) {
  auto a = parse_job(R"({"id": "fib-1", "air": "fibonacci", "log_rows": 10, "priority": 5, "deadline_ms": 2000})");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a.value().what, job_spec::kind::air);
  EXPECT_EQ(a.value().air, "fibonacci");
  EXPECT_EQ(a.value().log_rows, 10u);
  EXPECT_EQ(a.value().instances, 1u);
  EXPECT_EQ(a.value().priority, 5);
  EXPECT_EQ(a.value().deadline_ms, 2000u);
  EXPECT_EQ(a.value().profile, "fast");
  auto m = parse_job(R"({"id": "m", "model": "m.onnx", "input": "x.json", "profile": "secure"})");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m.value().what, job_spec::kind::model);
  EXPECT_EQ(m.value().model, "m.onnx");
  EXPECT_EQ(m.value().input, "x.json");
  EXPECT_EQ(m.value().profile, "secure");
}

TEST(Job, RefusesBadFilesWithTheirReason) {
  const std::pair<const char*, const char*> bad[] = {
      {"not json", "JSON object"},
      {"[1, 2]", "JSON object"},
      {R"({"air": "fibonacci", "log_rows": 3})", "\"id\""},
      {R"({"id": "../x", "air": "fibonacci", "log_rows": 3})", "\"id\""},
      {R"({"id": ".hidden", "air": "fibonacci", "log_rows": 3})", "\"id\""},
      {R"({"id": "a", "air": "fibonacci"})", "log_rows"},
      {R"({"id": "a", "air": "fibonacci", "log_rows": 31})", "log_rows"},
      {R"({"id": "a", "air": "fibonacci", "log_rows": -1})", "log_rows"},
      {R"({"id": "a", "air": "fibonacci", "log_rows": 3, "instances": 0})", "instances"},
      {R"({"id": "a", "model": "m.onnx"})", "input"},
      {R"({"id": "a", "air": "x", "log_rows": 3, "model": "m"})", "either"},
      {R"({"id": "a"})", "either"},
      {R"({"id": "a", "air": "x", "log_rows": 3, "profile": "slow"})", "profile"},
      {R"({"id": "a", "air": "x", "log_rows": 3, "priority": 5000})", "priority"},
      {R"({"id": "a", "air": "x", "log_rows": 3, "priority": 18446744073709551615})", "priority"},
      {R"({"id": "a", "air": "x", "log_rows": 3, "priority": 1.5})", "priority"},
      {R"({"id": "a", "air": "x", "log_rows": 3, "deadline_ms": 0})", "deadline_ms"},
      {R"({"id": "a", "air": "x", "log_rows": 3, "colour": "red"})", "unknown key"},
  };
  for (const auto& [text, why] : bad) {
    auto r = parse_job(text);
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message.find(why), std::string::npos) << text << ": " << r.error().message;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
  }
  EXPECT_FALSE(parse_job(std::string(70000, ' ')));
}

TEST(Job, ResultFilesCarryStatusReasonAndCost) {
  job_result r;
  r.id = "a";
  r.reason = "bad";
  r.cost.wall_s = 1.5;
  const auto j = result_json(r);
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["reason"], "bad");
  EXPECT_EQ(j["cost"]["wall_s"], 1.5);
  EXPECT_EQ(j["cost"]["device"], "cpu");
}

}  // namespace
}  // namespace ciro::runtime
