// Tampering: every class of proof element altered in the decoded proof, every single-byte change
// at sampled positions of the encoding and every truncation must be rejected, each within a
// bounded time (a robustness bound, not a speed target).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "stark/verifier.hpp"
#include "tests/stark/honest_proofs.hpp"
#include "tests/support/seed.hpp"

namespace {

using ciro::field::babybear;
using ciro::field::babybear4;
using ciro::field::babybear5;
using namespace ciro::stark;

/// The most one decode + verify of a tampered proof may take.
constexpr double max_seconds_per_case = 1.0;

template <class E>
using mutation = std::pair<std::string, std::function<void(proof<E>&)>>;

void bump(babybear& x) { x += babybear::one(); }
template <class E>
void bump(E& x) {
  x += E::one();
}
void bump(ciro::hash::digest& d, std::size_t k) { d[k] += babybear::one(); }
void bump(std::uint32_t& v) { ++v; }

/// Every alteration of a Merkle batch opening: the first and last opened element, the first and
/// last sibling, a sibling dropped or added, an opened row dropped or duplicated, a row widened.
template <class E>
void opening_mutations(std::vector<mutation<E>>& out, const std::string& name,
                       std::function<ciro::hash::batch_opening&(proof<E>&)> get, const ciro::hash::batch_opening& o) {
  if (!o.rows.empty() && !o.rows.front()[0].empty()) {
    out.push_back({name + ".rows[0][0]", [get](proof<E>& p) { bump(get(p).rows.front()[0].front()); }});
    out.push_back({name + ".rows[last][last]", [get](proof<E>& p) { bump(get(p).rows.back()[0].back()); }});
    out.push_back({name + ".rows: last dropped", [get](proof<E>& p) { get(p).rows.pop_back(); }});
    out.push_back({name + ".rows: first duplicated", [get](proof<E>& p) {
                     auto& rows = get(p).rows;
                     rows.insert(rows.begin(), rows.front());
                   }});
    out.push_back({name + ".rows[0]: widened", [get](proof<E>& p) { get(p).rows.front()[0].push_back(babybear{}); }});
    out.push_back({name + ".rows[0]: swapped with rows[last]", [get](proof<E>& p) {
                     auto& rows = get(p).rows;
                     std::swap(rows.front(), rows.back());
                   }});
  }
  if (!o.siblings.empty()) {
    out.push_back({name + ".siblings[0]", [get](proof<E>& p) { bump(get(p).siblings.front(), 0); }});
    out.push_back({name + ".siblings[last]", [get](proof<E>& p) { bump(get(p).siblings.back(), 7); }});
    out.push_back({name + ".siblings: last dropped", [get](proof<E>& p) { get(p).siblings.pop_back(); }});
  }
  out.push_back({name + ".siblings: one added", [get](proof<E>& p) { get(p).siblings.push_back({}); }});
}

/// One alteration per class of proof element (and per FRI layer, final coefficient, parameter
/// and public value), each applied alone to a copy of `honest`.
template <class E>
std::vector<mutation<E>> all_mutations(const proof<E>& honest) {
  std::vector<mutation<E>> m;
  // Parameters: every field up and down by one.
  const std::vector<std::pair<std::string, std::uint32_t stark_params::*>> params{
      {"log_blowup", &stark_params::log_blowup},
      {"num_queries", &stark_params::num_queries},
      {"pow_bits", &stark_params::pow_bits},
      {"log_arity", &stark_params::log_arity},
      {"log_final_poly_len", &stark_params::log_final_poly_len},
      {"extension_degree", &stark_params::extension_degree}};
  for (const auto& [name, field] : params) {
    m.push_back({"params." + name + " + 1", [field](proof<E>& p) { ++(p.params.*field); }});
    if (honest.params.*field > 0)
      m.push_back({"params." + name + " - 1", [field](proof<E>& p) { --(p.params.*field); }});
  }
  m.push_back({"params.num_queries = max", [](proof<E>& p) { p.params.num_queries = ciro::fri::fri_max_queries; }});
  m.push_back({"params: pow_bits 0 and num_queries + 16 (same security)", [](proof<E>& p) {
                 p.params.num_queries += 16 / p.params.log_blowup;
                 p.params.pow_bits = 0;
               }});
  // Statement.
  m.push_back({"stmt.air_name", [](proof<E>& p) { p.stmt.air_name.back() ^= 1; }});
  m.push_back({"stmt.log_rows + 1", [](proof<E>& p) { bump(p.stmt.log_rows); }});
  m.push_back({"stmt.log_rows - 1", [](proof<E>& p) { --p.stmt.log_rows; }});
  m.push_back({"stmt.log_rows = 0", [](proof<E>& p) { p.stmt.log_rows = 0; }});
  m.push_back({"stmt.log_rows = 26", [](proof<E>& p) { p.stmt.log_rows = 26; }});
  for (std::size_t i = 0; i < honest.stmt.public_values.size(); ++i) {
    m.push_back({"stmt.public_values[" + std::to_string(i) + "]", [i](proof<E>& p) { bump(p.stmt.public_values[i]); }});
  }
  m.push_back({"stmt.public_values: one added", [](proof<E>& p) { p.stmt.public_values.push_back(babybear{}); }});
  // Commitments.
  for (const std::size_t k : {0u, 7u}) {
    m.push_back({"trace_root[" + std::to_string(k) + "]", [k](proof<E>& p) { bump(p.trace_root, k); }});
    m.push_back({"quotient_root[" + std::to_string(k) + "]", [k](proof<E>& p) { bump(p.quotient_root, k); }});
  }
  // Out-of-domain values.
  m.push_back({"trace_local[0]", [](proof<E>& p) { bump(p.trace_local.front()); }});
  m.push_back({"trace_local[last]", [](proof<E>& p) { bump(p.trace_local.back()); }});
  m.push_back({"trace_next[0]", [](proof<E>& p) { bump(p.trace_next.front()); }});
  m.push_back({"trace_next[last]", [](proof<E>& p) { bump(p.trace_next.back()); }});
  m.push_back({"trace_local/next: last column dropped", [](proof<E>& p) {
                 p.trace_local.pop_back();
                 p.trace_next.pop_back();
               }});
  m.push_back({"quotient_at_zeta[0]", [](proof<E>& p) { bump(p.quotient_at_zeta.front()); }});
  m.push_back({"quotient_at_zeta[last]", [](proof<E>& p) { bump(p.quotient_at_zeta.back()); }});
  m.push_back({"quotient_at_zeta: one added", [](proof<E>& p) { p.quotient_at_zeta.push_back(E::zero()); }});
  // Query openings of the trace and the quotient.
  opening_mutations<E>(
      m, "trace_opening", [](proof<E>& p) -> ciro::hash::batch_opening& { return p.trace_opening; },
      honest.trace_opening);
  opening_mutations<E>(
      m, "quotient_opening", [](proof<E>& p) -> ciro::hash::batch_opening& { return p.quotient_opening; },
      honest.quotient_opening);
  // FRI: every layer's root and opening, every final coefficient, the proof of work.
  for (std::size_t i = 0; i < honest.fri.layer_roots.size(); ++i) {
    const std::string layer = "fri.layer[" + std::to_string(i) + "]";
    m.push_back({layer + ".root", [i](proof<E>& p) { bump(p.fri.layer_roots[i], i % 8); }});
    opening_mutations<E>(
        m, layer + ".opening", [i](proof<E>& p) -> ciro::hash::batch_opening& { return p.fri.layer_openings[i]; },
        honest.fri.layer_openings[i]);
  }
  m.push_back({"fri: last layer dropped", [](proof<E>& p) {
                 p.fri.layer_roots.pop_back();
                 p.fri.layer_openings.pop_back();
               }});
  m.push_back({"fri: layers 0 and 1 swapped", [](proof<E>& p) {
                 if (p.fri.layer_roots.size() < 2) {
                   p.fri.layer_roots.push_back(p.fri.layer_roots.front());
                   p.fri.layer_openings.push_back(p.fri.layer_openings.front());
                 } else {
                   std::swap(p.fri.layer_roots[0], p.fri.layer_roots[1]);
                   std::swap(p.fri.layer_openings[0], p.fri.layer_openings[1]);
                 }
               }});
  for (std::size_t k = 0; k < honest.fri.final_poly.size(); ++k) {
    m.push_back({"fri.final_poly[" + std::to_string(k) + "]", [k](proof<E>& p) { bump(p.fri.final_poly[k]); }});
  }
  m.push_back({"fri.final_poly: one coefficient added", [](proof<E>& p) { p.fri.final_poly.push_back(E::zero()); }});
  m.push_back({"fri.final_poly: last coefficient dropped", [](proof<E>& p) { p.fri.final_poly.pop_back(); }});
  m.push_back({"fri.pow_witness + 1", [](proof<E>& p) { bump(p.fri.pow_witness); }});
  m.push_back({"fri.pow_witness = p - 1", [](proof<E>& p) { p.fri.pow_witness = babybear::zero() - babybear::one(); }});
  return m;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <class E, class A>
void expect_every_element_class_rejected(const A& air, const proof<E>& honest, const std::string& label) {
  ASSERT_TRUE(verify(air, honest).has_value()) << label;
  std::map<std::string, int> codes;  // how often each rejection reason answered
  for (const auto& [name, mutate] : all_mutations(honest)) {
    proof<E> p = honest;
    mutate(p);
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = verify(air, p);
    const double seconds = seconds_since(t0);
    ASSERT_FALSE(r.has_value()) << label << ": " << name << " was accepted";
    EXPECT_LT(seconds, max_seconds_per_case) << label << ": " << name;
    ++codes[to_string(r.error().code)];
  }
  std::cout << label << " rejections by reason:";
  for (const auto& [code, count] : codes) std::cout << ' ' << code << '=' << count;
  std::cout << '\n';
}

template <class E, class A>
void expect_every_byte_change_and_truncation_rejected(const A& air, const proof<E>& honest, const std::string& label) {
  ciro::test::seeded_rng rng;
  const auto bytes = encode(honest);
  double slowest = 0;
  auto accepts = [&](std::span<const std::uint8_t> b) {
    const auto t0 = std::chrono::steady_clock::now();
    auto p = decode<E>(b);
    const bool ok = p.has_value() && verify(air, p.value()).has_value();
    slowest = std::max(slowest, seconds_since(t0));
    return ok;
  };
  ASSERT_TRUE(accepts(bytes)) << label;
  // The header, parameters and statement in full, then ~500 positions over the whole file.
  std::vector<std::size_t> positions;
  for (std::size_t i = 0; i < std::min<std::size_t>(bytes.size(), 96); ++i) positions.push_back(i);
  for (int i = 0; i < 500; ++i) positions.push_back(rng.below(bytes.size()));
  for (const std::size_t pos : positions) {
    auto tampered = bytes;
    tampered[pos] ^= static_cast<std::uint8_t>(1 + rng.below(255));
    ASSERT_FALSE(accepts(tampered)) << label << ": byte " << pos << " of " << bytes.size();
  }
  // Every truncation (a prefix never decodes: each count is read before what it counts and the
  // FRI part's length comes first, so decoding stops at "truncated", in time linear in the prefix).
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    ASSERT_FALSE(accepts(std::span(bytes).first(len))) << label << ": truncated to " << len << " of " << bytes.size();
  }
  EXPECT_LT(slowest, max_seconds_per_case) << label;
  std::cout << label << ": " << bytes.size() << " bytes, slowest check " << slowest * 1e3 << " ms\n";
}

TEST(Tamper, EveryAlteredElementOfAFibonacciProofIsRejected) {
  const ciro::air::fibonacci_air air;
  for (const unsigned log_rows : {5u, 8u}) {
    const auto p = ciro::test::prove_honest<babybear4>(air, ciro::test::fibonacci_witness(log_rows), fast_profile());
    expect_every_element_class_rejected(air, p, "fibonacci 2^" + std::to_string(log_rows) + " fast");
  }
}

TEST(Tamper, EveryAlteredElementOfAPoseidon2ProofIsRejectedInBothProfiles) {
  const ciro::air::poseidon2_air air;
  const auto w = ciro::test::poseidon2_witness(3);
  expect_every_element_class_rejected(air, ciro::test::prove_honest<babybear4>(air, w, fast_profile()),
                                      "poseidon2 2^3 fast");
  expect_every_element_class_rejected(air, ciro::test::prove_honest<babybear5>(air, w, secure_profile()),
                                      "poseidon2 2^3 secure");
}

TEST(Tamper, EverySampledByteChangeAndEveryTruncationOfAFibonacciProofIsRejected) {
  const ciro::air::fibonacci_air air;
  for (const unsigned log_rows : {5u, 8u}) {
    const auto p = ciro::test::prove_honest<babybear4>(air, ciro::test::fibonacci_witness(log_rows), fast_profile());
    expect_every_byte_change_and_truncation_rejected(air, p, "fibonacci 2^" + std::to_string(log_rows) + " fast");
  }
}

TEST(Tamper, EverySampledByteChangeAndEveryTruncationOfAPoseidon2ProofIsRejected) {
  const ciro::air::poseidon2_air air;
  const auto w = ciro::test::poseidon2_witness(3);
  expect_every_byte_change_and_truncation_rejected(air, ciro::test::prove_honest<babybear4>(air, w, fast_profile()),
                                                   "poseidon2 2^3 fast");
  expect_every_byte_change_and_truncation_rejected(air, ciro::test::prove_honest<babybear5>(air, w, secure_profile()),
                                                   "poseidon2 2^3 secure");
}

}  // namespace
