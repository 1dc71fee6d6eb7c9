// Redis, for real: a redis-server started by the test on a free loopback port. The client's
// commands and limits; the result cache's lookups, writes, outage and recovery; and a node whose
// cache answers a job proven before without proving it, and goes on proving through an outage.

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "net/redis.hpp"
#include "runtime/node.hpp"
#include "runtime/result_cache.hpp"
#include "runtime/throughput.hpp"
#include "stark/proof_check.hpp"
#include "tests/support/redis_server.hpp"

namespace ciro::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

#define REQUIRE_REDIS()                                                                             \
  if (!test::redis_server::available()) GTEST_SKIP() << "redis-server is not installed (scripts/setup.sh installs it)"

TEST(RedisAddress, ParsesHostAndPortAndRefusesTheRest) {
  const auto a = net::parse_redis_address("cache.local:6380");
  ASSERT_TRUE(a);
  EXPECT_EQ(a.value().host, "cache.local");
  EXPECT_EQ(a.value().port, 6380);
  for (const char* bad : {"", "nohost", ":6379", "h:", "h:0", "h:65536", "h:12x", "h:-1"})
    EXPECT_FALSE(net::parse_redis_address(bad)) << bad;
}

TEST(RedisConnection, SetGetDeleteAndExpire) {
  REQUIRE_REDIS();
  test::redis_server server;
  net::redis_connection c(server.address(), 500ms);
  ASSERT_TRUE(c.ping()) << c.ping().error().message;
  auto missing = c.get("no-such-key");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing.value().has_value());
  // Binary values (zero bytes included), and a large one, come back exactly.
  std::string binary("a\0b\r\n\xff", 6);
  ASSERT_TRUE(c.set("bin", binary, 60s));
  EXPECT_EQ(c.get("bin").value().value(), binary);
  std::string big(std::size_t{3} << 20, 'x');
  for (std::size_t i = 0; i < big.size(); i += 4093) big[i] = static_cast<char>(i);
  ASSERT_TRUE(c.set("big", big, 60s));
  EXPECT_EQ(c.get("big").value().value(), big);
  ASSERT_TRUE(c.del("bin"));
  EXPECT_FALSE(c.get("bin").value().has_value());
  ASSERT_TRUE(c.set("short", "v", 1s));
  std::this_thread::sleep_for(2100ms);
  EXPECT_FALSE(c.get("short").value().has_value()) << "the TTL did not expire the key";
}

TEST(RedisConnection, AnOutageFailsCommandsWithAReasonAndTheNextOneReconnects) {
  REQUIRE_REDIS();
  test::redis_server server;
  net::redis_connection c(server.address(), 300ms);
  ASSERT_TRUE(c.set("k", "v", 60s));
  server.kill();
  const auto t0 = std::chrono::steady_clock::now();
  auto down = c.get("k");
  ASSERT_FALSE(down);
  EXPECT_NE(down.error().message.find("redis"), std::string::npos) << down.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << "a command waited past its timeout";
  EXPECT_FALSE(c.connected());
  server.start();  // an empty server: the key is gone, the connection comes back
  auto back = c.get("k");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_FALSE(back.value().has_value());
}

TEST(CachedResult, RoundTripsAndRefusesWhatItDidNotWrite) {
  const cached_result r{R"({"id": "a", "status": "done"})", std::string("proof\0bytes", 11)};
  const auto back = decode_cached(encode_cached(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->result_text, r.result_text);
  EXPECT_EQ(back->proof, r.proof);
  std::string e = encode_cached(r);
  EXPECT_FALSE(decode_cached(""));
  EXPECT_FALSE(decode_cached("CIROR1"));
  EXPECT_FALSE(decode_cached("XIROR1" + e.substr(6)));
  e[6] = '\xff';  // a length past the end
  EXPECT_FALSE(decode_cached(e));
}

TEST(ContentKey, NamesTheStatementOrTheFilesBytes) {
  job_spec a;
  a.air = "fibonacci";
  a.log_rows = 10;
  EXPECT_EQ(content_key(a, ".").value(), "air:fibonacci:10:1:fast");
  const fs::path d = fs::path(testing::TempDir()) / ("ciro_content_key_" + std::to_string(getpid()));
  fs::create_directories(d);
  std::ofstream(d / "m.onnx") << "model bytes";
  std::ofstream(d / "x.json") << "input bytes";
  job_spec m;
  m.what = job_spec::kind::model;
  m.model = "m.onnx";
  m.input = "x.json";
  const auto k1 = content_key(m, d);
  ASSERT_TRUE(k1);
  std::ofstream(d / "x.json") << "other input";
  const auto k2 = content_key(m, d);
  ASSERT_TRUE(k2);
  EXPECT_NE(k1.value(), k2.value());
  m.input = "missing.json";
  EXPECT_FALSE(content_key(m, d));
  fs::remove_all(d);
}

TEST(ResultCache, StoresByIdAndByContentAndLooksUpBoth) {
  REQUIRE_REDIS();
  test::redis_server server;
  redis_cache_config config;
  config.address = server.address();
  result_cache cache(config, nullptr);
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (!cache.stats().up && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(cache.stats().up);
  EXPECT_FALSE(cache.lookup("a", "air:fibonacci:8:1:fast"));
  cache.store("a", "air:fibonacci:8:1:fast", {R"({"id": "a"})", "PROOF"});
  cache.flush(5s);
  EXPECT_EQ(cache.stats().stored, 1u);
  const auto by_id = cache.lookup("a", "other-content");
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->proof, "PROOF");
  const auto by_content = cache.lookup("b", "air:fibonacci:8:1:fast");
  ASSERT_TRUE(by_content);
  EXPECT_EQ(by_content->result_text, R"({"id": "a"})");
  EXPECT_EQ(cache.stats().hits, 2u);
  EXPECT_EQ(cache.stats().misses, 1u);
}

TEST(ResultCache, ADownServerIsNeverWaitedForAndItsReturnIsNoticed) {
  REQUIRE_REDIS();
  test::redis_server server;
  server.kill();  // down from the start
  redis_cache_config config;
  config.address = server.address();
  std::mutex m;
  std::vector<std::string> events;
  result_cache cache(config, [&](const std::string& e) {
    std::lock_guard lock(m);
    events.push_back(e);
  });
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (cache.stats().outages == 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(cache.stats().outages, 1u);
  EXPECT_FALSE(cache.stats().up);
  // Lookups and writes return at once while it is down.
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) {
    const std::string n = std::to_string(i);
    EXPECT_FALSE(cache.lookup(std::string("x") + n, "c"));
    cache.store(std::string("x") + n, std::string("c") + n, {"{}", "p"});
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms);
  // Back: the writes queued meanwhile are written, and lookups find them.
  server.start();
  const auto back = std::chrono::steady_clock::now() + 10s;
  while (cache.stats().stored < 100 && std::chrono::steady_clock::now() < back) std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(cache.stats().up);
  EXPECT_EQ(cache.stats().stored, 100u);
  EXPECT_TRUE(cache.lookup("x7", "nothing"));
  std::lock_guard lock(m);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_NE(events[0].find("redis down"), std::string::npos) << events[0];
  EXPECT_NE(events[1].find("redis back"), std::string::npos) << events[1];
}

/// A node with the cache, on its own spool, running until stopped.
struct cached_node {
  explicit cached_node(const net::redis_address& redis, const std::string& name) {
    dir = fs::path(testing::TempDir()) / ("ciro_redis_node_" + name + "_" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "throughput.json") << throughput_model().to_json().dump();
    config.spool = dir;
    config.poll = 20ms;
    config.redis = redis_cache_config{};
    config.redis->address = redis;
    config.redis->timeout = 200ms;
    thread = std::thread([this] { summary.emplace(run_node(config, stop)); });
  }
  ~cached_node() {
    stop = true;
    thread.join();
    fs::remove_all(dir);
  }
  void submit(const std::string& id, unsigned log_rows) {
    const std::string text = std::string(R"({"id": ")") + id + R"(", "air": "fibonacci", "log_rows": )" + std::to_string(log_rows) + "}";
    fs::create_directories(dir / "in");  // (the node makes it too, when it starts)
    // A name starting with '.' is a temporary the node leaves alone (docs/runtime.md, the spool).
    std::ofstream(dir / "in" / ("." + id + ".json.tmp")) << text;
    fs::rename(dir / "in" / ("." + id + ".json.tmp"), dir / "in" / (id + ".json"));
  }
  /// Waits (up to 60 s) for out/ID.json and returns it.
  nlohmann::json result_file(const std::string& id) {
    const auto until = std::chrono::steady_clock::now() + 60s;
    while (!fs::exists(dir / "out" / (id + ".json")) && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
    std::ifstream f(dir / "out" / (id + ".json"));
    return nlohmann::json::parse(f, nullptr, false);
  }
  std::string proof(const std::string& id) {
    std::ifstream f(dir / "out" / (id + ".proof"), std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
  }
  fs::path dir;
  node_config config;
  std::atomic<bool> stop{false};
  std::optional<ciro::result<node_summary, int>> summary;
  std::thread thread;
};

TEST(RedisNode, AJobProvenBeforeIsAnsweredFromTheCacheEvenOnAnotherNode) {
  REQUIRE_REDIS();
  test::redis_server server;
  cached_node first(server.address(), "first");
  first.submit("a", 9);
  const auto a = first.result_file("a");
  ASSERT_EQ(a.value("status", ""), "done") << a.dump();
  EXPECT_FALSE(a.contains("from_cache"));
  // Another node of the farm, another id, the same statement: answered without a proof of its own.
  cached_node second(server.address(), "second");
  // (its cache connects within a millisecond of its start; a lookup before that would prove)
  std::this_thread::sleep_for(300ms);
  second.submit("b", 9);
  const auto b = second.result_file("b");
  ASSERT_EQ(b.value("status", ""), "done") << b.dump();
  EXPECT_EQ(b.value("id", ""), "b");
  EXPECT_TRUE(b.value("from_cache", false));
  EXPECT_EQ(b["cost"].value("device", ""), "cache");
  EXPECT_EQ(b["cost"].value("cpu_s", -1.0), 0.0);
  EXPECT_EQ(b["cost_of_proof"], a["cost"]);
  const std::string proof = second.proof("b");
  EXPECT_EQ(proof, first.proof("a"));
  EXPECT_EQ(stark::check_proof_file({reinterpret_cast<const std::uint8_t*>(proof.data()), proof.size()}, 100).outcome,
            stark::proof_check::valid);
}

std::string job_id(int i) {
  std::string id = "j";
  id += std::to_string(i);
  return id;
}

TEST(RedisNode, RedisKilledAndRestartedMidRunLosesNoJob) {
  REQUIRE_REDIS();
  test::redis_server server;
  cached_node node(server.address(), "outage");
  std::this_thread::sleep_for(300ms);
  constexpr int jobs = 60;
  for (int i = 0; i < jobs; ++i) {
    if (i == 20) server.kill();
    if (i == 40) server.start();
    node.submit(job_id(i), 6 + static_cast<unsigned>(i % 3));
    std::this_thread::sleep_for(20ms);
  }
  int from_cache = 0;
  for (int i = 0; i < jobs; ++i) {
    const auto r = node.result_file(job_id(i));
    ASSERT_EQ(r.value("status", ""), "done") << "j" << i << ": " << r.dump();
    from_cache += r.value("from_cache", false) ? 1 : 0;
  }
  node.stop = true;
  node.thread.join();
  node.thread = std::thread([] {});
  ASSERT_TRUE(node.summary && node.summary->has_value());
  EXPECT_EQ(node.summary->value().done, static_cast<std::size_t>(jobs));
  // Three statements: most jobs were answered from the cache, though not while it was down.
  EXPECT_GT(from_cache, 0);
  EXPECT_LT(from_cache, jobs - 3);
  std::printf("redis killed for jobs 20..39 of %d: %d answered from the cache, none lost\n", jobs, from_cache);
}

}  // namespace
}  // namespace ciro::runtime
