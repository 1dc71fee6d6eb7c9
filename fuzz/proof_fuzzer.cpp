// libFuzzer target for the proof decoder and the verifier: the input is a proof file, decoded for
// the extension degree it declares (stark::peek_extension_degree) and, when it decodes, verified
// against the AIR it names, as `ciro verify` does. Any crash, sanitizer report, leak or timeout
// is a bug; a rejection is the expected outcome for almost every input. The verifier's security
// floor is 0 here so that mutated proofs with cheap (weak) parameters reach every check.
// Build and run: scripts/fuzz.sh (clang, -DCIRO_FUZZ=ON); seed corpus: fuzz/corpus/proof/.
#include <cstddef>
#include <cstdint>
#include <span>

#include "air/fibonacci.hpp"
#include "air/poseidon2_air.hpp"
#include "field/extension.hpp"
#include "stark/proof.hpp"
#include "stark/verifier.hpp"

namespace {

template <class E>
void decode_and_verify(std::span<const std::uint8_t> bytes) {
  auto p = ciro::stark::decode<E>(bytes);
  if (!p) return;
  // Decoding is canonical: what decodes re-encodes to the same bytes.
  if (ciro::stark::encode(p.value()) != std::vector<std::uint8_t>(bytes.begin(), bytes.end())) __builtin_trap();
  const ciro::stark::verifier_policy policy{.min_security_bits = 0};
  const auto& name = p.value().stmt.air_name;
  if (name == ciro::air::fibonacci_air{}.name()) {
    (void)ciro::stark::verify(ciro::air::fibonacci_air{}, p.value(), policy);
  } else if (name == ciro::air::poseidon2_air{}.name()) {
    (void)ciro::stark::verify(ciro::air::poseidon2_air{}, p.value(), policy);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  const auto degree = ciro::stark::peek_extension_degree(bytes);
  if (!degree) return 0;
  if (degree.value() == 5) {
    decode_and_verify<ciro::field::babybear5>(bytes);
  } else {
    decode_and_verify<ciro::field::babybear4>(bytes);
  }
  return 0;
}
