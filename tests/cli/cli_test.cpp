// Runs the real `ciro` binary as a user would, checking its output and exit codes.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

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

/// A scratch path unique to this process and tag.
std::string scratch(const std::string& tag) {
  return testing::TempDir() + "ciro_cli_" + std::to_string(getpid()) + "_" + tag;
}

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// The number before "-bit" in a `ciro verify` line, or 0.
unsigned security_bits(const std::string& line) {
  const auto end = line.find("-bit");
  if (end == std::string::npos) return 0;
  auto begin = end;
  while (begin > 0 && std::isdigit(static_cast<unsigned char>(line[begin - 1]))) --begin;
  return begin == end ? 0u : static_cast<unsigned>(std::stoul(line.substr(begin, end - begin)));
}

/// A rejected proof: exit 1 and exactly one line, on stdout, that gives the reason.
void expect_rejected(const outcome& r, const std::string& what) {
  EXPECT_EQ(r.exit_code, 1) << what << ": " << r.out << r.err;
  EXPECT_EQ(lines(r.out), 1u) << what << ": " << r.out;
  EXPECT_EQ(r.out.rfind("invalid: ", 0), 0u) << what << ": " << r.out;
  EXPECT_TRUE(r.err.empty()) << what << ": " << r.err;
}

TEST(CliProve, AFibonacciProofVerifiesWithOneLineNamingTheStatementAndSecurity) {
  const std::string path = scratch("fib6.proof");
  const auto proved = ciro("prove --air fibonacci --log-rows 6 -o " + path);
  ASSERT_EQ(proved.exit_code, 0) << proved.err;
  const auto r = ciro("verify " + path);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(lines(r.out), 1u) << r.out;
  EXPECT_EQ(r.out.rfind("valid: fibonacci, 2^6 rows", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("100-bit"), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;
  std::remove(path.c_str());
}

TEST(CliProve, TheSecureProfileGivesAtLeast128Bits) {
  const std::string path = scratch("fib6_secure.proof");
  const auto proved = ciro("prove --air fibonacci --log-rows 6 --profile secure -o " + path);
  ASSERT_EQ(proved.exit_code, 0) << proved.err;
  const auto r = ciro("verify " + path);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_GE(security_bits(r.out), 128u) << r.out;
  std::remove(path.c_str());
}

TEST(CliVerify, TheGoldenProofFilesVerify) {
  for (const std::string name :
       {"fibonacci_2_8_fast_v1.proof", "poseidon2_2_3_fast_v1.proof", "poseidon2_2_3_secure_v1.proof"}) {
    const auto r = ciro(std::string("verify ") + CIRO_FIXTURES_DIR + "/" + name);
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.out << r.err;
    EXPECT_NE(r.out.find("valid: "), std::string::npos) << name << ": " << r.out;
  }
}

TEST(CliVerify, TruncatedFlippedEmptyAndForeignFilesExitOneWithOneLine) {
  const std::string path = scratch("fib5.proof");
  ASSERT_EQ(ciro("prove --air fibonacci --log-rows 5 -o " + path).exit_code, 0);
  const auto bytes = read_bytes(path);
  ASSERT_GT(bytes.size(), 64u);
  const std::string tampered = scratch("fib5_tampered.proof");
  for (const std::size_t len : {std::size_t{0}, std::size_t{3}, std::size_t{40}, bytes.size() / 2, bytes.size() - 1}) {
    write_bytes(tampered, std::vector<char>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(len)));
    expect_rejected(ciro("verify " + tampered), "truncated to " + std::to_string(len));
  }
  for (const std::size_t pos : {std::size_t{0}, std::size_t{20}, bytes.size() / 2, bytes.size() - 1}) {
    auto flipped = bytes;
    flipped[pos] = static_cast<char>(flipped[pos] ^ 0x5a);
    write_bytes(tampered, flipped);
    expect_rejected(ciro("verify " + tampered), "byte " + std::to_string(pos) + " flipped");
  }
  auto longer = bytes;
  longer.push_back(0);
  write_bytes(tampered, longer);
  expect_rejected(ciro("verify " + tampered), "one byte appended");
  write_bytes(tampered, std::vector<char>(1000, 'x'));
  expect_rejected(ciro("verify " + tampered), "not a proof");
  std::remove(tampered.c_str());
  std::remove(path.c_str());
}

TEST(CliVerify, UsageErrorsAndUnreadableFilesExitTwoWithOneLine) {
  for (const std::string args : {"verify", "verify /nonexistent/ciro.proof", "verify /", "verify --frobnicate x",
                                 "verify a.proof b.proof", "verify --min-security", "verify --min-security x a"}) {
    const auto r = ciro(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.out << r.err;
    EXPECT_EQ(lines(r.err), 1u) << args << ": " << r.err;
    EXPECT_EQ(r.err.rfind("ciro: ", 0), 0u) << args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << args << ": " << r.out;
  }
}

TEST(CliProve, UsageErrorsExitTwoWithOneLine) {
  const std::string out = scratch("never_written.proof");
  for (const std::string& args : std::vector<std::string>{
           "prove",
           "prove --air frobnicate --log-rows 4 -o " + out,
           "prove --air fibonacci --log-rows 4",
           "prove --air fibonacci -o " + out,
           "prove --air fibonacci --log-rows 0 -o " + out,
           "prove --air fibonacci --log-rows x -o " + out,
           "prove --air fibonacci --log-rows 4 --profile paranoid -o " + out,
           "prove --air fibonacci --log-rows 4 --threads 0 -o " + out,
           "prove --air fibonacci --log-rows 4 --frobnicate 1 -o " + out,
           "prove --air fibonacci --log-rows",
           "prove --air fibonacci --log-rows 4 -o /nonexistent-dir/x.proof",
       }) {
    const auto r = ciro(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.out << r.err;
    EXPECT_EQ(lines(r.err), 1u) << args << ": " << r.err;
    EXPECT_EQ(r.err.rfind("ciro: ", 0), 0u) << args << ": " << r.err;
  }
  std::ifstream never(out);
  EXPECT_FALSE(never.good()) << "a failed prove wrote " << out;
}

}  // namespace
