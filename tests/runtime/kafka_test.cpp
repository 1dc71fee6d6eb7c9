// A node on Kafka, through librdkafka's in-process mock cluster (three brokers, replication 3):
// jobs consumed in a group, results and proofs published, offsets committed after the results were
// acknowledged, duplicates answered from the spool, undecodable messages sent to alerts, and a
// broker down and back mid-run without a job lost.

#include <map>
#include <set>

#include "stark/proof_check.hpp"
#include "tests/runtime/kafka_fixtures.hpp"

namespace ciro::runtime {
namespace {

using namespace ciro::test;

TEST(Kafka, OperatorPropertiesAreSetExceptTheOnesDeliveryRestsOn) {
  mock_cluster kafka;
  // One that librdkafka takes: the producer delivers with it.
  auto producer = net::kafka_producer::create(kafka.brokers, {{"client.id", "ciro-test"}, {"compression.type", "lz4"}});
  ASSERT_TRUE(producer.has_value()) << producer.error().message;
  EXPECT_TRUE(producer.value()->produce_and_wait("ciro.alerts", "k", "v").has_value());
  // Ciro's own: refused by name, for the producer and the consumer alike.
  for (const char* name : {"acks", "enable.idempotence", "bootstrap.servers", "group.id", "enable.auto.commit"}) {
    EXPECT_NE(net::kafka_property_refused(name), "") << name;
    auto p = net::kafka_producer::create(kafka.brokers, {{name, "1"}});
    ASSERT_FALSE(p.has_value()) << name;
    EXPECT_NE(p.error().message.find(name), std::string::npos) << p.error().message;
    auto c = net::kafka_consumer::create(kafka.brokers, "g", "ciro.jobs", true, {}, {{name, "1"}});
    ASSERT_FALSE(c.has_value()) << name;
    EXPECT_NE(c.error().message.find("set by Ciro"), std::string::npos) << c.error().message;
  }
  // Unknown to librdkafka, or a value it refuses: the reason names the property.
  for (const net::kafka_properties& bad : {net::kafka_properties{{"no.such.property", "1"}},
                                           net::kafka_properties{{"compression.type", "best"}}}) {
    auto p = net::kafka_producer::create(kafka.brokers, bad);
    ASSERT_FALSE(p.has_value()) << bad[0].first;
    EXPECT_NE(p.error().message.find(bad[0].first), std::string::npos) << p.error().message;
  }
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
