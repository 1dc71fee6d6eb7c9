// libFuzzer target for the proof decoder and the verifier: the input is a proof file, decoded for
// the extension degree it declares (stark::peek_extension_degree) and, when it decodes, verified
// against the circuit its statement names (the known tables at the heights it gives, as `ciro
// verify` rebuilds it). Any crash, sanitizer report, leak or timeout is a bug; a rejection is the
// expected outcome for almost every input. The verifier's security floor is 0 here so that
// mutated proofs with cheap (weak) parameters reach every check. Verifying keys are cached by
// circuit, and circuits with more than 2^17 fixed rows are skipped (their setup is the slow part).
// Build and run: scripts/fuzz.sh (clang, -DCIRO_FUZZ=ON); seed corpus: fuzz/corpus/proof/.
#include <cstddef>
#include <cstdint>
#include <span>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "field/extension.hpp"
#include "kernels/backend.hpp"
#include "stark/examples.hpp"
#include "stark/proof.hpp"
#include "stark/verifier.hpp"

namespace {

template <class E>
void decode_and_verify(std::span<const std::uint8_t> bytes) {
  auto p = ciro::stark::decode<E>(bytes);
  if (!p) return;
  // Decoding is canonical: what decodes re-encodes to the same bytes.
  if (ciro::stark::encode(p.value()) != std::vector<std::uint8_t>(bytes.begin(), bytes.end())) __builtin_trap();
  std::vector<ciro::stark::table_instance<E>> tables;
  std::string key;
  std::uint64_t fixed_rows = 0;
  for (const auto& t : p.value().stmt.tables) {
    auto kind = ciro::stark::table_by_name<E>(t.air_name);
    if (!kind) return;
    if (kind->num_fixed() > 0) fixed_rows += std::uint64_t{1} << t.log_height();
    tables.push_back({std::move(kind), t.log_rows, t.instances});
    key += t.air_name + "/" + std::to_string(t.log_rows) + "x" + std::to_string(t.instances) + ";";
  }
  if (fixed_rows > (1u << 17)) return;
  const auto& pa = p.value().params;
  for (const std::uint32_t v : {pa.log_blowup, pa.num_queries, pa.pow_bits, pa.log_arity, pa.log_final_poly_len})
    key += std::to_string(v) + ",";
  static std::map<std::string, std::shared_ptr<const ciro::stark::proving_key<E>>> keys;
  static const auto backend = ciro::kernels::make_cpu_backend();
  auto it = keys.find(key);
  if (it == keys.end()) {
    auto pk = ciro::stark::setup<E>(tables, pa, *backend, backend->merkle());
    if (!pk) return;
    if (keys.size() > 64) keys.clear();
    it = keys.emplace(key, pk.value()).first;
  }
  (void)ciro::stark::verify(it->second->vk, p.value(), {.min_security_bits = 0});
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
