// A node on Kafka, through librdkafka's in-process mock cluster (three brokers, replication 3):
// jobs consumed in a group, results and proofs published, offsets committed after the results were
// acknowledged, duplicates answered from the spool, undecodable messages sent to alerts, and a
// broker down and back mid-run without a job lost.

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "net/kafka.hpp"
#include "net/wire_codec.hpp"
#include "runtime/node.hpp"
#include "runtime/throughput.hpp"
#include "stark/proof_check.hpp"

namespace ciro::runtime {
namespace {

namespace fs = std::filesystem;

/// A mock Kafka cluster of three brokers with the farm's topics (jobs: 4 partitions).
struct mock_cluster {
  mock_cluster() {
    char why[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
    EXPECT_NE(rk, nullptr) << why;
    cluster = rd_kafka_mock_cluster_new(rk, 3);
    rd_kafka_mock_topic_create(cluster, "ciro.jobs", 4, 3);
    rd_kafka_mock_topic_create(cluster, "ciro.results", 1, 3);
    rd_kafka_mock_topic_create(cluster, "ciro.alerts", 1, 3);
    brokers = rd_kafka_mock_cluster_bootstraps(cluster);
  }
  ~mock_cluster() {
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(rk);
  }
  rd_kafka_t* rk = nullptr;
  rd_kafka_mock_cluster_t* cluster = nullptr;
  std::string brokers;
};

std::string job_message(const std::string& id, unsigned log_rows) {
  return net::encode_job_message({R"({"id": ")" + id + R"(", "air": "fibonacci", "log_rows": )" + std::to_string(log_rows) + "}", "", ""})
      .value();
}

net::job_answer decode_result(const std::string& payload) { return net::decode_result_message(payload, std::size_t{1} << 30).value(); }

/// A node consuming the cluster's jobs topic on its own thread until destroyed.
struct kafka_node {
  kafka_node(const std::string& brokers, const std::string& name) {
    dir = fs::path(testing::TempDir()) / ("ciro_kafka_" + name + "_" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "throughput.json") << throughput_model().to_json().dump();
    config.spool = dir;
    config.kafka = net::kafka_config{};
    config.kafka->brokers = brokers;
    thread = std::thread([this] { summary.emplace(run_node(config, stop)); });
  }
  ~kafka_node() {
    stop = true;
    thread.join();
    fs::remove_all(dir);
  }
  fs::path dir;
  node_config config;
  std::atomic<bool> stop{false};
  std::optional<result<node_summary, int>> summary;
  std::thread thread;
};

/// Reads `topic` from the start until `enough` says so or 120 s pass.
std::vector<net::kafka_message> read_until(const std::string& brokers, const std::string& topic,
                                           const std::function<bool(const std::vector<net::kafka_message>&)>& enough) {
  static int readers = 0;
  auto consumer = net::kafka_consumer::create(brokers, "test-reader-" + std::to_string(++readers), topic);
  EXPECT_TRUE(consumer.has_value());
  std::vector<net::kafka_message> got;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!enough(got) && std::chrono::steady_clock::now() < until) {
    if (auto m = consumer.value()->poll(std::chrono::milliseconds(100))) got.push_back(std::move(*m));
  }
  return got;
}

TEST(Kafka, JobsInResultsOutDuplicatesFromTheSpoolGarbageToAlerts) {
  mock_cluster kafka;
  kafka_node node(kafka.brokers, "basic");
  auto producer = net::kafka_producer::create(kafka.brokers);
  ASSERT_TRUE(producer.has_value()) << producer.error().message;
  constexpr int jobs = 20;
  for (int i = 0; i < jobs; ++i) {
    const std::string id = std::string("k") + std::to_string(i);
    ASSERT_TRUE(producer.value()->produce_and_wait("ciro.jobs", id, job_message(id, 8)).has_value());
  }
  ASSERT_TRUE(producer.value()->produce_and_wait("ciro.jobs", "junk", "this is not a Cap'n Proto message").has_value());
  std::map<std::string, net::job_answer> results;
  read_until(kafka.brokers, "ciro.results", [&](const std::vector<net::kafka_message>& got) {
    for (std::size_t i = results.size(); i < got.size(); ++i) {
      auto a = decode_result(got[i].payload);
      results.emplace(a.id, std::move(a));
    }
    return results.size() >= static_cast<std::size_t>(jobs);
  });
  ASSERT_EQ(results.size(), static_cast<std::size_t>(jobs));
  for (const auto& [id, a] : results) {
    EXPECT_EQ(a.status, net::job_status::done) << id << ": " << a.reason;
    ASSERT_FALSE(a.proof.empty()) << id;
  }
  const auto& proof = results.at("k0").proof;
  EXPECT_EQ(stark::check_proof_file({reinterpret_cast<const std::uint8_t*>(proof.data()), proof.size()}, 100).outcome,
            stark::proof_check::valid);
  // The same job again is answered from the spool: a second result, the same proof, no new proof.
  ASSERT_TRUE(producer.value()->produce_and_wait("ciro.jobs", "k0", job_message("k0", 8)).has_value());
  std::vector<net::job_answer> k0;
  read_until(kafka.brokers, "ciro.results", [&](const std::vector<net::kafka_message>& got) {
    k0.clear();
    for (const auto& m : got) {
      if (m.key == "k0") k0.push_back(decode_result(m.payload));
    }
    return k0.size() >= 2;
  });
  ASSERT_EQ(k0.size(), 2u);
  EXPECT_EQ(k0[0].proof, k0[1].proof);
  const auto alerts = read_until(kafka.brokers, "ciro.alerts", [](const std::vector<net::kafka_message>& got) { return !got.empty(); });
  ASSERT_FALSE(alerts.empty());
  EXPECT_NE(alerts[0].payload.find("undecodable job message at ciro.jobs partition"), std::string::npos) << alerts[0].payload;
  EXPECT_NE(alerts[0].payload.find("offset"), std::string::npos);
  producer.value().reset();
  node.stop = true;
  node.thread.join();
  node.thread = std::thread([] {});
  ASSERT_TRUE(node.summary && node.summary->has_value());
  EXPECT_EQ(node.summary->value().done, static_cast<std::size_t>(jobs)) << "a job proven twice";
}

TEST(Kafka, ABrokerDownAndBackLosesNoJob) {
  mock_cluster kafka;
  kafka_node node(kafka.brokers, "broker_down");
  auto producer = net::kafka_producer::create(kafka.brokers);
  ASSERT_TRUE(producer.has_value());
  constexpr int jobs = 30;
  // Broker 2 (a leader of some partitions) goes down a second in, for three seconds; the jobs go
  // out one every 100 ms, so a third of them meet the outage.
  std::thread fault([&] {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    rd_kafka_mock_broker_set_down(kafka.cluster, 2);
    std::this_thread::sleep_for(std::chrono::seconds(3));
    rd_kafka_mock_broker_set_up(kafka.cluster, 2);
  });
  std::atomic<int> delivered{0}, undelivered{0};
  for (int i = 0; i < jobs; ++i) {
    const std::string id = std::string("b") + std::to_string(i);
    producer.value()->produce("ciro.jobs", id, job_message(id, 8), [&](bool ok, std::string) { ++(ok ? delivered : undelivered); });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  fault.join();
  std::set<std::string> ids;
  std::size_t messages = 0;
  read_until(kafka.brokers, "ciro.results", [&](const std::vector<net::kafka_message>& got) {
    messages = got.size();
    for (const auto& m : got) ids.insert(m.key);
    return ids.size() >= static_cast<std::size_t>(jobs);
  });
  EXPECT_EQ(delivered.load(), jobs);
  EXPECT_EQ(undelivered.load(), 0);
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(jobs)) << "jobs lost";
  std::printf("broker 2 down for a third of the jobs: %d jobs, %zu results (%zu duplicates)\n", jobs, messages,
              messages - ids.size());
}

}  // namespace
}  // namespace ciro::runtime
