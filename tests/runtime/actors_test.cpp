// Each actor of a node alone, under CAF's deterministic test coordinator: the messages it gets are
// sent by the test, the ones it sends go to recording stand-ins, and the coordinator runs every
// step on the test's thread, so each test sees one exact order of events.

#include "runtime/actors.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>

namespace ciro::runtime {
namespace {

namespace fs = std::filesystem;

std::string fib(const std::string& id, unsigned log_rows, int priority = 0, const std::string& extra = "") {
  return R"({"id": ")" + id + R"(", "air": "fibonacci", "log_rows": )" + std::to_string(log_rows) +
         R"(, "priority": )" + std::to_string(priority) + extra + "}";
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream f(p);
  return nlohmann::json::parse(f);
}

/// A node's shared state on a fresh spool (two cores, two workers, Fibonacci 2^10 measured at
/// 10 ms and 2^16 at 0.5 s on all cores) and an actor system on the test coordinator.
struct actors : testing::Test {
  actors() {
    dir = fs::path(testing::TempDir()) / (std::string("ciro_actors_") + testing::UnitTest::GetInstance()->current_test_info()->name() +
                                          "_" + std::to_string(getpid()));
    fs::remove_all(dir);
    config.spool = dir;
    config.cores = 2;
    config.workers = 2;
    auto opened = spool::open(dir);
    EXPECT_TRUE(opened.has_value());
    s = std::make_unique<shared_state>(std::move(opened.value()), config);
    s->cores = 2;
    s->workers = 2;
    s->model.seed("air:fibonacci:fast", 1024, 0.01, 65536, 0.5);
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    system = std::make_unique<caf::actor_system>(cfg);
    coordinator = &dynamic_cast<caf::scheduler::test_coordinator&>(system->scheduler());
  }
  ~actors() override {
    coordinator->run();
    system.reset();
    fs::remove_all(dir);
  }
  /// A job the intake has taken: its file in work/, counted as queued.
  void taken(const std::string& id, const std::string& text) {
    std::ofstream(dir / "work" / (id + ".json")) << text;
    ++s->queued;
  }
  /// A stand-in worker that records "id/cores" for each run it gets.
  worker_actor recording_worker(std::shared_ptr<std::vector<std::string>> runs) {
    return system->spawn([runs](worker_actor::pointer) -> worker_actor::behavior_type {
      return {[runs](run_atom, const std::string& id, const std::string&, double, unsigned cores, const std::string&) {
        runs->push_back(id + "/" + std::to_string(cores));
      }};
    });
  }

  fs::path dir;
  node_config config;
  std::unique_ptr<shared_state> s;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> system;
  caf::scheduler::test_coordinator* coordinator = nullptr;
};

TEST_F(actors, SchedulerRunsByPriorityAndPlacesSmallJobsOnOneCoreAndLargeOnAll) {
  const scheduler_actor sched = system->spawn(scheduler, s.get());
  auto runs = std::make_shared<std::vector<std::string>>();
  const worker_actor w1 = recording_worker(runs), w2 = recording_worker(runs);
  taken("low", fib("low", 10, -5));
  taken("high", fib("high", 10, 10));
  taken("large", fib("large", 16, 0));
  for (const auto& [id, text] : {std::pair{"low", fib("low", 10, -5)}, {"high", fib("high", 10, 10)}, {"large", fib("large", 16, 0)}}) {
    caf::anon_send(sched, submit_atom::value, std::string(id), text);
  }
  caf::anon_send(sched, idle_atom::value, w1, std::string());
  caf::anon_send(sched, idle_atom::value, w2, std::string());
  coordinator->run();
  // high (small: one core) runs; large needs both cores and waits, and low waits behind it.
  EXPECT_EQ(*runs, (std::vector<std::string>{"high/1"}));
  EXPECT_EQ(s->running.load(), 1u);
  EXPECT_EQ(s->queued.load(), 2u);
  caf::anon_send(sched, idle_atom::value, w1, std::string("high"));
  coordinator->run();
  EXPECT_EQ(*runs, (std::vector<std::string>{"high/1", "large/2"}));
  caf::anon_send(sched, idle_atom::value, w2, std::string("large"));
  coordinator->run();
  EXPECT_EQ(*runs, (std::vector<std::string>{"high/1", "large/2", "low/1"}));
  EXPECT_EQ(s->queued.load(), 0u);
}

TEST_F(actors, SchedulerRefusesADeadlineItCannotMeetAndCancelsAQueuedJob) {
  const scheduler_actor sched = system->spawn(scheduler, s.get());
  taken("late", fib("late", 16, 0, R"(, "deadline_ms": 20)"));
  taken("queued", fib("queued", 10));
  auto answers = std::make_shared<std::vector<net::job_answer>>();
  s->cancel_waiters.emplace("queued", [answers](net::job_answer a) { answers->push_back(std::move(a)); });
  caf::anon_send(sched, submit_atom::value, std::string("late"), fib("late", 16, 0, R"(, "deadline_ms": 20)"));
  caf::anon_send(sched, submit_atom::value, std::string("queued"), fib("queued", 10));
  caf::anon_send(sched, cancel_atom::value, std::string("queued"));
  coordinator->run();
  const auto late = read_json(dir / "failed" / "late.json");
  EXPECT_NE(late["reason"].get<std::string>().find("refused: the deadline of 20 ms cannot be met"), std::string::npos);
  EXPECT_NEAR(late["predicted_s"].get<double>(), 0.5, 0.01);
  EXPECT_EQ(read_json(dir / "failed" / "queued.json")["status"], "cancelled");
  ASSERT_EQ(answers->size(), 1u);
  EXPECT_EQ(answers->front().status, net::job_status::cancelled);
  EXPECT_EQ(s->summary.refused, 1u);
  EXPECT_EQ(s->queued.load(), 0u);
  EXPECT_FALSE(fs::exists(dir / "work" / "late.json"));
}

TEST_F(actors, SchedulerDrainPutsTheQueueBackIntoIn) {
  const scheduler_actor sched = system->spawn(scheduler, s.get());
  taken("a", fib("a", 10));
  taken("b", fib("b", 10));
  caf::anon_send(sched, submit_atom::value, std::string("a"), fib("a", 10));
  caf::anon_send(sched, drain_atom::value);
  caf::anon_send(sched, submit_atom::value, std::string("b"), fib("b", 10));  // after the drain
  coordinator->run();
  EXPECT_TRUE(s->drained.load());
  EXPECT_TRUE(fs::exists(dir / "in" / "a.json"));
  EXPECT_TRUE(fs::exists(dir / "in" / "b.json"));
  EXPECT_EQ(s->summary.put_back, 2u);
  EXPECT_EQ(s->queued.load(), 0u);
}

TEST_F(actors, IntakeSubmitsGoodJobFilesAndFailsBadOnesAtOnce) {
  std::ofstream(dir / "in" / "good.json") << fib("good", 8);
  std::ofstream(dir / "in" / "bad.json") << R"({"id": "bad", "air": "fibonacci"})";
  std::ofstream(dir / "in" / "other.json") << fib("not-its-name", 8);
  auto submitted = std::make_shared<std::vector<std::string>>();
  const compiler_actor recorder = system->spawn([submitted](compiler_actor::pointer) -> compiler_actor::behavior_type {
    return {[submitted](compile_atom, const std::string& id, const std::string&) { submitted->push_back(id); },
            [](drain_atom) {}};
  });
  const intake_actor in = system->spawn(intake, s.get(), recorder);
  coordinator->run();  // the first poll (later ones wait for the clock)
  EXPECT_EQ(*submitted, (std::vector<std::string>{"good"}));
  EXPECT_TRUE(fs::exists(dir / "work" / "good.json"));
  EXPECT_NE(read_json(dir / "failed" / "bad.json")["reason"].get<std::string>().find("log_rows"), std::string::npos);
  EXPECT_NE(read_json(dir / "failed" / "other.json")["reason"].get<std::string>().find("file's name"), std::string::npos);
  EXPECT_EQ(s->queued.load(), 1u);
  // A job added later is taken at a wake, without waiting for the poll.
  std::ofstream(dir / "in" / "next.json") << fib("next", 8);
  caf::anon_send(in, wake_atom::value);
  coordinator->run();
  EXPECT_EQ(*submitted, (std::vector<std::string>{"good", "next"}));
  caf::anon_send(in, drain_atom::value);
  coordinator->run();
  EXPECT_TRUE(s->intake_stopped.load());
  // The next poll, pending on the test clock, holds the intake alive: stop it.
  caf::anon_send_exit(in, caf::exit_reason::user_shutdown);
}

TEST_F(actors, CompilerCompilesBeforeTheQueueAndFailsWhatCannotBeProven) {
  // A scheduler stand-in recording what reaches it, and in which order.
  auto seen = std::make_shared<std::vector<std::string>>();
  const scheduler_actor recorder = system->spawn([seen](scheduler_actor::pointer) -> scheduler_actor::behavior_type {
    return {[seen](submit_atom, const std::string& id, const std::string&) { seen->push_back(id); },
            [](idle_atom, const worker_actor&, const std::string&) {}, [](cancel_atom, const std::string&) {},
            [seen](drain_atom) { seen->push_back("(drain)"); }};
  });
  const compiler_actor comp = system->spawn(compiler, s.get(), recorder, aggregator_actor{});
  const std::string unknown = R"({"id": "unknown", "air": "no-such-air", "log_rows": 8})";
  const std::string no_model = R"({"id": "no-model", "model": "nothing.onnx", "input": "x.json"})";
  taken("a", fib("a", 8));
  taken("b", fib("b", 8));
  taken("unknown", unknown);
  taken("no-model", no_model);
  for (const auto& [id, text] : std::vector<std::pair<std::string, std::string>>{
           {"a", fib("a", 8)}, {"unknown", unknown}, {"no-model", no_model}, {"b", fib("b", 8)}})
    caf::anon_send(comp, compile_atom::value, id, text);
  caf::anon_send(comp, drain_atom::value);
  coordinator->run();
  // The good jobs reach the scheduler in their order, the drain after them; the others fail here.
  EXPECT_EQ(*seen, (std::vector<std::string>{"a", "b", "(drain)"}));
  EXPECT_NE(read_json(dir / "failed" / "unknown.json")["reason"].get<std::string>().find("no-such-air"), std::string::npos);
  EXPECT_NE(read_json(dir / "failed" / "no-model.json")["reason"].get<std::string>().find("nothing.onnx"), std::string::npos);
  EXPECT_EQ(s->queued.load(), 2u);  // a and b, now the scheduler's
  // The first Fibonacci 2^8 set up its proving key; the second found it.
  EXPECT_EQ(s->compiled.hits_and_misses(), (std::pair<std::uint64_t, std::uint64_t>{1, 1}));
  EXPECT_NE(s->metrics.prometheus({}).find("ciro_compiles_total{cached=\"true\"} 1"), std::string::npos);
}

TEST_F(actors, WorkerProvesAndReportsToThePublisherAndTheScheduler) {
  auto published = std::make_shared<std::vector<std::pair<std::string, bool>>>();
  auto idles = std::make_shared<std::vector<std::string>>();
  const publisher_actor pub = system->spawn([published](publisher_actor::pointer) -> publisher_actor::behavior_type {
    return {[published](publish_atom, const std::string& id, bool ok, const std::string& text, const std::string& proof,
                        const std::string& kind, double units, const std::string&, double wall, double, double, double) {
      published->emplace_back(id, ok && !proof.empty() && kind == "air:fibonacci:fast:1core" && units == 256 && wall > 0 &&
                                      nlohmann::json::parse(text)["cost"]["cores"] == 1);
    },
            [](write_atom) {}};
  });
  const scheduler_actor recorder = system->spawn([idles](scheduler_actor::pointer) -> scheduler_actor::behavior_type {
    return {[](submit_atom, const std::string&, const std::string&) {},
            [idles](idle_atom, const worker_actor&, const std::string& id) { idles->push_back(id); },
            [](cancel_atom, const std::string&) {}, [](drain_atom) {}};
  });
  const worker_actor w = system->spawn(worker, s.get(), pub, recorder);
  std::ofstream(dir / "work" / "j.json") << fib("j", 8);
  caf::anon_send(w, run_atom::value, std::string("j"), fib("j", 8), 0.01, 1u, std::string("air:fibonacci:fast:1core"));
  caf::anon_send(w, run_atom::value, std::string("broken"), std::string("{"), 0.0, 1u, std::string("x"));
  coordinator->run();
  ASSERT_EQ(published->size(), 2u);
  EXPECT_EQ(published->at(0), (std::pair<std::string, bool>{"j", true}));
  EXPECT_EQ(published->at(1), (std::pair<std::string, bool>{"broken", false}));
  EXPECT_EQ(*idles, (std::vector<std::string>{"j", "broken"}));
  EXPECT_EQ(s->publishing.load(), 2u);  // the stand-in publisher did not write them
}

TEST_F(actors, PublisherWritesTellsTheWaitingAndLearns) {
  const publisher_actor pub = system->spawn(publisher, s.get());
  std::ofstream(dir / "work" / "p.json") << fib("p", 12);
  auto answers = std::make_shared<std::vector<net::job_answer>>();
  s->listeners.emplace("p", [answers](net::job_answer a) { answers->push_back(std::move(a)); });
  ++s->publishing;
  const std::string text = R"({"id": "p", "status": "done", "predicted_s": 0.04})";
  caf::anon_send(pub, publish_atom::value, std::string("p"), true, text, std::string("PROOF"), std::string("air:fibonacci:fast"),
                 4096.0, std::string("fibonacci"), 0.05, 0.05, 0.0, 0.04);
  coordinator->run();
  EXPECT_TRUE(fs::exists(dir / "out" / "p.json"));
  EXPECT_FALSE(fs::exists(dir / "work" / "p.json"));
  ASSERT_EQ(answers->size(), 1u);
  EXPECT_EQ(answers->front().status, net::job_status::done);
  EXPECT_EQ(answers->front().proof, "PROOF");
  EXPECT_TRUE(s->listeners.empty());
  EXPECT_EQ(s->summary.done, 1u);
  EXPECT_EQ(s->publishing.load(), 0u);
  EXPECT_EQ(s->predictions, 1u);
  EXPECT_EQ(s->model.rates().at("air:fibonacci:fast").samples, 3u);  // two calibration points and this job
  EXPECT_NE(s->metrics.prometheus({}).find("ciro_jobs_done_total{kind=\"fibonacci\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace ciro::runtime
