// Golden proof files (tests/fixtures/, one set per proof format version) must keep verifying, and
// the deterministic prover must reproduce them byte for byte. With CIRO_REGENERATE_FIXTURES=1
// the tests rewrite the files instead (and the seed corpus of fuzz/proof_fuzzer.cpp); see
// tests/fixtures/README.md.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "stark/verifier.hpp"
#include "tests/stark/honest_proofs.hpp"

namespace {

using ciro::field::babybear4;
using ciro::field::babybear5;
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
/// must decode, verify with at least `min_bits` and equal `fresh` byte for byte.
template <class E, class A>
void check_golden(const A& air, const std::string& name, const proof<E>& fresh, std::uint32_t min_bits) {
  const std::filesystem::path path = std::filesystem::path(CIRO_FIXTURES_DIR) / name;
  const auto fresh_bytes = encode(fresh);
  if (regenerating()) {
    write_file(path, fresh_bytes);
    std::cout << "wrote " << path << " (" << fresh_bytes.size() << " bytes)\n";
    return;
  }
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing (CIRO_REGENERATE_FIXTURES=1 writes it)";
  const auto bytes = read_file(path);
  auto p = decode<E>(bytes);
  ASSERT_TRUE(p.has_value()) << name << ": " << p.error().message;
  const auto r = verify(air, p.value());
  ASSERT_TRUE(r.has_value()) << name << ": " << r.error().message;
  EXPECT_GE(r.value(), min_bits) << name;
  EXPECT_TRUE(bytes == fresh_bytes) << name << ": the prover no longer reproduces the golden file byte for byte ("
                                    << bytes.size() << " vs " << fresh_bytes.size()
                                    << " bytes); if the format changed, bump proof_format_version and add new files";
}

TEST(Golden, TheVersion1FibonacciProofStillVerifiesAndIsReproduced) {
  static_assert(proof_format_version == 1, "add golden files for the new format version (tests/fixtures/README.md)");
  const ciro::air::fibonacci_air air;
  check_golden(air, "fibonacci_2_8_fast_v1.proof",
               ciro::test::prove_honest<babybear4>(air, ciro::test::fibonacci_witness(8), fast_profile()), 100);
}

TEST(Golden, TheVersion1Poseidon2ProofsStillVerifyAndAreReproduced) {
  const ciro::air::poseidon2_air air;
  const auto w = ciro::test::poseidon2_witness(3);
  check_golden(air, "poseidon2_2_3_fast_v1.proof", ciro::test::prove_honest<babybear4>(air, w, fast_profile()), 100);
  check_golden(air, "poseidon2_2_3_secure_v1.proof", ciro::test::prove_honest<babybear5>(air, w, secure_profile()),
               128);
}

/// The seed corpus of fuzz/proof_fuzzer.cpp: small valid proofs (including weak parameters, which
/// the fuzzer accepts, so that mutations reach the whole verifier cheaply) and a few truncations.
/// Written only when regenerating; otherwise checks that every seed still decodes or is a
/// deliberate truncation.
TEST(Golden, TheFuzzCorpusSeedsAreSmallValidProofsAndTruncations) {
  const std::filesystem::path dir = std::filesystem::path(CIRO_FUZZ_CORPUS_DIR);
  const ciro::air::fibonacci_air fib;
  const ciro::air::poseidon2_air p2;
  stark_params weak = fast_profile();
  weak.num_queries = 4;
  weak.pow_bits = 2;
  stark_params weak_arity2 = weak;
  weak_arity2.log_arity = 1;
  stark_params weak_secure = secure_profile();
  weak_secure.num_queries = 3;
  weak_secure.pow_bits = 1;
  const std::vector<std::pair<std::string, std::vector<std::uint8_t>>> seeds{
      {"fibonacci_2_3_q4", encode(ciro::test::prove_honest<babybear4>(fib, ciro::test::fibonacci_witness(3), weak))},
      {"fibonacci_2_5_q4_arity2",
       encode(ciro::test::prove_honest<babybear4>(fib, ciro::test::fibonacci_witness(5), weak_arity2))},
      {"fibonacci_2_4_secure_q3",
       encode(ciro::test::prove_honest<babybear5>(fib, ciro::test::fibonacci_witness(4), weak_secure))},
      {"poseidon2_2_2_q4", encode(ciro::test::prove_honest<babybear4>(p2, ciro::test::poseidon2_witness(2), weak))},
      {"fibonacci_2_3_fast",
       encode(ciro::test::prove_honest<babybear4>(fib, ciro::test::fibonacci_witness(3), fast_profile()))},
  };
  if (regenerating()) {
    std::filesystem::remove_all(dir);
    for (const auto& [name, bytes] : seeds) {
      write_file(dir / name, bytes);
      for (const std::size_t cut : {std::size_t{11}, bytes.size() / 2, bytes.size() - 1}) {
        write_file(dir / (name + "_cut" + std::to_string(cut)), std::span(bytes).first(cut));
      }
    }
    return;
  }
  for (const auto& [name, bytes] : seeds) {
    EXPECT_TRUE(read_file(dir / name) == bytes) << name << " is stale (CIRO_REGENERATE_FIXTURES=1 rewrites it)";
  }
}

}  // namespace
