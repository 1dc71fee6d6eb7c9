// A node behind its Cap'n Proto sidecar and HTTP endpoints, over real loopback connections: jobs
// submitted and their results received (pipelined), proofs verified by the node, one result per
// id, status, cancel, busy with a retry hint, the bearer token, malformed and oversized messages,
// and the metrics, health and status page.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "net/client.hpp"
#include "runtime/node.hpp"
#include "runtime/throughput.hpp"

namespace ciro::runtime {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::path(testing::TempDir()) / (std::string("ciro_rpc_") + name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d / "in");
  // An empty throughput model: no calibration at start (predictions come from the first jobs).
  std::ofstream(d / "throughput.json") << throughput_model().to_json().dump();
  return d;
}

/// RPC on a free loopback port; metrics on another unless `metrics` is empty.
net::server_config loopback(const std::string& metrics, const std::string& token, std::uint64_t max_message_bytes) {
  net::server_config c;
  c.rpc_address = "127.0.0.1:0";
  c.metrics_address = metrics;
  c.token = token;
  c.max_message_bytes = max_message_bytes;
  return c;
}

net::client_options client_for(const std::string& address, const std::string& token, std::chrono::milliseconds timeout) {
  net::client_options o;
  o.address = address;
  o.token = token;
  o.timeout = timeout;
  return o;
}

/// A node running on its own thread with RPC and metrics on free loopback ports.
struct running_node {
  explicit running_node(node_config c) : config(std::move(c)) {
    if (!config.network) config.network = loopback("127.0.0.1:0", "", std::uint64_t{64} << 20);
    config.on_listening = [this](const std::string& rpc, const std::string& metrics) { listening.set_value({rpc, metrics}); };
    thread = std::thread([this] {
      auto r = run_node(config, stop);
      if (!r) listening.set_value({"", r.error().message});
    });
    auto f = listening.get_future();
    EXPECT_EQ(f.wait_for(std::chrono::seconds(60)), std::future_status::ready);
    std::tie(rpc, metrics) = f.get();
  }
  ~running_node() {
    stop = true;
    thread.join();
  }
  net::client_options options(std::chrono::milliseconds timeout = std::chrono::seconds(120)) const {
    return client_for(rpc, config.network->token, timeout);
  }
  std::unique_ptr<net::client> connect() const {
    auto c = net::client::connect(options());
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().message);
    return c ? std::move(c.value()) : nullptr;
  }
  node_config config;
  std::atomic<bool> stop{false};
  std::thread thread;
  std::promise<std::pair<std::string, std::string>> listening;
  std::string rpc, metrics;
};

node_config config_for(const fs::path& dir, unsigned workers = 1, std::size_t queue = 64) {
  node_config c;
  c.spool = dir;
  c.workers = workers;
  c.queue_limit = queue;
  c.poll = std::chrono::milliseconds(20);
  return c;
}

net::job_submission air_job(const std::string& id, unsigned log_rows, const std::string& extra = "") {
  return {R"({"id": ")" + id + R"(", "air": "fibonacci", "log_rows": )" + std::to_string(log_rows) + extra + "}", "", ""};
}

/// GET `path` from an HTTP endpoint at HOST:PORT: the whole response (status line, headers, body).
std::string http_get(const std::string& address, const std::string& path) {
  const auto colon = address.rfind(':');
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &sa.sin_addr);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    return "";
  }
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) return "";
  // Read the headers, then Content-Length bytes of body (the server keeps the connection open).
  std::string response;
  char buf[4096];
  std::size_t want = std::string::npos;
  for (ssize_t n; response.size() < want && (n = read(fd, buf, sizeof buf)) > 0;) {
    response.append(buf, static_cast<std::size_t>(n));
    const auto end = response.find("\r\n\r\n");
    const auto length = response.find("Content-Length: ");
    if (end != std::string::npos && length != std::string::npos && length < end) {
      want = end + 4 + std::stoul(response.substr(length + 16));
    }
  }
  close(fd);
  return response;
}

std::string body_of(const std::string& response) {
  const auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? "" : response.substr(at + 4);
}

TEST(Rpc, ProvesAJobAndTheNodeVerifiesItsProof) {
  const fs::path d = fresh_dir("prove");
  running_node node(config_for(d));
  ASSERT_FALSE(node.rpc.empty()) << node.metrics;
  auto c = node.connect();
  ASSERT_TRUE(c);
  net::job_answer accepted;
  const auto r = c->submit(air_job("fib-1", 10), [&](const net::job_answer& a) { accepted = a; });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(accepted.status, net::job_status::queued);
  ASSERT_EQ(r.value().status, net::job_status::done) << r.value().reason;
  const auto result = nlohmann::json::parse(r.value().result_json);
  EXPECT_EQ(result["result"]["air"], "fibonacci");
  EXPECT_GT(result["cost"]["wall_s"].get<double>(), 0.0);
  ASSERT_FALSE(r.value().proof.empty());
  // The proof is the one in the spool, and it verifies; altered, it does not.
  std::ifstream f(d / "out" / "fib-1.proof", std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(f), {}), r.value().proof);
  const auto v = c->verify(r.value().proof, 100);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_TRUE(v.value().valid) << v.value().message;
  std::string tampered = r.value().proof;
  tampered[tampered.size() / 2] ^= 1;
  const auto w = c->verify(tampered, 100);
  ASSERT_TRUE(w);
  EXPECT_FALSE(w.value().valid);
  EXPECT_EQ(w.value().message.rfind("invalid: ", 0), 0u) << w.value().message;
  EXPECT_FALSE(c->verify("not a proof", 100).value().valid);
}

TEST(Rpc, OneIdGivesOneResultAndStatusFindsIt) {
  const fs::path d = fresh_dir("idempotent");
  running_node node(config_for(d));
  auto c = node.connect();
  ASSERT_TRUE(c);
  const auto first = c->submit(air_job("same", 8));
  ASSERT_TRUE(first && first.value().status == net::job_status::done);
  // The same id again, even with another statement, answers from the first job without proving.
  const auto second = c->submit(air_job("same", 9));
  ASSERT_TRUE(second);
  EXPECT_EQ(second.value().status, net::job_status::done);
  EXPECT_EQ(second.value().proof, first.value().proof);
  EXPECT_EQ(second.value().result_json, first.value().result_json);
  const auto s = c->status("same", true);
  ASSERT_TRUE(s);
  EXPECT_EQ(s.value().status, net::job_status::done);
  EXPECT_EQ(s.value().proof, first.value().proof);
  EXPECT_TRUE(c->status("same", false).value().proof.empty());
  EXPECT_EQ(c->status("never-sent", false).value().status, net::job_status::unknown);
  EXPECT_EQ(c->status("../etc/passwd", false).value().status, net::job_status::unknown);
}

TEST(Rpc, BadJobsFailAloneWithTheirReason) {
  const fs::path d = fresh_dir("bad");
  running_node node(config_for(d));
  auto c = node.connect();
  ASSERT_TRUE(c);
  const std::pair<net::job_submission, std::string> cases[] = {
      {air_job("rows", 31), "log_rows"},
      {{R"({"id": "no air", "air": "fibonacci", "log_rows": 8})", "", ""}, "id"},
      {{R"({"id": "what", "air": "no-such-air", "log_rows": 8})", "", ""}, "no-such-air"},
      {{R"({"id": "model", "air": "fibonacci", "log_rows": 8, "profile": "turbo"})", "", ""}, "profile"},
      {{R"({"id": "garbage-model"})", "not an onnx file", "{}"}, "model"},
  };
  for (const auto& [job, word] : cases) {
    const auto r = c->submit(job);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r.value().status, net::job_status::failed) << job.job_json;
    EXPECT_NE(r.value().reason.find(word), std::string::npos) << r.value().reason;
  }
  const auto ok = c->submit(air_job("after", 8));  // the node is still up
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok.value().status, net::job_status::done);
}

TEST(Rpc, ModelJobsTravelWithTheirFiles) {
  const fs::path d = fresh_dir("model");
  running_node node(config_for(d));
  auto c = node.connect();
  ASSERT_TRUE(c);
  const std::string models = CIRO_ZKML_MODELS_DIR;
  std::ifstream m(models + "/mlp.onnx", std::ios::binary), in(models + "/mlp.inputs.json");
  const std::string onnx(std::istreambuf_iterator<char>(m), {});
  const auto sets = nlohmann::json::parse(in);
  const auto r = c->submit({R"({"id": "mlp-rpc"})", onnx, sets["inputs"][0].dump()});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r.value().status, net::job_status::done) << r.value().reason;
  EXPECT_EQ(nlohmann::json::parse(r.value().result_json)["result"]["kind"], "model");
  const auto v = c->verify(r.value().proof, 100);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v.value().valid) << v.value().message;
  EXPECT_FALSE(fs::exists(d / "blobs" / "mlp-rpc.onnx"));  // the files go with the job's end
}

TEST(Rpc, CancelTakesAQueuedJobAndLeavesARunningOne) {
  const fs::path d = fresh_dir("cancel");
  // One worker, busy with the first of several larger jobs placed before the node starts.
  for (int i = 0; i < 4; ++i) {
    std::ofstream(d / "in" / (std::string("big") + std::to_string(i) + ".json"))
        << R"({"id": "big)" << i << R"(", "air": "fibonacci", "log_rows": 18})";
  }
  running_node node(config_for(d));
  auto c = node.connect();
  ASSERT_TRUE(c);
  // Once one of them runs, the others wait in the queue (or still in in/).
  bool one_running = false;
  for (int tries = 0; tries < 2000 && !one_running; ++tries) {
    for (int i = 0; i < 4; ++i) one_running = one_running || c->status(std::string("big") + std::to_string(i), false).value().status == net::job_status::running;
    if (!one_running) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(one_running);
  int cancelled = 0, running = 0;
  for (int i = 0; i < 4; ++i) {
    const auto r = c->cancel(std::string("big") + std::to_string(i));
    ASSERT_TRUE(r) << r.error().message;
    cancelled += r.value().status == net::job_status::cancelled;
    running += r.value().status == net::job_status::running || r.value().status == net::job_status::done;
  }
  EXPECT_GE(cancelled, 2);
  EXPECT_GE(running, 1);
  EXPECT_EQ(cancelled + running, 4);
  EXPECT_EQ(c->cancel("never-sent").value().status, net::job_status::unknown);
  // A cancelled job keeps its answer: the same id again says cancelled, it does not run.
  for (int i = 0; i < 4; ++i) {
    const auto s = c->status(std::string("big") + std::to_string(i), false);
    ASSERT_TRUE(s);
    if (s.value().status == net::job_status::cancelled) {
      EXPECT_EQ(c->submit(air_job(std::string("big") + std::to_string(i), 18)).value().status, net::job_status::cancelled);
    }
  }
}

TEST(Rpc, AFullNodeAnswersBusyWithARetryHint) {
  const fs::path d = fresh_dir("busy");
  for (int i = 0; i < 3; ++i) {
    std::ofstream(d / "in" / (std::string("w") + std::to_string(i) + ".json")) << R"({"id": "w)" << i << R"(", "air": "fibonacci", "log_rows": 18})";
  }
  running_node node(config_for(d, 1, 0));  // room for the running job only
  auto c = net::client::connect(node.options(std::chrono::milliseconds(300)));
  ASSERT_TRUE(c);
  const auto r = c.value()->submit(air_job("late", 8));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r.value().status, net::job_status::busy);
  EXPECT_GT(r.value().retry_after_ms, 0u);
  EXPECT_NE(r.value().reason.find("full"), std::string::npos);
  c.value().reset();  // one client per thread at a time
  // A client that waits gets it done once the queue moves.
  auto patient = node.connect();
  const auto later = patient->submit(air_job("late", 8));
  ASSERT_TRUE(later);
  EXPECT_EQ(later.value().status, net::job_status::done);
}

TEST(Rpc, TheTokenIsRequiredWhenSet) {
  const fs::path d = fresh_dir("token");
  node_config config = config_for(d);
  config.network = loopback("", "s3cret-token", std::uint64_t{64} << 20);
  running_node node(config);
  for (const std::string wrong : {"", "s3cret-tokeN", "s3cret-token-longer"}) {
    const auto c = net::client::connect(client_for(node.rpc, wrong, std::chrono::seconds(10)));
    ASSERT_FALSE(c.has_value()) << wrong;
    EXPECT_NE(c.error().message.find("refused"), std::string::npos) << c.error().message;
  }
  auto c = node.connect();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->submit(air_job("t", 8)).value().status, net::job_status::done);
}

std::string read_text(const fs::path& p) {
  std::ifstream f(p);
  return {std::istreambuf_iterator<char>(f), {}};
}

TEST(Rpc, BeyondLoopbackOnlyWithATokenAndTls) {
  EXPECT_FALSE(net::is_loopback_address("0.0.0.0:7441"));
  EXPECT_FALSE(net::is_loopback_address("10.1.2.3:7441"));
  EXPECT_TRUE(net::is_loopback_address("127.0.0.1:7441"));
  EXPECT_TRUE(net::is_loopback_address("[::1]:7441"));
  EXPECT_TRUE(net::is_loopback_address("localhost:1"));
  const fs::path d = fresh_dir("tls");
  for (const char* token : {"", "a-token"}) {  // no TLS: refused with or without a token
    node_config c = config_for(d);
    c.network = loopback("", token, 1 << 20);
    c.network->rpc_address = "0.0.0.0:0";
    std::atomic<bool> stop{true};
    const auto r = run_node(c, stop);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("TLS"), std::string::npos) << r.error().message;
  }
  // A self-signed certificate for 127.0.0.1, made by the openssl command.
  const std::string cert = (d / "cert.pem").string(), key = (d / "key.pem").string();
  const std::string make = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
                           key + " -out " + cert + " >/dev/null 2>&1";
  if (std::system(make.c_str()) != 0) GTEST_SKIP() << "the openssl command is not installed";
  node_config c = config_for(d);
  c.network = loopback("", "a-token", 1 << 20);
  c.network->rpc_address = "0.0.0.0:0";
  c.network->tls_certificate_pem = read_text(cert);
  c.network->tls_private_key_pem = read_text(key);
  running_node node(c);
  ASSERT_FALSE(node.rpc.empty()) << node.metrics;
  const std::string address = "127.0.0.1:" + node.rpc.substr(node.rpc.rfind(':') + 1);
  auto options = client_for(address, "a-token", std::chrono::seconds(60));
  options.tls = true;
  options.tls_ca_pem = read_text(cert);
  {
    auto client = net::client::connect(options);
    ASSERT_TRUE(client.has_value()) << client.error().message;
    EXPECT_EQ(client.value()->submit(air_job("over-tls", 8)).value().status, net::job_status::done);
  }
  options.token = "wrong";  // TLS and a wrong token
  EXPECT_FALSE(net::client::connect(options).has_value());
  options.token = "a-token";
  options.tls_ca_pem.clear();  // a certificate nobody vouches for
  EXPECT_FALSE(net::client::connect(options).has_value());
  options.tls = false;  // plain TCP to a TLS port
  options.timeout = std::chrono::seconds(5);
  EXPECT_FALSE(net::client::connect(options).has_value());
}

TEST(Rpc, MalformedAndOversizedMessagesDoNotHurtTheNode) {
  const fs::path d = fresh_dir("malformed");
  node_config config = config_for(d);
  config.network = loopback("", "", std::uint64_t{1} << 20);
  running_node node(config);
  // Garbage on the RPC port: the connection ends, the node does not.
  {
    const auto colon = node.rpc.rfind(':');
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(std::stoi(node.rpc.substr(colon + 1))));
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    for (const std::string& junk : {std::string(64, '\xff'), std::string("\x00\x00\x00\x00\xff\xff\xff\x7f", 8) + std::string(32, 'A')}) {
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
      EXPECT_EQ(write(fd, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
      char buf[256];
      while (read(fd, buf, sizeof buf) > 0) {
      }
      close(fd);
    }
  }
  // A message over the node's limit (1 MiB here) ends its connection with an error.
  {
    auto c = node.connect();
    ASSERT_TRUE(c);
    const auto r = c->submit({R"({"id": "huge"})", std::string(2 << 20, 'x'), "{}"});
    EXPECT_FALSE(r.has_value());
  }
  auto c = node.connect();
  ASSERT_TRUE(c);
  const auto h = c->health();
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_EQ(c->submit(air_job("fine", 8)).value().status, net::job_status::done);
}

TEST(Rpc, MetricsHealthAndStatusPage) {
  const fs::path d = fresh_dir("metrics");
  running_node node(config_for(d));
  auto c = node.connect();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->submit(air_job("m1", 8)).value().status, net::job_status::done);
  ASSERT_EQ(c->submit(air_job("m2", 9)).value().status, net::job_status::done);
  ASSERT_EQ(c->submit(air_job("m3", 40)).value().status, net::job_status::failed);

  const std::string metrics = http_get(node.metrics, "/metrics");
  EXPECT_EQ(metrics.rfind("HTTP/1.1 200", 0), 0u) << metrics;
  const std::string text = body_of(metrics);
  for (const char* line : {"ciro_jobs_done_total{kind=\"fibonacci\"} 2", "ciro_proving_seconds_count 2",
                           "# TYPE ciro_proving_seconds histogram", "ciro_queue_depth{queue=\"running\"} 0",
                           "ciro_proving_seconds_bucket{le=\"+Inf\"} 2", "ciro_predictions_total"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  const auto health = nlohmann::json::parse(body_of(http_get(node.metrics, "/health")));
  EXPECT_EQ(health["status"], "ok");
  EXPECT_GE(health["cores"].get<unsigned>(), 1u);
  EXPECT_EQ(health["workers"], 1);
  const auto h = c->health();
  ASSERT_TRUE(h);
  EXPECT_EQ(h.value().cores, health["cores"].get<unsigned>());
  EXPECT_FALSE(h.value().simd_target.empty());
  const std::string page = body_of(http_get(node.metrics, "/"));
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_EQ(page.find("http://"), page.find("http://www.w3.org/2000/svg"));  // no external assets
  EXPECT_NE(http_get(node.metrics, "/nothing").find("404"), std::string::npos);
}

}  // namespace
}  // namespace ciro::runtime
