// Tampering: every class of proof element altered in the decoded proof, every single-byte change
// at sampled positions of the encoding and every truncation must be rejected, each within a
// bounded time (a robustness bound, not a speed target). Also: proofs of false statements that
// the prover was forced to write (checks off) are rejected for the right reason, a proof is
// rejected against another circuit's verifying key, and version-1 files are refused by decode.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "air/fibonacci.hpp"
#include "air/poseidon2_air.hpp"
#include "stark/verifier.hpp"
#include "tests/stark/honest_proofs.hpp"
#include "tests/support/seed.hpp"

namespace {

using ciro::field::babybear;
using ciro::field::babybear4;
using ciro::field::babybear5;
using ciro::test::proved;
using namespace ciro::stark;

/// The most one decode + verify of a tampered proof may take.
constexpr double max_seconds_per_case = 1.0;

/// One alteration of a decoded proof and, where the verifier's order of checks makes it certain,
/// the reason it must be rejected for.
template <class E>
struct mutation {
  mutation(std::string n, std::function<void(proof<E>&)> f, std::optional<verify_error_code> e = std::nullopt)
      : name(std::move(n)), apply(std::move(f)), expected(e) {}
  std::string name;
  std::function<void(proof<E>&)> apply;
  std::optional<verify_error_code> expected;
};

template <class E>
using mutations = std::vector<mutation<E>>;

void bump(babybear& x) { x += babybear::one(); }
template <class E>
void bump(E& x) {
  x += E::one();
}
void bump(ciro::hash::digest& d, std::size_t k) { d[k] += babybear::one(); }

/// Every alteration of a Merkle batch opening (rows[a][j] is matrix j's opened row at the a-th
/// leaf): the first and last opened element, an opened row dropped, duplicated, widened, narrowed
/// or swapped, a matrix's row dropped or added, matrices reordered, and the first and last sibling,
/// a sibling dropped or added. `code` is the reason expected (nullopt: any).
template <class E>
void opening_mutations(mutations<E>& out, const std::string& name,
                       std::function<ciro::hash::batch_opening&(proof<E>&)> get, const ciro::hash::batch_opening& o,
                       std::optional<verify_error_code> code) {
  auto add = [&](std::string what, std::function<void(ciro::hash::batch_opening&)> f) {
    out.push_back({name + what, [get, f](proof<E>& p) { f(get(p)); }, code});
  };
  if (!o.rows.empty()) {
    const auto& first = o.rows.front();
    const auto& last = o.rows.back();
    if (!first.empty() && !first.front().empty()) {
      add(".rows[0][0][0]", [](auto& b) { bump(b.rows.front().front().front()); });
      add(".rows[0][0]: widened", [](auto& b) { b.rows.front().front().push_back(babybear{}); });
      add(".rows[0][0]: narrowed", [](auto& b) { b.rows.front().front().pop_back(); });
    }
    if (!last.empty() && !last.back().empty()) {
      add(".rows[last][last][last]", [](auto& b) { bump(b.rows.back().back().back()); });
    }
    add(".rows: last dropped", [](auto& b) { b.rows.pop_back(); });
    add(".rows: first duplicated", [](auto& b) { b.rows.insert(b.rows.begin(), b.rows.front()); });
    if (o.rows.size() > 1 && o.rows.front() != o.rows.back()) {
      add(".rows: first and last swapped", [](auto& b) { std::swap(b.rows.front(), b.rows.back()); });
    }
    add(".rows[0]: last matrix dropped", [](auto& b) { b.rows.front().pop_back(); });
    add(".rows[0]: an empty matrix row added", [](auto& b) { b.rows.front().emplace_back(); });
    if (first.size() > 1 && first.front() != first.back()) {
      add(".rows[0]: first and last matrix swapped",
          [](auto& b) { std::swap(b.rows.front().front(), b.rows.front().back()); });
    }
  }
  if (!o.siblings.empty()) {
    add(".siblings[0]", [](auto& b) { bump(b.siblings.front(), 0); });
    add(".siblings[last]", [](auto& b) { bump(b.siblings.back(), 7); });
    add(".siblings: last dropped", [](auto& b) { b.siblings.pop_back(); });
  }
  add(".siblings: one added", [](auto& b) { b.siblings.push_back({}); });
}

/// One alteration per class of proof element (and per parameter, table, public value, lookup
/// total, commitment, opening and FRI layer), each applied alone to a copy of `honest`.
template <class E>
mutations<E> all_mutations(const proof<E>& honest) {
  mutations<E> m;
  using code = verify_error_code;
  // Parameters: every field up and down by one; none may differ from the verifying key's.
  const std::vector<std::pair<std::string, std::uint32_t stark_params::*>> params{
      {"log_blowup", &stark_params::log_blowup},
      {"num_queries", &stark_params::num_queries},
      {"pow_bits", &stark_params::pow_bits},
      {"log_arity", &stark_params::log_arity},
      {"log_final_poly_len", &stark_params::log_final_poly_len},
      {"extension_degree", &stark_params::extension_degree}};
  for (const auto& [name, field] : params) {
    m.push_back({"params." + name + " + 1", [field](proof<E>& p) { ++(p.params.*field); }, code::invalid_parameters});
    if (honest.params.*field > 0) {
      m.push_back({"params." + name + " - 1", [field](proof<E>& p) { --(p.params.*field); }, code::invalid_parameters});
    }
  }
  m.push_back({"params.num_queries = max", [](proof<E>& p) { p.params.num_queries = ciro::fri::fri_max_queries; },
               code::invalid_parameters});
  m.push_back({"params: pow_bits 0 and num_queries + 16 (same security)",
               [](proof<E>& p) {
                 p.params.num_queries += 16 / p.params.log_blowup;
                 p.params.pow_bits = 0;
               },
               code::invalid_parameters});
  // The verifying key's digest.
  for (const std::size_t k : {0u, 7u}) {
    m.push_back(
        {"vk_digest[" + std::to_string(k) + "]", [k](proof<E>& p) { bump(p.vk_digest, k); }, code::wrong_circuit});
  }
  // The statement: the tables (instances), their AIRs, heights and public values.
  const std::size_t num_tables = honest.stmt.tables.size();
  m.push_back({"stmt: last table dropped",
               [](proof<E>& p) {
                 p.stmt.tables.pop_back();
                 p.openings.pop_back();
               },
               code::wrong_circuit});
  m.push_back({"stmt: last table duplicated",
               [](proof<E>& p) {
                 p.stmt.tables.push_back(p.stmt.tables.back());
                 p.openings.push_back(p.openings.back());
               },
               code::wrong_circuit});
  m.push_back({"stmt: first table duplicated in front",
               [](proof<E>& p) {
                 p.stmt.tables.insert(p.stmt.tables.begin(), p.stmt.tables.front());
                 p.openings.insert(p.openings.begin(), p.openings.front());
               },
               code::wrong_circuit});
  m.push_back({"stmt: table dropped but its openings kept", [](proof<E>& p) { p.stmt.tables.pop_back(); },
               code::wrong_circuit});
  m.push_back(
      {"openings: one table's openings dropped", [](proof<E>& p) { p.openings.pop_back(); }, code::wrong_circuit});
  if (num_tables > 1 && honest.stmt.tables.front() != honest.stmt.tables.back()) {
    m.push_back({"stmt: first and last tables swapped",
                 [](proof<E>& p) {
                   std::swap(p.stmt.tables.front(), p.stmt.tables.back());
                   std::swap(p.openings.front(), p.openings.back());
                 },
                 code::wrong_circuit});
  }
  for (std::size_t t = 0; t < num_tables; ++t) {
    const std::string ts = "stmt.tables[" + std::to_string(t) + "]";
    const table_statement& st = honest.stmt.tables[t];
    m.push_back({ts + ".air_name: last letter", [t](proof<E>& p) { p.stmt.tables[t].air_name.back() ^= 1; },
                 code::wrong_circuit});
    m.push_back({ts + ".air_name: one letter appended", [t](proof<E>& p) { p.stmt.tables[t].air_name += 'x'; },
                 code::wrong_circuit});
    m.push_back({ts + ".air_name: another known AIR's",
                 [t](proof<E>& p) {
                   auto& name = p.stmt.tables[t].air_name;
                   name = name == "fibonacci" ? "poseidon2_babybear_16_chain" : "fibonacci";
                 },
                 code::wrong_circuit});
    m.push_back({ts + ".log_rows + 1", [t](proof<E>& p) { ++p.stmt.tables[t].log_rows; }, code::wrong_circuit});
    if (st.log_rows > 0) {
      m.push_back({ts + ".log_rows - 1", [t](proof<E>& p) { --p.stmt.tables[t].log_rows; }, code::wrong_circuit});
      m.push_back({ts + ".log_rows = 0", [t](proof<E>& p) { p.stmt.tables[t].log_rows = 0; }, code::wrong_circuit});
    }
    m.push_back({ts + ".log_rows = 26", [t](proof<E>& p) { p.stmt.tables[t].log_rows = 26; }, code::wrong_circuit});
    m.push_back({ts + ".instances x 2", [t](proof<E>& p) { p.stmt.tables[t].instances *= 2; }, code::wrong_circuit});
    m.push_back({ts + ".instances + 1", [t](proof<E>& p) { ++p.stmt.tables[t].instances; }, code::wrong_circuit});
    m.push_back({ts + ".instances = 0", [t](proof<E>& p) { p.stmt.tables[t].instances = 0; }, code::wrong_circuit});
    if (st.instances > 1) {
      m.push_back({ts + ".instances / 2 (and log_rows + 1: the same height)",
                   [t](proof<E>& p) {
                     p.stmt.tables[t].instances /= 2;
                     ++p.stmt.tables[t].log_rows;
                   },
                   code::wrong_circuit});
    }
    for (std::size_t i = 0; i < st.public_values.size(); ++i) {
      m.push_back({ts + ".public_values[" + std::to_string(i) + "]",
                   [t, i](proof<E>& p) { bump(p.stmt.tables[t].public_values[i]); }});
    }
    m.push_back({ts + ".public_values: one added",
                 [t](proof<E>& p) { p.stmt.tables[t].public_values.push_back(babybear{}); }, code::wrong_shape});
    if (!st.public_values.empty()) {
      m.push_back({ts + ".public_values: last dropped", [t](proof<E>& p) { p.stmt.tables[t].public_values.pop_back(); },
                   code::wrong_shape});
    }
  }
  // Commitments.
  for (const std::size_t k : {0u, 7u}) {
    const std::string at = "[" + std::to_string(k) + "]";
    m.push_back({"main_root" + at, [k](proof<E>& p) { bump(p.main_root, k); }});
    m.push_back({"aux_root" + at, [k](proof<E>& p) { bump(p.aux_root, k); }});
    m.push_back({"quotient_root" + at, [k](proof<E>& p) { bump(p.quotient_root, k); }});
  }
  // LogUp totals: a changed total unbalances the buses (the verifier's sum check answers); totals
  // changed so that their sum stays zero must still be caught (they are bound to the aux traces
  // by the constraints and to the transcript).
  const std::size_t num_totals = honest.lookup_totals.size();
  for (std::size_t i = 0; i < num_totals; ++i) {
    m.push_back({"lookup_totals[" + std::to_string(i) + "]", [i](proof<E>& p) { bump(p.lookup_totals[i]); },
                 code::unbalanced_lookups});
  }
  m.push_back(
      {"lookup_totals: one added", [](proof<E>& p) { p.lookup_totals.push_back(E::zero()); }, code::wrong_shape});
  if (num_totals > 0) {
    m.push_back({"lookup_totals: last dropped", [](proof<E>& p) { p.lookup_totals.pop_back(); }, code::wrong_shape});
  }
  if (num_totals > 1) {
    m.push_back({"lookup_totals: [0] + 1 and [1] - 1 (sum still zero)",
                 [](proof<E>& p) {
                   p.lookup_totals[0] += E::one();
                   p.lookup_totals[1] -= E::one();
                 },
                 code::constraint_mismatch});
    m.push_back({"lookup_totals: [0] + x and [last] - x (sum still zero)",
                 [](proof<E>& p) {
                   const E x = E::from_base(babybear::from_u64(123456789));
                   p.lookup_totals.front() += x;
                   p.lookup_totals.back() -= x;
                 },
                 code::constraint_mismatch});
    if (honest.lookup_totals[0] != honest.lookup_totals[1]) {
      m.push_back({"lookup_totals: [0] and [1] swapped (sum still zero)",
                   [](proof<E>& p) { std::swap(p.lookup_totals[0], p.lookup_totals[1]); }, code::constraint_mismatch});
    }
    m.push_back({"lookup_totals: all zero (sum still zero)",
                 [](proof<E>& p) { std::fill(p.lookup_totals.begin(), p.lookup_totals.end(), E::zero()); },
                 code::constraint_mismatch});
  }
  // Out-of-domain values, per table.
  for (std::size_t t = 0; t < num_tables; ++t) {
    const std::string os = "openings[" + std::to_string(t) + "]";
    m.push_back({os + ".local[0]", [t](proof<E>& p) { bump(p.openings[t].local.front()); }});
    m.push_back({os + ".local[last]", [t](proof<E>& p) { bump(p.openings[t].local.back()); }});
    m.push_back({os + ".next[0]", [t](proof<E>& p) { bump(p.openings[t].next.front()); }});
    m.push_back({os + ".next[last]", [t](proof<E>& p) { bump(p.openings[t].next.back()); }});
    m.push_back({os + ".local and .next: last column dropped",
                 [t](proof<E>& p) {
                   p.openings[t].local.pop_back();
                   p.openings[t].next.pop_back();
                 },
                 code::wrong_shape});
    m.push_back({os + ".local and .next: one column added",
                 [t](proof<E>& p) {
                   p.openings[t].local.push_back(E::zero());
                   p.openings[t].next.push_back(E::zero());
                 },
                 code::wrong_shape});
    m.push_back({os + ".next: last dropped", [t](proof<E>& p) { p.openings[t].next.pop_back(); }, code::wrong_shape});
    m.push_back(
        {os + ".local and .next swapped", [t](proof<E>& p) { std::swap(p.openings[t].local, p.openings[t].next); }});
    m.push_back(
        {os + ".quotient[0]", [t](proof<E>& p) { bump(p.openings[t].quotient.front()); }, code::constraint_mismatch});
    m.push_back(
        {os + ".quotient[last]", [t](proof<E>& p) { bump(p.openings[t].quotient.back()); }, code::constraint_mismatch});
    m.push_back({os + ".quotient: one added", [t](proof<E>& p) { p.openings[t].quotient.push_back(E::zero()); },
                 code::wrong_shape});
    m.push_back(
        {os + ".quotient: last dropped", [t](proof<E>& p) { p.openings[t].quotient.pop_back(); }, code::wrong_shape});
  }
  // Query openings of the four commitments.
  using opening_of = std::function<ciro::hash::batch_opening&(proof<E>&)>;
  opening_mutations<E>(m, "main_opening",
                       opening_of([](proof<E>& p) -> ciro::hash::batch_opening& { return p.main_opening; }),
                       honest.main_opening, code::main_opening);
  opening_mutations<E>(m, "aux_opening",
                       opening_of([](proof<E>& p) -> ciro::hash::batch_opening& { return p.aux_opening; }),
                       honest.aux_opening, code::aux_opening);
  opening_mutations<E>(m, "quotient_opening",
                       opening_of([](proof<E>& p) -> ciro::hash::batch_opening& { return p.quotient_opening; }),
                       honest.quotient_opening, code::quotient_opening);
  opening_mutations<E>(m, "fixed_opening",
                       opening_of([](proof<E>& p) -> ciro::hash::batch_opening& { return p.fixed_opening; }),
                       honest.fixed_opening, code::fixed_opening);
  // FRI: every layer's root and opening, every final coefficient, the proof of work.
  for (std::size_t i = 0; i < honest.fri.layer_roots.size(); ++i) {
    const std::string layer = "fri.layer[" + std::to_string(i) + "]";
    m.push_back({layer + ".root", [i](proof<E>& p) { bump(p.fri.layer_roots[i], i % 8); }});
    opening_mutations<E>(m, layer + ".opening",
                         opening_of([i](proof<E>& p) -> ciro::hash::batch_opening& { return p.fri.layer_openings[i]; }),
                         honest.fri.layer_openings[i], std::nullopt);
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

template <class E>
void expect_every_element_class_rejected(const proved<E>& a, const std::string& label) {
  ASSERT_TRUE(a.pk) << label << ": no proving key";
  const verifying_key<E>& vk = a.pk->vk;
  const auto honest_result = verify(vk, a.proof);
  ASSERT_TRUE(honest_result.has_value()) << label << ": " << honest_result.error().message;
  std::map<std::string, int> codes;  // how often each rejection reason answered
  const mutations<E> all = all_mutations(a.proof);
  for (const auto& [name, mutate, expected] : all) {
    proof<E> p = a.proof;
    mutate(p);
    ASSERT_TRUE(p != a.proof) << label << ": " << name << " changed nothing";
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = verify(vk, p);
    const double seconds = seconds_since(t0);
    ASSERT_FALSE(r.has_value()) << label << ": " << name << " was accepted";
    EXPECT_LT(seconds, max_seconds_per_case) << label << ": " << name;
    if (expected) {
      EXPECT_EQ(to_string(r.error().code), std::string(to_string(*expected)))
          << label << ": " << name << " was rejected for another reason: " << r.error().message;
    }
    ++codes[to_string(r.error().code)];
  }
  std::cout << label << ": " << all.size() << " mutations, rejections by reason:";
  for (const auto& [code, count] : codes) std::cout << ' ' << code << '=' << count;
  std::cout << '\n';
}

/// The encoded size of everything before the per-table openings: header, parameters, vk digest,
/// statement, roots and lookup totals (every byte of it is changed, not sampled).
template <class E>
std::size_t header_bytes(const proof<E>& p) {
  std::size_t n = 4 + 4 + 4 + 5 * 4 + 32 + 4;
  for (const auto& t : p.stmt.tables) n += 4 + t.air_name.size() + 4 + 4 + 4 + 4 * t.public_values.size();
  return n + 3 * 32 + 4 + 4 * E::degree * p.lookup_totals.size();
}

template <class E>
void expect_every_byte_change_and_truncation_rejected(const proved<E>& a, const std::string& label) {
  ASSERT_TRUE(a.pk) << label << ": no proving key";
  const verifying_key<E>& vk = a.pk->vk;
  ciro::test::seeded_rng rng;
  const auto bytes = encode(a.proof);
  double slowest = 0;
  auto accepts = [&](std::span<const std::uint8_t> b) {
    const auto t0 = std::chrono::steady_clock::now();
    auto p = decode<E>(b);
    const bool ok = p.has_value() && verify(vk, p.value()).has_value();
    slowest = std::max(slowest, seconds_since(t0));
    return ok;
  };
  ASSERT_TRUE(accepts(bytes)) << label;
  // The header, parameters, statement, roots and totals in full, then ~500 positions over the
  // whole file.
  std::vector<std::size_t> positions;
  const std::size_t head = header_bytes(a.proof);
  ASSERT_LT(head, bytes.size()) << label;
  for (std::size_t i = 0; i < head; ++i) positions.push_back(i);
  for (int i = 0; i < 500; ++i) positions.push_back(rng.below(bytes.size()));
  for (const std::size_t pos : positions) {
    auto tampered = bytes;
    tampered[pos] ^= static_cast<std::uint8_t>(1 + rng.below(255));
    ASSERT_FALSE(accepts(tampered)) << label << ": byte " << pos << " of " << bytes.size();
  }
  // A byte appended, and the last byte dropped and another appended.
  auto longer = bytes;
  longer.push_back(0);
  ASSERT_FALSE(accepts(longer)) << label << ": one byte appended";
  // Every truncation (a prefix never decodes: each count is read before what it counts and the
  // FRI part's length comes first, so decoding stops at "truncated", in time linear in the prefix).
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    ASSERT_FALSE(accepts(std::span(bytes).first(len))) << label << ": truncated to " << len << " of " << bytes.size();
  }
  EXPECT_LT(slowest, max_seconds_per_case) << label;
  std::cout << label << ": " << bytes.size() << " bytes (" << head << " changed in full), slowest check "
            << slowest * 1e3 << " ms\n";
}

template <class E>
std::shared_ptr<const table<E>> fibonacci_table() {
  return make_table<E>(ciro::air::fibonacci_air{});
}

/// The statement with lookups and fixed columns: toy-sender (2^5 rows) sends to toy-squares (a
/// fixed table of 2^3 squares, which also uses a bus of its own), beside a Fibonacci table of
/// 2^6 rows (three heights, public values on one table only).
template <class E>
proved<E> lookup_proof(const stark_params& params) {
  auto [sender, squares] = ciro::test::toy_squares_witness(5, 3, 17);
  return ciro::test::prove_tables<E>({{make_table<E>(ciro::test::toy_sender_air{}), sender},
                                      {make_table<E>(ciro::test::toy_squares_air{}), squares},
                                      {fibonacci_table<E>(), ciro::test::fibonacci_witness(6, 2)}},
                                     params);
}

/// Sets up `tables` (instances stacked as they say) and proves `witnesses` (one per instance,
/// table by table); fails the test if refused.
template <class E>
proved<E> prove_circuit(const std::vector<table_instance<E>>& tables, const std::vector<ciro::air::witness>& witnesses,
                        const stark_params& params) {
  auto backend = ciro::kernels::make_cpu_backend();
  ciro::hash::cpu_merkle_hasher hasher;
  auto pk = setup<E>(tables, params, *backend, hasher);
  EXPECT_TRUE(pk.has_value()) << (pk ? "" : pk.error().message);
  if (!pk) return {};
  auto p = prove<E>(*pk.value(), witnesses, *backend, hasher);
  EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().message);
  return {pk.value(), p ? std::move(p).value() : proof<E>{}};
}

/// Stacked instances with lookups: two toy-sender instances of 2^4 rows, two toy-squares
/// instances of 2^3 (a lookup total per instance), and four Fibonacci instances of 2^3 (public
/// values per instance).
template <class E>
proved<E> stacked_proof(const stark_params& params) {
  std::vector<ciro::air::witness> senders, squares, fibs;
  for (unsigned i = 0; i < 2; ++i) {
    auto [sender, table] = ciro::test::toy_squares_witness(4, 3, 40 + i);
    senders.push_back(std::move(sender));
    squares.push_back(std::move(table));
  }
  for (unsigned i = 0; i < 4; ++i) fibs.push_back(ciro::test::fibonacci_witness(3, 5 * i));
  std::vector<ciro::air::witness> witnesses = senders;
  witnesses.insert(witnesses.end(), squares.begin(), squares.end());
  witnesses.insert(witnesses.end(), fibs.begin(), fibs.end());
  return prove_circuit<E>({{make_table<E>(ciro::test::toy_sender_air{}), 4, 2},
                           {make_table<E>(ciro::test::toy_squares_air{}), 3, 2},
                           {fibonacci_table<E>(), 3, 4}},
                          witnesses, params);
}

TEST(Tamper, EveryAlteredElementOfAFibonacciProofIsRejected) {
  for (const unsigned log_rows : {5u, 8u}) {
    const auto a = ciro::test::prove_single<babybear4>(ciro::air::fibonacci_air{},
                                                       ciro::test::fibonacci_witness(log_rows), fast_profile());
    expect_every_element_class_rejected(a, "fibonacci 2^" + std::to_string(log_rows) + " fast");
  }
}

TEST(Tamper, EveryAlteredElementOfAPoseidon2ProofIsRejectedInBothProfiles) {
  const ciro::air::poseidon2_air air;
  const auto w = ciro::test::poseidon2_witness(3);
  expect_every_element_class_rejected(ciro::test::prove_single<babybear4>(air, w, fast_profile()),
                                      "poseidon2 2^3 fast");
  expect_every_element_class_rejected(ciro::test::prove_single<babybear5>(air, w, secure_profile()),
                                      "poseidon2 2^3 secure");
}

TEST(Tamper, EveryAlteredElementOfAProofWithLookupsAndFixedColumnsIsRejectedInBothProfiles) {
  const auto fast = lookup_proof<babybear4>(fast_profile());
  ASSERT_EQ(fast.proof.lookup_totals.size(), 2u);
  ASSERT_FALSE(fast.proof.fixed_opening.rows.empty());
  ASSERT_FALSE(fast.proof.aux_opening.rows.empty());
  expect_every_element_class_rejected(fast, "lookups + fibonacci fast");
  expect_every_element_class_rejected(lookup_proof<babybear5>(secure_profile()), "lookups + fibonacci secure");
}

TEST(Tamper, EveryAlteredElementOfABatchOfInstancesIsRejected) {
  // Instances of one AIR: the verifier must tell them apart (public values swapped between
  // tables, instances reordered).
  const auto fib = fibonacci_table<babybear4>();
  const auto a = ciro::test::prove_tables<babybear4>({{fib, ciro::test::fibonacci_witness(4, 0)},
                                                      {fib, ciro::test::fibonacci_witness(4, 1)},
                                                      {fib, ciro::test::fibonacci_witness(3, 2)}},
                                                     fast_profile());
  expect_every_element_class_rejected(a, "fibonacci x 3");
  const verifying_key<babybear4>& vk = a.pk->vk;
  proof<babybear4> p = a.proof;
  std::swap(p.stmt.tables[0].public_values, p.stmt.tables[1].public_values);
  EXPECT_FALSE(verify(vk, p).has_value()) << "public values of instances 0 and 1 swapped";
  p = a.proof;
  std::swap(p.stmt.tables[0], p.stmt.tables[1]);
  std::swap(p.openings[0], p.openings[1]);
  EXPECT_FALSE(verify(vk, p).has_value()) << "instances 0 and 1 swapped with their openings";
}

TEST(Tamper, EveryAlteredElementOfStackedInstancesIsRejected) {
  const auto fast = stacked_proof<babybear4>(fast_profile());
  ASSERT_EQ(fast.proof.stmt.tables.size(), 3u);
  ASSERT_EQ(fast.proof.lookup_totals.size(), 4u);
  expect_every_element_class_rejected(fast, "stacked lookups + fibonacci fast");
  expect_every_element_class_rejected(stacked_proof<babybear5>(secure_profile()), "stacked lookups + fibonacci secure");
  // Two instances' public values swapped within the stacked Fibonacci table.
  proof<babybear4> p = fast.proof;
  auto& values = p.stmt.tables[2].public_values;
  std::swap_ranges(values.begin(), values.begin() + 3, values.begin() + 3);
  ASSERT_TRUE(p != fast.proof);
  EXPECT_FALSE(verify(fast.pk->vk, p).has_value()) << "the public values of stacked instances 0 and 1 swapped";
}

TEST(Tamper, EverySampledByteChangeAndEveryTruncationOfAFibonacciProofIsRejected) {
  for (const unsigned log_rows : {5u, 8u}) {
    const auto a = ciro::test::prove_single<babybear4>(ciro::air::fibonacci_air{},
                                                       ciro::test::fibonacci_witness(log_rows), fast_profile());
    expect_every_byte_change_and_truncation_rejected(a, "fibonacci 2^" + std::to_string(log_rows) + " fast");
  }
}

TEST(Tamper, EverySampledByteChangeAndEveryTruncationOfAPoseidon2ProofIsRejected) {
  const ciro::air::poseidon2_air air;
  const auto w = ciro::test::poseidon2_witness(3);
  expect_every_byte_change_and_truncation_rejected(ciro::test::prove_single<babybear4>(air, w, fast_profile()),
                                                   "poseidon2 2^3 fast");
  expect_every_byte_change_and_truncation_rejected(ciro::test::prove_single<babybear5>(air, w, secure_profile()),
                                                   "poseidon2 2^3 secure");
}

TEST(Tamper, EverySampledByteChangeAndEveryTruncationOfAProofWithLookupsIsRejected) {
  expect_every_byte_change_and_truncation_rejected(lookup_proof<babybear4>(fast_profile()), "lookups + fibonacci fast");
  expect_every_byte_change_and_truncation_rejected(lookup_proof<babybear5>(secure_profile()),
                                                   "lookups + fibonacci secure");
  expect_every_byte_change_and_truncation_rejected(stacked_proof<babybear4>(fast_profile()),
                                                   "stacked lookups + fibonacci fast");
}

/// A proof of a false statement, written by the prover with its checks off, over the toy lookup
/// circuit (sender 2^4, squares 2^3), and the verifier's answer.
template <class E>
ciro::result<std::uint32_t, verify_error_code> forged(
    const std::function<void(ciro::air::witness&, ciro::air::witness&)>& lie, const stark_params& params) {
  auto [sender, squares] = ciro::test::toy_squares_witness(4, 3, 23);
  lie(sender, squares);
  const auto a = ciro::test::prove_tables<E>(
      {{make_table<E>(ciro::test::toy_sender_air{}), sender}, {make_table<E>(ciro::test::toy_squares_air{}), squares}},
      params, ciro::test::unchecked());
  EXPECT_TRUE(a.pk);
  if (!a.pk) return verify_error{verify_error_code::wrong_circuit, "no proving key"};
  return verify(a.pk->vk, a.proof);
}

template <class E>
void expect_forged_lookup_proofs_rejected(const stark_params& params) {
  // The verifier's sum check is the only one that stands between these proofs and acceptance:
  // the prover computed every aux trace and total honestly from the (false) witness, so the
  // constraints hold and every opening is genuine; only the totals' sum is not zero.
  const std::vector<std::pair<std::string, std::function<void(ciro::air::witness&, ciro::air::witness&)>>> lies{
      {"a multiplicity one too high", [](auto&, auto& squares) { squares.trace.at(2, 0) += babybear::one(); }},
      {"a multiplicity one too low",
       [](auto& sender, auto& squares) {
         const std::uint64_t a = sender.trace.at(0, 0).to_canonical();
         squares.trace.at(a, 0) -= babybear::one();
       }},
      {"all multiplicities zero",
       [](auto&, auto& squares) {
         std::fill(squares.trace.values().begin(), squares.trace.values().end(), babybear{});
       }},
      {"a value outside the table (9, 81)",
       [](auto& sender, auto&) {
         sender.trace.at(0, 0) = babybear::from_u64(9);
         sender.trace.at(0, 1) = babybear::from_u64(81);
       }},
  };
  for (const auto& [what, lie] : lies) {
    const auto r = forged<E>(lie, params);
    ASSERT_FALSE(r.has_value()) << what << " was accepted";
    EXPECT_EQ(r.error().code, verify_error_code::unbalanced_lookups)
        << what << ": rejected as " << to_string(r.error().code) << ": " << r.error().message;
  }
  // The honest witness, through the same path, is accepted (so the rejections above are the lies').
  const auto honest = forged<E>([](auto&, auto&) {}, params);
  EXPECT_TRUE(honest.has_value()) << (honest ? "" : honest.error().message);
}

TEST(Tamper, ForgedProofsOfUnbalancedBusesAreRejectedByTheSumCheck) {
  expect_forged_lookup_proofs_rejected<babybear4>(fast_profile());
  expect_forged_lookup_proofs_rejected<babybear5>(secure_profile());
}

TEST(Tamper, ForgedProofsOfViolatedConstraintsAreRejected) {
  auto w = ciro::test::fibonacci_witness(5);
  w.trace.at(9, 1) += babybear::one();
  const auto a =
      ciro::test::prove_tables<babybear4>({{fibonacci_table<babybear4>(), w}}, fast_profile(), ciro::test::unchecked());
  ASSERT_TRUE(a.pk);
  const auto r = verify(a.pk->vk, a.proof);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, verify_error_code::constraint_mismatch) << r.error().message;
  // A wrong public value (the claimed last Fibonacci number) is a violated boundary constraint.
  auto v = ciro::test::fibonacci_witness(5);
  v.public_values.back() += babybear::one();
  const auto b =
      ciro::test::prove_tables<babybear4>({{fibonacci_table<babybear4>(), v}}, fast_profile(), ciro::test::unchecked());
  ASSERT_TRUE(b.pk);
  const auto s = verify(b.pk->vk, b.proof);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, verify_error_code::constraint_mismatch) << s.error().message;
}

/// toy_squares_air with other fixed columns (i, i^3): same name, widths, constraints and buses,
/// so only the verifying key's fixed root (and so its digest) tells the two circuits apart.
struct toy_cubes_air : ciro::test::toy_squares_air {
  ciro::kernels::row_major_matrix<babybear> fixed_trace(unsigned log_rows) const {
    auto f = toy_squares_air::fixed_trace(log_rows);
    for (std::size_t i = 0; i < f.rows(); ++i) f.at(i, 1) *= f.at(i, 0);
    return f;
  }
};

template <class E>
std::shared_ptr<const proving_key<E>> setup_or_fail(const std::vector<table_instance<E>>& tables,
                                                    const stark_params& params) {
  auto backend = ciro::kernels::make_cpu_backend();
  ciro::hash::cpu_merkle_hasher hasher;
  auto pk = setup<E>(tables, params, *backend, hasher);
  EXPECT_TRUE(pk.has_value()) << (pk ? "" : pk.error().message);
  return pk ? pk.value() : nullptr;
}

TEST(Tamper, AProofIsRejectedAgainstAnotherCircuitsVerifyingKey) {
  using E = babybear4;
  const auto a = lookup_proof<E>(fast_profile());
  ASSERT_TRUE(a.pk);
  ASSERT_TRUE(verify(a.pk->vk, a.proof).has_value());
  const auto sender = make_table<E>(ciro::test::toy_sender_air{});
  const auto squares = make_table<E>(ciro::test::toy_squares_air{});
  const auto cubes = make_table<E>(toy_cubes_air{});
  const auto fib = fibonacci_table<E>();
  stark_params more_queries = fast_profile();
  more_queries.num_queries += 1;
  const std::vector<std::tuple<std::string, std::vector<table_instance<E>>, stark_params>> others{
      {"the tables at other heights", {{sender, 5}, {squares, 3}, {fib, 7}}, fast_profile()},
      {"the tables in another order", {{squares, 3}, {sender, 5}, {fib, 6}}, fast_profile()},
      {"a table fewer", {{sender, 5}, {squares, 3}}, fast_profile()},
      {"a table more", {{sender, 5}, {squares, 3}, {fib, 6}, {fib, 6}}, fast_profile()},
      {"another AIR in place of one",
       {{sender, 5}, {squares, 3}, {make_table<E>(ciro::air::poseidon2_air{}), 6}},
       fast_profile()},
      {"the same shape with other fixed columns", {{sender, 5}, {cubes, 3}, {fib, 6}}, fast_profile()},
      {"the same heights with two instances stacked", {{sender, 5}, {squares, 3}, {fib, 5, 2}}, fast_profile()},
      {"the same tables with other parameters", {{sender, 5}, {squares, 3}, {fib, 6}}, more_queries},
  };
  for (const auto& [what, tables, params] : others) {
    const auto pk = setup_or_fail<E>(tables, params);
    ASSERT_TRUE(pk) << what;
    ASSERT_NE(pk->vk.digest, a.pk->vk.digest) << what;
    const auto r = verify(pk->vk, a.proof);
    ASSERT_FALSE(r.has_value()) << what << " accepted the proof";
    const verify_error_code expected =
        params == fast_profile() ? verify_error_code::wrong_circuit : verify_error_code::invalid_parameters;
    EXPECT_EQ(to_string(r.error().code), std::string(to_string(expected))) << what << ": " << r.error().message;
  }
  // And the other way round: another circuit's (honest) proof against this key.
  const auto single =
      ciro::test::prove_single<E>(ciro::air::fibonacci_air{}, ciro::test::fibonacci_witness(6, 2), fast_profile());
  const auto r = verify(a.pk->vk, single.proof);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, verify_error_code::wrong_circuit) << r.error().message;
  // The same circuit set up again gives the same key, which accepts the proof.
  const auto again = setup_or_fail<E>({{sender, 5}, {squares, 3}, {fib, 6}}, fast_profile());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->vk.digest, a.pk->vk.digest);
  EXPECT_TRUE(verify(again->vk, a.proof).has_value());
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Tamper, Version1FilesAreRefusedByDecodeAsAnUnknownVersion) {
  static_assert(proof_format_version == 2);
  const std::string message = "unsupported format version 1 (this build reads version 2)";
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(CIRO_FIXTURES_DIR)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with("_v1.proof")) continue;
    ++files;
    const auto bytes = read_file(entry.path());
    ASSERT_GT(bytes.size(), 12u) << name;
    const auto degree = peek_extension_degree(bytes);
    ASSERT_FALSE(degree.has_value()) << name;
    EXPECT_EQ(degree.error().code, decode_error_code::unknown_version) << name;
    EXPECT_EQ(degree.error().message, message) << name;
    auto expect_refused = [&](const auto& r, const char* field) {
      ASSERT_FALSE(r.has_value()) << name << " decoded over " << field;
      EXPECT_EQ(r.error().code, decode_error_code::unknown_version) << name << " over " << field;
      EXPECT_EQ(r.error().message, message) << name << " over " << field;
    };
    expect_refused(decode<babybear4>(bytes), "BabyBear^4");
    expect_refused(decode<babybear5>(bytes), "BabyBear^5");
  }
  EXPECT_EQ(files, 3u) << "the three version-1 fixtures are kept in " << CIRO_FIXTURES_DIR;
  // A version-2 proof with its version word set to 1 (or 3) is refused the same way.
  auto bytes = encode(
      ciro::test::prove_single<babybear4>(ciro::air::fibonacci_air{}, ciro::test::fibonacci_witness(3), fast_profile())
          .proof);
  for (const std::uint8_t version : {1, 3, 0}) {
    bytes[4] = version;
    const auto r = decode<babybear4>(bytes);
    ASSERT_FALSE(r.has_value()) << "version " << int{version};
    EXPECT_EQ(r.error().code, decode_error_code::unknown_version);
    EXPECT_EQ(r.error().message,
              "unsupported format version " + std::to_string(version) + " (this build reads version 2)");
  }
}

}  // namespace
