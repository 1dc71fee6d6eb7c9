// Runs the real `ciro` binary as a user would, checking its output and exit codes.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "net/kafka_mock.hpp"
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

/// A proof written by `ciro prove <args> -o <scratch(tag)>`; fails the test if prove does not
/// exit 0. Returns the path.
std::string proved(const std::string& args, const std::string& tag) {
  const std::string path = scratch(tag);
  const auto r = ciro("prove " + args + " -o " + path);
  EXPECT_EQ(r.exit_code, 0) << args << ": " << r.out << r.err;
  EXPECT_NE(r.out.find("written      " + path), std::string::npos) << args << ": " << r.out;
  return path;
}

/// An accepted proof: exit 0, exactly one line on stdout, starting with `prefix`, giving at
/// least `min_bits` of security; nothing on stderr.
void expect_valid(const outcome& r, const std::string& prefix, unsigned min_bits, const std::string& what) {
  EXPECT_EQ(r.exit_code, 0) << what << ": " << r.out << r.err;
  EXPECT_EQ(lines(r.out), 1u) << what << ": " << r.out;
  EXPECT_EQ(r.out.rfind(prefix, 0), 0u) << what << ": expected '" << prefix << "...', got: " << r.out;
  EXPECT_GE(security_bits(r.out), min_bits) << what << ": " << r.out;
  EXPECT_NE(r.out.find("-bit security (verified in "), std::string::npos) << what << ": " << r.out;
  EXPECT_TRUE(r.err.empty()) << what << ": " << r.err;
}

/// The public values a `ciro verify` line shows ("public values [0, 1, 21]") as a --public
/// argument ("0,1,21"); empty if the line shows none or a digest.
std::string public_argument(const std::string& line) {
  const std::string key = "public values [";
  const auto begin = line.find(key);
  if (begin == std::string::npos) return {};
  const auto end = line.find(']', begin);
  std::string list;
  for (char c : line.substr(begin + key.size(), end - begin - key.size())) {
    if (c != ' ') list.push_back(c);
  }
  return list;
}

/// The first of Debian's chromium binaries that is installed, or "".
std::string chromium_binary() {
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    if (access(c, X_OK) == 0) return c;
  }
  return "";
}

TEST(CliBench, CompareShowsRunsSideBySideAndItsPageRendersInHeadlessChromium) {
  // Two runs as `ciro bench --json` writes them: a CPU machine, and one with a GPU that ran one
  // workload more and lacks another.
  const std::string a = scratch("cpu_run.json"), b = scratch("gpu_run.json"), html = scratch("compare.html");
  std::ofstream(a) << R"({"machine": {"cpu": "AMD EPYC", "cores": 2, "threads": 2, "simd_target": "AVX2", "gpus": []},
    "results": [{"name": "ntt.babybear.2^20x1", "median_s": 0.01, "throughput": 1.0e8, "unit": "elements/s", "repetitions": 3},
                {"name": "prove.poseidon2.2^17", "median_s": 0.66, "throughput": 2.0e5, "unit": "perm/s", "repetitions": 3},
                {"name": "field.babybear.mul", "median_s": 0.001, "throughput": 1.4e10, "unit": "mul/s", "repetitions": 3}]})";
  std::ofstream(b) << R"({"machine": {"cpu": "Intel Xeon", "cores": 16, "threads": 16, "simd_target": "AVX3",
    "gpus": [{"name": "NVIDIA H100 80GB HBM3", "compute_capability": "9.0"}]},
    "results": [{"name": "ntt.babybear.2^20x1", "median_s": 0.002, "throughput": 5.0e8, "unit": "elements/s", "repetitions": 3},
                {"name": "prove.poseidon2.2^17", "median_s": 0.22, "throughput": 6.0e5, "unit": "perm/s", "repetitions": 3},
                {"name": "gpu.ntt.babybear.2^22x1", "median_s": 0.001, "throughput": 4.2e9, "unit": "elements/s", "repetitions": 3}]})";
  const auto r = ciro("bench --compare " + a + " " + b + " --html " + html);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("A  ciro_cli_"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Intel Xeon, 16 cores, SIMD AVX3; NVIDIA H100 80GB HBM3"), std::string::npos) << r.out;
  const auto row = [&](const std::string& name) {
    const auto at = r.out.find("\n" + name + " ");
    return at == std::string::npos ? std::string() : r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1);
  };
  EXPECT_NE(row("ntt.babybear.2^20x1").find("1e+08       5e+08 (5.00x)"), std::string::npos) << r.out;
  EXPECT_NE(row("prove.poseidon2.2^17").find("(3.00x)"), std::string::npos) << r.out;
  EXPECT_NE(row("field.babybear.mul").find("1.4e+10     -"), std::string::npos) << r.out;
  EXPECT_NE(row("gpu.ntt.babybear.2^22x1").find("-           4.2e+09"), std::string::npos) << r.out;
  const std::string chromium = chromium_binary();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs it): the page was not rendered";
  const std::string dump = scratch("compare_dom.html"), profile = scratch("compare_chromium");
  const std::string command = chromium + " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir=" +
                              profile + " --dump-dom file://" + html + " >" + dump + " 2>/dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << "chromium failed";
  std::ifstream f(dump);
  const std::string dom((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(dom.find("<title>ciro bench comparison</title>"), std::string::npos) << dom.substr(0, 400);
  std::size_t bars = 0, charts = 0;
  for (std::size_t at = dom.find("class=\"bar\""); at != std::string::npos; at = dom.find("class=\"bar\"", at + 1)) ++bars;
  for (std::size_t at = dom.find("<svg class=\"chart\""); at != std::string::npos; at = dom.find("<svg class=\"chart\"", at + 1)) ++charts;
  EXPECT_EQ(charts, 4u) << "one chart per workload";
  EXPECT_EQ(bars, 6u) << "one bar per run that has the workload";
  EXPECT_NE(dom.find("5e+08 (5.00x)"), std::string::npos);
  EXPECT_NE(dom.find("not run"), std::string::npos);
  EXPECT_EQ(dom.find("<script"), std::string::npos);
  EXPECT_EQ(dom.find("src=\"http"), std::string::npos) << "no external assets";
  for (const std::string& p : {a, b, html, dump}) std::filesystem::remove(p);
  std::filesystem::remove_all(profile);
}

TEST(CliBench, CompareRefusesTooFewMalformedAndUnreadableFilesWithOneLine) {
  const std::string good = scratch("good_run.json"), bad = scratch("bad_run.json"), no_unit = scratch("no_unit_run.json");
  std::ofstream(good) << R"({"machine": {"cpu": "x"}, "results": [{"name": "w", "median_s": 1, "throughput": 1, "unit": "x/s"}]})";
  std::ofstream(bad) << "{\"results\": [";
  std::ofstream(no_unit) << R"({"machine": {}, "results": [{"name": "w", "median_s": 1, "throughput": 1}]})";
  for (const std::string& args : {"bench --compare " + good, "bench --compare " + good + " " + bad,
                                  "bench --compare " + good + " " + no_unit, "bench --compare " + good + " /nonexistent.json",
                                  "bench --html " + scratch("x.html"), "bench --compare " + good + " " + good + " --html"}) {
    const auto r = ciro(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(lines(r.err), 1u) << args << ": " << r.err;
  }
  EXPECT_EQ(ciro("bench --compare " + good + " " + good).exit_code, 0);
  for (const std::string& p : {good, bad, no_unit}) std::filesystem::remove(p);
}

TEST(CliDevices, NamesTheCpuAndEveryGpuOrWhyThereIsNone) {
  const std::string json = scratch("devices.json");
  const auto r = ciro("devices --json " + json);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("cpu     ", 0), 0u) << r.out;
  std::ifstream f(json);
  const auto j = nlohmann::json::parse(f);
  ASSERT_TRUE(j["gpus"].is_array());
  if (j["gpus"].empty()) {
    EXPECT_NE(r.out.find("\ncuda    none: "), std::string::npos) << r.out;
    EXPECT_TRUE(j.contains("gpu_note"));
  } else {
    for (const auto& g : j["gpus"]) EXPECT_EQ(g["self_test"], "ok") << g.dump();
  }
  EXPECT_EQ(ciro("devices --frobnicate").exit_code, 2);
  std::filesystem::remove(json);
}

TEST(CliProve, EachExampleStatementProvesAndVerifiesWithOneLineNamingItsTables) {
  struct example {
    std::string args, tag, prefix;
  };
  for (const auto& [args, tag, prefix] : std::vector<example>{
           {"--air fibonacci --log-rows 6", "fib6", "valid: fibonacci, 2^6 rows, public values [0, 1, "},
           {"--air poseidon2 --log-rows 3", "p2_3", "valid: poseidon2"},
           {"--air range-check --log-rows 4", "range4", "valid: "},
           {"--air permutation --log-rows 4", "perm4", "valid: "},
       }) {
    const std::string path = proved(args, tag + ".proof");
    const auto r = ciro("verify " + path);
    expect_valid(r, prefix, 100, args);
    // The statements with lookups name their tables, the 2^16-row range table among them.
    if (args.find("range-check") != std::string::npos) {
      EXPECT_NE(r.out.find("(range-check, range16-table), 2^"), std::string::npos) << r.out;
    }
    if (args.find("permutation") != std::string::npos) {
      EXPECT_NE(r.out.find("(permutation-left, permutation-right, range16-table), 2^4 to 2^16 rows"), std::string::npos)
          << r.out;
    }
    std::remove(path.c_str());
  }
}

TEST(CliProve, APoseidon2ProofShowsItsRowsAndTheDigestOfIts32PublicValues) {
  const std::string path = proved("--air poseidon2 --log-rows 2", "p2_2.proof");
  const auto r = ciro("verify " + path);
  expect_valid(r, "valid: poseidon2", 100, "poseidon2 2^2");
  EXPECT_NE(r.out.find(", 2^2 rows, public values 32 values, digest 0x"), std::string::npos) << r.out;
  std::remove(path.c_str());
}

TEST(CliProve, InstancesAreProvedInOneProofAndNamedByVerify) {
  const std::string fib = proved("--air fibonacci --log-rows 4 --instances 3", "fib4x3.proof");
  const auto r = ciro("verify " + fib);
  expect_valid(r, "valid: 3 instances (fibonacci x 3), 2^4 rows, public values [0, 1, ", 100, "fibonacci x 3");
  // Instance i starts from (i, 1): nine public values, the starts among them.
  EXPECT_NE(r.out.find("public values [0, 1, "), std::string::npos) << r.out;
  const std::string publics = public_argument(r.out);
  EXPECT_EQ(std::count(publics.begin(), publics.end(), ','), 8) << r.out;
  std::remove(fib.c_str());
  const std::string p2 = proved("--air poseidon2 --log-rows 2 --instances 3", "p2_2x3.proof");
  const auto s = ciro("verify " + p2);
  expect_valid(s, "valid: 3 instances (poseidon2", 100, "poseidon2 x 3");
  EXPECT_NE(s.out.find(" x 3), 2^2 rows, public values 96 values, digest 0x"), std::string::npos) << s.out;
  std::remove(p2.c_str());
  const std::string range = proved("--air range-check --log-rows 4 --instances 2", "range4x2.proof");
  const auto t = ciro("verify " + range);
  expect_valid(t, "valid: ", 100, "range-check x 2");
  EXPECT_NE(t.out.find("range-check"), std::string::npos) << t.out;
  std::remove(range.c_str());
}

TEST(CliVerify, TheExpectedStatementIsRequiredWhenNamed) {
  const std::string fib = proved("--air fibonacci --log-rows 4 --instances 3", "fib4x3_expected.proof");
  // 3 instances = a stack of 2 and a table of 1, as ciro prove builds them.
  EXPECT_EQ(ciro("verify --air fibonacci --log-rows 4 --instances 3 " + fib).exit_code, 0);
  for (const std::string other :
       {"--air fibonacci --log-rows 4", "--air fibonacci --log-rows 5 --instances 3",
        "--air poseidon2 --log-rows 4 --instances 3", "--air fibonacci --log-rows 4 --instances 4"}) {
    const auto r = ciro("verify " + other + " " + fib);
    EXPECT_EQ(r.exit_code, 1) << other << ": " << r.out << r.err;
    EXPECT_EQ(lines(r.out), 1u) << other;
    EXPECT_EQ(r.out.rfind("invalid: the proof is of fibonacci x 3 (2^4 rows), not of --air ", 0), 0u) << r.out;
  }
  for (const std::string bad : {"--log-rows 4", "--air fibonacci", "--instances 3", "--air fibonacci --log-rows x",
                                "--air fibonacci --log-rows 4 --instances 0", "--air frobnicate --log-rows 4"}) {
    const auto r = ciro("verify " + bad + " " + fib);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.out << r.err;
    EXPECT_EQ(lines(r.err), 1u) << bad << ": " << r.err;
  }
  std::remove(fib.c_str());
}

TEST(CliProve, TheDeviceIsNamedAndEveryDeviceWritesTheCpusProof) {
  const std::string on_cpu = scratch("device_cpu.proof"), automatic = scratch("device_auto.proof");
  const auto cpu = ciro("prove --air fibonacci --log-rows 10 --device cpu -o " + on_cpu);
  ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
  EXPECT_NE(cpu.out.find("\ndevice       cpu\n"), std::string::npos) << cpu.out;
  const auto chosen = ciro("prove --air fibonacci --log-rows 10 -o " + automatic);
  ASSERT_EQ(chosen.exit_code, 0) << chosen.err;
  EXPECT_NE(chosen.out.find("\ndevice       "), std::string::npos) << chosen.out;
  // On any device the proof is the same bytes (the CUDA backend is byte-equal to the CPU's).
  EXPECT_EQ(read_bytes(on_cpu), read_bytes(automatic));
  std::filesystem::remove(on_cpu);
  std::filesystem::remove(automatic);
}

TEST(CliProve, TheSecureProfileGivesAtLeast128Bits) {
  const std::string path = proved("--air fibonacci --log-rows 6 --profile secure", "fib6_secure.proof");
  expect_valid(ciro("verify " + path), "valid: fibonacci, 2^6 rows", 128, "secure");
  // The verifier's floor: the fast profile's 100 bits pass the default and fail --min-security 101.
  std::remove(path.c_str());
  const std::string fast = proved("--air fibonacci --log-rows 6", "fib6_fast.proof");
  expect_valid(ciro("verify --min-security 100 " + fast), "valid: fibonacci", 100, "--min-security 100");
  const auto r = ciro("verify --min-security 129 " + fast);
  expect_rejected(r, "--min-security 129");
  EXPECT_NE(r.out.find("weak_parameters"), std::string::npos) << r.out;
  std::remove(fast.c_str());
}

TEST(CliVerify, PublicValuesAreCheckedAgainstThoseGiven) {
  const std::string path = proved("--air fibonacci --log-rows 5 --instances 2", "fib5x2.proof");
  const auto r = ciro("verify " + path);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string publics = public_argument(r.out);
  ASSERT_FALSE(publics.empty()) << r.out;
  expect_valid(ciro("verify --public " + publics + " " + path), "valid: 2 instances (fibonacci x 2)", 100,
               "--public " + publics);
  // The same values in hex.
  std::string hex;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = publics.find(',', start);
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%lx", std::stoul(publics.substr(start, comma - start)));
    if (!hex.empty()) hex.push_back(',');
    hex.append(buf);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  expect_valid(ciro("verify " + path + " --public " + hex), "valid: 2 instances", 100, "--public " + hex);
  // A wrong value, a value missing, a value too many: exit 1, one line naming the real values.
  const std::string wrong_last = publics.substr(0, publics.rfind(',') + 1) + "12345";
  for (const std::string& given : {wrong_last, publics.substr(0, publics.rfind(',')), publics + ",0"}) {
    const auto s = ciro("verify --public " + given + " " + path);
    expect_rejected(s, "--public " + given);
    EXPECT_NE(s.out.find("the public values are [" +
                         r.out.substr(r.out.find('[') + 1, r.out.find(']') - r.out.find('[') - 1) + "]"),
              std::string::npos)
        << s.out;
  }
  std::remove(path.c_str());
}

TEST(CliVerify, TheVersion2GoldenProofFilesVerify) {
  struct golden {
    std::string name, prefix;
    unsigned bits;
  };
  for (const auto& [name, prefix, bits] : std::vector<golden>{
           {"fibonacci_2_8_fast_v2.proof", "valid: fibonacci, 2^8 rows, public values [0, 1, ", 100},
           {"poseidon2_2_3_fast_v2.proof", "valid: poseidon2", 100},
           {"poseidon2_2_3_secure_v2.proof", "valid: poseidon2", 128},
           {"range_check_2_6_fast_v2.proof", "valid: 2 tables (range-check, range16-table), 2^", 100},
           {"batch_fibonacci_4x2_5_fast_v2.proof", "valid: 4 instances (fibonacci x 4), 2^5 rows", 100},
       }) {
    expect_valid(ciro(std::string("verify ") + CIRO_FIXTURES_DIR + "/" + name), prefix, bits, name);
  }
  // The toy lookup statement's tables are not among those `ciro verify` knows.
  const auto r = ciro(std::string("verify ") + CIRO_FIXTURES_DIR + "/lookups_fast_v2.proof");
  expect_rejected(r, "lookups_fast_v2.proof");
  EXPECT_NE(r.out.find("unknown AIR 'toy-sender'"), std::string::npos) << r.out;
}

TEST(CliVerify, Version1FilesAreRefusedNamingTheirVersion) {
  for (const std::string name :
       {"fibonacci_2_8_fast_v1.proof", "poseidon2_2_3_fast_v1.proof", "poseidon2_2_3_secure_v1.proof"}) {
    const auto r = ciro(std::string("verify ") + CIRO_FIXTURES_DIR + "/" + name);
    expect_rejected(r, name);
    EXPECT_NE(r.out.find("unsupported format version 1"), std::string::npos) << name << ": " << r.out;
  }
}

TEST(CliVerify, TruncatedFlippedEmptyAndForeignFilesExitOneWithOneLine) {
  const std::string path = proved("--air fibonacci --log-rows 5", "fib5.proof");
  expect_valid(ciro("verify " + path), "valid: fibonacci, 2^5 rows", 100, "the untouched proof");
  const auto bytes = read_bytes(path);
  ASSERT_GT(bytes.size(), 200u);
  const std::string tampered = scratch("fib5_tampered.proof");
  for (const std::size_t len : {std::size_t{0}, std::size_t{3}, std::size_t{11}, std::size_t{40}, std::size_t{100},
                                bytes.size() / 2, bytes.size() - 1}) {
    write_bytes(tampered, std::vector<char>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(len)));
    expect_rejected(ciro("verify " + tampered), "truncated to " + std::to_string(len));
  }
  // The magic, the version, the parameters, the vk digest, a table's name, its height, a public
  // value, the roots, and bytes in the openings and the FRI part.
  for (const std::size_t pos :
       {std::size_t{0}, std::size_t{5}, std::size_t{8}, std::size_t{14}, std::size_t{20}, std::size_t{40},
        std::size_t{72}, std::size_t{82}, std::size_t{90}, std::size_t{150}, bytes.size() / 2, bytes.size() - 1}) {
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
  // A table renamed to an AIR `ciro verify` does not know (same length: "fibonaccj").
  auto renamed = bytes;
  const auto at = std::search(renamed.begin(), renamed.end(), std::begin("fibonacci"), std::end("fibonacci") - 1);
  ASSERT_NE(at, renamed.end());
  at[8] = 'j';
  write_bytes(tampered, renamed);
  const auto r = ciro("verify " + tampered);
  expect_rejected(r, "a table renamed");
  EXPECT_NE(r.out.find("unknown AIR 'fibonaccj'"), std::string::npos) << r.out;
  std::remove(tampered.c_str());
  std::remove(path.c_str());
}

TEST(CliVerify, UsageErrorsAndUnreadableFilesExitTwoWithOneLine) {
  for (const std::string args :
       {"verify", "verify /nonexistent/ciro.proof", "verify /", "verify --frobnicate x", "verify a.proof b.proof",
        "verify --min-security", "verify --min-security x a", "verify --min-security 257 a", "verify --public",
        "verify --public x a.proof", "verify --public 1,,2 a.proof", "verify --public 1, a.proof",
        "verify --public 2013265921 a.proof", "verify --public -1 a.proof", "verify --public 0xzz a.proof"}) {
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
           "prove --log-rows 4 -o " + out,
           "prove --air fibonacci --log-rows 0 -o " + out,
           "prove --air fibonacci --log-rows 25 -o " + out,
           "prove --air fibonacci --log-rows x -o " + out,
           "prove --air range-check --log-rows 1 -o " + out,
           "prove --air permutation --log-rows 1 -o " + out,
           "prove --air poseidon2 --log-rows 0 -o " + out,
           "prove --air fibonacci --log-rows 4 --instances 0 -o " + out,
           "prove --air fibonacci --log-rows 4 --instances x -o " + out,
           "prove --air fibonacci --log-rows 4 --instances 4097 -o " + out,
           "prove --air fibonacci --log-rows 4 --instances",
           "prove --air fibonacci --log-rows 4 --profile paranoid -o " + out,
           "prove --air fibonacci --log-rows 4 --threads 0 -o " + out,
           "prove --air fibonacci --log-rows 4 --frobnicate 1 -o " + out,
           "prove --air fibonacci --log-rows",
           "prove --air fibonacci --log-rows 4 -o /nonexistent-dir/x.proof",
           "prove --air fibonacci --log-rows 4 --device gpu -o " + out,
           "prove --air fibonacci --log-rows 4 --device cuda:x -o " + out,
           "prove --air fibonacci --log-rows 4 --device cuda:63 -o " + out,
       }) {
    const auto r = ciro(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.out << r.err;
    EXPECT_EQ(lines(r.err), 1u) << args << ": " << r.err;
    EXPECT_EQ(r.err.rfind("ciro: ", 0), 0u) << args << ": " << r.err;
  }
  std::ifstream never(out);
  EXPECT_FALSE(never.good()) << "a failed prove wrote " << out;
}

TEST(CliProve, RefusesASizeWhoseSecurityVerifyWouldRefuseBeforeBuildingItsTrace) {
  // The fast profile gives 123 - 25 - 1 = 97 bits for 2^24 rows; the refusal comes before the
  // trace is generated, so this is quick.
  const std::string out = scratch("too_large.proof");
  const auto r = ciro("prove --air fibonacci --log-rows 24 -o " + out);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("97-bit security"), std::string::npos) << r.err;
  std::ifstream never(out);
  EXPECT_FALSE(never.good());
}

// ciro run: the integer inference of an ONNX model beside the float reference.

std::string models_dir() { return CIRO_MODELS_DIR; }

/// The first input set of a generated model's .inputs.json, written as a `ciro run` input file.
std::string first_input_file(const std::string& model, std::size_t index = 0) {
  std::ifstream in(models_dir() + "/" + model + ".inputs.json");
  const auto all = nlohmann::json::parse(in);
  const std::string path = testing::TempDir() + "ciro_run_" + model + "_" + std::to_string(index) + "_" +
                           std::to_string(getpid()) + ".json";
  std::ofstream(path) << all["inputs"][index].dump();
  return path;
}

TEST(CliRun, PrintsEachOutputWithItsErrorBoundAndWritesTheDocumentedJson) {
  for (const char* name : {"mlp", "lenet", "tree_ensemble"}) {
    SCOPED_TRACE(name);
    const std::string json = testing::TempDir() + "ciro_run_out_" + std::to_string(getpid()) + ".json";
    const auto r = ciro("run --model " + models_dir() + "/" + name + ".onnx --input " + first_input_file(name) +
                        " --json " + json);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("arg-max agrees"), std::string::npos) << r.out;
    std::ifstream in(json);
    const auto j = nlohmann::json::parse(in);
    ASSERT_TRUE(j["outputs"].is_object());
    ASSERT_TRUE(j["reference"].is_object());
    EXPECT_TRUE(j["argmax_agrees"].get<bool>());
    double worst = 0;
    for (const auto& [out, t] : j["outputs"].items()) {
      const auto& ref = j["reference"][out];
      ASSERT_EQ(t["shape"], ref["shape"]) << out;
      ASSERT_EQ(t["data"].size(), ref["data"].size()) << out;
      for (std::size_t i = 0; i < t["data"].size(); ++i) {
        const double err = std::abs(t["data"][i].get<double>() - ref["data"][i].get<double>());
        worst = std::max(worst, err);
        EXPECT_LE(err, j["error_bound"][out].get<double>()) << out << " at " << i;
      }
    }
    EXPECT_DOUBLE_EQ(j["max_abs_error"].get<double>(), worst);
  }
}

TEST(CliRun, ReadsNpyAndTheOnnxTestDataTensorFiles) {
  // A .npy written by hand: version 1.0, '<f4', shape (1, 784).
  std::ifstream in(models_dir() + "/mlp.inputs.json");
  const auto values = nlohmann::json::parse(in)["inputs"][0]["input"]["data"];
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 784), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string npy = "\x93NUMPY";
  npy += static_cast<char>(1);
  npy += static_cast<char>(0);
  npy += static_cast<char>(header.size() & 0xff);
  npy += static_cast<char>(header.size() >> 8);
  npy += header;
  for (const auto& v : values) {
    const float f = v.get<float>();
    npy.append(reinterpret_cast<const char*>(&f), sizeof f);
  }
  const std::string path = testing::TempDir() + "ciro_run_" + std::to_string(getpid()) + ".npy";
  std::ofstream(path, std::ios::binary) << npy;
  const auto r = ciro("run --model " + models_dir() + "/mlp.onnx --input " + path);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("output 'logits' [1, 10]"), std::string::npos) << r.out;

  const std::string relu = "/usr/share/libonnx-testdata/data/node/test_relu";
  if (!std::ifstream(relu + "/model.onnx")) GTEST_SKIP() << "libonnx-testdata is not installed";
  const auto pb = ciro("run --model " + relu + "/model.onnx --input " + relu + "/test_data_set_0/input_0.pb");
  EXPECT_EQ(pb.exit_code, 0) << pb.err;
}

TEST(CliRun, BadModelsAndInputsExitTwoWithOneLine) {
  const std::string model = models_dir() + "/mlp.onnx";
  const std::string dir = testing::TempDir() + "ciro_run_bad_" + std::to_string(getpid());
  const auto write = [&](const std::string& name, const std::string& text) {
    const std::string p = dir + name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  };
  std::ifstream f(model, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const std::string good = first_input_file("mlp");
  for (const std::string& args : std::vector<std::string>{
           std::string("run"),
           std::string("run --model ") + model,
           std::string("run --input ") + good,
           std::string("run --model /nonexistent.onnx --input ") + good,
           "run --model " + write("truncated.onnx", bytes.substr(0, bytes.size() / 2)) + " --input " + good,
           "run --model " + write("garbage.onnx", "not a model at all") + " --input " + good,
           "run --model " + model + " --input /nonexistent.json",
           "run --model " + model + " --input " + write("broken.json", "{\"input\": {\"shape\": [1, 784], \"data\": ["),
           "run --model " + model + " --input " +
               write("shape.json", "{\"input\": {\"shape\": [1, 3], \"data\": [1, 2, 3]}}"),
           "run --model " + model + " --input " + write("name.json", "{\"x\": [[1]]}"),
           "run --model " + model + " --input " + good + " --bits 40",
           "run --model " + model + " --input " + good + " --frobnicate",
       }) {
    const auto r = ciro(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out << r.err;
    EXPECT_EQ(lines(r.err), 1u) << args << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("ciro: ", 0), 0u) << r.err;
  }
}

// A model written without linking protobuf: the wire format of its few fields (a varint field,
// wire type 0, and a length-delimited one, wire type 2), numbered as in onnx.proto.
std::string varint(std::uint64_t v) {
  std::string s;
  for (; v >= 0x80; v >>= 7) s += static_cast<char>((v & 0x7f) | 0x80);
  return s + static_cast<char>(v);
}
std::string field(std::uint64_t number, std::uint64_t v) { return varint(number << 3) + varint(v); }
std::string field(std::uint64_t number, const std::string& bytes) {
  return varint(number << 3 | 2) + varint(bytes.size()) + bytes;
}

/// A FLOAT ValueInfoProto of shape [N, cols]: TypeProto.tensor_type {elem_type FLOAT, shape}.
std::string batch_value(const std::string& name, std::uint64_t cols) {
  const std::string shape = field(1, field(2, "N")) + field(1, field(1, cols));
  return field(1, name) + field(2, field(1, field(1, 1) + field(2, shape)));
}

/// y[N, 2] = MatMul(x[N, 4], w[4, 2]), opset 13, with the batch dimension "N" symbolic.
std::string batch_matmul_model() {
  const std::array<float, 8> w{1, -1, 0.5f, 2, -0.25f, 0, 1, 1};
  std::string raw(sizeof w, '\0');
  std::memcpy(raw.data(), w.data(), sizeof w);
  const std::string weight = field(1, 4) + field(1, 2) + field(2, 1) + field(8, "w") + field(9, raw);
  const std::string node = field(1, "x") + field(1, "w") + field(2, "y") + field(3, "matmul") + field(4, "MatMul");
  const std::string graph = field(1, node) + field(2, "batch") + field(5, weight) + field(11, batch_value("x", 4)) +
                            field(12, batch_value("y", 2));
  return field(1, 8) + field(7, graph) + field(8, field(1, "") + field(2, 13));
}

TEST(CliRun, ADynamicBatchDimensionTakesTheInputFilesShape) {
  const std::string dir = testing::TempDir() + "ciro_run_batch_" + std::to_string(getpid());
  const auto write = [&](const std::string& name, const std::string& text) {
    const std::string p = dir + name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  };
  const std::string model = write(".onnx", batch_matmul_model());
  const std::string json = dir + "_out.json";
  const auto r =
      ciro("run --model " + model + " --input " +
           write("3.json", "{\"x\": [[1, 2, 3, 4], [-1, 0.5, 0, 2], [0.25, -2, 1, 0]]}") + " --json " + json);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("output 'y' [3, 2]"), std::string::npos) << r.out;
  std::ifstream in(json);
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["outputs"]["y"]["shape"], nlohmann::json({3, 2}));
  EXPECT_EQ(j["reference"]["y"]["data"], nlohmann::json({5.25, 7.0, 1.25, 4.0, -1.0, -4.25}));

  // A rank or fixed dimension other than the model's [N, 4] is refused before anything runs.
  for (const std::string& input : std::vector<std::string>{
           write("rank.json", "{\"x\": [1, 2, 3, 4]}"),
           write("cols.json", "{\"x\": [[1, 2, 3]]}"),
       }) {
    const auto bad = ciro("run --model " + model + " --input " + input);
    EXPECT_EQ(bad.exit_code, 2) << input << "\n" << bad.out << bad.err;
    EXPECT_EQ(lines(bad.err), 1u) << input << "\n" << bad.err;
    EXPECT_NE(bad.err.find("does not match the model's [?, 4]"), std::string::npos) << bad.err;
  }
}

TEST(CliModelProof, ProvesAndVerifiesTheMlpWithItsModelAndInput) {
  const std::string model = models_dir() + "/mlp.onnx", input = first_input_file("mlp");
  const std::string proof = testing::TempDir() + "ciro_mlp_" + std::to_string(getpid()) + ".proof";
  const std::string json = testing::TempDir() + "ciro_mlp_verify_" + std::to_string(getpid()) + ".json";
  const auto p = ciro("prove --model " + model + " --input " + input + " -o " + proof);
  ASSERT_EQ(p.exit_code, 0) << p.err;
  for (const char* line : {"model hash   0x", "commitment 0x", "output 'logits' [1, 10]", "parity       max |error|",
                           "proof size", "security     100 bits"})
    EXPECT_NE(p.out.find(line), std::string::npos) << line << "\n" << p.out;
  const auto alone = ciro("verify " + proof);
  EXPECT_EQ(alone.exit_code, 0) << alone.out;
  EXPECT_NE(alone.out.find("valid: model 0x"), std::string::npos) << alone.out;
  const auto full = ciro("verify " + proof + " --model " + model + " --input " + input + " --json " + json);
  EXPECT_EQ(full.exit_code, 0) << full.out << full.err;
  EXPECT_NE(full.out.find("model checked, input checked, parity checked"), std::string::npos) << full.out;
  std::ifstream in(json);
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["model_hash"].get<std::string>().substr(0, 2), "0x");
  EXPECT_EQ(j["input_commitment"].get<std::string>().substr(0, 2), "0x");
  EXPECT_EQ(j["outputs"]["logits"]["shape"], nlohmann::json::parse("[1, 10]"));
  EXPECT_EQ(j["security_bits"].get<int>(), 100);
  EXPECT_TRUE(j["parity"]["checked"].get<bool>());
  EXPECT_LE(j["parity"]["max_abs_error"].get<double>(), j["parity"]["bound"].get<double>());

  // The circuit digest, printed by prove and verify, pins the circuit without the model.
  const std::string circuit = j["circuit"].get<std::string>();
  ASSERT_EQ(circuit.size(), 66u);
  EXPECT_NE(p.out.find("circuit      " + circuit), std::string::npos) << p.out;
  EXPECT_NE(alone.out.find("), circuit " + circuit + "\n"), std::string::npos) << alone.out;  // one line
  EXPECT_EQ(std::count(alone.out.begin(), alone.out.end(), '\n'), 1) << alone.out;
  const auto pinned = ciro("verify " + proof + " --circuit " + circuit);
  EXPECT_EQ(pinned.exit_code, 0) << pinned.out << pinned.err;
  EXPECT_NE(pinned.out.find("circuit checked"), std::string::npos) << pinned.out;
  std::string other_circuit = circuit;
  other_circuit.back() = other_circuit.back() == '0' ? '1' : '0';
  const auto wrong = ciro("verify " + proof + " --circuit " + other_circuit);
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out;
  EXPECT_NE(wrong.out.find("invalid: the proof is of another circuit"), std::string::npos) << wrong.out;
  const auto malformed = ciro("verify " + proof + " --circuit 0x1234");
  EXPECT_EQ(malformed.exit_code, 2) << malformed.out;

  // Another input, another model, a flipped byte: exit 1 with the reason.
  const auto other_input = ciro("verify " + proof + " --input " + first_input_file("mlp", 1));
  EXPECT_EQ(other_input.exit_code, 1);
  EXPECT_NE(other_input.out.find("another input"), std::string::npos) << other_input.out;
  const auto other_model = ciro("verify " + proof + " --model " + models_dir() + "/lenet.onnx");
  EXPECT_EQ(other_model.exit_code, 1);
  EXPECT_NE(other_model.out.find("another model"), std::string::npos) << other_model.out;
  std::string bytes;
  {
    std::ifstream f(proof, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  bytes[bytes.size() - 100] ^= 0x10;
  const std::string tampered = proof + ".tampered";
  std::ofstream(tampered, std::ios::binary) << bytes;
  const auto bad = ciro("verify " + tampered);
  EXPECT_EQ(bad.exit_code, 1) << bad.out;
  EXPECT_NE(bad.out.find("invalid"), std::string::npos) << bad.out;
}

/// y = Cast(x, to = FLOAT), x of [N, 4]: an op the proofs do not take.
std::string cast_model() {
  const std::string to = field(1, "to") + field(3, 1) + field(20, 2);  // AttributeProto {name, i, type INT}
  const std::string node = field(1, "x") + field(2, "y") + field(3, "cast") + field(4, "Cast") + field(5, to);
  const std::string graph = field(1, node) + field(2, "cast") + field(11, batch_value("x", 4)) + field(12, batch_value("y", 4));
  return field(1, 8) + field(7, graph) + field(8, field(1, "") + field(2, 13));
}

TEST(CliModelProof, UnsupportedOpsAndBadInputsExitTwoWithOneLine) {
  const std::string proof = testing::TempDir() + "ciro_bad_" + std::to_string(getpid()) + ".proof";
  const std::string dir = testing::TempDir() + "ciro_unproven_" + std::to_string(getpid());
  std::ofstream(dir + ".onnx", std::ios::binary) << cast_model();
  std::ofstream(dir + ".json") << "{\"x\": [[1, 2, 3, 4]]}";
  const auto unsupported = ciro("prove --model " + dir + ".onnx --input " + dir + ".json -o " + proof);
  EXPECT_EQ(unsupported.exit_code, 2);
  EXPECT_EQ(std::count(unsupported.err.begin(), unsupported.err.end(), '\n'), 1) << unsupported.err;
  EXPECT_NE(unsupported.err.find("not proven yet"), std::string::npos) << unsupported.err;
  const auto shape = ciro("prove --model " + models_dir() + "/lenet.onnx --input " + first_input_file("mlp") + " -o " +
                          proof);
  EXPECT_EQ(shape.exit_code, 2);
  EXPECT_EQ(std::count(shape.err.begin(), shape.err.end(), '\n'), 1) << shape.err;
  const auto missing = ciro("prove --model " + models_dir() + "/mlp.onnx -o " + proof);
  EXPECT_EQ(missing.exit_code, 2);
  const auto profile = ciro("prove --model " + models_dir() + "/mlp.onnx --input " + first_input_file("mlp") +
                            " --profile turbo -o " + proof);
  EXPECT_EQ(profile.exit_code, 2);
}


/// A fresh spool directory with the given job files in in/.
std::string spool_with(const std::string& name, const std::vector<std::pair<std::string, std::string>>& jobs) {
  const std::filesystem::path d =
      std::filesystem::path(testing::TempDir()) / (std::string("ciro_serve_") + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d / "in");
  for (const auto& [id, text] : jobs) std::ofstream(d / "in" / (id + ".json")) << text;
  return d.string();
}

std::size_t files_in(const std::string& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.path().extension() == ".json";
  return n;
}

TEST(CliServe, ProvesTheSpoolOnceAndFailsBadJobsAlone) {
  const std::string d = spool_with("once", {{"fib", R"({"id": "fib", "air": "fibonacci", "log_rows": 10})"},
                                            {"bad", R"({"id": "bad", "air": "fibonacci"})"}});
  const auto r = ciro("serve --spool " + d + " --once");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("done 1, failed 1"), std::string::npos) << r.out;
  EXPECT_EQ(ciro("verify " + d + "/out/fib.proof").exit_code, 0);
  std::ifstream failed(d + "/failed/bad.json");
  const auto j = nlohmann::json::parse(failed);
  EXPECT_NE(j["reason"].get<std::string>().find("log_rows"), std::string::npos);
  std::filesystem::remove_all(d);
}

TEST(CliServe, SigtermDrainsWithoutLosingAJob) {
  std::vector<std::pair<std::string, std::string>> jobs;
  for (int i = 0; i < 12; ++i) {
    const std::string id = std::string("j") + std::to_string(i);
    jobs.emplace_back(id, std::string(R"({"id": ")") + id + R"(", "air": "fibonacci", "log_rows": 15})");
  }
  const std::string d = spool_with("term", jobs);
  // SIGTERM as soon as the first result is out: the other jobs are queued or running.
  const auto r = ciro("serve --listen 127.0.0.1:0 --metrics none --spool " + d + " 2>/dev/null & p=$!; while [ -z \"$(ls " + d +
                      "/out)\" ]; do sleep 0.02; done; kill -TERM $p; wait $p");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(files_in(d + "/work"), 0u) << "a stopped node leaves no job half-done";
  EXPECT_EQ(files_in(d + "/out") + files_in(d + "/in"), 12u) << r.out << r.err;
  EXPECT_GT(files_in(d + "/in"), 0u) << "the stop came after every job had finished";
  // The rest runs on the next start.
  EXPECT_EQ(ciro("serve --spool " + d + " --once").exit_code, 0);
  EXPECT_EQ(files_in(d + "/out"), 12u);
  std::filesystem::remove_all(d);
}

TEST(CliServe, AKilledNodeRestartsAndEveryJobEndsWithOneResult) {
  std::vector<std::pair<std::string, std::string>> jobs;
  for (int i = 0; i < 16; ++i) {
    const std::string id = std::string("k") + std::to_string(i);
    jobs.emplace_back(id, std::string(R"({"id": ")") + id + R"(", "air": "fibonacci", "log_rows": 15})");
  }
  const std::string d = spool_with("kill", jobs);
  // kill -9 as soon as the first result is out, the other jobs taken into work/ or running: no
  // drain, no clean-up.
  ciro("serve --listen 127.0.0.1:0 --metrics none --spool " + d + " --workers 2 2>/dev/null & p=$!; while [ -z \"$(ls " + d +
       "/out)\" ]; do sleep 0.02; done; kill -9 $p; wait $p");
  EXPECT_GT(files_in(d + "/work") + files_in(d + "/in"), 0u) << "the kill came after every job had finished";
  const auto r = ciro("serve --spool " + d + " --once");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(files_in(d + "/out"), 16u) << r.out;
  EXPECT_EQ(files_in(d + "/failed"), 0u);
  EXPECT_EQ(files_in(d + "/in") + files_in(d + "/work"), 0u);
  for (const auto& [id, text] : jobs) EXPECT_EQ(ciro("verify " + d + "/out/" + id + ".proof").exit_code, 0) << id;
  std::filesystem::remove_all(d);
}

TEST(CliServe, UsageErrorsExitTwoWithOneLine) {
  for (const std::string args : {"serve --listen", "serve --spool", "serve --spool /tmp/x --workers 0", "serve --bogus",
                                 "serve --config /nonexistent.json", "serve --price-core-hour 1x",
                                 "serve --listen 0.0.0.0:0 --spool /tmp/x", "serve --once --token-file /tmp/x",
                                 "serve --kafka-option client.id=x", "serve --kafka 127.0.0.1:1 --kafka-option acks=1",
                                 "serve --kafka 127.0.0.1:1 --kafka-option client.id", "serve --kafka 127.0.0.1:1 --kafka-option =x",
                                 "submit --kafka-option client.id=x --air fibonacci --log-rows 8",
                                 "submit --kafka 127.0.0.1:1 --kafka-option enable.idempotence=false --air fibonacci --log-rows 8",
                                 "submit --air fibonacci", "submit --log-rows 8", "submit --model m.onnx",
                                 "submit --air fibonacci --log-rows 99", "submit --timeout-s 0 --air fibonacci --log-rows 8",
                                 "status", "status a b", "cancel", "verify --batch-first 3 x.proof",
                                 "verify --air fibonacci --log-rows 8 --batch-first x x.proof",
                                 "serve --batch-jobs -1", "serve --batch-jobs 8 --batch-window-ms 0",
                                 "serve --validators /nonexistent.json", "serve --validator-batch 0",
                                 "serve --validators /nonexistent.json --validator-key k --validator-peers 127.0.0.1:1",
                                 "serve --validator-peers nocolon", "validator-key", "validator-key new",
                                 "validator-key public /nonexistent.key", "validator-key old x"}) {
    const auto r = ciro(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(lines(r.err), 1u) << args << ": " << r.err;
  }
}

/// A free loopback port (bound, read, released: free unless taken in between).
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  close(fd);
  return ntohs(sa.sin_port);
}

TEST(CliRpc, ServeSubmitStatusAndVerifyAsSeparateProcesses) {
  const std::string d = spool_with("rpc", {});
  const std::string server = "127.0.0.1:" + std::to_string(free_port());
  const std::string metrics = "127.0.0.1:" + std::to_string(free_port());
  std::ofstream(d + "/token") << "t0ken\n";
  const auto started = ciro("serve --listen " + server + " --metrics " + metrics + " --token-file " + d + "/token --spool " + d +
                            " >" + d + "/serve.log 2>&1 & echo $!");
  const pid_t pid = std::stoi(started.out);
  const std::string to = " --server " + server + " --token-file " + d + "/token ";
  // Ready once `ciro status` reaches it (exit 1: no such job) instead of failing to connect (2).
  int status_exit = 2;
  for (int i = 0; i < 300 && status_exit == 2; ++i) {
    status_exit = ciro("status" + to + "nothing").exit_code;
    if (status_exit == 2) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(status_exit, 1) << "the node did not come up";
  const auto no_token = ciro("status --server " + server + " nothing");
  EXPECT_EQ(no_token.exit_code, 2);
  EXPECT_NE(no_token.err.find("refused"), std::string::npos) << no_token.err;

  const auto fib = ciro("submit" + to + "--id c1 --air fibonacci --log-rows 10 -o " + d + "/c1.proof --json " + d + "/c1.json");
  ASSERT_EQ(fib.exit_code, 0) << fib.err;
  EXPECT_NE(fib.out.find("c1: done, fibonacci 2^10"), std::string::npos) << fib.out;
  EXPECT_NE(fib.out.find("cost"), std::string::npos) << fib.out;
  EXPECT_EQ(ciro("verify " + d + "/c1.proof").exit_code, 0);
  std::ifstream result(d + "/c1.json");
  EXPECT_EQ(nlohmann::json::parse(result)["status"], "done");
  const auto st = ciro("status" + to + "c1 -o " + d + "/c1-again.proof");
  EXPECT_EQ(st.exit_code, 0) << st.err;
  EXPECT_NE(st.out.find("c1: done"), std::string::npos);
  EXPECT_EQ(ciro("verify " + d + "/c1-again.proof").exit_code, 0);
  EXPECT_EQ(ciro("cancel" + to + "c1").exit_code, 1);  // done: nothing to cancel

  const auto model = ciro("submit" + to + "--model " + models_dir() + "/mlp.onnx --input " + first_input_file("mlp") + " -o " + d +
                          "/m.proof");
  ASSERT_EQ(model.exit_code, 0) << model.err;
  EXPECT_EQ(ciro("verify --model " + models_dir() + "/mlp.onnx --input " + first_input_file("mlp") + " " + d + "/m.proof").exit_code, 0);
  const auto bad = ciro("submit" + to + "--air no-such-air --log-rows 8");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.out.find("failed"), std::string::npos) << bad.out;

  ::kill(pid, SIGTERM);
  for (int i = 0; i < 300 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_NE(::kill(pid, 0), 0) << "the node did not stop on SIGTERM";
  const auto down = ciro("submit" + to + "--air fibonacci --log-rows 8");
  EXPECT_EQ(down.exit_code, 2);
  EXPECT_EQ(lines(down.err), 1u) << down.err;
  std::filesystem::remove_all(d);
}

TEST(CliRpc, StatusPageRendersInHeadlessChromium) {
  const std::string chromium = chromium_binary();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs it)";
  const std::string d = spool_with("page", {});
  const std::string server = "127.0.0.1:" + std::to_string(free_port());
  const std::string metrics = "127.0.0.1:" + std::to_string(free_port());
  const auto started = ciro("serve --listen " + server + " --metrics " + metrics + " --spool " + d + " >" + d +
                            "/serve.log 2>&1 & echo $!");
  const pid_t pid = std::stoi(started.out);
  int status_exit = 2;
  for (int i = 0; i < 300 && status_exit == 2; ++i) {
    status_exit = ciro("status --server " + server + " nothing").exit_code;
    if (status_exit == 2) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(status_exit, 1) << "the node did not come up";
  ASSERT_EQ(ciro("submit --server " + server + " --air fibonacci --log-rows 8").exit_code, 0);
  // The page as a browser builds it: parsed, the inline SVG in the DOM, no request leaving the page.
  const std::string dump = d + "/dom.html";
  const std::string command = chromium + " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir=" + d +
                              "/chromium --dump-dom http://" + metrics + "/ >" + dump + " 2>" + d + "/chromium.log";
  const int rc = std::system(command.c_str());
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 300 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(rc, 0) << "chromium failed; see " << d << "/chromium.log";
  std::ifstream f(dump);
  const std::string dom((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(dom.find("<title>ciro node</title>"), std::string::npos) << dom.substr(0, 400);
  EXPECT_NE(dom.find("<svg id=\"throughput\""), std::string::npos);
  std::size_t bars = 0;
  for (std::size_t at = dom.find("class=\"bar\""); at != std::string::npos; at = dom.find("class=\"bar\"", at + 1)) ++bars;
  EXPECT_EQ(bars, 60u) << "one bar per minute of the last hour";
  EXPECT_NE(dom.find("<td id=\"counts\">1 / 1 / 0</td>"), std::string::npos) << "received / done / failed";
  EXPECT_EQ(dom.find("<script"), std::string::npos);
  EXPECT_EQ(dom.find("src=\"http"), std::string::npos) << "no external assets";
  std::filesystem::remove_all(d);
}

TEST(CliKafka, ServeAndSubmitThroughKafkaAsSeparateProcesses) {
  // librdkafka's mock cluster listens on loopback ports: the node and the client reach it like
  // real brokers from processes of their own.
  ciro::net::kafka_mock_cluster kafka;
  for (const char* topic : {"ciro.jobs", "ciro.results", "ciro.alerts"}) kafka.create_topic(topic, 2);
  const std::string brokers = kafka.bootstrap;
  const std::string d = spool_with("kafka", {});
  const auto started = ciro("serve --listen none --kafka " + brokers + " --group cli-test --spool " + d + " >" + d +
                            "/serve.log 2>&1 & echo $!");
  const pid_t pid = std::stoi(started.out);
  const auto r = ciro("submit --kafka " + brokers + " --timeout-s 120 --id kf1 --air fibonacci --log-rows 8 -o " + d + "/kf1.proof");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("kf1: done, fibonacci 2^8"), std::string::npos) << r.out;
  EXPECT_EQ(ciro("verify " + d + "/kf1.proof").exit_code, 0);
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 300 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_NE(::kill(pid, 0), 0) << "the node did not stop on SIGTERM";
  std::filesystem::remove_all(d);
}

TEST(CliSimulate, PrintsTheSummaryAndWritesACertificateThatVerifiesOffline) {
  const std::string cert = scratch("certificate.json"), set = scratch("validators.json");
  auto r = ciro("simulate --replicas 4 --byzantine 1 --schedules 20 --seed 1 --certificate-out " + cert +
                " --validators-out " + set);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* line : {"schedules: 20 (seeds 1 .. 20)", "commits: ", "view changes: ", "slashes: ", "violations: 0"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  }
  r = ciro("verify-certificate " + cert + " --validators " + set);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("valid: sequence ", 0), 0u) << r.out;
  EXPECT_EQ(lines(r.out), 1u);
  std::filesystem::remove(cert);
  std::filesystem::remove(set);
}

TEST(CliSimulate, FPlusOneColludersBreakSafetyAndTheSeedIsPrinted) {
  const auto r = ciro("simulate --replicas 4 --byzantine 2 --behaviour collude --schedules 5 --seed 3");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("violation: safety at seed "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--schedules 1 --seed "), std::string::npos) << r.out;
}

TEST(CliSimulate, UsageErrorsExitTwoWithOneLine) {
  for (const std::string args : {"simulate --replicas 3", "simulate --byzantine 4", "simulate --schedules 0",
                                 "simulate --seed x", "simulate --behaviour lazy", "simulate --frobnicate 1",
                                 "simulate --certificate-out only.json", "simulate --replicas"}) {
    const auto r = ciro(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(lines(r.err), 1u) << args << ": " << r.err;
  }
}

TEST(CliVerifyCertificate, ATamperedCertificateExitsOneWithItsReason) {
  const std::string cert = scratch("certificate2.json"), set = scratch("validators2.json");
  ASSERT_EQ(ciro("simulate --schedules 1 --seed 2 --no-faults --certificate-out " + cert + " --validators-out " + set).exit_code, 0);
  std::ifstream in(cert);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The verdict flipped: the commits signed another batch.
  std::string tampered = text;
  const auto at = tampered.find("\"valid\": true");
  const auto at_false = tampered.find("\"valid\": false");
  ASSERT_TRUE(at != std::string::npos || at_false != std::string::npos);
  if (at != std::string::npos) tampered.replace(at, 13, "\"valid\": false");
  else tampered.replace(at_false, 14, "\"valid\": true");
  const std::string bad = scratch("tampered.json");
  std::ofstream(bad) << tampered;
  auto r = ciro("verify-certificate " + bad + " --validators " + set);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.out.rfind("invalid: ", 0), 0u) << r.out;
  EXPECT_EQ(lines(r.out), 1u);
  // Under another validator set.
  const std::string other = scratch("validators7.json"), cert7 = scratch("certificate7.json");
  ASSERT_EQ(ciro("simulate --replicas 7 --byzantine 0 --schedules 1 --no-faults --certificate-out " + cert7 +
                 " --validators-out " + other).exit_code, 0);
  r = ciro("verify-certificate " + cert + " --validators " + other);
  EXPECT_EQ(r.exit_code, 1);
  for (const std::string& f : {cert, set, bad, other, cert7}) std::filesystem::remove(f);
}

TEST(CliVerifyCertificate, MalformedOrUnreadableInputExitsTwoWithOneLine) {
  const std::string set = scratch("validators3.json"), cert = scratch("certificate3.json");
  ASSERT_EQ(ciro("simulate --schedules 1 --no-faults --certificate-out " + cert + " --validators-out " + set).exit_code, 0);
  const std::string malformed = scratch("malformed.json");
  std::ofstream(malformed) << "{\"format\": \"ciro.certificate.v1\", \"view\": ";
  const std::string wrong_key = scratch("wrong_key.json");
  std::ofstream(wrong_key) << R"({"format": "ciro.certificate.v1", "view": 0})";
  for (const std::string& args : {"verify-certificate " + malformed + " --validators " + set,
                                 "verify-certificate " + wrong_key + " --validators " + set,
                                 "verify-certificate " + cert + " --validators " + malformed,
                                 "verify-certificate " + cert + " --validators /nonexistent/set.json",
                                 "verify-certificate /nonexistent/cert.json --validators " + set,
                                 "verify-certificate " + cert, std::string("verify-certificate")}) {
    const auto r = ciro(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_EQ(lines(r.err), 1u) << args << ": " << r.err;
    EXPECT_EQ(r.err.rfind("ciro: ", 0), 0u) << args << ": " << r.err;
  }
  for (const std::string& f : {set, cert, malformed, wrong_key}) std::filesystem::remove(f);
}

TEST(CliValidators, FourServeProcessesPublishEachResultWithACertificateThatVerifies) {
  // Four validators' keys and their set, as an operator makes them.
  std::vector<std::string> keys, spools, publics;
  for (int i = 0; i < 4; ++i) {
    keys.push_back(scratch("validator" + std::to_string(i) + ".key"));
    std::filesystem::remove(keys.back());
    const auto r = ciro("validator-key new " + keys.back());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(r.out.rfind("public key: ", 0), 0u) << r.out;
    publics.push_back(r.out.substr(12, 64));
    EXPECT_EQ(ciro("validator-key public " + keys.back()).out, r.out);
    EXPECT_EQ(ciro("validator-key new " + keys.back()).exit_code, 2) << "a key file is never overwritten";
    EXPECT_EQ(std::filesystem::status(keys.back()).permissions() & std::filesystem::perms::others_read, std::filesystem::perms::none);
  }
  nlohmann::json set = {{"format", "ciro.validators.v1"}, {"validators", nlohmann::json::array()}};
  for (const auto& p : publics) set["validators"].push_back({{"public_key", p}, {"stake", 1000}, {"reputation", 100}, {"uptime_permille", 1000}});
  const std::string set_file = scratch("validator_set.json");
  std::ofstream(set_file) << set.dump();
  std::string peers;
  for (int i = 0; i < 4; ++i) peers += (i ? "," : "") + std::string("127.0.0.1:") + std::to_string(free_port());
  std::vector<std::pair<std::string, std::string>> jobs;
  for (int i = 0; i < 5; ++i) {
    const std::string id = "v" + std::to_string(i);
    jobs.emplace_back(id, R"({"id": ")" + id + R"(", "air": "fibonacci", "log_rows": 8})");
  }
  for (int i = 0; i < 4; ++i) {
    spools.push_back(spool_with("validator" + std::to_string(i), i == 0 ? jobs : std::vector<std::pair<std::string, std::string>>{}));
    std::ofstream(spools.back() + "/throughput.json") << "{}";  // no calibration: the model learns from the jobs
  }
  const auto serve_args = [&](int i) {
    return "serve --listen none --metrics none --workers 1 --spool " + spools[static_cast<std::size_t>(i)] + " --validators " +
           set_file + " --validator-key " + keys[static_cast<std::size_t>(i)] + " --validator-peers " + peers;
  };
  const std::string bin = std::string(CIRO_BINARY) + " ", log0 = scratch("validator0.log");
  // Validators 1 to 3 run until stopped; validator 0 proves its spool and stops once every result is out.
  const auto r = ciro(serve_args(1) + " 2>/dev/null & a=$!; " + bin + serve_args(2) + " 2>/dev/null & b=$!; " + bin + serve_args(3) +
                      " 2>/dev/null & c=$!; " + bin + serve_args(0) + " --once 2>" + log0 +
                      "; s=$?; kill -TERM $a $b $c; wait $a $b $c; exit $s");
  std::ifstream log_file(log0);
  const std::string log((std::istreambuf_iterator<char>(log_file)), std::istreambuf_iterator<char>());
  ASSERT_EQ(r.exit_code, 0) << log;
  EXPECT_NE(r.out.find("done 5, failed 0"), std::string::npos) << r.out << log;
  EXPECT_NE(log.find("validator 0 of 4 listening at"), std::string::npos) << log;
  for (const auto& [id, text] : jobs) {
    const std::string result = spools[0] + "/out/" + id + ".json", proof = spools[0] + "/out/" + id + ".proof";
    auto v = ciro("verify-certificate " + result + " --validators " + set_file + " --proof " + proof);
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    EXPECT_EQ(v.out.rfind("job " + id + ": proof ", 0), 0u) << v.out;
    EXPECT_NE(v.out.find("agreed valid\nvalid: sequence "), std::string::npos) << v.out;
    // A file that is not the proof this result's verdict names.
    v = ciro("verify-certificate " + result + " --validators " + set_file + " --proof " + set_file);
    EXPECT_EQ(v.exit_code, 1) << v.out;
    EXPECT_EQ(v.out.rfind("invalid: the certificate holds no verdict on job " + id, 0), 0u) << v.out;
  }
  // The ledger validator 0 kept: four validators at full stake, nobody slashed.
  const std::string ledger_state = spools[0] + "/ledger.state", ledger_json = scratch("ledger.json");
  auto l = ciro("ledger " + ledger_state + " --validators " + set_file + " --at 1800000000 --json " + ledger_json);
  ASSERT_EQ(l.exit_code, 0) << l.err;
  EXPECT_EQ(std::count(l.out.begin(), l.out.end(), '\n'), 6) << l.out;  // a header, 4 validators, the last sequence
  EXPECT_EQ(l.out.find("slashed"), std::string::npos) << l.out;
  std::ifstream lj(ledger_json);
  const auto j = nlohmann::json::parse(lj);
  ASSERT_EQ(j["validators"].size(), 4u) << j.dump();
  for (const auto& v : j["validators"]) {
    EXPECT_EQ(v["stake"], 1000);
    EXPECT_EQ(v["reputation"], 100);
    EXPECT_EQ(v["banned"], false);
  }
  EXPECT_EQ(j["validators"][0]["public_key"], publics[0]);
  EXPECT_GE(j["last_sequence"].get<int>(), 1);
  EXPECT_TRUE(j["offences"].empty());
  // Not a ledger state, or one of another set: exit 2 with one line.
  for (const auto& bad : {"ledger " + set_file + " --validators " + set_file, "ledger " + ledger_state,
                          "ledger " + ledger_state + " --validators " + set_file + " --at soon"}) {
    const auto b = ciro(bad);
    EXPECT_EQ(b.exit_code, 2) << bad;
    EXPECT_EQ(std::count(b.err.begin(), b.err.end(), '\n'), 1) << b.err;
  }
  // The next epoch's set: the same validators with the ledger's weights, unchanged by this short
  // run (no sequence final yet, nobody slashed), so the same set and the same epoch.
  const std::string next_file = scratch("next_set.json");
  const auto n = ciro("ledger " + ledger_state + " --validators " + set_file + " --next-set " + next_file);
  ASSERT_EQ(n.exit_code, 0) << n.out << n.err;
  EXPECT_NE(n.out.find("next validator set "), std::string::npos) << n.out;
  std::ifstream nf(next_file);
  const auto next = nlohmann::json::parse(nf);
  ASSERT_EQ(next["validators"].size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(next["validators"][i], set["validators"][i]) << i;
  const auto again = ciro("ledger " + ledger_state + " --validators " + next_file);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out.find("last sequence none"), std::string::npos) << again.out;
  nlohmann::json other = set;
  other["validators"][0]["public_key"] = std::string(64, 'a');
  const std::string other_file = scratch("other_set.json");
  std::ofstream(other_file) << other.dump();
  const auto o = ciro("ledger " + ledger_state + " --validators " + other_file);
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.err.find("is not a ledger state of the validator set"), std::string::npos) << o.err;
  for (const auto& d : spools) std::filesystem::remove_all(d);
  for (const auto& k : keys) std::filesystem::remove(k);
  for (const auto& f : {set_file, log0, ledger_json, other_file, next_file}) std::filesystem::remove(f);
}

}  // namespace
