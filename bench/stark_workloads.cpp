#include <cctype>
#include <memory>
#include <vector>

#include "air/fibonacci.hpp"
#include "air/poseidon2_air.hpp"
#include "bench/workload.hpp"
#include "field/extension.hpp"
#include "hash/merkle_tree.hpp"
#include "kernels/backend.hpp"
#include "stark/prover.hpp"
#include "stark/verifier.hpp"

namespace ciro::bench {
namespace {

using field::babybear;
using field::babybear4;

std::array<babybear, 16> chain_input() {
  std::array<babybear, 16> input;
  for (std::size_t i = 0; i < input.size(); ++i) input[i] = babybear::from_u64(i);
  return input;
}

/// "trace LDE" -> "trace_lde_ms": a phase's key in the table and the JSON.
std::string phase_key(const std::string& phase) {
  std::string key;
  for (const char c : phase) key += c == ' ' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key + "_ms";
}

/// Proves `witness` with the fast profile; the constraint check is left out (the trace is
/// known to be valid), so the figure is the prover's own time. Reports the proof size and the
/// milliseconds of each prover phase (of the last repetition).
template <class A>
workload prove_workload(std::string name, std::string unit, std::string description, A air,
                        std::function<air::witness()> make_witness, double items) {
  return {std::move(name), std::move(unit), std::move(description), [air, make_witness, items] {
            auto witness = std::make_shared<air::witness>(make_witness());
            auto backend = std::shared_ptr<kernels::backend>(kernels::make_cpu_backend());
            const unsigned log_rows = static_cast<unsigned>(std::countr_zero(witness->trace.rows()));
            const auto params = stark::fitted(stark::fast_profile(), log_rows);
            return [air, witness, backend, params, items] {
              stark::prover_timings timings;
              auto p = stark::prove<babybear4>(air, *witness, params, *backend, backend->merkle(), &timings,
                                               {.check_constraints = false, .on_phase = {}});
              CIRO_CHECK(p.has_value());
              run_output out{items, {{"proof_bytes", static_cast<double>(stark::encode(p.value()).size())}}};
              for (const auto& [phase, seconds] : timings.phases)
                out.extras.emplace_back(phase_key(phase), 1e3 * seconds);
              return out;
            };
          }};
}

workload verify_poseidon2_workload(unsigned log_rows) {
  return {"verify.poseidon2.2^" + std::to_string(log_rows), "verify/s",
          "verify a fast-profile proof of 2^" + std::to_string(log_rows) + " Poseidon2 permutations (one thread)",
          [log_rows] {
            const air::poseidon2_air air;
            const auto witness = air::generate_poseidon2_trace(log_rows, chain_input());
            auto backend = kernels::make_cpu_backend();
            auto p = stark::prove<babybear4>(air, witness, stark::fitted(stark::fast_profile(), log_rows), *backend,
                                             backend->merkle(), nullptr, {.check_constraints = false, .on_phase = {}});
            CIRO_CHECK(p.has_value());
            auto proof = std::make_shared<stark::proof<babybear4>>(std::move(p).value());
            const double bytes = static_cast<double>(stark::encode(*proof).size());
            return [air, proof, bytes] {
              CIRO_CHECK(stark::verify(air, *proof).has_value());
              return run_output{1, {{"proof_bytes", bytes}}};
            };
          }};
}

workload merkle_workload() {
  return {"merkle.babybear.2^18x256", "rows/s",
          "Merkle commitment (Poseidon2 sponge + compression) of a 2^18 x 256 matrix", [] {
            constexpr std::size_t rows = std::size_t{1} << 18, width = 256;
            auto m = std::make_shared<kernels::row_major_matrix<babybear>>(rows, width);
            std::uint64_t i = 0;
            for (auto& x : m->values()) x = babybear::from_u64(++i * 0x9e3779b97f4a7c15ULL);
            auto backend = std::shared_ptr<kernels::backend>(kernels::make_cpu_backend());
            return [m, backend] {
              auto tree = hash::merkle_tree::commit(backend->merkle(), {{m->values().data(), rows, width}});
              CIRO_CHECK(tree.has_value());
              return run_output{static_cast<double>(rows), {}};
            };
          }};
}

}  // namespace

std::vector<workload> merkle_workloads() { return {merkle_workload()}; }

std::vector<workload> stark_workloads() {
  return {
      prove_workload(
          "prove.fibonacci.2^20", "rows/s", "prove a Fibonacci trace of 2^20 rows (fast profile)", air::fibonacci_air{},
          [] { return air::generate_fibonacci_trace(20, babybear::zero(), babybear::one()); }, double{1 << 20}),
      prove_workload(
          "prove.poseidon2.2^17", "perm/s", "prove a chain of 2^17 Poseidon2 permutations (fast profile)",
          air::poseidon2_air{}, [] { return air::generate_poseidon2_trace(17, chain_input()); }, double{1 << 17}),
      verify_poseidon2_workload(17),
  };
}

}  // namespace ciro::bench
