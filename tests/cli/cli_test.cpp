// Runs the real `ciro` binary as a user would, checking its output and exit codes.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>

#include "tests/support/seed.hpp"

namespace {

struct outcome {
  int exit_code;
  std::string out;  // stdout
  std::string err;  // stderr
};

/// Runs `ciro <args>` through the shell, capturing stdout and stderr separately.
outcome ciro(const std::string& args) {
  // One stderr file per process and call: ctest runs the tests of this file in parallel.
  static int calls = 0;
  const std::string err_path =
      testing::TempDir() + "ciro_cli_stderr_" + std::to_string(getpid()) + "_" + std::to_string(++calls) + ".txt";
  const std::string command = std::string(CIRO_BINARY) + " " + args + " 2>" + err_path;
  FILE* pipe = popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  std::string out;
  std::array<char, 4096> buffer;
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  const int status = pclose(pipe);
  std::ifstream err_file(err_path);
  std::string err((std::istreambuf_iterator<char>(err_file)), std::istreambuf_iterator<char>());
  std::remove(err_path.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out, err};
}

std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

nlohmann::json vectors(const std::string& name) {
  std::ifstream in(ciro::test::vectors_path(name));
  return nlohmann::json::parse(in);
}

TEST(CliHash, Poseidon2BabyBearPrintsPlonky3sKnownAnswer) {
  const auto kat = vectors("poseidon2_babybear.json")["kat_w16"];
  std::string args = "hash poseidon2-babybear", expected;
  for (const auto& v : kat["input"]) args.append(" ").append(std::to_string(v.get<std::uint32_t>()));
  for (const auto& v : kat["output"]) {
    if (!expected.empty()) expected.push_back(' ');
    expected.append(std::to_string(v.get<std::uint32_t>()));
  }
  const auto r = ciro(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, expected + "\n");
}

TEST(CliHash, StarknetPoseidonPrintsStarknetsKnownAnswers) {
  const auto j = vectors("starknet_poseidon.json");
  const auto& v = j["vectors"];
  auto r = ciro("hash starknet-poseidon 1 0x2");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, v["poseidon_hash(1, 2)"].get<std::string>() + "\n");
  r = ciro("hash starknet-poseidon-many 0 1 0x2");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, v["poseidon_hash_many([0,1,2])"].get<std::string>() + "\n");
  r = ciro("hash starknet-poseidon-many");  // the empty input has a hash too
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, v["poseidon_hash_many([])"].get<std::string>() + "\n");
  EXPECT_EQ(ciro("hash starknet-poseidon-single 0").exit_code, 0);
}

TEST(CliHash, BadInputExitsTwoWithOneLineError) {
  for (const std::string args : {
           "hash",
           "hash sha3 1",
           "hash poseidon2-babybear 1 2 3",
           "hash poseidon2-babybear 2013265921 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15",
           "hash poseidon2-babybear x 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15",
           "hash poseidon2-babybear -1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15",
           "hash starknet-poseidon 1",
           "hash starknet-poseidon 1 2 3",
           "hash starknet-poseidon-single",
           "hash starknet-poseidon 0x800000000000011000000000000000000000000000000000000000000000001 1",
           "hash starknet-poseidon 12z 1",
           "hash starknet-poseidon '' 1",
           "frobnicate",
       }) {
    const auto r = ciro(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(lines(r.err), 1u) << args << ": " << r.err;
    EXPECT_EQ(r.err.rfind("ciro: ", 0), 0u) << args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << args;
  }
}

TEST(CliBench, ListsTheStableWorkloadNames) {
  const auto r = ciro("bench --list");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* name :
       {"field.babybear.mul", "ntt.babybear.2^20x1", "ntt.babybear.2^16x256", "lde.babybear.2^20x64.b2"}) {
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
  }
}

TEST(CliBench, WritesTheDocumentedJson) {
  const std::string path = testing::TempDir() + "ciro_bench_" + std::to_string(getpid()) + ".json";
  const auto r = ciro("bench --filter '^field\\.babybear\\.mul$' --repetitions 1 --json " + path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("field.babybear.mul"), std::string::npos);
  EXPECT_NE(r.err.find("[1/1] field.babybear.mul"), std::string::npos);  // progress on stderr
  std::ifstream in(path);
  const auto j = nlohmann::json::parse(in);
  EXPECT_TRUE(j["machine"]["cpu"].is_string());
  EXPECT_GE(j["machine"]["cores"].get<int>(), 1);
  EXPECT_TRUE(j["machine"]["simd_target"].is_string());
  ASSERT_EQ(j["results"].size(), 1u);
  const auto& row = j["results"][0];
  EXPECT_EQ(row["name"], "field.babybear.mul");
  EXPECT_GT(row["median_s"].get<double>(), 0);
  EXPECT_GT(row["throughput"].get<double>(), 0);
  EXPECT_EQ(row["unit"], "mul/s");
}

TEST(CliBench, UsageErrorsExitTwo) {
  for (const std::string args :
       {"bench --frobnicate", "bench --filter 'no-such-workload'", "bench --filter '('", "bench --repetitions 0",
        "bench --repetitions x", "bench --json", "bench --json /nonexistent-dir/x.json --filter field"}) {
    const auto r = ciro(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(lines(r.err), 1u) << args << ": " << r.err;
  }
}

}  // namespace
