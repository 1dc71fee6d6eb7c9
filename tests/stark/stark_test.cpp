#include <gtest/gtest.h>

#include "air/fibonacci.hpp"
#include "air/poseidon2_air.hpp"
#include "field/extension.hpp"
#include "stark/logup_trace.hpp"
#include "stark/prover.hpp"
#include "stark/transcript.hpp"
#include "stark/verifier.hpp"
#include "tests/stark/honest_proofs.hpp"
#include "tests/support/seed.hpp"

namespace {

using ciro::field::babybear;
using ciro::field::babybear4;
using ciro::field::babybear5;
using namespace ciro::stark;
using namespace ciro::test;

template <class E>
std::shared_ptr<const table<E>> fibonacci() {
  return make_table<E>(ciro::air::fibonacci_air{});
}

TEST(Stark, SingleTableProofsVerifyForSeveralSizesAndBothFields) {
  for (unsigned log_rows : {1u, 3u, 6u, 10u}) {
    const auto w = fibonacci_witness(log_rows, 1);
    const auto a = prove_single<babybear4>(ciro::air::fibonacci_air{}, w, fast_profile());
    const auto r = verify(a.pk->vk, a.proof);
    ASSERT_TRUE(r.has_value()) << "log_rows=" << log_rows << ": " << r.error().message;
    EXPECT_GE(r.value(), 100u);
    const auto b = prove_single<babybear5>(ciro::air::fibonacci_air{}, w, secure_profile());
    const auto s = verify(b.pk->vk, b.proof);
    ASSERT_TRUE(s.has_value()) << "log_rows=" << log_rows << ": " << s.error().message;
    EXPECT_GE(s.value(), 128u);
  }
}

TEST(Stark, Poseidon2ChainProofVerifies) {
  const auto a = prove_single<babybear4>(ciro::air::poseidon2_air{}, poseidon2_witness(4), fast_profile());
  const auto r = verify(a.pk->vk, a.proof);
  ASSERT_TRUE(r.has_value()) << r.error().message;
}

TEST(Stark, TablesOfDifferentHeightsAndAirsShareOneProof) {
  const auto fib = fibonacci<babybear4>();
  const auto p2 = make_table<babybear4>(ciro::air::poseidon2_air{});
  const auto a = prove_tables<babybear4>({{fib, fibonacci_witness(7, 3)},
                                          {p2, poseidon2_witness(3)},
                                          {fib, fibonacci_witness(0, 5)},
                                          {fib, fibonacci_witness(2, 9)},
                                          {fib, fibonacci_witness(7, 4)}},
                                         fast_profile());
  ASSERT_EQ(a.proof.stmt.tables.size(), 5u);
  const auto r = verify(a.pk->vk, a.proof);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  // The FRI final polynomial was fitted to the one-row table.
  EXPECT_EQ(a.pk->vk.params.log_final_poly_len, 0u);
}

TEST(Stark, OneTwoAndManyInstancesProve) {
  const auto fib = fibonacci<babybear4>();
  for (std::size_t count : {1u, 2u, 1000u}) {
    std::vector<table_witness<babybear4>> tables;
    for (std::size_t i = 0; i < count; ++i) tables.push_back({fib, fibonacci_witness(count > 2 ? 1 : 4, i)});
    const auto a = prove_tables<babybear4>(tables, fast_profile());
    const auto r = verify(a.pk->vk, a.proof);
    ASSERT_TRUE(r.has_value()) << count << " instances: " << r.error().message;
    EXPECT_EQ(a.proof.stmt.tables.size(), count);
  }
}

/// Proves `instances` stacked in one table each (witnesses in order); fails the test if refused.
template <class E>
proved<E> prove_stacked(const std::vector<table_instance<E>>& tables, const std::vector<ciro::air::witness>& ws,
                        const stark_params& params, prove_options options = {}) {
  auto backend = ciro::kernels::make_cpu_backend();
  ciro::hash::cpu_merkle_hasher hasher;
  auto pk = setup<E>(tables, params, *backend, hasher);
  EXPECT_TRUE(pk.has_value()) << (pk ? "" : pk.error().message);
  if (!pk) return {};
  auto p = prove<E>(*pk.value(), ws, *backend, hasher, nullptr, options);
  EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().message);
  return {pk.value(), p ? std::move(p).value() : proof<E>{}};
}

TEST(Stark, StackedInstancesShareOneTableWithTheirOwnPublicValues) {
  for (unsigned log_rows : {1u, 2u, 5u}) {
    for (unsigned count : {2u, 4u, 32u}) {
      std::vector<ciro::air::witness> ws;
      for (unsigned i = 0; i < count; ++i) ws.push_back(fibonacci_witness(log_rows, 7 * i + 1));
      const auto a = prove_stacked<babybear4>({{fibonacci<babybear4>(), log_rows, count}}, ws, fast_profile());
      ASSERT_EQ(a.proof.stmt.tables.size(), 1u);
      EXPECT_EQ(a.proof.stmt.tables[0].public_values.size(), 3u * count);
      const auto r = verify(a.pk->vk, a.proof);
      ASSERT_TRUE(r.has_value()) << count << " x 2^" << log_rows << ": " << r.error().message;
      // Every instance's public values are bound: changing any one of them is rejected.
      for (std::size_t i : {std::size_t{0}, std::size_t{3 * count - 1}, std::size_t{3 * (count / 2) + 2}}) {
        auto tampered = a.proof;
        tampered.stmt.tables[0].public_values[i] += babybear::one();
        EXPECT_FALSE(verify(a.pk->vk, tampered).has_value()) << "public value " << i;
      }
    }
  }
}

TEST(Stark, StackedPoseidon2AndSingleTablesMix) {
  std::vector<ciro::air::witness> ws;
  std::array<babybear, 16> input{};
  for (unsigned i = 0; i < 4; ++i) {
    input[0] = babybear::from_u64(i);
    ws.push_back(ciro::air::generate_poseidon2_trace(3, input));
  }
  ws.push_back(fibonacci_witness(6));
  const auto p2 = make_table<babybear4>(ciro::air::poseidon2_air{});
  const auto a = prove_stacked<babybear4>({{p2, 3, 4}, {fibonacci<babybear4>(), 6, 1}}, ws, fast_profile());
  const auto r = verify(a.pk->vk, a.proof);
  ASSERT_TRUE(r.has_value()) << r.error().message;
}

TEST(Stark, StackedTablesWithLookupsKeepATotalPerInstance) {
  std::vector<ciro::air::witness> senders, tables;
  for (unsigned i = 0; i < 4; ++i) {
    auto [sender, squares] = toy_squares_witness(4, 3, 100 + i);
    senders.push_back(std::move(sender));
    tables.push_back(std::move(squares));
  }
  std::vector<ciro::air::witness> ws = senders;
  ws.insert(ws.end(), tables.begin(), tables.end());
  const auto a = prove_stacked<babybear4>(
      {{make_table<babybear4>(toy_sender_air{}), 4, 4}, {make_table<babybear4>(toy_squares_air{}), 3, 4}}, ws,
      fast_profile());
  ASSERT_EQ(a.proof.lookup_totals.size(), 8u);
  const auto r = verify(a.pk->vk, a.proof);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  // Moving value between two instances' totals keeps the sum at zero but breaks both instances.
  auto tampered = a.proof;
  tampered.lookup_totals[0] += babybear4::one();
  tampered.lookup_totals[1] -= babybear4::one();
  const auto t = verify(a.pk->vk, tampered);
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().code, verify_error_code::constraint_mismatch);
}

TEST(Stark, StackedInstanceViolationsNameTheInstance) {
  std::vector<ciro::air::witness> ws;
  for (unsigned i = 0; i < 4; ++i) ws.push_back(fibonacci_witness(3, i));
  ws[2].trace.at(5, 1) += babybear::one();
  auto backend = ciro::kernels::make_cpu_backend();
  ciro::hash::cpu_merkle_hasher hasher;
  auto pk = setup<babybear4>({{fibonacci<babybear4>(), 3, 4}}, fast_profile(), *backend, hasher).value();
  auto p = prove<babybear4>(*pk, ws, *backend, hasher);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().message.rfind("table 0 ('fibonacci'), instance 2, violates its AIR", 0), 0u) << p.error().message;
  // Forced through, the stacked proof is rejected.
  auto forced = prove<babybear4>(*pk, ws, *backend, hasher, nullptr, unchecked());
  ASSERT_TRUE(forced.has_value());
  EXPECT_FALSE(verify(pk->vk, forced.value()).has_value());
}

/// next(0) = local(1) on every row (not only on transitions): a single trace wraps around, a
/// stacked one would read the next instance's first row, so it must not be stacked.
struct rotation_air {
  std::string_view name() const { return "rotation"; }
  std::size_t width() const { return 2; }
  std::size_t num_public_values() const { return 0; }
  template <class B>
  void eval(B& b) const {
    b.assert_zero(b.next(0) - b.local(1));
  }
};

/// Sends the next row's value on every row: as above, for a bus tuple.
struct next_sender_air {
  std::string_view name() const { return "next-sender"; }
  std::size_t width() const { return 1; }
  std::size_t num_public_values() const { return 0; }
  template <class B>
  void eval(B& b) const {
    b.send(toy_bus, {b.next(0), b.local(0)}, b.constant(babybear::one()));
  }
};

/// A public value read on every row.
struct public_everywhere_air {
  std::string_view name() const { return "public-everywhere"; }
  std::size_t width() const { return 1; }
  std::size_t num_public_values() const { return 1; }
  template <class B>
  void eval(B& b) const {
    b.assert_zero(b.local(0) - b.public_value(0));
  }
};

TEST(Stark, SetupRefusesToStackWhatCannotBeStacked) {
  auto backend = ciro::kernels::make_cpu_backend();
  ciro::hash::cpu_merkle_hasher hasher;
  EXPECT_FALSE(setup<babybear4>({{fibonacci<babybear4>(), 3, 3}}, fast_profile(), *backend, hasher).has_value());
  EXPECT_FALSE(setup<babybear4>({{fibonacci<babybear4>(), 0, 4}}, fast_profile(), *backend, hasher).has_value());
  EXPECT_TRUE(fibonacci<babybear4>()->stackable());  // next() in transitions, publics on the boundaries
  EXPECT_TRUE(make_table<babybear4>(toy_squares_air{})->stackable());  // fixed columns only
  for (const auto& kind : {make_table<babybear4>(rotation_air{}), make_table<babybear4>(next_sender_air{}),
                           make_table<babybear4>(public_everywhere_air{})}) {
    EXPECT_FALSE(kind->stackable()) << kind->name();
    const auto r = setup<babybear4>({{kind, 2, 2}}, fast_profile(), *backend, hasher);
    ASSERT_FALSE(r.has_value()) << kind->name();
    EXPECT_NE(r.error().message.find("cannot stack instances"), std::string::npos) << r.error().message;
    EXPECT_TRUE(setup<babybear4>({{kind, 2, 1}}, fast_profile(), *backend, hasher).has_value()) << kind->name();
  }
}

TEST(Stark, SetupRefusesPOrMoreLookupsInAll) {
  // 64 tables of 2^25 rows with one lookup each: 2^31 > p lookups, where a count of p would add
  // up to zero. Refused before anything is allocated.
  auto backend = ciro::kernels::make_cpu_backend();
  ciro::hash::cpu_merkle_hasher hasher;
  const auto kind = make_table<babybear5>(toy_sender_air{});
  std::vector<table_instance<babybear5>> tables;
  for (int i = 0; i < 64; ++i) tables.push_back({kind, 23, 4});  // 2^25 rows each (4 x 2^23)
  const auto r = setup<babybear5>(tables, secure_profile(), *backend, hasher);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("must stay below p"), std::string::npos) << r.error().message;
}

TEST(Stark, AnAuxCommitmentWithoutLookupsIsRejected) {
  auto a = prove_single<babybear4>(ciro::air::fibonacci_air{}, fibonacci_witness(4), fast_profile());
  ASSERT_TRUE(verify(a.pk->vk, a.proof).has_value());
  a.proof.aux_root[3] += babybear::one();
  const auto r = verify(a.pk->vk, a.proof);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, verify_error_code::wrong_shape);
}

TEST(Stark, LookupsBetweenTablesWithFixedColumnsVerify) {
  const std::uint64_t seed = ciro::test::seed();
  SCOPED_TRACE(::testing::Message() << "CIRO_TEST_SEED=" << seed);
  for (auto [log_rows, log_table] : {std::pair{5u, 3u}, std::pair{3u, 6u}, std::pair{0u, 2u}, std::pair{8u, 8u}}) {
    auto [sender, squares] = toy_squares_witness(log_rows, log_table, seed);
    const auto a = prove_tables<babybear4>(
        {{make_table<babybear4>(toy_sender_air{}), sender}, {make_table<babybear4>(toy_squares_air{}), squares}},
        fast_profile());
    const auto r = verify(a.pk->vk, a.proof);
    ASSERT_TRUE(r.has_value()) << log_rows << "/" << log_table << ": " << r.error().message;
    EXPECT_EQ(a.proof.lookup_totals.size(), 2u);
    EXPECT_EQ(a.proof.lookup_totals[0] + a.proof.lookup_totals[1], babybear4::zero());
  }
}

TEST(Stark, LookupsVerifyOverTheQuinticExtension) {
  auto [sender, squares] = toy_squares_witness(4, 4, 11);
  const auto a = prove_tables<babybear5>({{make_table<babybear5>(toy_sender_air{}), sender},
                                          {make_table<babybear5>(toy_squares_air{}), squares},
                                          {make_table<babybear5>(ciro::air::fibonacci_air{}), fibonacci_witness(6)}},
                                         secure_profile());
  const auto r = verify(a.pk->vk, a.proof);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_GE(r.value(), 128u);
}

TEST(Stark, InteractionsAreBatchedWithinTheDegreeLimit) {
  const auto t = make_table<babybear4>(toy_squares_air{});
  ASSERT_EQ(t->lookups().interactions.size(), 3u);
  ASSERT_EQ(t->lookups().batches.size(), 2u);  // {0, 1} has degree 3; adding 2 would make it 4
  EXPECT_EQ(t->lookups().batches[0], (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(t->aux_width(), 3u * 4u);
  EXPECT_LE(t->constraints().max_degree, 3u);
}

TEST(Stark, ProverRefusesAnUnbalancedBusNamingItAndTheCounts) {
  auto [sender, squares] = toy_squares_witness(4, 3, 5);
  squares.trace.at(2, 0) += babybear::one();  // receive (2, 4) once more than it is sent
  std::vector<table_instance<babybear4>> inst{{make_table<babybear4>(toy_sender_air{}), 4},
                                              {make_table<babybear4>(toy_squares_air{}), 3}};
  auto backend = ciro::kernels::make_cpu_backend();
  ciro::hash::cpu_merkle_hasher hasher;
  auto pk = setup<babybear4>(inst, fast_profile(), *backend, hasher);
  ASSERT_TRUE(pk.has_value());
  const std::vector<ciro::air::witness> ws{sender, squares};
  auto p = prove<babybear4>(*pk.value(), ws, *backend, hasher);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code, prove_error_code::unsatisfied);
  const std::string sent = std::to_string(squares.trace.at(2, 0).to_canonical() - 1);
  const std::string received = std::to_string(squares.trace.at(2, 0).to_canonical());
  EXPECT_EQ(p.error().message,
            "bus 'toy' is unbalanced: tuple (2, 4) is sent " + sent + " times and received " + received + " times");
  // Forced through (checks off), the proof is rejected by the verifier.
  auto forced = prove<babybear4>(*pk.value(), ws, *backend, hasher, nullptr, unchecked());
  ASSERT_TRUE(forced.has_value());
  const auto r = verify(pk.value()->vk, forced.value());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, verify_error_code::unbalanced_lookups);
}

TEST(Stark, AValueSentButNeverReceivedIsRefused) {
  auto [sender, squares] = toy_squares_witness(3, 3, 6);
  sender.trace.at(0, 0) = babybear::from_u64(9);  // 9 is outside the table of 0..7
  sender.trace.at(0, 1) = babybear::from_u64(81);
  const auto kinds = std::vector<table_instance<babybear4>>{{make_table<babybear4>(toy_sender_air{}), 3},
                                                            {make_table<babybear4>(toy_squares_air{}), 3}};
  auto backend = ciro::kernels::make_cpu_backend();
  ciro::hash::cpu_merkle_hasher hasher;
  auto pk = setup<babybear4>(kinds, fast_profile(), *backend, hasher).value();
  const std::vector<ciro::air::witness> ws{sender, squares};
  auto p = prove<babybear4>(*pk, ws, *backend, hasher);
  ASSERT_FALSE(p.has_value());
  EXPECT_NE(p.error().message.find("bus 'toy' is unbalanced"), std::string::npos) << p.error().message;
  auto forced = prove<babybear4>(*pk, ws, *backend, hasher, nullptr, unchecked());
  ASSERT_TRUE(forced.has_value());
  EXPECT_FALSE(verify(pk->vk, forced.value()).has_value());
}

TEST(Stark, ProverRefusesAViolatedConstraintNamingTheTable) {
  auto [sender, squares] = toy_squares_witness(3, 3, 7);
  sender.trace.at(5, 1) += babybear::one();
  std::vector<table_instance<babybear4>> inst{{make_table<babybear4>(toy_sender_air{}), 3},
                                              {make_table<babybear4>(toy_squares_air{}), 3}};
  auto backend = ciro::kernels::make_cpu_backend();
  ciro::hash::cpu_merkle_hasher hasher;
  auto pk = setup<babybear4>(inst, fast_profile(), *backend, hasher).value();
  const std::vector<ciro::air::witness> ws{sender, squares};
  auto p = prove<babybear4>(*pk, ws, *backend, hasher);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().message, "table 0 ('toy-sender') violates its AIR: constraint 0 (all) fails on row 5: value 1");
}

TEST(Stark, AuxTraceAccumulatesTheFractionsOfEveryRow) {
  // The slow reference: the accumulator's last value is sum over rows and interactions of
  // +-m / (z - phi), computed row by row with one inversion each.
  auto [sender, squares] = toy_squares_witness(11, 5, 3);
  const auto kind = make_table<babybear4>(toy_squares_air{});
  const auto fixed = kind->fixed_trace(5);
  const babybear4 z = babybear4::from_coeffs(
      {babybear::from_u64(3), babybear::from_u64(1), babybear::from_u64(4), babybear::from_u64(1)});
  const babybear4 gamma = babybear4::from_coeffs(
      {babybear::from_u64(5), babybear::from_u64(9), babybear::from_u64(2), babybear::from_u64(6)});
  const std::vector<babybear4> gammas{gamma, gamma * gamma};
  const auto aux = build_aux_trace<babybear4>(*kind, squares.trace.view(), fixed.view(), {}, z, gammas);
  babybear4 expected = babybear4::zero();
  for (std::size_t r = 0; r < squares.trace.rows(); ++r) {
    const babybear m = squares.trace.at(r, 0), i = fixed.at(r, 0), sq = fixed.at(r, 1);
    expected -= babybear4::from_base(m) *
                (z - (babybear4::from_base(babybear::from_u64(7)) + gamma * i + gammas[1] * sq)).inverse();
    const babybear4 self = z - (babybear4::from_base(babybear::from_u64(8)) + gamma * m + gammas[1] * i);
    expected += babybear4::from_base(sq) * self.inverse();
    expected -= babybear4::from_base(sq) * self.inverse();
  }
  EXPECT_EQ(aux.total, expected);
  EXPECT_EQ(babybear4::from_coeffs(aux.trace.row(aux.trace.rows() - 1).data() + 8), aux.total);
}

TEST(Stark, SetupRefusesACircuitItCannotProve) {
  auto backend = ciro::kernels::make_cpu_backend();
  ciro::hash::cpu_merkle_hasher hasher;
  EXPECT_FALSE(setup<babybear4>({}, fast_profile(), *backend, hasher).has_value());
  EXPECT_FALSE(setup<babybear4>({{fibonacci<babybear4>(), 0}}, fast_profile(), *backend, hasher).has_value());
  stark_params low = fast_profile();
  low.log_blowup = 1;
  // Poseidon2 has degree-3 constraints: log_blowup 1 suffices; a degree-4 table would not.
  EXPECT_TRUE(setup<babybear4>({{make_table<babybear4>(ciro::air::poseidon2_air{}), 3}}, low, *backend, hasher));
}

TEST(Stark, ProverRefusesParametersBelowTheVerifiersMinimum) {
  // fast profile: 123 - ceil(log2 sum of LDE rows) - 1 < 100 once the LDE rows pass 2^22.
  auto backend = ciro::kernels::make_cpu_backend();
  ciro::hash::cpu_merkle_hasher hasher;
  const auto fib = fibonacci<babybear4>();
  auto pk = setup<babybear4>({{fib, 22}}, fast_profile(), *backend, hasher);
  ASSERT_TRUE(pk.has_value());
  EXPECT_LT(conjectured_security_bits(pk.value()->vk.params, pk.value()->vk.size()), 100u);
  const std::vector<ciro::air::witness> ws{ciro::air::witness{ciro::kernels::row_major_matrix<babybear>(1u << 22, 2),
                                                              {babybear::zero(), babybear::zero(), babybear::zero()}}};
  auto p = prove<babybear4>(*pk.value(), ws, *backend, hasher);
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code, prove_error_code::weak_parameters);
}

TEST(Stark, SecurityEstimateUsesTheFloorOfTheFieldSize) {
  // log2 p = 30.907: |BabyBear^4| = 2^123.6 and |BabyBear^5| = 2^154.5.
  EXPECT_EQ(extension_bits(4), 123u);
  EXPECT_EQ(extension_bits(5), 154u);
  stark_params p = fast_profile();
  p.num_queries = 1000;
  EXPECT_EQ(conjectured_security_bits(p, {std::uint64_t{1} << 24, 10, 0}), 123u - 24 - 1);
  EXPECT_EQ(conjectured_security_bits(p, {2, std::uint64_t{1} << 30, 0}), 123u - 30);
  EXPECT_EQ(conjectured_security_bits(p, {2, 2, (std::uint64_t{1} << 40) + 1}), 123u - 41);
}

TEST(Stark, ZetaInTheTraceDomainOrTheLdeCosetIsDrawnAgain) {
  const babybear w = babybear::two_adic_generator(5), w_lde = babybear::two_adic_generator(6);
  EXPECT_FALSE(usable_zeta(babybear4::from_base(w.pow(3)), 5, 6));                              // in H
  EXPECT_FALSE(usable_zeta(babybear4::from_base(babybear::one()), 5, 6));                       // 1 is in H
  EXPECT_FALSE(usable_zeta(babybear4::from_base(babybear::generator() * w_lde.pow(7)), 5, 6));  // in g H'
  EXPECT_FALSE(usable_zeta(babybear5::from_base(babybear::two_adic_generator(2)), 5, 6));       // in a smaller H
  const babybear4 x =
      babybear4::from_coeffs({babybear::from_u64(3), babybear::from_u64(1), babybear::zero(), babybear::zero()});
  EXPECT_TRUE(usable_zeta(x, 5, 6));
  EXPECT_TRUE(usable_zeta(babybear4::from_base(babybear::from_u64(5)), 5, 6));
}

TEST(Stark, ATableOfOneRowAndOneOf2To20RowsShareAProof) {
  const auto fib = fibonacci<babybear4>();
  const auto a =
      prove_tables<babybear4>({{fib, fibonacci_witness(20, 2)}, {fib, fibonacci_witness(0, 3)}}, fast_profile());
  const auto r = verify(a.pk->vk, a.proof);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_GE(r.value(), 100u);
}

TEST(Stark, VerifierRejectsAProofForAnotherCircuit) {
  const auto a = prove_single<babybear4>(ciro::air::fibonacci_air{}, fibonacci_witness(5), fast_profile());
  const auto b = prove_single<babybear4>(ciro::air::fibonacci_air{}, fibonacci_witness(6), fast_profile());
  const auto r = verify(b.pk->vk, a.proof);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, verify_error_code::wrong_circuit);
}

}  // namespace
