// Golden proof files (tests/fixtures/, one set per proof format version) must keep verifying, and
// the deterministic prover must reproduce them byte for byte. With CIRO_REGENERATE_FIXTURES=1
// the tests rewrite the files instead (and the seed corpus of fuzz/proof_fuzzer.cpp); see
// tests/fixtures/README.md. Version-1 files stay in the tree: this build refuses them
// (tamper_test checks how).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "air/fibonacci.hpp"
#include "air/poseidon2_air.hpp"
#include "stark/examples.hpp"
#include "stark/verifier.hpp"
#include "tests/stark/honest_proofs.hpp"

namespace {

using ciro::field::babybear4;
using ciro::field::babybear5;
using ciro::test::proved;
using namespace ciro::stark;

bool regenerating() {
  const char* env = std::getenv("CIRO_REGENERATE_FIXTURES");
  return env != nullptr && std::string(env) == "1";
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

/// The golden file `name` under tests/fixtures/: regenerated from `fresh` when asked, else it
/// must decode, verify against fresh's verifying key with at least `min_bits`, and equal
/// `fresh` byte for byte.
template <class E>
void check_golden(const std::string& name, const proved<E>& fresh, std::uint32_t min_bits) {
  ASSERT_TRUE(fresh.pk) << name << ": the statement did not prove";
  const std::filesystem::path path = std::filesystem::path(CIRO_FIXTURES_DIR) / name;
  const auto fresh_bytes = encode(fresh.proof);
  if (regenerating()) {
    write_file(path, fresh_bytes);
    std::cout << "wrote " << path << " (" << fresh_bytes.size() << " bytes)\n";
    return;
  }
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing (CIRO_REGENERATE_FIXTURES=1 writes it)";
  const auto bytes = read_file(path);
  auto p = decode<E>(bytes);
  ASSERT_TRUE(p.has_value()) << name << ": " << p.error().message;
  const auto r = verify(fresh.pk->vk, p.value());
  ASSERT_TRUE(r.has_value()) << name << ": " << r.error().message;
  EXPECT_GE(r.value(), min_bits) << name;
  EXPECT_EQ(p.value().vk_digest, fresh.pk->vk.digest) << name;
  EXPECT_TRUE(bytes == fresh_bytes) << name << ": the prover no longer reproduces the golden file byte for byte ("
                                    << bytes.size() << " vs " << fresh_bytes.size()
                                    << " bytes); if the format changed, bump proof_format_version and add new files";
}

/// A proof of the example statement `name` (stark/examples.hpp: its circuit, stacked instances
/// included, and its witnesses, as `ciro prove` proves it).
template <class E>
proved<E> prove_example(const std::string& name, unsigned log_rows, unsigned instances, const stark_params& params,
                        const ciro::stark::prove_options& options = {}) {
  auto example = make_example<E>(name, log_rows, instances);
  EXPECT_TRUE(example.has_value()) << name << ": " << (example ? "" : example.error().message);
  if (!example) return {};
  auto backend = ciro::kernels::make_cpu_backend();
  ciro::hash::cpu_merkle_hasher hasher;
  auto pk = setup<E>(example.value().tables, params, *backend, hasher);
  EXPECT_TRUE(pk.has_value()) << name << ": " << (pk ? "" : pk.error().message);
  if (!pk) return {};
  auto p = prove<E>(*pk.value(), example.value().witnesses, *backend, hasher, nullptr, options);
  EXPECT_TRUE(p.has_value()) << name << ": " << (p ? "" : p.error().message);
  if (!p) return {};
  return {pk.value(), std::move(p).value()};
}

/// The toy lookup statement of honest_proofs.hpp: 2^5 values below 8 (seed 2024) sent to the
/// fixed table of squares of 2^3 rows.
template <class E>
proved<E> prove_lookups(const stark_params& params, ciro::stark::prove_options options = {}) {
  auto [sender, squares] = ciro::test::toy_squares_witness(5, 3, 2024);
  return ciro::test::prove_tables<E>({{make_table<E>(ciro::test::toy_sender_air{}), std::move(sender)},
                                      {make_table<E>(ciro::test::toy_squares_air{}), std::move(squares)}},
                                     params, std::move(options));
}

TEST(Golden, TheVersion2FibonacciProofVerifiesAndIsReproduced) {
  static_assert(proof_format_version == 2, "add golden files for the new format version (tests/fixtures/README.md)");
  check_golden(
      "fibonacci_2_8_fast_v2.proof",
      ciro::test::prove_single<babybear4>(ciro::air::fibonacci_air{}, ciro::test::fibonacci_witness(8), fast_profile()),
      100);
}

TEST(Golden, TheVersion2Poseidon2ProofsVerifyAndAreReproduced) {
  const ciro::air::poseidon2_air air;
  const auto w = ciro::test::poseidon2_witness(3);
  check_golden("poseidon2_2_3_fast_v2.proof", ciro::test::prove_single<babybear4>(air, w, fast_profile()), 100);
  check_golden("poseidon2_2_3_secure_v2.proof", ciro::test::prove_single<babybear5>(air, w, secure_profile()), 128);
}

TEST(Golden, TheVersion2LookupProofWithFixedColumnsVerifiesAndIsReproduced) {
  check_golden("lookups_fast_v2.proof", prove_lookups<babybear4>(fast_profile()), 100);
}

TEST(Golden, TheVersion2RangeCheckProofVerifiesAndIsReproduced) {
  check_golden("range_check_2_6_fast_v2.proof", prove_example<babybear4>("range-check", 6, 1, fast_profile()), 100);
}

TEST(Golden, TheVersion2BatchOfFourFibonacciInstancesVerifiesAndIsReproduced) {
  // The four instances are stacked in one table (stark/examples.hpp), each with its public values.
  const auto a = prove_example<babybear4>("fibonacci", 5, 4, fast_profile());
  ASSERT_EQ(a.proof.stmt.tables.size(), 1u);
  EXPECT_EQ(a.proof.stmt.tables[0].instances, 4u);
  EXPECT_EQ(a.proof.stmt.tables[0].public_values.size(), 4u * 3u);
  check_golden("batch_fibonacci_4x2_5_fast_v2.proof", a, 100);
}

TEST(Golden, TheVersion1FilesAreKeptForTheRefusalTest) {
  for (const std::string name :
       {"fibonacci_2_8_fast_v1.proof", "poseidon2_2_3_fast_v1.proof", "poseidon2_2_3_secure_v1.proof"}) {
    const auto bytes = read_file(std::filesystem::path(CIRO_FIXTURES_DIR) / name);
    ASSERT_GT(bytes.size(), 12u) << name << " is missing";
    const auto r = peek_extension_degree(bytes);
    ASSERT_FALSE(r.has_value()) << name;
    EXPECT_EQ(r.error().code, decode_error_code::unknown_version) << name;
  }
}

/// The seed corpus of fuzz/proof_fuzzer.cpp: small valid proofs of statements the fuzzer can
/// rebuild (the known tables of stark/examples.hpp), including weak parameters (which the fuzzer
/// accepts, so that mutations reach the whole verifier cheaply), several instances and heights,
/// lookups and fixed columns, and a few truncations. Written only when regenerating; otherwise
/// checks that every seed is still what the prover writes.
TEST(Golden, TheFuzzCorpusSeedsAreSmallValidProofsAndTruncations) {
  const std::filesystem::path dir = std::filesystem::path(CIRO_FUZZ_CORPUS_DIR);
  ciro::stark::prove_options any_security;
  any_security.min_security_bits = 0;
  stark_params weak = fast_profile();
  weak.num_queries = 4;
  weak.pow_bits = 2;
  stark_params weak_q2 = weak;  // for the statements with the 2^16-row range table
  weak_q2.num_queries = 2;
  stark_params weak_arity2 = weak;
  weak_arity2.log_arity = 1;
  stark_params weak_secure = secure_profile();
  weak_secure.num_queries = 3;
  weak_secure.pow_bits = 1;
  const auto fib = make_table<babybear4>(ciro::air::fibonacci_air{});
  const ciro::air::fibonacci_air fib_air;
  const ciro::air::poseidon2_air p2_air;
  auto single = [&](const auto& air, const ciro::air::witness& w, const stark_params& params) {
    return encode(ciro::test::prove_tables<babybear4>({{make_table<babybear4>(air), w}}, params, any_security).proof);
  };
  const std::vector<std::pair<std::string, std::vector<std::uint8_t>>> seeds{
      {"fibonacci_2_3_q4", single(fib_air, ciro::test::fibonacci_witness(3), weak)},
      {"fibonacci_2_5_q4_arity2", single(fib_air, ciro::test::fibonacci_witness(5), weak_arity2)},
      {"fibonacci_2_4_secure_q3",
       encode(ciro::test::prove_tables<babybear5>({{make_table<babybear5>(fib_air), ciro::test::fibonacci_witness(4)}},
                                                  weak_secure, any_security)
                  .proof)},
      {"poseidon2_2_2_q4", single(p2_air, ciro::test::poseidon2_witness(2), weak)},
      {"fibonacci_2_3_fast", single(fib_air, ciro::test::fibonacci_witness(3), fast_profile())},
      {"fibonacci_x3_2_1_to_2_4_q4",
       encode(ciro::test::prove_tables<babybear4>({{fib, ciro::test::fibonacci_witness(4, 0)},
                                                   {fib, ciro::test::fibonacci_witness(1, 1)},
                                                   {fib, ciro::test::fibonacci_witness(4, 2)}},
                                                  weak, any_security)
                  .proof)},
      {"fibonacci_4x2_2_q4", encode(prove_example<babybear4>("fibonacci", 2, 4, weak, any_security).proof)},
      {"range_check_2_4_q2", encode(prove_example<babybear4>("range-check", 4, 1, weak_q2, any_security).proof)},
      {"permutation_2_4_q2", encode(prove_example<babybear4>("permutation", 4, 1, weak_q2, any_security).proof)},
  };
  for (const auto& [name, bytes] : seeds) {
    ASSERT_GT(bytes.size(), 64u) << name << ": the statement did not prove";
    ASSERT_TRUE(decode<babybear4>(bytes).has_value() || decode<babybear5>(bytes).has_value()) << name;
  }
  if (regenerating()) {
    std::filesystem::remove_all(dir);
    std::size_t total = 0;
    for (const auto& [name, bytes] : seeds) {
      write_file(dir / name, bytes);
      total += bytes.size();
      for (const std::size_t cut : {std::size_t{11}, bytes.size() / 2, bytes.size() - 1}) {
        write_file(dir / (name + "_cut" + std::to_string(cut)), std::span(bytes).first(cut));
        total += cut;
      }
    }
    std::cout << "wrote " << 4 * seeds.size() << " seeds (" << total << " bytes) to " << dir << "\n";
    return;
  }
  std::size_t files = 0;
  for (const auto& [name, bytes] : seeds) {
    EXPECT_TRUE(read_file(dir / name) == bytes) << name << " is stale (CIRO_REGENERATE_FIXTURES=1 rewrites it)";
    for (const std::size_t cut : {std::size_t{11}, bytes.size() / 2, bytes.size() - 1}) {
      const auto path = dir / (name + "_cut" + std::to_string(cut));
      EXPECT_TRUE(read_file(path) == std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + cut))
          << path << " is stale (CIRO_REGENERATE_FIXTURES=1 rewrites it)";
    }
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    ++files;
    // Every seed is a version-2 file (or a truncation of one): none is refused for its version.
    const auto bytes = read_file(entry.path());
    const auto degree = peek_extension_degree(bytes);
    if (!degree) {
      EXPECT_NE(degree.error().code, decode_error_code::unknown_version) << entry.path();
    }
  }
  EXPECT_EQ(files, 4 * seeds.size()) << dir << " holds files the regeneration does not write";
}

}  // namespace
