// Load: 10,000 small jobs through the RPC sidecar (several clients at once) and 10,000 through the
// spool directory. None is lost (every id has its result), none runs twice (the node proved
// exactly as many jobs as were sent), none fails. CIRO_LOAD_JOBS overrides the count.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "net/client.hpp"
#include "runtime/node.hpp"
#include "runtime/throughput.hpp"

namespace ciro::runtime {
namespace {

namespace fs = std::filesystem;

int load_jobs() {
  const char* v = std::getenv("CIRO_LOAD_JOBS");
  return v ? std::max(1, std::atoi(v)) : 10000;
}

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::path(testing::TempDir()) / (std::string("ciro_load_") + name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d / "in");
  std::ofstream(d / "throughput.json") << throughput_model().to_json().dump();
  return d;
}

std::size_t results_in(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".json";
  return n;
}

std::string job_text(const std::string& id) { return R"({"id": ")" + id + R"(", "air": "fibonacci", "log_rows": 10})"; }

TEST(Load, TenThousandJobsThroughRpcNoneLostNoneTwice) {
  const int jobs = load_jobs();
  const fs::path d = fresh_dir("rpc");
  node_config config;
  config.spool = d;
  config.workers = 2;
  config.threads_per_worker = 1;
  config.network = net::server_config{};
  config.network->rpc_address = "127.0.0.1:0";
  config.network->metrics_address = "";
  std::promise<std::string> listening;
  config.on_listening = [&](const std::string& rpc, const std::string&) { listening.set_value(rpc); };
  std::atomic<bool> stop{false};
  std::optional<result<node_summary, int>> summary;
  std::thread node([&] { summary.emplace(run_node(config, stop)); });
  const std::string address = listening.get_future().get();

  constexpr int clients = 8;
  std::atomic<int> next{0}, done{0}, other{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      net::client_options options;
      options.address = address;
      auto client = net::client::connect(options);
      ASSERT_TRUE(client.has_value()) << client.error().message;
      for (int i; (i = next++) < jobs;) {
        const auto r = client.value()->submit({job_text(std::string("L") + std::to_string(i)), "", ""});
        if (r && r.value().status == net::job_status::done && !r.value().proof.empty()) {
          ++done;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  stop = true;
  node.join();
  EXPECT_EQ(done.load(), jobs);
  EXPECT_EQ(other.load(), 0);
  ASSERT_TRUE(summary && summary->has_value());
  EXPECT_EQ(summary->value().done, static_cast<std::size_t>(jobs)) << "proved a job twice or lost one";
  EXPECT_EQ(summary->value().failed, 0u);
  EXPECT_EQ(results_in(d / "out"), static_cast<std::size_t>(jobs));
  EXPECT_EQ(results_in(d / "in") + results_in(d / "work") + results_in(d / "failed"), 0u);
  fs::remove_all(d);
}

TEST(Load, TenThousandJobsThroughTheSpoolNoneLostNoneTwice) {
  const int jobs = load_jobs();
  const fs::path d = fresh_dir("spool");
  for (int i = 0; i < jobs; ++i) std::ofstream(d / "in" / (std::string("S") + std::to_string(i) + ".json")) << job_text(std::string("S") + std::to_string(i));
  node_config config;
  config.spool = d;
  config.workers = 2;
  config.threads_per_worker = 1;
  config.once = true;
  config.poll = std::chrono::milliseconds(5);
  std::atomic<bool> stop{false};
  const auto s = run_node(config, stop);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s.value().done, static_cast<std::size_t>(jobs));
  EXPECT_EQ(s.value().failed, 0u);
  EXPECT_EQ(results_in(d / "out"), static_cast<std::size_t>(jobs));
  EXPECT_EQ(results_in(d / "in") + results_in(d / "work") + results_in(d / "failed"), 0u);
  fs::remove_all(d);
}

}  // namespace
}  // namespace ciro::runtime
