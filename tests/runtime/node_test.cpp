// A node on its spool directory, end to end: AIR and model jobs proven (the proofs verify), bad
// jobs failed with their reason while the node stays up, priorities, and a stop that loses nothing.

#include "runtime/node.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <mutex>
#include <thread>

#include "field/extension.hpp"
#include "runtime/throughput.hpp"
#include "stark/proof.hpp"
#include "stark/proof_check.hpp"
#include "zkml/model_proof.hpp"

namespace ciro::runtime {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::path(testing::TempDir()) / (std::string("ciro_node_") + name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d / "in");
  return d;
}

void put(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

nlohmann::json read_json(const fs::path& p) {
  std::ifstream f(p);
  return nlohmann::json::parse(f);
}

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

TEST(Node, ProvesAirAndModelJobsAndFailsBadOnesAlone) {
  const fs::path d = fresh_dir("jobs");
  const std::string models = CIRO_ZKML_MODELS_DIR;
  {
    std::ifstream in(models + "/mlp.inputs.json");
    const auto sets = nlohmann::json::parse(in);
    put(d / "x.json", sets["inputs"][0].dump());
  }
  put(d / "in" / "fib.json", R"({"id": "fib", "air": "fibonacci", "log_rows": 8})");
  put(d / "in" / "mlp.json", std::string(R"({"id": "mlp", "model": ")") + models + R"(/mlp.onnx", "input": "x.json"})");
  put(d / "in" / "broken.json", R"({"id": "broken", "air": "fibonacci"})");
  put(d / "in" / "unknown.json", R"({"id": "unknown", "air": "no-such-air", "log_rows": 8})");
  put(d / "in" / "missing.json", R"({"id": "missing", "model": "nothing.onnx", "input": "x.json"})");
  node_config c;
  c.spool = d;
  c.once = true;
  c.poll = std::chrono::milliseconds(20);
  c.price.core_hour = 0.04;
  std::atomic<bool> stop{false};
  auto s = run_node(c, stop);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s.value().done, 2u);
  EXPECT_EQ(s.value().failed, 3u);

  const auto fib = read_json(d / "out" / "fib.json");
  EXPECT_EQ(fib["status"], "done");
  EXPECT_GT(fib["cost"]["wall_s"].get<double>(), 0.0);
  EXPECT_GE(fib["cost"]["cpu_s"].get<double>(), 0.0);
  EXPECT_GT(fib["cost"]["peak_rss_bytes"].get<std::uint64_t>(), 0u);
  EXPECT_GE(fib["result"]["security_bits"].get<int>(), 100);
  auto proof = stark::decode<field::babybear4>(read_bytes(d / "out" / "fib.proof"));
  ASSERT_TRUE(proof) << proof.error().message;

  const auto mlp = read_json(d / "out" / "mlp.json");
  EXPECT_EQ(mlp["status"], "done");
  EXPECT_EQ(mlp["result"]["outputs"].size(), 1u);
  auto v = zkml::verify_model(read_bytes(d / "out" / "mlp.proof"));
  ASSERT_TRUE(v) << v.error().message;

  for (const char* id : {"broken", "unknown", "missing"}) {
    const auto f = read_json(d / "failed" / (std::string(id) + ".json"));
    EXPECT_EQ(f["status"], "failed") << id;
    EXPECT_FALSE(f["reason"].get<std::string>().empty()) << id;
  }
  EXPECT_TRUE(fs::is_empty(d / "in"));
  EXPECT_TRUE(fs::is_empty(d / "work"));
  fs::remove_all(d);
}

TEST(Node, AStopPutsQueuedJobsBackAndARestartFinishesThem) {
  const fs::path d = fresh_dir("stop");
  for (int i = 0; i < 6; ++i)
    put(d / "in" / (std::string("j") + std::to_string(i) + ".json"),
        std::string(R"({"id": "j)") + std::to_string(i) + R"(", "air": "fibonacci", "log_rows": 12})");
  node_config c;
  c.spool = d;
  c.poll = std::chrono::milliseconds(10);
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    // Stop as soon as the first result is written.
    while (!fs::exists(d / "out") || fs::is_empty(d / "out")) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    stop = true;
  });
  auto first = run_node(c, stop);
  stopper.join();
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_GE(first.value().done, 1u);
  EXPECT_LT(first.value().done, 6u);
  EXPECT_TRUE(fs::is_empty(d / "work"));  // nothing left half-done
  c.once = true;
  std::atomic<bool> no_stop{false};
  auto second = run_node(c, no_stop);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(first.value().done + second.value().done, 6u);
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(fs::exists(d / "out" / (std::string("j") + std::to_string(i) + ".json"))) << i;
  fs::remove_all(d);
}

TEST(Node, PredictsFromItsCalibrationRefusesDeadlinesItCannotMeetAndReportsItsError) {
  const fs::path d = fresh_dir("deadline");
  put(d / "in" / "ok.json", R"({"id": "ok", "air": "fibonacci", "log_rows": 12, "deadline_ms": 600000})");
  put(d / "in" / "late.json", R"({"id": "late", "air": "fibonacci", "log_rows": 18, "deadline_ms": 1})");
  node_config c;
  c.spool = d;
  c.once = true;
  c.poll = std::chrono::milliseconds(20);
  std::atomic<bool> stop{false};
  auto s = run_node(c, stop);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s.value().done, 1u);
  EXPECT_EQ(s.value().refused, 1u);
  // The calibration was saved and a prediction stands beside the actual time.
  EXPECT_TRUE(fs::exists(d / "throughput.json"));
  const auto ok = read_json(d / "out" / "ok.json");
  ASSERT_TRUE(ok["predicted_s"].is_number()) << ok.dump();
  EXPECT_GT(ok["predicted_s"].get<double>(), 0.0);
  const auto late = read_json(d / "failed" / "late.json");
  EXPECT_NE(late["reason"].get<std::string>().find("deadline of 1 ms cannot be met (predicted"), std::string::npos)
      << late.dump();
  EXPECT_GT(late["predicted_s"].get<double>(), 0.001);
  const auto metrics = read_json(d / "metrics.json");
  EXPECT_EQ(metrics["done"], 1);
  EXPECT_EQ(metrics["refused"], 1);
  EXPECT_EQ(metrics["predictions"], 1);
  EXPECT_GE(metrics["mean_rel_error"].get<double>(), 0.0);
  EXPECT_TRUE(metrics["throughput"].contains("air:fibonacci:fast"));
  fs::remove_all(d);
}

TEST(Node, PrioritiesOrderTheQueue) {
  const fs::path d = fresh_dir("priority");
  // One worker: the first job taken starts at once, the others wait in the queue.
  const std::pair<const char*, int> jobs[] = {{"first", 0}, {"low", -5}, {"high", 10}, {"mid", 0}};
  for (const auto& [id, priority] : jobs) {
    put(d / "in" / (std::string(id) + ".json"), std::string(R"({"id": ")") + id +
                                                   R"(", "air": "fibonacci", "log_rows": 10, "priority": )" +
                                                   std::to_string(priority) + "}");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // distinct modification times
  }
  node_config c;
  c.spool = d;
  c.once = true;
  c.workers = 1;
  c.poll = std::chrono::milliseconds(50);
  std::mutex m;
  std::vector<std::string> order;
  c.log = [&](const std::string& line) {
    if (line.size() > 8 && line.ends_with(" proving")) {
      std::lock_guard lock(m);
      order.push_back(line.substr(4, line.size() - 4 - 8));
    }
  };
  std::atomic<bool> stop{false};
  auto s = run_node(c, stop);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(order, (std::vector<std::string>{"first", "high", "mid", "low"}));
  fs::remove_all(d);
}

TEST(Node, SmallJobsRunSideBySideOnOneCoreLargeOnesOnAll) {
  const fs::path d = fresh_dir("placement");
  // Four cores (whatever this machine has: the arenas are the scheduler's), a measured model in
  // which Fibonacci 2^10 takes 10 ms on all cores (small) and 2^16 takes 0.5 s (large).
  throughput_model m;
  m.seed("air:fibonacci:fast", 1024, 0.01, 65536, 0.5);
  std::ofstream(d / "throughput.json") << m.to_json().dump();
  put(d / "in" / "big.json", R"({"id": "big", "air": "fibonacci", "log_rows": 16})");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (int i = 0; i < 4; ++i) {
    put(d / "in" / ("small" + std::to_string(i) + ".json"),
        R"({"id": "small)" + std::to_string(i) + R"(", "air": "fibonacci", "log_rows": 10})");
  }
  node_config c;
  c.spool = d;
  c.once = true;
  c.cores = 4;
  c.poll = std::chrono::milliseconds(20);
  std::atomic<bool> stop{false};
  auto s = run_node(c, stop);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s.value().done, 5u);
  // Each kind is learned under its placement: the small jobs' one-core rate is a kind of its own,
  // the large job moved the all-core one.
  const auto learned = read_json(d / "throughput.json");
  EXPECT_TRUE(learned.contains("air:fibonacci:fast:1core")) << learned.dump();
  EXPECT_TRUE(learned.contains("air:fibonacci:fast"));
  EXPECT_EQ(read_json(d / "out" / "big.json")["cost"]["cores"], 4);
  for (int i = 0; i < 4; ++i) {
    const auto cost = read_json(d / "out" / ("small" + std::to_string(i) + ".json"))["cost"];
    EXPECT_EQ(cost["cores"], 1);
    // The thread's own CPU time: within its wall time, though other jobs ran beside it.
    EXPECT_GT(cost["cpu_s"].get<double>(), 0.0);
    EXPECT_LE(cost["cpu_s"].get<double>(), cost["wall_s"].get<double>() + 0.002);
  }
  fs::remove_all(d);
}

TEST(Node, BatchesJobsOfOneStatementKindAndEachJobChecksInItsBatchProof) {
  const fs::path d = fresh_dir("batches");
  // A model in which a Fibonacci 2^6 instance takes 1 ms plus 5 ms per proof: a full batch meets
  // the deadline of the job that has one, not the job with a tight deadline (which goes alone).
  throughput_model m;
  m.seed("air:fibonacci:fast", 64, 0.006, 6400, 0.105);
  std::ofstream(d / "throughput.json") << m.to_json().dump();
  const int jobs = 20;
  for (int i = 0; i < jobs; ++i) {
    std::string id = "j";
    id += std::to_string(i);
    std::string text = R"({"id": ")";
    text += id;
    text += R"(", "air": "fibonacci", "log_rows": 6, "instances": )";
    text += std::to_string(1 + i % 3);
    if (i == 7) text += R"(, "deadline_ms": 600000)";
    text += "}";
    put(d / "in" / (id + ".json"), text);
  }
  put(d / "in" / "tight.json", R"({"id": "tight", "air": "fibonacci", "log_rows": 6, "deadline_ms": 150})");
  put(d / "in" / "p0.json", R"({"id": "p0", "air": "poseidon2", "log_rows": 4})");
  put(d / "in" / "p1.json", R"({"id": "p1", "air": "poseidon2", "log_rows": 4, "instances": 2})");
  put(d / "in" / "r.json", R"({"id": "r", "air": "range-check", "log_rows": 8})");
  node_config c;
  c.spool = d;
  c.once = true;
  c.workers = 1;
  c.poll = std::chrono::milliseconds(20);
  c.batch.max_jobs = 8;
  c.batch.window = std::chrono::milliseconds(300);
  std::atomic<bool> stop{false};
  auto s = run_node(c, stop);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s.value().done, static_cast<std::size_t>(jobs) + 4);
  EXPECT_EQ(s.value().failed, 0u);
  std::map<std::string, int> per_batch;
  const auto check = [&](const std::string& id) {
    const auto r = read_json(d / "out" / (id + ".json"));
    EXPECT_EQ(r["status"], "done") << id;
    const auto& res = r["result"];
    const auto proof = read_bytes(d / "out" / (id + ".proof"));
    stark::expected_statement mine{res["air"], res["log_rows"], res["instances"], std::nullopt};
    if (res.contains("batch")) {
      ++per_batch[res["batch"]["id"]];
      mine.batch_first = res["batch"]["first_instance"].get<unsigned>();
    }
    const auto v = stark::check_proof_file(proof, 100, std::nullopt, mine);
    EXPECT_EQ(v.outcome, stark::proof_check::valid) << id << ": " << v.message;
    return res.contains("batch");
  };
  int batched = 0;
  for (int i = 0; i < jobs; ++i) {
    std::string id = "j";
    id += std::to_string(i);
    batched += check(id);
  }
  EXPECT_GT(batched, jobs / 2) << "most Fibonacci jobs share batches";
  const bool p0 = check("p0"), p1 = check("p1");
  EXPECT_TRUE(p0 && p1) << "the two Poseidon2 jobs share a batch";
  EXPECT_FALSE(check("r")) << "range-check jobs are proven alone";
  EXPECT_FALSE(check("tight")) << "a batch would miss its deadline: proven alone";
  for (const auto& [batch, n] : per_batch) {
    EXPECT_LE(n, 8) << batch;
    EXPECT_GE(n, 2) << batch;
  }
  EXPECT_TRUE(fs::is_empty(d / "in"));
  EXPECT_TRUE(fs::is_empty(d / "work"));
  fs::remove_all(d);
}

}  // namespace
}  // namespace ciro::runtime
