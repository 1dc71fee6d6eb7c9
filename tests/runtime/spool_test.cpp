// The spool directory: jobs move in/ -> work/ -> out/ or failed/, a stopped node's work/ is
// recovered, a duplicate id gives one result, files that are not jobs are set aside.

#include "runtime/spool.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

namespace ciro::runtime {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::path(testing::TempDir()) / (std::string("ciro_spool_") + name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  return d;
}

void put(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

TEST(Spool, MovesJobsThroughWorkToOutAndRecoversWork) {
  const fs::path d = fresh_dir("moves");
  auto s = spool::open(d);
  ASSERT_TRUE(s) << s.error().message;
  put(d / "in" / "a.json", R"({"id": "a", "air": "fibonacci", "log_rows": 3})");
  put(d / "in" / "b.json", R"({"id": "b", "air": "fibonacci", "log_rows": 3})");
  EXPECT_EQ(s.value().waiting(), 2u);
  auto taken = s.value().take(1);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_TRUE(fs::exists(d / "work" / (taken[0].id + ".json")));
  EXPECT_EQ(s.value().waiting(), 1u);
  // A node stopped here: the taken job is queued again at the next start.
  EXPECT_EQ(s.value().recover().requeued, 1u);
  EXPECT_EQ(s.value().waiting(), 2u);
  taken = s.value().take(10);
  ASSERT_EQ(taken.size(), 2u);
  job_result r;
  r.id = "a";
  r.ok = true;
  s.value().finish(r, {1, 2, 3});
  EXPECT_TRUE(fs::exists(d / "out" / "a.json"));
  EXPECT_EQ(fs::file_size(d / "out" / "a.proof"), 3u);
  EXPECT_FALSE(fs::exists(d / "work" / "a.json"));
  s.value().put_back("b");
  EXPECT_TRUE(fs::exists(d / "in" / "b.json"));
  fs::remove_all(d);
}

TEST(Spool, AProofEqualToTheLastOneIsLinkedNotWrittenAgain) {
  const fs::path d = fresh_dir("links");
  auto s = spool::open(d);
  ASSERT_TRUE(s) << s.error().message;
  const auto read = [&](const std::string& id) {
    std::ifstream f(d / "out" / (id + ".proof"), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  const std::string batch(100000, 'b'), other = batch.substr(0, 99999) + "c";
  ASSERT_TRUE(s.value().finish("a", true, "{}", batch));
  ASSERT_TRUE(s.value().finish("b", true, "{}", batch));
  ASSERT_TRUE(s.value().finish("c", true, "{}", other));  // equal length, one byte differs
  ASSERT_TRUE(s.value().finish("d", true, "{}", other));
  EXPECT_EQ(read("a"), batch);
  EXPECT_EQ(read("b"), batch);
  EXPECT_EQ(read("c"), other);
  EXPECT_EQ(read("d"), other);
  EXPECT_TRUE(fs::equivalent(d / "out" / "a.proof", d / "out" / "b.proof"));
  EXPECT_FALSE(fs::equivalent(d / "out" / "b.proof", d / "out" / "c.proof"));
  EXPECT_TRUE(fs::equivalent(d / "out" / "c.proof", d / "out" / "d.proof"));
  // The first file gone (an operator's clean-up): the next equal proof is written, not lost.
  fs::remove(d / "out" / "d.proof");
  fs::remove(d / "out" / "c.proof");
  ASSERT_TRUE(s.value().finish("e", true, "{}", other));
  EXPECT_EQ(read("e"), other);
  fs::remove_all(d);
}

TEST(Spool, ManyResultsAreWrittenTogetherAndAStoppedWriteLeavesOnlyTemporariesThatRecoveryRemoves) {
  const fs::path d = fresh_dir("many");
  auto s = spool::open(d);
  ASSERT_TRUE(s) << s.error().message;
  for (const char* id : {"a", "b", "c", "f"}) put(d / "in" / (std::string(id) + ".json"), "{}");
  ASSERT_EQ(s.value().take(10).size(), 4u);
  const std::string batch(50000, 'p');
  const std::vector<spool::finishing> results = {
      {"a", true, R"({"id": "a"})", batch}, {"b", true, R"({"id": "b"})", batch},
      {"c", true, R"({"id": "c"})", batch}, {"f", false, R"({"id": "f", "reason": "r"})", ""}};
  const std::vector<bool> written = s.value().finish_many(results);
  EXPECT_EQ(written, std::vector<bool>(4, true));
  for (const char* id : {"a", "b", "c"}) {
    std::ifstream f(d / "out" / (std::string(id) + ".proof"), std::ios::binary);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(f), {}), batch) << id;
    EXPECT_TRUE(fs::exists(d / "out" / (std::string(id) + ".json"))) << id;
    EXPECT_FALSE(fs::exists(d / "work" / (std::string(id) + ".json"))) << id;
  }
  EXPECT_TRUE(fs::equivalent(d / "out" / "a.proof", d / "out" / "c.proof"));  // one file, linked
  EXPECT_TRUE(fs::exists(d / "failed" / "f.json"));
  for (const auto& e : fs::directory_iterator(d / "out")) EXPECT_NE(e.path().filename().string().front(), '.');
  // A node stopped between writing and renaming leaves temporaries only: the next start removes
  // them, and the job, still in work/, runs again.
  put(d / "in" / "g.json", "{}");
  ASSERT_EQ(s.value().take(1).size(), 1u);
  put(d / "out" / ".g.proof.tmp", "half a proof");
  put(d / "out" / ".g.json.tmp", "{");
  const auto r = s.value().recover();
  EXPECT_EQ(r.requeued, 1u);
  EXPECT_FALSE(fs::exists(d / "out" / ".g.proof.tmp"));
  EXPECT_FALSE(fs::exists(d / "out" / ".g.json.tmp"));
  EXPECT_FALSE(fs::exists(d / "out" / "g.json"));
  EXPECT_TRUE(fs::exists(d / "in" / "g.json"));
  fs::remove_all(d);
}

TEST(Spool, ADuplicateIdGivesOneResultAndStrayFilesAreSetAside) {
  const fs::path d = fresh_dir("dup");
  auto s = spool::open(d);
  ASSERT_TRUE(s);
  job_result r;
  r.id = "a";
  r.ok = true;
  s.value().finish(r, {});
  put(d / "in" / "a.json", R"({"id": "a", "air": "fibonacci", "log_rows": 3})");
  put(d / "in" / "notes.txt", "hello");
  put(d / "in" / "bad id!.json", "{}");
  EXPECT_TRUE(s.value().take(10).empty());
  EXPECT_FALSE(fs::exists(d / "in" / "a.json"));
  // The same id again while it is running: dropped, the running job's result will stand.
  put(d / "in" / "b.json", R"({"id": "b", "air": "fibonacci", "log_rows": 3})");
  ASSERT_EQ(s.value().take(10).size(), 1u);
  put(d / "in" / "b.json", R"({"id": "b", "air": "fibonacci", "log_rows": 4})");
  EXPECT_TRUE(s.value().take(10).empty());
  EXPECT_EQ(s.value().waiting(), 0u);
  // A huge file is read no further than a job file can be long.
  put(d / "in" / "big.json", std::string(1 << 20, ' '));
  const auto big = s.value().take(10);
  ASSERT_EQ(big.size(), 1u);
  EXPECT_EQ(big[0].text.size(), max_job_file_bytes + 1);
  EXPECT_FALSE(parse_job(big[0].text));
  EXPECT_TRUE(fs::exists(d / "failed" / "notes.txt.reason"));
  EXPECT_TRUE(fs::exists(d / "failed" / "bad id!.json.reason"));
  fs::remove_all(d);
}

TEST(Spool, AnUnusableDirectoryIsRefused) {
  const fs::path d = fresh_dir("file");
  put(d, "a file, not a directory");
  auto s = spool::open(d);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("cannot create"), std::string::npos);
  fs::remove(d);
}

TEST(Spool, AJobThatKeepsKillingTheNodeFailsAfterMaxAttempts) {
  const fs::path d = fresh_dir("attempts");
  auto s = spool::open(d);
  ASSERT_TRUE(s);
  put(d / "in" / "killer.json", R"({"id": "killer", "air": "fibonacci", "log_rows": 3})");
  put(d / "in" / "queued.json", R"({"id": "queued", "air": "fibonacci", "log_rows": 3})");
  for (unsigned attempt = 1; attempt <= spool::max_attempts; ++attempt) {
    const auto taken = s.value().take(10);
    ASSERT_EQ(taken.size(), 2u) << attempt;
    EXPECT_EQ(s.value().begin_attempt("killer"), attempt);  // only killer starts proving
    // The node dies here; the next start recovers both: killer counts a start, queued does not.
    const auto r = s.value().recover();
    if (attempt < spool::max_attempts) {
      EXPECT_EQ(r.requeued, 2u);
      EXPECT_TRUE(r.given_up.empty());
    } else {
      EXPECT_EQ(r.requeued, 1u);
      ASSERT_EQ(r.given_up.size(), 1u);
      EXPECT_EQ(r.given_up[0], "killer");
    }
  }
  std::ifstream f(d / "failed" / "killer.json");
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("stopped 3 times"), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(d / "work" / "killer.attempts"));
  EXPECT_TRUE(fs::exists(d / "in" / "queued.json"));
  // A job that finishes leaves no count behind.
  ASSERT_EQ(s.value().take(1).size(), 1u);
  s.value().begin_attempt("queued");
  job_result ok;
  ok.id = "queued";
  ok.ok = true;
  EXPECT_TRUE(s.value().finish(ok, {}));
  EXPECT_FALSE(fs::exists(d / "work" / "queued.attempts"));
  fs::remove_all(d);
}

TEST(Spool, ABatchsAttemptsCountTogetherAndAFinishedJobLeftInWorkIsRemovedAtStart) {
  const fs::path d = fresh_dir("batch_attempts");
  auto s = spool::open(d);
  ASSERT_TRUE(s);
  for (const char* id : {"a", "b", "c"}) {
    put(d / "in" / (std::string(id) + ".json"), std::string(R"({"id": ")") + id + R"(", "air": "fibonacci", "log_rows": 3})");
  }
  ASSERT_EQ(s.value().take(3).size(), 3u);
  s.value().begin_attempts({"a", "b", "c"});
  s.value().begin_attempts({"a", "b"});
  std::ifstream fa(d / "work" / "a.attempts"), fc(d / "work" / "c.attempts");
  unsigned na = 0, nc = 0;
  fa >> na;
  fc >> nc;
  EXPECT_EQ(na, 2u);
  EXPECT_EQ(nc, 1u);
  // b finishes, but a crash loses its removal from work/ (put back here by hand): at the next start
  // it is removed, not run again and not failed; a and c run again.
  job_result ok;
  ok.id = "b";
  ok.ok = true;
  ASSERT_TRUE(s.value().finish(ok, {}));
  put(d / "work" / "b.json", R"({"id": "b", "air": "fibonacci", "log_rows": 3})");
  put(d / "work" / "b.attempts", "3\n");
  const auto r = s.value().recover();
  EXPECT_EQ(r.requeued, 2u);
  EXPECT_TRUE(r.given_up.empty());
  EXPECT_FALSE(fs::exists(d / "work" / "b.json"));
  EXPECT_FALSE(fs::exists(d / "work" / "b.attempts"));
  EXPECT_FALSE(fs::exists(d / "failed" / "b.json"));
  EXPECT_TRUE(fs::exists(d / "out" / "b.json"));
  fs::remove_all(d);
}

}  // namespace
}  // namespace ciro::runtime
