// The compiler's cache: proving keys by statement, models by the content of their file, least
// recently used first out; a cached key is the key a fresh setup makes.

#include "runtime/compile_cache.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>


namespace ciro::runtime {
namespace {

namespace fs = std::filesystem;

job_spec air_job(const std::string& air, unsigned log_rows, const std::string& profile = "fast") {
  job_spec j;
  j.id = "j";
  j.air = air;
  j.log_rows = log_rows;
  j.profile = profile;
  return j;
}

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::path(testing::TempDir()) / ("ciro_compile_cache_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void replace_file(const fs::path& from, const fs::path& to) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

TEST(CompileCache, ProvingKeysAreSetUpOncePerStatement) {
  compile_cache cache;
  bool made = false;
  auto k1 = cache.air_key<field::babybear4>(air_job("fibonacci", 8), &made);
  ASSERT_TRUE(k1) << k1.error().message;
  EXPECT_TRUE(made);
  made = false;
  auto k2 = cache.air_key<field::babybear4>(air_job("fibonacci", 8), &made);
  ASSERT_TRUE(k2);
  EXPECT_FALSE(made);
  EXPECT_EQ(k1.value().get(), k2.value().get());
  // Another size, another key; the same key as a freshly set up one.
  auto k3 = cache.air_key<field::babybear4>(air_job("fibonacci", 9));
  ASSERT_TRUE(k3);
  EXPECT_NE(k3.value().get(), k1.value().get());
  compile_cache fresh;
  auto k4 = fresh.air_key<field::babybear4>(air_job("fibonacci", 9));
  ASSERT_TRUE(k4);
  EXPECT_EQ(k4.value()->vk.fixed_root, k3.value()->vk.fixed_root);
  EXPECT_EQ(k4.value()->vk.tables.size(), k3.value()->vk.tables.size());
  EXPECT_EQ(cache.hits_and_misses(), (std::pair<std::uint64_t, std::uint64_t>{1, 2}));
}

TEST(CompileCache, TheLeastRecentlyUsedEntryGoesFirst) {
  compile_cache cache(2);
  const auto make = [&](unsigned k) {
    bool made = false;
    EXPECT_TRUE(cache.air_key<field::babybear4>(air_job("fibonacci", k), &made));
    return made;
  };
  EXPECT_TRUE(make(6));
  EXPECT_TRUE(make(7));
  EXPECT_FALSE(make(6));  // 6 now the most recent
  EXPECT_TRUE(make(8));   // evicts 7
  EXPECT_FALSE(make(6));
  EXPECT_TRUE(make(7));
}

TEST(CompileCache, CompileRefusesWhatCannotBeProven) {
  compile_cache cache;
  const fs::path d = fresh_dir("refuses");
  auto unknown = cache.compile(air_job("no-such-air", 8), d);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("no-such-air"), std::string::npos);
  job_spec m;
  m.what = job_spec::kind::model;
  m.model = "missing.onnx";
  m.input = "x.json";
  auto missing = cache.compile(m, d);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("missing.onnx"), std::string::npos);
  std::ofstream(d / "garbage.onnx") << "not a model";
  m.model = "garbage.onnx";
  auto garbage = cache.compile(m, d);
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message.find("garbage.onnx"), std::string::npos);
  // A model with an input that does not fit it.
  replace_file(fs::path(CIRO_ZKML_MODELS_DIR) / "mlp.onnx", d / "m.onnx");
  std::ofstream(d / "x.json") << R"({"input": {"shape": [1, 3], "data": [1, 2, 3]}})";
  m.model = "m.onnx";
  auto bad_input = cache.compile(m, d);
  ASSERT_FALSE(bad_input);
}

TEST(CompileCache, ModelsAreKeptByTheContentOfTheirFile) {
  compile_cache cache;
  const fs::path d = fresh_dir("models");
  const fs::path models = CIRO_ZKML_MODELS_DIR;
  {
    std::ifstream in(models / "linear_classifier.inputs.json");
    std::ofstream(d / "x.json") << nlohmann::json::parse(in)["inputs"][0].dump();
  }
  replace_file(models / "linear_classifier.onnx", d / "m.onnx");
  job_spec m;
  m.what = job_spec::kind::model;
  m.model = "m.onnx";
  m.input = "x.json";
  auto first = cache.compile(m, d);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE(first.value().cached);
  auto second = cache.compile(m, d);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second.value().cached);
  auto a = cache.model_input(m, d);
  ASSERT_TRUE(a);
  // The same path with other bytes is another model: parsed again, never the old parse.
  replace_file(models / "mlp.onnx", d / "m.onnx");
  {
    std::ifstream in(models / "mlp.inputs.json");
    std::ofstream(d / "x.json") << nlohmann::json::parse(in)["inputs"][0].dump();
  }
  bool made = false;
  auto b = cache.model_input(m, d, &made);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_TRUE(made);
  EXPECT_NE(a.value().model.get(), b.value().model.get());
  std::ifstream f(d / "m.onnx", std::ios::binary);
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(f), {}};
  EXPECT_EQ(b.value().model->bytes, bytes);
}

}  // namespace
}  // namespace ciro::runtime
