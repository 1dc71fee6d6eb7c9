// The wire codec: jobs, results and health survive the trip to Cap'n Proto and back; what is not a
// job is refused with its reason.

#include "net/wire_codec.hpp"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace ciro::net {
namespace {

/// `sub` through a serialized message and back.
result<job_submission, int> round_trip(const job_submission& sub) {
  capnp::MallocMessageBuilder message;
  const auto encoded = to_wire(sub, message.initRoot<wire::Job>());
  if (!encoded) return encoded.error();
  const auto words = capnp::messageToFlatArray(message);
  capnp::FlatArrayMessageReader reader(words);
  return from_wire(reader.getRoot<wire::Job>());
}

TEST(WireCodec, AirJobRoundTrips) {
  const job_submission sub{R"({"id": "fib-1", "air": "fibonacci", "log_rows": 12, "instances": 3, "profile": "secure",
                               "deadline_ms": 2500, "priority": -7})", "", ""};
  const auto back = round_trip(sub);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(nlohmann::json::parse(back.value().job_json), nlohmann::json::parse(sub.job_json));
  EXPECT_TRUE(back.value().model_bytes.empty());
}

TEST(WireCodec, ModelJobCarriesBothFiles) {
  std::string onnx(1000, '\0');
  for (std::size_t i = 0; i < onnx.size(); ++i) onnx[i] = static_cast<char>(i * 7);
  const job_submission sub{R"({"id": "m"})", onnx, R"({"x": [1, 2]})"};
  const auto back = round_trip(sub);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back.value().model_bytes, onnx);
  EXPECT_EQ(back.value().input_bytes, sub.input_bytes);
  EXPECT_EQ(nlohmann::json::parse(back.value().job_json), nlohmann::json::parse(R"({"id": "m"})"));
}

TEST(WireCodec, RefusesWhatIsNotAJob) {
  for (const char* bad : {"[1]", "not json", R"({"id": "a", "air": 3})", R"({"id": "a", "color": "red"})",
                          R"({"id": "a", "air": "fibonacci", "log_rows": 999})", R"({"id": "a"})"}) {
    EXPECT_FALSE(round_trip({bad, "", ""}).has_value()) << bad;
  }
  // A wire Job with a model but no input bytes.
  capnp::MallocMessageBuilder message;
  auto job = message.initRoot<wire::Job>();
  job.setId("m");
  job.initModel().setOnnx(capnp::Data::Reader(reinterpret_cast<const kj::byte*>("x"), 1));
  const auto r = from_wire(job.asReader());
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("input"), std::string::npos);
}

TEST(WireCodec, ResultsAndHealthRoundTrip) {
  for (const auto status : {job_status::queued, job_status::running, job_status::done, job_status::failed,
                            job_status::busy, job_status::unknown, job_status::cancelled}) {
    job_answer a{"j", status, "why", 250, 0.125, R"({"id": "j"})", std::string("\0\1proof", 7)};
    if (status == job_status::unknown) a.predicted_s.reset();
    capnp::MallocMessageBuilder message;
    to_wire(a, message.initRoot<wire::Result>());
    const job_answer b = from_wire(message.getRoot<wire::Result>().asReader());
    EXPECT_EQ(b.status, a.status) << to_string(status);
    EXPECT_EQ(b.id, a.id);
    EXPECT_EQ(b.reason, a.reason);
    EXPECT_EQ(b.retry_after_ms, a.retry_after_ms);
    EXPECT_EQ(b.predicted_s, a.predicted_s);
    EXPECT_EQ(b.result_json, a.result_json);
    EXPECT_EQ(b.proof, a.proof);
  }
  const node_health h{"0.1.0", 2, "AVX2", {{"NVIDIA H100", 80ull << 30, "ok"}}, "", 3, 4, 1, 2};
  capnp::MallocMessageBuilder message;
  to_wire(h, message.initRoot<wire::Health>());
  const node_health g = from_wire(message.getRoot<wire::Health>().asReader());
  EXPECT_EQ(g.version, h.version);
  EXPECT_EQ(g.cores, h.cores);
  ASSERT_EQ(g.gpus.size(), 1u);
  EXPECT_EQ(g.gpus[0].memory_bytes, h.gpus[0].memory_bytes);
  EXPECT_EQ(g.waiting + g.queued + g.running + g.workers, 10u);
  EXPECT_EQ(nlohmann::json::parse(health_json(h))["gpus"][0]["name"], "NVIDIA H100");
}

TEST(WireCodec, KafkaMessagesRoundTripAndGarbageIsRefused) {
  const job_submission job{R"({"id": "k", "air": "poseidon2", "log_rows": 9, "instances": 2})", "", ""};
  const auto bytes = encode_job_message(job);
  ASSERT_TRUE(bytes.has_value()) << bytes.error().message;
  const auto back = decode_job_message(bytes.value(), 1 << 20);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(nlohmann::json::parse(back.value().job_json), nlohmann::json::parse(job.job_json));
  const job_answer a{"k", job_status::done, "", 0, 1.5, R"({"id": "k"})", std::string(5000, 'p')};
  const auto result = decode_result_message(encode_result_message(a), 1 << 20);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result.value().proof, a.proof);
  EXPECT_EQ(result.value().predicted_s, a.predicted_s);
  // Not messages: empty, not whole words, random words, a segment table pointing past the end; and
  // a real message over the limit.
  std::string random(4096, '\0');
  std::uint64_t x = 0x9e3779b97f4a7c15ull;
  for (auto& c : random) c = static_cast<char>((x = x * 6364136223846793005ull + 1442695040888963407ull) >> 56);
  for (const std::string& bad : {std::string(), std::string("abc"), random, std::string("\x00\x00\x00\x00\xff\xff\xff\x0f", 8)}) {
    EXPECT_FALSE(decode_job_message(bad, 1 << 20).has_value());
    EXPECT_FALSE(decode_result_message(bad, 1 << 20).has_value());
  }
  const auto small_limit = decode_result_message(encode_result_message(a), 1024);
  ASSERT_FALSE(small_limit.has_value());
}

}  // namespace
}  // namespace ciro::net
